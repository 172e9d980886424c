"""Looking at graphs: ``pp`` (an expression), ``debugprint`` (a tree with ids), ``Print``."""
import sys

from jitgraph.graph.basic import Apply, Op, Variable


def _elemwise_symbol(op):
    scalar_op = getattr(op, "scalar_op", None)
    return getattr(scalar_op, "symbol", None), getattr(scalar_op, "name", None)


_PP_NAMES = {"second": "fill", "true_div": "true_div"}


def pp(var):
    """A one-line infix rendering of ``var``'s expression, as Theano's ``pp``."""
    memo = {}

    def render(v):
        if v in memo:
            return memo[v]
        if v.owner is None:
            text = str(v)
        else:
            node = v.owner
            args = [render(i) for i in node.inputs]
            symbol, name = _elemwise_symbol(node.op)
            if symbol and name != "identity" and len(args) >= 2 and name not in ("switch", "clip"):
                text = "(" + f" {symbol} ".join(args) + ")"
            elif symbol and len(args) == 1:
                text = f"({symbol}{args[0]})"
            elif name is not None:
                text = f"{_PP_NAMES.get(name, name)}({', '.join(args)})"
            else:
                text = f"{node.op}({', '.join(args)})"
        memo[v] = text
        return text

    if hasattr(var, "maker"):
        return "\n".join(render(o) for o in var.maker.fgraph.outputs)
    if isinstance(var, (list, tuple)):
        return "\n".join(pp(v) for v in var)
    return render(var)


def _id_name(k):
    letters = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def debugprint(obj, file=None, print_type=False, ids="CHAR", depth=-1, done=None):
    """Print the graph of a Variable, a list of them, an Apply or a compiled Function as
    an indented tree; shared subtrees are printed once and referred to by id."""
    if hasattr(obj, "maker"):
        outputs = obj.maker.fgraph.outputs
        order = {n: i for i, n in enumerate(obj.maker.fgraph.toposort())}
    elif isinstance(obj, Apply):
        outputs = obj.outputs
        order = None
    elif isinstance(obj, Variable):
        outputs = [obj]
        order = None
    else:
        outputs = list(obj)
        order = None
    ids_of = {}
    lines = []

    def ident(x):
        if x not in ids_of:
            ids_of[x] = _id_name(len(ids_of))
        return ids_of[x]

    def visit(v, prefix, level):
        type_txt = f" {v.type}" if print_type else ""
        if v.owner is None:
            lines.append(f"{prefix}{v} [id {ident(v)}]{type_txt}")
            return
        node = v.owner
        seen = node in ids_of
        out_txt = f".{v.index}" if len(node.outputs) > 1 else ""
        topo = f" {order[node]}" if order is not None and node in order else ""
        name = f" '{v.name}'" if v.name else " ''"
        lines.append(f"{prefix}{node.op}{out_txt} [id {ident(node)}]{name}{type_txt}{topo}")
        if seen or level == depth:
            return
        for inp in node.inputs:
            visit(inp, prefix.replace("|", " ") + " |" if prefix else " |", level + 1)

    for out in outputs:
        visit(out, "", 0)
    text = "\n".join(lines)
    if file == "str":
        return text
    print(text, file=file or sys.stdout)
    return file


def pydotprint(fct, outfile="graph.png", format=None, print_output_file=True, **kwargs):
    """Write the graph of a Variable, a list of them or a compiled Function (its optimized
    graph) as Graphviz DOT next to ``outfile`` (``graph.dot``), and render ``outfile`` with
    Graphviz's ``dot`` when it is installed. Returns the paths written."""
    import os
    import shutil
    import subprocess
    if hasattr(fct, "maker"):
        outputs = fct.maker.fgraph.outputs
    elif isinstance(fct, Variable):
        outputs = [fct]
    else:
        outputs = list(fct)
    from jitgraph.graph.basic import io_toposort
    nodes = io_toposort([], outputs)
    ids, lines = {}, ["digraph jitgraph {", "  rankdir=TB;"]

    def vid(v):
        if v not in ids:
            ids[v] = f"v{len(ids)}"
            label = str(v).replace('"', "'")
            shape = "box" if v.owner is None else "ellipse"
            color = ', style=filled, fillcolor="#dddddd"' if v in outputs else ""
            lines.append(f'  {ids[v]} [label="{label}\\n{v.type}", shape={shape}{color}];')
        return ids[v]

    for k, node in enumerate(nodes):
        nid = f"n{k}"
        lines.append(f'  {nid} [label="{str(node.op).replace(chr(34), chr(39))}", shape=octagon];')
        for i, v in enumerate(node.inputs):
            lines.append(f'  {vid(v)} -> {nid} [label="{i}"];')
        for v in node.outputs:
            lines.append(f"  {nid} -> {vid(v)};")
    for v in outputs:
        vid(v)
    lines.append("}")
    base, ext = os.path.splitext(outfile)
    fmt = format or (ext[1:] if ext else "png")
    dot_path = base + ".dot"
    with open(dot_path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    written = [dot_path]
    dot = shutil.which("dot")
    if dot and fmt != "dot":
        subprocess.run([dot, f"-T{fmt}", dot_path, "-o", outfile], check=True, capture_output=True)
        written.append(outfile)
    if print_output_file:
        print("The output file is available at", " and ".join(written))
    return written


class Print(Op):
    """Identity that prints its value (or chosen attributes) when computed:
    ``x = Print("x")(x)``."""

    __props__ = ("message", "attrs")
    view_map = {0: [0]}

    def __init__(self, message="", attrs=("__str__",), global_fn=None):
        self.message = message
        self.attrs = tuple(attrs)
        self.global_fn = global_fn

    def make_node(self, x):
        from jitgraph.tensor.var import as_tensor_variable
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        if self.global_fn is not None:
            self.global_fn(self, x)
        else:
            for attr in self.attrs:
                value = getattr(x, attr)
                value = value() if callable(value) else value
                print(f"{self.message} {attr} = {value}")
        output_storage[0][0] = x

    def grad(self, inputs, output_grads):
        return list(output_grads)

    def infer_shape(self, node, input_shapes):
        return input_shapes


__all__ = ["pp", "debugprint", "pydotprint", "Print"]
