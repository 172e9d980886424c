"""IndexLoop: stacking a body over an index (the loop behind jacobian and hessian)."""
import pickle

import numpy as np
import pytest

import jitgraph.tensor as T
from jitgraph import function
from jitgraph.gradient import verify_grad
from jitgraph.index_loop import IndexLoop, index_loop
from jitgraph.printing import Print


def test_values_shapes_and_dtypes(mode):
    x = T.dvector("x")
    n = T.lscalar("n")
    i = T.lscalar("i")
    rows, sums, idx = index_loop(n, i, [x * i, x.sum() + i, i], item_like=[x, None, None])
    assert rows.ndim == 2 and sums.ndim == 1 and idx.dtype == "int64"
    f = function([n, x], [rows, sums, idx], mode=mode)
    r, s, k = f(3, [1.0, 2.0])
    np.testing.assert_array_equal(r, [[0, 0], [1, 2], [2, 4]])
    np.testing.assert_array_equal(s, [3, 4, 5])
    np.testing.assert_array_equal(k, [0, 1, 2])


def test_empty_loop_uses_item_like():
    x = T.dmatrix("x")
    n, i = T.lscalars("n", "i")
    (out,) = index_loop(n, i, [x * i], item_like=[x])
    assert function([n, x], out)(0, np.ones((2, 3))).shape == (0, 2, 3)
    (unknown,) = index_loop(n, i, [x * i])
    with pytest.raises(ValueError, match="zero iterations"):
        function([n, x], unknown)(0, np.ones((2, 3)))


def test_bad_counts_and_ragged_items():
    x = T.dvector("x")
    n, i = T.lscalars("n", "i")
    (out,) = index_loop(n, i, [x * i], item_like=[x])
    f = function([n, x], out)
    with pytest.raises(ValueError, match="negative"):
        f(-1, [1.0])
    (ragged,) = index_loop(n, i, [x[:i]])
    with pytest.raises(ValueError, match="different shapes"):
        function([n, x], ragged)(3, [1.0, 2.0, 3.0])
    op = out.owner.op
    with pytest.raises(TypeError, match="integer scalar"):
        op.make_node(T.dscalar(), x)
    with pytest.raises(TypeError, match="invariant"):
        op.make_node(n, T.fvector())


def test_invariants_are_computed_once():
    calls = []
    x = T.dvector("x")
    n, i = T.lscalars("n", "i")
    heavy = Print("heavy", global_fn=lambda op, v: calls.append(1))(T.exp(x)).sum()
    (out,) = index_loop(n, i, [x[i] * heavy])
    res = function([n, x], out)(2, [0.0, 1.0])
    assert len(calls) == 1
    np.testing.assert_allclose(res, np.array([0.0, 1.0]) * (1 + np.e))


def test_gradient_through_the_loop():
    rng = np.random.RandomState(0)

    def fn(x, y):
        i = T.lscalar("i")
        (out,) = index_loop(x.shape[0], i, [T.tanh(x * x[i]) * y.sum()], item_like=[x])
        return out
    verify_grad(fn, [rng.rand(3), rng.rand(2)], rng=rng)


def test_infer_shape_and_pickling():
    x = T.dmatrix("x")
    n, i = T.lscalars("n", "i")
    (out,) = index_loop(n, i, [x * i], item_like=[x])
    node = out.owner
    shape = node.op.infer_shape(node, [tuple(v.shape[d] for d in range(v.ndim)) for v in node.inputs])[0]
    assert shape[0] is n
    f = function([n, x], [out, T.stack([shape[1], shape[2]])])
    assert list(f(2, np.ones((4, 5)))[1]) == [4, 5]
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(g(2, np.ones((1, 1)))[0], [[[0.0]], [[1.0]]])
    assert isinstance(g.maker.fgraph.outputs[0].owner.op, IndexLoop)
