"""Activation functions by name (Keras 1.2.2's ``keras.activations``)."""
from jitgraph.keras import backend as K
from jitgraph.keras.utils.generic_utils import lookup


def softmax(x):
    """Softmax over the last axis of a 2-d or 3-d tensor."""
    if x.ndim == 2:
        return K.softmax(x)
    if x.ndim == 3:
        e = K.exp(x - K.max(x, axis=-1, keepdims=True))
        return e / K.sum(e, axis=-1, keepdims=True)
    raise ValueError(f"softmax: expected a 2-d or 3-d tensor, got ndim={x.ndim}")


def elu(x, alpha=1.0):
    return K.elu(x, alpha)


def softplus(x):
    return K.softplus(x)


def softsign(x):
    return K.softsign(x)


def relu(x, alpha=0., max_value=None):
    return K.relu(x, alpha=alpha, max_value=max_value)


def tanh(x):
    return K.tanh(x)


def sigmoid(x):
    return K.sigmoid(x)


def hard_sigmoid(x):
    return K.hard_sigmoid(x)


def linear(x):
    return x


_BY_NAME = {f.__name__: f for f in (softmax, elu, softplus, softsign, relu, tanh, sigmoid,
                                    hard_sigmoid, linear)}


def get(identifier):
    """None (linear), a name or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        return lookup(identifier, _BY_NAME, "activation function")
    if callable(identifier):
        return identifier
    raise TypeError(f"activation: expected None, a name or a callable, "
                    f"got {type(identifier).__name__} {identifier!r}")


def serialize(activation):
    return activation.__name__
