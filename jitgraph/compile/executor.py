"""The reference executor: runs a FunctionGraph node by node with each op's numpy
``perform``. Every call gets its own value list, so one program may run in several
threads at once."""
import time

import numpy as np

from jitgraph.graph.basic import Constant


def _describe_inputs(node, values):
    parts = []
    for var, val in zip(node.inputs, values):
        if isinstance(val, np.ndarray):
            parts.append(f"{var}: {val.dtype}{list(val.shape)}")
        else:
            parts.append(f"{var}: {type(val).__name__}")
    return "; ".join(parts)


class SlotProgram:
    """What every executor shares: each variable's slot in the per-call value list
    (graph roots first, then constants and node outputs in topological order), the
    constants' values, and a fresh value list per call."""

    def __init__(self, fgraph, root_vars):
        order = fgraph.toposort()
        self.order = order
        self.profile = None
        slot = {}
        for v in root_vars:
            slot.setdefault(v, len(slot))
        self.constants = []
        for node in order:
            for v in node.inputs:
                self._assign(slot, v, f"{v} (input of {node})")
            for v in node.outputs:
                slot[v] = len(slot)
        for v in fgraph.outputs:
            self._assign(slot, v, f"output {v}")
        self.slot = slot
        self.nslots = len(slot)
        self.output_slots = [slot[v] for v in fgraph.outputs]

    def _assign(self, slot, v, what):
        if v in slot:
            return
        if not isinstance(v, Constant):
            raise ValueError(f"internal: {what} has no value")
        slot[v] = len(slot)
        self.constants.append((slot[v], v.data))

    def new_values(self):
        values = [None] * self.nslots
        for s, data in self.constants:
            values[s] = data
        return values


class ReferenceProgram(SlotProgram):
    """A compiled schedule over a FunctionGraph: ``steps`` are ``(node, perform, input
    slots, output slots, slots to free after)``."""

    def __init__(self, fgraph, root_vars):
        super().__init__(fgraph, root_vars)
        order, slot = self.order, self.slot
        keep = {slot[v] for v in fgraph.outputs} | {slot[v] for v in root_vars} | {s for s, _ in self.constants}
        last_use = {}
        for k, node in enumerate(order):
            for v in node.inputs:
                last_use[slot[v]] = k
        free_at = [[] for _ in order]
        for s, k in last_use.items():
            if s not in keep:
                free_at[k].append(s)
        self.steps = [(node, node.op.perform, tuple(slot[v] for v in node.inputs),
                       tuple(slot[v] for v in node.outputs), tuple(free_at[k]))
                      for k, node in enumerate(order)]

    def run(self, values):
        profile = self.profile
        for node, perform, ins, outs, free in self.steps:
            args = [values[i] for i in ins]
            storage = [[None] for _ in outs]
            t0 = time.perf_counter() if profile is not None else 0.0
            try:
                perform(node, args, storage)
            except Exception as exc:
                raise _with_node(exc, node, args) from exc
            if profile is not None:
                profile.record(node, time.perf_counter() - t0)
            for i, cell in zip(outs, storage):
                values[i] = cell[0]
            for i in free:
                values[i] = None
        return [values[i] for i in self.output_slots]


def perform_node(node, args):
    """Run ``node``'s numpy reference on ``args``; returns its outputs. An error keeps its
    type and names the node and its inputs."""
    storage = [[None] for _ in node.outputs]
    try:
        node.op.perform(node, args, storage)
    except Exception as exc:
        raise _with_node(exc, node, args) from exc
    return [cell[0] for cell in storage]


def _with_node(exc, node, args):
    msg = f"{exc}\nApply node that caused the error: {node}\nInputs: {_describe_inputs(node, args)}"
    try:
        new = type(exc)(msg)
    except Exception:
        new = RuntimeError(msg)
    return new
