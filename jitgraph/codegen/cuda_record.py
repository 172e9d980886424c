"""Recording the kernels the CPU backend lowers, so the CUDA build check can emit and
nvcc-build the same kernels without a GPU (``build_tools/check_cuda.py``).

With ``JITGRAPH_RECORD_KERNELS=<dir>`` set, every kernel ``jitgraph.runtime.cpu.build_module``
builds is pickled into ``<dir>`` (graph nodes replaced by their text, which is all an
emitter reads of them), named by a hash of its C source so repeats are stored once.
``capture_kernels()`` collects them in-process instead (tests).
"""
import contextlib
import copy
import hashlib
import os
import pickle

ENV_VAR = "JITGRAPH_RECORD_KERNELS"
_listeners = []


class _NodeText:
    """Stands for a graph node in a recorded step: prints as the node did."""

    def __init__(self, text):
        self.text = text

    def __str__(self):
        return self.text


def detached(kernel):
    """A copy of ``kernel`` without references to the graph (picklable)."""
    steps = []
    for st in kernel.steps:
        st2 = copy.copy(st)
        st2.nodes = [_NodeText(str(n)) for n in st.nodes]
        steps.append(st2)
    k2 = copy.copy(kernel)
    k2.steps = steps
    return k2


def record_kernel(kernel, source):
    """Called by the CPU build for each kernel: store it when recording is on."""
    directory = os.environ.get(ENV_VAR)
    if not directory and not _listeners:
        return
    k = detached(kernel)
    for listener in _listeners:
        listener.append(k)
    if directory:
        os.makedirs(directory, exist_ok=True)
        name = hashlib.sha256(source.encode()).hexdigest()[:24] + ".pkl"
        path = os.path.join(directory, name)
        if not os.path.exists(path):
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "wb") as fh:
                pickle.dump(k, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)


@contextlib.contextmanager
def capture_kernels():
    """``with capture_kernels() as kernels:`` — the kernels built inside, detached."""
    found = []
    _listeners.append(found)
    try:
        yield found
    finally:
        _listeners.remove(found)
