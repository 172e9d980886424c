"""Prepending a scalar column to each row: values (Theano 1.0.5's), gradients (which
Theano got wrong: its grads had the wrong structure and failed), shapes, bad inputs."""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from helpers import assert_close, check_numpy, rand
from jitgraph.gradient import verify_grad
from jitgraph.tensor.nnet import (Prepend_scalar_constant_to_each_row, prepend_0_to_each_row,
                                  prepend_1_to_each_row, prepend_scalar_to_each_row)
from nnet_shape_check import check_infer_shape

X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]])


def test_values_match_theano(mode):
    x, v = T.dmatrix("x"), T.dscalar("v")
    f = jitgraph.function([v, x], [prepend_1_to_each_row(x), prepend_scalar_to_each_row(v, x)], mode=mode)
    ones, fives = f(5.0, X)
    assert_close(ones, [[1, 1, 2, 3], [1, 4, 5, 7]])
    assert_close(fives, [[5, 1, 2, 3], [5, 4, 5, 7]])


@pytest.mark.parametrize("shape", [(3, 4), (0, 2), (2, 0)])
def test_numpy_reference(shape, mode):
    m = rand(shape)
    check_numpy(prepend_0_to_each_row, lambda a: np.hstack([np.zeros((a.shape[0], 1)), a]), [m], mode)
    check_numpy(prepend_scalar_to_each_row, lambda s, a: np.hstack([np.full((a.shape[0], 1), s), a]),
                [np.array(2.5), m], mode)
    f32 = rand(shape, "float32")
    check_numpy(prepend_1_to_each_row, lambda a: np.hstack([np.ones((a.shape[0], 1), "float32"), a]), [f32],
                mode, out_dtype="float32")


def test_gradients(mode):
    rng = np.random.RandomState(0)
    verify_grad(prepend_1_to_each_row, [rng.uniform(-1, 1, (3, 2))], rng=rng)
    verify_grad(prepend_scalar_to_each_row, [np.array(0.7), rng.uniform(-1, 1, (3, 2))], rng=rng)
    x, v = T.dmatrix(), T.dscalar()
    cost = (prepend_scalar_to_each_row(v, x) ** 2).sum()
    g_v, g_x = jitgraph.function([v, x], T.grad(cost, [v, x]), mode=mode)(5.0, X)
    assert_close(g_v, 20.0)     # 2 * 5 on each of the 2 rows
    assert_close(g_x, 2 * X)


def test_infer_shape_and_static_shape(mode):
    x, v = T.dmatrix(), T.dscalar()
    check_infer_shape([prepend_0_to_each_row(x)], [x], [X], mode)
    check_infer_shape([prepend_scalar_to_each_row(v, x)], [v, x], [1.0, X], mode)
    assert prepend_0_to_each_row(T.tensor(shape=(None, 3), dtype="float64")).type.shape == (None, 4)


def test_props_and_bad_inputs():
    assert Prepend_scalar_constant_to_each_row(1.0) == prepend_1_to_each_row
    assert Prepend_scalar_constant_to_each_row(0.0) != prepend_1_to_each_row
    with pytest.raises(TypeError, match="expected a matrix"):
        prepend_1_to_each_row(T.dvector())
    with pytest.raises(TypeError, match="expected a matrix"):
        prepend_scalar_to_each_row(1.0, T.dtensor3())
    with pytest.raises(TypeError, match="val must be a scalar"):
        prepend_scalar_to_each_row(T.dvector(), T.dmatrix())
    assert prepend_scalar_to_each_row(T.lscalar(), T.fmatrix()).dtype == "float32"
