"""The sigmoid family (``nnet.sigm``): one sigmoid object everywhere, ultra_fast_sigmoid and
hard_sigmoid against values recorded from Theano 1.0.5, gradients, dtypes."""
import numpy as np
import pytest
import scipy.special

import jitgraph
import jitgraph.tensor as T
import jitgraph.tensor.nnet
from helpers import assert_close, check_numpy, rand
from jitgraph.gradient import verify_grad
from jitgraph.tensor.elemwise import Elemwise
from jitgraph.tensor.nnet import hard_sigmoid, sigmoid, softplus, ultra_fast_sigmoid

POINTS = np.array([-10, -5, -3.4, -3, -1, -0.5, 0, 0.3, 2, 3.39, 3.4, 4, 6, 7, 100, np.inf, -np.inf])
THEANO_ULTRA_FAST = np.array([
    0.00247262315663499, 0.01394294682656394, 0.03229546469845052, 0.04999999999999999, 0.25, 0.35, 0.5,
    0.5978260869565217, 0.875, 0.9717068645640073, 0.9677045353015494, 0.9745867295035069, 0.997527376843365,
    0.997527376843365, 0.997527376843365, 0.997527376843365, 0.00247262315663499])
THEANO_HARD = np.array([0, 0, 0, 0, 0.3, 0.4, 0.5, 0.56, 0.9, 1, 1, 1, 1, 1, 1, 1, 0])
THEANO_HARD_GRAD = np.array([0, 0, 0, 0, 0.2, 0.2, 0.2, 0.2, 0.2, 0, 0, 0, 0, 0, 0])   # the finite points


def _np_ultra_fast(a):
    """Element by element, the three-piece tanh approximation Theano documents."""
    def one(v):
        h = abs(0.5 * v)
        z = 1.5 * h / (1 + h) if h < 1.7 else (0.935409070603099 + 0.0458812946797165 * (h - 1.7)
                                                if h < 3 else 0.99505475368673)
        return 0.5 * ((z if v >= 0 else -z) + 1)
    return np.vectorize(one, otypes=[a.dtype])(a)


def test_sigmoid_is_one_object_everywhere():
    import jitgraph.tensor.nnet.nnet as nnet_nnet
    import jitgraph.tensor.nnet.sigm as nnet_sigm
    from jitgraph.tensor.nnet import sigmoid as imported
    assert T.nnet.sigmoid is jitgraph.tensor.nnet.sigmoid
    assert imported is T.nnet.sigmoid is nnet_nnet.sigmoid is nnet_sigm.sigmoid is T.sigmoid
    assert T.nnet.softplus is nnet_nnet.softplus is nnet_sigm.softplus is T.softplus
    assert T.nnet.nnet is nnet_nnet and T.nnet.sigm is nnet_sigm


def test_sigmoid_and_softplus_values(mode):
    x = rand((4, 5), low=-40, high=40)
    check_numpy(sigmoid, scipy.special.expit, [x], mode)
    check_numpy(softplus, lambda a: np.logaddexp(0, a), [x], mode)


def test_ultra_fast_sigmoid_matches_theano(mode):
    x = T.dvector("x")
    assert_close(jitgraph.function([x], ultra_fast_sigmoid(x), mode=mode)(POINTS), THEANO_ULTRA_FAST)
    xf = T.fvector("xf")
    out = jitgraph.function([xf], ultra_fast_sigmoid(xf), mode=mode)(POINTS.astype("float32"))
    assert out.dtype == np.float32
    assert_close(out, THEANO_ULTRA_FAST.astype("float32"))


def test_ultra_fast_sigmoid_reference_layouts_and_nan(mode):
    check_numpy(ultra_fast_sigmoid, _np_ultra_fast, [rand((3, 4), low=-8, high=8)], mode)
    check_numpy(ultra_fast_sigmoid, _np_ultra_fast, [np.zeros((0, 2))], mode)
    check_numpy(ultra_fast_sigmoid, lambda a: _np_ultra_fast(a.astype("float32")),
                [np.array([[-3, 0, 5]], dtype="int8")], mode, out_dtype="float32")
    v = T.dvector()
    # Theano's C code turned NaN into 0.0025; a NaN stays NaN here
    assert np.isnan(jitgraph.function([v], ultra_fast_sigmoid(v), mode=mode)(np.array([np.nan]))[0])


def test_ultra_fast_sigmoid_gradient():
    # Theano has none; this is the derivative of the approximation, away from its kinks (|x| = 3.4, 6)
    rng = np.random.RandomState(0)
    verify_grad(ultra_fast_sigmoid, [np.array([-8.0, -5.0, -2.0, -0.3, 0.4, 1.5, 3.0, 4.5, 7.0])], rng=rng)
    x = T.dvector()
    g = jitgraph.function([x], T.grad(ultra_fast_sigmoid(x).sum(), x))(np.array([0.0, 1.0, 4.0, 10.0]))
    assert_close(g, [0.375, 0.375 / 1.5 ** 2, 0.25 * 0.0458812946797165, 0.0])


def test_hard_sigmoid_matches_theano(mode):
    x = T.dvector("x")
    f = jitgraph.function([x], [hard_sigmoid(x), T.grad(hard_sigmoid(x).sum(), x)], mode=mode)
    value, _ = f(POINTS)
    assert_close(value, THEANO_HARD)
    assert_close(f(POINTS[:15])[1], THEANO_HARD_GRAD)
    check_numpy(hard_sigmoid, lambda a: np.clip(a * 0.2 + 0.5, 0, 1), [rand((3, 4), low=-4, high=4)], mode)


@pytest.mark.parametrize("fn", [ultra_fast_sigmoid, hard_sigmoid, sigmoid, softplus])
def test_dtypes_follow_theano(fn):
    # recorded from Theano 1.0.5: int8 -> float32, int32 / int64 -> float64, float32 stays
    assert fn(T.fmatrix()).dtype == "float32"
    assert fn(T.bmatrix()).dtype == "float32"
    assert fn(T.imatrix()).dtype == "float64"
    assert fn(T.lmatrix()).dtype == "float64"


def test_ultra_fast_sigmoid_is_an_elemwise_op():
    assert isinstance(ultra_fast_sigmoid, Elemwise)
    assert ultra_fast_sigmoid.scalar_op.name == "ultra_fast_sigmoid"
    assert T.nnet.sigm.ultra_fast_scalar_sigmoid is ultra_fast_sigmoid.scalar_op
    out = ultra_fast_sigmoid(T.dmatrix())
    assert out.owner.op is ultra_fast_sigmoid


def test_bad_inputs():
    with pytest.raises(TypeError, match="takes 1 inputs"):
        ultra_fast_sigmoid(T.dvector(), T.dvector())
    x = T.dmatrix()
    f = jitgraph.function([x], hard_sigmoid(x))
    with pytest.raises(TypeError, match="dimension"):
        f(np.zeros(3))
