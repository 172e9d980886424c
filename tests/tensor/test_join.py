"""Join / Split and the functions built on them (join, concatenate, stack, split,
vertical_stack, horizontal_stack, stacklists): values against numpy (strided and empty
pieces), Theano's dtype and broadcast rules, constant and symbolic axes, gradients,
infer_shape and bad input. Expected types marked "Theano" were read from Theano 1.0.5."""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from jitgraph.gradient import verify_grad
from jitgraph.tensor.join import Join, Split
from helpers import assert_close, assert_infer_shape, check_numpy, noncontiguous, rand


# ---------------------------------------------------------------- values

@pytest.mark.parametrize("axis,shapes", [(0, [(2, 3), (4, 3)]), (1, [(2, 3), (2, 1), (2, 4)]),
                                         (-1, [(2, 3, 1), (2, 3, 2)]), (1, [(2, 0, 3), (2, 2, 3)]),
                                         (0, [(0, 3), (0, 3)]), (0, [(3,), (0,), (2,)])])
def test_concatenate_values(mode, axis, shapes):
    arrays = [rand(s, seed=i) for i, s in enumerate(shapes)]
    check_numpy(lambda *xs: T.concatenate(list(xs), axis=axis), lambda *xs: np.concatenate(xs, axis=axis),
                arrays, mode)
    check_numpy(lambda *xs: T.join(axis, *xs), lambda *xs: np.concatenate(xs, axis=axis), arrays, mode)


def test_concatenate_dtypes(mode):
    assert T.concatenate([T.bvector(), T.fvector()]).dtype == "float32"   # Theano
    assert T.concatenate([T.bvector(), T.bvector()]).dtype == "int8"      # Theano
    assert T.concatenate([T.vector(dtype="bool"), T.ivector()]).dtype == "int32"
    b, f32 = T.bvector("b"), T.fvector("f")
    fn = jitgraph.function([b, f32], T.concatenate([b, f32]), mode=mode)
    got = fn(np.array([1, -2], "int8"), np.array([0.5], "float32"))
    assert got.dtype == np.float32
    assert_close(got, np.array([1, -2, 0.5], "float32"))


def test_join_single_tensor_is_returned():
    x = T.dmatrix()
    assert T.join(0, x) is x          # Theano
    assert T.concatenate([x]) is x    # Theano


def test_join_symbolic_axis(mode):
    x, y, axis = T.dmatrix("x"), T.dmatrix("y"), T.lscalar("axis")
    out = T.join(axis, x, y)
    assert out.broadcastable == (False, False)
    f = jitgraph.function([axis, x, y], out, mode=mode)
    a, b = rand((2, 3)), rand((2, 3), seed=1)
    for ax in (0, 1, -1, -2):
        assert_close(f(ax, noncontiguous(a), b), np.concatenate([a, b], axis=ax))
    with pytest.raises(IndexError, match="out of bounds"):
        f(2, a, b)
    i8 = T.bscalar("i8")
    assert_close(jitgraph.function([i8, x, y], T.join(i8, x, y), mode=mode)(1, a, b), np.hstack([a, b]))


def test_join_broadcast_patterns():
    r, m = T.frow(), T.fmatrix()
    assert T.join(0, r, r).broadcastable == (False, False)    # Theano
    assert T.join(1, r, r).broadcastable == (True, False)     # Theano
    assert T.join(0, r, m).broadcastable == (False, False)    # Theano
    assert T.join(1, r, m).broadcastable == (True, False)     # Theano: any input broadcastable there
    assert T.join(0, T.fcol(), m).broadcastable == (False, True)   # Theano
    assert T.join(-1, m, m).broadcastable == (False, False)
    s23, s2n = T.TensorType("float64", shape=(2, 3))(), T.TensorType("float64", shape=(2, None))()
    assert T.join(1, s23, s23).type.shape == (2, 6)
    assert T.join(1, s23, s2n).type.shape == (2, None)
    assert T.join(0, s23, s2n).type.shape == (4, 3)
    assert T.join(0, s23, T.dmatrix()).type.shape == (None, 3)
    assert T.join(0, T.fvector(), T.fvector()).ndim == 1


def test_join_bad_input(mode):
    m, v = T.fmatrix("m"), T.fvector("v")
    with pytest.raises(TypeError, match="same number of dimensions"):
        T.concatenate([m, v])
    with pytest.raises(IndexError, match="out of bounds"):
        T.join(2, m, m)
    with pytest.raises(ValueError, match="out of bounds"):
        T.join(-3, m, m)
    with pytest.raises(TypeError, match="scalars"):
        T.join(0, T.fscalar(), T.fscalar())
    with pytest.raises(ValueError, match="empty list"):
        Join()(0)
    with pytest.raises(TypeError, match="list or a tuple"):
        T.concatenate(m, m)
    with pytest.raises(TypeError, match="integer scalar"):
        T.join(T.fscalar(), m, m)
    with pytest.raises(ValueError, match="static sizes"):
        T.join(0, T.TensorType("float64", shape=(None, 3))(), T.TensorType("float64", shape=(None, 4))())
    f = jitgraph.function([m], T.concatenate([m, m[1:]], axis=1), mode=mode)
    with pytest.raises(ValueError, match=r"tensor 1 has shape \(1, 2\) but tensor 0 has \(2, 2\)"):
        f(np.ones((2, 2), "float32"))
    r = T.frow("r")
    g = jitgraph.function([r, m], T.join(1, r, m), mode=mode)   # m must have one row
    assert g(np.ones((1, 2), "float32"), np.ones((1, 3), "float32")).shape == (1, 5)
    with pytest.raises(ValueError):
        g(np.ones((1, 2), "float32"), np.ones((2, 3), "float32"))


# ---------------------------------------------------------------- gradients and shapes

def test_join_gradient(mode):
    pts = [rand((2, 3)), rand((2, 1), seed=1), rand((2, 2), seed=2)]
    verify_grad(lambda a, b, c: T.concatenate([a, b, c], axis=1), pts, n_tests=1, mode=mode)
    verify_grad(lambda a, b: T.join(0, a, b) ** 2, [rand((2, 3)), rand((1, 3), seed=3)], n_tests=1, mode=mode)
    verify_grad(lambda a, b: T.stack([a, b], axis=1), [rand((2, 3)), rand((2, 3), seed=4)], n_tests=1, mode=mode)


def test_join_gradient_symbolic_axis_and_integer_input(mode):
    x, y, axis = T.dmatrix("x"), T.dmatrix("y"), T.lscalar("axis")
    weights = T.dmatrix("w")
    cost = T.sum(T.join(axis, x, y) * weights)
    f = jitgraph.function([axis, x, y, weights], T.grad(cost, [x, y]), mode=mode)
    w = rand((2, 6), seed=5)
    gx, gy = f(1, rand((2, 3)), rand((2, 3)), w)
    assert_close(gx, w[:, :3])
    assert_close(gy, w[:, 3:])
    w0 = rand((4, 3), seed=6)
    gx, gy = f(0, rand((2, 3)), rand((2, 3)), w0)
    assert_close(gx, w0[:2])
    assert_close(gy, w0[2:])
    # an integer piece has no gradient; the float piece still gets its slice
    ints = T.lmatrix("ints")
    g = jitgraph.function([x, ints], T.grad(T.sum(T.join(0, x, ints) * 2.0), x), mode=mode)
    assert_close(g(rand((2, 3)), np.ones((1, 3), "int64")), np.full((2, 3), 2.0))


def test_join_infer_shape(mode):
    x, y, axis = T.dmatrix("x"), T.dmatrix("y"), T.lscalar("axis")
    values = [rand((2, 3)), rand((2, 5))]
    assert_infer_shape(T.join(1, x, y), [x, y], values, mode)
    assert_infer_shape(T.join(axis, x, y), [axis, x, y], [-1] + values, mode)
    assert_infer_shape(T.join(axis, x, y), [axis, x, y], [0, rand((2, 3)), rand((4, 3))], mode)


# ---------------------------------------------------------------- split

def test_split_values_and_gradient(mode):
    x = T.dmatrix("x")
    a, b, c = T.split(x, [1, 0, 3], 3, axis=1)
    assert a.type.shape == (None, 1) and b.type.shape == (None, 0)
    f = jitgraph.function([x], [a, b, c], mode=mode)
    value = rand((2, 4))
    for got, want in zip(f(noncontiguous(value)), np.split(value, [1, 1], axis=1)):
        assert_close(got, want)
    sizes = T.lvector("sizes")
    g = jitgraph.function([x, sizes], T.split(x, sizes, 2, axis=0), mode=mode)
    top, bottom = g(value, [2, 0])
    assert_close(top, value) and bottom.shape == (0, 4)
    with pytest.raises(ValueError, match="sum to the length 2"):
        g(value, [1, 2])
    with pytest.raises(ValueError, match="3 sizes given for 2 splits"):
        g(value, [1, 1, 0])
    only = T.split(x, [4], 1, axis=1)
    assert not isinstance(only, list) and only.ndim == 2
    verify_grad(lambda x: T.split(x, [2, 2], 2, axis=1)[1] * 3.0, [value], n_tests=1, mode=mode)
    verify_grad(lambda x: sum(T.sum(p ** 2) * (i + 1) for i, p in enumerate(T.split(x, [1, 3], 2, axis=1))),
                [value], n_tests=1, mode=mode)


def test_split_bad_input_and_infer_shape(mode):
    x = T.dmatrix("x")
    with pytest.raises(ValueError, match="2 sizes given for 3 splits"):
        T.split(x, [1, 1], 3)
    with pytest.raises(TypeError, match="scalar"):
        Split(1)(T.dscalar(), 0, [1])
    with pytest.raises(ValueError, match="at least 1"):
        Split(0)
    axis = T.lscalar("axis")
    pieces = Split(2)(x, axis, [1, 2])
    assert_infer_shape(pieces[1], [x, axis], [rand((3, 3)), 1], mode)
    assert_infer_shape(T.split(x, [3, 1], 2, axis=0)[0], [x], [rand((4, 2))], mode)


# ---------------------------------------------------------------- stack and friends

def test_stack_scalars_types(mode):
    i, l, f, b = T.iscalar("i"), T.lscalar("l"), T.fscalar("f"), T.bscalar("b")
    assert T.stack([i, l]).type == T.lvector().type.clone(shape=(2,))    # Theano: int64 vector
    assert T.stack([i, f]).dtype == "float64"                            # Theano
    assert T.stack(b, b).dtype == "int8"                                  # Theano, old varargs form
    assert T.stack([1, 2.5]).dtype == "float32"                           # Theano
    assert T.stack([1, np.int64(2)]).dtype == "int64"                     # Theano
    assert T.stack([i, i], axis=-1).ndim == 1                             # Theano
    fn = jitgraph.function([i, l], T.stack([i, l, 7]), mode=mode)
    got = fn(3, -4)
    assert got.dtype == np.int64
    assert_close(got, np.array([3, -4, 7]))


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_stack_matrices(mode, axis):
    arrays = [rand((2, 3), seed=k) for k in range(3)]
    check_numpy(lambda *xs: T.stack(list(xs), axis=axis), lambda *xs: np.stack(xs, axis=axis), arrays, mode)
    check_numpy(lambda *xs: T.stack(list(xs), axis), lambda *xs: np.stack(xs, axis=axis),
                [rand((0, 3)), rand((0, 3))], mode)


def test_stack_call_forms_and_errors(mode):
    x, y = T.dmatrix("x"), T.dmatrix("y")
    a, b = rand((2, 3)), rand((2, 3), seed=1)
    for out in (T.stack(x, y), T.stack(tensors=[x, y], axis=1), T.stack(x, y, axis=1)):
        assert out.ndim == 3
    f = jitgraph.function([x, y], [T.stack(x, y), T.stack(x, y, axis=1)], mode=mode)
    first, second = f(a, b)
    assert_close(first, np.stack([a, b]))
    assert_close(second, np.stack([a, b], axis=1))
    with pytest.raises(ValueError, match="at least one tensor"):
        T.stack([])
    with pytest.raises(TypeError, match="same number of dimensions"):
        T.stack([x, T.dvector()])
    with pytest.raises(IndexError, match="out of bounds"):
        T.stack([x, x], axis=3)
    with pytest.raises(TypeError, match="unexpected keyword"):
        T.stack([x, y], dim=0)
    g = jitgraph.function([x, y], T.stack([x, y]), mode=mode)
    with pytest.raises(ValueError, match="must match"):
        g(a, rand((3, 3)))


def test_vertical_horizontal_stack_and_stacklists(mode):
    x, y = T.dmatrix("x"), T.dmatrix("y")
    a, b = rand((2, 3)), rand((2, 3), seed=1)
    f = jitgraph.function([x, y], [T.vertical_stack(x, y), T.horizontal_stack(x, y)], mode=mode)
    vert, horiz = f(a, b)
    assert_close(vert, np.vstack([a, b]))
    assert_close(horiz, np.hstack([a, b]))
    with pytest.raises(TypeError, match="joins matrices"):
        T.vertical_stack(x, T.dvector())
    s, t = T.lscalar("s"), T.lscalar("t")
    grid = T.stacklists([[s, t], [t, s]])
    assert grid.type.dtype == "int64" and grid.ndim == 2                 # Theano: int64 matrix
    assert_close(jitgraph.function([s, t], grid, mode=mode)(1, 2), np.array([[1, 2], [2, 1]]))
