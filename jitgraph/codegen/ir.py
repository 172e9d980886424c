"""The kernel IR: what a compiled graph segment does, independent of the target language.

A ``Kernel`` has buffers (n-d arrays with a dtype; shapes are known only at run time)
and an ordered list of steps. Each step names the graph nodes it computes, so the
emitted code can say where every block comes from. The C and CUDA emitters render
the same steps.
"""
from dataclasses import dataclass, field

import numpy as np


@dataclass(eq=False)
class Buf:
    """An n-d buffer. ``role``: 'arg' (an input or shared value passed in), 'out' (a
    result, allocated by the caller), 'temp' (scratch owned by the kernel), 'view' (an
    alias into another buffer), 'const' (data embedded in the module)."""
    name: str
    dtype: str
    ndim: int
    role: str
    arg_index: int = -1
    const_data: np.ndarray = None


@dataclass(eq=False)
class Step:
    nodes: list  # graph Apply nodes this step computes (for comments and error messages)

    def describe(self):
        return "; ".join(str(n) for n in self.nodes) if self.nodes else type(self).__name__


@dataclass(eq=False)
class ScalarStmt:
    """``target = expr`` evaluated per element; ``ctype`` is the target's C type."""
    target: str
    ctype: str
    expr: str


@dataclass(eq=False)
class ElementwiseLoop(Step):
    """outs[k][i] = value of ``results[k]`` for every element i, broadcasting inputs.

    ``in_bcast[j]`` is input j's broadcastable pattern (stride-0 dimensions);
    ``loads[j]`` names the per-element variable input j is read into; ``stmts`` compute
    the per-element values; ``results[k]`` is the variable stored into outs[k].
    ``out_bcast`` is the output pattern. ``alloc_outs`` says whether each out buffer
    must be allocated here (False when it is already set up, e.g. a view to write into).
    """
    outs: list = field(default_factory=list)
    ins: list = field(default_factory=list)
    in_bcast: list = field(default_factory=list)
    loads: list = field(default_factory=list)
    stmts: list = field(default_factory=list)
    results: list = field(default_factory=list)
    out_bcast: tuple = ()
    alloc_outs: list = field(default_factory=list)


@dataclass(eq=False)
class Reduction(Step):
    """out = reduce ``op`` ('add', 'mul', 'max', 'min', 'and', 'or', 'argmax', 'argmin')
    of ``inp`` over ``axes``, accumulating in ``acc_dtype``."""
    out: Buf = None
    inp: Buf = None
    axes: tuple = ()
    op: str = "add"
    acc_dtype: str = "float64"


@dataclass(eq=False)
class FusedReduction(Step):
    """out = reduce ``op`` ('add', 'mul', 'max', 'min') over ``axes`` of a per-element value
    computed from ``ins`` by ``stmts`` (as in ElementwiseLoop; ``value`` names the result),
    in one loop. ``full[j]``: input j has the value's shape (else it is one element read
    once). ``ndim``: the value's number of dimensions."""
    out: Buf = None
    ins: list = field(default_factory=list)
    full: list = field(default_factory=list)
    loads: list = field(default_factory=list)
    stmts: list = field(default_factory=list)
    value: str = ""
    ndim: int = 0
    axes: tuple = ()
    op: str = "add"
    acc_dtype: str = "float64"


@dataclass(eq=False)
class MatMul(Step):
    """out = x · y for 1-/2-d operands (BLAS for float32/float64)."""
    out: Buf = None
    x: Buf = None
    y: Buf = None


@dataclass(eq=False)
class Gemm(Step):
    """out = beta * z + alpha * x · y for matrices (one BLAS gemm; alpha and beta 0-d
    buffers). ``inplace``: ``out`` is ``z`` itself."""
    out: Buf = None
    z: Buf = None
    x: Buf = None
    y: Buf = None
    alpha: Buf = None
    beta: Buf = None
    inplace: bool = False


@dataclass(eq=False)
class View(Step):
    """``out`` aliases ``inp``: kind 'dimshuffle' (params: new_order), 'slice' (params:
    idx_list, index buffers in ``extra``), 'reshape' (extra: [shape vector]), 'rebroadcast'
    (params: pattern)."""
    out: Buf = None
    inp: Buf = None
    kind: str = ""
    params: tuple = ()
    extra: list = field(default_factory=list)


@dataclass(eq=False)
class Copy(Step):
    """``out`` (allocated here unless ``alloc`` is False) becomes a contiguous copy of ``inp``."""
    out: Buf = None
    inp: Buf = None
    alloc: bool = True


@dataclass(eq=False)
class ShapeOf(Step):
    """out (int64 vector) = inp's shape."""
    out: Buf = None
    inp: Buf = None


@dataclass(eq=False)
class MakeVector(Step):
    """out (1-d) = the scalar buffers ``ins``, converted to out's dtype."""
    out: Buf = None
    ins: list = field(default_factory=list)


@dataclass(eq=False)
class AllocShape(Step):
    """Allocate ``out`` with the shape given by scalar int buffers ``dims`` (values are
    written by a following step)."""
    out: Buf = None
    dims: list = field(default_factory=list)


@dataclass(eq=False)
class TemplateStep(Step):
    """A block rendered from a template file of ``csrc_templates/`` — the native code
    of one op kind, kept next to nothing else. ``bufs`` maps placeholder names to
    buffers; ``params`` maps placeholder names to literal text. See
    ``jitgraph.codegen.c.CEmitter.emit_TemplateStep`` for the placeholders provided."""
    template: str = ""
    bufs: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    support: tuple = ()   # file-scope helper files (e.g. "mrg31k3p.h"), included once per module


@dataclass(eq=False)
class Kernel:
    """A compiled segment: ``args`` (inputs then shared values), ``outs`` (results),
    the other buffers and the steps computing them."""
    args: list
    outs: list
    buffers: list
    steps: list
    uses_blas: bool = False
    summary: str = ""

    def canonical_text(self):
        """A stable description used in the cache key (the emitted source is hashed too)."""
        lines = [f"{b.name}:{b.dtype}:{b.ndim}:{b.role}" for b in self.buffers]
        lines += [type(s).__name__ for s in self.steps]
        return "\n".join(lines)
