"""Softmax, log-softmax and their gradients, row-wise over the last axis.

As in Theano, a vector is treated as one row: its softmax is a 1 x n matrix. Theano
accepts only float vectors and matrices; here integer inputs are upgraded to float (as
``sigmoid`` does) and higher ranks are normalised over their last axis.
"""
import warnings

import numpy as np

from jitgraph.graph.basic import Apply, Op
from jitgraph.scalar.basic import is_discrete, rule_float, upcast
from jitgraph.tensor.basic import cast, exp
from jitgraph.tensor.math import sum as tsum
from jitgraph.tensor.nnet.native import nnet_template_step
from jitgraph.tensor.shape import patternbroadcast, shape_padleft
from jitgraph.tensor.type import TensorType
from jitgraph.tensor.var import as_tensor_variable


def as_float_rows(x, what):
    """``x`` as a float tensor of rank >= 2 (a vector becomes a row), or a ValueError."""
    x = as_tensor_variable(x)
    if x.ndim == 0:
        raise ValueError(f"{what} must be a vector or a matrix of scores (rows), got a scalar ({x.type})")
    if is_discrete(x.dtype):
        x = cast(x, rule_float(x.dtype))
    if x.ndim == 1:
        x = shape_padleft(x)
    return x


def fit_gradient(g, like):
    """``g`` with the dtype and broadcast pattern of the input ``like`` it is the gradient of."""
    if g.dtype != like.dtype:
        g = cast(g, like.dtype)
    if g.broadcastable != like.broadcastable:
        g = patternbroadcast(g, like.broadcastable)
    return g


def softmax_rows(x):
    """numpy reference: softmax over the last axis, shifted by the row max for stability."""
    if x.size == 0:
        return np.zeros(x.shape, dtype=x.dtype)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _check_same_shape(op, a, b, a_name, b_name):
    if a.shape != b.shape:
        raise ValueError(f"{op}: {a_name} has shape {a.shape} but {b_name} has shape {b.shape}; "
                         "they must be equal")


class Softmax(Op):
    """``exp(x) / sum(exp(x))`` along the last axis of each row."""

    __props__ = ()

    def make_node(self, x):
        x = as_float_rows(x, "softmax: x")
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        with np.errstate(invalid="ignore", over="ignore"):
            output_storage[0][0] = np.asarray(softmax_rows(x), dtype=node.outputs[0].dtype)

    def grad(self, inputs, output_grads):
        (x,) = inputs
        (g_sm,) = output_grads
        return [fit_gradient(softmax_grad(g_sm, self(x)), x)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def lower(self, ctx, node):
        lower_softmax(ctx, node, log=False)


def lower_softmax(ctx, node, log):
    """Native code: csrc_templates/softmax.c.tmpl, rows in parallel, each through the
    vectorised row passes of csrc_templates/nnet_support.h."""
    nnet_template_step(ctx, node, "softmax.c.tmpl", {"x": node.inputs[0]}, {"out": node.outputs[0]},
                       {"LOG": int(log)})


softmax_op = Softmax()


class SoftmaxGrad(Op):
    """Gradient of Softmax: ``dx = sm * (dy - sum(dy * sm, last axis))``, given the
    output gradient ``dy`` and the softmax output ``sm``."""

    __props__ = ()

    def make_node(self, dy, sm):
        dy = as_tensor_variable(dy)
        sm = as_tensor_variable(sm)
        for name, v in (("dy", dy), ("sm", sm)):
            if v.ndim == 0 or is_discrete(v.dtype):
                raise ValueError(f"SoftmaxGrad: {name} must be a float vector or matrix, got {v.type}")
        if dy.ndim == 1:
            dy = shape_padleft(dy)
        if sm.ndim == 1:
            sm = shape_padleft(sm)
        if dy.ndim != sm.ndim:
            raise ValueError(f"SoftmaxGrad: dy ({dy.type}) and sm ({sm.type}) differ in rank")
        out = TensorType(upcast(dy.dtype, sm.dtype), sm.broadcastable, shape=sm.type.shape)
        return Apply(self, [dy, sm], [out()])

    def perform(self, node, inputs, output_storage):
        dy, sm = inputs
        _check_same_shape(self, dy, sm, "dy", "sm")
        dy_sm = dy * sm
        dx = dy_sm - dy_sm.sum(axis=-1, keepdims=True) * sm
        output_storage[0][0] = np.asarray(dx, dtype=node.outputs[0].dtype)

    def grad(self, inputs, output_grads):
        dy, sm = inputs
        (g,) = output_grads
        centered = g - tsum(g * sm, axis=-1, keepdims=True)
        g_dy = centered * sm
        g_sm = centered * dy - g * tsum(dy * sm, axis=-1, keepdims=True)
        return [fit_gradient(g_dy, dy), fit_gradient(g_sm, sm)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]

    def lower(self, ctx, node):
        dy, sm = node.inputs
        nnet_template_step(ctx, node, "nnet_softmax_grad.c.tmpl", {"dy": dy, "sm": sm}, {"out": node.outputs[0]})


softmax_grad = SoftmaxGrad()


class LogSoftmax(Op):
    """``x - log(sum(exp(x)))`` along the last axis, computed from the row max so that
    it stays finite where ``log(softmax(x))`` underflows to -inf."""

    __props__ = ()

    def make_node(self, x):
        x = as_float_rows(x, "logsoftmax: x")
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        if x.size == 0:
            out = np.zeros(x.shape, dtype=x.dtype)
        else:
            with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                shifted = x - x.max(axis=-1, keepdims=True)
                out = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        output_storage[0][0] = np.asarray(out, dtype=node.outputs[0].dtype)

    def lower(self, ctx, node):
        lower_softmax(ctx, node, log=True)

    def grad(self, inputs, output_grads):
        (x,) = inputs
        (g,) = output_grads
        return [fit_gradient(g - tsum(g, axis=-1, keepdims=True) * softmax_op(x), x)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


logsoftmax_op = LogSoftmax()


class SoftmaxWithBias(Op):
    """``softmax(x + b)`` with ``b`` a vector added to every row."""

    __props__ = ()

    def make_node(self, x, b):
        x = as_float_rows(x, "softmax_with_bias: x")
        b = as_tensor_variable(b)
        if b.ndim != 1:
            raise ValueError(f"softmax_with_bias: b must be a vector (one bias per column), got {b.type}")
        if is_discrete(b.dtype):
            b = cast(b, rule_float(b.dtype))
        nb, nx = b.type.shape[0], x.type.shape[-1]
        if nb is not None and nx is not None and nb != nx:
            raise ValueError(f"softmax_with_bias: b has {nb} entries but x has {nx} columns")
        out = TensorType(upcast(x.dtype, b.dtype), x.broadcastable, shape=x.type.shape)
        return Apply(self, [x, b], [out()])

    def perform(self, node, inputs, output_storage):
        x, b = inputs
        if b.shape[0] != x.shape[-1]:
            raise ValueError(f"SoftmaxWithBias: b has {b.shape[0]} entries but x (shape {x.shape}) "
                             f"has {x.shape[-1]} columns")
        dtype = node.outputs[0].dtype
        with np.errstate(invalid="ignore", over="ignore"):
            output_storage[0][0] = np.asarray(softmax_rows((x + b).astype(dtype, copy=False)), dtype=dtype)

    def grad(self, inputs, output_grads):
        x, b = inputs
        (g_sm,) = output_grads
        dx = softmax_grad(g_sm, self(x, b))
        db = tsum(dx, axis=list(range(dx.ndim - 1)))
        return [fit_gradient(dx, x), fit_gradient(db, b)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def lower(self, ctx, node):
        x, b = node.inputs
        nnet_template_step(ctx, node, "nnet_softmax_bias.c.tmpl", {"x": x, "b": b}, {"out": node.outputs[0]})


softmax_with_bias = SoftmaxWithBias()


def softmax(c):
    """Row-wise softmax of a matrix (a vector gives a 1 x n matrix)."""
    c = as_tensor_variable(c)
    if c.ndim > 0 and c.broadcastable[-1]:
        warnings.warn("The softmax is applied on a dimension of shape 1, which does not have a "
                      "semantic meaning.", stacklevel=2)
    return softmax_op(c)


def logsoftmax(c):
    """Row-wise log-softmax, stable for large scores (a vector gives a 1 x n matrix)."""
    return logsoftmax_op(c)


log_softmax = logsoftmax


def softmax_graph(c):
    """Softmax written with elementwise ops and a sum (no max shift), as Theano's softmax_graph."""
    c = as_tensor_variable(c)
    return exp(c) / tsum(exp(c), axis=-1, keepdims=True)


__all__ = ["Softmax", "SoftmaxGrad", "LogSoftmax", "SoftmaxWithBias", "softmax_op", "softmax_grad",
           "logsoftmax_op", "softmax_with_bias", "softmax", "logsoftmax", "log_softmax", "softmax_graph"]
