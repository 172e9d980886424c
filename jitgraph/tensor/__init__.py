"""Theano's ``theano.tensor`` namespace: symbolic arrays and the operations on them."""
from jitgraph.tensor.basic import *  # noqa: F401,F403
from jitgraph.tensor.basic import __all__ as _basic_all
from jitgraph.tensor.elemwise import CAReduce, DimShuffle, Elemwise  # noqa: F401
from jitgraph.tensor.math import *  # noqa: F401,F403
from jitgraph.tensor.math import __all__ as _math_all
from jitgraph.tensor.shape import *  # noqa: F401,F403
from jitgraph.tensor.shape import __all__ as _shape_all
from jitgraph.tensor.subtensor import *  # noqa: F401,F403
from jitgraph.tensor.subtensor import __all__ as _sub_all
from jitgraph.tensor.advanced_subtensor import *  # noqa: F401,F403
from jitgraph.tensor.advanced_subtensor import __all__ as _adv_sub_all
from jitgraph.tensor.join import *  # noqa: F401,F403
from jitgraph.tensor.join import __all__ as _join_all
from jitgraph.tensor.extra_ops import *  # noqa: F401,F403
from jitgraph.tensor.extra_ops import __all__ as _extra_ops_all
from jitgraph.tensor.type import TensorType  # noqa: F401
from jitgraph.tensor.var import TensorConstant, TensorVariable, as_tensor_variable, constant  # noqa: F401

from jitgraph.tensor import nnet  # noqa: E402,F401
from jitgraph.tensor import raw_random, shared_randomstreams  # noqa: E402,F401



def __getattr__(name):
    # Theano exposes the gradient helpers under theano.tensor too (T.grad, T.jacobian, ...).
    if name in ("grad", "jacobian", "hessian", "Rop", "Lop", "verify_grad", "zero_grad",
                "disconnected_grad"):
        import jitgraph.gradient
        return getattr(jitgraph.gradient, name)
    raise AttributeError(f"module 'jitgraph.tensor' has no attribute {name!r}")


__all__ = list(_basic_all) + list(_math_all) + list(_shape_all) + list(_sub_all) + [
    "Elemwise", "DimShuffle", "CAReduce", "nnet"]
__all__ += list(_adv_sub_all)
__all__ += list(_join_all) + list(_extra_ops_all)
