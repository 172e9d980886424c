"""BLAS-shaped ops the specialize rewrite forms (Theano's ``tensor.blas``).

``Gemm``: ``beta * z + alpha * dot(x, y)`` for matrices, one BLAS gemm call. Its in-place
form writes the result into ``z``'s storage: the ``inplace`` rewrite uses it for an update
``W - lr * dot(a, b)`` of a shared matrix, so a training step reuses ``W``'s memory.
"""
import numpy as np

from jitgraph.graph.basic import Apply, Op
from jitgraph.tensor.type import TensorType
from jitgraph.tensor.var import as_tensor_variable


class Gemm(Op):
    """``gemm(z, alpha, x, y, beta) = beta * z + alpha * dot(x, y)``; x, y, z matrices of one
    float dtype, alpha and beta scalars of that dtype. ``inplace``: the result is ``z``'s
    storage (``destroy_map``)."""

    __props__ = ("inplace",)

    def __init__(self, inplace=False):
        self.inplace = bool(inplace)
        if self.inplace:
            self.destroy_map = {0: [0]}

    def __str__(self):
        return "Gemm{inplace}" if self.inplace else "Gemm{no_inplace}"

    def make_node(self, z, alpha, x, y, beta):
        z, alpha, x, y, beta = (as_tensor_variable(v) for v in (z, alpha, x, y, beta))
        names = ("z", "alpha", "x", "y", "beta")
        for name, v, ndim in zip(names, (z, alpha, x, y, beta), (2, 0, 2, 2, 0)):
            if v.ndim != ndim:
                raise TypeError(f"gemm: {name} must have {ndim} dimension(s), got {v.type}")
            if v.dtype != z.dtype:
                raise TypeError(f"gemm: {name} has dtype {v.dtype}, expected {z.dtype} (the dtype of z)")
        if z.dtype not in ("float32", "float64"):
            raise TypeError(f"gemm: expected float32 or float64 operands, got {z.dtype}")
        bcast = (x.broadcastable[0], y.broadcastable[1])
        if tuple(z.broadcastable) != bcast:
            raise TypeError(f"gemm: z's broadcastable pattern {z.broadcastable} differs from dot(x, y)'s {bcast}")
        return Apply(self, [z, alpha, x, y, beta], [TensorType(z.dtype, bcast, shape=z.type.shape)()])

    def perform(self, node, inputs, output_storage):
        z, alpha, x, y, beta = inputs
        if x.shape[1] != y.shape[0] or z.shape != (x.shape[0], y.shape[1]):
            raise ValueError(f"gemm: shapes do not match: z {z.shape}, x {x.shape}, y {y.shape} "
                             f"(expected z of shape (x.shape[0], y.shape[1]) and x.shape[1] == y.shape[0])")
        product = np.dot(x, y)
        dtype = node.outputs[0].dtype
        alpha, beta = np.asarray(alpha, dtype), np.asarray(beta, dtype)
        if self.inplace:
            if beta != 1:
                z *= beta
            z += alpha * product
            output_storage[0][0] = z
        else:
            output_storage[0][0] = np.asarray(beta * z + alpha * product, dtype=dtype)

    def infer_shape(self, node, input_shapes):
        return [(input_shapes[2][0], input_shapes[3][1])]

    def grad(self, inputs, output_grads):
        import jitgraph.tensor as T
        z, alpha, x, y, beta = inputs
        (g,) = output_grads
        return [beta * g, T.sum(g * T.dot(x, y)), alpha * T.dot(g, y.T), alpha * T.dot(x.T, g), T.sum(g * z)]

    def lower(self, ctx, node):
        from jitgraph.codegen import ir
        z, alpha, x, y, beta = node.inputs
        out_var = node.outputs[0]
        if self.inplace:
            out = ctx.buf(z)
            ctx.buf_of[out_var] = out
        else:
            out = ctx.result(out_var)
        ctx.uses_blas = True
        ctx.add(ir.Gemm([node], out=out, z=ctx.buf(z), x=ctx.buf(x), y=ctx.buf(y), alpha=ctx.buf(alpha),
                        beta=ctx.buf(beta), inplace=self.inplace))


gemm_no_inplace = Gemm(inplace=False)
gemm_inplace = Gemm(inplace=True)
