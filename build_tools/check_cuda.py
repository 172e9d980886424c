"""The CUDA build check (`make check-cuda`): generate and nvcc-build CUDA modules for the
kernels the op test suite lowers, the MLP training steps and the benchmark's fused
expressions, so a CUDA codegen error fails CI on a machine without a GPU.

1. Kernels are collected from the CPU path: the op tests (tests/tensor, tests/scalar,
   tests/native, tests/sandbox) run with JITGRAPH_RECORD_KERNELS set, which makes the CPU
   build pickle every lowered kernel (jitgraph/codegen/cuda_record.py); the training steps
   and fused expressions are compiled here.
2. Each kernel is emitted as CUDA and deduplicated by its CUDA cache key. Kernels whose
   steps all appear in other kernels already chosen are left out (a step is identified by
   its kind, op or template, and the dtypes and ndims of its buffers): the modules built
   cover every distinct step of the suite; `--all` builds every distinct kernel.
3. Two nvcc builds run at a time, into the normal cache (a second run is warm).

Exit status 1, naming the kernel and showing the nvcc error, if any build fails or a
kernel cannot be emitted for another reason than a template with no CUDA code yet (those
are listed). Options: --all, --jobs N, --keep DIR (record into DIR and keep it),
--reuse DIR (skip the pytest run, use kernels recorded earlier), --no-programs.
"""
import argparse
import concurrent.futures
import glob
import os
import pickle
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OP_TEST_DIRS = ["tests/tensor", "tests/scalar", "tests/native", "tests/sandbox"]


def record_op_suite(directory, jobs):
    """Run the op tests with kernel recording on; the kernels land in ``directory``."""
    flags = ",".join(f for f in [os.environ.get("JITGRAPH_FLAGS", ""), "device=cpu"] if f)
    env = dict(os.environ, JITGRAPH_RECORD_KERNELS=directory, JITGRAPH_FLAGS=flags)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", str(jobs), *OP_TEST_DIRS]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tail = proc.stdout.strip().splitlines()[-1:] or [""]
    print(f"recorded the op suite's kernels ({time.perf_counter() - start:.0f} s; pytest: {tail[0]})", flush=True)
    if proc.returncode not in (0, 1):   # 1: some test failed, which `make test` reports; its kernels count
        print(proc.stdout[-4000:])
        raise SystemExit("check-cuda: the op test suite could not run while recording kernels")


def program_kernels():
    """Kernels of the 784-512-512-10 and 20-64-64-2 SGD steps and of the fused expressions."""
    sys.path.insert(0, HERE)
    import bench_cases as bc
    from jitgraph.codegen.cuda_record import capture_kernels
    from jitgraph.config import config
    config.device = "cpu"

    class Sizes:
        matrix = (64, 32)

    cases = [("MLP 784-512-512-10 SGD step", bc.mlp_step_jitgraph, bc.mlp784_inputs),
             ("MLP 20-64-64-2 SGD step", bc.mlp_step_jitgraph, bc.mlp20_inputs),
             ("fused tanh(a*x + b) * exp(-x*x) + sqrt(abs(x))", bc.elemwise_jitgraph, lambda s: bc.elemwise_inputs(16)),
             ("fused a*x + b*y + c", bc.axpbyc_jitgraph, lambda s: bc.axpbyc_inputs(16)),
             ("sum of squares", bc.sum_squares_jitgraph, bc.matrix_inputs),
             ("softmax", bc.softmax_jitgraph, bc.matrix_inputs)]
    found = []
    for name, make, inputs in cases:
        with capture_kernels() as kernels:
            make(inputs(Sizes))
        found += [(f"{name}: {k.summary}", k, True) for k in kernels]
    return found


def step_signature(st):
    """What makes a step's generated code different: its kind, op or template, and the
    dtypes among its buffers (ndims, broadcasting and scalar expressions only change
    loop bounds, strides and one line of a kernel)."""
    from jitgraph.codegen import ir
    parts = [type(st).__name__, getattr(st, "template", ""), getattr(st, "op", ""), getattr(st, "kind", "")]
    dtypes = set()
    for name, value in vars(st).items():
        if name == "nodes":
            continue
        values = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
        dtypes |= {v.dtype for v in values if isinstance(v, ir.Buf)}
    return "|".join(parts) + repr(sorted(dtypes))


def step_atoms(st):
    """What a built module proves about a step: its signature, and each scalar function
    or operator its per-element statements call at their C types (a scalar helper
    missing from the CUDA headers fails only where it is called)."""
    import re
    atoms = {step_signature(st)}
    for stmt in getattr(st, "stmts", ()):
        for name in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", stmt.expr):
            atoms.add(f"call {name} -> {stmt.ctype}")
    return atoms


def choose(kernels):
    """(source, key, label) to build: every kernel that has a step no earlier choice covers;
    the kernels of the named programs always. Returns (chosen, not_emitted, n_distinct)."""
    from jitgraph.codegen.cuda import CudaEmitter, cuda_module_key
    by_key, not_emitted = {}, []
    for label, kernel, always in kernels:
        try:
            source = CudaEmitter(kernel).source()
        except NotImplementedError as exc:
            not_emitted.append((label, str(exc)))
            continue
        except Exception as exc:   # a codegen bug: reported as a failure naming the kernel
            not_emitted.append((label, f"{type(exc).__name__}: {exc}"))
            continue
        key = cuda_module_key(source)
        if key not in by_key or always:
            by_key[key] = (source, key, label, kernel, always or by_key.get(key, (0, 0, 0, 0, False))[4])
    entries = list(by_key.values())
    sigs = [set().union(*(step_atoms(st) for st in e[3].steps)) if e[3].steps else set() for e in entries]
    chosen = [i for i, e in enumerate(entries) if e[4]]          # the named programs, always
    covered = set().union(*(sigs[i] for i in chosen)) if chosen else set()
    wanted = set().union(*sigs) if sigs else set()
    # greedy set cover: the module adding the most new steps per unit of build work
    # (a module costs about one nvcc start plus a little per step)
    while covered != wanted:
        best = max((i for i in range(len(entries)) if sigs[i] - covered),
                   key=lambda i: (len(sigs[i] - covered) / (1 + 0.05 * len(entries[i][3].steps)),
                                  -len(entries[i][3].steps)))
        chosen.append(best)
        covered |= sigs[best]
    chosen = [entries[i][:3] for i in chosen]
    return chosen, not_emitted, len(by_key), [e[:3] for e in entries]


def build_all(chosen, jobs):
    from jitgraph.cache.build import CompileError
    from jitgraph.cache import default_store
    from jitgraph.cache.build import compile_cuda_library, cuda_build_flags
    from jitgraph.config import config
    flags, libs = cuda_build_flags(config.cuda_arch)
    failures = []

    def build(item):
        source, key, label = item
        t = time.perf_counter()
        try:
            default_store().get_or_build(key, target="cuda", source=source, source_name="source.cu", summary=label,
                                         build=lambda src, out: compile_cuda_library(src, out, flags=flags,
                                                                                     libs=libs))
        except CompileError as exc:
            return label, time.perf_counter() - t, exc
        return label, time.perf_counter() - t, None

    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for label, seconds, error in pool.map(build, chosen):
            if error is not None:
                failures.append((label, error))
                print(f"FAILED  {label}\n{error}", flush=True)
    return failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--all", action="store_true", help="build every distinct kernel, not one cover of the steps")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", help="record into this directory and keep it")
    parser.add_argument("--reuse", help="use kernels recorded earlier into this directory (no pytest run)")
    parser.add_argument("--no-programs", action="store_true", help="only the recorded kernels (tests)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    sys.path.insert(0, ROOT)
    tmp = None
    if args.reuse:
        directory = args.reuse
    else:
        directory = args.keep or (tmp := tempfile.mkdtemp(prefix="jg-kernels-"))
        record_op_suite(directory, args.jobs)
    kernels = []
    for path in sorted(glob.glob(os.path.join(directory, "*.pkl"))):
        with open(path, "rb") as fh:
            k = pickle.load(fh)
        kernels.append((f"{os.path.basename(path)}: {k.summary}", k, False))
    n_recorded = len(kernels)
    if not args.no_programs:
        kernels += program_kernels()
    chosen, not_emitted, n_distinct, everything = choose(kernels)
    if args.all:
        chosen = everything
    print(f"{n_recorded} op-suite kernels recorded, {len(kernels) - n_recorded} from the MLP steps and fused "
          f"expressions; {n_distinct} distinct CUDA modules; building {len(chosen)} "
          f"({'all' if args.all else 'covering every distinct step'}), {args.jobs} at a time", flush=True)
    if not_emitted:
        reasons = {}
        for label, why in not_emitted:
            reasons.setdefault(why.split(" (")[0] if "template" not in why else why[why.find("template"):], []).append(label)
        print(f"{len(not_emitted)} kernels use code with no CUDA version yet (not built):")
        for why, labels in sorted(reasons.items()):
            print(f"  {len(labels):4d} x {why}")
    unexpected = [(label, why) for label, why in not_emitted if "CUDA:" not in why]
    t = time.perf_counter()
    failures = build_all(chosen, args.jobs)
    print(f"built {len(chosen) - len(failures)} of {len(chosen)} CUDA modules in {time.perf_counter() - t:.0f} s "
          f"(check-cuda total {time.perf_counter() - start:.0f} s)", flush=True)
    if tmp:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    if failures or unexpected:
        for label, why in unexpected:
            print(f"FAILED to emit {label}: {why}")
        print(f"check-cuda: {len(failures)} nvcc failure(s): " + "; ".join(label for label, _ in failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
