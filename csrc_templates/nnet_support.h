/* Helpers shared by the nnet templates (nnet_*.c.tmpl): rows of an n-d buffer, shapes
 * in error messages, and the class-index checks of the ops that pick one entry per row.
 * The messages follow the numpy references of jitgraph/tensor/nnet/. */
#ifndef JG_NNET_SUPPORT_H
#define JG_NNET_SUPPORT_H

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
