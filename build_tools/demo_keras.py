"""`make demo`: the seed's Keras program on jitgraph.

Trains the 20-64-64-2 MLP (Dropout, SGD with decay, momentum and Nesterov, mean
squared error) on a learnable 20-feature 2-class problem generated with numpy from a
fixed seed, printing Keras' progress bar; then prints the test accuracy and saves the
model to HDF5 with ``model.save``.
"""
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from jitgraph.keras.layers import Dense, Dropout  # noqa: E402
from jitgraph.keras.models import Sequential  # noqa: E402
from jitgraph.keras.optimizers import SGD  # noqa: E402


def make_problem(n_train=1000, n_test=500, seed=1234):
    """The class of a sample is the side of a fixed random hyperplane it falls on."""
    rng = np.random.RandomState(seed)
    w = rng.randn(20)
    x = rng.randn(n_train + n_test, 20).astype("float32")
    labels = (x @ w > 0).astype("int64")
    y = np.eye(2, dtype="float32")[labels]
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:], labels[n_train:])


def main():
    np.random.seed(0)  # the weights' initial values and dropout masks
    (x_train, y_train), (x_test, y_test, labels_test) = make_problem()

    model = Sequential()
    model.add(Dense(64, input_dim=20, init='uniform', activation='tanh'))
    model.add(Dropout(0.5))
    model.add(Dense(64, init='uniform', activation='tanh'))
    model.add(Dropout(0.5))
    model.add(Dense(2, init='uniform', activation='softmax'))
    sgd = SGD(lr=0.1, decay=1e-6, momentum=0.9, nesterov=True)
    model.compile(loss='mean_squared_error', optimizer=sgd, metrics=['accuracy'])
    model.summary()

    model.fit(x_train, y_train, nb_epoch=20, batch_size=16, verbose=1)
    loss, acc = model.evaluate(x_test, y_test, batch_size=16, verbose=0)
    print(f"test loss: {loss:.4f}  test accuracy: {acc:.2%} "
          f"({int(round(acc * len(x_test)))}/{len(x_test)})")

    try:
        from jitgraph.keras import saving  # noqa: F401
    except ImportError:
        print("not saving: jitgraph.keras.saving (HDF5 model files) is not available yet")
        return
    path = os.path.join(tempfile.gettempdir(), "jitgraph_demo_keras_mlp.h5")
    model.save(path)
    print(f"saved the model (Keras 1.2.2 HDF5 layout) to {path}")


if __name__ == "__main__":
    main()
