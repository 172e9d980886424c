/* Matrix products of 1-/2-d operands: BLAS (scipy-openblas32, cblas interface, 32-bit
 * ints) for float32/float64, plain loops for integers. An operand BLAS cannot take as
 * it is (no unit stride in either dimension) is copied into contiguous scratch. */
#ifndef JG_MATMUL_H
#define JG_MATMUL_H

#ifdef JG_USE_BLAS
enum { JG_ROW_MAJOR = 101, JG_NO_TRANS = 111, JG_TRANS = 112 };
void scipy_cblas_sgemm(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
void scipy_cblas_dgemm(int, int, int, int, int, int, double, const double *, int, const double *, int, double, double *, int);
void scipy_cblas_sgemv(int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
void scipy_cblas_dgemv(int, int, int, int, double, const double *, int, const double *, int, double, double *, int);
#endif

/* Leading dimension and transpose flag for a 2-d operand, or 0 when it must be copied. */
static int jg_blas_layout(const jg_buffer *b, int64_t item, int *trans, int64_t *ld) {
    int64_t r = b->shape[0], c = b->shape[1];
    if ((b->strides[1] == item || c == 1) && b->strides[0] >= (c > 1 ? c : 1) * item && b->strides[0] % item == 0) {
        *trans = 0; *ld = b->strides[0] / item; if (*ld < (c > 1 ? c : 1)) *ld = c > 1 ? c : 1; return 1;
    }
    if ((b->strides[0] == item || r == 1) && b->strides[1] >= (r > 1 ? r : 1) * item && b->strides[1] % item == 0) {
        *trans = 1; *ld = b->strides[1] / item; if (*ld < (r > 1 ? r : 1)) *ld = r > 1 ? r : 1; return 1;
    }
    return 0;
}

static int jg_as_blas_operand(jg_call *call, jg_temps *t, const jg_buffer *b, jg_buffer *tmp) {
    *tmp = *b;
    int64_t item = jg_itemsize[b->dtype];
    int trans; int64_t ld;
    if (b->ndim == 2 && jg_blas_layout(b, item, &trans, &ld)) return 0;
    if (b->ndim == 1 && b->strides[0] > 0 && b->strides[0] % item == 0) return 0;
    int rc = jg_alloc_temp(call, t, tmp);
    if (rc) return rc;
    jg_copy(tmp, b);
    return 0;
}

/* BLAS runs single-threaded (jitgraph.runtime.cpu sets it): a large product is split by
   rows over the module's OpenMP threads, so BLAS and the elementwise loops share one set
   of workers and neither waits for the other's threads to wake or to yield a core. */
#define JG_MATMUL_FLOAT(T, S, GEMM, GEMV)                                                             \
static void jg_gemm_rows_##S(jg_call *call, int tx, int ty, int64_t M, int64_t N, int64_t K, T alpha, \
                             const T *X, int64_t ldx, const T *Y, int64_t ldy, T beta, T *C, int64_t ldc) { \
    int nt = call->num_threads;                                                                       \
    if ((double)M * (double)N * (double)K < 262144.0 || M < 32) nt = 1;                               \
    if (nt > M / 16) nt = (int)(M / 16) > 0 ? (int)(M / 16) : 1;                                     \
    _Pragma("omp parallel for num_threads(nt) if (nt > 1)")                                          \
    for (int t = 0; t < nt; t++) {                                                                    \
        int64_t m0 = (M * t / nt) & ~(int64_t)15, m1 = t == nt - 1 ? M : (M * (t + 1) / nt) & ~(int64_t)15; \
        if (m1 <= m0) continue;                                                                       \
        GEMM(JG_ROW_MAJOR, tx ? JG_TRANS : JG_NO_TRANS, ty ? JG_TRANS : JG_NO_TRANS, (int)(m1 - m0), (int)N, \
             (int)K, alpha, X + (tx ? m0 : m0 * ldx), (int)ldx, Y, (int)ldy, beta, C + m0 * ldc, (int)ldc); \
    }                                                                                                 \
}                                                                                                     \
static int jg_matmul_##S(jg_call *call, jg_temps *t, jg_buffer *out, const jg_buffer *x0, const jg_buffer *y0) { \
    jg_buffer xb, yb;                                                                                 \
    int rc = jg_as_blas_operand(call, t, x0, &xb);                                                   \
    if (!rc) rc = jg_as_blas_operand(call, t, y0, &yb);                                              \
    if (rc) return rc;                                                                                \
    const jg_buffer *x = &xb, *y = &yb;                                                               \
    int64_t item = sizeof(T);                                                                         \
    int64_t K = x->shape[x->ndim - 1];                                                                \
    if (K > 2147483647 || jg_size(x) > 2147483647 || jg_size(y) > 2147483647) {                      \
        snprintf(call->err, (size_t)call->err_len, "operand too large for 32-bit BLAS"); return JG_ERR_VALUE; } \
    if (x->ndim == 1 && y->ndim == 1) {                                                               \
        double acc = 0;                                                                               \
        for (int64_t k = 0; k < K; k++)                                                               \
            acc += (double)JG_AT(x, T, k * x->strides[0]) * (double)JG_AT(y, T, k * y->strides[0]);   \
        JG_AT(out, T, 0) = (T)acc;                                                                    \
        return 0;                                                                                     \
    }                                                                                                 \
    int64_t M = x->ndim == 2 ? x->shape[0] : 1, N = y->ndim == 2 ? y->shape[1] : 1;                   \
    T *o = (T *)out->data;                                                                            \
    if (M == 0 || N == 0) return 0;                                                                   \
    if (K == 0) { for (int64_t i = 0; i < M * N; i++) o[i] = 0; return 0; }                          \
    int tx = 0, ty = 0; int64_t ldx = 1, ldy = 1;                                                     \
    if (x->ndim == 2 && y->ndim == 2) {                                                               \
        jg_blas_layout(x, item, &tx, &ldx); jg_blas_layout(y, item, &ty, &ldy);                      \
        jg_gemm_rows_##S(call, tx, ty, M, N, K, (T)1, (const T *)x->data, ldx, (const T *)y->data, ldy, \
                         (T)0, o, N);                                                                 \
    } else if (x->ndim == 2) {  /* matrix . vector */                                                 \
        jg_blas_layout(x, item, &tx, &ldx);                                                           \
        GEMV(JG_ROW_MAJOR, tx ? JG_TRANS : JG_NO_TRANS, (int)(tx ? K : M), (int)(tx ? M : K), (T)1,  \
             (const T *)x->data, (int)ldx, (const T *)y->data, (int)(y->strides[0] / item), (T)0, o, \
             (int)(out->strides[0] / item));                                                          \
    } else {                   /* vector . matrix = matrix^T . vector */                              \
        jg_blas_layout(y, item, &ty, &ldy);                                                           \
        GEMV(JG_ROW_MAJOR, ty ? JG_NO_TRANS : JG_TRANS, (int)(ty ? N : K), (int)(ty ? K : N), (T)1,  \
             (const T *)y->data, (int)ldy, (const T *)x->data, (int)(x->strides[0] / item), (T)0, o, \
             (int)(out->strides[0] / item));                                                          \
    }                                                                                                 \
    return 0;                                                                                         \
}                                                                                                     \
/* out = beta * out + alpha * x . y for matrices (out already holds z); an out BLAS cannot   \
   write in place (no unit stride along rows) is computed in scratch and copied back. */     \
static int jg_gemm_##S(jg_call *call, jg_temps *t, jg_buffer *out, const jg_buffer *x0, const jg_buffer *y0, \
                       T alpha, T beta) {                                                             \
    jg_buffer xb, yb, cb;                                                                             \
    int rc = jg_as_blas_operand(call, t, x0, &xb);                                                   \
    if (!rc) rc = jg_as_blas_operand(call, t, y0, &yb);                                              \
    if (rc) return rc;                                                                                \
    const jg_buffer *x = &xb, *y = &yb;                                                               \
    int64_t item = sizeof(T);                                                                         \
    int64_t M = x->shape[0], K = x->shape[1], N = y->shape[1];                                        \
    if (M == 0 || N == 0) return 0;                                                                   \
    if (K > 2147483647 || M > 2147483647 || N > 2147483647 || jg_size(out) > 2147483647) {           \
        snprintf(call->err, (size_t)call->err_len, "operand too large for 32-bit BLAS"); return JG_ERR_VALUE; } \
    int direct = (out->strides[1] == item || N == 1) && out->strides[0] % item == 0                  \
                 && out->strides[0] >= N * item;                                                      \
    cb = *out;                                                                                        \
    if (!direct) {                                                                                    \
        rc = jg_alloc_temp(call, t, &cb);                                                             \
        if (rc) return rc;                                                                            \
        jg_copy(&cb, out);                                                                            \
    }                                                                                                 \
    int64_t ldc = N == 1 && cb.strides[0] < item ? 1 : cb.strides[0] / item;                         \
    if (ldc < N) ldc = N;                                                                             \
    if (K == 0) {                                                                                     \
        for (int64_t i = 0; i < M; i++)                                                               \
            for (int64_t j = 0; j < N; j++) ((T *)cb.data)[i * ldc + j] *= beta;                      \
    } else {                                                                                          \
        int tx = 0, ty = 0; int64_t ldx = 1, ldy = 1;                                                 \
        jg_blas_layout(x, item, &tx, &ldx); jg_blas_layout(y, item, &ty, &ldy);                      \
        jg_gemm_rows_##S(call, tx, ty, M, N, K, alpha, (const T *)x->data, ldx, (const T *)y->data, ldy, \
                         beta, (T *)cb.data, ldc);                                                    \
    }                                                                                                 \
    if (!direct) jg_copy(out, &cb);                                                                   \
    return 0;                                                                                         \
}

#define JG_MATMUL_LOOPS(T, S)                                                                         \
static int jg_matmul_##S(jg_call *call, jg_temps *t, jg_buffer *out, const jg_buffer *x, const jg_buffer *y) { \
    (void)call; (void)t;                                                                              \
    int64_t K = x->shape[x->ndim - 1];                                                                \
    int64_t M = x->ndim == 2 ? x->shape[0] : 1, N = y->ndim == 2 ? y->shape[1] : 1;                   \
    int64_t xs0 = x->ndim == 2 ? x->strides[0] : 0, xs1 = x->strides[x->ndim - 1];                    \
    int64_t ys0 = y->strides[0], ys1 = y->ndim == 2 ? y->strides[1] : 0;                              \
    int64_t os0 = out->ndim >= 1 ? out->strides[0] : 0, os1 = out->ndim == 2 ? out->strides[1] : 0;   \
    if (x->ndim == 1 && y->ndim == 2) { os1 = os0; os0 = 0; }                                         \
    for (int64_t i = 0; i < M; i++)                                                                   \
        for (int64_t j = 0; j < N; j++) {                                                             \
            T acc = 0;                                                                                \
            for (int64_t k = 0; k < K; k++)                                                           \
                acc += JG_AT(x, T, i * xs0 + k * xs1) * JG_AT(y, T, k * ys0 + j * ys1);               \
            JG_AT(out, T, i * os0 + j * os1) = acc;                                                   \
        }                                                                                             \
    return 0;                                                                                         \
}

#endif
