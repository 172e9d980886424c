"""Keras 1's ``keras.engine``: layers and nodes (``topology``), graphs of layers
(``container``) and the training loop (``training``)."""
from jitgraph.keras.engine.topology import Input, InputLayer, Layer, Node  # noqa: F401
from jitgraph.keras.engine.container import Container  # noqa: F401
from jitgraph.keras.engine.training import Model  # noqa: F401
