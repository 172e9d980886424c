"""Stabilization: each rewrite's graph before and after, the crossentropies of saturated
sigmoids and softmaxes finite and correct (values and gradients) in FAST_RUN while
FAST_COMPILE, which does not run the pass, gives inf/NaN, and unchanged values on
ordinary inputs. Reference values are Theano 1.0.5's FAST_RUN results."""
import numpy as np
import pytest

import jitgraph.tensor as T
from jitgraph import config, function
from jitgraph.graph.fg import FunctionGraph
from jitgraph.rewrite.merge import merge
from jitgraph.rewrite.stabilize import stabilize

X_SAT = np.array([1000., -1000., 1000., -1000., 0.5])
T_SAT = np.array([1., 1., 0., 0., 0.3])
# Theano 1.0.5, FAST_RUN: the crossentropy of sigmoid(X_SAT) against T_SAT and its gradient
BCE_COST = 2000.82407698418
BCE_GRAD = [0., -1., 1., 0., 0.32245933120185455]

LOGITS = np.array([[1000., 0., -1000.], [0., 1000., 0.], [0.1, 0.2, 0.3]])
Y_IDX = np.array([1, 1, 2], dtype="int32")
# Theano 1.0.5: the 1-hot crossentropy of softmax(LOGITS) (summed) and its gradient
CCE_COST = 1001.0019428482292
CCE_GRAD = [[1., -1., 0.], [0., 0., 0.], [0.3006096053557273, 0.3322249935333473, -0.6328345988890745]]


def ops(fg):
    """The graph's op kinds, e.g. ['Elemwise{neg}', 'LogSoftmax']."""
    return sorted(str(n.op) for n in fg.apply_nodes)


def stabilized(inputs, outputs):
    """A FunctionGraph before and after merge + stabilize (as the pipeline runs them)."""
    fg = FunctionGraph(inputs, outputs)
    before = ops(fg)
    merge(fg)
    changed = stabilize(fg)
    return before, ops(fg), changed


def both_modes(inputs, outputs, *values):
    fast = function(inputs, outputs, mode="FAST_RUN", on_unused_input="ignore")
    slow = function(inputs, outputs, mode="FAST_COMPILE", on_unused_input="ignore")
    with np.errstate(all="ignore"):
        return fast(*values), slow(*values)


# ------------------------------------------------------------ saturated sigmoid crossentropy

def _sigmoid_crossentropies(x, t):
    s = T.nnet.sigmoid(x)
    p_1 = 1 / (1 + T.exp(-x))      # the Theano tutorial's logistic regression writes this
    return {
        "binary_crossentropy": T.nnet.binary_crossentropy(s, t),
        "by_hand": -t * T.log(s) - (1 - t) * T.log(1 - s),
        "tutorial_division_form": -t * T.log(p_1) - (1 - t) * T.log(1 - p_1),
    }


@pytest.mark.parametrize("form", ["binary_crossentropy", "by_hand", "tutorial_division_form"])
def test_sigmoid_crossentropy_at_1000_is_finite_and_correct_only_with_stabilize(form):
    x, t = T.dvectors("x", "t")
    cost = _sigmoid_crossentropies(x, t)[form].sum()
    (fast_cost, fast_grad), (slow_cost, slow_grad) = both_modes([x, t], [cost, T.grad(cost, x)], X_SAT, T_SAT)
    np.testing.assert_allclose(fast_cost, BCE_COST, rtol=1e-12)
    np.testing.assert_allclose(fast_grad, BCE_GRAD, rtol=1e-12, atol=0)
    # without the pass the saturated entries are NaN (inf * 0, inf - inf)
    assert np.isnan(slow_cost)
    assert np.isnan(slow_grad[:4]).all()
    np.testing.assert_allclose(slow_grad[4], BCE_GRAD[4], rtol=1e-12)


def test_excluding_stabilize_by_name_brings_the_nan_back():
    x, t = T.dvectors("x", "t")
    cost = _sigmoid_crossentropies(x, t)["by_hand"].sum()
    with config.change_flags(optimizer_excluding="stabilize"):
        f = function([x, t], [cost, T.grad(cost, x)])
    with np.errstate(all="ignore"):
        c, g = f(X_SAT, T_SAT)
    assert np.isnan(c) and np.isnan(g[:4]).all()
    assert "stabilize" not in [name for name, _, _ in f.maker.rewrite_report]


@pytest.mark.parametrize("expr,value,grad", [
    # Theano 1.0.5 FAST_RUN
    (lambda s: T.log(s), -2000.47407698418, [0., 1., 0., 1., 0.3775406687981454]),
    (lambda s: T.log(1 - s), -2000.97407698418, [-1., 0., -1., 0., -0.6224593312018546]),
])
def test_log_sigmoid_at_1000(expr, value, grad):
    x = T.dvector("x")
    cost = expr(T.nnet.sigmoid(x)).sum()
    (fast_cost, fast_grad), (slow_cost, slow_grad) = both_modes([x], [cost, T.grad(cost, x)], X_SAT)
    np.testing.assert_allclose(fast_cost, value, rtol=1e-12)
    np.testing.assert_allclose(fast_grad, grad, rtol=1e-12, atol=0)
    assert np.isinf(slow_cost) and np.isnan(slow_grad).sum() == 2


def test_float32_sigmoid_crossentropy_saturates_at_100():
    x, t = T.fvectors("x", "t")
    cost = _sigmoid_crossentropies(x, t)["tutorial_division_form"].sum()
    xs, ts = np.array([100, -100, 100, -100], "float32"), np.array([1, 1, 0, 0], "float32")
    (c, g), (slow_c, slow_g) = both_modes([x, t], [cost, T.grad(cost, x)], xs, ts)
    assert c.dtype == g.dtype == np.float32
    np.testing.assert_allclose(c, 200., rtol=1e-6)
    np.testing.assert_allclose(g, [0, -1, 1, 0], atol=1e-6)
    assert not np.isfinite(slow_c) and not np.isfinite(slow_g).all()


# ------------------------------------------------------------ softmax with logits of 1000

def _softmax_losses(m, y_idx, one_hot):
    sm = T.nnet.softmax(m)
    return {
        "categorical_crossentropy_indices": T.nnet.categorical_crossentropy(sm, y_idx),
        "categorical_crossentropy_one_hot": T.nnet.categorical_crossentropy(sm, one_hot),
        "indexed_log_softmax": -T.log(sm)[T.arange(y_idx.shape[0]), y_idx],
    }


@pytest.mark.parametrize("form", ["categorical_crossentropy_indices", "categorical_crossentropy_one_hot",
                                  "indexed_log_softmax"])
def test_softmax_crossentropy_with_logits_of_1000(form):
    m, one_hot = T.dmatrices("m", "one_hot")
    y_idx = T.ivector("y_idx")
    cost = _softmax_losses(m, y_idx, one_hot)[form].sum()
    args = (LOGITS, Y_IDX, np.eye(3)[Y_IDX])
    (fast_cost, fast_grad), (slow_cost, slow_grad) = both_modes([m, y_idx, one_hot], [cost, T.grad(cost, m)], *args)
    np.testing.assert_allclose(fast_cost, CCE_COST, rtol=1e-12)
    np.testing.assert_allclose(fast_grad, CCE_GRAD, rtol=1e-12, atol=1e-300)
    assert not np.isfinite(slow_cost)
    assert np.isnan(slow_grad[0]).all()


def test_log_softmax_with_logits_of_1000():
    m = T.dmatrix("m")
    cost = T.log(T.nnet.softmax(m)).sum()
    (c, g), (slow_c, slow_g) = both_modes([m], [cost, T.grad(cost, m)], LOGITS)
    np.testing.assert_allclose(c, -5003.305828544688, rtol=1e-12)      # Theano 1.0.5
    np.testing.assert_allclose(g, [[-2., 1., 1.], [1., -2., 1.], [0.0981711839328181, 0.00332501939995811,
                                                                 -0.10149620333277642]], rtol=1e-12)
    assert np.isinf(slow_c) and np.isnan(slow_g[:2]).all()


# ------------------------------------------------------------ each rewrite, graph before and after

def test_log_softmax_graph():
    m = T.dmatrix("m")
    before, after, changed = stabilized([m], [T.log(T.nnet.softmax(m))])
    assert before == ["Elemwise{log}", "Softmax"]
    assert after == ["LogSoftmax"] and changed == 1


@pytest.mark.parametrize("build", [lambda x: T.log(1 + x), lambda x: T.log(x + 1)])
def test_log1p_graph(build):
    x = T.dvector("x")
    before, after, changed = stabilized([x], [build(x)])
    assert before == ["DimShuffle{x}", "Elemwise{add}", "Elemwise{log}"]
    assert after == ["Elemwise{log1p}"] and changed == 1


@pytest.mark.parametrize("build", [lambda x: T.exp(x) - 1, lambda x: -1 + T.exp(x)])
def test_expm1_graph(build):
    x = T.dvector("x")
    before, after, changed = stabilized([x], [build(x)])
    assert len(before) == 3 and "Elemwise{exp}" in before
    assert after == ["Elemwise{expm1}"] and changed == 1


def test_log_sigmoid_graphs():
    x = T.dvector("x")
    _, after, _ = stabilized([x], [T.log(T.nnet.sigmoid(x))])
    assert after == ["Elemwise{neg}", "Elemwise{neg}", "Elemwise{softplus}"]     # -softplus(-x)
    before, after, _ = stabilized([x], [T.log(1 - T.nnet.sigmoid(x))])
    assert before == ["DimShuffle{x}", "Elemwise{log}", "Elemwise{sigmoid}", "Elemwise{sub}"]
    assert after == ["Elemwise{neg}", "Elemwise{softplus}"]                      # -softplus(x)
    _, after, _ = stabilized([x], [T.log(1 + T.exp(x))])
    assert after == ["Elemwise{softplus}"]


def test_division_form_of_sigmoid_becomes_sigmoid():
    x = T.dvector("x")
    before, after, changed = stabilized([x], [1 / (1 + T.exp(-x))])
    assert before == ["DimShuffle{x}", "DimShuffle{x}", "Elemwise{add}", "Elemwise{exp}", "Elemwise{neg}",
                      "Elemwise{true_div}"]
    assert after == ["Elemwise{sigmoid}"] and changed == 1


def test_gradient_of_log_sigmoid_loses_its_divisions():
    x = T.dvector("x")
    cost = T.log(T.nnet.sigmoid(x)).sum()
    before, after, _ = stabilized([x], [T.grad(cost, x)])
    assert "Elemwise{true_div}" in before
    # g / sigmoid(x) * sigmoid(x) * (1 - sigmoid(x)) -> g * sigmoid(-x)
    assert "Elemwise{true_div}" not in after and "Elemwise{sub}" not in after


def test_gradient_of_tutorial_crossentropy_loses_its_divisions():
    x, t = T.dvectors("x", "t")
    cost = _sigmoid_crossentropies(x, t)["tutorial_division_form"].mean()
    fg = FunctionGraph([x, t], [T.grad(cost, x)])
    before = ops(fg)
    merge(fg)
    stabilize(fg)
    after = ops(fg)
    assert before.count("Elemwise{exp}") == 2 and before.count("Elemwise{true_div}") == 6
    assert "Elemwise{exp}" not in after and after.count("Elemwise{sigmoid}") == 2
    # the divisions left are mean's, by the number of entries
    divisors = [str(n.inputs[1].owner.op) for n in fg.apply_nodes if str(n.op) == "Elemwise{true_div}"]
    assert divisors == ["Elemwise{cast_float64}"] * 2


def test_categorical_crossentropy_graphs():
    m = T.dmatrix("m")
    y_idx = T.ivector("y_idx")
    cost = T.nnet.categorical_crossentropy(T.nnet.softmax(m), y_idx)
    before, after, _ = stabilized([m, y_idx], [cost])
    assert "CrossentropyCategorical1Hot" in before
    assert "CrossentropySoftmaxArgmax1HotWithBias" in after
    assert "CrossentropyCategorical1Hot" not in after and "Softmax" not in after
    _, after, _ = stabilized([m, y_idx], [T.grad(cost.sum(), m)])
    assert "CrossentropySoftmax1HotWithBiasDx" in after
    assert "SoftmaxGrad" not in after and "CrossentropyCategorical1HotGrad" not in after


def test_loss_gradient_and_probabilities_share_one_softmax_with_its_bias():
    """The training-step shape: softmax(dot + b) read by the loss, its gradient and the
    caller. One fused node computes the softmax; the bias moves into it."""
    x, w, b = T.dmatrix("x"), T.dmatrix("w"), T.dvector("b")
    y_idx = T.ivector("y_idx")
    p = T.nnet.softmax(T.dot(x, w) + b)
    cost = T.nnet.categorical_crossentropy(p, y_idx).mean()
    before, after, _ = stabilized([x, w, b, y_idx], [cost, p, T.grad(cost, w)])
    assert "Softmax" in before and "Elemwise{add}" in before
    assert after.count("CrossentropySoftmaxArgmax1HotWithBias") == 1
    assert "Softmax" not in after and "SoftmaxGrad" not in after
    assert "Elemwise{add}" not in after      # the bias is the fused node's second input
    rng = np.random.default_rng(0)
    values = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4), np.array([0, 3, 1, 1, 2], "int32")
    fast, slow = both_modes([x, w, b, y_idx], [cost, p, T.grad(cost, w)], *values)
    for a, r in zip(fast, slow):
        np.testing.assert_allclose(a, r, rtol=1e-7)


def test_softmax_gradient_through_log_loses_its_division():
    m = T.dmatrix("m")
    before, after, _ = stabilized([m], [T.grad(T.log(T.nnet.softmax(m)).sum(), m)])
    assert "SoftmaxGrad" in before and "Elemwise{true_div}" in before
    assert "SoftmaxGrad" not in after and "Elemwise{true_div}" not in after


def test_other_forms_are_left_alone():
    x, y = T.dvectors("x", "y")
    m = T.dmatrix("m")
    outputs = [T.log(x), T.log(2 + x), T.exp(x) - 2, x * y / T.exp(y), T.nnet.sigmoid(x) * y,
               T.log(T.nnet.softmax(m) + 1e-8), T.nnet.sigmoid(x) / (1 - T.nnet.sigmoid(y))]
    fg = FunctionGraph([x, y, m], outputs)
    before = ops(fg)
    assert stabilize(fg) == 0
    assert ops(fg) == before


def test_fast_run_reports_the_pass():
    x = T.dvector("x")
    f = function([x], T.log(T.nnet.sigmoid(x)))
    report = {name: changed for name, _, changed in f.maker.rewrite_report}
    assert report["stabilize"] == 1
    fc = function([x], T.log(T.nnet.sigmoid(x)), mode="FAST_COMPILE")
    assert "stabilize" not in {name for name, _, _ in fc.maker.rewrite_report}


# ------------------------------------------------------------ values unchanged on ordinary inputs

def test_values_unchanged_on_ordinary_inputs():
    rng = np.random.RandomState(0)
    x, t = T.dvectors("x", "t")
    m, one_hot = T.dmatrices("m", "one_hot")
    y_idx = T.ivector("y_idx")
    exprs = list(_sigmoid_crossentropies(x, t).values()) + list(_softmax_losses(m, y_idx, one_hot).values()) + [
        T.log(1 + x * x), T.exp(x) - 1, T.log(T.nnet.sigmoid(x)), T.log(1 - T.nnet.sigmoid(x)),
        T.log(T.nnet.softmax(m)), 1 / (1 + T.exp(-x)), T.log(1 + T.exp(x))]
    costs = [e.sum() for e in exprs]
    outputs = costs + [T.grad(c, x) for c in costs[:3]] + [T.grad(c, m) for c in costs[3:6]]
    args = (rng.uniform(-3, 3, 7), rng.uniform(0, 1, 7), rng.uniform(-3, 3, (4, 5)),
            rng.randint(0, 5, 4).astype("int32"), np.eye(5)[rng.randint(0, 5, 4)])
    inputs = [x, t, m, y_idx, one_hot]
    fast, slow = both_modes(inputs, outputs, *args)
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    f = function(inputs, outputs, on_unused_input="ignore")
    assert dict((n, c) for n, _, c in f.maker.rewrite_report)["stabilize"] > 10


def test_empty_inputs():
    x, t = T.dvectors("x", "t")
    cost = _sigmoid_crossentropies(x, t)["tutorial_division_form"]
    f = function([x, t], [cost, T.grad(cost.sum(), x)])
    c, g = f(np.zeros(0), np.zeros(0))
    assert c.shape == g.shape == (0,)
