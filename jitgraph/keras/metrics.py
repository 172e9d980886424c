"""Metrics (Keras 1.2.2's ``keras.metrics``): functions of ``(y_true, y_pred)`` giving
one number per batch.

``'accuracy'``/``'acc'`` is not a function here: the training loop picks binary,
categorical or sparse categorical accuracy from the loss and the output's shape, as
Keras does; ``accuracy_for(loss, output_shape)`` makes that choice.
"""
from jitgraph.keras import backend as K
from jitgraph.keras import losses as _losses
from jitgraph.keras.utils.generic_utils import lookup


def binary_accuracy(y_true, y_pred):
    return K.mean(K.equal(y_true, K.round(y_pred)))


def categorical_accuracy(y_true, y_pred):
    return K.mean(K.equal(K.argmax(y_true, axis=-1), K.argmax(y_pred, axis=-1)))


def sparse_categorical_accuracy(y_true, y_pred):
    return K.mean(K.equal(K.max(y_true, axis=-1),
                          K.cast(K.argmax(y_pred, axis=-1), K.floatx())))


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    return K.mean(K.in_top_k(y_pred, K.argmax(y_true, axis=-1), k))


def mean_squared_error(y_true, y_pred):
    return K.mean(K.square(y_pred - y_true))


def mean_absolute_error(y_true, y_pred):
    return K.mean(K.abs(y_pred - y_true))


def mean_absolute_percentage_error(y_true, y_pred):
    return K.mean(_losses.mean_absolute_percentage_error(y_true, y_pred))


def mean_squared_logarithmic_error(y_true, y_pred):
    return K.mean(_losses.mean_squared_logarithmic_error(y_true, y_pred))


def hinge(y_true, y_pred):
    return K.mean(K.maximum(1. - y_true * y_pred, 0.))


def squared_hinge(y_true, y_pred):
    return K.mean(K.square(K.maximum(1. - y_true * y_pred, 0.)))


def categorical_crossentropy(y_true, y_pred):
    return K.mean(K.categorical_crossentropy(y_pred, y_true))


def sparse_categorical_crossentropy(y_true, y_pred):
    return K.mean(K.sparse_categorical_crossentropy(y_pred, y_true))


def binary_crossentropy(y_true, y_pred):
    return K.mean(K.binary_crossentropy(y_pred, y_true))


def kullback_leibler_divergence(y_true, y_pred):
    return K.mean(_losses.kullback_leibler_divergence(y_true, y_pred))


def poisson(y_true, y_pred):
    return K.mean(y_pred - y_true * K.log(y_pred + K.epsilon()))


def cosine_proximity(y_true, y_pred):
    y_true = K.l2_normalize(y_true, axis=-1)
    y_pred = K.l2_normalize(y_pred, axis=-1)
    return -K.mean(y_true * y_pred)


def precision(y_true, y_pred):
    """Batch-wise precision of rounded predictions."""
    true_positives = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
    predicted_positives = K.sum(K.round(K.clip(y_pred, 0, 1)))
    return true_positives / (predicted_positives + K.epsilon())


def recall(y_true, y_pred):
    """Batch-wise recall of rounded predictions."""
    true_positives = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
    possible_positives = K.sum(K.round(K.clip(y_true, 0, 1)))
    return true_positives / (possible_positives + K.epsilon())


def fbeta_score(y_true, y_pred, beta=1):
    """Batch-wise F-beta score; 0 when the batch has no positive labels (as sklearn).
    Keras 1.2.2 meant to do that test but compared a symbolic sum with 0 in Python,
    which never held; here it is part of the graph."""
    if beta < 0:
        raise ValueError(f"fbeta_score: beta must be >= 0, got {beta}")
    p = precision(y_true, y_pred)
    r = recall(y_true, y_pred)
    bb = beta ** 2
    score = (1 + bb) * (p * r) / (bb * p + r + K.epsilon())
    has_positives = K.greater(K.sum(K.round(K.clip(y_true, 0, 1))), 0)
    return K.switch(has_positives, score, K.zeros_like(score))


def fmeasure(y_true, y_pred):
    return fbeta_score(y_true, y_pred, beta=1)


def matthews_correlation(y_true, y_pred):
    """Batch-wise Matthews correlation of rounded predictions."""
    y_pred_pos = K.round(K.clip(y_pred, 0, 1))
    y_pred_neg = 1 - y_pred_pos
    y_pos = K.round(K.clip(y_true, 0, 1))
    y_neg = 1 - y_pos
    tp = K.sum(y_pos * y_pred_pos)
    tn = K.sum(y_neg * y_pred_neg)
    fp = K.sum(y_neg * y_pred_pos)
    fn = K.sum(y_pos * y_pred_neg)
    numerator = tp * tn - fp * fn
    denominator = K.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return numerator / (denominator + K.epsilon())


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
cosine = cosine_proximity
fscore = f1score = fmeasure

_FUNCTIONS = (binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
              top_k_categorical_accuracy, mean_squared_error, mean_absolute_error,
              mean_absolute_percentage_error, mean_squared_logarithmic_error, hinge,
              squared_hinge, categorical_crossentropy, sparse_categorical_crossentropy,
              binary_crossentropy, kullback_leibler_divergence, poisson, cosine_proximity,
              precision, recall, fbeta_score, fmeasure, matthews_correlation)
_BY_NAME = {f.__name__: f for f in _FUNCTIONS}
_BY_NAME.update(mse=mse, MSE=mse, mae=mae, MAE=mae, mape=mape, MAPE=mape, msle=msle, MSLE=msle,
                cosine=cosine, fscore=fmeasure, f1score=fmeasure)


def accuracy_for(loss, output_shape):
    """The accuracy function Keras 1.2.2 uses for ``metrics=['accuracy']``: binary for a
    single output column or binary cross entropy, sparse categorical for sparse
    categorical cross entropy, categorical otherwise."""
    loss_fn = _losses.get(loss) if isinstance(loss, str) else loss
    if output_shape[-1] == 1 or loss_fn is _losses.binary_crossentropy:
        return binary_accuracy
    if loss_fn is _losses.sparse_categorical_crossentropy:
        return sparse_categorical_accuracy
    return categorical_accuracy


def get(identifier):
    """A metric from its name or alias, or any callable ``f(y_true, y_pred)``.
    ``'accuracy'``/``'acc'`` depend on the loss: use ``accuracy_for``."""
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
            raise ValueError(f"metric {identifier!r} depends on the loss and the output shape; "
                             "use metrics.accuracy_for(loss, output_shape)")
        return lookup(identifier, _BY_NAME, "metric")
    if callable(identifier):
        return identifier
    raise TypeError(f"metric: expected a name or a callable f(y_true, y_pred), "
                    f"got {type(identifier).__name__} {identifier!r}")
