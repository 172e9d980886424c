"""The graph IR: variables, apply nodes, traversal, cloning, FunctionGraph."""
import pytest

import jitgraph.tensor as T
from jitgraph.graph.basic import (Apply, Constant, Variable, ancestors, clone_replace, graph_inputs,
                                  io_toposort)
from jitgraph.graph.fg import FunctionGraph


def test_apply_links_outputs():
    x = T.dvector("x")
    y = T.exp(x)
    node = y.owner
    assert isinstance(node, Apply)
    assert node.inputs == [x] and node.outputs == [y]
    assert y.index == 0 and node.out is y


def test_toposort_orders_producers_first():
    x, y = T.dscalars("x", "y")
    a = x + y
    b = a * x
    c = T.exp(b) + a
    order = io_toposort([x, y], [c])
    pos = {n: i for i, n in enumerate(order)}
    for n in order:
        for i in n.inputs:
            if i.owner is not None:
                assert pos[i.owner] < pos[n]
    assert len(order) == 4


def test_graph_inputs_and_ancestors():
    x, y = T.dscalars("x", "y")
    z = (x + 2) * y
    roots = graph_inputs([z])
    assert x in roots and y in roots
    assert any(isinstance(r, Constant) for r in roots)
    assert z in ancestors([z])


def test_clone_replace_substitutes_without_touching_original():
    x, y = T.dscalars("x", "y")
    z = x * 2 + 1
    z2 = clone_replace(z, {x: y})
    assert x in graph_inputs([z])
    assert y in graph_inputs([z2]) and x not in graph_inputs([z2])
    assert z2.eval({y: 3.0}) == 7


def test_function_graph_clients_and_replace():
    x = T.dscalar("x")
    y = T.exp(x) + x
    fg = FunctionGraph([x], [y])
    (fx,) = fg.inputs
    assert len(fg.clients[fx]) == 2
    out = fg.outputs[0]
    exp_node = [n for n in fg.apply_nodes if str(n.op) == "Elemwise{exp}"][0]
    fg.replace(exp_node.outputs[0], T.sin(fx))
    assert "Elemwise{sin}" in {str(n.op) for n in fg.apply_nodes}
    assert "Elemwise{exp}" not in {str(n.op) for n in fg.apply_nodes}
    assert fg.outputs[0] is out
    with pytest.raises(TypeError, match="types differ"):
        fg.replace(fg.outputs[0], T.dvector())


def test_replace_all_rewires_replacements_built_from_each_other():
    """Two rewrites of one pass: the second's replacement reads the first's ``old``; after
    replace_all nothing reads the old nodes, and a replacement built from its own
    ``old`` keeps reading it."""
    x = T.dvector("x")
    fg = FunctionGraph([x], [T.exp(T.tanh(x)) * 2])
    (fx,) = fg.inputs
    tanh_out = [n for n in fg.apply_nodes if str(n.op) == "Elemwise{tanh}"][0].outputs[0]
    exp_out = [n for n in fg.apply_nodes if str(n.op) == "Elemwise{exp}"][0].outputs[0]
    fg.replace_all([(exp_out, T.log(tanh_out)), (tanh_out, T.sin(fx))])
    assert sorted(str(n.op) for n in fg.apply_nodes) == ["DimShuffle{x}", "Elemwise{log}", "Elemwise{mul}",
                                                        "Elemwise{sin}"]
    y = T.fvector("y")
    fg = FunctionGraph([y], [T.exp(y)])
    old = fg.outputs[0]
    fg.replace_all([(old, T.sin(old))])
    assert sorted(str(n.op) for n in fg.apply_nodes) == ["Elemwise{exp}", "Elemwise{sin}"]


def test_function_graph_rejects_missing_inputs():
    x, y = T.dscalars("x", "y")
    with pytest.raises(ValueError, match="not among"):
        FunctionGraph([x], [x + y])


def test_ops_compare_by_props():
    a = T.DimShuffle((False,), (0, "x"))
    b = T.DimShuffle((False,), (0, "x"))
    assert a == b and hash(a) == hash(b)
    assert a != T.DimShuffle((False,), ("x", 0))


def test_variable_has_no_truth_value_and_is_not_iterable():
    x = T.dvector()
    with pytest.raises(TypeError, match="truth value"):
        bool(x)
    with pytest.raises(TypeError):
        iter(x)
    assert isinstance(x, Variable)
