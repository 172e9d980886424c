"""`make bench`: jitgraph against numpy, PyTensor (C backend) and JAX, in one table.

    python build_tools/bench.py [--quick] [--only ROW,GROUP] [--frameworks numpy,jitgraph]
                                [--json PATH] [--rounds N] [--threads N] [--no-gpu] [--list]

Every cell is the median of N rounds (5; 3 with --quick) taken in this one run. A round
calls the operation as many times as fill about 0.2 s and reports the time per call.
Thread counts are pinned for every framework alike before any of them is imported
(OpenMP, OpenBLAS/MKL, XLA's CPU pool, and the process's CPU affinity). JAX results are
blocked on, so JAX is timed to completion. Ratios are against the row's baseline: numpy
on the same row unless the row says otherwise (the fused a*x+b*y+c is held to numpy's
x + y, the MLP step to numpy's eight matrix products alone). A framework that does not
import shows "n/a"; one that fails on a row shows "error" there, and a result that
disagrees with numpy's is flagged "!" (both with a footnote): the table always prints.

A GPU section follows the table (bench_cuda_cases.py: issue 7's targets): the fused
expression on 1e8 float32 under device=cuda against a device-to-device copy of the same
bytes, and the 784-512-512-10 SGD step at batch 1024 on the GPU, on the CPU path and in
PyTorch (when torch with CUDA imports), each GPU call synchronised before the clock stops.
Where CUDA cannot run, the section is one line giving the reason. `--only gpu` (or a GPU
row's name) runs only it; `--no-gpu` leaves it out.

The rows themselves live in bench_cases.py; build-time samples run bench_build_child.py.
"""
import argparse
import os
import sys

DEFAULT_THREADS = min(2, os.cpu_count() or 1)    # the reference machine has two cores


def pin_threads(threads):
    """Same thread budget for every framework; must run before numpy (or anything) is imported.

    The variables are inherited by the build-time child processes as well.
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        os.environ[var] = str(threads)
    eigen = "true" if threads > 1 else "false"
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                               + f" --xla_cpu_multi_thread_eigen={eigen}"
                               + f" intra_op_parallelism_threads={threads}").strip()
    os.environ["JAX_PLATFORMS"] = "cpu"
    # The 0-d float64 call-overhead row must stay float64 in JAX too.
    os.environ["JAX_ENABLE_X64"] = "1"
    if hasattr(os, "sched_setaffinity"):    # XLA sizes its pool by the CPUs it may use
        try:
            os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:threads])
        except OSError:
            pass


def configure_pytensor_blas():
    """Point PyTensor at our OpenBLAS (see bench_pytensor_blas.py) unless the user chose one.

    Returns a line for the report. Set in the environment, so build-time children see it too.
    """
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    if "blas__ldflags" in flags:
        return "blas__ldflags from PYTENSOR_FLAGS"
    from bench_pytensor_blas import pytensor_blas_ldflags
    build_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "build", "bench")
    ldflags, why_not = pytensor_blas_ldflags(build_dir)
    if ldflags is None:
        return f"no BLAS linked ({why_not}); PyTensor falls back to NumPy C-API loops"
    os.environ["PYTENSOR_FLAGS"] = ",".join(filter(None, [flags, f'blas__ldflags="{ldflags}"']))
    return "BLAS: scipy-openblas32, through build_tools/bench_pytensor_blas.py's shim"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer and shorter rounds")
    parser.add_argument("--only", help="comma-separated row or group names (see --list)")
    parser.add_argument("--frameworks", default="numpy,jitgraph,pytensor,jax",
                        help="comma-separated columns (default: all)")
    parser.add_argument("--json", dest="json_path",
                        help="where to write the results (default bench-results.json, "
                             "bench-results-quick.json with --quick)")
    parser.add_argument("--rounds", type=int, help="rounds per cell (default 5; 3 with --quick)")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help=f"threads for every framework (default {DEFAULT_THREADS})")
    parser.add_argument("--no-gpu", action="store_true", help="leave out the GPU section")
    parser.add_argument("--list", action="store_true", help="list the rows and exit")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.threads < 1:
        sys.exit("bench.py: --threads must be at least 1")
    pin_threads(args.threads)
    if "pytensor" in args.frameworks:
        args.pytensor_blas = configure_pytensor_blas()
    # Imported only now, so that numpy and every framework see the pinned thread counts.
    from bench_runner import run_bench
    return run_bench(args)


if __name__ == "__main__":
    sys.exit(main())
