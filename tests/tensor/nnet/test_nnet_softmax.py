"""Softmax, LogSoftmax, SoftmaxGrad, SoftmaxWithBias: values (Theano 1.0.5's, recorded),
numpy reference, gradients, shapes and bad inputs."""
import warnings

import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from helpers import assert_close, check_numpy, rand
from jitgraph.gradient import verify_grad
from jitgraph.tensor.nnet import (LogSoftmax, Softmax, SoftmaxGrad, SoftmaxWithBias, log_softmax, logsoftmax,
                                  logsoftmax_op, softmax, softmax_graph, softmax_grad, softmax_op,
                                  softmax_with_bias)
from nnet_shape_check import check_infer_shape

X = np.array([[1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, 0.0, 2.0], [1000.0, 1001.0, 999.0, -1000.0]])
W = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.75, -0.5, 1.0], [0.3, 0.6, 0.9, 1.2]])
B = np.array([0.1, -0.2, 0.3, 0.0])

# Recorded from Theano 1.0.5 on X, W, B above.
THEANO_SOFTMAX = np.array([
    [0.03205860328008499, 0.08714431874203257, 0.23688281808991016, 0.6439142598879724],
    [0.03535379340874888, 0.15844470951497974, 0.09610157419009724, 0.7100999228861743],
    [0.2447284710547976, 0.6652409557748218, 0.09003057317038045, 0.0]])
THEANO_SOFTMAX_GRAD = np.array([  # d sum(W * softmax(X)) / dX
    [-0.0020398627684888, -0.1362614000091821, 0.3402515667043815, -0.20195030392671065],
    [0.02354868953216402, -0.01329562763915095, -0.1281911735408893, 0.11793811164787607],
    [-0.06206084730904587, 0.03087341323349572, 0.03118743407555026, 0.0]])
THEANO_LOGSOFTMAX = np.array([
    [-3.4401896985611953, -2.4401896985611953, -1.4401896985611953, -0.44018969856119533],
    [-3.3423495823898222, -1.8423495823898219, -2.3423495823898222, -0.34234958238982199],
    [-1.4076059644443804, -0.40760596444438041, -2.4076059644443806, -2001.4076059644444]])
THEANO_LOGSOFTMAX_GRAD = np.array([
    [0.4438974442598513, -1.152502557798557, 1.5854550683426571, -0.8768499548039517],
    [1.4027770681259406, 0.3142770488338057, -0.7642793290227674, -0.9527747879369793],
    [-0.43418541316439285, -1.3957228673244653, 0.6299082804888587, 1.2]])
THEANO_SOFTMAX_WITH_BIAS = np.array([
    [0.03309843202211784, 0.06665205709756732, 0.298713795809716, 0.6015357150705989],
    [0.03873809986575918, 0.12861502091896543, 0.12861502091896543, 0.70403185829631],
    [0.28876015492339935, 0.58149154378655, 0.12974830129005058, 0.0]])
THEANO_SOFTMAX_WITH_BIAS_GRAD_B = np.array(
    [-0.05205925010176862, -0.09111327603445615, 0.26766083858109124, -0.12448831244486655])
THEANO_SOFTMAX_SECOND_ORDER = np.array([  # d sum((d sum(W * softmax(X)) / dX) ** 2) / dX
    [-0.01147070084408513, -0.01011530465409869, 0.1903418143402029, -0.1687558088420191],
    [-0.00439215166999548, -0.00762788289498765, 0.04487983860862294, -0.0328598040436398],
    [0.00588791039578196, -0.00628408642926869, 0.00039617603348673, 0.0]])


def np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True, initial=-np.inf))
    return e / e.sum(axis=-1, keepdims=True)


def np_logsoftmax(x):
    shifted = x - x.max(axis=-1, keepdims=True, initial=-np.inf)
    with np.errstate(divide="ignore"):   # rows of length 0
        return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def test_values_and_gradients_match_theano(mode):
    x = T.dmatrix("x")
    f = jitgraph.function([x], [softmax(x), T.grad((softmax(x) * W).sum(), x), logsoftmax(x),
                                T.grad((logsoftmax(x) * W).sum(), x)], mode=mode)
    sm, g_sm, lsm, g_lsm = f(X)
    assert_close(sm, THEANO_SOFTMAX)
    assert_close(g_sm, THEANO_SOFTMAX_GRAD)
    assert_close(lsm, THEANO_LOGSOFTMAX)   # -2001.4 where log(softmax) would give -inf
    assert_close(g_lsm, THEANO_LOGSOFTMAX_GRAD)


def test_second_order_gradient_matches_theano(mode):
    x = T.dmatrix("x")
    g = T.grad((softmax(x) * W).sum(), x)
    assert_close(jitgraph.function([x], T.grad((g ** 2).sum(), x), mode=mode)(X), THEANO_SOFTMAX_SECOND_ORDER)


def test_vector_input_gives_one_row():
    v = T.dvector("v")
    for out in (softmax(v), logsoftmax(v)):
        assert out.type.broadcastable == (True, False)
        result = jitgraph.function([v], out)(np.array([1.0, 2.0, 3.0]))
        assert result.shape == (1, 3)
    assert_close(softmax(v).eval({v: np.array([1.0, 2.0, 3.0])}),
                 np.array([[0.09003057317038046, 0.24472847105479767, 0.6652409557748219]]))


@pytest.mark.parametrize("shape", [(3, 5), (1, 4), (0, 3), (4, 0), (2, 3, 4)])
def test_numpy_reference(shape, mode):
    x = rand(shape, low=-30, high=30)
    check_numpy(softmax_op, np_softmax, [x], mode)
    check_numpy(logsoftmax_op, np_logsoftmax, [x], mode)


def test_float32_and_integer_inputs(mode):
    x32 = rand((3, 4), "float32", low=-5, high=5)
    check_numpy(softmax_op, np_softmax, [x32], mode, out_dtype="float32")
    check_numpy(logsoftmax_op, np_logsoftmax, [x32], mode, out_dtype="float32")
    # Theano refuses integer scores; they are upgraded to float here as sigmoid does
    xi = np.array([[1, 2, 3], [0, 0, 0]], dtype="int32")
    check_numpy(softmax_op, lambda a: np_softmax(a.astype("float64")), [xi], mode, out_dtype="float64")
    xb = np.array([[1, 2, 3]], dtype="int8")
    check_numpy(softmax_op, lambda a: np_softmax(a.astype("float32")), [xb], mode, out_dtype="float32")


def test_infinities_behave_as_in_theano(mode):
    x = T.dmatrix("x")
    value = np.array([[-np.inf, 0.0, 1.0], [-np.inf] * 3])
    sm, lsm = jitgraph.function([x], [softmax(x), logsoftmax(x)], mode=mode)(value)
    assert_close(sm, [[0.0, 0.26894142136999516, 0.7310585786300049], [np.nan] * 3])
    assert_close(lsm, [[-np.inf, -1.3132616875182228, -0.31326168751822286], [np.nan] * 3])


def test_verify_grad():
    rng = np.random.RandomState(3)
    for fn in (softmax_op, logsoftmax_op, softmax_graph):
        verify_grad(fn, [rng.uniform(-3, 3, (3, 4))], rng=rng)
        verify_grad(fn, [rng.uniform(-3, 3, (2, 2, 3))], rng=rng)
    verify_grad(softmax_op, [rng.uniform(-3, 3, 5)], rng=rng)   # the vector case
    verify_grad(softmax_with_bias, [rng.uniform(-3, 3, (3, 4)), rng.uniform(-1, 1, 4)], rng=rng)
    verify_grad(softmax_grad, [rng.uniform(-1, 1, (3, 4)), np_softmax(rng.uniform(-3, 3, (3, 4)))], rng=rng)


def test_softmax_grad_op_values(mode):
    dy, sm = T.dmatrices("dy", "sm")
    dy_v, sm_v = rand((3, 4), seed=1), np_softmax(rand((3, 4), seed=2))
    expected = sm_v * (dy_v - (dy_v * sm_v).sum(axis=1, keepdims=True))
    check_numpy(softmax_grad, lambda a, b: b * (a - (a * b).sum(axis=1, keepdims=True)), [dy_v, sm_v], mode)
    f = jitgraph.function([dy, sm], softmax_grad(dy, sm), mode=mode)
    assert_close(f(dy_v, sm_v), expected)
    with pytest.raises(ValueError, match="dy has shape .* sm has shape"):
        f(dy_v[:2], sm_v)


def test_softmax_with_bias(mode):
    x, b = T.dmatrix("x"), T.dvector("b")
    f = jitgraph.function([x, b], [softmax_with_bias(x, b), T.grad((softmax_with_bias(x, b) * W).sum(), b)],
                          mode=mode)
    sm, g_b = f(X, B)
    assert_close(sm, THEANO_SOFTMAX_WITH_BIAS)
    assert_close(g_b, THEANO_SOFTMAX_WITH_BIAS_GRAD_B)
    check_numpy(softmax_with_bias, lambda a, c: np_softmax(a + c), [rand((4, 3)), rand((3,), seed=5)], mode)
    with pytest.raises(ValueError, match="b has 3 entries but x .* has 4 columns"):
        f(X, B[:3])


def test_infer_shape(mode):
    x, b, dy = T.dmatrix("x"), T.dvector("b"), T.dmatrix("dy")
    xv = rand((3, 5))
    check_infer_shape([softmax_op(x)], [x], [xv], mode)
    check_infer_shape([logsoftmax_op(x)], [x], [xv], mode)
    check_infer_shape([softmax_with_bias(x, b)], [x, b], [xv, rand((5,))], mode)
    check_infer_shape([softmax_grad(dy, x)], [dy, x], [rand((3, 5), seed=4), xv], mode)
    v = T.dvector("v")
    check_infer_shape([softmax_op(v)], [v], [rand((6,))], mode)


def test_bad_inputs():
    with pytest.raises(ValueError, match="vector or a matrix.*scalar"):
        softmax(T.dscalar())
    with pytest.raises(ValueError, match="vector or a matrix.*scalar"):
        logsoftmax(T.dscalar())
    with pytest.raises(ValueError, match="b must be a vector"):
        softmax_with_bias(T.dmatrix(), T.dmatrix())
    with pytest.raises(ValueError, match="b has 3 entries but x has 4 columns"):
        softmax_with_bias(T.tensor(shape=(None, 4), dtype="float64"), T.tensor(shape=(3,), dtype="float64"))
    with pytest.raises(ValueError, match="dy must be a float"):
        softmax_grad(T.imatrix(), T.dmatrix())
    with pytest.raises(ValueError, match="differ in rank"):
        softmax_grad(T.dtensor3(), T.dmatrix())
    x = T.dmatrix("x")
    f = jitgraph.function([x], softmax(x))
    with pytest.raises(TypeError, match="dimension"):
        f(np.ones(3))


def test_softmax_warns_on_a_size_one_axis():
    with pytest.warns(UserWarning, match="dimension of shape 1"):
        softmax(T.dcol())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        softmax(T.drow())


def test_op_identity_and_names():
    assert Softmax() == softmax_op and hash(Softmax()) == hash(softmax_op)
    assert LogSoftmax() == logsoftmax_op and SoftmaxGrad() == softmax_grad
    assert SoftmaxWithBias() == softmax_with_bias
    assert log_softmax is logsoftmax
    x = T.dmatrix()
    assert isinstance(softmax(x).owner.op, Softmax)
    assert softmax(x).type == x.type
    assert softmax(T.fmatrix()).dtype == "float32"
