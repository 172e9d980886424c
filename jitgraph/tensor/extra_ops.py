"""Array-building and rearranging ops from ``theano.tensor`` and ``theano.tensor.extra_ops``:
``arange``, ``eye``/``identity_like``, ``repeat``, ``tile``, ``diag``/``diagonal``,
``cumsum``/``cumprod``, ``squeeze``, ``nonzero``/``flatnonzero``, ``fill_diagonal``.

``tile``, ``squeeze``, ``identity_like`` and ``fill_diagonal`` are graphs of other ops
(their gradients come from those); the rest are ops of their own.
"""
import math

import numpy as np

from jitgraph.graph.basic import Apply, Constant, Op
from jitgraph.scalar.basic import INT_DTYPES, UINT_DTYPES, c_type, is_discrete, upcast
from jitgraph.tensor.join import SUPPORT_HEADER, check_axis, concatenate
from jitgraph.tensor.shape import (_static_entries, addbroadcast, as_shape_vector, dimshuffle, flatten,
                                   patternbroadcast, reshape, shape)
from jitgraph.tensor.type import TensorType, normalize_dtype
from jitgraph.tensor.var import as_tensor_variable, constant


def _T():
    import jitgraph.tensor
    return jitgraph.tensor


def _int_scalar(v, what):
    v = as_tensor_variable(v)
    if v.ndim != 0 or not is_discrete(v.dtype) or v.dtype == "bool":
        raise TypeError(f"{what} must be an integer scalar, got {v} of type {v.type}")
    return v


def _static_int(v):
    return int(v.data) if isinstance(v, Constant) else None


def _native_step(ctx, node, template, bufs, **params):
    """Add the native code of ``node``: one block from ``csrc_templates/<template>``."""
    from jitgraph.codegen import ir
    ctx.add(ir.TemplateStep([node], template=template, bufs=bufs, params=params, support=(SUPPORT_HEADER,)))


def _clamped_offset(offset):
    """A diagonal offset as a C literal; beyond +-2**62 every diagonal is empty anyway."""
    return max(min(offset, 2 ** 62), -2 ** 62)


def _shape_list(x):
    """x's dimensions: Python ints where statically known, symbolic scalars elsewhere
    (so shapes built from them keep the static information)."""
    return [s if s is not None else x.shape[d] for d, s in enumerate(x.type.shape)]


# ---------------------------------------------------------------- arange

class ARange(Op):
    """``ARange(dtype)(start, stop, step)``: numpy's ``arange`` with scalar bounds."""

    __props__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = normalize_dtype(dtype)

    def make_node(self, start, stop, step):
        bounds = []
        for what, v in (("start", start), ("stop", stop), ("step", step)):
            v = as_tensor_variable(v)
            if v.ndim != 0:
                raise TypeError(f"arange: {what} must be a scalar, got {v} of type {v.type}")
            bounds.append(v)
        length = None
        if all(isinstance(v, Constant) for v in bounds):
            length = _arange_length(*(v.data.item() for v in bounds))
        return Apply(self, bounds, [TensorType(self.dtype, (False,), shape=(length,))()])

    def perform(self, node, inputs, output_storage):
        start, stop, step = (np.asarray(v).item() for v in inputs)
        if step == 0:
            raise ValueError("arange: step must not be zero")
        output_storage[0][0] = np.arange(start, stop, step, dtype=self.dtype)

    @property
    def lower(self):
        """Native code (csrc_templates/extra_arange.c.tmpl), except for bool results:
        numpy's TypeError for a bool arange longer than 2 has no native status, so those
        run their reference."""
        return None if self.dtype == "bool" else self._lower

    def _lower(self, ctx, node):
        start, stop, step = node.inputs
        # start and start + step (doubles when a bound is a float) converted to the dtype
        t = c_type(self.dtype)
        if self.dtype in ("float32", "float64"):
            from_double = "({t})({v})"
        elif self.dtype == "uint64":   # a negative double goes through int64, as numpy's cast does
            from_double = "({t})({v} >= 0 ? (uint64_t)({v}) : (uint64_t)(int64_t)({v}))"
        else:
            from_double = "({t})(int64_t)({v})"
        float_bounds = any(not is_discrete(v.dtype) for v in node.inputs)
        _native_step(ctx, node, "extra_arange.c.tmpl",
                     {"start": ctx.buf(start), "stop": ctx.buf(stop), "step": ctx.buf(step),
                      "out": ctx.result(node.outputs[0])},
                     FLOAT_BOUNDS=int(float_bounds), FLOAT_OUT=int(not is_discrete(self.dtype)),
                     FROM_DOUBLE_FIRST=from_double.format(t=t, v="start"),
                     FROM_DOUBLE_SECOND=from_double.format(t=t, v="start + step"))

    def grad(self, inputs, output_grads):
        # stop only sets the length; start and step move every value.
        T = _T()
        start, _, step = inputs
        (gz,) = output_grads
        if is_discrete(self.dtype):
            return [None, None, None]
        steps = T.arange(shape(gz)[0], dtype=self.dtype)
        g_start = None if is_discrete(start.dtype) else T.cast(T.sum(gz), start.dtype)
        g_step = None if is_discrete(step.dtype) else T.cast(T.sum(gz * steps), step.dtype)
        return [g_start, None, g_step]

    def infer_shape(self, node, input_shapes):
        # numpy's length: ceil((stop - start) / step) in double precision, at least 0.
        T = _T()
        start, stop, step = (T.cast(v, "float64") for v in node.inputs)
        return [(T.maximum(T.cast(T.ceil((stop - start) / step), "int64"), 0),)]


def _arange_length(start, stop, step):
    """numpy's arange length, without building the array."""
    if step == 0:
        raise ValueError("arange: step must not be zero")
    if all(isinstance(v, int) for v in (start, stop, step)):
        return len(range(start, stop, step))
    return max(0, math.ceil((stop - start) / step))


def arange(start, stop=None, step=1, dtype=None):
    """numpy's ``arange`` with constant or symbolic scalar bounds.

    Theano's dtype rule: the upcast of the bounds' dtypes, with every integer result
    widened to int64 (unsigned to uint64) so lengths never overflow.
    """
    if stop is None:
        start, stop = 0, start
    start, stop, step = (as_tensor_variable(v) for v in (start, stop, step))
    if dtype is None:
        dtype = upcast(start.dtype, stop.dtype, step.dtype)
        if dtype in INT_DTYPES or dtype == "bool":
            dtype = "int64"
        elif dtype in UINT_DTYPES:
            dtype = "uint64"
    return ARange(dtype)(start, stop, step)


# ---------------------------------------------------------------- eye

class Eye(Op):
    """``Eye(dtype)(n, m, k)``: an n x m matrix with ones on diagonal ``k``."""

    __props__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = normalize_dtype(dtype)

    def make_node(self, n, m, k):
        n, m, k = _int_scalar(n, "eye: n"), _int_scalar(m, "eye: m"), _int_scalar(k, "eye: k")
        for v in (n, m):
            if _static_int(v) is not None and _static_int(v) < 0:
                raise ValueError(f"eye: negative dimension {_static_int(v)}")
        return Apply(self, [n, m, k], [TensorType(self.dtype, (False, False),
                                                  shape=(_static_int(n), _static_int(m)))()])

    def perform(self, node, inputs, output_storage):
        n, m, k = (int(v) for v in inputs)
        if n < 0 or m < 0:
            raise ValueError(f"eye: negative dimension in ({n}, {m})")
        output_storage[0][0] = np.eye(n, m, k, dtype=self.dtype)

    def lower(self, ctx, node):
        """Native code: csrc_templates/extra_eye.c.tmpl."""
        n, m, k = node.inputs
        _native_step(ctx, node, "extra_eye.c.tmpl",
                     {"n": ctx.buf(n), "m": ctx.buf(m), "k": ctx.buf(k), "out": ctx.result(node.outputs[0])})

    def grad(self, inputs, output_grads):
        return [None, None, None]

    def infer_shape(self, node, input_shapes):
        return [(node.inputs[0], node.inputs[1])]


def eye(n, m=None, k=0, dtype=None):
    """An n x m (n x n) matrix of ``dtype`` (floatX) with ones on diagonal ``k``."""
    return Eye(dtype or "floatX")(n, n if m is None else m, k)


def identity_like(x):
    """An identity matrix with the shape and dtype of the matrix ``x``."""
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise TypeError(f"identity_like needs a matrix, got {x} with {x.ndim} dimension(s)")
    return eye(x.shape[0], x.shape[1], 0, dtype=x.dtype)


# ---------------------------------------------------------------- repeat

def _check_repeats(repeats):
    repeats = as_tensor_variable(repeats)
    if repeats.ndim > 1:
        raise ValueError(f"repeat: repeats must be a scalar or a vector, got {repeats.ndim} dimensions")
    if not is_discrete(repeats.dtype):
        raise TypeError(f"repeat: repeats must be integers, got dtype {repeats.dtype}")
    return repeats


def _repeat_counts(repeats, n, what):
    """The per-element counts as an int64 array of length ``n``, checked."""
    counts = np.asarray(repeats).astype("int64")
    if (counts < 0).any():
        raise ValueError(f"{what}: repeats must be non-negative, got {counts.tolist()}")
    if counts.ndim == 1 and counts.size not in (1, n):
        raise ValueError(f"{what}: {counts.size} repeats given for an axis of length {n} "
                         "(give one per element, or a single one)")
    return np.broadcast_to(counts.reshape(-1), (n,))


class Repeat(Op):
    """``Repeat(axis)(x, repeats)``: numpy's ``repeat`` along ``axis``; ``repeats`` is an
    int scalar or a vector with one count per element."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, x, repeats):
        x, repeats = as_tensor_variable(x), _check_repeats(repeats)
        if not 0 <= self.axis < x.ndim:
            raise ValueError(f"repeat: axis {self.axis} is out of range for {x} with {x.ndim} dimension(s)")
        bcast = tuple(False if d == self.axis else b for d, b in enumerate(x.broadcastable))
        shape = list(x.type.shape)
        shape[self.axis] = self._static_length(repeats, shape[self.axis])
        return Apply(self, [x, repeats], [TensorType(x.dtype, bcast, shape=shape)()])

    @staticmethod
    def _static_length(repeats, n):
        if not isinstance(repeats, Constant):
            return None
        counts = repeats.data.reshape(-1)
        if (counts < 0).any():
            raise ValueError(f"repeat: repeats must be non-negative, got {counts.tolist()}")
        if counts.size == 1:
            return None if n is None else int(counts[0]) * n
        if n is not None and counts.size != n:
            raise ValueError(f"repeat: {counts.size} repeats given for an axis of length {n}")
        return int(counts.sum())

    def perform(self, node, inputs, output_storage):
        x, repeats = inputs
        counts = _repeat_counts(repeats, x.shape[self.axis], "Repeat")
        output_storage[0][0] = np.repeat(x, counts, axis=self.axis)

    def lower(self, ctx, node):
        """Native code: csrc_templates/extra_repeat.c.tmpl (a gather through an index map)."""
        x, repeats = node.inputs
        _native_step(ctx, node, "extra_repeat.c.tmpl",
                     {"x": ctx.buf(x), "repeats": ctx.buf(repeats), "out": ctx.result(node.outputs[0]),
                      "map": ctx.scratch("int64", 1)}, axis=self.axis)

    def grad(self, inputs, output_grads):
        x, repeats = inputs
        (gz,) = output_grads
        if is_discrete(x.dtype):
            return [None, None]
        gx = RepeatSum(self.axis)(gz, repeats, shape(x)[self.axis])
        return [patternbroadcast(_T().cast(gx, x.dtype), x.broadcastable), None]

    def infer_shape(self, node, input_shapes):
        T = _T()
        x_shape = input_shapes[0]
        repeats = node.inputs[1]
        n = x_shape[self.axis]
        if repeats.ndim == 0:
            length = T.cast(n, "int64") * T.cast(repeats, "int64")
        else:
            total = T.sum(T.cast(repeats, "int64"))
            length = T.switch(T.eq(shape(repeats)[0], 1), total * n, total)
        return [tuple(length if d == self.axis else s for d, s in enumerate(x_shape))]


class RepeatSum(Op):
    """``RepeatSum(axis)(g, repeats, n)``: the gradient of ``repeat``: ``g`` summed over
    each run of repeated elements along ``axis``, giving length ``n`` there."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, g, repeats, n):
        g, repeats, n = as_tensor_variable(g), _check_repeats(repeats), _int_scalar(n, "RepeatSum: n")
        bcast = tuple(False if d == self.axis else b for d, b in enumerate(g.broadcastable))
        shape = tuple(_static_int(n) if d == self.axis else s for d, s in enumerate(g.type.shape))
        return Apply(self, [g, repeats, n], [TensorType(g.dtype, bcast, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        g, repeats, n = inputs
        n = int(n)
        counts = _repeat_counts(repeats, n, "RepeatSum")
        if g.shape[self.axis] != counts.sum():
            raise ValueError(f"RepeatSum: axis {self.axis} of the gradient has length {g.shape[self.axis]}, "
                             f"but the repeats add up to {counts.sum()}")
        moved = np.moveaxis(g, self.axis, 0)
        out = np.zeros((n,) + moved.shape[1:], dtype=g.dtype)
        np.add.at(out, np.repeat(np.arange(n), counts), moved)
        output_storage[0][0] = np.ascontiguousarray(np.moveaxis(out, 0, self.axis))

    def lower(self, ctx, node):
        """Native code: csrc_templates/extra_repeat_sum.c.tmpl."""
        g, repeats, n = node.inputs
        _native_step(ctx, node, "extra_repeat_sum.c.tmpl",
                     {"g": ctx.buf(g), "repeats": ctx.buf(repeats), "n": ctx.buf(n),
                      "out": ctx.result(node.outputs[0]), "starts": ctx.scratch("int64", 1)}, axis=self.axis)

    def grad(self, inputs, output_grads):
        g, repeats, _ = inputs
        return [Repeat(self.axis)(output_grads[0], repeats), None, None]

    def infer_shape(self, node, input_shapes):
        n = node.inputs[2]
        return [tuple(n if d == self.axis else s for d, s in enumerate(input_shapes[0]))]


def repeat(x, repeats, axis=None):
    """numpy's ``repeat``: each element of ``x`` repeated ``repeats`` times along
    ``axis`` (``x`` flattened when axis is None); ``repeats`` is an int or a vector
    of counts, one per element."""
    x = as_tensor_variable(x)
    repeats = _check_repeats(repeats)
    if axis is None:
        x, axis = flatten(x), 0
    else:
        axis = check_axis(axis, x.ndim, "repeat")
    return Repeat(axis)(x, repeats)


# ---------------------------------------------------------------- tile

def tile(x, reps, ndim=None):
    """numpy's ``tile``. ``reps``: an int, a list of ints / int scalars, or an int
    vector (then ``ndim``, the result's number of dimensions, is required)."""
    T = _T()
    x = as_tensor_variable(x)
    if ndim is not None and ndim < x.ndim:
        raise ValueError(f"tile: ndim={ndim} must be at least the input's {x.ndim} dimensions")
    if isinstance(reps, (list, tuple)):
        reps = [int(r) if isinstance(r, (int, np.integer)) and not isinstance(r, bool)
                else _int_scalar(r, "tile: each entry of reps") for r in reps]
        if any(isinstance(r, int) and r < 0 for r in reps):
            raise ValueError(f"tile: negative reps in {reps}")
        if ndim is not None and len(reps) > ndim:
            raise ValueError(f"tile: {len(reps)} reps given for ndim={ndim}")
    else:
        reps = as_tensor_variable(reps)
        if not is_discrete(reps.dtype) or reps.dtype == "bool":
            raise TypeError(f"tile: reps must be integers, got {reps} of type {reps.type}")
        if reps.ndim == 0:
            reps = [reps]
        elif reps.ndim == 1:
            if ndim is None:
                raise ValueError("tile: when reps is a symbolic vector, give ndim (the result's "
                                 "number of dimensions)")
            # left-pad with ones to ndim entries (alloc rejects a vector longer than ndim)
            padded = concatenate([T.ones((ndim - shape(reps)[0],), dtype="int64"), T.cast(reps, "int64")])
            reps = [padded[i] for i in range(ndim)]
        else:
            raise ValueError(f"tile: reps must be a scalar or a vector, got {reps.ndim} dimensions")
    ndim = max(len(reps), x.ndim) if ndim is None else ndim
    reps = [1] * (ndim - len(reps)) + list(reps)
    x = T.shape_padleft(x, ndim - x.ndim)
    sizes = _shape_list(x)
    # x viewed as (1, s0, 1, s1, ...), allocated to (r0, s0, r1, s1, ...), then each
    # (r_i, s_i) pair merged: index r*s_i + j of the result is x's index j.
    spread = dimshuffle(x, [p for i in range(ndim) for p in ("x", i)])
    big = T.alloc(spread, *[v for pair in zip(reps, sizes) for v in pair])
    merged = [r * s if isinstance(r, int) and isinstance(s, int) else T.cast(r, "int64") * s
              for r, s in zip(reps, sizes)]
    return reshape(big, merged, ndim=ndim)


# ---------------------------------------------------------------- diagonals

def _diag_length(n1, n2, offset):
    if n1 is None or n2 is None:
        return None
    return max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))


def _diag_positions(shape, offset, axis1, axis2):
    """Row (axis1) and column (axis2) positions of diagonal ``offset``, in np.diagonal's order."""
    steps = np.arange(_diag_length(shape[axis1], shape[axis2], offset))
    return steps + max(-offset, 0), steps + max(offset, 0)


class ExtractDiag(Op):
    """``ExtractDiag(offset, axis1, axis2)(x)``: numpy's ``diagonal`` (a copy): the
    other dimensions first, then the diagonal."""

    __props__ = ("offset", "axis1", "axis2")

    def __init__(self, offset=0, axis1=0, axis2=1):
        self.offset, self.axis1, self.axis2 = int(offset), int(axis1), int(axis2)

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.ndim < 2:
            raise TypeError(f"diagonal needs at least 2 dimensions, got {x} with {x.ndim}")
        if not (0 <= self.axis1 < x.ndim and 0 <= self.axis2 < x.ndim) or self.axis1 == self.axis2:
            raise ValueError(f"diagonal: axis1={self.axis1} and axis2={self.axis2} must be two different "
                             f"axes of a {x.ndim}-d input")
        keep = [d for d in range(x.ndim) if d not in (self.axis1, self.axis2)]
        length = _diag_length(x.type.shape[self.axis1], x.type.shape[self.axis2], self.offset)
        bcast = [x.broadcastable[d] for d in keep] + [False]
        shape = [x.type.shape[d] for d in keep] + [length]
        return Apply(self, [x], [TensorType(x.dtype, bcast, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.diagonal(inputs[0], self.offset, self.axis1, self.axis2).copy()

    def lower(self, ctx, node):
        """Native code: csrc_templates/extra_extract_diag.c.tmpl."""
        _native_step(ctx, node, "extra_extract_diag.c.tmpl",
                     {"x": ctx.buf(node.inputs[0]), "out": ctx.result(node.outputs[0])},
                     offset=_clamped_offset(self.offset), axis1=self.axis1, axis2=self.axis2)

    def grad(self, inputs, output_grads):
        (x,) = inputs
        if is_discrete(x.dtype):
            return [None]
        gx = PlaceDiagonal(self.offset, self.axis1, self.axis2)(shape(x), output_grads[0])
        return [patternbroadcast(_T().cast(gx, x.dtype), x.broadcastable)]

    def infer_shape(self, node, input_shapes):
        T = _T()
        shp = input_shapes[0]
        n1, n2, k = shp[self.axis1], shp[self.axis2], self.offset
        length = T.minimum(n1, n2 - k) if k >= 0 else T.minimum(n1 + k, n2)
        keep = [s for d, s in enumerate(shp) if d not in (self.axis1, self.axis2)]
        return [tuple(keep) + (T.maximum(length, 0),)]


class PlaceDiagonal(Op):
    """``PlaceDiagonal(offset, axis1, axis2)(shape, y)``: zeros of ``shape`` whose
    diagonal (as ``ExtractDiag`` reads it) holds ``y``. Builds ``diag(v)`` and the
    gradient of ``diagonal``."""

    __props__ = ("offset", "axis1", "axis2")

    def __init__(self, offset=0, axis1=0, axis2=1):
        self.offset, self.axis1, self.axis2 = int(offset), int(axis1), int(axis2)

    def make_node(self, shp, y):
        shp, y = as_shape_vector(shp), as_tensor_variable(y)
        ndim = y.ndim + 1
        if shp.type.shape[0] is not None and shp.type.shape[0] != ndim:
            raise ValueError(f"PlaceDiagonal: a shape of {shp.type.shape[0]} entries for a {y.ndim}-d diagonal")
        if not (0 <= self.axis1 < ndim and 0 <= self.axis2 < ndim) or self.axis1 == self.axis2:
            raise ValueError(f"PlaceDiagonal: bad axes {self.axis1}, {self.axis2} for {ndim} dimensions")
        static = [s if s is not None and s >= 0 else None for s in _static_entries(shp, ndim)]
        return Apply(self, [shp, y], [TensorType(y.dtype, (False,) * ndim, shape=static)()])

    def perform(self, node, inputs, output_storage):
        shp, y = tuple(int(s) for s in inputs[0]), inputs[1]
        out = np.zeros(shp, dtype=y.dtype)
        planes = np.moveaxis(out, (self.axis1, self.axis2), (-2, -1))
        rows, cols = _diag_positions(shp, self.offset, self.axis1, self.axis2)
        if planes[..., rows, cols].shape != y.shape:
            raise ValueError(f"PlaceDiagonal: a diagonal of shape {y.shape} does not fit shape {shp} "
                             f"(offset {self.offset}, axes {self.axis1}, {self.axis2})")
        planes[..., rows, cols] = y
        output_storage[0][0] = out

    def lower(self, ctx, node):
        """Native code: csrc_templates/extra_place_diag.c.tmpl."""
        shp, y = node.inputs
        _native_step(ctx, node, "extra_place_diag.c.tmpl",
                     {"shp": ctx.buf(shp), "y": ctx.buf(y), "out": ctx.result(node.outputs[0])},
                     offset=_clamped_offset(self.offset), axis1=self.axis1, axis2=self.axis2)

    def grad(self, inputs, output_grads):
        y = inputs[1]
        if is_discrete(y.dtype):
            return [None, None]
        return [None, ExtractDiag(self.offset, self.axis1, self.axis2)(output_grads[0])]

    def infer_shape(self, node, input_shapes):
        shp = node.inputs[0]
        return [tuple(shp[i] for i in range(node.outputs[0].ndim))]


def diagonal(a, offset=0, axis1=0, axis2=1):
    """numpy's ``diagonal``: the diagonal ``offset`` of the planes (axis1, axis2)."""
    a = as_tensor_variable(a)
    if a.ndim < 2:
        raise TypeError(f"diagonal needs at least 2 dimensions, got {a} with {a.ndim}")
    return ExtractDiag(offset, check_axis(axis1, a.ndim, "diagonal"),
                       check_axis(axis2, a.ndim, "diagonal"))(a)


def diag(v, k=0):
    """A vector ``v`` -> the square matrix with ``v`` on diagonal ``k``; a matrix (or
    more dimensions, Theano's rule) -> its diagonal ``k``."""
    v = as_tensor_variable(v)
    if v.ndim == 0:
        raise ValueError(f"diag needs a vector or a matrix, got the scalar {v}")
    if v.ndim >= 2:
        return diagonal(v, k)
    size = _shape_list(v)[0] + abs(int(k))
    return PlaceDiagonal(k, 0, 1)([size, size], v)


# ---------------------------------------------------------------- cumulative sums

class CumOp(Op):
    """``CumOp(axis, mode)(x)``: cumulative sum ('add') or product ('mul') along ``axis``.
    The dtype stays the input's (Theano's rule; booleans sum as int64)."""

    __props__ = ("axis", "mode")

    def __init__(self, axis, mode="add"):
        if mode not in ("add", "mul"):
            raise ValueError(f"CumOp: mode must be 'add' or 'mul', got {mode!r}")
        self.axis, self.mode = int(axis), mode

    def make_node(self, x):
        x = as_tensor_variable(x)
        if not 0 <= self.axis < x.ndim:
            raise ValueError(f"cum{'sum' if self.mode == 'add' else 'prod'}: axis {self.axis} out of range "
                             f"for {x.ndim} dimensions")
        dtype = "int64" if x.dtype == "bool" else x.dtype
        return Apply(self, [x], [TensorType(dtype, x.broadcastable, shape=x.type.shape)()])

    def perform(self, node, inputs, output_storage):
        fn = np.cumsum if self.mode == "add" else np.cumprod
        dtype = node.outputs[0].type.numpy_dtype
        output_storage[0][0] = np.asarray(fn(inputs[0], axis=self.axis, dtype=dtype), dtype=dtype)

    def lower(self, ctx, node):
        """Native code: csrc_templates/extra_cumop.c.tmpl."""
        _native_step(ctx, node, "extra_cumop.c.tmpl",
                     {"x": ctx.buf(node.inputs[0]), "out": ctx.result(node.outputs[0])},
                     axis=self.axis, OP="+" if self.mode == "add" else "*")

    def grad(self, inputs, output_grads):
        (x,) = inputs
        (gz,) = output_grads
        if is_discrete(x.dtype):
            return [None]
        flip = (slice(None),) * self.axis + (slice(None, None, -1),)
        if self.mode == "add":
            # d out_j / d x_i = 1 for j >= i: a reversed cumulative sum
            return [CumOp(self.axis, "add")(gz[flip])[flip]]
        # d out_j / d x_i = out_j / x_i for j >= i (undefined where x is 0, as in Theano)
        out = self(x)
        return [CumOp(self.axis, "add")((out * gz)[flip])[flip] / x]

    def infer_shape(self, node, input_shapes):
        return input_shapes


def _cumulative(x, axis, mode):
    x = as_tensor_variable(x)
    if axis is None:
        x, axis = flatten(x), 0
    else:
        axis = check_axis(axis, x.ndim, "cumsum" if mode == "add" else "cumprod")
    return CumOp(axis, mode)(x)


def cumsum(x, axis=None):
    """Cumulative sum along ``axis`` (of the flattened ``x`` when axis is None)."""
    return _cumulative(x, axis, "add")


def cumprod(x, axis=None):
    """Cumulative product along ``axis`` (of the flattened ``x`` when axis is None)."""
    return _cumulative(x, axis, "mul")


# ---------------------------------------------------------------- squeeze

def squeeze(x, axis=None):
    """``x`` without its broadcastable dimensions (Theano's rule: those known to be 1).

    With ``axis`` (numpy's argument), exactly those dimensions are removed; one not
    known to be broadcastable is checked to be 1 at run time.
    """
    x = as_tensor_variable(x)
    if axis is None:
        return dimshuffle(x, [d for d in range(x.ndim) if not x.broadcastable[d]])
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    axes = sorted({check_axis(a, x.ndim, "squeeze") for a in axes})
    x = addbroadcast(x, *axes)
    return dimshuffle(x, [d for d in range(x.ndim) if d not in axes])


# ---------------------------------------------------------------- nonzero

class Nonzero(Op):
    """``Nonzero()(a)``: the indices of a's non-zero entries as an int64 matrix of shape
    (a.ndim, count), one row per dimension (numpy's ``nonzero`` stacked)."""

    def make_node(self, a):
        a = as_tensor_variable(a)
        if a.ndim == 0:
            raise ValueError(f"nonzero needs at least 1 dimension, got the scalar {a}")
        return Apply(self, [a], [TensorType("int64", (False, False), shape=(a.ndim, None))()])

    def perform(self, node, inputs, output_storage):
        a = inputs[0]
        out = np.empty((a.ndim, np.count_nonzero(a)), dtype="int64")
        for d, idx in enumerate(np.nonzero(a)):
            out[d] = idx
        output_storage[0][0] = out

    def lower(self, ctx, node):
        """Native code: csrc_templates/extra_nonzero.c.tmpl (count, allocate, fill)."""
        _native_step(ctx, node, "extra_nonzero.c.tmpl",
                     {"a": ctx.buf(node.inputs[0]), "out": ctx.result(node.outputs[0])})

    def grad(self, inputs, output_grads):
        return [None]

    def infer_shape(self, node, input_shapes):
        T = _T()
        return [(node.inputs[0].ndim, T.sum(T.neq(node.inputs[0], 0)))]


def nonzero(a, return_matrix=False):
    """The indices of a's non-zero entries: a tuple of one int64 vector per dimension,
    or with ``return_matrix`` the (a.ndim, count) matrix of them."""
    matrix = Nonzero()(a)
    if return_matrix:
        return matrix
    return tuple(matrix[d] for d in range(matrix.type.shape[0]))


def flatnonzero(a):
    """The indices of the non-zero entries of the flattened ``a``."""
    a = as_tensor_variable(a)
    if a.ndim == 0:
        raise ValueError(f"flatnonzero needs at least 1 dimension, got the scalar {a}")
    return Nonzero()(flatten(a))[0]


# ---------------------------------------------------------------- fill_diagonal

def _fill_value(a, val, what):
    if isinstance(val, (int, float, np.integer, np.floating)) and not isinstance(val, (bool, np.bool_)):
        # a plain number means the array's own dtype (Theano rejected 0.1 for float32)
        if is_discrete(a.dtype) and not float(val).is_integer():
            raise TypeError(f"{what}: the value {val!r} is not an integer but the array is {a.dtype}")
        return constant(val, dtype=a.dtype)
    val = as_tensor_variable(val)
    if val.ndim != 0:
        raise TypeError(f"{what}: the value must be a scalar, got {val} of type {val.type}")
    if upcast(a.dtype, val.dtype) != a.dtype:
        raise TypeError(f"{what}: a value of dtype {val.dtype} does not fit the {a.dtype} array without "
                        f"losing precision; cast it first (T.cast(val, '{a.dtype}'))")
    return _T().cast(val, a.dtype)


def _set_flat_positions(a, val, start, step, count):
    """A copy of ``a`` with ``count`` flat positions start, start+step, ... set to ``val``."""
    T = _T()
    flat = flatten(a)
    stop = T.maximum(start + count * step, 0)
    return reshape(T.set_subtensor(flat[start:stop:step], val), _shape_list(a), ndim=a.ndim)


def fill_diagonal(a, val):
    """A copy of ``a`` with the scalar ``val`` on its main diagonal (entries a[i, i, ...]
    for i < min(a.shape), as numpy's ``fill_diagonal`` without wrap)."""
    T = _T()
    a = as_tensor_variable(a)
    if a.ndim < 2:
        raise TypeError(f"fill_diagonal needs at least 2 dimensions, got {a} with {a.ndim}")
    val = _fill_value(a, val, "fill_diagonal")
    shp = [T.cast(a.shape[d], "int64") for d in range(a.ndim)]
    # entry (i, ..., i) sits at flat index i * (sum of the element strides)
    step, stride = 0, 1
    for d in reversed(range(a.ndim)):
        step = step + stride
        stride = stride * shp[d]
    count = shp[0]
    for s in shp[1:]:
        count = T.minimum(count, s)
    return _set_flat_positions(a, val, 0, step, count)


def fill_diagonal_offset(a, val, offset):
    """A copy of the matrix ``a`` with the scalar ``val`` on diagonal ``offset`` (an int
    or a symbolic int scalar; positive above the main diagonal)."""
    T = _T()
    a = as_tensor_variable(a)
    if a.ndim != 2:
        raise TypeError(f"fill_diagonal_offset needs a matrix, got {a} with {a.ndim} dimension(s)")
    val = _fill_value(a, val, "fill_diagonal_offset")
    offset = T.cast(_int_scalar(offset, "fill_diagonal_offset: offset"), "int64")
    rows, cols = T.cast(a.shape[0], "int64"), T.cast(a.shape[1], "int64")
    above = T.ge(offset, 0)
    start = T.switch(above, offset, -offset * cols)
    count = T.maximum(T.switch(above, T.minimum(rows, cols - offset), T.minimum(rows + offset, cols)), 0)
    return _set_flat_positions(a, val, start, cols + 1, count)


__all__ = ["ARange", "arange", "Eye", "eye", "identity_like", "Repeat", "RepeatSum", "repeat", "tile",
           "ExtractDiag", "PlaceDiagonal", "diagonal", "diag", "CumOp", "cumsum", "cumprod", "squeeze",
           "Nonzero", "nonzero", "flatnonzero", "fill_diagonal", "fill_diagonal_offset"]
