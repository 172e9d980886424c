"""Graph rewrites: small named passes over a FunctionGraph, run in one ordered pipeline
per mode after symbolic differentiation and before lowering. A pass never depends on a
backend. ``JITGRAPH_FLAGS=optimizer_excluding=fusion`` (colon-separated names) skips
passes by name; ``PASSES`` lists them in order."""
import time
from dataclasses import dataclass


@dataclass
class Pass:
    name: str
    fn: object          # fn(fgraph) -> number of nodes it changed
    modes: tuple        # optimizer names ("fast_run", "fast_compile") the pass belongs to
    doc: str


PASSES = []


def register_pass(name, modes=("fast_run",)):
    def deco(fn):
        PASSES.append(Pass(name, fn, tuple(modes), (fn.__doc__ or "").strip().split("\n")[0]))
        return fn
    return deco


def excluded_names():
    from jitgraph.config import config
    return {n for n in config.optimizer_excluding.split(":") if n}


def optimize(fgraph, optimizer, profile=None):
    """Apply the passes of ``optimizer`` ('fast_run', 'fast_compile' or None) in order.
    Returns [(pass name, seconds, nodes changed)]."""
    report = []
    if optimizer is None:
        return report
    skip = excluded_names()
    for p in PASSES:
        if optimizer not in p.modes or p.name in skip:
            continue
        t0 = time.perf_counter()
        changed = p.fn(fgraph)
        report.append((p.name, time.perf_counter() - t0, changed))
    return report


# the passes register themselves, in pipeline order
from jitgraph.rewrite import merge  # noqa: E402,F401
from jitgraph.rewrite import constant_folding  # noqa: E402,F401
from jitgraph.rewrite import canonicalize  # noqa: E402,F401
from jitgraph.rewrite import stabilize  # noqa: E402,F401
from jitgraph.rewrite import specialize_pow  # noqa: E402,F401
register_pass("merge_again", modes=("fast_run", "fast_compile"))(merge.merge_again)
from jitgraph.rewrite import specialize_gemm  # noqa: E402,F401
from jitgraph.rewrite import fusion  # noqa: E402,F401
from jitgraph.rewrite import fused_reduce  # noqa: E402,F401
from jitgraph.rewrite import inplace  # noqa: E402,F401
