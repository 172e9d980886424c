"""Optimizers with Keras 1.2.2's exact update rules (``keras.optimizers``).

``get_updates(params, constraints, loss)`` returns (shared variable, new value) pairs
for the weights and the optimizer's own state; the training loop compiles them, with
the forward pass and the gradients, into one jitgraph function. Hyperparameters that
Keras keeps in variables (``lr``, ``decay``, ``momentum``, betas) are float32 shared
variables, so a callback can change them between steps (``K.set_value(opt.lr, 0.01)``).

``weights`` (and ``get_weights``/``set_weights``) list the state in Keras 1.2.2's order,
which is the order of a saved model's ``optimizer_weights``:
SGD ``[iterations] + moments``; RMSprop and Adagrad ``accumulators``; Adadelta
``accumulators + delta_accumulators``; Adam and Nadam ``[iterations] + ms + vs``;
Adamax ``[iterations] + ms + us``.

Keyword spellings: ``lr`` or Keras 2/3's ``learning_rate`` (not both).
"""
from jitgraph.keras import backend as K
from jitgraph.keras.utils.generic_utils import get_custom_objects, split_config


class Optimizer:
    """Base class: gradient clipping, state save/restore and config.

    ``clipnorm``: when the global L2 norm of all gradients exceeds it, every gradient is
    scaled by clipnorm/norm. ``clipvalue``: each gradient entry is clipped to
    [-clipvalue, clipvalue].
    """

    def __init__(self, **kwargs):
        unknown = sorted(set(kwargs) - {"clipnorm", "clipvalue"})
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) "
                            f"{', '.join(map(repr, unknown))}")
        for key, value in kwargs.items():
            if value is not None:
                setattr(self, key, value)
        self.updates = []
        self.weights = []

    def get_updates(self, params, constraints, loss):
        raise NotImplementedError

    def get_gradients(self, loss, params):
        grads = K.gradients(loss, params)
        if getattr(self, "clipnorm", 0) > 0:
            norm = K.sqrt(sum(K.sum(K.square(g)) for g in grads))
            grads = [K.switch(norm >= self.clipnorm, g * self.clipnorm / norm, g) for g in grads]
        if getattr(self, "clipvalue", 0) > 0:
            grads = [K.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def get_weights(self):
        """The optimizer's state as numpy arrays (empty before ``get_updates``)."""
        return K.batch_get_value(self.weights)

    def set_weights(self, weights):
        """Restore the state from ``get_weights``' arrays; checks every shape before
        changing anything."""
        weights = list(weights)
        if len(weights) != len(self.weights):
            raise ValueError(f"{type(self).__name__}.set_weights: got {len(weights)} arrays, the "
                             f"optimizer has {len(self.weights)} state variables (call it after "
                             "the model is compiled and its training function built)")
        for i, (var, value) in enumerate(zip(self.weights, weights)):
            if K.get_variable_shape(var) != getattr(value, "shape", ()):
                raise ValueError(f"{type(self).__name__}.set_weights: array {i} has shape "
                                 f"{getattr(value, 'shape', ())}, the state variable has shape "
                                 f"{K.get_variable_shape(var)}")
        K.batch_set_value(zip(self.weights, weights))

    def get_config(self):
        config = {}
        for key in ("clipnorm", "clipvalue"):
            if hasattr(self, key):
                config[key] = getattr(self, key)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # -------------------------------------------------------------- helpers

    def _decayed(self, lr):
        """lr / (1 + decay·iterations) when built with a nonzero decay (Keras's rule)."""
        if self.initial_decay > 0:
            return lr * (1. / (1. + self.decay * self.iterations))
        return lr

    @staticmethod
    def _zeros_like_each(params):
        return [K.zeros(K.get_variable_shape(p)) for p in params]

    @staticmethod
    def _constrained(p, new_p, constraints):
        if constraints and p in constraints:
            return constraints[p](new_p)
        return new_p


def _learning_rate(lr, kwargs, default, where):
    """``lr`` or Keras 2's ``learning_rate``; both is an error."""
    if "learning_rate" in kwargs:
        if lr is not None:
            raise TypeError(f"{where}: got both 'lr' and 'learning_rate', which are the same "
                            "argument in Keras 1 and Keras 2 spelling; give one")
        lr = kwargs.pop("learning_rate")
    return default if lr is None else lr


def _check_nonnegative(where, **values):
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"{where}: {name} must be >= 0, got {value}")


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, decay and Nesterov momentum.

    With t the number of steps taken (starting at 0; counted only when decay > 0):
    lr_t = lr / (1 + decay·t); v = momentum·v − lr_t·g; then p += momentum·v − lr_t·g
    (nesterov) or p += v. Default lr 0.01.
    """

    def __init__(self, lr=None, momentum=0., decay=0., nesterov=False, **kwargs):
        lr = _learning_rate(lr, kwargs, 0.01, "SGD")
        _check_nonnegative("SGD", lr=lr, momentum=momentum, decay=decay)
        super().__init__(**kwargs)
        self.iterations = K.variable(0.)
        self.lr = K.variable(lr)
        self.momentum = K.variable(momentum)
        self.decay = K.variable(decay)
        self.initial_decay = decay
        self.nesterov = bool(nesterov)

    def get_updates(self, params, constraints, loss):
        with K.floatx_scope():
            grads = self.get_gradients(loss, params)
            self.updates = []
            lr = self._decayed(self.lr)
            if self.initial_decay > 0:
                self.updates.append(K.update_add(self.iterations, 1))
            moments = self._zeros_like_each(params)
            self.weights = [self.iterations] + moments
            for p, g, m in zip(params, grads, moments):
                v = self.momentum * m - lr * g
                self.updates.append(K.update(m, v))
                new_p = p + self.momentum * v - lr * g if self.nesterov else p + v
                self.updates.append(K.update(p, self._constrained(p, new_p, constraints)))
        return self.updates

    def get_config(self):
        config = {"lr": float(K.get_value(self.lr)),
                  "momentum": float(K.get_value(self.momentum)),
                  "decay": float(K.get_value(self.decay)),
                  "nesterov": self.nesterov}
        return {**super().get_config(), **config}


class _AccumulatedSquares(Optimizer):
    """p −= lr_t·g / (sqrt(a) + epsilon) with a per-weight accumulator of squared gradients;
    subclasses say how the accumulator moves (``_accumulate``)."""

    def _accumulate(self, a, g):
        raise NotImplementedError

    def get_updates(self, params, constraints, loss):
        with K.floatx_scope():
            grads = self.get_gradients(loss, params)
            accumulators = self._zeros_like_each(params)
            self.weights = accumulators
            self.updates = []
            lr = self._decayed(self.lr)
            if self.initial_decay > 0:
                self.updates.append(K.update_add(self.iterations, 1))
            for p, g, a in zip(params, grads, accumulators):
                new_a = self._accumulate(a, g)
                self.updates.append(K.update(a, new_a))
                new_p = p - lr * g / (K.sqrt(new_a) + self.epsilon)
                self.updates.append(K.update(p, self._constrained(p, new_p, constraints)))
        return self.updates


class RMSprop(_AccumulatedSquares):
    """a = rho·a + (1−rho)·g²; p −= lr_t·g / (sqrt(a) + epsilon). Default lr 0.001."""

    def __init__(self, lr=None, rho=0.9, epsilon=1e-8, decay=0., **kwargs):
        lr = _learning_rate(lr, kwargs, 0.001, "RMSprop")
        epsilon = 1e-8 if epsilon is None else epsilon
        _check_nonnegative("RMSprop", lr=lr, rho=rho, epsilon=epsilon, decay=decay)
        super().__init__(**kwargs)
        self.lr = K.variable(lr)
        self.rho = K.variable(rho)
        self.epsilon = epsilon
        self.decay = K.variable(decay)
        self.initial_decay = decay
        self.iterations = K.variable(0.)

    def _accumulate(self, a, g):
        return self.rho * a + (1. - self.rho) * K.square(g)

    def get_config(self):
        config = {"lr": float(K.get_value(self.lr)), "rho": float(K.get_value(self.rho)),
                  "decay": float(K.get_value(self.decay)), "epsilon": self.epsilon}
        return {**super().get_config(), **config}


class Adagrad(_AccumulatedSquares):
    """a += g²; p −= lr_t·g / (sqrt(a) + epsilon). Default lr 0.01."""

    def __init__(self, lr=None, epsilon=1e-8, decay=0., **kwargs):
        lr = _learning_rate(lr, kwargs, 0.01, "Adagrad")
        epsilon = 1e-8 if epsilon is None else epsilon
        _check_nonnegative("Adagrad", lr=lr, epsilon=epsilon, decay=decay)
        super().__init__(**kwargs)
        self.lr = K.variable(lr)
        self.epsilon = epsilon
        self.decay = K.variable(decay)
        self.initial_decay = decay
        self.iterations = K.variable(0.)

    def _accumulate(self, a, g):
        return a + K.square(g)

    def get_config(self):
        config = {"lr": float(K.get_value(self.lr)), "decay": float(K.get_value(self.decay)),
                  "epsilon": self.epsilon}
        return {**super().get_config(), **config}


class Adadelta(Optimizer):
    """a = rho·a + (1−rho)·g²; u = g·sqrt(d + eps)/sqrt(a + eps) (new a, old d);
    p −= lr_t·u; d = rho·d + (1−rho)·u². Default lr 1.0."""

    def __init__(self, lr=None, rho=0.95, epsilon=1e-8, decay=0., **kwargs):
        lr = _learning_rate(lr, kwargs, 1.0, "Adadelta")
        epsilon = 1e-8 if epsilon is None else epsilon
        _check_nonnegative("Adadelta", lr=lr, rho=rho, epsilon=epsilon, decay=decay)
        super().__init__(**kwargs)
        self.lr = K.variable(lr)
        self.rho = rho
        self.epsilon = epsilon
        self.decay = K.variable(decay)
        self.initial_decay = decay
        self.iterations = K.variable(0.)

    def get_updates(self, params, constraints, loss):
        with K.floatx_scope():
            grads = self.get_gradients(loss, params)
            accumulators = self._zeros_like_each(params)
            delta_accumulators = self._zeros_like_each(params)
            self.weights = accumulators + delta_accumulators
            self.updates = []
            lr = self._decayed(self.lr)
            if self.initial_decay > 0:
                self.updates.append(K.update_add(self.iterations, 1))
            for p, g, a, d_a in zip(params, grads, accumulators, delta_accumulators):
                new_a = self.rho * a + (1. - self.rho) * K.square(g)
                self.updates.append(K.update(a, new_a))
                step = g * K.sqrt(d_a + self.epsilon) / K.sqrt(new_a + self.epsilon)
                new_p = p - lr * step
                self.updates.append(K.update(p, self._constrained(p, new_p, constraints)))
                self.updates.append(K.update(d_a, self.rho * d_a + (1 - self.rho) * K.square(step)))
        return self.updates

    def get_config(self):
        config = {"lr": float(K.get_value(self.lr)), "rho": self.rho,
                  "decay": float(K.get_value(self.decay)), "epsilon": self.epsilon}
        return {**super().get_config(), **config}


class _AdamFamily(Optimizer):
    """The constructor and config Adam and Adamax share; subclasses set DEFAULT_LR."""

    DEFAULT_LR = 0.001

    def __init__(self, lr=None, beta_1=0.9, beta_2=0.999, epsilon=1e-8, decay=0., **kwargs):
        name = type(self).__name__
        lr = _learning_rate(lr, kwargs, self.DEFAULT_LR, name)
        epsilon = 1e-8 if epsilon is None else epsilon
        _check_nonnegative(name, lr=lr, epsilon=epsilon, decay=decay)
        super().__init__(**kwargs)
        self.iterations = K.variable(0.)
        self.lr = K.variable(lr)
        self.beta_1 = K.variable(beta_1)
        self.beta_2 = K.variable(beta_2)
        self.epsilon = epsilon
        self.decay = K.variable(decay)
        self.initial_decay = decay

    def get_config(self):
        config = {"lr": float(K.get_value(self.lr)), "beta_1": float(K.get_value(self.beta_1)),
                  "beta_2": float(K.get_value(self.beta_2)),
                  "decay": float(K.get_value(self.decay)), "epsilon": self.epsilon}
        return {**super().get_config(), **config}


class Adam(_AdamFamily):
    """t = iterations + 1; lr_t = lr·sqrt(1 − beta_2^t)/(1 − beta_1^t);
    m = beta_1·m + (1−beta_1)·g; v = beta_2·v + (1−beta_2)·g²;
    p −= lr_t·m / (sqrt(v) + epsilon). Default lr 0.001."""


    DEFAULT_LR = 0.001

    def get_updates(self, params, constraints, loss):
        with K.floatx_scope():
            grads = self.get_gradients(loss, params)
            self.updates = [K.update_add(self.iterations, 1)]
            lr = self._decayed(self.lr)
            t = self.iterations + 1
            lr_t = lr * (K.sqrt(1. - K.pow(self.beta_2, t)) / (1. - K.pow(self.beta_1, t)))
            ms = self._zeros_like_each(params)
            vs = self._zeros_like_each(params)
            self.weights = [self.iterations] + ms + vs
            for p, g, m, v in zip(params, grads, ms, vs):
                m_t = self.beta_1 * m + (1. - self.beta_1) * g
                v_t = self.beta_2 * v + (1. - self.beta_2) * K.square(g)
                new_p = p - lr_t * m_t / (K.sqrt(v_t) + self.epsilon)
                self.updates.append(K.update(m, m_t))
                self.updates.append(K.update(v, v_t))
                self.updates.append(K.update(p, self._constrained(p, new_p, constraints)))
        return self.updates

class Adamax(_AdamFamily):
    """Adam with the infinity norm: lr_t = lr/(1 − beta_1^t); m as Adam;
    u = max(beta_2·u, |g|); p −= lr_t·m / (u + epsilon). Default lr 0.002."""

    DEFAULT_LR = 0.002

    def get_updates(self, params, constraints, loss):
        with K.floatx_scope():
            grads = self.get_gradients(loss, params)
            self.updates = [K.update_add(self.iterations, 1)]
            lr = self._decayed(self.lr)
            t = self.iterations + 1
            lr_t = lr / (1. - K.pow(self.beta_1, t))
            ms = self._zeros_like_each(params)
            us = self._zeros_like_each(params)
            self.weights = [self.iterations] + ms + us
            for p, g, m, u in zip(params, grads, ms, us):
                m_t = self.beta_1 * m + (1. - self.beta_1) * g
                u_t = K.maximum(self.beta_2 * u, K.abs(g))
                new_p = p - lr_t * m_t / (u_t + self.epsilon)
                self.updates.append(K.update(m, m_t))
                self.updates.append(K.update(u, u_t))
                self.updates.append(K.update(p, self._constrained(p, new_p, constraints)))
        return self.updates

class Nadam(Optimizer):
    """Adam with Nesterov momentum and Keras 1.2.2's warming momentum schedule
    mu_t = beta_1·(1 − 0.5·0.96^(t·schedule_decay)). Default lr 0.002.
    The schedule product (``m_schedule``) is state but, as in Keras 1.2.2, not part of
    ``weights``."""

    def __init__(self, lr=None, beta_1=0.9, beta_2=0.999, epsilon=1e-8, schedule_decay=0.004,
                 **kwargs):
        lr = _learning_rate(lr, kwargs, 0.002, "Nadam")
        epsilon = 1e-8 if epsilon is None else epsilon
        _check_nonnegative("Nadam", lr=lr, epsilon=epsilon, schedule_decay=schedule_decay)
        super().__init__(**kwargs)
        self.iterations = K.variable(0.)
        self.m_schedule = K.variable(1.)
        self.lr = K.variable(lr)
        self.beta_1 = K.variable(beta_1)
        self.beta_2 = K.variable(beta_2)
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay

    def get_updates(self, params, constraints, loss):
        with K.floatx_scope():
            grads = self.get_gradients(loss, params)
            self.updates = [K.update_add(self.iterations, 1)]
            t = self.iterations + 1
            momentum_t = self.beta_1 * (1. - 0.5 * K.pow(0.96, t * self.schedule_decay))
            momentum_t1 = self.beta_1 * (1. - 0.5 * K.pow(0.96, (t + 1) * self.schedule_decay))
            m_schedule_new = self.m_schedule * momentum_t
            m_schedule_next = self.m_schedule * momentum_t * momentum_t1
            self.updates.append(K.update(self.m_schedule, m_schedule_new))
            ms = self._zeros_like_each(params)
            vs = self._zeros_like_each(params)
            self.weights = [self.iterations] + ms + vs
            for p, g, m, v in zip(params, grads, ms, vs):
                g_prime = g / (1. - m_schedule_new)
                m_t = self.beta_1 * m + (1. - self.beta_1) * g
                m_t_prime = m_t / (1. - m_schedule_next)
                v_t = self.beta_2 * v + (1. - self.beta_2) * K.square(g)
                v_t_prime = v_t / (1. - K.pow(self.beta_2, t))
                m_t_bar = (1. - momentum_t) * g_prime + momentum_t1 * m_t_prime
                self.updates.append(K.update(m, m_t))
                self.updates.append(K.update(v, v_t))
                new_p = p - self.lr * m_t_bar / (K.sqrt(v_t_prime) + self.epsilon)
                self.updates.append(K.update(p, self._constrained(p, new_p, constraints)))
        return self.updates

    def get_config(self):
        config = {"lr": float(K.get_value(self.lr)), "beta_1": float(K.get_value(self.beta_1)),
                  "beta_2": float(K.get_value(self.beta_2)), "epsilon": self.epsilon,
                  "schedule_decay": self.schedule_decay}
        return {**super().get_config(), **config}


# Keras 1 lower-case aliases.
sgd, rmsprop, adagrad, adadelta, adam, adamax, nadam = (SGD, RMSprop, Adagrad, Adadelta, Adam,
                                                        Adamax, Nadam)

_BY_LOWER_NAME = {cls.__name__.lower(): cls for cls in (SGD, RMSprop, Adagrad, Adadelta, Adam,
                                                        Adamax, Nadam)}


def _optimizer_class(name, custom_objects=None):
    for objects in (custom_objects or {}, get_custom_objects()):
        if name in objects:
            return objects[name]
    try:
        return _BY_LOWER_NAME[name.lower()]
    except KeyError:
        raise ValueError(f"Invalid optimizer: {name!r}. Known optimizers: "
                         f"{', '.join(sorted(_BY_LOWER_NAME))}") from None


def optimizer_from_config(config, custom_objects=None):
    """An optimizer from ``{'class_name': 'SGD', 'config': {...}}`` (as saved models
    store it in ``training_config['optimizer_config']``)."""
    name, kwargs = split_config(config, "optimizer")
    return _optimizer_class(name, custom_objects).from_config(kwargs)


deserialize = optimizer_from_config


def serialize(optimizer):
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def get(identifier, kwargs=None):
    """An optimizer from a name (``'sgd'``, ``'Adam'``; case does not matter) made with
    its defaults or ``kwargs``, from a config dict, or an optimizer object as is."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return _optimizer_class(identifier)(**(kwargs or {}))
    if isinstance(identifier, dict):
        return optimizer_from_config(identifier)
    raise TypeError(f"optimizer: expected a name, a config dict or an Optimizer, "
                    f"got {type(identifier).__name__} {identifier!r}")
