"""Inplace: results take the storage of values nobody needs afterwards, so a steady-state
training step allocates no new large buffers.

- An update of a shared variable computed by a gemm or an elementwise node that reads the
  variable itself (``W - lr * dot(a, b)``, ``b - lr * g``) overwrites the variable's
  storage. Every other reader of that storage (through views too) is ordered before it,
  and the function then has nothing to copy: the update is already in place.
- An elementwise result overwrites an input of its own type that is a temporary read by
  no other node (``tanh(dot(x, w) + b)`` reuses the product's buffer).

The pass runs last: it only marks nodes (``destroy_map``) and records orderings; which
values are read where does not change.
"""
from jitgraph.graph.basic import Constant, storage_root
from jitgraph.rewrite import register_pass
from jitgraph.rewrite.fusion import FusedElemwise
from jitgraph.tensor.blas import Gemm
from jitgraph.tensor.elemwise import CAReduce, Elemwise
from jitgraph.tensor.math import Dot


def _aliases(fgraph, var):
    """``var`` and every variable that views its storage."""
    found, stack = [var], [var]
    while stack:
        v = stack.pop()
        for client, i in fgraph.clients.get(v, ()):
            if client == "output":
                continue
            for out_index, srcs in (getattr(client.op, "view_map", None) or {}).items():
                if i in srcs:
                    found.append(client.outputs[out_index])
                    stack.append(client.outputs[out_index])
    return found


def _inplace_version(node, k):
    """The op computing ``node`` into its input ``k``, or None."""
    op = node.op
    if isinstance(op, Gemm):
        return Gemm(inplace=True) if k == 0 and not op.inplace else None
    out = node.outputs[0]
    if node.inputs[k].type != out.type or len(node.outputs) != 1:
        return None
    if isinstance(op, FusedElemwise):
        return op.with_inplace(k) if op.inplace_input is None else None
    if isinstance(op, Elemwise):
        return FusedElemwise.of_elemwise(node).with_inplace(k)
    return None


def _replace_op(fgraph, node, op):
    """Swap ``node`` for ``op`` applied to the same inputs, keeping its orderings."""
    new = op.make_node(*node.inputs)
    fgraph.replace_all([(node.outputs[0], new.outputs[0])])
    orderings = fgraph.orderings
    if node in orderings:
        orderings[new] = orderings.pop(node)
    for deps in orderings.values():
        for i, dep in enumerate(deps):
            if dep is node:
                deps[i] = new
    return new


# ops whose results are fresh, contiguous buffers of their own (never views or inputs)
_FRESH_RESULTS = (Elemwise, FusedElemwise, Gemm, Dot, CAReduce)


def _update_in_place(fgraph, out_index, target):
    """Compute output ``out_index`` (an update of input ``target``) into target's storage."""
    value = fgraph.outputs[out_index]
    node = value.owner
    if node is None or fgraph.clients.get(value) != [("output", out_index)]:
        return False
    positions = [k for k, v in enumerate(node.inputs) if v is target]
    if not positions:
        return False
    op = _inplace_version(node, positions[0])
    if op is None:
        return False
    aliases = _aliases(fgraph, target)
    readers = set()
    for alias in aliases:
        for client, _ in fgraph.clients.get(alias, ()):
            if client == "output":
                return False      # the old value is returned: it must survive the call
            readers.add(client)
    readers.discard(node)
    new = _replace_op(fgraph, node, op)
    fgraph.orderings[new] = [r for r in readers if r in fgraph.apply_nodes and r is not new]
    return True


def _reuse_dead_input(fgraph, node):
    """Let an elementwise node overwrite an input only it reads."""
    if not isinstance(node.op, (Elemwise, FusedElemwise, Gemm)) or getattr(node.op, "destroy_map", None):
        return False
    positions = [0] if isinstance(node.op, Gemm) else range(len(node.inputs))
    for k in positions:
        var = node.inputs[k]
        if var.owner is None or isinstance(var, Constant) or node.inputs.count(var) != 1:
            continue
        if fgraph.clients.get(var) != [(node, k)] or storage_root(var) is not var \
                or not isinstance(var.owner.op, _FRESH_RESULTS):
            continue
        op = _inplace_version(node, k)
        if op is not None:
            _replace_op(fgraph, node, op)
            return True
    return False


@register_pass("inplace")
def inplace(fgraph):
    """Updates overwrite their shared variable; elementwise results overwrite dead inputs."""
    changed = 0
    for out_index, target in sorted(fgraph.update_targets.items()):
        if out_index < len(fgraph.outputs) and target in fgraph.inputs:
            changed += _update_in_place(fgraph, out_index, target)
    for node in fgraph.toposort():
        if node in fgraph.apply_nodes:
            changed += _reuse_dead_input(fgraph, node)
    return changed
