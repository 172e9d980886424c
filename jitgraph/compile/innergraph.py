"""Inner graphs: a graph that an Op carries and runs itself (the branches of ``ifelse``,
the body of a loop). It is compiled once, on first use, with the reference executor.

Two ways to cut an inner graph out of a user's graph:

- ``capture_roots``: the inner inputs are the graph's free variables (non-constant
  roots, shared variables included), so nothing of the inner graph is computed
  outside it. ``ifelse`` needs this: an unchosen branch must cost nothing.
- ``capture_invariant``: for a loop over an index variable, everything that does not
  depend on the index is hoisted out and computed once; the inner inputs are the index
  and the hoisted values.
"""
import threading

from jitgraph.graph.basic import Constant, ancestors, clone_get_equiv, io_toposort


class InnerGraph:
    """A graph from ``inputs`` (ownerless Variables private to it) to ``outputs``."""

    def __init__(self, inputs, outputs):
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self._compiled = None
        self._lock = threading.Lock()

    def _compile(self):
        from jitgraph.compile.executor import ReferenceProgram
        from jitgraph.compile.function import Function
        from jitgraph.graph.fg import FunctionGraph
        fgraph = FunctionGraph(self.inputs, self.outputs)
        program = ReferenceProgram(fgraph, fgraph.inputs)
        input_slots = [program.slot[v] for v in fgraph.inputs]
        n = len(fgraph.outputs)
        # An output that is an input, a constant or another output (or a view of one)
        # is copied, so what the op returns never aliases anything else.
        copies = Function._plan_copies(fgraph, n, [False] * n)
        return program, input_slots, copies

    def run(self, input_values):
        """The outputs' values for these input values (one per ``inputs``)."""
        compiled = self._compiled
        if compiled is None:
            with self._lock:
                if self._compiled is None:
                    self._compiled = self._compile()
                compiled = self._compiled
        program, input_slots, copies = compiled
        values = program.new_values()
        for slot, value in zip(input_slots, input_values):
            values[slot] = value
        results = program.run(values)
        return [r.copy() if c else r for r, c in zip(results, copies)]

    def __getstate__(self):
        # The compiled program is rebuilt after unpickling; locks do not pickle.
        state = dict(self.__dict__)
        state["_compiled"] = None
        del state["_lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()


def _fresh(var):
    """A new ownerless variable of ``var``'s type (a shared variable becomes a plain one:
    its value arrives as an input of the op)."""
    return var.type.make_variable(name=var.name)


def _clone_inner(outer_inputs, outputs):
    memo = {v: _fresh(v) for v in outer_inputs}
    memo = clone_get_equiv(outer_inputs, outputs, copy_inputs=True, memo=memo)
    return InnerGraph([memo[v] for v in outer_inputs], [memo[v] for v in outputs])


def capture_roots(outputs, boundary=()):
    """(outer free variables, InnerGraph over them computing ``outputs``).

    The free variables are the non-constant roots of ``outputs`` and any ``boundary``
    variable that ``outputs`` depend on (the traversal stops there)."""
    boundary = set(boundary)
    free = [v for v in ancestors(outputs, boundary)
            if v in boundary or (v.owner is None and not isinstance(v, Constant))]
    return free, _clone_inner(free, outputs)


def capture_invariant(outputs, index_vars, extra=()):
    """(outer invariants, InnerGraph over ``index_vars + invariants``).

    The invariants are the values that the index-dependent part of the graph reads but
    that do not depend on ``index_vars`` themselves (computed once, outside), then any
    ``extra`` variables not already among them."""
    dependent = set(index_vars)
    order = io_toposort(list(index_vars), outputs)
    for node in order:
        if any(v in dependent for v in node.inputs):
            dependent.update(node.outputs)
    invariants, seen = [], set()

    def add(v):
        if v not in dependent and not isinstance(v, Constant) and v not in seen:
            seen.add(v)
            invariants.append(v)
    for node in order:
        if node.outputs[0] in dependent:
            for v in node.inputs:
                add(v)
    for v in list(outputs) + list(extra):
        add(v)
    return invariants, _clone_inner(list(index_vars) + invariants, outputs)


__all__ = ["InnerGraph", "capture_roots", "capture_invariant"]
