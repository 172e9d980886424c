"""The CUDA runtime: libcudart and cuBLAS loaded through cffi's ABI mode at run time,
device memory (the caching allocator and ``DeviceArray`` of ``cuda_memory.py``, over
cudaMalloc), one stream, host<->device copies, the ``jg_cuda_device`` struct that
generated CUDA modules receive in ``jg_call.device`` (layout:
``csrc_templates/cuda/jg_cuda.h``) and the module call.

Nothing here is needed to *build* CUDA modules (nvcc links them; cuBLAS entry points
reach them as function pointers in ``jg_cuda_device``), so a machine with nvcc and no
GPU builds everything and fails only when code must run: ``require()`` raises
:class:`CudaUnavailableError` naming what is missing (the library, the device, or
cuBLAS). ``available()`` answers the same question without raising.

Libraries are searched, in order, in: ``JITGRAPH_CUDA_LIBRARY_PATH`` (a colon-separated
list that *replaces* the default search when set), the NVIDIA wheels' library folders
(``site-packages/nvidia/*/lib``, e.g. ``nvidia-cublas`` and ``nvidia-cuda-runtime``,
the ``cuda`` extra of this package), ``$CUDA_HOME/lib64``, ``$CUDA_PATH/lib64``,
``/usr/local/cuda/lib64``, then the system linker cache (ldconfig).

One process has one ``CudaRuntime``: device 0 of the visible devices (choose another
with ``CUDA_VISIBLE_DEVICES``), one stream on which every copy and kernel runs in
order, so device memory returned to the allocator can be reused by later work on the
stream without waiting.
"""
import ctypes.util
import glob
import math
import os
import site
import sys
import threading

import cffi
import numpy as np

from jitgraph.codegen.c import DTYPE_CODES
from jitgraph.runtime.cpu import ABI_CDEF
from jitgraph.runtime.cuda_memory import CachingAllocator, DeviceArray, DeviceBlock, c_strides, size_class

_CDEF = """
typedef int cudaError_t;
typedef void *cudaStream_t;
cudaError_t cudaGetDeviceCount(int *count);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDevice(int *device);
cudaError_t cudaMalloc(void **ptr, size_t size);
cudaError_t cudaFree(void *ptr);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count, int kind, cudaStream_t stream);
cudaError_t cudaMemsetAsync(void *ptr, int value, size_t count, cudaStream_t stream);
cudaError_t cudaStreamCreate(cudaStream_t *stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaMemGetInfo(size_t *free, size_t *total);
cudaError_t cudaRuntimeGetVersion(int *version);
cudaError_t cudaDriverGetVersion(int *version);
cudaError_t cudaGetLastError(void);
const char *cudaGetErrorString(cudaError_t error);
const char *cudaGetErrorName(cudaError_t error);

typedef int cublasStatus_t;
cublasStatus_t cublasCreate_v2(void **handle);
cublasStatus_t cublasDestroy_v2(void *handle);
cublasStatus_t cublasSetStream_v2(void *handle, void *stream);
cublasStatus_t cublasSetPointerMode_v2(void *handle, int mode);
cublasStatus_t cublasGetVersion_v2(void *handle, int *version);
cublasStatus_t cublasSgemm_v2(void *h, int ta, int tb, int m, int n, int k, const float *alpha,
                              const float *A, int lda, const float *B, int ldb, const float *beta,
                              float *C, int ldc);
cublasStatus_t cublasDgemm_v2(void *h, int ta, int tb, int m, int n, int k, const double *alpha,
                              const double *A, int lda, const double *B, int ldb, const double *beta,
                              double *C, int ldc);
cublasStatus_t cublasSgemv_v2(void *h, int t, int m, int n, const float *alpha, const float *A, int lda,
                              const float *x, int incx, const float *beta, float *y, int incy);
cublasStatus_t cublasDgemv_v2(void *h, int t, int m, int n, const double *alpha, const double *A, int lda,
                              const double *x, int incx, const double *beta, double *y, int incy);
""" + ABI_CDEF + """
int jg_entry(jg_call *call);

/* jg_cuda.h: the function pointers are declared void * here (same size and alignment) */
typedef struct jg_cuda_device {
    void *stream;
    void *cublas_handle;
    void *sgemm; void *dgemm; void *sgemv; void *dgemv;
    void *(*dev_alloc)(void *ctx, size_t nbytes);
    void (*dev_free)(void *ctx, void *ptr);
    void *alloc_ctx;
    int32_t device_id;
} jg_cuda_device;
"""

ffi = cffi.FFI()
ffi.cdef(_CDEF)

H2D, D2H, D2D = 1, 2, 3            # cudaMemcpyKind
CUBLAS_POINTER_MODE_HOST = 0
DTYPES_BY_CODE = {code: name for name, code in DTYPE_CODES.items()}
LIBRARY_PATH_ENV = "JITGRAPH_CUDA_LIBRARY_PATH"


class CudaUnavailableError(RuntimeError):
    """CUDA code cannot run here: the message names what is missing."""


class CudaError(RuntimeError):
    """A CUDA runtime or cuBLAS call failed."""


# ------------------------------------------------------------ finding the libraries

def library_search_dirs():
    """Folders searched for libcudart and libcublas, in order (see the module doc)."""
    override = os.environ.get(LIBRARY_PATH_ENV)
    if override is not None:
        return [d for d in override.split(os.pathsep) if d]
    dirs = []
    roots = list(dict.fromkeys(p for p in sys.path + _site_packages() if p and os.path.isdir(p)))
    for root in roots:
        dirs += sorted(glob.glob(os.path.join(root, "nvidia", "*", "lib")))
    for var in ("CUDA_HOME", "CUDA_PATH"):
        if os.environ.get(var):
            dirs.append(os.path.join(os.environ[var], "lib64"))
    dirs.append("/usr/local/cuda/lib64")
    return list(dict.fromkeys(dirs))


def _site_packages():
    try:
        return site.getsitepackages() + [site.getusersitepackages()]
    except AttributeError:   # some virtualenv site modules lack these
        return []


def find_library(stem, search_dirs=None):
    """Path of ``lib<stem>.so`` (or a versioned ``lib<stem>.so.N``) in ``search_dirs``
    (default: :func:`library_search_dirs`, then ldconfig), or None. Explicit
    ``search_dirs`` (or the environment override) are searched alone."""
    explicit = search_dirs is not None or os.environ.get(LIBRARY_PATH_ENV) is not None
    dirs = library_search_dirs() if search_dirs is None else list(search_dirs)
    for d in dirs:
        candidates = sorted(glob.glob(os.path.join(d, f"lib{stem}.so*")), key=_version_key, reverse=True)
        candidates = [c for c in candidates if os.path.isfile(c)]
        if candidates:
            return candidates[0]
    if not explicit:
        return ctypes.util.find_library(stem)
    return None


def _version_key(path):
    """``libx.so.13.0.1`` sorts above ``libx.so.12`` and both above ``libx.so``."""
    tail = path.rsplit(".so", 1)[-1].lstrip(".")
    return tuple(int(p) if p.isdigit() else -1 for p in tail.split(".")) if tail else ()


def _searched(search_dirs):
    dirs = library_search_dirs() if search_dirs is None else list(search_dirs)
    where = ", ".join(dirs) if dirs else "(no folders)"
    if search_dirs is None and os.environ.get(LIBRARY_PATH_ENV) is None:
        where += ", and the system linker cache (ldconfig)"
    return where


def load_cudart(search_dirs=None):
    """The CUDA runtime library opened with cffi, or CudaUnavailableError."""
    path = find_library("cudart", search_dirs)
    if path is None:
        raise CudaUnavailableError(
            f"CUDA runtime library libcudart not found; searched {_searched(search_dirs)}. Install the "
            f"NVIDIA wheels (pip install 'jitgraph[cuda]'), set CUDA_HOME, or name the folder in "
            f"{LIBRARY_PATH_ENV}")
    try:
        return ffi.dlopen(path)
    except OSError as exc:
        raise CudaUnavailableError(f"CUDA runtime library {path} could not be loaded: {exc}") from None


def load_cublas(search_dirs=None):
    """cuBLAS opened with cffi, or CudaUnavailableError."""
    path = find_library("cublas", search_dirs)
    if path is None:
        raise CudaUnavailableError(
            f"cuBLAS library libcublas not found; searched {_searched(search_dirs)}. Install it with "
            f"pip install nvidia-cublas (or 'jitgraph[cuda]'), or name its folder in {LIBRARY_PATH_ENV}")
    try:
        return ffi.dlopen(path)
    except OSError as exc:
        raise CudaUnavailableError(f"cuBLAS library {path} could not be loaded: {exc}") from None


def error_text(cudart, code):
    """``cudaErrorX: description`` for a cudaError_t."""
    name = ffi.string(cudart.cudaGetErrorName(code)).decode("utf-8", "replace")
    text = ffi.string(cudart.cudaGetErrorString(code)).decode("utf-8", "replace")
    return f"{name}: {text}"


def count_devices(cudart):
    """The number of visible CUDA devices, or CudaUnavailableError saying why there are none."""
    count = ffi.new("int *")
    rc = cudart.cudaGetDeviceCount(count)
    if rc != 0:
        raise CudaUnavailableError(
            f"no CUDA device: cudaGetDeviceCount returned {rc} ({error_text(cudart, rc)})")
    if count[0] == 0:
        raise CudaUnavailableError("no CUDA device: cudaGetDeviceCount found 0 devices")
    return count[0]


class _CudartMemory:
    """The allocator backend over cudaMalloc/cudaFree."""

    def __init__(self, cudart):
        self.cudart = cudart

    def malloc(self, nbytes):
        p = ffi.new("void **")
        rc = self.cudart.cudaMalloc(p, nbytes)
        if rc == 2:   # cudaErrorMemoryAllocation
            self.cudart.cudaGetLastError()   # clear it, so later calls don't report it
            raise MemoryError(f"cudaMalloc({nbytes}) failed: {error_text(self.cudart, rc)}")
        if rc:
            raise CudaError(f"cudaMalloc({nbytes}) failed: {error_text(self.cudart, rc)}")
        return int(ffi.cast("uintptr_t", p[0]))

    def free(self, ptr):
        self.cudart.cudaFree(ffi.cast("void *", ptr))


# ------------------------------------------------------------ the process runtime

class CudaRuntime:
    """Device 0, its stream, a cuBLAS handle bound to the stream, the allocator and the
    ``jg_cuda_device`` struct handed to every module call."""

    def __init__(self, search_dirs=None):
        self.cudart = load_cudart(search_dirs)
        self.device_count = count_devices(self.cudart)
        self.device_id = 0
        self._check(self.cudart.cudaSetDevice(self.device_id), "cudaSetDevice(0)")
        self.cublas = load_cublas(search_dirs)
        stream = ffi.new("cudaStream_t *")
        self._check(self.cudart.cudaStreamCreate(stream), "cudaStreamCreate")
        self.stream = stream[0]
        handle = ffi.new("void **")
        self._check_blas(self.cublas.cublasCreate_v2(handle), "cublasCreate")
        self.cublas_handle = handle[0]
        self._check_blas(self.cublas.cublasSetStream_v2(self.cublas_handle, self.stream), "cublasSetStream")
        self._check_blas(self.cublas.cublasSetPointerMode_v2(self.cublas_handle, CUBLAS_POINTER_MODE_HOST),
                         "cublasSetPointerMode")
        self.allocator = CachingAllocator(_CudartMemory(self.cudart))
        self.copies = {"h2d": 0, "d2h": 0, "d2d": 0}
        self.device_struct = self._make_device_struct()

    def _make_device_struct(self):
        blas = {field: ffi.addressof(self.cublas, name) for field, name in (
            ("sgemm", "cublasSgemm_v2"), ("dgemm", "cublasDgemm_v2"),
            ("sgemv", "cublasSgemv_v2"), ("dgemv", "cublasDgemv_v2"))}
        dev, self._keepalive = make_device_struct(self.allocator, self.stream, self.cublas_handle, blas,
                                                  self.device_id)
        return dev

    def _check(self, rc, what):
        if rc:
            raise CudaError(f"{what} failed: {error_text(self.cudart, rc)}")

    @staticmethod
    def _check_blas(rc, what):
        if rc:
            raise CudaError(f"{what} failed with cublasStatus_t {rc}")

    # -- memory and copies

    def empty(self, shape, dtype):
        """An uninitialised C-contiguous DeviceArray."""
        dtype = np.dtype(dtype)
        shape = tuple(int(s) for s in shape)
        nbytes = math.prod(shape) * dtype.itemsize
        block = DeviceBlock(self.allocator, self.allocator.malloc(nbytes))
        return DeviceArray(block.ptr, shape, c_strides(shape, dtype.itemsize), dtype, block)

    def _memcpy(self, dst, src, nbytes, kind):
        """Copy ``nbytes`` (addresses as cdata) in stream order; ``kind`` H2D, D2H or D2D."""
        what = {H2D: "to device", D2H: "to host", D2D: "device to device"}[kind]
        self._check(self.cudart.cudaMemcpyAsync(dst, src, nbytes, kind, self.stream), f"cudaMemcpyAsync ({what})")

    def upload(self, host):
        """A new DeviceArray holding a copy of ndarray ``host``."""
        host = np.require(host, requirements="C")   # (np.ascontiguousarray would make 0-d arrays 1-d)
        if not host.dtype.isnative:
            host = host.astype(host.dtype.newbyteorder("="))
        dev = self.empty(host.shape, host.dtype)
        if host.nbytes:
            # a pageable source is staged before the call returns, so `host` may go after it
            self._memcpy(ffi.cast("void *", dev.ptr), ffi.from_buffer(host), host.nbytes, H2D)
        self.copies["h2d"] += 1
        return dev

    def download(self, dev):
        """A new ndarray holding a copy of DeviceArray ``dev``."""
        lo, hi = dev.extent()
        if hi <= lo:
            return np.zeros(dev.shape, dev.dtype)
        raw = np.empty(hi - lo, np.uint8)
        self._memcpy(ffi.from_buffer(raw), ffi.cast("void *", dev.ptr + lo), hi - lo, D2H)
        self.synchronize()
        self.copies["d2h"] += 1
        view = np.ndarray(dev.shape, dev.dtype, buffer=raw, offset=-lo, strides=dev.strides)
        return view if view.flags.c_contiguous and raw.nbytes == view.nbytes else view.copy()

    def copy(self, dev):
        """A device-side copy of ``dev`` (same strides, in a block of its own)."""
        lo, hi = dev.extent()
        block = DeviceBlock(self.allocator, self.allocator.malloc(max(hi - lo, 0)))
        if hi > lo:
            self._memcpy(ffi.cast("void *", block.ptr), ffi.cast("void *", dev.ptr + lo), hi - lo, D2D)
        self.copies["d2d"] += 1
        return DeviceArray(block.ptr - lo, dev.shape, dev.strides, dev.dtype, block)

    def synchronize(self):
        self._check(self.cudart.cudaStreamSynchronize(self.stream), "cudaStreamSynchronize")

    def mem_info(self):
        """(free, total) bytes of device memory."""
        free, total = ffi.new("size_t *"), ffi.new("size_t *")
        self._check(self.cudart.cudaMemGetInfo(free, total), "cudaMemGetInfo")
        return free[0], total[0]

    def describe(self):
        v = ffi.new("int *")
        self.cudart.cudaRuntimeGetVersion(v)
        return f"CUDA runtime {v[0] // 1000}.{v[0] % 1000 // 10}, {self.device_count} device(s), using device 0"


def make_device_struct(allocator, stream, cublas_handle, blas, device_id):
    """A ``jg_cuda_device`` (see ``csrc_templates/cuda/jg_cuda.h``): ``stream``, the cuBLAS
    handle, ``blas`` ({'sgemm'|'dgemm'|'sgemv'|'dgemv': function pointer}) and scratch
    allocation from ``allocator``. Returns (struct, what must stay alive with it)."""
    dev = ffi.new("jg_cuda_device *")
    dev.stream = stream
    dev.cublas_handle = cublas_handle
    for field in ("sgemm", "dgemm", "sgemv", "dgemv"):
        setattr(dev, field, ffi.cast("void *", blas[field]) if field in blas else ffi.NULL)
    scratch = {}   # addresses handed out by dev_alloc and not yet freed

    def dev_alloc(ctx, nbytes):
        ptr = allocator.malloc(nbytes)
        scratch[ptr] = True
        return ffi.cast("void *", ptr)

    def dev_free(ctx, ptr):
        addr = int(ffi.cast("uintptr_t", ptr))
        if scratch.pop(addr, None):
            allocator.free(addr)

    alloc_cb = ffi.callback("void *(void *, size_t)", dev_alloc, error=ffi.NULL)
    free_cb = ffi.callback("void (void *, void *)", dev_free)
    dev.dev_alloc = alloc_cb
    dev.dev_free = free_cb
    dev.alloc_ctx = ffi.NULL
    dev.device_id = device_id
    return dev, (alloc_cb, free_cb, scratch)


# ------------------------------------------------------------ the module call

_STATUS_ERRORS = {1: ValueError, 2: IndexError, 3: MemoryError, 4: CudaError}   # 4: JG_ERR_CUDA
_ERR_LEN = 1024


class _CallState:
    """What one module call's output allocations need: where results go."""

    __slots__ = ("first_out", "results", "allocator")

    def __init__(self, first_out, n_out, allocator):
        self.first_out = first_out
        self.results = [None] * n_out
        self.allocator = allocator


def _alloc_output(call, index, buf):
    """``call->alloc``: device memory for output ``index`` whose ndim, shape and dtype are set."""
    state = ffi.from_handle(call.alloc_ctx)
    k = index - state.first_out
    if not 0 <= k < len(state.results):
        return 1
    dtype = np.dtype(DTYPES_BY_CODE[buf.dtype])
    shape = tuple(buf.shape[d] for d in range(buf.ndim))
    nbytes = math.prod(shape) * dtype.itemsize
    try:
        block = DeviceBlock(state.allocator, state.allocator.malloc(nbytes))
    except MemoryError:
        return 1
    strides = c_strides(shape, dtype.itemsize)
    buf.data = ffi.cast("void *", block.ptr)
    for d, s in enumerate(strides):
        buf.strides[d] = s
    state.results[k] = DeviceArray(block.ptr, shape, strides, dtype, block)
    return 0


_alloc_callback = []


def _alloc_output_callback():
    """The C function pointer of ``_alloc_output`` (made on first use: a libffi closure)."""
    if not _alloc_callback:
        _alloc_callback.append(ffi.callback("int (jg_call *, int32_t, jg_buffer *)", _alloc_output, error=1))
    return _alloc_callback[0]


class CudaModule:
    """A built CUDA module (a shared library exporting ``jg_entry``), opened on first
    call: opening it needs the CUDA runtime it links against."""

    def __init__(self, path):
        self.path = path
        self._lib = None
        self._lock = threading.Lock()

    def _entry(self):
        if self._lib is None:
            with self._lock:
                if self._lib is None:
                    self._lib = ffi.dlopen(self.path)
        return self._lib.jg_entry

    def call(self, runtime, args, out_types):
        """Run on ``args`` (DeviceArrays); returns one new DeviceArray per ``out_types``
        entry ((dtype, ndim)), or raises the module's error."""
        entry = self._entry()
        n_in, n_out = len(args), len(out_types)
        bufs = ffi.new("jg_buffer[]", max(1, n_in + n_out))
        for i, a in enumerate(args):
            b = bufs[i]
            b.data = ffi.cast("void *", a.ptr)
            b.ndim = len(a.shape)
            b.dtype = DTYPE_CODES[a.dtype.name]
            for d, (n, s) in enumerate(zip(a.shape, a.strides)):
                b.shape[d] = n
                b.strides[d] = s
        for k, (dtype, ndim) in enumerate(out_types):
            bufs[n_in + k].dtype = DTYPE_CODES[dtype]
            bufs[n_in + k].ndim = ndim
        state = _CallState(n_in, n_out, runtime.allocator)
        handle = ffi.new_handle(state)
        err = ffi.new("char[]", _ERR_LEN)
        call = ffi.new("jg_call *")
        call.args = bufs
        call.nargs = n_in + n_out
        call.alloc = _alloc_output_callback()
        call.alloc_ctx = handle
        call.num_threads = 1
        call.device = runtime.device_struct
        call.err = err
        call.err_len = _ERR_LEN
        rc = entry(call)
        if rc:
            raise _STATUS_ERRORS.get(rc, RuntimeError)(ffi.string(err).decode("utf-8", "replace"))
        for k, r in enumerate(state.results):
            if r is None:
                state.results[k] = self._in_place_result(bufs[n_in + k], args, k)
        return state.results

    def _in_place_result(self, buf, args, k):
        """An output the module did not allocate: one it computed in the storage of an
        argument (an in-place update) — a DeviceArray on that argument's memory."""
        addr = int(ffi.cast("uintptr_t", buf.data))
        for a in args:
            lo, hi = a.extent()
            if addr and a.ptr + lo <= addr < a.ptr + max(hi, lo + 1):
                shape = tuple(buf.shape[d] for d in range(buf.ndim))
                strides = tuple(buf.strides[d] for d in range(buf.ndim))
                return DeviceArray(addr, shape, strides, DTYPES_BY_CODE[buf.dtype], a.owner)
        raise RuntimeError(f"CUDA module {self.path} returned without allocating output {k}")


# ------------------------------------------------------------ process-wide access

_lock = threading.Lock()
_runtime = None
_failure = None


def require(search_dirs=None):
    """The process's CudaRuntime, created on first use; raises CudaUnavailableError
    naming what is missing. Explicit ``search_dirs`` probe afresh (nothing is cached)."""
    global _runtime, _failure
    if search_dirs is not None:
        return CudaRuntime(search_dirs)
    if _runtime is not None:
        return _runtime
    with _lock:
        if _runtime is None:
            if _failure is not None:
                raise CudaUnavailableError(_failure)
            try:
                _runtime = CudaRuntime()
            except CudaUnavailableError as exc:
                _failure = str(exc)
                raise
            except CudaError as exc:
                _failure = f"CUDA could not be initialised: {exc}"
                raise CudaUnavailableError(_failure) from None
    return _runtime


def available():
    """Whether CUDA code can run here (a device, libcudart and cuBLAS). Never raises."""
    try:
        require()
        return True
    except Exception:
        return False


def unavailable_reason():
    """Why ``available()`` is False (None when it is True)."""
    try:
        require()
        return None
    except Exception as exc:
        return str(exc)


__all__ = ["CudaUnavailableError", "CudaError", "CachingAllocator", "CudaRuntime", "DeviceArray",
           "DeviceBlock", "CudaModule", "available", "require", "unavailable_reason", "library_search_dirs",
           "find_library", "size_class"]
