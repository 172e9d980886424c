"""Cross-entropy losses of ``theano.tensor.nnet``.

Class targets given as integer indices ("1-hot" in Theano's names) go through ops that
pick one entry per row, so no one-hot matrix is ever built.
"""
import numpy as np

from jitgraph.graph.basic import Apply, Op
from jitgraph.scalar import basic as scal
from jitgraph.scalar.basic import is_discrete, rule_float, upcast
from jitgraph.tensor.basic import cast, elemwise_op, log, ones_like, zeros_like
from jitgraph.tensor.math import argmax, max as tmax, sum as tsum
from jitgraph.tensor.nnet.native import nnet_template_step
from jitgraph.tensor.nnet.softmax import fit_gradient, softmax_grad, softmax_rows
from jitgraph.tensor.type import TensorType
from jitgraph.tensor.var import as_tensor_variable


_RANK_NAMES = {0: "scalar", 1: "vector", 2: "matrix"}


def _float_tensor(x, what, ndim):
    x = as_tensor_variable(x)
    if x.ndim != ndim:
        raise TypeError(f"{what} must be a {_RANK_NAMES[ndim]}, got {x.type}")
    if is_discrete(x.dtype):
        x = cast(x, rule_float(x.dtype))
    return x


def _class_indices(y_idx, what):
    y_idx = as_tensor_variable(y_idx)
    if y_idx.ndim != 1 or y_idx.dtype not in scal.INT_DTYPES + scal.UINT_DTYPES:
        raise TypeError(f"{what} must be an integer vector of class indices (e.g. T.ivector or "
                        f"T.lvector), got {y_idx.type}")
    return y_idx


def _check_indices(op, y_idx, n_rows, n_classes):
    """Run-time checks shared by the ops that pick ``row[y_idx[i]]`` from each row."""
    if y_idx.shape[0] != n_rows:
        raise ValueError(f"{op}: {y_idx.shape[0]} class indices given for {n_rows} rows")
    bad = (y_idx < 0) | (y_idx >= n_classes)
    if bad.any():
        i = int(np.argmax(bad))
        raise IndexError(f"{op}: class index {int(y_idx[i])} (row {i}) is out of bounds for "
                         f"{n_classes} classes")


# ------------------------------------------------------------ -log(coding_dist[i, y_idx[i]])

class CrossentropyCategorical1Hot(Op):
    """``y[i] = -log(coding_dist[i, true_one_of_n[i]])`` for a matrix of row
    distributions and a vector of class indices."""

    __props__ = ()

    def make_node(self, coding_dist, true_one_of_n):
        coding = _float_tensor(coding_dist, "crossentropy_categorical_1hot: coding_dist", 2)
        y_idx = _class_indices(true_one_of_n, "crossentropy_categorical_1hot: true_one_of_n")
        out = TensorType(coding.dtype, (False,), shape=(coding.type.shape[0],))
        return Apply(self, [coding, y_idx], [out()])

    def perform(self, node, inputs, output_storage):
        coding, y_idx = inputs
        _check_indices(self, y_idx, coding.shape[0], coding.shape[1])
        with np.errstate(divide="ignore", invalid="ignore"):
            picked = coding[np.arange(coding.shape[0]), y_idx]
            output_storage[0][0] = np.asarray(-np.log(picked), dtype=node.outputs[0].dtype)

    def grad(self, inputs, output_grads):
        coding, y_idx = inputs
        (g_y,) = output_grads
        return [fit_gradient(crossentropy_categorical_1hot_grad(g_y, coding, y_idx), coding), None]

    def infer_shape(self, node, input_shapes):
        return [(input_shapes[0][0],)]

    def lower(self, ctx, node):
        coding, y_idx = node.inputs
        nnet_template_step(ctx, node, "nnet_crossentropy_1hot.c.tmpl", {"coding": coding, "y_idx": y_idx},
                           {"out": node.outputs[0]})


crossentropy_categorical_1hot = CrossentropyCategorical1Hot()


class CrossentropyCategorical1HotGrad(Op):
    """Gradient of CrossentropyCategorical1Hot w.r.t. ``coding_dist``: zero except
    ``-g_y[i] / coding_dist[i, y_idx[i]]`` at each row's target."""

    __props__ = ()

    def make_node(self, g_y, coding_dist, true_one_of_n):
        g_y = _float_tensor(g_y, "crossentropy_categorical_1hot_grad: g_y", 1)
        coding = _float_tensor(coding_dist, "crossentropy_categorical_1hot_grad: coding_dist", 2)
        y_idx = _class_indices(true_one_of_n, "crossentropy_categorical_1hot_grad: true_one_of_n")
        out = TensorType(upcast(g_y.dtype, coding.dtype), coding.broadcastable, shape=coding.type.shape)
        return Apply(self, [g_y, coding, y_idx], [out()])

    def perform(self, node, inputs, output_storage):
        g_y, coding, y_idx = inputs
        _check_indices(self, y_idx, coding.shape[0], coding.shape[1])
        if g_y.shape[0] != coding.shape[0]:
            raise ValueError(f"{self}: g_y has {g_y.shape[0]} entries for {coding.shape[0]} rows")
        out = np.zeros(coding.shape, dtype=node.outputs[0].dtype)
        rows = np.arange(coding.shape[0])
        with np.errstate(divide="ignore", invalid="ignore"):
            out[rows, y_idx] = -g_y / coding[rows, y_idx]
        output_storage[0][0] = out

    def grad(self, inputs, output_grads):
        # With P(a) = this op applied to (a, coding, y_idx): P(1) holds -1/c at the targets,
        # so s = sum(G * P(1), rows) = -G_t / c_t is the gradient w.r.t. g_y, and
        # P(s * g_y) = G_t * g_y / c_t**2 at the targets is the gradient w.r.t. coding.
        g_y, coding, y_idx = inputs
        (g,) = output_grads
        s = tsum(g * self(ones_like(g_y), coding, y_idx), axis=1)
        return [fit_gradient(s, g_y), fit_gradient(self(s * g_y, coding, y_idx), coding), None]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]

    def lower(self, ctx, node):
        g_y, coding, y_idx = node.inputs
        nnet_template_step(ctx, node, "nnet_crossentropy_1hot_grad.c.tmpl",
                           {"g_y": g_y, "coding": coding, "y_idx": y_idx}, {"out": node.outputs[0]})


crossentropy_categorical_1hot_grad = CrossentropyCategorical1HotGrad()


def categorical_crossentropy(coding_dist, true_dist):
    """Cross-entropy ``-sum(true_dist * log(coding_dist))`` of each row (the last axis).

    ``true_dist`` is either a distribution per row (same rank as ``coding_dist``) or a
    vector of integer class indices, one per row of the ``coding_dist`` matrix.
    """
    coding_dist = as_tensor_variable(coding_dist)
    true_dist = as_tensor_variable(true_dist)
    if true_dist.ndim == coding_dist.ndim:
        return -tsum(true_dist * log(coding_dist), axis=coding_dist.ndim - 1)
    if true_dist.ndim == coding_dist.ndim - 1:
        return crossentropy_categorical_1hot(coding_dist, true_dist)
    raise TypeError(f"categorical_crossentropy: rank mismatch between coding and true distributions: "
                    f"coding_dist is {coding_dist.type}, true_dist is {true_dist.type}; true_dist must "
                    f"have the same rank (distributions) or one less (class indices)")


def binary_crossentropy(output, target):
    """Elementwise ``-(target * log(output) + (1 - target) * log(1 - output))``; ``output``
    must lie strictly between 0 and 1 (use sigmoid_binary_crossentropy on raw scores)."""
    output, target = as_tensor_variable(output), as_tensor_variable(target)
    return -(target * log(output) + (1.0 - target) * log(1.0 - output))


# ------------------------------------------------------------ sigmoid_binary_crossentropy

def _sigmoid_binary_crossentropy(output, target):
    output, target = np.asarray(output), np.asarray(target)
    dtype = np.dtype(rule_float(output.dtype.name, target.dtype.name))
    o, t = output.astype(dtype), target.astype(dtype)
    return np.logaddexp(dtype.type(0), -np.abs(o)) + o * ((o > 0).astype(dtype) - t)


def _sigmoid_binary_crossentropy_grad(T, xs, z, gz):
    output, target = xs
    return [gz * (T.sigmoid(output) - target), gz * -output]


scal.define("sigmoid_binary_crossentropy", 2, _sigmoid_binary_crossentropy,
            "(jg_softplus(-fabs((double)({0}))) + (double)({0}) * ((double)({0} > 0) - (double)({1})))",
            rule_float, _sigmoid_binary_crossentropy_grad)


def sigmoid_binary_crossentropy(output, target):
    """``binary_crossentropy(sigmoid(output), target)`` computed stably from the raw score
    ``output``: ``softplus(-|output|) + output * ((output > 0) - target)``."""
    return elemwise_op("sigmoid_binary_crossentropy")(output, target)


# ------------------------------------------------------------ softmax and 1-hot NLL in one op

class CrossentropySoftmaxArgmax1HotWithBias(Op):
    """Three outputs from scores ``x``, bias ``b`` and class indices ``y_idx``:
    ``-log(softmax(x + b)[i, y_idx[i]])`` per row, ``softmax(x + b)``, and the row-wise
    argmax of ``x + b``."""

    __props__ = ()

    def make_node(self, x, b, y_idx):
        x = _float_tensor(x, "crossentropy_softmax_argmax_1hot_with_bias: x", 2)
        b = _float_tensor(b, "crossentropy_softmax_argmax_1hot_with_bias: b", 1)
        y_idx = _class_indices(y_idx, "crossentropy_softmax_argmax_1hot_with_bias: y_idx")
        dtype = upcast(x.dtype, b.dtype)
        nll = TensorType(dtype, y_idx.broadcastable, shape=(x.type.shape[0],))
        sm = TensorType(dtype, x.broadcastable, shape=x.type.shape)
        am = TensorType(y_idx.dtype, (False,), shape=(x.type.shape[0],))
        return Apply(self, [x, b, y_idx], [nll(), sm(), am()])

    def perform(self, node, inputs, output_storage):
        x, b, y_idx = inputs
        if b.shape[0] != x.shape[1]:
            raise ValueError(f"{self}: b has {b.shape[0]} entries but x (shape {x.shape}) has "
                             f"{x.shape[1]} columns")
        _check_indices(self, y_idx, x.shape[0], x.shape[1])
        dtype = node.outputs[1].dtype
        scores = (x + b).astype(dtype, copy=False)
        rows = np.arange(x.shape[0])
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            sm = softmax_rows(scores)
            if x.shape[1]:
                am = scores.argmax(axis=1)
                top = scores[rows, am]
                # -log(sm[y]) from the scores, finite even where sm[y] underflows to 0
                nll = -scores[rows, y_idx] + top + np.log(np.exp(scores - top[:, None]).sum(axis=1))
            else:
                am, nll = np.zeros(0, dtype="int64"), np.zeros(0, dtype=dtype)
        output_storage[0][0] = np.asarray(nll, dtype=dtype)
        output_storage[1][0] = np.asarray(sm, dtype=dtype)
        output_storage[2][0] = np.asarray(am, dtype=node.outputs[2].dtype)

    def grad(self, inputs, output_grads):
        x, b, y_idx = inputs
        g_nll, g_sm, _ = output_grads
        sm = self(x, b, y_idx)[1]
        dx = crossentropy_softmax_1hot_with_bias_dx(g_nll, sm, y_idx)
        dx = dx + softmax_grad(g_sm, sm)
        return [fit_gradient(dx, x), fit_gradient(tsum(dx, axis=0), b), None]

    def infer_shape(self, node, input_shapes):
        x_shape, _, idx_shape = input_shapes
        return [(x_shape[0],), x_shape, idx_shape]

    def lower(self, ctx, node):
        x, b, y_idx = node.inputs
        nll, sm, am = node.outputs
        nnet_template_step(ctx, node, "nnet_crossentropy_softmax.c.tmpl", {"x": x, "b": b, "y_idx": y_idx},
                           {"nll": nll, "sm": sm, "am": am})


crossentropy_softmax_argmax_1hot_with_bias = CrossentropySoftmaxArgmax1HotWithBias()


class CrossentropySoftmax1HotWithBiasDx(Op):
    """Gradient of the 1-hot NLL w.r.t. the scores: ``dy[i] * (sm[i] - onehot(y_idx[i]))``
    (``dy`` a vector, one entry per row, or a scalar for all rows)."""

    __props__ = ()

    def make_node(self, dy, sm, y_idx):
        dy = as_tensor_variable(dy)
        if dy.ndim > 1:
            raise TypeError(f"crossentropy_softmax_1hot_with_bias_dx: dy must be a scalar or a vector, "
                            f"got {dy.type}")
        dy = _float_tensor(dy, "crossentropy_softmax_1hot_with_bias_dx: dy", dy.ndim)
        sm = _float_tensor(sm, "crossentropy_softmax_1hot_with_bias_dx: sm", 2)
        y_idx = _class_indices(y_idx, "crossentropy_softmax_1hot_with_bias_dx: y_idx")
        out = TensorType(upcast(dy.dtype, sm.dtype), sm.broadcastable, shape=sm.type.shape)
        return Apply(self, [dy, sm, y_idx], [out()])

    def perform(self, node, inputs, output_storage):
        dy, sm, y_idx = inputs
        _check_indices(self, y_idx, sm.shape[0], sm.shape[1])
        if dy.ndim == 1 and dy.shape[0] != sm.shape[0]:
            raise ValueError(f"{self}: dy has {dy.shape[0]} entries for {sm.shape[0]} rows")
        dy_rows = dy[:, None] if dy.ndim == 1 else dy
        dx = np.array(dy_rows * sm, dtype=node.outputs[0].dtype)
        rows = np.arange(sm.shape[0])
        dx[rows, y_idx] -= dy if dy.ndim == 1 else np.broadcast_to(dy, rows.shape)
        output_storage[0][0] = dx

    def grad(self, inputs, output_grads):
        # this op applied to dy = 1 is sm - onehot(y_idx), the derivative of dx w.r.t. dy
        dy, sm, y_idx = inputs
        (g_dx,) = output_grads
        weighted = g_dx * self(ones_like(dy), sm, y_idx)
        g_dy = tsum(weighted, axis=1) if dy.ndim == 1 else tsum(weighted)
        dy_rows = dy.dimshuffle(0, "x") if dy.ndim == 1 else dy
        return [fit_gradient(g_dy, dy), fit_gradient(dy_rows * g_dx, sm), None]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]

    def lower(self, ctx, node):
        dy, sm, y_idx = node.inputs
        nnet_template_step(ctx, node, "nnet_crossentropy_softmax_dx.c.tmpl", {"dy": dy, "sm": sm, "y_idx": y_idx},
                           {"out": node.outputs[0]}, {"DY_VECTOR": int(dy.ndim == 1)})


crossentropy_softmax_1hot_with_bias_dx = CrossentropySoftmax1HotWithBiasDx()


def crossentropy_softmax_1hot_with_bias(x, b, y_idx):
    """``(nll, softmax(x + b))`` with ``nll[i] = -log(softmax(x + b)[i, y_idx[i]])``."""
    return crossentropy_softmax_argmax_1hot_with_bias(x, b, y_idx)[0:2]


def crossentropy_softmax_1hot(x, y_idx):
    """``(nll, softmax(x))`` with ``nll[i] = -log(softmax(x)[i, y_idx[i]])``."""
    x = as_tensor_variable(x)
    return crossentropy_softmax_1hot_with_bias(x, zeros_like(x[0, :]), y_idx)


def crossentropy_softmax_max_and_argmax_1hot_with_bias(x, b, y_idx):
    """``(nll, softmax, max probability, argmax)`` of ``softmax(x + b)`` per row."""
    nll, sm = crossentropy_softmax_1hot_with_bias(x, b, y_idx)
    return nll, sm, tmax(sm, axis=-1), argmax(sm, axis=-1)


def crossentropy_softmax_max_and_argmax_1hot(x, y_idx):
    x = as_tensor_variable(x)
    return crossentropy_softmax_max_and_argmax_1hot_with_bias(x, zeros_like(x[0, :]), y_idx)


__all__ = ["CrossentropyCategorical1Hot", "CrossentropyCategorical1HotGrad", "crossentropy_categorical_1hot",
           "crossentropy_categorical_1hot_grad", "categorical_crossentropy", "binary_crossentropy",
           "sigmoid_binary_crossentropy", "CrossentropySoftmaxArgmax1HotWithBias",
           "CrossentropySoftmax1HotWithBiasDx", "crossentropy_softmax_argmax_1hot_with_bias",
           "crossentropy_softmax_1hot_with_bias_dx", "crossentropy_softmax_1hot_with_bias",
           "crossentropy_softmax_1hot", "crossentropy_softmax_max_and_argmax_1hot_with_bias",
           "crossentropy_softmax_max_and_argmax_1hot"]
