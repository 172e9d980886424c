"""Basic indexing (integers, slices, None, Ellipsis) and basic set/inc_subtensor."""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from jitgraph.gradient import verify_grad
from jitgraph.tensor.subtensor import IncSubtensor, Subtensor
from helpers import assert_close, check_numpy, rand

X3 = rand((5, 4, 3), seed=31)

BASIC_INDICES = [
    ("int", (1,)),
    ("negative_int", (-1,)),
    ("numpy_int", (np.int32(2), np.int64(-2))),
    ("slice", (slice(1, 4),)),
    ("open_slices", (slice(None, 2), slice(3, None))),
    ("step", (slice(None, None, 2), slice(None), slice(1, None, 2))),
    ("negative_step", (slice(None, None, -1), slice(3, 0, -2))),
    ("bounds_past_the_end", (slice(-10, 10), slice(2, 99))),
    ("empty_slice", (slice(3, 1),)),
    ("int_and_slices", (slice(1, 3), 0, slice(None, None, -1))),
    ("all_ints", (4, 3, 2)),
    ("newaxis", (None, 1, None, slice(1, 3))),
    ("ellipsis", (Ellipsis, 1)),
    ("ellipsis_middle", (0, Ellipsis, slice(None, 1))),
    ("ellipsis_and_newaxis", (None, Ellipsis, None)),
]


@pytest.mark.parametrize("name,index", BASIC_INDICES, ids=[c[0] for c in BASIC_INDICES])
def test_basic_index_matches_numpy(name, index, mode):
    check_numpy(lambda x: x[index], lambda x: x[index], [X3], mode)
    sym = T.TensorType("float64", shape=X3.shape)()[index]
    expected = X3[index]
    assert sym.ndim == expected.ndim
    assert all(s is None or s == e for s, e in zip(sym.type.shape, expected.shape)), (sym.type.shape, expected.shape)


def test_symbolic_bounds_match_numpy(mode):
    i, j, k = np.array(1), np.array(-1), np.array(-2)
    check_numpy(lambda x, a, b, c: x[a:b, c], lambda x, a, b, c: x[int(a):int(b), int(c)], [X3, i, j, k], mode)
    check_numpy(lambda x, a, b, c: x[::b, a::c], lambda x, a, b, c: x[::int(b), int(a)::int(c)], [X3, i, j, k], mode)
    v, i32 = T.dvector("v"), T.iscalar("i32")
    f = jitgraph.function([v, i32], v[i32], mode=mode)
    assert f(np.arange(4.0), 3) == 3.0


def test_empty_and_integer_data(mode):
    check_numpy(lambda x: x[1:, :0], lambda x: x[1:, :0], [np.zeros((3, 2))], mode)
    check_numpy(lambda x: x[2:], lambda x: x[2:], [np.zeros((0, 2))], mode)
    ints = rand((4, 3), "int16", seed=32)
    check_numpy(lambda x: x[::-1, 1], lambda x: x[::-1, 1], [ints], mode, out_dtype="int16")


def test_result_does_not_alias_the_input(mode):
    x = T.dmatrix("x")
    value = np.arange(12.0).reshape(3, 4)
    out = jitgraph.function([x], x[1:, ::2], mode=mode)(value)
    assert_close(out, value[1:, ::2])
    assert not np.shares_memory(out, value)


def test_types():
    x = T.dmatrix()
    assert x[0].type == T.dvector().type
    assert x[1:3].broadcastable == (False, False)
    assert T.drow()[:, 1:].broadcastable == (True, False)
    assert T.drow()[1:].broadcastable == (False, False)   # a slice may empty a broadcastable dim
    assert T.TensorType("float64", shape=(5, 4))()[1:3, ::3].type.shape == (2, 2)
    assert T.TensorType("float64", shape=(5, 4))()[1:2].broadcastable == (True, False)
    assert x[None].broadcastable == (True, False, False)
    assert isinstance(x[1:].owner.op, Subtensor)
    assert x[1:].owner.op == x[2:].owner.op   # bounds are inputs, so equal indexings merge
    assert x[:, :] is x


def test_index_errors(mode):
    x, i = T.dmatrix("x"), T.lscalar("i")
    f = jitgraph.function([x, i], x[i], mode=mode)
    with pytest.raises(IndexError, match=r"Subtensor\{i\}.*: index 5 is out of bounds for axis 0 with size 3"):
        f(np.zeros((3, 4)), 5)
    g = jitgraph.function([x, i], x[::i], mode=mode)
    with pytest.raises(ValueError, match="slice step cannot be zero"):
        g(np.zeros((3, 4)), 0)
    with pytest.raises(ValueError, match="slice step cannot be zero"):
        T.TensorType("float64", shape=(3, 4))()[::0]
    with pytest.raises(TypeError, match="must be an int or a symbolic integer scalar, got float"):
        x[1.5]
    with pytest.raises(TypeError, match="integer scalar"):
        x[T.dscalar()]
    with pytest.raises(TypeError, match="slice start must be an integer scalar"):
        x[T.dscalar():]
    with pytest.raises(TypeError, match="bool"):
        x[True]
    with pytest.raises(IndexError, match="too many indices"):
        x[1, 2, 3]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., 1, ...]


def test_set_and_inc_match_numpy(mode):
    def np_set(x, y):
        out = x.copy()
        out[1:4, 2] = y
        return out

    def np_inc(x, y):
        out = x.copy()
        out[::2, ..., -1] += y
        return out
    check_numpy(lambda x, y: T.set_subtensor(x[1:4, 2], y), np_set, [X3, rand((3, 3), seed=33)], mode)
    check_numpy(lambda x, y: T.inc_subtensor(x[::2, ..., -1], y), np_inc, [X3, rand((3, 4), seed=34)], mode)
    # broadcast values: a row and a scalar
    check_numpy(lambda x, y: T.inc_subtensor(x[1:, 0], y), lambda x, y: np_add(x, (slice(1, None), 0), y),
                [X3, rand((3,), seed=35)], mode)
    x = T.dmatrix("x")
    f = jitgraph.function([x], [T.set_subtensor(x[1:], 0.0), T.inc_subtensor(x[:, 1], 1)], mode=mode)
    value = np.arange(6.0).reshape(3, 2)
    set_, inc = f(value)
    assert_close(set_, [[0, 1], [0, 0], [0, 0]])
    assert_close(inc, [[0, 2], [2, 4], [4, 6]])
    assert_close(value, np.arange(6.0).reshape(3, 2))   # the input is not modified


def np_add(x, index, y):
    out = x.copy()
    out[index] += y
    return out


def test_set_and_inc_errors(mode):
    x = T.dmatrix("x")
    with pytest.raises(ValueError, match="value has 2 dimensions, the indexed region only 1"):
        T.set_subtensor(x[0], T.dmatrix())
    with pytest.raises(TypeError, match="indexed variable"):
        T.set_subtensor(x, 1.0)
    v = T.dvector("v")
    f = jitgraph.function([x, v], T.inc_subtensor(x[1:], v), mode=mode)
    with pytest.raises(ValueError, match="IncSubtensor"):
        f(np.zeros((3, 2)), np.ones(3))


@pytest.mark.parametrize("fun", [
    lambda x: x[1:, ::-2] ** 2,
    lambda x: x[2, 1:],
    lambda x: x[None, -1, None],
    lambda x: x[1] * x[:, 0].sum(),
], ids=["slices", "int_and_slice", "newaxes", "reused"])
def test_subtensor_gradients(fun):
    verify_grad(fun, [rand((4, 3), seed=36)])


def test_set_and_inc_gradients():
    verify_grad(lambda x, y: T.set_subtensor(x[1:3], y) * x, [rand((4, 3), seed=37), rand((2, 3), seed=38)])
    verify_grad(lambda x, y: T.set_subtensor(x[:, 0], y), [rand((4, 3), seed=39), rand((), seed=40)])
    verify_grad(lambda x, y: T.inc_subtensor(x[::2], y) ** 2, [rand((4, 3), seed=41), rand((3,), seed=42)])
    verify_grad(lambda x, y: T.inc_subtensor(x[1, :2], y ** 2), [rand((4, 3), seed=43), rand((2,), seed=44)])


def test_infer_shape():
    x, i = T.dmatrix("x"), T.lscalar("i")
    for out in [x[i], x[1:, i], x[i:, ::2], x[-1:, 1:], T.set_subtensor(x[:i], 0.0)]:
        node = out.owner
        shapes = [tuple(T.shape(v)[d] for d in range(v.ndim)) for v in node.inputs]
        inferred = node.op.infer_shape(node, shapes)[0]
        assert isinstance(node.op, (Subtensor, IncSubtensor))
        f = jitgraph.function([x, i], [T.cast(s, "int64") for s in inferred] + [node.outputs[0]],
                              on_unused_input="ignore")
        results = f(np.zeros((5, 4)), 2)
        assert tuple(int(s) for s in results[:-1]) == results[-1].shape
