"""batch_normalization from given statistics: Theano 1.0.5's values and gradients."""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from helpers import assert_close, check_numpy, rand
from jitgraph.gradient import verify_grad
from jitgraph.tensor.nnet import batch_normalization

X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]])
GAMMA, BETA = np.array([1.0, 2.0, 0.5]), np.array([0.0, 1.0, -1.0])


@pytest.mark.parametrize("bn_mode", ["low_mem", "high_mem"])
def test_values_and_gradients_match_theano(bn_mode, mode):
    x, g, b, m, s = T.dmatrix("x"), T.dvector("g"), T.dvector("b"), T.dvector("m"), T.dvector("s")
    out = batch_normalization(x, g, b, m, s, mode=bn_mode)
    cost = (out * X).sum()
    f = jitgraph.function([x, g, b, m, s], [out, T.grad(cost, x), T.grad(cost, s)], mode=mode)
    value, g_x, g_s = f(X, GAMMA, BETA, X.mean(0), X.std(0))
    assert_close(value, [[-1.0, -1.0, -1.5], [1.0, 3.0, -0.5]])
    assert_close(g_x, [[2 / 3, 8 / 3, 0.75], [8 / 3, 20 / 3, 1.75]])
    assert_close(g_s, [-2.0, -4.0, -1.0])


def test_numpy_reference_and_gradient(mode):
    x, stats = rand((4, 3)), [rand((1, 3), seed=k, low=0.5, high=2) for k in range(4)]
    check_numpy(batch_normalization, lambda a, g, b, m, s: (a - m) * (g / s) + b, [x] + stats, mode,
                broadcastable=[None] + [(True, False)] * 4)
    rng = np.random.RandomState(0)
    verify_grad(lambda a, g, b, m, s: batch_normalization(a, g, b, m, s), [x, rng.uniform(0.5, 2, 3),
                rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3), rng.uniform(0.5, 2, 3)], rng=rng)


def test_bad_mode():
    with pytest.raises(ValueError, match='"low_mem", "high_mem"'):
        batch_normalization(T.dmatrix(), 1.0, 0.0, 0.0, 1.0, mode="fast")
