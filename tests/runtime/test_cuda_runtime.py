"""The CUDA runtime (jitgraph/runtime/cuda.py): finding the libraries and saying exactly
what is missing, the caching allocator's logic (through a fake malloc/free backend),
device arrays as views, the module-call ABI (struct layouts against the C headers, a
gcc-built module called with host memory standing in for device memory), device flag
precedence. Tests marked `gpu` need a usable CUDA device and run where there is one."""
import shutil
import subprocess
import sys
import types

import numpy as np
import pytest

from jitgraph.codegen.c import template_text
from jitgraph.config import Config
from jitgraph.runtime import cuda
from jitgraph.runtime.cuda import (CachingAllocator, CudaUnavailableError, DeviceArray, DeviceBlock, ffi,
                                   size_class)

gpu = pytest.mark.skipif(not cuda.available(), reason=f"needs a CUDA GPU: {cuda.unavailable_reason()}")
no_gpu = pytest.mark.skipif(cuda.available(), reason="checks the behaviour without a GPU")


# ------------------------------------------------------------ finding the libraries

def test_available_never_raises_and_agrees_with_require():
    ok = cuda.available()
    assert isinstance(ok, bool)
    if ok:
        assert cuda.require() is cuda.require()
        assert cuda.unavailable_reason() is None
    else:
        with pytest.raises(CudaUnavailableError) as err:
            cuda.require()
        assert str(err.value) == cuda.unavailable_reason()


def test_missing_cudart_names_the_library_and_where_it_looked(tmp_path):
    with pytest.raises(CudaUnavailableError) as err:
        cuda.require(search_dirs=[str(tmp_path)])
    msg = str(err.value)
    assert msg.startswith("CUDA runtime library libcudart not found")
    assert str(tmp_path) in msg
    assert "ldconfig" not in msg          # explicit folders are searched alone
    assert "JITGRAPH_CUDA_LIBRARY_PATH" in msg


def test_missing_cublas_names_the_library(tmp_path):
    with pytest.raises(CudaUnavailableError) as err:
        cuda.load_cublas([str(tmp_path)])
    msg = str(err.value)
    assert msg.startswith("cuBLAS library libcublas not found")
    assert str(tmp_path) in msg and "nvidia-cublas" in msg


def test_environment_override_replaces_the_search(tmp_path, monkeypatch):
    monkeypatch.setenv("JITGRAPH_CUDA_LIBRARY_PATH", str(tmp_path))
    assert cuda.library_search_dirs() == [str(tmp_path)]
    assert cuda.find_library("cudart") is None
    with pytest.raises(CudaUnavailableError, match="libcudart not found; searched " + str(tmp_path)):
        cuda.load_cudart()


def test_highest_versioned_library_wins(tmp_path):
    for name in ("libcudart.so", "libcudart.so.12", "libcudart.so.13.0.96", "libcudart.so.13"):
        (tmp_path / name).write_bytes(b"")
    assert cuda.find_library("cudart", [str(tmp_path)]) == str(tmp_path / "libcudart.so.13.0.96")


def test_nvidia_wheel_folders_are_searched(tmp_path, monkeypatch):
    lib = tmp_path / "nvidia" / "cu13" / "lib"
    lib.mkdir(parents=True)
    (lib / "libcublas.so.13").write_bytes(b"")
    monkeypatch.delenv("JITGRAPH_CUDA_LIBRARY_PATH", raising=False)
    monkeypatch.setattr(sys, "path", [str(tmp_path)] + sys.path)
    dirs = cuda.library_search_dirs()
    assert str(lib) in dirs
    assert dirs.index(str(lib)) < dirs.index("/usr/local/cuda/lib64")
    assert cuda.find_library("cublas") == str(lib / "libcublas.so.13")


def test_a_file_that_is_not_a_library_is_reported(tmp_path):
    (tmp_path / "libcudart.so.13").write_bytes(b"not an ELF file")
    with pytest.raises(CudaUnavailableError, match="could not be loaded"):
        cuda.load_cudart([str(tmp_path)])


@no_gpu
def test_no_device_message_quotes_cuda():
    """With libcudart present and no usable device, the message is cudaGetDeviceCount's."""
    if cuda.find_library("cudart") is None:
        pytest.skip("no libcudart on this machine")
    with pytest.raises(CudaUnavailableError) as err:
        cuda.require()
    msg = str(err.value)
    assert msg.startswith("no CUDA device: cudaGetDeviceCount ")
    if "returned" in msg:   # the error's name and description follow its number
        assert "(cudaError" in msg


def test_device_flag_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))   # no rc file
    assert Config(environ={}).device == "cpu"
    assert Config(environ={"THEANO_FLAGS": "device=cuda0"}).device == "cuda"
    assert Config(environ={"THEANO_FLAGS": "device=gpu", "JITGRAPH_FLAGS": "floatX=float32"}).device == "cpu"
    assert Config(environ={"JITGRAPH_FLAGS": "device=cuda", "THEANO_FLAGS": "device=cpu"}).device == "cuda"
    (tmp_path / ".jitgraphrc").write_text("[global]\ndevice = cuda\n")
    assert Config(environ={}).device == "cuda"
    assert Config(environ={"JITGRAPH_FLAGS": "device=cpu"}).device == "cpu"
    c = Config(environ={"JITGRAPH_FLAGS": "device=cuda"})
    c.device = "cpu"                            # code beats the environment
    assert c.device == "cpu"
    with pytest.raises(ValueError, match="device"):
        Config(environ={"JITGRAPH_FLAGS": "device=tpu"})


# ------------------------------------------------------------ the caching allocator

class FakeDeviceMemory:
    """malloc/free over a counter of addresses, with a capacity to exhaust."""

    def __init__(self, capacity=1 << 30):
        self.capacity = capacity
        self.used = 0
        self.next = 0x10000
        self.blocks = {}
        self.mallocs = []
        self.frees = []

    def malloc(self, nbytes):
        if self.used + nbytes > self.capacity:
            raise MemoryError("fake device full")
        ptr = self.next
        self.next += nbytes + 256
        self.blocks[ptr] = nbytes
        self.used += nbytes
        self.mallocs.append(nbytes)
        return ptr

    def free(self, ptr):
        self.used -= self.blocks.pop(ptr)
        self.frees.append(ptr)


@pytest.mark.parametrize("nbytes, block", [(0, 512), (1, 512), (512, 512), (513, 1024), (3000, 4096),
                                           (1 << 20, 1 << 20), ((1 << 20) + 1, 2 << 20),
                                           ((2 << 20) + 1, 4 << 20), (5_000_000, 6 << 20)])
def test_size_classes(nbytes, block):
    assert size_class(nbytes) == block


def test_freed_blocks_serve_requests_of_their_class():
    mem = FakeDeviceMemory()
    a = CachingAllocator(mem)
    p = a.malloc(1000)
    assert mem.mallocs == [1024]
    assert a.stats() == {"bytes_in_use": 1024, "bytes_cached": 0, "requests": 1, "hits": 0, "device_allocs": 1}
    a.free(p)
    assert a.stats()["bytes_cached"] == 1024 and a.stats()["bytes_in_use"] == 0
    q = a.malloc(600)           # same class (1024): the cached block, no device call
    assert q == p and mem.mallocs == [1024]
    r = a.malloc(100)           # another class: a new block
    assert r != p and mem.mallocs == [1024, 512]
    assert a.stats() == {"bytes_in_use": 1536, "bytes_cached": 0, "requests": 3, "hits": 1, "device_allocs": 2}
    assert mem.frees == []      # nothing goes back to the device on free


def test_full_device_releases_the_cache_and_retries():
    mem = FakeDeviceMemory(capacity=4096)
    a = CachingAllocator(mem)
    small = [a.malloc(1024) for _ in range(3)]
    for p in small:
        a.free(p)
    assert mem.used == 3072 and a.stats()["bytes_cached"] == 3072
    big = a.malloc(2048)        # does not fit beside the cached blocks: they are released
    assert sorted(mem.frees) == sorted(small)
    assert a.stats() == {"bytes_in_use": 2048, "bytes_cached": 0, "requests": 4, "hits": 0, "device_allocs": 4}
    with pytest.raises(MemoryError, match="out of memory allocating 4096 bytes"):
        a.malloc(4096)
    a.free(big)


def test_empty_cache_and_bad_free():
    mem = FakeDeviceMemory()
    a = CachingAllocator(mem)
    p = a.malloc(10)
    a.free(p)
    with pytest.raises(ValueError, match="did not allocate or already freed"):
        a.free(p)
    a.empty_cache()
    assert mem.frees == [p] and a.stats()["bytes_cached"] == 0


def test_a_block_returns_to_the_allocator_when_its_last_array_goes():
    a = CachingAllocator(FakeDeviceMemory())
    block = DeviceBlock(a, a.malloc(800))
    arr = DeviceArray(block.ptr, (10, 10), (80, 8), "float64", block)
    view = arr[2:5]
    del block, arr
    assert a.stats()["bytes_in_use"] == 1024     # the view keeps the memory
    del view
    assert a.stats() == {"bytes_in_use": 0, "bytes_cached": 1024, "requests": 1, "hits": 0, "device_allocs": 1}


# ------------------------------------------------------------ device arrays

def test_views_are_pointer_arithmetic():
    base = DeviceArray(0x1000, (4, 6), (48, 8), "float64", owner=None)
    v = base[1:4, ::2]
    assert (v.ptr, v.shape, v.strides) == (0x1000 + 48, (3, 3), (48, 16))
    row = base[-1]
    assert (row.ptr, row.shape, row.strides) == (0x1000 + 3 * 48, (6,), (8,))
    rev = base[:, ::-1]
    assert (rev.ptr, rev.strides) == (0x1000 + 5 * 8, (48, -8))
    assert rev.extent() == (-40, 3 * 48 + 8)
    assert base[0:0].size == 0 and base[0:0].extent() == (0, 0)
    assert base.is_c_contiguous and not v.is_c_contiguous
    assert (base.nbytes, base.ndim, len(base)) == (192, 2, 4)
    with pytest.raises(IndexError, match="out of bounds"):
        base[4]
    with pytest.raises(IndexError, match="integers and slices"):
        base[None]


def test_cuda_array_interface():
    base = DeviceArray(0x1000, (4, 6), (24, 4), "float32", owner=None)
    assert base.__cuda_array_interface__ == {"shape": (4, 6), "typestr": "<f4", "data": (0x1000, False),
                                             "strides": None, "version": 3}
    assert base[:, 1::2].__cuda_array_interface__["strides"] == (24, 8)


def test_a_device_array_never_converts_to_numpy_silently():
    d = DeviceArray(0x1000, (3,), (8,), "float64", owner=None)
    with pytest.raises(TypeError, match=r"lives in GPU memory.*to_host"):
        np.asarray(d)


# ------------------------------------------------------------ the module-call ABI

def _gcc():
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("no gcc")
    return gcc


def test_struct_layouts_match_the_c_headers(tmp_path):
    headers = template_text("jg_abi.h") + template_text("cuda/jg_cuda.h")
    fields = {"jg_cuda_device": ["stream", "cublas_handle", "sgemm", "dgemm", "sgemv", "dgemv", "dev_alloc",
                                 "dev_free", "alloc_ctx", "device_id"],
              "jg_call": ["args", "nargs", "alloc", "alloc_ctx", "num_threads", "device", "err", "err_len"],
              "jg_buffer": ["data", "shape", "strides", "ndim", "dtype"]}
    lines = [f'printf("%zu\\n", sizeof({t})); ' + " ".join(f'printf("%zu\\n", offsetof({t}, {f}));' for f in fs)
             for t, fs in fields.items()]
    src = tmp_path / "layout.c"
    src.write_text("#include <stdio.h>\n" + headers + "\nint main(void) {\n" + "\n".join(lines) + "\nreturn 0; }\n")
    subprocess.run([_gcc(), str(src), "-o", str(tmp_path / "layout")], check=True)
    got = [int(v) for v in subprocess.run([str(tmp_path / "layout")], capture_output=True, text=True,
                                          check=True).stdout.split()]
    want = []
    for t, fs in fields.items():
        want += [ffi.sizeof(t)] + [ffi.offsetof(t, f) for f in fs]
    assert got == want


_TEST_MODULE = r"""
#include <stdio.h>
int jg_entry(jg_call *call) {
    jg_cuda_device *dev = (jg_cuda_device *)call->device;
    jg_buffer *x = &call->args[0], *y = &call->args[1];
    if (dev->device_id != 7 || dev->stream != (void *)0x5) {
        snprintf(call->err, (size_t)call->err_len, "bad device struct");
        return 1;
    }
    if (x->shape[0] == 0) {
        snprintf(call->err, (size_t)call->err_len, "x is empty");
        return 1;
    }
    double *tmp = (double *)dev->dev_alloc(dev->alloc_ctx, (size_t)x->shape[0] * sizeof(double));
    if (!tmp) return 3;
    for (int64_t i = 0; i < x->shape[0]; i++) tmp[i] = 2 * *(double *)((char *)x->data + i * x->strides[0]);
    y->ndim = 1; y->shape[0] = x->shape[0]; y->dtype = 10;
    if (call->alloc(call, 1, y)) return 3;
    for (int64_t i = 0; i < x->shape[0]; i++) ((double *)y->data)[i] = tmp[i] + 1;
    dev->dev_free(dev->alloc_ctx, tmp);
    return 0;
}
"""


class HostMemory:
    """Allocator backend over host memory: lets a gcc-built module stand where a CUDA
    module would, to test the call plumbing (not a GPU)."""

    def __init__(self):
        self.arrays = {}

    def malloc(self, nbytes):
        a = np.empty(nbytes, np.uint8)
        self.arrays[a.ctypes.data] = a
        return a.ctypes.data

    def free(self, ptr):
        del self.arrays[ptr]


def _read(mem, d):
    return np.ndarray(d.shape, d.dtype, buffer=ffi.buffer(ffi.cast("char *", d.ptr), d.nbytes),
                      strides=d.strides).copy()


def test_module_call_passes_buffers_device_struct_and_allocates_outputs(tmp_path):
    src = tmp_path / "m.c"
    src.write_text(template_text("jg_abi.h") + template_text("cuda/jg_cuda.h") + _TEST_MODULE)
    so = tmp_path / "m.so"
    subprocess.run([_gcc(), "-shared", "-fPIC", "-O1", str(src), "-o", str(so)], check=True)
    mem = HostMemory()
    allocator = CachingAllocator(mem)
    dev, keep = cuda.make_device_struct(allocator, ffi.cast("void *", 5), ffi.NULL, {}, 7)
    runtime = types.SimpleNamespace(allocator=allocator, device_struct=dev)
    host_x = np.arange(10.0)
    x = DeviceArray(host_x.ctypes.data, (5,), (16,), "float64", owner=host_x)   # a strided view
    module = cuda.CudaModule(str(so))
    (y,) = module.call(runtime, [x], [("float64", 1)])
    assert isinstance(y, DeviceArray) and y.shape == (5,) and y.strides == (8,)
    np.testing.assert_array_equal(_read(mem, y), 2 * host_x[::2] + 1)
    # the scratch block went back; the output's block is in use until y goes
    assert allocator.stats()["bytes_in_use"] == 512 and allocator.stats()["requests"] == 2
    del y
    assert allocator.stats()["bytes_in_use"] == 0
    with pytest.raises(ValueError, match="x is empty"):
        module.call(runtime, [x[0:0]], [("float64", 1)])
    bad, keep2 = cuda.make_device_struct(allocator, ffi.cast("void *", 5), ffi.NULL, {}, 0)
    with pytest.raises(ValueError, match="bad device struct"):
        module.call(types.SimpleNamespace(allocator=allocator, device_struct=bad), [x], [("float64", 1)])


_IN_PLACE_MODULE = r"""
int jg_entry(jg_call *call) {
    jg_buffer *x = &call->args[0], *y = &call->args[1];
    for (int64_t i = 0; i < x->shape[0]; i++) *(double *)((char *)x->data + i * x->strides[0]) *= 3;
    *y = *x;              /* the result is the argument's storage: nothing allocated */
    return 0;
}
"""


def test_an_output_computed_in_place_is_a_view_of_its_argument(tmp_path):
    src = tmp_path / "inplace.c"
    src.write_text(template_text("jg_abi.h") + template_text("cuda/jg_cuda.h") + _IN_PLACE_MODULE)
    so = tmp_path / "inplace.so"
    subprocess.run([_gcc(), "-shared", "-fPIC", str(src), "-o", str(so)], check=True)
    allocator = CachingAllocator(HostMemory())
    dev, keep = cuda.make_device_struct(allocator, ffi.NULL, ffi.NULL, {}, 0)
    runtime = types.SimpleNamespace(allocator=allocator, device_struct=dev)
    host = np.arange(6.0)
    owner = object()
    x = DeviceArray(host.ctypes.data, (3,), (16,), "float64", owner=owner)
    (y,) = cuda.CudaModule(str(so)).call(runtime, [x], [("float64", 1)])
    assert (y.ptr, y.shape, y.strides, y.owner) == (x.ptr, (3,), (16,), owner)
    np.testing.assert_array_equal(host, [0, 1, 6, 3, 12, 5])


# ------------------------------------------------------------ on a GPU

@gpu
def test_gpu_roundtrip_views_and_allocator_reuse():
    rt = cuda.require()
    host = np.random.RandomState(0).randn(7, 9)
    d = DeviceArray.from_host(host)
    np.testing.assert_array_equal(d.to_host(), host)
    np.testing.assert_array_equal(d[2:6, ::-3].to_host(), host[2:6, ::-3])
    np.testing.assert_array_equal(d.copy().to_host(), host)
    np.testing.assert_array_equal(DeviceArray.from_host(host.T).to_host(), host.T)
    assert DeviceArray.from_host(np.zeros((0, 3))).to_host().shape == (0, 3)
    free, total = rt.mem_info()
    assert 0 < free <= total
    before = rt.allocator.stats()
    del d
    DeviceArray.from_host(host)
    after = rt.allocator.stats()
    assert after["hits"] > before["hits"]
