"""The seed tutorial's snippets and Theano's basic tutorial examples, as written (with ** for ^)."""
import numpy as np
import pytest

import jitgraph as theano
import jitgraph.tensor as T
from jitgraph import In, function, shared


def test_symbolic_operation(mode):
    x = T.scalar()
    y = 5 * x ** 2 + 20
    compute = theano.function([x], y, mode=mode)
    assert compute(7) == 265
    assert compute(7).dtype == np.float64


def test_symbolic_differentiation(mode):
    x = T.scalar()
    y = 5 * x ** 2 + 20
    y_prime = T.grad(y, x)
    diff = theano.function([x], y_prime, mode=mode)
    assert diff(7) == 70


def test_seed_caret_form_raises_with_hint():
    x = T.scalar()
    with pytest.raises(TypeError, match=r"\*\*"):
        5 * x ^ 2 + 20


def test_givens_method_1_and_2(mode):
    x = T.scalar()
    compute = theano.function([x], 2 * x, mode=mode)
    assert compute(7) == 14
    x_value = theano.shared(7)
    compute = theano.function([], 2 * x, givens=[x, x_value], mode=mode)
    assert compute() == 14


def test_updates_one_pair(mode):
    x_val = theano.shared(0)
    increase = theano.function([], x_val, updates=(x_val, x_val + 1), mode=mode)
    assert [int(increase()) for _ in range(4)] == [0, 1, 2, 3]
    assert x_val.get_value() == 4


def test_shared_roundtrip():
    arr = np.arange(6.0).reshape(2, 3)
    s = theano.shared(arr)
    np.testing.assert_array_equal(s.get_value(), arr)


def test_accumulator_example(mode):
    state = shared(0)
    inc = T.iscalar("inc")
    accumulator = function([inc], state, updates=[(state, state + inc)], mode=mode)
    assert accumulator(1) == 0
    assert state.get_value() == 1
    assert accumulator(300) == 1
    assert state.get_value() == 301
    state.set_value(-1)
    assert accumulator(3) == -1
    assert state.get_value() == 2

    decrementor = function([inc], state, updates=[(state, state - inc)], mode=mode)
    assert decrementor(2) == 2
    assert state.get_value() == 0

    fn_of_state = state * 2 + inc
    foo = T.scalar(dtype=state.dtype)
    skip_shared = function([inc, foo], fn_of_state, givens=[(state, foo)], mode=mode)
    assert skip_shared(1, 3) == 7
    assert state.get_value() == 0


def test_in_defaults_and_keywords(mode):
    x, y, w = T.dscalars("x", "y", "w")
    z = (x + y) * w
    f = function([x, In(y, value=1), In(w, value=2, name="w_by_name")], z, mode=mode)
    assert f(33) == 68
    assert f(33, 2) == 70
    assert f(33, 0, 1) == 33
    assert f(33, w_by_name=1) == 34
    assert f(33, w_by_name=1, y=0) == 33


def test_tutorial_adding(mode):
    x = T.dscalar("x")
    y = T.dscalar("y")
    f = function([x, y], x + y, mode=mode)
    assert f(2, 3) == 5
    assert np.allclose(f(16.3, 12.1), 28.4)
    xm, ym = T.dmatrices("x", "y")
    fm = function([xm, ym], xm + ym, mode=mode)
    np.testing.assert_array_equal(fm([[1, 2], [3, 4]], [[10, 20], [30, 40]]), [[11, 22], [33, 44]])
    a = T.vector()
    out = a + a ** 10
    np.testing.assert_array_equal(function([a], out, mode=mode)([0, 1, 2]), [0, 2, 1026])


def test_tutorial_logistic_both_forms(mode):
    x = T.dmatrix("x")
    s = 1 / (1 + T.exp(-x))
    s2 = (1 + T.tanh(x / 2)) / 2
    expected = [[0.5, 0.73105858], [0.26894142, 0.11920292]]
    np.testing.assert_allclose(function([x], s, mode=mode)([[0, 1], [-1, -2]]), expected, rtol=1e-7)
    np.testing.assert_allclose(function([x], s2, mode=mode)([[0, 1], [-1, -2]]), expected, rtol=1e-7)


def test_tutorial_several_outputs(mode):
    a, b = T.dmatrices("a", "b")
    diff = a - b
    f = function([a, b], [diff, abs(diff), diff ** 2], mode=mode)
    d, ad, d2 = f([[1, 1], [1, 1]], [[0, 1], [2, 3]])
    np.testing.assert_array_equal(d, [[1, 0], [-1, -2]])
    np.testing.assert_array_equal(ad, [[1, 0], [1, 2]])
    np.testing.assert_array_equal(d2, [[1, 0], [1, 4]])


def test_tutorial_gradients(mode):
    x = T.dscalar("x")
    gy = T.grad(x ** 2, x)
    assert function([x], gy, mode=mode)(4) == 8
    xm = T.dmatrix("x")
    s = T.sum(1 / (1 + T.exp(-xm)))
    gs = T.grad(s, xm)
    np.testing.assert_allclose(function([xm], gs, mode=mode)([[0, 1], [-1, -2]]),
                               [[0.25, 0.19661193], [0.19661193, 0.10499359]], rtol=1e-7)


def test_pp_of_gradient_matches_theano():
    x = T.dscalar("x")
    gy = T.grad(x ** 2, x)
    assert theano.pp(gy) == ("((fill((x ** TensorConstant{2}), TensorConstant{1.0}) * TensorConstant{2}) "
                             "* (x ** (TensorConstant{2} - TensorConstant{1})))")


def test_eval():
    x = T.dscalar("x")
    y = T.dscalar("y")
    z = x + y
    assert z.eval({x: 16.3, y: 12.1}) == pytest.approx(28.4)
    assert (T.constant(3) * 2).eval() == 6
