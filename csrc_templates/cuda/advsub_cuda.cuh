/* Device side of advanced indexing (cuda/advsub_get.cu.tmpl, cuda/advsub_inc.cu.tmpl).
 * The plan is advsub.h's, built on the host from staged copies of the index arrays (every
 * index bounds-checked there, with numpy's messages); its table of block offsets is then
 * uploaded, and the kernels walk the region with the device twins of jg_adv_row and
 * jg_adv_inner below. */
#ifndef JG_ADVSUB_CUDA_CUH
#define JG_ADVSUB_CUDA_CUH

typedef struct { int64_t s[JG_MAX_NDIM]; } jg_cu_strides;

/* jg_adv_row of advsub.h, on the device (block_off is a device table) */
static __device__ __forceinline__ void jg_cu_adv_row(const jg_adv_plan &p, const jg_adv_loops &l,
                                                     const int64_t *ostr, int64_t r, int64_t *xo, int64_t *oo) {
    if (l.flat) {
        *xo = p.base + p.block_off[r];
        *oo = r * l.ostep;
        return;
    }
    int64_t b = r % p.block_size, o = r / p.block_size, x = p.base + p.block_off[b], y = 0;
    for (int d = p.block_at + p.block_ndim - 1; d >= p.block_at; d--) {
        y += (b % p.shape[d]) * ostr[d];
        b /= p.shape[d];
    }
    for (int d = p.block_at - 1; d >= 0; d--) {
        int64_t i = o % p.shape[d];
        o /= p.shape[d];
        x += i * p.xstride[d];
        y += i * ostr[d];
    }
    *xo = x;
    *oo = y;
}

/* jg_adv_inner of advsub.h, on the device */
static __device__ __forceinline__ void jg_cu_adv_inner(const jg_adv_plan &p, const jg_adv_loops &l,
                                                       const int64_t *ostr, int64_t q, int64_t *xo, int64_t *oo) {
    for (int d = p.ndim - 2; d >= l.inner_at; d--) {
        int64_t i = q % p.shape[d];
        q /= p.shape[d];
        *xo += i * p.xstride[d];
        *oo += i * ostr[d];
    }
}

/* Byte offsets in x and in the other buffer of region element e (row-major over rows,
   inner rows, then the last dimension). */
static __device__ __forceinline__ void jg_cu_adv_element(const jg_adv_plan &p, const jg_adv_loops &l,
                                                         const int64_t *ostr, int64_t e, int64_t *xo, int64_t *oo) {
    const int64_t j = e % l.len, q = (e / l.len) % l.inner_rows, r = e / (l.len * l.inner_rows);
    jg_cu_adv_row(p, l, ostr, r, xo, oo);
    jg_cu_adv_inner(p, l, ostr, q, xo, oo);
    *xo += j * l.xs;
    *oo += j * l.os;
}

/* The plan's block table moved to the device (the plan then points at it). */
static int jg_cu_adv_upload(jg_call *call, jg_cu_ctx *cu, jg_adv_plan *p, const char *where) {
    int rc = 0;
    jg_buffer t;
    memset(&t, 0, sizeof t);
    t.dtype = JG_INT64; t.ndim = 1;
    t.shape[0] = p->block_off == &p->zero_off ? 1 : (p->block_size > 0 ? p->block_size : 1);
    JG_CHECK(jg_cu_alloc_temp(call, cu, &t));
    JG_CHECK(jg_cu_upload(call, cu, &t, p->block_off, t.shape[0] * 8, where));
    p->block_off = (int64_t *)t.data;
done:
    return rc;
}

/* Staged host copies of the index arrays (the plan reads their values). */
static int jg_cu_adv_stage(jg_call *call, jg_cu_ctx *cu, const jg_buffer *const *dev, int n, jg_buffer *hs,
                           const jg_buffer **h, const char *where) {
    int rc = 0;
    for (int k = 0; k < n; k++) {
        JG_CHECK(jg_cu_stage(call, cu, dev[k], &hs[k], where));
        h[k] = &hs[k];
    }
done:
    return rc;
}

/* *e += v, atomically: native atomics for 4- and 8-byte types, a compare-and-swap on the
   enclosing 32-bit word for 1- and 2-byte ones. */
static __device__ __forceinline__ void jg_cu_atomic_add(float *e, float v) { atomicAdd(e, v); }
static __device__ __forceinline__ void jg_cu_atomic_add(double *e, double v) { atomicAdd(e, v); }
static __device__ __forceinline__ void jg_cu_atomic_add(int32_t *e, int32_t v) { atomicAdd((int *)e, (int)v); }
static __device__ __forceinline__ void jg_cu_atomic_add(uint32_t *e, uint32_t v) { atomicAdd((unsigned *)e, (unsigned)v); }
static __device__ __forceinline__ void jg_cu_atomic_add(int64_t *e, int64_t v) {
    atomicAdd((unsigned long long *)e, (unsigned long long)v);   /* two's complement: the same bits */
}
static __device__ __forceinline__ void jg_cu_atomic_add(uint64_t *e, uint64_t v) {
    atomicAdd((unsigned long long *)e, (unsigned long long)v);
}
template <typename T> static __device__ void jg_cu_atomic_add(T *e, T v) {
    unsigned *word = (unsigned *)((uintptr_t)e & ~(uintptr_t)3);
    const unsigned shift = (unsigned)((uintptr_t)e & 3) * 8, mask = ((1u << (8 * sizeof(T))) - 1) << shift;
    unsigned old = *word, assumed;
    do {
        assumed = old;
        T cur;
        unsigned bits = (assumed & mask) >> shift;
        memcpy(&cur, &bits, sizeof(T));
        T sum = (T)(cur + v);
        unsigned nb = 0;
        memcpy(&nb, &sum, sizeof(T));
        old = atomicCAS(word, assumed, (assumed & ~mask) | ((nb << shift) & mask));
    } while (old != assumed);
}

#endif
