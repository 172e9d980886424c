"""Elementwise activations of ``theano.tensor.nnet``: relu, elu, selu, softsign."""
import numpy as np

from jitgraph.scalar import basic as scal
from jitgraph.tensor.basic import elemwise_op, expm1, switch
from jitgraph.tensor.var import as_tensor_variable


def relu(x, alpha=0):
    """Rectifier: ``x`` where positive, ``alpha * x`` elsewhere (``alpha`` may be symbolic).

    Written as Theano writes it, ``0.5 * (x + |x|)`` (or ``f1 * x + f2 * |x|`` for a
    leaky slope), so values, dtypes and the gradient at 0 (the mean slope) match Theano.
    """
    x = as_tensor_variable(x)
    if isinstance(alpha, (int, float, np.number)) and alpha == 0:
        return 0.5 * (x + abs(x))
    alpha = as_tensor_variable(alpha)
    f1 = 0.5 * (1 + alpha)
    f2 = 0.5 * (1 - alpha)
    return f1 * x + f2 * abs(x)


def elu(x, alpha=1):
    """Exponential linear unit: ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    x = as_tensor_variable(x)
    return switch(x > 0, x, alpha * expm1(x))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x):
    """Scaled exponential linear unit (Klambauer et al.'s constants)."""
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


def _softsign(x):
    x = np.asarray(x)
    dtype = np.dtype(scal.rule_float(x.dtype.name))
    x = x.astype(dtype)
    return x / (dtype.type(1) + np.abs(x))


def _softsign_grad(T, xs, z, gz):
    (x,) = xs
    d = 1.0 + abs(x)
    return [gz / (d * d)]


scalar_softsign = scal.define("softsign", 1, _softsign, "((double)({0}) / (1.0 + fabs((double)({0}))))",
                              scal.rule_float, _softsign_grad)
softsign = elemwise_op("softsign")

__all__ = ["relu", "elu", "selu", "softsign", "scalar_softsign"]
