"""The GPU section of `build_tools/bench.py` (build_tools/bench_cuda_cases.py): where CUDA
cannot run it is one line giving the CudaUnavailableError message and the CPU table is
unchanged; its functions build their CUDA modules with nvcc and no GPU; its table and
issue 7's targets are computed from the cells; a failing or wrong cell is reported."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from jitgraph import config
from jitgraph.compile.cuda_program import CudaProgram, CudaStage
from jitgraph.runtime import cuda

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(REPO, "build_tools", "bench.py")
sys.path.insert(0, os.path.join(REPO, "build_tools"))
import bench_cuda_cases  # noqa: E402
import bench_report  # noqa: E402
import bench_runner  # noqa: E402
from bench_runner import Cell, GpuSection  # noqa: E402

needs_nvcc = pytest.mark.skipif(shutil.which(config.nvcc) is None, reason="no nvcc: CUDA modules cannot be built")


def _bench(tmp_path, *args, env=None):
    return subprocess.run([sys.executable, BENCH, "--quick", *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env=env)


def test_gpu_section_is_one_line_with_the_reason_when_cuda_cannot_run(tmp_path):
    """An empty library folder stands in for a machine without CUDA (on any machine, GPU or not)."""
    (tmp_path / "no-cuda").mkdir()
    env = dict(os.environ, JITGRAPH_CUDA_LIBRARY_PATH=str(tmp_path / "no-cuda"))
    out = tmp_path / "r.json"
    proc = _bench(tmp_path, "--only", "call_0d,gpu", "--frameworks", "numpy", "--json", str(out), env=env)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())
    reason = results["gpu"]["skipped"]
    assert reason.startswith("CUDA runtime library libcudart not found; searched " + str(tmp_path / "no-cuda"))
    gpu_lines = [line for line in proc.stdout.splitlines() if "GPU" in line]
    assert gpu_lines == [f"GPU section skipped: {reason}"]
    # the CPU table is there as without the section
    assert [row["name"] for row in results["rows"]] == ["call_0d"]
    assert results["rows"][0]["results"]["numpy"]["status"] == "ok"
    assert "f(x)=x+1, 0-d float64 array" in proc.stdout

    proc = _bench(tmp_path, "--only", "call_0d", "--frameworks", "numpy", "--json", str(out), "--no-gpu", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "GPU" not in proc.stdout and "gpu" not in json.loads(out.read_text())


@pytest.mark.skipif(cuda.available(), reason="checks the behaviour without a GPU")
def test_without_a_gpu_the_section_reports_the_runtimes_own_reason():
    rows = bench_cuda_cases.build_gpu_rows(bench_cuda_cases.GpuSizes.quick())
    settings = bench_runner.Settings(rounds=1, round_seconds=0.001, build_rounds=1, sizes=None)
    section = bench_runner.measure_gpu_section(rows, settings)
    assert section.skipped == cuda.unavailable_reason()
    assert section.as_json() == {"skipped": section.skipped}
    assert bench_report.format_gpu_section(section, {}) == f"GPU section skipped: {section.skipped}"


def test_only_splits_between_the_tables_and_brings_the_copy_along():
    rows = bench_cuda_cases.build_gpu_rows(bench_cuda_cases.GpuSizes())
    names = {r.name for r in rows} | {"gpu"}
    assert bench_runner.split_only(None, names) == (None, True, None)
    assert bench_runner.split_only("mlp,gpu_mlp", names) == ("mlp", True, ["gpu_mlp"])
    assert bench_runner.split_only("gpu_elemwise", names) == ("", False, ["gpu_elemwise"])
    assert [r.name for r in bench_runner.selected_gpu_rows(rows, ["gpu_elemwise"])] == ["gpu_copy", "gpu_elemwise"]
    assert [r.name for r in bench_runner.selected_gpu_rows(rows, ["gpu_mlp"])] == ["gpu_mlp"]
    assert bench_runner.selected_gpu_rows(rows, []) == []
    assert bench_runner.selected_gpu_rows(rows, ["gpu"]) == rows
    # the copy moves what the expression reads (x, a, b) and writes, 16 bytes an element
    copy, fused, mlp = rows
    assert copy.bytes_moved == fused.bytes_moved == 16 * 10**8 == 2 * copy.make_inputs(bench_cuda_cases.GpuSizes())["nbytes"]
    assert set(mlp.setups) == {"jitgraph_cuda", "jitgraph_cpu", "torch_cuda"} and "batch 1024" in mlp.label


@needs_nvcc
def test_the_fused_expression_builds_one_cuda_kernel(tmp_path):
    x, a, b = T.fvector("x"), T.fvector("a"), T.fvector("b")
    with config.change_flags(cache_dir=str(tmp_path)):
        f = bench_cuda_cases.elemwise_cuda_function(x, a, b)
    program = f.maker.program
    assert isinstance(program, CudaProgram) and not program.host_nodes
    stage, = program.stages
    assert isinstance(stage, CudaStage) and "__global__" in stage.source
    assert os.path.getsize(stage.module.path) > 0
    assert config.device == "cpu"            # the builder's device=cuda does not leak out
    if not cuda.available():
        with pytest.raises(cuda.CudaUnavailableError):
            f(*(np.ones(4, np.float32) for _ in range(3)))


@needs_nvcc
def test_the_mlp_step_builds_for_cuda_and_runs_on_the_cpu_path(tmp_path):
    inputs = bench_cuda_cases.mlp_inputs(bench_cuda_cases.GpuSizes())
    assert inputs["x"].shape == (1024, 784)
    params = [jitgraph.shared(p, name=f"p{i}") for i, p in enumerate(inputs["params"])]
    with config.change_flags(cache_dir=str(tmp_path)):
        f = bench_cuda_cases.mlp_step_function(params, T.fmatrix("x"), T.ivector("y"), "cuda")
    program = f.maker.program
    assert isinstance(program, CudaProgram) and not program.host_nodes
    assert program.stages and all(isinstance(s, CudaStage) and os.path.getsize(s.module.path) > 0
                                  for s in program.stages)
    assert any("cublas" in s.source.lower() or "gemm" in s.source for s in program.stages)
    # the CPU column: the same graph, its first cost that of numpy's step
    step = bench_cuda_cases.mlp_cpu_setup(inputs)
    cost = step()
    assert bench_cuda_cases.mlp_check(inputs, "jitgraph_cpu", cost) is True
    assert bench_cuda_cases.mlp_check(inputs, "jitgraph_cpu", cost * 1.01) is False
    assert step() < cost                     # the update was applied


def test_measuring_a_row_reports_errors_and_wrong_results():
    def broken(inputs):
        raise RuntimeError("no kernel today")

    row = bench_cuda_cases.GpuRow("fake", "a fake row", lambda sizes: {"v": 2.0},
                                  {"jitgraph_cuda": lambda inputs: lambda: inputs["v"], "jitgraph_cpu": broken,
                                   "torch_cuda": lambda inputs: lambda: 3.0},
                                  check=lambda inputs, column, result: result == inputs["v"])
    settings = bench_runner.Settings(rounds=2, round_seconds=0.001, build_rounds=1, sizes=None)
    cells = bench_runner.measure_gpu_row(row, settings, torch_missing=None)
    assert cells["jitgraph_cuda"].status == "ok" and cells["jitgraph_cuda"].matches_numpy is True
    assert len(cells["jitgraph_cuda"].rounds) == 2 and cells["jitgraph_cuda"].seconds > 0
    assert cells["jitgraph_cpu"].status == "error" and cells["jitgraph_cpu"].note == "RuntimeError: no kernel today"
    assert cells["torch_cuda"].matches_numpy is False and cells["torch_cuda"].note == "result differs from numpy's"
    cells = bench_runner.measure_gpu_row(row, settings, torch_missing="ModuleNotFoundError: No module named 'torch'")
    assert cells["torch_cuda"].status == "n/a" and "torch" in cells["torch_cuda"].note


def _ok(seconds):
    return Cell("ok", rounds=[seconds], seconds=seconds)


def test_gpu_table_and_targets():
    rows = bench_cuda_cases.build_gpu_rows(bench_cuda_cases.GpuSizes())
    results = {"gpu_copy": {"memcpy_d2d": _ok(1.0e-3)},                  # 1.6 GB in 1 ms: 1600 GB/s
               "gpu_elemwise": {"jitgraph_cuda": _ok(1.25e-3)},          # 1280 GB/s: 80%
               "gpu_mlp": {"jitgraph_cuda": _ok(2e-3), "jitgraph_cpu": _ok(30e-3),
                           "torch_cuda": Cell("n/a", note="ModuleNotFoundError: No module named 'torch'")}}
    targets = bench_cuda_cases.evaluate_targets(rows, results, bench_report.format_seconds)
    assert [(round(t.value, 3), t.met) for t in targets] == [(0.8, True), (15.0, True)]
    section = GpuSection(device="CUDA runtime 12.4, 1 device(s), using device 0", torch="n/a (no torch)",
                         rows=rows, results=results, targets=targets)
    text = bench_report.format_gpu_section(section, {"rounds": 5, "threads": 2})
    assert "1.00 ms 1600 GB/s" in text and "1.25 ms 1280 GB/s" in text
    assert "n/a [1]" in text and "[1] torch_cuda, gpu_mlp: ModuleNotFoundError" in text
    assert ("fused elementwise 1280 GB/s = 80% of the device-to-device copy's 1600 GB/s (target >= 70%): met"
            in text)
    assert "MLP step: CPU path 30.0 ms / GPU 2.00 ms = 15.0x faster on the GPU (target >= 10x): met" in text
    assert "PyTorch GPU" not in text         # no PyTorch, no third target

    results["gpu_mlp"]["torch_cuda"] = _ok(1e-3)
    results["gpu_elemwise"]["jitgraph_cuda"] = _ok(2e-3)                 # 800 GB/s: 50%
    targets = bench_cuda_cases.evaluate_targets(rows, results, bench_report.format_seconds)
    assert [(round(t.value, 3), t.met) for t in targets] == [(0.5, False), (15.0, True), (2.0, False)]
    section.targets = targets
    text = bench_report.format_gpu_section(section, {"rounds": 5, "threads": 2})
    assert "= 2.00x PyTorch's time (target <= 1.5x): NOT met" in text
    payload = section.as_json()
    assert [r["name"] for r in payload["rows"]] == ["gpu_copy", "gpu_elemwise", "gpu_mlp"]
    assert payload["rows"][2]["results"]["torch_cuda"]["seconds"] == 1e-3
    assert [t["met"] for t in payload["targets"]] == [False, True, False]
    json.dumps(payload)
