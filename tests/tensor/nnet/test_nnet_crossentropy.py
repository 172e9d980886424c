"""Cross-entropy losses: values recorded from Theano 1.0.5, numpy reference, gradients
(first and second order), shapes, dtypes and bad inputs."""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from helpers import assert_close, check_numpy
from jitgraph.gradient import verify_grad
from jitgraph.tensor.nnet import (
    CrossentropyCategorical1Hot, binary_crossentropy, categorical_crossentropy, crossentropy_categorical_1hot,
    crossentropy_categorical_1hot_grad, crossentropy_softmax_1hot, crossentropy_softmax_1hot_with_bias,
    crossentropy_softmax_1hot_with_bias_dx, crossentropy_softmax_argmax_1hot_with_bias,
    crossentropy_softmax_max_and_argmax_1hot, sigmoid_binary_crossentropy)
from nnet_shape_check import check_infer_shape

P = np.array([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25], [0.7, 0.1, 0.1, 0.1]])
Y = np.array([3, 0, 1], dtype="int32")
X = np.array([[1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, 0.0, 2.0], [1000.0, 1001.0, 999.0, -1000.0]])
W = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.75, -0.5, 1.0], [0.3, 0.6, 0.9, 1.2]])
B = np.array([0.1, -0.2, 0.3, 0.0])


def np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def np_pick(m, idx):
    return m[np.arange(m.shape[0]), idx]


# ------------------------------------------------------------ categorical_crossentropy

def test_categorical_crossentropy_matches_theano(mode):
    coding, idx, dist = T.dmatrix("coding"), T.ivector("idx"), T.dmatrix("dist")
    by_index = categorical_crossentropy(coding, idx)
    assert isinstance(by_index.owner.op, CrossentropyCategorical1Hot)
    f = jitgraph.function([coding, idx, dist], [by_index, T.grad(by_index.sum(), coding),
                                                categorical_crossentropy(coding, dist)], mode=mode)
    ce_index, grad, ce_dist = f(P, Y, W / W.sum(axis=1, keepdims=True))
    assert_close(ce_index, [0.916290731874155, 1.3862943611198906, 2.3025850929940455])
    assert_close(grad, [[0, 0, 0, -2.5], [-4, 0, 0, 0], [0, -10, 0, 0]])
    assert_close(ce_dist, [1.245070243247619, 1.3862943611198906, 2.107994078088514])
    # a one-hot matrix gives the same numbers as the indices
    assert_close(f(P, Y, np.eye(4)[Y])[2], ce_index)


@pytest.mark.parametrize("idx_dtype", ["int64", "int32", "uint8"])
@pytest.mark.parametrize("rows", [5, 0])
def test_crossentropy_categorical_1hot_numpy_reference(idx_dtype, rows, mode):
    rng = np.random.RandomState(rows)
    coding = rng.uniform(0.05, 1.0, (rows, 4))
    idx = rng.randint(0, 4, rows).astype(idx_dtype)
    check_numpy(crossentropy_categorical_1hot, lambda c, i: -np.log(np_pick(c, i)), [coding, idx], mode)
    g_y = rng.uniform(-1, 1, rows)

    def np_grad(g, c, i):
        out = np.zeros_like(c)
        out[np.arange(rows), i] = -g / np_pick(c, i)
        return out
    check_numpy(crossentropy_categorical_1hot_grad, np_grad, [g_y, coding, idx], mode)


def test_categorical_crossentropy_dtypes():
    assert categorical_crossentropy(T.fmatrix(), T.ivector()).dtype == "float32"
    assert categorical_crossentropy(T.fmatrix(), T.fmatrix()).dtype == "float32"
    assert categorical_crossentropy(T.dmatrix(), T.lvector()).type.broadcastable == (False,)


def test_categorical_crossentropy_gradients():
    rng = np.random.RandomState(7)
    idx = np.array([2, 0, 3, 3, 1], dtype="int64")
    coding = rng.uniform(0.1, 1.0, (5, 4))
    verify_grad(lambda c: crossentropy_categorical_1hot(c, idx), [coding], rng=rng)
    verify_grad(lambda c, t: categorical_crossentropy(c, t), [coding, rng.uniform(0, 1, (5, 4))], rng=rng)
    # the gradient op's own gradient (second derivatives), w.r.t. both g_y and coding
    verify_grad(lambda g, c: crossentropy_categorical_1hot_grad(g, c, idx), [rng.uniform(-1, 1, 5), coding],
                rng=rng)
    verify_grad(lambda c: T.grad((crossentropy_categorical_1hot(c, idx) ** 2).sum(), c), [coding], rng=rng)


def test_crossentropy_categorical_1hot_bad_inputs(mode):
    with pytest.raises(TypeError, match="integer vector of class indices"):
        crossentropy_categorical_1hot(T.dmatrix(), T.dvector())
    with pytest.raises(TypeError, match="integer vector of class indices"):
        crossentropy_categorical_1hot(T.dmatrix(), T.imatrix())
    with pytest.raises(TypeError, match="integer vector of class indices"):
        crossentropy_categorical_1hot(T.dmatrix(), T.vector(dtype="bool"))
    with pytest.raises(TypeError, match="coding_dist must be a matrix"):
        crossentropy_categorical_1hot(T.dvector(), T.ivector())
    with pytest.raises(TypeError, match="rank mismatch"):
        categorical_crossentropy(T.dmatrix(), T.dtensor3())
    coding, idx = T.dmatrix(), T.ivector()
    f = jitgraph.function([coding, idx], crossentropy_categorical_1hot(coding, idx), mode=mode)
    with pytest.raises(IndexError, match="class index 4 .* out of bounds for 4 classes"):
        f(P, np.array([4, 0, 1], dtype="int32"))
    # Theano's reference wrapped -1 to the last class; a negative class index is a bug
    with pytest.raises(IndexError, match="class index -1"):
        f(P, np.array([-1, 0, 1], dtype="int32"))
    with pytest.raises(ValueError, match="2 class indices given for 3 rows"):
        f(P, np.array([0, 1], dtype="int32"))


# ------------------------------------------------------------ binary cross-entropies

O = np.array([0.1, 0.5, 0.9, 0.99])
TARGET = np.array([0.0, 1.0, 0.3, 1.0])
SCORES = np.array([-50.0, -2.0, 0.0, 0.5, 3.0, 50.0])
SCORE_TARGETS = np.array([0.0, 1.0, 0.3, 1.0, 0.0, 1.0])


def test_binary_crossentropies_match_theano(mode):
    o, t = T.dvectors("o", "t")
    bce = jitgraph.function([o, t], binary_crossentropy(o, t), mode=mode)
    assert_close(bce(O, TARGET), [0.10536051565782631, 0.6931471805599453, 1.6434177197931799,
                                  0.01005033585350145])
    sbce = sigmoid_binary_crossentropy(o, t)
    f = jitgraph.function([o, t], [sbce, T.grad(sbce.sum(), o), T.grad(sbce.sum(), t)], mode=mode)
    value, g_o, g_t = f(SCORES, SCORE_TARGETS)
    assert_close(value, [1.9287498479639178e-22, 2.1269280110429727, 0.69314718055994529,
                         0.47407698418010669, 3.0485873515737421, 1.9287498479639178e-22])
    assert_close(g_o, [1.928749847963918e-22, -0.8807970779778824, 0.2, -0.3775406687981454,
                       0.9525741268224334, 0.0])
    assert_close(g_t, [50.0, 2.0, -0.0, -0.5, -3.0, -50.0])


def test_sigmoid_binary_crossentropy_agrees_with_the_unstable_form(mode):
    rng = np.random.RandomState(2)
    scores, targets = rng.uniform(-6, 6, (4, 5)), rng.uniform(0, 1, (4, 5))

    def np_unstable(s, t):
        p = 1 / (1 + np.exp(-s))
        return -(t * np.log(p) + (1 - t) * np.log(1 - p))
    check_numpy(sigmoid_binary_crossentropy, np_unstable, [scores, targets], mode)
    check_numpy(binary_crossentropy, lambda p, t: -(t * np.log(p) + (1 - t) * np.log(1 - p)),
                [rng.uniform(0.01, 0.99, (0, 3)), rng.uniform(0, 1, (0, 3))], mode)
    # broadcasting a row of targets over a matrix of scores
    check_numpy(sigmoid_binary_crossentropy, np_unstable, [scores, targets[:1]], mode,
                broadcastable=[None, (True, False)])


def test_binary_crossentropy_gradients():
    rng = np.random.RandomState(4)
    verify_grad(binary_crossentropy, [rng.uniform(0.1, 0.9, (3, 4)), rng.uniform(0, 1, (3, 4))], rng=rng)
    verify_grad(sigmoid_binary_crossentropy, [rng.uniform(0.2, 4, (3, 4)) * rng.choice([-1, 1], (3, 4)),
                                              rng.uniform(0, 1, (3, 4))], rng=rng)


def test_binary_crossentropy_dtypes(mode):
    assert binary_crossentropy(T.fvector(), T.fvector()).dtype == "float32"
    assert binary_crossentropy(T.fvector(), T.ivector()).dtype == "float64"
    assert sigmoid_binary_crossentropy(T.fvector(), T.fvector()).dtype == "float32"
    assert sigmoid_binary_crossentropy(T.fvector(), T.bvector()).dtype == "float32"
    assert sigmoid_binary_crossentropy(T.fvector(), T.ivector()).dtype == "float64"
    s, t = T.fvector(), T.bvector()
    f = jitgraph.function([s, t], sigmoid_binary_crossentropy(s, t), mode=mode)
    out = f(np.array([-1.0, 2.0], dtype="float32"), np.array([0, 1], dtype="int8"))
    assert out.dtype == np.float32
    assert_close(out, np.array([np.log1p(np.exp(-1.0)), np.log1p(np.exp(-2.0))], dtype="float32"))


def test_binary_crossentropy_bad_inputs(mode):
    o, t = T.dvector(), T.dvector()
    f = jitgraph.function([o, t], sigmoid_binary_crossentropy(o, t), mode=mode)
    with pytest.raises(ValueError, match="must match"):
        f(np.zeros(3), np.zeros(2))
    with pytest.raises(TypeError):
        sigmoid_binary_crossentropy(T.dvector(), T.dvector(), T.dvector())


# ------------------------------------------------------------ softmax + 1-hot NLL ops

def test_crossentropy_softmax_argmax_1hot_with_bias_matches_theano(mode):
    x, b, y = T.dmatrix("x"), T.dvector("b"), T.ivector("y")
    nll, sm, am = crossentropy_softmax_argmax_1hot_with_bias(x, b, y)
    assert am.dtype == "int32" and nll.type.broadcastable == (False,)
    g_x = T.grad(nll.sum() + (sm * W).sum(), x)
    g_b = T.grad((nll * np.array([1.0, 2.0, 3.0])).sum(), b)
    f = jitgraph.function([x, b, y], [nll, sm, am, g_x, g_b], mode=mode)
    nll_v, sm_v, am_v, g_x_v, g_b_v = f(X, B, Y)
    assert_close(nll_v, [0.5082693686541537, 3.2509316705861884, 0.5421588491987163])
    assert_close(sm_v, [[0.03309843202211784, 0.06665205709756732, 0.298713795809716, 0.6015357150705989],
                        [0.03873809986575918, 0.12861502091896543, 0.12861502091896543, 0.70403185829631],
                        [0.28876015492339935, 0.58149154378655, 0.12974830129005058, 0.0]])
    assert_close(am_v, np.array([3, 3, 1], dtype="int32"))
    assert_close(g_x_v, [[0.02655458474010512, -0.0465037187302101, 0.68772617946589, -0.667777045475785],
                         [-0.9339241427239238, 0.12291830623740162, -0.03785046991130517, 0.8488563063978273],
                         [0.21590699469332636, -0.3907692417385649, 0.1748622470452385, 0.0]])
    assert_close(g_b_v, [-1.0231449034761657, -0.9316432697048518, 0.9451887415177986, 1.0095994316632189])


def test_crossentropy_softmax_wrappers_match_theano(mode):
    x, y = T.dmatrix("x"), T.ivector("y")
    nll, sm, max_pr, am = crossentropy_softmax_max_and_argmax_1hot(x, y)
    assert [v.ndim for v in (nll, sm, max_pr, am)] == [1, 2, 1, 1] and am.dtype == "int64"
    nll2, sm2 = crossentropy_softmax_1hot(x, y)
    f = jitgraph.function([x, y], [nll, sm, max_pr, am, nll2, sm2], mode=mode)
    nll_v, sm_v, max_v, am_v, nll2_v, sm2_v = f(X, Y)
    assert_close(nll_v, [0.44018969856119533, 3.342349582389822, 0.4076059644443804])
    assert_close(max_v, [0.6439142598879724, 0.7100999228861743, 0.6652409557748218])
    assert_close(am_v, np.array([3, 3, 1]))
    assert_close(sm_v, np_softmax(X))
    assert_close(nll2_v, nll_v)
    assert_close(sm2_v, sm_v)


def test_crossentropy_softmax_numpy_reference(mode):
    rng = np.random.RandomState(5)
    x, b = rng.uniform(-40, 40, (6, 5)), rng.uniform(-1, 1, 5)
    y = rng.randint(0, 5, 6).astype("int64")

    def nll(x_, b_, y_):
        return -np.log(np_pick(np_softmax(x_ + b_), y_))
    check_numpy(lambda *a: crossentropy_softmax_1hot_with_bias(*a)[0], nll, [x, b, y], mode)
    check_numpy(lambda *a: crossentropy_softmax_1hot_with_bias(*a)[1], lambda x_, b_, y_: np_softmax(x_ + b_),
                [x, b, y], mode)
    check_numpy(lambda *a: crossentropy_softmax_argmax_1hot_with_bias(*a)[2],
                lambda x_, b_, y_: (x_ + b_).argmax(axis=1), [x, b, y], mode)
    empty = [np.zeros((0, 5)), b, np.zeros(0, dtype="int64")]
    check_numpy(lambda *a: crossentropy_softmax_1hot_with_bias(*a)[0], lambda *a: np.zeros(0), empty, mode)


def test_crossentropy_softmax_stays_finite_where_softmax_underflows(mode):
    x, y = T.dmatrix(), T.lvector()
    nll, _ = crossentropy_softmax_1hot(x, y)
    out = jitgraph.function([x, y], nll, mode=mode)(np.array([[0.0, 2000.0]]), np.array([0]))
    assert_close(out, [2000.0])


def test_dx_matches_theano(mode):
    dy, ds, sm, y = T.dvector("dy"), T.dscalar("ds"), T.dmatrix("sm"), T.ivector("y")
    f = jitgraph.function([dy, ds, sm, y], [crossentropy_softmax_1hot_with_bias_dx(dy, sm, y),
                                            crossentropy_softmax_1hot_with_bias_dx(ds, sm, y)], mode=mode)
    by_row, by_scalar = f(np.array([1.0, 2.0, 3.0]), 2.0, P, Y)
    assert_close(by_row, [[0.1, 0.2, 0.3, -0.6], [-1.5, 0.5, 0.5, 0.5], [2.1, -2.7, 0.3, 0.3]])
    assert_close(by_scalar, [[0.2, 0.4, 0.6, -1.2], [-1.5, 0.5, 0.5, 0.5], [1.4, -1.8, 0.2, 0.2]])
    with pytest.raises(ValueError, match="dy has 2 entries for 3 rows"):
        f(np.array([1.0, 2.0]), 2.0, P, Y)


def test_crossentropy_softmax_gradients():
    rng = np.random.RandomState(11)
    y = np.array([1, 0, 3], dtype="int64")
    weights = rng.uniform(0.5, 1.5, (3, 4))

    def combined(x, b):
        nll, sm, _ = crossentropy_softmax_argmax_1hot_with_bias(x, b, y)
        return nll + (sm * weights).sum(axis=1)
    verify_grad(combined, [rng.uniform(-3, 3, (3, 4)), rng.uniform(-1, 1, 4)], rng=rng)
    sm = np_softmax(rng.uniform(-2, 2, (3, 4)))
    verify_grad(lambda dy, s: crossentropy_softmax_1hot_with_bias_dx(dy, s, y), [rng.uniform(-1, 1, 3), sm],
                rng=rng)
    verify_grad(lambda dy, s: crossentropy_softmax_1hot_with_bias_dx(dy, s, y), [np.array(0.7), sm], rng=rng)


def test_crossentropy_softmax_bad_inputs(mode):
    with pytest.raises(TypeError, match="x must be a matrix"):
        crossentropy_softmax_1hot_with_bias(T.dvector(), T.dvector(), T.ivector())
    with pytest.raises(TypeError, match="b must be a vector"):
        crossentropy_softmax_1hot_with_bias(T.dmatrix(), T.dmatrix(), T.ivector())
    with pytest.raises(TypeError, match="integer vector"):
        crossentropy_softmax_1hot_with_bias(T.dmatrix(), T.dvector(), T.dvector())
    with pytest.raises(TypeError, match="dy must be a scalar or a vector"):
        crossentropy_softmax_1hot_with_bias_dx(T.dmatrix(), T.dmatrix(), T.ivector())
    x, b, y = T.dmatrix(), T.dvector(), T.ivector()
    f = jitgraph.function([x, b, y], crossentropy_softmax_1hot_with_bias(x, b, y)[0], mode=mode)
    with pytest.raises(ValueError, match="b has 3 entries but x .* has 4 columns"):
        f(X, B[:3], Y)
    with pytest.raises(IndexError, match="class index 7"):
        f(X, B, np.array([7, 0, 0], dtype="int32"))


def test_infer_shape(mode):
    coding, idx, g_y = T.dmatrix("coding"), T.lvector("idx"), T.dvector("g_y")
    values = [P, Y.astype("int64")]
    check_infer_shape([crossentropy_categorical_1hot(coding, idx)], [coding, idx], values, mode)
    check_infer_shape([crossentropy_categorical_1hot_grad(g_y, coding, idx)], [g_y, coding, idx],
                      [np.ones(3)] + values, mode)
    b = T.dvector("b")
    check_infer_shape(crossentropy_softmax_argmax_1hot_with_bias(coding, b, idx), [coding, b, idx],
                      [P, B, Y.astype("int64")], mode)
    check_infer_shape([crossentropy_softmax_1hot_with_bias_dx(g_y, coding, idx)], [g_y, coding, idx],
                      [np.ones(3)] + values, mode)


def test_logistic_regression_step_in_float32(floatX32, mode):
    # the Deep Learning Tutorials' classifier: softmax of an affine map, 1-hot NLL, SGD updates
    rng = np.random.RandomState(0)
    data = rng.uniform(-1, 1, (20, 5)).astype("float32")
    labels = (data[:, 0] > 0).astype("int32") + (data[:, 1] > 0).astype("int32")
    x, y = T.matrix("x"), T.ivector("y")
    W = jitgraph.shared(np.zeros((5, 3), dtype="float32"), name="W")
    b = jitgraph.shared(np.zeros(3, dtype="float32"), name="b")
    p_y = T.nnet.softmax(T.dot(x, W) + b)
    cost = T.mean(categorical_crossentropy(p_y, y))
    g_W, g_b = T.grad(cost, [W, b])
    train = jitgraph.function([x, y], cost, updates=[(W, W - 0.5 * g_W), (b, b - 0.5 * g_b)], mode=mode)
    costs = [float(train(data, labels)) for _ in range(30)]
    assert p_y.dtype == "float32" and W.get_value().dtype == np.float32
    assert_close(np.float32(costs[0]), np.float32(np.log(3.0)))    # uniform start: -log(1/3)
    assert costs[-1] < 0.6 * costs[0]
