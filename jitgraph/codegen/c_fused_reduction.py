"""C for ir.FusedReduction: an elementwise expression reduced in the loop that computes it
(``reduction_fused.c.tmpl``). Contiguous inputs reduced over trailing axes get vectorised
runs (``omp simd`` reductions for sums and products); any other layout walks each input's
own strides."""
from jitgraph.codegen.c import _indent, c_string, render
from jitgraph.scalar.basic import c_type

_INIT = {"add": "0", "mul": "1", "max": "(-INFINITY)", "min": "INFINITY"}
_COMBINE = {"add": "acc += ({acc})({v});", "mul": "acc *= ({acc})({v});",
            "max": "acc = jg_max(acc, ({acc})({v}));", "min": "acc = jg_min(acc, ({acc})({v}));"}
_OMP_OP = {"add": "+", "mul": "*"}


def emit_fused_reduction(s, alloc):
    """``alloc``: the emitter's allocation statement for ``s.out``."""
    where = c_string(s.describe())
    out = s.out
    live = [(j, b) for j, b in enumerate(s.ins) if b.role != "const"]
    full = [(j, b) for j, b in live if s.full[j]] or live
    scalars = [(j, b) for j, b in live if (j, b) not in full]
    pos = {j: p for p, (j, _) in enumerate(live)}
    ref_j, ref = full[0]
    in_t = {j: c_type(b.dtype) for j, b in live}
    acc_t = c_type(s.acc_dtype)
    checks = []
    for j, b in full[1:]:
        for d in range(s.ndim):
            checks.append(f"if ({b.name}->shape[{d}] != in->shape[{d}]) JG_CHECK(jg_broadcast_error(call, "
                          f"\"{where}\", {pos[j]}, {d}, {pos[ref_j]}, in->shape[{d}], ins, {len(live)}));")
    trailing = tuple(s.axes) == tuple(range(s.ndim - len(s.axes), s.ndim))
    maybe_strided = [b for _, b in full if b.role in ("arg", "view")]
    if not trailing:
        contiguous = "0"
    else:
        contiguous = " && ".join(f"jg_is_contiguous({b.name})" for b in maybe_strided) or "1"
    omp_op = _OMP_OP.get(s.op)
    combine = _COMBINE[s.op].format(acc=acc_t, v=s.value)
    stmts = [f"{st.ctype} {st.target} = {st.expr};" for st in s.stmts]
    scalar_loads = [f"const {in_t[j]} s{j} = *(const {in_t[j]} *){b.name}->data;" for j, b in scalars]
    fast_loads = [f"const {in_t[j]} v{j} = p{j}[r];" for j, b in full] + \
                 [f"const {in_t[j]} v{j} = s{j};" for j, b in scalars]
    strided_loads = [f"const {in_t[j]} v{j} = *(const {in_t[j]} *)((const char *){b.name}->data + ioff{j} + roff{j});"
                     for j, b in full] + [f"const {in_t[j]} v{j} = s{j};" for j, b in scalars]
    full_pragma = (f"#pragma omp parallel for simd reduction({omp_op}:acc) if (parallel: R >= JG_OMP_MIN) "
                   "num_threads(call->num_threads)") if omp_op else ""
    row_pragma = f"#pragma omp simd reduction({omp_op}:acc)" if omp_op else ""
    return render(
        "reduction_fused.c.tmpl", comment=where, where=where,
        all_ins=", ".join(b.name for _, b in live) or "NULL", ref=ref.name,
        shape_checks=_indent(checks, 8),
        stride_decls=_indent([f"int64_t kst{j}[JG_MAX_NDIM + 1], rst{j}[JG_MAX_NDIM + 1];" for j, _ in full], 8),
        rstride_sets=" ".join(f"rst{j}[nr] = {b.name}->strides[d];" for j, b in full),
        kstride_sets=" ".join(f"kst{j}[nk] = {b.name}->strides[d];" for j, b in full),
        reduced_flags=", ".join("1" if d in s.axes else "0" for d in range(s.ndim)) or "0", ndim=s.ndim,
        needs_elements="1" if s.op in ("max", "min") else "0", out=out.name, alloc_code=alloc,
        scalar_loads=_indent(scalar_loads, 8), contiguous_cond=contiguous,
        full_ptrs=_indent([f"const {in_t[j]} *restrict p{j} = (const {in_t[j]} *){b.name}->data;" for j, b in full], 12),
        acc_type=acc_t, init=_INIT[s.op], full_pragma=full_pragma, row_pragma=row_pragma,
        fast_loads=_indent(fast_loads, 16), stmts=_indent(stmts, 16), combine=combine,
        out_type=c_type(out.dtype),
        row_ptrs=_indent([f"const {in_t[j]} *restrict p{j} = (const {in_t[j]} *){b.name}->data + o * R;"
                          for j, b in full], 16),
        ioff_decls=_indent([f"int64_t ioff{j} = 0;" for j, _ in full], 16),
        ioff_advance=_indent([f"ioff{j} += id * kst{j}[d];" for j, _ in full], 20),
        roff_decls=_indent([f"int64_t roff{j} = 0;" for j, _ in full], 16),
        strided_loads=_indent(strided_loads, 20), strided_stmts=_indent(stmts, 20),
        roff_advance=_indent([f"roff{j} += rst{j}[d];" for j, _ in full], 24),
        roff_back=_indent([f"roff{j} -= rst{j}[d] * rshape[d];" for j, _ in full], 24))


__all__ = ["emit_fused_reduction"]
