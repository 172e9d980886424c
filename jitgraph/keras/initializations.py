"""Keras 1's module name for the initializers (``keras.initializations``)."""
from jitgraph.keras.initializers import *  # noqa: F401,F403
from jitgraph.keras.initializers import get, get_fans, serialize  # noqa: F401
