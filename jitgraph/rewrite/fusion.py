"""Elementwise fusion: every maximal convex group of Elemwise nodes with the same output
broadcast pattern becomes one FusedElemwise node carrying the scalar expression DAG — one
loop, one pass over memory, any number of inputs and outputs."""
import numpy as np

from jitgraph.graph.basic import Apply, Op
from jitgraph.rewrite import register_pass
from jitgraph.scalar.basic import c_type
from jitgraph.tensor.elemwise import Elemwise, _check_broadcast


class FusedElemwise(Op):
    """Evaluates ``program`` per element. ``program`` is a tuple of steps
    ``(scalar_op, refs, dtype)`` in evaluation order; a ref is ``("in", k)`` (input k) or
    ``("step", j)`` (an earlier step's value). The last step is the output.
    ``extra_outputs``: ``(step index, type)`` of further outputs (values the group computes
    that nodes outside it read), after the main one.
    ``inplace_input``: the index of an input of the output's type whose storage the result
    takes (``destroy_map``), or None."""

    __props__ = ("program", "out_type", "inplace_input", "extra_outputs")

    def __init__(self, program, out_type, inplace_input=None, extra_outputs=()):
        self.program = tuple(program)
        self.out_type = out_type
        self.inplace_input = inplace_input
        self.extra_outputs = tuple(extra_outputs)
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
        return type(self)(self.program, self.out_type, k, self.extra_outputs)

    def make_node(self, *inputs):
        return Apply(self, list(inputs), [self.out_type()] + [t() for _, t in self.extra_outputs])

    def perform(self, node, inputs, output_storage):
        _check_broadcast(node, inputs)
        values, shape = self.evaluate(inputs)
        out = values[-1]
        if out.shape != shape:
            out = np.broadcast_to(out, shape)
        k = self.inplace_input
        target = inputs[k] if k is not None else None
        if isinstance(target, np.ndarray) and target.shape == shape and target.flags.writeable:
            target[...] = out
            output_storage[0][0] = target
        else:
            output_storage[0][0] = np.array(out, dtype=self.out_type.numpy_dtype)
        for cell, (step, ttype) in zip(output_storage[1:], self.extra_outputs):
            cell[0] = np.array(np.broadcast_to(values[step], shape), dtype=ttype.numpy_dtype)

    def evaluate(self, inputs):
        """Every step's value (numpy, each of its own broadcast shape) and the shape of the
        result, for inputs already checked against the broadcast rule."""
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
        return values, np.broadcast_shapes(*[np.shape(x) for x in inputs])

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
        return [tuple(out)] * (1 + len(self.extra_outputs))

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
        extra = [ctx.result(v) for v in node.outputs[1:]]
        ctx.add(ir.ElementwiseLoop([node], outs=[out] + extra, ins=in_bufs,
                                   in_bcast=[tuple(v.broadcastable) for v in node.inputs], loads=loads,
                                   stmts=stmts,
                                   results=[f"t{len(stmts) - 1}"] + [f"t{step}" for step, _ in self.extra_outputs],
                                   out_bcast=tuple(out_var.broadcastable),
                                   alloc_outs=[self.inplace_input is None] + [True] * len(extra)))


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


def _fusable(node, pattern, taken):
    return (node is not None and node not in taken and isinstance(node.op, Elemwise)
            and len(node.outputs) == 1 and node.outputs[0].broadcastable == pattern)


def _convex(group, fgraph, group_of):
    """Whether no path leaves ``group`` and comes back into it (the fused node would
    have to run both before and after the nodes on that path). A group formed earlier
    (``group_of``) is one node: a path entering it leaves through any of its outputs."""
    seen = set()
    stack = [c for n in group for c, _ in fgraph.clients.get(n.outputs[0], ()) if c != "output" and c not in group]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        for member in group_of.get(node, (node,)):
            seen.add(member)
            for out in member.outputs:
                for client, _ in fgraph.clients.get(out, ()):
                    if client == "output":
                        continue
                    if client in group:
                        return False
                    stack.append(client)
    return True


def _group_from(root, fgraph, taken):
    """The maximal convex group of Elemwise nodes with ``root``'s output pattern around
    ``root``, grown through producers and consumers alike (a value read outside the group
    becomes one more output)."""
    pattern = root.outputs[0].broadcastable
    group = {root}
    grew = True
    while grew:     # a node refused now (a path through a non-member) may fit once that joins
        grew = False
        for node in list(group):
            around = [v.owner for v in node.inputs] + \
                [c for c, _ in fgraph.clients.get(node.outputs[0], ()) if c != "output"]
            for other in around:
                if other in group or not _fusable(other, pattern, taken):
                    continue
                group.add(other)
                if _convex(group, fgraph, taken):
                    grew = True
                else:
                    group.discard(other)
    return group


def _build(group, fgraph, position):
    """(external inputs, program, output nodes with their step index) for ``group``,
    evaluated in the graph's (deterministic) order; the last node is the main output."""
    members = set(group)
    order = sorted(group, key=position.__getitem__)
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
    outputs = [n for n in order if any(c == "output" or c not in members
                                       for c, _ in fgraph.clients.get(n.outputs[0], ()))]
    return inputs, program, [(n, step_of[n]) for n in outputs]


@register_pass("fusion")
def fuse_elementwise(fgraph):
    """Fuse each maximal convex group of Elemwise nodes into one FusedElemwise node (one
    loop, any number of inputs and outputs)."""
    taken, replacements = {}, []      # taken: node -> the group it was fused into
    order = fgraph.toposort()
    position = {n: i for i, n in enumerate(order)}
    for node in reversed(order):
        if node in taken or not isinstance(node.op, Elemwise):
            continue
        group = _group_from(node, fgraph, taken)
        if len(group) < 2:
            continue
        members = frozenset(group)
        taken.update(dict.fromkeys(group, members))
        inputs, program, outputs = _build(group, fgraph, position)
        (main, main_step), extra = outputs[-1], outputs[:-1]
        assert main_step == len(program) - 1
        op = FusedElemwise(program, main.outputs[0].type,
                           extra_outputs=[(step, n.outputs[0].type) for n, step in extra])
        fused = op.make_node(*inputs).outputs
        for (n, _), new in zip([(main, main_step)] + extra, fused):
            new.name = n.outputs[0].name
            replacements.append((n.outputs[0], new))
    if replacements:
        fgraph.replace_all(replacements)
    return len(replacements)
