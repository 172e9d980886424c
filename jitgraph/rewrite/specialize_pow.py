"""Powers by small constant exponents become cheaper ops: ``x**2`` -> ``sqr(x)``,
``x**0.5`` -> ``sqrt(x)``, ``x**1`` -> ``x``, ``x**-1`` -> ``inv(x)`` (numpy does the same
for square and sqrt). Applies only where the result type is unchanged."""
import numpy as np

from jitgraph.graph.basic import Constant
from jitgraph.rewrite import register_pass
from jitgraph.tensor.elemwise import DimShuffle, Elemwise


def _constant_value(var):
    """The scalar value of a constant, possibly behind DimShuffles that only add dims."""
    while var.owner is not None and isinstance(var.owner.op, DimShuffle):
        var = var.owner.inputs[0]
    if isinstance(var, Constant) and np.asarray(var.data).size == 1:
        return np.asarray(var.data).item()
    return None


_REPLACEMENTS = {2: "sqr", 0.5: "sqrt", -1: "inv", 1: "identity"}


@register_pass("specialize_pow")
def specialize_pow(fgraph):
    """Rewrite x ** c for c in (2, 0.5, -1, 1) to sqr, sqrt, inv or a copy."""
    import jitgraph.tensor as T
    replacements = []
    for node in fgraph.toposort():
        if not (isinstance(node.op, Elemwise) and node.op.scalar_op.name == "pow"):
            continue
        base, exponent = node.inputs
        value = _constant_value(exponent)
        name = _REPLACEMENTS.get(value) if value is not None else None
        if name is None:
            continue
        out = node.outputs[0]
        new = getattr(T, name)(T.cast(base, out.dtype) if base.dtype != out.dtype else base)
        if new.broadcastable != out.broadcastable:
            continue
        if new.type != out.type:
            if new.dtype != out.dtype or new.type.shape != out.type.shape:
                continue
        replacements.append((out, new))
    if replacements:
        fgraph.replace_all(replacements)
    return len(replacements)
