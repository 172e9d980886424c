"""The GPU section of `make bench`: issue 7's targets, measured in one run.

- A device-to-device copy (cudaMemcpyAsync on jitgraph's stream) moving as many bytes
  as the fused expression reads and writes: the bandwidth floor.
- The CPU table's fused 10-op expression tanh(a*x+b)*exp(-x*x)+sqrt(|x|) on float32
  vectors under device=cuda, its inputs CUDA shared variables and its output kept on
  the device (``Out(borrow=True)``), so only the kernel is timed. Target: 70% of the
  copy's bandwidth.
- One SGD step of the 784-512-512-10 MLP at batch 1024, batch and weights resident
  where the step runs: on the GPU, on the CPU path (device=cpu, same run), and in
  PyTorch on the same GPU when ``torch`` with CUDA imports. Targets: 10x the CPU path,
  within 1.5x of PyTorch.

Every GPU callable synchronises jitgraph's stream (PyTorch's: ``.item()``) before it
returns, so the runner's clock stops after the work. Setups take the host inputs and
return a zero-argument callable, as in bench_cases.py; ``check`` compares a first
result with numpy's. The function builders take either shared variables (the bench) or
symbolic ones (tests/build_tools/test_bench_cuda.py builds the CUDA modules with nvcc
and no GPU).
"""
from dataclasses import dataclass

import numpy as np

import bench_cases

COLUMNS = ("jitgraph_cuda", "jitgraph_cpu", "torch_cuda", "memcpy_d2d")
COLUMN_TITLES = {"jitgraph_cuda": "jitgraph cuda", "jitgraph_cpu": "jitgraph cpu",
                 "torch_cuda": "torch cuda", "memcpy_d2d": "cudaMemcpy d2d"}
CHECK_SAMPLE = 10**6          # elements of the 1e8 result compared with numpy
MLP_LAYERS = (784, 512, 512, 10)
COPY_FILL = 0x5A              # the copy's source bytes, checked in its destination


@dataclass(frozen=True)
class GpuSizes:
    elemwise: int = 10**8
    mlp_batch: int = 1024

    @classmethod
    def quick(cls):
        return cls(elemwise=10**7)


@dataclass
class GpuRow:
    """One line of the GPU table. ``bytes_moved`` (reads + writes per call) turns a time
    into a bandwidth; ``check(inputs, column, first_result)`` says whether a column's
    first result is right (None: nothing to compare)."""

    name: str
    label: str
    make_inputs: object
    setups: dict
    bytes_moved: int = None
    check: object = None
    needs: tuple = ()         # rows this one's targets are measured against


def _runtime():
    from jitgraph.runtime import cuda
    return cuda.require()


def _synchronized(fn, runtime):
    def run():
        result = fn()
        runtime.synchronize()
        return result
    return run


# --- the floor: a device-to-device copy of the expression's bytes -----------------------

def copy_inputs(sizes):
    return {"nbytes": 8 * sizes.elemwise}    # read 8n + write 8n = the expression's 12n + 4n


def copy_setup(inputs):
    from jitgraph.runtime import cuda
    runtime = _runtime()
    nbytes = inputs["nbytes"]
    src, dst = runtime.empty((nbytes,), np.uint8), runtime.empty((nbytes,), np.uint8)
    rc = runtime.cudart.cudaMemsetAsync(cuda.ffi.cast("void *", src.ptr), COPY_FILL, nbytes, runtime.stream)
    if rc:
        raise cuda.CudaError(f"cudaMemsetAsync failed: {cuda.error_text(runtime.cudart, rc)}")
    dst_ptr, src_ptr = cuda.ffi.cast("void *", dst.ptr), cuda.ffi.cast("void *", src.ptr)

    def copy():
        rc = runtime.cudart.cudaMemcpyAsync(dst_ptr, src_ptr, nbytes, cuda.D2D, runtime.stream)
        if rc:
            raise cuda.CudaError(f"cudaMemcpyAsync (device to device) failed: {cuda.error_text(runtime.cudart, rc)}")
        runtime.synchronize()
        return dst
    copy.buffers = (src, dst)       # the raw pointers above do not keep the memory alive
    return copy


def copy_check(inputs, column, dst):
    return bool(np.all(dst[:4096].to_host() == COPY_FILL))


# --- the fused elementwise expression ---------------------------------------------------

def elemwise_cuda_function(x, a, b):
    """The fused expression under device=cuda, its result left on the device; ``x, a, b``
    are CUDA shared variables (no explicit inputs) or symbolic float32 vectors."""
    import jitgraph
    from jitgraph import Out, config
    from jitgraph.compile.sharedvalue import SharedVariable
    explicit = [v for v in (x, a, b) if not isinstance(v, SharedVariable)]
    with config.change_flags(device="cuda"):
        return jitgraph.function(explicit, Out(bench_cases.elemwise_expression(x, a, b), borrow=True),
                                 name="bench_gpu_elemwise")


def elemwise_cuda_setup(inputs):
    import jitgraph
    from jitgraph import config
    runtime = _runtime()
    with config.change_flags(device="cuda"):
        x, a, b = (jitgraph.shared(inputs[k], name=k, borrow=True) for k in ("x", "a", "b"))
    return _synchronized(elemwise_cuda_function(x, a, b), runtime)


def elemwise_check(inputs, column, result):
    got = result[:CHECK_SAMPLE].to_host()
    x, a, b = (inputs[k][:CHECK_SAMPLE] for k in ("x", "a", "b"))
    want = np.tanh(a * x + b) * np.exp(-x * x) + np.sqrt(np.abs(x))
    return bool(np.allclose(got, want, rtol=1e-4, atol=1e-5))


# --- one SGD step of the 784-512-512-10 MLP at batch 1024 -------------------------------

def mlp_inputs(sizes):
    return bench_cases.mlp_inputs(MLP_LAYERS, sizes.mlp_batch)


def mlp_step_function(params, x, y, device):
    """The SGD step compiled under ``device`` ("cuda" or "cpu"): weights ``params`` (shared)
    updated in place; ``x``/``y`` shared (no explicit inputs) or symbolic."""
    import jitgraph
    from jitgraph import config
    from jitgraph.compile.sharedvalue import SharedVariable
    explicit = [v for v in (x, y) if not isinstance(v, SharedVariable)]
    with config.change_flags(device=device):
        cost, updates = bench_cases.mlp_sgd_graph(params, x, y)
        return jitgraph.function(explicit, cost, updates=updates, name=f"bench_gpu_mlp_{device}")


def _mlp_step_setup(inputs, device):
    import jitgraph
    from jitgraph import config
    with config.change_flags(device=device):
        params = [jitgraph.shared(p, name=f"p{i}") for i, p in enumerate(inputs["params"])]
        x, y = jitgraph.shared(inputs["x"], name="x"), jitgraph.shared(inputs["y"], name="y")
    step = mlp_step_function(params, x, y, device)
    return lambda: float(step())    # the cost comes to the host: that waits for the stream


def mlp_cuda_setup(inputs):
    _runtime()                      # no GPU: the reason, before anything is built
    return _mlp_step_setup(inputs, "cuda")


def mlp_cpu_setup(inputs):
    return _mlp_step_setup(inputs, "cpu")


def mlp_torch_setup(inputs):
    """The same step in PyTorch on the GPU: same weights, batch, tanh MLP, mean softmax
    crossentropy and plain SGD (TF32 stays off, as in jitgraph's cuBLAS calls)."""
    import torch
    import torch.nn.functional as F
    if not torch.cuda.is_available():
        raise RuntimeError("torch imports, but torch.cuda.is_available() is False")
    torch.backends.cuda.matmul.allow_tf32 = False
    gpu = torch.device("cuda")
    params = [torch.tensor(p, device=gpu, requires_grad=True) for p in inputs["params"]]
    x = torch.tensor(inputs["x"], device=gpu)
    y = torch.tensor(inputs["y"], device=gpu, dtype=torch.long)
    optimizer = torch.optim.SGD(params, lr=float(bench_cases.LEARNING_RATE))

    def step():
        w1, b1, w2, b2, w3, b3 = params
        h1 = torch.tanh(x @ w1 + b1)
        h2 = torch.tanh(h1 @ w2 + b2)
        cost = F.cross_entropy(h2 @ w3 + b3, y)
        optimizer.zero_grad(set_to_none=True)
        cost.backward()
        optimizer.step()
        return cost.item()          # waits for the GPU
    return step


def mlp_check(inputs, column, cost):
    reference = _numpy_first_cost(inputs)
    return bool(np.isclose(cost, reference, rtol=1e-3, atol=1e-4))


def _numpy_first_cost(inputs):
    if "numpy_cost" not in inputs:
        inputs["numpy_cost"] = float(bench_cases.mlp_step_numpy(inputs)())
    return inputs["numpy_cost"]


def probe_torch_cuda():
    """(description, None) when PyTorch with CUDA is usable, else (None, why not)."""
    try:
        import torch
        if not torch.cuda.is_available():
            return None, f"torch {torch.__version__} imports, but torch.cuda.is_available() is False"
        return f"torch {torch.__version__} on {torch.cuda.get_device_name(0)}", None
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}".splitlines()[0]


def build_gpu_rows(sizes):
    n = sizes.elemwise
    return [
        GpuRow("gpu_copy", f"device-to-device copy, {16 * n / 1e9:.2g} GB moved (floor)", copy_inputs,
               {"memcpy_d2d": copy_setup}, bytes_moved=16 * n, check=copy_check),
        GpuRow("gpu_elemwise", f"tanh(a*x+b)*exp(-x*x)+sqrt(|x|), f32 n={bench_cases._count(n)}",
               lambda s: bench_cases.elemwise_inputs(n), {"jitgraph_cuda": elemwise_cuda_setup},
               bytes_moved=16 * n, check=elemwise_check, needs=("gpu_copy",)),
        GpuRow("gpu_mlp", f"SGD step, MLP 784-512-512-10, batch {sizes.mlp_batch}", mlp_inputs,
               {"jitgraph_cuda": mlp_cuda_setup, "jitgraph_cpu": mlp_cpu_setup, "torch_cuda": mlp_torch_setup},
               check=mlp_check),
    ]


# --- issue 7's targets ------------------------------------------------------------------

@dataclass
class Target:
    text: str                 # what was compared, with the figures
    value: float
    goal: str
    met: bool

    def as_json(self):
        return {"text": self.text, "value": self.value, "goal": self.goal, "met": self.met}


def _seconds(results, row, column):
    cell = results.get(row, {}).get(column)
    return cell.seconds if cell is not None and cell.status == "ok" else None


def evaluate_targets(rows, results, fmt_seconds):
    """The targets whose cells were measured; ``results`` maps row -> column -> Cell."""
    by_name = {r.name: r for r in rows}
    targets = []
    copy_s, fused_s = _seconds(results, "gpu_copy", "memcpy_d2d"), _seconds(results, "gpu_elemwise", "jitgraph_cuda")
    if copy_s and fused_s:
        copy_bw = by_name["gpu_copy"].bytes_moved / copy_s
        fused_bw = by_name["gpu_elemwise"].bytes_moved / fused_s
        share = fused_bw / copy_bw
        targets.append(Target(f"fused elementwise {fused_bw / 1e9:.0f} GB/s = {share:.0%} of the "
                              f"device-to-device copy's {copy_bw / 1e9:.0f} GB/s", share, ">= 70%", share >= 0.7))
    gpu_s, cpu_s, torch_s = (_seconds(results, "gpu_mlp", c) for c in ("jitgraph_cuda", "jitgraph_cpu", "torch_cuda"))
    if gpu_s and cpu_s:
        speedup = cpu_s / gpu_s
        targets.append(Target(f"MLP step: CPU path {fmt_seconds(cpu_s)} / GPU {fmt_seconds(gpu_s)} = "
                              f"{speedup:.1f}x faster on the GPU", speedup, ">= 10x", speedup >= 10))
    if gpu_s and torch_s:
        ratio = gpu_s / torch_s
        targets.append(Target(f"MLP step: jitgraph GPU {fmt_seconds(gpu_s)} / PyTorch GPU {fmt_seconds(torch_s)} "
                              f"= {ratio:.2f}x PyTorch's time", ratio, "<= 1.5x", ratio <= 1.5))
    return targets
