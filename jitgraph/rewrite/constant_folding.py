"""Constant folding: a node whose inputs are all constants is computed once, at compile
time, by its reference ``perform``, and its outputs become constants.

Left alone: random draws and other stateful or side-effecting ops (a draw must differ
from call to call, ``Print`` must print at run time), ops carrying inner graphs (IfElse,
IndexLoop: their branches are not this graph's nodes), ops with non-tensor inputs or
outputs, results of more than ``MAX_FOLDED_ELEMENTS`` elements (a big array is cheaper
to compute than to carry in the graph), and nodes whose ``perform`` raises (the error
belongs to run time, where the user sees it).

A size-1 constant padded with broadcastable dimensions, ``DimShuffle{x,x}(c)``, counts
as a constant but is kept in that form (and a folded result of that kind is written in
it): backends embed 0-d constants as literals, and the other passes look through such
DimShuffles for constant values."""
import numpy as np

from jitgraph.graph.basic import Constant
from jitgraph.rewrite import register_pass
from jitgraph.tensor.elemwise import DimShuffle
from jitgraph.tensor.type import TensorType
from jitgraph.tensor.var import TensorConstant

MAX_FOLDED_ELEMENTS = 1_000_000


def _never_folded_types():
    from jitgraph.ifelse import IfElse
    from jitgraph.index_loop import IndexLoop
    from jitgraph.printing import Print
    from jitgraph.sandbox.rng_mrg import MRGUniform
    from jitgraph.tensor.raw_random import RandomFunction
    return (RandomFunction, MRGUniform, Print, IfElse, IndexLoop)


def _has_inner_graph(op):
    from jitgraph.compile.innergraph import InnerGraph
    return any(isinstance(v, InnerGraph) for v in vars(op).values())


def is_broadcast_constant(var):
    """``var`` is ``DimShuffle{x,...}(c)`` of a 0-d constant ``c``."""
    node = var.owner
    return (node is not None and isinstance(node.op, DimShuffle) and isinstance(node.inputs[0], Constant)
            and node.inputs[0].type.ndim == 0 and all(d == "x" for d in node.op.new_order))


def constant_data(var):
    """The value of a constant or of a broadcast constant, else None."""
    if isinstance(var, Constant):
        return var.data
    if is_broadcast_constant(var):
        return np.asarray(var.owner.inputs[0].data).reshape((1,) * var.type.ndim)
    return None


def _foldable(node, never):
    if isinstance(node.op, never) or _has_inner_graph(node.op):
        return False
    if not all(isinstance(v.type, TensorType) for v in node.inputs + node.outputs):
        return False
    for out in node.outputs:
        if None not in out.type.shape and int(np.prod(out.type.shape)) > MAX_FOLDED_ELEMENTS:
            return False
    return not is_broadcast_constant(node.outputs[0])


def as_constant(value, var):
    """A constant (or broadcast constant) of exactly ``var``'s type holding ``value``."""
    ttype = var.type
    value = np.array(value, dtype=ttype.numpy_dtype, order="C")    # a copy: never a view of an input
    if ttype.ndim > 0 and all(ttype.broadcastable):
        scalar = TensorConstant(TensorType(ttype.dtype, ()), value.reshape(()))
        return DimShuffle((), ("x",) * ttype.ndim)(scalar)
    return TensorConstant(ttype, value)


def _evaluate(node, values):
    storage = [[None] for _ in node.outputs]
    try:
        with np.errstate(all="ignore"):
            node.op.perform(node, [np.asarray(v) for v in values], storage)
    except Exception:   # noqa: BLE001 - any failure is reported when the function runs
        return None
    results = []
    for out, (value,) in zip(node.outputs, storage):
        if value is None:
            return None
        value = np.asarray(value)
        if value.size > MAX_FOLDED_ELEMENTS or value.shape != _shape_checked(out, value):
            return None
        results.append(value)
    return results


def _shape_checked(var, value):
    """``value.shape`` when it fits ``var``'s static shape, else something unequal to it."""
    if value.ndim != var.type.ndim:
        return None
    if any(s is not None and s != n for s, n in zip(var.type.shape, value.shape)):
        return None
    return value.shape


@register_pass("constant_folding", modes=("fast_run", "fast_compile"))
def constant_folding(fgraph):
    """Compute nodes whose inputs are all constants at compile time; replace them by constants."""
    never = _never_folded_types()
    known = {}          # variable -> value, for constants and results folded in this pass
    folded = []
    for node in fgraph.toposort():
        values = []
        for v in node.inputs:
            value = known.get(v)
            if value is None:
                value = constant_data(v)
            if value is None:
                break
            values.append(value)
        else:
            if not _foldable(node, never):
                continue
            results = _evaluate(node, values)
            if results is None:
                continue
            folded.append(node)
            known.update(zip(node.outputs, results))
    folded_set = set(folded)
    replacements = []
    for node in folded:
        for out in node.outputs:
            # only results read outside the folded part (intermediates disappear with it)
            if any(c == "output" or c not in folded_set for c, _ in fgraph.clients.get(out, ())):
                replacements.append((out, as_constant(known[out], out)))
    if replacements:
        fgraph.replace_all(replacements)
    return len(folded)
