/* Host-side helpers of every generated CUDA module (after jg_abi.h, jg_cuda.h and the
 * CPU runtime_helpers.h, whose metadata-only helpers — views, slices, shape checks,
 * error formatting — are used as they are; its jg_copy/jg_read_int/jg_alloc_temp work on
 * host memory and are used here only on host copies).
 *
 * Device memory: outputs through call->alloc, temporaries through the runtime's
 * dev_alloc/dev_free (freed when the entry returns; see jg_cuda.h on stream order).
 * Host reads of device values (a slice bound, a reshape's shape vector, an index array
 * an op must bounds-check) go through jg_cu_stage: one cudaMemcpyAsync device->host and a
 * stream synchronisation. Values the module itself computed on the host (constants,
 * shapes, MakeVector) are remembered as "shadows", so reading them back costs nothing. */
#ifndef JG_RUNTIME_CUDA_CUH
#define JG_RUNTIME_CUDA_CUH
#include <cuda_runtime.h>

#define JG_ERR_CUDA 4              /* a CUDA runtime or cuBLAS call failed (RuntimeError) */
#define JG_CU_THREADS 256
#define JG_CU_MAX_BLOCKS 8192     /* grid-stride loops cover the rest */

typedef struct { const char *dev; const char *host; int64_t nbytes; } jg_cu_shadow;

typedef struct {
    jg_cuda_device *dev;
    cudaStream_t stream;
    void **dptrs; int nd, capd;         /* device temporaries */
    void **hptrs; int nh, caph;         /* host scratch */
    jg_cu_shadow *sh; int nsh, capsh;   /* host copies of device values the host computed */
    jg_temps host;                      /* host scratch of the CPU helpers (advsub tables) */
} jg_cu_ctx;

static int jg_cu_grow(jg_call *call, void ***p, int *n, int *cap, size_t item) {
    if (*n < *cap) return 0;
    int c = *cap ? 2 * *cap : 16;
    void *g = realloc(*p, (size_t)c * item);
    if (!g) {
        if (call) snprintf(call->err, (size_t)call->err_len, "out of host memory");
        return JG_ERR_MEMORY;
    }
    *p = (void **)g;
    *cap = c;
    return 0;
}

static int jg_cu_ctx_init(jg_call *call, jg_cu_ctx *cu) {
    memset(cu, 0, sizeof *cu);
    if (!call->device) {
        snprintf(call->err, (size_t)call->err_len,
                 "this module was built for device=cuda; it needs jg_call.device (the CUDA runtime's stream "
                 "and cuBLAS table), which is NULL");
        return JG_ERR_VALUE;
    }
    cu->dev = (jg_cuda_device *)call->device;
    cu->stream = (cudaStream_t)cu->dev->stream;
    return 0;
}

static void jg_cu_ctx_free(jg_cu_ctx *cu) {
    for (int i = 0; i < cu->nd; i++) cu->dev->dev_free(cu->dev->alloc_ctx, cu->dptrs[i]);
    for (int i = 0; i < cu->nh; i++) free(cu->hptrs[i]);
    free(cu->dptrs); free(cu->hptrs); free(cu->sh);
    jg_temps_free(&cu->host);
}

static unsigned jg_cu_blocks(int64_t n) {
    int64_t b = (n + JG_CU_THREADS - 1) / JG_CU_THREADS;
    return (unsigned)(b < 1 ? 1 : (b > JG_CU_MAX_BLOCKS ? JG_CU_MAX_BLOCKS : b));
}

#define JG_CU_CALL(expr, where) do { cudaError_t e_ = (expr); if (e_ != cudaSuccess) \
    JG_FAIL(JG_ERR_CUDA, "%s: %s failed: %s", where, #expr, cudaGetErrorString(e_)); } while (0)
/* every launch is checked; the message names the graph nodes of the step */
#define JG_CU_CHECK_LAUNCH(where, kernel) do { cudaError_t e_ = cudaGetLastError(); if (e_ != cudaSuccess) \
    JG_FAIL(JG_ERR_CUDA, "%s: launching CUDA kernel %s failed: %s", where, #kernel, cudaGetErrorString(e_)); \
    } while (0)
/* a grid-stride kernel over n items (nothing is launched for n == 0) */
#define JG_CU_LAUNCH(where, kernel, n, ...) do { if ((n) > 0) { \
    kernel<<<jg_cu_blocks(n), JG_CU_THREADS, 0, cu->stream>>>(__VA_ARGS__); \
    JG_CU_CHECK_LAUNCH(where, kernel); } } while (0)

/* Contiguous device scratch freed when the entry returns. */
static int jg_cu_alloc_temp(jg_call *call, jg_cu_ctx *cu, jg_buffer *b) {
    jg_contiguous_strides(b);
    int64_t nbytes = jg_size(b) * jg_itemsize[b->dtype];
    int rc = jg_cu_grow(call, &cu->dptrs, &cu->nd, &cu->capd, sizeof(void *));
    if (rc) return rc;
    b->data = cu->dev->dev_alloc(cu->dev->alloc_ctx, nbytes > 0 ? (size_t)nbytes : 1);
    if (!b->data) {
        snprintf(call->err, (size_t)call->err_len, "out of device memory allocating %lld bytes", (long long)nbytes);
        return JG_ERR_MEMORY;
    }
    cu->dptrs[cu->nd++] = b->data;
    return 0;
}

/* Host scratch freed when the entry returns. */
static int jg_cu_host_alloc(jg_call *call, jg_cu_ctx *cu, int64_t nbytes, void **out) {
    int rc = jg_cu_grow(call, &cu->hptrs, &cu->nh, &cu->caph, sizeof(void *));
    if (rc) return rc;
    *out = malloc(nbytes > 0 ? (size_t)nbytes : 1);
    if (!*out) {
        snprintf(call->err, (size_t)call->err_len, "out of host memory allocating %lld bytes", (long long)nbytes);
        return JG_ERR_MEMORY;
    }
    cu->hptrs[cu->nh++] = *out;
    return 0;
}

/* Byte range [lo, hi) of b's elements relative to b->data (any strides). */
static void jg_cu_extent(const jg_buffer *b, int64_t *lo, int64_t *hi) {
    int64_t l = 0, h = 0;
    for (int d = 0; d < b->ndim; d++) {
        if (b->shape[d] == 0) { *lo = *hi = 0; return; }
        int64_t span = (b->shape[d] - 1) * b->strides[d];
        if (span < 0) l += span; else h += span;
    }
    *lo = l;
    *hi = h + jg_itemsize[b->dtype];
}

static void jg_cu_remember(jg_cu_ctx *cu, const void *dev, const void *host, int64_t nbytes) {
    if (jg_cu_grow(NULL, (void ***)&cu->sh, &cu->nsh, &cu->capsh, sizeof(jg_cu_shadow)) == 0)
        cu->sh[cu->nsh++] = {(const char *)dev, (const char *)host, nbytes};
}

/* A device buffer written on the device: its host copy (if any) is stale. */
static void jg_cu_forget(jg_cu_ctx *cu, const void *dev) {
    for (int i = 0; i < cu->nsh; i++)
        if (cu->sh[i].dev == (const char *)dev) cu->sh[i].nbytes = -1;
}

/* h = a host view of the device buffer b (same shape and strides): its shadow when the
   host computed it, else a device->host copy of its extent (synchronising the stream). */
static int jg_cu_stage(jg_call *call, jg_cu_ctx *cu, const jg_buffer *b, jg_buffer *h, const char *where) {
    int rc = 0;
    int64_t lo, hi;
    *h = *b;
    jg_cu_extent(b, &lo, &hi);
    if (hi <= lo) return 0;
    const char *p = (const char *)b->data;
    for (int i = 0; i < cu->nsh; i++) {
        const jg_cu_shadow *s = &cu->sh[i];
        if (p + lo >= s->dev && p + hi <= s->dev + s->nbytes) { h->data = (void *)(s->host + (p - s->dev)); return 0; }
    }
    void *host;
    JG_CHECK(jg_cu_host_alloc(call, cu, hi - lo, &host));
    JG_CU_CALL(cudaMemcpyAsync(host, p + lo, (size_t)(hi - lo), cudaMemcpyDeviceToHost, cu->stream), where);
    JG_CU_CALL(cudaStreamSynchronize(cu->stream), where);
    h->data = (char *)host - lo;
done:
    return rc;
}

/* Copy nbytes of host data into the (allocated, contiguous) device buffer b and remember
   the host copy, which must live until the entry returns (host scratch or static). */
static int jg_cu_upload(jg_call *call, jg_cu_ctx *cu, jg_buffer *b, const void *host, int64_t nbytes,
                        const char *where) {
    int rc = 0;
    if (nbytes > 0)
        JG_CU_CALL(cudaMemcpyAsync(b->data, host, (size_t)nbytes, cudaMemcpyHostToDevice, cu->stream), where);
    jg_cu_remember(cu, b->data, host, nbytes);
done:
    return rc;
}

/* ------------------------------------------------------------------ strided copies */

typedef struct {
    char *dst; const char *src;
    int nd; int64_t n;
    int64_t shape[JG_MAX_NDIM], dst_st[JG_MAX_NDIM], src_st[JG_MAX_NDIM];
} jg_cu_copy_args;

template <typename W> __global__ void jg_cu_copy_kernel(jg_cu_copy_args a) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < a.n; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t rem = i, so = 0, doff = 0;
        for (int d = a.nd - 1; d >= 0; d--) {
            int64_t id = rem % a.shape[d];
            rem /= a.shape[d];
            so += id * a.src_st[d];
            doff += id * a.dst_st[d];
        }
        *(W *)(a.dst + doff) = *(const W *)(a.src + so);
    }
}

/* dst (same shape and dtype) = src, any strides, on the stream. */
static int jg_cu_copy(jg_call *call, jg_cu_ctx *cu, const jg_buffer *dst, const jg_buffer *src, const char *where) {
    int rc = 0;
    int64_t n = jg_size(src), item = jg_itemsize[src->dtype];
    if (n == 0) return 0;
    jg_cu_forget(cu, dst->data);
    if (jg_is_contiguous(src) && jg_is_contiguous(dst)) {
        JG_CU_CALL(cudaMemcpyAsync(dst->data, src->data, (size_t)(n * item), cudaMemcpyDeviceToDevice, cu->stream),
                   where);
        return 0;
    }
    {
        jg_cu_copy_args a;
        a.dst = (char *)dst->data; a.src = (const char *)src->data; a.nd = src->ndim; a.n = n;
        for (int d = 0; d < src->ndim; d++) {
            a.shape[d] = src->shape[d]; a.dst_st[d] = dst->strides[d]; a.src_st[d] = src->strides[d];
        }
        switch (item) {
        case 1: JG_CU_LAUNCH(where, jg_cu_copy_kernel<uint8_t>, n, a); break;
        case 2: JG_CU_LAUNCH(where, jg_cu_copy_kernel<uint16_t>, n, a); break;
        case 4: JG_CU_LAUNCH(where, jg_cu_copy_kernel<uint32_t>, n, a); break;
        default: JG_CU_LAUNCH(where, jg_cu_copy_kernel<uint64_t>, n, a); break;
        }
    }
done:
    return rc;
}

/* Zero bytes of a contiguous device buffer. */
static int jg_cu_zero(jg_call *call, jg_cu_ctx *cu, const jg_buffer *b, const char *where) {
    int rc = 0;
    int64_t nbytes = jg_size(b) * jg_itemsize[b->dtype];
    jg_cu_forget(cu, b->data);
    if (nbytes > 0) JG_CU_CALL(cudaMemsetAsync(b->data, 0, (size_t)nbytes, cu->stream), where);
done:
    return rc;
}

/* out = inp reshaped to the (host-staged) shape vector; a non-contiguous input is first
   copied into contiguous device scratch. The shape rules and messages are the CPU's. */
static int jg_cu_view_reshape(jg_call *call, jg_cu_ctx *cu, jg_buffer *out, const jg_buffer *inp,
                              const jg_buffer *shape_h, int ndim, const char *where) {
    int rc = 0;
    jg_buffer src = *inp;
    if (!jg_is_contiguous(inp)) {
        JG_CHECK(jg_cu_alloc_temp(call, cu, &src));
        JG_CHECK(jg_cu_copy(call, cu, &src, inp, where));
    }
    /* a contiguous input never makes the CPU helper allocate or copy */
    rc = jg_view_reshape(call, NULL, out, &src, shape_h, ndim, where);
done:
    return rc;
}

#endif
