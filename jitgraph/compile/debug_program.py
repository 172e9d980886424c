"""DEBUG mode: every node with native code is built as a module of its own and run
beside its numpy reference on the same inputs; the first node whose results disagree
(beyond design §2's tolerances) raises DebugModeError naming it."""
import numpy as np

from jitgraph.codegen.lower import lowering_for
from jitgraph.compile.executor import ReferenceProgram
from jitgraph.compile.native_program import NativeStage, _is_embedded_constant

TOLERANCE = {"float64": 1e-7, "float32": 1e-4}


class DebugModeError(AssertionError):
    """Native code and the reference disagree on a node."""


def results_agree(native, reference, dtype):
    native, reference = np.asarray(native), np.asarray(reference)
    if native.shape != reference.shape:
        return f"shapes differ: native {native.shape}, reference {reference.shape}"
    tol = TOLERANCE.get(str(dtype))
    if tol is None:
        if not np.array_equal(native, reference):
            return f"values differ at {np.argwhere(native != reference)[:3].tolist()}"
        return None
    if not np.array_equal(np.isnan(native), np.isnan(reference)):
        return "NaN in different places"
    ok = np.isclose(native, reference, rtol=tol, atol=tol * 1e-3, equal_nan=True) | (native == reference)
    if not ok.all():
        where = np.argwhere(~ok)[:3].tolist()
        return f"values differ at {where}: native {native[~ok][:3]}, reference {reference[~ok][:3]}"
    return None


class DebugProgram(ReferenceProgram):
    def __init__(self, fgraph, root_vars, name=None):
        super().__init__(fgraph, root_vars)
        self.native = {}
        for node in self.order:
            if lowering_for(node) is None:
                continue
            inputs = []
            for v in node.inputs:
                if not _is_embedded_constant(v) and v not in inputs:
                    inputs.append(v)
            self.native[node] = NativeStage([node], inputs, list(node.outputs), f"debug: {node.op}")
        self.n_native = len(self.native)

    def run(self, values):
        for node, perform, ins, outs, free in self.steps:
            args = [values[i] for i in ins]
            storage = [[None] for _ in outs]
            stage = self.native.get(node)
            native = None
            if stage is not None:
                # before the reference runs: an in-place op overwrites its input, and each
                # side must see the value the node was given (the native side a copy of it)
                destroyed = {node.inputs[i] for srcs in (getattr(node.op, "destroy_map", None) or {}).values()
                             for i in srcs}
                native = stage.call([np.array(values[self.slot[v]], copy=True) if v in destroyed
                                     else values[self.slot[v]] for v in stage.inputs])
            perform(node, args, storage)
            if native is not None:
                for k, (var, cell) in enumerate(zip(node.outputs, storage)):
                    problem = results_agree(native[k], cell[0], var.dtype)
                    if problem:
                        raise DebugModeError(f"DEBUG mode: native code and the reference disagree on output {k} "
                                             f"of node {node}: {problem}")
            for i, cell in zip(outs, storage):
                values[i] = cell[0]
            for i in free:
                values[i] = None
        return [values[i] for i in self.output_slots]
