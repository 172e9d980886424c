"""Reduction fusion: a sum/prod/max/min whose input is an elementwise expression read by
nothing else becomes one node that evaluates the expression per element and accumulates
it in the same loop — ``sum(x ** 2)`` reads ``x`` once and writes no temporary."""
import numpy as np

from jitgraph.graph.basic import Apply, Op
from jitgraph.rewrite import register_pass
from jitgraph.rewrite.fusion import FusedElemwise, program_statements
from jitgraph.tensor.elemwise import CAReduce, Elemwise, _check_broadcast

# reduce ops a fused loop accumulates (max/min of floats: NaN-propagating, from ±inf)
_FUSABLE = {"add": "add", "mul": "mul", "maximum": "max", "minimum": "min"}


class FusedReduce(Op):
    """``reduce(program(inputs))``: ``program`` as FusedElemwise's (its last step is the
    reduced value), ``reduce`` the CAReduce op applied to it."""

    __props__ = ("program", "value_type", "reduce")

    def __init__(self, program, value_type, reduce):
        self.program = tuple(program)
        self.value_type = value_type
        self.reduce = reduce
        self.value_op = FusedElemwise(self.program, value_type)

    def __str__(self):
        names = ",".join(step[0].name for step in self.program)
        return f"{self.reduce}(FusedElemwise{{{names}}})"

    def make_node(self, *inputs):
        value = self.value_op.make_node(*inputs).outputs[0]
        return Apply(self, list(inputs), [self.reduce.make_node(value).outputs[0].type()])

    def perform(self, node, inputs, output_storage):
        _check_broadcast(node, inputs, ndim=self.value_type.ndim)
        values, shape = self.value_op.evaluate(inputs)
        value = np.broadcast_to(values[-1], shape)
        self.reduce.perform(node, [value], output_storage)   # it reads only the output type

    def infer_shape(self, node, input_shapes):
        value_node = self.value_op.make_node(*node.inputs)
        (value_shape,) = value_node.op.infer_shape(value_node, input_shapes)
        return [tuple(s for d, s in enumerate(value_shape) if d not in self.reduce.axis)]

    def lower(self, ctx, node):
        from jitgraph.codegen import ir
        from jitgraph.codegen.lower_ops import _acc_dtype
        in_bufs = [ctx.buf(v) for v in node.inputs]
        loads, stmts = program_statements(self.program, in_bufs)
        op = _FUSABLE[self.reduce.scalar_op.name]
        out = node.outputs[0]
        pattern = self.value_type.broadcastable
        full = [all(a == b for a, b in zip(v.broadcastable, pattern)) for v in node.inputs]
        ctx.add(ir.FusedReduction([node], out=ctx.result(out), ins=in_bufs, full=full, loads=loads, stmts=stmts,
                                  value=f"t{len(stmts) - 1}", ndim=len(pattern), axes=tuple(self.reduce.axis),
                                  op=op, acc_dtype=_acc_dtype(op, self.value_type.dtype, out.dtype)))


def _fusable(fgraph, node):
    """The elementwise node under reduction ``node`` and its program, or None."""
    if not isinstance(node.op, CAReduce) or node.op.scalar_op.name not in _FUSABLE:
        return None
    (value,) = node.inputs
    producer = value.owner
    if producer is None or not isinstance(producer.op, (Elemwise, FusedElemwise)) or len(producer.outputs) != 1 \
            or getattr(producer.op, "destroy_map", None) or fgraph.clients.get(value) != [(node, 0)]:
        return None
    if _FUSABLE[node.op.scalar_op.name] in ("max", "min") and value.dtype not in ("float32", "float64"):
        return None
    pattern = value.broadcastable
    for v in producer.inputs:
        # each input is read in full (the value's pattern) or is one element
        if tuple(v.broadcastable) != tuple(pattern) and not all(v.broadcastable):
            return None
    op = producer.op if isinstance(producer.op, FusedElemwise) else FusedElemwise.of_elemwise(producer)
    return producer, op.program, value.type


@register_pass("reduction_fusion")
def fuse_reductions(fgraph):
    """A reduction of an elementwise expression read only by it -> one loop."""
    replacements = []
    for node in fgraph.toposort():
        found = _fusable(fgraph, node)
        if found is None:
            continue
        producer, program, value_type = found
        new = FusedReduce(program, value_type, node.op)(*producer.inputs)
        if new.type == node.outputs[0].type:
            replacements.append((node.outputs[0], new))
    if replacements:
        fgraph.replace_all(replacements)
    return len(replacements)
