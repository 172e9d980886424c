"""The native executor: a FunctionGraph split into segments of nodes with native code,
each lowered, emitted as C, built (through the cache) and called through the
trampoline; nodes without native code run their numpy reference in between.

In the common case the whole graph is one segment and one native call per Python call.
"""
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from jitgraph.codegen.c import CEmitter
from jitgraph.codegen.lower import lower_nodes, lowering_for
from jitgraph.compile.executor import SlotProgram, perform_node
from jitgraph.graph.basic import Constant, storage_root
from jitgraph.tensor.type import TensorType
from jitgraph.runtime.cpu import Caller, build_module, num_threads, prefetch_trampoline


def _is_array(v):
    return isinstance(v.type, TensorType)


def _is_embedded_constant(v):
    return isinstance(v, Constant) and v.ndim == 0


def inplace_outputs(inputs, outputs):
    """``{output index: input index}`` for outputs whose storage is an input's, written by
    in-place ops (``destroy_map``) — never views, which must be copied."""
    found = {}
    for k, var in enumerate(outputs):
        root = storage_root(var, views=False)
        if root is not var and root in inputs and outputs.count(var) == 1:
            found[k] = inputs.index(root)
    return found


class NativeStage:
    """One native segment: ``inputs`` -> ``outputs`` through one module call."""

    def __init__(self, nodes, inputs, outputs, summary):
        self.nodes = nodes
        self.inputs = inputs
        self.outputs = outputs
        # outputs computed into an input's storage (in-place updates) are not module
        # outputs: the call returns that input itself
        self.inplace = inplace_outputs(inputs, outputs)
        module_outputs = [v for k, v in enumerate(outputs) if k not in self.inplace]
        kernel = lower_nodes(nodes, inputs, module_outputs, summary=summary)
        self.kernel = kernel
        emitter = CEmitter(kernel)
        self.source = emitter.source()
        self.module = build_module(kernel, self.source, parts=emitter.parts())
        self.caller = Caller(self.module, [v.type for v in inputs], len(module_outputs))

    def call(self, arglist):
        res = self.caller(arglist)
        if type(res) is int:
            res, arglist = self._call_converted(arglist, res)
        for k, j in self.inplace.items():
            res.insert(k, arglist[j])
        return res

    def _call_converted(self, arglist, bad):
        """An argument that is not a well-behaved ndarray of the exact type: convert it
        (each argument was validated already, so this only fixes layout/byte order)."""
        fixed = list(arglist)
        for i, (v, a) in enumerate(zip(self.inputs, fixed)):
            fixed[i] = np.require(np.asarray(a, dtype=v.type.numpy_dtype), requirements=["A", "O"])
            if not fixed[i].dtype.isnative:
                fixed[i] = fixed[i].astype(fixed[i].dtype.newbyteorder("="))
        res = self.caller(fixed)
        if type(res) is int:
            raise TypeError(f"argument {res} of a native segment has type {type(fixed[res]).__name__}, "
                            f"expected an ndarray of {self.inputs[res].type}")
        return res, fixed


class NativeProgram(SlotProgram):
    """Runs a FunctionGraph natively; ``Function`` drives it like the reference executor."""

    stage_class = NativeStage   # what builds and calls one segment (the CUDA executor swaps it)

    def __init__(self, fgraph, root_vars, name=None, per_node=False):
        super().__init__(fgraph, root_vars)
        order = self.order
        self.stages = self._plan(fgraph, order, root_vars, name, per_node)
        self.n_native = sum(isinstance(s, NativeStage) for s in self.stages)

    def is_native(self, node):
        """Whether ``node`` runs in a native segment (else its reference runs between them)."""
        return lowering_for(node) is not None

    def _plan(self, fgraph, order, root_vars, name, per_node):
        """Group consecutive nodes with native code into segments. A segment takes every
        graph root first (so a one-segment program is called with the function's own
        arguments), then the other values it reads; it returns what later stages or the
        caller need."""
        groups = []
        for node in order:
            native = self.is_native(node)
            if native and groups and groups[-1][0] and not per_node:
                groups[-1][1].append(node)
            else:
                groups.append((native, [node]))
        if not groups or not groups[-1][0]:
            groups.append((True, []))   # a last native stage gives every output its own buffer
        plans, later = [], [set() for _ in groups]
        needed = set(fgraph.outputs)
        for k in range(len(groups) - 1, -1, -1):
            later[k] = set(needed)
            for node in groups[k][1]:
                needed.update(node.inputs)
        for k, (native, nodes) in enumerate(groups):
            if not native:
                plans.append(("ref", nodes[0]))
                continue
            last = k == len(groups) - 1
            produced = {o for n in nodes for o in n.outputs}
            reads = [i for n in nodes for i in n.inputs] + (list(fgraph.outputs) if last else [])
            # Values that are not arrays (a RandomState generator) never enter native code;
            # they stay in the value table, where reference stages read and write them.
            inputs = [v for v in root_vars if _is_array(v)] if last else []
            for v in reads:
                if v not in produced and v not in inputs and not _is_embedded_constant(v) and _is_array(v):
                    inputs.append(v)
            if last:
                outputs = [v for v in fgraph.outputs if _is_array(v)]
            else:
                outputs = sorted((v for v in produced if v in later[k]), key=lambda v: self.slot[v])
            summary = f"{name or 'function'}: {len(nodes)} node(s): " + ", ".join(
                sorted({str(n.op) for n in nodes}))[:160]
            plans.append((nodes, inputs, outputs, summary))
        prefetch_trampoline()
        # gcc runs in subprocesses, so segments build in parallel on the available cores
        native = [p for p in plans if p[0] != "ref"]
        if len(native) > 1:
            with ThreadPoolExecutor(max_workers=num_threads()) as pool:
                built = dict(zip(map(id, native), pool.map(lambda p: self.stage_class(*p), native)))
        else:
            built = {id(p): self.stage_class(*p) for p in native}
        return [p if p[0] == "ref" else built[id(p)] for p in plans]

    def run(self, values):
        slot = self.slot
        profile = self.profile
        for stage in self.stages:
            t0 = time.perf_counter() if profile is not None else 0.0
            if type(stage) is tuple:
                node = stage[1]
                for v, r in zip(node.outputs, perform_node(node, [values[slot[v]] for v in node.inputs])):
                    values[slot[v]] = r
            else:
                results = stage.call([values[slot[v]] for v in stage.inputs])
                for v, r in zip(stage.outputs, results):
                    values[slot[v]] = r
            if profile is not None:
                nodes = [stage[1]] if type(stage) is tuple else stage.nodes
                for node in nodes:
                    profile.record(node, (time.perf_counter() - t0) / max(len(nodes), 1))
        return [values[i] for i in self.output_slots]
