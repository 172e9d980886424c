"""Reductions (sum prod mean var std max min argmax argmin all any) and products (dot, @,
outer, tensordot, batched_dot): values against numpy, output dtypes against Theano 1.0.5,
gradients and bad input."""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from jitgraph.gradient import verify_grad
from jitgraph.tensor.type import TensorType
from helpers import check_numpy, rand


def _np_arg(fn):
    """numpy's argmax/argmin extended to several axes as Theano does: the reduced axes are
    moved last (in increasing order) and flattened."""
    def arg(x, axis=None, keepdims=False):
        axes = tuple(range(x.ndim)) if axis is None else tuple(sorted(a % x.ndim for a in np.atleast_1d(axis)))
        keep = [d for d in range(x.ndim) if d not in axes]
        moved = np.transpose(x, keep + list(axes))
        out = fn(moved.reshape(moved.shape[:len(keep)] + (-1,)), axis=-1)
        return np.expand_dims(out, axes) if keepdims else out
    return arg


# name -> (numpy reference taking axis= and keepdims=, input range)
REDUCTIONS = {
    "sum": (np.sum, (-2, 2)),
    "prod": (np.prod, (0.5, 1.5)),
    "mean": (np.mean, (-2, 2)),
    "var": (np.var, (-2, 2)),
    "std": (np.std, (-2, 2)),
    "max": (np.max, (-2, 2)),
    "min": (np.min, (-2, 2)),
    "argmax": (_np_arg(np.argmax), (-2, 2)),
    "argmin": (_np_arg(np.argmin), (-2, 2)),
    "all": (np.all, (-1, 1)),
    "any": (np.any, (-1, 1)),
}
AXES = [None, 0, 1, -1, (0, 2), [2, 0], (-1, 1), (0, 1, 2)]


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("axis", AXES, ids=str)
def test_reductions_against_numpy(name, axis, mode):
    ref, (lo, hi) = REDUCTIONS[name]
    dtype = "int8" if name in ("all", "any") else "float64"
    x = rand((2, 3, 4), dtype, lo, hi)
    if name in ("all", "any"):
        x = x * rand((2, 3, 4), "int8", 0, 1, seed=9)   # zeros and nonzeros in every row
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    for keepdims in (False, True):
        fn_form = lambda u: getattr(T, name)(u, axis=axis, keepdims=keepdims)
        method_form = lambda u: getattr(u, name)(axis=axis, keepdims=keepdims)
        for form in (fn_form, method_form):
            check_numpy(form, lambda u: ref(u, axis=np_axis, keepdims=keepdims), [x], mode)


@pytest.mark.parametrize("name", ["sum", "prod", "mean", "max", "min", "argmax", "argmin", "all", "any"])
def test_reductions_of_integers_and_float32(name, mode):
    ref = REDUCTIONS[name][0]
    for dtype in ("int32", "uint8", "float32", "bool"):
        x = rand((3, 5), dtype, -3, 3)
        check_numpy(lambda u: getattr(T, name)(u, axis=1), lambda u: ref(u, axis=1), [x], mode)


def test_argmax_over_several_axes(mode):
    # reference values recorded from Theano 1.0.5
    x = T.dtensor3("x")
    v = np.arange(24.0).reshape(2, 3, 4)[:, :, ::-1] % 7
    f = jitgraph.function([x], [T.argmax(x, axis=(0, 2)), T.argmax(x[0], axis=1), T.argmin(x[0], axis=None)],
                          mode=mode)
    a, b, c = f(v)
    assert a.tolist() == [6, 1, 7] and a.dtype == "int64"
    m = T.dmatrix()
    ties = jitgraph.function([m], [T.argmax(m, axis=1), T.argmin(m)], mode=mode)(
        np.array([[1.0, 3.0, 3.0], [2.0, 1.0, 1.0]]))
    assert ties[0].tolist() == [1, 0] and ties[1] == 0          # first of the ties


def test_var_std_ddof_and_theano_argument_order(mode):
    # reference values recorded from Theano 1.0.5: var(x, axis, ddof, keepdims, corrected)
    m = T.dmatrix("m")
    v = np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]])
    f = jitgraph.function([m], [T.var(m, 0), T.std(m, 1, 1), m.var(1, 1, True), m.std(None, 0, False, True),
                                 T.var(m, axis=1, corrected=True)], mode=mode)
    var0, std1, var_k, std_c, var_c = f(v)
    np.testing.assert_allclose(var0, [1.0, 2.25, 6.25])
    np.testing.assert_allclose(std1, [1.5275252316519465, 3.055050463303893])
    assert var_k.shape == (2, 1)
    np.testing.assert_allclose(var_k[:, 0], np.var(v, axis=1, ddof=1))
    np.testing.assert_allclose(std_c, np.std(v, ddof=1))
    np.testing.assert_allclose(var_c, np.var(v, axis=1, ddof=1))


def test_empty_reductions(mode):
    # reference values recorded from Theano 1.0.5
    m = T.dmatrix("m")
    e = np.zeros((0, 3))
    f = jitgraph.function([m], [T.all(m), T.any(m), T.sum(m), T.prod(m), T.sum(m, axis=0), T.max(m, axis=1)],
                          mode=mode)
    a, n, s, p, s0, mx1 = f(e)
    assert a == True and n == False and s == 0 and p == 1  # noqa: E712
    assert s0.tolist() == [0.0, 0.0, 0.0] and mx1.shape == (0,)
    with np.errstate(all="ignore"):
        assert np.isnan(jitgraph.function([m], T.mean(m), mode=mode)(e))
    for fn in (T.max, T.min, T.argmax, T.argmin):
        g = jitgraph.function([m], fn(m, axis=0), mode=mode)
        with pytest.raises(ValueError, match="empty"):
            g(e)


REDUCTION_DTYPES = {
    # input dtype: (sum, prod, mean, var, max, argmax, all), recorded from Theano 1.0.5;
    # the same with floatX=float32
    "bool": ("int64", "int64", "float64", "float64", "bool", "int64", "bool"),
    "int8": ("int64", "int64", "float64", "float64", "int8", "int64", "bool"),
    "int16": ("int64", "int64", "float64", "float64", "int16", "int64", "bool"),
    "int32": ("int64", "int64", "float64", "float64", "int32", "int64", "bool"),
    "int64": ("int64", "int64", "float64", "float64", "int64", "int64", "bool"),
    "uint8": ("uint64", "uint64", "float64", "float64", "uint8", "int64", "bool"),
    "uint32": ("uint64", "uint64", "float64", "float64", "uint32", "int64", "bool"),
    "float32": ("float32", "float32", "float32", "float32", "float32", "int64", "bool"),
    "float64": ("float64", "float64", "float64", "float64", "float64", "int64", "bool"),
}


@pytest.mark.parametrize("floatx", ["float64", "float32"])
@pytest.mark.parametrize("dtype", sorted(REDUCTION_DTYPES))
def test_reduction_output_dtypes_match_theano(dtype, floatx):
    with jitgraph.config.change_flags(floatX=floatx):
        x = TensorType(dtype, (False, False))()
        got = tuple(getattr(T, n)(x).dtype for n in ("sum", "prod", "mean", "var", "max", "argmax", "all"))
        assert got == REDUCTION_DTYPES[dtype]
        assert T.sum(x, axis=0).dtype == got[0] and T.std(x).dtype == got[3] and T.any(x).dtype == "bool"
    assert T.sum(T.bmatrix(), dtype="int8").dtype == "int8"
    assert T.mean(T.imatrix(), dtype="float32").dtype == "float32"


def test_reduction_values_in_wide_accumulators(mode):
    x = T.bvector("x")
    v = np.full(100, 100, dtype="int8")
    s, p = jitgraph.function([x], [T.sum(x), T.prod(x[:3])], mode=mode)(v)
    assert s == 10000 and p == 1000000


@pytest.mark.parametrize("name", ["sum", "prod", "mean", "var", "std", "max", "min"])
@pytest.mark.parametrize("axis", [None, 1, (0, 2), -1])
def test_reduction_gradients(name, axis):
    lo, hi = (0.5, 1.5) if name == "prod" else (-2, 2)
    x = rand((2, 3, 4), "float64", lo, hi, seed=4)
    verify_grad(lambda u: getattr(T, name)(u, axis=axis), [x])
    verify_grad(lambda u: getattr(T, name)(u, axis=axis, keepdims=True) * u, [x])


def test_prod_gradient_with_zeros(mode):
    # reference values recorded from Theano 1.0.5: exact with one zero, zero with two
    m = T.dmatrix("m")
    g1 = jitgraph.function([m], T.grad(T.prod(m, axis=1).sum(), m), mode=mode)(
        np.array([[1.0, 2.0, 3.0], [0.0, 2.0, 3.0], [0.0, 0.0, 3.0]]))
    assert g1.tolist() == [[6.0, 3.0, 2.0], [6.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    g2 = jitgraph.function([m], T.grad(T.prod(m), m), mode=mode)(np.array([[1.0, 2.0], [0.0, 3.0]]))
    assert g2.tolist() == [[0.0, 0.0], [6.0, 0.0]]
    verify_grad(lambda u: T.prod(u, axis=0, no_zeros_in_input=True), [np.array([[0.0, 2.0], [3.0, 0.5]])])


def test_max_gradient_goes_to_every_tie(mode):
    # reference values recorded from Theano 1.0.5
    m = T.dmatrix("m")
    g = jitgraph.function([m], T.grad(T.max(m, axis=1).sum(), m), mode=mode)(
        np.array([[1.0, 3.0, 3.0], [2.0, 1.0, 0.0]]))
    assert g.tolist() == [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]


@pytest.mark.parametrize("axis,error", [(2, ValueError), (-3, ValueError), ((0, 0), ValueError),
                                        ((0, -2), ValueError)])
def test_bad_axis(axis, error):
    for fn in (T.sum, T.max, T.argmax, T.mean, T.all):
        with pytest.raises(error, match="axis"):
            fn(T.dmatrix(), axis=axis)


def test_symbolic_axis_is_rejected():
    with pytest.raises(TypeError, match="axis"):
        T.sum(T.dmatrix(), axis=T.iscalar())


# ------------------------------------------------------------ products

DOT_SHAPES = [((), ()), ((), (3,)), ((2, 3), ()), ((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)),
              ((2, 3), (3, 4)), ((2, 2, 3), (3,)), ((3,), (2, 3, 4)), ((2, 2, 3), (3, 4)),
              ((2, 3), (2, 3, 4)), ((2, 2, 3), (2, 3, 4)), ((0, 3), (3, 4)), ((2, 0), (0, 4))]


@pytest.mark.parametrize("sa,sb", DOT_SHAPES, ids=str)
def test_dot_all_ranks(sa, sb, mode):
    a, b = rand(sa, seed=1), rand(sb, seed=2)
    check_numpy(T.dot, np.dot, [a, b], mode)
    check_numpy(lambda u, v: u.dot(v), np.dot, [a, b], mode)
    if 0 not in sa + sb:
        verify_grad(T.dot, [a, b])


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                                   ((2, 2, 3), (2, 3, 4)), ((2, 2, 3), (3, 4)), ((3,), (2, 3, 4)),
                                   ((2, 2, 3), (3,))], ids=str)
def test_matmul_operator(sa, sb, mode):
    a, b = rand(sa, seed=1), rand(sb, seed=2)
    check_numpy(lambda u, v: u @ v, np.matmul, [a, b], mode)
    verify_grad(lambda u, v: u @ v, [a, b])


def test_matmul_rejects_scalars():
    with pytest.raises(ValueError, match="scalar"):
        T.dscalar() @ T.dvector()


@pytest.mark.parametrize("dta,dtb", [("float32", "float32"), ("float32", "float64"), ("int32", "int32"),
                                     ("int8", "float32"), ("int32", "float32")])
def test_dot_dtypes(dta, dtb, mode):
    a, b = rand((2, 3), dta, -3, 3, seed=1), rand((3, 4), dtb, -3, 3, seed=2)
    expected = {"float32float32": "float32", "float32float64": "float64", "int32int32": "int32",
                "int8float32": "float32", "int32float32": "float64"}[dta + dtb]   # Theano 1.0.5
    check_numpy(T.dot, lambda u, v: np.dot(u.astype(expected), v.astype(expected)), [a, b], mode,
                out_dtype=expected)


@pytest.mark.parametrize("sa,sb", [((2, 3), (4, 3)), ((3,), (4,)), ((2, 3), (4,)), ((2, 2, 3), (4, 5))], ids=str)
def test_dot_shape_mismatch_names_both_shapes(sa, sb, mode):
    a, b = TensorType("float64", (False,) * len(sa))(), TensorType("float64", (False,) * len(sb))()
    f = jitgraph.function([a, b], T.dot(a, b), mode=mode)
    with pytest.raises(ValueError, match="shape") as info:
        f(np.ones(sa), np.ones(sb))
    if len(sa) <= 2:
        assert str(sa) in str(info.value) and str(sb) in str(info.value)


def test_dot_static_mismatch_and_bad_rank():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        T.dot(TensorType("float64", shape=(2, 3))(), TensorType("float64", shape=(4, 5))())
    with pytest.raises(ValueError, match=r"\(2, 2, 3\)\) has size 3.*\(4, 5\)\) has size 4"):
        T.dot(TensorType("float64", shape=(2, 2, 3))(), TensorType("float64", shape=(4, 5))())
    with pytest.raises(TypeError, match="1- or 2-d"):
        T.Dot()(T.dtensor3(), T.dmatrix())


def test_outer(mode):
    a, b = rand((3,), seed=1), rand((4,), seed=2)
    check_numpy(T.outer, np.outer, [a, b], mode)
    check_numpy(T.outer, np.outer, [rand((2, 2)), b], mode)          # flattened first
    check_numpy(T.outer, np.outer, [a[:0], b], mode)
    verify_grad(T.outer, [a, b])


TENSORDOT_CASES = [((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2, 3), (4, 5), 0),
                   ((2, 3, 4), (4, 3, 5), [[1, 2], [1, 0]]), ((2, 3, 4), (5, 2), [[0], [1]]),
                   ((2, 3, 4), (4, 2), ([-1, 0], [0, -1])), ((3, 4), (4, 3), [[0, 1], [1, 0]])]


@pytest.mark.parametrize("sa,sb,axes", TENSORDOT_CASES, ids=str)
def test_tensordot(sa, sb, axes, mode):
    a, b = rand(sa, seed=1), rand(sb, seed=2)
    check_numpy(lambda u, v: T.tensordot(u, v, axes), lambda u, v: np.tensordot(u, v, axes), [a, b], mode)
    verify_grad(lambda u, v: T.tensordot(u, v, axes), [a, b])


def test_tensordot_bad_input(mode):
    a, b = T.dmatrix("a"), T.dtensor3("b")
    f = jitgraph.function([a, b], T.tensordot(a, b, axes=[[1], [0]]), mode=mode)
    with pytest.raises(ValueError, match="shape"):
        f(np.ones((2, 3)), np.ones((4, 2, 2)))
    with pytest.raises(ValueError, match="out of range"):
        T.tensordot(a, b, axes=[[2], [0]])
    with pytest.raises(ValueError, match="pair"):
        T.tensordot(a, b, axes=[[0, 1], [0]])
    with pytest.raises(ValueError, match="between 0"):
        T.tensordot(a, b, axes=3)
    with pytest.raises(ValueError, match="repeat"):
        T.tensordot(a, b, axes=[[0, 0], [1, 2]])


def _np_batched_dot(a, b):
    if a.ndim == 1 or b.ndim == 1:
        return (a.reshape(a.shape + (1,) * (b.ndim - a.ndim)) * b.reshape(b.shape + (1,) * (a.ndim - b.ndim)))
    return np.stack([np.dot(x, y) for x, y in zip(a, b)]) if len(a) else np.zeros((0,))


@pytest.mark.parametrize("sa,sb", [((4, 3), (4, 3)), ((4, 2, 3), (4, 3)), ((4, 3), (4, 3, 2)),
                                   ((4, 2, 3), (4, 3, 5)), ((4,), (4, 3)), ((4, 2, 3), (4,))], ids=str)
def test_batched_dot(sa, sb, mode):
    a, b = rand(sa, seed=1), rand(sb, seed=2)
    check_numpy(T.batched_dot, _np_batched_dot, [a, b], mode)
    verify_grad(T.batched_dot, [a, b])


def test_batched_dot_bad_input(mode):
    a, b = T.dtensor3("a"), T.dtensor3("b")
    f = jitgraph.function([a, b], T.batched_dot(a, b), mode=mode)
    with pytest.raises(ValueError, match=r"\(4, 2, 3"):
        f(np.ones((4, 2, 3)), np.ones((5, 3, 2)))
    with pytest.raises(ValueError):
        f(np.ones((4, 2, 3)), np.ones((4, 4, 2)))
    with pytest.raises(TypeError, match="batch"):
        T.batched_dot(T.dscalar(), a)


def test_norm(mode):
    x = rand((3, 4))
    check_numpy(lambda u: T.norm(u, 2, axis=1), lambda u: np.linalg.norm(u, axis=1), [x], mode)
    check_numpy(lambda u: u.norm(1), lambda u: np.abs(u).sum(), [x], mode)
    check_numpy(lambda u: T.norm(u, 3, axis=0, keepdims=True),
                lambda u: (np.abs(u) ** 3).sum(axis=0, keepdims=True) ** (1 / 3), [x], mode)


def test_infer_shape_of_reductions_and_dot():
    x, y = T.dtensor3("x"), T.dmatrix("y")
    for out, expected in [(T.sum(x, axis=(0, 2)), (3,)), (T.argmax(x, axis=1), (2, 4)),
                          (T.dot(y, y.T), (5, 5))]:
        node = out.owner
        shapes = [(2, 3, 4) if v is x else (5, 6) if v is y else (6, 5) for v in node.inputs]
        assert tuple(node.op.infer_shape(node, shapes)[0]) == expected
