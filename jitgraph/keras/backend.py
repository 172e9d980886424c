"""Keras 1.2.2's backend functions (``keras.backend``, the Theano backend) on jitgraph.

Custom losses, metrics and ``Lambda`` layers are written against these names. Argument
orders are Keras 1.2.2's (``categorical_crossentropy(output, target)``); a few Keras 2
names (``less``, ``image_data_format``) are accepted as aliases.

Keras keeps its own float type (``floatx()``, float32) for weights and placeholders,
whatever ``jitgraph.config.floatX`` says. Keras 1.2.2 forced Theano's floatX to float32
on import; we don't touch the global setting, and instead offer ``floatx_scope()`` for
code that builds a whole Keras graph (Python float constants then stay float32, as they
did under Keras).
"""
import builtins
import contextlib
from collections import defaultdict

import numpy as np

import jitgraph
import jitgraph.tensor as T
from jitgraph.ifelse import ifelse as _ifelse
from jitgraph.sandbox.rng_mrg import MRG_RandomStreams

# ----------------------------------------------------------------- configuration

_FLOATX = "float32"
_EPSILON = 10e-8          # Keras 1.2.2's fuzz factor: 1e-7
_IMAGE_DIM_ORDERING = "th"
_UID_PREFIXES = defaultdict(int)


def backend():
    """The backend's name. jitgraph runs Theano programs, so Keras code that asks which
    backend it has (for dim ordering, say) takes its Theano branch."""
    return "theano"


def epsilon():
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def floatx():
    return _FLOATX


def set_floatx(value):
    global _FLOATX
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"set_floatx: expected 'float16', 'float32' or 'float64', got {value!r}")
    _FLOATX = str(value)


def cast_to_floatx(x):
    return np.asarray(x, dtype=_FLOATX)


@contextlib.contextmanager
def floatx_scope():
    """Build graphs with Python float constants typed as ``floatx()``, as under Keras."""
    with jitgraph.change_flags(floatX=_FLOATX):
        yield


def image_dim_ordering():
    return _IMAGE_DIM_ORDERING


def set_image_dim_ordering(dim_ordering):
    global _IMAGE_DIM_ORDERING
    if dim_ordering not in ("th", "tf"):
        raise ValueError(f"set_image_dim_ordering: expected 'th' or 'tf', got {dim_ordering!r}")
    _IMAGE_DIM_ORDERING = dim_ordering


def image_data_format():
    """Keras 2's spelling of ``image_dim_ordering``."""
    return "channels_first" if _IMAGE_DIM_ORDERING == "th" else "channels_last"


def set_image_data_format(data_format):
    orderings = {"channels_first": "th", "channels_last": "tf"}
    if data_format not in orderings:
        raise ValueError("set_image_data_format: expected 'channels_first' or 'channels_last', "
                         f"got {data_format!r}")
    set_image_dim_ordering(orderings[data_format])


def get_uid(prefix=""):
    """1, 2, 3, ... for each prefix: the numbers in default layer names (``dense_1``)."""
    _UID_PREFIXES[prefix] += 1
    return _UID_PREFIXES[prefix]


def reset_uids():
    _UID_PREFIXES.clear()


def is_keras_tensor(x):
    return hasattr(x, "_keras_shape")


# ----------------------------------------------------------------- learning phase

# 0 = test, 1 = train; a symbolic uint8 scalar fed by the training loop unless fixed.
_LEARNING_PHASE = T.scalar(dtype="uint8", name="keras_learning_phase")


def learning_phase():
    return _LEARNING_PHASE


def set_learning_phase(value):
    global _LEARNING_PHASE
    if value not in (0, 1):
        raise ValueError(f"set_learning_phase: expected 0 or 1, got {value!r}")
    _LEARNING_PHASE = value


def _evaluate_if_callable(x):
    return x() if callable(x) else x


def in_train_phase(x, alt):
    """``x`` while training, ``alt`` otherwise (either may be a callable making it)."""
    x, alt = _evaluate_if_callable(x), _evaluate_if_callable(alt)
    if isinstance(_LEARNING_PHASE, int):
        return x if _LEARNING_PHASE == 1 else alt
    out = _ifelse(_LEARNING_PHASE, x, alt)
    out._uses_learning_phase = True
    return out


def in_test_phase(x, alt):
    return in_train_phase(alt, x)


# ----------------------------------------------------------------- variables

def variable(value, dtype=None, name=None):
    """A shared variable holding a copy of ``value`` as ``dtype`` (default floatx)."""
    value = np.asarray(value, dtype=dtype or _FLOATX)
    var = jitgraph.shared(value, name=name)
    var._keras_shape = value.shape
    var._uses_learning_phase = False
    return var


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None):
    """A symbolic input; ``shape`` may hold None for unknown sizes."""
    if sparse:
        raise NotImplementedError("placeholder(sparse=True): jitgraph has no sparse tensors")
    if shape is None and ndim is None:
        raise ValueError("placeholder: give a shape or an ndim")
    if shape is not None:
        shape = tuple(shape)
        ndim = len(shape)
    else:
        shape = (None,) * ndim
    x = T.TensorType(dtype or _FLOATX, (False,) * ndim)(name)
    x._keras_shape = shape
    x._uses_learning_phase = False
    return x


def shape(x):
    return x.shape


def int_shape(x):
    """The static shape Keras recorded on ``x`` (ints and None)."""
    if hasattr(x, "_keras_shape"):
        return x._keras_shape
    if hasattr(x, "get_value"):
        return x.get_value(borrow=True).shape
    raise TypeError(f"int_shape: {x!r} is not a Keras tensor or variable (it has no known shape)")


def ndim(x):
    return x.ndim


def dtype(x):
    return x.dtype


def eval(x):
    """The value of expression ``x`` (no inputs allowed)."""
    return jitgraph.function([], x, on_unused_input="ignore")()


def zeros(shape, dtype=None, name=None):
    return variable(np.zeros(shape), dtype, name)


def ones(shape, dtype=None, name=None):
    return variable(np.ones(shape), dtype, name)


def eye(size, dtype=None, name=None):
    return variable(np.eye(size), dtype, name)


def ones_like(x, dtype=None, name=None):
    return T.ones_like(x, dtype=dtype)


def zeros_like(x, dtype=None, name=None):
    return T.zeros_like(x, dtype=dtype)


def random_uniform_variable(shape, low, high, dtype=None, name=None):
    # numpy's global generator, as Keras: np.random.seed(n) fixes the initial weights.
    return variable(np.random.uniform(low=low, high=high, size=shape), dtype, name)


def random_normal_variable(shape, mean, scale, dtype=None, name=None):
    # Keras 1.2.2 draws with mean 0 whatever ``mean`` says; we honour ``mean``, which
    # is the same draw (numpy adds loc after scaling) for every mean Keras itself uses.
    return variable(np.random.normal(loc=mean, scale=scale, size=shape), dtype, name)


def count_params(x):
    return int(np.prod(x.get_value(borrow=True).shape))


def cast(x, dtype):
    return T.cast(x, dtype)


def get_value(x):
    if not hasattr(x, "get_value"):
        raise TypeError("get_value: expected a shared variable; for an expression use eval()")
    return x.get_value()


def batch_get_value(xs):
    return [get_value(x) for x in xs]


def set_value(x, value):
    x.set_value(np.asarray(value, dtype=x.dtype))


def batch_set_value(pairs):
    for x, value in pairs:
        set_value(x, value)


def get_variable_shape(x):
    return x.get_value(borrow=True).shape


# ----------------------------------------------------------------- updates

def update(x, new_x):
    """An update pair; the new value is cast to ``x``'s dtype so that a float64
    expression never changes a float32 weight's type."""
    return (x, T.cast(new_x, x.dtype))


def update_add(x, increment):
    return update(x, x + increment)


def update_sub(x, decrement):
    return update(x, x - decrement)


def moving_average_update(variable, value, momentum):
    return update(variable, variable * momentum + value * (1. - momentum))


# ----------------------------------------------------------------- linear algebra

def dot(x, y):
    return T.dot(x, y)


def batch_dot(x, y, axes=None):
    """Per-sample dot product over axes ``(axes[0] of x, axes[1] of y)``; both share
    the batch axis 0. A rank-1 result becomes ``(batch, 1)``, as in Keras."""
    if isinstance(axes, int):
        axes = (axes, axes)
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 2)
    ax, ay = (a % n for a, n in zip(axes, (x.ndim, y.ndim)))
    if ax == 0 or ay == 0:
        raise ValueError(f"batch_dot: cannot sum over the batch axis (axes={tuple(axes)})")
    # Move the summed axis of x last and of y to position 1, then broadcast:
    # x -> (b, x_rest..., k, 1...), y -> (b, 1..., k, y_rest...), multiply, sum over k.
    x_rest = [i for i in range(1, x.ndim) if i != ax]
    y_rest = [i for i in range(1, y.ndim) if i != ay]
    xs = x.dimshuffle([0] + x_rest + [ax] + ["x"] * len(y_rest))
    ys = y.dimshuffle([0] + ["x"] * len(x_rest) + [ay] + y_rest)
    out = T.sum(xs * ys, axis=1 + len(x_rest))
    if out.ndim == 1:
        out = expand_dims(out, 1)
    return out


def transpose(x):
    return T.transpose(x)


def gather(reference, indices):
    return reference[indices]


# ----------------------------------------------------------------- reductions

def max(x, axis=None, keepdims=False):
    return T.max(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    return T.min(x, axis=axis, keepdims=keepdims)


def sum(x, axis=None, keepdims=False):
    return T.sum(x, axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    return T.prod(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    # Integer and boolean means are floatx, as in Keras.
    dtype = _FLOATX if ("int" in x.dtype or x.dtype == "bool") else None
    return T.mean(x, axis=axis, keepdims=keepdims, dtype=dtype)


def std(x, axis=None, keepdims=False):
    return T.std(x, axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return T.var(x, axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):
    return T.any(x, axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    return T.all(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    return T.argmax(x, axis=axis, keepdims=False)


def argmin(x, axis=-1):
    return T.argmin(x, axis=axis, keepdims=False)


# ----------------------------------------------------------------- elementwise

def square(x):
    return T.sqr(x)


def abs(x):
    return T.abs_(x)


def sqrt(x):
    # Keras clips at 0 first, so rounding below zero gives 0, not nan.
    return T.sqrt(T.clip(x, 0., np.inf))


def exp(x):
    return T.exp(x)


def log(x):
    return T.log(x)


def round(x):
    return T.round(x, mode="half_to_even")


def sign(x):
    return T.sgn(x)


def pow(x, a):
    return T.pow(x, a)


def clip(x, min_value, max_value):
    if max_value is not None and max_value < min_value:
        max_value = min_value
    if max_value is None:
        max_value = np.inf
    return T.clip(x, min_value, max_value)


def equal(x, y):
    return T.eq(x, y)


def not_equal(x, y):
    return T.neq(x, y)


def greater(x, y):
    return T.gt(x, y)


def greater_equal(x, y):
    return T.ge(x, y)


def lesser(x, y):
    return T.lt(x, y)


def lesser_equal(x, y):
    return T.le(x, y)


less = lesser                # Keras 2's names
less_equal = lesser_equal


def maximum(x, y):
    return T.maximum(x, y)


def minimum(x, y):
    return T.minimum(x, y)


def sin(x):
    return T.sin(x)


def cos(x):
    return T.cos(x)


# ----------------------------------------------------------------- batch normalization

def normalize_batch_in_training(x, gamma, beta, reduction_axes, epsilon=1e-3):
    """(normalized x, batch mean, batch variance) over ``reduction_axes``."""
    reduction_axes = list(reduction_axes)
    mean_ = T.mean(x, axis=reduction_axes, keepdims=True)
    var_ = T.mean(T.sqr(x - mean_), axis=reduction_axes, keepdims=True)
    kept = [i for i in range(x.ndim) if i not in reduction_axes]
    normed = batch_normalization(x, mean_, var_, _broadcast_like(beta, x, kept),
                                 _broadcast_like(gamma, x, kept), epsilon)
    return normed, _squeeze_axes(mean_, reduction_axes), _squeeze_axes(var_, reduction_axes)


def _broadcast_like(param, x, kept_axes):
    """A per-feature parameter (shape of the kept axes) laid out to broadcast with x."""
    if param.ndim == x.ndim:
        return param
    pattern, k = [], 0
    for i in range(x.ndim):
        if i in kept_axes:
            pattern.append(k)
            k += 1
        else:
            pattern.append("x")
    return param.dimshuffle(pattern)


def _squeeze_axes(x, axes):
    return x.dimshuffle([i for i in range(x.ndim) if i not in axes])


def batch_normalization(x, mean, var, beta, gamma, epsilon=1e-3):
    return (x - mean) * (gamma / T.sqrt(var + epsilon)) + beta


# ----------------------------------------------------------------- shapes

def concatenate(tensors, axis=-1):
    return T.concatenate(list(tensors), axis=axis)


def reshape(x, shape):
    y = T.reshape(x, shape)
    if isinstance(shape, (tuple, list)) and builtins.all(s is None or isinstance(s, int)
                                                          for s in shape):
        y._keras_shape = tuple(shape)
        y._uses_learning_phase = getattr(x, "_uses_learning_phase", False)
    return y


def permute_dimensions(x, pattern):
    return x.dimshuffle(tuple(pattern))


def repeat_elements(x, rep, axis):
    return T.repeat(x, rep, axis=axis)


def repeat(x, n):
    """(samples, dim) -> (samples, n, dim)."""
    if x.ndim != 2:
        raise ValueError(f"repeat: expected a 2-d tensor, got {x.ndim}-d")
    return T.repeat(x.dimshuffle(0, "x", 1), n, axis=1)


def arange(start, stop=None, step=1, dtype="int32"):
    return T.arange(start, stop=stop, step=step, dtype=dtype)


def tile(x, n):
    return T.tile(x, n)


def flatten(x):
    return T.flatten(x)


def batch_flatten(x):
    """(batch, ...) -> (batch, product of the rest)."""
    return T.reshape(x, (x.shape[0], T.prod(x.shape[1:])))


def expand_dims(x, dim=-1):
    pattern = list(range(x.ndim))
    if dim < 0:
        dim = 0 if x.ndim == 0 else dim % x.ndim + 1
    pattern.insert(dim, "x")
    return x.dimshuffle(pattern)


def squeeze(x, axis):
    """Drop axis ``axis``, which must have length 1."""
    axis = axis % x.ndim
    shape = [x.shape[i] for i in range(x.ndim) if i != axis]
    return T.reshape(x, shape, ndim=x.ndim - 1)


def stack(x):
    return T.stack(list(x))


def one_hot(indices, nb_classes):
    """Integer tensor (...) -> (..., nb_classes) of floatx zeros and ones."""
    classes = T.arange(nb_classes)
    return T.cast(T.eq(indices.dimshuffle(list(range(indices.ndim)) + ["x"]), classes), _FLOATX)


def reverse(x, axes):
    if isinstance(axes, int):
        axes = [axes]
    axes = [a % x.ndim for a in axes]
    return x[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))]


def pattern_broadcast(x, broadcastable):
    return T.patternbroadcast(x, broadcastable)


# ----------------------------------------------------------------- graph

class Function:
    """A compiled Keras function, called with a list of input values; returns a list."""

    def __init__(self, inputs, outputs, updates=(), **kwargs):
        unique = {}
        for var_, new in updates:
            unique.setdefault(var_, new)  # Keras keeps the first update of a variable
        self.function = jitgraph.function(list(inputs), list(outputs), updates=list(unique.items()),
                                          allow_input_downcast=True, on_unused_input="ignore",
                                          **kwargs)

    def __call__(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise TypeError(f"Keras function: call it with a list of input values, "
                            f"not a {type(inputs).__name__}")
        return self.function(*inputs)


_FUNCTION_KWARGS = {"mode", "givens", "name", "profile", "no_default_updates"}


def function(inputs, outputs, updates=(), **kwargs):
    unknown = sorted(set(kwargs) - _FUNCTION_KWARGS)
    if unknown:
        raise ValueError(f"function: invalid argument(s) {', '.join(unknown)}; "
                         f"accepted: {', '.join(sorted(_FUNCTION_KWARGS))}")
    return Function(inputs, outputs, updates=updates, **kwargs)


def gradients(loss, variables):
    return jitgraph.grad(loss, list(variables))


def stop_gradient(variables):
    return jitgraph.gradient.disconnected_grad(variables)


def switch(condition, then_expression, else_expression):
    return T.switch(condition, _evaluate_if_callable(then_expression),
                    _evaluate_if_callable(else_expression))


# ----------------------------------------------------------------- neural network functions

def elu(x, alpha=1.0):
    return T.nnet.elu(x, alpha)


def relu(x, alpha=0., max_value=None):
    x = T.nnet.relu(x, alpha)
    if max_value is not None:
        x = T.minimum(x, max_value)
    return x


def softmax(x):
    return T.nnet.softmax(x)


def softplus(x):
    return T.nnet.softplus(x)


def softsign(x):
    return T.nnet.softsign(x)


def sigmoid(x):
    return T.nnet.sigmoid(x)


def hard_sigmoid(x):
    return T.nnet.hard_sigmoid(x)


def tanh(x):
    return T.tanh(x)


def categorical_crossentropy(output, target, from_logits=False):
    """Per-sample cross entropy; ``output`` is renormalised to sum to 1 and clipped to
    [eps, 1-eps] (Keras 1.2.2's argument order: output first)."""
    if from_logits:
        output = T.nnet.softmax(output)
    else:
        output = output / output.sum(axis=-1, keepdims=True)
    output = T.clip(output, _EPSILON, 1.0 - _EPSILON)
    return T.nnet.categorical_crossentropy(output, target)


def sparse_categorical_crossentropy(output, target, from_logits=False):
    """``target`` holds class indices (any shape with output's number of samples)."""
    target = T.cast(T.flatten(target), "int64")
    target = one_hot(target, output.shape[-1])
    target = T.reshape(target, output.shape, ndim=output.ndim)
    return categorical_crossentropy(output, target, from_logits)


def binary_crossentropy(output, target, from_logits=False):
    if from_logits:
        output = T.nnet.sigmoid(output)
    output = T.clip(output, _EPSILON, 1.0 - _EPSILON)
    return T.nnet.binary_crossentropy(output, target)


def dropout(x, level, noise_shape=None, seed=None):
    """Inverted dropout: zero each entry with probability ``level`` and scale the rest
    by 1/(1-level). The mask comes from MRG_RandomStreams seeded from numpy's global
    generator (as Keras), so np.random.seed(n) makes it repeatable."""
    if not 0. <= level < 1.:
        raise ValueError(f"dropout: level must be in [0, 1), got {level}")
    if seed is None:
        seed = np.random.randint(1, 10000000)
    rng = MRG_RandomStreams(seed=seed)
    retain = 1. - level
    if noise_shape is None:
        mask = rng.binomial(x.shape, p=retain, dtype=x.dtype)
    else:
        noise_shape = tuple(noise_shape)
        mask = rng.binomial(noise_shape, p=retain, dtype=x.dtype)
        mask = T.patternbroadcast(mask, [d == 1 for d in noise_shape])
    return x * mask / np.asarray(retain, dtype=x.dtype)


def l2_normalize(x, axis):
    return x / T.sqrt(T.sum(T.sqr(x), axis=axis, keepdims=True))


def in_top_k(predictions, targets, k):
    """1 where target class ``targets[i]`` is among the ``k`` largest predictions of
    row i (fewer than k entries strictly larger than it), else 0."""
    target_scores = predictions[T.arange(predictions.shape[0]), targets]
    larger = T.sum(T.gt(predictions, target_scores.dimshuffle(0, "x")), axis=1)
    return T.lt(larger, k)


# ----------------------------------------------------------------- randomness

def _stream(seed):
    return MRG_RandomStreams(seed=np.random.randint(1, 10000000) if seed is None else seed)


def random_normal(shape, mean=0.0, std=1.0, dtype=None, seed=None):
    return _stream(seed).normal(size=shape, avg=mean, std=std, dtype=dtype or _FLOATX)


def random_uniform(shape, low=0.0, high=1.0, dtype=None, seed=None):
    return _stream(seed).uniform(shape, low=low, high=high, dtype=dtype or _FLOATX)


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    return _stream(seed).binomial(shape, p=p, dtype=dtype or _FLOATX)
