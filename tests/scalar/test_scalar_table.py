"""The scalar op table: its structure, and its dtype rules as seen through the tensor
functions, against tables recorded from Theano 1.0.5 (floatX=float64 and float32).

Table cells: a dtype (b = bool, i8 = int8, u16 = uint16, f32 = float32, ...); ``X`` = floatX
(float64 under floatX=float64, float32 under floatX=float32, as Theano gives); ``E`` = a
TypeError, as in Theano; ``*dtype`` = Theano raised TypeError but the meaning is obvious
(numpy's), so jitgraph accepts it.
"""
import pickle

import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from jitgraph.scalar import basic as scal
from jitgraph.tensor.type import TensorType

# recorded from Theano 1.0.5 (default cast_policy 'custom'), both floatX values
BINARY_DTYPES = """
a      b      add    sub    mul    /      //     %      **     max    atan2  <      &      dot    clip   switch
b      b      b      *i8    b      X      b      b      i8     b      f32    b      b      b      b      b
b      i8     i8     i8     i8     X      i8     i8     i8     i8     f32    b      *i8    i8     i8     i8
b      f32    f32    f32    f32    f32    f32    f32    f32    f32    f32    b      E      f32    f32    f32
i8     i8     i8     i8     i8     X      i8     i8     i8     i8     f32    b      i8     i8     i8     i8
i8     u8     i16    i16    i16    X      i16    i16    i16    i16    f32    b      i16    i16    i16    i16
i8     i16    i16    i16    i16    X      i16    i16    i16    i16    f32    b      i16    i16    i16    i16
i16    i32    i32    i32    i32    X      i32    i32    i32    i32    f64    b      i32    i32    i32    i32
i32    i32    i32    i32    i32    X      i32    i32    i32    i32    f64    b      i32    i32    i32    i32
i32    i64    i64    i64    i64    X      i64    i64    i64    i64    f64    b      i64    i64    i64    i64
u8     u16    u16    u16    u16    X      u16    u16    u16    u16    f32    b      u16    u16    u16    u16
i32    u32    i64    i64    i64    X      i64    i64    i64    i64    f64    b      i64    i64    i64    i64
i64    u64    f64    f64    f64    X      f64    f64    f64    f64    f64    b      f64    f64    f64    f64
i8     f32    f32    f32    f32    f32    f32    f32    f32    f32    f32    b      E      f32    f32    f32
u8     f32    f32    f32    f32    f32    f32    f32    f32    f32    f32    b      E      f32    f32    f32
i16    f32    f32    f32    f32    f32    f32    f32    f32    f32    f32    b      E      f32    f32    f32
i32    f32    f64    f64    f64    f64    f64    f64    f64    f64    f64    b      E      f64    f64    f64
i64    f32    f64    f64    f64    f64    f64    f64    f64    f64    f64    b      E      f64    f64    f64
u64    f32    f64    f64    f64    f64    f64    f64    f64    f64    f64    b      E      f64    f64    f64
f32    f32    f32    f32    f32    f32    f32    f32    f32    f32    f32    b      E      f32    f32    f32
f32    f64    f64    f64    f64    f64    f64    f64    f64    f64    f64    b      E      f64    f64    f64
i64    f64    f64    f64    f64    f64    f64    f64    f64    f64    f64    b      E      f64    f64    f64
"""
UNARY_DTYPES = """
x      exp    sqr    abs_   neg    sgn    invert round
b      f32    b      b      *i8    *i8    b      *f32
i8     f32    i8     i8     i8     i8     i8     *f32
i16    f32    i16    i16    i16    i16    i16    *f32
i32    f64    i32    i32    i32    i32    i32    *f64
i64    f64    i64    i64    i64    i64    i64    *f64
u8     f32    u8     u8     u8     u8     u8     *f32
u16    f32    u16    u16    u16    u16    u16    *f32
u32    f64    u32    u32    u32    u32    u32    *f64
u64    f64    u64    u64    u64    u64    u64    *f64
f32    f32    f32    f32    f32    f32    E      f32
f64    f64    f64    f64    f64    f64    E      f64
"""
MULCONST = """
x      7      300    70000  2**40  0.5    0.1
b      i8     i16    i32    i64    f32    X
i8     i8     i16    i32    i64    f32    X
i32    i32    i32    i32    i64    f64    f64
i64    i64    i64    i64    i64    f64    f64
u8     i16    i16    i32    i64    f32    X
f32    f32    f32    f64    f64    f32    X
f64    f64    f64    f64    f64    f64    f64
"""
RTRUEDIVCONST = """
x      7      300    70000  2**40  0.5    0.1
b      X      X      X      X      f32    X
i8     X      X      X      X      f32    X
i32    X      X      X      X      f64    f64
i64    X      X      X      X      f64    f64
u8     X      X      X      X      f32    X
f32    f32    f32    f64    f64    f32    X
f64    f64    f64    f64    f64    f64    f64
"""

# the "exp" column holds for every op that turns integers into floats (Theano agrees for all)
FLOAT_UNARY = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "sin", "cos", "tan", "arcsin",
               "arccos", "arctan", "sinh", "cosh", "tanh", "erf", "erfc", "floor", "ceil", "trunc", "inv"]

DTYPE_NAMES = {"b": "bool", "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64", "u8": "uint8",
               "u16": "uint16", "u32": "uint32", "u64": "uint64", "f32": "float32", "f64": "float64"}
BINARY_EXPR = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "/": lambda a, b: a / b, "//": lambda a, b: a // b, "%": lambda a, b: a % b,
    "**": lambda a, b: a ** b, "max": T.maximum, "atan2": T.arctan2, "<": lambda a, b: a < b,
    "&": lambda a, b: a & b, "dot": lambda a, b: T.dot(a, b.dimshuffle(0, "x")),
    "clip": lambda a, b: T.clip(a, b, b), "switch": lambda a, b: T.switch(T.vector(dtype="bool"), a, b),
}
UNARY_EXPR = {"sqr": T.sqr, "abs_": T.abs_, "neg": lambda x: -x, "sgn": T.sgn, "invert": lambda x: ~x,
              "round": T.round}
CONSTANTS = {"7": 7, "300": 300, "70000": 70000, "2**40": 2 ** 40, "0.5": 0.5, "0.1": 0.1}


def _cells(table, nkeys):
    lines = table.strip().splitlines()
    cols = lines[0].split()
    rows = [line.split() for line in lines[1:]]
    return [(tuple(row[:nkeys]), col, cell) for row in rows for col, cell in zip(cols[nkeys:], row[nkeys:])]


def _check(build, cell):
    expected = cell.lstrip("*")
    if expected == "E":
        with pytest.raises(TypeError):
            build()
        return
    expected = jitgraph.config.floatX if expected == "X" else DTYPE_NAMES.get(expected, expected)
    assert build().dtype == expected


@pytest.fixture(params=["float64", "float32"])
def floatx(request):
    with jitgraph.config.change_flags(floatX=request.param):
        yield request.param


def _vec(dtype):
    return TensorType(DTYPE_NAMES.get(dtype, dtype), (False,))()


@pytest.mark.parametrize("keys,op,cell", _cells(BINARY_DTYPES, 2), ids=str)
def test_binary_dtypes(keys, op, cell, floatx):
    a, b = keys
    fn = BINARY_EXPR[op]
    _check(lambda: fn(_vec(a), _vec(b)), cell)
    if op not in ("sub", "/", "//", "%", "**", "atan2", "<", "clip", "dot"):
        _check(lambda: fn(_vec(b), _vec(a)), cell)           # the same with the operands swapped


@pytest.mark.parametrize("keys,op,cell", _cells(UNARY_DTYPES, 1), ids=str)
def test_unary_dtypes(keys, op, cell, floatx):
    (dtype,) = keys
    for fn in ([getattr(T, n) for n in FLOAT_UNARY] if op == "exp" else [UNARY_EXPR[op]]):
        _check(lambda: fn(_vec(dtype)), cell)


@pytest.mark.parametrize("keys,const,cell", _cells(MULCONST, 1), ids=str)
def test_python_constant_autocasting_in_arithmetic(keys, const, cell, floatx):
    # x * c, c * x, x + c, x - c, c ** x, x // c and x % c all follow this table in Theano
    (dtype,) = keys
    c = CONSTANTS[const]
    for fn in (lambda x: x * c, lambda x: c * x, lambda x: x + c, lambda x: x - c, lambda x: c ** x,
               lambda x: x // c, lambda x: x % c):
        _check(lambda: fn(_vec(dtype)), cell)


@pytest.mark.parametrize("keys,const,cell", _cells(RTRUEDIVCONST, 1), ids=str)
def test_python_constant_in_true_division(keys, const, cell, floatx):
    (dtype,) = keys
    _check(lambda: CONSTANTS[const] / _vec(dtype), cell)


@pytest.mark.parametrize("value,dtype", [(7, "i8"), (-1, "i8"), (300, "i16"), (70000, "i32"),
                                         (2 ** 40, "i64"), (0.5, "f32"), (0.1, "X"), (1e40, "X")])
def test_python_constant_dtypes(value, dtype, floatx):
    with np.errstate(over="ignore"):
        _check(lambda: T.as_tensor_variable(value), dtype)


def test_floatx32_examples_from_theano(floatX32):
    # Theano keeps float64 where numpy's promotion gives it (int32 * float32), even with floatX=float32
    assert (T.ivector() * T.fvector()).dtype == "float64"
    assert (T.fvector() * 0.1).dtype == "float32"
    assert (T.fvector() + 70000).dtype == "float64"
    assert (T.ivector() / T.ivector()).dtype == "float32"
    assert T.exp(T.bvector()).dtype == "float32" and T.exp(T.ivector()).dtype == "float64"
    assert (T.fvector() * np.float64(0.1)).dtype == "float64"     # an explicit float64 stays


# ------------------------------------------------------------ structure of the table

def test_every_op_has_a_reference_a_c_expression_and_a_dtype_rule():
    for name, op in scal.TABLE.items():
        assert op.name == name and callable(op.nfunc) and callable(op.dtype_rule)
        nin = 2 if op.nin == -1 else op.nin
        for k in range(nin):
            # second(a, b) takes only b's value (a gives the shape)
            assert "{%d}" % k in op.c_expr or (name, k) == ("second", 0), (name, op.c_expr)
        assert "{%d}" % nin not in op.c_expr


@pytest.mark.parametrize("name", ["add", "mul", "maximum", "and_", "or_", "xor"])
def test_commutative_ops_are_marked(name):
    assert scal.TABLE[name].commutative


def test_reference_functions_on_scalars():
    ops = scal.TABLE
    assert ops["add"].impl(np.float64(2), np.float64(3)) == 5
    assert ops["int_div"].impl(np.int32(-7), np.int32(2)) == -4
    assert ops["mod"].impl(np.int32(-7), np.int32(2)) == 1
    assert ops["round_half_away_from_zero"].impl(np.float64(-2.5)) == -3
    assert ops["round_half_to_even"].impl(np.float64(-2.5)) == -2
    assert ops["switch"].impl(np.bool_(False), np.float64(1), np.float64(2)) == 2


def test_equality_hash_and_pickle():
    add = scal.get_scalar_op("add")
    assert add is scal.TABLE["add"] and add == pickle.loads(pickle.dumps(add))
    c1, c2 = scal.get_scalar_op("cast_int8"), scal.Cast("int8")
    assert c1 == c2 and hash(c1) == hash(c2) and c1 != scal.Cast("int16") and c1 != add
    assert pickle.loads(pickle.dumps(c1)) == c1
    assert c1.output_dtype("float64") == "int8" and c1.impl(np.array([1.7, -1.7])).tolist() == [1, -1]
    assert T.Elemwise(add) == T.Elemwise(scal.TABLE["add"]) and T.Elemwise(add) != T.Elemwise(scal.TABLE["sub"])


def test_upcast_is_numpy_promotion_whatever_floatx(floatX32):
    assert scal.upcast("int32", "float32") == "float64"
    assert scal.upcast("int8", "uint8") == "int16"
    assert scal.upcast("float32", "float32") == "float32"
    assert scal.upcast("bool", "bool") == "bool"


def test_bitwise_dtype_rule_error_names_the_op():
    with pytest.raises(TypeError, match=r"Elemwise\{and_\}.*float64"):
        T.and_(T.dvector(), T.dvector())
