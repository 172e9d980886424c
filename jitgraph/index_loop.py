"""``IndexLoop``: ``out_k[i] = body_k(i)`` for ``i in range(n)``, stacked along a new
first axis — the loop behind ``jacobian`` and ``hessian`` (which Theano builds with
``scan``, not available yet).

The body is an inner graph over the index and the loop invariants: every value the
body reads that does not depend on the index is hoisted out of the loop and computed
once (for a jacobian: the forward pass; only the backward pass runs per row).
"""
import numpy as np

from jitgraph.compile.innergraph import capture_invariant
from jitgraph.graph.basic import Apply, Op, Variable, clone_replace
from jitgraph.scalar.basic import is_discrete
from jitgraph.tensor.type import TensorType
from jitgraph.tensor.var import as_tensor_variable


class IndexLoop(Op):
    """Runs ``body`` (an InnerGraph over ``[index] + invariants``) for each index.

    ``item_like[k]``: the position, among the invariants, of a variable whose shape
    output k's items have (how an empty loop knows its outputs' shapes), or None.
    Each instance is its own op (equal only to itself).
    """

    def __init__(self, body, item_like):
        if len(item_like) != len(body.outputs):
            raise ValueError("IndexLoop: one item_like entry per body output is needed")
        for k, out in enumerate(body.outputs):
            if not isinstance(out.type, TensorType):
                raise TypeError(f"IndexLoop: body output {k} is not a tensor ({out.type})")
        self.body = body
        self.item_like = tuple(item_like)

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def __str__(self):
        return f"IndexLoop{{{len(self.body.outputs)} output(s)}}"

    __repr__ = __str__

    def make_node(self, n, *invariants):
        n = as_tensor_variable(n)
        if n.ndim != 0 or not is_discrete(n.dtype) or n.dtype == "bool":
            raise TypeError(f"IndexLoop: the number of iterations must be an integer scalar, got {n.type}")
        inner = self.body.inputs[1:]
        if len(invariants) != len(inner):
            raise TypeError(f"{self}: expected {len(inner)} invariant input(s), got {len(invariants)}")
        for k, (v, want) in enumerate(zip(invariants, inner)):
            if not isinstance(v, Variable) or v.type != want.type:
                raise TypeError(f"{self}: invariant {k} ({v}) has type "
                                f"{getattr(v, 'type', type(v).__name__)}, the body needs {want.type}")
        outputs = [TensorType(o.type.dtype, (False,) + o.type.broadcastable, shape=(None,) + o.type.shape)()
                   for o in self.body.outputs]
        return Apply(self, [n] + list(invariants), outputs)

    def perform(self, node, inputs, output_storage):
        n, invariants = int(inputs[0]), list(inputs[1:])
        if n < 0:
            raise ValueError(f"{self}: the number of iterations is negative ({n})")
        items = [[] for _ in output_storage]
        for i in range(n):
            for k, value in enumerate(self.body.run([np.asarray(i, dtype="int64")] + invariants)):
                items[k].append(value)
        for k, (cell, out) in enumerate(zip(output_storage, node.outputs)):
            if n:
                shapes = {np.shape(v) for v in items[k]}
                if len(shapes) > 1:
                    raise ValueError(f"{self}: output {k} has items of different shapes {sorted(shapes)}")
                cell[0] = np.stack(items[k]).astype(out.type.dtype, copy=False)
            else:
                like = self.item_like[k]
                if like is None:
                    raise ValueError(f"{self}: zero iterations and no known item shape for output {k}")
                cell[0] = np.zeros((0,) + np.shape(invariants[like]), dtype=out.type.dtype)

    def grad(self, inputs, output_grads):
        # d/d invariant of sum_i <g[i], body(i)> = sum_i Lop(body(i), invariant, g[i]):
        # another IndexLoop, summed over its first axis.
        from jitgraph.gradient import grad as _grad
        import jitgraph.tensor as T
        n, invariants = inputs[0], inputs[1:]
        wrt = [v for v in invariants if isinstance(v.type, TensorType) and not is_discrete(v.dtype)]
        if not wrt:
            return [None] * len(inputs)
        index = T.lscalar("i")
        replace = dict(zip(self.body.inputs, [index] + list(invariants)))
        items = clone_replace(self.body.outputs, replace)
        known = {}
        for o, g in zip(items, output_grads):
            if not is_discrete(o.dtype):
                known[o] = known[o] + g[index] if o in known else g[index]
        if not known:
            return [None] * len(inputs)
        # The invariants are independent leaves here (one may be computed from another
        # outside): their own gradients flow back through the outer graph.
        per_item = _grad(None, wrt, known_grads=known, consider_constant=invariants,
                         disconnected_inputs="ignore")
        stacked = index_loop(n, index, per_item, item_like=wrt)
        by_var = {w: T.cast(T.sum(s, axis=0), w.dtype) for w, s in zip(wrt, stacked)}
        return [None] + [by_var.get(v) for v in invariants]

    def infer_shape(self, node, input_shapes):
        shapes = []
        for k, out in enumerate(self.body.outputs):
            like = self.item_like[k]
            if like is not None:
                item = tuple(input_shapes[1 + like])
            elif all(s is not None for s in out.type.shape):
                item = tuple(out.type.shape)
            else:
                raise NotImplementedError(f"{self}: the shape of output {k}'s items is not known")
            shapes.append((node.inputs[0],) + item)
        return shapes


def index_loop(n, index, outputs, item_like=None):
    """Stack ``outputs`` (expressions of the int64 scalar ``index``) for index = 0 … n-1.

    ``item_like``: for each output, a variable whose shape its items have (or None); it
    gives an empty loop's outputs their shapes. Returns one stacked variable per output.
    """
    outputs = [as_tensor_variable(o) for o in outputs]
    item_like = list(item_like) if item_like is not None else [None] * len(outputs)
    extra = [v for v in item_like if v is not None]
    invariants, body = capture_invariant(outputs, [index], extra=extra)
    positions = [None if v is None else invariants.index(v) for v in item_like]
    return IndexLoop(body, positions).make_node(n, *invariants).outputs


__all__ = ["IndexLoop", "index_loop"]
