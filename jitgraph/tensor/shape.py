"""Shape ops: shape, make_vector, reshape, broadcast patterns, alloc, dimshuffle helpers."""
import numpy as np

from jitgraph.graph.basic import Apply, Constant, Op
from jitgraph.scalar.basic import is_discrete, upcast
from jitgraph.tensor.elemwise import DimShuffle
from jitgraph.tensor.type import TensorType
from jitgraph.tensor.var import as_tensor_variable, constant


class Shape(Op):
    """The shape of ``x`` as an int64 vector."""

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", (False,), shape=(x.ndim,))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.array(inputs[0].shape, dtype="int64")

    def grad(self, inputs, output_grads):
        return [None]

    def infer_shape(self, node, input_shapes):
        return [(node.inputs[0].ndim,)]


_shape = Shape()


def shape(x):
    return _shape(as_tensor_variable(x))


class MakeVector(Op):
    """A vector from scalars (all cast to ``dtype``)."""

    __props__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype

    def make_node(self, *scalars):
        scalars = [as_tensor_variable(s) for s in scalars]
        for i, s in enumerate(scalars):
            if s.ndim != 0:
                raise TypeError(f"MakeVector: element {i} ({s}) is not a scalar but has {s.ndim} dimension(s)")
        return Apply(self, scalars, [TensorType(self.dtype, (len(scalars) == 1,), shape=(len(scalars),))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.array([np.asarray(v).item() for v in inputs], dtype=self.dtype)

    def grad(self, inputs, output_grads):
        (gz,) = output_grads
        return [None if is_discrete(x.dtype) else gz[i].astype(x.dtype) for i, x in enumerate(inputs)]

    def infer_shape(self, node, input_shapes):
        return [(len(node.inputs),)]


def make_vector(*scalars, dtype=None):
    scalars = [as_tensor_variable(s) for s in scalars]
    dtype = dtype or (upcast(*[s.dtype for s in scalars]) if scalars else "int64")
    return MakeVector(dtype)(*scalars)


def as_shape_vector(shape):
    """A tuple/list of ints and symbolic scalars, or a symbolic vector -> int64 vector."""
    if isinstance(shape, (list, tuple)):
        if all(isinstance(s, (int, np.integer)) for s in shape):
            return constant(np.array(shape, dtype="int64"))
        parts = [as_tensor_variable(s) for s in shape]
        for p in parts:
            if not is_discrete(p.dtype) or p.ndim != 0:
                raise TypeError(f"shape element {p} must be an integer scalar, got {p.type}")
        return make_vector(*parts, dtype="int64")
    shape = as_tensor_variable(shape)
    if shape.ndim == 0:
        shape = make_vector(shape, dtype="int64")
    if shape.ndim != 1 or not is_discrete(shape.dtype):
        raise TypeError(f"a shape must be an integer vector, got {shape.type}")
    return shape


def _static_entries(vec, n):
    """The entries of an int vector known at graph-build time (None where unknown)."""
    if isinstance(vec, Constant):
        return [int(v) for v in vec.data]
    if vec.owner is not None and isinstance(vec.owner.op, MakeVector):
        return [int(v.data) if isinstance(v, Constant) else None for v in vec.owner.inputs]
    return [None] * n


class Reshape(Op):
    """``x`` reshaped to the ``ndim``-long int vector ``shape`` (one entry may be -1)."""

    __props__ = ("ndim",)
    view_map = {0: [0]}

    def __init__(self, ndim):
        self.ndim = ndim

    def make_node(self, x, shp):
        x = as_tensor_variable(x)
        shp = as_shape_vector(shp)
        if shp.type.shape[0] is not None and shp.type.shape[0] != self.ndim:
            raise ValueError(f"reshape: the shape has {shp.type.shape[0]} entries but ndim={self.ndim}")
        static = _static_entries(shp, self.ndim)
        _check_static_reshape(x, static)
        shape = [s if s is not None and s >= 0 else None for s in static]
        return Apply(self, [x, shp], [TensorType(x.dtype, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        x, shp = inputs
        if len(shp) != self.ndim:
            raise ValueError(f"Reshape: shape {tuple(shp)} has {len(shp)} entries, {self.ndim} expected")
        try:
            output_storage[0][0] = np.reshape(x, tuple(int(s) for s in shp))
        except ValueError:
            raise ValueError(f"Reshape: cannot reshape an array of shape {x.shape} "
                             f"({x.size} elements) to {tuple(int(s) for s in shp)}") from None

    def grad(self, inputs, output_grads):
        x, _ = inputs
        if is_discrete(x.dtype):
            return [None, None]
        return [reshape(output_grads[0], shape(x), ndim=x.ndim), None]

    def infer_shape(self, node, input_shapes):
        import jitgraph.tensor as T
        shp = node.inputs[1]
        static = _static_entries(shp, self.ndim)
        if all(s is not None and s >= 0 for s in static):
            return [tuple(static)]
        # A -1 entry stands for the input's size over the product of the other entries
        # (the product of all entries is minus that product).
        size = T.prod(T.stack([T.cast(s, "int64") for s in input_shapes[0]])) if input_shapes[0] else 1
        rest = size // T.maximum(-T.prod(shp), 1)
        return [tuple(T.switch(T.eq(shp[i], -1), rest, shp[i]) for i in range(self.ndim))]


def _check_static_reshape(x, static):
    """Shape errors visible at graph-build time: entries below -1, two -1s, a size change."""
    if any(s is not None and s < -1 for s in static):
        raise ValueError(f"reshape: negative dimension in {tuple(static)} (only one -1 is allowed)")
    if sum(s == -1 for s in static) > 1:
        raise ValueError(f"reshape: at most one dimension can be -1, got {tuple(static)}")
    if None in static or None in x.type.shape:
        return
    size, new = int(np.prod(x.type.shape)), int(np.prod(static))
    if (-1 not in static and size != new) or (-1 in static and (new == 0 or size % -new)):
        raise ValueError(f"reshape: cannot reshape {x} of static shape {x.type.shape} ({size} elements) "
                         f"to {tuple(static)}")


def reshape(x, newshape, ndim=None):
    """``x`` with shape ``newshape`` (a tuple of ints/symbolic scalars or an int vector)."""
    x = as_tensor_variable(x)
    if isinstance(newshape, (int, np.integer)):
        newshape = (newshape,)
    vec = as_shape_vector(newshape)
    if ndim is None:
        ndim = vec.type.shape[0]
        if ndim is None:
            raise ValueError("reshape: the length of a symbolic shape vector is unknown; pass ndim=")
    return Reshape(ndim)(x, vec)


def flatten(x, ndim=None, outdim=None):
    """Keep the first ``ndim - 1`` dimensions and flatten the rest into one."""
    x = as_tensor_variable(x)
    ndim = outdim if outdim is not None else ndim
    if ndim is None:
        ndim = 1
    if not 1 <= ndim <= max(x.ndim, 1):
        raise ValueError(f"flatten: ndim={ndim} must be between 1 and {max(x.ndim, 1)}")
    # Static sizes go in as constants, so the result keeps Theano's broadcast pattern:
    # the kept dims' flags, and the last dim broadcastable when all flattened dims are.
    # The last size is a product, not -1, which numpy cannot resolve for (0, -1).
    dims = [s if s is not None else x.shape[d] for d, s in enumerate(x.type.shape)]
    last = 1
    for s in dims[ndim - 1:]:
        last = last * s
    return reshape(x, dims[:ndim - 1] + [last], ndim=ndim)


class Rebroadcast(Op):
    """Sets the broadcastable flags of ``x`` (checking at run time that those dims are 1)."""

    __props__ = ("pattern",)
    view_map = {0: [0]}

    def __init__(self, pattern):
        self.pattern = tuple(bool(b) for b in pattern)

    def make_node(self, x):
        x = as_tensor_variable(x)
        if len(self.pattern) != x.ndim:
            raise ValueError(f"patternbroadcast: pattern {self.pattern} for a {x.ndim}-d input")
        shape = [1 if b else (s if s != 1 else None) for b, s in zip(self.pattern, x.type.shape)]
        return Apply(self, [x], [TensorType(x.dtype, self.pattern, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        for d, b in enumerate(self.pattern):
            if b and x.shape[d] != 1:
                raise ValueError(f"{self}: dimension {d} was declared broadcastable but has size {x.shape[d]}")
        output_storage[0][0] = x

    def grad(self, inputs, output_grads):
        (x,) = inputs
        return [patternbroadcast(output_grads[0], x.broadcastable)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


def patternbroadcast(x, broadcastable):
    x = as_tensor_variable(x)
    if tuple(broadcastable) == x.broadcastable:
        return x
    return Rebroadcast(broadcastable)(x)


def addbroadcast(x, *axes):
    x = as_tensor_variable(x)
    return patternbroadcast(x, [b or i in axes for i, b in enumerate(x.broadcastable)])


def unbroadcast(x, *axes):
    x = as_tensor_variable(x)
    return patternbroadcast(x, [b and i not in axes for i, b in enumerate(x.broadcastable)])


class Alloc(Op):
    """An array of the given shape filled with the (broadcast) ``value``."""

    def make_node(self, value, *dims):
        value = as_tensor_variable(value)
        dims = [as_tensor_variable(d) for d in dims]
        for d in dims:
            if d.ndim != 0 or not is_discrete(d.dtype):
                raise TypeError(f"alloc: dimension {d} must be an integer scalar, got {d.type}")
        if value.ndim > len(dims):
            raise ValueError(f"alloc: a {value.ndim}-d value cannot fill {len(dims)} dimensions")
        shape = [int(d.data) if isinstance(d, Constant) else None for d in dims]
        return Apply(self, [value] + dims, [TensorType(value.dtype, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        value, dims = np.asarray(inputs[0]), [int(d) for d in inputs[1:]]
        if any(d < 0 for d in dims):
            raise ValueError(f"alloc: negative dimension in {tuple(dims)}")
        # As in Elemwise, only dimensions marked broadcastable may be repeated (the
        # gradient sums over exactly those).
        lead = len(dims) - value.ndim
        for i, (b, size) in enumerate(zip(node.inputs[0].broadcastable, value.shape)):
            if size != dims[lead + i] and not (b and size == 1):
                raise ValueError(
                    f"alloc: the value has shape {value.shape}, which does not fit the requested shape "
                    f"{tuple(dims)} (dimension {i} of the value has size {size}, {dims[lead + i]} expected); "
                    "only dimensions marked broadcastable can be repeated")
        out = np.empty(dims, dtype=node.outputs[0].type.numpy_dtype)
        out[...] = value
        output_storage[0][0] = out

    def grad(self, inputs, output_grads):
        import jitgraph.tensor as T
        value = inputs[0]
        (gz,) = output_grads
        if is_discrete(value.dtype):
            return [None] * len(inputs)
        lead = gz.ndim - value.ndim
        axes = list(range(lead)) + [lead + i for i, b in enumerate(value.broadcastable) if b]
        g = T.sum(gz, axis=axes) if axes else gz
        if value.broadcastable != g.broadcastable:
            g = T.reshape(g, shape(value), ndim=value.ndim)
            g = patternbroadcast(g, value.broadcastable)
        return [g] + [None] * (len(inputs) - 1)

    def infer_shape(self, node, input_shapes):
        return [tuple(node.inputs[1:])]


def alloc(value, *dims):
    return Alloc()(value, *dims)


def dimshuffle(x, pattern):
    x = as_tensor_variable(x)
    pattern = tuple(pattern)
    if pattern == tuple(range(x.ndim)):
        return x
    return DimShuffle(x.broadcastable, pattern)(x)


def transpose(x, axes=None):
    x = as_tensor_variable(x)
    if axes is None:
        axes = list(range(x.ndim))[::-1]
    axes = [int(a) for a in axes]
    if any(not -x.ndim <= a < x.ndim for a in axes) or sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {tuple(axes)} is not a permutation of {x.ndim} dimensions")
    return dimshuffle(x, [a % x.ndim for a in axes])


def shape_padleft(x, n_ones=1):
    x = as_tensor_variable(x)
    return dimshuffle(x, ["x"] * n_ones + list(range(x.ndim)))


def shape_padright(x, n_ones=1):
    x = as_tensor_variable(x)
    return dimshuffle(x, list(range(x.ndim)) + ["x"] * n_ones)


def shape_padaxis(x, axis):
    from jitgraph.tensor.join import check_axis
    x = as_tensor_variable(x)
    axis = check_axis(axis, x.ndim + 1, "shape_padaxis")
    order = list(range(x.ndim))
    order.insert(axis, "x")
    return dimshuffle(x, order)


def broadcast_like(value, like):
    """``value`` broadcast to the shape of ``like`` (``fill``)."""
    from jitgraph.tensor.basic import second
    value, like = as_tensor_variable(value), as_tensor_variable(like)
    out = second(like, value)
    if out.broadcastable != like.broadcastable:
        out = patternbroadcast(out, like.broadcastable)
    return out


def stack(*tensors, **kwargs):
    """Join equal-shaped tensors along a new axis: ``stack(tensors, axis=0)``.

    Theano's older spelling ``stack(x, y, z)`` works too. Scalars (and Python numbers)
    stacked along axis 0 or -1 make a vector of their upcast dtype.
    """
    unknown = set(kwargs) - {"tensors", "axis"}
    if unknown:
        raise TypeError(f"stack() got unexpected keyword argument(s) {sorted(unknown)}")
    axis = kwargs.get("axis", 0)
    if "tensors" in kwargs:
        if tensors:
            raise TypeError("stack: tensors given both positionally and as tensors=")
        tensors = kwargs["tensors"]
    elif tensors and isinstance(tensors[0], (list, tuple)):
        if len(tensors) > 2 or (len(tensors) == 2 and "axis" in kwargs):
            raise TypeError("stack(tensors, axis=0) takes a list of tensors and an axis")
        axis = tensors[1] if len(tensors) == 2 else axis
        tensors = tensors[0]
    tensors = [as_tensor_variable(t) for t in tensors]
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    if all(t.ndim == 0 for t in tensors) and axis in (0, -1):
        return make_vector(*tensors)
    from jitgraph.tensor.join import concatenate
    return concatenate([shape_padaxis(t, axis) for t in tensors], axis=axis)


__all__ = ["shape", "reshape", "flatten", "patternbroadcast", "addbroadcast", "unbroadcast", "alloc",
           "dimshuffle", "transpose", "shape_padleft", "shape_padright", "shape_padaxis",
           "broadcast_like", "make_vector", "stack", "Shape", "Reshape", "MakeVector", "Rebroadcast",
           "Alloc"]
