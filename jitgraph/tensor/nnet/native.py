"""How the nnet ops hand their native code to the backend: one ``TemplateStep`` per node,
rendered from a ``csrc_templates/nnet_*.c.tmpl`` file with the helpers of
``csrc_templates/nnet_support.h`` (row offsets, shapes in messages, class-index checks)."""


def nnet_template_step(ctx, node, template, inputs, outputs, params=None):
    """Add the step computing ``node`` from ``template``. ``inputs``/``outputs`` map the
    template's buffer placeholders to the node's input/output variables; ``params`` are
    literal texts for the template's other placeholders."""
    from jitgraph.codegen import ir   # the backend is imported only when compiling natively
    bufs = {name: ctx.buf(var) for name, var in inputs.items()}
    bufs.update({name: ctx.result(var) for name, var in outputs.items()})
    ctx.add(ir.TemplateStep([node], template=template, bufs=bufs, params=dict(params or {}),
                            support=("nnet_support.h",)))
