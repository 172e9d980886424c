"""Multinomial samples computed from uniform samples, as Theano 1.0.5's C code does
(``theano.sandbox.multinomial``); ``MRG_RandomStreams.multinomial`` and ``.choice`` use
them with uniforms drawn by MRG31k3p.

For row ``n`` of ``pvals`` and a uniform ``u``, the chosen outcome is the first ``m``
whose running sum ``pvals[n, 0] + ... + pvals[n, m]`` (accumulated in float64) exceeds
``u``; when none does (``u`` at or above the row's sum), nothing is chosen.
"""
import numpy as np

from jitgraph.graph.basic import Apply, Op
from jitgraph.scalar.basic import is_discrete


def _check_inputs(op, pvals, unis, n):
    import jitgraph.tensor as T
    pvals, unis, n = T.as_tensor_variable(pvals), T.as_tensor_variable(unis), T.as_tensor_variable(n)
    if pvals.ndim != 2:
        raise ValueError(f"{op}: pvals must be a matrix (one distribution per row), got {pvals.ndim} "
                         "dimension(s)")
    if unis.ndim != 1:
        raise ValueError(f"{op}: unis must be a vector, got {unis.ndim} dimension(s)")
    if n.ndim != 0 or not is_discrete(n.dtype) or n.dtype == "bool":
        raise TypeError(f"{op}: n must be an integer scalar, got {n.type}")
    return pvals, unis, n


def _check_lengths(op, pvals, unis, n):
    if unis.shape[0] != pvals.shape[0] * n:
        raise ValueError(f"{op}: unis has {unis.shape[0]} samples, expected pvals.shape[0] * n = "
                         f"{pvals.shape[0]} * {n}")


def _drop_and_renormalize(row, m, running_m):
    """Set outcome ``m`` of ``row`` (in place) to 0 and divide the row by its new total,
    rounding like Theano's C code: the total starts as the float64 running sum before
    ``m`` rounded to the row's dtype, then adds the entries from ``m`` on in that dtype."""
    dtype = row.dtype.type
    before = dtype(running_m - np.float64(row[m]))
    row[m] = 0
    total = np.cumsum(np.concatenate(([before], row[m:])).astype(row.dtype))[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        row /= total


class MultinomialFromUniform(Op):
    """``(pvals, unis, n) -> counts``: ``n`` draws per row of ``pvals`` (a matrix), the
    ``c``-th draw of row ``r`` using ``unis[c * n_rows + r]``. Output dtype ``odtype``
    (``'auto'``: the dtype of ``pvals``)."""

    __props__ = ("odtype",)

    def __init__(self, odtype):
        self.odtype = odtype

    def __str__(self):
        return f"{type(self).__name__}{{{self.odtype}}}"

    def make_node(self, pvals, unis, n=1):
        import jitgraph.tensor as T
        pvals, unis, n = _check_inputs(self, pvals, unis, n)
        odtype = pvals.dtype if self.odtype == "auto" else self.odtype
        return Apply(self, [pvals, unis, n], [T.TensorType(odtype, shape=pvals.type.shape)()])

    def perform(self, node, inputs, output_storage):
        pvals, unis, n = inputs
        n = int(n)
        _check_lengths(self, pvals, unis, n)
        n_rows = pvals.shape[0]
        counts = np.zeros(pvals.shape, dtype=node.outputs[0].dtype)
        if pvals.shape[1]:
            running = np.cumsum(pvals.astype(np.float64), axis=1)
            rows = np.arange(n_rows)
            for c in range(n):
                above = running > unis[c * n_rows:(c + 1) * n_rows, None]
                hit = above.any(axis=1)
                counts[rows[hit], above.argmax(axis=1)[hit]] += 1
        output_storage[0][0] = counts

    def lower(self, ctx, node):
        """Native code: csrc_templates/multinomial_from_uniform.c.tmpl, rows in parallel."""
        from jitgraph.codegen import ir
        pvals, unis, n = node.inputs
        ctx.add(ir.TemplateStep([node], template="multinomial_from_uniform.c.tmpl",
                                bufs={"pvals": ctx.buf(pvals), "unis": ctx.buf(unis), "n": ctx.buf(n),
                                      "out": ctx.result(node.outputs[0])}))

    def grad(self, inputs, output_grads):
        return [None, None, None]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


class ChoiceFromUniform(MultinomialFromUniform):
    """``(pvals, unis, n) -> indices``, shape ``(n_rows, n)``: ``n`` outcomes per row of
    ``pvals``. Without replacement (the default), a chosen outcome's probability is set
    to 0 and the row renormalised (in the dtype of ``pvals``, as Theano's C code does)
    before the next draw. Output dtype ``odtype`` (``'auto'``: int64)."""

    __props__ = ("odtype", "replace")

    def __init__(self, odtype, replace=False):
        super().__init__(odtype)
        self.replace = bool(replace)

    def make_node(self, pvals, unis, n=1):
        import jitgraph.tensor as T
        pvals, unis, n = _check_inputs(self, pvals, unis, n)
        odtype = "int64" if self.odtype == "auto" else self.odtype
        return Apply(self, [pvals, unis, n], [T.TensorType(odtype, shape=(pvals.type.shape[0], None))()])

    def perform(self, node, inputs, output_storage):
        pvals, unis, n = inputs
        n = int(n)
        n_rows, n_outcomes = pvals.shape
        if not self.replace and n > n_outcomes:
            raise ValueError(f"{self}: cannot draw {n} samples without replacement from "
                             f"{n_outcomes} outcomes")
        _check_lengths(self, pvals, unis, n)
        probs = np.array(pvals, copy=True)
        out = np.full((n_rows, n), -1, dtype=node.outputs[0].dtype)
        for c in range(n):
            for r in range(n_rows):
                row = probs[r]
                running = np.cumsum(row.astype(np.float64))
                above = np.flatnonzero(running > unis[c * n_rows + r])
                if not above.size:
                    continue
                m = above[0]
                out[r, c] = m
                if not self.replace and c < n - 1:
                    _drop_and_renormalize(row, m, running[m])
        output_storage[0][0] = out

    def lower(self, ctx, node):
        """Native code: csrc_templates/choice_from_uniform.c.tmpl, rows in parallel (each
        row renormalises its own scratch copy of pvals)."""
        from jitgraph.codegen import ir
        pvals, unis, n = node.inputs
        ctx.add(ir.TemplateStep([node], template="choice_from_uniform.c.tmpl",
                                bufs={"pvals": ctx.buf(pvals), "unis": ctx.buf(unis), "n": ctx.buf(n),
                                      "out": ctx.result(node.outputs[0]), "probs": ctx.scratch(pvals.dtype, 2)},
                                params={"REPLACE": int(self.replace), "PVALS_DTYPE": pvals.dtype,
                                        "PVALS_INTEGER": int(is_discrete(pvals.dtype))}))

    def infer_shape(self, node, input_shapes):
        return [(input_shapes[0][0], node.inputs[2])]
