"""Merge (common subexpression elimination): equal constants become one, and nodes
applying equal ops to the same inputs become one."""
from jitgraph.graph.basic import Constant
from jitgraph.rewrite import register_pass


@register_pass("merge", modes=("fast_run", "fast_compile"))
def merge(fgraph):
    """Replace duplicate constants and duplicate nodes by their first occurrence."""
    canonical = {}      # variable -> the variable it is merged into
    by_signature = {}
    for node in fgraph.toposort():
        for v in node.inputs:
            if isinstance(v, Constant) and v not in canonical:
                try:
                    sig = v.signature()
                    hash(sig)
                except TypeError:
                    continue
                canonical[v] = by_signature.setdefault(("const", sig), v)
    seen = {}
    replacements = []
    for node in fgraph.toposort():
        inputs = tuple(canonical.get(v, v) for v in node.inputs)
        key = (node.op, inputs)
        try:
            first = seen.setdefault(key, node)
        except TypeError:   # an op whose props are not hashable is never merged
            continue
        if first is not node:
            for old, new in zip(node.outputs, first.outputs):
                canonical[old] = new
    for old, new in canonical.items():
        if old is not new and old.type == new.type:
            replacements.append((old, new))
    if replacements:
        fgraph.replace_all(replacements)
    return len(replacements)


def merge_again(fgraph):
    """Merge once more: canonicalize and stabilize build nodes that duplicate existing ones."""
    return merge(fgraph)
