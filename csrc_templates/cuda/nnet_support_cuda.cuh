/* Device helpers of the CUDA nnet templates (cuda/nnet_*.cu.tmpl, cuda/softmax.cu.tmpl);
 * the host-side checks and messages are nnet_support.h's, run on staged host copies.
 * Every kernel is row-parallel: one thread per row, the row read in order (so sums
 * round as on the CPU and argmax keeps the first maximum). */
#ifndef JG_NNET_SUPPORT_CUDA_CUH
#define JG_NNET_SUPPORT_CUDA_CUH

/* The shape and strides of a buffer, passed by value to kernels. */
typedef struct { int nd; int64_t shape[JG_MAX_NDIM], strides[JG_MAX_NDIM]; } jg_cu_layout;

static jg_cu_layout jg_cu_layout_of(const jg_buffer *b) {
    jg_cu_layout l;
    memset(&l, 0, sizeof l);
    l.nd = b->ndim;
    for (int d = 0; d < b->ndim; d++) { l.shape[d] = b->shape[d]; l.strides[d] = b->strides[d]; }
    return l;
}

/* Byte offset of row r (every dimension but the last, C order). */
static __device__ __forceinline__ int64_t jg_cu_row_offset(const jg_cu_layout &l, int64_t r) {
    int64_t off = 0;
    for (int d = l.nd - 2; d >= 0; d--) {
        off += (r % l.shape[d]) * l.strides[d];
        r /= l.shape[d];
    }
    return off;
}

/* An integer (or bool) element as int64, the device twin of jg_int_at. */
static __device__ __forceinline__ int64_t jg_cu_int_at(const char *p, int dtype) {
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

#define JG_CU_ROWS(r, n) for (int64_t r = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; r < (n); \
                              r += (int64_t)gridDim.x * blockDim.x)

#endif
