"""The CUDA emitter and nvcc build (jitgraph/codegen/cuda.py): every IR step kind emits,
the module builds with nvcc into the cache (no GPU needed), build errors name nvcc, and
the cache key is the CUDA one. Kernels come from the CPU path (capture_kernels)."""
import shutil

import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from jitgraph.codegen import ir
from jitgraph.codegen.cuda import CudaEmitter, build_cuda_module, cuda_module_key
from jitgraph.codegen.cuda_record import capture_kernels, detached
from jitgraph.config import config

needs_nvcc = pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not on PATH")


def kernels_of(inputs, outputs, **kw):
    """The kernels the CPU path lowers for ``function(inputs, outputs)``."""
    old = config.device
    config.device = "cpu"
    try:
        with capture_kernels() as found:
            jitgraph.function(inputs, outputs, mode="FAST_RUN", **kw)
    finally:
        config.device = old
    assert found, "no native kernel was built"
    return found


def one_kernel(inputs, outputs, **kw):
    (k,) = kernels_of(inputs, outputs, **kw)
    return k


def step_kinds(kernel):
    return {type(s).__name__ for s in kernel.steps}


@pytest.fixture(scope="module")
def core_kernel():
    """Elementwise (fast, strided, broadcast), reductions, dot, views, shapes in one kernel."""
    x, w = T.matrix("x"), T.matrix("w")
    v = T.vector("v")
    n = T.lscalar("n")
    outs = [T.tanh(x * 2 + v).sum(axis=0), T.max(x, axis=1), T.argmax(x, axis=1), T.prod(x, axis=None),
            T.dot(x, w), T.dot(x, v), x.T[1:n].reshape((-1,)), x.shape[0] * 2, T.alloc(v[0], n, 3),
            T.cast(x, "int32").sum(axis=1)]
    return one_kernel([x, w, v, n], outs)


def test_core_kernel_covers_the_step_kinds(core_kernel):
    assert {"ElementwiseLoop", "Reduction", "MatMul", "View", "ShapeOf", "AllocShape"} <= step_kinds(core_kernel)


def test_source_has_kernels_launches_and_checks(core_kernel):
    src = CudaEmitter(core_kernel).source()
    assert 'extern "C" int jg_entry(jg_call *call)' in src
    assert src.count("__global__ void jg_s") >= 2              # generated elementwise kernels
    assert "_args a)" in src                                    # inputs through one argument struct
    assert "JG_CU_LAUNCH(" in src and "cudaGetLastError" in src
    assert "jg_cu_reduce<JgRedMax<double, double>" in src
    assert "jg_cu_reduce<JgRedArgmax<double, double>, double, int64_t>" in src
    assert "jg_cu_matmul_float<double>" in src and "d->dgemm(" in src and "d->dgemv(" in src
    assert "jg_cu_stage(" in src                                # the slice bound / alloc dims read on the host
    assert "jg_broadcast_error" in src                          # the CPU's shape checks and messages
    # no host-side CPU math or allocation on device buffers
    assert "jg_alloc_temp(call, &temps" not in src and "jg_copy(b" not in src


@needs_nvcc
def test_core_kernel_builds(core_kernel):
    import os
    path = build_cuda_module(core_kernel, CudaEmitter(core_kernel).source())
    assert os.path.exists(path) and path.endswith("module.so")
    meta = open(os.path.join(os.path.dirname(path), "meta.json")).read()
    assert '"target": "cuda"' in meta or '"target":"cuda"' in meta
    assert os.path.exists(os.path.join(os.path.dirname(path), "source.cu"))


@needs_nvcc
def test_int_matmul_and_gemm_build():
    a, b = T.imatrix("a"), T.imatrix("b")
    ki = one_kernel([a, b], T.dot(a, b))
    src = CudaEmitter(ki).source()
    assert "jg_cu_matmul_int<int32_t>" in src
    build_cuda_module(ki, src)


def test_the_mlp_step_uses_cublas_and_row_kernels():
    import sys
    sys.path.insert(0, "build_tools")
    import bench_cases as bc
    config_device = config.device
    config.device = "cpu"
    try:
        with capture_kernels() as found:
            bc.mlp_step_jitgraph(bc.mlp20_inputs(None))
    finally:
        config.device = config_device
    src = "\n".join(CudaEmitter(k).source() for k in found)
    assert "d->sgemm(" in src
    assert "jg_cu_gemm_float<float>" in src or "jg_cu_matmul_float<float>" in src
    assert "_xent_softmax" in src        # the fused softmax-crossentropy as a row kernel


@needs_nvcc
@pytest.mark.parametrize("make", [
    lambda x, y: [T.nnet.softmax(x), T.nnet.logsoftmax(x),
                  T.grad(T.nnet.categorical_crossentropy(T.nnet.softmax(x), y).sum(), x)],
    lambda x, y: [T.nnet.crossentropy_categorical_1hot(x, y),
                  T.grad(T.nnet.crossentropy_categorical_1hot(x, y).sum(), x)],
], ids=["softmax", "crossentropy_1hot"])
def test_nnet_templates_build(make):
    x, y = T.matrix("x"), T.ivector("y")
    for k in kernels_of([x, y], make(x, y)):
        src = CudaEmitter(k).source()
        assert "JG_CU_LAUNCH(" in src
        if any(isinstance(s, ir.TemplateStep) and "y_idx" in s.bufs for s in k.steps):
            assert "jg_nnet_check_indices(call" in src and "_h, " in src   # indices checked on a host copy
        build_cuda_module(k, src)


@needs_nvcc
def test_nvcc_error_raises_compile_error_naming_nvcc(tmp_path):
    from jitgraph.cache import CompileError
    x = T.vector("x")
    k = one_kernel([x], x + 1)
    bad = CudaEmitter(k).source().replace("jg_cu_ctx *cu = &cu_s;", "jg_cu_ctx *cu = &cu_s; this is not C++;")
    with config.change_flags(cache_dir=str(tmp_path)), pytest.raises(CompileError) as info:
        build_cuda_module(k, bad)
    text = str(info.value)
    assert "nvcc" in text and "command:" in text
    assert "this is not C++" in text                          # the source excerpt around the error
    assert "source kept at" in text


def test_cache_key_is_cuda_specific_and_depends_on_arch():
    from jitgraph.cache import compute_key
    from jitgraph.codegen.c import CODEGEN_VERSION, CEmitter
    x = T.vector("x")
    k = one_kernel([x], T.exp(x))
    src = CudaEmitter(k).source()
    with config.change_flags(cuda_arch="sm_90"):
        key90 = cuda_module_key(src)
        assert cuda_module_key(src) == key90                      # stable
    with config.change_flags(cuda_arch="sm_80"):
        key80 = cuda_module_key(src)
    assert key90 != key80
    assert CEmitter(k).source() != src
    # the same text keyed as a CPU module would get another key
    assert compute_key({"source": src, "codegen": CODEGEN_VERSION}) not in (key90, key80)


def test_bad_cuda_arch_is_a_clear_error(monkeypatch):
    from jitgraph.cache.build import cuda_build_flags
    with pytest.raises(ValueError, match="cuda_arch"):
        cuda_build_flags("ampere")
    flags, libs = cuda_build_flags("sm_90")
    assert "-gencode=arch=compute_90,code=[sm_90,compute_90]" in flags and "-lcudart" in libs


def test_unknown_step_kind_is_not_implemented():
    class Mystery(ir.Step):
        pass
    x = T.vector("x")
    k = detached(one_kernel([x], x * 2))
    k.steps.append(Mystery([]))
    with pytest.raises(NotImplementedError, match="CUDA: no code for IR step Mystery"):
        CudaEmitter(k).source()


def test_template_without_cuda_code_is_not_implemented():
    x = T.vector("x")
    k = detached(one_kernel([x], x * 2))
    k.steps.append(ir.TemplateStep([], template="no_such_op.c.tmpl", bufs={}))
    with pytest.raises(NotImplementedError, match="template no_such_op.c.tmpl"):
        CudaEmitter(k).source()


def test_recorded_kernels_pickle(tmp_path, monkeypatch):
    import pickle
    monkeypatch.setenv("JITGRAPH_RECORD_KERNELS", str(tmp_path))
    x = T.matrix("x")
    kernels_of([x], T.exp(x).sum(axis=1) + np.float64(3))
    files = list(tmp_path.glob("*.pkl"))
    assert files
    k = pickle.loads(files[0].read_bytes())
    assert "ElementwiseLoop" in step_kinds(k) or "Reduction" in step_kinds(k)
    assert CudaEmitter(k).source().startswith("/* jitgraph generated CUDA module")


def _template_names(kernels):
    return {s.template for k in kernels for s in k.steps if isinstance(s, ir.TemplateStep)}


@needs_nvcc
def test_array_building_indexing_and_random_templates_build():
    """One function whose kernel holds join/split, the extra ops, advanced indexing and
    MRG31k3p: every template's CUDA version emitted and nvcc-built in one module."""
    from jitgraph.sandbox.rng_mrg import MRG_RandomStreams
    from jitgraph.tensor import extra_ops
    x, m = T.vector("x"), T.matrix("m")
    i = T.lvector("i")
    n = T.lscalar("n")
    srng = MRG_RandomStreams(seed=42)
    a, b = T.split(x, [2, n], 2)
    outs = [T.concatenate([x, x * 2]), a, b, T.arange(n), T.eye(n), extra_ops.cumsum(m, axis=1),
            T.diagonal(m), extra_ops.repeat(x, 2), T.nonzero(x)[0], m[i, i], T.inc_subtensor(m[i, i], x[0]),
            T.set_subtensor(x[i], 1.0), srng.uniform((n, 3)),
            T.grad(extra_ops.repeat(x, 3).sum(), x)]
    kernels = kernels_of([x, m, i, n], outs, on_unused_input="ignore")
    names = _template_names(kernels)
    assert {"join_concat.c.tmpl", "join_split.c.tmpl", "extra_arange.c.tmpl", "extra_eye.c.tmpl",
            "extra_cumop.c.tmpl", "extra_extract_diag.c.tmpl", "extra_repeat.c.tmpl", "extra_nonzero.c.tmpl",
            "advsub_get.c.tmpl", "advsub_inc.c.tmpl", "mrg_uniform.c.tmpl"} <= names, names
    for k in kernels:
        src = CudaEmitter(k).source()
        build_cuda_module(k, src)
        if any(isinstance(s, ir.TemplateStep) and s.template == "advsub_inc.c.tmpl" for s in k.steps):
            assert "jg_cu_atomic_add(" in src                  # inc_subtensor by atomics
        if any(isinstance(s, ir.TemplateStep) and s.template == "mrg_uniform.c.tmpl" for s in k.steps):
            assert "jg_mrg31k3p_step(st)" in src               # the CPU's recurrence, on the device
        if any(isinstance(s, ir.TemplateStep) and s.template == "extra_nonzero.c.tmpl" for s in k.steps):
            assert "_count" in src and "jg_cu_stage(call, cu, &counts" in src   # sizes read back


def test_every_template_the_ops_use_has_a_cuda_version():
    import pathlib
    import re
    root = pathlib.Path(__file__).resolve().parents[2]
    used = set()
    for path in (root / "jitgraph").rglob("*.py"):
        if path.parent.name != "codegen":      # the emitters' own templates are not ops'
            used |= set(re.findall(r"[\"']([a-z0-9_]+\.c\.tmpl)[\"']", path.read_text()))
    from jitgraph.codegen.cuda import cuda_template, cuda_template_name
    missing = sorted(t for t in used if cuda_template(cuda_template_name(t)) is None)
    assert not missing, missing


@needs_nvcc
def test_multinomial_templates_build():
    from jitgraph.sandbox.rng_mrg import MRG_RandomStreams
    p = T.matrix("p")
    srng = MRG_RandomStreams(seed=3)
    kernels = kernels_of([p], [srng.multinomial(pvals=p), srng.choice(size=1, a=None, p=p, replace=False)])
    assert {"multinomial_from_uniform.c.tmpl", "choice_from_uniform.c.tmpl"} <= _template_names(kernels)
    for k in kernels:
        build_cuda_module(k, CudaEmitter(k).source())


_CALL_CDEF = """
typedef struct { void *data; int64_t shape[8]; int64_t strides[8]; int32_t ndim, dtype; } jg_buffer;
typedef struct jg_call jg_call;
struct jg_call { jg_buffer *args; int32_t nargs; int (*alloc)(jg_call *, int32_t, jg_buffer *);
                 void *alloc_ctx; int32_t num_threads; void *device; char *err; int32_t err_len; };
typedef struct { void *stream; void *cublas_handle; void *sgemm, *dgemm, *sgemv, *dgemv;
                 void *(*dev_alloc)(void *, size_t); void (*dev_free)(void *, void *); void *alloc_ctx;
                 int32_t device_id; } jg_cuda_device;
int jg_entry(jg_call *call);
"""


@needs_nvcc
def test_module_entry_checks_its_call_and_every_launch():
    """Called without a GPU, the built module fails cleanly: no device struct, a wrong
    argument count, and a kernel launch that CUDA refuses, each with a message."""
    import cffi
    x = T.vector("x")
    k = one_kernel([x], T.exp(x) * x)
    path = build_cuda_module(k, CudaEmitter(k).source())
    ffi = cffi.FFI()
    ffi.cdef(_CALL_CDEF)
    lib = ffi.dlopen(path)
    host = np.ones(4)
    bufs = ffi.new("jg_buffer[2]")
    bufs[0].data = ffi.cast("void *", host.ctypes.data)
    bufs[0].ndim, bufs[0].dtype, bufs[0].shape[0], bufs[0].strides[0] = 1, 10, 4, 8
    out_store = np.zeros(4)

    @ffi.callback("int(jg_call *, int32_t, jg_buffer *)")
    def alloc(call, index, buf):
        buf.data = ffi.cast("void *", out_store.ctypes.data)
        buf.strides[0] = 8
        return 0

    err = ffi.new("char[512]")
    call = ffi.new("jg_call *", {"args": bufs, "nargs": 2, "alloc": alloc, "err": err, "err_len": 512})
    assert lib.jg_entry(call) == 1
    assert "built for device=cuda" in ffi.string(err).decode()
    dev = ffi.new("jg_cuda_device *")
    call.device = dev
    call.nargs = 3
    assert lib.jg_entry(call) == 1 and "expects 2 buffers, got 3" in ffi.string(err).decode()
    call.nargs = 2
    rc = lib.jg_entry(call)            # no GPU here: the launch fails and says where
    message = ffi.string(err).decode()
    if rc == 0:
        pytest.skip("a GPU ran the kernel on host pointers?")   # not reached without a GPU
    assert rc == 4, message
    assert "launching CUDA kernel" in message or "CUDA" in message
    assert "exp" in message or "Elemwise" in message           # the node the step computes


@needs_nvcc
def test_fused_reduction_builds():
    """A FusedReduction (elementwise value reduced in one step) made from the elementwise
    loop and reduction the CPU path lowers for sum(x * y, axis=1)."""
    x, y = T.matrix("x"), T.matrix("y")
    k = detached(one_kernel([x, y], T.sum(T.exp(x) * y, axis=1)))
    if any(isinstance(s, ir.FusedReduction) for s in k.steps):
        fused = k
    else:
        loop = next(s for s in k.steps if isinstance(s, ir.ElementwiseLoop))
        red = next(s for s in k.steps if isinstance(s, ir.Reduction))
        step = ir.FusedReduction(red.nodes, out=red.out, ins=loop.ins, full=[True] * len(loop.ins), loads=loop.loads,
                                 stmts=loop.stmts, value=loop.results[0], ndim=2, axes=red.axes, op=red.op,
                                 acc_dtype=red.acc_dtype)
        fused = ir.Kernel(k.args, k.outs, k.buffers, [step], k.uses_blas, k.summary)
    src = CudaEmitter(fused).source()
    assert "jg_cu_reduce<JgRedAdd<double, double>" in src and "__global__ void jg_s0_fast" in src
    build_cuda_module(fused, src)


@needs_nvcc
def test_multi_output_elementwise_builds():
    """An elementwise loop with two outputs (multi-output fusion) stores both."""
    x = T.vector("x")
    k = detached(one_kernel([x], T.exp(x) * x))
    loop = next(s for s in k.steps if isinstance(s, ir.ElementwiseLoop))
    second = ir.Buf(f"b{len(k.buffers)}", loop.outs[0].dtype, loop.outs[0].ndim, "temp")
    loop.outs = loop.outs + [second]
    loop.results = loop.results + [loop.stmts[0].target]
    loop.alloc_outs = list(loop.alloc_outs) + [True]
    k.buffers = k.buffers + [second]
    src = CudaEmitter(k).source()
    assert "a.po1[i] = " in src and "a.po0[i] = " in src
    build_cuda_module(k, src)
