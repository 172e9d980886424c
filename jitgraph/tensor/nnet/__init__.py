"""``theano.tensor.nnet``: activations and losses for neural networks."""
from jitgraph.tensor.basic import sigmoid, softplus  # noqa: F401

__all__ = ["sigmoid", "softplus"]
