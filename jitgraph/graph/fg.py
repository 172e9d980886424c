"""FunctionGraph: a self-contained graph with known inputs and outputs, its clients and
in-place replacement — what rewrite passes work on."""
from jitgraph.graph.basic import Apply, Constant, clone_get_equiv, io_toposort


class FunctionGraph:
    """The graph between ``inputs`` and ``outputs``.

    ``clients[var]`` lists ``(node, i)`` pairs reading ``var`` as input ``i``; an
    output of the graph has the client ``("output", k)``.
    """

    def __init__(self, inputs, outputs, clone=True):
        if clone:
            memo = clone_get_equiv(inputs, outputs)
            inputs = [memo[v] for v in inputs]
            outputs = [memo[v] for v in outputs]
            self.equiv = memo
        else:
            self.equiv = None
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        # node -> nodes that must run before it (readers of the storage it overwrites)
        self.orderings = {}
        # output index -> the input whose storage that output may take (a shared
        # variable's update); set by function() before the rewrites
        self.update_targets = {}
        self._rebuild()

    def _rebuild(self):
        self.apply_nodes = set()
        self.variables = set(self.inputs)
        self.clients = {v: [] for v in self.inputs}
        for node in io_toposort(self.inputs, self.outputs):
            self._import_node(node)
        for k, out in enumerate(self.outputs):
            self.variables.add(out)
            self.clients.setdefault(out, []).append(("output", k))

    def _import_node(self, node):
        missing = [v for v in node.inputs
                   if v.owner is None and not isinstance(v, Constant) and v not in self.variables]
        if missing:
            raise ValueError(
                f"graph input {missing[0]} of node {node} is not among the FunctionGraph's inputs; "
                "give it as an input or a given")
        self.apply_nodes.add(node)
        for i, v in enumerate(node.inputs):
            self.variables.add(v)
            self.clients.setdefault(v, []).append((node, i))
        for out in node.outputs:
            self.variables.add(out)
            self.clients.setdefault(out, [])

    def toposort(self):
        orderings = {n: [d for d in deps if d in self.apply_nodes]
                     for n, deps in self.orderings.items() if n in self.apply_nodes}
        return io_toposort(self.inputs, self.outputs, orderings)

    def replace(self, old, new, reason=None):
        """Make every reader of ``old`` read ``new`` instead (types must match)."""
        if old.type != new.type:
            raise TypeError(f"replace {old} ({old.type}) by {new} ({new.type}): types differ"
                            + (f" (rewrite {reason})" if reason else ""))
        self.replace_all([(old, new)])

    def replace_all(self, pairs):
        """Replace each ``old`` by its ``new`` at once. A replacement built from another
        replacement's ``old`` (two rewrites of one pass touching neighbouring nodes) is
        rewired too, except inside the subgraph that computes ``new`` from ``old``."""
        pairs = [(old, new) for old, new in pairs if old is not new]
        known = set(self.apply_nodes)
        for _ in range(len(pairs) + 1):
            rewired = False
            for old, new in pairs:
                builds_new = None
                for client, i in list(self.clients.get(old, ())):
                    if client == "output":
                        self.outputs[i] = new
                    else:
                        if client not in known:
                            if builds_new is None:
                                builds_new = self._new_nodes(new, known)
                            if client in builds_new:
                                continue
                        client.inputs[i] = new
                    rewired = True
            self._rebuild()
            if not rewired:
                break

    @staticmethod
    def _new_nodes(var, known):
        """The nodes computing ``var`` that are not (yet) in the graph."""
        seen, stack = set(), [var]
        while stack:
            node = stack.pop().owner
            if node is None or node in seen or node in known:
                continue
            seen.add(node)
            stack.extend(node.inputs)
        return seen

    def __str__(self):
        return f"FunctionGraph({', '.join(str(n) for n in self.toposort())})"


__all__ = ["FunctionGraph", "Apply"]
