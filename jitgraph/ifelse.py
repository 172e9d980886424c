"""Lazy conditional: ``ifelse(condition, then_branch, else_branch)`` computes only the
branch that the condition picks (``T.switch`` computes both).

The executor runs every node of a graph, so the branches cannot be inputs of the
node. Instead the IfElse op carries both branches as inner graphs over their free
variables (the branches' non-constant roots, shared variables included); the node's
inputs are the condition and those free variables, and ``perform`` runs one inner
graph.
"""
import numpy as np

from jitgraph.compile.innergraph import InnerGraph, capture_roots
from jitgraph.graph.basic import Apply, Op, Variable, clone_replace
from jitgraph.scalar.basic import is_discrete, upcast
from jitgraph.tensor.type import TensorType
from jitgraph.tensor.var import as_tensor_variable


class IfElse(Op):
    """``outputs = then_outputs if condition else else_outputs``.

    ``then_graph`` and ``else_graph`` are InnerGraphs over the same inner inputs (one per
    node input after the condition); ``output_types`` are the outputs' types. Each
    instance is its own op: two IfElse ops are equal only when they are the same object.
    """

    def __init__(self, then_graph, else_graph, output_types, name=None):
        if then_graph.inputs != else_graph.inputs:
            raise ValueError("IfElse: both branches must be graphs over the same inner inputs")
        if not len(then_graph.outputs) == len(else_graph.outputs) == len(output_types):
            raise ValueError("IfElse: the branches and output_types differ in length")
        self.then_graph = then_graph
        self.else_graph = else_graph
        self.output_types = list(output_types)
        self.name = name

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def __str__(self):
        return f"if{{{self.name or ''}}}"

    __repr__ = __str__

    @property
    def n_outs(self):
        return len(self.output_types)

    def make_node(self, condition, *free):
        condition = as_tensor_variable(condition)
        if condition.ndim != 0:
            raise TypeError(f"ifelse: the condition must be a scalar (0 for False, anything else for "
                            f"True), got {condition} with {condition.ndim} dimension(s) ({condition.type})")
        inner = self.then_graph.inputs
        if len(free) != len(inner):
            raise TypeError(f"{self}: expected {len(inner)} input(s) after the condition, got {len(free)}")
        for k, (v, want) in enumerate(zip(free, inner)):
            if not isinstance(v, Variable) or v.type != want.type:
                got = v.type if isinstance(v, Variable) else type(v).__name__
                raise TypeError(f"{self}: input {k + 1} ({v}) has type {got}, the branch needs {want.type}")
        return Apply(self, [condition] + list(free), [t() for t in self.output_types])

    def perform(self, node, inputs, output_storage):
        condition, free = inputs[0], inputs[1:]
        branch = self.then_graph if np.asarray(condition) else self.else_graph
        for cell, value in zip(output_storage, branch.run(free)):
            cell[0] = value

    def _outer_branches(self, node_inputs):
        """Both branches' outputs rebuilt over the node's inputs."""
        replace = dict(zip(self.then_graph.inputs, node_inputs[1:]))
        return (clone_replace(self.then_graph.outputs, replace),
                clone_replace(self.else_graph.outputs, replace))

    def grad(self, inputs, output_grads):
        # The gradient w.r.t. each free variable is the chosen branch's gradient, itself
        # chosen lazily. The condition's gradient is zero (Theano's convention: a small
        # change of the condition keeps the same branch).
        from jitgraph.gradient import grad as _grad
        import jitgraph.tensor as T
        condition, free = inputs[0], inputs[1:]
        wrt = [v for v in free if isinstance(v.type, TensorType) and not is_discrete(v.dtype)]
        if not wrt:
            return [None] * len(inputs)
        branch_grads = []
        for outs in self._outer_branches(inputs):
            known = {}
            for o, g in zip(outs, output_grads):
                if isinstance(o.type, TensorType) and not is_discrete(o.dtype):
                    known[o] = known[o] + g if o in known else g
            if known:
                # The node's inputs are independent leaves here (one may be computed from
                # another outside): their own gradients flow back through the outer graph.
                branch_grads.append(_grad(None, wrt, known_grads=known, consider_constant=free,
                                          disconnected_inputs="ignore"))
            else:
                branch_grads.append([T.zeros_like(w) for w in wrt])
        chosen = build_ifelse(condition, branch_grads[0], branch_grads[1],
                              boundary=list(free) + list(output_grads), name=self.name)
        by_var = dict(zip(wrt, chosen))
        return [None] + [by_var.get(v) for v in free]

    def infer_shape(self, node, input_shapes):
        # Dimensions both branches fix statically are known; the others are chosen by an
        # ifelse over the branches' shape expressions (so only one branch is computed).
        then_outs, else_outs = self._outer_branches(node.inputs)
        shapes = [list(t.shape) for t in self.output_types]
        todo = [(k, d) for k, s in enumerate(shapes) for d, size in enumerate(s) if size is None]
        if todo:
            chosen = build_ifelse(node.inputs[0], [then_outs[k].shape[d] for k, d in todo],
                                  [else_outs[k].shape[d] for k, d in todo], boundary=node.inputs[1:])
            for (k, d), size in zip(todo, chosen):
                shapes[k][d] = size
        return [tuple(s) for s in shapes]


def _match_types(k, then_var, else_var):
    """Both branches' k-th outputs with one type: Theano asks for identical types; here
    the same number of dimensions is enough (dtypes are upcast, a dimension is
    broadcastable or of static size only when it is in both)."""
    if then_var.type == else_var.type:
        return then_var, else_var, then_var.type
    tt, et = then_var.type, else_var.type
    if not isinstance(tt, TensorType) or not isinstance(et, TensorType):
        raise TypeError(f"ifelse: output {k}: the branches have different types, {tt} and {et}")
    if tt.ndim != et.ndim:
        raise TypeError(f"ifelse: output {k}: the then branch has {tt.ndim} dimension(s) ({tt}) and the "
                        f"else branch {et.ndim} ({et}); both branches must have the same number of "
                        "dimensions")
    import jitgraph.tensor as T
    dtype = upcast(tt.dtype, et.dtype)
    broadcastable = tuple(a and b for a, b in zip(tt.broadcastable, et.broadcastable))
    shape = tuple(a if a == b else None for a, b in zip(tt.shape, et.shape))
    return T.cast(then_var, dtype), T.cast(else_var, dtype), TensorType(dtype, broadcastable, shape=shape)


def build_ifelse(condition, then_outputs, else_outputs, boundary=(), name=None):
    """The outputs (a list) of one IfElse node; ``boundary`` variables are taken as
    inputs instead of being recomputed inside the branches."""
    then_outputs = [v if isinstance(v, Variable) else as_tensor_variable(v) for v in then_outputs]
    else_outputs = [v if isinstance(v, Variable) else as_tensor_variable(v) for v in else_outputs]
    matched = [_match_types(k, t, e) for k, (t, e) in enumerate(zip(then_outputs, else_outputs))]
    thens = [m[0] for m in matched]
    elses = [m[1] for m in matched]
    free, both = capture_roots(thens + elses, boundary)
    n = len(thens)
    op = IfElse(InnerGraph(both.inputs, both.outputs[:n]), InnerGraph(both.inputs, both.outputs[n:]),
                [m[2] for m in matched], name=name)
    node = op.make_node(condition, *free)
    return node.outputs


def ifelse(condition, then_branch, else_branch, name=None):
    """``then_branch`` if the scalar ``condition`` is nonzero, else ``else_branch``; only
    the chosen branch is computed. The branches are variables or equally long lists
    (or tuples) of variables; a list (tuple) in gives a list (tuple) out."""
    as_list = isinstance(then_branch, (list, tuple))
    thens = list(then_branch) if as_list else [then_branch]
    elses = list(else_branch) if isinstance(else_branch, (list, tuple)) else [else_branch]
    if len(thens) != len(elses):
        raise ValueError(f"ifelse: the then branch has {len(thens)} variable(s) and the else branch "
                         f"{len(elses)}; they must have the same number")
    if not thens:
        raise ValueError("ifelse: the branches are empty")
    condition = condition if isinstance(condition, Variable) else as_tensor_variable(condition)
    outputs = build_ifelse(condition, thens, elses, name=name)
    if not as_list:
        return outputs[0]
    return tuple(outputs) if isinstance(then_branch, tuple) else outputs


__all__ = ["ifelse", "IfElse", "build_ifelse"]
