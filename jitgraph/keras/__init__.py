"""Keras 1.2.2's API (with Keras 2/3 spellings) on jitgraph's symbolic graphs.

Everything here is built from jitgraph's public API only: ``jitgraph.function``,
``jitgraph.shared``, ``jitgraph.tensor``, ``jitgraph.tensor.nnet``,
``MRG_RandomStreams`` and ``jitgraph.grad``.
"""

# Written into saved model files as the ``keras_version`` attribute: the file format is
# Keras 1.2.2's.
keras_version = "1.2.2"
__version__ = keras_version
