/* Device side of the CUDA join/split and array-building templates (cuda/join_*.cu.tmpl,
 * cuda/extra_*.cu.tmpl). Their host code uses join_extra_support.h as it is (integer
 * vectors, messages, repeat checks, diagonal views) on staged host copies. */
#ifndef JG_JOIN_EXTRA_SUPPORT_CUDA_CUH
#define JG_JOIN_EXTRA_SUPPORT_CUDA_CUH

/* out (contiguous, ``ol`` its shape) [..., t, ...] = x[..., map[t], ...] along ``axis``;
   one thread per output element, moved as a word of the element's size */
template <typename W> __global__ void jg_cu_gather_axis_kernel(char *out, jg_cu_layout ol, const char *x,
                                                             jg_cu_layout xl, int axis, const int64_t *map,
                                                             int64_t n) {
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < n; e += (int64_t)gridDim.x * blockDim.x) {
        int64_t rem = e, off = 0;
        for (int d = ol.nd - 1; d >= 0; d--) {
            int64_t i = rem % ol.shape[d];
            rem /= ol.shape[d];
            off += (d == axis ? map[i] : i) * xl.strides[d];
        }
        ((W *)out)[e] = *(const W *)(x + off);
    }
}

static int jg_cu_gather_axis(jg_call *call, jg_cu_ctx *cu, const jg_buffer *out, const jg_buffer *x, int axis,
                             const int64_t *map, const char *where) {
    int rc = 0;
    const int64_t n = jg_size(out);
    const jg_cu_layout ol = jg_cu_layout_of(out), xl = jg_cu_layout_of(x);
    switch (jg_itemsize[x->dtype]) {
    case 1: JG_CU_LAUNCH(where, jg_cu_gather_axis_kernel<uint8_t>, n, (char *)out->data, ol, (const char *)x->data, xl, axis, map, n); break;
    case 2: JG_CU_LAUNCH(where, jg_cu_gather_axis_kernel<uint16_t>, n, (char *)out->data, ol, (const char *)x->data, xl, axis, map, n); break;
    case 4: JG_CU_LAUNCH(where, jg_cu_gather_axis_kernel<uint32_t>, n, (char *)out->data, ol, (const char *)x->data, xl, axis, map, n); break;
    default: JG_CU_LAUNCH(where, jg_cu_gather_axis_kernel<uint64_t>, n, (char *)out->data, ol, (const char *)x->data, xl, axis, map, n); break;
    }
done:
    return rc;
}

/* A device temporary of n int64 holding the host values ``host`` (kept until the entry returns). */
static int jg_cu_int64_table(jg_call *call, jg_cu_ctx *cu, const int64_t *host, int64_t n, int64_t **dev,
                             const char *where) {
    int rc = 0;
    jg_buffer t;
    memset(&t, 0, sizeof t);
    t.dtype = JG_INT64; t.ndim = 1; t.shape[0] = n;
    JG_CHECK(jg_cu_alloc_temp(call, cu, &t));
    JG_CHECK(jg_cu_upload(call, cu, &t, host, n * 8, where));
    *dev = (int64_t *)t.data;
done:
    return rc;
}

#endif
