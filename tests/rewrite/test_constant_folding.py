"""Constant folding: constant-only nodes become constants at compile time — the graph
before and after, same values as the unoptimized graph; draws, prints, inner graphs and
big results are left alone."""
import numpy as np
import pytest

import jitgraph.tensor as T
from jitgraph import function
from jitgraph.compile.mode import Mode
from jitgraph.graph.basic import Constant
from jitgraph.graph.fg import FunctionGraph
from jitgraph.ifelse import ifelse
from jitgraph.printing import Print
from jitgraph.rewrite.constant_folding import MAX_FOLDED_ELEMENTS, constant_folding
from jitgraph.sandbox.rng_mrg import MRGUniform

UNOPTIMIZED = Mode(linker="py", optimizer=None)


def op_names(fg):
    return sorted(str(n.op) for n in fg.apply_nodes)


def assert_same_results(inputs, outputs, values):
    expected = function(inputs, outputs, mode=UNOPTIMIZED)(*values)
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        got = function(inputs, outputs, mode=mode)(*values)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        assert np.asarray(got).dtype == np.asarray(expected).dtype


def test_constant_subexpression_becomes_one_constant():
    x = T.dvector("x")
    c = T.constant(2.0) * 3 + T.exp(T.constant(1.0))
    out = x + c
    fg = FunctionGraph([x], [out])
    assert op_names(fg) == ["DimShuffle{x}", "Elemwise{add}", "Elemwise{add}", "Elemwise{exp}",
                            "Elemwise{mul}"]
    assert constant_folding(fg) == 4            # mul, exp, their add, and the DimShuffle padding it
    assert op_names(fg) == ["DimShuffle{x}", "Elemwise{add}"]
    (node,) = [n for n in fg.apply_nodes if str(n.op) == "DimShuffle{x}"]
    folded = node.inputs[0]
    assert isinstance(folded, Constant) and folded.type == c.type
    assert folded.data == pytest.approx(6 + np.e, rel=1e-15)
    assert_same_results([x], out, [np.array([0.5, -1.0, 2.0])])


def test_broadcast_constants_fold_into_a_broadcast_constant():
    # DimShuffle{x,x}(c) stays in that form (a literal for the backend); an expression of
    # such constants folds into one of the same form
    x = T.dmatrix("x")
    two, three = (T.shape_padleft(T.constant(v), 2) for v in (2.0, 3.0))
    out = x * (two * three)
    fg = FunctionGraph([x], [out])
    assert constant_folding(fg) == 1
    assert op_names(fg) == ["DimShuffle{x,x}", "Elemwise{mul}"]
    (ds,) = [n for n in fg.apply_nodes if str(n.op) == "DimShuffle{x,x}"]
    assert ds.inputs[0].type.ndim == 0 and ds.inputs[0].data == 6.0
    assert constant_folding(fg) == 0            # nothing left to fold
    assert_same_results([x], out, [np.arange(6.0).reshape(2, 3)])


def test_constant_arrays_fold_with_their_types():
    x = T.ivector("x")
    table = T.constant(np.arange(12, dtype="int32").reshape(3, 4))
    out = x + table.T[1:3].sum(axis=0) + table.shape[1]
    fg = FunctionGraph([x], [out])
    n = constant_folding(fg)
    assert n >= 4
    assert all(not all(isinstance(v, Constant) for v in node.inputs) for node in fg.apply_nodes
               if str(node.op) != "DimShuffle{x}")
    assert_same_results([x], out, [np.array([1, 2, 3], dtype="int32")])
    assert function([x], out)(np.zeros(3, "int32")).tolist() == [7, 15, 23]


def test_folded_output_is_not_shared_between_calls(mode):
    f = function([], T.constant(np.arange(3.0)) * 2, mode=mode)
    assert f.maker.fgraph.toposort() == []
    a = f()
    a[:] = -1
    np.testing.assert_array_equal(f(), [0.0, 2.0, 4.0])


def test_constant_update_folds(mode):
    from jitgraph import shared
    s = shared(np.zeros(2))
    f = function([], s * 1, updates=[(s, T.constant(np.ones(2)) * 5)], mode=mode)
    f()
    np.testing.assert_array_equal(s.get_value(), [5.0, 5.0])


def test_results_above_the_limit_are_left_alone():
    big = T.alloc(T.constant(1.5), MAX_FOLDED_ELEMENTS + 1, 1)
    small = T.alloc(T.constant(1.5), 10, 3)
    fg = FunctionGraph([], [big, small])
    assert constant_folding(fg) == 1
    assert op_names(fg) == ["Alloc"]
    assert isinstance(fg.outputs[1], Constant) and fg.outputs[1].data.shape == (10, 3)


def test_errors_stay_run_time_errors(mode):
    out = T.constant(np.arange(3.0))[T.constant(5)]
    fg = FunctionGraph([], [out])
    assert constant_folding(fg) == 0
    f = function([], out, mode=mode)
    with pytest.raises(IndexError):
        f()


def test_draws_prints_and_inner_graphs_are_not_folded(capsys):
    rstate = T.constant(np.full((1, 6), 12345, dtype="int32"))
    _, sample = MRGUniform.new(rstate, 1, "float64", (4,))
    printed = Print("folded?")(T.constant(2.0))
    chosen = ifelse(T.constant(1), T.constant(7.0), T.constant(8.0))
    fg = FunctionGraph([], [sample, printed * 3, chosen])
    before = op_names(fg)
    assert constant_folding(fg) == 0            # printed * 3 reads the Print's result: not a constant
    assert op_names(fg) == before
    assert any("MRGUniform" in n for n in op_names(fg))
    assert any("Print" in type(n.op).__name__ for n in fg.apply_nodes)
    assert any(n.startswith("if") for n in op_names(fg))
    f = function([], [sample, printed * 3, chosen], mode="FAST_RUN")
    capsys.readouterr()
    s, p, c = f()
    assert "folded?" in capsys.readouterr().out
    assert p == 6.0 and c == 7.0 and s.shape == (4,) and np.all((s > 0) & (s < 1))
