"""jitgraph/tensor/extra_ops.py: arange, eye / identity_like, repeat, tile, diag / diagonal,
cumsum / cumprod, squeeze, nonzero / flatnonzero, fill_diagonal(_offset) — values against
numpy (strided and empty inputs), Theano's dtype and broadcast rules, gradients,
infer_shape and bad input. Expected types marked "Theano" were read from Theano 1.0.5."""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from jitgraph.gradient import verify_grad
from jitgraph.tensor.extra_ops import RepeatSum
from helpers import assert_close, assert_infer_shape, check_numpy, noncontiguous, rand


# ---------------------------------------------------------------- arange

def test_arange_dtypes():
    # every line read from Theano 1.0.5 (floatX=float64)
    assert T.arange(5).dtype == "int64"
    assert T.arange(5.).dtype == "float32"
    assert T.arange(1, 5).dtype == "int64"
    assert T.arange(0, 1, 0.1).dtype == "float64"
    assert T.arange(T.iscalar()).dtype == "int64"
    assert T.arange(T.bscalar()).dtype == "int64"
    assert T.arange(T.fscalar()).dtype == "float32"
    assert T.arange(T.dscalar()).dtype == "float64"
    assert T.arange(T.iscalar(), dtype="float32").dtype == "float32"
    assert T.arange(T.constant(np.uint8(5))).dtype == "int64"
    assert T.arange(T.constant(True)).dtype == "int64"
    assert T.arange(T.constant(np.uint8(1)), T.constant(np.uint8(5)), T.constant(np.uint8(1))).dtype == "uint64"
    assert T.arange(5).broadcastable == (False,) and T.arange(1).broadcastable == (False,)
    assert T.arange(5).type.shape == (5,) and T.arange(T.lscalar()).type.shape == (None,)


def test_arange_dtype_follows_floatx(floatX32):
    assert T.arange(0, 1, 0.1).dtype == "float32"   # Theano with floatX=float32


@pytest.mark.parametrize("args,kwargs", [((5,), {}), ((5, 0, -1), {}), ((0, 5, 2), {}), ((5, 0), {}),
                                         ((1.5, 4), {}), ((0, 1, 0.3), {"dtype": "float32"}),
                                         ((10,), {"dtype": "int8"}), ((-3, 3), {})])
def test_arange_literal_values(mode, args, kwargs):
    out = T.arange(*args, **kwargs)
    got = jitgraph.function([], out, mode=mode)()
    want = np.arange(*args, dtype=out.dtype)
    assert got.dtype == want.dtype
    assert_close(got, want)


def test_arange_symbolic_values_and_infer_shape(mode):
    start, stop, step = T.lscalar("start"), T.lscalar("stop"), T.lscalar("step")
    out = T.arange(start, stop, step)
    f = jitgraph.function([start, stop, step], out, mode=mode)
    for bounds in [(0, 7, 2), (7, 0, -3), (3, 3, 1), (5, 0, 1), (-4, 4, 3)]:
        assert_close(f(*bounds), np.arange(*bounds))
        assert_infer_shape(out, [start, stop, step], list(bounds), mode)
    fstart, fstop, fstep = T.dscalar("a"), T.dscalar("b"), T.dscalar("c")
    fout = T.arange(fstart, fstop, fstep)
    for bounds in [(0.0, 1.0, 0.1), (2.5, -1.0, -0.7), (0.0, 0.0, 0.5)]:
        assert_close(jitgraph.function([fstart, fstop, fstep], fout, mode=mode)(*bounds), np.arange(*bounds))
        assert_infer_shape(fout, [fstart, fstop, fstep], list(bounds), mode)
    i8 = T.bscalar("i8")   # int8 bounds: the length is computed without int8 overflow
    wide = T.arange(-i8, i8)
    assert_infer_shape(wide, [i8], [100], mode)
    assert jitgraph.function([i8], wide, mode=mode)(100).shape == (200,)


def test_arange_gradient(mode):
    weights = rand((5,), seed=1)   # start 0.3, step 1.1 below 5.1: five values
    verify_grad(lambda start, step: T.arange(start, 5.1, step) * weights, [np.array(0.3), np.array(1.1)],
                n_tests=1, mode=mode)
    stop = T.dscalar("stop")
    g = T.grad(T.sum(T.arange(0.0, stop, 1.0)), stop, disconnected_inputs="ignore")
    assert float(jitgraph.function([stop], g, mode=mode)(4.5)) == 0.0   # stop only sets the length


def test_arange_bad_input(mode):
    with pytest.raises(ValueError, match="step must not be zero"):
        T.arange(0, 5, 0)
    with pytest.raises(TypeError, match="must be a scalar"):
        T.arange(T.ivector())
    step = T.lscalar("step")
    f = jitgraph.function([step], T.arange(0, 5, step), mode=mode)
    with pytest.raises(ValueError, match="step must not be zero"):
        f(0)


# ---------------------------------------------------------------- eye, identity_like

@pytest.mark.parametrize("n,m,k", [(3, None, 0), (2, 3, -1), (3, 2, 1), (3, 3, 5), (0, None, 0), (4, 2, -3)])
def test_eye_values(mode, n, m, k):
    got = jitgraph.function([], T.eye(n, m, k), mode=mode)()
    assert_close(got, np.eye(n, m, k))
    sn, sm, sk = T.lscalar("n"), T.iscalar("m"), T.bscalar("k")
    out = T.eye(sn, sm, sk, dtype="int32")
    assert out.dtype == "int32" and out.broadcastable == (False, False)
    assert_close(jitgraph.function([sn, sm, sk], out, mode=mode)(n, n if m is None else m, k),
                 np.eye(n, m, k, dtype="int32"))
    assert_infer_shape(out, [sn, sm, sk], [n, n if m is None else m, k], mode)


def test_eye_types_and_errors(mode, floatX32):
    assert T.eye(3).dtype == "float32" and T.eye(3).type.shape == (3, 3)
    assert T.eye(3, 4, 1, dtype="int32").dtype == "int32"   # Theano
    with pytest.raises(TypeError, match="integer scalar"):
        T.eye(2.5)
    with pytest.raises(TypeError, match="integer scalar"):
        T.eye(T.fscalar())
    with pytest.raises(ValueError, match="negative dimension"):
        T.eye(-1)
    n = T.lscalar("n")
    with pytest.raises(ValueError, match="negative dimension"):
        jitgraph.function([n], T.eye(n), mode=mode)(-2)


def test_identity_like(mode):
    check_numpy(T.identity_like, lambda x: np.eye(*x.shape), [rand((2, 3))], mode)
    check_numpy(T.identity_like, lambda x: np.eye(*x.shape, dtype="int32"), [rand((3, 1), "int32")], mode,
                out_dtype="int32")
    with pytest.raises(TypeError, match="needs a matrix"):
        T.identity_like(T.fvector())


# ---------------------------------------------------------------- repeat

def test_repeat_types():
    x = T.fmatrix()
    assert T.repeat(x, 2).broadcastable == (False,)                          # Theano
    assert T.repeat(x, 2, axis=0).type.ndim == 2
    assert T.repeat(T.frow(), 3, axis=0).broadcastable == (False, False)     # Theano
    assert T.repeat(T.frow(), 3, axis=1).broadcastable == (True, False)      # Theano
    fixed = T.TensorType("float64", shape=(2, 3))()
    assert T.repeat(fixed, 2, axis=1).type.shape == (2, 6)
    assert T.repeat(fixed, [1, 0, 2], axis=1).type.shape == (2, 3)
    assert T.repeat(fixed, [4], axis=0).type.shape == (8, 3)


@pytest.mark.parametrize("repeats,axis", [(2, None), (3, 0), (2, 1), (2, -1), ([1, 0, 2], 1), ([2, 1], 0),
                                          ([3], 1), (0, 1)])
def test_repeat_values(mode, repeats, axis):
    check_numpy(lambda x: T.repeat(x, repeats, axis=axis), lambda x: np.repeat(x, repeats, axis=axis),
                [rand((2, 3))], mode)


def test_repeat_symbolic_repeats_and_empty(mode):
    x, r, rv = T.dmatrix("x"), T.iscalar("r"), T.bvector("rv")
    value = rand((2, 3))
    f = jitgraph.function([x, r, rv], [T.repeat(x, r, axis=0), T.repeat(x, rv, axis=1)], mode=mode)
    by_scalar, by_vector = f(noncontiguous(value), 3, np.array([0, 2, 1], "int8"))
    assert_close(by_scalar, np.repeat(value, 3, axis=0))
    assert_close(by_vector, np.repeat(value, [0, 2, 1], axis=1))
    check_numpy(lambda x: T.repeat(x, 2, axis=0), lambda x: np.repeat(x, 2, axis=0), [rand((0, 3))], mode)
    s = T.dscalar("s")
    assert_close(jitgraph.function([s], T.repeat(s, 2), mode=mode)(3.0), np.array([3.0, 3.0]))  # Theano
    u = T.TensorType("uint16", (False,))("u")
    by_unsigned = jitgraph.function([x, u], T.repeat(x, u, axis=1), mode=mode)
    assert_close(by_unsigned(value, np.array([1, 1, 2], "uint16")), np.repeat(value, [1, 1, 2], axis=1))


def test_repeat_gradient(mode):
    verify_grad(lambda x: T.repeat(x, 3, axis=1) * rand((2, 9), seed=2), [rand((2, 3))], n_tests=1, mode=mode)
    verify_grad(lambda x: T.repeat(x, [2, 0, 1], axis=1) * rand((2, 3), seed=3), [rand((2, 3))], n_tests=1,
                mode=mode)
    verify_grad(lambda x: T.repeat(x, 2) ** 2, [rand((2, 2))], n_tests=1, mode=mode)
    # the gradient op's own gradient is repeat again
    verify_grad(lambda g: RepeatSum(0)(g, [1, 0, 3], 3) ** 2, [rand((4, 2))], n_tests=1, mode=mode)
    x, rv = T.dmatrix("x"), T.lvector("rv")
    g = jitgraph.function([x, rv], T.grad(T.sum(T.repeat(x, rv, axis=0) * 2.0), x), mode=mode)
    assert_close(g(rand((3, 2)), [2, 0, 1]), np.array([[4.0, 4.0], [0.0, 0.0], [2.0, 2.0]]))


def test_repeat_infer_shape(mode):
    x, r, rv = T.dmatrix("x"), T.lscalar("r"), T.lvector("rv")
    assert_infer_shape(T.repeat(x, r, axis=1), [x, r], [rand((2, 3)), 4], mode)
    assert_infer_shape(T.repeat(x, rv, axis=1), [x, rv], [rand((2, 3)), [1, 0, 5]], mode)
    assert_infer_shape(T.repeat(x, rv, axis=0), [x, rv], [rand((2, 3)), [3]], mode)


def test_repeat_bad_input(mode):
    x = T.dmatrix("x")
    with pytest.raises(ValueError, match="scalar or a vector"):
        T.repeat(x, [[1]])
    with pytest.raises(TypeError, match="integers"):
        T.repeat(x, 2.5)
    with pytest.raises(IndexError, match="out of bounds"):
        T.repeat(x, 2, axis=2)
    with pytest.raises(ValueError, match="non-negative"):
        T.repeat(x, -1)
    with pytest.raises(ValueError, match="2 repeats given for an axis of length 3"):
        T.repeat(T.TensorType("float64", shape=(2, 3))(), [1, 2], axis=1)
    rv = T.lvector("rv")
    f = jitgraph.function([x, rv], T.repeat(x, rv, axis=1), mode=mode)
    with pytest.raises(ValueError, match="2 repeats given for an axis of length 3"):
        f(rand((2, 3)), [1, 2])
    with pytest.raises(ValueError, match="non-negative"):
        f(rand((2, 3)), [1, -1, 2])


# ---------------------------------------------------------------- tile

def test_tile_types():
    x = T.fmatrix()
    assert T.tile(x, (2, 3)).type.ndim == 2 and T.tile(x, (2, 3)).dtype == "float32"   # Theano
    assert T.tile(T.ivector(), (2, 3)).dtype == "int32" and T.tile(T.ivector(), (2, 3)).ndim == 2  # Theano
    assert T.tile(x, (2,)).ndim == 2                                                    # Theano
    assert T.tile(x, (2, 1, 1)).ndim == 3                                               # Theano
    assert T.tile(T.TensorType("float64", shape=(2, 3))(), (2, 2)).type.shape == (4, 6)


@pytest.mark.parametrize("shape,reps", [((2, 3), (2, 2)), ((2, 3), (2,)), ((2, 3), 3), ((2, 3), (2, 1, 1)),
                                        ((3,), (2, 3)), ((2, 3), (0, 2)), ((0, 3), (2, 2)), ((), (3,)),
                                        ((1, 3), (2, 1))])
def test_tile_values(mode, shape, reps):
    bcast = tuple(n == 1 for n in shape)
    check_numpy(lambda x: T.tile(x, reps), lambda x: np.tile(x, reps), [rand(shape)], mode, broadcastable=[bcast])


def test_tile_symbolic_reps(mode):
    x, s, rv = T.dmatrix("x"), T.iscalar("s"), T.lvector("rv")
    value = rand((2, 3))
    f = jitgraph.function([x, s], T.tile(x, (s, 2)), mode=mode)
    assert_close(f(noncontiguous(value), 3), np.tile(value, (3, 2)))
    g = jitgraph.function([x, rv], T.tile(x, rv, ndim=3), mode=mode)
    assert_close(g(value, [2, 1, 2]), np.tile(value, (2, 1, 2)))
    assert_close(g(value, [2, 1]), np.tile(value, (2, 1)).reshape(1, 4, 3))   # padded with ones on the left
    with pytest.raises(ValueError, match="negative dimension"):
        g(value, [1, 1, 1, 1])     # more reps than ndim


def test_tile_gradient(mode):
    verify_grad(lambda x: T.tile(x, (2, 3)) * rand((4, 9), seed=4), [rand((2, 3))], n_tests=1, mode=mode)
    verify_grad(lambda x: T.tile(x, (2, 1, 2)) ** 2, [rand((2, 3))], n_tests=1, mode=mode)


def test_tile_bad_input():
    x = T.dmatrix()
    with pytest.raises(ValueError, match="give ndim"):
        T.tile(x, T.lvector())
    with pytest.raises(ValueError, match="at least the input's 2 dimensions"):
        T.tile(x, (2, 1), ndim=1)
    with pytest.raises(TypeError, match="integer scalar"):
        T.tile(x, (2.0, 1))
    with pytest.raises(TypeError, match="integers"):
        T.tile(x, T.fvector(), ndim=2)
    with pytest.raises(ValueError, match="3 reps given for ndim=2"):
        T.tile(x, (1, 2, 3), ndim=2)
    with pytest.raises(ValueError, match="scalar or a vector"):
        T.tile(x, T.lmatrix())


# ---------------------------------------------------------------- diag, diagonal

def test_diag_types():
    assert T.diag(T.ivector()).type.dtype == "int32" and T.diag(T.ivector()).broadcastable == (False, False)
    assert T.diag(T.fmatrix()).broadcastable == (False,)         # Theano
    assert T.diag(T.ftensor3()).ndim == 2                         # Theano: diagonal of axes 0, 1
    assert T.diag(T.TensorType("float64", shape=(3,))(), 1).type.shape == (4, 4)
    assert T.diag(T.TensorType("float64", shape=(2, 3))(), 1).type.shape == (2,)


@pytest.mark.parametrize("k", [-2, 0, 1])
def test_diag_of_vector(mode, k):
    check_numpy(lambda v: T.diag(v, k), lambda v: np.diag(v, k), [rand((3,))], mode)
    check_numpy(lambda v: T.diag(v, k), lambda v: np.diag(v, k), [rand((0,), "int32")], mode)


@pytest.mark.parametrize("shape,k", [((3, 3), 0), ((2, 3), 1), ((3, 2), -1), ((2, 3), 5), ((4, 2), -3),
                                     ((0, 3), 0)])
def test_diag_of_matrix(mode, shape, k):
    check_numpy(lambda x: T.diag(x, k), lambda x: np.diag(x, k), [rand(shape)], mode)


@pytest.mark.parametrize("offset,axis1,axis2", [(0, 0, 1), (1, 0, 2), (-1, 2, 0), (0, -1, -2)])
def test_diagonal_of_tensor3(mode, offset, axis1, axis2):
    check_numpy(lambda x: T.diagonal(x, offset, axis1, axis2), lambda x: np.diagonal(x, offset, axis1, axis2),
                [rand((2, 3, 4))], mode)


def test_diag_gradients(mode):
    verify_grad(lambda v: T.diag(v, 1) * rand((4, 4), seed=5), [rand((3,))], n_tests=1, mode=mode)
    verify_grad(lambda x: T.diag(x, -1) ** 2, [rand((3, 2))], n_tests=1, mode=mode)
    verify_grad(lambda x: T.diagonal(x, 1, 0, 2) * rand((3, 2), seed=6), [rand((2, 3, 4))], n_tests=1, mode=mode)


def test_diag_infer_shape(mode):
    v, x = T.dvector("v"), T.dtensor3("x")
    assert_infer_shape(T.diag(v, -2), [v], [rand((3,))], mode)
    for offset in (-5, -1, 0, 2):
        assert_infer_shape(T.diagonal(x, offset, 2, 1), [x], [rand((2, 3, 4))], mode)


def test_diag_bad_input():
    with pytest.raises(ValueError, match="vector or a matrix"):
        T.diag(T.dscalar())
    with pytest.raises(TypeError, match="at least 2 dimensions"):
        T.diagonal(T.dvector())
    with pytest.raises(ValueError, match="two different axes"):
        T.diagonal(T.dmatrix(), 0, 1, 1)
    with pytest.raises(IndexError, match="out of bounds"):
        T.diagonal(T.dmatrix(), 0, 0, 2)


# ---------------------------------------------------------------- cumsum, cumprod

def test_cumulative_types():
    assert T.cumsum(T.fmatrix()).broadcastable == (False,)       # Theano
    assert T.cumsum(T.fmatrix(), 0).type == T.fmatrix().type     # Theano
    assert T.cumsum(T.bvector()).dtype == "int8"                  # Theano keeps the dtype
    assert T.cumprod(T.bvector()).dtype == "int8"                 # Theano
    assert T.cumsum(T.vector(dtype="bool")).dtype == "int64"      # (Theano gave a bool "sum")


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumulative_values(mode, axis):
    check_numpy(lambda x: T.cumsum(x, axis), lambda x: np.cumsum(x, axis), [rand((3, 4))], mode)
    check_numpy(lambda x: T.cumprod(x, axis), lambda x: np.cumprod(x, axis), [rand((3, 4))], mode)
    check_numpy(lambda x: T.cumsum(x, axis), lambda x: np.cumsum(x, axis, dtype="int32"), [rand((2, 3), "int32")],
                mode, out_dtype="int32")
    check_numpy(lambda x: T.cumsum(x, axis), lambda x: np.cumsum(x, axis), [rand((0, 3))], mode)


def test_cumulative_gradients_and_shapes(mode):
    for axis in (None, 0, 1):
        verify_grad(lambda x: T.cumsum(x, axis) * 1.5, [rand((3, 4))], n_tests=1, mode=mode)
        verify_grad(lambda x: T.cumprod(x, axis), [rand((2, 3), low=0.5, high=2.0)], n_tests=1, mode=mode)
    x = T.dmatrix("x")
    assert_infer_shape(T.cumsum(x, 1), [x], [rand((3, 4))], mode)
    with pytest.raises(IndexError, match="out of bounds"):
        T.cumsum(x, 2)


# ---------------------------------------------------------------- squeeze

def test_squeeze(mode):
    assert T.squeeze(T.frow()).broadcastable == (False,)                  # Theano
    assert T.squeeze(T.fmatrix()).type == T.fmatrix().type                # Theano: only broadcastable dims
    check_numpy(T.squeeze, np.squeeze, [rand((1, 3, 1))], mode, broadcastable=[(True, False, True)])
    x = T.dtensor3("x")
    f = jitgraph.function([x], T.squeeze(x, axis=(0, 2)), mode=mode)
    assert_close(f(noncontiguous(rand((1, 3, 1)))), rand((1, 3, 1)).reshape(3))
    with pytest.raises(ValueError, match="has size 2"):
        f(rand((2, 3, 1)))
    with pytest.raises(IndexError, match="out of bounds"):
        T.squeeze(x, axis=3)
    verify_grad(lambda x: T.squeeze(x, 1) * rand((2,), seed=7), [rand((2, 1))], n_tests=1, mode=mode)


# ---------------------------------------------------------------- nonzero

@pytest.mark.parametrize("value", [np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]]), np.zeros((2, 2)),
                                   np.array([0, 3, 0, 4], "int32"), np.zeros((0, 3)),
                                   np.array([[True, False], [True, True]])])
def test_nonzero_values(mode, value):
    x = T.TensorType(value.dtype, (False,) * value.ndim)("x")
    f = jitgraph.function([x], list(T.nonzero(x)) + [T.nonzero(x, return_matrix=True), T.flatnonzero(x)],
                          mode=mode)
    *rows, matrix, flat = f(noncontiguous(value))
    for got, want in zip(rows, np.nonzero(value)):
        assert got.dtype == np.int64
        assert_close(got, want)
    assert_close(matrix, np.array(np.nonzero(value), dtype="int64").reshape(value.ndim, -1))
    assert_close(flat, np.flatnonzero(value))
    assert_infer_shape(T.nonzero(x, return_matrix=True), [x], [value], mode)


def test_nonzero_types_and_errors():
    assert len(T.nonzero(T.fmatrix())) == 2                          # Theano
    assert T.nonzero(T.fmatrix())[0].dtype == "int64"                # Theano
    assert T.flatnonzero(T.fmatrix()).broadcastable == (False,)      # Theano
    with pytest.raises(ValueError, match="at least 1 dimension"):
        T.nonzero(T.dscalar())
    with pytest.raises(ValueError, match="at least 1 dimension"):
        T.flatnonzero(T.dscalar())


# ---------------------------------------------------------------- fill_diagonal

def _np_fill_diagonal(a, val):
    out = a.copy()
    np.fill_diagonal(out, val)
    return out


def _np_fill_diagonal_offset(a, val, offset):
    out = a.copy()
    rows, cols = np.nonzero(np.eye(*a.shape, k=offset))
    out[rows, cols] = val
    return out


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 2, 2), (0, 3)])
def test_fill_diagonal_values(mode, shape):
    check_numpy(lambda a: T.fill_diagonal(a, 9), lambda a: _np_fill_diagonal(a, 9), [rand(shape)], mode)
    a, v = T.fmatrix("a"), T.fscalar("v")
    value = rand((3, 4), "float32")
    assert_close(jitgraph.function([a, v], T.fill_diagonal(a, v), mode=mode)(value, -2.0),
                 _np_fill_diagonal(value, -2.0))


@pytest.mark.parametrize("offset", [-5, -3, -1, 0, 2, 4, 6])
def test_fill_diagonal_offset_values(mode, offset):
    check_numpy(lambda a: T.fill_diagonal_offset(a, 9.0, offset),
                lambda a: _np_fill_diagonal_offset(a, 9.0, offset), [rand((3, 4))], mode)
    a, k = T.dmatrix("a"), T.lscalar("k")
    value = rand((4, 3))
    got = jitgraph.function([a, k], T.fill_diagonal_offset(a, 7.0, k), mode=mode)(value, offset)
    assert_close(got, _np_fill_diagonal_offset(value, 7.0, offset))


def test_fill_diagonal_types_and_errors():
    a = T.fmatrix()
    assert T.fill_diagonal(a, 1).type == a.type
    assert T.fill_diagonal(a, 0.1).dtype == "float32"    # a plain number takes the array's dtype
    with pytest.raises(TypeError, match="does not fit the float32 array"):
        T.fill_diagonal(a, T.dscalar())                  # Theano's rule for a float64 variable
    with pytest.raises(TypeError, match="not an integer"):
        T.fill_diagonal(T.imatrix(), 0.5)
    with pytest.raises(TypeError, match="at least 2 dimensions"):
        T.fill_diagonal(T.fvector(), 1)
    with pytest.raises(TypeError, match="must be a scalar"):
        T.fill_diagonal(a, T.fvector())
    with pytest.raises(TypeError, match="needs a matrix"):
        T.fill_diagonal_offset(T.ftensor3(), 1, 0)


def test_fill_diagonal_gradients(mode):
    weights = rand((3, 4), seed=8)
    verify_grad(lambda a, v: T.fill_diagonal(a, v) * weights, [rand((3, 4)), np.array(0.7)], n_tests=1, mode=mode)
    verify_grad(lambda a, v: T.fill_diagonal_offset(a, v, -1) * weights, [rand((3, 4)), np.array(0.7)],
                n_tests=1, mode=mode)
    verify_grad(lambda a: T.fill_diagonal(a, 0.0) ** 2, [rand((2, 2, 2))], n_tests=1, mode=mode)
