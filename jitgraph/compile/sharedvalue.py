"""Shared variables: state that compiled functions read and update in place of a round
trip through the caller."""
import copy

import numpy as np

from jitgraph.graph.basic import Variable
from jitgraph.tensor.type import TensorType
from jitgraph.tensor.var import _TensorOperators


class SharedVariable(Variable):
    """A Variable with a value that persists across calls.

    ``container`` is a one-element list holding the value; every function using this
    variable reads that same cell, so ``set_value`` and updates are seen by all of them.
    """

    def __init__(self, type, value, name=None, strict=False, allow_downcast=None):
        super().__init__(type, None, None, name)
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.container = [_writable(type.filter(value, strict=strict, allow_downcast=allow_downcast))]

    def get_value(self, borrow=False, return_internal_type=False):
        """The current value; a copy unless ``borrow=True``."""
        value = self.container[0]
        return value if borrow else copy.deepcopy(value)

    def set_value(self, new_value, borrow=False):
        """Replace the value (a copy of ``new_value`` unless ``borrow=True``); the shape may
        change, the dtype and number of dimensions may not."""
        try:
            value = self.type.filter(new_value, strict=self.strict, allow_downcast=self.allow_downcast)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"set_value of shared variable {self.name or '<unnamed>'}: {exc}") from None
        if not borrow and value is new_value:
            value = copy.deepcopy(value)
        self.container[0] = _writable(value)

    @property
    def value(self):
        return self.get_value()

    def clone(self):
        cp = self.__class__.__new__(self.__class__)
        cp.__dict__.update(self.__dict__)
        cp.tag = self.tag.copy()
        return cp

    def zero(self, borrow=False):
        self.set_value(np.zeros_like(self.container[0]), borrow=True)

    def __str__(self):
        return self.name if self.name is not None else f"<{type(self).__name__}({self.type})>"

    __repr__ = __str__


class TensorSharedVariable(_TensorOperators, SharedVariable):
    """A shared n-dimensional array."""

    __hash__ = object.__hash__

    def clone(self):
        return SharedVariable.clone(self)


def _writable(value):
    """``value``, or a copy where it is a read-only array: updates may be computed in place
    into a shared variable's storage (the inplace rewrite)."""
    if isinstance(value, np.ndarray) and not value.flags.writeable:
        return value.copy()
    return value


def shared(value, name=None, strict=False, allow_downcast=None, borrow=False, broadcastable=None,
           **kwargs):
    """A shared variable holding ``value`` (an array, a Python scalar or a
    ``numpy.random.RandomState``). The value is copied unless ``borrow=True``.

    Arrays are not broadcastable in any dimension unless ``broadcastable`` says so, as
    in Theano, so the same variable accepts new values of any shape.
    """
    from jitgraph.config import config
    target = kwargs.pop("target", None)
    if kwargs:
        raise TypeError(f"shared() got unexpected keyword argument(s) {', '.join(sorted(kwargs))}")
    # Theano's target='cpu' keeps a value on the host under device=cuda; any other target is the GPU
    on_gpu = target not in (None, "cpu") or (target is None and config.device == "cuda")
    if isinstance(value, SharedVariable):
        raise TypeError("shared() was given a shared variable; pass its value (x.get_value())")
    if isinstance(value, Variable):
        raise TypeError(f"shared() needs a value, not the symbolic variable {value}; "
                        "use theano.function or .eval() to compute it first")
    if isinstance(value, np.random.RandomState):
        from jitgraph.tensor.raw_random import RandomStateSharedVariable, random_state_type
        return RandomStateSharedVariable(random_state_type, value if borrow else copy.deepcopy(value),
                                         name=name, strict=strict, allow_downcast=allow_downcast)
    if isinstance(value, (bool, int, float, np.generic)):
        arr = np.asarray(value)
    elif isinstance(value, np.ndarray):
        arr = value if borrow else value.copy()
    else:
        arr = np.array(value)
    if arr.dtype == object or arr.dtype.kind == "c":
        raise TypeError(f"shared(): values of dtype {arr.dtype} are not supported")
    if arr.dtype.kind == "U" or arr.dtype.kind == "S":
        raise TypeError("shared(): string values are not supported")
    if broadcastable is None:
        broadcastable = (False,) * arr.ndim
    ttype = TensorType(arr.dtype, broadcastable)
    if on_gpu:
        from jitgraph.compile.cuda_shared import CudaSharedVariable
        return CudaSharedVariable(ttype, arr, name=name, strict=strict, allow_downcast=allow_downcast)
    return TensorSharedVariable(ttype, arr, name=name, strict=strict, allow_downcast=allow_downcast)


__all__ = ["shared", "SharedVariable", "TensorSharedVariable"]
