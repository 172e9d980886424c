"""The executor under ``device=cuda``.

The optimized FunctionGraph is segmented exactly as the CPU ``NativeProgram`` does it
(it *is* a NativeProgram with another stage class): each run of consecutive nodes with
native code is lowered to the kernel IR, emitted as one ``.cu`` by
``jitgraph.codegen.cuda.CudaEmitter``, built by nvcc into the cache
(``build_cuda_module``) and called through ``jg_entry`` with device pointers. A node
with no native code — or one the CUDA emitter cannot render (``NotImplementedError``),
or one that reads only constants for host nodes alone — runs its numpy reference on
the host, with explicit copies either side, counted.

Per call only the explicit inputs go host->device; shared variables in GPU memory are
read where they are and their updates stay there; constants are copied to the device
once per function. Outputs come back to the host, except ``Out(borrow=True)`` outputs,
which stay on the device as DeviceArrays. ``copy_stats`` counts host<->device copies
per function (``f.maker.program.copy_stats``).

Compiling needs nvcc only; the CUDA runtime is looked for when the function is first
called, which raises ``CudaUnavailableError`` without a usable GPU.

``FAST_COMPILE`` (the numpy reference) under ``device=cuda`` runs on the host through
:class:`HostProgram`, which copies GPU shared values to the host and updates back,
explicitly and counted. ``DEBUG`` does too, and runs every node that has CUDA code as
a CUDA module of its own beside its reference (:class:`CudaDebugProgram`).
"""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from jitgraph.codegen.lower import lower_nodes, lowering_for
from jitgraph.compile.debug_program import DebugModeError, DebugProgram, results_agree
from jitgraph.compile.executor import ReferenceProgram, perform_node
from jitgraph.compile.native_program import NativeProgram, NativeStage, _is_array, _is_embedded_constant
from jitgraph.graph.basic import Constant
from jitgraph.runtime import cuda
from jitgraph.runtime.cpu import num_threads


def make_cuda_program(fgraph, mode, name=None, per_node=False):
    """The executor ``function`` uses under device=cuda, or when the graph reads a shared
    variable in GPU memory (see ``jitgraph.compile.function.make_program``)."""
    if mode.linker == "reference":
        return HostProgram(ReferenceProgram(fgraph, fgraph.inputs))
    if mode.linker == "debug":
        return HostProgram(CudaDebugProgram(fgraph, fgraph.inputs, name))
    return CudaProgram(fgraph, fgraph.inputs, name, per_node=per_node)


def _segment_io(nodes):
    """Inputs (arrays that are not literals, once each) and array outputs of ``nodes``."""
    produced = {o for n in nodes for o in n.outputs}
    inputs = []
    for n in nodes:
        for v in n.inputs:
            if v not in produced and v not in inputs and _is_array(v) and not _is_embedded_constant(v):
                inputs.append(v)
    return inputs, [o for n in nodes for o in n.outputs if _is_array(o)]


class CudaStage(NativeStage):
    """One native segment built as a CUDA module."""

    def __init__(self, nodes, inputs, outputs, summary):
        from jitgraph.codegen.cuda import CudaEmitter, build_cuda_module
        self.nodes = nodes
        self.inputs = inputs
        self.outputs = outputs
        kernel = lower_nodes(nodes, inputs, outputs, summary=summary)
        self.source = CudaEmitter(kernel).source()
        self.module = cuda.CudaModule(build_cuda_module(kernel, self.source))
        self.out_types = [(v.dtype, v.ndim) for v in outputs]
        self._checks = [(k, v, v.type.numpy_dtype, [(d, s) for d, s in enumerate(v.type.shape) if s is not None])
                        for k, v in enumerate(inputs)]

    def call(self, runtime, args):
        """Run on ``args`` (DeviceArrays of the inputs); returns DeviceArrays."""
        for k, var, dtype, fixed in self._checks:
            a = args[k]
            if a.dtype != dtype or a.ndim != var.ndim:
                raise TypeError(f"argument {k} ({var}) of a CUDA segment is a {a.ndim}-d {a.dtype} array, "
                                f"expected {var.type}")
            for d, s in fixed:
                if a.shape[d] != s:
                    raise ValueError(f"argument {k} ({var}) of a CUDA segment has size {a.shape[d]} in "
                                     f"dimension {d}, but its type requires {s} ({var.type})")
        return self.module.call(runtime, args, self.out_types)


class _Transfers:
    """Per-function counts of host<->device copies."""

    def __init__(self):
        self._lock = threading.Lock()
        self.h2d = 0
        self.d2h = 0

    def count(self, h2d=0, d2h=0):
        with self._lock:
            self.h2d += h2d
            self.d2h += d2h

    def reset(self):
        with self._lock:
            self.h2d = self.d2h = 0

    def as_dict(self):
        return {"h2d": self.h2d, "d2h": self.d2h}

    def __repr__(self):
        return f"copies(h2d={self.h2d}, d2h={self.d2h})"


class _ResultPlacement:
    """Where each fgraph output goes after a call: ``Function`` tells the program how
    many outputs the caller sees, which of those are borrowed and which shared variable
    each update feeds; without that every result goes to the host."""

    def __init__(self):
        self.n_visible = None
        self.borrow = ()
        self.targets = ()

    def configure_results(self, borrow, update_targets):
        self.n_visible = len(borrow)
        self.borrow = list(borrow)
        self.targets = list(update_targets)

    def on_device(self, k):
        """True: result k stays (or is put) on the device; False: it goes to the host."""
        if self.n_visible is None:
            return False
        if k < self.n_visible:
            return self.borrow[k]
        return getattr(self.targets[k - self.n_visible], "on_device", False)


class CudaProgram(_ResultPlacement, NativeProgram):
    """Runs a FunctionGraph as CUDA modules; ``Function`` drives it like the others."""

    stage_class = CudaStage

    def __init__(self, fgraph, root_vars, name=None, per_node=False):
        _ResultPlacement.__init__(self)
        self.host_nodes = []   # (node, why) for nodes the CUDA emitter cannot render
        self._clients = fgraph.clients
        NativeProgram.__init__(self, fgraph, root_vars, name, per_node)
        self.copy_stats = _Transfers()
        self._out_arrays = [_is_array(v) for v in inner_outputs(self)]
        self._device_consts = None
        self._const_lock = threading.Lock()

    def is_native(self, node):
        """A node runs in a CUDA module when it has a lowering the CUDA emitter renders —
        unless it reads only constants and only host nodes read it (the size argument of
        a host random op): computed on the device it would have to come back every call."""
        if lowering_for(node) is None:
            return False
        if all(isinstance(v, Constant) for v in node.inputs) and all(
                c != "output" and lowering_for(c) is None for o in node.outputs for c, _ in self._clients.get(o, ())):
            self.host_nodes.append((node, "reads only constants, read only on the host"))
            return False
        from jitgraph.codegen.cuda import CudaEmitter
        inputs, outputs = _segment_io([node])
        try:
            CudaEmitter(lower_nodes([node], inputs, outputs)).source()
        except NotImplementedError as exc:
            self.host_nodes.append((node, str(exc)))
            return False
        return True

    def _constants_on_device(self, runtime):
        """Device copies of the array constants CUDA stages read, made on the first call."""
        if self._device_consts is None:
            with self._const_lock:
                if self._device_consts is None:
                    wanted = {self.slot[v] for s in self.stages if not isinstance(s, tuple) for v in s.inputs}
                    consts = {s: runtime.upload(np.asarray(data)) for s, data in self.constants if s in wanted}
                    self.copy_stats.count(h2d=len(consts))
                    self._device_consts = consts
        return self._device_consts

    def run(self, values):
        runtime = cuda.require()
        consts = self._constants_on_device(runtime)
        slot, profile, stats = self.slot, self.profile, self.copy_stats
        on_host = {}     # slot -> host copy of a device value made in this call
        on_dev = {}      # slot -> device copy of a host value made in this call

        def host(s):
            v = values[s]
            if not isinstance(v, cuda.DeviceArray):
                return v
            if s not in on_host:
                on_host[s] = runtime.download(v)
                stats.count(d2h=1)
            return on_host[s]

        def device(s):
            v = values[s]
            if isinstance(v, cuda.DeviceArray):
                return v
            d = consts.get(s)
            if d is None:
                d = on_dev.get(s)
                if d is None:
                    d = on_dev[s] = runtime.upload(np.asarray(v))
                    stats.count(h2d=1)
            return d

        for stage in self.stages:
            t0 = time.perf_counter() if profile is not None else 0.0
            if type(stage) is tuple:
                node = stage[1]
                for v, r in zip(node.outputs, perform_node(node, [host(slot[v]) for v in node.inputs])):
                    values[slot[v]] = r
            else:
                results = stage.call(runtime, [device(slot[v]) for v in stage.inputs])
                for v, r in zip(stage.outputs, results):
                    values[slot[v]] = r
            if profile is not None:
                runtime.synchronize()
                nodes = [stage[1]] if type(stage) is tuple else stage.nodes
                for node in nodes:
                    profile.record(node, (time.perf_counter() - t0) / max(len(nodes), 1))
        out, seen = [], set()
        for k, s in enumerate(self.output_slots):
            if self.on_device(k) and self._out_arrays[k]:
                r = device(s)
                out.append(runtime.copy(r) if s in seen else r)
            else:
                r = host(s)
                out.append(np.array(r, copy=True) if s in seen and isinstance(r, np.ndarray) else r)
            seen.add(s)
        return out


class _DeviceCheck:
    """A one-node CUDA stage called the way DEBUG calls a CPU stage: host arrays in,
    host arrays out (the copies are the point: DEBUG compares on the host)."""

    def __init__(self, stage):
        self.stage = stage
        self.inputs = stage.inputs

    def call(self, host_args):
        runtime = cuda.require()
        results = self.stage.call(runtime, [runtime.upload(np.asarray(a)) for a in host_args])
        return [runtime.download(r) for r in results]


class CudaDebugProgram(DebugProgram):
    """DEBUG under device=cuda: every node with CUDA code is built as a CUDA module of its
    own and run beside its numpy reference; the first node whose results disagree raises
    DebugModeError naming it. (Run inside a HostProgram: values live on the host.)"""

    def __init__(self, fgraph, root_vars, name=None):
        ReferenceProgram.__init__(self, fgraph, root_vars)
        nodes = [n for n in self.order if lowering_for(n) is not None]

        def build(node):
            inputs, outputs = _segment_io([node])
            if len(outputs) != len(node.outputs):
                return None   # a node with outputs that are not arrays is checked by its reference only
            try:
                return _DeviceCheck(CudaStage([node], inputs, outputs, f"debug: {node.op}"))
            except NotImplementedError:
                return None
        with ThreadPoolExecutor(max_workers=num_threads()) as pool:   # nvcc runs in subprocesses
            checks = list(pool.map(build, nodes))
        self.native = {n: c for n, c in zip(nodes, checks) if c is not None}
        self.n_native = len(self.native)

    def run(self, values):
        slot = self.slot
        for node, perform, ins, outs, free in self.steps:
            check = self.native.get(node)
            # the device runs first, on copies: a reference that overwrites its inputs
            # (destroy_map) must not change what the device is given
            device = check.call([values[slot[v]] for v in check.inputs]) if check is not None else None
            reference = perform_node(node, [values[i] for i in ins])
            if device is not None:
                for k, (var, got, want) in enumerate(zip(node.outputs, device, reference)):
                    problem = results_agree(got, want, var.dtype)
                    if problem:
                        raise DebugModeError(f"DEBUG mode: the CUDA code and the reference disagree on output {k} "
                                             f"of node {node}: {problem}")
            for i, r in zip(outs, reference):
                values[i] = r
            for i in free:
                values[i] = None
        return [values[i] for i in self.output_slots]


class HostProgram(_ResultPlacement):
    """A host executor (the numpy reference, or DEBUG's comparison) under device=cuda:
    values in GPU memory are copied to the host before the run, and results bound for
    GPU shared variables copied back after it."""

    def __init__(self, inner):
        _ResultPlacement.__init__(self)
        self.inner = inner
        self.slot = inner.slot
        self.nslots = inner.nslots
        self.output_slots = inner.output_slots
        self.order = inner.order
        self.copy_stats = _Transfers()
        self._arrays = [_is_array(v) for v in inner_outputs(inner)]

    @property
    def profile(self):
        return self.inner.profile

    @profile.setter
    def profile(self, value):
        self.inner.profile = value

    def new_values(self):
        return self.inner.new_values()

    def run(self, values):
        runtime = None
        for i, v in enumerate(values):
            if isinstance(v, cuda.DeviceArray):
                runtime = runtime or cuda.require()
                values[i] = runtime.download(v)
                self.copy_stats.count(d2h=1)
        arrays = [v for v in values if isinstance(v, np.ndarray)]
        results = self.inner.run(values)
        for k, r in enumerate(results):
            if self.on_device(k) and self._arrays[k]:
                results[k] = (runtime or cuda.require()).upload(np.asarray(r))
                self.copy_stats.count(h2d=1)
            elif isinstance(r, np.ndarray):
                # results never alias the arguments, constants or each other (Function leaves
                # that to the program under device=cuda)
                if any(np.may_share_memory(r, a) for a in arrays):
                    r = results[k] = r.copy()
                arrays.append(r)
        return results

    def __getattr__(self, name):
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)


def inner_outputs(program):
    """The fgraph outputs of a SlotProgram, in output-slot order."""
    by_slot = {s: v for v, s in program.slot.items()}
    return [by_slot[s] for s in program.output_slots]


__all__ = ["CudaProgram", "CudaStage", "CudaDebugProgram", "HostProgram", "make_cuda_program"]
