"""Keras 1.2.2's numpy helpers (``keras.utils.np_utils``)."""
import numpy as np


def to_categorical(y, nb_classes=None, num_classes=None):
    """Class indices -> one-hot float matrix of shape (len(y), nb_classes).

    ``num_classes`` is Keras 2's spelling of ``nb_classes``. Without either, the number
    of classes is max(y) + 1.
    """
    if nb_classes is not None and num_classes is not None:
        raise TypeError("to_categorical: give nb_classes or num_classes (the same argument "
                        "in Keras 1 and Keras 2 spelling), not both")
    n_classes = nb_classes if nb_classes is not None else num_classes
    y = np.asarray(y)
    if y.size and not np.all(np.equal(np.mod(y, 1), 0)):
        raise ValueError("to_categorical: class labels must be integers")
    y = y.astype("int64").ravel()
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical: class labels must be >= 0, got {y.min()}")
    if not n_classes:
        n_classes = int(y.max()) + 1 if y.size else 0
    if y.size and y.max() >= n_classes:
        raise ValueError(f"to_categorical: label {y.max()} does not fit in {n_classes} classes")
    categorical = np.zeros((y.shape[0], n_classes))
    categorical[np.arange(y.shape[0]), y] = 1
    return categorical


def normalize(a, axis=-1, order=2):
    """``a`` divided by its ``order``-norm along ``axis`` (zero norms left as they are)."""
    norms = np.atleast_1d(np.linalg.norm(a, order, axis))
    norms[norms == 0] = 1
    return a / np.expand_dims(norms, axis)


def probas_to_classes(y_pred):
    """Class predictions: argmax for several columns, threshold 0.5 for one."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim > 1 and y_pred.shape[1] > 1:
        return categorical_probas_to_classes(y_pred)
    return (y_pred.ravel() > 0.5).astype("int64")


def categorical_probas_to_classes(p):
    return np.argmax(p, axis=1)
