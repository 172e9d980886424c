"""Keras layers: values against numpy, shapes, default names, both keyword spellings,
configs, training vs inference behaviour (Dropout, BatchNormalization)."""
import numpy as np
import pytest

import jitgraph
from jitgraph.keras.engine.topology import reset_uids
from jitgraph.keras.layers import (Activation, BatchNormalization, Dense, Dropout, Embedding,
                                   Flatten, Input, Lambda, Reshape, layer_from_config)
from jitgraph.keras.layers import core as core_module
from jitgraph.keras.models import Model


@pytest.fixture(autouse=True)
def fresh_names():
    reset_uids()


def infer(layer, x, training=False):
    """The layer's output on numpy ``x`` (built through a functional model)."""
    inp = Input(batch_shape=(None,) + x.shape[1:], dtype=str(x.dtype))
    out = layer(inp)
    model = Model(inp, out)
    outs, _ = model.run_graph(model.inputs, training=training)
    return jitgraph.function(model.inputs, outs[0])(x)


def test_dense_matches_numpy_and_names_weights():
    x = np.random.RandomState(0).randn(4, 3).astype("float32")
    layer = Dense(5, activation="tanh")
    out = infer(layer, x)
    W, b = layer.get_weights()
    assert layer.name == "dense_1"
    assert [w.name for w in layer.weights] == ["dense_1_W", "dense_1_b"]
    assert W.dtype == np.float32 and W.shape == (3, 5) and np.all(b == 0)
    np.testing.assert_allclose(out, np.tanh(x @ W + b), rtol=1e-5)
    assert layer.output_shape == (None, 5) and layer.count_params() == 20


def test_dense_keras2_spellings_and_errors():
    layer = Dense(units=4, kernel_initializer="zero", use_bias=False, input_shape=(3,))
    assert layer.output_dim == 4 and layer.bias is False and layer.batch_input_shape == (None, 3)
    out = infer(layer, np.ones((2, 3), "float32"))
    np.testing.assert_array_equal(out, np.zeros((2, 4)))
    assert len(layer.weights) == 1
    with pytest.raises(TypeError, match="output_dim.*units"):
        Dense(3, units=3)
    with pytest.raises(TypeError, match="init.*kernel_initializer"):
        Dense(3, init="uniform", kernel_initializer="uniform")
    with pytest.raises(TypeError, match="'foo'"):
        Dense(3, foo=1)
    with pytest.raises(TypeError, match="required"):
        Dense()
    with pytest.raises(ValueError, match="2-d input"):
        Dense(3)(Input(shape=(2, 3)))


def test_uniform_init_range_and_weights_are_float32_under_float64():
    with jitgraph.config.change_flags(floatX="float64"):
        layer = Dense(200, input_dim=100, init="uniform")
        infer(layer, np.zeros((1, 100), "float32"))
    W = layer.get_weights()[0]
    assert W.dtype == np.float32
    assert -0.05 <= W.min() < -0.04 and 0.04 < W.max() <= 0.05


def test_set_weights_checks_shapes_and_changes_nothing_on_error():
    layer = Dense(2, input_dim=3)
    infer(layer, np.zeros((1, 3), "float32"))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"shape \(3, 2\)"):
        layer.set_weights([np.ones((3, 3)), np.ones(2)])
    with pytest.raises(ValueError, match="2 weight"):
        layer.set_weights([np.ones((3, 2))])
    np.testing.assert_array_equal(layer.get_weights()[0], before[0])
    layer.set_weights([np.ones((3, 2)), np.arange(2)])
    np.testing.assert_array_equal(layer.get_weights()[1], [0, 1])


def test_activation_flatten_reshape_lambda():
    x = np.random.RandomState(1).randn(2, 3, 4).astype("float32")
    np.testing.assert_allclose(infer(Activation("relu"), x), np.maximum(x, 0))
    np.testing.assert_array_equal(infer(Flatten(), x), x.reshape(2, 12))
    np.testing.assert_array_equal(infer(Reshape((4, -1)), x), x.reshape(2, 4, 3))
    np.testing.assert_allclose(infer(Lambda(lambda t: t * 2 + 1), x), x * 2 + 1)
    reshape = Reshape((6, 2))
    reshape(Input(shape=(3, 4)))
    assert reshape.output_shape == (None, 6, 2)
    with pytest.raises(ValueError, match="total size"):
        Reshape((5,))(Input(shape=(3, 4)))
    with pytest.raises(ValueError, match="at most one -1"):
        Reshape((-1, -1))


def test_dropout_identity_at_inference_inverted_in_training():
    x = np.ones((200, 50), "float32")
    layer = Dropout(0.25)
    np.testing.assert_array_equal(infer(layer, x), x)
    out = infer(layer, x, training=True)
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)
    assert 0.7 < kept.mean() < 0.8
    assert Dropout(rate=0.3).p == 0.3
    with pytest.raises(TypeError, match="'p' and 'rate'"):
        Dropout(0.3, rate=0.3)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        Dropout(1.5)


def test_dropout_mask_repeats_with_numpy_seed():
    x = np.ones((10, 10), "float32")
    np.random.seed(7)
    a = infer(Dropout(0.5), x, training=True)
    np.random.seed(7)
    b = infer(Dropout(0.5), x, training=True)
    np.testing.assert_array_equal(a, b)


def test_embedding():
    layer = Embedding(10, 3, input_length=4)
    idx = np.array([[1, 2, 3, 9], [0, 0, 5, 5]], dtype="int32")
    out = infer(layer, idx)
    W = layer.get_weights()[0]
    np.testing.assert_array_equal(out, W[idx])
    assert layer.output_shape == (None, 4, 3)
    assert layer.get_weights()[0].dtype == np.float32
    assert [w.name for w in layer.weights] == ["embedding_1_W"]
    with pytest.raises(TypeError, match="init.*embeddings_initializer"):
        Embedding(10, 3, init="uniform", embeddings_initializer="uniform")


def test_batch_normalization_training_and_inference():
    rng = np.random.RandomState(2)
    x = (rng.randn(8, 3) * 2 + 5).astype("float32")
    layer = BatchNormalization(momentum=0.9)
    inp = Input(shape=(3,))
    model = Model(inp, layer(inp))
    assert layer.name == "batchnormalization_1"
    assert [w.name for w in layer.weights] == ["batchnormalization_1_gamma",
                                               "batchnormalization_1_beta",
                                               "batchnormalization_1_running_mean",
                                               "batchnormalization_1_running_std"]
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 2
    layer.set_weights([np.full(3, 2.0), np.full(3, 0.5), np.zeros(3), np.ones(3)])
    outs, ctx = model.run_graph(model.inputs, training=True)
    train = jitgraph.function(model.inputs, outs[0], updates=ctx.updates)(x)
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(train, (x - mean) / np.sqrt(var + 1e-3) * 2 + 0.5, rtol=1e-4,
                               atol=1e-5)
    running_mean, running_std = layer.get_weights()[2:]
    np.testing.assert_allclose(running_mean, 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(running_std, 0.9 + 0.1 * (var + 1e-3), rtol=1e-5)
    test = model.predict(x)
    np.testing.assert_allclose(test, (x - running_mean) / np.sqrt(running_std + 1e-3) * 2 + 0.5,
                               rtol=1e-4)
    with pytest.raises(ValueError, match="mode 0"):
        BatchNormalization(mode=1)


def test_configs_round_trip_and_match_keras_keys():
    dense = Dense(4, input_dim=3, activation="relu", W_regularizer="l2")
    config = dense.get_config()
    # The keys Keras 1.2.2 writes (recorded from Keras 1.2.2's Dense.get_config()).
    assert set(config) == {"name", "trainable", "batch_input_shape", "input_dtype", "output_dim",
                           "init", "activation", "W_regularizer", "b_regularizer",
                           "activity_regularizer", "W_constraint", "b_constraint", "bias",
                           "input_dim"}
    assert config["init"] == "glorot_uniform" and config["activation"] == "relu"
    clone = layer_from_config({"class_name": "Dense", "config": config})
    assert clone.output_dim == 4 and clone.name == "dense_1"
    assert clone.batch_input_shape == (None, 3)
    assert Dropout(0.2).get_config() == {"name": "dropout_1", "trainable": True, "p": 0.2}
    with pytest.raises(ValueError, match="unknown layer class 'Conv9D'"):
        layer_from_config({"class_name": "Conv9D", "config": {}})


def test_lambda_config_round_trip():
    layer = Lambda(lambda t, k=3: t * k)
    config = layer.get_config()
    assert config["function_type"] == "lambda"
    clone = Lambda.from_config(config)
    x = np.arange(4, dtype="float32").reshape(2, 2)
    np.testing.assert_allclose(infer(clone, x), x * 3)


def test_layer_must_be_called_on_keras_tensors():
    import jitgraph.tensor as T
    with pytest.raises(TypeError, match="Keras tensors"):
        Dense(2)(T.matrix())


def test_default_names_count_per_class():
    assert [Dense(1).name, Dense(1).name, Dropout(0.1).name] == ["dense_1", "dense_2",
                                                                 "dropout_1"]
    assert core_module.Dense is Dense
