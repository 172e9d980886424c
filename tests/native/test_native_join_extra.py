"""Native code of Join and Split (jitgraph/tensor/join.py) and of the array-building ops of
jitgraph/tensor/extra_ops.py (ARange, Eye, Repeat, RepeatSum, ExtractDiag, PlaceDiagonal,
CumOp, Nonzero): each graph runs natively in FAST_RUN (no reference stage) and agrees with
the numpy reference (FAST_COMPILE) on random inputs in several layouts (strided, negative
strides, Fortran order, empty), on symbolic arguments, and on bad input (the same exception
type, with a message naming the node)."""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from helpers import assert_close, noncontiguous, rand
from jitgraph.codegen.lower import lowering_for
from jitgraph.tensor.extra_ops import ARange, Eye, PlaceDiagonal, RepeatSum


def layouts(a):
    """``a``'s values in several memory layouts."""
    a = np.asarray(a)
    yield np.ascontiguousarray(a)
    if a.ndim:
        yield noncontiguous(a)
        yield np.flip(np.flip(a).copy())   # negative strides in every dimension
        yield np.asfortranarray(a)


class Both:
    """One graph compiled natively (asserted to have no reference stage) and as the numpy
    reference."""

    def __init__(self, inputs, outputs):
        self.outputs = outputs
        self.native = jitgraph.function(inputs, outputs, mode="FAST_RUN", on_unused_input="ignore")
        stages = self.native._program.stages
        assert stages and all(type(s) is not tuple for s in stages), stages
        self.reference = jitgraph.function(inputs, outputs, mode="FAST_COMPILE", on_unused_input="ignore")

    def check(self, *args):
        got, want = self.native(*args), self.reference(*args)
        if not isinstance(want, list):
            got, want = [got], [want]
        for g, w in zip(got, want):
            assert g.dtype == w.dtype, (g.dtype, w.dtype)
            assert_close(g, w)
        return got

    def check_layouts(self, *args):
        """check() with every array argument in each layout (scalars as they are)."""
        variants = [list(layouts(a)) if np.ndim(a) else [a] for a in args]
        for k in range(max(len(v) for v in variants)):
            self.check(*[v[min(k, len(v) - 1)] for v in variants])

    def check_error(self, exc_type, node, *args):
        """Both raise ``exc_type`` with a message naming ``node``."""
        for f in (self.native, self.reference):
            with pytest.raises(exc_type) as info:
                f(*args)
            assert str(node) in str(info.value), (str(node), str(info.value))


# ---------------------------------------------------------------- Join

@pytest.mark.parametrize("axis", [0, 1, -1])
def test_join_constant_axis(axis):
    x, y = T.tensor3("x"), T.itensor3("y")   # float64 and int32: the int32 input is converted
    both = Both([x, y], T.join(axis, x, y, x))
    shapes = [(2, 3, 4)] * 3
    for k, n in enumerate((5, 0)):   # another length on the joined axis, then an empty input
        shape_y = list(shapes[k])
        shape_y[axis] = n
        both.check_layouts(rand(shapes[k], seed=k), rand(shape_y, "int32", -9, 9, seed=k + 1))
    both.check(rand((0, 0, 0)), rand((0, 0, 0), "int32"))
    other = (axis + 1) % 3   # every input empty in a dimension other than the axis
    shape = [2, 3, 4]
    shape[other] = 0
    both.check(rand(shape), rand(shape, "int32"))


def test_join_upcasts_small_ints_and_bools():
    b, i8, u8 = T.vector("b", dtype="bool"), T.vector("i8", dtype="int8"), T.vector("u8", dtype="uint8")
    out = T.join(0, b, i8, u8)
    assert out.dtype == "int16"
    both = Both([b, i8, u8], out)
    both.check_layouts(np.array([True, False, True]), np.array([-128, 5, 127], dtype="int8"),
                       np.array([0, 200, 255], dtype="uint8"))


def test_join_symbolic_axis():
    a, x, y = T.iscalar("a"), T.tensor3("x"), T.tensor3("y")
    out = T.join(a, x, y)
    both = Both([a, x, y], out)
    for axis in (0, 1, 2, -1, -3):
        shape_y = [2, 3, 4]
        shape_y[axis] = 3
        both.check_layouts(np.int32(axis), rand((2, 3, 4), seed=axis + 3), rand(shape_y, seed=9))
    # numpy's AxisError is an IndexError (and a ValueError); native code raises IndexError
    both.check_error(IndexError, out.owner, np.int32(3), rand((2, 3, 4)), rand((2, 3, 4)))
    both.check_error(IndexError, out.owner, np.int32(-4), rand((2, 3, 4)), rand((2, 3, 4)))
    both.check_error(ValueError, out.owner, np.int32(0), rand((2, 3, 4)), rand((2, 3, 5)))


def test_join_mismatched_shapes():
    x, y = T.matrix("x"), T.matrix("y")
    out = T.concatenate([x, y], axis=1)
    both = Both([x, y], out)
    both.check_error(ValueError, out.owner, rand((2, 3)), rand((3, 3)))
    with pytest.raises(ValueError, match=r"tensor 1 has shape \(3, 3\) but tensor 0 has \(2, 3\)"):
        both.native(rand((2, 3)), rand((3, 3)))


def test_join_gradient_runs_split_natively():
    a, x, y = T.lscalar("a"), T.matrix("x"), T.matrix("y")
    w = T.matrix("w")
    cost = T.sum(T.join(a, x, y) * w)
    both = Both([a, x, y, w], T.grad(cost, [x, y]))
    both.check(np.int64(0), rand((2, 3)), rand((4, 3)), rand((6, 3), seed=3))
    both.check(np.int64(1), rand((2, 3)), rand((2, 1)), rand((2, 4), seed=3))


# ---------------------------------------------------------------- Split

def test_split_symbolic_sizes_and_axis():
    x, sizes, a = T.matrix("x"), T.lvector("sizes"), T.lscalar("a")
    pieces = T.split(x, sizes, 3, axis=a)
    both = Both([x, sizes, a], pieces)
    both.check_layouts(rand((4, 5)), np.array([1, 0, 3]), np.int64(0))
    both.check_layouts(rand((4, 5)), np.array([2, 2, 1]), np.int64(1))
    both.check_layouts(rand((4, 5)), np.array([0, 5, 0]), np.int64(-1))
    both.check(rand((0, 5)), np.array([0, 0, 0]), np.int64(0))
    node = pieces[0].owner
    both.check_error(ValueError, node, rand((4, 5)), np.array([1, 1, 1]), np.int64(0))    # sum 3, not 4
    both.check_error(ValueError, node, rand((4, 5)), np.array([5, -1, 0]), np.int64(0))   # negative
    both.check_error(ValueError, node, rand((4, 5)), np.array([2, 2]), np.int64(0))       # 2 sizes, 3 pieces
    both.check_error(IndexError, node, rand((4, 5)), np.array([2, 2, 0]), np.int64(2))    # no axis 2
    with pytest.raises(ValueError, match=r"sizes \[5, -1, 0\] must be non-negative and sum to the length 4"):
        both.native(rand((4, 5)), np.array([5, -1, 0]), np.int64(0))


def test_split_sizes_from_scalars_constant_axis():
    x, i = T.tensor3("x"), T.iscalar("i")
    pieces = T.split(x, [i, 2], 2, axis=1)
    both = Both([x, i], pieces)
    both.check_layouts(rand((2, 5, 3)), np.int32(3))
    both.check_error(ValueError, pieces[0].owner, rand((2, 5, 3)), np.int32(4))


# ---------------------------------------------------------------- ARange

def test_arange_symbolic_int_bounds():
    start, stop, step = T.lscalar("start"), T.lscalar("stop"), T.lscalar("step")
    out = T.arange(start, stop, step)
    both = Both([start, stop, step], out)
    for bounds in [(0, 10, 3), (10, -7, -3), (5, 5, 1), (5, 0, 1), (-4, 4, 1), (0, 1, 5), (7, -1, -1)]:
        (got,) = both.check(*(np.int64(v) for v in bounds))
        assert got.tolist() == list(range(*bounds))
    both.check_error(ValueError, out.owner, np.int64(0), np.int64(5), np.int64(0))

    n = T.iscalar("n")   # int32 bounds still give int64 (Theano's rule), one-argument form
    Both([n], T.arange(n)).check(np.int32(6))


def test_arange_symbolic_float_bounds():
    start, stop, step = T.dscalar("start"), T.dscalar("stop"), T.dscalar("step")
    out = T.arange(start, stop, step)
    both = Both([start, stop, step], out)
    for bounds in [(0.1, 100.3, 0.37), (1, -1, -0.25), (0, 1e-3, 1), (2.5, 0, 1), (-1, 1, 0.1)]:
        both.check(*(np.float64(v) for v in bounds))
    for bad in [(0, 5, 0.0), (0, np.nan, 1), (0, np.inf, 1), (np.inf, 0, 1)]:
        both.check_error(ValueError, out.owner, *(np.float64(v) for v in bad))

    fs, fe, fst = T.fscalar("fs"), T.fscalar("fe"), T.fscalar("fst")
    out32 = T.arange(fs, fe, fst)
    assert out32.dtype == "float32"
    Both([fs, fe, fst], out32).check(np.float32(0.1), np.float32(100.3), np.float32(0.37))

    i = T.lscalar("i")   # an int start with a float stop: float64
    Both([i, stop], T.arange(i, stop)).check(np.int64(-2), np.float64(3.5))


def test_arange_float_bounds_to_int_dtypes():
    # numpy converts start and start + step to the dtype, then steps by their difference
    start, stop, step = T.dscalar("start"), T.dscalar("stop"), T.dscalar("step")
    outs = [T.arange(start, stop, step, dtype=d) for d in ("int32", "uint8", "int64", "float32")]
    both = Both([start, stop, step], outs)
    got = both.check(np.float64(0.5), np.float64(5.6), np.float64(0.7))
    assert got[0].tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    got = both.check(np.float64(3), np.float64(-3), np.float64(-1.5))
    assert got[1].tolist() == [3, 1, 255, 253]


def test_arange_bool_dtype_keeps_its_reference():
    # numpy's TypeError for a bool arange longer than 2 has no native status code
    n = T.lscalar("n")
    out = ARange("bool")(0, n, 1)
    assert lowering_for(out.owner) is None
    f = jitgraph.function([n], out, mode="FAST_RUN")
    assert f(np.int64(2)).tolist() == [False, True]
    with pytest.raises(TypeError):
        f(np.int64(3))


# ---------------------------------------------------------------- Eye

def test_eye_symbolic_arguments():
    n, m, k = T.lscalar("n"), T.lscalar("m"), T.lscalar("k")
    outs = [T.eye(n, m, k), Eye("int8")(n, m, k), Eye("bool")(n, m, k), Eye("float32")(n, m, k)]
    both = Both([n, m, k], outs)
    for args in [(3, 5, 1), (4, 2, -1), (3, 3, 0), (0, 4, 0), (3, 0, 0), (3, 4, 10), (3, 4, -10),
                 (5, 5, -2 ** 62), (5, 5, 2 ** 62), (1, 1, 0)]:
        both.check(*(np.int64(v) for v in args))
    both.check_error(ValueError, outs[0].owner, np.int64(-1), np.int64(3), np.int64(0))
    both.check_error(ValueError, outs[0].owner, np.int64(2), np.int64(-3), np.int64(0))

    i = T.iscalar("i")   # int32 arguments
    Both([i], T.eye(i, i + 1, -1)).check(np.int32(4))


# ---------------------------------------------------------------- Repeat

def test_repeat_vector_counts():
    x, r = T.tensor3("x"), T.lvector("r")
    out = T.repeat(x, r, axis=1)
    both = Both([x, r], out)
    both.check_layouts(rand((2, 4, 3)), np.array([1, 0, 3, 2]))
    both.check_layouts(rand((2, 4, 3)), np.array([2]))          # one count for every element
    both.check(rand((2, 4, 3)), np.array([0, 0, 0, 0]))
    both.check(rand((2, 0, 3)), np.array([], dtype="int64"))
    both.check(rand((0, 4, 3)), np.array([1, 2, 3, 4]))
    both.check_error(ValueError, out.owner, rand((2, 4, 3)), np.array([1, -1, 2, 0]))
    both.check_error(ValueError, out.owner, rand((2, 4, 3)), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match=r"repeats must be non-negative, got \[1, -1, 2, 0\]"):
        both.native(rand((2, 4, 3)), np.array([1, -1, 2, 0]))


def test_repeat_scalar_counts_each_axis():
    x, c = T.tensor3("x"), T.iscalar("c")
    outs = [T.repeat(x, c, axis=0), T.repeat(x, c, axis=2), T.repeat(x, c)]
    both = Both([x, c], outs)
    for count in (0, 1, 3):
        both.check_layouts(rand((2, 3, 4)), np.int32(count))
    both.check(rand((2, 0, 4)), np.int32(2))
    both.check_error(ValueError, outs[0].owner, rand((2, 3, 4)), np.int32(-2))


def test_repeat_every_element_size():
    r = T.lvector("r")
    xs = [T.vector("b", dtype="bool"), T.vector("i16", dtype="int16"), T.fvector("f32"), T.matrix("m")]
    both = Both(xs + [r], [T.repeat(x, r, axis=0) for x in xs])
    counts = np.array([2, 0, 1])
    both.check_layouts(rand((3,), "bool"), rand((3,), "int16", -50, 50), rand((3,), "float32"), rand((3, 2)),
                       counts)


def test_repeat_sum_direct_and_as_gradient():
    g, r, n = T.tensor3("g"), T.lvector("r"), T.lscalar("n")
    out = RepeatSum(1)(g, r, n)
    both = Both([g, r, n], out)
    both.check_layouts(rand((2, 6, 3)), np.array([1, 0, 3, 2]), np.int64(4))
    both.check_layouts(rand((2, 8, 3)), np.array([2]), np.int64(4))
    both.check(rand((2, 0, 3)), np.array([0, 0]), np.int64(2))
    both.check(rand((0, 6, 3)), np.array([1, 2, 3]), np.int64(3))
    both.check_error(ValueError, out.owner, rand((2, 5, 3)), np.array([1, 0, 3, 2]), np.int64(4))  # 5 != 6
    both.check_error(ValueError, out.owner, rand((2, 6, 3)), np.array([7, -1]), np.int64(2))
    both.check_error(ValueError, out.owner, rand((2, 6, 3)), np.array([1, 2, 3]), np.int64(4))
    both.check_error(ValueError, out.owner, rand((2, 6, 3)), np.array([2]), np.int64(-3))

    # float32 sums in order, as np.add.at does; the last axis; a scalar count
    gf, c = T.ftensor3("gf"), T.iscalar("c")
    Both([gf, c, n], RepeatSum(2)(gf, c, n)).check_layouts(rand((2, 3, 12), "float32"), np.int32(3),
                                                           np.int64(4))

    x, w = T.matrix("x"), T.matrix("w")
    cost = T.sum(T.repeat(x, r, axis=0) * w)
    Both([x, r, w], T.grad(cost, x)).check(rand((3, 2)), np.array([2, 0, 1]), rand((3, 2), seed=5))


# ---------------------------------------------------------------- ExtractDiag, PlaceDiagonal

def test_extract_diag_offsets_and_axes():
    x = T.tensor3("x")
    combos = [(0, 0, 1), (1, 0, 1), (-2, 0, 1), (1, 2, 0), (-1, 1, 2), (0, 2, 1), (10, 0, 1), (-10, 1, 2)]
    both = Both([x], [T.diagonal(x, k, a1, a2) for k, a1, a2 in combos])
    both.check_layouts(rand((3, 4, 5)))
    both.check(rand((0, 4, 5)))
    both.check(rand((3, 0, 5)))
    m = T.matrix("m")
    Both([m], [T.diag(m), T.diag(m, 2), T.diag(m, -1)]).check_layouts(rand((4, 3)))


def test_place_diagonal():
    v = T.vector("v")
    both = Both([v], [T.diag(v), T.diag(v, 2), T.diag(v, -1)])
    both.check_layouts(rand((4,)))
    both.check(rand((0,)))

    shp, y = T.lvector("shp"), T.matrix("y")
    out = PlaceDiagonal(1, 0, 2)(shp, y)
    both = Both([shp, y], out)
    both.check_layouts(np.array([3, 2, 5]), rand((2, 3)))     # diagonal 1 of a 3 x 5 plane: length 3
    both.check(np.array([3, 0, 5]), rand((0, 3)))
    both.check(np.array([3, 2, 1]), rand((2, 0)))
    both.check_error(ValueError, out.owner, np.array([3, 2, 5]), rand((2, 4)))      # does not fit
    both.check_error(ValueError, out.owner, np.array([3, -2, 5]), rand((2, 3)))     # negative dimension
    both.check_error(ValueError, out.owner, np.array([3, 2, 5, 1]), rand((2, 3)))   # 4 entries for 3-d

    x = T.tensor3("x")   # the gradient of diagonal places it back
    Both([x], T.grad(T.sum(T.diagonal(x, 1, 2, 0) ** 2), x)).check(rand((3, 2, 4)))


# ---------------------------------------------------------------- CumOp

def test_cumsum_cumprod_float64():
    x = T.tensor3("x")
    both = Both([x], [T.cumsum(x, axis=0), T.cumsum(x, axis=1), T.cumsum(x, axis=-1), T.cumsum(x),
                      T.cumprod(x, axis=1), T.cumprod(x)])
    both.check_layouts(rand((3, 4, 5), low=0.5, high=1.5))
    both.check(rand((3, 0, 5)))
    both.check(rand((0, 4, 5)))


def test_cumop_other_dtypes():
    f, i8, b = T.ftensor3("f"), T.tensor3("i8", dtype="int8"), T.matrix("b", dtype="bool")
    outs = [T.cumsum(f, axis=1), T.cumprod(f, axis=2), T.cumsum(i8, axis=2), T.cumprod(i8, axis=0),
            T.cumsum(b, axis=0), T.cumprod(b, axis=1)]
    assert outs[4].dtype == "int64" and outs[2].dtype == "int8"
    both = Both([f, i8, b], outs)
    both.check_layouts(rand((3, 4, 5), "float32"), rand((3, 4, 5), "int8", -100, 100), rand((4, 6), "bool"))


# ---------------------------------------------------------------- Nonzero

def test_nonzero_values_and_layouts():
    a = T.tensor3("a")
    outs = [T.nonzero(a, return_matrix=True), T.flatnonzero(a)]
    both = Both([a], outs)
    values = rand((3, 4, 5)).round()
    values[0, 0, 0], values[1, 2, 3] = np.nan, -0.0
    both.check_layouts(values)
    both.check(np.zeros((3, 4, 5)))
    both.check(rand((3, 0, 5)))
    got = both.native(values)[0]
    assert got.shape == (3, np.count_nonzero(values))

    b, i = T.vector("b", dtype="bool"), T.matrix("i", dtype="int16")
    Both([b, i], [T.nonzero(b, return_matrix=True), T.nonzero(i, return_matrix=True)]).check_layouts(
        rand((7,), "bool"), rand((3, 4), "int16", -1, 1))


# ---------------------------------------------------------------- large inputs

def test_large_inputs_take_the_parallel_loops():
    # 40,000+ elements: past JG_OMP_MIN, so the OpenMP loops of every op run
    x, r, n = T.matrix("x"), T.lvector("r"), T.lscalar("n")
    outs = [T.join(1, x, x[::-1], np.ones((200, 3))), T.repeat(x, r, axis=0), T.repeat(x, 2, axis=1),
            RepeatSum(0)(x, 2, n), T.cumsum(x, axis=0), T.cumprod(x, axis=1), T.nonzero(x, return_matrix=True),
            T.diagonal(x), T.arange(n * 1000, dtype="float32"), T.arange(n * 1000)]
    both = Both([x, r, n], outs)
    values = rand((200, 210), low=0.9, high=1.1).round(1) - 1   # many exact zeros
    counts = np.arange(200) % 3
    both.check(values, counts, np.int64(100))   # RepeatSum: 200 rows are 100 runs of 2
    both.check(values[:, ::-1], counts, np.int64(100))
