"""Basic indexing: integers and slices with constant or symbolic bounds, None, Ellipsis;
``set_subtensor`` / ``inc_subtensor``.

``idx_list`` describes the index per dimension: ``"int"`` consumes one scalar input;
``("slice", has_start, has_stop, has_step)`` consumes one input for each part present.
Bounds are always graph inputs (constants included), so equal indexings merge.
"""
import numpy as np

from jitgraph.graph.basic import Apply, Constant, Op, Variable
from jitgraph.scalar.basic import is_discrete
from jitgraph.tensor.type import TensorType
from jitgraph.tensor.var import as_tensor_variable, constant


def _index_scalar(v, what):
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return constant(np.int64(v))
    if isinstance(v, Variable):
        v = as_tensor_variable(v)
        if v.ndim != 0 or not is_discrete(v.dtype) or v.dtype == "bool":
            raise TypeError(f"{what} must be an integer scalar, got {v} of type {v.type}")
        return v
    raise TypeError(f"{what} must be an int or a symbolic integer scalar, got {type(v).__name__} {v!r}")


def _build_index(idx_list, values):
    """Turn idx_list plus the runtime index values into a numpy index tuple."""
    out, k = [], 0
    for entry in idx_list:
        if entry == "int":
            out.append(int(values[k]))
            k += 1
        else:
            parts = []
            for present in entry[1:]:
                if present:
                    parts.append(int(values[k]))
                    k += 1
                else:
                    parts.append(None)
            if parts[2] == 0:
                raise ValueError("slice step cannot be zero")
            out.append(slice(*parts))
    return tuple(out)


class Subtensor(Op):
    """``x[idx]`` for basic indices; the result is a view of ``x``."""

    __props__ = ("idx_list",)
    view_map = {0: [0]}

    def __init__(self, idx_list):
        self.idx_list = tuple(idx_list)

    def __str__(self):
        parts = []
        for e in self.idx_list:
            parts.append("i" if e == "int" else ":".join("s" if p else "" for p in e[1:]).rstrip(":") or ":")
        return f"Subtensor{{{', '.join(parts)}}}"

    def make_node(self, x, *index_inputs):
        x = as_tensor_variable(x)
        if len(self.idx_list) > x.ndim:
            raise IndexError(f"too many indices ({len(self.idx_list)}) for a {x.ndim}-d variable {x}")
        index_inputs = [as_tensor_variable(i) for i in index_inputs]
        bcast, shape, k = [], [], 0
        for d, entry in enumerate(self.idx_list):
            if entry == "int":
                k += 1
                continue
            n = sum(entry[1:])
            parts = index_inputs[k:k + n]
            k += n
            full = n == 0
            bcast.append(x.broadcastable[d] if full else False)
            shape.append(x.type.shape[d] if full else self._static_len(entry, parts, x.type.shape[d]))
        bcast += list(x.broadcastable[len(self.idx_list):])
        shape += list(x.type.shape[len(self.idx_list):])
        bcast = [b or s == 1 for b, s in zip(bcast, shape)]
        return Apply(self, [x] + index_inputs, [TensorType(x.dtype, bcast, shape=shape)()])

    @staticmethod
    def _static_len(entry, parts, size):
        if size is None or not all(isinstance(p, Constant) for p in parts):
            return None
        vals, k = [], 0
        for present in entry[1:]:
            if present:
                vals.append(int(parts[k].data))
                k += 1
            else:
                vals.append(None)
        if vals[2] == 0:
            raise ValueError("slice step cannot be zero")
        return len(range(*slice(*vals).indices(size)))

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        idx = _build_index(self.idx_list, inputs[1:])
        try:
            output_storage[0][0] = x[idx]
        except IndexError as exc:
            raise IndexError(f"{self}: {exc} (input shape {x.shape}, index {idx})") from None

    def grad(self, inputs, output_grads):
        x = inputs[0]
        (gz,) = output_grads
        if is_discrete(x.dtype):
            return [None] * len(inputs)
        import jitgraph.tensor as T
        gx = IncSubtensor(self.idx_list)(T.zeros_like(x), gz, *inputs[1:])
        return [gx] + [None] * (len(inputs) - 1)

    def infer_shape(self, node, input_shapes):
        import jitgraph.tensor as T
        out, k = [], 0
        xshp = input_shapes[0]
        for d, entry in enumerate(self.idx_list):
            if entry == "int":
                k += 1
                continue
            n = sum(entry[1:])
            if n == 0:
                out.append(xshp[d])
            else:
                out.append(T.shape(node.outputs[0])[len(out)])
            k += n
        out += list(xshp[len(self.idx_list):])
        return [tuple(out)]


class IncSubtensor(Op):
    """A copy of ``x`` with ``x[idx]`` increased by (or set to) ``y``."""

    __props__ = ("idx_list", "set_instead_of_inc")

    def __init__(self, idx_list, set_instead_of_inc=False):
        self.idx_list = tuple(idx_list)
        self.set_instead_of_inc = set_instead_of_inc

    def __str__(self):
        return f"{'SetSubtensor' if self.set_instead_of_inc else 'IncSubtensor'}{{{len(self.idx_list)}}}"

    def make_node(self, x, y, *index_inputs):
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        index_inputs = [as_tensor_variable(i) for i in index_inputs]
        region = Subtensor(self.idx_list).make_node(x, *index_inputs).outputs[0]
        if y.ndim > region.ndim:
            raise ValueError(f"{self}: value has {y.ndim} dimensions, the indexed region only {region.ndim}")
        return Apply(self, [x, y] + index_inputs, [x.type()])

    def perform(self, node, inputs, output_storage):
        x, y = inputs[0], inputs[1]
        idx = _build_index(self.idx_list, inputs[2:])
        out = x.copy()
        try:
            if self.set_instead_of_inc:
                out[idx] = y
            else:
                out[idx] += y
        except (IndexError, ValueError) as exc:
            # an index out of bounds stays an IndexError, as in Subtensor and numpy
            raise type(exc)(f"{self}: {exc} (x shape {x.shape}, value shape {np.shape(y)}, index {idx})") from None
        output_storage[0][0] = out

    def grad(self, inputs, output_grads):
        import jitgraph.tensor as T
        x, y = inputs[0], inputs[1]
        idx_inputs = inputs[2:]
        (gz,) = output_grads
        if self.set_instead_of_inc:
            gx = IncSubtensor(self.idx_list, True)(gz, T.zeros_like(y), *idx_inputs)
        else:
            gx = gz
        gy = Subtensor(self.idx_list)(gz, *idx_inputs)
        if gy.ndim > y.ndim:
            gy = T.sum(gy, axis=list(range(gy.ndim - y.ndim)))
        axes = [i for i, (b, gb) in enumerate(zip(y.broadcastable, gy.broadcastable)) if b and not gb]
        if axes:
            gy = T.sum(gy, axis=axes, keepdims=True)
        gy = T.patternbroadcast(gy, y.broadcastable)
        return [None if is_discrete(x.dtype) else gx,
                None if is_discrete(y.dtype) else T.cast(gy, y.dtype)] + [None] * len(idx_inputs)

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


def _normalize_index(x, index):
    """Split a Python index into (idx_list, index inputs, positions of None)."""
    if not isinstance(index, tuple):
        index = (index,)
    if sum(i is Ellipsis for i in index) > 1:
        raise IndexError("an index can only have a single ellipsis")
    n_real = sum(1 for i in index if i is not None and i is not Ellipsis)
    if Ellipsis in [i for i in index if i is Ellipsis]:
        pos = next(k for k, i in enumerate(index) if i is Ellipsis)
        index = index[:pos] + (slice(None),) * (x.ndim - n_real) + index[pos + 1:]
    idx_list, inputs, newaxes, out_dim = [], [], [], 0
    for i in index:
        if i is None:
            newaxes.append(out_dim)
            out_dim += 1
            continue
        if isinstance(i, slice):
            parts = [i.start, i.stop, i.step]
            present = [p is not None for p in parts]
            idx_list.append(("slice",) + tuple(present))
            for what, p in zip(("slice start", "slice stop", "slice step"), parts):
                if p is not None:
                    inputs.append(_index_scalar(p, what))
            out_dim += 1
            continue
        if _is_advanced(i):   # getitem sends these to advanced_subtensor
            raise TypeError(f"basic indexing got the array index {i!r}; use x[...] (getitem)")
        idx_list.append("int")
        inputs.append(_index_scalar(i, "an index"))
    if len(idx_list) > x.ndim:
        raise IndexError(f"too many indices ({len(idx_list)}) for {x} with {x.ndim} dimension(s)")
    return idx_list, inputs, newaxes


def _is_advanced(i):
    if isinstance(i, (list, np.ndarray)):
        return True
    if isinstance(i, Variable):
        return getattr(i.type, "ndim", 0) > 0 or getattr(i, "dtype", None) == "bool"
    return False


def getitem(x, index):
    """``x[index]`` for a tensor variable ``x``."""
    import jitgraph.tensor as T
    if any(_is_advanced(i) for i in (index if isinstance(index, tuple) else (index,))):
        from jitgraph.tensor.advanced_subtensor import advanced_getitem
        return advanced_getitem(x, index)
    idx_list, inputs, newaxes = _normalize_index(x, index)
    while idx_list and idx_list[-1] == ("slice", False, False, False):
        idx_list.pop()
    out = Subtensor(idx_list)(x, *inputs) if idx_list else x
    if newaxes:
        order = list(range(out.ndim))
        for pos in newaxes:
            order.insert(pos, "x")
        out = T.dimshuffle(out, order)
    return out


def _inc_or_set(target, value, set_instead_of_inc):
    target = as_tensor_variable(target)
    node = target.owner
    if node is None or not isinstance(node.op, Subtensor):
        if node is not None and hasattr(node.op, "inc_subtensor_node"):
            return node.op.inc_subtensor_node(node, value, set_instead_of_inc)
        if node is not None and type(node.op).__name__ == "DimShuffle":
            raise TypeError("set_subtensor/inc_subtensor: index with None/newaxis is not supported "
                            "as a target; index without it")
        raise TypeError(f"set_subtensor/inc_subtensor need an indexed variable such as x[1:3] as "
                        f"target, got {target}")
    x = node.inputs[0]
    value = as_tensor_variable(value)
    if value.dtype != x.dtype:
        import jitgraph.tensor as T
        value = T.cast(value, x.dtype)
    return IncSubtensor(node.op.idx_list, set_instead_of_inc)(x, value, *node.inputs[1:])


def set_subtensor(x, y):
    """A copy of the variable indexed by ``x`` (e.g. ``a[1:3]``) with that region set to ``y``."""
    return _inc_or_set(x, y, True)


def inc_subtensor(x, y):
    """A copy of the variable indexed by ``x`` with that region increased by ``y``."""
    return _inc_or_set(x, y, False)


__all__ = ["Subtensor", "IncSubtensor", "set_subtensor", "inc_subtensor"]
