"""ifelse: only the chosen branch runs; several outputs; type rules; gradients; shapes."""
import pickle

import numpy as np
import pytest

import jitgraph as theano
import jitgraph.tensor as T
from jitgraph import function
from jitgraph.gradient import grad, verify_grad
from jitgraph.ifelse import IfElse, ifelse
from jitgraph.printing import Print


def _counting_print(calls, label):
    """An identity that records each time it is computed."""
    return Print(label, global_fn=lambda op, value: calls.append(label))


def test_module_is_importable_as_theano_ifelse():
    assert theano.ifelse.ifelse is ifelse
    assert theano.ifelse.IfElse is IfElse


def test_tutorial_conditions_switch_and_lazy_ifelse_agree(mode):
    # Theano tutorial "Conditions": both pick mean(x) when a < b.
    a, b = T.scalars("a", "b")
    x, y = T.vectors("x", "y")
    z_switch = T.switch(T.lt(a, b), T.mean(x), T.mean(y))
    z_lazy = ifelse(T.lt(a, b), T.mean(x), T.mean(y))
    f_switch = function([a, b, x, y], z_switch, mode=mode)
    f_lazy = function([a, b, x, y], z_lazy, mode=mode)
    xv, yv = np.array([1.0, 2.0, 6.0]), np.array([10.0, 20.0])
    assert f_switch(1, 2, xv, yv) == 3.0
    assert f_lazy(1, 2, xv, yv) == 3.0
    assert f_switch(3, 2, xv, yv) == 15.0
    assert f_lazy(3, 2, xv, yv) == 15.0


def test_tutorial_conditions_with_vm_linker_and_matrices():
    a, b = T.scalars("a", "b")
    x, y = T.matrices("x", "y")
    z_lazy = ifelse(T.lt(a, b), T.mean(x), T.mean(y))
    f = function([a, b, x, y], z_lazy, mode=theano.Mode(linker="vm"))
    assert f(0.0, 1.0, np.ones((4, 3)), np.zeros((4, 3))) == 1.0
    assert f(1.0, 0.0, np.ones((4, 3)), np.zeros((4, 3))) == 0.0


def test_only_the_chosen_branch_is_computed(mode):
    calls = []
    c = T.iscalar("c")
    x = T.dvector("x")
    then = _counting_print(calls, "then")(x) * 2
    other = _counting_print(calls, "else")(x).sum() + x * 0
    f = function([c, x], ifelse(c, then, other), mode=mode)
    np.testing.assert_array_equal(f(1, [1.0, 2.0]), [2.0, 4.0])
    assert calls == ["then"]
    np.testing.assert_array_equal(f(0, [1.0, 2.0]), [3.0, 3.0])
    assert calls == ["then", "else"]


def test_a_branch_that_would_fail_is_not_evaluated(mode):
    c = T.bscalar("c")
    x = T.dvector("x")
    z = ifelse(c, x.sum(), x[10])       # x[10] raises IndexError for short x
    f = function([c, x], z, mode=mode)
    assert f(1, [1.0, 2.0]) == 3.0
    with pytest.raises(IndexError):
        f(0, [1.0, 2.0])


def test_nested_ifelse_is_lazy_at_each_level(mode):
    calls = []
    a, b = T.iscalars("a", "b")
    x = T.dscalar("x")
    inner = ifelse(b, _counting_print(calls, "inner-then")(x) + 1, _counting_print(calls, "inner-else")(x) - 1)
    outer = ifelse(a, inner * 10, _counting_print(calls, "outer-else")(x))
    f = function([a, b, x], outer, mode=mode)
    assert f(1, 0, 5.0) == 40.0
    assert calls == ["inner-else"]
    assert f(0, 1, 5.0) == 5.0
    assert calls == ["inner-else", "outer-else"]


def test_several_outputs_list_and_tuple(mode):
    c = T.iscalar("c")
    x, y = T.dvectors("x", "y")
    as_list = ifelse(c, [x + 1, y.sum()], [x * 0, y.max()])
    as_tuple = ifelse(c, (x, y), (y, x))
    assert isinstance(as_list, list) and len(as_list) == 2
    assert isinstance(as_tuple, tuple) and len(as_tuple) == 2
    f = function([c, x, y], list(as_list) + list(as_tuple), mode=mode)
    xv, yv = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    r1 = f(1, xv, yv)
    np.testing.assert_array_equal(r1[0], [2.0, 3.0])
    assert r1[1] == 8.0
    np.testing.assert_array_equal(r1[2], xv)
    np.testing.assert_array_equal(r1[3], yv)
    r0 = f(0, xv, yv)
    np.testing.assert_array_equal(r0[0], [0.0, 0.0])
    assert r0[1] == 5.0
    np.testing.assert_array_equal(r0[2], yv)
    np.testing.assert_array_equal(r0[3], xv)


def test_outputs_never_alias_inputs_or_each_other():
    c = T.iscalar("c")
    x = T.dvector("x")
    f = function([c, x], ifelse(c, [x, x, x.T], [x, x, x]))
    xv = np.array([1.0, 2.0])
    outs = f(1, xv)
    for o in outs:
        assert not np.shares_memory(o, xv)
    assert not np.shares_memory(outs[0], outs[1])


def test_condition_of_any_scalar_dtype(mode):
    x = T.dscalar("x")
    for cond_var, true_value, false_value in [(T.bscalar(), 3, 0), (T.dscalar(), -0.5, 0.0),
                                              (T.scalar(dtype="bool"), True, False)]:
        f = function([cond_var, x], ifelse(cond_var, x, -x), mode=mode)
        assert f(true_value, 2.0) == 2.0
        assert f(false_value, 2.0) == -2.0


def test_python_values_as_condition_and_branches():
    x = T.dscalar("x")
    assert function([x], ifelse(True, x, 0.0))(3.0) == 3.0
    assert function([x], ifelse(0, x, 7.0))(3.0) == 7.0


def test_shared_variables_in_branches_and_updates(mode):
    W = theano.shared(np.array([1.0, 2.0]), name="W")
    c = T.iscalar("c")
    out = ifelse(c, W * 2, W.sum() + T.zeros_like(W))
    f = function([c], out, updates=[(W, W + 1)], mode=mode)
    np.testing.assert_array_equal(f(1), [2.0, 4.0])       # reads the value before the update
    np.testing.assert_array_equal(W.get_value(), [2.0, 3.0])
    np.testing.assert_array_equal(f(0), [5.0, 5.0])
    W.set_value(np.array([10.0]))
    np.testing.assert_array_equal(f(1), [20.0])


def test_update_chosen_by_ifelse(mode):
    count = theano.shared(np.int64(0), name="count")
    c = T.iscalar("c")
    f = function([c], [], updates=[(count, ifelse(c, count + 1, count))], mode=mode)
    for v in (1, 0, 1, 1):
        f(v)
    assert count.get_value() == 3


def test_givens_replace_a_free_variable(mode):
    data = theano.shared(np.arange(10.0), name="data")
    i = T.lscalar("i")
    x = T.dvector("x")
    z = ifelse(T.lt(i, 2), x.sum(), -x.sum())
    f = function([i], z, givens={x: data[i * 3:(i + 1) * 3]}, mode=mode)
    assert f(0) == 3.0
    assert f(1) == 12.0
    assert f(2) == -21.0


def test_dtypes_upcast_and_broadcast_patterns_merge(mode):
    # Theano demands identical branch types; the obvious meaning is accepted here.
    c = T.iscalar("c")
    iv, dv = T.ivector("iv"), T.dvector("dv")
    z = ifelse(c, iv, dv)
    assert z.dtype == "float64"
    f = function([c, iv, dv], z, mode=mode)
    r = f(1, [1, 2], [0.5, 0.5])
    assert r.dtype == np.float64
    np.testing.assert_array_equal(r, [1.0, 2.0])
    row, mat = T.drow("row"), T.dmatrix("mat")
    z = ifelse(c, row, mat)
    assert z.broadcastable == (False, False)
    g = function([c, row, mat], z, mode=mode)
    np.testing.assert_array_equal(g(1, [[1.0, 2.0]], np.zeros((3, 2))), [[1.0, 2.0]])
    assert g(0, [[1.0, 2.0]], np.zeros((3, 2))).shape == (3, 2)
    s = T.dscalar("s")
    assert ifelse(c, s, 0).dtype == "float64"


def test_bad_arguments_raise_clear_errors():
    x, y = T.dvectors("x", "y")
    c = T.iscalar("c")
    with pytest.raises(TypeError, match="condition must be a scalar"):
        ifelse(x, x, y)
    with pytest.raises(ValueError, match="same number"):
        ifelse(c, [x, y], [y])
    with pytest.raises(TypeError, match="same number of dimensions"):
        ifelse(c, x, T.dmatrix())
    op = ifelse(c, x, y).owner.op
    with pytest.raises(TypeError, match="needs TensorType"):
        op.make_node(c, T.fvector(), y)
    with pytest.raises(TypeError, match="expected 2 input"):
        op.make_node(c, x)


def test_ops_are_distinct_and_named():
    c = T.iscalar("c")
    x = T.dscalar("x")
    a = ifelse(c, x, x + 1, name="pick")
    b = ifelse(c, x, x + 1)
    assert a.owner.op != b.owner.op
    assert a.owner.op == a.owner.op
    assert str(a.owner.op) == "if{pick}"


def test_gradient_values_match_theano(mode):
    # Values recorded from Theano 1.0.5.
    a, b, c = T.dscalars("a", "b", "c")
    x, y = T.dvectors("x", "y")
    z = ifelse(T.lt(a, b), (x ** 2).sum() * c, T.exp(y).sum())
    f = function([a, b, x, y, c], grad(z, [x, y, c, a]), mode=mode)
    gx, gy, gc, ga = f(1, 2, [1, 2], [3, 4], 3.0)
    np.testing.assert_allclose(gx, [6.0, 12.0])
    np.testing.assert_allclose(gy, [0.0, 0.0])
    assert gc == 5.0 and ga == 0.0
    gx, gy, gc, ga = f(2, 1, [1, 2], [3, 4], 3.0)
    np.testing.assert_allclose(gx, [0.0, 0.0])
    np.testing.assert_allclose(gy, [20.08553692, 54.59815003])
    assert gc == 0.0 and ga == 0.0


def test_gradient_does_not_compute_the_other_branch(mode):
    c = T.iscalar("c")
    x = T.dvector("x")
    z = ifelse(c, (x ** 2).sum(), x[10] * 3)
    f = function([c, x], grad(z, x), mode=mode)
    np.testing.assert_allclose(f(1, [1.0, 2.0]), [2.0, 4.0])
    with pytest.raises(IndexError):
        f(0, [1.0, 2.0])


@pytest.mark.parametrize("pick", [0, 1])
def test_verify_grad_both_branches_and_several_outputs(pick):
    rng = np.random.RandomState(0)

    def fn(x, y):
        first, second = ifelse(T.constant(pick, dtype="int8"), [x * y, T.exp(x).sum()],
                               [T.sin(y) * x.sum(), (y ** 3).sum()])
        return first * second
    verify_grad(fn, [rng.rand(3), rng.rand(3)], rng=rng)


def test_second_derivative_through_ifelse():
    x = T.dscalar("x")
    c = T.iscalar("c")
    z = ifelse(c, x ** 3, T.sin(x))
    g2 = grad(grad(z, x), x)
    f = function([c, x], g2)
    assert np.isclose(f(1, 2.0), 12.0)
    assert np.isclose(f(0, 2.0), -np.sin(2.0))


def test_grad_reaches_shared_variables_in_a_branch():
    W = theano.shared(np.array([1.0, 2.0]), name="W")
    c = T.iscalar("c")
    cost = ifelse(c, (W ** 2).sum(), W.sum())
    f = function([c], grad(cost, W))
    np.testing.assert_allclose(f(1), [2.0, 4.0])
    np.testing.assert_allclose(f(0), [1.0, 1.0])


def test_infer_shape_picks_the_branch_shape():
    c = T.iscalar("c")
    x = T.dmatrix("x")
    z, w = ifelse(c, [x, x[:, 0]], [x.T, x[0]])
    node = z.owner
    shapes = node.op.infer_shape(node, [tuple(v.shape[d] for d in range(v.ndim)) for v in node.inputs])
    f = function([c, x], [T.stack(list(shapes[0])), T.stack(list(shapes[1]))])
    xv = np.zeros((2, 5))
    np.testing.assert_array_equal(f(1, xv)[0], [2, 5])
    np.testing.assert_array_equal(f(1, xv)[1], [2])
    np.testing.assert_array_equal(f(0, xv)[0], [5, 2])
    np.testing.assert_array_equal(f(0, xv)[1], [5])


def test_function_with_ifelse_pickles():
    c = T.iscalar("c")
    x = T.dvector("x")
    W = theano.shared(np.array([1.0, 1.0]), name="W")
    f = function([c, x], ifelse(c, x * W, x - W), updates=[(W, W * 2)])
    f(1, [1.0, 2.0])
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(g(1, [1.0, 2.0]), [2.0, 4.0])
    np.testing.assert_array_equal(g(0, [1.0, 2.0]), [-3.0, -2.0])
    np.testing.assert_array_equal(W.get_value(), [2.0, 2.0])     # the original is untouched
