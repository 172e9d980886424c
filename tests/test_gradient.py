"""grad(): options, disconnected inputs, known_grads, consider_constant; verify_grad."""
import numpy as np
import pytest

import jitgraph as theano
import jitgraph.tensor as T
from jitgraph import function
from jitgraph.gradient import DisconnectedInputError, GradientError, grad, verify_grad


def test_single_and_list_wrt_and_keyword_form(mode):
    x, y = T.dscalars("x", "y")
    cost = x * y + x ** 3
    gx = grad(cost, x)
    gx2, gy = grad(cost=cost, wrt=[x, y])
    f = function([x, y], [gx, gx2, gy], mode=mode)
    assert f(2.0, 5.0) == [17.0, 17.0, 2.0]


def test_cost_must_be_scalar():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="scalar"):
        grad(x * 2, x)


def test_disconnected_inputs_modes():
    x, y = T.dscalars("x", "y")
    cost = x * 2
    with pytest.raises(DisconnectedInputError, match="does not depend on y"):
        grad(cost, [x, y])
    with pytest.warns(UserWarning):
        _, gy = grad(cost, [x, y], disconnected_inputs="warn")
    _, gy = grad(cost, [x, y], disconnected_inputs="ignore")
    assert gy.eval({y: 4.0}) == 0
    with pytest.raises(ValueError):
        grad(cost, x, disconnected_inputs="maybe")


def test_consider_constant(mode):
    x = T.dscalar("x")
    y = x ** 2
    z = y * x
    g = grad(z, x, consider_constant=[y])
    assert function([x], g, mode=mode)(3.0) == 9.0      # y treated as a constant: dz/dx = y
    assert function([x], grad(z, x), mode=mode)(3.0) == 27.0


def test_known_grads(mode):
    x = T.dvector("x")
    h = T.tanh(x)
    gh = T.dvector("gh")
    gx = grad(None, x, known_grads={h: gh})
    f = function([x, gh], gx, mode=mode)
    xv, ghv = np.array([0.1, -0.3]), np.array([1.0, 2.0])
    np.testing.assert_allclose(f(xv, ghv), ghv * (1 - np.tanh(xv) ** 2))


def test_grad_through_shared_and_broadcasting(mode):
    W = theano.shared(np.ones((3, 2)), name="W")
    b = theano.shared(np.zeros(2), name="b")
    x = T.dmatrix("x")
    cost = T.sum(T.tanh(T.dot(x, W) + b) ** 2)
    gW, gb = grad(cost, [W, b])
    assert gb.broadcastable == b.broadcastable
    xv = np.random.RandomState(0).randn(4, 3)
    f = function([x], [gW, gb], mode=mode)
    h = np.tanh(xv @ np.ones((3, 2)))
    d = 2 * h * (1 - h ** 2)
    np.testing.assert_allclose(f(xv)[0], xv.T @ d)
    np.testing.assert_allclose(f(xv)[1], d.sum(axis=0))


def test_grad_of_integer_wrt_is_float_zeros():
    i = T.iscalar("i")
    x = T.dscalar("x")
    g = grad(x * i, i)
    assert g.dtype == theano.config.floatX
    assert function([i], g)(3) == 0


def test_grad_keeps_dtype_of_float32_variable():
    x = T.fvector("x")
    g = grad(T.sum(x * 0.1), x)
    assert g.dtype == "float32"


def test_grad_names():
    x = T.dscalar("x")
    c = x ** 2
    c.name = "c"
    assert grad(c, x).name == "(dc/dx)"


@pytest.mark.parametrize("fn,pt", [
    (lambda x: T.sum(T.exp(x) * T.log(x)), [np.array([0.5, 1.5, 2.0])]),
    (lambda x, y: T.dot(x, y), [np.random.RandomState(1).rand(2, 3), np.random.RandomState(2).rand(3)]),
    (lambda x: (x ** 3).mean(axis=0), [np.random.RandomState(3).rand(3, 2)]),
    (lambda x: abs(x).sum() + T.sqrt(x * x + 1).sum(), [np.array([0.3, -0.7])]),
    (lambda x: x.dimshuffle(1, "x", 0) * 2, [np.random.RandomState(4).rand(2, 3)]),
    (lambda x: x[1:, ::2] ** 2, [np.random.RandomState(5).rand(3, 4)]),
    (lambda x: T.switch(x > 0, x, -2 * x), [np.array([0.5, -0.5, 1.5])]),
    (lambda x: T.cast(x, "float32") * 2, [np.array([0.5, -0.5])]),
])
def test_verify_grad_on_core_ops(fn, pt):
    verify_grad(fn, pt, rng=np.random.RandomState(0))


def test_verify_grad_detects_a_wrong_gradient():
    from jitgraph.graph.basic import Apply, Op
    from jitgraph.tensor.var import as_tensor_variable

    class BadSquare(Op):
        def make_node(self, x):
            x = as_tensor_variable(x)
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, out):
            out[0][0] = inputs[0] ** 2

        def grad(self, inputs, g):
            return [g[0] * 4 * inputs[0] + 5]         # the seed's wrong hand derivative

    with pytest.raises(GradientError, match="differs"):
        verify_grad(lambda x: BadSquare()(x), [np.array([1.0, 2.0])], rng=np.random.RandomState(0))
