"""Advanced (integer-array and boolean-mask) indexing and set/inc_subtensor of it.

Reference values marked "Theano 1.0.5" were produced by the Theano oracle.
"""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from jitgraph.gradient import verify_grad
from jitgraph.tensor.advanced_subtensor import (AdvancedIncSubtensor, AdvancedIncSubtensor1,
                                                AdvancedSubtensor, AdvancedSubtensor1)
from helpers import assert_close, check_numpy, rand

X3 = rand((5, 4, 3), seed=1)
MASK_54 = rand((5, 4), "bool", seed=2)
MASK_4 = np.array([True, False, True, True])

# Constant indices: (name, index). Each is checked against numpy on contiguous and
# strided inputs, and the result type must agree with numpy's result.
CONSTANT_INDICES = [
    ("vector_repeats_negative", ([0, 4, -1, 0],)),
    ("int_matrix", (np.array([[0, 1], [4, -5], [2, 2]]),)),
    ("empty_list", ([],)),
    ("second_axis", (slice(None), [1, 0, 3])),
    ("adjacent_pair", (slice(None), [0, 1], [2, 0])),
    ("separated_pair", ([0, 2], slice(None), [1, 2])),
    ("int_and_array_separated", (1, slice(None), [0, 2])),
    ("int_and_array_adjacent", (slice(None), 2, [0, 2])),
    ("int_and_array_adjacent_after_slice", (slice(1, 3), 0, [[1], [2]])),
    ("separated_after_slice", (slice(None), [0, 1], None, [1, 0])),
    ("int_separated_by_newaxis", (slice(None), 1, None, [0, 2])),
    ("array_then_slice", ([0, 1], slice(1, 3))),
    ("broadcast_indices", (np.array([[0], [3]]), slice(None), [0, 2, 1])),
    ("mixed_step_negative_int", (np.array([1, 0]), slice(None, None, 2), -1)),
    ("mask_2d", (MASK_54,)),
    ("mask_inner", (slice(None), MASK_4)),
    ("mask_and_array", (MASK_54, np.arange(MASK_54.sum()) % 3)),
    ("mask_as_bool_list", ([True, False, True, False, True],)),
    ("newaxis_first", (None, [0, 1])),
    ("newaxis_separates", ([0, 1], None, [1, 0])),
    ("ellipsis", (Ellipsis, [0, 2])),
    ("ellipsis_with_mask", (MASK_54, Ellipsis)),
]


@pytest.mark.parametrize("name,index", CONSTANT_INDICES, ids=[c[0] for c in CONSTANT_INDICES])
def test_constant_index_matches_numpy(name, index, mode):
    check_numpy(lambda x: x[index], lambda x: x[index], [X3], mode)
    sym = T.TensorType("float64", shape=X3.shape)()[index]
    expected = X3[index]
    assert sym.ndim == expected.ndim
    for static, actual in zip(sym.type.shape, expected.shape):
        assert static is None or static == actual, (sym.type.shape, expected.shape)


@pytest.mark.parametrize("index_maker", [
    lambda x, i: x[i],
    lambda x, i: x[:, i],
    lambda x, i: x[i, 1:, i],
    lambda x, i: x[i, None, i],
], ids=["axis0", "axis1", "separated", "newaxis"])
def test_symbolic_integer_index_matches_numpy(index_maker, mode):
    idx = np.array([2, 0, -1, 2])
    check_numpy(index_maker, index_maker, [X3, idx], mode)


def test_symbolic_index_matrix_and_mask(mode):
    check_numpy(lambda w, i: w[i], lambda w, i: w[i], [X3[:, :, 0], np.array([[0, 1], [4, 4], [3, -2]])], mode)
    check_numpy(lambda x, m: x[m], lambda x, m: x[m], [X3, MASK_54], mode)
    check_numpy(lambda x, m: x[:, m], lambda x, m: x[:, m], [X3, MASK_4], mode)


def test_mask_from_comparison(mode):
    check_numpy(lambda x: x[x > 0], lambda x: x[x > 0], [X3], mode)
    check_numpy(lambda x: x[x[:, 0, 0] > 0], lambda x: x[x[:, 0, 0] > 0], [X3], mode)


def test_integer_and_bool_data_keep_their_dtype(mode):
    ints = rand((6, 2), "int32", seed=3)
    f = check_numpy(lambda x: x[[5, 0, 5]], lambda x: x[[5, 0, 5]], [ints], mode, out_dtype="int32")
    assert f(ints).dtype == np.int32
    bools = rand((6, 2), "bool", seed=4)
    check_numpy(lambda x: x[np.array([1, 1]), [0, 1]], lambda x: x[np.array([1, 1]), [0, 1]], [bools], mode,
                out_dtype="bool")


def test_narrow_and_unsigned_index_dtypes(mode):
    for dtype in ("int8", "int16", "int32", "uint8", "uint64"):
        check_numpy(lambda x, i: x[i], lambda x, i: x[i], [X3, np.array([4, 0, 1], dtype=dtype)], mode)


def test_empty_arrays(mode):
    empty_rows = np.zeros((0, 3))
    w, i = T.dmatrix("w"), T.lvector("i")
    f = jitgraph.function([w, i], w[i], mode=mode)
    assert f(empty_rows, np.zeros(0, "int64")).shape == (0, 3)
    assert f(X3[:, :, 0], np.zeros(0, "int64")).shape == (0, 4)
    no_cols = np.zeros((5, 0))
    assert_close(f(no_cols, np.array([4, 1])), no_cols[[4, 1]])
    m = T.TensorType("bool", (False, False))("m")
    g = jitgraph.function([w, m], w[m], mode=mode)
    assert g(X3[:, :, 0], np.zeros((5, 4), bool)).shape == (0,)
    h = jitgraph.function([w, i], T.inc_subtensor(w[i], 1.0), mode=mode)
    assert h(empty_rows, np.zeros(0, "int64")).shape == (0, 3)
    assert_close(h(X3[:, :, 0], np.zeros(0, "int64")), X3[:, :, 0])


def test_result_types_follow_theano():
    # Theano 1.0.5: a row index keeps its broadcastable dim; broadcast indices combine.
    assert T.dmatrix()[T.lrow()].broadcastable == (True, False, False)
    assert T.dmatrix()[T.lrow(), T.lcol()].broadcastable == (False, False)
    assert T.dmatrix()[:, T.lrow()].broadcastable == (False, True, False)
    assert T.dtensor3()[:, T.lrow(), T.lrow()].broadcastable == (False, True, False)
    assert T.dtensor3()[T.lrow(), :, T.lrow()].broadcastable == (True, False, False)
    assert T.dcol()[T.lvector()].broadcastable == (False, True)
    assert T.dmatrix()[T.lvector()].broadcastable == (False, False)
    assert T.dmatrix()[T.lmatrix()].ndim == 3
    assert T.dmatrix()[T.dmatrix() > 0].broadcastable == (False,)
    assert isinstance(T.dmatrix()[T.lvector()].owner.op, AdvancedSubtensor1)
    assert isinstance(T.dmatrix()[T.imatrix()].owner.op, AdvancedSubtensor1)
    assert isinstance(T.dmatrix()[:, T.lvector()].owner.op, AdvancedSubtensor)
    assert isinstance(T.dmatrix()[T.dmatrix() > 0].owner.op, AdvancedSubtensor)
    # static sizes come from constant indices
    assert T.TensorType("float64", shape=(7, 3))()[[1, 2]].type.shape == (2, 3)


def test_equal_indexings_are_equal_ops():
    x, i = T.dmatrix(), T.lvector()
    assert x[i].owner.op == x[i].owner.op
    assert x[i, 1:].owner.op == x[i, 2:].owner.op
    assert x[i, 1:].owner.op != x[1:, i].owner.op
    assert AdvancedIncSubtensor1(True) != AdvancedIncSubtensor1(False)
    assert T.set_subtensor(x[i, 1:], 0.0).owner.op == AdvancedIncSubtensor(("tensor", ("slice", True, False, False)),
                                                                          True)
    assert hash(AdvancedSubtensor(("tensor", "none"))) == hash(AdvancedSubtensor(["tensor", "none"]))


def test_output_never_aliases_input(mode):
    x = T.dvector("x")
    out = AdvancedSubtensor(("tensor",))(x, T.constant(np.int64(1)))   # numpy would return a view
    value = np.arange(3.0)
    result = jitgraph.function([x], out, mode=mode)(value)
    assert result == 1.0 and not np.shares_memory(result, value)


# ------------------------------------------------------------ errors

def test_out_of_range_index_is_an_index_error_naming_node_and_index(mode):
    w, i = T.dmatrix("w"), T.lvector("i")
    f = jitgraph.function([w, i], w[i], mode=mode)
    with pytest.raises(IndexError, match=r"index 5 is out of bounds.*size 4") as info:
        f(np.zeros((4, 2)), np.array([0, 5]))
    assert "AdvancedSubtensor1" in str(info.value) and "valid indices -4..3" in str(info.value)
    with pytest.raises(IndexError, match="index -5 is out of bounds"):
        f(np.zeros((4, 2)), np.array([-5]))
    g = jitgraph.function([w, i], w[1:, i], mode=mode)
    with pytest.raises(IndexError, match=r"AdvancedSubtensor\{.*index 3 is out of bounds"):
        g(np.zeros((4, 2)), np.array([3]))
    h = jitgraph.function([w, i], T.inc_subtensor(w[i], 1.0), mode=mode)
    with pytest.raises(IndexError, match=r"AdvancedIncSubtensor1\{inc\}.*index 9 is out of bounds"):
        h(np.zeros((4, 2)), np.array([9]))
    s = jitgraph.function([w, i], T.set_subtensor(w[i, i], 1.0), mode=mode)
    with pytest.raises(IndexError, match=r"AdvancedIncSubtensor\{set.*index 4 is out of bounds"):
        s(np.zeros((4, 2)), np.array([4]))


def test_runtime_shape_errors(mode):
    w, m = T.dmatrix("w"), T.TensorType("bool", (False,))("m")
    f = jitgraph.function([w, m], w[m], mode=mode)
    with pytest.raises(IndexError, match="boolean index did not match"):
        f(np.zeros((3, 2)), np.array([True, False]))
    i, j = T.lvectors("i", "j")
    g = jitgraph.function([w, i, j], w[i, j], mode=mode)
    with pytest.raises(IndexError, match="shape mismatch"):
        g(np.zeros((3, 2)), np.array([0, 1, 2]), np.array([0, 1]))
    v = T.dvector("v")
    h = jitgraph.function([w, i, v], T.inc_subtensor(w[i], v), mode=mode)
    with pytest.raises(ValueError, match=r"AdvancedIncSubtensor1.*value shape \(3,\)"):
        h(np.zeros((3, 2)), np.array([0, 1]), np.ones(3))


def test_bad_index_types_at_build_time():
    w = T.dmatrix("w")
    with pytest.raises(TypeError, match="integers or a boolean mask.*float64"):
        w[T.dvector("f")]
    with pytest.raises(TypeError, match="integers or a boolean mask"):
        w[[0.5, 1.5]]
    with pytest.raises(TypeError, match="at least one dimension"):
        w[T.TensorType("bool", ())(), T.lvector()]
    with pytest.raises(IndexError, match="too many indices"):
        w[[0], [0], [0]]
    with pytest.raises(IndexError, match="too many indices"):
        w[:, T.TensorType("bool", (False, False))()]
    with pytest.raises(IndexError, match="only have a single ellipsis"):
        w[..., [0], ...]
    with pytest.raises(IndexError, match="boolean index .* size 3 .* size 7"):
        T.TensorType("float64", shape=(7, 2))()[np.array([True, False, True])]
    with pytest.raises(IndexError, match="cannot be broadcast"):
        w[[0, 1], [0, 1, 1]]
    with pytest.raises(IndexError, match="cannot index the scalar"):
        AdvancedSubtensor1()(T.dscalar(), T.lvector())
    with pytest.raises(TypeError, match="integer array of at least one dimension"):
        AdvancedSubtensor1()(w, T.dvector())
    with pytest.raises(TypeError, match="2 index input"):
        AdvancedSubtensor(("tensor", "tensor"))(w, T.lvector())


def test_bad_values_for_set_and_inc():
    w, i = T.dmatrix("w"), T.lvector("i")
    with pytest.raises(TypeError, match="3-dimensional value into a 2-dimensional"):
        T.inc_subtensor(w[i], T.dtensor3())
    with pytest.raises(TypeError, match="2-dimensional value into a 1-dimensional"):
        T.set_subtensor(w[w > 0], T.dmatrix())
    with pytest.raises(ValueError, match="static shape"):
        T.set_subtensor(T.TensorType("float64", shape=(5, 3))()[[0, 1]], T.TensorType("float64", shape=(3, 3))())
    with pytest.raises(TypeError, match="dtype float32, float64 .* expected"):
        AdvancedIncSubtensor1()(w, T.fmatrix(), i)


# ------------------------------------------------------------ set / inc

def test_inc_with_repeated_indices_accumulates(mode):
    w, i = T.dmatrix("w"), T.lvector("i")
    idx = np.array([0, 0, 3, -1, 0])
    rows = rand((5, 3), seed=5)

    def expected_inc(a, b):
        out = a.copy()
        np.add.at(out, idx, b)
        return out
    check_numpy(lambda a, b: T.inc_subtensor(a[idx], b), expected_inc, [rand((4, 3), seed=6), rows], mode)
    # a symbolic index, a broadcast row and a scalar value
    f = jitgraph.function([w, i], [T.inc_subtensor(w[i], np.array([1.0, 2.0, 3.0])),
                                   T.inc_subtensor(w[i], 1.0)], mode=mode)
    got_row, got_scalar = f(np.zeros((4, 3)), idx)
    assert_close(got_row, [[3, 6, 9], [0, 0, 0], [0, 0, 0], [2, 4, 6]])
    assert_close(got_scalar, [[3, 3, 3], [0, 0, 0], [0, 0, 0], [2, 2, 2]])


def test_set_and_inc_general_index_theano_values(mode):
    w, i = T.dmatrix("w"), T.lvector("i")
    x = np.arange(12.0).reshape(4, 3)
    inc = jitgraph.function([w, i], T.inc_subtensor(w[i, i], 1.0), mode=mode)(x, np.array([0, 0, 1]))
    set_ = jitgraph.function([w, i], T.set_subtensor(w[i], np.array([[7.0, 8, 9], [1, 2, 3]])),
                             mode=mode)(x, np.array([0, 0]))
    # Theano 1.0.5: inc accumulates the repeated (0, 0); set keeps the last write.
    assert_close(inc, [[2, 1, 2], [3, 5, 5], [6, 7, 8], [9, 10, 11]])
    assert_close(set_, [[1, 2, 3], [3, 4, 5], [6, 7, 8], [9, 10, 11]])
    m = jitgraph.function([w], T.set_subtensor(w[w > 2], 0.0), mode=mode)
    assert_close(m(np.arange(6.0).reshape(3, 2)), [[0, 1], [2, 0], [0, 0]])


@pytest.mark.parametrize("name,index", [c for c in CONSTANT_INDICES if c[0] not in ("empty_list",)],
                         ids=[c[0] for c in CONSTANT_INDICES if c[0] != "empty_list"])
def test_set_and_inc_match_numpy(name, index, mode):
    region_shape = X3[index].shape
    value = rand(region_shape, seed=7)

    def np_inc(x, y):
        out = x.copy()
        np.add.at(out, index, y)
        return out

    def np_set(x, y):
        out = x.copy()
        out[index] = y
        return out
    check_numpy(lambda x, y: T.inc_subtensor(x[index], y), np_inc, [X3, value], mode)
    check_numpy(lambda x, y: T.set_subtensor(x[index], y), np_set, [X3, value], mode)


def test_set_casts_the_value_like_theano(mode):
    x, i, v = T.lmatrix("x"), T.lvector("i"), T.dvector("v")
    f = jitgraph.function([x, i, v], T.set_subtensor(x[i], v.dimshuffle("x", 0)), mode=mode)
    # Theano 1.0.5 result (the float value is cast to int64)
    assert_close(f(np.zeros((3, 2), "int64"), np.array([0]), np.array([1.5, 2.5])), [[1, 2], [0, 0], [0, 0]])


def test_theano_function_names(mode):
    w, i = T.dmatrix("w"), T.lvector("i")
    x = rand((4, 4), seed=8)
    idx = np.array([1, 1, 3])
    f = jitgraph.function([w, i], [T.advanced_subtensor1(w, i), T.advanced_inc_subtensor1(w, 1.0, i),
                                   T.advanced_set_subtensor1(w, 5.0, i), T.advanced_subtensor(w, i, 0),
                                   T.advanced_inc_subtensor(w, 1.0, slice(1, None), i),
                                   T.advanced_set_subtensor(w, -1.0, i, 2)], mode=mode)
    got = f(x, idx)
    inc = x.copy()
    np.add.at(inc, idx, 1.0)
    set5 = x.copy()
    set5[idx] = 5.0
    inc2 = x.copy()
    np.add.at(inc2, (slice(1, None), idx), 1.0)
    set2 = x.copy()
    set2[idx, 2] = -1.0
    for a, b in zip(got, [x[idx], inc, set5, x[idx, 0], inc2, set2]):
        assert_close(a, b)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("mode_", ["raise", "wrap", "clip"])
def test_take_matches_numpy(axis, mode_, mode):
    idx = np.array([[2, -1], [0, 1]]) if mode_ == "raise" else np.array([5, -7, 1])
    check_numpy(lambda a: T.take(a, idx, axis=axis, mode=mode_),
                lambda a: np.take(a, idx, axis=axis, mode=mode_), [X3], mode)


def test_take_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        T.take(T.dmatrix(), [0], mode="nearest")
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        T.take(T.dmatrix(), [0], axis=3)


# ------------------------------------------------------------ gradients

IDX = np.array([0, 2, 2, -1])


@pytest.mark.parametrize("fun", [
    lambda x: x[IDX] ** 2,
    lambda x: x[np.array([[1, 1], [0, 3]])],
    lambda x: x[:, IDX],
    lambda x: x[IDX, 1:],
    lambda x: x[IDX, np.array([1, 0, 2, 2])] * 3,
    lambda x: x[np.array([[0], [3]]), np.array([1, 2, 1])],
    lambda x: x[MASK_54[:4, :3]],
    lambda x: x[x > 0.1] ** 2,
    lambda x: x[None, IDX, None],
], ids=["vector", "matrix", "axis1", "with_slice", "pair", "broadcast", "mask", "mask_from_x", "newaxes"])
def test_getitem_gradients(fun):
    verify_grad(fun, [rand((4, 3), seed=9)])


def test_gradients_in_3d_separated_indices():
    verify_grad(lambda x: x[np.array([0, 1, 1]), :, np.array([2, 0, 2])], [rand((2, 3, 3), seed=10)])


def test_inc_gradients_with_repeats_and_broadcasting():
    verify_grad(lambda x, y: T.inc_subtensor(x[IDX], y), [rand((4, 3), seed=11), rand((4, 3), seed=12)])
    verify_grad(lambda x, y: T.inc_subtensor(x[IDX], y), [rand((4, 3), seed=11), rand((3,), seed=13)])
    verify_grad(lambda x, y: T.inc_subtensor(x[IDX, np.array([0, 1, 1, 2])], y),
                [rand((4, 3), seed=14), rand((4,), seed=15)])
    verify_grad(lambda x, y: T.inc_subtensor(x[:, IDX], y ** 2), [rand((4, 3), seed=16), rand((4, 4), seed=17)])


def test_set_gradients():
    distinct = np.array([3, 0, 1])
    verify_grad(lambda x, y: T.set_subtensor(x[distinct], y), [rand((4, 3), seed=18), rand((3, 3), seed=19)])
    verify_grad(lambda x, y: T.set_subtensor(x[distinct], y), [rand((4, 3), seed=18), rand((3,), seed=20)])
    verify_grad(lambda x, y: T.set_subtensor(x[distinct, np.array([0, 0, 2])], y) * x,
                [rand((4, 3), seed=21), rand((3,), seed=22)])
    verify_grad(lambda x, y: T.set_subtensor(x[MASK_54[:4, :3]], y.sum()) ** 2,
                [rand((4, 3), seed=23), rand((2,), seed=24)])


def test_gradient_to_integer_input_is_zero():
    w = T.lmatrix("w")
    cost = T.sum(w[[0, 0]]) * T.dscalar("s")
    gw = T.grad(cost, w)
    assert_close(gw.eval({w: np.ones((2, 2), "int64")}), np.zeros((2, 2)))


def test_embedding_gradient_theano_values(mode):
    w, im = T.dmatrix("w"), T.imatrix("im")
    gw = T.grad(T.sum(w[im] ** 2), w)
    f = jitgraph.function([w, im], gw, mode=mode)
    got = f(np.arange(8.0).reshape(4, 2), np.array([[0, 1], [0, 3]], "int32"))
    assert_close(got, [[0, 4], [4, 6], [0, 0], [12, 14]])   # Theano 1.0.5


def test_embedding_training_step_updates_only_used_rows(mode):
    W = jitgraph.shared(np.ones((5, 2)), name="W")
    idx = T.lmatrix("idx")
    cost = T.sum(W[idx])
    train = jitgraph.function([idx], cost, updates=[(W, W - 0.5 * T.grad(cost, W))], mode=mode)
    assert train(np.array([[0, 2], [2, 2]])) == 8.0
    assert_close(W.get_value(), [[0.5, 0.5], [1, 1], [-0.5, -0.5], [1, 1], [1, 1]])


P = np.array([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3], [0.7, 0.2, 0.1], [0.25, 0.25, 0.5]])
Y = np.array([2, 1, 0, 2])


def test_negative_log_likelihood_tutorial_pattern(mode):
    p, y = T.dmatrix("p"), T.lvector("y")
    cost = -T.mean(T.log(p)[np.arange(4), y])
    f = jitgraph.function([p, y], [cost, T.grad(cost, p)], mode=mode)
    value, grad = f(P, Y)
    # Theano 1.0.5 (with T.arange(y.shape[0])):
    assert_close(value, 0.56344873, dtype="float32")
    assert_close(grad, [[0, 0, -0.5], [0, -0.41666667, 0], [-0.35714286, 0, 0], [0, 0, -0.5]], dtype="float32")
    assert_close(value, -np.mean(np.log(P)[np.arange(4), Y]))
    verify_grad(lambda q: -T.mean(T.log(q)[np.arange(4), Y]), [P])


@pytest.mark.skipif(not hasattr(T, "arange"), reason="T.arange is not in jitgraph.tensor yet")
def test_negative_log_likelihood_with_symbolic_arange(mode):
    p, y = T.dmatrix("p"), T.lvector("y")
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    value, grad = jitgraph.function([p, y], [cost, T.grad(cost, p)], mode=mode)(P, Y)
    assert_close(value, -np.mean(np.log(P)[np.arange(4), Y]))
    assert_close(grad[1, 1], -1 / (4 * 0.6))


# ------------------------------------------------------------ infer_shape

def _inferred_and_actual(out, inputs, values):
    node = out.owner
    shapes = [tuple(T.shape(v)[d] for d in range(v.ndim)) for v in node.inputs]
    inferred = node.op.infer_shape(node, shapes)[0]
    f = jitgraph.function(inputs, [T.cast(s, "int64") for s in inferred] + [out], on_unused_input="ignore")
    results = f(*values)
    return tuple(int(s) for s in results[:-1]), results[-1].shape


@pytest.mark.parametrize("build", [
    lambda x, i, m: x[i],
    lambda x, i, m: x[i.dimshuffle(0, "x")],
    lambda x, i, m: x[1:, i],
    lambda x, i, m: x[i, None, i],
    lambda x, i, m: x[m],
    lambda x, i, m: x[m[:, 0], i[:1]],
    lambda x, i, m: x[i[:0], i[:1]],
    lambda x, i, m: T.inc_subtensor(x[i], 1.0),
    lambda x, i, m: T.set_subtensor(x[m], 1.0),
], ids=["vector", "matrix_index", "slice_then_index", "newaxis", "mask", "mask_and_len1", "len0_len1",
        "inc1", "set_mask"])
def test_infer_shape(build):
    x, i = T.dmatrix("x"), T.lvector("i")
    m = T.TensorType("bool", (False, False))("m")
    out = build(x, i, m)
    mask = np.array([[True, False, True], [False, False, True], [True, True, False], [False, False, False]])
    inferred, actual = _inferred_and_actual(out, [x, i, m], [rand((4, 3), seed=25), np.array([2, 0, 0, 1]), mask])
    assert inferred == actual


def test_float32_tutorial_pattern_keeps_float32(mode, floatX32):
    p, y = T.matrix("p"), T.ivector("y")
    cost = -T.mean(T.log(p)[np.arange(4), y])
    gp = T.grad(cost, p)
    assert gp.dtype == "float32"
    value, grad = jitgraph.function([p, y], [cost, gp], mode=mode)(P.astype("float32"), Y.astype("int32"))
    assert grad.dtype == np.float32
    assert_close(value, np.float32(0.56344873))
    assert_close(grad[2], np.float32([-0.35714286, 0, 0]))


def test_sparse_row_update_pattern(mode):
    # The classic word-embedding update: only the looked-up rows of a shared matrix move.
    W = jitgraph.shared(np.ones((3, 2)), name="W")
    idx = jitgraph.shared(np.array([0, 2]), name="idx")
    rows = W[idx]
    g = T.grad(T.sum(rows ** 2), rows)
    step = jitgraph.function([], rows, updates=[(W, T.inc_subtensor(rows, -0.25 * g))], mode=mode)
    assert_close(step(), np.ones((2, 2)))
    assert_close(W.get_value(), [[0.5, 0.5], [1, 1], [0.5, 0.5]])
