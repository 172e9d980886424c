"""``profile=True``: time spent per graph node, summed over calls."""
import sys
import threading


class ProfileStats:
    """Per-node call counts and seconds for one compiled function.

    ``function(..., profile=True)`` makes one; ``function(..., profile=ProfileStats(name))``
    uses the one given. ``apply_time`` / ``apply_callcount`` are Theano's names for the
    per-node tables.
    """

    rewrites = ()   # [(pass name, seconds, nodes changed)] of the compilation

    def __init__(self, name=None):
        self.name = name
        self.node_time = {}
        self.node_calls = {}
        self._lock = threading.Lock()

    @property
    def apply_time(self):
        return self.node_time

    @property
    def apply_callcount(self):
        return self.node_calls

    def record(self, node, seconds):
        with self._lock:
            self.node_time[node] = self.node_time.get(node, 0.0) + seconds
            self.node_calls[node] = self.node_calls.get(node, 0) + 1

    def total_time(self):
        return sum(self.node_time.values())

    def op_class_time(self):
        """{op class name: (seconds, calls)} summed over the nodes of that class."""
        out = {}
        for node, t in self.node_time.items():
            name = type(node.op).__name__
            seconds, calls = out.get(name, (0.0, 0))
            out[name] = (seconds + t, calls + self.node_calls[node])
        return out

    def summary(self, file=None, n_nodes=20, n_ops_to_print=None, n_apply_to_print=None):
        """Print the time per op class, then the nodes that took longest, each with its
        share of the total (Theano's ``n_*_to_print`` keywords are accepted)."""
        file = file or sys.stdout
        if n_apply_to_print is not None:
            n_nodes = n_apply_to_print
        total = self.total_time()
        share = total or 1e-12
        print(f"Function profile: {self.name or '<unnamed>'}  total {total:.6f} s", file=file)
        print("Class", file=file)
        print(f"{'time (s)':>10} {'%':>6} {'calls':>6}  class", file=file)
        classes = sorted(self.op_class_time().items(), key=lambda kv: -kv[1][0])
        for name, (t, calls) in classes[:n_ops_to_print]:
            print(f"{t:10.6f} {100 * t / share:6.1f} {calls:6d}  {name}", file=file)
        print("Apply", file=file)
        print(f"{'time (s)':>10} {'%':>6} {'calls':>6}  node", file=file)
        rows = sorted(self.node_time.items(), key=lambda kv: -kv[1])[:n_nodes]
        for node, t in rows:
            print(f"{t:10.6f} {100 * t / share:6.1f} {self.node_calls[node]:6d}  {node}", file=file)
        if self.rewrites:
            print("Rewrites (compile time)", file=file)
            print(f"{'time (s)':>10} {'changed':>8}  pass", file=file)
            for name, seconds, changed in self.rewrites:
                print(f"{seconds:10.6f} {changed:8d}  {name}", file=file)

    def __getstate__(self):
        state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()
