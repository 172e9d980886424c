"""The scalar op table.

Each scalar op carries, in one place: its numpy function (the reference), its C
expression (valid C and CUDA; ``{0}``, ``{1}``… are the operands), its output dtype
rule, and its derivative written with tensor ops. Elementwise tensor ops, fusion and
both native emitters read this table; nothing else knows how to compute a scalar op.
"""
import numpy as np

from jitgraph.config import config

INT_DTYPES = ("int8", "int16", "int32", "int64")
UINT_DTYPES = ("uint8", "uint16", "uint32", "uint64")
FLOAT_DTYPES = ("float32", "float64")
DISCRETE_DTYPES = ("bool",) + INT_DTYPES + UINT_DTYPES
ALL_DTYPES = DISCRETE_DTYPES + FLOAT_DTYPES


def upcast(*dtypes):
    """Theano's upcast under its default ``cast_policy='custom'``: numpy's promotion of the
    dtypes, whatever floatX is (Theano 1.0.5 gives float64 for int32 + float32 even with
    floatX=float32; floatX only decides how Python float constants and int/int division are
    typed, see ``tensor.var._autocast_python_scalar`` and ``rule_true_div``)."""
    return str(np.result_type(*[np.dtype(d) for d in dtypes]))


_TO_FLOAT = {"bool": "float32", "int8": "float32", "uint8": "float32", "int16": "float32",
             "uint16": "float32", "int32": "float64", "uint32": "float64", "int64": "float64",
             "uint64": "float64"}


def rule_upcast(*dtypes):
    return upcast(*dtypes)


def rule_upcast_nobool(*dtypes):
    # numpy (and Theano) refuse bool for these (bool - bool, -bool, sign(bool)); the
    # obvious meaning is integer arithmetic, so bools count as int8.
    out = upcast(*dtypes)
    return "int8" if out == "bool" else out


def rule_float(*dtypes):
    return upcast(*[_TO_FLOAT.get(d, d) for d in dtypes])


def rule_true_div(*dtypes):
    if all(d in DISCRETE_DTYPES for d in dtypes):
        return config.floatX
    return upcast(*dtypes)


def rule_second(*dtypes):
    return dtypes[1]


def rule_same(*dtypes):
    return dtypes[0]


def rule_bool(*dtypes):
    return "bool"


def rule_int_only(*dtypes):
    for d in dtypes:
        if d not in DISCRETE_DTYPES:
            raise TypeError(f"bitwise op needs integer or bool operands, got {d}")
    return upcast(*dtypes)


def rule_switch(cond, a, b):
    return upcast(a, b)


def is_discrete(dtype):
    return dtype in DISCRETE_DTYPES


def _T():
    import jitgraph.tensor
    return jitgraph.tensor


class ScalarOp:
    """One scalar operation. Equal names mean equal ops (``params`` distinguish
    parameterised ones such as Cast)."""

    def __init__(self, name, nin, nfunc, c_expr, dtype_rule, grad=None, commutative=False,
                 associative=False, identity=None, symbol=None, c_expr_int=None, operand_rule=None):
        self.name = name
        self.nin = nin          # -1: any number >= 1
        self.nfunc = nfunc
        self.c_expr = c_expr
        self.c_expr_int = c_expr_int      # used when the operands are integers or bools
        self.operand_rule = operand_rule  # (input dtypes, output dtype) -> operand dtypes
        self.dtype_rule = dtype_rule
        self._grad = grad
        self.commutative = commutative
        self.associative = associative
        self.identity = identity
        self.symbol = symbol

    params = ()

    def output_dtype(self, *dtypes):
        return self.dtype_rule(*dtypes)

    def impl(self, *args):
        return self.nfunc(*args)

    def operand_dtypes(self, in_dtypes, out_dtype):
        """The dtypes the operands are converted to before the C expression applies
        (numpy computes in the result type; comparisons in the inputs' common type)."""
        if self.operand_rule is not None:
            return list(self.operand_rule(list(in_dtypes), out_dtype))
        return [out_dtype] * len(in_dtypes)

    def c_code(self, in_dtypes, out_dtype, operands):
        """The C expression for already-converted operand expressions."""
        op_dtypes = self.operand_dtypes(in_dtypes, out_dtype)
        expr = self.c_expr
        if self.c_expr_int is not None and all(is_discrete(d) for d in op_dtypes):
            expr = self.c_expr_int
        if self.nin == -1 and len(operands) > 2:
            text = expr.format(operands[0], operands[1])
            for x in operands[2:]:
                text = expr.format(text, x)
            return text
        return expr.format(*operands)

    def grad(self, inputs, output, gz):
        """Gradients w.r.t. each input as tensor expressions; None where undefined."""
        if self._grad is None:
            return [None] * len(inputs)
        return self._grad(_T(), inputs, output, gz)

    def __eq__(self, other):
        return type(self) is type(other) and self.name == other.name and self.params == other.params

    def __hash__(self):
        return hash((self.name, self.params))

    def __str__(self):
        return self.name

    __repr__ = __str__

    def __reduce__(self):
        return (get_scalar_op, (self.name,) + self.params)


class Cast(ScalarOp):
    def __init__(self, dtype):
        super().__init__(f"cast_{dtype}", 1, None, f"(({_C_TYPES[dtype]})({{0}}))",
                         lambda d: dtype, grad=None, operand_rule=lambda ins, out: ins)
        self.o_dtype = dtype
        self.params = (dtype,)

    def impl(self, x):
        return np.asarray(x).astype(self.o_dtype)

    def grad(self, inputs, output, gz):
        (x,) = inputs
        if is_discrete(x.dtype) or is_discrete(self.o_dtype):
            return [None]
        return [_T().cast(gz, x.dtype)]

    def __reduce__(self):
        return (Cast, (self.o_dtype,))


_C_TYPES = {"bool": "bool", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t",
            "int64": "int64_t", "uint8": "uint8_t", "uint16": "uint16_t", "uint32": "uint32_t",
            "uint64": "uint64_t", "float32": "float", "float64": "double"}


def c_type(dtype):
    return _C_TYPES[str(dtype)]


# ------------------------------------------------------------------ the table

TABLE = {}


def define(name, nin, nfunc, c_expr, dtype_rule, grad=None, **kw):
    op = ScalarOp(name, nin, nfunc, c_expr, dtype_rule, grad, **kw)
    TABLE[name] = op
    return op


def get_scalar_op(name, *params):
    if name.startswith("cast_"):
        return Cast(params[0] if params else name[5:])
    return TABLE[name]


def _round_half_away(x):
    return np.where(x >= 0, np.floor(x + 0.5), np.ceil(x - 0.5)).astype(np.asarray(x).dtype)


def _int_div(x, y):
    return np.floor_divide(x, y)


def _special(name):
    import scipy.special
    return getattr(scipy.special, name)


def _sigmoid(x):
    import scipy.special   # imported on first use: it costs 0.2 s, a third of a warm start
    return scipy.special.expit(x)


def _softplus(x):
    x = np.asarray(x)
    return np.logaddexp(np.zeros((), x.dtype), x).astype(x.dtype)


# Gradients receive (T, inputs, output, gz) and return one entry per input.
def _g_add(T, xs, z, gz):
    return [gz] * len(xs)


def _g_mul(T, xs, z, gz):
    out = []
    for i in range(len(xs)):
        others = [x for j, x in enumerate(xs) if j != i]
        out.append(T.mul(gz, *others) if others else gz)
    return out


def _g_pow(T, xs, z, gz):
    x, y = xs
    gx = gz * y * x ** (y - 1)
    gy = None if is_discrete(y.dtype) else gz * T.log(x) * z
    return [gx, gy]


def _g_true_div(T, xs, z, gz):
    x, y = xs
    return [gz / y, None if is_discrete(y.dtype) else -gz * x / (y * y)]


def _g_minmax(T, xs, z, gz):
    # on a tie the first input takes the whole gradient, as in Theano 1.0.5
    x, y = xs
    first = T.eq(z, x)
    return [T.switch(first, gz, 0), T.switch(first, 0, gz)]


def _g_switch(T, xs, z, gz):
    c, a, b = xs
    zero = T.zeros_like(gz)
    return [None, T.switch(c, gz, zero), T.switch(c, zero, gz)]


def _g_clip(T, xs, z, gz):
    x, lo, hi = xs
    inside = T.and_(T.ge(x, lo), T.le(x, hi))
    return [T.switch(inside, gz, 0), T.switch(T.lt(x, lo), gz, 0), T.switch(T.gt(x, hi), gz, 0)]


def _g_unary(fn):
    def g(T, xs, z, gz):
        return [fn(T, xs[0], z, gz)]
    return g


_SQRT_PI = float(np.sqrt(np.pi))


def _float_operand(ins, out):
    return ["float64" if is_discrete(d) else d for d in ins]

define("add", -1, np.add, "({0} + {1})", rule_upcast, _g_add, commutative=True,
       associative=True, identity=0, symbol="+")
define("sub", 2, np.subtract, "({0} - {1})", rule_upcast_nobool,
       lambda T, xs, z, gz: [gz, -gz], symbol="-")
define("mul", -1, np.multiply, "({0} * {1})", rule_upcast, _g_mul, commutative=True,
       associative=True, identity=1, symbol="*")
define("true_div", 2, np.true_divide, "({0} / {1})", rule_true_div, _g_true_div, symbol="/")
define("int_div", 2, _int_div, "jg_floor_div({0}, {1})", rule_upcast, None, symbol="//")
define("mod", 2, np.mod, "jg_mod({0}, {1})", rule_upcast,
       lambda T, xs, z, gz: [gz, None if is_discrete(xs[1].dtype) else -gz * T.floor(xs[0] / xs[1])],
       symbol="%")
define("pow", 2, np.power, "jg_pow({0}, {1})", rule_upcast_nobool, _g_pow, symbol="**")
define("maximum", 2, np.maximum, "jg_max({0}, {1})", rule_upcast, _g_minmax, commutative=True,
       c_expr_int="jg_imax({0}, {1})")
define("minimum", 2, np.minimum, "jg_min({0}, {1})", rule_upcast, _g_minmax, commutative=True,
       c_expr_int="jg_imin({0}, {1})")
define("arctan2", 2, np.arctan2, "atan2({0}, {1})", rule_float,
       lambda T, xs, z, gz: [gz * xs[1] / (xs[0] ** 2 + xs[1] ** 2),
                             -gz * xs[0] / (xs[0] ** 2 + xs[1] ** 2)])
for _name, _fn, _sym in (("lt", np.less, "<"), ("gt", np.greater, ">"), ("le", np.less_equal, "<="),
                         ("ge", np.greater_equal, ">="), ("eq", np.equal, "=="),
                         ("neq", np.not_equal, "!=")):
    define(_name, 2, _fn, f"({{0}} {_sym} {{1}})", rule_bool, lambda T, xs, z, gz: [None, None],
           symbol=_sym, operand_rule=lambda ins, out: [upcast(*ins)] * 2)
define("and_", 2, np.bitwise_and, "({0} & {1})", rule_int_only, symbol="&", commutative=True)
define("or_", 2, np.bitwise_or, "({0} | {1})", rule_int_only, symbol="|", commutative=True)
define("xor", 2, np.bitwise_xor, "({0} ^ {1})", rule_int_only, symbol="^", commutative=True)
define("invert", 1, np.invert, "jg_invert({0})", rule_int_only, symbol="~",
       operand_rule=lambda ins, out: ins)
define("switch", 3, np.where, "({0} ? {1} : {2})", rule_switch, _g_switch,
       operand_rule=lambda ins, out: [ins[0], out, out])
define("clip", 3, np.clip, "jg_min(jg_max({0}, {1}), {2})", lambda x, lo, hi: upcast(x, lo, hi), _g_clip,
       c_expr_int="jg_imin(jg_imax({0}, {1}), {2})")
define("second", 2, lambda a, b: np.broadcast_to(b, np.broadcast_shapes(np.shape(a), np.shape(b))),
       "({1})", rule_second, lambda T, xs, z, gz: [None, gz], operand_rule=lambda ins, out: [ins[0], out])
define("identity", 1, lambda x: np.array(x, copy=True), "({0})", rule_same, _g_unary(lambda T, x, z, gz: gz))

define("neg", 1, np.negative, "(-{0})", rule_upcast_nobool, _g_unary(lambda T, x, z, gz: -gz), symbol="-")
define("abs", 1, np.abs, "jg_abs({0})", rule_upcast,
       _g_unary(lambda T, x, z, gz: gz * T.sgn(x)), c_expr_int="jg_iabs({0})")
define("sgn", 1, np.sign, "jg_sgn({0})", rule_upcast_nobool, _g_unary(lambda T, x, z, gz: None),
       c_expr_int="jg_isgn({0})")
define("exp", 1, np.exp, "exp({0})", rule_float, _g_unary(lambda T, x, z, gz: gz * z))
define("exp2", 1, np.exp2, "exp2({0})", rule_float, _g_unary(lambda T, x, z, gz: gz * z * np.log(2.0)))
define("expm1", 1, np.expm1, "expm1({0})", rule_float, _g_unary(lambda T, x, z, gz: gz * (z + 1)))
define("log", 1, np.log, "log({0})", rule_float, _g_unary(lambda T, x, z, gz: gz / x))
define("log2", 1, np.log2, "log2({0})", rule_float, _g_unary(lambda T, x, z, gz: gz / (x * np.log(2.0))))
define("log10", 1, np.log10, "log10({0})", rule_float, _g_unary(lambda T, x, z, gz: gz / (x * np.log(10.0))))
define("log1p", 1, np.log1p, "log1p({0})", rule_float, _g_unary(lambda T, x, z, gz: gz / (1 + x)))
define("sqrt", 1, np.sqrt, "sqrt({0})", rule_float, _g_unary(lambda T, x, z, gz: gz * 0.5 / z))
define("sqr", 1, np.square, "({0} * {0})", rule_upcast, _g_unary(lambda T, x, z, gz: gz * 2 * x))
define("inv", 1, np.reciprocal, "(1 / {0})", rule_float, _g_unary(lambda T, x, z, gz: -gz * z * z))
define("sin", 1, np.sin, "sin({0})", rule_float, _g_unary(lambda T, x, z, gz: gz * T.cos(x)))
define("cos", 1, np.cos, "cos({0})", rule_float, _g_unary(lambda T, x, z, gz: -gz * T.sin(x)))
define("tan", 1, np.tan, "tan({0})", rule_float, _g_unary(lambda T, x, z, gz: gz * (1 + z * z)))
define("arcsin", 1, np.arcsin, "asin({0})", rule_float,
       _g_unary(lambda T, x, z, gz: gz / T.sqrt(1 - x * x)))
define("arccos", 1, np.arccos, "acos({0})", rule_float,
       _g_unary(lambda T, x, z, gz: -gz / T.sqrt(1 - x * x)))
define("arctan", 1, np.arctan, "atan({0})", rule_float, _g_unary(lambda T, x, z, gz: gz / (1 + x * x)))
define("sinh", 1, np.sinh, "sinh({0})", rule_float, _g_unary(lambda T, x, z, gz: gz * T.cosh(x)))
define("cosh", 1, np.cosh, "cosh({0})", rule_float, _g_unary(lambda T, x, z, gz: gz * T.sinh(x)))
define("tanh", 1, np.tanh, "tanh({0})", rule_float, _g_unary(lambda T, x, z, gz: gz * (1 - z * z)))
define("arcsinh", 1, np.arcsinh, "asinh({0})", rule_float,
       _g_unary(lambda T, x, z, gz: gz / T.sqrt(x * x + 1)))
define("arccosh", 1, np.arccosh, "acosh({0})", rule_float,
       _g_unary(lambda T, x, z, gz: gz / T.sqrt(x * x - 1)))
define("arctanh", 1, np.arctanh, "atanh({0})", rule_float, _g_unary(lambda T, x, z, gz: gz / (1 - x * x)))
define("erf", 1, lambda x: _special("erf")(x), "erf({0})", rule_float,
       _g_unary(lambda T, x, z, gz: gz * (2.0 / _SQRT_PI) * T.exp(-x * x)))
define("erfc", 1, lambda x: _special("erfc")(x), "erfc({0})", rule_float,
       _g_unary(lambda T, x, z, gz: -gz * (2.0 / _SQRT_PI) * T.exp(-x * x)))
define("floor", 1, np.floor, "floor({0})", rule_float, _g_unary(lambda T, x, z, gz: None))
define("ceil", 1, np.ceil, "ceil({0})", rule_float, _g_unary(lambda T, x, z, gz: None))
define("trunc", 1, np.trunc, "trunc({0})", rule_float, _g_unary(lambda T, x, z, gz: None))
define("round_half_to_even", 1, np.round, "nearbyint({0})", rule_float, _g_unary(lambda T, x, z, gz: None))
define("round_half_away_from_zero", 1, _round_half_away, "round({0})", rule_float,
       _g_unary(lambda T, x, z, gz: None))
define("isnan", 1, np.isnan, "isnan({0})", rule_bool, _g_unary(lambda T, x, z, gz: None),
       operand_rule=_float_operand)
define("isinf", 1, np.isinf, "isinf({0})", rule_bool, _g_unary(lambda T, x, z, gz: None),
       operand_rule=_float_operand)
define("sigmoid", 1, _sigmoid, "jg_sigmoid({0})", rule_float,
       _g_unary(lambda T, x, z, gz: gz * z * (1 - z)))
define("softplus", 1, _softplus, "jg_softplus({0})", rule_float,
       _g_unary(lambda T, x, z, gz: gz * T.sigmoid(x)))
