"""Reductions, argmax/argmin and matrix products."""
import builtins

import numpy as np

from jitgraph.graph.basic import Apply, Op
from jitgraph.scalar import basic as scal
from jitgraph.scalar.basic import is_discrete, upcast
from jitgraph.tensor.basic import cast, elemwise_op, sqrt
from jitgraph.tensor.elemwise import CAReduce, normalize_axis
from jitgraph.tensor.shape import dimshuffle, reshape, shape, shape_padright
from jitgraph.tensor.type import TensorType, normalize_dtype
from jitgraph.tensor.var import as_tensor_variable


def _sum_dtype(dtype):
    if dtype == "bool" or dtype in scal.INT_DTYPES:
        return "int64"
    if dtype in scal.UINT_DTYPES:
        return "uint64"
    return dtype


def _keepdims(x, out, axis):
    order, k = [], 0
    for d in range(x.ndim):
        if d in axis:
            order.append("x")
        else:
            order.append(k)
            k += 1
    return dimshuffle(out, order)


def _reduce(name, x, axis, keepdims, dtype=None):
    x = as_tensor_variable(x)
    axis = normalize_axis(axis, x.ndim)
    out = CAReduce(scal.get_scalar_op(name), axis, dtype)(x) if axis else x
    if dtype and out.dtype != dtype:
        out = cast(out, dtype)
    return _keepdims(x, out, axis) if keepdims else out


def sum(x, axis=None, dtype=None, keepdims=False, acc_dtype=None):
    """Sum over ``axis`` (None: all). Integers sum into int64 (unsigned into uint64)."""
    x = as_tensor_variable(x)
    dtype = normalize_dtype(dtype) if dtype is not None else _sum_dtype(x.dtype)
    return _reduce("add", x, axis, keepdims, dtype)


def prod(x, axis=None, dtype=None, keepdims=False, acc_dtype=None, no_zeros_in_input=False):
    """Product over ``axis``. The gradient is exact with zeros in the input, so
    ``no_zeros_in_input`` (Theano's shortcut) changes nothing."""
    x = as_tensor_variable(x)
    dtype = normalize_dtype(dtype) if dtype is not None else _sum_dtype(x.dtype)
    return _reduce("mul", x, axis, keepdims, dtype)


def max(x, axis=None, keepdims=False):
    return _reduce("maximum", x, axis, keepdims)


def min(x, axis=None, keepdims=False):
    return _reduce("minimum", x, axis, keepdims)


def all(x, axis=None, keepdims=False):
    return _reduce("and_", cast(x, "bool"), axis, keepdims)


def any(x, axis=None, keepdims=False):
    return _reduce("or_", cast(x, "bool"), axis, keepdims)


def mean(x, axis=None, dtype=None, op=False, keepdims=False, acc_dtype=None):
    """Arithmetic mean over ``axis``; integer inputs give float64. ``op`` (Theano's choice
    between a Mean op and sum/size) gives the same value either way."""
    x = as_tensor_variable(x)
    axis_t = normalize_axis(axis, x.ndim)
    if dtype is not None:
        sum_dtype = normalize_dtype(dtype)
    else:
        sum_dtype = "float64" if is_discrete(x.dtype) else x.dtype
    s = sum(x, axis=axis_t, dtype=sum_dtype, keepdims=keepdims)
    if not axis_t:
        return s
    shp = shape(x)
    count = None
    for a in axis_t:
        count = shp[a] if count is None else count * shp[a]
    return elemwise_op("true_div")(s, cast(count, s.dtype))


def var(x, axis=None, ddof=0, keepdims=False, corrected=False):
    """Variance over ``axis`` (``ddof=1`` or ``corrected=True`` for the unbiased estimate)."""
    x = as_tensor_variable(x)
    axis_t = normalize_axis(axis, x.ndim)
    centered = x - mean(x, axis=axis_t, keepdims=True)
    ddof = 1 if corrected else ddof
    if not ddof:
        return mean(centered * centered, axis=axis_t, keepdims=keepdims)
    s = sum(centered * centered, axis=axis_t, keepdims=keepdims)
    shp = shape(x)
    count = None
    for a in axis_t:
        count = shp[a] if count is None else count * shp[a]
    return s / cast(count - ddof, s.dtype)


def std(x, axis=None, ddof=0, keepdims=False, corrected=False):
    return sqrt(var(x, axis=axis, keepdims=keepdims, ddof=ddof, corrected=corrected))


class Argmax(Op):
    """Index of the max (or min) over ``axis``, as int64."""

    __props__ = ("axis", "minimum")

    def __init__(self, axis, minimum=False):
        self.axis = tuple(axis)
        self.minimum = minimum

    def __str__(self):
        return f"{'Argmin' if self.minimum else 'Argmax'}{{axis={list(self.axis)}}}"

    def make_node(self, x):
        x = as_tensor_variable(x)
        keep = [d for d in range(x.ndim) if d not in self.axis]
        out = TensorType("int64", [x.broadcastable[d] for d in keep], shape=[x.type.shape[d] for d in keep])
        return Apply(self, [x], [out()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        keep = [d for d in range(x.ndim) if d not in self.axis]
        if builtins.any(x.shape[a] == 0 for a in self.axis):
            raise ValueError(f"{self}: empty axis in input of shape {x.shape}")
        moved = np.transpose(x, keep + list(self.axis))
        flat = moved.reshape(moved.shape[:len(keep)] + (-1,))
        fn = np.argmin if self.minimum else np.argmax
        output_storage[0][0] = np.asarray(fn(flat, axis=-1), dtype="int64")

    def grad(self, inputs, output_grads):
        return [None]

    def infer_shape(self, node, input_shapes):
        return [tuple(s for d, s in enumerate(input_shapes[0]) if d not in self.axis)]


def argmax(x, axis=None, keepdims=False):
    x = as_tensor_variable(x)
    axis_t = normalize_axis(axis, x.ndim)
    out = Argmax(axis_t)(x)
    return _keepdims(x, out, axis_t) if keepdims else out


def argmin(x, axis=None, keepdims=False):
    x = as_tensor_variable(x)
    axis_t = normalize_axis(axis, x.ndim)
    out = Argmax(axis_t, minimum=True)(x)
    return _keepdims(x, out, axis_t) if keepdims else out


class Dot(Op):
    """Matrix/vector products of 1- and 2-d operands (numpy's ``dot``)."""

    def make_node(self, x, y):
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        if x.ndim not in (1, 2) or y.ndim not in (1, 2):
            raise TypeError(f"Dot takes 1- or 2-d operands, got {x.ndim}-d and {y.ndim}-d")
        kx, ky = x.type.shape[-1], y.type.shape[0]
        if kx is not None and ky is not None and kx != ky:
            raise ValueError(f"dot: inner dimensions differ: {x.type.shape} . {y.type.shape}")
        bcast = list(x.broadcastable[:-1]) + list(y.broadcastable[1:])
        shp = list(x.type.shape[:-1]) + list(y.type.shape[1:])
        return Apply(self, [x, y], [TensorType(upcast(x.dtype, y.dtype), bcast, shape=shp)()])

    def perform(self, node, inputs, output_storage):
        x, y = inputs
        dtype = node.outputs[0].type.numpy_dtype
        if x.shape[-1] != y.shape[0]:
            raise ValueError(f"Dot: inner dimensions differ: x has shape {x.shape}, y has shape {y.shape}")
        output_storage[0][0] = np.asarray(np.dot(x.astype(dtype, copy=False), y.astype(dtype, copy=False)),
                                          dtype=dtype)

    def grad(self, inputs, output_grads):
        x, y = inputs
        (gz,) = output_grads
        if x.ndim == 2 and y.ndim == 2:
            gx, gy = dot(gz, y.T), dot(x.T, gz)
        elif x.ndim == 2:
            gx, gy = outer(gz, y), dot(x.T, gz)
        elif y.ndim == 2:
            gx, gy = dot(y, gz), outer(x, gz)
        else:
            gx, gy = gz * y, gz * x
        out = []
        for v, g in ((x, gx), (y, gy)):
            if is_discrete(v.dtype):
                out.append(None)
                continue
            if g.dtype != v.dtype:
                g = cast(g, v.dtype)
            if g.broadcastable != v.broadcastable:
                from jitgraph.tensor.shape import patternbroadcast
                g = patternbroadcast(g, v.broadcastable)
            out.append(g)
        return out

    def infer_shape(self, node, input_shapes):
        sx, sy = input_shapes
        return [tuple(sx[:-1]) + tuple(sy[1:])]


_dot = Dot()


def dot(x, y):
    """numpy's ``dot`` for any ranks: scalars multiply, 1-/2-d use Dot, higher ranks
    contract x's last axis with y's second-to-last."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim == 0 or y.ndim == 0:
        return x * y
    if x.ndim <= 2 and y.ndim <= 2:
        return _dot(x, y)
    return tensordot(x, y, axes=[[x.ndim - 1], [builtins.max(y.ndim - 2, 0)]])


def outer(x, y):
    """Outer product of two vectors (flattened if needed)."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim != 1:
        x = x.flatten()
    if y.ndim != 1:
        y = y.flatten()
    return dimshuffle(x, [0, "x"]) * dimshuffle(y, ["x", 0])


def tensordot(a, b, axes=2):
    """Sum products over the given axes (numpy's ``tensordot``), via transposes, reshapes and Dot.

    ``axes``: an int n (a's last n axes with b's first n) or a pair of axis lists."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= builtins.min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: axes={axes} must be between 0 and the smaller rank "
                             f"({a.ndim}-d and {b.ndim}-d operands)")
        axes = [list(range(a.ndim - axes, a.ndim)), list(range(axes))]
    if len(axes) != 2:
        raise ValueError(f"tensordot: axes must be an int or a pair of axis lists, got {axes!r}")
    a_axes = _tensordot_axes(axes[0], a, "a")
    b_axes = _tensordot_axes(axes[1], b, "b")
    if len(a_axes) != len(b_axes):
        raise ValueError(f"tensordot: axes {axes} pair {len(a_axes)} with {len(b_axes)} axes")
    for da, db in zip(a_axes, b_axes):
        sa_d, sb_d = a.type.shape[da], b.type.shape[db]
        if sa_d is not None and sb_d is not None and sa_d != sb_d:
            raise ValueError(f"tensordot: axis {da} of a (static shape {a.type.shape}) has size {sa_d} "
                             f"but axis {db} of b (static shape {b.type.shape}) has size {sb_d}")
    a_free = [d for d in range(a.ndim) if d not in a_axes]
    b_free = [d for d in range(b.ndim) if d not in b_axes]
    at = dimshuffle(a, a_free + a_axes)
    bt = dimshuffle(b, b_axes + b_free)
    sa, sb = shape(a), shape(b)
    # each operand reshaped with its own summed size, so a mismatch reaches Dot's shape check
    a2 = reshape(at, [_prod_dims(sa, a_free), _prod_dims(sa, a_axes)], ndim=2)
    b2 = reshape(bt, [_prod_dims(sb, b_axes), _prod_dims(sb, b_free)], ndim=2)
    out_shape = [sa[d] for d in a_free] + [sb[d] for d in b_free]
    res = _dot(a2, b2)
    return reshape(res, out_shape, ndim=len(out_shape))


def _tensordot_axes(axes, x, what):
    axes = [int(i) for i in np.atleast_1d(axes)]
    for i in axes:
        if not -x.ndim <= i < x.ndim:
            raise ValueError(f"tensordot: axis {i} is out of range for {what}, a {x.ndim}-d operand")
    axes = [i % x.ndim for i in axes]
    if len(set(axes)) != len(axes):
        raise ValueError(f"tensordot: axes {axes} of {what} repeat an axis")
    return axes


def _prod_dims(shp, dims):
    from jitgraph.tensor.var import constant
    out = constant(np.int64(1))
    for d in dims:
        out = out * shp[d]
    return out


def batched_dot(a, b):
    """``batched_dot(a, b)[i] = dot(a[i], b[i])`` over the leading (batch) dimension, as
    Theano's: a vector operand scales the other's rows; 2- and 3-d operands multiply."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        raise TypeError(f"batched_dot: both operands need a batch axis, got {a.ndim}-d and {b.ndim}-d")
    if a.ndim == 1:
        return a.dimshuffle(*([0] + ["x"] * (b.ndim - 1))) * b
    if b.ndim == 1:
        return a * b.dimshuffle(*([0] + ["x"] * (a.ndim - 1)))
    if a.ndim == 2 and b.ndim == 2:
        return sum(a * b, axis=1)
    if a.ndim == 3 and b.ndim == 2:
        return sum(a * b.dimshuffle(0, "x", 1), axis=2)
    if a.ndim == 2 and b.ndim == 3:
        return sum(shape_padright(a) * b, axis=1)
    if a.ndim == 3 and b.ndim == 3:
        return sum(a.dimshuffle(0, 1, 2, "x") * b.dimshuffle(0, "x", 1, 2), axis=2)
    raise TypeError(f"batched_dot: operands of more than 3 dimensions are not supported "
                    f"(got {a.ndim}-d and {b.ndim}-d)")


def matmul(a, b):
    """numpy's ``matmul`` (the ``@`` operator): ``dot`` for 1- and 2-d operands; above that,
    a stack of matrix products over the leading dimensions (which broadcast as in Elemwise).
    Theano has no ``@``; this is its obvious meaning."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul (@): scalar operands are not allowed, use * instead")
    if a.ndim <= 2 and b.ndim <= 2:
        return dot(a, b)
    a2 = a.dimshuffle("x", 0) if a.ndim == 1 else a
    b2 = b.dimshuffle(0, "x") if b.ndim == 1 else b
    nd = builtins.max(a2.ndim, b2.ndim)
    from jitgraph.tensor.shape import shape_padleft
    a2, b2 = shape_padleft(a2, nd - a2.ndim), shape_padleft(b2, nd - b2.ndim)
    lead = list(range(nd - 2))
    # (..., i, k, 1) * (..., 1, k, j) summed over k
    out = sum(a2.dimshuffle(*lead, nd - 2, nd - 1, "x") * b2.dimshuffle(*lead, "x", nd - 2, nd - 1),
              axis=nd - 1)
    if a.ndim == 1:
        out = out.dimshuffle(*lead, nd - 1)
    if b.ndim == 1:
        out = out.dimshuffle(*range(out.ndim - 1))
    return out


def norm(x, L, axis=None, keepdims=False):
    if L == 1:
        return sum(abs(x), axis=axis, keepdims=keepdims)
    if L == 2:
        return sqrt(sum(x * x, axis=axis, keepdims=keepdims))
    return sum(abs(x) ** L, axis=axis, keepdims=keepdims) ** (1.0 / L)


__all__ = ["sum", "prod", "max", "min", "all", "any", "mean", "var", "std", "argmax", "argmin",
           "dot", "outer", "tensordot", "batched_dot", "matmul", "norm", "Dot", "Argmax"]
