"""Lowerings of the core tensor ops to kernel IR steps."""
from jitgraph.codegen import ir
from jitgraph.codegen.lower import c_literal, convert, register_lowering
from jitgraph.gradient import _GradIdentity
from jitgraph.scalar.basic import c_type, get_scalar_op
from jitgraph.tensor.math import Argmax, Dot
from jitgraph.tensor.shape import Alloc, MakeVector, Rebroadcast, Reshape, Shape
from jitgraph.tensor.elemwise import CAReduce, DimShuffle, Elemwise
from jitgraph.tensor.subtensor import IncSubtensor, Subtensor


def elementwise_step(ctx, node, scalar_op, in_bufs, in_bcasts, out_buf, out_bcast, alloc=True):
    """One ElementwiseLoop applying ``scalar_op`` to ``in_bufs`` into ``out_buf``."""
    loads = [c_literal(b.const_data, b.dtype) if b.role == "const" else f"v{j}" for j, b in enumerate(in_bufs)]
    in_dtypes = [b.dtype for b in in_bufs]
    out_dtype = out_buf.dtype
    op_dtypes = scalar_op.operand_dtypes(in_dtypes, out_dtype)
    operands = [convert(ld, d, od) for ld, d, od in zip(loads, in_dtypes, op_dtypes)]
    expr = scalar_op.c_code(in_dtypes, out_dtype, operands)
    stmt = ir.ScalarStmt("r0", c_type(out_dtype), f"({c_type(out_dtype)})({expr})")
    ctx.add(ir.ElementwiseLoop([node], outs=[out_buf], ins=list(in_bufs), in_bcast=[tuple(b) for b in in_bcasts],
                               loads=loads, stmts=[stmt], results=["r0"], out_bcast=tuple(out_bcast),
                               alloc_outs=[alloc]))


@register_lowering(Elemwise)
def lower_elemwise(ctx, node):
    out_var = node.outputs[0]
    elementwise_step(ctx, node, node.op.scalar_op, [ctx.buf(v) for v in node.inputs],
                     [v.broadcastable for v in node.inputs], ctx.result(out_var), out_var.broadcastable)


_REDUCE_OPS = {"add": "add", "mul": "mul", "maximum": "max", "minimum": "min", "and_": "and", "or_": "or"}


def _acc_dtype(op, in_dtype, out_dtype):
    if op in ("add", "mul"):
        if out_dtype in ("float32", "float64"):
            return "float64"
        return out_dtype
    if op in ("and", "or"):
        return "bool"
    return in_dtype


@register_lowering(CAReduce)
def lower_careduce(ctx, node):
    op = _REDUCE_OPS[node.op.scalar_op.name]
    (x,) = node.inputs
    out = node.outputs[0]
    ctx.add(ir.Reduction([node], out=ctx.result(out), inp=ctx.buf(x), axes=tuple(node.op.axis), op=op,
                         acc_dtype=_acc_dtype(op, x.dtype, out.dtype)))


@register_lowering(Argmax)
def lower_argmax(ctx, node):
    (x,) = node.inputs
    op = "argmin" if node.op.minimum else "argmax"
    ctx.add(ir.Reduction([node], out=ctx.result(node.outputs[0]), inp=ctx.buf(x), axes=tuple(node.op.axis),
                         op=op, acc_dtype=x.dtype))


@register_lowering(Dot)
def lower_dot(ctx, node):
    x, y = node.inputs
    out = node.outputs[0]
    xb, yb = ctx.buf(x), ctx.buf(y)
    if x.dtype != out.dtype or y.dtype != out.dtype:
        xb, yb = _converted(ctx, node, x, out.dtype), _converted(ctx, node, y, out.dtype)
    if out.dtype in ("float32", "float64"):
        ctx.uses_blas = True
    ctx.add(ir.MatMul([node], out=ctx.result(out), x=xb, y=yb))


def _converted(ctx, node, var, dtype):
    b = ctx.buf(var)
    if var.dtype == dtype:
        return b
    tmp = ctx.scratch(dtype, var.ndim)
    elementwise_step(ctx, node, get_scalar_op("identity"), [b], [var.broadcastable], tmp, var.broadcastable)
    return tmp


@register_lowering(DimShuffle)
def lower_dimshuffle(ctx, node):
    ctx.add(ir.View([node], out=ctx.view(node.outputs[0]), inp=ctx.buf(node.inputs[0]), kind="dimshuffle",
                    params=tuple(node.op.new_order)))


@register_lowering(Rebroadcast)
def lower_rebroadcast(ctx, node):
    ctx.add(ir.View([node], out=ctx.view(node.outputs[0]), inp=ctx.buf(node.inputs[0]), kind="rebroadcast",
                    params=tuple(node.op.pattern)))


@register_lowering(_GradIdentity)
def lower_identity_view(ctx, node):
    ctx.add(ir.View([node], out=ctx.view(node.outputs[0]), inp=ctx.buf(node.inputs[0]), kind="rebroadcast",
                    params=tuple(node.outputs[0].broadcastable)))


@register_lowering(Reshape)
def lower_reshape(ctx, node):
    x, shp = node.inputs
    ctx.add(ir.View([node], out=ctx.view(node.outputs[0]), inp=ctx.buf(x), kind="reshape",
                    params=(node.op.ndim,), extra=[ctx.buf(shp)]))


@register_lowering(Subtensor)
def lower_subtensor(ctx, node):
    ctx.add(ir.View([node], out=ctx.view(node.outputs[0]), inp=ctx.buf(node.inputs[0]), kind="slice",
                    params=tuple(node.op.idx_list), extra=[ctx.buf(v) for v in node.inputs[1:]]))


@register_lowering(IncSubtensor)
def lower_incsubtensor(ctx, node):
    x, y = node.inputs[0], node.inputs[1]
    out = ctx.result(node.outputs[0])
    ctx.add(ir.Copy([node], out=out, inp=ctx.buf(x)))
    ndim = Subtensor(node.op.idx_list).make_node(x, *node.inputs[2:]).outputs[0].ndim
    region = ctx.scratch(x.dtype, ndim, role="view")
    ctx.add(ir.View([node], out=region, inp=out, kind="slice", params=tuple(node.op.idx_list),
                    extra=[ctx.buf(v) for v in node.inputs[2:]]))
    yb, y_bcast = _padleft(ctx, node, y, ndim)
    scalar_op = get_scalar_op("second" if node.op.set_instead_of_inc else "add")
    elementwise_step(ctx, node, scalar_op, [region, yb], [(False,) * ndim, y_bcast], region, (False,) * ndim,
                     alloc=False)


def _padleft(ctx, node, var, ndim):
    """``var``'s buffer seen with ``ndim`` dimensions (new leading ones broadcast)."""
    b = ctx.buf(var)
    bcast = (True,) * (ndim - var.ndim) + tuple(var.broadcastable)
    if var.ndim == ndim or b.role == "const" and b.ndim == 0:
        return b, (bcast if var.ndim == ndim else (True,) * ndim)
    padded = ctx.scratch(var.dtype, ndim, role="view")
    ctx.add(ir.View([node], out=padded, inp=b, kind="dimshuffle",
                    params=tuple(["x"] * (ndim - var.ndim) + list(range(var.ndim)))))
    return padded, bcast


@register_lowering(Shape)
def lower_shape(ctx, node):
    ctx.add(ir.ShapeOf([node], out=ctx.result(node.outputs[0]), inp=ctx.buf(node.inputs[0])))


@register_lowering(MakeVector)
def lower_make_vector(ctx, node):
    ctx.add(ir.MakeVector([node], out=ctx.result(node.outputs[0]), ins=[ctx.buf(v) for v in node.inputs]))


@register_lowering(Alloc)
def lower_alloc(ctx, node):
    value = node.inputs[0]
    out_var = node.outputs[0]
    out = ctx.result(out_var)
    ctx.add(ir.AllocShape([node], out=out, dims=[ctx.buf(d) for d in node.inputs[1:]]))
    vb, v_bcast = _padleft(ctx, node, value, out_var.ndim)
    out_bcast = (False,) * out_var.ndim
    elementwise_step(ctx, node, get_scalar_op("second"), [out, vb], [out_bcast, v_bcast], out, out_bcast,
                     alloc=False)
