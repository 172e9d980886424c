"""``theano.tensor.nnet``: activations, softmax and losses for neural networks.

Theano's submodules keep their paths: ``nnet.nnet`` (softmax, cross-entropies,
activations), ``nnet.sigm`` (the sigmoid family) and ``nnet.bn``.
"""
from jitgraph.tensor.nnet import bn, nnet, sigm  # noqa: F401
from jitgraph.tensor.nnet.bn import batch_normalization  # noqa: F401
from jitgraph.tensor.nnet.nnet import *  # noqa: F401,F403
from jitgraph.tensor.nnet.nnet import __all__ as _nnet_all
from jitgraph.tensor.nnet.sigm import *  # noqa: F401,F403
from jitgraph.tensor.nnet.sigm import __all__ as _sigm_all

__all__ = sorted(set(_nnet_all) | set(_sigm_all)) + ["batch_normalization", "nnet", "sigm", "bn"]
