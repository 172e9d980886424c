"""Keras losses (``losses``/``objectives``) and metrics vs Keras 1.2.2's numbers."""
import numpy as np
import pytest

import jitgraph
from jitgraph.keras import backend as K
from jitgraph.keras import losses, metrics, objectives

YT = np.array([[0., 1., 0.], [1., 0., 0.], [0., 0., 1.], [0., 1., 0.]], dtype="float32")
YP = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.3, 0.3, 0.4], [0.6, 0.1, 0.3]],
              dtype="float32")
# Not probabilities: exercises the clipping and the renormalisation of the cross entropies.
R = np.array([[1.5, -0.5, 2.], [0.2, 0.1, -1.], [3., 1., 0.5], [-2., 0.3, 0.7]], dtype="float32")


def evaluate(fn, y_true, y_pred, true_ndim=2):
    yt, yp = K.placeholder(ndim=true_ndim), K.placeholder(ndim=2)
    return K.function([yt, yp], [fn(yt, yp)])([y_true, y_pred])[0]


# Per-sample losses printed by real Keras 1.2.2 (Theano 1.0.5, float32) for
# (YT, YP) and for (R, YP).
KERAS_LOSSES = {
    "mean_squared_error": ([0.0466667, 0.1266667, 0.18, 0.42], [2.2133334, 0.5233334, 2.5966668, 2.3199997]),
    "mean_absolute_error": ([0.2, 0.3333334, 0.4, 0.6], [1.4666667, 0.5666666, 1.1666666, 1.0666666]),
    "mean_absolute_percentage_error": ([100000008.0, 166666688.0, 200000016.0, 300000032.0],
                                       [141.11113, 156.66667, 59.999992, 84.60317]),
    "mean_squared_logarithmic_error": ([0.0229125, 0.0616124, 0.0882956, 0.2157158],
                                       [0.598388, 0.0369804, 0.4845176, 0.1069253]),
    "squared_hinge": ([0.6966666, 0.75, 0.7866667, 0.9366667], [0.9683334, 1.0636333, 0.38, 2.135]),
    "hinge": ([0.7666666, 0.8333333, 0.8666666, 0.9666667], [0.9333334, 1.0233333, 0.5333333, 1.32]),
    "categorical_crossentropy": ([0.356675, 0.6931472, 0.9162907, 2.3025851],
                                 [6.4944162, -1.3504112, 5.2740364, 0.5119054]),
    "binary_crossentropy": ([0.228393, 0.4243219, 0.5432136, 1.1918503],
                            [2.6748505, -0.0095329, 1.6053666, 1.1471776]),
    "kullback_leibler_divergence": ([0.3566722, 0.6931442, 0.9162878, 2.302582],
                                    [3.9120212, -0.2931208, 2.5195174, 0.9226906]),
    "poisson": ([0.4522249, 0.5643823, 0.6387635, 1.1008614], [2.4981377, -0.1168036, 2.091345, 0.5039684]),
    "cosine_proximity": ([-0.3175264, -0.270369, -0.2286648, -0.0491473],
                         [-0.035584, 0.0369394, -0.2499801, 0.2204643]),
}


@pytest.mark.parametrize("name", sorted(KERAS_LOSSES))
def test_loss_matches_keras_1_2_2(name):
    on_labels, on_reals = KERAS_LOSSES[name]
    fn = losses.get(name)
    assert fn is getattr(objectives, name)
    np.testing.assert_allclose(evaluate(fn, YT, YP), on_labels, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(evaluate(fn, R, YP), on_reals, rtol=1e-5, atol=1e-6)


def test_losses_by_formula_on_random_data():
    rng = np.random.RandomState(3)
    y_true = rng.rand(5, 4).astype("float32")
    y_pred = rng.rand(5, 4).astype("float32") * 0.9 + 0.05
    np.testing.assert_allclose(evaluate(losses.mse, y_true, y_pred),
                               ((y_pred - y_true) ** 2).mean(-1), rtol=1e-5)
    bce = -(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)).mean(-1)
    np.testing.assert_allclose(evaluate(losses.binary_crossentropy, y_true, y_pred), bce, rtol=1e-4)
    normed = y_pred / y_pred.sum(-1, keepdims=True)
    np.testing.assert_allclose(evaluate(losses.categorical_crossentropy, y_true, y_pred),
                               -(y_true * np.log(normed)).sum(-1), rtol=1e-4)


def test_sparse_categorical_crossentropy_takes_class_indices():
    expected = KERAS_LOSSES["categorical_crossentropy"][0]
    labels = np.array([1, 0, 2, 1], dtype="float32")
    np.testing.assert_allclose(evaluate(losses.sparse_categorical_crossentropy, labels, YP, 1),
                               expected, rtol=1e-5)
    # Keras 1.2.2's usual target shape is (samples, 1).
    np.testing.assert_allclose(
        evaluate(losses.sparse_categorical_crossentropy, labels[:, None], YP), expected, rtol=1e-5)


def test_empty_batch_gives_empty_losses():
    empty = np.zeros((0, 3), dtype="float32")
    assert evaluate(losses.mse, empty, empty).shape == (0,)
    assert evaluate(losses.categorical_crossentropy, empty, empty).shape == (0,)


@pytest.mark.parametrize("name", ["mean_squared_error", "categorical_crossentropy",
                                  "binary_crossentropy", "hinge", "cosine_proximity"])
def test_loss_gradients_match_finite_differences(name):
    fn = losses.get(name)
    rng = np.random.RandomState(0)
    y_true = rng.rand(3, 4)
    y_true /= y_true.sum(-1, keepdims=True)
    y_pred = rng.rand(3, 4) * 0.8 + 0.1
    jitgraph.verify_grad(lambda p: fn(jitgraph.tensor.constant(y_true), p).sum(), [y_pred],
                         rng=np.random.RandomState(1))


def test_loss_aliases_and_lookup():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("MAE") is losses.mean_absolute_error
    assert losses.get("kld") is losses.kullback_leibler_divergence
    assert objectives.get("cosine") is losses.cosine_proximity

    def custom(y_true, y_pred):
        return K.sum(y_pred - y_true, axis=-1)
    assert losses.get(custom) is custom
    np.testing.assert_allclose(evaluate(losses.get(custom), YT, YP), (YP - YT).sum(-1), atol=1e-6)
    with pytest.raises(ValueError, match="Invalid objective: 'mean_cubed_error'"):
        losses.get("mean_cubed_error")
    with pytest.raises(TypeError, match="loss: expected a name or a callable"):
        losses.get(7)


# Batch metrics printed by Keras 1.2.2 for (YT, YP) and (R, YP).
KERAS_METRICS = {
    "binary_accuracy": (0.6666667, 0.0), "categorical_accuracy": (0.75, 0.25),
    "precision": (0.5, 0.5), "recall": (0.25, 0.2), "fmeasure": (0.3333333, 0.2857142),
    "matthews_correlation": (0.1581139, -0.3779645), "mean_squared_error": (0.1933333, 1.9133333),
    "hinge": (0.8583333, 0.9525), "categorical_crossentropy": (1.0671744, 2.7324867),
    "cosine_proximity": (-0.2164269, -0.0070401),
}


@pytest.mark.parametrize("name", sorted(KERAS_METRICS))
def test_metric_matches_keras_1_2_2(name):
    on_labels, on_reals = KERAS_METRICS[name]
    fn = metrics.get(name)
    assert float(evaluate(fn, YT, YP)) == pytest.approx(on_labels, rel=1e-5, abs=1e-6)
    assert float(evaluate(fn, R, YP)) == pytest.approx(on_reals, rel=1e-5, abs=1e-6)


def test_sparse_categorical_accuracy_and_top_k():
    labels = np.array([[1], [0], [2], [2]], dtype="float32")
    assert float(evaluate(metrics.sparse_categorical_accuracy, labels, YP)) == 0.75
    # True classes 1, 0, 2, 1; the last has the smallest score of its row.
    for k, expected in ((1, 0.75), (2, 0.75), (3, 1.0), (5, 1.0)):
        top_k = evaluate(lambda t, p: metrics.top_k_categorical_accuracy(t, p, k=k), YT, YP)
        assert float(top_k) == expected


def test_fmeasure_is_zero_without_positive_labels():
    assert float(evaluate(metrics.fmeasure, np.zeros_like(YT), YP)) == 0.0


@pytest.mark.parametrize("loss, shape, expected", [
    ("binary_crossentropy", (None, 3), metrics.binary_accuracy),
    ("mse", (None, 1), metrics.binary_accuracy),
    ("categorical_crossentropy", (None, 3), metrics.categorical_accuracy),
    ("mean_squared_error", (None, 2), metrics.categorical_accuracy),
    ("sparse_categorical_crossentropy", (None, 10), metrics.sparse_categorical_accuracy),
    (losses.binary_crossentropy, (None, 4), metrics.binary_accuracy),
])
def test_accuracy_is_chosen_by_loss_and_output_shape(loss, shape, expected):
    assert metrics.accuracy_for(loss, shape) is expected


def test_metric_lookup():
    assert metrics.get("mae") is metrics.mean_absolute_error
    assert metrics.get("f1score") is metrics.fmeasure
    with pytest.raises(ValueError, match="depends on the loss"):
        metrics.get("acc")
    with pytest.raises(ValueError, match="Invalid metric: 'auc'"):
        metrics.get("auc")
    with pytest.raises(ValueError, match="beta must be >= 0"):
        metrics.fbeta_score(K.placeholder(ndim=2), K.placeholder(ndim=2), beta=-1)
