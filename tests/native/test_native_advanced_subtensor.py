"""Native code of advanced indexing (csrc_templates/advsub_*.c.tmpl, advsub.h) against the
numpy reference: FAST_RUN (native, asserted) vs FAST_COMPILE (each op's perform) on
contiguous, strided, negative-stride, Fortran-ordered and empty inputs; index arrays of
every integer dtype; repeated positions; bad indices and shapes raising what the
reference raises."""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from jitgraph.gradient import verify_grad
from jitgraph.compile.native_program import NativeStage
from jitgraph.tensor.advanced_subtensor import (AdvancedIncSubtensor, AdvancedIncSubtensor1,
                                                AdvancedSubtensor, AdvancedSubtensor1)
from helpers import assert_close, noncontiguous, rand

ADVANCED_OPS = (AdvancedSubtensor1, AdvancedSubtensor, AdvancedIncSubtensor1, AdvancedIncSubtensor)
INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


def sym(value, name):
    value = np.asarray(value)
    return T.TensorType(value.dtype, (False,) * value.ndim)(name)


def native_advanced_nodes(f):
    """The advanced-indexing nodes ``f`` runs natively; fails if one runs its reference."""
    stages = f._program.stages
    in_reference = [s[1] for s in stages if type(s) is tuple and isinstance(s[1].op, ADVANCED_OPS)]
    assert not in_reference, f"run by the reference: {in_reference}"
    return [n for s in stages if isinstance(s, NativeStage) for n in s.nodes if isinstance(n.op, ADVANCED_OPS)]


def compile_pair(inputs, outputs, fully_native=True):
    native = jitgraph.function(inputs, outputs, mode="FAST_RUN", on_unused_input="ignore")
    reference = jitgraph.function(inputs, outputs, mode="FAST_COMPILE", on_unused_input="ignore")
    assert native_advanced_nodes(native)
    if fully_native:
        assert all(type(s) is not tuple for s in native._program.stages), native._program.stages
    return native, reference


def layouts(a):
    """``a``'s values in several memory layouts."""
    a = np.asarray(a)
    yield "c", np.array(a, order="C")
    yield "strided", noncontiguous(a)
    if a.ndim:
        yield "reversed", np.flip(np.flip(a, 0).copy(), 0)   # negative stride on axis 0
    if a.ndim >= 2:
        yield "fortran", np.asfortranarray(a)


def assert_same(got, expected):
    if isinstance(expected, list):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_close(g, e)
            assert np.asarray(g).dtype == np.asarray(e).dtype
    else:
        assert_close(got, expected)
        assert np.asarray(got).dtype == np.asarray(expected).dtype


def check_all_layouts(native, reference, arrays):
    """Each layout applied to all arrays at once, then each array alone with negative strides."""
    per_array = [dict(layouts(a)) for a in arrays]
    for name in ("c", "strided", "reversed", "fortran"):
        args = [lay.get(name, lay["c"]) for lay in per_array]
        assert_same(native(*args), reference(*args))
    for k in range(len(arrays)):
        args = [lay["c"] for lay in per_array]
        args[k] = per_array[k].get("reversed", per_array[k]["c"])
        assert_same(native(*args), reference(*args))


X3 = rand((5, 4, 3), seed=1)
W = rand((6, 3), seed=2)
MASK_54 = rand((5, 4), "bool", seed=3)
MASK_5 = np.array([True, False, True, True, False])
MASK_4 = np.array([False, True, True, False])
IDX = np.array([2, 0, -1, 2, -5])
IDX_MAT = np.array([[0, 1], [5, -6], [3, 3]])


def slices(x, a, b, s, i):
    return x[a:b:s, i]


# (name, expression, arrays: x first then the index values)
GATHER_CASES = [
    ("vector", lambda x, i: x[i], [X3, IDX]),
    ("index_matrix", lambda w, i: w[i], [W, IDX_MAT]),
    ("pair_first_two_axes", lambda m, a, y: m[a, y], [W, np.arange(6), np.array([0, 2, 1, 1, 0, -1])]),
    ("second_axis", lambda x, i: x[:, i], [X3, np.array([3, 0, -1])]),
    ("last_axis", lambda x, i: x[:, :, i], [X3, np.array([[2, 0], [-1, 1]])]),
    ("separated", lambda x, i, j: x[i, 1:, j], [X3, np.array([1, 0, 4]), np.array([2, -1, 0])]),
    ("newaxis_separates", lambda x, i, j: x[i, None, j], [X3, np.array([0, 4]), np.array([3, -4])]),
    ("int_scalar_separated", lambda x, k, i: x[k, :, i], [X3, np.array(-2), np.array([0, 2, 2])]),
    ("int_scalar_adjacent", lambda x, k, i: x[:, k, i], [X3, np.array(3), np.array([0, 2, 2])]),
    ("broadcast_indices", lambda x, i, j: x[i, :, j], [X3, np.array([[0], [3]]), np.array([0, 2, 1])]),
    ("symbolic_slice_negative_step", slices, [X3, np.array(-1), np.array(0), np.array(-2), np.array([1, -1])]),
    ("mask_first_axis", lambda x, m: x[m], [X3, MASK_5]),
    ("mask_2d", lambda x, m: x[m], [X3, MASK_54]),
    ("mask_inner", lambda x, m: x[:, m], [X3, MASK_4]),
    ("mask_and_array", lambda x, m, i: x[m, i], [X3, MASK_54, np.arange(MASK_54.sum()) % 3]),
    ("mask_all_false", lambda x, m: x[m], [X3, np.zeros(5, bool)]),
]


@pytest.mark.parametrize("expr,arrays", [c[1:] for c in GATHER_CASES], ids=[c[0] for c in GATHER_CASES])
def test_gather_matches_reference(expr, arrays):
    syms = [sym(a, f"in{k}") for k, a in enumerate(arrays)]
    native, reference = compile_pair(syms, expr(*syms))
    check_all_layouts(native, reference, arrays)


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_index_arrays_of_every_integer_dtype(dtype):
    x, i, j = T.matrix("x"), T.TensorType(dtype, (False,))("i"), T.TensorType(dtype, (False, False))("j")
    native, reference = compile_pair([x, i, j], [x[i], x[j], x[i, j[0]], T.inc_subtensor(x[j], 1.0)])
    signed = np.dtype(dtype).kind == "i"
    iv = np.array([4, 0, -3, 1] if signed else [4, 0, 2, 1], dtype=dtype)
    jv = np.array([[1, 1, -1, 0], [0, 2, 2, 1]] if signed else [[1, 1, 4, 0], [0, 2, 2, 1]], dtype=dtype)
    xv = rand((5, 5), seed=4)
    for (_, ia), (_, ja) in zip(layouts(iv), layouts(jv)):
        for got, expected in zip(native(xv, ia, ja), reference(xv, ia, ja)):
            assert_close(got, expected)
    assert_close(native(xv, iv, jv)[0], xv[iv.astype("int64")])


@pytest.mark.parametrize("dtype", ["float32", "int32", "bool", "uint8"])
def test_data_dtypes(dtype):
    x, i = T.TensorType(dtype, (False, False))("x"), T.lvector("i")
    v = T.TensorType(dtype, (False,))("v")
    outs = [x[i], x[i, i[::-1]], T.set_subtensor(x[i, i], v), T.inc_subtensor(x[:, i], v)]
    native, reference = compile_pair([x, i, v], outs)
    xv, iv, vv = rand((4, 4), dtype, seed=5), np.array([3, 0, 0, -1]), rand((4,), dtype, seed=6)
    assert all(np.asarray(r).dtype == dtype for r in native(xv, iv, vv))
    check_all_layouts(native, reference, [xv, iv, vv])


def test_empty_inputs():
    x, i, j = T.matrix("x"), T.lvector("i"), T.lvector("j")
    empty = np.array([], "int64")
    rows = [x[i], T.inc_subtensor(x[i], 2.0), T.set_subtensor(x[i], 3.0)]
    native, reference = compile_pair([x, i, j], rows + [x[:, j], x[i, j], T.inc_subtensor(x[i, j], 1.0)])
    for xv in [rand((5, 3)), np.zeros((0, 3)), np.zeros((0, 0))]:
        check_all_layouts(native, reference, [xv, empty, empty])
    native, reference = compile_pair([x, i], rows)
    check_all_layouts(native, reference, [np.zeros((4, 0)), np.array([1, -2])])
    got = native(np.zeros((4, 0)), np.array([1, -2]))
    assert got[0].shape == (2, 0)


def test_empty_broadcast_reads_no_index():
    # numpy reads no index of an empty broadcast, so 7 is not an error there
    x, i, j = T.matrix("x"), T.lvector("i"), T.lvector("j")
    native, reference = compile_pair([x, i, j], [x[i, j], T.inc_subtensor(x[i, j], 1.0),
                                                 T.set_subtensor(x[i, j], 2.0)])
    xv = rand((5, 5), seed=23)
    check_all_layouts(native, reference, [xv, np.array([7]), np.array([], "int64")])
    got = native(xv, np.array([7]), np.array([], "int64"))
    assert got[0].shape == (0,)
    assert_close(got[1], xv)


def test_large_gather_and_scatter():
    # above JG_OMP_MIN elements: the gather loop may run on several threads
    w, idx = T.matrix("w"), T.lvector("idx")
    native, reference = compile_pair([w, idx], [w[idx], T.inc_subtensor(w[idx], 1.0)])
    wv = rand((1000, 64), seed=7)
    iv = np.random.RandomState(8).randint(-1000, 1000, size=700)
    assert_same(native(wv, iv), reference(wv, iv))


# ------------------------------------------------------------ set / inc

# (name, expression building the region from x and the index symbols, arrays: x then indices)
REGION_CASES = [
    ("vector_repeats", lambda x, i: x[i], [W, np.array([0, 5, 0, -6, 2])]),
    ("index_matrix", lambda x, i: x[i], [W, IDX_MAT]),
    ("pair_repeats", lambda x, a, y: x[a, y], [W, np.array([0, 1, 1, 5, 0]), np.array([2, 0, 0, -1, 2])]),
    ("second_axis", lambda x, i: x[:, i], [X3, np.array([3, 0, -1, 0])]),
    ("separated", lambda x, i, j: x[i, 1:, j], [X3, np.array([1, 1, 4]), np.array([0, 0, 2])]),
    ("newaxis_separates", lambda x, i, j: x[i, None, j], [X3, np.array([0, 4, 0]), np.array([3, -4, 3])]),
    ("int_scalar_separated", lambda x, k, i: x[k, :, i], [X3, np.array(-2), np.array([0, 2, 2])]),
    ("broadcast_indices", lambda x, i, j: x[i, :, j], [X3, np.array([[0], [0]]), np.array([0, 2, 0])]),
    ("symbolic_slice", lambda x, a, i: x[a::2, i], [X3, np.array(-4), np.array([1, -1, 1])]),
    ("mask_2d", lambda x, m: x[m], [X3, MASK_54]),
    ("mask_inner", lambda x, m: x[:, m], [X3, MASK_4]),
    ("mask_and_array", lambda x, m, i: x[m, i], [X3, MASK_54, np.arange(MASK_54.sum()) % 3]),
]


@pytest.mark.parametrize("region,arrays", [c[1:] for c in REGION_CASES], ids=[c[0] for c in REGION_CASES])
def test_set_and_inc_match_reference(region, arrays):
    syms = [sym(a, f"in{k}") for k, a in enumerate(arrays)]
    ref_region = region(*[np.asarray(a) for a in arrays])   # numpy computes the region's shape
    full = rand(ref_region.shape, seed=9)
    y, row = sym(full, "y"), T.vector("row")
    outs = []
    for change in (T.inc_subtensor, T.set_subtensor):
        outs += [change(region(*syms), y), change(region(*syms), 0.5)]   # a full value and a scalar
        if ref_region.ndim:
            outs.append(change(region(*syms), row))   # broadcast along the leading dims
    assert all(isinstance(o.owner.op, (AdvancedIncSubtensor, AdvancedIncSubtensor1)) for o in outs)
    native, reference = compile_pair(syms + [y, row], outs)
    rowv = rand(ref_region.shape[-1:] or (1,), seed=10)
    check_all_layouts(native, reference, list(arrays) + [full, rowv])


def test_repeated_positions_accumulate_or_last_write_wins():
    x, i, y = T.vector("x"), T.lvector("i"), T.vector("y")
    native, reference = compile_pair([x, i, y], [T.inc_subtensor(x[i], y), T.set_subtensor(x[i], y)])
    xv = np.zeros(3)
    iv = np.array([0, 2, 0, -3])
    yv = np.array([1.0, 2.0, 4.0, 8.0])
    reversed_iv, reversed_yv = np.flip(np.flip(iv).copy()), np.flip(np.flip(yv).copy())
    # in the index's own order whatever the layout (raw numpy, given a reversed index and
    # value, would write them from the end: the reference makes them contiguous first)
    for f in (native, reference):
        for args in [(xv, iv, yv), (xv, reversed_iv, yv), (xv, reversed_iv, reversed_yv)]:
            inc, set_ = f(*args)
            assert_close(inc, [13.0, 0.0, 2.0])
            assert_close(set_, [8.0, 0.0, 2.0])


def test_float32_accumulation():
    x, i, y = T.fmatrix("x"), T.ivector("i"), T.fmatrix("y")
    native, reference = compile_pair([x, i, y], T.inc_subtensor(x[i], y))
    iv = np.random.RandomState(11).randint(0, 4, size=50).astype("int32")
    xv, yv = rand((4, 7), "float32", seed=12), rand((50, 7), "float32", seed=13)
    check_all_layouts(native, reference, [xv, iv, yv])


def test_advanced_inc_subtensor1_op_directly():
    x, y, i = T.matrix("x"), T.matrix("y"), T.lvector("i")
    outs = [AdvancedIncSubtensor1()(x, y, i), AdvancedIncSubtensor1(True)(x, y, i)]
    native, reference = compile_pair([x, y, i], outs)
    xv, yv, iv = rand((4, 3), seed=14), rand((5, 3), seed=15), np.array([1, -1, 1, 0, 3])
    check_all_layouts(native, reference, [xv, yv, iv])


# ------------------------------------------------------------ gradients

def test_tutorial_negative_log_likelihood_and_gradient():
    """Logistic regression's ``-T.mean(T.log(p)[T.arange(n), y])`` and its gradient."""
    rng = np.random.RandomState(16)
    x, y = T.matrix("x"), T.lvector("y")
    w = jitgraph.shared(rng.randn(5, 3), name="W")
    b = jitgraph.shared(rng.randn(3), name="b")
    p = T.nnet.softmax(T.dot(x, w) + b)
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    gw, gb = T.grad(cost, [w, b])
    native, reference = compile_pair([x, y], [cost, gw, gb], fully_native=False)
    kinds = {type(n.op) for n in native_advanced_nodes(native)}
    assert kinds == {AdvancedSubtensor, AdvancedIncSubtensor}, kinds
    xv, yv = rng.randn(8, 5), rng.randint(0, 3, size=8)
    got, expected = native(xv, yv), reference(xv, yv)
    for g, e in zip(got, expected):
        assert_close(g, e)
    # the closed form: p - onehot(y), averaged
    logits = xv @ w.get_value() + b.get_value()
    pv = np.exp(logits - logits.max(1, keepdims=True))
    pv /= pv.sum(1, keepdims=True)
    delta = pv.copy()
    delta[np.arange(8), yv] -= 1
    assert_close(got[0], -np.mean(np.log(pv[np.arange(8), yv])))
    assert_close(got[1], xv.T @ delta / 8)
    assert_close(got[2], delta.sum(0) / 8)


@pytest.mark.parametrize("expr", [
    lambda x: x[[2, 0, 2, -1]],
    lambda x: x[[0, 1, 1], [2, 0, 0]],
    lambda x: x[:, [1, 1, 0]][[True, False, True, True]],
], ids=["vector", "pair", "axis1_then_mask"])
def test_verify_grad_native(expr):
    verify_grad(expr, [rand((4, 3), seed=17)], n_tests=1, mode="FAST_RUN")


def test_debug_mode_agrees_node_by_node():
    x, i, m = T.matrix("x"), T.lvector("i"), T.TensorType("bool", (False, False))("m")
    outs = [x[i], x[i, i[::-1]], x[m], T.inc_subtensor(x[i], 1.0), T.set_subtensor(x[:, i], 2.0),
            T.inc_subtensor(x[m], 3.0)]
    f = jitgraph.function([x, i, m], outs, mode="DEBUG")
    assert f._program.n_native >= len(outs)
    xv = rand((4, 4), seed=18)
    iv, mv = np.array([3, 0, 0, -1]), rand((4, 4), "bool", seed=19)
    for got, expected in zip(f(xv, iv, mv), [xv[iv], xv[iv, iv[::-1]], xv[mv]]):
        assert_close(got, expected)


# ------------------------------------------------------------ bad indices and shapes

def raises_like_reference(native, reference, args, exc_type, *fragments):
    with pytest.raises(exc_type) as ref_info:
        reference(*args)
    with pytest.raises(exc_type) as info:
        native(*args)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message, str(ref_info.value)


@pytest.mark.parametrize("bad", [5, -6, 100, -(2 ** 40)])
def test_out_of_range_index_raises_index_error(bad):
    x, i, y = T.matrix("x"), T.lvector("i"), T.matrix("y")
    xv = rand((5, 3), seed=20)
    iv = np.array([0, bad, 1])
    yv = rand((3, 3), seed=21)
    for out, op_name in [(x[i], "AdvancedSubtensor1"), (x[i, i[::-1] % 3], "AdvancedSubtensor"),
                         (T.inc_subtensor(x[i], y), "AdvancedIncSubtensor1"),
                         (T.set_subtensor(x[i], y), "AdvancedIncSubtensor1"),
                         (T.inc_subtensor(x[i, :2], y[:, :2]), "AdvancedIncSubtensor")]:
        native, reference = compile_pair([x, i, y], out)
        raises_like_reference(native, reference, [xv, iv, yv], IndexError, op_name, f"index {bad} ",
                              "axis 0 with size 5")


def test_bad_index_on_second_axis_and_in_a_strided_array():
    x, i = T.matrix("x"), T.TensorType("int16", (False,))("i")
    native, reference = compile_pair([x, i], x[:, i])
    iv = np.zeros(8, "int16")
    iv[6] = 3
    raises_like_reference(native, reference, [rand((2, 3)), iv[::2]], IndexError, "index 3 ", "axis 1 with size 3")
    raises_like_reference(native, reference, [rand((2, 3)), iv[-2::-2]], IndexError, "index 3 ")


def test_out_of_range_integer_scalar_and_uint64():
    x, k, i = T.matrix("x"), T.lscalar("k"), T.TensorType("uint64", (False,))("i")
    native, reference = compile_pair([x, k, i], x[k, i])
    xv = rand((4, 3), seed=22)
    raises_like_reference(native, reference, [xv, np.array(4), np.array([0], "uint64")], IndexError, "index 4 ")
    # an integer is checked even when the arrays select nothing (as numpy does)
    raises_like_reference(native, reference, [xv, np.array(-5), np.array([], "uint64")], IndexError, "index -5 ")
    raises_like_reference(native, reference, [xv, np.array(0), np.array([2 ** 63 + 1], "uint64")], IndexError,
                          "out of bounds")


def test_mask_of_the_wrong_shape():
    x, m = T.matrix("x"), T.TensorType("bool", (False,))("m")
    for out in [x[m], T.set_subtensor(x[m], 1.0)]:
        native, reference = compile_pair([x, m], out)
        raises_like_reference(native, reference, [rand((5, 3)), np.ones(4, bool)], IndexError,
                              "boolean index did not match", "size of axis is 5")


def test_index_arrays_that_do_not_broadcast():
    x, i, j = T.matrix("x"), T.lvector("i"), T.lvector("j")
    for out in [x[i, j], T.inc_subtensor(x[i, j], 1.0)]:
        native, reference = compile_pair([x, i, j], out)
        raises_like_reference(native, reference, [rand((5, 3)), np.array([0, 1]), np.array([0, 1, 2])], IndexError,
                              "shape mismatch", "(2,) (3,)")


def test_value_that_does_not_fit_the_region():
    x, i, y = T.matrix("x"), T.lvector("i"), T.matrix("y")
    args = [rand((5, 3)), np.array([0, 1]), rand((3, 3))]
    for change in (T.inc_subtensor, T.set_subtensor):
        for out in (change(x[i], y), change(x[i, i], y[0])):   # regions (2, 3) and (2,)
            native, reference = compile_pair([x, i, y], out)
            raises_like_reference(native, reference, args, ValueError, "could not be broadcast", "(3,")


def test_order_of_complaints_matches_numpy():
    # a bad index and a value of the wrong shape: assignment reports the value, np.add.at the index
    x, i, y = T.vector("x"), T.lvector("i"), T.vector("y")
    args = [np.zeros(5), np.array([0, 7]), np.ones(3)]
    native, reference = compile_pair([x, i, y], T.set_subtensor(x[i], y))
    raises_like_reference(native, reference, args, ValueError, "could not be broadcast")
    native, reference = compile_pair([x, i, y], T.inc_subtensor(x[i], y))
    raises_like_reference(native, reference, args, IndexError, "index 7 ")


def test_zero_slice_step():
    x, s, i = T.matrix("x"), T.lscalar("s"), T.lvector("i")
    native, reference = compile_pair([x, s, i], x[::s, i])
    raises_like_reference(native, reference, [rand((3, 3)), np.array(0), np.array([0])], ValueError,
                          "slice step cannot be zero")
