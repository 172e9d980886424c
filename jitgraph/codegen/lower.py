"""Lowering: graph nodes -> kernel IR steps.

Each op class with native code registers one lowering function here (or in its own
module, through ``register_lowering``). A node whose op has none is run by the
reference executor between native segments.
"""
import numpy as np

from jitgraph.codegen import ir
from jitgraph.graph.basic import Constant
from jitgraph.scalar.basic import c_type

LOWERINGS = {}


def register_lowering(*op_classes):
    def deco(fn):
        for cls in op_classes:
            LOWERINGS[cls] = fn
        return fn
    return deco


def lowering_for(node):
    """The function lowering ``node``: registered for its op class, or the op's own
    ``lower(ctx, node)`` method (how ops outside the core keep their native code beside
    their reference)."""
    for cls in type(node.op).__mro__:
        fn = LOWERINGS.get(cls)
        if fn is not None:
            return fn
    method = getattr(node.op, "lower", None)
    if method is not None:
        return lambda ctx, n: method(ctx, n)
    return None


def c_literal(value, dtype):
    """A C literal of ``value`` with exactly numpy's value."""
    value = np.asarray(value, dtype=dtype).item()
    if dtype == "bool":
        return "1" if value else "0"
    if dtype in ("float32", "float64"):
        if np.isnan(value):
            text = "NAN"
        elif np.isinf(value):
            text = "INFINITY" if value > 0 else "(-INFINITY)"
        else:
            text = repr(float(np.float32(value))) if dtype == "float32" else repr(float(value))
            if "e" not in text and "." not in text:
                text += ".0"
        return f"(({c_type(dtype)}){text})"
    if dtype.startswith("uint"):
        return f"(({c_type(dtype)}){value}ULL)"
    if value == np.iinfo("int64").min:
        return "INT64_MIN"
    return f"(({c_type(dtype)}){value}LL)"


def convert(expr, from_dtype, to_dtype):
    return expr if from_dtype == to_dtype else f"(({c_type(to_dtype)})({expr}))"


class LoweringContext:
    """Builds one Kernel from the nodes of a segment.

    ``inputs``: variables supplied by the caller (in order); ``outputs``: variables the
    caller needs back, each in a buffer of its own.
    """

    def __init__(self, inputs, outputs):
        self.buffers, self.steps = [], []
        self.buf_of = {}
        self.uses_blas = False
        self.outputs = list(outputs)
        self._wanted = {}
        for k, v in enumerate(self.outputs):
            self._wanted.setdefault(v, []).append(k)
        self.args = []
        for i, v in enumerate(inputs):
            b = self._new(v.dtype, v.ndim, "arg", arg_index=i)
            self.buf_of[v] = b
            self.args.append(b)
        self.out_bufs = [None] * len(self.outputs)

    def _new(self, dtype, ndim, role, **kw):
        b = ir.Buf(f"b{len(self.buffers)}", dtype, ndim, role, **kw)
        self.buffers.append(b)
        return b

    def buf(self, var):
        """The buffer holding ``var`` (0-d constants become literals)."""
        b = self.buf_of.get(var)
        if b is None:
            if not isinstance(var, Constant):
                raise KeyError(f"lowering: no buffer for {var}")
            b = self._new(var.dtype, var.ndim, "const", const_data=np.asarray(var.data))
            self.buf_of[var] = b
        return b

    def result(self, var):
        """A buffer the step computing ``var`` allocates: the caller's output buffer when
        ``var`` is wanted back (first occurrence), else scratch."""
        slots = [k for k in self._wanted.get(var, ()) if self.out_bufs[k] is None]
        if slots:
            b = self._new(var.dtype, var.ndim, "out")
            self.out_bufs[slots[0]] = b
        else:
            b = self._new(var.dtype, var.ndim, "temp")
        self.buf_of[var] = b
        return b

    def view(self, var):
        b = self._new(var.dtype, var.ndim, "view")
        self.buf_of[var] = b
        return b

    def scratch(self, dtype, ndim, role="temp"):
        return self._new(dtype, ndim, role)

    def add(self, step):
        self.steps.append(step)
        return step

    def finish(self, summary=""):
        """Give every wanted output a buffer of its own (copying views, inputs, constants
        and repeated outputs), then number the caller-visible buffers."""
        for k, var in enumerate(self.outputs):
            if self.out_bufs[k] is None:
                src = self.buf(var)
                dst = self._new(var.dtype, var.ndim, "out")
                self.steps.append(ir.Copy([], out=dst, inp=src))
                self.out_bufs[k] = dst
        for k, b in enumerate(self.out_bufs):
            b.arg_index = len(self.args) + k
        return ir.Kernel(self.args, self.out_bufs, self.buffers, self.steps, self.uses_blas, summary)


def lower_nodes(nodes, inputs, outputs, summary=""):
    """Kernel for ``nodes`` (in topological order) reading ``inputs``, producing ``outputs``."""
    ctx = LoweringContext(inputs, outputs)
    for node in nodes:
        fn = lowering_for(node)
        if fn is None:
            raise NotImplementedError(f"no native code for {node.op}")
        fn(ctx, node)
    return ctx.finish(summary)


# the op lowerings register themselves on import
from jitgraph.codegen import lower_ops  # noqa: E402,F401
