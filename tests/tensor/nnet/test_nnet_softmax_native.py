"""The vectorised native softmax family (csrc_templates/softmax.c.tmpl, nnet_softmax_*.c.tmpl,
nnet_crossentropy_softmax*.c.tmpl and the row passes of nnet_support.h) against numpy
formulas written out here: long rows (past one summation block, lengths that are no
multiple of a vector's width), enough rows for the OpenMP loops, strided and transposed
inputs (gathered into the output row first), and NaN / inf in the same places as numpy."""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from helpers import assert_close, noncontiguous
from jitgraph.tensor.nnet import (crossentropy_softmax_1hot_with_bias_dx, crossentropy_softmax_argmax_1hot_with_bias,
                                  logsoftmax, softmax, softmax_grad, softmax_with_bias)
from jitgraph.tensor.type import TensorType

FLOATS = ["float32", "float64"]
# (rows, columns): one long row past the 1024-entry summation block; a shape big enough
# (>= 32768 entries) for the parallel loop, its width no multiple of 8 or 16; short rows
SHAPES = [(1, 2500), (40, 1029), (9, 1), (300, 7)]


def np_softmax(x):
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)


def np_logsoftmax(x):
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        shifted = x - x.max(axis=-1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def native_function(inputs, outputs):
    f = jitgraph.function(inputs, outputs, mode="FAST_RUN")
    assert f._program.stages and all(type(s) is not tuple for s in f._program.stages), "not native"
    return f


def with_specials(x):
    """``x`` with a NaN row entry, a +inf entry, a -inf entry, an all -inf row and a row
    shifted far from 0 (rows permitting)."""
    x = x.copy()
    rows, cols = x.shape[-2], x.shape[-1]
    if rows >= 5 and cols >= 3:
        x[0, cols // 2] = np.nan
        x[1, cols - 1] = np.inf
        x[2, 0] = -np.inf
        x[3] = -np.inf
        x[4] += 1000
    return x


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_and_log_softmax_match_numpy(dtype, shape):
    x = TensorType(dtype, (False, False))("x")
    f = native_function([x], [softmax(x), logsoftmax(x)])
    value = with_specials(np.random.RandomState(0).uniform(-5, 5, shape).astype(dtype))
    for layout in (value, noncontiguous(value)):
        sm, lsm = f(layout)
        assert sm.dtype == lsm.dtype == dtype
        assert_close(sm, np_softmax(value))
        assert_close(lsm, np_logsoftmax(value))
        assert (np.isnan(sm) == np.isnan(np_softmax(value))).all()
        assert (np.isnan(lsm) == np.isnan(np_logsoftmax(value))).all()
    if shape[0] >= 5 and shape[1] >= 3:   # what with_specials put there
        assert np.isnan(sm[0]).all() and np.isnan(sm[1]).all() and np.isnan(sm[3]).all()
        assert sm[2, 0] == 0 and lsm[2, 0] == -np.inf and np.isfinite(lsm[4]).all()
        assert_close(sm[2:3].sum(), 1.0, dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_of_a_transposed_3d_view(dtype):
    """Rows whose outer dimensions are permuted and whose last stride is not unit."""
    x = TensorType(dtype, (False,) * 3)("x")
    f = native_function([x], [softmax(x), logsoftmax(x)])
    base = np.random.RandomState(1).uniform(-3, 3, (70, 6, 90)).astype(dtype)
    for view in (base.transpose(1, 0, 2), base.transpose(2, 1, 0), base[:, ::-1, ::2]):
        sm, lsm = f(view)
        assert_close(sm, np_softmax(view))
        assert_close(lsm, np_logsoftmax(view))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_with_bias_matches_numpy(dtype, shape):
    x, b = TensorType(dtype, (False, False))("x"), TensorType(dtype, (False,))("b")
    f = native_function([x, b], softmax_with_bias(x, b))
    rng = np.random.RandomState(2)
    x_val = with_specials(rng.uniform(-5, 5, shape).astype(dtype))
    b_val = rng.uniform(-1, 1, shape[1]).astype(dtype)
    expected = np_softmax(x_val + b_val)
    for xv, bv in ((x_val, b_val), (noncontiguous(x_val), b_val), (x_val, noncontiguous(b_val))):
        got = f(xv, bv)
        assert_close(got, expected)
        assert (np.isnan(got) == np.isnan(expected)).all()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("float64", "float64"), ("float32", "float64")])
def test_softmax_grad_matches_numpy(dtypes, shape):
    dy, sm = TensorType(dtypes[0], (False, False))("dy"), TensorType(dtypes[1], (False, False))("sm")
    f = native_function([dy, sm], softmax_grad(dy, sm))
    rng = np.random.RandomState(3)
    dy_val = rng.uniform(-2, 2, shape).astype(dtypes[0])
    sm_val = np_softmax(rng.uniform(-3, 3, shape)).astype(dtypes[1])
    dy_sm = dy_val * sm_val
    expected = dy_sm - dy_sm.sum(axis=-1, keepdims=True) * sm_val
    for a, c in ((dy_val, sm_val), (noncontiguous(dy_val), sm_val), (dy_val, noncontiguous(sm_val))):
        got = f(a, c)
        assert got.dtype == expected.dtype
        assert_close(got, expected)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_crossentropy_softmax_and_its_dx_match_numpy(dtype, shape):
    x, b, y, dy = (TensorType(dtype, (False, False))("x"), TensorType(dtype, (False,))("b"), T.lvector("y"),
                   TensorType(dtype, (False,))("dy"))
    nll, sm, am = crossentropy_softmax_argmax_1hot_with_bias(x, b, y)
    f = native_function([x, b, y, dy], [nll, sm, am, crossentropy_softmax_1hot_with_bias_dx(dy, sm, y)])
    rng = np.random.RandomState(4)
    rows, cols = shape
    x_val = with_specials(rng.uniform(-5, 5, shape).astype(dtype))
    if rows >= 6 and cols >= 4:
        x_val[5, 1] = x_val[5, 3] = 50   # a tie: the first maximum is the argmax
    b_val = np.zeros(cols, dtype)
    y_val = rng.randint(0, cols, rows)
    dy_val = rng.uniform(-1, 1, rows).astype(dtype)
    scores = x_val + b_val
    want_sm = np_softmax(scores)
    want_am = scores.argmax(axis=1)   # numpy's: the first NaN, else the first maximum
    top = scores[np.arange(rows), want_am]
    with np.errstate(invalid="ignore", over="ignore"):
        want_nll = -scores[np.arange(rows), y_val] + top + np.log(np.exp(scores - top[:, None]).sum(axis=1))
    want_dx = dy_val[:, None] * want_sm
    want_dx[np.arange(rows), y_val] -= dy_val
    for xv in (x_val, noncontiguous(x_val)):
        got_nll, got_sm, got_am, got_dx = f(xv, b_val, y_val, dy_val)
        assert_close(got_sm, want_sm)
        assert_close(got_nll, want_nll)
        assert (got_am == want_am).all()
        assert_close(got_dx, want_dx)
        assert (np.isnan(got_nll) == np.isnan(want_nll)).all()
    if rows >= 6 and cols >= 4:
        assert got_am[0] == cols // 2 and got_am[1] == cols - 1 and got_am[5] == 1
