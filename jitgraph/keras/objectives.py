"""Keras 1's module name for the losses (``keras.objectives``)."""
from jitgraph.keras.losses import *  # noqa: F401,F403
from jitgraph.keras.losses import get, serialize  # noqa: F401
