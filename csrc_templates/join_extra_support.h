/* Helpers for the native code of join/split and the array-building ops
 * (csrc_templates/join_*.c.tmpl, extra_*.c.tmpl): reading integer vectors of any dtype
 * and stride, formatting them for messages, and type-generic strided copies.
 *
 * Copies work row by row (a row: the last dimension), so any strides, negative ones
 * included, cost one index decomposition per row; elements are moved as 1/2/4/8-byte
 * words, which covers every dtype. */
#ifndef JG_JOIN_EXTRA_SUPPORT_H
#define JG_JOIN_EXTRA_SUPPORT_H
#include <math.h>

/* Element i of an integer or bool vector (any stride) as int64. */
static int64_t jgx_int_at(const jg_buffer *b, int64_t i) {
    return jg_int_at((const char *)b->data + i * b->strides[0], b->dtype);
}

/* A 0-d buffer of any dtype as double. */
static double jgx_read_double(const jg_buffer *b) {
    switch (b->dtype) {
    case JG_FLOAT32: return *(const float *)b->data;
    case JG_FLOAT64: return *(const double *)b->data;
    case JG_UINT64: return (double)*(const uint64_t *)b->data;
    default: return (double)jg_read_int(b);
    }
}

/* "[1, -2, 3]": the entries of an int vector, as Python prints a list. */
static void jgx_format_ints(char *out, size_t len, const jg_buffer *vec) {
    size_t used = (size_t)snprintf(out, len, "[");
    for (int64_t i = 0; i < vec->shape[0] && used < len; i++)
        used += (size_t)snprintf(out + used, len - used, "%s%lld", i ? ", " : "", (long long)jgx_int_at(vec, i));
    if (used < len) snprintf(out + used, len - used, "]");
}

/* "(2, 3)": one buffer's shape, as Python prints a tuple. */
static void jgx_format_shape(char *out, size_t len, const jg_buffer *b) {
    const jg_buffer *one[1] = {b};
    jg_format_shapes(out, len, one, 1);
}

/* Byte offset of row r (rows: every dimension but the last, in C order) in an array of
   nd dimensions with ``shape`` and ``strides``. */
static int64_t jgx_row_offset(int nd, const int64_t *shape, const int64_t *strides, int64_t r) {
    int64_t off = 0;
    for (int d = nd - 2; d >= 0; d--) {
        int64_t i = r % shape[d];
        r /= shape[d];
        off += i * strides[d];
    }
    return off;
}

/* n elements of ``item`` bytes: dst[k * ds] = src[k * ss], or src[map[k] * ss] when map
   is given. */
#define JGX_MOVE(T)                                                                           \
    if (map) for (int64_t k = 0; k < n; k++) *(T *)(dst + k * ds) = *(const T *)(src + map[k] * ss); \
    else for (int64_t k = 0; k < n; k++) *(T *)(dst + k * ds) = *(const T *)(src + k * ss);   \
    break;

static void jgx_move_line(char *dst, int64_t ds, const char *src, int64_t ss, const int64_t *map, int64_t n,
                          int64_t item) {
    if (!map && ds == item && ss == item) { memcpy(dst, src, (size_t)(n * item)); return; }
    switch (item) {
    case 1: JGX_MOVE(uint8_t)
    case 2: JGX_MOVE(uint16_t)
    case 4: JGX_MOVE(uint32_t)
    default: JGX_MOVE(uint64_t)
    }
}

/* dst = src: same shape and dtype, any strides for both. Rows run in parallel when the
   copy has at least omp_min elements. */
static void jgx_copy(const jg_buffer *dst, const jg_buffer *src, int64_t omp_min, int nthreads) {
    int64_t n = jg_size(src), item = jg_itemsize[src->dtype];
    if (n == 0) return;
    if (jg_is_contiguous(src) && jg_is_contiguous(dst)) { memcpy(dst->data, src->data, (size_t)(n * item)); return; }
    const int nd = src->ndim;
    const int64_t L = nd ? src->shape[nd - 1] : 1, rows = n / L;
    const int64_t ds = nd ? dst->strides[nd - 1] : 0, ss = nd ? src->strides[nd - 1] : 0;
    #pragma omp parallel for if (n >= omp_min && rows > 1) num_threads(nthreads)
    for (int64_t r = 0; r < rows; r++)
        jgx_move_line((char *)dst->data + jgx_row_offset(nd, dst->shape, dst->strides, r), ds,
                      (const char *)src->data + jgx_row_offset(nd, src->shape, src->strides, r), ss, NULL, L, item);
}

/* out[..., t, ...] = x[..., map[t], ...] along ``axis``: out is contiguous with x's shape
   except on ``axis``; every map entry indexes x's axis. */
static void jgx_gather_axis(const jg_buffer *out, const jg_buffer *x, int axis, const int64_t *map, int64_t omp_min,
                            int nthreads) {
    int64_t n = jg_size(out), item = jg_itemsize[x->dtype];
    if (n == 0) return;
    const int nd = out->ndim;
    const int64_t L = out->shape[nd - 1], rows = n / L, xs = x->strides[nd - 1];
    #pragma omp parallel for if (n >= omp_min && rows > 1) num_threads(nthreads)
    for (int64_t r = 0; r < rows; r++) {
        int64_t rem = r, off = 0;
        for (int d = nd - 2; d >= 0; d--) {
            int64_t i = rem % out->shape[d];
            rem /= out->shape[d];
            off += (d == axis ? map[i] : i) * x->strides[d];
        }
        jgx_move_line((char *)out->data + r * L * item, item, (const char *)x->data + off, xs,
                      axis == nd - 1 ? map : NULL, L, item);
    }
}

/* The view of diagonal ``offset`` of the planes (axis1, axis2) of ``x``: the other
   dimensions first, then the diagonal (numpy's ``diagonal``, which never copies). */
static void jgx_diagonal_view(jg_buffer *view, const jg_buffer *x, int64_t offset, int axis1, int axis2) {
    const int64_t n1 = x->shape[axis1], n2 = x->shape[axis2];
    int64_t len = offset >= 0 ? (n2 - offset < n1 ? n2 - offset : n1) : (n1 + offset < n2 ? n1 + offset : n2);
    if (len < 0) len = 0;
    int od = 0;
    view->dtype = x->dtype;
    view->data = x->data;
    for (int d = 0; d < x->ndim; d++)
        if (d != axis1 && d != axis2) { view->shape[od] = x->shape[d]; view->strides[od] = x->strides[d]; od++; }
    view->shape[od] = len;
    view->strides[od] = x->strides[axis1] + x->strides[axis2];
    view->ndim = od + 1;
    if (len > 0)   /* only then is the first diagonal element inside x */
        view->data = (char *)x->data + (offset >= 0 ? offset * x->strides[axis2] : -offset * x->strides[axis1]);
}

/* Repeat counts checked as numpy's repeat checks them: non-negative, and a vector has
   one per element of the axis (length n) or just one. ``rep`` is 0-d or a vector. */
static int jgx_check_repeats(jg_call *call, const jg_buffer *rep, int64_t n, const char *where) {
    const int is_vector = rep->ndim == 1;
    const int64_t n_rep = is_vector ? rep->shape[0] : 1;
    for (int64_t j = 0; j < n_rep; j++)
        if ((is_vector ? jgx_int_at(rep, j) : jg_read_int(rep)) < 0) {
            char listed[256];
            if (is_vector) jgx_format_ints(listed, sizeof listed, rep);
            else snprintf(listed, sizeof listed, "%lld", (long long)jg_read_int(rep));
            snprintf(call->err, (size_t)call->err_len, "%s: repeats must be non-negative, got %s", where, listed);
            return JG_ERR_VALUE;
        }
    if (is_vector && n_rep != 1 && n_rep != n) {
        snprintf(call->err, (size_t)call->err_len, "%s: %lld repeats given for an axis of length %lld (give one per "
                 "element, or a single one)", where, (long long)n_rep, (long long)n);
        return JG_ERR_VALUE;
    }
    return 0;
}

/* Count i of a checked repeats buffer (0-d, or a vector of one or one per element). */
static int64_t jgx_repeat_count(const jg_buffer *rep, int64_t i) {
    if (rep->ndim == 0) return jg_read_int(rep);
    return jgx_int_at(rep, rep->shape[0] == 1 ? 0 : i);
}

/* numpy's fill of a float arange: p[i] = first + i * delta, the product rounded before
   the sum as numpy's own loop does (a fused multiply-add would differ in the last bit). */
#define JGX_ARANGE_FILL(T)                                                                     \
    __attribute__((optimize("fp-contract=off")))                                               \
    static void jgx_arange_fill_##T(T *p, int64_t n, T first, T delta, int64_t omp_min, int nthreads) { \
        _Pragma("omp parallel for if (n >= omp_min) num_threads(nthreads)")                     \
        for (int64_t i = 2; i < n; i++) p[i] = first + i * delta;                              \
    }
JGX_ARANGE_FILL(float)
JGX_ARANGE_FILL(double)

#endif
