"""Merge (CSE): duplicate constants and nodes become one."""
import numpy as np

import jitgraph.tensor as T
from jitgraph import function
from jitgraph.graph.fg import FunctionGraph
from jitgraph.rewrite.merge import merge


def test_duplicate_subexpressions_merge():
    x = T.dvector("x")
    a = T.exp(x) + 2
    b = T.exp(x) + 2        # built twice: two exp nodes, two add nodes, two constants
    fg = FunctionGraph([x], [a * b])
    assert len(fg.apply_nodes) == 7     # each 2 is padded by a DimShuffle{x}
    assert merge(fg) > 0
    assert sorted(str(n.op) for n in fg.apply_nodes) == ["DimShuffle{x}", "Elemwise{add}", "Elemwise{exp}",
                                                         "Elemwise{mul}"]
    f = function([x], a * b, mode="FAST_COMPILE")
    v = np.array([0.0, 1.0])
    np.testing.assert_allclose(f(v), (np.exp(v) + 2) ** 2)


def test_gradient_duplicates_merge():
    x = T.dmatrix("x")
    h = T.tanh(x)
    g = T.grad(h.sum(), x)   # the gradient recomputes tanh(x)
    fg = FunctionGraph([x], [h, g])
    n_tanh = sum(str(n.op) == "Elemwise{tanh}" for n in fg.apply_nodes)
    merge(fg)
    assert n_tanh == 2
    assert sum(str(n.op) == "Elemwise{tanh}" for n in fg.apply_nodes) == 1


def test_different_ops_or_inputs_do_not_merge():
    x, y = T.dvectors("x", "y")
    fg = FunctionGraph([x, y], [T.exp(x) + T.exp(y), T.exp(x) * 3])
    merge(fg)
    assert sum(str(n.op) == "Elemwise{exp}" for n in fg.apply_nodes) == 2
