"""Elementwise ops (one scalar op applied with broadcasting), DimShuffle and reductions."""
import numpy as np

from jitgraph.graph.basic import Apply, Op
from jitgraph.scalar.basic import is_discrete
from jitgraph.tensor.type import TensorType
from jitgraph.tensor.var import as_tensor_variable


def _broadcast_static(types):
    """Output broadcastable pattern and static shape of inputs with equal ndim."""
    bcast, shape = [], []
    for dim in range(types[0].ndim):
        sizes = [t.shape[dim] for t in types if not t.broadcastable[dim]]
        bcast.append(not sizes)
        known = {s for s in sizes if s is not None}
        if len(known) > 1:
            raise ValueError(f"incompatible static sizes {sorted(known)} in dimension {dim}")
        shape.append(1 if not sizes else (known.pop() if known else None))
    return tuple(bcast), tuple(shape)


class Elemwise(Op):
    """Applies ``scalar_op`` elementwise, broadcasting dimensions marked broadcastable.

    As in Theano, a dimension not marked broadcastable must have the same size in every
    input at run time (size-1 runtime broadcasting would make gradients wrong).
    """

    __props__ = ("scalar_op",)

    def __init__(self, scalar_op, name=None):
        self.scalar_op = scalar_op
        self.name = name or scalar_op.name

    def __str__(self):
        return f"Elemwise{{{self.scalar_op.name}}}"

    def make_node(self, *inputs):
        from jitgraph.tensor.shape import shape_padleft
        nin = self.scalar_op.nin
        if nin != -1 and len(inputs) != nin:
            raise TypeError(f"{self.name} takes {nin} inputs, {len(inputs)} given")
        if not inputs:
            raise TypeError(f"{self.name} needs at least one input")
        inputs = [as_tensor_variable(x) for x in inputs]
        ndim = max(x.ndim for x in inputs)
        inputs = [shape_padleft(x, ndim - x.ndim) if x.ndim < ndim else x for x in inputs]
        try:
            bcast, shape = _broadcast_static([x.type for x in inputs])
        except ValueError as exc:
            raise ValueError(f"{self}: {exc} (inputs {', '.join(str(x.type) for x in inputs)})") from None
        try:
            out_dtype = self.scalar_op.output_dtype(*[x.dtype for x in inputs])
        except TypeError as exc:
            raise TypeError(f"{self}: {exc} (inputs {', '.join(str(x.type) for x in inputs)})") from None
        return Apply(self, inputs, [TensorType(out_dtype, bcast, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        _check_broadcast(node, inputs)
        fn = self.scalar_op.impl
        out_dtype = node.outputs[0].type.numpy_dtype
        if out_dtype.kind != "b" and self.scalar_op.name not in ("switch", "second"):
            # Compute in the output dtype: numpy would take exp(int8) in float16 and refuses
            # -bool, where the type rule promises float32 and int8.
            inputs = [x.astype(out_dtype) if x.dtype != out_dtype and x.dtype.kind in "biu" else x
                      for x in map(np.asarray, inputs)]
        with np.errstate(all="ignore"):
            if self.scalar_op.nin == -1 and len(inputs) > 2:
                result = fn(inputs[0], inputs[1])
                for x in inputs[2:]:
                    result = fn(result, x)
            else:
                result = fn(*inputs)
        output_storage[0][0] = np.asarray(result, dtype=out_dtype)

    def grad(self, inputs, output_grads):
        import jitgraph.tensor as T
        (gz,) = output_grads
        out = self(*inputs)
        terms = self.scalar_op.grad(inputs, out, gz)
        grads = []
        for x, g in zip(inputs, terms):
            if g is None or is_discrete(x.dtype):
                grads.append(None)
                continue
            g = as_tensor_variable(g)
            if g.ndim < x.ndim:
                g = T.shape_padleft(g, x.ndim - g.ndim)
            axes = [i for i, (b, gb) in enumerate(zip(x.broadcastable, g.broadcastable)) if b and not gb]
            if axes:
                g = T.sum(g, axis=axes, keepdims=True)
            if g.broadcastable != x.broadcastable:
                g = T.patternbroadcast(g, x.broadcastable)
            if g.dtype != x.dtype:
                g = T.cast(g, x.dtype)
            grads.append(g)
        return grads

    def infer_shape(self, node, input_shapes):
        out = []
        for dim in range(node.outputs[0].ndim):
            if node.outputs[0].broadcastable[dim]:
                out.append(1)
                continue
            for x, shp in zip(node.inputs, input_shapes):
                if not x.broadcastable[dim]:
                    out.append(shp[dim])
                    break
        return [tuple(out)]


def _check_broadcast(node, inputs, ndim=None):
    """Theano's rule, checked before computing: in each dimension every input not marked
    broadcastable has the same size (the first such input sets it). ``ndim``: of the
    broadcast result, when it is not the node's output (a fused reduction)."""
    for d in range(node.outputs[0].ndim if ndim is None else ndim):
        first = None
        for k, (var, value) in enumerate(zip(node.inputs, inputs)):
            if var.broadcastable[d]:
                continue
            size = np.shape(value)[d]
            if first is None:
                first = (k, size)
            elif size != first[1]:
                shapes = ", ".join(str(np.shape(v)) for v in inputs)
                raise ValueError(
                    f"{node.op}: input {k} has size {size} in dimension {d} but input {first[0]} has "
                    f"{first[1]} (input shapes {shapes}); a dimension that is not broadcastable "
                    f"must match — mark it broadcastable (T.row, T.col, dimshuffle('x', ...)) to broadcast")


class DimShuffle(Op):
    """Reorders dimensions, adds broadcastable ones ('x'), drops broadcastable ones."""

    __props__ = ("input_broadcastable", "new_order")
    view_map = {0: [0]}

    def __init__(self, input_broadcastable, new_order):
        self.input_broadcastable = tuple(input_broadcastable)
        new_order = tuple(new_order)
        kept = [d for d in new_order if d != "x"]
        for d in kept:
            if not isinstance(d, (int, np.integer)) or not 0 <= d < len(self.input_broadcastable):
                raise ValueError(f"dimshuffle{new_order}: {d!r} is not a dimension of a "
                                 f"{len(self.input_broadcastable)}-d input (nor 'x')")
        if len(set(kept)) != len(kept):
            raise ValueError(f"dimshuffle{new_order}: a dimension appears twice")
        self.new_order = tuple(int(d) if d != "x" else "x" for d in new_order)
        self.drop = [d for d in range(len(self.input_broadcastable)) if d not in kept]
        for d in self.drop:
            if not self.input_broadcastable[d]:
                raise ValueError(f"dimshuffle{new_order}: dimension {d} is dropped but is not "
                                 "broadcastable; only dimensions of size 1 known statically can be dropped")
        self.shuffle = [d for d in self.new_order if d != "x"]
        self.augment = [i for i, d in enumerate(self.new_order) if d == "x"]

    def __str__(self):
        return f"DimShuffle{{{','.join(map(str, self.new_order))}}}"

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.broadcastable != self.input_broadcastable:
            if len(x.broadcastable) != len(self.input_broadcastable) or any(
                    b and not xb for b, xb in zip(self.input_broadcastable, x.broadcastable)):
                raise TypeError(f"{self}: input has broadcast pattern {x.broadcastable}, "
                                f"expected {self.input_broadcastable}")
        bcast = tuple(True if d == "x" else x.broadcastable[d] for d in self.new_order)
        shape = tuple(1 if d == "x" else x.type.shape[d] for d in self.new_order)
        return Apply(self, [x], [TensorType(x.dtype, bcast, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        for d in self.drop:
            if x.shape[d] != 1:
                raise ValueError(f"{self}: dimension {d} has size {x.shape[d]}, expected 1")
        res = np.transpose(x, self.shuffle + self.drop)
        shape = list(res.shape[:len(self.shuffle)])
        for i in self.augment:
            shape.insert(i, 1)
        output_storage[0][0] = res.reshape(shape)

    def grad(self, inputs, output_grads):
        import jitgraph.tensor as T
        (x,) = inputs
        (gz,) = output_grads
        if is_discrete(x.dtype):
            return [None]
        if self.augment:
            gz = T.sum(gz, axis=self.augment)
        # gz's dims are now the kept input dims in shuffled order
        order = []
        for d in range(x.ndim):
            order.append(self.shuffle.index(d) if d in self.shuffle else "x")
        g = T.dimshuffle(gz, order)
        if g.broadcastable != x.broadcastable:
            g = T.patternbroadcast(g, x.broadcastable)
        return [g]

    def infer_shape(self, node, input_shapes):
        (shp,) = input_shapes
        return [tuple(1 if d == "x" else shp[d] for d in self.new_order)]


def normalize_axis(axis, ndim, what="axis"):
    """None -> all axes; ints (negative allowed) -> sorted tuple; checks the range."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = [axis]
    else:
        from jitgraph.graph.basic import Constant
        if isinstance(axis, Constant):
            axis = np.atleast_1d(axis.data).tolist()
        elif hasattr(axis, "owner"):
            raise TypeError(f"{what} must be a Python int or a list of ints, not a symbolic variable")
        axis = list(axis)
    out = []
    for a in axis:
        if hasattr(a, "owner"):
            raise TypeError(f"{what} must be a Python int or a list of ints, not a symbolic variable")
        a = int(a)
        if not -ndim <= a < ndim:
            raise ValueError(f"{what} {a} is out of range for an input of {ndim} dimension(s)")
        out.append(a % ndim if ndim else a)
    if len(set(out)) != len(out):
        raise ValueError(f"{what} {tuple(axis)} repeats an axis")
    return tuple(sorted(out))


_REDUCE_FNS = {"add": np.sum, "mul": np.prod, "maximum": np.max, "minimum": np.min,
               "and_": np.all, "or_": np.any}


class CAReduce(Op):
    """Reduction of ``axis`` by a commutative, associative scalar op (sum, prod, max…)."""

    __props__ = ("scalar_op", "axis", "dtype")

    def __init__(self, scalar_op, axis, dtype=None):
        self.scalar_op = scalar_op
        self.axis = tuple(axis)
        self.dtype = dtype
        self.np_fn = _REDUCE_FNS[scalar_op.name]

    def __str__(self):
        names = {"add": "Sum", "mul": "Prod", "maximum": "Max", "minimum": "Min", "and_": "All", "or_": "Any"}
        return f"{names[self.scalar_op.name]}{{axis={list(self.axis)}}}"

    def make_node(self, x):
        x = as_tensor_variable(x)
        for a in self.axis:
            if a >= x.ndim:
                raise ValueError(f"{self}: axis {a} out of range for a {x.ndim}-d input")
        keep = [d for d in range(x.ndim) if d not in self.axis]
        dtype = self.dtype or x.dtype
        out = TensorType(dtype, [x.broadcastable[d] for d in keep], shape=[x.type.shape[d] for d in keep])
        return Apply(self, [x], [out()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        out_dtype = node.outputs[0].type.numpy_dtype
        if self.scalar_op.name in ("maximum", "minimum") and any(x.shape[a] == 0 for a in self.axis):
            raise ValueError(f"{self}: cannot take the {self.scalar_op.name} of an empty axis "
                             f"(input shape {x.shape})")
        if self.scalar_op.name in ("add", "mul"):
            res = self.np_fn(x, axis=self.axis, dtype=out_dtype)
        else:
            res = self.np_fn(x, axis=self.axis)
        output_storage[0][0] = np.asarray(res, dtype=out_dtype)

    def grad(self, inputs, output_grads):
        import jitgraph.tensor as T
        (x,) = inputs
        (gz,) = output_grads
        if is_discrete(x.dtype):
            return [None]
        name = self.scalar_op.name
        # put the reduced axes back as broadcastable dims
        order, k = [], 0
        for d in range(x.ndim):
            if d in self.axis:
                order.append("x")
            else:
                order.append(k)
                k += 1
        gz_b = T.dimshuffle(gz, order)
        if name == "add":
            g = T.broadcast_like(gz_b, x)
        elif name == "mul":
            out_b = T.dimshuffle(self(x), order)
            # d prod / d x_i = prod / x_i where x_i != 0; exact for one zero via a product of the others
            nonzero = T.neq(x, 0)
            safe_x = T.switch(nonzero, x, 1)
            prod_nz = T.dimshuffle(CAReduce(self.scalar_op, self.axis, self.dtype)(safe_x), order)
            nzeros = T.dimshuffle(T.sum(T.eq(x, 0), axis=list(self.axis)), order)
            g = T.switch(T.eq(nzeros, 0), gz_b * out_b / safe_x,
                         T.switch(T.and_(T.eq(nzeros, 1), T.eq(x, 0)), gz_b * prod_nz, 0))
        elif name in ("maximum", "minimum"):
            out_b = T.dimshuffle(self(x), order)
            g = gz_b * T.eq(x, out_b)
        else:
            return [None]
        if g.dtype != x.dtype:
            g = T.cast(g, x.dtype)
        return [g]

    def infer_shape(self, node, input_shapes):
        (shp,) = input_shapes
        return [tuple(s for d, s in enumerate(shp) if d not in self.axis)]
