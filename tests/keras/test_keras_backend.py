"""``jitgraph.keras.backend``: the functions custom losses and Lambda layers use."""
import numpy as np
import pytest

import jitgraph
from jitgraph.keras import backend as K


def run(inputs, output, values):
    return K.function(inputs, [output])(values)[0]


def test_configuration_defaults_are_keras_1_2_2s():
    assert K.backend() == "theano"
    assert K.floatx() == "float32"
    assert K.epsilon() == pytest.approx(1e-7)
    assert K.image_dim_ordering() == "th" and K.image_data_format() == "channels_first"
    assert K.cast_to_floatx([1, 2]).dtype == np.float32
    with pytest.raises(ValueError, match="'th' or 'tf'"):
        K.set_image_dim_ordering("nchw")
    with pytest.raises(ValueError, match="float16"):
        K.set_floatx("int32")


def test_floatx_scope_keeps_python_constants_float32():
    x = K.placeholder(ndim=1)
    with K.floatx_scope():
        assert (x * 0.9).dtype == "float32"


def test_uids_count_per_prefix():
    K.reset_uids()
    assert [K.get_uid("dense"), K.get_uid("dense"), K.get_uid("dropout")] == [1, 2, 1]
    K.reset_uids()
    assert K.get_uid("dense") == 1


def test_variables_and_placeholders():
    v = K.variable([[1, 2], [3, 4]], name="v")
    assert v.dtype == "float32" and v.name == "v" and K.int_shape(v) == (2, 2)
    assert K.count_params(v) == 4
    assert K.variable([1, 2], dtype="int32").dtype == "int32"
    p = K.placeholder(shape=(None, 5))
    assert p.ndim == 2 and p.dtype == "float32" and K.int_shape(p) == (None, 5)
    assert K.is_keras_tensor(p) and K.int_shape(K.placeholder(ndim=3)) == (None, None, None)
    with pytest.raises(ValueError, match="shape or an ndim"):
        K.placeholder()
    with pytest.raises(TypeError, match="not a Keras tensor"):
        K.int_shape(p + 1)
    K.set_value(v, np.zeros((2, 2)))
    np.testing.assert_array_equal(K.get_value(v), np.zeros((2, 2)))
    K.batch_set_value([(v, np.ones((2, 2)))])
    assert K.batch_get_value([v])[0].dtype == np.float32
    with pytest.raises(TypeError, match="expected a shared variable"):
        K.get_value(p)
    np.testing.assert_array_equal(K.eval(K.eye(2)), np.eye(2))


def test_function_applies_first_update_of_each_variable_and_takes_a_list():
    v = K.variable(1.)
    x = K.placeholder(ndim=0)
    f = K.function([x], [x * v], updates=[K.update_add(v, x), K.update(v, 100.)])
    assert f([np.float64(2.)])[0] == 2.
    assert K.get_value(v) == 3.                          # allow_input_downcast: float64 in
    with pytest.raises(TypeError, match="list of input values"):
        f(2.)
    with pytest.raises(ValueError, match="invalid argument.*allow_gc"):
        K.function([x], [x], allow_gc=True)


def test_updates_keep_the_variable_dtype():
    v = K.variable([1., 2.])
    var, new = K.update_sub(v, jitgraph.tensor.constant(np.array([0.5, 0.5])))
    assert var is v and new.dtype == "float32"
    K.function([], [], updates=[K.moving_average_update(v, K.ones_like(v), 0.9)])([])
    np.testing.assert_allclose(K.get_value(v), [1., 1.9], rtol=1e-6)


def test_reductions_and_elementwise():
    x = K.placeholder(ndim=2)
    a = np.array([[1., -4., 2.5], [0.5, 9., -1.5]], dtype="float32")
    np.testing.assert_allclose(run([x], K.sum(x, axis=1, keepdims=True), [a]), a.sum(1, keepdims=True))
    np.testing.assert_allclose(run([x], K.std(x, axis=0), [a]), a.std(0), rtol=1e-6)
    np.testing.assert_array_equal(run([x], K.argmax(x), [a]), [2, 1])
    np.testing.assert_allclose(run([x], K.sqrt(x), [a]), np.sqrt(np.clip(a, 0, None)))
    np.testing.assert_array_equal(run([x], K.round(x), [a]), [[1., -4., 2.], [0., 9., -2.]])
    np.testing.assert_array_equal(run([x], K.clip(x, 0., None), [a]), np.clip(a, 0, None))
    # max below min: Keras clips to min.
    np.testing.assert_array_equal(run([x], K.clip(x, 1., 0.), [a]), np.ones_like(a))
    i = K.placeholder(ndim=1, dtype="int32")
    mean = K.mean(i)
    assert mean.dtype == "float32"
    assert run([i], mean, [np.array([1, 2], dtype="int32")]) == 1.5


def test_batch_dot_matches_einsum():
    rng = np.random.RandomState(0)
    a3, b3 = rng.randn(4, 2, 3).astype("float32"), rng.randn(4, 3, 5).astype("float32")
    x, y = K.placeholder(ndim=3), K.placeholder(ndim=3)
    np.testing.assert_allclose(run([x, y], K.batch_dot(x, y), [a3, b3]),
                               np.einsum("bij,bjk->bik", a3, b3), rtol=1e-5)
    a2, b2 = rng.randn(4, 3).astype("float32"), rng.randn(4, 3).astype("float32")
    u, w = K.placeholder(ndim=2), K.placeholder(ndim=2)
    np.testing.assert_allclose(run([u, w], K.batch_dot(u, w, axes=1), [a2, b2]),
                               (a2 * b2).sum(1, keepdims=True), rtol=1e-5)
    c3 = rng.randn(4, 5, 3).astype("float32")
    np.testing.assert_allclose(run([u, y], K.batch_dot(u, y, axes=(1, 2)), [a2, c3]),
                               np.einsum("bi,bki->bk", a2, c3), rtol=1e-5)
    with pytest.raises(ValueError, match="batch axis"):
        K.batch_dot(u, w, axes=0)


def test_shape_functions():
    x = K.placeholder(ndim=3)
    a = np.arange(24, dtype="float32").reshape(2, 3, 4)
    np.testing.assert_array_equal(run([x], K.batch_flatten(x), [a]), a.reshape(2, 12))
    np.testing.assert_array_equal(run([x], K.permute_dimensions(x, (2, 0, 1)), [a]),
                                  a.transpose(2, 0, 1))
    np.testing.assert_array_equal(run([x], K.reverse(x, 1), [a]), a[:, ::-1])
    np.testing.assert_array_equal(run([x], K.expand_dims(x), [a]), a[..., None])
    np.testing.assert_array_equal(run([x], K.squeeze(K.expand_dims(x, 1), 1), [a]), a)
    np.testing.assert_array_equal(run([x], K.concatenate([x, x], axis=-1), [a]),
                                  np.concatenate([a, a], -1))
    np.testing.assert_array_equal(run([x], K.repeat_elements(x, 2, axis=1), [a]),
                                  np.repeat(a, 2, axis=1))
    m = K.placeholder(ndim=2)
    np.testing.assert_array_equal(run([m], K.repeat(m, 3), [a[0]]), np.repeat(a[0][:, None], 3, 1))
    with pytest.raises(ValueError, match="2-d tensor"):
        K.repeat(x, 2)
    r = K.reshape(m, (-1, 2))
    assert K.int_shape(r) == (-1, 2)
    np.testing.assert_array_equal(run([m], r, [a[0]]), a[0].reshape(-1, 2))
    i = K.placeholder(ndim=1, dtype="int64")
    np.testing.assert_array_equal(run([i], K.one_hot(i, 4), [np.array([3, 0, 1])]), np.eye(4)[[3, 0, 1]])


def test_learning_phase_switches_branches():
    x = K.placeholder(ndim=1)
    out = K.in_train_phase(x * 2, lambda: x * 3)
    assert out._uses_learning_phase
    f = K.function([x, K.learning_phase()], [out])
    assert f([np.ones(2, "float32"), 1])[0].tolist() == [2., 2.]
    assert f([np.ones(2, "float32"), 0])[0].tolist() == [3., 3.]
    test_out = K.in_test_phase(x * 2, x * 3)
    assert K.function([x, K.learning_phase()], [test_out])([np.ones(1, "float32"), 0])[0] == 2.
    with pytest.raises(ValueError, match="expected 0 or 1"):
        K.set_learning_phase(2)


def test_dropout_is_inverted_and_repeatable_after_np_random_seed():
    x = K.placeholder(ndim=2)
    ones = np.ones((200, 50), dtype="float32")

    def draw():
        np.random.seed(7)
        return run([x], K.dropout(x, 0.25), [ones])
    out = draw()
    np.testing.assert_allclose(np.unique(out), [0., 1 / 0.75], rtol=1e-6)
    assert abs((out == 0).mean() - 0.25) < 0.02
    np.testing.assert_array_equal(out, draw())
    shared_mask = run([x], K.dropout(x, 0.5, noise_shape=(1, 50)), [ones])
    assert (shared_mask == shared_mask[0]).all()     # one mask row broadcast to every sample
    with pytest.raises(ValueError, match=r"level must be in \[0, 1\)"):
        K.dropout(x, 1.0)


def test_random_tensors():
    np.random.seed(3)
    u = K.eval(K.random_uniform((1000,), low=2., high=3.))
    assert u.dtype == np.float32 and u.min() >= 2. and u.max() <= 3.
    n = K.eval(K.random_normal((2000,), mean=1., std=2.))
    assert abs(n.mean() - 1.) < 0.2 and abs(n.std() - 2.) < 0.2
    b = K.eval(K.random_binomial((1000,), p=0.3, seed=5))
    assert set(np.unique(b).tolist()) <= {0., 1.} and abs(b.mean() - 0.3) < 0.05
    np.testing.assert_array_equal(b, K.eval(K.random_binomial((1000,), p=0.3, seed=5)))


def test_nn_functions():
    x, t = K.placeholder(ndim=2), K.placeholder(ndim=2)
    a = np.array([[1., 2., -1.], [0.5, 0., 3.]], dtype="float32")
    np.testing.assert_array_equal(run([x], K.relu(x, max_value=1.5), [a]), np.clip(a, 0, 1.5))
    np.testing.assert_allclose(run([x], K.relu(x, alpha=0.1), [a]), np.where(a > 0, a, 0.1 * a))
    np.testing.assert_allclose(run([x], K.l2_normalize(x, axis=1), [a]),
                               a / np.linalg.norm(a, axis=1, keepdims=True), rtol=1e-6)
    target = np.array([[0., 0., 1.], [1., 0., 0.]], dtype="float32")
    soft = np.exp(a) / np.exp(a).sum(1, keepdims=True)
    np.testing.assert_allclose(run([x, t], K.categorical_crossentropy(x, t, from_logits=True),
                                   [a, target]), -np.log((soft * target).sum(1)), rtol=1e-5)
    sig = 1 / (1 + np.exp(-a))
    bce = -(target * np.log(sig) + (1 - target) * np.log(1 - sig))
    np.testing.assert_allclose(run([x, t], K.binary_crossentropy(x, t, from_logits=True),
                                   [a, target]), bce, rtol=1e-5)
    labels = K.placeholder(ndim=1, dtype="int64")
    np.testing.assert_array_equal(run([x, labels], K.in_top_k(x, labels, 2), [a, np.array([0, 1])]),
                                  [True, False])
    np.testing.assert_array_equal(run([x], K.switch(K.greater(x, 0), x, K.zeros_like(x)), [a]),
                                  np.maximum(a, 0))


def test_batch_normalization_in_training():
    x = K.placeholder(ndim=2)
    gamma, beta = K.variable([1., 2., 3.]), K.variable([0., 1., -1.])
    a = np.random.RandomState(0).randn(5, 3).astype("float32")
    normed, mean, var = K.normalize_batch_in_training(x, gamma, beta, [0], epsilon=1e-3)
    got = K.function([x], [normed, mean, var])([a])
    expected = (a - a.mean(0)) / np.sqrt(a.var(0) + 1e-3) * [1., 2., 3.] + [0., 1., -1.]
    np.testing.assert_allclose(got[0], expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got[1], a.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[2], a.var(0), rtol=1e-5)


def test_gradients_and_stop_gradient():
    w = K.variable([1., 2.])
    x = K.placeholder(ndim=1)
    loss = K.sum(K.square(w * x)) + K.sum(K.stop_gradient(w) * x)
    grad, = K.gradients(loss, [w])
    np.testing.assert_allclose(run([x], grad, [np.array([3., 4.], "float32")]),
                               2 * np.array([1., 2.]) * np.array([9., 16.]))
