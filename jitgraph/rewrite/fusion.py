"""Elementwise fusion: a group of Elemwise nodes with the same output broadcast pattern,
whose intermediate results are used only inside the group, becomes one FusedElemwise
node carrying the scalar expression DAG — one loop, one pass over memory."""
import numpy as np

from jitgraph.graph.basic import Apply, Op, ancestors
from jitgraph.rewrite import register_pass
from jitgraph.scalar.basic import c_type
from jitgraph.tensor.elemwise import Elemwise, _check_broadcast


class FusedElemwise(Op):
    """Evaluates ``program`` per element. ``program`` is a tuple of steps
    ``(scalar_op, refs, dtype)`` in evaluation order; a ref is ``("in", k)`` (input k) or
    ``("step", j)`` (an earlier step's value). The last step is the output.
    ``inplace_input``: the index of an input of the output's type whose storage the result
    takes (``destroy_map``), or None."""

    __props__ = ("program", "out_type", "inplace_input")

    def __init__(self, program, out_type, inplace_input=None):
        self.program = tuple(program)
        self.out_type = out_type
        self.inplace_input = inplace_input
        if inplace_input is not None:
            self.destroy_map = {0: [inplace_input]}

    def __str__(self):
        names = ",".join(step[0].name for step in self.program)
        where = "" if self.inplace_input is None else f"; inplace={self.inplace_input}"
        return f"FusedElemwise{{{names}{where}}}"

    @classmethod
    def of_elemwise(cls, node):
        """The one-step FusedElemwise computing Elemwise ``node``."""
        refs = tuple(("in", k) for k in range(len(node.inputs)))
        return cls([(node.op.scalar_op, refs, node.outputs[0].dtype)], node.outputs[0].type)

    def with_inplace(self, k):
        return type(self)(self.program, self.out_type, k)

    def make_node(self, *inputs):
        return Apply(self, list(inputs), [self.out_type()])

    def perform(self, node, inputs, output_storage):
        _check_broadcast(node, inputs)
        values = []
        with np.errstate(all="ignore"):
            for scalar_op, refs, dtype in self.program:
                args = [inputs[k] if kind == "in" else values[k] for kind, k in refs]
                if scalar_op.nin == -1 and len(args) > 2:
                    res = scalar_op.impl(args[0], args[1])
                    for a in args[2:]:
                        res = scalar_op.impl(res, a)
                else:
                    res = scalar_op.impl(*args)
                values.append(np.asarray(res, dtype=dtype))
        out = values[-1]
        shape = np.broadcast_shapes(*[np.shape(x) for x in inputs])
        if out.shape != shape:
            out = np.broadcast_to(out, shape)
        k = self.inplace_input
        target = inputs[k] if k is not None else None
        if isinstance(target, np.ndarray) and target.shape == shape and target.flags.writeable:
            target[...] = out
            output_storage[0][0] = target
        else:
            output_storage[0][0] = np.array(out, dtype=self.out_type.numpy_dtype)

    def infer_shape(self, node, input_shapes):
        out = []
        for d in range(self.out_type.ndim):
            if self.out_type.broadcastable[d]:
                out.append(1)
                continue
            for x, shp in zip(node.inputs, input_shapes):
                if not x.broadcastable[d]:
                    out.append(shp[d])
                    break
        return [tuple(out)]

    def lower(self, ctx, node):
        """One ElementwiseLoop whose per-element statements are the program's steps."""
        from jitgraph.codegen import ir
        in_bufs = [ctx.buf(v) for v in node.inputs]
        loads, stmts = program_statements(self.program, in_bufs)
        out_var = node.outputs[0]
        if self.inplace_input is not None:
            out = in_bufs[self.inplace_input]
            ctx.buf_of[out_var] = out
        else:
            out = ctx.result(out_var)
        ctx.add(ir.ElementwiseLoop([node], outs=[out], ins=in_bufs,
                                   in_bcast=[tuple(v.broadcastable) for v in node.inputs], loads=loads,
                                   stmts=stmts, results=[f"t{len(stmts) - 1}"],
                                   out_bcast=tuple(out_var.broadcastable),
                                   alloc_outs=[self.inplace_input is None]))


def program_statements(program, in_bufs):
    """``(loads, stmts)`` computing ``program`` per element in C: input j is read into
    ``v{j}`` (a constant is its literal), step j's value is ``t{j}``; the last is the result."""
    from jitgraph.codegen import ir
    from jitgraph.codegen.lower import c_literal, convert
    loads = [c_literal(b.const_data, b.dtype) if b.role == "const" else f"v{j}" for j, b in enumerate(in_bufs)]
    dtypes, stmts = [], []
    for j, (scalar_op, refs, dtype) in enumerate(program):
        arg_exprs = [loads[k] if kind == "in" else f"t{k}" for kind, k in refs]
        arg_dtypes = [in_bufs[k].dtype if kind == "in" else dtypes[k] for kind, k in refs]
        op_dtypes = scalar_op.operand_dtypes(arg_dtypes, dtype)
        operands = [convert(e, d, od) for e, d, od in zip(arg_exprs, arg_dtypes, op_dtypes)]
        expr = scalar_op.c_code(arg_dtypes, dtype, operands)
        stmts.append(ir.ScalarStmt(f"t{j}", c_type(dtype), f"({c_type(dtype)})({expr})"))
        dtypes.append(dtype)
    return loads, stmts


def _is_fusable(node):
    return node is not None and isinstance(node.op, (Elemwise, FusedElemwise))


def _group_from(root, fgraph, taken):
    """Nodes to fuse with ``root``: Elemwise producers with root's output pattern whose
    every client is already in the group."""
    pattern = root.outputs[0].broadcastable
    group, members = [root], {root}
    frontier = list(root.inputs)
    while frontier:
        var = frontier.pop()
        node = var.owner
        if (node is None or node in members or node in taken or not isinstance(node.op, Elemwise)
                or len(node.outputs) != 1 or var.broadcastable != pattern):
            continue
        clients = fgraph.clients.get(var, [])
        if not clients or any(c == "output" or c not in members for c, _ in clients):
            continue
        group.append(node)
        members.add(node)
        frontier.extend(node.inputs)
    return group


def _build(group):
    """(external inputs, program) for a group whose first element is the root."""
    members = set(group)
    order = [n for n in _topo(group) if n in members]
    inputs, in_index, step_of, program = [], {}, {}, []
    for node in order:
        refs = []
        for v in node.inputs:
            if v.owner in members:
                refs.append(("step", step_of[v.owner]))
            else:
                if v not in in_index:
                    in_index[v] = len(inputs)
                    inputs.append(v)
                refs.append(("in", in_index[v]))
        step_of[node] = len(program)
        program.append((node.op.scalar_op, tuple(refs), node.outputs[0].dtype))
    return inputs, program


def _topo(group):
    done, order = set(), []
    members = set(group)

    def visit(n):
        if n in done:
            return
        done.add(n)
        for v in n.inputs:
            if v.owner in members:
                visit(v.owner)
        order.append(n)
    for n in group:
        visit(n)
    return order


@register_pass("fusion")
def fuse_elementwise(fgraph):
    """Fuse groups of Elemwise nodes into FusedElemwise nodes (one loop each)."""
    taken, replacements = set(), []
    for node in reversed(fgraph.toposort()):
        if node in taken or not isinstance(node.op, Elemwise):
            continue
        group = _group_from(node, fgraph, taken)
        if len(group) < 2:
            continue
        inputs, program = _build(group)
        # an external input computed from the group's own results would make a cycle
        members = set(group)
        if any(a.owner in members for a in ancestors(inputs) if a.owner is not None and a not in inputs):
            continue
        taken.update(group)
        out = node.outputs[0]
        fused = FusedElemwise(program, out.type)(*inputs)
        fused.name = out.name
        replacements.append((out, fused))
    if replacements:
        fgraph.replace_all(replacements)
    return len(replacements)
