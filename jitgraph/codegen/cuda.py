"""The CUDA emitter: kernel IR -> one .cu source (host code + kernels) for nvcc.

The CUDA target of the one C-style emitter (``jitgraph.codegen.c.CEmitter``): the module
has the same entry (``jg_entry``), the same buffers and the same shape checks and error
messages; it differs where the language does. Buffers hold DEVICE pointers (shapes and
strides stay on the host), elementwise loops and reductions become ``__global__``
kernels launched on the call's stream, matrix products go to cuBLAS through the function
table in ``jg_call.device`` (``csrc_templates/cuda/jg_cuda.h``), temporaries come from the
runtime's device allocator, and template steps are rendered from
``csrc_templates/cuda/<name>.cu.tmpl``.

Host reads of device values (slice bounds, reshape shapes, index arrays an op must
bounds-check) are staged: the module copies the buffer device->host (one
``cudaMemcpyAsync`` and a stream synchronisation) into a host view named ``<buf>_h``;
values the module computed on the host itself (constants, ``Shape``, ``MakeVector``) are
remembered, so reading them costs no copy. Small int inputs thus stay where the runtime
put them (on the device); the module, not the lowering, moves what the host needs.

A step kind or template without CUDA code raises ``NotImplementedError`` naming it when
the source is emitted, never at run time.
"""
import functools
import re
from string import Template

from jitgraph.codegen import ir
from jitgraph.codegen.c import DTYPE_CODES, CEmitter, TEMPLATE_DIR, _indent, c_string, template_text
from jitgraph.codegen.lower import c_literal
from jitgraph.scalar.basic import c_type

CUDA_CODEGEN_VERSION = "1"
CUDA_TEMPLATE_DIR = TEMPLATE_DIR / "cuda"

# support headers a TemplateStep names -> what a CUDA module includes instead (None: the
# CPU header works unchanged on the host, on staged host copies)
SUPPORT_HEADERS = {
    "mrg31k3p.h": ("mrg31k3p.h",),                     # __host__ __device__ under nvcc
    "nnet_support.h": ("nnet_support.h", "cuda/nnet_support_cuda.cuh"),
    "join_extra_support.h": ("join_extra_support.h", "cuda/nnet_support_cuda.cuh",
                             "cuda/join_extra_support_cuda.cuh"),
    "advsub.h": ("advsub.h", "cuda/nnet_support_cuda.cuh", "cuda/advsub_cuda.cuh"),
}


# CPU headers compiled as C++ by nvcc: C allows a goto past an initialised declaration,
# C++ does not; these rewrites make the declaration plain (same meaning)
CXX_FIXES = {
    "advsub.h": [("    int nb = 0;\n", "    int nb;\n    nb = 0;\n")],
}


def host_header_text(name):
    """A support header's text as a CUDA module includes it (see CXX_FIXES)."""
    text = template_text(name)
    for old, new in CXX_FIXES.get(name, ()):
        if old not in text:
            raise NotImplementedError(f"CUDA: {name} changed; update jitgraph.codegen.cuda.CXX_FIXES ({old.strip()!r})")
        text = text.replace(old, new)
    return text


def cuda_template_name(cpu_template):
    """``softmax.c.tmpl`` -> ``cuda/softmax.cu.tmpl``."""
    return "cuda/" + cpu_template.replace(".c.tmpl", ".cu.tmpl")


@functools.lru_cache(maxsize=None)
def cuda_template(name):
    """A CUDA template split into its sections: ``host_reads`` (buffer placeholders the
    host code reads, staged as ``${x_h}``), ``kernels`` (file scope) and ``host`` (the
    step's block). Sections start with lines ``//@@ kernels``, ``//@@ host`` and
    ``//@@ host_reads: a b``."""
    path = TEMPLATE_DIR / name
    if not path.exists():
        return None
    sections = {"kernels": [], "host": []}
    host_reads = ()
    current = None
    for line in path.read_text().splitlines():
        m = re.match(r"\s*//@@\s*(\w+)\s*:?\s*(.*)$", line)
        if m:
            if m.group(1) == "host_reads":
                host_reads = tuple(m.group(2).split())
            else:
                current = m.group(1)
                if current not in sections:
                    raise ValueError(f"{name}: unknown section {current!r}")
            continue
        if current is not None:
            sections[current].append(line)
    return host_reads, "\n".join(sections["kernels"]), "\n".join(sections["host"])


class CudaEmitter(CEmitter):
    """Renders one Kernel as a CUDA module (``.source()`` -> the .cu text)."""

    HEADERS = ("jg_abi.h", "cuda/jg_cuda.h", "runtime_helpers.h", "cuda/scalar_helpers_cuda.h",
               "cuda/runtime_cuda.cuh")

    def source(self):
        k = self.kernel
        self.kernels = []      # file-scope code: kernels, argument structs, constants
        self.extra_buffers = []   # scratch of steps rendered as several passes
        self.index = 0
        headers = [template_text(h) for h in self.HEADERS]
        if any(isinstance(s, (ir.Reduction, ir.FusedReduction)) for s in k.steps):
            headers.append(template_text("cuda/reduce_cuda.cuh"))
        if any(isinstance(s, (ir.MatMul, ir.Gemm)) for s in k.steps):
            headers.append(template_text("cuda/matmul_cuda.cuh"))
        # the device helpers every CUDA template may use (layouts, rows, index reads)
        support = ["cuda/nnet_support_cuda.cuh"] if any(isinstance(s, ir.TemplateStep) for s in k.steps) else []
        for name in dict.fromkeys(f for st in k.steps if isinstance(st, ir.TemplateStep) for f in st.support):
            files = SUPPORT_HEADERS.get(name)
            if files is None or not all((TEMPLATE_DIR / f).exists() for f in files):
                raise NotImplementedError(f"CUDA: no CUDA version of support header {name} "
                                          f"(needed by {self._templates_using(name)})")
            support += files
        headers += [host_header_text(f) for f in dict.fromkeys(support)]
        functions, calls, used_anywhere = [], [], set()
        for i, st in enumerate(k.steps):
            self.index = i
            block = self.step(st)
            used = sorted({int(n) for n in re.findall(r"\bb(\d+)\b", block)})
            names = ", ".join(f"*b{n} = B[{n}]" for n in used)
            functions.append(Template(template_text("cuda/step.cu.tmpl")).substitute(
                index=i, decls=f"    jg_buffer {names};" if used else "", block=block))
            calls.append(f"        JG_CHECK(jg_step_{i}(call, cu, B));")
            used_anywhere.update(f"b{n}" for n in used)
        decls = []
        buffers = list(k.buffers) + self.extra_buffers
        for b in buffers:
            if b.role in ("arg", "out"):
                decls.append(f"jg_buffer *{b.name} = &call->args[{b.arg_index}];")
            elif b.role == "const":
                t = c_type(b.dtype)
                lit = c_literal(b.const_data, b.dtype)
                self.kernels.append(f"static __device__ {t} jg_const_{b.name} = {lit};")
                self.kernels.append(f"static const {t} jg_const_{b.name}_host = {lit};")
                decls.append(f"jg_buffer {b.name}_s; memset(&{b.name}_s, 0, sizeof {b.name}_s); "
                             f"jg_buffer *{b.name} = &{b.name}_s;")
                decls.append(f"{b.name}->dtype = {DTYPE_CODES[b.dtype]};")
                if b.name not in used_anywhere:    # inlined as a literal wherever it is read
                    continue
                decls.append(f"JG_CU_CALL(cudaGetSymbolAddress(&{b.name}->data, jg_const_{b.name}), "
                             f"\"a constant of the module\");")
                decls.append(f"jg_cu_remember(cu, {b.name}->data, &jg_const_{b.name}_host, sizeof({t}));")
            else:
                decls.append(f"jg_buffer {b.name}_s; memset(&{b.name}_s, 0, sizeof {b.name}_s); "
                             f"jg_buffer *{b.name} = &{b.name}_s;")
                decls.append(f"{b.name}->dtype = {DTYPE_CODES[b.dtype]}; {b.name}->ndim = {b.ndim};")
        decls.append(f"jg_buffer *B[] = {{{', '.join(b.name for b in buffers) or 'NULL'}}};")
        decls.append("(void)B;")
        return Template(template_text("cuda/module.cu.tmpl")).substitute(
            summary=c_string(k.summary), headers="\n".join(headers), kernels="\n".join(self.kernels),
            step_decls="", steps="\n".join(functions), nargs=len(k.args) + len(k.outs),
            decls=_indent(decls, 8), body="\n".join(calls))

    def _templates_using(self, header):
        return ", ".join(sorted({s.template for s in self.kernel.steps
                                 if isinstance(s, ir.TemplateStep) and header in s.support}))

    def parts(self):
        return 1

    # ------------------------------------------------------------ steps

    def step(self, s):
        # only steps this class itself renders: a step kind added to the C emitter must
        # not silently produce host code touching device pointers
        name = "emit_" + type(s).__name__
        for cls in type(self).__mro__:
            if cls is CEmitter:
                break
            if name in cls.__dict__:
                return getattr(self, name)(s)
        raise NotImplementedError(f"CUDA: no code for IR step {type(s).__name__} ({s.describe()})")

    @property
    def prefix(self):
        """Unique name prefix of the current step's kernels and structs."""
        return f"jg_s{self.index}"

    def _alloc(self, b, indent=8):
        pad = " " * indent
        if b.role == "out":
            return (f"{pad}{b.name}->dtype = {DTYPE_CODES[b.dtype]};\n"
                    f"{pad}JG_CHECK(jg_alloc_out(call, {b.arg_index}, {b.name}));")
        return f"{pad}{b.name}->dtype = {DTYPE_CODES[b.dtype]};\n{pad}JG_CHECK(jg_cu_alloc_temp(call, cu, {b.name}));"

    @staticmethod
    def _stage(b, where, pad=4):
        """Host view ``<b>_h`` of device buffer ``b`` (declarations + staging)."""
        p = " " * pad
        return (f"{p}jg_buffer {b}_hs; jg_buffer *{b}_h = &{b}_hs;\n"
                f"{p}JG_CHECK(jg_cu_stage(call, cu, {b}, {b}_h, \"{where}\"));")

    # ------------------------------------------------------------ elementwise

    def emit_ElementwiseLoop(self, s):
        where = c_string(s.describe())
        out = s.outs[0]
        nd = out.ndim
        ndx = max(nd, 1)
        k = self.prefix
        live = [(j, b) for j, b in enumerate(s.ins) if b.role != "const"]
        full = [(j, b) for j, b in live if all(not ib or ob for ib, ob in zip(s.in_bcast[j], s.out_bcast))]
        scalars = [(j, b) for j, b in live if (j, b) not in full and all(s.in_bcast[j])]
        mixed = [(j, b) for j, b in live if (j, b) not in full and (j, b) not in scalars]
        in_t = {j: c_type(b.dtype) for j, b in live}
        outs = list(enumerate(s.outs))          # several with multi-output fusion
        out_t = {m: c_type(o.dtype) for m, o in outs}
        # one argument struct, passed by value: any number of inputs fits one launch
        fields = ["int64_t n;", f"int64_t shape[{ndx}];"]
        for j, b in live:
            fields.append(f"const {in_t[j]} *p{j}; int64_t st{j}[{ndx}];")
        for m, o in outs:
            fields.append(f"{out_t[m]} *po{m}; int64_t sto{m}[{ndx}];")
        stmts = [f"{st.ctype} {st.target} = {st.expr};" for st in s.stmts]
        scalar_loads = [f"const {in_t[j]} v{j} = *a.p{j};" for j, b in scalars]
        fast_loads = [f"const {in_t[j]} v{j} = a.p{j}[i];" for j, b in full]
        strided_loads = [f"const {in_t[j]} v{j} = *(const {in_t[j]} *)((const char *)a.p{j} + q{j});"
                         for j, b in live if (j, b) not in scalars]
        offsets = [f"int64_t q{j} = 0;" for j, b in live if (j, b) not in scalars] + \
                  [f"int64_t qo{m} = 0;" for m, _ in outs]
        advance = [f"q{j} += id * a.st{j}[d];" for j, b in live if (j, b) not in scalars] + \
                  [f"qo{m} += id * a.sto{m}[d];" for m, _ in outs]
        fast_stores = [f"a.po{m}[i] = {s.results[m]};" for m, _ in outs]
        strided_stores = [f"*({out_t[m]} *)((char *)a.po{m} + qo{m}) = {s.results[m]};" for m, _ in outs]
        loop = "for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < a.n; " \
               "i += (int64_t)gridDim.x * blockDim.x) {"
        kern = [f"/* {where} */",
                f"struct {k}_args {{", _indent(fields, 4), "};"]
        if not mixed:
            kern += [f"__global__ void {k}_fast({k}_args a) {{", _indent(scalar_loads, 4), "    " + loop,
                     _indent(fast_loads + stmts + fast_stores, 8), "    }", "}"]
        kern += [f"__global__ void {k}_strided({k}_args a) {{", _indent(scalar_loads, 4), "    " + loop,
                 _indent(offsets + ["int64_t rem = i;"], 8),
                 f"        for (int d = {nd} - 1; d >= 0; d--) {{",
                 "            int64_t id = rem % a.shape[d];", "            rem /= a.shape[d];",
                 _indent(advance, 12), "        }",
                 _indent(strided_loads + stmts + strided_stores, 8),
                 "    }", "}"]
        self.kernels.append("\n".join(kern))
        host = [f"/* {where} */", "{", "    int64_t shape[JG_MAX_NDIM + 1];"]
        host += [_indent(self._elementwise_shapes(s, where, out, live), 4)]
        for m, o in outs:
            if s.alloc_outs[m]:
                host += [f"    {o.name}->ndim = {nd};",
                         f"    for (int d = 0; d < {nd}; d++) {o.name}->shape[d] = shape[d];", self._alloc(o, 4)]
            else:
                host.append(f"    jg_cu_forget(cu, {o.name}->data);")
        host += [f"    {k}_args a;", "    memset(&a, 0, sizeof a);", "    a.n = 1;",
                 f"    for (int d = 0; d < {nd}; d++) {{ a.shape[d] = shape[d]; a.n *= shape[d]; }}"]
        for j, b in live:
            host.append(f"    a.p{j} = (const {in_t[j]} *){b.name}->data;")
            for d in range(nd):
                host.append(f"    a.st{j}[{d}] = {'0' if s.in_bcast[j][d] else f'{b.name}->strides[{d}]'};")
        for m, o in outs:
            host.append(f"    a.po{m} = ({out_t[m]} *){o.name}->data;")
            for d in range(nd):
                host.append(f"    a.sto{m}[{d}] = {o.name}->strides[{d}];")
        maybe_strided = [b for j, b in full if b.role in ("arg", "view")]
        maybe_strided += [o for m, o in outs if not s.alloc_outs[m] or o.role in ("arg", "view")]
        fast_cond = "0" if mixed else " && ".join(f"jg_is_contiguous({b.name})" for b in maybe_strided) or "1"
        if fast_cond == "1":
            host.append(f"    JG_CU_LAUNCH(\"{where}\", {k}_fast, a.n, a);")
        elif fast_cond == "0":
            host.append(f"    JG_CU_LAUNCH(\"{where}\", {k}_strided, a.n, a);")
        else:
            host += [f"    if ({fast_cond}) JG_CU_LAUNCH(\"{where}\", {k}_fast, a.n, a);",
                     f"    else JG_CU_LAUNCH(\"{where}\", {k}_strided, a.n, a);"]
        host.append("}")
        return _indent(host, 4)

    # ------------------------------------------------------------ reductions

    _REDUCE_OPS = {"add": "JgRedAdd", "mul": "JgRedMul", "and": "JgRedAnd", "or": "JgRedOr", "max": "JgRedMax",
                   "min": "JgRedMin", "argmax": "JgRedArgmax", "argmin": "JgRedArgmin"}

    def emit_Reduction(self, s):
        if s.op not in self._REDUCE_OPS:
            raise NotImplementedError(f"CUDA: no reduction kernel for op {s.op!r} ({s.describe()})")
        where = c_string(s.describe())
        inp, out = s.inp, s.out
        in_t, out_t = c_type(inp.dtype), c_type(out.dtype)
        acc_t = in_t if s.op in ("max", "min", "argmax", "argmin") else c_type(s.acc_dtype)
        op = f"{self._REDUCE_OPS[s.op]}<{in_t}, {acc_t}>"
        flags = ", ".join("1" if d in s.axes else "0" for d in range(inp.ndim)) or "0"
        needs = s.op in ("max", "min", "argmax", "argmin")
        lines = [f"/* {where} */", "{",
                 f"    const jg_buffer *in = {inp.name};",
                 f"    static const int reduced[JG_MAX_NDIM + 1] = {{{flags}}};",
                 "    int64_t R = 1;", "    int nk = 0;",
                 f"    {out.name}->ndim = 0;",
                 "    for (int d = 0; d < in->ndim; d++) {",
                 "        if (reduced[d]) R *= in->shape[d];",
                 f"        else {out.name}->shape[nk++] = in->shape[d];",
                 "    }",
                 f"    {out.name}->ndim = nk;"]
        if needs:
            lines.append(f"    if (R == 0) JG_FAIL(JG_ERR_VALUE, \"%s: cannot reduce an empty axis (input has %lld "
                         f"elements)\", \"{where}\", (long long)jg_size(in));")
        lines += [self._alloc(out, 4),
                  f"    JG_CHECK((jg_cu_reduce<{op}, {in_t}, {out_t}>(call, cu, {out.name}, in, reduced, \"{where}\")));",
                  "}"]
        return _indent(lines, 4)

    def emit_FusedReduction(self, s):
        """The per-element value into device scratch by an elementwise kernel, then the
        reduction kernels on it (two passes; the CPU fuses them into one loop)."""
        if s.op not in self._REDUCE_OPS:
            raise NotImplementedError(f"CUDA: no reduction kernel for op {s.op!r} ({s.describe()})")
        ctypes = {c_type(d): d for d in DTYPE_CODES}
        value_dtype = ctypes[s.stmts[-1].ctype]
        value = ir.Buf(f"b{len(self.kernel.buffers) + len(self.extra_buffers)}", value_dtype, s.ndim, "temp")
        self.extra_buffers.append(value)
        nd = s.ndim
        loop = ir.ElementwiseLoop(s.nodes, outs=[value], ins=list(s.ins),
                                  in_bcast=[(False,) * nd if f else (True,) * nd for f in s.full],
                                  loads=list(s.loads), stmts=list(s.stmts), results=[s.value],
                                  out_bcast=(False,) * nd, alloc_outs=[True])
        red = ir.Reduction(s.nodes, out=s.out, inp=value, axes=tuple(s.axes), op=s.op, acc_dtype=s.acc_dtype)
        first = self.emit_ElementwiseLoop(loop)
        self.index = f"{self.index}r"    # a second kernel prefix for this step
        try:
            return first + "\n" + self.emit_Reduction(red)
        finally:
            self.index = self.index[:-1]

    # ------------------------------------------------------------ matrix products

    def emit_MatMul(self, s):
        where = c_string(s.describe())
        x, y, out = s.x, s.y, s.out
        lines = [f"/* {where} */", "{"] + self._matmul_shape_lines(s, where)
        lines.append(f"    jg_cu_forget(cu, {out.name}->data);")
        t = c_type(out.dtype)
        fn = "jg_cu_matmul_float" if out.dtype in ("float32", "float64") else "jg_cu_matmul_int"
        lines.append(f"    JG_CHECK({fn}<{t}>(call, cu, {out.name}, {x.name}, {y.name}, \"{where}\"));")
        lines.append("}")
        return _indent(lines, 4)

    def emit_Gemm(self, s):
        where = c_string(s.describe())
        x, y, z, out = s.x, s.y, s.z, s.out
        t = c_type(out.dtype)
        if out.dtype not in ("float32", "float64"):
            raise NotImplementedError(f"CUDA: no gemm for dtype {out.dtype} ({s.describe()})")
        lines = [f"/* {where} */", "{", self._gemm_shape_check(s, where)]
        lines += [self._stage(b, where) for b in dict.fromkeys((s.alpha.name, s.beta.name))]
        if not s.inplace:
            lines += self._gemm_out_shape(s)
            lines.append(f"    JG_CHECK(jg_cu_copy(call, cu, {out.name}, {z.name}, \"{where}\"));")
        lines.append(f"    JG_CHECK(jg_cu_gemm_float<{t}>(call, cu, {out.name}, {x.name}, {y.name}, "
                     f"({t})JG_AT({s.alpha.name}_h, {c_type(s.alpha.dtype)}, 0), "
                     f"({t})JG_AT({s.beta.name}_h, {c_type(s.beta.dtype)}, 0), \"{where}\"));")
        lines.append("}")
        return _indent(lines, 4)

    # ------------------------------------------------------------ metadata steps

    def emit_View(self, s):
        where = c_string(s.describe())
        out, inp = s.out, s.inp
        if s.kind in ("dimshuffle", "rebroadcast"):
            return super().emit_View(s)      # shapes and strides only: host code as on the CPU
        lines = [f"/* {where} */", "{"]
        staged = [b.name for b in s.extra]
        lines += [self._stage(b, where) for b in dict.fromkeys(staged)]
        if s.kind == "reshape":
            lines.append(f"    JG_CHECK(jg_cu_view_reshape(call, cu, {out.name}, {inp.name}, {s.extra[0].name}_h, "
                         f"{s.params[0]}, \"{where}\"));")
        elif s.kind == "slice":
            body = self._slice_lines(s, where)
            for name in staged:
                body = [line.replace(f"jg_read_int({name})", f"jg_read_int({name}_h)") for line in body]
            lines += body
        else:
            raise NotImplementedError(f"CUDA: no code for view kind {s.kind!r} ({s.describe()})")
        lines.append("}")
        return _indent(lines, 4)

    def emit_Copy(self, s):
        out, inp = s.out, s.inp
        where = c_string(s.describe())
        lines = [f"/* copy: {where} */", "{"]
        if s.alloc:
            lines.append(f"    {out.name}->ndim = {inp.name}->ndim;")
            lines.append(f"    for (int d = 0; d < {inp.name}->ndim; d++) {out.name}->shape[d] = {inp.name}->shape[d];")
            lines.append(self._alloc(out, 4))
        lines.append(f"    JG_CHECK(jg_cu_copy(call, cu, {out.name}, {inp.name}, \"{where}\"));")
        lines.append("}")
        return _indent(lines, 4)

    def emit_ShapeOf(self, s):
        out, inp = s.out, s.inp
        where = c_string(s.describe())
        lines = [f"/* {where} */", "{",
                 f"    {out.name}->ndim = 1; {out.name}->shape[0] = {inp.name}->ndim;",
                 self._alloc(out, 4),
                 "    int64_t *host;",
                 f"    JG_CHECK(jg_cu_host_alloc(call, cu, {inp.name}->ndim * 8, (void **)&host));",
                 f"    for (int d = 0; d < {inp.name}->ndim; d++) host[d] = {inp.name}->shape[d];",
                 f"    JG_CHECK(jg_cu_upload(call, cu, {out.name}, host, {inp.name}->ndim * 8, \"{where}\"));",
                 "}"]
        return _indent(lines, 4)

    def emit_MakeVector(self, s):
        out = s.out
        where = c_string(s.describe())
        t = c_type(out.dtype)
        lines = [f"/* {where} */", "{",
                 f"    {out.name}->ndim = 1; {out.name}->shape[0] = {len(s.ins)};", self._alloc(out, 4)]
        names = list(dict.fromkeys(b.name for b in s.ins))
        lines += [self._stage(n, where) for n in names]
        lines += [f"    {t} *host;",
                  f"    JG_CHECK(jg_cu_host_alloc(call, cu, {max(len(s.ins), 1)} * sizeof({t}), (void **)&host));"]
        for i, b in enumerate(s.ins):
            lines.append(f"    host[{i}] = ({t})(*(const {c_type(b.dtype)} *){b.name}_h->data);")
        lines.append(f"    JG_CHECK(jg_cu_upload(call, cu, {out.name}, host, {len(s.ins)} * sizeof({t}), \"{where}\"));")
        lines.append("}")
        return _indent(lines, 4)

    def emit_AllocShape(self, s):
        where = c_string(s.describe())
        out = s.out
        lines = [f"/* {where} */", "{"]
        lines += [self._stage(n, where) for n in dict.fromkeys(b.name for b in s.dims)]
        lines.append(f"    {out.name}->ndim = {len(s.dims)};")
        for d, b in enumerate(s.dims):
            lines.append(f"    {out.name}->shape[{d}] = jg_read_int({b.name}_h);")
            lines.append(f"    if ({out.name}->shape[{d}] < 0) JG_FAIL(JG_ERR_VALUE, \"%s: negative dimension %lld\", "
                         f"\"{where}\", (long long){out.name}->shape[{d}]);")
        lines.append(self._alloc(out, 4))
        lines.append("}")
        return _indent(lines, 4)

    # ------------------------------------------------------------ templates

    def emit_TemplateStep(self, s):
        """The CPU placeholders (see ``CEmitter.emit_TemplateStep``), plus ``${K}`` (a
        prefix unique to this step, for kernel and struct names) and, for each buffer the
        template lists under ``host_reads``, ``${x_h}`` (a host copy of it)."""
        name = cuda_template_name(s.template)
        parsed = cuda_template(name)
        if parsed is None:
            raise NotImplementedError(f"CUDA: no kernel for {s.describe()} (template {s.template}; "
                                      f"no {name})")
        host_reads, kernels, host = parsed
        where = c_string(s.describe())
        values = {"where": where, "K": self.prefix}
        for key, b in s.bufs.items():
            values[key] = b.name
            values[f"{key}_t"] = c_type(b.dtype)
            values[f"{key}_dtype"] = str(DTYPE_CODES[b.dtype])
            values[f"{key}_ndim"] = str(b.ndim)
            values[f"alloc_{key}"] = self._alloc(b, 0).strip().replace("\n", " ")
        for key in host_reads:
            values[f"{key}_h"] = f"{s.bufs[key].name}_h"
        values.update({k: str(v) for k, v in s.params.items()})
        staged = "\n".join(self._stage(n, where, 8) for n in dict.fromkeys(s.bufs[key].name for key in host_reads))
        if kernels.strip():
            self.kernels.append(f"/* {where} */\n" + Template(kernels).substitute(**values))
        body = Template(host).substitute(**values)
        return f"    /* {where} */\n    {{\n{staged}\n{body}\n    }}"


def emit_cuda(kernel):
    return CudaEmitter(kernel).source()


def build_cuda_module(kernel, source):
    """Build (or find in the cache) the CUDA module for ``source``; returns the path of
    the module's shared library in the cache. Needs nvcc, not a GPU."""
    from jitgraph.cache.build import compile_cuda_library, cuda_build_flags
    from jitgraph.cache import default_store
    from jitgraph.config import config
    flags, libs = cuda_build_flags(config.cuda_arch)
    key = cuda_module_key(source, flags, libs)
    entry = default_store().get_or_build(
        key, target="cuda", source=source, source_name="source.cu", summary=kernel.summary,
        build=lambda src, out: compile_cuda_library(src, out, flags=flags, libs=libs))
    return entry.module_path


def cuda_module_key(source, flags=None, libs=None):
    """The cache key of a CUDA module: the source, the codegen version, nvcc (path and
    version), the architecture and flags, the host compiler."""
    from jitgraph.cache.build import cuda_build_flags, nvcc_fingerprint
    from jitgraph.cache import compute_key
    from jitgraph.config import config
    if flags is None:
        flags, libs = cuda_build_flags(config.cuda_arch)
    parts = {"target": "cuda", "source": source, "codegen": CUDA_CODEGEN_VERSION, "flags": flags, "libs": libs,
             "cuda_arch": config.cuda_arch, "nvcc": nvcc_fingerprint()}
    return compute_key(parts, cxx=config.nvcc, flags=flags)
