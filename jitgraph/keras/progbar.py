"""Keras 1.2.2's progress bar: ``64/800 [=>............................] - ETA: 0s -
loss: 0.2493`` redrawn in place while an epoch runs, then the elapsed seconds and the
epoch averages; ``verbose=2`` prints only the final line of each epoch."""
import sys
import time

import numpy as np


class Progbar:
    def __init__(self, target, width=30, verbose=1, interval=0.05, stream=None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stream = stream
        self.sums = {}       # name -> [weighted sum, count]: the bar shows running averages
        self.names = []
        self.start = time.time()
        self.last_update = 0.0
        self.total_width = 0
        self.seen_so_far = 0

    def _out(self):
        return self.stream or sys.stdout

    def _average_text(self, signed):
        text = ""
        for name in self.names:
            total, count = self.sums[name]
            avg = total / max(1, count)
            big = abs(avg) > 1e-3 if signed else avg > 1e-3
            text += f" - {name}: " + (f"{avg:.4f}" if big else f"{avg:.4e}")
        return text

    def update(self, current, values=None, force=False):
        """Move to ``current`` samples done; ``values``: (name, value of the last step)
        pairs, averaged over the samples they covered."""
        step = current - self.seen_so_far
        for name, value in values or []:
            if name not in self.sums:
                self.sums[name] = [value * step, step]
                self.names.append(name)
            else:
                self.sums[name][0] += value * step
                self.sums[name][1] += step
        self.seen_so_far = current
        now = time.time()
        out = self._out()
        if self.verbose == 1:
            if not force and now - self.last_update < self.interval:
                return
            previous_width = self.total_width
            out.write("\b" * previous_width + "\r")
            digits = int(np.floor(np.log10(self.target))) + 1 if self.target > 0 else 1
            bar = f"{current:{digits}d}/{self.target:{digits}d} ["
            done = int(self.width * current / self.target) if self.target else self.width
            if done > 0:
                bar += "=" * (done - 1) + (">" if current < self.target else "=")
            bar += "." * (self.width - done) + "]"
            per_unit = (now - self.start) / current if current else 0
            if current < self.target:
                info = " - ETA: %ds" % (per_unit * (self.target - current))
            else:
                info = " - %ds" % (now - self.start)
            info += self._average_text(signed=True)
            self.total_width = len(bar) + len(info)
            if previous_width > self.total_width:
                info += " " * (previous_width - self.total_width)
            out.write(bar + info)
            if current >= self.target:
                out.write("\n")
            out.flush()
        elif self.verbose == 2 and current >= self.target:
            out.write("%ds" % (now - self.start) + self._average_text(signed=False) + "\n")
            out.flush()
        self.last_update = now

    def add(self, n, values=None):
        self.update(self.seen_so_far + n, values)
