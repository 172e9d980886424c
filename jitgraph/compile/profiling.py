"""``profile=True``: time spent per graph node, summed over calls."""
import sys
import threading


class ProfileStats:
    """Per-node call counts and seconds for one compiled function."""

    def __init__(self, name=None):
        self.name = name
        self.node_time = {}
        self.node_calls = {}
        self._lock = threading.Lock()

    def record(self, node, seconds):
        with self._lock:
            self.node_time[node] = self.node_time.get(node, 0.0) + seconds
            self.node_calls[node] = self.node_calls.get(node, 0) + 1

    def total_time(self):
        return sum(self.node_time.values())

    def summary(self, file=None, n_nodes=20):
        """Print the nodes that took longest, with their share of the total."""
        file = file or sys.stdout
        total = self.total_time() or 1e-12
        rows = sorted(self.node_time.items(), key=lambda kv: -kv[1])[:n_nodes]
        print(f"Function profile: {self.name or '<unnamed>'}  total {self.total_time():.6f} s", file=file)
        print(f"{'time (s)':>10} {'%':>6} {'calls':>6}  node", file=file)
        for node, t in rows:
            print(f"{t:10.6f} {100 * t / total:6.1f} {self.node_calls[node]:6d}  {node}", file=file)
