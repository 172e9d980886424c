"""`build_tools/check_cuda.py` (make check-cuda): kernels recorded from the CPU path are
emitted as CUDA, deduplicated by cache key, chosen to cover every distinct step, and
nvcc-built; a failing build is reported naming the kernel."""
import os
import re
import shutil
import sys

import pytest

import jitgraph
import jitgraph.tensor as T
from jitgraph.codegen.cuda_record import capture_kernels
from jitgraph.config import config

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "build_tools"))
import check_cuda  # noqa: E402

needs_nvcc = pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not on PATH")


def _kernels():
    with config.change_flags(device="cpu"), capture_kernels() as found:
        x, y = T.vector("x"), T.vector("y")
        jitgraph.function([x, y], x + y)
        jitgraph.function([x, y], x + y)              # the same kernel again
        jitgraph.function([x, y], (x * y).sum())
        jitgraph.function([x], T.exp(x) - 1)           # an elementwise step like the first
    return [(f"k{i}: {k.summary}", k, False) for i, k in enumerate(found)]


def test_choose_dedupes_by_key_and_covers_every_step():
    kernels = _kernels()
    chosen, not_emitted, n_distinct, everything = check_cuda.choose(kernels)
    assert not not_emitted
    assert n_distinct == len(everything) < len(kernels)   # the repeated function is one module
    chosen_sigs = set()
    for src, key, label in chosen:
        k = next(k for lab, k, _ in kernels if lab == label)
        chosen_sigs |= {check_cuda.step_signature(s) for s in k.steps}
    all_sigs = {check_cuda.step_signature(s) for _, k, _ in kernels for s in k.steps}
    assert chosen_sigs == all_sigs
    assert len(chosen) < n_distinct                        # x + y and exp(x) - 1 share their step kind


@needs_nvcc
def test_build_failure_names_the_kernel(tmp_path, capsys):
    (label, kernel, _), = _kernels()[:1]
    from jitgraph.codegen.cuda import CudaEmitter, cuda_module_key
    bad = CudaEmitter(kernel).source() + "\nthis does not compile;\n"
    with config.change_flags(cache_dir=str(tmp_path)):
        failures = check_cuda.build_all([(bad, cuda_module_key(bad), label)], jobs=1)
    assert [f[0] for f in failures] == [label]
    out = capsys.readouterr().out
    assert f"FAILED  {label}" in out and "nvcc" in out


@needs_nvcc
def test_main_builds_recorded_kernels(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JITGRAPH_RECORD_KERNELS", str(tmp_path / "rec"))
    _kernels()
    monkeypatch.delenv("JITGRAPH_RECORD_KERNELS")
    assert check_cuda.main(["--reuse", str(tmp_path / "rec"), "--no-programs"]) == 0
    out = capsys.readouterr().out
    assert "3 op-suite kernels recorded" in out and "3 distinct CUDA modules" in out
    assert re.search(r"built (\d+) of \1 CUDA modules", out)
