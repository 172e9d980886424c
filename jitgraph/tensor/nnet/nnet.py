"""``theano.tensor.nnet.nnet``: Theano's module of softmax, cross-entropy and activation
functions (``from theano.tensor.nnet.nnet import softmax`` keeps working)."""
from jitgraph.tensor.nnet.activations import elu, relu, scalar_softsign, selu, softsign  # noqa: F401
from jitgraph.tensor.nnet.crossentropy import *  # noqa: F401,F403
from jitgraph.tensor.nnet.crossentropy import __all__ as _crossentropy_all
from jitgraph.tensor.nnet.prepend import *  # noqa: F401,F403
from jitgraph.tensor.nnet.prepend import __all__ as _prepend_all
from jitgraph.tensor.nnet.sigm import sigmoid, softplus  # noqa: F401
from jitgraph.tensor.nnet.softmax import *  # noqa: F401,F403
from jitgraph.tensor.nnet.softmax import __all__ as _softmax_all

__all__ = list(_softmax_all) + list(_crossentropy_all) + list(_prepend_all) + [
    "relu", "elu", "selu", "softsign", "scalar_softsign", "sigmoid", "softplus"]
