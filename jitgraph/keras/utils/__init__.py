"""Keras utilities: ``to_categorical`` (``keras.utils`` and ``keras.utils.np_utils``)."""
from jitgraph.keras.utils import generic_utils, np_utils  # noqa: F401
from jitgraph.keras.utils.generic_utils import custom_object_scope, get_custom_objects  # noqa: F401
from jitgraph.keras.utils.np_utils import normalize, to_categorical  # noqa: F401
