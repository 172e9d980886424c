"""Joining and splitting along an axis: ``Join`` (``join``, ``concatenate``,
``vertical_stack``, ``horizontal_stack``, ``stacklists``) and its inverse ``Split``.

As in Theano the axis is the first graph input of both ops, so it may be symbolic.
A constant axis is stored normalised (non-negative), so equal joins merge; the native
backend reads it from that constant.
"""
import numpy as np

from jitgraph.graph.basic import Apply, Constant, Op
from jitgraph.scalar.basic import is_discrete, upcast
from jitgraph.tensor.type import TensorType
from jitgraph.tensor.var import as_tensor_variable, constant

AxisError = np.exceptions.AxisError if hasattr(np, "exceptions") else np.AxisError


def check_axis(axis, ndim, what):
    """A Python int axis in ``[-ndim, ndim)`` made non-negative; else an AxisError
    (both an IndexError and a ValueError, as in numpy)."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{what}: axis must be an int, got {type(axis).__name__} {axis!r}")
    if not -ndim <= axis < ndim:
        raise AxisError(int(axis), ndim, what)
    return int(axis) % ndim


def _axis_input(axis, ndim, what):
    """The axis as a graph input: a normalised int64 constant, or a symbolic int scalar."""
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, (bool, np.bool_)):
        return constant(np.int64(check_axis(axis, ndim, what)))
    axis = as_tensor_variable(axis)
    if axis.ndim != 0 or not is_discrete(axis.dtype) or axis.dtype == "bool":
        raise TypeError(f"{what}: axis must be an integer scalar, got {axis} of type {axis.type}")
    if isinstance(axis, Constant):
        return constant(np.int64(check_axis(int(axis.data), ndim, what)))
    return axis


def _constant_axis(axis_var):
    return int(axis_var.data) if isinstance(axis_var, Constant) else None


def _runtime_axis(value, ndim, what):
    axis = int(value)
    if not -ndim <= axis < ndim:
        raise AxisError(axis, ndim, what)
    return axis % ndim


def _symbolic_axis(axis_var, ndim):
    """A symbolic axis made non-negative (for shape expressions)."""
    import jitgraph.tensor as T
    return T.switch(T.lt(axis_var, 0), axis_var + ndim, axis_var)


class Join(Op):
    """``Join()(axis, *tensors)``: the tensors concatenated along ``axis``.

    Type rule (Theano's): the dtype is the upcast of the inputs'; with a constant axis,
    a dimension other than the axis is broadcastable when any input is broadcastable
    there (the others must then have size 1 at run time); with a symbolic axis no
    dimension is broadcastable.
    """

    def make_node(self, axis, *tensors):
        if not tensors:
            raise ValueError("join: cannot join an empty list of tensors")
        tensors = [as_tensor_variable(t) for t in tensors]
        ndim = tensors[0].ndim
        if ndim == 0:
            raise TypeError("join: cannot join scalars (0-d tensors) along an axis; "
                            "use T.stack to make a vector of scalars")
        for i, t in enumerate(tensors):
            if t.ndim != ndim:
                raise TypeError(f"join: all tensors need the same number of dimensions; tensor 0 has "
                                f"{ndim} ({tensors[0].type}), tensor {i} has {t.ndim} ({t.type})")
        axis = _axis_input(axis, ndim, "join")
        dtype = upcast(*[t.dtype for t in tensors])
        a = _constant_axis(axis)
        if a is None:
            bcast, shape = (False,) * ndim, (None,) * ndim
        else:
            bcast, shape = _join_static_type(tensors, a)
        return Apply(self, [axis] + tensors, [TensorType(dtype, bcast, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        out_type = node.outputs[0].type
        tensors = inputs[1:]
        axis = _runtime_axis(inputs[0], out_type.ndim, "Join")
        first = np.shape(tensors[0])
        for i, t in enumerate(tensors):
            shp = np.shape(t)
            if any(s != f for d, (s, f) in enumerate(zip(shp, first)) if d != axis):
                shapes = ", ".join(str(np.shape(x)) for x in tensors)
                raise ValueError(f"Join: tensor {i} has shape {shp} but tensor 0 has {first}; all "
                                 f"dimensions except the joined axis {axis} must match (shapes {shapes})")
        out = np.concatenate([np.asarray(t, dtype=out_type.numpy_dtype) for t in tensors], axis=axis)
        for d, b in enumerate(out_type.broadcastable):
            if b and out.shape[d] != 1:
                raise ValueError(f"Join: dimension {d} is broadcastable (an input was) but the inputs "
                                 f"have size {out.shape[d]} there")
        output_storage[0][0] = out

    def grad(self, inputs, output_grads):
        from jitgraph.tensor.shape import make_vector, patternbroadcast, shape
        import jitgraph.tensor as T
        axis, tensors = inputs[0], inputs[1:]
        (gz,) = output_grads
        if is_discrete(gz.dtype):
            return [None] * len(inputs)
        sizes = make_vector(*[shape(t)[axis] for t in tensors], dtype="int64")
        parts = Split(len(tensors))(gz, axis, sizes)
        if len(tensors) == 1:
            parts = [parts]
        grads = [None]
        for t, g in zip(tensors, parts):
            if is_discrete(t.dtype):
                grads.append(None)
                continue
            if g.dtype != t.dtype:
                g = T.cast(g, t.dtype)
            grads.append(patternbroadcast(g, t.broadcastable))
        return grads

    def lower(self, ctx, node):
        """Native code: csrc_templates/join_concat.c.tmpl. Inputs of another dtype are
        converted into scratch first, so the join itself only moves elements."""
        from jitgraph.codegen import ir
        out = node.outputs[0]
        ins = [_buffer_of_dtype(ctx, node, t, out.dtype) for t in node.inputs[1:]]
        bufs = {"axis": ctx.buf(node.inputs[0]), "out": ctx.result(out)}
        bufs.update({f"in{k}": b for k, b in enumerate(ins)})
        ctx.add(ir.TemplateStep([node], template="join_concat.c.tmpl", bufs=bufs, support=(SUPPORT_HEADER,),
                                params={"ins": ", ".join(b.name for b in ins), "n_in": len(ins)}))

    def infer_shape(self, node, input_shapes):
        import jitgraph.tensor as T
        axis_var, shapes = node.inputs[0], input_shapes[1:]
        ndim = node.outputs[0].ndim

        def total(d):
            return T.add(*[T.cast(s[d], "int64") for s in shapes]) if len(shapes) > 1 else shapes[0][d]
        a = _constant_axis(axis_var)
        if a is not None:
            return [tuple(total(d) if d == a else shapes[0][d] for d in range(ndim))]
        axis = _symbolic_axis(axis_var, ndim)
        return [tuple(T.switch(T.eq(axis, d), total(d), shapes[0][d]) for d in range(ndim))]


SUPPORT_HEADER = "join_extra_support.h"   # helpers shared with extra_ops' native code


def _buffer_of_dtype(ctx, node, var, dtype):
    """``var``'s buffer for native code, converted into scratch when its dtype differs."""
    from jitgraph.codegen.lower_ops import elementwise_step
    from jitgraph.scalar.basic import get_scalar_op
    buf = ctx.buf(var)
    if var.dtype == dtype:
        return buf
    converted = ctx.scratch(dtype, var.ndim)
    elementwise_step(ctx, node, get_scalar_op("identity"), [buf], [var.broadcastable], converted,
                     var.broadcastable)
    return converted


def _join_static_type(tensors, axis):
    """Broadcast pattern and static shape of joining ``tensors`` along the constant ``axis``."""
    bcast, shape = [], []
    for d in range(tensors[0].ndim):
        sizes = [t.type.shape[d] for t in tensors]
        if d == axis:
            bcast.append(False)
            shape.append(sum(sizes) if None not in sizes else None)
            continue
        known = {s for s in sizes if s is not None}
        if len(known) > 1:
            raise ValueError(f"join: dimension {d} has different static sizes {sorted(known)} in the "
                             f"inputs ({', '.join(str(t.type) for t in tensors)})")
        bcast.append(any(t.broadcastable[d] for t in tensors))
        shape.append(known.pop() if known else None)
    return tuple(bcast), tuple(shape)


class Split(Op):
    """``Split(n)(x, axis, sizes)``: ``x`` cut along ``axis`` into ``n`` consecutive pieces
    of lengths ``sizes`` (an int vector summing to ``x.shape[axis]``). The pieces are
    views of ``x``."""

    __props__ = ("n_splits",)

    def __init__(self, n_splits):
        self.n_splits = int(n_splits)
        if self.n_splits < 1:
            raise ValueError(f"split: n_splits must be at least 1, got {n_splits}")
        self.view_map = {i: [0] for i in range(self.n_splits)}

    def make_node(self, x, axis, sizes):
        from jitgraph.tensor.shape import _static_entries, as_shape_vector
        x = as_tensor_variable(x)
        if x.ndim == 0:
            raise TypeError("split: cannot split a scalar (0-d tensor)")
        axis = _axis_input(axis, x.ndim, "split")
        sizes = as_shape_vector(sizes)
        static_len = sizes.type.shape[0]
        if static_len is not None and static_len != self.n_splits:
            raise ValueError(f"split: {static_len} sizes given for {self.n_splits} splits")
        a = _constant_axis(axis)
        static_sizes = _static_entries(sizes, self.n_splits)
        outputs = []
        for k in range(self.n_splits):
            if a is None:
                bcast, shape = (False,) * x.ndim, (None,) * x.ndim
            else:
                bcast = tuple(False if d == a else b for d, b in enumerate(x.broadcastable))
                shape = tuple(static_sizes[k] if d == a else s for d, s in enumerate(x.type.shape))
            outputs.append(TensorType(x.dtype, bcast, shape=shape)())
        return Apply(self, [x, axis, sizes], outputs)

    def perform(self, node, inputs, output_storage):
        x, axis, sizes = inputs
        axis = _runtime_axis(axis, x.ndim, "Split")
        sizes = np.asarray(sizes, dtype="int64")
        if sizes.shape != (self.n_splits,):
            raise ValueError(f"Split: {sizes.size} sizes given for {self.n_splits} splits")
        if (sizes < 0).any() or sizes.sum() != x.shape[axis]:
            raise ValueError(f"Split: sizes {sizes.tolist()} must be non-negative and sum to the length "
                             f"{x.shape[axis]} of axis {axis} (input shape {x.shape})")
        pieces = np.split(x, np.cumsum(sizes)[:-1], axis=axis)
        for k, piece in enumerate(pieces):
            var = node.outputs[k]
            for d, b in enumerate(var.broadcastable):
                if b and piece.shape[d] != 1:
                    raise ValueError(f"Split: piece {k} has size {piece.shape[d]} in broadcastable "
                                     f"dimension {d}")
            output_storage[k][0] = piece

    def lower(self, ctx, node):
        """Native code: csrc_templates/join_split.c.tmpl; the pieces are views of x."""
        from jitgraph.codegen import ir
        x, axis, sizes = node.inputs
        pieces = [ctx.view(v) for v in node.outputs]
        bufs = {"x": ctx.buf(x), "axis": ctx.buf(axis), "sizes": ctx.buf(sizes)}
        bufs.update({f"out{k}": b for k, b in enumerate(pieces)})
        ctx.add(ir.TemplateStep([node], template="join_split.c.tmpl", bufs=bufs, support=(SUPPORT_HEADER,),
                                params={"outs": ", ".join(b.name for b in pieces), "n_splits": self.n_splits}))

    def grad(self, inputs, output_grads):
        from jitgraph.tensor.shape import patternbroadcast
        x, axis, _ = inputs
        if is_discrete(x.dtype):
            return [None, None, None]
        gx = Join()(axis, *output_grads)
        if gx.dtype != x.dtype:
            import jitgraph.tensor as T
            gx = T.cast(gx, x.dtype)
        return [patternbroadcast(gx, x.broadcastable), None, None]

    def infer_shape(self, node, input_shapes):
        import jitgraph.tensor as T
        x_shape = input_shapes[0]
        axis_var, sizes = node.inputs[1], node.inputs[2]
        ndim = node.inputs[0].ndim
        a = _constant_axis(axis_var)
        if a is not None:
            return [tuple(sizes[k] if d == a else x_shape[d] for d in range(ndim)) for k in range(self.n_splits)]
        axis = _symbolic_axis(axis_var, ndim)
        return [tuple(T.switch(T.eq(axis, d), sizes[k], x_shape[d]) for d in range(ndim))
                for k in range(self.n_splits)]


def split(x, splits_size, n_splits, axis=0):
    """``x`` cut along ``axis`` into ``n_splits`` pieces of lengths ``splits_size`` (a list).

    Returns a list of ``n_splits`` variables (Theano returns the variable itself when
    ``n_splits`` is 1; so does this).
    """
    return Split(n_splits)(x, axis, splits_size)


def join(axis, *tensors_list):
    """The tensors concatenated along ``axis`` (an int or a symbolic int scalar).

    Theano's signature: ``join(axis, t1, t2, ...)``. One tensor is returned unchanged.
    """
    if len(tensors_list) == 1:
        return as_tensor_variable(tensors_list[0])
    return Join()(axis, *tensors_list)


def concatenate(tensor_list, axis=0):
    """numpy's ``concatenate``: the tensors of a list or tuple joined along ``axis``."""
    if not isinstance(tensor_list, (list, tuple)):
        raise TypeError("concatenate: the tensors must be given as a list or a tuple, e.g. "
                        "T.concatenate([x, y], axis=0); for varargs use T.join(axis, x, y)")
    return join(axis, *tensor_list)


def vertical_stack(*args):
    """Matrices joined along axis 0 (Theano's ``vertical_stack``)."""
    _check_matrices(args, "vertical_stack")
    return concatenate(list(args), axis=0)


def horizontal_stack(*args):
    """Matrices joined along axis 1 (Theano's ``horizontal_stack``)."""
    _check_matrices(args, "horizontal_stack")
    return concatenate(list(args), axis=1)


def _check_matrices(args, what):
    for i, a in enumerate(args):
        a = as_tensor_variable(a)
        if a.ndim != 2:
            raise TypeError(f"{what} joins matrices; argument {i} ({a}) has {a.ndim} dimension(s)")


def stacklists(arg):
    """A tensor from nested lists of tensors/scalars, stacking level by level
    (``stacklists([[a, b], [c, d]])`` is a matrix when a..d are scalars)."""
    from jitgraph.tensor.shape import stack
    if isinstance(arg, (list, tuple)):
        return stack([stacklists(a) for a in arg])
    return as_tensor_variable(arg)


__all__ = ["Join", "Split", "join", "concatenate", "split", "vertical_stack", "horizontal_stack",
           "stacklists"]
