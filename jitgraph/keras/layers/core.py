"""Keras 1.2.2's core layers: Dense, Activation, Dropout, Flatten, Reshape, Lambda.

Each accepts Keras 1's keyword names and Keras 2/3's (``output_dim|units``,
``init|kernel_initializer``, ``p|rate``...); see ``pop_alias``.
"""
import marshal
import types

import numpy as np

import jitgraph.tensor as T
from jitgraph.keras.engine.topology import _UNSET, Layer, pop_alias, reject_unknown


def _serialize_regularizer(r):
    return r.get_config() if r is not None and hasattr(r, "get_config") else r


class Dense(Layer):
    """``activation(x · W + b)`` with W of shape ``(input_dim, output_dim)``."""

    def __init__(self, output_dim=_UNSET, init=_UNSET, activation=None, weights=None,
                 W_regularizer=_UNSET, b_regularizer=_UNSET, activity_regularizer=None,
                 W_constraint=_UNSET, b_constraint=_UNSET, bias=_UNSET, input_dim=None,
                 **kwargs):
        from jitgraph.keras import activations, initializers, regularizers
        own = "Dense"
        self.output_dim = pop_alias(own, kwargs, "output_dim", output_dim, "units", None)
        if self.output_dim is None:
            raise TypeError("Dense: output_dim (units) is required")
        if not isinstance(self.output_dim, (int, np.integer)) or self.output_dim <= 0:
            raise ValueError(f"Dense: output_dim must be a positive int, got {self.output_dim!r}")
        self.init = initializers.get(pop_alias(own, kwargs, "init", init, "kernel_initializer",
                                               "glorot_uniform"))
        self.bias_init = initializers.get(kwargs.pop("bias_initializer", "zero"))
        self.activation = activations.get(activation)
        self.W_regularizer = regularizers.get(pop_alias(own, kwargs, "W_regularizer",
                                                        W_regularizer, "kernel_regularizer", None))
        self.b_regularizer = regularizers.get(pop_alias(own, kwargs, "b_regularizer",
                                                        b_regularizer, "bias_regularizer", None))
        self.W_constraint = pop_alias(own, kwargs, "W_constraint", W_constraint,
                                      "kernel_constraint", None)
        self.b_constraint = pop_alias(own, kwargs, "b_constraint", b_constraint,
                                      "bias_constraint", None)
        self.bias = bool(pop_alias(own, kwargs, "bias", bias, "use_bias", True))
        self.input_dim = input_dim
        if input_dim is not None and "input_shape" not in kwargs \
                and "batch_input_shape" not in kwargs:
            kwargs["input_shape"] = (input_dim,)
        super().__init__(weights=weights, **kwargs)
        self.activity_regularizer = regularizers.get(activity_regularizer)

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(f"Dense {self.name!r} takes 2-d input (batch, features) with a "
                             f"known feature count, got shape {input_shape}")
        self.input_dim = int(input_shape[-1])
        self.W = self.add_weight((self.input_dim, self.output_dim), self.init, "W",
                                 self.W_regularizer, constraint=self.W_constraint)
        self.b = (self.add_weight((self.output_dim,), self.bias_init, "b", self.b_regularizer,
                                  constraint=self.b_constraint) if self.bias else None)

    def call(self, x):
        out = T.dot(x, self.W)
        if self.b is not None:
            out = out + self.b
        return self.activation(out)

    def get_output_shape_for(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        from jitgraph.keras import activations, initializers
        config = super().get_config()
        config.update({
            "output_dim": self.output_dim, "init": initializers.serialize(self.init),
            "activation": activations.serialize(self.activation),
            "W_regularizer": _serialize_regularizer(self.W_regularizer),
            "b_regularizer": _serialize_regularizer(self.b_regularizer),
            "activity_regularizer": _serialize_regularizer(self.activity_regularizer),
            "W_constraint": None, "b_constraint": None, "bias": self.bias,
            "input_dim": self.input_dim})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "batch_input_shape" in config:  # it already says the input size
            config.pop("input_dim", None)
        for key in ("W_constraint", "b_constraint"):
            if config.get(key) is None:
                config.pop(key, None)
        return cls(**config)


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        from jitgraph.keras import activations
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, x):
        return self.activation(x)

    def get_config(self):
        from jitgraph.keras import activations
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class Dropout(Layer):
    """Inverted dropout: in training, each unit is kept with probability ``1 - p`` and
    scaled by ``1 / (1 - p)``; at inference the layer is the identity. The mask comes
    from ``MRG_RandomStreams`` seeded from numpy's global generator when the training
    graph is built, so ``np.random.seed(n)`` makes training repeatable."""

    uses_training = True

    def __init__(self, p=_UNSET, **kwargs):
        p = pop_alias("Dropout", kwargs, "p", p, "rate", None)
        if p is None:
            raise TypeError("Dropout: p (rate) is required")
        self.p = float(p)
        if not 0.0 <= self.p < 1.0:
            raise ValueError(f"Dropout: p (rate) must be in [0, 1), got {self.p}")
        self.seed = kwargs.pop("seed", None)
        self.noise_shape = kwargs.pop("noise_shape", None)
        if self.noise_shape is not None:
            raise ValueError("Dropout: noise_shape is not supported (Keras 1.2.2 has none)")
        super().__init__(**kwargs)

    def call(self, x, training=False):
        if not training or self.p == 0.0:
            return x
        from jitgraph.sandbox.rng_mrg import MRG_RandomStreams
        seed = self.seed if self.seed is not None else np.random.randint(10_000_000)
        retain = 1.0 - self.p
        mask = MRG_RandomStreams(seed).binomial(x.shape, p=retain, dtype=x.dtype)
        return x * mask / np.asarray(retain, dtype=x.dtype)

    def get_config(self):
        config = super().get_config()
        config["p"] = self.p
        return config


class Flatten(Layer):
    """``(batch, d1, d2, ...) -> (batch, d1*d2*...)``."""

    def get_output_shape_for(self, input_shape):
        rest = input_shape[1:]
        if any(d is None for d in rest):
            raise ValueError(f"Flatten {self.name!r} needs the non-batch dimensions known, "
                             f"got shape {input_shape}")
        return (input_shape[0], int(np.prod(rest)))

    def call(self, x):
        return T.flatten(x, 2)


class Reshape(Layer):
    """Reshape every sample to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError(f"Reshape: at most one -1 in target_shape, got {self.target_shape}")

    def get_output_shape_for(self, input_shape):
        known = input_shape[1:]
        target = list(self.target_shape)
        if any(d is None for d in known):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in target)
        total = int(np.prod(known))
        fixed = int(np.prod([d for d in target if d != -1]))
        if -1 in target:
            if fixed == 0 or total % fixed:
                raise ValueError(f"Reshape {self.name!r}: cannot reshape {known} to "
                                 f"{self.target_shape}")
            target[target.index(-1)] = total // fixed
        elif fixed != total:
            raise ValueError(f"Reshape {self.name!r}: total size of {tuple(known)} ({total}) "
                             f"differs from target_shape {self.target_shape} ({fixed})")
        return (input_shape[0],) + tuple(target)

    def call(self, x):
        target = self.get_output_shape_for(x._keras_shape) if hasattr(x, "_keras_shape") \
            else (None,) + self.target_shape
        shape = [x.shape[0]] + [d if d is not None else -1 for d in target[1:]]
        return T.reshape(x, shape, ndim=len(shape))

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


class Lambda(Layer):
    """Any expression of the input built with ``jitgraph.keras.backend`` (or jitgraph's
    tensor API). ``output_shape``: a tuple (without the batch axis), a function of the
    input shape, or None (same as the input)."""

    def __init__(self, function, output_shape=None, arguments=None, mask=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: function must be callable, got {function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = output_shape

    def call(self, x):
        return self.function(x, **self.arguments)

    def get_output_shape_for(self, input_shape):
        if self._output_shape is None:
            return input_shape
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        first = input_shape[0][0] if isinstance(input_shape, list) else input_shape[0]
        return (first,) + tuple(self._output_shape)

    def get_config(self):
        config = super().get_config()
        fn_config, fn_type = _serialize_function(self.function)
        shape_config, shape_type = (_serialize_function(self._output_shape)
                                    if callable(self._output_shape)
                                    else (self._output_shape, "raw"))
        config.update({"function": fn_config, "function_type": fn_type,
                       "output_shape": shape_config, "output_shape_type": shape_type,
                       "arguments": self.arguments})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        globs = dict(globals())
        globs.update(custom_objects or {})
        function = _deserialize_function(config.pop("function"), config.pop("function_type"),
                                         globs)
        shape_type = config.pop("output_shape_type", "raw")
        output_shape = config.pop("output_shape", None)
        if shape_type != "raw":
            output_shape = _deserialize_function(output_shape, shape_type, globs)
        return cls(function, output_shape=output_shape, **config)


def _serialize_function(fn):
    """Keras 1.2.2's form: a named module-level function by name; anything else as its
    marshalled code object, text-encoded the way Keras does (``raw_unicode_escape``)."""
    if isinstance(fn, types.LambdaType) and fn.__name__ != "<lambda>" \
            and fn.__code__.co_freevars == ():
        return fn.__name__, "function"
    code = marshal.dumps(fn.__code__).decode("raw_unicode_escape")
    defaults = fn.__defaults__
    closure = tuple(c.cell_contents for c in fn.__closure__) if fn.__closure__ else None
    return [code, defaults, closure], "lambda"


def _deserialize_function(config, kind, globs):
    if kind == "function":
        if config not in globs:
            raise ValueError(f"Lambda: unknown function {config!r} (pass it in custom_objects)")
        return globs[config]
    if kind != "lambda":
        raise ValueError(f"Lambda: unknown function_type {kind!r}")
    code, defaults, closure = config
    try:
        code = marshal.loads(code.encode("raw_unicode_escape"))
    except (ValueError, EOFError, TypeError) as e:
        raise ValueError("Lambda: the saved function's code cannot be read by this Python "
                         f"version ({e}); pass the function again") from None
    if closure is not None:
        closure = tuple(types.CellType(c) for c in closure)
    return types.FunctionType(code, globs, code.co_name,
                              tuple(defaults) if defaults else None, closure)
