"""Compiling graphs into callables: ``function``, ``shared``, ``In``, ``Out``, modes."""
from jitgraph.compile.function import Function, MissingInputError, UnusedInputError, function  # noqa: F401
from jitgraph.compile.io import In, Out, Param  # noqa: F401
from jitgraph.compile.mode import FAST_COMPILE, FAST_RUN, Mode, get_mode  # noqa: F401
from jitgraph.compile.sharedvalue import SharedVariable, TensorSharedVariable, shared  # noqa: F401
