"""Layers, importable as Keras 1 (``layers.core.Dense``) and Keras 2/3
(``layers.Dense``) spell them."""
from jitgraph.keras.engine.topology import Input, InputLayer, Layer, layer_from_config  # noqa: F401
from jitgraph.keras.layers import core, embeddings, normalization  # noqa: F401
from jitgraph.keras.layers.core import Activation, Dense, Dropout, Flatten, Lambda, Reshape  # noqa: F401
from jitgraph.keras.layers.embeddings import Embedding  # noqa: F401
from jitgraph.keras.layers.normalization import BatchNormalization  # noqa: F401


def deserialize(config, custom_objects=None):
    """Keras 2's name for ``layer_from_config``."""
    return layer_from_config(config, custom_objects)


__all__ = ["Input", "InputLayer", "Layer", "Dense", "Activation", "Dropout", "Flatten",
           "Reshape", "Lambda", "Embedding", "BatchNormalization", "layer_from_config",
           "deserialize", "core", "embeddings", "normalization"]
