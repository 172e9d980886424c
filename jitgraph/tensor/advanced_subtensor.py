"""Advanced indexing, with numpy's semantics: integer arrays and boolean masks, alone or
mixed with slices, integer scalars and None; ``set_subtensor`` / ``inc_subtensor`` of
such a region (repeated indices accumulate for inc, as ``np.add.at``).

``AdvancedSubtensor1`` is the common case ``x[idx]`` with one integer array on axis 0
(embedding lookups ``W[idx]``, ``W[idx_matrix]``); ``AdvancedSubtensor`` is everything
else (``M[T.arange(n), y]``, ``x[x > 0]``, ``x[:, idx]``).

``idx_list`` of ``AdvancedSubtensor`` describes the index entry by entry: ``"tensor"``
consumes one index input (an integer scalar, an integer array or a boolean mask);
``("slice", has_start, has_stop, has_step)`` consumes one integer scalar input per part
present, as in basic indexing; ``"none"`` is a new axis. Keeping None inside the op
(rather than a DimShuffle after it) matters: it decides whether the advanced indices are
adjacent, hence where numpy puts their dimensions.
"""
import numpy as np

from jitgraph.graph.basic import Apply, Op, Variable
from jitgraph.scalar.basic import is_discrete
from jitgraph.tensor.subtensor import Subtensor, _index_scalar
from jitgraph.tensor.type import TensorType
from jitgraph.tensor.var import as_tensor_variable, constant

FULL_SLICE = ("slice", False, False, False)


# ------------------------------------------------------------ index entries

def _as_index_tensor(i):
    """An array-like index entry as a tensor variable (int array, bool mask or int scalar)."""
    if isinstance(i, Variable) or (isinstance(i, list) and any(isinstance(e, Variable) for e in i)):
        v = as_tensor_variable(i)   # a list of symbolic scalars is stacked
    else:
        data = np.asarray(i)
        if data.size == 0 and data.dtype.kind == "f":
            data = data.astype("int64")   # numpy reads [] as an empty integer index
        if data.dtype.kind in "iu" and data.dtype != np.uint64:
            data = data.astype("int64")   # one dtype for constant indices, so equal ones merge
        v = constant(data)
    if v.dtype == "bool":
        if v.ndim == 0:
            raise TypeError(f"a boolean index needs at least one dimension (a mask shaped like the "
                            f"dimensions it selects), got the scalar {v}")
        return v
    if not is_discrete(v.dtype):
        raise TypeError(f"index arrays must be integers or a boolean mask, got {v} of dtype {v.dtype}; "
                        f"cast it with T.cast(idx, 'int64')")
    return v


def _dims_consumed(entry):
    """How many dimensions of ``x`` an index entry reads."""
    if entry is None:
        return 0
    if isinstance(entry, slice):
        return 1
    return entry.ndim if entry.dtype == "bool" else 1


def normalize_advanced_index(x, index):
    """A Python index containing arrays -> (idx_list, index input variables)."""
    if not isinstance(index, tuple):
        index = (index,)
    entries = []
    for i in index:
        if i is None or i is Ellipsis or isinstance(i, slice):
            entries.append(i)
        else:
            entries.append(_as_index_tensor(i))
    n_ellipsis = sum(e is Ellipsis for e in entries)
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(_dims_consumed(e) for e in entries if e is not Ellipsis)
    if used > x.ndim:
        raise IndexError(f"too many indices for {x}: the index reads {used} dimension(s), it has {x.ndim}")
    if n_ellipsis:
        pos = next(k for k, e in enumerate(entries) if e is Ellipsis)
        entries[pos:pos + 1] = [slice(None)] * (x.ndim - used)
    idx_list, inputs = [], []
    for e in entries:
        if e is None:
            idx_list.append("none")
        elif isinstance(e, slice):
            parts = (e.start, e.stop, e.step)
            idx_list.append(("slice",) + tuple(p is not None for p in parts))
            inputs += [_index_scalar(p, what) for what, p in zip(("slice start", "slice stop", "slice step"), parts)
                       if p is not None]
        else:
            idx_list.append("tensor")
            inputs.append(e)
    while idx_list and idx_list[-1] == FULL_SLICE:
        idx_list.pop()
    return idx_list, inputs


def advanced_getitem(x, index):
    """``x[index]`` where ``index`` holds at least one array or mask."""
    x = as_tensor_variable(x)
    idx_list, inputs = normalize_advanced_index(x, index)
    if idx_list == ["tensor"] and inputs[0].dtype != "bool" and inputs[0].ndim >= 1:
        return AdvancedSubtensor1()(x, inputs[0])
    return AdvancedSubtensor(idx_list)(x, *inputs)


def _numpy_index(idx_list, values):
    """idx_list plus the runtime index values -> a numpy index tuple."""
    out, k = [], 0
    for entry in idx_list:
        if entry == "none":
            out.append(None)
        elif entry == "tensor":
            out.append(values[k])
            k += 1
        else:
            parts = []
            for present in entry[1:]:
                parts.append(int(values[k]) if present else None)
                k += present
            if parts[2] == 0:
                raise ValueError("slice step cannot be zero")
            out.append(slice(*parts))
    return tuple(out)


# ------------------------------------------------------------ result layout

def _broadcast_index_dims(shapes):
    """Broadcast the advanced indices' dimensions.

    ``shapes``: per index, a list of ``(broadcastable, static size, source)``; returns
    one ``(broadcastable, static size, ("broadcast", sources))`` per result dimension,
    where ``sources`` are the dimensions that may be larger than 1.
    """
    ndim = max((len(s) for s in shapes), default=0)
    padded = [[None] * (ndim - len(s)) + list(s) for s in shapes]
    dims = []
    for j in range(ndim):
        present = [p[j] for p in padded if p[j] is not None]
        bcast = all(b for b, _, _ in present)
        known = {s for b, s, _ in present if s is not None and s != 1}
        if len(known) > 1:
            raise IndexError(f"shape mismatch: the index arrays cannot be broadcast together "
                             f"(static sizes {sorted(known)} in one dimension)")
        size = known.pop() if known else (1 if bcast else None)
        dims.append((bcast, size, ("broadcast", [src for b, _, src in present if not b])))
    return dims


def _layout(x, idx_list, index_inputs):
    """The dimensions of ``x[idx]``: per output dimension ``(broadcastable, static size,
    recipe)``, the recipe saying how ``infer_shape`` computes its size."""
    out, adv_shapes, adv_positions = [], [], []
    k = d = 0
    for pos, entry in enumerate(idx_list):
        if entry == "none":
            out.append((True, 1, ("one",)))
            continue
        if entry == "tensor":
            v = index_inputs[k]
            if not isinstance(v.type, TensorType) or not is_discrete(v.dtype):
                raise TypeError(f"index {k} ({v}) must be an integer array or boolean mask, got {v.type}")
            if v.dtype == "bool":
                if v.ndim == 0:
                    raise TypeError(f"a boolean index needs at least one dimension, got the scalar {v}")
                for j in range(v.ndim):
                    sx, sm = (x.type.shape[d + j] if d + j < x.ndim else None), v.type.shape[j]
                    if sx is not None and sm is not None and sx != sm:
                        raise IndexError(f"boolean index {v} has size {sm} in its dimension {j}, but "
                                         f"dimension {d + j} of {x} has size {sx}")
                adv_shapes.append([(False, None, ("mask", k))])
                d += v.ndim
            else:
                adv_shapes.append([(b, s, ("index", k, j))
                                   for j, (b, s) in enumerate(zip(v.broadcastable, v.type.shape))])
                d += 1
            if not adv_positions:
                out.append("advanced")
            adv_positions.append(pos)
            k += 1
        else:
            n = sum(entry[1:])
            if d < x.ndim:
                if n == 0:
                    out.append((x.broadcastable[d], x.type.shape[d], ("x", d)))
                else:
                    size = Subtensor._static_len(entry, index_inputs[k:k + n], x.type.shape[d])
                    out.append((size == 1, size, ("output",)))
            k += n
            d += 1
        if d > x.ndim:
            raise IndexError(f"too many indices for {x}: the index reads {d} dimension(s), it has {x.ndim}")
    out += [(x.broadcastable[i], x.type.shape[i], ("x", i)) for i in range(d, x.ndim)]
    if adv_positions:
        index_dims = _broadcast_index_dims(adv_shapes)
        at = out.index("advanced")
        del out[at]
        # numpy: adjacent advanced indices keep their place; separated ones go first.
        if adv_positions[-1] - adv_positions[0] + 1 != len(adv_positions):
            at = 0
        out[at:at] = index_dims
    return out


def _index_desc(idx_list):
    parts = []
    for e in idx_list:
        if e == "none":
            parts.append("None")
        elif e == "tensor":
            parts.append("t")
        else:
            parts.append(":".join("s" if p else "" for p in e[1:]).rstrip(":") or ":")
    return ", ".join(parts)


def _reraise(op, exc, what):
    kind = IndexError if isinstance(exc, IndexError) else ValueError
    return kind(f"{op}: {exc} ({what})")


# ------------------------------------------------------------ native code

def _index_codes(idx_list):
    """idx_list as csrc_templates/advsub.h's entry codes."""
    codes = []
    for e in idx_list:
        if e == "none":
            codes.append(0)
        elif e == "tensor":
            codes.append(1)
        else:
            codes.append(8 + int(e[1]) + 2 * int(e[2]) + 4 * int(e[3]))
    return codes


def _lower_advanced(ctx, node, idx_list, x, index_inputs, value=None, set_instead_of_inc=False):
    """One TemplateStep: advsub_get.c.tmpl (``value`` None) or advsub_inc.c.tmpl."""
    from jitgraph.codegen import ir
    codes = _index_codes(idx_list)
    index_bufs = [ctx.buf(v) for v in index_inputs]
    bufs = {"x": ctx.buf(x)}
    params = {"codes": ", ".join(map(str, codes)) or "0", "ncodes": len(codes), "nins": len(index_bufs),
              # a buffer's name is the C variable emit_TemplateStep gives its placeholder
              "ins": ", ".join(b.name for b in index_bufs) or "NULL"}
    if value is None:
        template = "advsub_get.c.tmpl"
        params["out_ndim"] = node.outputs[0].ndim
    else:
        template = "advsub_inc.c.tmpl"
        bufs["y"] = ctx.buf(value)
        params.update(SET=int(set_instead_of_inc), what="set to" if set_instead_of_inc else "increased by",
                      update="*e = v;" if set_instead_of_inc else "*e += v;")
    bufs["out"] = ctx.result(node.outputs[0])
    ctx.add(ir.TemplateStep([node], template=template, bufs=bufs, params=params, support=("advsub.h",)))


# ------------------------------------------------------------ AdvancedSubtensor1

class AdvancedSubtensor1(Op):
    """``x[idx]`` for one integer array ``idx`` (any ndim) on axis 0: the result has shape
    ``idx.shape + x.shape[1:]``. Negative indices count from the end."""

    __props__ = ()

    def make_node(self, x, idx):
        x = as_tensor_variable(x)
        idx = as_tensor_variable(idx)
        if x.ndim == 0:
            raise IndexError(f"{self}: cannot index the scalar {x}")
        if not is_discrete(idx.dtype) or idx.dtype == "bool" or idx.ndim == 0:
            raise TypeError(f"{self}: the index must be an integer array of at least one dimension, got "
                            f"{idx} of type {idx.type}")
        bcast = idx.broadcastable + x.broadcastable[1:]
        shape = idx.type.shape + x.type.shape[1:]
        return Apply(self, [x, idx], [TensorType(x.dtype, bcast, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        x, idx = inputs
        try:
            output_storage[0][0] = x[idx]
        except IndexError as exc:
            raise _reraise(self, exc, f"input shape {x.shape}, valid indices {-x.shape[0]}..{x.shape[0] - 1}") \
                from None

    def grad(self, inputs, output_grads):
        import jitgraph.tensor as T
        x, idx = inputs
        if is_discrete(x.dtype):
            return [None, None]
        return [AdvancedIncSubtensor1()(T.zeros_like(x), output_grads[0], idx), None]

    def infer_shape(self, node, input_shapes):
        xshp, ishp = input_shapes
        return [tuple(ishp) + tuple(xshp[1:])]

    def lower(self, ctx, node):
        _lower_advanced(ctx, node, ("tensor",), node.inputs[0], node.inputs[1:])

    def inc_subtensor_node(self, node, value, set_instead_of_inc):
        x, idx = node.inputs
        return AdvancedIncSubtensor1(set_instead_of_inc)(x, _value_as(value, x), idx)


class AdvancedIncSubtensor1(Op):
    """A copy of ``x`` with ``x[idx]`` (``idx`` an integer array on axis 0) increased by
    ``y``, repeated indices accumulating; or, with ``set_instead_of_inc``, set to ``y``."""

    __props__ = ("set_instead_of_inc",)

    def __init__(self, set_instead_of_inc=False):
        self.set_instead_of_inc = bool(set_instead_of_inc)

    def __str__(self):
        return f"AdvancedIncSubtensor1{{{'set' if self.set_instead_of_inc else 'inc'}}}"

    def make_node(self, x, y, idx):
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        region = AdvancedSubtensor1().make_node(x, idx).outputs[0]
        _check_value(self, x, y, region)
        return Apply(self, [x, y, region.owner.inputs[1]], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, y, idx = inputs
        output_storage[0][0] = _set_or_inc(self, x, _in_index_order(idx), _in_index_order(y),
                                           f"valid indices {-x.shape[0]}..{x.shape[0] - 1}")

    def grad(self, inputs, output_grads):
        x, y, idx = inputs
        (gz,) = output_grads
        gx = AdvancedIncSubtensor1(True)(gz, _zero(gz), idx) if self.set_instead_of_inc else gz
        gy = _sum_to_value(AdvancedSubtensor1()(gz, idx), y)
        return [None if is_discrete(x.dtype) else gx, None if is_discrete(y.dtype) else gy, None]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def lower(self, ctx, node):
        x, y, idx = node.inputs
        _lower_advanced(ctx, node, ("tensor",), x, [idx], value=y, set_instead_of_inc=self.set_instead_of_inc)


# ------------------------------------------------------------ AdvancedSubtensor

class AdvancedSubtensor(Op):
    """``x[idx]`` for any numpy index with integer arrays or boolean masks (see module doc)."""

    __props__ = ("idx_list",)

    def __init__(self, idx_list):
        self.idx_list = tuple(idx_list)

    def __str__(self):
        return f"AdvancedSubtensor{{{_index_desc(self.idx_list)}}}"

    def make_node(self, x, *index_inputs):
        x = as_tensor_variable(x)
        index_inputs = [as_tensor_variable(i) for i in index_inputs]
        wanted = sum(1 if e == "tensor" else (0 if e == "none" else sum(e[1:])) for e in self.idx_list)
        if len(index_inputs) != wanted:
            raise TypeError(f"{self}: {wanted} index input(s) expected, got {len(index_inputs)}")
        dims = _layout(x, self.idx_list, index_inputs)
        bcast = [b or s == 1 for b, s, _ in dims]
        shape = [s for _, s, _ in dims]
        return Apply(self, [x] + index_inputs, [TensorType(x.dtype, bcast, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        idx = _numpy_index(self.idx_list, inputs[1:])
        try:
            out = np.asarray(x[idx])
        except IndexError as exc:
            raise _reraise(self, exc, f"input shape {x.shape}, index {_describe(idx)}") from None
        if np.may_share_memory(out, x):   # only integer scalars: numpy made a view
            out = out.copy()
        output_storage[0][0] = out

    def grad(self, inputs, output_grads):
        import jitgraph.tensor as T
        x, idx_inputs = inputs[0], inputs[1:]
        if is_discrete(x.dtype):
            return [None] * len(inputs)
        gx = AdvancedIncSubtensor(self.idx_list)(T.zeros_like(x), output_grads[0], *idx_inputs)
        return [gx] + [None] * len(idx_inputs)

    def infer_shape(self, node, input_shapes):
        import jitgraph.tensor as T
        xshp = input_shapes[0]
        dims = _layout(node.inputs[0], self.idx_list, node.inputs[1:])
        out = []
        for k, (_, _, recipe) in enumerate(dims):
            kind = recipe[0]
            if kind == "x":
                out.append(xshp[recipe[1]])
            elif kind == "one":
                out.append(constant(np.int64(1)))
            elif kind == "output":   # a slice with bounds: its length is known once computed
                out.append(T.shape(node.outputs[0])[k])
            else:
                sizes = []
                for src in recipe[1]:
                    if src[0] == "mask":
                        sizes.append(T.sum(node.inputs[1 + src[1]]))
                    else:
                        sizes.append(input_shapes[1 + src[1]][src[2]])
                out.append(_broadcast_size(sizes))
        return [tuple(out)]

    def lower(self, ctx, node):
        _lower_advanced(ctx, node, self.idx_list, node.inputs[0], node.inputs[1:])

    def inc_subtensor_node(self, node, value, set_instead_of_inc):
        x = node.inputs[0]
        return AdvancedIncSubtensor(self.idx_list, set_instead_of_inc)(x, _value_as(value, x), *node.inputs[1:])


class AdvancedIncSubtensor(Op):
    """A copy of ``x`` with ``x[idx]`` (any advanced index) increased by ``y`` (repeated
    positions accumulate, as ``np.add.at``), or set to ``y`` with ``set_instead_of_inc``."""

    __props__ = ("idx_list", "set_instead_of_inc")

    def __init__(self, idx_list, set_instead_of_inc=False):
        self.idx_list = tuple(idx_list)
        self.set_instead_of_inc = bool(set_instead_of_inc)

    def __str__(self):
        return (f"AdvancedIncSubtensor{{{'set' if self.set_instead_of_inc else 'inc'}; "
                f"{_index_desc(self.idx_list)}}}")

    def make_node(self, x, y, *index_inputs):
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        region = AdvancedSubtensor(self.idx_list).make_node(x, *index_inputs).outputs[0]
        _check_value(self, x, y, region)
        return Apply(self, [x, y] + region.owner.inputs[1:], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, y = inputs[0], inputs[1]
        idx = tuple(_in_index_order(i) for i in _numpy_index(self.idx_list, inputs[2:]))
        output_storage[0][0] = _set_or_inc(self, x, idx, _in_index_order(y), f"index {_describe(idx)}")

    def grad(self, inputs, output_grads):
        x, y, idx_inputs = inputs[0], inputs[1], inputs[2:]
        (gz,) = output_grads
        if self.set_instead_of_inc:
            gx = AdvancedIncSubtensor(self.idx_list, True)(gz, _zero(gz), *idx_inputs)
        else:
            gx = gz
        # As in Theano: with set and a repeated position, every write gets that position's
        # gradient, though only the last one survives.
        gy = _sum_to_value(AdvancedSubtensor(self.idx_list)(gz, *idx_inputs), y)
        return ([None if is_discrete(x.dtype) else gx, None if is_discrete(y.dtype) else gy]
                + [None] * len(idx_inputs))

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def lower(self, ctx, node):
        _lower_advanced(ctx, node, self.idx_list, node.inputs[0], node.inputs[2:], value=node.inputs[1],
                        set_instead_of_inc=self.set_instead_of_inc)


# ------------------------------------------------------------ helpers shared by the ops

def _describe(idx):
    parts = []
    for i in idx:
        if isinstance(i, np.ndarray) and i.ndim > 0:
            parts.append(f"{i.dtype} array {i.tolist()}" if i.size <= 10 else f"{i.dtype} array of shape {i.shape}")
        else:
            parts.append(repr(i))
    return "(" + ", ".join(parts) + ")"


def _in_index_order(a):
    """An index array or value as a C-contiguous array. numpy visits repeated positions
    in an order that follows memory layout (all of them reversed or Fortran-ordered flips
    it), which decides the last write of a set and the rounding of an inc; on C-contiguous
    arrays it is the index's own C order, as in Theano and the native code."""
    if isinstance(a, np.ndarray) and a.ndim > 0 and not a.flags.c_contiguous:
        return np.ascontiguousarray(a)
    return a


def _set_or_inc(op, x, idx, y, index_text):
    """The reference of the set/inc ops: a copy of x with x[idx] set to, or increased by
    (repeated positions accumulating, np.add.at), y."""
    out = x.copy()
    try:
        if op.set_instead_of_inc:
            out[idx] = y
        else:
            np.add.at(out, idx, y)
    except (IndexError, ValueError) as exc:
        raise _reraise(op, exc, f"x shape {x.shape}, value shape {np.shape(y)}, {index_text}") from None
    return out


def _value_as(value, x):
    """The value of set/inc_subtensor in ``x``'s dtype (Theano casts silently)."""
    import jitgraph.tensor as T
    value = as_tensor_variable(value)
    return T.cast(value, x.dtype) if value.dtype != x.dtype else value


def _check_value(op, x, y, region):
    if y.dtype != x.dtype:
        raise TypeError(f"{op}: the value {y} has dtype {y.dtype}, {x.dtype} (the dtype of {x}) expected; "
                        f"set_subtensor/inc_subtensor cast it for you")
    if y.ndim > region.ndim:
        raise TypeError(f"{op}: cannot write a {y.ndim}-dimensional value into a {region.ndim}-dimensional "
                        f"indexed region of {x}")
    for sy, sr in zip(y.type.shape[::-1], region.type.shape[::-1]):
        if sy is not None and sr is not None and sy != 1 and sy != sr:
            raise ValueError(f"{op}: a value of static shape {y.type.shape} cannot be broadcast to the "
                             f"indexed region's shape {region.type.shape}")


def _zero(like):
    return constant(np.zeros((), dtype=like.dtype))


def _sum_to_value(g, y):
    """The gradient ``g`` (shaped like the indexed region) summed down to ``y``'s type."""
    import jitgraph.tensor as T
    if g.ndim > y.ndim:
        g = T.sum(g, axis=list(range(g.ndim - y.ndim)))
    axes = [i for i, (b, gb) in enumerate(zip(y.broadcastable, g.broadcastable)) if b and not gb]
    if axes:
        g = T.sum(g, axis=axes, keepdims=True)
    g = T.patternbroadcast(g, y.broadcastable)
    return T.cast(g, y.dtype)


def _broadcast_size(sizes):
    """Symbolic size of broadcasting dimensions of the given sizes (each 1 or a common n)."""
    import jitgraph.tensor as T
    if not sizes:
        return constant(np.int64(1))
    if len(sizes) == 1:
        return sizes[0]
    largest, smallest = T.maximum(*sizes[:2]), T.minimum(*sizes[:2])
    for s in sizes[2:]:
        largest, smallest = T.maximum(largest, s), T.minimum(smallest, s)
    # an empty index broadcast against a length-1 one gives an empty result
    return T.switch(T.eq(smallest, 0), constant(np.int64(0)), largest)


# ------------------------------------------------------------ Theano's function names

def advanced_subtensor1(x, idx):
    return AdvancedSubtensor1()(x, idx)


def advanced_inc_subtensor1(x, y, idx):
    x = as_tensor_variable(x)
    return AdvancedIncSubtensor1()(x, _value_as(y, x), idx)


def advanced_set_subtensor1(x, y, idx):
    x = as_tensor_variable(x)
    return AdvancedIncSubtensor1(True)(x, _value_as(y, x), idx)


def advanced_subtensor(x, *index):
    """``x[index]`` with the index entries given as arguments."""
    x = as_tensor_variable(x)
    idx_list, inputs = normalize_advanced_index(x, tuple(index))
    return AdvancedSubtensor(idx_list)(x, *inputs)


def advanced_inc_subtensor(x, y, *index):
    from jitgraph.tensor.subtensor import inc_subtensor
    return inc_subtensor(advanced_subtensor(x, *index), y)


def advanced_set_subtensor(x, y, *index):
    from jitgraph.tensor.subtensor import set_subtensor
    return set_subtensor(advanced_subtensor(x, *index), y)


def take(a, indices, axis=None, mode="raise"):
    """Elements of ``a`` at ``indices`` along ``axis`` (None: of the flattened ``a``);
    ``mode`` 'raise' (out of range is an error), 'wrap' or 'clip'."""
    import jitgraph.tensor as T
    a, indices = as_tensor_variable(a), _as_index_tensor(indices)
    if indices.dtype == "bool":
        raise TypeError(f"take: indices must be integers, got the boolean {indices}")
    if axis is None:
        a, axis = T.flatten(a), 0
    if not -a.ndim <= axis < a.ndim:
        raise ValueError(f"take: axis {axis} is out of range for {a} with {a.ndim} dimension(s)")
    axis %= a.ndim
    if mode == "wrap":
        indices = T.mod(indices, a.shape[axis])
    elif mode == "clip":
        indices = T.clip(indices, 0, a.shape[axis] - 1)
    elif mode != "raise":
        raise ValueError(f"take: mode {mode!r}: expected 'raise', 'wrap' or 'clip'")
    return advanced_getitem(a, (slice(None),) * axis + (indices,))


__all__ = ["AdvancedSubtensor1", "AdvancedIncSubtensor1", "AdvancedSubtensor", "AdvancedIncSubtensor",
           "advanced_subtensor1", "advanced_inc_subtensor1", "advanced_set_subtensor1", "advanced_subtensor",
           "advanced_inc_subtensor", "advanced_set_subtensor", "take"]
