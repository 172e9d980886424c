"""jacobian, hessian, Rop, Lop (without scan) and the gradient-shaping helpers
zero_grad, disconnected_grad, consider_constant, known_grads, disconnected_inputs.
Reference values are Theano 1.0.5's."""
import numpy as np
import pytest

import jitgraph as theano
import jitgraph.tensor as T
from jitgraph import function
from jitgraph.gradient import (DisconnectedInputError, Lop, Rop, disconnected_grad, grad, hessian, jacobian,
                               verify_grad, zero_grad)
from jitgraph.printing import Print


# ------------------------------------------------------------ Theano tutorial values

def test_tutorial_jacobian(mode):
    x = T.dvector("x")
    J = T.jacobian(x ** 2, x)
    np.testing.assert_array_equal(function([x], J, mode=mode)([4, 4]), [[8, 0], [0, 8]])


def test_tutorial_hessian(mode):
    x = T.dvector("x")
    H = T.hessian(T.sum(x ** 2), x)
    np.testing.assert_array_equal(function([x], H, mode=mode)([4, 4]), [[2, 0], [0, 2]])


def test_tutorial_rop(mode):
    W, V = T.dmatrices("W", "V")
    x = T.dvector("x")
    JV = T.Rop(T.dot(x, W), W, V)
    f = function([W, V, x], JV, mode=mode)
    np.testing.assert_array_equal(f([[1, 1], [1, 1]], [[2, 2], [2, 2]], [0, 1]), [2, 2])


def test_tutorial_lop(mode):
    W = T.dmatrix("W")
    v, x = T.dvectors("v", "x")
    VJ = T.Lop(T.dot(x, W), W, v)
    f = function([v, x], VJ, mode=mode)
    np.testing.assert_array_equal(f([2, 2], [0, 1]), [[0, 0], [2, 2]])


def test_theano_exports():
    assert T.jacobian is jacobian and T.hessian is hessian and T.Rop is Rop and T.Lop is Lop
    assert theano.Rop is Rop and theano.gradient.jacobian is jacobian


# ------------------------------------------------------------ jacobian

def test_jacobian_list_and_tuple_of_wrt(mode):
    a, b = T.dvector("a"), T.dscalar("b")
    e = a * b + a ** 3
    Js = jacobian(e, [a, b])
    assert isinstance(Js, list) and [j.ndim for j in Js] == [2, 1]
    assert isinstance(jacobian(e, (a, b)), tuple)
    Ja, Jb = function([a, b], Js, mode=mode)([1.0, 2.0], 3.0)
    np.testing.assert_array_equal(Ja, [[6, 0], [0, 15]])
    np.testing.assert_array_equal(Jb, [1, 2])


def test_jacobian_of_scalar_is_its_gradient(mode):
    a = T.dvector("a")
    np.testing.assert_array_equal(function([a], jacobian((a ** 2).sum(), a), mode=mode)([1.0, 2.0]), [2, 4])


def test_jacobian_of_a_matrix_expression_has_both_shapes(mode):
    # Theano accepts only vectors here; the obvious shape is expression.shape + wrt.shape.
    M = T.dmatrix("M")
    v = T.dvector("v")
    J = function([M, v], jacobian(T.dot(M, v) * M.sum(axis=1, keepdims=True).T.sum(), [M, v]),
                 mode=mode, on_unused_input="ignore")
    Mv, vv = np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0, 2.0])
    JM, Jv = J(Mv, vv)
    assert JM.shape == (2, 2, 3) and Jv.shape == (2, 3)
    s = Mv.sum()
    np.testing.assert_allclose(Jv, Mv * s)
    expected = np.zeros((2, 2, 3))
    for i in range(2):
        expected[i, i] += vv * s
        expected[i] += (Mv @ vv)[i]
    np.testing.assert_allclose(JM, expected)
    J3 = function([M], jacobian(M ** 2, M), mode=mode)(Mv)
    assert J3.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(J3.reshape(6, 6), np.diag(2 * Mv.ravel()))


def test_jacobian_of_empty_expression(mode):
    a = T.dvector("a")
    J = function([a], jacobian(a ** 2, a), mode=mode)(np.zeros(0))
    assert J.shape == (0, 0)
    M = T.dmatrix("M")
    assert function([M, a], jacobian(M.sum(axis=1) * a.sum(), M), mode=mode)(np.zeros((0, 3)), [1.0]).shape \
        == (0, 0, 3)


def test_jacobian_of_integer_expression_and_float32(mode):
    a = T.dvector("a")
    i = T.lvector("i")
    np.testing.assert_array_equal(function([a, i], jacobian(a * i, a), mode=mode)([1.0, 2.0], [3, 4]),
                                  [[3, 0], [0, 4]])
    f = T.fvector("f")
    J = jacobian(f ** 2, f)
    H = hessian((f ** 3).sum(), f)
    assert J.dtype == "float32" and H.dtype == "float32"
    out = function([f], H, mode=mode)(np.array([1, 2], "float32"))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[6, 0], [0, 12]])


def test_jacobian_consider_constant(mode):
    a = T.dvector("a")
    y = a ** 2
    J = jacobian(y * a, a, consider_constant=[y])
    np.testing.assert_array_equal(function([a], J, mode=mode)([1.0, 2.0]), [[1, 0], [0, 4]])


def test_jacobian_disconnected_inputs():
    a, c = T.dvectors("a", "c")
    with pytest.raises(DisconnectedInputError):
        jacobian(a * 2, [a, c])
    with pytest.warns(UserWarning):
        jacobian(a * 2, [a, c], disconnected_inputs="warn")
    Ja, Jc = function([a, c], jacobian(a * 2, [a, c], disconnected_inputs="ignore"))([1.0, 2.0], [3.0, 4.0, 5.0])
    np.testing.assert_array_equal(Ja, [[2, 0], [0, 2]])
    np.testing.assert_array_equal(Jc, np.zeros((2, 3)))


def test_jacobian_runs_the_forward_pass_once():
    calls = []
    a = T.dvector("a")
    h = Print("forward", global_fn=lambda op, v: calls.append(1))(T.exp(a))
    J = function([a], jacobian(h * a.sum(), a))
    out = J(np.array([0.0, 1.0, 2.0]))
    assert len(calls) == 1
    ea, s = np.exp([0.0, 1.0, 2.0]), 3.0
    np.testing.assert_allclose(out, np.diag(ea * s) + ea[:, None])


def test_jacobian_matches_rop_and_lop_for_many_ops(mode):
    # Rop(f, x, v) = J v and Lop(f, x, u) = u J, with J from jacobian.
    x = T.dvector("x")
    W = T.dmatrix("W")
    f = T.tanh(T.dot(W, x)) * T.switch(x[:3] > 0, x[:3], 2 * x[:3]) + T.max(x) * x[1:4].dimshuffle(0) \
        + T.exp(W).sum(axis=1)[::-1]
    v, u = T.dvectors("v", "u")
    outs = [jacobian(f, x), Rop(f, x, v), Lop(f, x, u)]
    fn = function([x, W, v, u], outs, mode=mode)
    rng = np.random.RandomState(0)
    xv, Wv, vv, uv = rng.randn(4), rng.randn(3, 4), rng.randn(4), rng.randn(3)
    J, jv, uj = fn(xv, Wv, vv, uv)
    np.testing.assert_allclose(jv, J @ vv, rtol=1e-10)
    np.testing.assert_allclose(uj, uv @ J, rtol=1e-10)


def test_third_derivatives_through_the_loop():
    rng = np.random.RandomState(0)
    verify_grad(lambda x: jacobian(T.exp(x) * x.sum(), x), [rng.rand(3)], rng=rng)
    verify_grad(lambda x: hessian((x ** 3).sum() * x.sum(), x), [rng.rand(3)], rng=rng)
    x = T.dvector("x")
    c = (jacobian(x ** 3, x) * np.arange(1.0, 10.0).reshape(3, 3)).sum()
    np.testing.assert_allclose(function([x], grad(c, x))([1.0, 2.0, 3.0]), [6.0, 60.0, 162.0])


# ------------------------------------------------------------ hessian

def test_hessian_list_of_wrt_and_values(mode):
    a = T.dvector("a")
    Hs = hessian((a ** 2).sum() * (a ** 3).sum(), [a])
    assert isinstance(Hs, list)
    np.testing.assert_array_equal(function([a], Hs, mode=mode)([1.0, 2.0])[0], [[60, 36], [36, 174]])
    b = T.dscalar("b")
    Ha, Hb = hessian((a ** 2).sum() * b ** 2, (a, b))
    ha, hb = function([a, b], [Ha, Hb], mode=mode)([1.0, 2.0], 3.0)
    np.testing.assert_array_equal(ha, [[18, 0], [0, 18]])
    assert hb == 10.0


def test_hessian_of_a_matrix_wrt_and_a_linear_cost(mode):
    M = T.dmatrix("M")
    Mv = np.arange(6.0).reshape(2, 3)
    H = function([M], hessian((M ** 3).sum(), M), mode=mode)(Mv)
    assert H.shape == (2, 3, 2, 3)
    np.testing.assert_array_equal(H.reshape(6, 6), np.diag(6 * Mv.ravel()))
    a = T.dvector("a")
    np.testing.assert_array_equal(function([a], hessian((a * 2).sum(), a), mode=mode)([1.0, 2.0]), np.zeros((2, 2)))


def test_hessian_needs_a_scalar_cost():
    a = T.dvector("a")
    with pytest.raises(TypeError, match="scalar"):
        hessian(a ** 2, a)


# ------------------------------------------------------------ Rop / Lop

def test_rop_lists_and_tuples(mode):
    a, x = T.dvectors("a", "x")
    b = T.dscalar("b")
    e = a * b + a ** 3
    r = Rop([e, a.sum() * b], [a, b], [x, b * 2])
    assert isinstance(r, list)
    assert isinstance(Rop((e,), a, x), tuple)
    assert not isinstance(Rop(e, [a], [x]), (list, tuple))
    r0, r1 = function([a, b, x], r, mode=mode)([1, 2], 3, [1, 1])
    np.testing.assert_array_equal(r0, [12, 27])
    assert r1 == 24


def test_rop_disconnected_and_errors():
    a, c, x = T.dvectors("a", "c", "x")
    np.testing.assert_array_equal(function([a], Rop(a * 2, c, x), on_unused_input="ignore")([1.0, 2.0]), [0, 0])
    assert Rop(a, a, x) is x
    with pytest.raises(DisconnectedInputError):
        Rop(c, a, x)
    assert Rop(c, a, x, disconnected_outputs="ignore", return_disconnected="None") is None
    with pytest.warns(UserWarning):
        Rop(c, a, x, disconnected_outputs="warn")
    with pytest.raises(ValueError, match="mismatched dimensionality"):
        Rop(a * 2, a, T.dmatrix())
    with pytest.raises(ValueError, match="eval point"):
        Rop(a * 2, [a, c], [x])
    with pytest.raises(ValueError, match="disconnected_outputs"):
        Rop(a * 2, a, x, disconnected_outputs="maybe")


def test_rop_casts_eval_points_to_the_wrt_dtype(mode):
    a = T.dvector("a")
    v = T.fvector("v")
    r = Rop(a ** 2, a, v)
    assert r.dtype == "float64"
    np.testing.assert_array_equal(function([a, v], r, mode=mode)([1.0, 3.0], np.array([1, 1], "float32")), [2, 6])


def test_lop_tuple_wrt():
    a, u = T.dvectors("a", "u")
    b = T.dscalar("b")
    out = Lop(a * b, (a, b), u)
    assert isinstance(out, tuple)
    ga, gb = function([a, b, u], list(out))([1.0, 2.0], 3.0, [1.0, 1.0])
    np.testing.assert_array_equal(ga, [3, 3])
    assert gb == 3.0


# ------------------------------------------------------------ gradient-shaping helpers (Theano values)

def test_zero_grad(mode):
    x, y = T.dscalars("x", "y")
    c = zero_grad(x) ** 2 * y + x * y
    assert function([x, y], grad(c, [x, y]), mode=mode)(3.0, 2.0) == [2.0, 12.0]
    assert function([x], grad(zero_grad(x) ** 2, x), mode=mode, on_unused_input="ignore")(3.0) == 0.0
    assert function([x], zero_grad(x) * 2, mode=mode)(3.0) == 6.0


def test_disconnected_grad(mode):
    x, y = T.dscalars("x", "y")
    c = disconnected_grad(x) ** 2 * y + x * y
    assert function([x, y], grad(c, [x, y]), mode=mode)(3.0, 2.0) == [2.0, 12.0]
    with pytest.raises(DisconnectedInputError):
        grad(disconnected_grad(x) ** 2, x)
    g = grad(disconnected_grad(x) ** 2, x, disconnected_inputs="ignore")
    assert function([x], g, on_unused_input="ignore", mode=mode)(3.0) == 0.0


def test_consider_constant_keeps_the_gradient_of_a_wrt_in_it(mode):
    x, y = T.dscalars("x", "y")
    z = x ** 2
    assert function([x, y], grad(z * y + x, [x, y], consider_constant=[z]), mode=mode)(3.0, 2.0) == [1.0, 9.0]
    assert function([x], grad(x ** 2, x, consider_constant=[x]), mode=mode)(3.0) == 6.0
    gz, gx = grad(z * y + x, [z, x], consider_constant=[z])
    assert function([x, y], [gz, gx], mode=mode)(3.0, 2.0) == [2.0, 1.0]


def test_known_grads_override_what_the_cost_gives(mode):
    x = T.dscalar("x")
    h = x * 3
    kg = {h: T.constant(5.0, dtype="float64")}
    assert function([x], grad(None, x, known_grads=kg), mode=mode, on_unused_input="ignore")(3.0) == 15.0
    assert function([x], grad(h ** 2, x, known_grads=kg), mode=mode, on_unused_input="ignore")(3.0) == 15.0
    y = T.dscalar("y")
    # The cost's gradient still reaches variables that do not go through h.
    assert function([x, y], grad(h ** 2 + y * x, [x, y], known_grads=kg), mode=mode)(3.0, 2.0) == [17.0, 3.0]


def test_disconnected_inputs_modes_for_grad(mode):
    x, y = T.dscalars("x", "y")
    with pytest.raises(DisconnectedInputError):
        grad(x ** 2, [x, y])
    with pytest.warns(UserWarning, match="does not depend"):
        gs = grad(x ** 2, [x, y], disconnected_inputs="warn")
    assert function([x, y], gs, mode=mode, on_unused_input="ignore")(3.0, 2.0) == [6.0, 0.0]
    gs = grad(x ** 2, [x, y], disconnected_inputs="ignore")
    assert function([x, y], gs, mode=mode, on_unused_input="ignore")(3.0, 2.0) == [6.0, 0.0]
    with pytest.raises(ValueError, match="disconnected_inputs"):
        grad(x ** 2, y, disconnected_inputs="bogus")
