"""Saving and loading in Keras 1.2.2's HDF5 layout and JSON (jitgraph/keras/saving.py).

The reference files under data/ were written by real Keras 1.2.2 on Theano 1.0.5
(data/make_reference.py, run under the oracle); each .npz holds what Keras predicted and
the weights and optimizer state Keras had after one more train_on_batch.
"""
import json
import os
import shutil

import h5py
import numpy as np
import pytest

from jitgraph.keras import saving
from jitgraph.keras.layers import Dense, Dropout
from jitgraph.keras.models import Sequential, load_model, model_from_json
from jitgraph.keras.optimizers import SGD

DATA = os.path.join(os.path.dirname(__file__), "data")
KERAS_FILES = ["keras122_seed_mlp", "keras122_mlp_no_dropout", "keras122_functional_bn"]
# The seed MLP trains with Dropout, whose masks are random: its next step can't be compared.
DETERMINISTIC_STEP_FILES = ["keras122_mlp_no_dropout", "keras122_functional_bn"]


def data_path(name, suffix):
    return os.path.join(DATA, name + suffix)


def reference(name):
    with np.load(data_path(name, ".npz")) as npz:
        record = dict(npz)
    record["weights"] = [record[f"weight_after_step_{i}"]
                         for i in range(sum(k.startswith("weight_after") for k in record))]
    record["optimizer_weights"] = [record[f"optimizer_weight_after_step_{i}"]
                                   for i in range(sum(k.startswith("optimizer_weight") for k in record))]
    return record


def file_arrays(path, group):
    with h5py.File(path, "r") as f:
        g = f[group]
        return [np.asarray(g[n][()]) for n in g.attrs["weight_names"]]


def assert_weights_close(actual, expected, rtol=1e-5, atol=1e-6):
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a.shape == e.shape, f"weight {i}"
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"weight {i}")


def seed_mlp(dropout=True, outputs=2):
    """The seed program's model (issue 6), with large decay so the iteration counter matters."""
    model = Sequential()
    model.add(Dense(64, input_dim=20, init="uniform", activation="tanh"))
    if dropout:
        model.add(Dropout(0.5))
    model.add(Dense(64, init="uniform", activation="tanh"))
    if dropout:
        model.add(Dropout(0.5))
    model.add(Dense(outputs, init="uniform", activation="softmax"))
    model.compile(loss="mean_squared_error", metrics=["accuracy"],
                  optimizer=SGD(lr=0.1, decay=0.05, momentum=0.9, nesterov=True))
    return model


def trained_seed_mlp(dropout, steps=3):
    np.random.seed(7)
    model = seed_mlp(dropout)
    rng = np.random.RandomState(3)
    x = rng.uniform(-1, 1, size=(16 * steps, 20)).astype("float32")
    y = np.eye(2, dtype="float32")[(x[:, 0] > 0).astype(int)]
    for i in range(steps):
        model.train_on_batch(x[16 * i:16 * (i + 1)], y[16 * i:16 * (i + 1)])
    return model, x, y


# ---------------------------------------------------------------- Keras 1.2.2's own files

@pytest.mark.parametrize("name", KERAS_FILES)
def test_load_keras_file_predicts_what_keras_predicted(name):
    ref = reference(name)
    model = load_model(data_path(name, ".h5"))
    predicted = model.predict(ref["x_test"], batch_size=len(ref["x_test"]))
    np.testing.assert_allclose(predicted, ref["predicted"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", KERAS_FILES)
def test_load_keras_file_restores_compile_and_optimizer_state(name):
    path = data_path(name, ".h5")
    model = load_model(path)
    with h5py.File(path, "r") as f:
        training = json.loads(f.attrs["training_config"])
    assert type(model.optimizer).__name__ == training["optimizer_config"]["class_name"]
    assert model.loss == training["loss"]
    saved_state = file_arrays(path, "optimizer_weights")
    assert float(saved_state[0]) > 0  # the iteration counter, not a fresh optimizer's 0
    assert_weights_close(model.optimizer.get_weights(), saved_state, rtol=0, atol=0)


@pytest.mark.parametrize("name", DETERMINISTIC_STEP_FILES)
def test_one_more_train_step_gives_keras_weights(name):
    ref = reference(name)
    model = load_model(data_path(name, ".h5"))
    model.train_on_batch(ref["x_next"], ref["y_next"])
    assert_weights_close(model.get_weights(), ref["weights"])
    assert_weights_close(model.optimizer.get_weights(), ref["optimizer_weights"])


def test_keras_step_check_sees_lost_optimizer_state():
    # Control for the test above: the same weights with a fresh optimizer (no momentum,
    # iterations 0) must NOT give Keras' next weights, or that test proves nothing.
    name = "keras122_mlp_no_dropout"
    ref = reference(name)
    with open(data_path(name, ".json")) as f:
        model = model_from_json(f.read())
    model.load_weights(data_path(name, "_weights.h5"))
    model.compile(loss="mean_squared_error",
                  optimizer=SGD(lr=0.1, decay=0.05, momentum=0.9, nesterov=True))
    model.train_on_batch(ref["x_next"], ref["y_next"])
    differences = [np.abs(a - e).max() for a, e in zip(model.get_weights(), ref["weights"])]
    assert max(differences) > 1e-4


@pytest.mark.parametrize("name", KERAS_FILES)
def test_keras_json_plus_load_weights_predicts_the_same(name):
    ref = reference(name)
    with open(data_path(name, ".json")) as f:
        model = model_from_json(f.read())
    model.load_weights(data_path(name, "_weights.h5"))
    np.testing.assert_allclose(model.predict(ref["x_test"]), ref["predicted"], rtol=1e-5, atol=1e-6)
    # A whole-model file holds the same weights under its model_weights group.
    other = model_from_json(saving.model_to_json(model))
    other.load_weights(data_path(name, ".h5"))
    np.testing.assert_allclose(other.predict(ref["x_test"]), ref["predicted"], rtol=1e-5, atol=1e-6)


def test_load_weights_by_name_takes_only_matching_layers():
    name = "keras122_seed_mlp"
    keras_weights = file_arrays(data_path(name, "_weights.h5"), "dense_1")
    model = Sequential()
    model.add(Dense(64, input_dim=20, name="dense_1"))
    model.add(Dense(5, name="new_head"))  # not in the file: left alone
    head_before = model.layers[1].get_weights()
    model.load_weights(data_path(name, "_weights.h5"), by_name=True)
    assert_weights_close(model.layers[0].get_weights(), keras_weights, rtol=0, atol=0)
    assert_weights_close(model.layers[1].get_weights(), head_before, rtol=0, atol=0)


@pytest.mark.parametrize("name", ["keras122_seed_mlp", "keras122_functional_bn"])
def test_written_file_has_keras_122_schema(tmp_path, name):
    # Load Keras' file, save it again: the same objects, names, shapes and dtypes.
    keras_path = data_path(name, ".h5")
    ours = str(tmp_path / "again.h5")
    load_model(keras_path).save(ours)

    def describe(path):
        out = {}
        with h5py.File(path, "r") as f:
            out["root attrs"] = sorted(f.attrs)
            out["keras_version"] = f.attrs["keras_version"]
            model_config = json.loads(f.attrs["model_config"])
            out["model class"] = model_config["class_name"]
            config = model_config["config"]
            layers = config if model_config["class_name"] == "Sequential" else config["layers"]
            out["layers"] = [(c["class_name"], c["config"]["name"]) for c in layers]
            training = json.loads(f.attrs["training_config"])
            out["training keys"] = sorted(training)
            out["optimizer"] = training["optimizer_config"]["class_name"]
            out["loss"], out["metrics"] = training["loss"], training["metrics"]

            def visit(path, obj):
                attrs = {k: [str(n) for n in v] for k, v in obj.attrs.items()}
                shape = (obj.shape, str(obj.dtype)) if isinstance(obj, h5py.Dataset) else None
                out[path] = (attrs, shape)
            f.visititems(visit)
        return out

    assert describe(ours) == describe(keras_path)


# ---------------------------------------------------------------- our own round trips

def test_save_load_round_trip_continues_training(tmp_path):
    model, x, y = trained_seed_mlp(dropout=False)
    path = str(tmp_path / "model.h5")
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert_weights_close(loaded.optimizer.get_weights(), model.optimizer.get_weights(), rtol=0, atol=0)
    for m in (model, loaded):
        m.train_on_batch(x[:16], y[:16])
    assert_weights_close(loaded.get_weights(), model.get_weights(), rtol=1e-6, atol=1e-7)


def test_save_load_seed_model_with_dropout_predicts_the_same(tmp_path):
    model, x, _ = trained_seed_mlp(dropout=True)
    path = str(tmp_path / "seed.h5")
    saving.save_model(model, path)
    np.testing.assert_array_equal(saving.load_model(path).predict(x), model.predict(x))


def test_json_and_weights_round_trip(tmp_path):
    model, x, _ = trained_seed_mlp(dropout=True, steps=1)
    text = model.to_json()
    assert json.loads(text)["keras_version"] == "1.2.2"
    path = str(tmp_path / "weights.h5")
    model.save_weights(path)
    rebuilt = model_from_json(text)
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    rebuilt.load_weights(path)
    np.testing.assert_array_equal(rebuilt.predict(x), model.predict(x))


def halved_squared_error(y_true, y_pred):
    return 0.5 * ((y_pred - y_true) ** 2).mean(axis=-1)


def test_custom_loss_is_saved_by_name_and_restored_from_custom_objects(tmp_path):
    model = Sequential()
    model.add(Dense(2, input_dim=3, activation="softmax"))
    model.compile(loss=halved_squared_error, optimizer=SGD(lr=0.5, momentum=0.5))
    x = np.random.RandomState(0).uniform(size=(4, 3)).astype("float32")
    y = np.eye(2, dtype="float32")[[0, 1, 1, 0]]
    model.train_on_batch(x, y)
    path = str(tmp_path / "custom.h5")
    model.save(path)
    with h5py.File(path, "r") as f:
        assert json.loads(f.attrs["training_config"])["loss"] == "halved_squared_error"
    loaded = load_model(path, custom_objects={"halved_squared_error": halved_squared_error})
    assert loaded.loss is halved_squared_error
    for m in (model, loaded):
        m.train_on_batch(x, y)
    assert_weights_close(loaded.get_weights(), model.get_weights(), rtol=1e-6, atol=1e-7)


def test_uncompiled_model_saves_without_training_config(tmp_path):
    model = Sequential()
    model.add(Dense(3, input_dim=4))
    path = str(tmp_path / "plain.h5")
    saving.save_model(model, path)
    with h5py.File(path, "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    with pytest.warns(UserWarning, match="not compiled"):
        loaded = load_model(path)
    assert_weights_close(loaded.get_weights(), model.get_weights(), rtol=0, atol=0)


def test_refusing_to_overwrite_keeps_the_file(tmp_path, monkeypatch):
    path = tmp_path / "keep.h5"
    path.write_bytes(b"precious")
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    saving.save_weights(trained_seed_mlp(dropout=False, steps=1)[0], str(path), overwrite=False)
    assert path.read_bytes() == b"precious"


# ---------------------------------------------------------------- damaged and mismatched files

def fresh_keras_shaped_model():
    with open(data_path("keras122_seed_mlp", ".json")) as f:
        return model_from_json(f.read())


def test_not_an_hdf5_file_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.h5"
    path.write_text("not hdf5")
    with pytest.raises(OSError, match="not a readable HDF5 file"):
        load_model(str(path))
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_model(str(tmp_path / "missing.h5"))


def test_truncated_file_is_a_clear_error_and_changes_no_weights(tmp_path):
    path = tmp_path / "cut.h5"
    path.write_bytes(open(data_path("keras122_seed_mlp", ".h5"), "rb").read()[:5000])
    model = fresh_keras_shaped_model()
    before = model.get_weights()
    with pytest.raises((OSError, ValueError), match="cut.h5"):
        model.load_weights(str(path))
    assert_weights_close(model.get_weights(), before, rtol=0, atol=0)


def test_weights_only_file_is_not_a_model():
    with pytest.raises(ValueError, match="no model found"):
        load_model(data_path("keras122_seed_mlp", "_weights.h5"))


def test_missing_dataset_changes_no_weights(tmp_path):
    path = str(tmp_path / "damaged.h5")
    shutil.copy(data_path("keras122_seed_mlp", "_weights.h5"), path)
    with h5py.File(path, "a") as f:
        del f["dense_3/dense_3_b"]  # the last weight: every earlier layer would load first
    model = fresh_keras_shaped_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match="dense_3_b"):
        model.load_weights(path)
    assert_weights_close(model.get_weights(), before, rtol=0, atol=0)


def test_shape_mismatch_changes_no_weights():
    model = seed_mlp(dropout=True, outputs=3)  # only the last layer's shapes differ
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"dense_\d+.*shape \(64, 3\).*\(64, 2\)"):
        model.load_weights(data_path("keras122_seed_mlp", "_weights.h5"))
    assert_weights_close(model.get_weights(), before, rtol=0, atol=0)


def test_layer_count_mismatch_changes_no_weights():
    model = Sequential()
    model.add(Dense(64, input_dim=20))
    model.add(Dense(64))
    before = model.get_weights()
    with pytest.raises(ValueError, match="3 layer.*2 layer"):
        model.load_weights(data_path("keras122_seed_mlp", "_weights.h5"))
    assert_weights_close(model.get_weights(), before, rtol=0, atol=0)


def test_mismatched_optimizer_state_is_a_clear_error(tmp_path):
    path = str(tmp_path / "bad_optimizer.h5")
    shutil.copy(data_path("keras122_mlp_no_dropout", ".h5"), path)
    with h5py.File(path, "a") as f:
        del f["optimizer_weights/param_6"]
        f["optimizer_weights"].create_dataset("param_6", data=np.zeros(5, "float32"))
    with pytest.raises(ValueError, match="optimizer weight 'param_6'.*shape"):
        load_model(path)


def test_bad_json_and_unknown_classes_are_clear_errors():
    with pytest.raises(ValueError, match="not valid JSON"):
        model_from_json("{not json")
    with pytest.raises(ValueError, match="Convolution9D"):
        model_from_json(json.dumps({"class_name": "Sequential", "config": [
            {"class_name": "Convolution9D", "config": {"name": "c"}}]}))


def test_load_model_needs_no_other_import():
    # A fresh interpreter that imports only load_model: the layer classes must register
    # themselves without the caller importing jitgraph.keras.layers first.
    import subprocess
    import sys
    code = ("import numpy as np; from jitgraph.keras.models import load_model; "
            f"m = load_model({data_path('keras122_seed_mlp', '.h5')!r}); "
            "print([type(la).__name__ for la in m.layers])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['Dense', 'Dropout', 'Dense', 'Dropout', 'Dense']"
