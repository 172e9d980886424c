"""The classic Deep Learning Tutorial programs, written the way the tutorials write them
(data in shared variables, minibatches by givens slices on a symbolic index, T.cast
labels, -T.mean(T.log(p)[T.arange(n), y]), L1/L2 penalties, errors by T.neq/argmax),
trained on scikit-learn's bundled digits."""
import numpy as np
import pytest

import jitgraph as theano
import jitgraph.tensor as T
from jitgraph.sandbox.rng_mrg import MRG_RandomStreams

sklearn = pytest.importorskip("sklearn.datasets")


def load_data():
    digits = sklearn.load_digits()
    x = (digits.data / 16.0).astype(theano.config.floatX)
    y = digits.target
    order = np.random.RandomState(1234).permutation(len(y))
    x, y = x[order], y[order]
    splits = [(0, 1200), (1200, 1500), (1500, len(y))]

    def shared_dataset(lo, hi):
        shared_x = theano.shared(np.asarray(x[lo:hi], dtype=theano.config.floatX), borrow=True)
        shared_y = theano.shared(np.asarray(y[lo:hi], dtype=theano.config.floatX), borrow=True)
        return shared_x, T.cast(shared_y, "int32")
    return [shared_dataset(lo, hi) for lo, hi in splits]


class LogisticRegression:
    def __init__(self, input, n_in, n_out):
        self.W = theano.shared(np.zeros((n_in, n_out), dtype=theano.config.floatX), name="W", borrow=True)
        self.b = theano.shared(np.zeros((n_out,), dtype=theano.config.floatX), name="b", borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]
        self.input = input

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        if y.ndim != self.y_pred.ndim:
            raise TypeError("y should have the same shape as self.y_pred")
        return T.mean(T.neq(self.y_pred, y))


class HiddenLayer:
    def __init__(self, rng, input, n_in, n_out, activation=T.tanh):
        bound = np.sqrt(6.0 / (n_in + n_out))
        W_values = np.asarray(rng.uniform(low=-bound, high=bound, size=(n_in, n_out)), dtype=theano.config.floatX)
        self.W = theano.shared(value=W_values, name="W", borrow=True)
        self.b = theano.shared(value=np.zeros((n_out,), dtype=theano.config.floatX), name="b", borrow=True)
        lin_output = T.dot(input, self.W) + self.b
        self.output = lin_output if activation is None else activation(lin_output)
        self.params = [self.W, self.b]


class MLP:
    def __init__(self, rng, input, n_in, n_hidden, n_out):
        self.hiddenLayer = HiddenLayer(rng=rng, input=input, n_in=n_in, n_out=n_hidden, activation=T.tanh)
        self.logRegressionLayer = LogisticRegression(input=self.hiddenLayer.output, n_in=n_hidden, n_out=n_out)
        self.L1 = abs(self.hiddenLayer.W).sum() + abs(self.logRegressionLayer.W).sum()
        self.L2_sqr = (self.hiddenLayer.W ** 2).sum() + (self.logRegressionLayer.W ** 2).sum()
        self.negative_log_likelihood = self.logRegressionLayer.negative_log_likelihood
        self.errors = self.logRegressionLayer.errors
        self.params = self.hiddenLayer.params + self.logRegressionLayer.params


def sgd_train(classifier_cost, params, x, y, index, datasets, errors, learning_rate, n_epochs, batch_size,
              mode=None):
    (train_x, train_y), _, (test_x, test_y) = datasets
    gparams = [T.grad(classifier_cost, param) for param in params]
    updates = [(param, param - learning_rate * gparam) for param, gparam in zip(params, gparams)]
    train_model = theano.function(
        inputs=[index], outputs=classifier_cost, updates=updates, mode=mode,
        givens={x: train_x[index * batch_size:(index + 1) * batch_size],
                y: train_y[index * batch_size:(index + 1) * batch_size]})
    test_model = theano.function([], errors, givens={x: test_x, y: test_y}, mode=mode)
    n_batches = train_x.get_value(borrow=True).shape[0] // batch_size
    costs = []
    for _ in range(n_epochs):
        costs.append(np.mean([train_model(i) for i in range(n_batches)]))
    return costs, float(test_model())


def test_logistic_regression_on_digits(mode):
    datasets = load_data()
    index = T.lscalar()
    x = T.matrix("x")
    y = T.ivector("y")
    classifier = LogisticRegression(input=x, n_in=64, n_out=10)
    cost = classifier.negative_log_likelihood(y)
    costs, test_error = sgd_train(cost, classifier.params, x, y, index, datasets, classifier.errors(y),
                                  learning_rate=0.13 * 4, n_epochs=30, batch_size=20, mode=mode)
    assert costs[-1] < costs[0]
    assert test_error < 0.08


def test_mlp_on_digits(mode):
    datasets = load_data()
    index = T.lscalar()
    x = T.matrix("x")
    y = T.ivector("y")
    rng = np.random.RandomState(1234)
    classifier = MLP(rng=rng, input=x, n_in=64, n_hidden=100, n_out=10)
    cost = classifier.negative_log_likelihood(y) + 0.0 * classifier.L1 + 0.0001 * classifier.L2_sqr
    costs, test_error = sgd_train(cost, classifier.params, x, y, index, datasets, classifier.errors(y),
                                  learning_rate=0.1, n_epochs=40, batch_size=20, mode=mode)
    assert costs[-1] < costs[0]
    assert test_error < 0.06


class dA:
    """Denoising autoencoder with tied weights, as the tutorial writes it."""

    def __init__(self, numpy_rng, theano_rng, input, n_visible, n_hidden):
        bound = 4 * np.sqrt(6.0 / (n_hidden + n_visible))
        initial_W = np.asarray(numpy_rng.uniform(low=-bound, high=bound, size=(n_visible, n_hidden)),
                               dtype=theano.config.floatX)
        self.W = theano.shared(value=initial_W, name="W", borrow=True)
        self.b = theano.shared(np.zeros(n_hidden, dtype=theano.config.floatX), name="b", borrow=True)
        self.b_prime = theano.shared(np.zeros(n_visible, dtype=theano.config.floatX), name="b'", borrow=True)
        self.W_prime = self.W.T
        self.theano_rng = theano_rng
        self.x = input
        self.params = [self.W, self.b, self.b_prime]

    def get_corrupted_input(self, input, corruption_level):
        return self.theano_rng.binomial(size=input.shape, n=1, p=1 - corruption_level,
                                        dtype=theano.config.floatX) * input

    def get_hidden_values(self, input):
        return T.nnet.sigmoid(T.dot(input, self.W) + self.b)

    def get_reconstructed_input(self, hidden):
        return T.nnet.sigmoid(T.dot(hidden, self.W_prime) + self.b_prime)

    def get_cost_updates(self, corruption_level, learning_rate):
        tilde_x = self.get_corrupted_input(self.x, corruption_level)
        y = self.get_hidden_values(tilde_x)
        z = self.get_reconstructed_input(y)
        L = - T.sum(self.x * T.log(z) + (1 - self.x) * T.log(1 - z), axis=1)
        cost = T.mean(L)
        gparams = T.grad(cost, self.params)
        updates = [(param, param - learning_rate * gparam) for param, gparam in zip(self.params, gparams)]
        return cost, updates


def test_denoising_autoencoder_cost_falls(mode):
    (train_x, _), _, _ = load_data()
    index = T.lscalar()
    x = T.matrix("x")
    rng = np.random.RandomState(123)
    theano_rng = MRG_RandomStreams(rng.randint(2 ** 30))
    da = dA(numpy_rng=rng, theano_rng=theano_rng, input=x, n_visible=64, n_hidden=32)
    cost, updates = da.get_cost_updates(corruption_level=0.3, learning_rate=0.1)
    batch_size = 20
    train_da = theano.function([index], cost, updates=updates, mode=mode,
                               givens={x: train_x[index * batch_size:(index + 1) * batch_size]})
    n_batches = train_x.get_value(borrow=True).shape[0] // batch_size
    epoch_costs = [np.mean([train_da(i) for i in range(n_batches)]) for _ in range(8)]
    assert np.all(np.isfinite(epoch_costs))
    assert epoch_costs[-1] < 0.8 * epoch_costs[0]


def test_tutorial_logistic_regression_learns_its_data(mode):
    """Theano tutorial 'A Real Example: Logistic Regression' (random data, 400 x 784)."""
    rng = np.random
    rng.seed(0)
    N, feats = 400, 784
    D = (rng.randn(N, feats), rng.randint(size=N, low=0, high=2))
    training_steps = 200
    x = T.dmatrix("x")
    y = T.dvector("y")
    # The tutorial starts from rng.randn(feats): with 784 features p_1 saturates to exactly
    # 0 or 1, and only FAST_RUN's stabilize pass turns log(p_1), log(1 - p_1) and their
    # gradients into finite softplus/sigmoid forms. FAST_COMPILE does not run that pass
    # (its xent is inf and its gradient NaN there), so it starts small instead.
    w0 = rng.randn(feats)
    w = theano.shared(w0 if mode == "FAST_RUN" else w0 * 0.01, name="w")
    b = theano.shared(0., name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = theano.function(inputs=[x, y], outputs=[prediction, xent],
                            updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)), mode=mode)
    predict = theano.function(inputs=[x], outputs=prediction, mode=mode)
    xents = [train(D[0], D[1])[1] for _ in range(training_steps)]
    accuracy = np.mean(predict(D[0]) == D[1])
    if mode == "FAST_RUN":
        # the first step's xent, from the initial weights, computed stably in numpy
        z = D[0] @ w0
        np.testing.assert_allclose(xents[0], np.where(D[1] == 1, np.logaddexp(0, -z), np.logaddexp(0, z)),
                                   rtol=1e-10)
        assert np.isfinite(xents).all()          # Theano 1.0.5's xent is NaN here
        assert np.sum(xents[-1]) < 0.1 * np.sum(xents[0])
        assert accuracy >= 0.94                  # Theano 1.0.5 on this program: 0.945
    else:
        assert accuracy > 0.99
