/* Helpers every generated CPU module uses: errors, allocation, views, copies.
 * Views only compute pointers, shapes and strides; nothing here reads out of bounds:
 * every index is checked against the shape it indexes. */
#ifndef JG_RUNTIME_HELPERS_H
#define JG_RUNTIME_HELPERS_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JG_FAIL(code, ...) do { snprintf(call->err, (size_t)call->err_len, __VA_ARGS__); \
                                rc = (code); goto done; } while (0)
#define JG_CHECK(expr) do { rc = (expr); if (rc) goto done; } while (0)
#define JG_AT(buf, T, off) (*(T *)((char *)(buf)->data + (off)))

static const int64_t jg_itemsize[] = {1, 1, 2, 4, 8, 1, 2, 4, 8, 4, 8};

/* Scratch storage: the n-th request of a call gets slot n. A module keeps its slots
   between calls (jg_entry only resets n), so a steady-state training step allocates no
   new large buffers; calls of one module never overlap (the trampoline holds the GIL). */
typedef struct { void **ptrs; int64_t *sizes; int n, cap; } jg_temps;

static void jg_temps_free(jg_temps *t) {
    for (int i = 0; i < t->cap; i++) free(t->ptrs[i]);
    free(t->ptrs);
    free(t->sizes);
    t->ptrs = NULL;
    t->sizes = NULL;
    t->n = t->cap = 0;
}

static int64_t jg_size(const jg_buffer *b) {
    int64_t n = 1;
    for (int d = 0; d < b->ndim; d++) n *= b->shape[d];
    return n;
}

static void jg_contiguous_strides(jg_buffer *b) {
    int64_t s = jg_itemsize[b->dtype];
    for (int d = b->ndim - 1; d >= 0; d--) { b->strides[d] = s; s *= b->shape[d] > 0 ? b->shape[d] : 1; }
}

static int jg_is_contiguous(const jg_buffer *b) {
    int64_t s = jg_itemsize[b->dtype];
    for (int d = b->ndim - 1; d >= 0; d--) {
        if (b->shape[d] != 1 && b->strides[d] != s) return 0;
        s *= b->shape[d];
    }
    return 1;
}

/* Storage for a caller-visible output (ndim, shape, dtype set by the kernel). */
static int jg_alloc_out(jg_call *call, int32_t index, jg_buffer *b) {
    if (call->alloc(call, index, b)) {
        snprintf(call->err, (size_t)call->err_len, "out of memory allocating output %d", index);
        return JG_ERR_MEMORY;
    }
    return 0;
}

/* Contiguous scratch storage freed when the entry returns. */
static int jg_alloc_temp(jg_call *call, jg_temps *t, jg_buffer *b) {
    jg_contiguous_strides(b);
    int64_t nbytes = jg_size(b) * jg_itemsize[b->dtype];
    if (nbytes < 1) nbytes = 1;
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 16;
        void **grown = (void **)realloc(t->ptrs, (size_t)cap * sizeof(void *));
        if (grown) t->ptrs = grown;
        int64_t *sizes = grown ? (int64_t *)realloc(t->sizes, (size_t)cap * sizeof(int64_t)) : NULL;
        if (!sizes) { snprintf(call->err, (size_t)call->err_len, "out of memory"); return JG_ERR_MEMORY; }
        t->sizes = sizes;
        for (int i = t->cap; i < cap; i++) { t->ptrs[i] = NULL; t->sizes[i] = 0; }
        t->cap = cap;
    }
    if (t->sizes[t->n] < nbytes) {
        free(t->ptrs[t->n]);
        t->ptrs[t->n] = malloc((size_t)nbytes);
        t->sizes[t->n] = t->ptrs[t->n] ? nbytes : 0;
        if (!t->ptrs[t->n]) {
            snprintf(call->err, (size_t)call->err_len, "out of memory allocating %lld bytes", (long long)nbytes);
            return JG_ERR_MEMORY;
        }
    }
    b->data = t->ptrs[t->n++];
    return 0;
}

/* An integer (or bool) element at p as int64 (uint64 beyond int64 wraps negative, as
   numpy's cast to intp does, so it fails a bounds check); floats are truncated. */
static inline int64_t jg_int_at(const char *p, int dtype) {
    switch (dtype) {
    case JG_BOOL: return *(const bool *)p;
    case JG_INT8: return *(const int8_t *)p;
    case JG_INT16: return *(const int16_t *)p;
    case JG_INT32: return *(const int32_t *)p;
    case JG_INT64: return *(const int64_t *)p;
    case JG_UINT8: return *(const uint8_t *)p;
    case JG_UINT16: return *(const uint16_t *)p;
    case JG_UINT32: return *(const uint32_t *)p;
    case JG_UINT64: return (int64_t)*(const uint64_t *)p;
    case JG_FLOAT32: return (int64_t)*(const float *)p;
    default: return (int64_t)*(const double *)p;
    }
}

/* The value of a 0-d integer (or bool) buffer as int64. */
static int64_t jg_read_int(const jg_buffer *b) {
    return jg_int_at((const char *)b->data, b->dtype);
}

/* out = inp with dimensions reordered; order[i] < 0 inserts a broadcastable dim. */
static int jg_view_dimshuffle(jg_call *call, jg_buffer *out, const jg_buffer *inp, const int *order,
                              int nout, const char *where) {
    int used[JG_MAX_NDIM] = {0};
    out->data = inp->data; out->dtype = inp->dtype; out->ndim = nout;
    for (int i = 0; i < nout; i++) {
        if (order[i] < 0) { out->shape[i] = 1; out->strides[i] = 0; }
        else { out->shape[i] = inp->shape[order[i]]; out->strides[i] = inp->strides[order[i]]; used[order[i]] = 1; }
    }
    for (int d = 0; d < inp->ndim; d++)
        if (!used[d] && inp->shape[d] != 1) {
            snprintf(call->err, (size_t)call->err_len,
                     "%s: dimension %d has size %lld, expected 1 (it is dropped)", where, d, (long long)inp->shape[d]);
            return JG_ERR_VALUE;
        }
    return 0;
}

static int jg_check_broadcastable(jg_call *call, const jg_buffer *b, const int *pattern, const char *where) {
    for (int d = 0; d < b->ndim; d++)
        if (pattern[d] && b->shape[d] != 1) {
            snprintf(call->err, (size_t)call->err_len,
                     "%s: dimension %d was declared broadcastable but has size %lld", where, d, (long long)b->shape[d]);
            return JG_ERR_VALUE;
        }
    return 0;
}

/* "(2, 3), (1, 3)" for the message of a broadcasting error. */
static void jg_format_shapes(char *out, size_t len, const jg_buffer *const *bufs, int n) {
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < n && used < len; i++) {
        used += (size_t)snprintf(out + used, len - used, "%s(", i ? ", " : "");
        for (int d = 0; d < bufs[i]->ndim && used < len; d++)
            used += (size_t)snprintf(out + used, len - used, "%s%lld", d ? ", " : "", (long long)bufs[i]->shape[d]);
        if (used < len) used += (size_t)snprintf(out + used, len - used, bufs[i]->ndim == 1 ? ",)" : ")");
    }
}

static int jg_broadcast_error(jg_call *call, const char *where, int k, int d, int k0, int64_t expected,
                              const jg_buffer *const *bufs, int n) {
    char shapes[256];
    jg_format_shapes(shapes, sizeof shapes, bufs, n);
    snprintf(call->err, (size_t)call->err_len,
             "%s: input %d has size %lld in dimension %d but input %d has %lld (input shapes %s); a dimension that "
             "is not broadcastable must match — mark it broadcastable (T.row, T.col, dimshuffle('x', ...)) to "
             "broadcast", where, k, (long long)bufs[k]->shape[d], d, k0, (long long)expected, shapes);
    return JG_ERR_VALUE;
}

/* Python's slice.indices(): clamp start/stop for a dimension of size n. */
static int64_t jg_slice_adjust(int64_t n, int has_start, int64_t start, int has_stop, int64_t stop,
                               int64_t step, int64_t *out_start) {
    if (step > 0) {
        start = !has_start ? 0 : (start < 0 ? (start + n < 0 ? 0 : start + n) : (start > n ? n : start));
        stop = !has_stop ? n : (stop < 0 ? (stop + n < 0 ? 0 : stop + n) : (stop > n ? n : stop));
        *out_start = start;
        return stop > start ? (stop - start + step - 1) / step : 0;
    }
    start = !has_start ? n - 1 : (start < 0 ? (start + n < 0 ? -1 : start + n) : (start >= n ? n - 1 : start));
    stop = !has_stop ? -1 : (stop < 0 ? (stop + n < 0 ? -1 : stop + n) : (stop >= n ? n - 1 : stop));
    *out_start = start;
    return start > stop ? (start - stop + (-step) - 1) / (-step) : 0;
}

/* Integer index into a dimension of size n (negative counts from the end). */
static int jg_index_adjust(jg_call *call, int64_t n, int64_t *i, int dim, const char *where) {
    int64_t v = *i < 0 ? *i + n : *i;
    if (v < 0 || v >= n) {
        snprintf(call->err, (size_t)call->err_len, "%s: index %lld is out of bounds for axis %d with size %lld",
                 where, (long long)*i, dim, (long long)n);
        return JG_ERR_INDEX;
    }
    *i = v;
    return 0;
}

/* b viewed with ``ndim`` dims of ``shape`` (one entry may be -1); copies into scratch
   when b is not contiguous. */
static int jg_view_reshape(jg_call *call, jg_temps *t, jg_buffer *out, const jg_buffer *inp,
                           const jg_buffer *shape_vec, int ndim, const char *where);

/* dst (same shape) = src, any strides. */
static void jg_copy(jg_buffer *dst, const jg_buffer *src) {
    int64_t item = jg_itemsize[src->dtype];
    int64_t n = jg_size(src);
    if (n == 0) return;
    if (jg_is_contiguous(src) && jg_is_contiguous(dst)) { memcpy(dst->data, src->data, (size_t)(n * item)); return; }
    int nd = src->ndim;
    int64_t idx[JG_MAX_NDIM] = {0};
    for (int64_t k = 0; k < n; k++) {
        int64_t so = 0, doff = 0;
        for (int d = 0; d < nd; d++) { so += idx[d] * src->strides[d]; doff += idx[d] * dst->strides[d]; }
        memcpy((char *)dst->data + doff, (char *)src->data + so, (size_t)item);
        for (int d = nd - 1; d >= 0; d--) { if (++idx[d] < src->shape[d]) break; idx[d] = 0; }
    }
}

static int jg_view_reshape(jg_call *call, jg_temps *t, jg_buffer *out, const jg_buffer *inp,
                           const jg_buffer *shape_vec, int ndim, const char *where) {
    if (shape_vec->shape[0] != ndim) {
        snprintf(call->err, (size_t)call->err_len, "%s: shape has %lld entries, %d expected",
                 where, (long long)shape_vec->shape[0], ndim);
        return JG_ERR_VALUE;
    }
    int64_t total = jg_size(inp), known = 1;
    int infer = -1;
    out->dtype = inp->dtype; out->ndim = ndim;
    for (int d = 0; d < ndim; d++) {
        int64_t v;
        const char *p = (const char *)shape_vec->data + d * shape_vec->strides[0];
        switch (shape_vec->dtype) {
        case JG_INT8: v = *(const int8_t *)p; break;
        case JG_INT16: v = *(const int16_t *)p; break;
        case JG_INT32: v = *(const int32_t *)p; break;
        default: v = *(const int64_t *)p;
        }
        if (v == -1 && infer < 0) { infer = d; v = 1; }
        else if (v < 0) {
            snprintf(call->err, (size_t)call->err_len, "%s: invalid dimension %lld in the new shape", where, (long long)v);
            return JG_ERR_VALUE;
        }
        out->shape[d] = v; known *= v;
    }
    if (infer >= 0) {
        if (known == 0 || total % known) goto mismatch;
        out->shape[infer] = total / known;
    } else if (known != total) goto mismatch;
    if (jg_is_contiguous(inp)) { out->data = inp->data; jg_contiguous_strides(out); return 0; }
    {
        jg_buffer tmp = *inp;
        int rc = jg_alloc_temp(call, t, &tmp);
        if (rc) return rc;
        jg_copy(&tmp, inp);
        out->data = tmp.data;
        jg_contiguous_strides(out);
        return 0;
    }
mismatch:
    snprintf(call->err, (size_t)call->err_len, "%s: cannot reshape an array of %lld elements to the requested shape",
             where, (long long)total);
    return JG_ERR_VALUE;
}

#endif
