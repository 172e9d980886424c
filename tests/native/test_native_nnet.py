"""Native code of the nnet ops (csrc_templates/nnet_*.c.tmpl): every op compiled in FAST_RUN
runs with no reference stage and agrees with FAST_COMPILE (the numpy reference) on random
inputs in several memory layouts (strided, negative strides, column-major, empty), in
float32 and float64; its run-time errors have the reference's exception type and name the
node; gradients of softmax / log_softmax / categorical_crossentropy and an MLP training
step compile to native code only."""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from helpers import assert_close, noncontiguous
from jitgraph.tensor import nnet
from jitgraph.tensor.nnet import (
    categorical_crossentropy, crossentropy_categorical_1hot, crossentropy_categorical_1hot_grad,
    crossentropy_softmax_1hot, crossentropy_softmax_1hot_with_bias, crossentropy_softmax_1hot_with_bias_dx,
    crossentropy_softmax_argmax_1hot_with_bias, logsoftmax, softmax, softmax_grad, softmax_with_bias)
from jitgraph.tensor.nnet.prepend import (Prepend_scalar_constant_to_each_row, prepend_1_to_each_row,
                                          prepend_scalar_to_each_row)
from jitgraph.tensor.type import TensorType

FLOATS = ["float32", "float64"]


def reference_stages(f):
    """The ops a compiled function runs through their numpy reference (tuple stages)."""
    return [stage[1].op for stage in f._program.stages if type(stage) is tuple]


def compile_both(inputs, outputs):
    native = jitgraph.function(inputs, outputs, mode="FAST_RUN")
    assert reference_stages(native) == []
    assert native._program.n_native >= 1
    return native, jitgraph.function(inputs, outputs, mode="FAST_COMPILE")


def layouts(a):
    """``a`` itself and views holding the same values: strided, reversed (negative strides)
    and column-major."""
    a = np.asarray(a)
    yield np.array(a, order="C")
    if a.ndim == 0:
        return
    yield noncontiguous(a)
    reversed_view = np.array(a[::-1], order="C")[::-1]
    assert a.shape[0] < 2 or a.size == 0 or reversed_view.strides[0] < 0
    yield reversed_view
    yield np.array(a, order="F")


def check_layouts(native, reference, arrays):
    """native == reference for every layout of every argument (one argument varied at a time)."""
    expected = reference(*arrays)
    for k, a in enumerate(arrays):
        for view in layouts(a):
            args = list(arrays)
            args[k] = view
            got = native(*args)
            for g, e in zip(got, expected):
                assert g.dtype == e.dtype, (g.dtype, e.dtype)
                assert_close(g, e)
    return expected


def sym(dtype, ndim, name):
    return TensorType(dtype, (False,) * ndim)(name)


def rows_of_classes(n_rows, n_classes, dtype="int64", seed=0):
    return np.random.RandomState(seed).randint(0, n_classes, n_rows).astype(dtype)


# ------------------------------------------------------------ softmax family

@pytest.mark.parametrize("shape", [(5, 7), (0, 4), (3, 0), (2, 3, 4)])
@pytest.mark.parametrize("dtypes", [("float64", "float64"), ("float32", "float32"), ("float32", "float64")])
def test_softmax_grad(dtypes, shape):
    rng = np.random.RandomState(1)
    dy, sm = sym(dtypes[0], len(shape), "dy"), sym(dtypes[1], len(shape), "sm")
    native, reference = compile_both([dy, sm], [softmax_grad(dy, sm)])
    expected = check_layouts(native, reference, [rng.uniform(-2, 2, shape).astype(dtypes[0]),
                                                  rng.uniform(0, 1, shape).astype(dtypes[1])])
    assert expected[0].shape == shape


@pytest.mark.parametrize("shape", [(5, 7), (0, 4), (3, 0), (2, 3, 4)])
@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_with_bias(dtype, shape):
    rng = np.random.RandomState(2)
    x, b = sym(dtype, len(shape), "x"), sym(dtype, 1, "b")
    native, reference = compile_both([x, b], [softmax_with_bias(x, b)])
    x_val = rng.uniform(-3, 3, shape).astype(dtype)
    if shape == (5, 7):   # large scores (shifted by the row max), inf and NaN rows
        x_val[1] += 1000
        x_val[2, 3] = np.inf
        x_val[3, 4] = np.nan
    check_layouts(native, reference, [x_val, rng.uniform(-1, 1, shape[-1:]).astype(dtype)])
    # x + b = [1.5, 2, 2]: exp(-0.5) : 1 : 1
    e = np.exp(-0.5)
    if len(shape) == 2:
        assert_close(native(np.array([[1.0, 2.0, 3.0]], dtype=dtype), np.array([0.5, 0.0, -1.0], dtype=dtype))[0],
                     np.array([[e, 1, 1]], dtype=dtype) / (e + 2))


def test_softmax_with_bias_mixed_dtypes():
    x, b = T.fmatrix("x"), T.dvector("b")
    native, reference = compile_both([x, b], [softmax_with_bias(x, b)])
    rng = np.random.RandomState(3)
    out = check_layouts(native, reference, [rng.randn(4, 5).astype("float32"), rng.randn(5)])
    assert out[0].dtype == "float64"


def test_softmax_and_log_softmax_gradients_are_native(dtype="float64"):
    rng = np.random.RandomState(4)
    x, w = sym(dtype, 2, "x"), sym(dtype, 2, "w")
    g_sm = T.grad((softmax(x) * w).sum(), x)
    g_lsm = T.grad((logsoftmax(x) * w).sum(), x)
    second = T.grad((g_sm ** 2).sum(), x)   # SoftmaxGrad's own gradient
    native, reference = compile_both([x, w], [g_sm, g_lsm, second])
    check_layouts(native, reference, [rng.uniform(-2, 2, (6, 5)).astype(dtype),
                                      rng.uniform(-1, 1, (6, 5)).astype(dtype)])


# ------------------------------------------------------------ cross-entropies with class indices

@pytest.mark.parametrize("idx_dtype", ["int32", "int64", "uint8"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_crossentropy_categorical_1hot_and_its_grad(dtype, idx_dtype):
    rng = np.random.RandomState(5)
    coding, y, g_y = sym(dtype, 2, "coding"), sym(idx_dtype, 1, "y"), sym(dtype, 1, "g_y")
    native, reference = compile_both([coding, y, g_y], [crossentropy_categorical_1hot(coding, y),
                                                         crossentropy_categorical_1hot_grad(g_y, coding, y)])
    for rows in (6, 0):
        coding_val = rng.uniform(0.05, 1.0, (rows, 4)).astype(dtype)
        y_val = rows_of_classes(rows, 4, idx_dtype)
        nll, grad = check_layouts(native, reference, [coding_val, y_val, rng.uniform(-1, 1, rows).astype(dtype)])
        assert_close(nll, -np.log(coding_val[np.arange(rows), y_val]))
        assert (np.count_nonzero(grad, axis=1) <= 1).all()
    # a target probability of 0 gives inf, as -log(0)
    assert native(np.array([[0.0, 1.0]], dtype=dtype), np.array([0], dtype=idx_dtype),
                  np.ones(1, dtype=dtype))[0][0] == np.inf


@pytest.mark.parametrize("idx_dtype", ["int32", "int64", "uint8"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_crossentropy_softmax_argmax_1hot_with_bias(dtype, idx_dtype):
    rng = np.random.RandomState(6)
    x, b, y = sym(dtype, 2, "x"), sym(dtype, 1, "b"), sym(idx_dtype, 1, "y")
    native, reference = compile_both([x, b, y], list(crossentropy_softmax_argmax_1hot_with_bias(x, b, y)))
    for rows in (7, 0):
        x_val = rng.uniform(-3, 3, (rows, 5)).astype(dtype)
        if rows:
            x_val[1] = [2.0, 4.0, 4.0, -1.0, 4.0]   # ties: the first maximum is the argmax
            x_val[2] += 2000                         # nll finite where softmax underflows
            x_val[3, 1] = np.nan                     # the first NaN is the argmax
            x_val[4, 2] = np.inf
        b_val = np.array([0.5, 0.25, 0.25, -0.75, 0.25], dtype=dtype)   # keeps row 1's ties
        nll, sm, am = check_layouts(native, reference, [x_val, b_val, rows_of_classes(rows, 5, idx_dtype)])
        assert am.dtype == idx_dtype and nll.shape == (rows,) and sm.shape == (rows, 5)
        if rows:
            assert am[1] == 1 and am[3] == 1 and am[4] == 2
            assert np.isfinite(nll[2]) and np.isnan(nll[3])


@pytest.mark.parametrize("dy_ndim", [1, 0])
@pytest.mark.parametrize("dtype", FLOATS)
def test_crossentropy_softmax_1hot_with_bias_dx(dtype, dy_ndim):
    rng = np.random.RandomState(7)
    dy, sm, y = sym(dtype, dy_ndim, "dy"), sym(dtype, 2, "sm"), T.lvector("y")
    native, reference = compile_both([dy, sm, y], [crossentropy_softmax_1hot_with_bias_dx(dy, sm, y)])
    for rows in (6, 0):
        dy_val = rng.uniform(-1, 1, (rows,) * dy_ndim).astype(dtype)
        sm_val = rng.uniform(0, 1, (rows, 4)).astype(dtype)
        y_val = rows_of_classes(rows, 4)
        (dx,) = check_layouts(native, reference, [dy_val, sm_val, y_val])
        dy_rows = dy_val[:, None] if dy_ndim else dy_val
        assert_close(dx, dy_rows * (sm_val - np.eye(4, dtype=dtype)[y_val]))


def test_crossentropy_softmax_1hot_with_bias_dx_constant_dy():
    sm, y = T.dmatrix("sm"), T.lvector("y")
    native, reference = compile_both([sm, y], [crossentropy_softmax_1hot_with_bias_dx(T.constant(2.0), sm, y)])
    sm_val = np.random.RandomState(8).uniform(0, 1, (3, 4))
    (dx,) = check_layouts(native, reference, [sm_val, np.array([3, 0, 1])])
    assert_close(dx, 2.0 * (sm_val - np.eye(4)[[3, 0, 1]]))


def test_crossentropy_gradients_are_native(dtype="float64"):
    """What T.grad of the index-based cross-entropies builds (1hot grad, its second order,
    the softmax-with-bias Dx) runs natively."""
    rng = np.random.RandomState(9)
    x, b, y = sym(dtype, 2, "x"), sym(dtype, 1, "b"), T.ivector("y")
    ce = categorical_crossentropy(softmax(x), y).mean()
    g_ce = T.grad(ce, x)
    nll, sm = crossentropy_softmax_1hot_with_bias(x, b, y)
    g_x, g_b = T.grad(nll.sum() + (sm ** 2).sum(), [x, b])
    coding = softmax(x)
    g_second = T.grad((T.grad(crossentropy_categorical_1hot(coding, y).sum(), coding) ** 2).sum(), x)
    nll2, _ = crossentropy_softmax_1hot(x, y)
    native, reference = compile_both([x, b, y], [ce, g_ce, g_x, g_b, g_second, T.grad(nll2.mean(), x)])
    check_layouts(native, reference, [rng.uniform(-2, 2, (5, 4)).astype(dtype),
                                      rng.uniform(-1, 1, 4).astype(dtype), rows_of_classes(5, 4, "int32")])


def test_large_inputs_take_the_parallel_loops():
    """Past JG_OMP_MIN elements the row loops run under OpenMP; the rows stay independent."""
    rng = np.random.RandomState(13)
    x, b, y, dy = T.dmatrix("x"), T.dvector("b"), T.lvector("y"), T.dvector("dy")
    nll, sm, am = crossentropy_softmax_argmax_1hot_with_bias(x, b, y)
    outputs = [nll, sm, am, softmax_with_bias(x, b), softmax_grad(x, sm),
               crossentropy_softmax_1hot_with_bias_dx(dy, sm, y), prepend_1_to_each_row(x)]
    native, reference = compile_both([x, b, y, dy], outputs)
    rows, cols = 400, 150   # 60000 elements
    args = [rng.randn(rows, cols), rng.randn(cols), rows_of_classes(rows, cols), rng.randn(rows)]
    for got, expected in zip(native(*args), reference(*args)):
        assert_close(got, expected)


def test_every_nnet_function_compiles_to_native_code():
    """The activations, the sigmoid family, the binary cross-entropies and batch
    normalisation are elementwise graphs (scalar ops with C expressions); with the
    max-and-argmax cross-entropy they need no reference stage."""
    rng = np.random.RandomState(14)
    x, t, v, y = T.dmatrix("x"), T.dmatrix("t"), T.dvector("v"), T.ivector("y")
    outs = [nnet.relu(x), nnet.relu(x, 0.1), nnet.elu(x), nnet.selu(x), nnet.softsign(x), nnet.sigmoid(x),
            nnet.softplus(x), nnet.ultra_fast_sigmoid(x), nnet.hard_sigmoid(x),
            nnet.binary_crossentropy(nnet.sigmoid(x), t), nnet.sigmoid_binary_crossentropy(x, t),
            nnet.batch_normalization(x, v, v, v, v + 3)]
    outs += list(nnet.crossentropy_softmax_max_and_argmax_1hot(x, y))
    native, reference = compile_both([x, t, v, y], outs)
    check_layouts(native, reference, [rng.randn(5, 4), rng.uniform(0, 1, (5, 4)), rng.randn(4),
                                      rows_of_classes(5, 4, "int32")])


# ------------------------------------------------------------ prepend ops

@pytest.mark.parametrize("dtype", FLOATS + ["int32", "bool"])
def test_prepend_ops(dtype):
    rng = np.random.RandomState(10)
    mat, val = sym(dtype, 2, "mat"), sym(dtype, 0, "val")
    half = Prepend_scalar_constant_to_each_row(2.5)   # stored as the matrix's dtype stores it
    native, reference = compile_both([val, mat], [prepend_1_to_each_row(mat), half(mat),
                                                  prepend_scalar_to_each_row(val, mat)])
    for shape in [(4, 3), (0, 3), (3, 0)]:
        mat_val = (rng.uniform(-5, 5, shape) > 0 if dtype == "bool" else rng.uniform(-5, 5, shape)).astype(dtype)
        ones, halves, vals = check_layouts(native, reference, [np.array(3, dtype=dtype), mat_val])
        assert ones.shape == (shape[0], shape[1] + 1)
        assert_close(ones[:, 1:], mat_val)
        assert (ones[:, 0] == 1).all() and (halves[:, 0] == np.array(2.5).astype(dtype)).all()
        assert (vals[:, 0] == np.array(3, dtype=dtype)).all()


def test_prepend_constant_that_the_dtype_cannot_hold():
    mat = T.matrix("mat", dtype="uint8")
    f = jitgraph.function([mat], Prepend_scalar_constant_to_each_row(300)(mat), mode="FAST_RUN")
    assert reference_stages(f) == []
    with pytest.raises(ValueError, match=r"Prepend_scalar_constant_to_each_row.*300.*uint8"):
        f(np.zeros((2, 2), dtype="uint8"))


# ------------------------------------------------------------ run-time errors

def _error_cases():
    x, b, y, v = T.dmatrix("x"), T.dvector("b"), T.ivector("y"), T.dvector("v")
    ok_x, ok_y = np.full((3, 4), 0.25), np.array([0, 3, 1], dtype="int32")
    bad_y, short_y = np.array([0, 4, 1], dtype="int32"), np.array([0, 1], dtype="int32")
    neg_y = np.array([0, -1, 1], dtype="int32")
    return [
        ("CrossentropyCategorical1Hot", [x, y], crossentropy_categorical_1hot(x, y),
         [([ok_x, bad_y], IndexError, "class index 4 .row 1. is out of bounds for 4 classes"),
          ([ok_x, neg_y], IndexError, "class index -1 .row 1."), ([ok_x, short_y], ValueError, "2 class indices")]),
        ("CrossentropyCategorical1HotGrad", [v, x, y], crossentropy_categorical_1hot_grad(v, x, y),
         [([np.ones(3), ok_x, bad_y], IndexError, "class index 4"),
          ([np.ones(2), ok_x, ok_y], ValueError, "g_y has 2 entries for 3 rows")]),
        ("CrossentropySoftmaxArgmax1HotWithBias", [x, b, y], crossentropy_softmax_argmax_1hot_with_bias(x, b, y)[0],
         [([ok_x, np.zeros(4), bad_y], IndexError, "class index 4"),
          ([ok_x, np.zeros(4), short_y], ValueError, "2 class indices given for 3 rows"),
          ([ok_x, np.zeros(3), ok_y], ValueError, r"b has 3 entries but x \(shape \(3, 4\)\) has 4 columns")]),
        ("CrossentropySoftmax1HotWithBiasDx", [v, x, y], crossentropy_softmax_1hot_with_bias_dx(v, x, y),
         [([np.ones(3), ok_x, bad_y], IndexError, "class index 4"),
          ([np.ones(2), ok_x, ok_y], ValueError, "dy has 2 entries for 3 rows")]),
        ("SoftmaxWithBias", [x, b], softmax_with_bias(x, b),
         [([ok_x, np.zeros(5)], ValueError, r"b has 5 entries but x \(shape \(3, 4\)\) has 4 columns")]),
    ]


@pytest.mark.parametrize("case", _error_cases(), ids=lambda c: c[0])
def test_errors_match_the_reference(case):
    op_name, inputs, output, calls = case
    native = jitgraph.function(inputs, output, mode="FAST_RUN", on_unused_input="ignore")
    reference = jitgraph.function(inputs, output, mode="FAST_COMPILE", on_unused_input="ignore")
    assert reference_stages(native) == []
    for args, exc_type, message in calls:
        with pytest.raises(exc_type, match=message) as ref_err:
            reference(*args)
        with pytest.raises(exc_type, match=message) as native_err:
            native(*args)
        assert type(native_err.value) is type(ref_err.value)
        assert f"{op_name}(" in str(native_err.value)   # the node, with its inputs


def test_softmax_grad_shape_mismatch():
    dy, sm = T.dmatrix("dy"), T.dmatrix("sm")
    native = jitgraph.function([dy, sm], softmax_grad(dy, sm), mode="FAST_RUN")
    reference = jitgraph.function([dy, sm], softmax_grad(dy, sm), mode="FAST_COMPILE")
    message = r"dy has shape \(3, 4\) but sm has shape \(3, 5\)"
    for f in (reference, native):
        with pytest.raises(ValueError, match=message) as err:
            f(np.ones((3, 4)), np.ones((3, 5)))
    assert "SoftmaxGrad(dy, sm)" in str(err.value)


def test_uint64_class_index_past_int64():
    x, y = T.dmatrix("x"), T.vector("y", dtype="uint64")
    native = jitgraph.function([x, y], crossentropy_categorical_1hot(x, y), mode="FAST_RUN")
    with pytest.raises(IndexError, match="class index 18446744073709551615 .row 1."):
        native(np.ones((2, 3)), np.array([0, 2 ** 64 - 1], dtype="uint64"))


# ------------------------------------------------------------ a training step

@pytest.mark.parametrize("dtype", FLOATS)
def test_mlp_training_step_is_native(dtype):
    """A tanh hidden layer, softmax output and mean categorical cross-entropy on class
    indices, with L2 weight decay: the training function is one native program, and its
    updates move the weights as the reference's do."""
    rng = np.random.RandomState(11)

    def build(mode):
        x, y = sym(dtype, 2, "x"), T.ivector("y")
        params = [jitgraph.shared((rng_w.randn(*shape) * 0.3).astype(dtype), name=name)
                  for rng_w in [np.random.RandomState(12)]
                  for name, shape in [("W1", (6, 8)), ("b1", (8,)), ("W2", (8, 3)), ("b2", (3,))]]
        W1, b1, W2, b2 = params
        hidden = T.tanh(T.dot(x, W1) + b1)
        p_y = softmax(T.dot(hidden, W2) + b2)
        cost = categorical_crossentropy(p_y, y).mean() + np.asarray(1e-3, dtype=dtype) * (W1 ** 2).sum()
        lr = np.asarray(0.5, dtype=dtype)
        updates = [(p, p - lr * g) for p, g in zip(params, T.grad(cost, params))]
        errors = T.neq(T.argmax(p_y, axis=1), y).mean()
        return jitgraph.function([x, y], [cost, errors], updates=updates, mode=mode), params

    train, params = build("FAST_RUN")
    assert reference_stages(train) == [] and train._program.n_native == 1
    ref_train, ref_params = build("FAST_COMPILE")
    x_val = rng.randn(20, 6).astype(dtype)
    y_val = (x_val[:, 0] > 0).astype("int32") + (x_val[:, 1] > 0.5).astype("int32")
    costs = []
    for _ in range(15):
        cost, err = train(x_val, y_val)
        assert cost.dtype == dtype
        ref_cost, ref_err = ref_train(x_val, y_val)
        assert_close(cost, ref_cost)
        assert_close(err, ref_err)
        costs.append(float(cost))
    for p, q in zip(params, ref_params):
        assert_close(p.get_value(), q.get_value())
    assert costs[-1] < 0.6 * costs[0]
