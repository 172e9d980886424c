"""``theano.tensor.nnet.sigm``: the sigmoid family.

``sigmoid`` and ``softplus`` are the elementwise functions of ``jitgraph.tensor`` (one
object wherever they are exposed). ``ultra_fast_sigmoid`` is a scalar op of its own,
registered in the scalar table here so that every backend reads it from the table.
"""
import numpy as np

from jitgraph.scalar import basic as scal
from jitgraph.tensor.basic import clip, elemwise_op, sigmoid, softplus
from jitgraph.tensor.var import as_tensor_variable, constant

scalar_sigmoid = scal.get_scalar_op("sigmoid")
scalar_softplus = scal.get_scalar_op("softplus")

# Theano's piecewise approximation of tanh(x/2), on which ultra_fast_sigmoid is built.
_UFS_KNEE, _UFS_END = 1.7, 3.0
_UFS_AT_KNEE, _UFS_SLOPE, _UFS_TOP = 0.935409070603099, 0.0458812946797165, 0.99505475368673


def _ultra_fast_sigmoid(x):
    x = np.asarray(x)
    dtype = np.dtype(scal.rule_float(x.dtype.name))
    half = 0.5 * x.astype(dtype)
    a = np.abs(half)
    with np.errstate(invalid="ignore"):
        # NaN falls through every comparison to the last branch and stays NaN (Theano's C
        # code turned it into 0.0025; a NaN in should give a NaN out).
        z = np.where(a < _UFS_KNEE, 1.5 * a / (1 + a),
                     np.where(a < _UFS_END, _UFS_AT_KNEE + _UFS_SLOPE * (a - _UFS_KNEE),
                              np.where(a >= _UFS_END, _UFS_TOP, a)))
    return (0.5 * (np.copysign(z, half) + 1.0)).astype(dtype)


def _ultra_fast_sigmoid_grad(T, xs, z, gz):
    # Theano defines no gradient here; the derivative of the approximation is the obvious one:
    # 0.25 * d(tanh-approx)/da at a = |x| / 2.
    (x,) = xs
    a = abs(x) * 0.5
    slope = T.switch(a < _UFS_KNEE, 1.5 / ((1 + a) * (1 + a)),
                     T.switch(a < _UFS_END, _UFS_SLOPE, 0.0))
    return [gz * 0.25 * slope]


_UFS_C = ("(0.5 * (copysign((fabs(0.5 * {0}) < 1.7 ? 1.5 * fabs(0.5 * {0}) / (1.0 + fabs(0.5 * {0})) "
          ": fabs(0.5 * {0}) < 3.0 ? 0.935409070603099 + 0.0458812946797165 * (fabs(0.5 * {0}) - 1.7) "
          ": fabs(0.5 * {0}) >= 3.0 ? 0.99505475368673 : fabs(0.5 * {0})), 0.5 * {0}) + 1.0))")

ultra_fast_scalar_sigmoid = scal.define("ultra_fast_sigmoid", 1, _ultra_fast_sigmoid, _UFS_C, scal.rule_float,
                                        _ultra_fast_sigmoid_grad)
ultra_fast_sigmoid = elemwise_op("ultra_fast_sigmoid")


def hard_sigmoid(x):
    """``clip(x * 0.2 + 0.5, 0, 1)``, computed in the float dtype ``x`` upgrades to."""
    x = as_tensor_variable(x)
    out_dtype = scal.rule_float(x.dtype)
    slope = constant(0.2, dtype=out_dtype)
    shift = constant(0.5, dtype=out_dtype)
    return clip(x * slope + shift, 0, 1)


__all__ = ["sigmoid", "softplus", "scalar_sigmoid", "scalar_softplus", "ultra_fast_sigmoid",
           "ultra_fast_scalar_sigmoid", "hard_sigmoid"]
