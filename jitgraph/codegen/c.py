"""The C emitter: kernel IR -> one C source file built from ``csrc_templates/``.

Each IR step becomes one block, rendered from a template with a comment naming the
graph nodes it computes. The CUDA target reuses this emitter's structure and differs
where the language does (kernel qualifiers, thread indexing, launches).
"""
import functools
import pathlib
import re
from string import Template

from jitgraph.codegen import ir
from jitgraph.codegen.lower import c_literal
from jitgraph.scalar.basic import c_type

TEMPLATE_DIR = pathlib.Path(__file__).resolve().parents[2] / "csrc_templates"
DTYPE_CODES = {"bool": 0, "int8": 1, "int16": 2, "int32": 3, "int64": 4, "uint8": 5, "uint16": 6,
               "uint32": 7, "uint64": 8, "float32": 9, "float64": 10}
CODEGEN_VERSION = "1"


@functools.lru_cache(maxsize=None)
def template_text(name):
    return (TEMPLATE_DIR / name).read_text()


def render(name, **values):
    return Template(template_text(name)).substitute(**values)


def c_string(text):
    """``text`` as a C string literal (for error messages naming graph nodes)."""
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("%", "%%")
    return text[:200]


def _indent(lines, n):
    pad = " " * n
    return "\n".join(pad + line for line in lines if line is not None)


class CEmitter:
    """Renders one Kernel as a C module."""

    HEADERS = ("jg_abi.h", "scalar_helpers.h", "runtime_helpers.h")

    def __init__(self, kernel):
        self.kernel = kernel

    def source(self):
        k = self.kernel
        headers = [template_text(h) for h in self.HEADERS]
        matmul_types = sorted({s.out.dtype for s in k.steps if isinstance(s, (ir.MatMul, ir.Gemm))})
        if matmul_types:
            if k.uses_blas:
                headers.append("#define JG_USE_BLAS 1")
            headers.append(template_text("matmul.h"))
            for dt in matmul_types:
                if dt == "float32":
                    headers.append("JG_MATMUL_FLOAT(float, float32, scipy_cblas_sgemm, scipy_cblas_sgemv)")
                elif dt == "float64":
                    headers.append("JG_MATMUL_FLOAT(double, float64, scipy_cblas_dgemm, scipy_cblas_dgemv)")
                else:
                    headers.append(f"JG_MATMUL_LOOPS({c_type(dt)}, {dt})")
        for name in dict.fromkeys(f for st in k.steps if isinstance(st, ir.TemplateStep) for f in st.support):
            headers.append(template_text(name))
        decls = []
        for b in k.buffers:
            if b.role in ("arg", "out"):
                decls.append(f"jg_buffer *{b.name} = &call->args[{b.arg_index}];")
            elif b.role == "const":
                decls.append(f"static {c_type(b.dtype)} {b.name}_value = {c_literal(b.const_data, b.dtype)};")
                decls.append(f"jg_buffer {b.name}_s; memset(&{b.name}_s, 0, sizeof {b.name}_s); "
                             f"jg_buffer *{b.name} = &{b.name}_s;")
                decls.append(f"{b.name}->data = (void *)&{b.name}_value; {b.name}->dtype = {DTYPE_CODES[b.dtype]};")
            else:
                decls.append(f"jg_buffer {b.name}_s; jg_buffer *{b.name} = &{b.name}_s;")
                decls.append(f"{b.name}->dtype = {DTYPE_CODES[b.dtype]}; {b.name}->ndim = {b.ndim};")
        # each step is a function of its own: gcc's optimisation time grows faster than
        # linearly with function size, and one huge entry function dominated builds
        functions, calls, step_decls = [], [], []
        parts = self.parts()
        per_part = -(-len(k.steps) // parts) if k.steps else 1
        for i, st in enumerate(k.steps):
            block = self.step(st)
            used = sorted({int(n) for n in re.findall(r"\bb(\d+)\b", block)})
            names = ", ".join(f"*b{n} = B[{n}]" for n in used)
            functions.append(render("step.c.tmpl", index=i, part=min(i // per_part + 1, parts),
                                    decls=f"    jg_buffer {names};" if used else "", block=block))
            step_decls.append(f"JG_STEP int jg_step_{i}(jg_call *call, jg_temps *temps_p, jg_buffer **B);")
            calls.append(f"    JG_CHECK(jg_step_{i}(call, &temps, B));")
        decls.append(f"jg_buffer *B[] = {{{', '.join(b.name for b in k.buffers) or 'NULL'}}};")
        return render("module.c.tmpl", summary=c_string(k.summary), headers="\n".join(headers),
                      step_decls="\n".join(step_decls), steps="\n".join(functions), last_part=parts,
                      nargs=len(k.args) + len(k.outs), decls=_indent(decls, 4), body="\n".join(calls))

    STEPS_PER_PART = 12

    def parts(self):
        """How many translation units to compile at once: one per core for big modules."""
        from jitgraph.runtime.cpu import num_threads
        return max(1, min(num_threads(), len(self.kernel.steps) // self.STEPS_PER_PART))

    # ------------------------------------------------------------ steps

    def step(self, s):
        return getattr(self, "emit_" + type(s).__name__)(s)

    def _alloc(self, b, indent=8):
        """Code allocating buffer ``b`` whose ndim/shape are set."""
        pad = " " * indent
        if b.role == "out":
            return f"{pad}{b.name}->dtype = {DTYPE_CODES[b.dtype]};\n{pad}JG_CHECK(jg_alloc_out(call, {b.arg_index}, {b.name}));"
        return f"{pad}{b.name}->dtype = {DTYPE_CODES[b.dtype]};\n{pad}JG_CHECK(jg_alloc_temp(call, &temps, {b.name}));"

    def _elementwise_shapes(self, s, where, out, live):
        """The loop's shape (from the first input not broadcast in each dimension, or the
        output when it is set up already) and the broadcast checks of the other inputs;
        host code on both targets."""
        nd = out.ndim
        all_ins = ", ".join(b.name for b in s.ins if b.role != "const")
        shape_code = [f"const jg_buffer *const ins[] = {{{all_ins or 'NULL'}}};", "(void)ins;"]
        pos = {j: p for p, (j, _) in enumerate(live)}
        for d in range(nd):
            if s.alloc_outs[0]:
                srcs = [(j, b) for j, b in live if not s.in_bcast[j][d]]
                if not srcs:
                    shape_code.append(f"shape[{d}] = 1;")
                    continue
                j0, b0 = srcs[0]
                shape_code.append(f"shape[{d}] = {b0.name}->shape[{d}];")
                checks = srcs[1:]
            else:
                j0 = 0
                shape_code.append(f"shape[{d}] = {out.name}->shape[{d}];")
                checks = [(j, b) for j, b in live if b is not out and not s.in_bcast[j][d]]
            for j, b in checks:
                shape_code.append(f"if ({b.name}->shape[{d}] != shape[{d}]) JG_CHECK(jg_broadcast_error(call, "
                                  f"\"{where}\", {pos[j]}, {d}, {pos.get(j0, 0)}, shape[{d}], ins, {len(live)}));")
        return shape_code

    def emit_ElementwiseLoop(self, s):
        where = c_string(s.describe())
        out = s.outs[0]
        nd = out.ndim
        live = [(j, b) for j, b in enumerate(s.ins) if b.role != "const"]
        # full: same shape as the output; scalar: one element read once; mixed: broadcast
        # along some dimensions only (handled by the strided path)
        full = [(j, b) for j, b in live if all(not ib or ob for ib, ob in zip(s.in_bcast[j], s.out_bcast))]
        scalars = [(j, b) for j, b in live if (j, b) not in full and all(s.in_bcast[j])]
        mixed = [(j, b) for j, b in live if (j, b) not in full and (j, b) not in scalars]
        shape_code = self._elementwise_shapes(s, where, out, live)
        alloc_lines = []
        for k, o in enumerate(s.outs):
            if s.alloc_outs[k]:
                alloc_lines += [f"        {o.name}->ndim = {nd};",
                                f"        for (int d = 0; d < {nd}; d++) {o.name}->shape[d] = shape[d];",
                                self._alloc(o)]
        alloc_code = "\n".join(alloc_lines)
        # further outputs (multi-output fusion) are allocated here: contiguous, element i at [i]
        extra = list(enumerate(s.outs))[1:]
        extra_ptrs = [f"{c_type(o.dtype)} *restrict po{k} = ({c_type(o.dtype)} *){o.name}->data;" for k, o in extra]
        extra_fast_stores = [f"po{k}[i] = {s.results[k]};" for k, _ in extra]
        extra_row_stores = [f"po{k}[o * inner + j] = {s.results[k]};" for k, _ in extra]
        in_t = {j: c_type(b.dtype) for j, b in live}
        scalar_loads = [f"const {in_t[j]} s{j} = *(const {in_t[j]} *){b.name}->data;" for j, b in scalars]
        # buffers allocated by this module are contiguous; arguments and views may not be
        maybe_strided = [b for j, b in full if b.role in ("arg", "view")]
        if not s.alloc_outs[0]:
            maybe_strided.append(out)
        fast_cond = "0" if mixed else " && ".join(f"jg_is_contiguous({b.name})" for b in maybe_strided) or "1"
        stmts = [f"{st.ctype} {st.target} = {st.expr};" for st in s.stmts]
        out_t = c_type(out.dtype)
        fast_ptrs = [f"const {in_t[j]} *restrict p{j} = (const {in_t[j]} *){b.name}->data;" for j, b in full]
        fast_ptrs.append(f"{out_t} *restrict po = ({out_t} *){out.name}->data;")
        fast_ptrs += extra_ptrs
        if any(b is out for _, b in live):
            fast_ptrs = [p.replace("*restrict ", "*") for p in fast_ptrs]   # in-place: reads alias the output
        fast_loads = [f"const {in_t[j]} v{j} = p{j}[i];" for j, b in full] + \
                     [f"const {in_t[j]} v{j} = s{j};" for j, b in scalars] + \
                     [f"const {in_t[j]} v{j} = 0;  /* not reached: fast path disabled */" for j, b in mixed]
        fast_stores = [f"po[i] = {s.results[0]};"] + extra_fast_stores
        strides = []
        for j, b in live:
            bc = s.in_bcast[j]
            strides.append(f"int64_t st{j}[JG_MAX_NDIM + 1] = {{{', '.join('0' if bc[d] else f'{b.name}->strides[{d}]' for d in range(nd)) or '0'}}};")
        strides.append(f"int64_t sto[JG_MAX_NDIM + 1] = {{{', '.join(f'{out.name}->strides[{d}]' for d in range(nd)) or '0'}}};")
        ptr_decls = [f"const char *q{j} = (const char *){b.name}->data;" for j, b in live]
        ptr_decls.append(f"char *qo = (char *){out.name}->data;")
        ptr_decls += extra_ptrs
        ptr_advance = [f"q{j} += id * st{j}[d];" for j, b in live] + ["qo += id * sto[d];"]
        last = max(nd - 1, 0)
        strided_loads = [f"const {in_t[j]} v{j} = *(const {in_t[j]} *)(q{j} + j * st{j}[{last}]);"
                         for j, b in live]
        strided_stores = [f"*({out_t} *)(qo + j * sto[{last}]) = {s.results[0]};"] + extra_row_stores
        # per row: operands broadcast along the last dimension are read once, the others
        # must have unit stride there (checked at run time)
        row_bcast = {j for j, b in live if nd and s.in_bcast[j][last]}
        inner_cond = " && ".join([f"st{j}[{last}] == (int64_t)sizeof({in_t[j]})" for j, b in live
                                  if j not in row_bcast] + [f"sto[{last}] == (int64_t)sizeof({out_t})"])
        row_ptrs = [f"const {in_t[j]} *restrict r{j} = (const {in_t[j]} *)q{j};" for j, b in live
                    if j not in row_bcast]
        row_ptrs += [f"const {in_t[j]} s{j}_row = *(const {in_t[j]} *)q{j};" for j in sorted(row_bcast)]
        row_ptrs.append(f"{out_t} *restrict ro = ({out_t} *)qo;")
        if any(b is out for _, b in live):
            row_ptrs = [p.replace("*restrict ", "*") for p in row_ptrs]   # in-place: reads alias the output
        row_loads = [f"const {in_t[j]} v{j} = " + (f"s{j}_row;" if j in row_bcast else f"r{j}[j];")
                     for j, b in live]
        strided_block = "" if fast_cond == "1" else " " + render(
            "elementwise_strided.c.tmpl", inner=f"shape[{nd - 1}]" if nd else "1", strides=_indent(strides, 12),
            ndim=nd, ptr_decls=_indent(ptr_decls, 16), ptr_advance=_indent(ptr_advance, 20),
            inner_cond=inner_cond if nd else "0", row_ptrs=_indent(row_ptrs, 20), row_loads=_indent(row_loads, 24),
            row_stores=_indent([f"ro[j] = {s.results[0]};"] + extra_row_stores, 24),
            strided_loads=_indent(strided_loads, 20), stmts=_indent(stmts, 20),
            strided_stores=_indent(strided_stores, 20))
        return render("elementwise.c.tmpl", comment=c_string(s.describe()), shape_code=_indent(shape_code, 8),
                      alloc_code=alloc_code, ndim=nd, scalar_loads=_indent(scalar_loads, 8),
                      fast_cond=fast_cond, fast_ptrs=_indent(fast_ptrs, 12), fast_loads=_indent(fast_loads, 16),
                      stmts=_indent(stmts, 16), fast_stores=_indent(fast_stores, 16), strided_block=strided_block)

    _INIT = {"add": "0", "mul": "1", "and": "1", "or": "0"}
    _COMBINE = {"add": "acc += (ACC)v;", "mul": "acc *= (ACC)v;", "and": "acc = acc && v;",
                "or": "acc = acc || v;"}

    def emit_Reduction(self, s):
        inp, out = s.inp, s.out
        in_t, out_t = c_type(inp.dtype), c_type(out.dtype)
        is_float = inp.dtype in ("float32", "float64")
        if s.op in ("max", "min"):
            acc_t = in_t
            init = "v0"
            fn = ("jg_max" if s.op == "max" else "jg_min") if is_float else ("jg_imax" if s.op == "max" else "jg_imin")
            combine = f"acc = {fn}(acc, v);"
            result = f"({out_t})acc"
        elif s.op in ("argmax", "argmin"):
            acc_t = in_t
            init = "v0"
            cmp = ">" if s.op == "argmax" else "<"
            nan = "|| (v != v && acc == acc)" if is_float else ""
            combine = f"if (v {cmp} acc {nan}) {{ acc = v; best = r; }}"
            result = "(int64_t)best"
        else:
            acc_t = c_type(s.acc_dtype)
            init = self._INIT[s.op]
            combine = self._COMBINE[s.op].replace("ACC", acc_t)
            result = f"({out_t})acc"
        if init == "v0":
            first = f"(R ? *(const {in_t} *)((const char *)in->data + ioff) : ({in_t})0)"
            init = first
        combine_block = _indent([combine], 24)
        if s.op == "add" and is_float:
            full = [f"{acc_t} total = 0;",
                    "#pragma omp parallel for simd reduction(+:total) if (parallel: R >= JG_OMP_MIN) num_threads(call->num_threads)",
                    f"for (int64_t r = 0; r < R; r++) total += ({acc_t})p[r];",
                    "acc = total;"]
        else:
            full = ["for (int64_t r = 0; r < R; r++) {", f"    {in_t} v = p[r];", f"    {combine}", "}"]
        flags = ", ".join("1" if d in s.axes else "0" for d in range(inp.ndim)) or "0"
        alloc = self._alloc(out)
        # emit only the loops that can run: reduced axes known to be trailing of a buffer
        # known to be contiguous need no odometer, and non-trailing axes no contiguous run
        trailing_axes = tuple(s.axes) == tuple(range(inp.ndim - len(s.axes), inp.ndim))
        maybe_strided = inp.role in ("arg", "view")
        if not trailing_axes:
            cond = "0"
        else:
            cond = "jg_is_contiguous(in)" if maybe_strided else "1"
        trailing_block = render("reduction_trailing.c.tmpl", in_type=in_t, full_reduce=_indent(full, 20),
                                combine=combine_block) if cond != "0" else ""
        generic_block = render("reduction_generic.c.tmpl", in_type=in_t, combine=combine_block) \
            if cond != "1" else ""
        leading_axes = tuple(s.axes) == tuple(range(len(s.axes))) and 0 < len(s.axes) < inp.ndim
        if leading_axes and s.op not in ("argmax", "argmin"):
            first_is_row0 = self._INIT.get(s.op) is None
            leading_block = render(
                "reduction_leading.c.tmpl", leading_cond="jg_is_contiguous(in)" if maybe_strided else "1",
                in_type=in_t, out_type=out_t, out=out.name, acc_type=acc_t,
                first=f"({acc_t})p[j0 + j]" if first_is_row0 else init,
                first_row="1" if first_is_row0 else "0",
                combine=combine.replace("acc", "accs[j]"))
        else:
            leading_block = "        {"
        return render("reduction.c.tmpl", comment=c_string(s.describe()), where=c_string(s.describe()),
                      inp=inp.name, reduced_flags=flags,
                      needs_elements="1" if s.op in ("max", "min", "argmax", "argmin") else "0",
                      out=out.name, out_dtype_code=DTYPE_CODES[out.dtype], alloc_code=alloc,
                      acc_type=acc_t, acc_init=init, trailing_cond=cond, trailing_block=trailing_block,
                      leading_block=leading_block,
                      generic_block=generic_block, out_type=out_t, result=result)

    def emit_FusedReduction(self, s):
        from jitgraph.codegen.c_fused_reduction import emit_fused_reduction
        return emit_fused_reduction(s, self._alloc(s.out))

    def _matmul_shape_lines(self, s, where):
        """Check the inner dimensions, set and allocate the product's shape (both targets)."""
        x, y, out = s.x, s.y, s.out
        kx = f"{x.name}->shape[{x.ndim - 1}]"
        ky = f"{y.name}->shape[0]"
        lines = [f"    if ({kx} != {ky}) JG_FAIL(JG_ERR_VALUE, \"%s: inner dimensions differ: x has shape "
                 f"{self._shape_fmt(x)}, y has shape {self._shape_fmt(y)}\", \"{where}\""
                 f"{self._shape_args(x)}{self._shape_args(y)});"]
        dims = ([f"{x.name}->shape[0]"] if x.ndim == 2 else []) + ([f"{y.name}->shape[1]"] if y.ndim == 2 else [])
        lines.append(f"    {out.name}->ndim = {len(dims)};")
        for d, e in enumerate(dims):
            lines.append(f"    {out.name}->shape[{d}] = {e};")
        lines.append(self._alloc(out, 4))
        return lines

    def emit_MatMul(self, s):
        where = c_string(s.describe())
        x, y, out = s.x, s.y, s.out
        lines = [f"/* {where} */", "{"] + self._matmul_shape_lines(s, where)
        lines.append(f"    JG_CHECK(jg_matmul_{out.dtype}(call, &temps, {out.name}, {x.name}, {y.name}));")
        lines.append("}")
        return _indent(lines, 4)

    def emit_Gemm(self, s):
        where = c_string(s.describe())
        x, y, z, out = s.x, s.y, s.z, s.out
        t = c_type(out.dtype)
        lines = [f"/* {where} */", "{", self._gemm_shape_check(s, where)]
        if not s.inplace:
            lines += self._gemm_out_shape(s)
            lines.append(f"    jg_copy({out.name}, {z.name});")
        lines.append(f"    JG_CHECK(jg_gemm_{out.dtype}(call, &temps, {out.name}, {x.name}, {y.name}, "
                     f"JG_AT({s.alpha.name}, {t}, 0), JG_AT({s.beta.name}, {t}, 0)));")
        lines.append("}")
        return _indent(lines, 4)

    def _gemm_shape_check(self, s, where):
        x, y, z = s.x, s.y, s.z
        return (f"    if ({x.name}->shape[1] != {y.name}->shape[0] || {z.name}->shape[0] != {x.name}->shape[0] || "
                f"{z.name}->shape[1] != {y.name}->shape[1]) JG_FAIL(JG_ERR_VALUE, \"%s: shapes do not match: "
                f"z has shape {self._shape_fmt(z)}, x {self._shape_fmt(x)}, y {self._shape_fmt(y)}\", "
                f"\"{where}\"{self._shape_args(z)}{self._shape_args(x)}{self._shape_args(y)});")

    def _gemm_out_shape(self, s):
        """A gemm that is not in place: its result gets z's shape."""
        out, z = s.out, s.z
        return [f"    {out.name}->ndim = 2; {out.name}->shape[0] = {z.name}->shape[0]; "
                f"{out.name}->shape[1] = {z.name}->shape[1];", self._alloc(out, 4)]

    @staticmethod
    def _shape_fmt(b):
        return "(" + ", ".join(["%lld"] * b.ndim) + ("," if b.ndim == 1 else "") + ")"

    @staticmethod
    def _shape_args(b):
        return "".join(f", (long long){b.name}->shape[{d}]" for d in range(b.ndim))

    def emit_View(self, s):
        where = c_string(s.describe())
        out, inp = s.out, s.inp
        lines = [f"/* {where} */", "{"]
        if s.kind == "dimshuffle":
            order = ", ".join("-1" if d == "x" else str(d) for d in s.params) or "0"
            lines.append(f"    static const int order[] = {{{order}}};")
            lines.append(f"    JG_CHECK(jg_view_dimshuffle(call, {out.name}, {inp.name}, order, {len(s.params)}, "
                         f"\"{where}\"));")
        elif s.kind == "rebroadcast":
            pattern = ", ".join("1" if b else "0" for b in s.params) or "0"
            lines.append(f"    static const int pattern[] = {{{pattern}}};")
            lines.append(f"    *{out.name} = *{inp.name};")
            lines.append(f"    JG_CHECK(jg_check_broadcastable(call, {inp.name}, pattern, \"{where}\"));")
        elif s.kind == "reshape":
            lines.append(f"    JG_CHECK(jg_view_reshape(call, &temps, {out.name}, {inp.name}, {s.extra[0].name}, "
                         f"{s.params[0]}, \"{where}\"));")
        elif s.kind == "slice":
            lines += self._slice_lines(s, where)
        else:
            raise NotImplementedError(s.kind)
        lines.append("}")
        return _indent(lines, 4)

    def _slice_lines(self, s, where):
        out, inp = s.out, s.inp
        lines = [f"    char *base = (char *){inp.name}->data;", "    int od = 0;", "    int64_t v;"]
        k = 0
        for d, entry in enumerate(s.params):
            if entry == "int":
                lines.append(f"    v = jg_read_int({s.extra[k].name});")
                lines.append(f"    JG_CHECK(jg_index_adjust(call, {inp.name}->shape[{d}], &v, {d}, \"{where}\"));")
                lines.append(f"    base += v * {inp.name}->strides[{d}];")
                k += 1
                continue
            _, has_start, has_stop, has_step = entry
            parts = []
            for present in (has_start, has_stop, has_step):
                if present:
                    parts.append(f"jg_read_int({s.extra[k].name})")
                    k += 1
                else:
                    parts.append("0")
            lines.append("    {")
            lines.append(f"        int64_t start = {parts[0]}, stop = {parts[1]}, step = {parts[2] if has_step else '1'};")
            lines.append(f"        if (step == 0) JG_FAIL(JG_ERR_VALUE, \"%s: slice step cannot be zero\", \"{where}\");")
            lines.append("        int64_t first;")
            lines.append(f"        int64_t len = jg_slice_adjust({inp.name}->shape[{d}], {int(has_start)}, start, "
                         f"{int(has_stop)}, stop, step, &first);")
            lines.append(f"        base += (len > 0 ? first : 0) * {inp.name}->strides[{d}];")
            lines.append(f"        {out.name}->shape[od] = len; {out.name}->strides[od] = {inp.name}->strides[{d}] * step; od++;")
            lines.append("    }")
        lines.append(f"    for (int d = {len(s.params)}; d < {inp.name}->ndim; d++) {{ {out.name}->shape[od] = "
                     f"{inp.name}->shape[d]; {out.name}->strides[od] = {inp.name}->strides[d]; od++; }}")
        lines.append(f"    {out.name}->data = base; {out.name}->ndim = od; {out.name}->dtype = {inp.name}->dtype;")
        return lines

    def emit_Copy(self, s):
        out, inp = s.out, s.inp
        lines = [f"/* copy: {c_string(s.describe())} */", "{"]
        if s.alloc:
            lines.append(f"    {out.name}->ndim = {inp.name}->ndim;")
            lines.append(f"    for (int d = 0; d < {inp.name}->ndim; d++) {out.name}->shape[d] = {inp.name}->shape[d];")
            lines.append(self._alloc(out, 4))
        lines.append(f"    jg_copy({out.name}, {inp.name});")
        lines.append("}")
        return _indent(lines, 4)

    def emit_ShapeOf(self, s):
        out, inp = s.out, s.inp
        lines = [f"/* {c_string(s.describe())} */", "{",
                 f"    {out.name}->ndim = 1; {out.name}->shape[0] = {inp.name}->ndim;",
                 self._alloc(out, 4),
                 f"    for (int d = 0; d < {inp.name}->ndim; d++) JG_AT({out.name}, int64_t, d * {out.name}->strides[0])"
                 f" = {inp.name}->shape[d];",
                 "}"]
        return _indent(lines, 4)

    def emit_MakeVector(self, s):
        out = s.out
        t = c_type(out.dtype)
        lines = [f"/* {c_string(s.describe())} */", "{",
                 f"    {out.name}->ndim = 1; {out.name}->shape[0] = {len(s.ins)};", self._alloc(out, 4)]
        for i, b in enumerate(s.ins):
            lines.append(f"    JG_AT({out.name}, {t}, {i} * {out.name}->strides[0]) = "
                         f"({t})(*(const {c_type(b.dtype)} *){b.name}->data);")
        lines.append("}")
        return _indent(lines, 4)

    def emit_AllocShape(self, s):
        where = c_string(s.describe())
        out = s.out
        lines = [f"/* {where} */", "{", f"    {out.name}->ndim = {len(s.dims)};"]
        for d, b in enumerate(s.dims):
            lines.append(f"    {out.name}->shape[{d}] = jg_read_int({b.name});")
            lines.append(f"    if ({out.name}->shape[{d}] < 0) JG_FAIL(JG_ERR_VALUE, \"%s: negative dimension %lld\", "
                         f"\"{where}\", (long long){out.name}->shape[{d}]);")
        lines.append(self._alloc(out, 4))
        lines.append("}")
        return _indent(lines, 4)


    def emit_TemplateStep(self, s):
        """Placeholders, for each buffer placeholder ``x``: ``${x}`` (its C name, a
        ``jg_buffer *``), ``${x_t}`` (element C type), ``${x_dtype}`` (JG dtype code),
        ``${x_ndim}`` (static ndim) and ``${alloc_x}`` (a statement allocating it once its
        ndim and shape are set). Also ``${where}`` (the nodes, for error messages), and
        every entry of ``params``."""
        values = {"where": c_string(s.describe())}
        for key, b in s.bufs.items():
            values[key] = b.name
            values[f"{key}_t"] = c_type(b.dtype)
            values[f"{key}_dtype"] = str(DTYPE_CODES[b.dtype])
            values[f"{key}_ndim"] = str(b.ndim)
            values[f"alloc_{key}"] = self._alloc(b, 0).strip().replace("\n", " ")
        values.update({k: str(v) for k, v in s.params.items()})
        body = render(s.template, **values)
        return f"    /* {values['where']} */\n    {{\n{body}\n    }}"


def emit_c(kernel):
    return CEmitter(kernel).source()
