/* Advanced indexing for advsub_get.c.tmpl and advsub_inc.c.tmpl, with numpy's rules:
 * integer arrays (any integer dtype, any strides, negative values counting from the
 * end) and boolean masks, mixed with slices, integer scalars and new axes.
 *
 * A plan describes the indexed region x[idx] as
 *   outer dims (slices / new axes before the advanced block)
 *   the block (the advanced indices broadcast together; one table lookup per element)
 *   inner dims (slices / new axes / untouched dims after it).
 * Every region element then lives at  base + outer offset + block_off[b] + inner offset
 * bytes into x. numpy puts the block where the first advanced index is when the
 * advanced indices (integer scalars included) are adjacent in the index, else first.
 *
 * Bounds are checked as numpy does: integer scalars always; index arrays only when the
 * block is not empty (numpy never reads an index of an empty broadcast). */
#ifndef JG_ADVSUB_H
#define JG_ADVSUB_H

/* idx_list entry codes, written by jitgraph/tensor/advanced_subtensor.py */
enum { JG_ADV_NONE = 0, JG_ADV_TENSOR = 1, JG_ADV_SLICE = 8 /* + 1 start, + 2 stop, + 4 step */ };

typedef struct {
    int ndim;                          /* of the region */
    int64_t shape[JG_MAX_NDIM];
    int64_t xstride[JG_MAX_NDIM];      /* bytes in x per step along an outer/inner dim */
    int64_t base;                      /* byte offset in x of the slices' starts */
    int block_at, block_ndim;          /* region dims [block_at, block_at + block_ndim) */
    int64_t block_size;
    int64_t *block_off;                /* byte offset in x of each block element, C order */
    int64_t zero_off;                  /* block_off when there is no advanced index */
    int n_adv;                         /* advanced entries, in index order */
    const jg_buffer *adv[JG_MAX_NDIM];
    int adv_dim[JG_MAX_NDIM];          /* the first dim of x each one indexes */
    int64_t adv_count[JG_MAX_NDIM];    /* masks: number of true elements */
} jg_adv_plan;

/* How the region loops go: rows = outer dims x block (each row one lookup), then the
   inner dims, the last of them a tight strided loop of length `len`. */
typedef struct {
    int64_t rows, inner_rows, len, xs, os;
    int inner_at;    /* first inner dim */
    int flat;        /* no outer dims and the other buffer's rows evenly spaced: */
    int64_t ostep;   /* row r starts at block_off[r] in x and r * ostep in the other buffer */
} jg_adv_loops;

/* Build time matters (modules are compiled on first call): the loops over the indices run
   once per call, so they are built at -O1; setup bounded by the number of dimensions at
   -O0; only the gather/scatter rows (jg_adv_row, jg_adv_inner) at the module's level.
   Together this takes about a third off this header's share of a module's build. */
#if defined(__GNUC__) && !defined(__clang__)
#define JG_ADV_BUILD_LEVEL(level) _Pragma("GCC push_options") _Pragma(level)
#define JG_ADV_BUILD_DEFAULT _Pragma("GCC pop_options")
#else
#define JG_ADV_BUILD_LEVEL(level)
#define JG_ADV_BUILD_DEFAULT
#endif

/* ------------------------------------------------ loops over the indices (once per call) */
JG_ADV_BUILD_LEVEL("GCC optimize(\"O1\")")

/* One element of an integer index array as int64 (see jg_int_at). */
static inline int64_t jg_adv_read(const char *p, int dtype) {
    return jg_int_at(p, dtype);
}

/* b is visited as rows along its last dim. Byte offset in b of row `row` (C order), and
   in x of the same coordinates when xstr (x's strides of the dims b covers) is given. */
static inline int64_t jg_adv_row_of(const jg_buffer *b, int64_t row, const int64_t *xstr, int64_t *xoff) {
    int64_t off = 0, xo = 0;
    for (int d = b->ndim - 2; d >= 0; d--) {
        int64_t i = row % b->shape[d];
        row /= b->shape[d];
        off += i * b->strides[d];
        if (xstr) xo += i * xstr[d];
    }
    if (xoff) *xoff = xo;
    return off;
}

/* tab[e] = byte offset in x of index element e (C order) along a dim of `size` elements
   `stride` bytes apart; returns -1, or the position of the first bad index. */
static int64_t jg_adv_index_table(const jg_buffer *b, int64_t size, int64_t stride, int64_t *tab) {
    const int64_t len = b->ndim ? b->shape[b->ndim - 1] : 1, s = b->ndim ? b->strides[b->ndim - 1] : 0;
    const int64_t rows = len ? jg_size(b) / len : 0;
    const int dt = b->dtype;
    for (int64_t row = 0; row < rows; row++) {
        const char *p = (const char *)b->data + jg_adv_row_of(b, row, NULL, NULL);
        int64_t *t = tab + row * len;
#define JG_ADV_INDEX_LOOP(READ)                                                        \
        for (int64_t e = 0; e < len; e++) {                                           \
            int64_t v = (READ), w = v < 0 ? v + size : v;                              \
            if (w < 0 || w >= size) return row * len + e;                              \
            t[e] = w * stride;                                                         \
        }
        /* the usual index dtypes without a switch per element */
        if (dt == JG_INT64) { JG_ADV_INDEX_LOOP(*(const int64_t *)(p + e * s)) }
        else if (dt == JG_INT32) { JG_ADV_INDEX_LOOP(*(const int32_t *)(p + e * s)) }
        else { JG_ADV_INDEX_LOOP(jg_adv_read(p + e * s, dt)) }
#undef JG_ADV_INDEX_LOOP
    }
    return -1;
}

/* Number of true elements of a mask; with tab, also their byte offsets in x (C order). */
static int64_t jg_adv_mask_scan(const jg_buffer *m, const int64_t *xstr, int64_t *tab) {
    const int64_t len = m->shape[m->ndim - 1], s = m->strides[m->ndim - 1], xs = xstr[m->ndim - 1];
    const int64_t rows = len ? jg_size(m) / len : 0;
    int64_t count = 0;
    for (int64_t row = 0; row < rows; row++) {
        int64_t xo;
        const char *p = (const char *)m->data + jg_adv_row_of(m, row, xstr, &xo);
        for (int64_t e = 0; e < len; e++)
            if (p[e * s]) {
                if (tab) tab[count] = xo + e * xs;
                count++;
            }
    }
    return count;
}

/* block_off[e] = sum over the advanced entries of their table at e's broadcast position
   (tstride: each table's element stride per block dim, 0 where it broadcasts). */
static void jg_adv_combine(const jg_adv_plan *p, int64_t *const *table, int64_t tstride[][JG_MAX_NDIM]) {
    const int nb = p->block_ndim;
    const int64_t *bshape = p->shape + p->block_at;
    if (nb == 1) {   /* vectors, e.g. M[arange(n), y] */
        for (int64_t e = 0; e < p->block_size; e++) {
            int64_t off = 0;
            for (int j = 0; j < p->n_adv; j++) off += table[j][e * tstride[j][0]];
            p->block_off[e] = off;
        }
        return;
    }
    int64_t idx[JG_MAX_NDIM] = {0}, at[JG_MAX_NDIM] = {0};
    for (int64_t e = 0; e < p->block_size; e++) {
        int64_t off = 0;
        for (int j = 0; j < p->n_adv; j++) off += table[j][at[j]];
        p->block_off[e] = off;
        for (int i = nb - 1; i >= 0; i--) {   /* odometer step, keeping each table's position */
            for (int j = 0; j < p->n_adv; j++) at[j] += tstride[j][i];
            if (++idx[i] < bshape[i]) break;
            for (int j = 0; j < p->n_adv; j++) at[j] -= tstride[j][i] * bshape[i];
            idx[i] = 0;
        }
    }
}

JG_ADV_BUILD_DEFAULT

/* ------------------------------------------------ the gather/scatter rows (per element) */

/* Byte offsets of row r in x and in a buffer of the region's shape with strides ostr. */
static inline void jg_adv_row(const jg_adv_plan *p, const jg_adv_loops *l, const int64_t *ostr, int64_t r,
                              int64_t *xo, int64_t *oo) {
    if (l->flat) {
        *xo = p->base + p->block_off[r];
        *oo = r * l->ostep;
        return;
    }
    int64_t b = r % p->block_size, o = r / p->block_size, x = p->base + p->block_off[b], y = 0;
    for (int d = p->block_at + p->block_ndim - 1; d >= p->block_at; d--) {
        y += (b % p->shape[d]) * ostr[d];
        b /= p->shape[d];
    }
    for (int d = p->block_at - 1; d >= 0; d--) {
        int64_t i = o % p->shape[d];
        o /= p->shape[d];
        x += i * p->xstride[d];
        y += i * ostr[d];
    }
    *xo = x;
    *oo = y;
}

/* Adds the offsets of inner row q (the inner dims but the last) to *xo and *oo. */
static inline void jg_adv_inner(const jg_adv_plan *p, const jg_adv_loops *l, const int64_t *ostr, int64_t q,
                                int64_t *xo, int64_t *oo) {
    for (int d = p->ndim - 2; d >= l->inner_at; d--) {
        int64_t i = q % p->shape[d];
        q /= p->shape[d];
        *xo += i * p->xstride[d];
        *oo += i * ostr[d];
    }
}

/* ------------------------------------------------ setup and messages (once per call) */

JG_ADV_BUILD_LEVEL("GCC optimize(\"O0\")")

static void jg_adv_format_shape(char *out, size_t len, int ndim, const int64_t *shape) {
    size_t used = (size_t)snprintf(out, len, "(");
    for (int d = 0; d < ndim && used < len; d++)
        used += (size_t)snprintf(out + used, len - used, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (used < len) snprintf(out + used, len - used, ndim == 1 ? ",)" : ")");
}

static int jg_adv_out_of_bounds(jg_call *call, const jg_buffer *x, int64_t v, int dim, const char *where) {
    char shp[160];
    jg_adv_format_shape(shp, sizeof shp, x->ndim, x->shape);
    snprintf(call->err, (size_t)call->err_len, "%s: index %lld is out of bounds for axis %d with size %lld "
             "(indexed array shape %s, valid indices %lld..%lld)", where, (long long)v, dim,
             (long long)x->shape[dim], shp, (long long)-x->shape[dim], (long long)x->shape[dim] - 1);
    return JG_ERR_INDEX;
}

static int jg_adv_broadcast_error(jg_call *call, const jg_adv_plan *p, const char *where) {
    char shapes[256];
    size_t used = 0;
    shapes[0] = 0;
    for (int m = 0; m < p->n_adv && used + 1 < sizeof shapes; m++) {
        const jg_buffer *c = p->adv[m];
        if (c->dtype == JG_BOOL) jg_adv_format_shape(shapes + used, sizeof shapes - used, 1, &p->adv_count[m]);
        else jg_adv_format_shape(shapes + used, sizeof shapes - used, c->ndim, c->shape);
        used = strlen(shapes);
        if (m + 1 < p->n_adv && used + 1 < sizeof shapes) { shapes[used++] = ' '; shapes[used] = 0; }
    }
    snprintf(call->err, (size_t)call->err_len, "%s: shape mismatch: indexing arrays could not be broadcast "
             "together with shapes %s", where, shapes);
    return JG_ERR_INDEX;
}

/* Shapes of the region, the slices' offsets and the broadcast block; checks masks'
   shapes, integer scalars and the index arrays' broadcasting (IndexError as numpy). */
static int jg_adv_plan_build(jg_call *call, jg_adv_plan *p, const jg_buffer *x, const int *codes, int ncodes,
                             const jg_buffer *const *ins, int nins, const char *where) {
    int64_t reg_shape[2 * JG_MAX_NDIM], reg_stride[2 * JG_MAX_NDIM];
    int nreg = 0, d = 0, k = 0, first_pos = -1, last_pos = -1, reg_before_block = 0;
    memset(p, 0, sizeof *p);
    for (int pos = 0; pos < ncodes; pos++) {
        int code = codes[pos];
        if (nreg >= 2 * JG_MAX_NDIM || (code != JG_ADV_NONE && d >= x->ndim) || (code == JG_ADV_TENSOR && k >= nins))
            goto too_many;
        if (code == JG_ADV_NONE) {
            reg_shape[nreg] = 1; reg_stride[nreg++] = 0;
        } else if (code == JG_ADV_TENSOR) {
            const jg_buffer *b = ins[k++];
            if (first_pos < 0) { first_pos = pos; reg_before_block = nreg; }
            last_pos = pos;
            p->adv[p->n_adv] = b;
            p->adv_dim[p->n_adv] = d;
            if (b->dtype == JG_BOOL) {
                if (b->ndim == 0 || d + b->ndim > x->ndim) goto too_many;
                for (int j = 0; j < b->ndim; j++)
                    if (b->shape[j] != x->shape[d + j]) {
                        snprintf(call->err, (size_t)call->err_len, "%s: boolean index did not match indexed array "
                                 "along axis %d; size of axis is %lld but size of corresponding boolean axis is %lld",
                                 where, d + j, (long long)x->shape[d + j], (long long)b->shape[j]);
                        return JG_ERR_INDEX;
                    }
                p->adv_count[p->n_adv] = jg_adv_mask_scan(b, x->strides + d, NULL);
                d += b->ndim;
            } else {
                if (b->ndim == 0) {   /* an integer: checked now, as numpy does */
                    int64_t v = jg_adv_read((const char *)b->data, b->dtype);
                    if (v < -x->shape[d] || v >= x->shape[d]) return jg_adv_out_of_bounds(call, x, v, d, where);
                }
                d += 1;
            }
            p->n_adv++;
        } else {
            int64_t part[3] = {0, 0, 1};
            for (int j = 0; j < 3; j++)
                if (code & (1 << j)) {
                    if (k >= nins) goto too_many;
                    part[j] = jg_read_int(ins[k++]);
                }
            if (part[2] == 0) {
                snprintf(call->err, (size_t)call->err_len, "%s: slice step cannot be zero", where);
                return JG_ERR_VALUE;
            }
            int64_t first;
            int64_t len = jg_slice_adjust(x->shape[d], code & 1, part[0], (code >> 1) & 1, part[1], part[2], &first);
            if (len > 0) p->base += first * x->strides[d];
            reg_shape[nreg] = len; reg_stride[nreg++] = x->strides[d] * part[2];
            d++;
        }
    }
    for (; d < x->ndim; d++) {
        if (nreg >= 2 * JG_MAX_NDIM) goto too_many;
        reg_shape[nreg] = x->shape[d]; reg_stride[nreg++] = x->strides[d];
    }
    /* the block: the advanced indices broadcast together (a mask counts as a vector) */
    int nb = 0;
    int64_t bshape[JG_MAX_NDIM];
    for (int j = 0; j < p->n_adv; j++) {
        int e = p->adv[j]->dtype == JG_BOOL ? 1 : p->adv[j]->ndim;
        if (e > nb) nb = e;
    }
    for (int i = 0; i < nb; i++) bshape[i] = 1;
    for (int j = 0; j < p->n_adv; j++) {
        const jg_buffer *b = p->adv[j];
        int e = b->dtype == JG_BOOL ? 1 : b->ndim;
        for (int i = 0; i < e; i++) {
            int64_t s = b->dtype == JG_BOOL ? p->adv_count[j] : b->shape[i];
            int64_t *t = &bshape[nb - e + i];
            if (s == *t || s == 1) continue;
            if (*t != 1) return jg_adv_broadcast_error(call, p, where);
            *t = s;
        }
    }
    if (nreg + nb > JG_MAX_NDIM) goto too_many;
    /* numpy: adjacent advanced indices keep their place; separated ones go first */
    p->block_at = (p->n_adv && last_pos - first_pos + 1 == p->n_adv) ? reg_before_block : 0;
    p->block_ndim = nb;
    p->ndim = nreg + nb;
    p->block_size = 1;
    for (int i = 0; i < nb; i++) p->block_size *= bshape[i];
    for (int r = 0, od = 0; od < p->ndim; od++) {
        if (od >= p->block_at && od < p->block_at + nb) { p->shape[od] = bshape[od - p->block_at]; continue; }
        p->shape[od] = reg_shape[r]; p->xstride[od] = reg_stride[r++];
    }
    p->block_off = &p->zero_off;
    return 0;
too_many:
    snprintf(call->err, (size_t)call->err_len, "%s: too many indices for an array of %d dimension(s)", where, x->ndim);
    return JG_ERR_INDEX;
}

static int jg_adv_temp_table(jg_call *call, jg_temps *temps, int64_t n, int64_t **out) {
    jg_buffer t;
    memset(&t, 0, sizeof t);
    t.dtype = JG_INT64; t.ndim = 1; t.shape[0] = n;
    int rc = jg_alloc_temp(call, temps, &t);
    *out = (int64_t *)t.data;
    return rc;
}

/* block_off: checks every index of the arrays (when the block is not empty) and turns
   them into byte offsets in x. Tables live in scratch freed when the entry returns. */
static int jg_adv_offsets(jg_call *call, jg_temps *temps, jg_adv_plan *p, const jg_buffer *x, const char *where) {
    if (p->n_adv == 0 || p->block_size == 0) return 0;
    int64_t *table[JG_MAX_NDIM];
    int64_t tstride[JG_MAX_NDIM][JG_MAX_NDIM];
    const int nb = p->block_ndim;
    int rc;
    for (int j = 0; j < p->n_adv; j++) {
        const jg_buffer *b = p->adv[j];
        const int dim = p->adv_dim[j], mask = b->dtype == JG_BOOL, e = mask ? 1 : b->ndim;
        if ((rc = jg_adv_temp_table(call, temps, mask ? p->adv_count[j] : jg_size(b), &table[j]))) return rc;
        if (mask) {
            jg_adv_mask_scan(b, x->strides + dim, table[j]);
        } else {
            int64_t bad = jg_adv_index_table(b, x->shape[dim], x->strides[dim], table[j]);
            if (bad >= 0) {
                int64_t boff = b->ndim ? jg_adv_row_of(b, bad / b->shape[b->ndim - 1], NULL, NULL)
                                         + (bad % b->shape[b->ndim - 1]) * b->strides[b->ndim - 1] : 0;
                return jg_adv_out_of_bounds(call, x, jg_adv_read((const char *)b->data + boff, b->dtype), dim, where);
            }
        }
        /* element strides of the table per block dim; 0 where it broadcasts */
        int64_t s = 1;
        for (int i = 0; i < nb; i++) tstride[j][i] = 0;
        for (int i = e - 1; i >= 0; i--) {
            int64_t len = mask ? p->adv_count[j] : b->shape[i];
            tstride[j][nb - e + i] = len == 1 ? 0 : s;
            s *= len;
        }
    }
    if (p->n_adv == 1) { p->block_off = table[0]; return 0; }
    if ((rc = jg_adv_temp_table(call, temps, p->block_size, &p->block_off))) return rc;
    jg_adv_combine(p, table, tstride);
    return 0;
}

static void jg_adv_loop_setup(const jg_adv_plan *p, const int64_t *ostr, jg_adv_loops *l) {
    l->inner_at = p->block_at + p->block_ndim;
    l->flat = p->block_at == 0;
    l->ostep = 0;
    for (int d = l->inner_at - 1, next = -1; d >= 0 && l->flat; d--) {
        if (p->shape[d] == 1) continue;   /* its index is always 0 */
        if (next < 0) l->ostep = ostr[d];
        else if (ostr[d] != ostr[next] * p->shape[next]) l->flat = 0;
        next = d;
    }
    l->rows = p->block_size;
    for (int d = 0; d < p->block_at; d++) l->rows *= p->shape[d];
    if (l->inner_at == p->ndim) { l->inner_rows = 1; l->len = 1; l->xs = l->os = 0; return; }
    l->len = p->shape[p->ndim - 1];
    l->xs = p->xstride[p->ndim - 1];
    l->os = ostr[p->ndim - 1];
    l->inner_rows = 1;
    for (int d = l->inner_at; d < p->ndim - 1; d++) l->inner_rows *= p->shape[d];
}

/* ostr: strides of the value y seen with the region's dims (0 where it broadcasts);
   ValueError as numpy when y cannot be broadcast to the region. */
static int jg_adv_value_strides(jg_call *call, const jg_adv_plan *p, const jg_buffer *x, const jg_buffer *y,
                                int64_t *ostr, const char *where) {
    int lead = p->ndim - y->ndim;
    int ok = lead >= 0;
    for (int d = 0; ok && d < p->ndim; d++) {
        if (d < lead) { ostr[d] = 0; continue; }
        int64_t s = y->shape[d - lead];
        if (s == p->shape[d]) ostr[d] = s == 1 ? 0 : y->strides[d - lead];
        else if (s == 1) ostr[d] = 0;
        else ok = 0;
    }
    if (ok) return 0;
    char ys[160], rs[160], xs[160];
    jg_adv_format_shape(ys, sizeof ys, y->ndim, y->shape);
    jg_adv_format_shape(rs, sizeof rs, p->ndim, p->shape);
    jg_adv_format_shape(xs, sizeof xs, x->ndim, x->shape);
    snprintf(call->err, (size_t)call->err_len, "%s: shape mismatch: value shape %s could not be broadcast to the "
             "indexing result's shape %s (x shape %s)", where, ys, rs, xs);
    return JG_ERR_VALUE;
}

JG_ADV_BUILD_DEFAULT

#endif
