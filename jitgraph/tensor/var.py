"""TensorVariable and TensorConstant: Python operators and methods on symbolic arrays."""
import numpy as np

from jitgraph.graph.basic import Constant, Variable
from jitgraph.tensor.type import TensorType


def _T():
    import jitgraph.tensor
    return jitgraph.tensor


class _TensorOperators:
    """Operators and methods shared by tensor variables and constants."""

    # Theano's `==` is identity (variables are dict keys); use T.eq for elementwise.
    __hash__ = object.__hash__

    def __bool__(self):
        raise TypeError("a symbolic variable has no truth value; use T.switch or jitgraph.ifelse "
                        "for conditions, T.eq / T.neq for comparisons")

    def __iter__(self):
        raise TypeError("a symbolic variable cannot be iterated; index it (x[i]) instead")

    def __len__(self):
        raise TypeError("len() of a symbolic variable is unknown; use x.shape[0]")

    # arithmetic
    def __add__(self, other): return _T().add(self, other)
    def __radd__(self, other): return _T().add(other, self)
    def __sub__(self, other): return _T().sub(self, other)
    def __rsub__(self, other): return _T().sub(other, self)
    def __mul__(self, other): return _T().mul(self, other)
    def __rmul__(self, other): return _T().mul(other, self)
    def __truediv__(self, other): return _T().true_div(self, other)
    def __rtruediv__(self, other): return _T().true_div(other, self)
    def __floordiv__(self, other): return _T().int_div(self, other)
    def __rfloordiv__(self, other): return _T().int_div(other, self)
    def __mod__(self, other): return _T().mod(self, other)
    def __rmod__(self, other): return _T().mod(other, self)
    def __pow__(self, other): return _T().pow(self, other)
    def __rpow__(self, other): return _T().pow(other, self)
    def __neg__(self): return _T().neg(self)
    def __pos__(self): return self
    def __abs__(self): return _T().abs_(self)
    def __matmul__(self, other): return _T().matmul(self, other)
    def __rmatmul__(self, other): return _T().matmul(other, self)

    # comparisons (not == / !=, see __hash__)
    def __lt__(self, other): return _T().lt(self, other)
    def __le__(self, other): return _T().le(self, other)
    def __gt__(self, other): return _T().gt(self, other)
    def __ge__(self, other): return _T().ge(self, other)

    # bitwise
    def __and__(self, other): return _T().and_(self, other)
    def __rand__(self, other): return _T().and_(other, self)
    def __or__(self, other): return _T().or_(self, other)
    def __ror__(self, other): return _T().or_(other, self)
    def __xor__(self, other): return _T().xor(self, other)
    def __rxor__(self, other): return _T().xor(other, self)
    def __invert__(self): return _T().invert(self)

    # attributes
    @property
    def ndim(self):
        return self.type.ndim

    @property
    def dtype(self):
        return self.type.dtype

    @property
    def broadcastable(self):
        return self.type.broadcastable

    @property
    def shape(self):
        return _T().shape(self)

    @property
    def size(self):
        return _T().prod(self.shape)

    @property
    def T(self):
        return _T().transpose(self)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
            axes = axes[0]
        return _T().transpose(self, axes or None)

    def dimshuffle(self, *pattern):
        if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
            pattern = pattern[0]
        return _T().dimshuffle(self, pattern)

    def reshape(self, shape, *more, ndim=None):
        if more:
            shape = (shape,) + more
        return _T().reshape(self, shape, ndim=ndim)

    def flatten(self, ndim=1):
        return _T().flatten(self, ndim)

    def astype(self, dtype):
        return _T().cast(self, dtype)

    def __getitem__(self, index):
        from jitgraph.tensor.subtensor import getitem
        return getitem(self, index)

    # reductions and methods
    def sum(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _T().sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def prod(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _T().prod(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _T().mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    # Theano's positional order: axis, ddof, keepdims, corrected
    def var(self, axis=None, ddof=0, keepdims=False, corrected=False):
        return _T().var(self, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected)

    def std(self, axis=None, ddof=0, keepdims=False, corrected=False):
        return _T().std(self, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected)

    def max(self, axis=None, keepdims=False):
        return _T().max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return _T().min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False):
        return _T().argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        return _T().argmin(self, axis=axis, keepdims=keepdims)

    def all(self, axis=None, keepdims=False):
        return _T().all(self, axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims=False):
        return _T().any(self, axis=axis, keepdims=keepdims)

    def dot(self, other):
        return _T().dot(self, other)

    def clip(self, a_min, a_max):
        return _T().clip(self, a_min, a_max)

    def round(self, mode="half_to_even"):
        return _T().round(self, mode)

    def norm(self, L, axis=None, keepdims=False):
        return _T().norm(self, L, axis, keepdims)

    def nonzero_values(self):
        return self.flatten()[_T().flatnonzero(self)]

    def zeros_like(self, dtype=None):
        return _T().zeros_like(self, dtype=dtype)

    def ones_like(self, dtype=None):
        return _T().ones_like(self, dtype=dtype)

    def repeat(self, repeats, axis=None):
        return _T().repeat(self, repeats, axis)

    def cumsum(self, axis=None):
        return _T().cumsum(self, axis)

    def cumprod(self, axis=None):
        return _T().cumprod(self, axis)

    def squeeze(self):
        return _T().squeeze(self)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return _T().diagonal(self, offset, axis1, axis2)

    def nonzero(self, return_matrix=False):
        return _T().nonzero(self, return_matrix)

    def ravel(self):
        return self.flatten()

    def take(self, indices, axis=None, mode="raise"):
        return _T().take(self, indices, axis, mode)

    def copy(self, name=None):
        out = _T().tensor_copy(self)
        out.name = name
        return out


class TensorVariable(_TensorOperators, Variable):
    """A symbolic n-dimensional array."""

    def __str__(self):
        if self.name is not None:
            return self.name
        if self.owner is None:
            return f"<{self.type}>"
        return Variable.__str__(self)


class TensorConstant(_TensorOperators, Constant):
    """A constant array; its data is a read-only ndarray."""

    def __init__(self, type, data, name=None):
        Constant.__init__(self, type, data, name)
        self.data = np.array(self.data, copy=True)
        self.data.setflags(write=False)
        self._sig = None

    def signature(self):
        if self._sig is None:
            d = self.data
            self._sig = (self.type, d.shape, d.tobytes())
        return self._sig

    def __str__(self):
        if self.name is not None:
            return self.name
        d = self.data
        if d.ndim == 0:
            return f"TensorConstant{{{d.item()!r}}}"
        return f"TensorConstant{{{d.tolist() if d.size <= 10 else '...'}}}"

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_sig"] = None
        return state


TensorType.variable_type = TensorVariable
TensorType.constant_type = TensorConstant


def _autocast_python_scalar(x):
    """Theano's rule: bools -> bool, ints -> the smallest int type holding them, floats ->
    floatX when it is float32, else the smallest exact float type."""
    from jitgraph.config import config
    if isinstance(x, (bool, np.bool_)):
        return np.asarray(x, dtype="bool")
    if isinstance(x, int):
        for dt in ("int8", "int16", "int32", "int64"):
            info = np.iinfo(dt)
            if info.min <= x <= info.max:
                return np.asarray(x, dtype=dt)
        raise OverflowError(f"integer constant {x} does not fit in int64")
    if isinstance(x, float):
        if config.floatX == "float32":
            return np.asarray(x, dtype="float32")
        as32 = np.asarray(x, dtype="float32")
        return as32 if (float(as32) == x or np.isnan(x)) else np.asarray(x, dtype="float64")
    raise TypeError(f"cannot make a constant of {x!r}")


def constant(x, name=None, ndim=None, dtype=None):
    """A TensorConstant holding ``x`` (Python scalars are autocast as in Theano)."""
    if dtype is not None:
        from jitgraph.tensor.type import normalize_dtype
        data = np.asarray(x, dtype=normalize_dtype(dtype))
    elif isinstance(x, (bool, int, float)) and not isinstance(x, np.generic):
        data = _autocast_python_scalar(x)
    else:
        data = np.asarray(x)
        if data.dtype == object:
            raise TypeError(f"cannot make a tensor constant from {type(x).__name__} {x!r}")
        if data.dtype.kind == "c":
            raise TypeError("complex values are not supported")
        if data.dtype == np.float16:
            data = data.astype("float32")
        if data.size == 0 and not hasattr(x, "dtype"):
            data = data.astype(config_floatx())
    if ndim is not None:
        if data.ndim > ndim:
            raise ValueError(f"constant of {data.ndim} dimensions given where {ndim} were asked")
        data = data.reshape((1,) * (ndim - data.ndim) + data.shape)
    ttype = TensorType(data.dtype, shape=data.shape)
    return TensorConstant(ttype, data, name=name)


def config_floatx():
    from jitgraph.config import config
    return config.floatX


def as_tensor_variable(x, name=None, ndim=None):
    """``x`` as a tensor Variable: variables pass through, Python and numpy values become
    constants, lists of variables are stacked."""
    if isinstance(x, Variable):
        if not isinstance(x.type, TensorType):
            raise TypeError(f"{x} of type {x.type} is not a tensor")
        if ndim is not None and x.ndim != ndim:
            if x.ndim < ndim:
                return _T().shape_padleft(x, ndim - x.ndim)
            raise ValueError(f"{x} has {x.ndim} dimensions, {ndim} expected")
        return x
    if hasattr(x, "_as_tensor_variable"):
        return x._as_tensor_variable()
    if isinstance(x, (list, tuple)) and any(isinstance(e, Variable) for e in x):
        return _T().stack([as_tensor_variable(e) for e in x])
    return constant(x, name=name, ndim=ndim)
