"""Weight and activity regularizers (Keras 1.2.2's ``keras.regularizers``).

A regularizer is called on a weight (or an activation) and returns the scalar penalty
added to the loss: ``l1·sum|x| + l2·sum x²``.
"""
import warnings

import numpy as np

from jitgraph.keras import backend as K
from jitgraph.keras.utils.generic_utils import lookup, split_config


class Regularizer:
    """No penalty; the base class of every regularizer."""

    def __call__(self, x):
        return 0

    def get_config(self):
        return {"name": type(self).__name__}

    def set_param(self, _):
        warnings.warn("Regularizer.set_param is deprecated (Keras 1.2) and does nothing")

    def set_layer(self, _):
        warnings.warn("Regularizer.set_layer is deprecated (Keras 1.2) and does nothing")


class L1L2Regularizer(Regularizer):
    """``l1·sum|x| + l2·sum x²`` (a zero factor drops its term)."""

    def __init__(self, l1=0., l2=0.):
        for label, value in (("l1", l1), ("l2", l2)):
            if not np.isscalar(value) or value < 0:
                raise ValueError(f"L1L2Regularizer: {label} must be a number >= 0, got {value!r}")
        self.l1 = K.cast_to_floatx(l1)
        self.l2 = K.cast_to_floatx(l2)

    def __call__(self, x):
        penalty = 0
        if self.l1:
            penalty += K.sum(self.l1 * K.abs(x))
        if self.l2:
            penalty += K.sum(self.l2 * K.square(x))
        return penalty

    def get_config(self):
        return {"name": type(self).__name__, "l1": float(self.l1), "l2": float(self.l2)}


# Keras 1 aliases, and Keras 2's class name.
WeightRegularizer = ActivityRegularizer = L1L2 = L1L2Regularizer


def l1(l=0.01):
    return L1L2Regularizer(l1=l)


def l2(l=0.01):
    return L1L2Regularizer(l2=l)


def l1l2(l1=0.01, l2=0.01):
    return L1L2Regularizer(l1=l1, l2=l2)


l1_l2 = l1l2                      # Keras 2
activity_l1, activity_l2, activity_l1l2 = l1, l2, l1l2

_BY_NAME = {"l1": l1, "l2": l2, "l1l2": l1l2, "l1_l2": l1l2, "activity_l1": l1,
            "activity_l2": l2, "activity_l1l2": l1l2, "Regularizer": Regularizer,
            "L1L2Regularizer": L1L2Regularizer, "WeightRegularizer": L1L2Regularizer,
            "ActivityRegularizer": L1L2Regularizer, "L1L2": L1L2Regularizer}


def get(identifier, kwargs=None):
    """None, a regularizer, a name (``'l2'`` gives ``l2(0.01)``) or a config dict as
    ``get_config`` writes it (``{'name': 'L1L2Regularizer', 'l1': 0., 'l2': 0.01}``)."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        return lookup(identifier, _BY_NAME, "regularizer")(**(kwargs or {}))
    if isinstance(identifier, dict):
        name, config = split_config(identifier, "regularizer")
        return lookup(name, _BY_NAME, "regularizer")(**config)
    if callable(identifier):
        return identifier
    raise TypeError(f"regularizer: expected None, a name, a config dict or a callable, "
                    f"got {type(identifier).__name__} {identifier!r}")
