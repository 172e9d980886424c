"""Sequential and functional models: graph building, summary, weights, trainable,
configs (Keras 1.2.2's JSON layout), nesting."""
import json

import numpy as np
import pytest

from jitgraph.keras.engine.topology import reset_uids
from jitgraph.keras.layers import Dense, Dropout, Input
from jitgraph.keras.models import Model, Sequential, model_from_config


@pytest.fixture(autouse=True)
def fresh_names():
    reset_uids()


def seed_model():
    model = Sequential()
    model.add(Dense(64, input_dim=20, init="uniform", activation="tanh"))
    model.add(Dropout(0.5))
    model.add(Dense(64, init="uniform", activation="tanh"))
    model.add(Dropout(0.5))
    model.add(Dense(2, init="uniform", activation="softmax"))
    return model


# Printed by Keras 1.2.2's model.summary() for the seed's model (oracle run), except the
# input layer's name in "Connected to".
KERAS_SUMMARY_ROWS = [
    "dense_1 (Dense)                  (None, 64)            1344        dense_1_input[0][0]",
    "dropout_1 (Dropout)              (None, 64)            0           dense_1[0][0]",
    "dense_3 (Dense)                  (None, 2)             130         dropout_2[0][0]",
    "Total params: 5,634",
    "Trainable params: 5,634",
    "Non-trainable params: 0",
]


def test_sequential_summary_and_names(capsys):
    model = seed_model()
    assert [la.name for la in model.layers] == ["dense_1", "dropout_1", "dense_2", "dropout_2",
                                                "dense_3"]
    model.summary()
    out = capsys.readouterr().out
    lines = [line.rstrip() for line in out.splitlines()]
    for row in KERAS_SUMMARY_ROWS[1:]:
        assert row in lines
    assert "dense_1 (Dense)                  (None, 64)            1344" in out
    assert lines[0] == "_" * 100 and lines[2] == "=" * 100
    assert model.output_shape == (None, 2) and model.input_shape == (None, 20)


def test_sequential_needs_input_shape_and_unique_names():
    model = Sequential()
    with pytest.raises(ValueError, match="input shape"):
        model.add(Dense(3))
    model.add(Dense(3, input_dim=2, name="a"))
    with pytest.raises(ValueError, match="already has a layer named 'a'"):
        model.add(Dense(3, name="a"))
    with pytest.raises(TypeError, match="takes a layer"):
        model.add("dense")


def test_get_set_weights_and_trainable():
    model = seed_model()
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(20, 64), (64,), (64, 64), (64,), (64, 2), (2,)]
    model.set_weights([np.full_like(w, 0.5) for w in weights])
    assert all(np.all(w == 0.5) for w in model.get_weights())
    with pytest.raises(ValueError, match="6 weight arrays, 1 given"):
        model.set_weights([weights[0]])
    with pytest.raises(ValueError, match=r"shape \(20, 64\)"):
        model.set_weights([np.zeros((3, 3))] + weights[1:])
    assert all(np.all(w == 0.5) for w in model.get_weights())
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 4 and len(model.non_trainable_weights) == 2


def test_functional_model_keras1_and_keras2_signatures():
    a = Input(shape=(5,))
    hidden = Dense(3, activation="relu")(a)
    out1 = Dense(2, name="out")(hidden)
    m1 = Model(input=a, output=[out1, hidden])
    m2 = Model(inputs=a, outputs=out1)
    assert [la.name for la in m1.layers] == ["input_1", "dense_1", "out"]
    x = np.random.RandomState(0).randn(4, 5).astype("float32")
    p_out, p_hidden = m1.predict(x)
    W1, b1, W2, b2 = m1.get_weights()
    h = np.maximum(x @ W1 + b1, 0)
    np.testing.assert_allclose(p_hidden, h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(p_out, h @ W2 + b2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m2.predict(x), p_out, rtol=1e-6)
    with pytest.raises(TypeError, match="'input' and 'inputs'"):
        Model(input=a, inputs=a, outputs=out1)
    with pytest.raises(ValueError, match="from Input"):
        Model(hidden, out1)


def test_functional_config_matches_keras_layout():
    a = Input(shape=(5,))
    b = Dense(3)(a)
    c = Dense(2, name="out")(b)
    model = Model(input=a, output=[c, b])
    config = json.loads(model.to_json())
    # Keras 1.2.2's to_json() of the same model (oracle run), minus the Dense configs.
    assert config["class_name"] == "Model" and config["keras_version"] == "1.2.2"
    inner = config["config"]
    assert inner["name"] == "model_1"
    assert inner["input_layers"] == [["input_1", 0, 0]]
    assert inner["output_layers"] == [["out", 0, 0], ["dense_1", 0, 0]]
    assert inner["layers"][0] == {"name": "input_1", "class_name": "InputLayer",
                                  "config": {"batch_input_shape": [None, 5],
                                             "input_dtype": "float32", "sparse": False,
                                             "name": "input_1"},
                                  "inbound_nodes": []}
    assert inner["layers"][2]["inbound_nodes"] == [[["dense_1", 0, 0]]]
    clone = model_from_config(config)
    clone.set_weights(model.get_weights())
    x = np.ones((2, 5), "float32")
    for p, q in zip(clone.predict(x), model.predict(x)):
        np.testing.assert_allclose(p, q, rtol=1e-6)


def test_sequential_config_round_trip_predicts_the_same():
    model = seed_model()
    config = model.get_config()
    assert [c["class_name"] for c in config] == ["Dense", "Dropout", "Dense", "Dropout", "Dense"]
    assert config[0]["config"]["batch_input_shape"] == (None, 20)
    reset_uids()
    clone = Sequential.from_config(config)
    assert [la.name for la in clone.layers] == [la.name for la in model.layers]
    clone.set_weights(model.get_weights())
    x = np.random.RandomState(3).randn(7, 20).astype("float32")
    np.testing.assert_allclose(clone.predict(x), model.predict(x), rtol=1e-6)


def test_model_as_a_layer_and_shared_layers():
    inner_in = Input(shape=(4,))
    inner = Model(inner_in, Dense(3, name="inner_dense")(inner_in), name="inner")
    x = Input(shape=(4,))
    shared = Dense(4, name="shared")
    y = inner(shared(shared(x)))
    outer = Model(x, y)
    assert len(shared.inbound_nodes) == 2
    data = np.random.RandomState(4).randn(3, 4).astype("float32")
    Ws, bs = shared.get_weights()
    Wi, bi = inner.get_weights()
    expected = ((data @ Ws + bs) @ Ws + bs) @ Wi + bi
    np.testing.assert_allclose(outer.predict(data), expected, rtol=1e-4, atol=1e-5)
    assert len(outer.get_weights()) == 4  # the shared layer's weights counted once
    seq = Sequential([inner])
    np.testing.assert_allclose(seq.predict(data), data @ Wi + bi, rtol=1e-5, atol=1e-6)


def test_pop_and_get_layer():
    model = seed_model()
    model.pop()
    assert model.output_shape == (None, 64) and len(model.layers) == 4
    assert model.get_layer("dense_2") is model.layers[2]
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        model.get_layer("nope")
