"""Elementwise ops: every scalar op of the table through its tensor function, against numpy
(broadcasting patterns, strided and empty inputs), gradients, operators with Python
numbers, Theano's runtime broadcasting rule and bad input."""
import re

import numpy as np
import pytest
import scipy.special

import jitgraph
import jitgraph.tensor as T
from jitgraph.gradient import verify_grad
from jitgraph.scalar.basic import TABLE
from jitgraph.tensor.type import TensorType
from helpers import assert_close, check_numpy, rand


def _round_half_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


# name -> (tensor function, numpy reference, input range, gradient checked)
UNARY = {
    "exp": (T.exp, np.exp, (-2, 2), True),
    "exp2": (T.exp2, np.exp2, (-2, 2), True),
    "expm1": (T.expm1, np.expm1, (-2, 2), True),
    "log": (T.log, np.log, (0.1, 3), True),
    "log2": (T.log2, np.log2, (0.1, 3), True),
    "log10": (T.log10, np.log10, (0.1, 3), True),
    "log1p": (T.log1p, np.log1p, (-0.9, 2), True),
    "sqrt": (T.sqrt, np.sqrt, (0.1, 3), True),
    "sqr": (T.sqr, np.square, (-2, 2), True),
    "inv": (T.inv, np.reciprocal, (0.5, 2), True),
    "sin": (T.sin, np.sin, (-3, 3), True),
    "cos": (T.cos, np.cos, (-3, 3), True),
    "tan": (T.tan, np.tan, (-1.2, 1.2), True),
    "arcsin": (T.arcsin, np.arcsin, (-0.9, 0.9), True),
    "arccos": (T.arccos, np.arccos, (-0.9, 0.9), True),
    "arctan": (T.arctan, np.arctan, (-3, 3), True),
    "sinh": (T.sinh, np.sinh, (-2, 2), True),
    "cosh": (T.cosh, np.cosh, (-2, 2), True),
    "tanh": (T.tanh, np.tanh, (-2, 2), True),
    "arcsinh": (T.arcsinh, np.arcsinh, (-2, 2), True),
    "arccosh": (T.arccosh, np.arccosh, (1.1, 3), True),
    "arctanh": (T.arctanh, np.arctanh, (-0.9, 0.9), True),
    "erf": (T.erf, scipy.special.erf, (-2, 2), True),
    "erfc": (T.erfc, scipy.special.erfc, (-2, 2), True),
    "sigmoid": (T.sigmoid, scipy.special.expit, (-4, 4), True),
    "softplus": (T.softplus, lambda x: np.logaddexp(0, x), (-4, 4), True),
    # piecewise constant: the gradient is zero away from the jumps random inputs never hit
    "floor": (T.floor, np.floor, (-3, 3), True),
    "ceil": (T.ceil, np.ceil, (-3, 3), True),
    "trunc": (T.trunc, np.trunc, (-3, 3), True),
    "round_half_to_even": (lambda x: T.round(x, "half_to_even"), np.round, (-3, 3), True),
    "round_half_away_from_zero": (lambda x: T.round(x, "half_away_from_zero"), _round_half_away, (-3, 3), True),
    "sgn": (T.sgn, np.sign, (-2, 2), True),
    "abs": (T.abs_, np.abs, (-2, 2), True),
    "neg": (lambda x: -x, np.negative, (-2, 2), True),
    "identity": (T.tensor_copy, np.copy, (-2, 2), True),
    "isnan": (T.isnan, np.isnan, (-2, 2), False),
    "isinf": (T.isinf, np.isinf, (-2, 2), False),
}

# name -> (tensor function, numpy reference, range of a, range of b, gradient checked)
BINARY = {
    "add": (T.add, np.add, (-2, 2), (-2, 2), True),
    "sub": (T.sub, np.subtract, (-2, 2), (-2, 2), True),
    "mul": (T.mul, np.multiply, (-2, 2), (-2, 2), True),
    "true_div": (T.true_div, np.true_divide, (-2, 2), (0.5, 2), True),
    "int_div": (T.int_div, np.floor_divide, (-5, 5), (0.5, 2), True),
    "mod": (T.mod, np.mod, (-5, 5), (0.5, 2), True),
    "pow": (T.pow, np.power, (0.5, 2), (-2, 2), True),
    "maximum": (T.maximum, np.maximum, (-2, 2), (-2, 2), True),
    "minimum": (T.minimum, np.minimum, (-2, 2), (-2, 2), True),
    "arctan2": (T.arctan2, np.arctan2, (-2, 2), (-2, 2), True),
    "second": (T.fill, lambda a, b: np.broadcast_to(b, np.broadcast(a, b).shape), (-2, 2), (-2, 2), True),
    "lt": (T.lt, np.less, (-2, 2), (-2, 2), False),
    "gt": (T.gt, np.greater, (-2, 2), (-2, 2), False),
    "le": (T.le, np.less_equal, (-2, 2), (-2, 2), False),
    "ge": (T.ge, np.greater_equal, (-2, 2), (-2, 2), False),
    "eq": (T.eq, np.equal, (-2, 2), (-2, 2), False),
    "neq": (T.neq, np.not_equal, (-2, 2), (-2, 2), False),
}

BITWISE = {"and_": (T.and_, np.bitwise_and), "or_": (T.or_, np.bitwise_or), "xor": (T.xor, np.bitwise_xor)}

OTHER = {"switch", "clip", "invert"}   # tested below with their own cases; casts are "cast_<dtype>"


def _ops_defined_in_scalar_basic():
    # other modules (nnet) add their own scalar ops to TABLE and test them there
    import jitgraph.scalar.basic as scalar_basic
    source = open(scalar_basic.__file__).read()
    names = set(re.findall(r'define\("(\w+)"', source))
    names |= set(re.findall(r'\("(\w+)", np\.\w+, "[<>=!]+"\)', source))   # the comparison loop
    return names


def test_every_table_op_is_tested():
    defined = _ops_defined_in_scalar_basic()
    assert {"add", "lt", "neq", "softplus", "switch"} <= defined <= set(TABLE)
    assert defined <= set(UNARY) | set(BINARY) | set(BITWISE) | OTHER


def _arrays(shapes, ranges, dtype="float64"):
    return [rand(s, dtype, lo, hi, seed=k) for k, (s, (lo, hi)) in enumerate(zip(shapes, ranges))]


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_unary_against_numpy(name, dtype, mode):
    fn, ref, rng, _ = UNARY[name]
    for shape in [(3, 4), (0, 3), ()]:
        (x,) = _arrays([shape], [rng], dtype)
        check_numpy(fn, ref, [x], mode, out_dtype=ref(x).dtype if name in ("isnan", "isinf") else dtype)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_on_integers_computes_in_the_output_dtype(name, mode):
    # exp(int8) is float32 (numpy alone would compute it in float16); exp(int32) is float64
    fn, ref, (lo, hi), _ = UNARY[name]
    if name == "arccosh":
        lo = 1
    for dtype in ["int8", "int32", "uint8"]:
        x = np.arange(max(lo, 0 if dtype == "uint8" else lo) + 0.0, hi + 0.0).astype(dtype)
        with np.errstate(all="ignore"):
            x = x[np.isfinite(ref(x.astype("float64")))]
        out = fn(TensorType(dtype, (False,))())
        f = jitgraph.function([out.owner.inputs[0]], out, mode=mode)
        got = f(x)
        assert got.dtype == out.dtype
        assert_close(got, ref(x.astype(out.dtype if out.dtype != "bool" else "float64")).astype(got.dtype))


@pytest.mark.parametrize("name", sorted(n for n in UNARY if UNARY[n][3]))
def test_unary_gradient(name):
    fn, _, (lo, hi), _ = UNARY[name]
    verify_grad(fn, [rand((2, 3), "float64", lo, hi, seed=3)])


BROADCASTS = [  # shapes and broadcastable patterns of the two operands
    pytest.param([(3, 4), (3, 4)], [None, None], id="matrix-matrix"),
    pytest.param([(3, 4), (1, 4)], [None, (True, False)], id="matrix-row"),
    pytest.param([(3, 1), (3, 4)], [(False, True), None], id="col-matrix"),
    pytest.param([(3, 1), (1, 4)], [(False, True), (True, False)], id="col-row"),
    pytest.param([(3, 4), ()], [None, None], id="matrix-scalar"),
    pytest.param([(4,), (3, 4)], [None, None], id="vector-matrix"),
    pytest.param([(0, 4), (1, 4)], [None, (True, False)], id="empty-row"),
    pytest.param([(2, 3, 4), (1, 3, 1)], [None, (True, False, True)], id="3d-x0x"),
]


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes,bcast", BROADCASTS)
def test_binary_against_numpy(name, shapes, bcast, mode):
    fn, ref, ra, rb, _ = BINARY[name]
    a, b = _arrays(shapes, [ra, rb])
    check_numpy(fn, ref, [a, b], mode, broadcastable=bcast)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "true_div", "pow", "maximum", "minimum", "lt", "eq"])
def test_binary_float32_and_mixed(name, mode):
    fn, ref, ra, rb, _ = BINARY[name]
    a, b = _arrays([(3, 4), (3, 4)], [ra, rb], "float32")
    check_numpy(fn, ref, [a, b], mode)
    check_numpy(fn, ref, [a, b.astype("float64")], mode)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "int_div", "mod", "maximum", "minimum", "true_div"])
def test_binary_on_integers(name, mode):
    fn, ref = BINARY[name][:2]
    a = np.array([[7, -7, 7, -7, 0, 5]], "int32")
    b = np.array([[2, 2, -2, -2, 3, 1]], "int8")
    check_numpy(fn, ref, [a, b], mode)


def test_integer_division_and_modulo_follow_python_floor_rules(mode):
    # reference values recorded from Theano 1.0.5
    a, b = T.ivectors("a", "b")
    f = jitgraph.function([a, b], [a // b, a % b, a / b], mode=mode)
    q, r, d = f(np.array([7, -7, 7, -7, 0], "int32"), np.array([2, 2, -2, -2, 3], "int32"))
    assert q.tolist() == [3, -4, -4, 3, 0] and q.dtype == "int32"
    assert r.tolist() == [1, 1, -1, -1, 0]
    assert d.tolist() == [3.5, -3.5, -3.5, 3.5, 0.0] and d.dtype == "float64"
    x, y = T.dvectors("x", "y")
    fq, fr = jitgraph.function([x, y], [x // y, x % y], mode=mode)(np.array([7.5, -7.5, 7.5, -7.5]),
                                                                  np.array([2.0, 2.0, -2.0, -2.0]))
    assert fq.tolist() == [3.0, -4.0, -4.0, 3.0]
    assert fr.tolist() == [1.5, 0.5, -0.5, -1.5]


def test_integer_power(mode):
    a, b = T.ivectors("a", "b")
    out = jitgraph.function([a, b], a ** b, mode=mode)(np.array([2, 3, -2], "int32"), np.array([3, 2, 3], "int32"))
    assert out.tolist() == [8, 9, -8] and out.dtype == "int32"


@pytest.mark.parametrize("name", sorted(n for n in BINARY if BINARY[n][4]))
def test_binary_gradient(name):
    fn, _, ra, rb, _ = BINARY[name]
    a, b = _arrays([(2, 3), (2, 3)], [ra, rb])
    verify_grad(fn, [a, b])
    # broadcasting: b's gradient sums over the broadcast rows
    verify_grad(lambda u, v: fn(u, v.dimshuffle("x", 0)), [a, b[0]])


def test_nary_add_and_mul(mode):
    args = _arrays([(2, 3), (1, 3), ()], [(-2, 2)] * 3)
    bc = [None, (True, False), None]
    check_numpy(lambda a, b, c: T.add(a, b, c), lambda a, b, c: a + b + c, args, mode, broadcastable=bc)
    check_numpy(lambda a, b, c: T.mul(a, b, c), lambda a, b, c: a * b * c, args, mode, broadcastable=bc)
    verify_grad(lambda a, b, c: T.mul(a, b, c), [x + 0 * args[0] for x in args])


def test_maximum_and_clip_gradients_on_ties(mode):
    # reference values recorded from Theano 1.0.5: on a tie the first input gets the gradient
    x, y = T.dvectors("x", "y")
    for fn in (T.maximum, T.minimum):
        gx, gy = jitgraph.function([x, y], T.grad(fn(x, y).sum(), [x, y]), mode=mode)(
            np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0]))
        top = [0.0, 1.0, 0.0] if fn is T.maximum else [0.0, 0.0, 1.0]
        assert gx.tolist() == [1.0] + [1 - t for t in top[1:]] and gy.tolist() == top
    g = jitgraph.function([x], T.grad(T.clip(x, -1.0, 1.0).sum(), x), mode=mode)(np.array([-2.0, -1.0, 0.0, 1.0, 2.0]))
    assert g.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    g = jitgraph.function([x], T.grad(abs(x).sum(), x), mode=mode)(np.array([-2.0, 0.0, 2.0]))
    assert g.tolist() == [-1.0, 0.0, 1.0]


def test_sgn_and_rounding_values(mode):
    # reference values recorded from Theano 1.0.5 (T.round's default is half_to_even)
    x = T.dvector("x")
    vals = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 0.49])
    r, m, i, a = jitgraph.function([x], [T.round(x), x.round(), T.iround(x), T.round(x, "half_away_from_zero")],
                                   mode=mode)(vals)
    assert r.tolist() == [0.0, 2.0, 2.0, -0.0, -2.0, 0.0] and m.tolist() == r.tolist()
    assert i.tolist() == [0, 2, 2, 0, -2, 0] and i.dtype == "int64"
    assert a.tolist() == [1.0, 2.0, 3.0, -1.0, -2.0, 0.0]
    s = jitgraph.function([x], T.sgn(x), mode=mode)(np.array([-2.0, 0.0, 2.0, np.nan]))
    assert s[:3].tolist() == [-1.0, 0.0, 1.0] and np.isnan(s[3])
    with pytest.raises(ValueError, match="half_to_even"):
        T.round(x, "up")


# ------------------------------------------------------------ operators with Python numbers

OPERATOR_CASES = {
    "x+2": lambda x: x + 2, "2+x": lambda x: 2 + x, "x-2": lambda x: x - 2, "2-x": lambda x: 2 - x,
    "x*3": lambda x: x * 3, "3*x": lambda x: 3 * x, "x/2": lambda x: x / 2, "2/x": lambda x: 2 / x,
    "x//0.7": lambda x: x // 0.7, "3//x": lambda x: 3 // x, "x%0.7": lambda x: x % 0.7, "3%x": lambda x: 3 % x,
    "x**2": lambda x: x ** 2, "2**x": lambda x: 2 ** x, "x**0.5": lambda x: x ** 0.5, "-x": lambda x: -x,
    "+x": lambda x: +x, "abs": lambda x: abs(x), "x<1": lambda x: x < 1, "1<x": lambda x: 1 < x,
    "x>1": lambda x: x > 1, "x<=1": lambda x: x <= 1, "x>=1": lambda x: x >= 1, "1.5>=x": lambda x: 1.5 >= x,
    "x*0.1": lambda x: x * 0.1, "x-x*x": lambda x: x - x * x,
}


@pytest.mark.parametrize("case", sorted(OPERATOR_CASES))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_operators_with_python_numbers(case, dtype, mode):
    fn = OPERATOR_CASES[case]
    x = rand((3, 4), dtype, 0.5, 2.5)
    out_dtype = fn(T.TensorType(dtype, (False, False))()).dtype
    # numpy would keep float32 * 0.1 in float32; Theano computes it in float64
    work = out_dtype if out_dtype.startswith("float") else dtype
    check_numpy(fn, lambda u: fn(u.astype(work)), [x], mode, out_dtype=out_dtype)


@pytest.mark.parametrize("case", ["x+2", "2-x", "3*x", "2/x", "x**2", "2**x", "-x", "x%0.7", "x-x*x"])
def test_operator_gradients(case):
    verify_grad(OPERATOR_CASES[case], [rand((2, 3), "float64", 0.5, 2.5)])


def test_comparison_operators_on_integers_with_ties(mode):
    a, b = rand((4, 5), "int32", -2, 2, seed=1), rand((4, 5), "int32", -2, 2, seed=2)
    for fn, ref in [(T.lt, np.less), (T.gt, np.greater), (T.le, np.less_equal), (T.ge, np.greater_equal),
                    (T.eq, np.equal), (T.neq, np.not_equal), (lambda u, v: u < v, np.less),
                    (lambda u, v: u >= v, np.greater_equal)]:
        f = check_numpy(fn, ref, [a, b], mode, out_dtype="bool")
        assert 0 < f(a, b).sum() < a.size


# ------------------------------------------------------------ bitwise

@pytest.mark.parametrize("dtype", ["int8", "int32", "uint8", "bool"])
@pytest.mark.parametrize("name", sorted(BITWISE))
def test_bitwise_functions_and_operators(name, dtype, mode):
    fn, ref = BITWISE[name]
    a, b = rand((3, 4), dtype, -9, 9, seed=1), rand((1, 4), dtype, -9, 9, seed=2)
    check_numpy(fn, ref, [a, b], mode, broadcastable=[None, (True, False)], out_dtype=dtype)
    op = {"and_": lambda u, v: u & v, "or_": lambda u, v: u | v, "xor": lambda u, v: u ^ v}[name]
    check_numpy(op, ref, [a, b], mode, broadcastable=[None, (True, False)], out_dtype=dtype)


@pytest.mark.parametrize("dtype", ["int8", "int32", "uint8", "bool"])
def test_invert(dtype, mode):
    a = rand((3, 4), dtype, -9, 9)
    check_numpy(T.invert, np.invert, [a], mode, out_dtype=dtype)
    check_numpy(lambda u: ~u, np.invert, [a], mode, out_dtype=dtype)


def test_bitwise_with_python_ints(mode):
    a = rand((3, 4), "int32", -9, 9)
    for fn in [lambda u: u & 3, lambda u: 3 & u, lambda u: u | 4, lambda u: 4 | u, lambda u: u ^ 5, lambda u: 5 ^ u]:
        check_numpy(fn, fn, [a], mode, out_dtype="int32")


def test_bool_arithmetic_keeps_bool_as_theano(mode):
    a, b = T.vector(dtype="bool"), T.vector(dtype="bool")
    va, vb = np.array([True, True, False]), np.array([True, False, False])
    s, p, inv = jitgraph.function([a, b], [a + b, a * b, ~a], mode=mode)(va, vb)
    assert s.dtype == p.dtype == inv.dtype == "bool"
    assert s.tolist() == [True, True, False] and p.tolist() == [True, False, False]
    assert inv.tolist() == [False, False, True]
    # Theano refuses bool - bool and -bool; the obvious meaning is int8 arithmetic
    d, n = jitgraph.function([a, b], [a - b, -a], mode=mode)(va, vb)
    assert d.dtype == "int8" and d.tolist() == [0, 1, 0] and n.tolist() == [-1, -1, 0]


@pytest.mark.parametrize("expr", [lambda x: x ^ 2, lambda x: 2 ^ x, lambda x: x ^ x, lambda x: T.xor(x, 1)])
def test_xor_on_floats_points_to_power(expr):
    with pytest.raises(TypeError, match=r"\*\*"):
        expr(T.fvector("x"))


@pytest.mark.parametrize("fn", [T.and_, T.or_, lambda u, v: u & v, lambda u, v: u | v])
def test_bitwise_on_floats_raises(fn):
    with pytest.raises(TypeError, match="and_|or_"):
        fn(T.dvector(), T.ivector())
    with pytest.raises(TypeError, match="invert"):
        ~T.dvector()


# ------------------------------------------------------------ switch, clip, cast

@pytest.mark.parametrize("fn", [T.switch, T.where])
def test_switch(fn, mode):
    c = rand((3, 4), "bool", seed=5)
    a, b = rand((3, 4)), rand((1, 4), seed=2)
    check_numpy(fn, np.where, [c, a, b], mode, broadcastable=[None, None, (True, False)])
    ci = rand((3, 4), "int8", -1, 1, seed=6)           # any nonzero value is true
    check_numpy(fn, np.where, [ci, a, b], mode, broadcastable=[None, None, (True, False)])
    check_numpy(lambda x: fn(x > 0, x, 0), lambda x: np.where(x > 0, x, 0), [a], mode)
    check_numpy(fn, np.where, [c[:0], a[:0], b], mode, broadcastable=[None, None, (True, False)])


def test_switch_gradient():
    verify_grad(lambda a, b: T.switch(a > 0, a * 2, b), [rand((2, 3), seed=1), rand((2, 3), seed=2)])


def test_clip(mode):
    x = rand((3, 4), low=-3, high=3)
    check_numpy(lambda u: T.clip(u, -1, 1.5), lambda u: np.clip(u, -1, 1.5), [x], mode)
    check_numpy(lambda u: u.clip(-1, 1.5), lambda u: np.clip(u, -1, 1.5), [x], mode)
    lo, hi = rand((3, 1), low=-2, high=0, seed=1), rand((1, 4), low=0, high=2, seed=2)
    check_numpy(T.clip, np.clip, [x, lo, hi], mode, broadcastable=[None, (False, True), (True, False)])
    verify_grad(T.clip, [x, lo + 0 * x, hi + 0 * x])
    xi = rand((3, 4), "int32", -5, 5)
    check_numpy(lambda u: T.clip(u, -2, 3), lambda u: np.clip(u, -2, 3), [xi], mode, out_dtype="int32")


CASTS = [("float64", "int32"), ("float64", "int8"), ("float64", "bool"), ("float64", "float32"),
         ("int32", "float32"), ("int64", "float64"), ("bool", "int32"), ("int8", "uint8"), ("float32", "int64")]


@pytest.mark.parametrize("src,dst", CASTS)
def test_cast(src, dst, mode):
    x = rand((3, 4), src, -3, 3)
    check_numpy(lambda u: T.cast(u, dst), lambda u: u.astype(dst), [x], mode, out_dtype=dst)
    check_numpy(lambda u: u.astype(dst), lambda u: u.astype(dst), [x], mode, out_dtype=dst)


def test_cast_to_same_dtype_is_identity_and_floatx():
    x = T.dvector()
    assert T.cast(x, "float64") is x
    assert T.cast(x, "floatX").dtype == "float64"
    with pytest.raises(TypeError, match="dtype"):
        T.cast(x, "complex128")


def test_cast_gradient(mode):
    x = T.fvector("x")
    g = T.grad(T.sum(T.cast(x, "float64") ** 2), x)
    assert g.dtype == "float32"
    assert_close(jitgraph.function([x], g, mode=mode)(np.array([1, 2], "float32")), np.array([2, 4], "float32"))
    # through an integer cast nothing flows
    g = T.grad(T.sum(T.cast(x, "int32") * 1.0), x)
    assert jitgraph.function([x], g, mode=mode)(np.array([1.5, 2], "float32")).tolist() == [0.0, 0.0]


# ------------------------------------------------------------ broadcasting rule and bad input

def test_runtime_broadcasting_of_size_one_is_an_error(mode):
    # Theano: a dimension not marked broadcastable must have the same size everywhere
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = jitgraph.function([x, y], x + y, mode=mode)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(1, 3\)"):
        f(np.ones((2, 3)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="broadcastable"):
        f(np.ones((2, 3)), np.ones((3, 3)))
    v = T.dvector("v")
    g = jitgraph.function([x, v], x * v, mode=mode)
    with pytest.raises(ValueError, match="dimension 1"):
        g(np.ones((2, 3)), np.ones(1))
    # marked broadcastable, it broadcasts
    r = T.drow("r")
    assert jitgraph.function([x, r], x + r, mode=mode)(np.ones((2, 3)), np.ones((1, 3))).shape == (2, 3)


def test_static_shape_mismatch_raises_at_build():
    a, b = TensorType("float64", shape=(2, 3))(), TensorType("float64", shape=(4, 3))()
    with pytest.raises(ValueError, match="incompatible static sizes"):
        a + b


def test_wrong_number_of_inputs_and_non_tensors():
    x = T.dvector()
    with pytest.raises(TypeError, match="2 inputs"):
        T.sub(x, x, x)
    with pytest.raises(TypeError, match="3 inputs"):
        T.basic.elemwise_op("switch")(x, x)
    with pytest.raises(TypeError):
        T.exp(object())
    with pytest.raises(TypeError):
        T.exp("text")


def test_infer_shape_matches_runtime_shape():
    x, r = T.dmatrix("x"), T.drow("r")
    out = T.maximum(x, r) * 2
    node = out.owner
    xv, rv = np.ones((5, 3)), np.ones((1, 3))
    inner = node.inputs[0].owner
    assert tuple(inner.op.infer_shape(inner, [(5, 3), (1, 3)])[0]) == (5, 3)
    assert jitgraph.function([x, r], out)(xv, rv).shape == (5, 3)
