"""Reduction fusion: graphs before and after, one loop, and unchanged results."""
import numpy as np
import pytest

import jitgraph.tensor as T
from jitgraph import function
from jitgraph.codegen import ir
from jitgraph.graph.fg import FunctionGraph
from jitgraph.rewrite.fused_reduce import FusedReduce, fuse_reductions
from jitgraph.rewrite.fusion import fuse_elementwise


def op_names(fg):
    return sorted(type(n.op).__name__ for n in fg.apply_nodes)


def compute_steps(f):
    """The kernel steps doing arithmetic in the function's native module(s)."""
    kinds = (ir.ElementwiseLoop, ir.Reduction, ir.FusedReduction, ir.MatMul, ir.Gemm, ir.TemplateStep)
    return [type(st).__name__ for stage in f._program.stages if hasattr(stage, "kernel")
            for st in stage.kernel.steps if isinstance(st, kinds)]


def test_sum_of_squares_is_one_node_and_one_loop():
    x = T.fmatrix("x")
    fg = FunctionGraph([x], [T.sum(T.sqr(x))])
    fuse_elementwise(fg)
    assert op_names(fg) == ["CAReduce", "Elemwise"]
    assert fuse_reductions(fg) == 1
    assert op_names(fg) == ["FusedReduce"]
    f = function([x], T.sum(x ** 2))
    assert compute_steps(f) == ["FusedReduction"]
    a = np.random.default_rng(0).normal(size=(300, 200)).astype("float32")
    np.testing.assert_allclose(f(a), (a.astype("float64") ** 2).sum(), rtol=1e-6)


REDUCTIONS = {"sum": T.sum, "prod": T.prod, "max": T.max, "min": T.min}
NUMPY = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("axis", [None, 0, 1, 2, (0, 2), (1, 2)])
@pytest.mark.parametrize("layout", ["c", "transposed", "strided"])
def test_values_match_numpy(name, axis, layout):
    x, y = T.dtensor3("x"), T.dtensor3("y")
    s = T.dscalar("s")
    out = REDUCTIONS[name](T.tanh(x) * y + s, axis=axis)
    f = function([x, y, s], out)
    assert any(isinstance(n.op, FusedReduce) for n in f.maker.fgraph.apply_nodes)
    rng = np.random.default_rng(1)
    xv, yv = rng.uniform(0.5, 1.5, (3, 4, 5)), rng.uniform(0.5, 1.5, (3, 4, 5))
    if layout == "transposed":
        xv = np.ascontiguousarray(xv.transpose(2, 1, 0)).transpose(2, 1, 0)
    elif layout == "strided":
        yv = np.repeat(yv, 2, axis=2)[:, :, ::2]
    expected = NUMPY[name](np.tanh(xv) * yv + 0.25, axis=axis)
    np.testing.assert_allclose(f(xv, yv, 0.25), expected, rtol=1e-12)


def test_float32_and_integer_accumulation():
    x = T.fvector("x")
    f = function([x], T.sum(x * 2))
    v = np.full(100_000, 0.1, np.float32)
    assert abs(float(f(v)) - 2 * 0.1 * 100_000) < 1e-2           # accumulated in float64
    i = T.ivector("i")
    g = function([i], T.sum(i * i))
    iv = np.arange(-50, 50, dtype=np.int32)
    assert g(iv) == (iv.astype(np.int64) ** 2).sum() and g(iv).dtype == np.int64


def test_nan_and_empty_inputs():
    x = T.dmatrix("x")
    fmax = function([x], T.max(x * 1.5, axis=1))
    v = np.array([[1.0, np.nan, 3.0], [-np.inf, -np.inf, -np.inf]])
    np.testing.assert_array_equal(fmax(v), [np.nan, -np.inf])
    with pytest.raises(ValueError, match="empty"):
        fmax(np.zeros((2, 0)))
    fsum = function([x], T.sum(x * 1.5, axis=0))
    np.testing.assert_array_equal(fsum(np.zeros((0, 3))), [0, 0, 0])
    assert fsum(np.zeros((3, 0))).shape == (0,)


def test_bad_input_names_the_node():
    x, y = T.dmatrices("x", "y")
    f = function([x, y], T.sum(x * y))
    with pytest.raises(ValueError, match="FusedReduce|shape"):
        f(np.ones((2, 3)), np.ones((2, 4)))


def test_left_alone_where_the_expression_is_read_elsewhere_or_broadcasts_partly():
    x = T.dmatrix("x")
    b = T.dvector("b")
    sq = x ** 2
    fg = FunctionGraph([x], [T.sum(sq), sq])
    assert fuse_reductions(fg) == 0
    fg = FunctionGraph([x, b], [T.sum(x * b)])               # b is a row: read per column
    assert fuse_reductions(fg) == 0


def test_reference_of_the_fused_node_and_debug_mode():
    x, y = T.dmatrices("x", "y")
    out = T.max(T.exp(x) * y, axis=1)
    f = function([x, y], out, mode="DEBUG")        # native beside the reference, node by node
    (node,) = [n for n in f.maker.fgraph.apply_nodes if isinstance(n.op, FusedReduce)]
    xv, yv = np.linspace(-1, 1, 6).reshape(2, 3), np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(f(xv, yv), (np.exp(xv) * yv).max(axis=1), rtol=1e-12)
    storage = [[None]]
    node.op.perform(node, [xv, yv], storage)
    np.testing.assert_allclose(storage[0][0], (np.exp(xv) * yv).max(axis=1), rtol=1e-12)
    with pytest.raises(ValueError, match="size 2 in dimension 1"):
        node.op.perform(node, [xv, yv[:, :2]], storage)
