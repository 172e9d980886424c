"""Variable constructors, elementwise functions, casts and fills."""

from jitgraph.scalar import basic as scal
from jitgraph.tensor.elemwise import Elemwise
from jitgraph.tensor.type import TensorType, normalize_dtype
from jitgraph.tensor.var import TensorConstant, TensorVariable, as_tensor_variable, constant

# ------------------------------------------------------------ constructors

_PREFIX_DTYPES = {"b": "int8", "w": "int16", "i": "int32", "l": "int64", "f": "float32", "d": "float64"}
_KINDS = {"scalar": (), "vector": (False,), "matrix": (False, False), "row": (True, False),
          "col": (False, True), "tensor3": (False,) * 3, "tensor4": (False,) * 4,
          "tensor5": (False,) * 5}
_PLURALS = {"scalar": "scalars", "vector": "vectors", "matrix": "matrices", "row": "rows",
            "col": "cols", "tensor3": "tensor3s", "tensor4": "tensor4s", "tensor5": "tensor5s"}


def tensor(dtype=None, broadcastable=None, name=None, shape=None):
    """A symbolic tensor: ``tensor('float32', (False, True))`` or ``tensor(dtype, shape=(None, 3))``."""
    if broadcastable is None and shape is None:
        raise TypeError("tensor() needs broadcastable or shape")
    return TensorType(dtype, broadcastable, shape=shape)(name)


def _make_constructor(kind, fixed_dtype):
    bcast = _KINDS[kind]

    def make(name=None, dtype=None, shape=None):
        if fixed_dtype is not None and dtype is not None and normalize_dtype(dtype) != fixed_dtype:
            raise TypeError(f"this constructor makes {fixed_dtype}; dtype={dtype!r} conflicts")
        return TensorType(fixed_dtype or dtype, bcast, shape=shape)(name)
    make.__name__ = kind
    make.__doc__ = f"A symbolic {kind} ({fixed_dtype or 'floatX by default'})."
    return make


def _make_plural(single):
    # Theano's rule: an int n gives n variables; one name of several characters gives one
    # variable per character; one single-character name gives the variable itself.
    def make(*names, dtype=None):
        if names and isinstance(names[0], int):
            return single(dtype=dtype) if names[0] == 1 else [single(dtype=dtype) for _ in range(names[0])]
        if len(names) == 1:
            names = names[0]
        if len(names) == 1:
            return single(names, dtype=dtype)
        return [single(n, dtype=dtype) for n in names]
    return make


__all__ = ["tensor", "TensorType", "TensorVariable", "TensorConstant", "as_tensor_variable",
           "constant", "as_tensor"]
for _kind in _KINDS:
    for _prefix, _dtype in [("", None)] + list(_PREFIX_DTYPES.items()):
        _single = _make_constructor(_kind, _dtype)
        globals()[_prefix + _kind] = _single
        globals()[_prefix + _PLURALS[_kind]] = _make_plural(_single)
        __all__ += [_prefix + _kind, _prefix + _PLURALS[_kind]]

as_tensor = as_tensor_variable

# ------------------------------------------------------------ elementwise

_ELEMWISE = {}


def elemwise_op(name):
    op = _ELEMWISE.get(name)
    if op is None:
        op = _ELEMWISE[name] = Elemwise(scal.get_scalar_op(name))
    return op


def _elemwise_fn(name, pyname=None):
    op = elemwise_op(name)

    def fn(*args):
        return op(*args)
    fn.__name__ = pyname or name
    fn.__doc__ = f"Elementwise {name} (broadcasting)."
    return fn


for _name in ["add", "sub", "mul", "true_div", "int_div", "mod", "maximum", "minimum", "arctan2",
              "lt", "gt", "le", "ge", "eq", "neq", "and_", "or_", "invert", "neg", "sgn", "exp", "exp2",
              "expm1", "log", "log2", "log10", "log1p", "sqrt", "sqr", "inv", "sin", "cos", "tan",
              "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
              "erf", "erfc", "floor", "ceil", "trunc", "isnan", "isinf", "sigmoid", "softplus",
              "second", "identity"]:
    globals()[_name] = _elemwise_fn(_name)
    __all__.append(_name)

abs_ = _elemwise_fn("abs", "abs_")
fill = second
tensor_copy = identity
reciprocal = inv
bitwise_and, bitwise_or, bitwise_not = and_, or_, invert
div_proxy = true_div
__all__ += ["abs_", "fill", "tensor_copy", "reciprocal", "xor", "pow", "switch", "where", "clip", "cast",
            "round", "zeros_like", "ones_like", "zeros", "ones", "iround", "bitwise_and", "bitwise_or",
            "bitwise_xor", "bitwise_not", "square", "true_divide", "floor_div", "pow", "power"]
square = sqr
true_divide = true_div
floor_div = int_div


def pow(x, y):
    """``x ** y``, elementwise."""
    return elemwise_op("pow")(x, y)


power = pow


def xor(x, y):
    """Bitwise xor of integers or bools. On floats it is an error: ``^`` is not a power."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    for v in (x, y):
        if not scal.is_discrete(v.dtype):
            raise TypeError(
                f"'^' / xor is bitwise exclusive-or and needs integer or bool operands, got {v.dtype} "
                f"({v}); for a power write x ** 2 (Python parses 5*x^2 as (5*x) ^ 2)")
    return elemwise_op("xor")(x, y)


bitwise_xor = xor


def switch(cond, ift, iff):
    """Elementwise ``ift if cond else iff`` (both branches are computed)."""
    return elemwise_op("switch")(cond, ift, iff)


where = switch


def clip(x, min, max):
    """``x`` limited to ``[min, max]``."""
    return elemwise_op("clip")(x, min, max)


def cast(x, dtype):
    """``x`` converted to ``dtype`` (a no-op when it already has it)."""
    x = as_tensor_variable(x)
    dtype = normalize_dtype(dtype)
    if x.dtype == dtype:
        return x
    return Elemwise(scal.Cast(dtype))(x)


def round(x, mode=None):
    """Round to integers: mode 'half_to_even' (numpy's rule and Theano 1.0.5's default) or
    'half_away_from_zero'."""
    if mode is None:
        mode = "half_to_even"
    if mode not in ("half_away_from_zero", "half_to_even"):
        raise ValueError(f"round mode {mode!r}: expected 'half_away_from_zero' or 'half_to_even'")
    return elemwise_op("round_" + mode)(x)


def iround(x, mode=None):
    return cast(round(x, mode), "int64")


def zeros_like(x, dtype=None):
    """Zeros with the shape (and, unless given, the dtype) of ``x``."""
    x = as_tensor_variable(x)
    return second(x, constant(0, dtype=dtype or x.dtype))


def ones_like(x, dtype=None):
    x = as_tensor_variable(x)
    return second(x, constant(1, dtype=dtype or x.dtype))


def zeros(shape, dtype=None):
    from jitgraph.tensor.shape import alloc
    return alloc(constant(0, dtype=dtype or "floatX"), *_shape_args(shape))


def ones(shape, dtype=None):
    from jitgraph.tensor.shape import alloc
    return alloc(constant(1, dtype=dtype or "floatX"), *_shape_args(shape))


def _shape_args(shape):
    if isinstance(shape, (list, tuple)):
        return list(shape)
    shape = as_tensor_variable(shape)
    if shape.ndim == 0:
        return [shape]
    if shape.ndim != 1 or shape.type.shape[0] is None:
        raise ValueError(f"zeros/ones: the shape {shape} ({shape.type}) must be a list or tuple, or an "
                         "int vector of statically known length; pass a tuple such as (n, m)")
    return [shape[i] for i in range(shape.type.shape[0])]
