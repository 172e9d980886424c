"""Shared variables under device=cuda (jitgraph/compile/cuda_shared.py): made by
``shared()`` when config.device is cuda at creation, a clear error without a GPU, host
values for RandomState and target='cpu', pickles that unpickle as host variables (with a
warning naming them) where no GPU is usable, and — on a GPU — values in device memory."""
import pickle
import warnings

import numpy as np
import pytest

import jitgraph as theano
import jitgraph.tensor as T
from jitgraph import config
from jitgraph.compile.cuda_shared import CudaHostFallbackWarning, CudaSharedVariable
from jitgraph.compile.sharedvalue import TensorSharedVariable
from jitgraph.runtime import cuda
from jitgraph.runtime.cuda import CudaUnavailableError, DeviceArray

gpu = pytest.mark.skipif(not cuda.available(), reason=f"needs a CUDA GPU: {cuda.unavailable_reason()}")
no_gpu = pytest.mark.skipif(cuda.available(), reason="checks the behaviour without a GPU")


@no_gpu
def test_making_a_gpu_shared_variable_without_a_gpu_says_why():
    with config.change_flags(device="cuda"):
        with pytest.raises(CudaUnavailableError) as err:
            theano.shared(np.zeros(3), name="W")
    assert str(err.value) == cuda.unavailable_reason()
    with pytest.raises(CudaUnavailableError):
        theano.shared(np.zeros(3), target="dev0")


def test_the_device_is_read_when_the_variable_is_made():
    v = theano.shared(np.zeros(3))
    assert type(v) is TensorSharedVariable
    with config.change_flags(device="cuda"):
        # these stay on the host under device=cuda
        rng = theano.shared(np.random.RandomState(3))
        assert type(rng).__name__ == "RandomStateSharedVariable"
        host = theano.shared(np.ones(2), target="cpu")
        assert type(host) is TensorSharedVariable
        # bad values are refused before the GPU is looked for
        with pytest.raises(TypeError, match="string values"):
            theano.shared(np.array(["a"]))


class _HostBacked(DeviceArray):
    """Stands for device memory in pickling tests (pickling reads only ``to_host``)."""

    __slots__ = ("host",)

    def __init__(self, host):
        super().__init__(0x1000, host.shape, host.strides, host.dtype, owner=None)
        self.host = host

    def to_host(self, runtime=None):
        return self.host.copy()


def _gpu_variable_without_a_gpu(value, name):
    """A CudaSharedVariable as a GPU machine would pickle it, made without one."""
    v = CudaSharedVariable.__new__(CudaSharedVariable)
    TensorSharedVariable.__init__(v, T.TensorType(value.dtype, (False,) * value.ndim), value, name=name)
    v.container[0] = _HostBacked(value)
    return v


class _Model:
    def __init__(self, W):
        self.W = W
        self.x = T.dmatrix("x")
        self.y = T.dot(self.x, W)


@no_gpu
def test_unpickling_a_gpu_shared_variable_without_a_gpu_gives_a_host_variable_and_a_warning():
    value = np.arange(6.0).reshape(2, 3)
    model = _Model(_gpu_variable_without_a_gpu(value, "W"))
    model.W.default_update = model.W * 2
    data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    assert b"_unpickle_cuda_shared" in data          # the marker
    with pytest.warns(CudaHostFallbackWarning) as rec:
        back = pickle.loads(data)
    msg = str(rec[0].message)
    assert "'W'" in msg and "no GPU is usable here" in msg and "no CUDA device" in msg
    assert type(back.W) is TensorSharedVariable
    np.testing.assert_array_equal(back.W.get_value(), value)
    # the restored graph refers to the restored variable and runs on the CPU
    assert back.y.owner.inputs[1] is back.W and back.W.default_update.owner.inputs[0] is back.W
    f = theano.function([back.x], back.y)
    np.testing.assert_allclose(f(np.ones((1, 2))), np.ones((1, 2)) @ value)
    np.testing.assert_array_equal(back.W.get_value(), 2 * value)   # its default update ran


@no_gpu
def test_unpickling_an_unnamed_variable_names_it_so():
    data = pickle.dumps(_gpu_variable_without_a_gpu(np.zeros(2, "float32"), None))
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        back = pickle.loads(data)
    assert "'<unnamed>'" in str(rec[0].message)
    assert back.get_value().dtype == np.float32


# ------------------------------------------------------------ on a GPU

@gpu
def test_gpu_shared_variable_lives_in_device_memory():
    value = np.arange(12, dtype="float32").reshape(3, 4)
    with config.change_flags(device="cuda"):
        W = theano.shared(value, name="W")
    assert isinstance(W, CudaSharedVariable) and isinstance(W.container[0], DeviceArray)
    got = W.get_value(borrow=True)
    assert isinstance(got, np.ndarray) and got is not value
    np.testing.assert_array_equal(got, value)
    assert W.get_value(borrow=True, return_internal_type=True) is W.container[0]
    W.set_value(np.ones((5, 2), "float32"))          # the shape may change
    np.testing.assert_array_equal(W.get_value(), np.ones((5, 2)))
    with pytest.raises(TypeError, match="set_value of shared variable W"):
        W.set_value(np.ones(3, "float32"))
    with pytest.raises(TypeError, match="set_value of shared variable W"):
        W.set_value(np.ones((2, 2), "complex64"))
    W.zero()
    np.testing.assert_array_equal(W.get_value(), np.zeros((5, 2)))
    back = pickle.loads(pickle.dumps(W))
    assert isinstance(back, CudaSharedVariable)
    np.testing.assert_array_equal(back.get_value(), np.zeros((5, 2)))
