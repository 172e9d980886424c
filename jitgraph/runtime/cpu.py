"""Loading and calling native CPU modules through the cffi trampoline.

The trampoline is a cffi API-mode extension built once per Python/numpy version (a
cache entry of its own). Generated modules are plain C shared libraries; they are
opened with cffi's ABI mode only to find ``jg_entry``, and every call goes through
``jg_run`` in the trampoline with the entry's address.
"""
import contextlib
import importlib.util
import io
import os
import sys
import sysconfig
import threading

import cffi
import numpy as np

from jitgraph.codegen.c import CODEGEN_VERSION, DTYPE_CODES, template_text

TRAMPOLINE_VERSION = "4"
_ERR_LEN = 1024
_STATUS_ERRORS = {1: ValueError, 2: IndexError, 3: MemoryError}
JG_ERR_BADARG = 10

# csrc_templates/jg_abi.h as cffi reads it (the CUDA runtime declares the same structs)
ABI_CDEF = """
typedef struct { void *data; int64_t shape[8]; int64_t strides[8]; int32_t ndim, dtype; } jg_buffer;
typedef struct jg_call jg_call;
struct jg_call {
    jg_buffer *args; int32_t nargs;
    int (*alloc)(jg_call *call, int32_t arg_index, jg_buffer *buf);
    void *alloc_ctx; int32_t num_threads; void *device; char *err; int32_t err_len;
};
"""

_CDEF = ABI_CDEF + """
int jg_run(void *entry, intptr_t args_addr, intptr_t results_addr, jg_call *call,
           const int32_t *sig, int32_t n_in, int32_t *bad);
intptr_t jg_fast_new(intptr_t params_addr);
void jg_decref(intptr_t obj_addr);
"""

_lock = threading.Lock()
_trampoline = None


def num_threads():
    """Threads for OpenMP loops: the cores this process may use (BLAS gets the same
    number; the two never run at once, so together they don't oversubscribe)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _trampoline_source():
    return template_text("jg_abi.h") + "\n" + template_text("trampoline.c")


def trampoline():
    """(ffi, lib) of the trampoline, building it into the cache on first use."""
    global _trampoline
    if _trampoline is None:
        with _lock:
            if _trampoline is None:
                _trampoline = _load_trampoline()
    return _trampoline


_prefetch = []


def prefetch_trampoline():
    """Start building/loading the trampoline in the background (its gcc run overlaps the
    first module's); ``trampoline()`` then waits for it."""
    if _trampoline is None and not _prefetch:
        with _lock:
            if _prefetch:
                return
            t = threading.Thread(target=_prefetch_body, name="jitgraph-trampoline", daemon=True)
            _prefetch.append(t)
            t.start()


def _prefetch_body():
    try:
        trampoline()
    except Exception:   # the foreground call reports the error
        pass


def _load_trampoline():
    from jitgraph.cache import compile_shared_library, compute_key, default_store
    name = f"_jg_trampoline_v{TRAMPOLINE_VERSION}"
    ffi = cffi.FFI()
    ffi.cdef(_CDEF)
    ffi.set_source(name, _trampoline_source())
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        c_path = os.path.join(tmp, name + ".c")
        with contextlib.redirect_stdout(io.StringIO()):   # cffi announces the file it writes
            ffi.emit_c_code(c_path)
        with open(c_path) as fh:
            # the trampoline uses numpy's C API, which the limited API cffi defaults to lacks
            source = "#define _CFFI_NO_LIMITED_API 1\n" + fh.read()
    ext = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    includes = [sysconfig.get_paths()["include"], np.get_include()]
    parts = {"what": "trampoline", "version": TRAMPOLINE_VERSION, "source": source, "python": sys.version,
             "numpy": np.__version__, "ext": ext}
    key = compute_key(parts)
    entry = default_store().get_or_build(
        key, target="c", source=source, source_name="source.c", summary="cffi trampoline",
        build=lambda src, out: compile_shared_library(src, out, flags=["-O2"] + [f"-I{p}" for p in includes],
                                                      libs=[]))
    spec = importlib.util.spec_from_file_location(name, entry.module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ffi, module.lib


def blas_link_flags():
    import scipy_openblas32
    libdir = scipy_openblas32.get_lib_dir()
    return [f"-L{libdir}", f"-l{scipy_openblas32.get_library()}", f"-Wl,-rpath,{libdir}"]


def blas_fingerprint():
    import scipy_openblas32
    return f"scipy-openblas32 {scipy_openblas32.__version__}"


_blas_threads_set = False


def _configure_threads():
    """BLAS single-threaded: modules split large products over their OpenMP workers
    (matmul.h), so one set of threads serves loops and BLAS. The workers spin briefly
    after a loop instead of sleeping: on this VM a one-loop call (sum of squares, 4096x1024)
    took 228 µs with sleeping workers, 100 µs with spinning ones."""
    global _blas_threads_set
    if _blas_threads_set:
        return
    # ~20 µs of spinning keeps the workers awake between the loops of one call; libgomp's
    # default (300000) kept them spinning long enough to starve other runtimes' threads
    # (a PyTensor + JAX process made a 4 ms loop take 40 ms)
    os.environ.setdefault("GOMP_SPINCOUNT", "20000")
    try:
        import ctypes
        import scipy_openblas32
        lib = ctypes.CDLL(os.path.join(scipy_openblas32.get_lib_dir(), "libscipy_openblas.so"))
        lib.scipy_openblas_set_num_threads(1)
    except OSError:
        pass
    _blas_threads_set = True


class NativeModule:
    """A loaded generated module; ``caller(...)`` makes a per-function call closure."""

    _abi = None

    def __init__(self, path):
        if NativeModule._abi is None:
            abi = cffi.FFI()
            abi.cdef("int jg_entry(void *call);")
            NativeModule._abi = abi
        abi = NativeModule._abi
        self.path = path
        self._lib = abi.dlopen(path)
        self.entry_address = int(abi.cast("uintptr_t", abi.addressof(self._lib, "jg_entry")))


def build_module(kernel, source, parts=1):
    """Build (or find in the cache) the module for ``source``; returns a NativeModule."""
    from jitgraph.cache import compute_key, default_store
    from jitgraph.cache.build import compile_shared_library_parts
    from jitgraph.codegen.cuda_record import record_kernel
    record_kernel(kernel, source)   # for the CUDA build check (JITGRAPH_RECORD_KERNELS)
    _configure_threads()
    # -O2 (which vectorises simple loops in gcc 12) builds in two thirds of -O3's time;
    # no FMA contraction, so results round like numpy's step-by-step evaluation
    # errno is never read, and without it the vector math below is allowed
    flags = ["-O2", "-march=native", "-fopenmp", "-fwrapv", "-ffp-contract=off", "-fno-math-errno", "-std=gnu11"]
    libs = ["-lmvec", "-lm", "-fopenmp"] + (blas_link_flags() if kernel.uses_blas else [])
    key_parts = {"source": source, "codegen": CODEGEN_VERSION, "flags": flags, "libs": libs,
             "blas": blas_fingerprint() if kernel.uses_blas else None}
    key = compute_key(key_parts)
    entry = default_store().get_or_build(
        key, target="c", source=source, source_name="source.c", summary=kernel.summary,
        build=lambda src, out: compile_shared_library_parts(src, out, parts, flags=flags, libs=libs))
    return NativeModule(entry.module_path)


class Caller:
    """Calls one module with a fixed signature: ``n_in`` argument arrays of known dtype
    and ndim, ``n_out`` results. The call struct is reused; the trampoline holds the GIL
    for the whole call, so concurrent Python threads never share it at once."""

    def __init__(self, module, in_types, n_out):
        ffi, lib = trampoline()
        self._ffi = ffi
        self._run = lib.jg_run
        self.module = module
        self.n_in = len(in_types)
        self.n_out = n_out
        self._entry = ffi.cast("void *", module.entry_address)
        self._bufs = ffi.new("jg_buffer[]", max(1, self.n_in + n_out))
        self._err = ffi.new("char[]", _ERR_LEN)
        self._call = ffi.new("jg_call *")
        self._call.args = self._bufs
        self._call.nargs = self.n_in + n_out
        self._call.num_threads = num_threads()
        self._call.err = self._err
        self._call.err_len = _ERR_LEN
        sig = []
        for t in in_types:
            sig += [DTYPE_CODES[t.dtype], t.ndim] + [-1 if s is None else s for s in t.shape]
        self._sig = ffi.new("int32_t[]", sig or [0])
        self._bad = ffi.new("int32_t *")
        self.in_types = in_types
        self._sig_list = sig

    def fast_call(self, n_explicit, n_visible, single, shared_cells, consts, update_cells, update_index,
                  badarg):
        """A C callable running the whole call (packing, the module, updates) for a
        function whose one native segment takes its explicit arguments, then the shared
        values (from ``shared_cells``), then ``consts``; ``badarg`` is returned when the
        arguments need binding or conversion first."""
        import ctypes
        import struct
        ffi, lib = trampoline()
        params = (self.module.entry_address, struct.pack(f"{len(self._sig_list)}i", *self._sig_list),
                  n_explicit, self.n_in, self.n_out, n_visible, single, tuple(shared_cells), tuple(consts),
                  tuple(update_cells), tuple(update_index), num_threads(), badarg, self.module)
        addr = lib.jg_fast_new(id(params))
        if not addr:
            raise RuntimeError("could not create the native call object")
        obj = ctypes.cast(addr, ctypes.py_object).value
        lib.jg_decref(addr)
        return obj

    def __call__(self, arglist):
        """Run on ``arglist`` (a list of ndarrays); returns the list of results, or raises.
        A BADARG status is returned as the index of the offending argument."""
        results = [None] * self.n_out
        rc = self._run(self._entry, id(arglist), id(results), self._call, self._sig, self.n_in, self._bad)
        if rc:
            if rc == JG_ERR_BADARG:
                return self._bad[0]
            raise _STATUS_ERRORS.get(rc, RuntimeError)(self._ffi.string(self._err).decode("utf-8", "replace"))
        return results
