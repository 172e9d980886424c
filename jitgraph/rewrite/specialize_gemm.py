"""Specialize: a matrix product added to (or subtracted from) a matrix, possibly scaled by
a scalar, becomes one gemm call — ``W - lr * dot(x.T, g)`` is ``gemm(W, -lr, x.T, g, 1)``.
BLAS then accumulates into ``z``'s buffer instead of writing the product to a temporary
and reading it back; the ``inplace`` pass lets that buffer be the shared ``W`` itself."""
import numpy as np

from jitgraph.graph.basic import Constant
from jitgraph.rewrite import register_pass
from jitgraph.rewrite.stabilize import _op_name
from jitgraph.tensor.elemwise import DimShuffle, Elemwise
from jitgraph.tensor.math import Dot


def _only_client(fgraph, var, node):
    clients = fgraph.clients.get(var, [])
    return len(clients) == 1 and clients[0][0] is node


def _scalar_of(var):
    """The 0-d variable (or one-element constant) that ``var`` broadcasts, else None."""
    if not all(var.broadcastable):
        return None
    if isinstance(var, Constant) and np.asarray(var.data).size == 1:
        return var
    if var.owner is not None and isinstance(var.owner.op, DimShuffle) and var.owner.inputs[0].ndim == 0:
        return var.owner.inputs[0]
    return var if var.ndim == 0 else None


def _as_alpha(scalar, sign, dtype):
    """``sign * scalar`` as a 0-d variable of ``dtype``."""
    import jitgraph.tensor as T
    if isinstance(scalar, Constant):
        return T.constant(np.asarray(sign * np.asarray(scalar.data).reshape(()), dtype=dtype))
    alpha = T.cast(scalar, dtype) if scalar.dtype != dtype else scalar
    return -alpha if sign < 0 else alpha


def _scaled_product(fgraph, var, node):
    """``(scalar or None, sign, dot node)`` when ``var`` is ``±[s *] dot(x, y)`` of matrices
    read only by ``node``, else None."""
    if not _only_client(fgraph, var, node):
        return None
    sign, scale = 1, None
    while _op_name(var) == "neg":
        sign = -sign
        inner = var.owner.inputs[0]
        if not _only_client(fgraph, inner, var.owner):
            return None
        var = inner
    if _op_name(var) == "mul" and len(var.owner.inputs) == 2:
        mul = var.owner
        for k in (0, 1):
            s, other = _scalar_of(mul.inputs[k]), mul.inputs[1 - k]
            if s is not None and other.owner is not None and isinstance(other.owner.op, Dot) \
                    and _only_client(fgraph, other, mul) and s.dtype in ("float32", "float64", "int8", "int16",
                                                                          "int32", "int64", "uint8", "bool"):
                scale, var = s, other
                break
        else:
            return None
    if var.owner is None or not isinstance(var.owner.op, Dot):
        return None
    x, y = var.owner.inputs
    if x.ndim != 2 or y.ndim != 2:
        return None
    return scale, sign, var.owner


def _gemm_for(fgraph, node):
    import jitgraph.tensor as T
    from jitgraph.tensor.blas import gemm_no_inplace
    name = _op_name(node.outputs[0])
    out = node.outputs[0]
    if name not in ("add", "sub") or len(node.inputs) != 2 or out.ndim != 2 \
            or out.dtype not in ("float32", "float64") or any(out.broadcastable):
        return None
    for k in (0, 1):
        found = _scaled_product(fgraph, node.inputs[k], node)
        z = node.inputs[1 - k]
        if found is None or z.type != out.type:
            continue
        scale, sign, dot = found
        x, y = dot.inputs
        if x.dtype != out.dtype or y.dtype != out.dtype or dot.outputs[0].dtype != out.dtype:
            continue
        beta = 1
        if name == "sub":
            if k == 1:
                sign = -sign
            else:
                beta = -1
        alpha = _as_alpha(scale if scale is not None else T.constant(1), sign, out.dtype)
        return gemm_no_inplace(z, alpha, x, y, T.constant(np.asarray(beta, dtype=out.dtype)))
    return None


@register_pass("gemm")
def specialize_gemm(fgraph):
    """``z ± [s *] dot(x, y)`` of matrices -> one gemm call."""
    replacements = []
    for node in fgraph.toposort():
        if isinstance(node.op, Elemwise):
            new = _gemm_for(fgraph, node)
            if new is not None and new.type == node.outputs[0].type:
                replacements.append((node.outputs[0], new))
    if replacements:
        fgraph.replace_all(replacements)
    return len(replacements)
