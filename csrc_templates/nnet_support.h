/* Helpers shared by the nnet templates (softmax.c.tmpl, nnet_*.c.tmpl): rows of an n-d
 * buffer, the vectorised passes over one contiguous row, shapes in error messages, and the
 * class-index checks of the ops that pick one entry per row. The messages follow the numpy
 * references of jitgraph/tensor/nnet/. */
#ifndef JG_NNET_SUPPORT_H
#define JG_NNET_SUPPORT_H

/* The passes of a softmax over one contiguous row of n entries, for T = float and double
 * (called as jg_nnet_row_max_float, ...). The loops are `omp simd`, so exp is libmvec's
 * vector variant (declared in scalar_helpers.h) and no -ffast-math is needed:
 * - row_max ignores NaN (`x > m ? x : m` is one vmaxps); a NaN still reaches every output
 *   of its row, as in numpy, because exp(NaN - max) makes the row's sum NaN. An all -inf
 *   row gives max -inf, x - max NaN, and NaN outputs, also as numpy;
 * - the sums run in blocks of JG_NNET_BLOCK entries, summed lane-wise in T and then added
 *   up in double, so float rows of any length stay well within float32's rtol;
 * - x and its output may be the same row (a strided row is first gathered into its output
 *   row and then normalised in place); each iteration reads x[j] before writing out[j].
 * gcc 12 vectorises these reductions with n a run-time length (as the templates pass it); with
 * n a compile-time constant its inlined copies were seen to fall back to scalar expf. */
#define JG_NNET_BLOCK 1024
#define JG_NNET_ROW_KERNELS(T)                                                                 \
    static inline T jg_nnet_row_max_##T(const T *x, int64_t n) {                               \
        T m = -INFINITY;                                                                       \
        _Pragma("omp simd reduction(max:m)")                                                   \
        for (int64_t j = 0; j < n; j++) m = x[j] > m ? x[j] : m;                               \
        return m;                                                                              \
    }                                                                                          \
    /* out[j] = exp(x[j] - shift); returns their sum */                                       \
    static inline double jg_nnet_row_exp_##T(const T *x, T *out, int64_t n, T shift) {         \
        double total = 0;                                                                      \
        for (int64_t j0 = 0; j0 < n; j0 += JG_NNET_BLOCK) {                                    \
            const int64_t j1 = n - j0 < JG_NNET_BLOCK ? n : j0 + JG_NNET_BLOCK;                \
            T part = 0;                                                                        \
            _Pragma("omp simd reduction(+:part)")                                              \
            for (int64_t j = j0; j < j1; j++) {                                                \
                const T e = exp(x[j] - shift);                                                 \
                out[j] = e;                                                                    \
                part += e;                                                                     \
            }                                                                                  \
            total += part;                                                                     \
        }                                                                                      \
        return total;                                                                          \
    }                                                                                          \
    /* the sum of exp(x[j] - shift), nothing stored (log-softmax) */                          \
    static inline double jg_nnet_row_exp_sum_##T(const T *x, int64_t n, T shift) {             \
        double total = 0;                                                                      \
        for (int64_t j0 = 0; j0 < n; j0 += JG_NNET_BLOCK) {                                    \
            const int64_t j1 = n - j0 < JG_NNET_BLOCK ? n : j0 + JG_NNET_BLOCK;                \
            T part = 0;                                                                        \
            _Pragma("omp simd reduction(+:part)")                                              \
            for (int64_t j = j0; j < j1; j++) part += exp(x[j] - shift);                       \
            total += part;                                                                     \
        }                                                                                      \
        return total;                                                                          \
    }                                                                                          \
    static inline void jg_nnet_row_scale_##T(T *x, int64_t n, T factor) {                      \
        _Pragma("omp simd")                                                                    \
        for (int64_t j = 0; j < n; j++) x[j] *= factor;                                        \
    }                                                                                          \
    /* out[j] = (x[j] - shift) - lse, rounded step by step as numpy's log-softmax */          \
    static inline void jg_nnet_row_log_normalise_##T(const T *x, T *out, int64_t n, T shift, T lse) { \
        _Pragma("omp simd")                                                                    \
        for (int64_t j = 0; j < n; j++) out[j] = (x[j] - shift) - lse;                         \
    }                                                                                          \
    /* numpy's argmax given the row's NaN-ignoring max m: the first NaN, else the first m */   \
    static inline int64_t jg_nnet_row_argmax_##T(const T *x, int64_t n, T m) {                 \
        int64_t first_max = -1;                                                                \
        for (int64_t j = 0; j < n; j++) {                                                      \
            if (x[j] != x[j]) return j;                                                        \
            if (first_max < 0 && x[j] == m) first_max = j;                                     \
        }                                                                                      \
        return first_max < 0 ? 0 : first_max;                                                  \
    }                                                                                          \
    /* softmax of a contiguous row into out (out == x allowed) */                             \
    static inline void jg_nnet_row_softmax_##T(const T *x, T *out, int64_t n) {                \
        const T mx = jg_nnet_row_max_##T(x, n);                                                \
        const double total = jg_nnet_row_exp_##T(x, out, n, mx);                               \
        jg_nnet_row_scale_##T(out, n, (T)(1.0 / total));                                       \
    }
JG_NNET_ROW_KERNELS(float)
JG_NNET_ROW_KERNELS(double)

/* Byte offset of row ``r`` of ``b``: rows enumerate, in C order, every position of all
   dimensions but the last. */
static inline int64_t jg_nnet_row_offset(const jg_buffer *b, int64_t r) {
    int64_t off = 0;
    for (int d = b->ndim - 2; d >= 0; d--) {
        off += (r % b->shape[d]) * b->strides[d];
        r /= b->shape[d];
    }
    return off;
}

/* "(2, 3)" (as Python prints a shape tuple) into out. */
static inline void jg_nnet_shape_str(char *out, size_t len, const jg_buffer *b) {
    const jg_buffer *one[1] = {b};
    jg_format_shapes(out, len, one, 1);
}

/* Entry i of the integer vector y, as int64 (uint64 values past INT64_MAX become negative,
   which the bounds check rejects; the message then prints them unsigned). */
static inline int64_t jg_nnet_index(const jg_buffer *y, int64_t i) {
    const char *p = (const char *)y->data + i * y->strides[0];
    switch (y->dtype) {
    case JG_INT8: return *(const int8_t *)p;
    case JG_INT16: return *(const int16_t *)p;
    case JG_INT32: return *(const int32_t *)p;
    case JG_UINT8: return *(const uint8_t *)p;
    case JG_UINT16: return *(const uint16_t *)p;
    case JG_UINT32: return *(const uint32_t *)p;
    case JG_UINT64: return (int64_t)*(const uint64_t *)p;
    default: return *(const int64_t *)p;
    }
}

/* One class index per row, each in [0, n_classes): a ValueError for a count mismatch, an
   IndexError naming the first bad index and its row otherwise. */
static inline int jg_nnet_check_indices(jg_call *call, const char *where, const jg_buffer *y, int64_t n_rows,
                                        int64_t n_classes) {
    if (y->shape[0] != n_rows) {
        snprintf(call->err, (size_t)call->err_len, "%s: %lld class indices given for %lld rows", where,
                 (long long)y->shape[0], (long long)n_rows);
        return JG_ERR_VALUE;
    }
    for (int64_t i = 0; i < n_rows; i++) {
        int64_t k = jg_nnet_index(y, i);
        if (k >= 0 && k < n_classes) continue;
        if (y->dtype == JG_UINT64)
            snprintf(call->err, (size_t)call->err_len, "%s: class index %llu (row %lld) is out of bounds for "
                     "%lld classes", where, (unsigned long long)k, (long long)i, (long long)n_classes);
        else
            snprintf(call->err, (size_t)call->err_len, "%s: class index %lld (row %lld) is out of bounds for "
                     "%lld classes", where, (long long)k, (long long)i, (long long)n_classes);
        return JG_ERR_INDEX;
    }
    return 0;
}

#endif
