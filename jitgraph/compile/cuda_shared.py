"""Shared variables in GPU memory (``shared()`` under ``device=cuda``).

The value lives in a :class:`~jitgraph.runtime.cuda.DeviceArray` in the variable's
``container`` cell, where CUDA functions read it and leave their updates, so training
never moves weights to the host. ``get_value()`` copies to the host (``borrow`` cannot
avoid that copy); ``get_value(borrow=True, return_internal_type=True)`` returns the
DeviceArray itself, as Theano returned its GPU array. ``set_value()`` copies in.

A pickle holds the value as host data, restored by ``_unpickle_cuda_shared`` (the
marker): in GPU memory where a GPU is usable, else as a host shared variable with a
warning naming the variable.
"""
import warnings

import numpy as np

from jitgraph.compile.sharedvalue import TensorSharedVariable
from jitgraph.runtime import cuda


class CudaHostFallbackWarning(UserWarning):
    """A GPU shared variable was unpickled where no GPU is usable; it lives on the host."""


class CudaSharedVariable(TensorSharedVariable):
    """A shared n-d array in device memory."""

    __hash__ = object.__hash__
    on_device = True   # functions reading it run under the CUDA executor, whatever config.device says

    def __init__(self, type, value, name=None, strict=False, allow_downcast=None):
        runtime = cuda.require()   # no GPU: CudaUnavailableError, before anything is made
        super().__init__(type, value, name=name, strict=strict, allow_downcast=allow_downcast)
        self.container[0] = runtime.upload(self.container[0])

    def get_value(self, borrow=False, return_internal_type=False):
        """A host copy of the value (the DeviceArray itself with ``borrow=True,
        return_internal_type=True``)."""
        value = self.container[0]
        if borrow and return_internal_type:
            return value
        return value.to_host()

    def set_value(self, new_value, borrow=False):
        """Copy ``new_value`` (an array, or a DeviceArray) into device memory; the shape may
        change, the dtype and number of dimensions may not."""
        label = f"set_value of shared variable {self.name or '<unnamed>'}"
        if isinstance(new_value, cuda.DeviceArray):
            if new_value.dtype != self.type.numpy_dtype or new_value.ndim != self.type.ndim:
                raise TypeError(f"{label}: expected {self.type}, got a DeviceArray of {new_value.dtype} "
                                f"with {new_value.ndim} dimension(s)")
            for d, (want, got) in enumerate(zip(self.type.shape, new_value.shape)):
                if want is not None and want != got:
                    raise ValueError(f"{label}: dimension {d} must have size {want}, got {got}")
            self.container[0] = new_value if borrow else new_value.copy()
            return
        try:
            value = self.type.filter(new_value, strict=self.strict, allow_downcast=self.allow_downcast)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{label}: {exc}") from None
        self.container[0] = cuda.require().upload(value)

    def zero(self, borrow=False):
        value = self.container[0]
        self.set_value(np.zeros(value.shape, value.dtype))

    def __reduce_ex__(self, protocol):
        state = self.__getstate__()
        state["container"] = [self.get_value()]
        return _unpickle_cuda_shared, (self.name,), state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if isinstance(self.container[0], np.ndarray):
            self.container[0] = cuda.require().upload(self.container[0])


def _unpickle_cuda_shared(name):
    """An empty shared variable for a pickled GPU one: in device memory when a GPU is
    usable here, else on the host (with a warning). Pickle then sets its state."""
    if cuda.available():
        return CudaSharedVariable.__new__(CudaSharedVariable)
    warnings.warn(f"shared variable {name or '<unnamed>'!r} was pickled in GPU memory (device=cuda), but no "
                  f"GPU is usable here ({cuda.unavailable_reason()}); it is restored as a host (CPU) shared "
                  "variable", CudaHostFallbackWarning, stacklevel=2)
    return TensorSharedVariable.__new__(TensorSharedVariable)


def is_cuda_shared(var):
    return isinstance(var, CudaSharedVariable)


__all__ = ["CudaSharedVariable", "CudaHostFallbackWarning", "is_cuda_shared"]
