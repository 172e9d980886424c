"""Keras optimizers: update rules vs the formulas by hand and vs Keras 1.2.2's numbers,
state (iterations, moments) in Keras' order, config, names and keyword spellings."""
import numpy as np
import pytest

from jitgraph.keras import backend as K
from jitgraph.keras import optimizers

W0 = np.array([[0.1, -0.2], [0.3, 0.05], [-0.15, 0.25]], dtype="float32")
X = np.array([[1., 2., -1.], [0.5, -1., 2.], [0., 1., 1.], [2., 0.5, -0.5]], dtype="float32")
Y = np.array([[1., 0.], [0., 1.], [1., 1.], [0.5, -0.5]], dtype="float32")


def mse_grad(w):
    """Gradient of mean((X·w − Y)²) (the loss of ``train``) with respect to w."""
    w = w.astype("float64")
    return 2. * X.T.astype("float64") @ (X @ w - Y) / Y.size


def train(opt, steps, constraints=None):
    """Run ``steps`` updates of ``opt`` on a linear least-squares problem; returns the
    weight variable and the compiled step."""
    w = K.variable(W0)
    x, y = K.placeholder(ndim=2), K.placeholder(ndim=2)
    loss = K.mean(K.mean(K.square(K.dot(x, w) - y), axis=-1))
    step = K.function([x, y], [loss], updates=opt.get_updates([w], constraints or {}, loss))
    for _ in range(steps):
        step([X, Y])
    return w, step


def test_sgd_decay_momentum_nesterov_matches_formula_for_three_steps():
    lr, decay, momentum = 0.1, 0.05, 0.9
    opt = optimizers.SGD(lr=lr, decay=decay, momentum=momentum, nesterov=True)
    w_var, _ = train(opt, 3)
    w, v = W0.astype("float64"), np.zeros_like(W0, dtype="float64")
    for t in range(3):                      # t starts at 0
        g = mse_grad(w)
        lr_t = lr / (1. + decay * t)
        v = momentum * v - lr_t * g
        w = w + momentum * v - lr_t * g
    np.testing.assert_allclose(w_var.get_value(), w, rtol=1e-5, atol=1e-6)
    iterations, moment = opt.get_weights()
    assert iterations == 3.
    np.testing.assert_allclose(moment, v, rtol=1e-5, atol=1e-6)


def test_sgd_momentum_without_nesterov_and_without_decay():
    opt = optimizers.SGD(lr=0.1, momentum=0.5)
    w_var, _ = train(opt, 2)
    w, v = W0.astype("float64"), np.zeros((3, 2))
    for _ in range(2):
        v = 0.5 * v - 0.1 * mse_grad(w)
        w = w + v
    np.testing.assert_allclose(w_var.get_value(), w, rtol=1e-5, atol=1e-6)
    # Keras 1.2.2 counts SGD's steps only when it decays.
    assert opt.get_weights()[0] == 0.


def _one_step_reference(name):
    """New weight after one step of each optimizer from zero state, by its formula."""
    w, g = W0.astype("float64"), mse_grad(W0)
    eps = 1e-8
    if name == "rmsprop":                   # lr 0.01, rho 0.9, decay 0.1 (t = 0: no effect)
        a = 0.1 * g ** 2
        return w - 0.01 * g / (np.sqrt(a) + eps)
    if name == "adagrad":                   # lr 0.1
        return w - 0.1 * g / (np.sqrt(g ** 2) + eps)
    if name == "adadelta":                  # lr 1, rho 0.95
        a = 0.05 * g ** 2
        return w - g * np.sqrt(0. + eps) / np.sqrt(a + eps)
    if name == "adam":                      # lr 0.01, t = 1
        lr_t = 0.01 * np.sqrt(1 - 0.999) / (1 - 0.9)
        m, v = 0.1 * g, 0.001 * g ** 2
        return w - lr_t * m / (np.sqrt(v) + eps)
    if name == "adamax":                    # lr 0.002
        lr_t = 0.002 / (1 - 0.9)
        m, u = 0.1 * g, np.abs(g)
        return w - lr_t * m / (u + eps)
    if name == "nadam":                     # lr 0.002, schedule_decay 0.004
        mu_1 = 0.9 * (1 - 0.5 * 0.96 ** (1 * 0.004))
        mu_2 = 0.9 * (1 - 0.5 * 0.96 ** (2 * 0.004))
        g_prime = g / (1 - mu_1)
        m_prime = 0.1 * g / (1 - mu_1 * mu_2)
        v_prime = 0.001 * g ** 2 / (1 - 0.999)
        m_bar = (1 - mu_1) * g_prime + mu_2 * m_prime
        return w - 0.002 * m_bar / (np.sqrt(v_prime) + eps)
    raise AssertionError(name)


OPTIMIZERS = {
    "rmsprop": lambda: optimizers.RMSprop(lr=0.01, decay=0.1),
    "adagrad": lambda: optimizers.Adagrad(lr=0.1),
    "adadelta": lambda: optimizers.Adadelta(),
    "adam": lambda: optimizers.Adam(lr=0.01),
    "adamax": lambda: optimizers.Adamax(),
    "nadam": lambda: optimizers.Nadam(),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_one_step_matches_formula(name):
    w_var, _ = train(OPTIMIZERS[name](), 1)
    np.testing.assert_allclose(w_var.get_value(), _one_step_reference(name), rtol=1e-5, atol=1e-6)


# Weights after three steps on the problem above, printed by real Keras 1.2.2 on Theano
# 1.0.5 (float32), with the same optimizer arguments.
KERAS_THREE_STEPS = {
    "sgd": (lambda: optimizers.SGD(lr=0.1, decay=0.05, momentum=0.9, nesterov=True),
            [[0.189267, -0.0978015], [0.423864, 0.1865074], [0.1295627, 0.5158974]]),
    "sgd_plain": (lambda: optimizers.SGD(lr=0.1, momentum=0.5),
                  [[0.1540598, -0.1374669], [0.3681565, 0.1270367], [0.017132, 0.4079053]]),
    "rmsprop": (OPTIMIZERS["rmsprop"],
                [[0.1575147, -0.1404482], [0.3614024, 0.1126114], [-0.0823919, 0.3175656]]),
    "adagrad": (OPTIMIZERS["adagrad"],
                [[0.1866834, -0.0997636], [0.4511778, 0.2068111], [0.0609756, 0.4614733]]),
    "adadelta": (OPTIMIZERS["adadelta"],
                 [[0.101353, -0.1986464], [0.301354, 0.0513544], [-0.1486435, 0.2513565]]),
    "adam": (OPTIMIZERS["adam"],
             [[0.1297984, -0.1701587], [0.3298718, 0.0798975], [-0.1200116, 0.2799876]]),
    "adamax": (OPTIMIZERS["adamax"],
               [[0.1059311, -0.1940578], [0.305951, 0.0559592], [-0.1440013, 0.2559982]]),
    "nadam": (OPTIMIZERS["nadam"],
              [[0.1051013, -0.1948921], [0.305113, 0.0551179], [-0.1448594, 0.2551403]]),
    "sgd_clipnorm": (lambda: optimizers.SGD(lr=0.1, clipnorm=0.5),
                     [[0.1307114, -0.1643761], [0.337859, 0.093084], [-0.0551892, 0.3394255]]),
    "sgd_clipvalue": (lambda: optimizers.SGD(lr=0.1, clipvalue=0.3),
                      [[0.137066, -0.1568424], [0.3452409, 0.1020159], [-0.06, 0.34]]),
}


@pytest.mark.parametrize("name", sorted(KERAS_THREE_STEPS))
def test_three_steps_match_keras_1_2_2(name):
    make, expected = KERAS_THREE_STEPS[name]
    w_var, _ = train(make(), 3)
    assert w_var.get_value().dtype == np.float32
    np.testing.assert_allclose(w_var.get_value(), expected, rtol=2e-5, atol=2e-6)


def test_clipnorm_scales_only_when_the_norm_exceeds_it():
    g = mse_grad(W0)
    norm = np.sqrt((g ** 2).sum())
    big, _ = train(optimizers.SGD(lr=0.1, clipnorm=norm / 2), 1)
    np.testing.assert_allclose(big.get_value(), W0 - 0.1 * g / 2, rtol=1e-5, atol=1e-6)
    small, _ = train(optimizers.SGD(lr=0.1, clipnorm=norm * 2), 1)
    np.testing.assert_allclose(small.get_value(), W0 - 0.1 * g, rtol=1e-5, atol=1e-6)


def test_clipvalue_clips_each_entry():
    w_var, _ = train(optimizers.SGD(lr=1.0, clipvalue=0.1), 1)
    np.testing.assert_allclose(w_var.get_value(), W0 - np.clip(mse_grad(W0), -0.1, 0.1),
                               rtol=1e-5, atol=1e-6)


def test_constraints_apply_to_the_new_weight():
    w = K.variable(W0)
    x, y = K.placeholder(ndim=2), K.placeholder(ndim=2)
    loss = K.mean(K.square(K.dot(x, w) - y))
    opt = optimizers.SGD(lr=0.1)
    step = K.function([x, y], [loss], updates=opt.get_updates([w], {w: lambda p: K.clip(p, 0., 0.2)},
                                                              loss))
    step([X, Y])
    np.testing.assert_allclose(w.get_value(), np.clip(W0 - 0.1 * mse_grad(W0), 0., 0.2),
                               rtol=1e-5, atol=1e-6)


def test_learning_rate_is_a_variable_a_callback_can_change():
    opt = optimizers.SGD(lr=0.1)
    w_var, step = train(opt, 0)
    K.set_value(opt.lr, 0.0)
    step([X, Y])
    np.testing.assert_array_equal(w_var.get_value(), W0)
    K.set_value(opt.lr, 0.5)
    step([X, Y])
    np.testing.assert_allclose(w_var.get_value(), W0 - 0.5 * mse_grad(W0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make, shapes", [
    (lambda: optimizers.SGD(), [(), (3, 2)]),
    (lambda: optimizers.RMSprop(), [(3, 2)]),
    (lambda: optimizers.Adagrad(), [(3, 2)]),
    (lambda: optimizers.Adadelta(), [(3, 2), (3, 2)]),
    (lambda: optimizers.Adam(), [(), (3, 2), (3, 2)]),
    (lambda: optimizers.Adamax(), [(), (3, 2), (3, 2)]),
    (lambda: optimizers.Nadam(), [(), (3, 2), (3, 2)]),
])
def test_state_is_listed_in_keras_order(make, shapes):
    opt = make()
    assert opt.get_weights() == []
    train(opt, 0)
    weights = opt.get_weights()
    assert [w.shape for w in weights] == shapes
    assert all(w.dtype == np.float32 for w in weights)


def test_set_weights_restores_state_and_training_continues_the_same():
    first = optimizers.Adam(lr=0.01)
    w1, step1 = train(first, 2)
    second = optimizers.Adam(lr=0.01)
    w2, step2 = train(second, 0)
    w2.set_value(w1.get_value())
    second.set_weights(first.get_weights())
    assert second.get_weights()[0] == 2.
    step1([X, Y])
    step2([X, Y])
    np.testing.assert_array_equal(w1.get_value(), w2.get_value())


def test_set_weights_with_wrong_count_or_shape_changes_nothing():
    opt = optimizers.Adam()
    train(opt, 1)
    before = opt.get_weights()
    with pytest.raises(ValueError, match="got 2 arrays.*3 state variables"):
        opt.set_weights(before[:2])
    bad = [np.array(7., dtype="float32"), np.zeros((3, 2)), np.zeros((2, 3))]
    with pytest.raises(ValueError, match=r"array 2 has shape \(2, 3\)"):
        opt.set_weights(bad)
    for old, new in zip(before, opt.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_get_config_and_from_config_round_trip():
    opt = optimizers.SGD(lr=0.1, decay=1e-6, momentum=0.9, nesterov=True, clipnorm=1.)
    config = opt.get_config()
    assert config["nesterov"] is True and config["clipnorm"] == 1.
    assert config["lr"] == pytest.approx(0.1) and config["decay"] == pytest.approx(1e-6)
    assert config["momentum"] == pytest.approx(0.9)
    again = optimizers.optimizer_from_config({"class_name": "SGD", "config": config})
    assert isinstance(again, optimizers.SGD) and again.get_config() == config
    assert optimizers.serialize(opt) == {"class_name": "SGD", "config": config}
    assert set(optimizers.Nadam().get_config()) == {"lr", "beta_1", "beta_2", "epsilon",
                                                     "schedule_decay"}


@pytest.mark.parametrize("name, cls, lr", [
    ("sgd", optimizers.SGD, 0.01), ("SGD", optimizers.SGD, 0.01),
    ("rmsprop", optimizers.RMSprop, 0.001), ("adagrad", optimizers.Adagrad, 0.01),
    ("adadelta", optimizers.Adadelta, 1.0), ("adam", optimizers.Adam, 0.001),
    ("Adam", optimizers.Adam, 0.001), ("adamax", optimizers.Adamax, 0.002),
    ("nadam", optimizers.Nadam, 0.002),
])
def test_get_by_name_makes_defaults(name, cls, lr):
    opt = optimizers.get(name)
    assert type(opt) is cls
    assert float(K.get_value(opt.lr)) == pytest.approx(lr)


def test_get_passes_objects_and_rejects_unknown():
    opt = optimizers.Adam()
    assert optimizers.get(opt) is opt
    assert float(K.get_value(optimizers.get("sgd", {"lr": 0.5}).lr)) == 0.5
    with pytest.raises(ValueError, match="Invalid optimizer: 'adamw'"):
        optimizers.get("adamw")
    with pytest.raises(TypeError, match="optimizer: expected"):
        optimizers.get(3)


def test_keras2_spelling_of_learning_rate():
    assert float(K.get_value(optimizers.SGD(learning_rate=0.25).lr)) == 0.25
    assert float(K.get_value(optimizers.Adam(learning_rate=0.125).lr)) == 0.125
    with pytest.raises(TypeError, match="both 'lr' and 'learning_rate'"):
        optimizers.SGD(lr=0.1, learning_rate=0.1)


def test_unknown_keyword_and_bad_values_are_named():
    with pytest.raises(TypeError, match="'weight_decay'"):
        optimizers.SGD(weight_decay=0.1)
    with pytest.raises(TypeError, match="'beta1'"):
        optimizers.Adam(beta1=0.9)
    with pytest.raises(ValueError, match="momentum must be >= 0"):
        optimizers.SGD(momentum=-1)


def test_state_and_weights_stay_float32_under_either_floatx(floatX32):
    opt = optimizers.Adam(lr=0.01)
    w_var, _ = train(opt, 3)
    np.testing.assert_allclose(w_var.get_value(), KERAS_THREE_STEPS["adam"][1], rtol=2e-5, atol=2e-6)
    assert all(w.dtype == np.float32 for w in opt.get_weights() + [w_var.get_value()])
