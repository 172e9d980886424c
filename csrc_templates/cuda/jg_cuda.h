/* What a CUDA module's jg_call.device points to (device=cuda). Filled in by
 * jitgraph/runtime/cuda.py for every call; read by the host code of the module.
 *
 * All jg_buffer.data pointers of a CUDA module's args (inputs, shared values,
 * outputs) are DEVICE pointers; shapes and strides live on the host as on the CPU,
 * and call->alloc allocates outputs in device memory. Every kernel and copy of a call
 * is issued on `stream`, in order; the module returns without synchronising except
 * where the host must read a device value (see csrc_templates/cuda/runtime_cuda.cuh).
 *
 * dev_free may be called while kernels that use the block are still queued on
 * `stream`: the allocator must only hand the block out again to work on the same
 * stream (stream-ordered reuse, as a caching allocator on one stream does), or
 * synchronise first. */
#ifndef JG_CUDA_H
#define JG_CUDA_H
#include <stdint.h>
#include <stddef.h>

typedef struct jg_cuda_device {
    void *stream;                 /* cudaStream_t all kernels and copies of a call run on */
    void *cublas_handle;          /* cublasHandle_t, pointer mode host */
    /* cuBLAS v2 entry points (cublasSgemm_v2 / cublasDgemm_v2 / cublasSgemv_v2 / cublasDgemv_v2
       signatures, handle as void*, operations as int: 0 = N, 1 = T); return cublasStatus_t as int */
    int (*sgemm)(void *h, int ta, int tb, int m, int n, int k, const float *alpha, const float *A, int lda,
                 const float *B, int ldb, const float *beta, float *C, int ldc);
    int (*dgemm)(void *h, int ta, int tb, int m, int n, int k, const double *alpha, const double *A, int lda,
                 const double *B, int ldb, const double *beta, double *C, int ldc);
    int (*sgemv)(void *h, int t, int m, int n, const float *alpha, const float *A, int lda, const float *x,
                 int incx, const float *beta, float *y, int incy);
    int (*dgemv)(void *h, int t, int m, int n, const double *alpha, const double *A, int lda, const double *x,
                 int incx, const double *beta, double *y, int incy);
    /* device scratch for temporaries (caching allocator of the runtime); NULL on failure */
    void *(*dev_alloc)(void *ctx, size_t nbytes);
    void (*dev_free)(void *ctx, void *ptr);
    void *alloc_ctx;
    int32_t device_id;
} jg_cuda_device;

#endif
