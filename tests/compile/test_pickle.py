"""Pickling: model objects holding shared variables and symbolic expressions, and
compiled functions, within a process and across processes."""
import copy
import os
import pickle
import subprocess
import sys

import numpy as np

import jitgraph as theano
import jitgraph.tensor as T
from jitgraph import In, function


class LogisticRegression:
    """The Deep Learning Tutorials' classifier: shared parameters, symbolic outputs."""

    def __init__(self, input, n_in, n_out):
        self.W = theano.shared(np.zeros((n_in, n_out)), name="W")
        self.b = theano.shared(np.zeros(n_out), name="b")
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]
        self.input = input

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        return T.mean(T.neq(self.y_pred, y))


def _data():
    rng = np.random.RandomState(0)
    X = rng.randn(8, 3)
    Y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype("int64")
    return X, Y


def _trainer(model, x, y, lr=0.5):
    cost = model.negative_log_likelihood(y)
    grads = T.grad(cost, model.params)
    return function([x, y], cost, updates=[(p, p - lr * g) for p, g in zip(model.params, grads)])


def test_model_object_roundtrip_compiles_again_with_the_same_results():
    x, y = T.dmatrix("x"), T.lvector("y")
    model = LogisticRegression(x, 3, 2)
    X, Y = _data()
    train = _trainer(model, x, y)
    for _ in range(3):
        train(X, Y)
    model2 = pickle.loads(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    assert model2.W is not model.W
    np.testing.assert_array_equal(model2.W.get_value(), model.W.get_value())
    predict, predict2 = (function([m.input], m.y_pred) for m in (model, model2))
    np.testing.assert_array_equal(predict2(X), predict(X))
    # Training both from the same state follows the same path; each moves its own weights.
    train2 = _trainer(model2, model2.input, T.lvector("y"))
    for _ in range(3):
        assert train2(X, Y) == train(X, Y)
    np.testing.assert_array_equal(model2.W.get_value(), model.W.get_value())
    train2(X, Y)
    assert not np.array_equal(model2.W.get_value(), model.W.get_value())
    errors = function([model2.input, y], model2.errors(y), on_unused_input="ignore")
    assert 0.0 <= errors(X, Y) <= 0.5


def test_pickled_function_updates_its_own_shared_variables():
    x, y = T.dmatrix("x"), T.lvector("y")
    model = LogisticRegression(x, 3, 2)
    X, Y = _data()
    train = _trainer(model, x, y)
    train(X, Y)
    model2, train2 = pickle.loads(pickle.dumps((model, train)))
    assert set(train2.maker.shared_vars) == {model2.W, model2.b}
    before = model.W.get_value()
    c2 = train2(X, Y)
    np.testing.assert_array_equal(model.W.get_value(), before)        # the original is untouched
    assert not np.array_equal(model2.W.get_value(), before)
    assert c2 == train(X, Y)
    np.testing.assert_array_equal(model2.W.get_value(), model.W.get_value())


def test_pickled_function_alone_keeps_inputs_defaults_names_and_default_updates():
    counter = theano.shared(np.int64(0), name="counter")
    counter.default_update = counter + 1
    x = T.dvector("x")
    s = T.dscalar("s")
    f = function([x, In(s, value=2.0, name="scale")], [x * s, counter], name="scaled")
    f([1.0], scale=3.0)
    g = pickle.loads(pickle.dumps(f))
    assert g.name == "scaled"
    out, count = g([1.0, 2.0])
    np.testing.assert_array_equal(out, [2.0, 4.0])
    assert count == 1
    assert g([1.0], scale=5.0)[1] == 2
    assert counter.get_value() == 1


def test_pickled_function_with_givens_and_float32():
    data = theano.shared(np.arange(6, dtype="float32"), name="data")
    i = T.lscalar("i")
    x = T.fvector("x")
    f = function([i], (x * 2).sum(), givens={x: data[i * 2:(i + 1) * 2]})
    g = pickle.loads(pickle.dumps(f))
    assert g(1) == f(1) == 10.0
    assert g(1).dtype == np.float32


def test_deepcopy_of_a_function_copies_its_state():
    W = theano.shared(np.ones(2), name="W")
    f = function([], W.sum(), updates=[(W, W * 2)])
    g = copy.deepcopy(f)
    assert g() == 2.0 and g() == 4.0
    assert f() == 2.0
    np.testing.assert_array_equal(W.get_value(), [2.0, 2.0])


def test_expressions_with_many_op_kinds_survive_pickling():
    x = T.dmatrix("x")
    i = T.lscalar("i")
    exprs = [T.cast(x, "float32").sum(), x.max(axis=0), T.argmax(x, axis=1), x.T[1:, ::2], x[i],
             T.set_subtensor(x[0], 1.0), x.reshape((-1,)), T.zeros((i, 2)), T.nnet.sigmoid(x),
             T.clip(x, 0, 1), T.switch(x > 0, x, 0), T.grad((x ** 2).sum(), x),
             theano.ifelse.ifelse(i, x.sum(), x.mean())]
    f = function([x, i], exprs)
    g = pickle.loads(pickle.dumps(f))
    xv = np.random.RandomState(1).randn(3, 4)
    for a, b in zip(f(xv, 2), g(xv, 2)):
        np.testing.assert_array_equal(a, b)
        assert np.asarray(a).dtype == np.asarray(b).dtype


def test_evaluated_variable_still_pickles():
    x = T.dvector("x")
    e = (x * 2).sum()
    assert e.eval({x: np.ones(3)}) == 6.0          # memoises a compiled function on e
    e2 = pickle.loads(pickle.dumps(e))
    assert e2.eval({e2.owner.inputs[0].owner.inputs[0]: np.ones(2)}) == 4.0


_LOAD_IN_FRESH_PROCESS = """
import pickle, sys
import numpy as np
model, train, X, Y = pickle.load(open(sys.argv[1], "rb"))
import jitgraph
costs = [float(train(X, Y)) for _ in range(2)]
pred = jitgraph.function([model.input], model.y_pred)(X)
print(repr((costs, model.W.get_value().tolist(), pred.tolist())))
"""


def test_function_and_model_unpickle_in_a_fresh_process(tmp_path):
    x, y = T.dmatrix("x"), T.lvector("y")
    model = LogisticRegression(x, 3, 2)
    X, Y = _data()
    train = _trainer(model, x, y)
    path = tmp_path / "model.pkl"
    with open(path, "wb") as fh:
        pickle.dump((model, train, X, Y), fh)
    env = dict(os.environ)
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    env["PYTHONPATH"] = os.pathsep.join([here, root, env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-c", _LOAD_IN_FRESH_PROCESS, str(path)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    costs, W, pred = eval(out.stdout.strip().splitlines()[-1])
    expected = [float(train(X, Y)) for _ in range(2)]
    np.testing.assert_allclose(costs, expected, rtol=1e-12)
    np.testing.assert_allclose(W, model.W.get_value(), rtol=1e-12)
    np.testing.assert_array_equal(pred, function([x], model.y_pred)(X))
