"""Keras initializers, regularizers and activations vs Keras 1.2.2's numbers."""
import numpy as np
import pytest

import jitgraph
from jitgraph.keras import activations, initializations, initializers, regularizers
from jitgraph.keras import backend as K

# Values Keras 1.2.2 drew for a (3, 2) weight right after np.random.seed(1).
KERAS_SEED1_3x2 = {
    "uniform": [[-0.0082978, 0.0220324], [-0.0499886, -0.0197667], [-0.0353244, -0.0407661]],
    "normal": [[0.0812173, -0.0305878], [-0.0264086, -0.0536484], [0.0432704, -0.1150769]],
    "lecun_uniform": [[-0.165956, 0.440649], [-0.9997712, -0.3953349], [-0.7064882, -0.8153228]],
    "glorot_normal": [[1.0273262, -0.3869088], [-0.3340452, -0.678605], [0.5473318, -1.4556209]],
    "glorot_uniform": [[-0.1817957, 0.4827068], [-1.0951946, -0.4330676], [-0.773919, -0.8931414]],
    "he_normal": [[1.3262725, -0.499497], [-0.4312504, -0.8760752], [0.7066024, -1.8791984]],
    "he_uniform": [[-0.2346972, 0.6231718], [-1.41389, -0.559088], [-0.9991252, -1.1530405]],
    "orthogonal": [[-0.5058738, 0.8147463], [-0.2669077, -0.6989553], [-0.939602, -0.240104]],
}


@pytest.mark.parametrize("name", sorted(KERAS_SEED1_3x2))
def test_initializer_draws_what_keras_1_2_2_draws_after_the_same_seed(name):
    np.random.seed(1)
    w = initializations.get(name)((3, 2), name="W")
    assert w.name == "W"
    assert w.get_value().dtype == np.float32
    np.testing.assert_allclose(w.get_value(), KERAS_SEED1_3x2[name], rtol=1e-5, atol=1e-7)


def test_weights_are_float32_whatever_floatx_says():
    for floatx in ("float64", "float32"):
        with jitgraph.change_flags(floatX=floatx):
            assert initializers.glorot_uniform((4, 5)).dtype == "float32"
            assert initializers.zero((2,)).dtype == "float32"


def test_uniform_bounds_and_constant_initializers():
    w = initializers.uniform((200, 50)).get_value()
    assert w.min() >= -0.05 and w.max() <= 0.05 and w.std() > 0.02
    np.testing.assert_array_equal(initializers.zero((2, 3)).get_value(), np.zeros((2, 3)))
    np.testing.assert_array_equal(initializers.get("one")((4,)).get_value(), np.ones(4))
    np.testing.assert_array_equal(initializers.identity((3, 3), 2).get_value(), 2 * np.eye(3))
    np.testing.assert_array_equal(initializers.Constant(0.5)((2,)).get_value(), [0.5, 0.5])


def test_orthogonal_has_orthonormal_columns_times_gain():
    w = initializers.orthogonal((6, 4)).get_value().astype("float64")
    np.testing.assert_allclose(w.T @ w, 1.1 ** 2 * np.eye(4), atol=1e-5)
    wide = initializers.orthogonal((2, 3), scale=1.0).get_value().astype("float64")
    np.testing.assert_allclose(wide @ wide.T, np.eye(2), atol=1e-5)


def test_fans():
    assert initializers.get_fans((4, 3)) == (4, 3)
    assert initializers.get_fans((4, 3, 5, 5)) == (75, 100)
    assert initializers.get_fans((5, 5, 3, 4), dim_ordering="tf") == (75, 100)
    fan_in, fan_out = initializers.get_fans((2, 3, 4))
    assert fan_in == fan_out == pytest.approx(np.sqrt(24))
    with pytest.raises(ValueError, match="dim_ordering"):
        initializers.get_fans((1, 2, 3, 4), dim_ordering="xy")


def test_keras2_objects_and_names():
    np.random.seed(1)
    expected = initializers.glorot_uniform((3, 2)).get_value()
    np.random.seed(1)
    init = initializers.glorot_uniform()       # Keras 2: an initializer object
    assert isinstance(init, initializers.Initializer)
    np.testing.assert_array_equal(init((3, 2)).get_value(), expected)
    np.testing.assert_array_equal(initializers.get("zeros")((2,)).get_value(), [0., 0.])
    ru = initializers.get({"class_name": "RandomUniform",
                           "config": {"minval": 1., "maxval": 2., "seed": 4}})
    a, b = ru((50,)).get_value(), ru((50,)).get_value()
    assert a.min() >= 1. and a.max() <= 2.
    np.testing.assert_array_equal(a, b)        # a fixed seed draws the same every time
    assert initializers.serialize(initializers.get("glorot_uniform")) == "glorot_uniform"
    assert initializers.serialize(ru) == {"class_name": "RandomUniform",
                                          "config": {"minval": 1., "maxval": 2., "seed": 4}}


def test_initializer_errors_name_the_problem():
    with pytest.raises(ValueError, match="Invalid initialization: 'glorot'"):
        initializers.get("glorot")
    with pytest.raises(TypeError, match="shape must be a tuple of ints"):
        initializers.uniform("ab")
    with pytest.raises(ValueError, match="negative dimension"):
        initializers.uniform((2, -1))
    with pytest.raises(ValueError, match="square 2-d shape"):
        initializers.identity((2, 3))
    with pytest.raises(ValueError, match="mode must be"):
        initializers.VarianceScaling(mode="fan_max")


# Penalties Keras 1.2.2 computed for W (float32).
W = np.array([[1., -2.], [0.5, 3.]], dtype="float32")


@pytest.mark.parametrize("make, expected, config", [
    (lambda: regularizers.l1(0.1), 0.65, {"l1": 0.1, "l2": 0.0}),
    (lambda: regularizers.l2(0.01), 0.1425, {"l1": 0.0, "l2": 0.01}),
    (lambda: regularizers.l1l2(0.1, 0.2), 3.5, {"l1": 0.1, "l2": 0.2}),
    (lambda: regularizers.WeightRegularizer(l2=0.01), 0.1425, {"l1": 0.0, "l2": 0.01}),
])
def test_regularizer_penalty_and_config(make, expected, config):
    reg = make()
    assert float(K.eval(reg(K.variable(W)))) == pytest.approx(expected, rel=1e-6)
    saved = reg.get_config()
    assert saved["name"] == "L1L2Regularizer"
    assert {k: saved[k] for k in ("l1", "l2")} == pytest.approx(config)
    again = regularizers.get(dict(saved))
    assert float(K.eval(again(K.variable(W)))) == pytest.approx(expected, rel=1e-6)


def test_regularizer_lookup_and_errors():
    assert regularizers.get(None) is None
    assert float(K.eval(regularizers.get("l2")(K.variable(W)))) == pytest.approx(0.1425, rel=1e-6)
    keras2 = regularizers.get({"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.}})
    assert float(K.eval(keras2(K.variable(W)))) == pytest.approx(0.65, rel=1e-6)
    assert regularizers.Regularizer()(K.variable(W)) == 0
    with pytest.raises(ValueError, match="Invalid regularizer: 'l3'"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="l2 must be a number >= 0"):
        regularizers.l2(-1.)


def test_regularizer_gradient():
    reg = regularizers.l1l2(0.1, 0.2)
    rng = np.random.RandomState(0)
    jitgraph.verify_grad(lambda w: reg(w), [rng.rand(3, 2) + 0.1], rng=np.random.RandomState(1))


R = np.array([[1.5, -0.5, 2.], [0.2, 0.1, -1.], [3., 1., 0.5], [-2., 0.3, 0.7]], dtype="float32")

# Keras 1.2.2's activations of R.
KERAS_ACTIVATIONS = {
    "softmax": [[0.3591881, 0.0486108, 0.592201], [0.4533026, 0.4101652, 0.1365321],
                [0.821409, 0.1111656, 0.0674254], [0.0386789, 0.38579, 0.5755312]],
    "relu": [[1.5, 0.0, 2.0], [0.2, 0.1, 0.0], [3.0, 1.0, 0.5], [0.0, 0.3, 0.7]],
    "tanh": [[0.9051483, -0.4621172, 0.9640276], [0.1973753, 0.099668, -0.7615942],
             [0.9950548, 0.7615942, 0.4621172], [-0.9640276, 0.2913126, 0.6043678]],
    "sigmoid": [[0.8175744, 0.3775407, 0.880797], [0.549834, 0.5249792, 0.2689414],
                [0.9525741, 0.7310586, 0.6224594], [0.1192029, 0.5744425, 0.6681878]],
    "hard_sigmoid": [[0.8, 0.4, 0.9], [0.54, 0.52, 0.3], [1.0, 0.7, 0.6], [0.1, 0.56, 0.64]],
    "softplus": [[1.7014132, 0.474077, 2.1269281], [0.7981388, 0.7443967, 0.3132617],
                 [3.0485873, 1.3132616, 0.974077], [0.126928, 0.8543553, 1.103186]],
    "softsign": [[0.6, -0.3333334, 0.6666667], [0.1666667, 0.0909091, -0.5], [0.75, 0.5, 0.3333334],
                 [-0.6666667, 0.2307692, 0.4117647]],
    "elu": [[1.5, -0.3934693, 2.0], [0.2, 0.1, -0.6321206], [3.0, 1.0, 0.5], [-0.8646647, 0.3, 0.7]],
    "linear": R.tolist(),
}


@pytest.mark.parametrize("name", sorted(KERAS_ACTIVATIONS))
def test_activation_matches_keras_1_2_2(name):
    x = K.placeholder(ndim=2)
    out = K.function([x], [activations.get(name)(x)])([R])[0]
    np.testing.assert_allclose(out, KERAS_ACTIVATIONS[name], rtol=1e-5, atol=1e-6)


def test_softmax_on_3d_normalises_the_last_axis_and_rejects_4d():
    x = K.placeholder(ndim=3)
    value = R.reshape(2, 2, 3)
    out = K.function([x], [activations.softmax(x)])([value])[0]
    e = np.exp(value - value.max(-1, keepdims=True))
    np.testing.assert_allclose(out, e / e.sum(-1, keepdims=True), rtol=1e-5)
    with pytest.raises(ValueError, match="2-d or 3-d tensor, got ndim=4"):
        activations.softmax(K.placeholder(ndim=4))


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "softplus", "softsign", "elu", "softmax"])
def test_activation_gradients(name):
    fn = activations.get(name)
    jitgraph.verify_grad(lambda x: fn(x), [np.random.RandomState(0).randn(3, 4)],
                         rng=np.random.RandomState(1))


def test_activation_lookup():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get(np.tanh) is np.tanh
    assert activations.serialize(activations.get("tanh")) == "tanh"
    with pytest.raises(ValueError, match="Invalid activation function: 'swish'"):
        activations.get("swish")
    with pytest.raises(TypeError, match="activation: expected"):
        activations.get(3)
