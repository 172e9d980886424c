"""jitgraph: Theano's API — symbolic graphs, exact gradients, compiled functions.

``import jitgraph as theano; import jitgraph.tensor as T`` runs Theano programs.
"""
from jitgraph.config import config, change_flags  # noqa: F401
from jitgraph import tensor  # noqa: F401
from jitgraph import gradient, printing  # noqa: F401
from jitgraph import ifelse  # noqa: F401  (the module, as theano.ifelse)
from jitgraph.compile import (FAST_COMPILE, FAST_RUN, Function, In, Mode, Out, Param,  # noqa: F401
                              SharedVariable, function, shared)
from jitgraph.gradient import Lop, Rop, grad, verify_grad, zero_grad, disconnected_grad  # noqa: F401
from jitgraph.graph.basic import Apply, Constant, Op, Variable  # noqa: F401
from jitgraph.graph.fg import FunctionGraph  # noqa: F401
from jitgraph.printing import pp, debugprint  # noqa: F401

__version__ = "0.1.0"
