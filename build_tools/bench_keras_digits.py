"""Time one epoch of the digits MLP (Dense(512, relu) -> Dropout -> Dense(10, softmax),
categorical crossentropy, RMSprop, batch 32) in jitgraph.keras and, when installed,
Keras 3 on the JAX backend, in the same run. Median of 5 epochs after a warm-up epoch."""
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402


def data():
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = np.eye(10, dtype="float32")[digits.target]
    return x[:1500], y[:1500]


def epoch_times(make_model, fit_epoch):
    model = make_model()
    fit_epoch(model)                       # warm-up: builds/compiles
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        fit_epoch(model)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def jitgraph_model():
    from jitgraph.keras.layers import Dense, Dropout
    from jitgraph.keras.models import Sequential
    from jitgraph.keras.optimizers import RMSprop
    model = Sequential()
    model.add(Dense(512, input_dim=64, activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(10, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer=RMSprop(), metrics=["accuracy"])
    return model


def keras3_model():
    import keras
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(512, activation="relu"),
                              keras.layers.Dropout(0.2), keras.layers.Dense(10, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.RMSprop(), metrics=["accuracy"])
    return model


def main():
    x, y = data()
    rows = [("jitgraph.keras", epoch_times(jitgraph_model,
                                           lambda m: m.fit(x, y, batch_size=32, nb_epoch=1, verbose=0)))]
    try:
        import keras  # noqa: F401
        rows.append((f"Keras {keras.__version__} (JAX)",
                     epoch_times(keras3_model, lambda m: m.fit(x, y, batch_size=32, epochs=1, verbose=0))))
    except Exception as exc:      # not installed, or no working backend
        rows.append(("Keras 3 (JAX)", f"n/a ({type(exc).__name__})"))
    for name, t in rows:
        print(f"{name:28s} {t * 1e3:8.1f} ms per epoch" if isinstance(t, float) else f"{name:28s} {t}")


if __name__ == "__main__":
    main()
