"""Canonicalize: local simplifications that make a graph smaller without changing what
it computes, applied until nothing changes (with constant folding in between, so that
a simplification that leaves constant-only nodes behind gets them folded).

Each rule looks at one node and returns an expression for its output, or None:

- arithmetic identities: ``x*1``, ``x+0``, ``x-0``, ``x/1``, ``x**1`` -> ``x``;
  ``x**0`` -> ones; ``--x`` -> ``x``; ``x-x`` -> zeros and ``x/x`` -> ones (as Theano
  1.0.5 does: the result differs where x is 0, inf or NaN, like Theano's);
- ``log(exp(x))`` -> ``x``; ``exp(log(x))`` -> ``switch(x >= 0, x, nan)`` (exact, also
  for negative x);
- a chain of DimShuffles -> one (none when it is the identity); a Reshape of a Reshape
  -> one Reshape; a reduction of a DimShuffle -> a DimShuffle of a reduction of the
  input (reductions over broadcast dims disappear);
- ``x.shape`` and ``x.shape[i]`` -> constants where the static shape has the sizes;
- useless ``cast`` (same dtype), ``alloc``/``fill`` (the value already has the
  result's type), subtensor (``x[:]``, ``x[0:]``).

A replacement has exactly the replaced variable's type (cast where only the dtype
differs); when it cannot, the rule does not apply."""
import numpy as np

from jitgraph.graph.basic import Constant
from jitgraph.rewrite import register_pass
from jitgraph.rewrite.constant_folding import as_constant, constant_data, constant_folding
from jitgraph.scalar.basic import Cast
from jitgraph.tensor.elemwise import CAReduce, DimShuffle, Elemwise
from jitgraph.tensor.shape import Alloc, Reshape, Shape
from jitgraph.tensor.subtensor import Subtensor

MAX_ROUNDS = 10


def _T():
    import jitgraph.tensor as T
    return T


def _fit(new, out):
    """``new`` with ``out``'s dtype, if it then has exactly ``out``'s type; else None."""
    if new.dtype != out.dtype:
        new = _T().cast(new, out.dtype)
    return new if new.type == out.type else None


def _is_scalar_constant(var, value):
    """``var`` is a constant whose every element is ``value``, broadcastable in every dim."""
    data = constant_data(var)
    return data is not None and all(var.broadcastable) and bool(np.all(np.asarray(data) == value))


def _filled(like, value, out):
    """``value`` broadcast to ``like``'s shape, of ``out``'s dtype."""
    T = _T()
    return _fit(T.second(like, T.constant(value, dtype=out.dtype)), out)


# ------------------------------------------------------------ elementwise rules

def _drop_neutral(node, neutral):
    """``op(x, neutral, ...)`` -> ``op(x, ...)`` for add (0) and mul (1)."""
    out = node.outputs[0]
    rest = [v for v in node.inputs if not _is_scalar_constant(v, neutral)]
    if len(rest) == len(node.inputs) or not rest:
        return None
    return _fit(rest[0] if len(rest) == 1 else node.op(*rest), out)


def _add(node):
    return _drop_neutral(node, 0)


def _mul(node):
    return _drop_neutral(node, 1)


def _sub(node):
    x, y = node.inputs
    if x is y:
        return _filled(x, 0, node.outputs[0])
    if _is_scalar_constant(y, 0):
        return _fit(x, node.outputs[0])
    return None


def _true_div(node):
    x, y = node.inputs
    if x is y:
        return _filled(x, 1, node.outputs[0])
    if _is_scalar_constant(y, 1):
        return _fit(x, node.outputs[0])
    return None


def _pow(node):
    x, y = node.inputs
    if _is_scalar_constant(y, 1):
        return _fit(x, node.outputs[0])
    if _is_scalar_constant(y, 0):
        return _filled(x, 1, node.outputs[0])
    return None


def _elemwise_input(var, name):
    """The input of ``var`` when ``var`` is ``name(input)`` (an Elemwise), else None."""
    node = var.owner
    if node is not None and isinstance(node.op, Elemwise) and node.op.scalar_op.name == name:
        return node.inputs[0]
    return None


def _neg(node):
    inner = _elemwise_input(node.inputs[0], "neg")
    return None if inner is None else _fit(inner, node.outputs[0])


def _log(node):
    inner = _elemwise_input(node.inputs[0], "exp")
    return None if inner is None else _fit(inner, node.outputs[0])


def _exp(node):
    x = _elemwise_input(node.inputs[0], "log")
    if x is None:
        return None
    out = node.outputs[0]
    if x.dtype == "bool" or x.dtype.startswith("uint"):     # never negative
        return _fit(x, out)
    T = _T()
    # log of a negative number is NaN, and so is exp of it
    return _fit(T.switch(T.ge(x, 0), T.cast(x, out.dtype), T.constant(np.nan, dtype=out.dtype)), out)


def _cast(node):
    x = node.inputs[0]
    return x if x.type == node.outputs[0].type else None


def _second(node):
    like, value = node.inputs
    return _fit(value, node.outputs[0])


_ELEMWISE_RULES = {"add": _add, "mul": _mul, "sub": _sub, "true_div": _true_div, "pow": _pow,
                   "neg": _neg, "log": _log, "exp": _exp, "second": _second}


def _elemwise(node):
    scalar_op = node.op.scalar_op
    if isinstance(scalar_op, Cast):
        return _cast(node)
    rule = _ELEMWISE_RULES.get(scalar_op.name)
    return rule(node) if rule is not None else None


# ------------------------------------------------------------ shape and layout rules

def _dimshuffle(node):
    x, out = node.inputs[0], node.outputs[0]
    order = node.op.new_order
    inner = x.owner
    if inner is not None and isinstance(inner.op, DimShuffle):
        x = inner.inputs[0]
        order = tuple("x" if d == "x" else inner.op.new_order[d] for d in order)
    if order == tuple(range(x.ndim)):
        return x if x.type == out.type else None
    if x is node.inputs[0]:
        return None
    return _fit(DimShuffle(x.broadcastable, order)(x), out)


def _reshape(node):
    x, shp = node.inputs
    inner = x.owner
    if inner is None or not isinstance(inner.op, Reshape):
        return None
    return _fit(node.op(inner.inputs[0], shp), node.outputs[0])


def _reduce(node):
    """``reduce(dimshuffle(x))`` -> ``dimshuffle(reduce(x))`` over the matching input axes;
    reducing a broadcast ('x') dimension of size 1 changes nothing but the dtype."""
    ds = node.inputs[0].owner
    if ds is None or not isinstance(ds.op, DimShuffle):
        return None
    x, order, out = ds.inputs[0], ds.op.new_order, node.outputs[0]
    axes = set(node.op.axis)
    reduced_x = sorted({order[a] for a in axes if order[a] != "x"} | set(ds.op.drop))
    kept = [order[a] for a in range(len(order)) if a not in axes]
    position = {d: k for k, d in enumerate(d for d in range(x.ndim) if d not in reduced_x)}
    T = _T()
    inner = CAReduce(node.op.scalar_op, reduced_x, node.op.dtype)(x) if reduced_x else T.cast(x, out.dtype)
    new_order = tuple("x" if d == "x" else position[d] for d in kept)
    if new_order != tuple(range(inner.ndim)):
        inner = DimShuffle(inner.broadcastable, new_order)(inner)
    return _fit(inner, out)


def _shape(node):
    x = node.inputs[0]
    if None in x.type.shape:
        return None
    return as_constant(np.array(x.type.shape, dtype="int64"), node.outputs[0])


def _subtensor(node):
    x, out = node.inputs[0], node.outputs[0]
    if node.op.idx_list == ("int",) and x.owner is not None and isinstance(x.owner.op, Shape):
        # x.shape[i] for a statically known size
        index = constant_data(node.inputs[1])
        shaped = x.owner.inputs[0]
        if index is None or not -shaped.ndim <= int(index) < shaped.ndim:
            return None
        size = shaped.type.shape[int(index)]
        return None if size is None else as_constant(np.int64(size), out)
    return _useless_slices(node)


def _useless_slices(node):
    """``x[:]``, ``x[0:]``, ``x[::1]``, ``x[:n]`` with n at least the static size."""
    x, values, k = node.inputs[0], node.inputs[1:], 0
    for d, entry in enumerate(node.op.idx_list):
        if entry == "int":
            return None
        parts = {}
        for name, present in zip(("start", "stop", "step"), entry[1:]):
            if present:
                data = constant_data(values[k])
                k += 1
                if data is None:
                    return None
                parts[name] = int(data)
        size = x.type.shape[d]
        if parts.get("start", 0) != 0 or parts.get("step", 1) != 1:
            return None
        if "stop" in parts and (size is None or parts["stop"] < size):
            return None
    return x if x.type == node.outputs[0].type else None


def _alloc(node):
    value = node.inputs[0]
    return value if value.type == node.outputs[0].type else None


_NODE_RULES = ((Elemwise, _elemwise), (DimShuffle, _dimshuffle), (Reshape, _reshape), (CAReduce, _reduce),
               (Shape, _shape), (Subtensor, _subtensor), (Alloc, _alloc))


def _rule_for(op):
    for op_type, rule in _NODE_RULES:
        if type(op) is op_type:
            return rule
    return None


def _one_round(fgraph):
    replacements = []
    for node in fgraph.toposort():
        if len(node.outputs) != 1:
            continue
        rule = _rule_for(node.op)
        if rule is None:
            continue
        try:
            new = rule(node)
        except (TypeError, ValueError):     # the simpler expression cannot be built: keep the node
            continue
        if new is None or new is node.outputs[0]:
            continue
        out = node.outputs[0]
        if new.name is None and new.owner is not None and not isinstance(new, Constant):
            new.name = out.name
        replacements.append((out, new))
    if replacements:
        fgraph.replace_all(replacements)
    return len(replacements)


@register_pass("canonicalize", modes=("fast_run", "fast_compile"))
def canonicalize(fgraph):
    """Simplify x*1, x+0, x-x, --x, dimshuffle/reshape chains, static shapes, useless casts... to a fixed point."""
    from jitgraph.rewrite.merge import merge
    total = 0
    for _ in range(MAX_ROUNDS):
        changed = _one_round(fgraph)
        if not changed:
            break
        total += changed + constant_folding(fgraph)
    if total:
        merge(fgraph)   # rules may rebuild expressions the graph already holds
    return total
