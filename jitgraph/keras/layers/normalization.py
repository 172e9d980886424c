"""``BatchNormalization`` (Keras 1.2.2, mode 0): in training, normalize with the batch's
mean and (biased) variance and move the running averages; at inference, normalize with
the running averages. Keras 1.2.2 keeps ``var + epsilon`` in its ``running_std`` weight
and adds epsilon again at inference; this layer does the same so files load unchanged."""
import numpy as np

import jitgraph.tensor as T
from jitgraph.keras.engine.topology import _UNSET, Layer, pop_alias


class BatchNormalization(Layer):
    uses_training = True

    def __init__(self, epsilon=1e-3, mode=0, axis=-1, momentum=0.99, weights=None,
                 beta_init=_UNSET, gamma_init=_UNSET, gamma_regularizer=None,
                 beta_regularizer=None, **kwargs):
        from jitgraph.keras import initializers, regularizers
        own = "BatchNormalization"
        if mode != 0:
            raise ValueError(f"BatchNormalization: only mode 0 (feature-wise, running "
                             f"averages at test time) is supported, got mode={mode}")
        self.beta_init = initializers.get(pop_alias(own, kwargs, "beta_init", beta_init,
                                                    "beta_initializer", "zero"))
        self.gamma_init = initializers.get(pop_alias(own, kwargs, "gamma_init", gamma_init,
                                                     "gamma_initializer", "one"))
        for keras2_only in ("center", "scale"):
            if not kwargs.pop(keras2_only, True):
                raise ValueError(f"BatchNormalization: {keras2_only}=False is not supported")
        self.epsilon = float(epsilon)
        self.mode = mode
        self.axis = axis
        self.momentum = float(momentum)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        super().__init__(weights=weights, **kwargs)

    def build(self, input_shape):
        axis = self.axis % len(input_shape)
        size = input_shape[axis]
        if size is None:
            raise ValueError(f"BatchNormalization {self.name!r}: axis {self.axis} of input "
                             f"shape {input_shape} must be known")
        shape = (int(size),)
        self.gamma = self.add_weight(shape, self.gamma_init, "gamma", self.gamma_regularizer)
        self.beta = self.add_weight(shape, self.beta_init, "beta", self.beta_regularizer)
        self.running_mean = self.add_weight(shape, "zero", "running_mean", trainable=False)
        self.running_std = self.add_weight(shape, "one", "running_std", trainable=False)

    def _broadcast(self, v, ndim):
        axis = self.axis % ndim
        pattern = ["x"] * ndim
        pattern[axis] = 0
        return v.dimshuffle(*pattern)

    def call(self, x, training=False):
        ndim = x.ndim
        axis = self.axis % ndim
        reduce_axes = [a for a in range(ndim) if a != axis]
        gamma, beta = self._broadcast(self.gamma, ndim), self._broadcast(self.beta, ndim)
        eps = np.asarray(self.epsilon, dtype=x.dtype)
        if training:
            mean = T.mean(x, axis=reduce_axes)
            var = T.var(x, axis=reduce_axes)
            m = np.asarray(self.momentum, dtype=x.dtype)
            self._pending_updates = [
                (self.running_mean, self.running_mean * m + mean * (1 - m)),
                (self.running_std, self.running_std * m + (var + eps) * (1 - m))]
            mean_b, var_b = self._broadcast(mean, ndim), self._broadcast(var, ndim)
        else:
            mean_b = self._broadcast(self.running_mean, ndim)
            var_b = self._broadcast(self.running_std, ndim)
        return (x - mean_b) / T.sqrt(var_b + eps) * gamma + beta

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon, "mode": self.mode, "axis": self.axis,
                       "gamma_regularizer": None if self.gamma_regularizer is None
                       else self.gamma_regularizer.get_config(),
                       "beta_regularizer": None if self.beta_regularizer is None
                       else self.beta_regularizer.get_config(),
                       "momentum": self.momentum})
        return config
