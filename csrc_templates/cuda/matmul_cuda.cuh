/* Matrix products of 1-/2-d operands on the GPU: cuBLAS (through the function table of
 * jg_cuda_device) for float32/float64, a plain kernel for integers.
 *
 * cuBLAS is column-major; a row-major C = X . Y is computed as C^T = Y^T . X^T, where a
 * row-major operand read as column-major is already its transpose. An operand cuBLAS
 * cannot take as it is (no unit stride in either dimension) is first copied into
 * contiguous device scratch. Pointer mode host: alpha and beta live on the host. */
#ifndef JG_MATMUL_CUDA_CUH
#define JG_MATMUL_CUDA_CUH

enum { JG_CUBLAS_N = 0, JG_CUBLAS_T = 1 };

/* Leading dimension and transpose flag of a 2-d operand, or 0 when it must be copied. */
static int jg_cu_blas_layout(const jg_buffer *b, int64_t item, int *trans, int64_t *ld) {
    int64_t r = b->shape[0], c = b->shape[1];
    if ((b->strides[1] == item || c == 1) && b->strides[0] >= (c > 1 ? c : 1) * item && b->strides[0] % item == 0) {
        *trans = 0; *ld = b->strides[0] / item; if (*ld < (c > 1 ? c : 1)) *ld = c > 1 ? c : 1; return 1;
    }
    if ((b->strides[0] == item || r == 1) && b->strides[1] >= (r > 1 ? r : 1) * item && b->strides[1] % item == 0) {
        *trans = 1; *ld = b->strides[1] / item; if (*ld < (r > 1 ? r : 1)) *ld = r > 1 ? r : 1; return 1;
    }
    return 0;
}

static int jg_cu_blas_operand(jg_call *call, jg_cu_ctx *cu, const jg_buffer *b, jg_buffer *tmp, const char *where) {
    int rc = 0;
    *tmp = *b;
    int64_t item = jg_itemsize[b->dtype];
    int trans; int64_t ld;
    if (b->ndim == 2 && jg_cu_blas_layout(b, item, &trans, &ld)) return 0;
    if (b->ndim == 1 && b->strides[0] > 0 && b->strides[0] % item == 0) return 0;
    JG_CHECK(jg_cu_alloc_temp(call, cu, tmp));
    JG_CHECK(jg_cu_copy(call, cu, tmp, b, where));
done:
    return rc;
}

static int jg_cu_gemm(jg_cuda_device *d, int ta, int tb, int m, int n, int k, const float *A, int lda,
                      const float *B, int ldb, float *C, int ldc, float alpha = 1, float beta = 0) {
    return d->sgemm(d->cublas_handle, ta, tb, m, n, k, &alpha, A, lda, B, ldb, &beta, C, ldc);
}
static int jg_cu_gemm(jg_cuda_device *d, int ta, int tb, int m, int n, int k, const double *A, int lda,
                      const double *B, int ldb, double *C, int ldc, double alpha = 1, double beta = 0) {
    return d->dgemm(d->cublas_handle, ta, tb, m, n, k, &alpha, A, lda, B, ldb, &beta, C, ldc);
}
static int jg_cu_gemv(jg_cuda_device *d, int t, int m, int n, const float *A, int lda, const float *x, int incx,
                      float *y, int incy) {
    const float one = 1, zero = 0;
    return d->sgemv(d->cublas_handle, t, m, n, &one, A, lda, x, incx, &zero, y, incy);
}
static int jg_cu_gemv(jg_cuda_device *d, int t, int m, int n, const double *A, int lda, const double *x, int incx,
                      double *y, int incy) {
    const double one = 1, zero = 0;
    return d->dgemv(d->cublas_handle, t, m, n, &one, A, lda, x, incx, &zero, y, incy);
}

/* vector . vector: one block, accumulated in double (as the CPU does) */
template <typename T> __global__ void jg_cu_dot_kernel(const char *x, int64_t xs, const char *y, int64_t ys,
                                                       int64_t K, T *out) {
    __shared__ double part[JG_CU_THREADS];
    double acc = 0;
    for (int64_t k = threadIdx.x; k < K; k += JG_CU_THREADS)
        acc += (double)*(const T *)(x + k * xs) * (double)*(const T *)(y + k * ys);
    part[threadIdx.x] = acc;
    __syncthreads();
    for (int s = JG_CU_THREADS / 2; s > 0; s >>= 1) {
        if ((int)threadIdx.x < s) part[threadIdx.x] += part[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0) *out = (T)part[0];
}

/* integer products: one thread per output element, summed in order in the dtype */
typedef struct {
    const char *x, *y; char *o;
    int64_t M, N, K, xs0, xs1, ys0, ys1, os0, os1;
} jg_cu_imm_args;

template <typename T> __global__ void jg_cu_imatmul_kernel(jg_cu_imm_args a) {
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < a.M * a.N; e += (int64_t)gridDim.x * blockDim.x) {
        int64_t i = e / a.N, j = e % a.N;
        T acc = 0;
        for (int64_t k = 0; k < a.K; k++)
            acc += *(const T *)(a.x + i * a.xs0 + k * a.xs1) * *(const T *)(a.y + k * a.ys0 + j * a.ys1);
        *(T *)(a.o + i * a.os0 + j * a.os1) = acc;
    }
}

template <typename T> static int jg_cu_matmul_int(jg_call *call, jg_cu_ctx *cu, jg_buffer *out, const jg_buffer *x,
                                                  const jg_buffer *y, const char *where) {
    int rc = 0;
    jg_cu_imm_args a;
    a.x = (const char *)x->data; a.y = (const char *)y->data; a.o = (char *)out->data;
    a.K = x->shape[x->ndim - 1];
    a.M = x->ndim == 2 ? x->shape[0] : 1; a.N = y->ndim == 2 ? y->shape[1] : 1;
    a.xs0 = x->ndim == 2 ? x->strides[0] : 0; a.xs1 = x->strides[x->ndim - 1];
    a.ys0 = y->strides[0]; a.ys1 = y->ndim == 2 ? y->strides[1] : 0;
    a.os0 = out->ndim >= 1 ? out->strides[0] : 0; a.os1 = out->ndim == 2 ? out->strides[1] : 0;
    if (x->ndim == 1 && y->ndim == 2) { a.os1 = a.os0; a.os0 = 0; }
    JG_CU_LAUNCH(where, jg_cu_imatmul_kernel<T>, a.M * a.N, a);
done:
    return rc;
}

template <typename T> static int jg_cu_matmul_float(jg_call *call, jg_cu_ctx *cu, jg_buffer *out, const jg_buffer *x0,
                                                    const jg_buffer *y0, const char *where) {
    int rc = 0, status = 0;
    jg_buffer xb, yb;
    JG_CHECK(jg_cu_blas_operand(call, cu, x0, &xb, where));
    JG_CHECK(jg_cu_blas_operand(call, cu, y0, &yb, where));
    {
        const jg_buffer *x = &xb, *y = &yb;
        const int64_t item = sizeof(T);
        const int64_t K = x->shape[x->ndim - 1];
        if (K > 2147483647 || jg_size(x) > 2147483647 || jg_size(y) > 2147483647)
            JG_FAIL(JG_ERR_VALUE, "%s: operand too large for 32-bit cuBLAS", where);
        if (!jg_is_contiguous(out)) JG_FAIL(JG_ERR_VALUE, "%s: the product's buffer is not contiguous", where);
        T *o = (T *)out->data;
        if (x->ndim == 1 && y->ndim == 1) {
            jg_cu_dot_kernel<T><<<1, JG_CU_THREADS, 0, cu->stream>>>((const char *)x->data, x->strides[0],
                                                                      (const char *)y->data, y->strides[0], K, o);
            JG_CU_CHECK_LAUNCH(where, jg_cu_dot_kernel);
            return 0;
        }
        const int64_t M = x->ndim == 2 ? x->shape[0] : 1, N = y->ndim == 2 ? y->shape[1] : 1;
        if (M == 0 || N == 0) return 0;
        if (K == 0) return jg_cu_zero(call, cu, out, where);
        if (!cu->dev->cublas_handle) JG_FAIL(JG_ERR_CUDA, "%s: no cuBLAS handle in jg_cuda_device", where);
        int tx = 0, ty = 0;
        int64_t ldx = 1, ldy = 1;
        if (x->ndim == 2 && y->ndim == 2) {
            jg_cu_blas_layout(x, item, &tx, &ldx);
            jg_cu_blas_layout(y, item, &ty, &ldy);
            status = jg_cu_gemm(cu->dev, ty ? JG_CUBLAS_T : JG_CUBLAS_N, tx ? JG_CUBLAS_T : JG_CUBLAS_N, (int)N, (int)M,
                                (int)K, (const T *)y->data, (int)ldy, (const T *)x->data, (int)ldx, o, (int)N);
        } else if (x->ndim == 2) {   /* matrix . vector */
            jg_cu_blas_layout(x, item, &tx, &ldx);
            status = jg_cu_gemv(cu->dev, tx ? JG_CUBLAS_N : JG_CUBLAS_T, (int)(tx ? M : K), (int)(tx ? K : M),
                                (const T *)x->data, (int)ldx, (const T *)y->data, (int)(y->strides[0] / item), o,
                                (int)(out->strides[0] / item));
        } else {                     /* vector . matrix = matrix^T . vector */
            jg_cu_blas_layout(y, item, &ty, &ldy);
            status = jg_cu_gemv(cu->dev, ty ? JG_CUBLAS_T : JG_CUBLAS_N, (int)(ty ? K : N), (int)(ty ? N : K),
                                (const T *)y->data, (int)ldy, (const T *)x->data, (int)(x->strides[0] / item), o,
                                (int)(out->strides[0] / item));
        }
        if (status) JG_FAIL(JG_ERR_CUDA, "%s: cuBLAS returned status %d", where, status);
    }
done:
    return rc;
}

/* c[i * ldc + j] *= beta (the K == 0 case of gemm) */
template <typename T> __global__ void jg_cu_scale_kernel(T *c, int64_t M, int64_t N, int64_t ldc, T beta) {
    for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < M * N; e += (int64_t)gridDim.x * blockDim.x)
        c[(e / N) * ldc + e % N] *= beta;
}

/* out = beta * out + alpha * x . y for matrices (out already holds z); an out cuBLAS cannot
   write in place (no unit stride along rows) is computed in scratch and copied back. */
template <typename T> static int jg_cu_gemm_float(jg_call *call, jg_cu_ctx *cu, jg_buffer *out, const jg_buffer *x0,
                                                  const jg_buffer *y0, T alpha, T beta, const char *where) {
    int rc = 0, status = 0;
    jg_buffer xb, yb, cb;
    JG_CHECK(jg_cu_blas_operand(call, cu, x0, &xb, where));
    JG_CHECK(jg_cu_blas_operand(call, cu, y0, &yb, where));
    {
        const jg_buffer *x = &xb, *y = &yb;
        const int64_t item = sizeof(T);
        const int64_t M = x->shape[0], K = x->shape[1], N = y->shape[1];
        if (M == 0 || N == 0) return 0;
        if (K > 2147483647 || M > 2147483647 || N > 2147483647 || jg_size(out) > 2147483647)
            JG_FAIL(JG_ERR_VALUE, "%s: operand too large for 32-bit cuBLAS", where);
        jg_cu_forget(cu, out->data);
        const int direct = (out->strides[1] == item || N == 1) && out->strides[0] % item == 0
                           && out->strides[0] >= N * item;
        cb = *out;
        if (!direct) {
            JG_CHECK(jg_cu_alloc_temp(call, cu, &cb));
            JG_CHECK(jg_cu_copy(call, cu, &cb, out, where));
        }
        int64_t ldc = N == 1 && cb.strides[0] < item ? 1 : cb.strides[0] / item;
        if (ldc < N) ldc = N;
        if (K == 0) {
            JG_CU_LAUNCH(where, jg_cu_scale_kernel<T>, M * N, (T *)cb.data, M, N, ldc, beta);
        } else {
            if (!cu->dev->cublas_handle) JG_FAIL(JG_ERR_CUDA, "%s: no cuBLAS handle in jg_cuda_device", where);
            int tx = 0, ty = 0;
            int64_t ldx = 1, ldy = 1;
            jg_cu_blas_layout(x, item, &tx, &ldx);
            jg_cu_blas_layout(y, item, &ty, &ldy);
            status = jg_cu_gemm(cu->dev, ty ? JG_CUBLAS_T : JG_CUBLAS_N, tx ? JG_CUBLAS_T : JG_CUBLAS_N, (int)N, (int)M,
                                (int)K, (const T *)y->data, (int)ldy, (const T *)x->data, (int)ldx, (T *)cb.data,
                                (int)ldc, alpha, beta);
            if (status) JG_FAIL(JG_ERR_CUDA, "%s: cuBLAS returned status %d", where, status);
        }
        if (!direct) JG_CHECK(jg_cu_copy(call, cu, out, &cb, where));
    }
done:
    return rc;
}

#endif
