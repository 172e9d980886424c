"""relu (plain, leaky, parametric), elu, selu, softsign: values and gradients recorded
from Theano 1.0.5, numpy reference, dtypes."""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from helpers import assert_close, check_numpy, rand
from jitgraph.gradient import verify_grad
from jitgraph.tensor.elemwise import Elemwise
from jitgraph.tensor.nnet import elu, relu, selu, softsign

POINTS = np.array([-10, -5, -3.4, -3, -1, -0.5, 0, 0.3, 2, 3.39, 3.4, 4, 6, 7, 100, np.inf, -np.inf])
FINITE = POINTS[:15]

# Recorded from Theano 1.0.5 at POINTS (gradients at FINITE).
THEANO = {
    "relu": [0, 0, 0, 0, 0, 0, 0, 0.3, 2, 3.39, 3.4, 4, 6, 7, 100, np.inf, np.nan],
    "leaky": [-1, -0.5, -0.34, -0.3, -0.1, -0.05, 0, 0.3, 2, 3.39, 3.4, 4, 6, 7, 100, np.inf, np.nan],
    "elu": [-0.9999546000702375, -0.9932620530009145, -0.9666267300396739, -0.950212931632136,
            -0.6321205588285577, -0.3934693402873666, 0, 0.3, 2, 3.39, 3.4, 4, 6, 7, 100, np.inf, -1],
    "elu_half": [-0.49997730003511875, -0.49663102650045726, -0.48331336501983696, -0.475106465816068,
                 -0.31606027941427883, -0.1967346701436833, 0, 0.3, 2, 3.39, 3.4, 4, 6, 7, 100, np.inf, -0.5],
    "selu": [-1.7580195232607867, -1.74625336066962, -1.6994258169282057, -1.6705687287671118,
             -1.1113307378125625, -0.6917581878028713, 0, 0.31521029620664415, 2.101401974710961,
             3.5618763471350787, 3.5723833570086336, 4.202803949421922, 6.304205924132883, 7.354906911488364,
             105.07009873554804, np.inf, -1.7580993408473766],
    "softsign": [-0.9090909090909091, -0.8333333333333334, -0.7727272727272726, -0.75, -0.5, -0.3333333333333333,
                 0, 0.23076923076923075, 0.6666666666666666, 0.7722095671981776, 0.7727272727272726, 0.8,
                 0.8571428571428571, 0.875, 0.9900990099009901, np.nan, np.nan],
}
THEANO_GRAD = {
    "relu": [0, 0, 0, 0, 0, 0, 0.5, 1, 1, 1, 1, 1, 1, 1, 1],
    "elu": [4.5399929762484854e-05, 6.7379469990854670e-03, 3.3373269960326080e-02, 4.9787068367863944e-02,
            3.6787944117144233e-01, 6.0653065971263342e-01, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    "selu": [7.9817586589941820e-05, 1.1845980177756718e-02, 5.8673523919170835e-02, 8.7530612080264872e-02,
             6.4676860303481398e-01, 1.0663411530445053e+00, 1.7580993408473766e+00] + [1.0507009873554805] * 8,
    "softsign": [8.2644628099173556e-03, 2.7777777777777776e-02, 5.1652892561983466e-02, 6.25e-02, 0.25,
                 4.4444444444444442e-01, 1, 5.9171597633136086e-01, 1.1111111111111110e-01,
                 5.1888481276041516e-02, 5.1652892561983466e-02, 4.0e-02, 2.0408163265306121e-02, 1.5625e-02,
                 9.8029604940692082e-05],
}
FUNCTIONS = {"relu": relu, "leaky": lambda x: relu(x, 0.1), "elu": elu, "elu_half": lambda x: elu(x, 0.5),
             "selu": selu, "softsign": softsign}


@pytest.mark.parametrize("name", sorted(THEANO))
def test_values_match_theano(name, mode):
    x = T.dvector("x")
    assert_close(jitgraph.function([x], FUNCTIONS[name](x), mode=mode)(POINTS), np.array(THEANO[name]))


@pytest.mark.parametrize("name", sorted(THEANO_GRAD))
def test_gradients_match_theano(name, mode):
    x = T.dvector("x")
    g = T.grad(FUNCTIONS[name](x).sum(), x)
    assert_close(jitgraph.function([x], g, mode=mode)(FINITE), np.array(THEANO_GRAD[name], dtype="float64"))


def test_numpy_reference(mode):
    x = rand((4, 5), low=-3, high=3)
    check_numpy(relu, lambda a: np.maximum(a, 0), [x], mode)
    check_numpy(lambda a: relu(a, 0.2), lambda a: np.where(a > 0, a, 0.2 * a), [x], mode)
    check_numpy(elu, lambda a: np.where(a > 0, a, np.expm1(a)), [x], mode)
    check_numpy(softsign, lambda a: a / (1 + np.abs(a)), [x], mode)
    check_numpy(softsign, lambda a: a / (1 + np.abs(a)), [np.zeros((0, 3))], mode)


def test_parametric_relu_with_a_symbolic_slope(mode):
    x, alpha = T.dvector("x"), T.dvector("alpha")
    out = relu(x, alpha)
    f = jitgraph.function([x, alpha], [out, T.grad(out.sum(), alpha)], mode=mode)
    value, g_alpha = f(np.array([-2.0, 3.0]), np.array([0.25, 0.5]))
    assert_close(value, [-0.5, 3.0])          # Theano 1.0.5
    assert_close(g_alpha, [-2.0, 0.0])
    # a shared slope broadcast over the columns of a matrix
    slope = jitgraph.shared(np.array([0.1, 0.2, 0.3]), name="slope")
    m = T.dmatrix("m")
    mv = rand((2, 3))
    got = jitgraph.function([m], relu(m, slope.dimshuffle("x", 0)), mode=mode)(mv)
    assert_close(got, np.where(mv > 0, mv, mv * np.array([0.1, 0.2, 0.3])))


def test_verify_grad():
    rng = np.random.RandomState(1)
    x = rng.uniform(0.1, 2, (3, 4)) * rng.choice([-1, 1], (3, 4))    # away from the kink at 0
    for fn in (relu, lambda a: relu(a, 0.3), elu, selu, softsign):
        verify_grad(fn, [x], rng=rng)
    verify_grad(lambda a, s: relu(a, s), [x, rng.uniform(0, 1, (3, 4))], rng=rng)


def test_dtypes_follow_theano():
    # recorded from Theano 1.0.5
    assert relu(T.fmatrix()).dtype == "float32"
    assert relu(T.fmatrix(), 0.1).dtype == "float64"          # 0.1 is not exact in float32
    assert relu(T.fmatrix(), np.float32(0.1)).dtype == "float32"
    assert relu(T.imatrix()).dtype == "float64"
    assert elu(T.fmatrix()).dtype == "float32" and elu(T.fmatrix(), 0.5).dtype == "float32"
    assert selu(T.fmatrix()).dtype == "float64"
    assert softsign(T.imatrix()).dtype == "float64" and softsign(T.bmatrix()).dtype == "float32"
    assert softsign(T.fmatrix()).dtype == "float32"


def test_softsign_is_an_elemwise_op_and_checks_arity():
    assert isinstance(softsign, Elemwise) and softsign.scalar_op.name == "softsign"
    with pytest.raises(TypeError, match="takes 1 inputs"):
        softsign(T.dvector(), T.dvector())
    x = T.dvector()
    with pytest.raises(TypeError, match="dimension"):
        jitgraph.function([x], relu(x))(np.zeros((2, 2)))
