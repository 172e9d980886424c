"""TensorType: the type of an n-dimensional array variable."""
import numpy as np

from jitgraph.graph.basic import Type
from jitgraph.scalar.basic import ALL_DTYPES

_DTYPE_ALIASES = {"floatX": None, "float": "float64", "int": "int64", "bool_": "bool"}


def normalize_dtype(dtype):
    """'floatX' -> config.floatX; numpy dtypes -> their names; unknown -> TypeError."""
    from jitgraph.config import config
    if dtype is None or dtype == "floatX":
        return config.floatX
    if isinstance(dtype, str) and dtype in _DTYPE_ALIASES:
        return _DTYPE_ALIASES[dtype]
    try:
        name = np.dtype(dtype).name
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}; supported: {', '.join(ALL_DTYPES)}") from None
    if name not in ALL_DTYPES:
        raise TypeError(f"dtype {name!r} is not supported; supported: {', '.join(ALL_DTYPES)}")
    return name


_KIND_NAMES = {(): "scalar", (False,): "vector", (True,): "vector-of-1", (False, False): "matrix",
               (True, False): "row", (False, True): "col"}


class TensorType(Type):
    """``TensorType(dtype, broadcastable, shape=None)``.

    ``broadcastable[i]`` says dimension i is always 1 and broadcasts; ``shape`` gives
    static sizes (None where unknown). Either may define the number of dimensions.
    """

    def __init__(self, dtype, broadcastable=None, shape=None, name=None):
        self.dtype = normalize_dtype(dtype)
        if broadcastable is None and shape is None:
            raise TypeError("TensorType needs broadcastable or shape")
        if shape is not None:
            shape = tuple(None if s is None else int(s) for s in shape)
            if broadcastable is None:
                broadcastable = tuple(s == 1 for s in shape)
            elif len(broadcastable) != len(shape):
                raise ValueError(f"broadcastable {broadcastable} and shape {shape} differ in length")
        self.broadcastable = tuple(bool(b) for b in broadcastable)
        if shape is None:
            shape = tuple(1 if b else None for b in self.broadcastable)
        else:
            shape = tuple(1 if b else s for b, s in zip(self.broadcastable, shape))
        self.shape = shape
        self.ndim = len(self.broadcastable)
        self.name = name
        self.numpy_dtype = np.dtype(self.dtype)
        self._hash = hash((self.dtype, self.broadcastable, self.shape))

    def clone(self, dtype=None, broadcastable=None, shape=None):
        if broadcastable is not None and shape is None:
            shape = tuple(s if not b else 1 for s, b in zip(self.shape, broadcastable)) \
                if len(broadcastable) == self.ndim else None
        return TensorType(dtype or self.dtype,
                          broadcastable if broadcastable is not None else self.broadcastable,
                          shape=shape if shape is not None else (self.shape if broadcastable is None else None))

    def __eq__(self, other):
        return (type(other) is TensorType and self.dtype == other.dtype
                and self.broadcastable == other.broadcastable and self.shape == other.shape)

    def __hash__(self):
        return self._hash

    def in_same_class(self, other):
        """Same dtype and broadcast pattern (static sizes may differ)."""
        return (isinstance(other, TensorType) and self.dtype == other.dtype
                and self.broadcastable == other.broadcastable)

    def __str__(self):
        if self.name:
            return self.name
        kind = _KIND_NAMES.get(self.broadcastable, f"{self.ndim}D")
        if any(s is not None and s != 1 for s in self.shape):
            kind += f", shape={self.shape}"
        return f"TensorType({self.dtype}, {kind})"

    __repr__ = __str__

    def filter(self, value, strict=False, allow_downcast=None):
        """Return ``value`` as an ndarray of this type, or raise TypeError/ValueError.

        Casts that lose nothing happen silently; a lossy cast needs ``allow_downcast``,
        except that a Python float becomes a float32 (the obvious meaning).
        """
        if isinstance(value, np.ndarray) and value.dtype == self.numpy_dtype:
            arr = value
        elif strict:
            raise TypeError(f"expected an ndarray of dtype {self.dtype}, got {type(value).__name__}"
                            + (f" of dtype {value.dtype}" if hasattr(value, "dtype") else ""))
        else:
            arr = self._convert(value, allow_downcast)
        if arr.ndim != self.ndim:
            raise TypeError(f"expected {self.ndim} dimension(s) ({self}), got {arr.ndim} "
                            f"(shape {arr.shape})")
        for i, (size, want) in enumerate(zip(arr.shape, self.shape)):
            if want is not None and size != want:
                raise ValueError(f"dimension {i} has size {size}, but the type requires {want} "
                                 f"({'broadcastable' if want == 1 else 'static shape'} {self.shape})")
        return arr

    def _convert(self, value, allow_downcast):
        if isinstance(value, (bool, int, float, complex)) and not isinstance(value, np.generic):
            return self._convert_python_scalar(value, allow_downcast)
        arr = np.asarray(value)
        if arr.dtype == self.numpy_dtype:
            return arr
        if arr.dtype == object:
            raise TypeError(f"cannot convert a {type(value).__name__} to {self.dtype}")
        if allow_downcast or np.can_cast(arr.dtype, self.numpy_dtype, "safe"):
            return arr.astype(self.numpy_dtype)
        if not isinstance(value, (np.ndarray, np.generic)) and allow_downcast is None:
            # Python data (lists): accept when every value survives the conversion, and
            # Python floats into float32 (what such a literal obviously means)
            with np.errstate(all="ignore"):
                cast = arr.astype(self.numpy_dtype)
            if (arr.dtype.kind == "f" and self.numpy_dtype.kind == "f") or np.array_equal(cast, arr):
                return cast
        raise TypeError(f"cannot convert {arr.dtype} to {self.dtype} without losing information; "
                        f"cast it first (numpy: x.astype('{self.dtype}'), symbolic: T.cast(x, "
                        f"'{self.dtype}')) or pass allow_input_downcast=True")

    def _convert_python_scalar(self, value, allow_downcast):
        kind = self.numpy_dtype.kind
        if isinstance(value, complex):
            raise TypeError(f"cannot convert complex {value!r} to {self.dtype}")
        if kind == "f":
            if isinstance(value, float) or allow_downcast is not False:
                return np.asarray(value, dtype=self.numpy_dtype)
        if allow_downcast:
            return np.asarray(value).astype(self.numpy_dtype)
        if kind in "iub" and isinstance(value, float) and not float(value).is_integer():
            raise TypeError(f"cannot convert the float {value!r} to {self.dtype} without losing "
                            f"information; pass an integer or allow_input_downcast=True")
        try:
            with np.errstate(all="ignore"):
                arr = np.asarray(value, dtype=self.numpy_dtype)
        except OverflowError:
            arr = None
        if arr is None or arr.item() != value:
            raise TypeError(f"{value!r} does not fit in {self.dtype}; use a wider dtype or "
                            f"allow_input_downcast=True")
        return arr

    def value_zeros(self, shape):
        return np.zeros(shape, dtype=self.dtype)

    def make_variable(self, name=None):
        from jitgraph.tensor.var import TensorVariable
        return TensorVariable(self, None, None, name)

    def __reduce__(self):
        return (TensorType, (self.dtype, self.broadcastable, self.shape))


def scalar_type(dtype):
    return TensorType(dtype, ())
