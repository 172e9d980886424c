"""Weight initializers (Keras 1.2.2's ``keras.initializations``, Keras 2's names too).

Every initializer is called as ``init(shape, name=None, dim_ordering='th')`` and
returns a new float32 shared variable (Keras 1's contract). Draws come from numpy's
global generator, so ``np.random.seed(n)`` gives the same weights as Keras 1.2.2 given
the same seed.

The Keras 1 functions (``glorot_uniform(shape)``) also work the Keras 2 way: called
without a shape (``glorot_uniform()``, ``RandomUniform(-0.1, 0.1)``) they return an
initializer object to hand to a layer. Keras 2 spellings use Keras 1.2.2's draws.
"""
import numpy as np

from jitgraph.keras import backend as K
from jitgraph.keras.utils.generic_utils import lookup, split_config


def get_fans(shape, dim_ordering="th"):
    """(fan_in, fan_out) of a weight of ``shape``: rows/columns of a matrix, channels
    times receptive field for convolution kernels, sqrt(size) otherwise."""
    shape = tuple(shape)
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) in (4, 5):
        if dim_ordering == "th":      # (out depth, in depth, spatial...)
            field = np.prod(shape[2:])
            return shape[1] * field, shape[0] * field
        if dim_ordering == "tf":      # (spatial..., in depth, out depth)
            field = np.prod(shape[:-2])
            return shape[-2] * field, shape[-1] * field
        raise ValueError(f"get_fans: invalid dim_ordering {dim_ordering!r}; expected 'th' or 'tf'")
    side = np.sqrt(np.prod(shape))
    return side, side


class Initializer:
    """Draws initial values for a weight of a given shape; calling it returns a new
    float32 shared variable. Subclasses implement ``values(shape, dim_ordering)``."""

    def __call__(self, shape, name=None, dim_ordering="th", dtype=None):
        return K.variable(self.values(_as_shape(shape), dim_ordering), dtype=dtype, name=name)

    def values(self, shape, dim_ordering):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _as_shape(shape):
    if not (isinstance(shape, (tuple, list))
            and all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in shape)):
        raise TypeError(f"initializer: shape must be a tuple of ints, got {shape!r}")
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"initializer: negative dimension in shape {shape}")
    return shape


def _rng(seed):
    return np.random if seed is None else np.random.RandomState(seed)


class Zeros(Initializer):
    def values(self, shape, dim_ordering):
        return np.zeros(shape)


class Ones(Initializer):
    def values(self, shape, dim_ordering):
        return np.ones(shape)


class Constant(Initializer):
    def __init__(self, value=0):
        self.value = value

    def values(self, shape, dim_ordering):
        return np.full(shape, self.value, dtype="float64")

    def get_config(self):
        return {"value": self.value}


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def values(self, shape, dim_ordering):
        return _rng(self.seed).uniform(low=self.minval, high=self.maxval, size=shape)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def values(self, shape, dim_ordering):
        return _rng(self.seed).normal(loc=self.mean, scale=self.stddev, size=shape)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(Initializer):
    """Uniform on ±sqrt(3·scale/n) or normal with deviation sqrt(scale/n), where n is
    fan_in, fan_out or their mean (``mode``): the family of glorot/he/lecun."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="normal", seed=None):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be 'fan_in', 'fan_out' or 'fan_avg', "
                             f"got {mode!r}")
        if distribution not in ("normal", "uniform"):
            raise ValueError(f"VarianceScaling: distribution must be 'normal' or 'uniform', "
                             f"got {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def values(self, shape, dim_ordering):
        fan_in, fan_out = get_fans(shape, dim_ordering)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.}[self.mode]
        if self.distribution == "uniform":
            limit = np.sqrt(3. * self.scale / n)
            return _rng(self.seed).uniform(low=-limit, high=limit, size=shape)
        return _rng(self.seed).normal(loc=0.0, scale=np.sqrt(self.scale / n), size=shape)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class Orthogonal(Initializer):
    """``gain`` times an orthogonal matrix from the SVD of a normal draw (Keras 1's
    default gain is 1.1)."""

    def __init__(self, gain=1.1, seed=None):
        self.gain, self.seed = gain, seed

    def values(self, shape, dim_ordering):
        if len(shape) < 2:
            raise ValueError(f"orthogonal: needs a shape of at least 2 dimensions, got {shape}")
        flat_shape = (shape[0], int(np.prod(shape[1:])))
        a = _rng(self.seed).normal(0.0, 1.0, flat_shape)
        u, _, v = np.linalg.svd(a, full_matrices=False)
        q = u if u.shape == flat_shape else v
        return self.gain * q.reshape(shape)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def values(self, shape, dim_ordering):
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(f"identity: needs a square 2-d shape, got {shape}")
        return self.gain * np.identity(shape[0])

    def get_config(self):
        return {"gain": self.gain}


# ---------------------------------------------------------------- Keras 1 functions
# Each takes the weight's shape and returns a variable; without a shape it returns the
# initializer object (Keras 2's ``glorot_uniform()``).

def _dual(make_initializer):
    def init(shape=None, *args, name=None, dim_ordering="th", **kwargs):
        initializer = make_initializer(*args, **kwargs)
        if shape is None:
            return initializer
        return initializer(shape, name=name, dim_ordering=dim_ordering)
    init.__name__ = make_initializer.__name__
    init.__doc__ = make_initializer.__doc__
    return init


@_dual
def uniform(scale=0.05, seed=None):
    """U(-scale, scale)."""
    return RandomUniform(-scale, scale, seed)


@_dual
def normal(scale=0.05, seed=None):
    """N(0, scale²)."""
    return RandomNormal(0.0, scale, seed)


@_dual
def lecun_uniform(seed=None):
    """U(±sqrt(3 / fan_in))."""
    return VarianceScaling(1., "fan_in", "uniform", seed)


@_dual
def glorot_normal(seed=None):
    """N(0, 2 / (fan_in + fan_out))."""
    return VarianceScaling(1., "fan_avg", "normal", seed)


@_dual
def glorot_uniform(seed=None):
    """U(±sqrt(6 / (fan_in + fan_out)))."""
    return VarianceScaling(1., "fan_avg", "uniform", seed)


@_dual
def he_normal(seed=None):
    """N(0, 2 / fan_in)."""
    return VarianceScaling(2., "fan_in", "normal", seed)


@_dual
def he_uniform(seed=None):
    """U(±sqrt(6 / fan_in))."""
    return VarianceScaling(2., "fan_in", "uniform", seed)


@_dual
def lecun_normal(seed=None):
    """N(0, 1 / fan_in)."""
    return VarianceScaling(1., "fan_in", "normal", seed)


@_dual
def orthogonal(scale=1.1, seed=None):
    """``scale`` times a random orthogonal matrix."""
    return Orthogonal(scale, seed)


@_dual
def identity(scale=1):
    """``scale`` times the identity (square 2-d shapes only)."""
    return Identity(scale)


@_dual
def zero():
    """All zeros."""
    return Zeros()


@_dual
def one():
    """All ones."""
    return Ones()


# Keras 2's lower-case names and class spellings.
zeros, ones = zero, one
random_uniform, random_normal = RandomUniform, RandomNormal
constant = Constant
TruncatedNormal = RandomNormal  # no truncation in Keras 1.2.2's draws; kept for the name

_BY_NAME = {
    "uniform": uniform, "normal": normal, "lecun_uniform": lecun_uniform,
    "lecun_normal": lecun_normal, "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform, "he_normal": he_normal, "he_uniform": he_uniform,
    "orthogonal": orthogonal, "identity": identity, "zero": zero, "one": one,
    "zeros": zero, "ones": one,
    # Keras 2 class names, instantiated with their defaults when named by string.
    "random_uniform": RandomUniform, "random_normal": RandomNormal, "constant": Constant,
    "truncated_normal": TruncatedNormal,
}
_CLASSES = {cls.__name__: cls for cls in (Zeros, Ones, Constant, RandomUniform, RandomNormal,
                                          VarianceScaling, Orthogonal, Identity)}
_CLASSES["TruncatedNormal"] = TruncatedNormal


def get(identifier, **kwargs):
    """An initializer from a name (``'glorot_uniform'``, Keras 2's ``'zeros'``), a config
    dict, an initializer object or any callable ``init(shape, name=None)``."""
    if isinstance(identifier, str):
        if identifier in _CLASSES:
            return _CLASSES[identifier](**kwargs)
        found = lookup(identifier, _BY_NAME, "initialization")
        if isinstance(found, type):
            return found(**kwargs)
        if kwargs:
            return found(None, **kwargs)
        return found
    if isinstance(identifier, dict):
        name, config = split_config(identifier, "initialization")
        if name in _CLASSES:
            return _CLASSES[name].from_config(config)
        return get(name, **config)
    if callable(identifier):
        return identifier
    raise TypeError(f"initialization: expected a name, a config dict or a callable, "
                    f"got {type(identifier).__name__} {identifier!r}")


def serialize(initializer):
    """A name Keras 1.2.2 writes into layer configs (``'glorot_uniform'``) for the
    built-in functions; a class config dict for initializer objects."""
    if isinstance(initializer, Initializer):
        return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
    return getattr(initializer, "__name__", initializer)
