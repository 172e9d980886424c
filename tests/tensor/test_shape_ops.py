"""The ops of jitgraph/tensor/shape.py: shape, reshape, flatten, dimshuffle, transpose,
alloc (zeros, ones), zeros_like / ones_like / fill, patternbroadcast and shape padding —
against numpy (strided and empty inputs), Theano's types, gradients, infer_shape and
bad input. Expected types marked "Theano" were read from Theano 1.0.5."""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from jitgraph.gradient import verify_grad
from helpers import assert_close, assert_infer_shape, check_numpy, noncontiguous, rand


# ---------------------------------------------------------------- shape

@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 0, 3)])
def test_shape_values_and_type(mode, shape):
    x = T.TensorType("float32", (False,) * len(shape))("x")
    s = T.shape(x)
    assert s.dtype == "int64" and s.ndim == 1
    f = jitgraph.function([x], [s, x.shape[0]] if shape else s, mode=mode)
    value = rand(shape, "float32")
    got = f(noncontiguous(value))
    if shape:
        assert_close(got[0], np.array(shape, dtype="int64"))
        assert int(got[1]) == shape[0]
    else:
        assert got.shape == (0,) and got.dtype == np.int64


def test_shape_gradient_is_zero(mode):
    x = T.dmatrix("x")
    cost = T.cast(x.shape[0], "float64") * T.sum(x)
    g = jitgraph.function([x], T.grad(cost, x), mode=mode)(np.ones((3, 2)))
    assert_close(g, np.full((3, 2), 3.0))  # only through sum(x); the shape has no gradient


# ---------------------------------------------------------------- reshape

@pytest.mark.parametrize("src,new", [((2, 3), (3, 2)), ((2, 3), (-1,)), ((2, 3), (6, 1)), ((2, 3, 4), (4, -1)),
                                     ((0, 3), (3, 0)), ((0, 3), (-1,)), ((1, 1), ())])
def test_reshape_literal_shapes(mode, src, new):
    f = check_numpy(lambda x: x.reshape(new), lambda x: x.reshape(new), [rand(src)], mode)
    assert f.maker.fgraph.outputs[0].ndim == len(new)


def test_reshape_literal_static_type():
    x = T.dmatrix()
    assert x.reshape((3, -1)).type.shape == (3, None)
    assert x.reshape((1, -1)).broadcastable == (True, False)  # Theano: (True, False)
    assert x.reshape((6,)).type.shape == (6,)
    assert x.reshape(6).ndim == 1            # an int (Theano rejects; numpy's meaning)
    assert x.reshape(3, 2).ndim == 2         # varargs, as ndarray.reshape


def test_reshape_symbolic_shapes(mode):
    x, rows = T.dmatrix("x"), T.lscalar("rows")
    value = rand((4, 6))
    f = jitgraph.function([x, rows], x.reshape((rows, -1)), mode=mode)
    assert_close(f(value, 3), value.reshape(3, -1))
    assert_close(f(noncontiguous(value), 8), value.reshape(8, -1))
    shp = T.lvector("shp")
    g = jitgraph.function([x, shp], T.reshape(x, shp, ndim=3), mode=mode)
    assert_close(g(value, [2, -1, 3]), value.reshape(2, -1, 3))
    i32 = T.iscalar("i32")
    h = jitgraph.function([x, i32], x.reshape((i32, 2, -1)), mode=mode)
    assert_close(h(value, 2), value.reshape(2, 2, -1))


def test_reshape_gradient(mode):
    weights = rand((3, 4), seed=1)
    verify_grad(lambda x: x.reshape((3, -1)) * weights, [rand((2, 6))], n_tests=1, mode=mode)
    verify_grad(lambda x: x.reshape((4, 1, 3)).sum(axis=1), [rand((2, 6))], n_tests=1, mode=mode)


@pytest.mark.parametrize("new", [(3, -1), (-1,), (2, 3), (6, 1, 1)])
def test_reshape_infer_shape(mode, new):
    x = T.dmatrix("x")
    assert_infer_shape(x.reshape(new), [x], [rand((2, 3))], mode)
    rows = T.lscalar("rows")
    assert_infer_shape(x.reshape((rows, -1)), [x, rows], [rand((4, 6)), 8], mode)


def test_reshape_bad_input(mode):
    x, shp = T.dmatrix("x"), T.lvector("shp")
    with pytest.raises(ValueError, match="at most one dimension can be -1"):
        x.reshape((-1, -1))
    with pytest.raises(ValueError, match="negative dimension"):
        x.reshape((-2, 3))
    with pytest.raises(TypeError, match="integer"):
        x.reshape((2.0, 3))
    with pytest.raises(ValueError, match="pass ndim"):
        x.reshape(shp)
    with pytest.raises(ValueError, match="cannot reshape"):
        T.TensorType("float64", shape=(2, 3))("s").reshape((4, 2))
    with pytest.raises(ValueError, match="ndim=3"):
        T.reshape(x, np.array([2, 3]), ndim=3)
    f = jitgraph.function([x], x.reshape((4, 3)), mode=mode)
    with pytest.raises(ValueError, match="cannot reshape"):
        f(rand((2, 3)))
    g = jitgraph.function([x, shp], T.reshape(x, shp, ndim=2), mode=mode)
    with pytest.raises(ValueError, match="2 expected"):
        g(rand((2, 3)), [6])


# ---------------------------------------------------------------- flatten

@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_flatten_values(mode, ndim):
    value = rand((2, 3, 4))
    expected = value.reshape(value.shape[:ndim - 1] + (-1,))
    check_numpy(lambda x: T.flatten(x, ndim), lambda x: expected, [value], mode)
    def flat_reference(x):   # numpy's reshape cannot resolve (0, -1); flatten must
        return x.reshape(x.shape[:ndim - 1] + (np.prod(x.shape[ndim - 1:]),))
    check_numpy(lambda x: x.flatten(ndim), flat_reference, [rand((0, 3, 4))], mode)
    check_numpy(lambda x: T.flatten(x, outdim=ndim), lambda x: expected, [value], mode)


def test_flatten_scalar_and_types(mode):
    s = T.lscalar("s")
    assert_close(jitgraph.function([s], T.flatten(s), mode=mode)(3), np.array([3]))
    # broadcast patterns read from Theano 1.0.5
    assert T.flatten(T.dcol()).broadcastable == (False,)
    assert T.flatten(T.drow()).broadcastable == (False,)
    assert T.flatten(T.TensorType("float64", (True, False, True))(), 2).broadcastable == (True, False)
    assert T.flatten(T.TensorType("float64", (True, True))()).broadcastable == (True,)
    assert T.flatten(T.dtensor3(), 2).type.ndim == 2


def test_flatten_gradient_and_infer_shape(mode):
    weights = rand((2, 12), seed=3)
    verify_grad(lambda x: T.flatten(x, 2) * weights, [rand((2, 3, 4))], n_tests=1, mode=mode)
    x = T.dtensor3("x")
    assert_infer_shape(T.flatten(x, 2), [x], [rand((2, 3, 4))], mode)
    assert_infer_shape(T.flatten(x), [x], [rand((2, 0, 4))], mode)


def test_flatten_bad_ndim():
    x = T.dmatrix()
    for ndim in (0, 3):
        with pytest.raises(ValueError, match="between 1 and 2"):
            T.flatten(x, ndim)


# ---------------------------------------------------------------- dimshuffle / transpose

@pytest.mark.parametrize("pattern,shape", [((1, "x", 0), (2, 3)), (("x", 0, 1, "x"), (2, 3)), ((1, 0), (0, 3)),
                                           ((0,), (4, 1)), ((2, 0, 1), (2, 3, 4))])
def test_dimshuffle_values(mode, pattern, shape):
    bcast = tuple(n == 1 for n in shape)
    def expected(x):
        kept = [p for p in pattern if p != "x"]
        dropped = [d for d in range(x.ndim) if d not in kept]
        y = np.transpose(x, kept + dropped).reshape([x.shape[d] for d in kept])
        for i, p in enumerate(pattern):
            if p == "x":
                y = np.expand_dims(y, i)
        return y
    check_numpy(lambda x: x.dimshuffle(*pattern), expected, [rand(shape)], mode, broadcastable=[bcast])


def test_dimshuffle_type_and_gradient(mode):
    x = T.dmatrix()
    assert x.dimshuffle(1, "x", 0).broadcastable == (False, True, False)
    assert x.dimshuffle([1, 0]).type == x.type            # a list works too
    weights = rand((3, 1, 2), seed=2)
    verify_grad(lambda x: x.dimshuffle(1, "x", 0) * weights, [rand((2, 3))], n_tests=1, mode=mode)
    col = T.dcol("col")
    assert_infer_shape(col.dimshuffle("x", 0), [col], [rand((3, 1))], mode)


def test_dimshuffle_bad_input():
    x = T.dmatrix()
    with pytest.raises(ValueError, match="not broadcastable"):
        x.dimshuffle(0)
    with pytest.raises(ValueError, match="is not a dimension"):
        x.dimshuffle(0, 2)
    with pytest.raises(ValueError, match="appears twice"):
        x.dimshuffle(0, 0)


def test_transpose_values(mode):
    check_numpy(lambda x: x.T, lambda x: x.T, [rand((2, 3))], mode)
    check_numpy(lambda x: T.transpose(x), lambda x: x.T, [rand((2, 3, 4))], mode)
    check_numpy(lambda x: x.transpose(2, 0, 1), lambda x: x.transpose(2, 0, 1), [rand((2, 3, 4))], mode)
    check_numpy(lambda x: T.transpose(x, (-1, 0, 1)), lambda x: x.transpose(2, 0, 1), [rand((2, 0, 4))], mode)
    check_numpy(lambda x: x.T, lambda x: x, [rand((5,))], mode)
    s = T.dscalar("s")
    assert float(jitgraph.function([s], s.T, mode=mode)(3.0)) == 3.0


def test_transpose_gradient_and_bad_axes(mode):
    weights = rand((4, 2, 3), seed=5)
    verify_grad(lambda x: x.transpose(2, 0, 1) * weights, [rand((2, 3, 4))], n_tests=1, mode=mode)
    x = T.dmatrix()
    for axes in [(0, 0), (0,), (0, 2), (0, 3), (0, 1, 2)]:
        with pytest.raises(ValueError, match="not a permutation"):
            T.transpose(x, axes)


# ---------------------------------------------------------------- alloc, zeros, ones

def test_alloc_values_and_types(mode):
    n = T.lscalar("n")
    f = jitgraph.function([n], T.alloc(1.5, n, 3), mode=mode)
    assert_close(f(2), np.full((2, 3), 1.5, dtype="float32"))
    assert f(0).shape == (0, 3)
    assert T.alloc(1.5, n, 3).dtype == "float32"                      # Theano: 1.5 is a float32 constant
    assert T.alloc(1.5, 1, 3).broadcastable == (True, False)          # Theano
    assert T.alloc(T.dmatrix(), 1, 2, 3).broadcastable == (True, False, False)  # Theano
    assert T.alloc(T.drow(), 2, 3).broadcastable == (False, False)    # Theano
    check_numpy(lambda v: T.alloc(v, 2, 3), lambda v: np.broadcast_to(v, (2, 3)), [rand((3,))], mode)
    check_numpy(lambda r: T.alloc(r, 4, 2, 3), lambda r: np.broadcast_to(r, (4, 2, 3)), [rand((1, 3))], mode,
                broadcastable=[(True, False)])


def test_alloc_gradient_and_infer_shape(mode):
    weights = rand((4, 2, 3), seed=4)
    verify_grad(lambda x: T.alloc(x, 4, 2, 3) * weights, [rand((2, 3))], n_tests=1, mode=mode)
    verify_grad(lambda x: T.alloc(T.patternbroadcast(x, (True, False)), 4, 2, 3) * weights, [rand((1, 3))],
                n_tests=1, mode=mode)
    v, n = T.dvector("v"), T.lscalar("n")
    assert_infer_shape(T.alloc(v, n, 3), [v, n], [rand((3,)), 5], mode)


def test_alloc_bad_input(mode):
    x, n = T.dmatrix("x"), T.lscalar("n")
    with pytest.raises(TypeError, match="integer scalar"):
        T.alloc(1.5, 2.0)
    with pytest.raises(ValueError, match="cannot fill 1 dimensions"):
        T.alloc(x, 3)
    f = jitgraph.function([x], T.alloc(x, 3, 4), mode=mode)
    with pytest.raises(ValueError, match="broadcastable"):
        f(np.ones((2, 3)))      # (Theano 1.0.5 silently returned x here)
    with pytest.raises(ValueError, match="broadcastable"):
        f(np.ones((1, 4)))      # a size-1 dimension not marked broadcastable is not repeated
    g = jitgraph.function([n], T.alloc(1.0, n), mode=mode)
    with pytest.raises(ValueError, match="negative dimension"):
        g(-1)


def test_zeros_ones(mode):
    n = T.lscalar("n")
    f = jitgraph.function([n], [T.zeros((n, 2)), T.ones((2, n), dtype="int8"), T.ones(3), T.zeros(())],
                          mode=mode)
    z, o, o3, z0 = f(3)
    assert_close(z, np.zeros((3, 2)))
    assert_close(o, np.ones((2, 3), dtype="int8"))
    assert_close(o3, np.ones(3))
    assert z0.shape == () and z0.dtype == np.float64
    assert T.zeros((n, 2), dtype="int32").type.shape == (None, 2)
    with pytest.raises(ValueError, match="statically known length"):
        T.zeros(T.lvector())


def test_zeros_follow_floatx(floatX32):
    assert T.zeros((2, 3)).dtype == "float32"
    assert T.ones((2,)).dtype == "float32"


# ---------------------------------------------------------------- zeros_like, ones_like, fill

def test_like_and_fill_types():
    b = T.bmatrix()
    assert T.zeros_like(b).type == b.type                               # Theano: int8 matrix
    assert T.zeros_like(b, dtype="float32").dtype == "float32"
    assert T.ones_like(T.fmatrix(), dtype="int8").dtype == "int8"
    assert T.fill(b, 2.5).dtype == "float32"                            # Theano
    assert T.fill(T.fmatrix(), T.dscalar()).type == T.dmatrix().type    # Theano
    assert T.fill(T.fmatrix(), T.dvector()).type == T.dmatrix().type    # Theano


def test_like_and_fill_values(mode):
    check_numpy(T.zeros_like, np.zeros_like, [rand((2, 3))], mode)
    check_numpy(T.ones_like, np.ones_like, [rand((0, 3), "int32")], mode)
    check_numpy(lambda x: T.fill(x, 3.0), lambda x: np.full_like(x, 3.0), [rand((2, 3))], mode)
    check_numpy(lambda x, v: T.fill(x, v), lambda x, v: np.broadcast_to(v, x.shape), [rand((2, 3)), rand((3,))],
                mode)


def test_fill_gradient(mode):
    # d fill(x, v) / d v sums over the broadcast; x only gives the shape
    verify_grad(lambda x, v: T.fill(x, v) * rand((2, 3), seed=6), [rand((2, 3)), rand((3,))], n_tests=1, mode=mode)
    verify_grad(lambda x: T.zeros_like(x) + T.ones_like(x) * x, [rand((2, 3))], n_tests=1, mode=mode)


# ---------------------------------------------------------------- patternbroadcast, padding

def test_patternbroadcast(mode):
    x = T.dmatrix("x")
    row = T.patternbroadcast(x, (True, False))
    assert row.broadcastable == (True, False)
    assert T.patternbroadcast(T.drow(), (False, False)).broadcastable == (False, False)
    assert T.patternbroadcast(x, (False, False)) is x
    f = jitgraph.function([x], row, mode=mode)
    assert_close(f(noncontiguous(rand((1, 3)))), rand((1, 3)))
    with pytest.raises(ValueError, match="declared broadcastable but has size 2"):
        f(rand((2, 3)))
    with pytest.raises(ValueError, match="pattern"):
        T.patternbroadcast(x, (False,))
    verify_grad(lambda x: T.patternbroadcast(x, (True, False)) * rand((4, 3), seed=7), [rand((1, 3))], n_tests=1,
                mode=mode)
    assert T.addbroadcast(x, 1).broadcastable == (False, True)
    assert T.unbroadcast(T.drow(), 0).broadcastable == (False, False)


def test_shape_padding(mode):
    x = T.dmatrix("x")
    assert T.shape_padleft(x, 2).broadcastable == (True, True, False, False)
    assert T.shape_padright(x).broadcastable == (False, False, True)
    assert T.shape_padleft(x, 0) is x
    assert T.shape_padaxis(x, 1).broadcastable == (False, True, False)
    assert T.shape_padaxis(x, -1).broadcastable == (False, False, True)  # Theano
    for axis in (3, -4):
        with pytest.raises(IndexError, match="out of bounds"):
            T.shape_padaxis(x, axis)
    value = rand((2, 3))
    f = jitgraph.function([x], [T.shape_padleft(x), T.shape_padright(x, 2), T.shape_padaxis(x, -2)], mode=mode)
    left, right, mid = f(noncontiguous(value))
    assert_close(left, value[None])
    assert_close(right, value[:, :, None, None])
    assert_close(mid, value[:, None, :])
    verify_grad(lambda x: T.shape_padaxis(x, 1) * rand((2, 1, 3), seed=8), [value], n_tests=1, mode=mode)
