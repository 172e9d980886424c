"""Measuring the rows of bench_cases.py: framework probing, timing, build samples, checks;
then the GPU section (bench_cuda_cases.py), or the one line saying why it was skipped.

Imported by bench.py only after it has pinned the thread counts.
"""
import gc
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

import bench_cases
import bench_cuda_cases
import bench_report

HERE = os.path.dirname(os.path.abspath(__file__))
# Cells --quick leaves out, to stay under a minute: (row group, framework) -> why.
QUICK_SKIPS = {("build", "pytensor"): "left out by --quick: a cold PyTensor build alone takes 12+ s "
                                      "(`make bench` measures it)"}
BUILD_CHILD = os.path.join(HERE, "bench_build_child.py")


@dataclass
class Settings:
    rounds: int
    round_seconds: float      # how long one round of repeated calls should last
    build_rounds: int         # fresh-process build samples (each a cold and a warm process)
    sizes: bench_cases.Sizes
    quick: bool = False
    gpu_sizes: bench_cuda_cases.GpuSizes = field(default_factory=bench_cuda_cases.GpuSizes)


@dataclass
class Cell:
    """One framework's result on one row."""

    status: str               # ok | error | n/a | skipped
    rounds: list = field(default_factory=list)   # seconds per call (or per build), one per round
    seconds: float = None     # their median
    ratio: float = None       # seconds / the row's baseline seconds
    matches_numpy: bool = None
    note: str = None          # why n/a or error; how the result differs

    def as_json(self):
        return {"status": self.status, "seconds": self.seconds, "rounds": self.rounds, "ratio": self.ratio,
                "result_matches_numpy": self.matches_numpy, "note": self.note}


def probe_framework(name):
    """(version, None) when the framework imports, else (None, the reason)."""
    try:
        module = importlib.import_module(name)
        if name == "jax":
            module.devices()      # the CPU backend itself has to come up
        return getattr(module, "__version__", "?"), None
    except Exception as exc:      # any import failure only empties that column
        return None, f"{type(exc).__name__}: {exc}".splitlines()[0]


# --- timing in this process -------------------------------------------------------------

def _run_calls(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


def time_calls(fn, settings):
    """Seconds per call, one figure per round; the calls per round are calibrated first."""
    fn()                                  # warm-up: JIT compilation, caches, first allocation
    gc_was_enabled = gc.isenabled()
    gc.disable()                          # as timeit does: collector pauses are not the op's cost
    try:
        number, elapsed = 1, _run_calls(fn, 1)
        while elapsed < settings.round_seconds / 10 and number < 10**7:
            number *= 10
            elapsed = _run_calls(fn, number)
        number = max(1, round(number * settings.round_seconds / max(elapsed, 1e-9)))
        return [_run_calls(fn, number) / number for _ in range(settings.rounds)]
    finally:
        if gc_was_enabled:
            gc.enable()


# --- build time across fresh processes ---------------------------------------------------

def build_env(framework, cache_root):
    """The environment of a child whose compile cache starts out as the empty `cache_root`."""
    env = dict(os.environ)      # pinned thread counts and PyTensor's BLAS included
    if framework == "jitgraph":
        env["JITGRAPH_CACHE_DIR"] = os.path.join(cache_root, "jitgraph")
    elif framework == "pytensor":
        flags = env.get("PYTENSOR_FLAGS", "")
        env["PYTENSOR_FLAGS"] = ",".join(filter(None, [flags, f"compiledir={os.path.join(cache_root, 'pytensor')}"]))
    elif framework == "jax":
        # JAX keeps nothing between processes unless its persistent cache is on; with it
        # on, "warm" means what it means for the others: compiled code found on disk.
        env["JAX_COMPILATION_CACHE_DIR"] = os.path.join(cache_root, "jax")
        env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
        env["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "0"
    return env


def run_build_child(framework, env):
    """(seconds from process start to first result, that result) for one fresh process."""
    started = time.monotonic()            # CLOCK_MONOTONIC: the same clock in the child
    proc = subprocess.run([sys.executable, BUILD_CHILD, framework], env=env, capture_output=True,
                          text=True, timeout=900)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"build child exited with {proc.returncode}: {tail[0]}")
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    return report["first_result_at"] - started, report["result"]


def measure_builds(framework, settings):
    """Cold and warm samples: each round a fresh cache dir, one process to fill it, one to reuse it."""
    cold, warm, results = [], [], []
    for _ in range(settings.build_rounds):
        with tempfile.TemporaryDirectory(prefix="jitgraph-bench-") as cache_root:
            env = build_env(framework, cache_root)
            for samples in (cold, warm):
                seconds, result = run_build_child(framework, env)
                samples.append(seconds)
                results.append(result)
    return {"build_cold": cold, "build_warm": warm}, results[0]


# --- the table ----------------------------------------------------------------------------

def split_only(only, gpu_names):
    """--only split between the two sections: (names for the CPU table, or None for all of
    it; whether the CPU table is wanted; the GPU names wanted, or None for all of them)."""
    if not only or not only.strip(","):
        return None, True, None
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    cpu = [w for w in wanted if w not in gpu_names]
    gpu = [w for w in wanted if w in gpu_names]
    return ",".join(cpu), bool(cpu), gpu


def selected_rows(all_rows, only):
    """The rows named (or in the groups named) by --only, plus the baselines they need."""
    if not only:
        return all_rows
    wanted = {w.strip() for w in only.split(",") if w.strip()}
    known = {r.name for r in all_rows} | {r.group for r in all_rows}
    unknown = wanted - known
    if unknown:
        sys.exit(f"bench.py: unknown row or group {', '.join(sorted(unknown))}; "
                 f"known: {', '.join(sorted(known))}")
    chosen = {r.name for r in all_rows if r.name in wanted or r.group in wanted}
    chosen |= {r.baseline[0] for r in all_rows if r.name in chosen and r.baseline}
    return [r for r in all_rows if r.name in chosen]


def _same_result(result, reference):
    try:
        return bool(np.allclose(np.asarray(result, dtype=np.float64), np.asarray(reference, dtype=np.float64),
                                rtol=1e-3, atol=1e-4))
    except (TypeError, ValueError):
        return False


def _progress(text):
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K" + text)
        sys.stderr.flush()


def measure_row(row, frameworks, available, settings, build_memo):
    """A Cell per framework; numpy's result, when there is one, is the reference for the others."""
    cells, reference = {}, None
    inputs = None
    for fw in frameworks:
        if fw not in row.setups:
            continue
        if available[fw][0] is None:
            cells[fw] = Cell("n/a", note=available[fw][1])
            continue
        if settings.quick and (row.group, fw) in QUICK_SKIPS:
            cells[fw] = Cell("skipped", note=QUICK_SKIPS[row.group, fw])
            continue
        _progress(f"{row.name} / {fw}")
        try:
            if row.kind == "build":
                if fw not in build_memo:
                    build_memo[fw] = measure_builds(fw, settings)
                samples, result = build_memo[fw]
                rounds = samples[row.name]
            else:
                if inputs is None:
                    inputs = row.make_inputs(settings.sizes)
                fn = row.setups[fw](inputs)
                result = fn()
                rounds = time_calls(fn, settings)
        except Exception as exc:          # one failing cell must not take the table down
            cells[fw] = Cell("error", note=f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
            continue
        cell = Cell("ok", rounds=rounds, seconds=statistics.median(rounds))
        if fw == "numpy":
            reference = result
        elif reference is not None:
            cell.matches_numpy = _same_result(result, reference)
            if not cell.matches_numpy:
                cell.note = "result differs from numpy's"
        cells[fw] = cell
    return cells


def add_ratios(rows, results):
    for row in rows:
        if row.kind == "build":
            continue                      # no framework-free floor to divide by
        base_row, base_fw = row.baseline or (row.name, "numpy")
        base = results.get(base_row, {}).get(base_fw)
        if base is None or base.status != "ok":
            continue
        for cell in results[row.name].values():
            if cell.status == "ok":
                cell.ratio = cell.seconds / base.seconds


# --- the GPU section ---------------------------------------------------------------------

@dataclass
class GpuSection:
    """The GPU table's rows and cells and issue 7's targets, or why it was skipped."""

    skipped: str = None
    device: str = None
    torch: str = None         # PyTorch's version and GPU, or why its column is empty
    rows: list = field(default_factory=list)
    results: dict = field(default_factory=dict)      # row name -> column -> Cell
    targets: list = field(default_factory=list)

    def as_json(self):
        if self.skipped:
            return {"skipped": self.skipped}
        return {"device": self.device, "torch": self.torch, "targets": [t.as_json() for t in self.targets],
                "rows": [{"name": r.name, "label": r.label, "bytes_moved": r.bytes_moved,
                          "results": {c: cell.as_json() for c, cell in self.results[r.name].items()}}
                         for r in self.rows]}


def selected_gpu_rows(all_rows, wanted):
    """The GPU rows named by --only (all for None or "gpu"), plus the rows their targets need."""
    if wanted is None or "gpu" in wanted:
        return all_rows
    chosen = set(wanted)
    chosen |= {n for r in all_rows if r.name in chosen for n in r.needs}
    return [r for r in all_rows if r.name in chosen]


def gpu_unavailable_reason():
    """None when CUDA code can run here, else the CudaUnavailableError message."""
    from jitgraph.runtime import cuda
    return cuda.unavailable_reason()


def measure_gpu_row(row, settings, torch_missing):
    cells, inputs = {}, None
    for column in bench_cuda_cases.COLUMNS:
        if column not in row.setups:
            continue
        if column == "torch_cuda" and torch_missing:
            cells[column] = Cell("n/a", note=torch_missing)
            continue
        _progress(f"{row.name} / {column}")
        try:
            if inputs is None:
                inputs = row.make_inputs(settings.gpu_sizes)
            fn = row.setups[column](inputs)
            matches = row.check(inputs, column, fn()) if row.check else None
            rounds = time_calls(fn, settings)
        except Exception as exc:          # one failing cell must not take the section down
            cells[column] = Cell("error", note=f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
            continue
        finally:
            fn = None                     # device memory goes back before the next column
        cells[column] = Cell("ok", rounds=rounds, seconds=statistics.median(rounds), matches_numpy=matches,
                             note="result differs from numpy's" if matches is False else None)
    return cells


def measure_gpu_section(rows, settings):
    reason = gpu_unavailable_reason()
    if reason is not None:
        return GpuSection(skipped=reason)
    from jitgraph.runtime import cuda
    torch_found, torch_missing = bench_cuda_cases.probe_torch_cuda()
    section = GpuSection(device=cuda.require().describe(), torch=torch_found or f"n/a ({torch_missing})", rows=rows)
    for row in rows:
        section.results[row.name] = measure_gpu_row(row, settings, torch_missing)
    section.targets = bench_cuda_cases.evaluate_targets(rows, section.results, bench_report.format_seconds)
    return section


def run_bench(args):
    quick = args.quick
    settings = Settings(rounds=args.rounds or (3 if quick else 5), round_seconds=0.02 if quick else 0.2,
                        build_rounds=1 if quick else (args.rounds or 5),
                        sizes=bench_cases.Sizes.quick() if quick else bench_cases.Sizes(), quick=quick)
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    unknown = set(frameworks) - set(bench_cases.FRAMEWORKS)
    if unknown or not frameworks:
        sys.exit(f"bench.py: unknown framework {', '.join(sorted(unknown)) or '(none given)'}; "
                 f"known: {', '.join(bench_cases.FRAMEWORKS)}")
    if quick:
        settings.gpu_sizes = bench_cuda_cases.GpuSizes.quick()
    all_rows = bench_cases.build_rows(settings.sizes)
    all_gpu_rows = bench_cuda_cases.build_gpu_rows(settings.gpu_sizes)
    if args.list:
        for row in all_rows:
            print(f"{row.name:16s} {row.group:14s} {row.label}")
        for row in all_gpu_rows:
            print(f"{row.name:16s} {'gpu':14s} {row.label}")
        return 0
    cpu_only, want_cpu, want_gpu = split_only(args.only, {r.name for r in all_gpu_rows} | {"gpu"})
    rows = selected_rows(all_rows, cpu_only) if want_cpu else []
    gpu_rows = [] if args.no_gpu else selected_gpu_rows(all_gpu_rows, want_gpu)
    available = {fw: probe_framework(fw) for fw in frameworks}

    load_before = bench_report.load_average()
    started = time.time()
    results, build_memo = {}, {}
    for row in rows:
        results[row.name] = measure_row(row, frameworks, available, settings, build_memo)
    add_ratios(rows, results)
    gpu = measure_gpu_section(gpu_rows, settings) if gpu_rows else None
    _progress("")

    meta = bench_report.describe_run(args, settings, frameworks, available, time.time() - started,
                                       load_before)
    if rows:
        print(bench_report.format_table(rows, results, frameworks, meta))
    if gpu is not None:
        print(("\n" if rows else "") + bench_report.format_gpu_section(gpu, meta))
    json_path = args.json_path or ("bench-results-quick.json" if quick else "bench-results.json")
    bench_report.write_json(json_path, rows, results, meta, gpu)
    print(f"\nwrote {json_path}")
    return 0
