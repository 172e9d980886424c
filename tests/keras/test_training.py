"""Training: the seed's program (issue 6) and the digits MLP reach their accuracies;
one training step matches the formula; fit's options, callbacks, progress bar,
sample/class weights, generators, repeatability."""
import csv

import numpy as np
import pytest

import jitgraph
from jitgraph.keras.callbacks import (Callback, CSVLogger, EarlyStopping, LearningRateScheduler,
                                      ModelCheckpoint)
from jitgraph.keras.engine.topology import reset_uids
from jitgraph.keras.layers import Dense, Dropout, Input
from jitgraph.keras.models import Model, Sequential
from jitgraph.keras.optimizers import SGD, RMSprop


@pytest.fixture(autouse=True)
def fresh_names():
    reset_uids()


def two_class_problem(n=1000, seed=1234):
    """Learnable 20-feature 2-class data: the class is the side of a random hyperplane."""
    rng = np.random.RandomState(seed)
    w = rng.randn(20)
    x = rng.randn(n, 20).astype("float32")
    labels = (x @ w > 0).astype("int64")
    return x, np.eye(2, dtype="float32")[labels], labels


def seed_model():
    model = Sequential()
    model.add(Dense(64, input_dim=20, init="uniform", activation="tanh"))
    model.add(Dropout(0.5))
    model.add(Dense(64, init="uniform", activation="tanh"))
    model.add(Dropout(0.5))
    model.add(Dense(2, init="uniform", activation="softmax"))
    sgd = SGD(lr=0.1, decay=1e-6, momentum=0.9, nesterov=True)
    model.compile(loss="mean_squared_error", optimizer=sgd, metrics=["accuracy"])
    return model


def test_seed_program_trains_over_90_percent(capsys):
    np.random.seed(0)
    x, y, labels = two_class_problem()
    model = seed_model()
    history = model.fit(x[:800], y[:800], nb_epoch=5, batch_size=16, verbose=1)
    loss, acc = model.evaluate(x[800:], y[800:], batch_size=16, verbose=0)
    assert acc > 0.9
    assert (model.predict_classes(x[800:]) == labels[800:]).mean() == pytest.approx(acc)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"] is history.history["acc"]
    out = capsys.readouterr().out
    assert "Epoch 5/5" in out and "800/800 [==============================]" in out
    assert " - loss: " in out and " - acc: " in out


def test_repeatable_with_numpy_seed():
    x, y, _ = two_class_problem(200)
    runs = []
    for _ in range(2):
        reset_uids()
        np.random.seed(42)
        model = seed_model()
        model.fit(x, y, nb_epoch=1, batch_size=32, verbose=0)
        runs.append(model.get_weights())
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_one_step_is_one_function_and_matches_sgd_formula():
    x = np.random.RandomState(0).randn(6, 3).astype("float32")
    y = np.random.RandomState(1).randn(6, 2).astype("float32")
    model = Sequential([Dense(2, input_dim=3)])
    model.compile(SGD(lr=0.1), "mse")
    W, b = model.get_weights()
    loss = model.train_on_batch(x, y)
    err = x @ W + b - y
    np.testing.assert_allclose(loss, np.mean(err ** 2), rtol=1e-5)
    grad_w = x.T @ err * 2 / err.size
    grad_b = err.sum(0) * 2 / err.size
    W1, b1 = model.get_weights()
    np.testing.assert_allclose(W1, W - 0.1 * grad_w, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(b1, b - 0.1 * grad_b, rtol=1e-5, atol=1e-7)
    assert isinstance(model.train_function, jitgraph.Function)


def test_digits_mlp_reaches_95_percent():
    from sklearn.datasets import load_digits
    np.random.seed(1)
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = np.eye(10, dtype="float32")[digits.target]
    order = np.random.RandomState(0).permutation(len(x))
    x, y, target = x[order], y[order], digits.target[order]
    model = Sequential()
    model.add(Dense(512, input_shape=(64,), activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(10, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer=RMSprop(), metrics=["accuracy"])
    model.fit(x[:1400], y[:1400], batch_size=64, epochs=8, verbose=0)
    _, acc = model.evaluate(x[1400:], y[1400:], verbose=0)
    assert acc > 0.95
    assert (model.predict_classes(x[1400:]) == target[1400:]).mean() > 0.95


def small_model(loss="mse", metrics=None, lr=0.1):
    model = Sequential([Dense(1, input_dim=2, activation="sigmoid")])
    model.compile(SGD(lr=lr), loss, metrics=metrics or [])
    return model


def test_sample_weight_and_class_weight():
    model = small_model()
    x = np.array([[1, 2], [3, 4]], "float32")
    y = np.array([[1], [0]], "float32")
    full = model.test_on_batch(x, y)
    only_first = model.test_on_batch(x, y, sample_weight=np.array([1.0, 0.0]))
    first = model.test_on_batch(x[:1], y[:1])
    np.testing.assert_allclose(only_first, first, rtol=1e-5)
    assert only_first != pytest.approx(full)
    w_before = model.get_weights()
    model.train_on_batch(x, y, class_weight={0: 0.0, 1: 1.0})
    after_class = model.get_weights()
    model.set_weights(w_before)
    model.train_on_batch(x, y, sample_weight=np.array([1.0, 0.0]))
    for a, b in zip(after_class, model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    with pytest.raises(ValueError, match="sample_weight must have shape"):
        model.train_on_batch(x, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="no weight for class 1"):
        model.train_on_batch(x, y, class_weight={0: 1.0})


def test_validation_history_and_initial_epoch():
    x, y, _ = two_class_problem(200)
    model = Sequential([Dense(2, input_dim=20, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy", metrics=["acc"])
    history = model.fit(x, y, nb_epoch=3, batch_size=50, verbose=0, validation_split=0.25,
                        initial_epoch=1)
    assert history.epoch == [1, 2]
    assert set(history.history) == {"loss", "acc", "val_loss", "val_acc"}
    val_loss, val_acc = model.evaluate(x[150:], y[150:], verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(val_loss, rel=1e-5)
    history = model.fit(x[:100], y[:100], epochs=1, verbose=0, validation_data=(x[100:], y[100:]))
    assert history.history["val_acc"][0] == pytest.approx(
        model.evaluate(x[100:], y[100:], verbose=0)[1])
    with pytest.raises(TypeError, match="'nb_epoch' and 'epochs'"):
        model.fit(x, y, nb_epoch=1, epochs=1)
    with pytest.raises(TypeError, match="'bogus'"):
        model.fit(x, y, bogus=1)


def test_input_errors_name_the_shape():
    model = small_model()
    with pytest.raises(ValueError, match=r"expected dense_input_1 to have shape \(None, 2\)"):
        model.predict(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit(np.zeros((3, 2)), np.zeros((4, 1)), verbose=0)
    with pytest.raises(RuntimeError, match="compile"):
        Sequential([Dense(1, input_dim=2)]).fit(np.zeros((3, 2)), np.zeros((3, 1)))
    model = Sequential([Dense(2, input_dim=2, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    with pytest.raises(ValueError, match="to_categorical"):
        model.fit(np.zeros((3, 2)), np.zeros((3, 1)), verbose=0)


def test_callbacks(tmp_path):
    x, y, _ = two_class_problem(100)
    model = Sequential([Dense(2, input_dim=20, activation="softmax")])
    model.compile(SGD(lr=0.5), "categorical_crossentropy", metrics=["accuracy"])
    seen_lr = []

    class RecordLR(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen_lr.append(float(self.model.optimizer.lr.get_value()))

    log_path = tmp_path / "log.csv"
    stopper = EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    history = model.fit(x, y, nb_epoch=10, batch_size=20, verbose=0,
                        callbacks=[LearningRateScheduler(lambda e: 0.1 / (e + 1)), RecordLR(),
                                   CSVLogger(str(log_path)), stopper])
    # min_delta larger than any change: epoch 0 sets best, epoch 1 stops (patience 0).
    assert history.epoch == [0, 1] and stopper.stopped_epoch == 1
    assert seen_lr == pytest.approx([0.1, 0.05])
    rows = list(csv.DictReader(open(log_path)))
    assert [r["epoch"] for r in rows] == ["0", "1"]
    assert float(rows[1]["loss"]) == pytest.approx(history.history["loss"][1], rel=1e-6)
    assert set(rows[0]) == {"epoch", "acc", "loss"}


def test_model_checkpoint_writes_files(tmp_path):
    pytest.importorskip("h5py")
    x, y, _ = two_class_problem(60)
    model = Sequential([Dense(2, input_dim=20, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    path = str(tmp_path / "w.{epoch:02d}.h5")
    model.fit(x, y, nb_epoch=2, verbose=0, callbacks=[ModelCheckpoint(path, monitor="loss",
                                                                      save_weights_only=True)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.00.h5", "w.01.h5"]
    expected = model.get_weights()
    model.set_weights([np.zeros_like(w) for w in expected])
    model.load_weights(str(tmp_path / "w.01.h5"))
    for a, b in zip(model.get_weights(), expected):
        np.testing.assert_array_equal(a, b)


def test_verbose_2_prints_one_line_per_epoch(capsys):
    x, y, _ = two_class_problem(64)
    model = small_model(loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x[:, :2], y[:, :1], nb_epoch=2, batch_size=16, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2"
    assert lines[1].startswith("0s - loss: ") and " - acc: " in lines[1]
    assert lines[2] == "Epoch 2/2" and len(lines) == 4


def test_fit_generator_and_multi_output_functional():
    x, y, _ = two_class_problem(120)
    inp = Input(shape=(20,))
    hidden = Dense(8, activation="tanh", name="hidden")(inp)
    cls = Dense(2, activation="softmax", name="cls")(hidden)
    reg = Dense(1, name="reg")(hidden)
    model = Model(input=inp, output=[cls, reg])
    model.compile("adam", loss={"cls": "categorical_crossentropy", "reg": "mse"},
                  loss_weights=[1.0, 0.5], metrics={"cls": ["accuracy"]})
    assert model.metrics_names == ["loss", "cls_loss", "reg_loss", "cls_acc"]
    targets = [y, y[:, :1]]

    def batches():
        while True:
            for i in range(0, 120, 30):
                yield x[i:i + 30], [t[i:i + 30] for t in targets]

    history = model.fit_generator(batches(), samples_per_epoch=120, nb_epoch=2, verbose=0)
    assert len(history.history["loss"]) == 2
    history = model.fit_generator(batches(), steps_per_epoch=4, epochs=1, verbose=0)
    total, cls_loss, reg_loss, acc = model.evaluate(x, targets, verbose=0)
    assert total == pytest.approx(cls_loss + 0.5 * reg_loss, rel=1e-5)
    assert model.evaluate_generator(batches(), val_samples=120) == pytest.approx(
        [total, cls_loss, reg_loss, acc], rel=1e-5)
    predicted = model.predict_generator(batches(), steps=4)
    np.testing.assert_allclose(predicted[0], model.predict(x)[0], rtol=1e-6)
    with pytest.raises(TypeError, match="exactly one"):
        model.fit_generator(batches(), nb_epoch=1)
