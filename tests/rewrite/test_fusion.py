"""Elementwise fusion: the graph before and after, and unchanged results."""
import numpy as np

import jitgraph
import jitgraph.tensor as T
from jitgraph import config, function
from jitgraph.graph.fg import FunctionGraph
from jitgraph.rewrite.fusion import FusedElemwise, fuse_elementwise


def op_names(fg):
    return sorted(type(n.op).__name__ for n in fg.apply_nodes)


def test_fused_expression_is_one_node_and_one_loop():
    x, a, b = T.fvectors("x", "a", "b")
    e = T.tanh(a * x + b) * T.exp(-x * x) + T.sqrt(abs(x))
    fg = FunctionGraph([x, a, b], [e])
    assert op_names(fg) == ["Elemwise"] * 10
    assert fuse_elementwise(fg) == 1
    assert op_names(fg) == ["FusedElemwise"]
    f = function([x, a, b], e)
    assert [type(n.op).__name__ for n in f.maker.fgraph.toposort()] == ["FusedElemwise"]
    assert f._program.n_native == 1
    rng = np.random.RandomState(0)
    xs, as_, bs = (rng.uniform(-2, 2, 1000).astype("float32") for _ in range(3))
    ref = function([x, a, b], e, mode="FAST_COMPILE")
    np.testing.assert_allclose(f(xs, as_, bs), ref(xs, as_, bs), rtol=1e-4)


def test_siblings_fuse_into_one_node_with_several_outputs():
    x = T.dvector("x")
    h = T.exp(x)
    fg = FunctionGraph([x], [h * 2, h + 1])
    assert fuse_elementwise(fg) == 2           # both outputs replaced ...
    assert op_names(fg) == ["DimShuffle", "DimShuffle", "FusedElemwise"]   # ... by one node
    (fused,) = [n for n in fg.apply_nodes if isinstance(n.op, FusedElemwise)]
    assert len(fused.outputs) == 2 and [str(s[0]) for s in fused.op.program] == ["exp", "mul", "add"]
    f = function([x], [h * 2, h + 1])
    assert [type(st).__name__ for st in f._program.stages[0].kernel.steps if type(st).__name__ != "View"] \
        == ["ElementwiseLoop"]
    v = np.array([0.0, 1.0])
    np.testing.assert_allclose(f(v)[0], np.exp(v) * 2)
    np.testing.assert_allclose(f(v)[1], np.exp(v) + 1)


def test_an_intermediate_read_outside_becomes_an_output_and_groups_never_form_a_cycle():
    x = T.dvector("x")
    w = T.dmatrix("w")
    h = T.tanh(x * 2)
    s = T.dot(w, h)          # h leaves to a dot whose result comes back: h * s cannot join
    out = T.exp(h) * s
    fg = FunctionGraph([x, w], [out, h + 1])
    fuse_elementwise(fg)
    order = fg.toposort()    # (a cycle would make this fail)
    assert [type(n.op).__name__ for n in order] == ["DimShuffle", "DimShuffle", "FusedElemwise", "Dot",
                                                    "Elemwise"]
    first = order[2]
    # x*2, tanh, exp and h+1 in one loop; tanh (for the dot), exp (for the product) and h+1 leave it
    assert [str(s[0]) for s in first.op.program] == ["mul", "tanh", "exp", "add"]
    assert len(first.outputs) == 3
    f = function([x, w], [out, h + 1])
    xv, wv = np.linspace(-1, 1, 4), np.arange(12.0).reshape(3, 4) / 10
    hv = np.tanh(xv * 2)
    r = f(xv, wv[:1].repeat(4, 0))
    np.testing.assert_allclose(r[1], hv + 1)
    np.testing.assert_allclose(r[0], np.exp(hv) * (wv[:1].repeat(4, 0) @ hv))


def test_broadcasting_inputs_fuse_with_bias_and_activation():
    x = T.dmatrix("x")
    b = T.dvector("b")
    out = T.tanh(x + b) * 2
    fg = FunctionGraph([x, b], [out])
    before = op_names(fg)
    assert before.count("Elemwise") == 3
    fuse_elementwise(fg)
    assert op_names(fg) == ["DimShuffle", "DimShuffle", "FusedElemwise"]   # b and the constant 2 padded
    f = function([x, b], out)
    xv, bv = np.random.RandomState(1).rand(3, 4), np.arange(4.0)
    np.testing.assert_allclose(f(xv, bv), np.tanh(xv + bv) * 2)


def test_different_patterns_are_not_fused_together():
    x = T.dmatrix("x")
    r = T.drow("r")
    out = T.exp(r) * x          # exp(r) has pattern (True, False), the product (False, False)
    fg = FunctionGraph([x, r], [out])
    fuse_elementwise(fg)
    assert sorted(str(n.op) for n in fg.apply_nodes) == ["Elemwise{exp}", "Elemwise{mul}"]


def test_fused_node_reference_and_native_agree_and_check_broadcasting():
    x, y = T.dmatrices("x", "y")
    out = T.log1p(x * x) - y / (1 + abs(y))
    fast = function([x, y], out)
    debug = function([x, y], out, mode="DEBUG")     # native beside the FusedElemwise reference
    rng = np.random.RandomState(2)
    xv, yv = rng.randn(5, 3), rng.randn(5, 3)
    np.testing.assert_allclose(fast(xv, yv), np.log1p(xv * xv) - yv / (1 + abs(yv)))
    np.testing.assert_allclose(debug(xv, yv), fast(xv, yv))
    for g in (fast, debug):
        try:
            g(xv, rng.randn(1, 3))
        except ValueError as exc:
            assert "broadcastable" in str(exc)
        else:
            raise AssertionError("size-1 dimension not marked broadcastable was accepted")


def test_excluding_fusion_by_flag():
    x = T.dvector("x")
    e = T.exp(x) * 2 + 1
    with config.change_flags(optimizer_excluding="fusion"):
        f = function([x], e)
    # (the inplace pass may still make a one-step FusedElemwise overwrite a dead input)
    assert not any(isinstance(n.op, FusedElemwise) and len(n.op.program) > 1 for n in f.maker.fgraph.apply_nodes)
    g = function([x], e)
    assert any(isinstance(n.op, FusedElemwise) and len(n.op.program) > 1 for n in g.maker.fgraph.apply_nodes)
    np.testing.assert_allclose(f(np.ones(2)), g(np.ones(2)))


def test_fast_compile_does_not_fuse():
    x = T.dvector("x")
    f = function([x], T.exp(x) * 2, mode="FAST_COMPILE")
    assert not any(isinstance(n.op, FusedElemwise) for n in f.maker.fgraph.apply_nodes)
    _ = jitgraph


def test_several_outputs_on_strided_and_broadcast_inputs():
    x = T.dmatrix("x")
    b = T.dvector("b")
    h = T.exp(x + b)
    f = function([x, b], [h * 2, h - 1])
    fused = [n for n in f.maker.fgraph.apply_nodes if isinstance(n.op, FusedElemwise)]
    assert len(fused) == 1 and len(fused[0].outputs) == 2
    xv = np.arange(24.0).reshape(4, 6)[:, ::2] / 10        # strided rows
    bv = np.array([0.5, -0.5, 1.0])
    r1, r2 = f(xv, bv)
    np.testing.assert_allclose(r1, np.exp(xv + bv) * 2, rtol=1e-12)
    np.testing.assert_allclose(r2, np.exp(xv + bv) - 1, rtol=1e-12)
    r1, r2 = f(np.asfortranarray(xv), bv)                   # neither rows nor columns contiguous runs
    np.testing.assert_allclose(r2, np.exp(xv + bv) - 1, rtol=1e-12)
