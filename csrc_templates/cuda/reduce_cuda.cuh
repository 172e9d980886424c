/* Reductions of jitgraph's Reduction step on the GPU: out[o] = reduce over r of
 * in[o, r], where o runs over the kept axes and r over the reduced ones (any strides).
 *
 * Two ways, chosen per call by the sizes:
 *  - many outputs or short runs: one thread per output, reading its run in order
 *    (the CPU's order, so argmax ties and sums round as there);
 *  - few long runs: a two-stage tree. Stage 1: G blocks per output each reduce a strided
 *    part of the run in registers, then in shared memory, into one partial state; stage 2:
 *    one block per output merges its G partials the same way. No atomics, so the result
 *    does not depend on scheduling.
 * An op is a struct with the accumulator type, init/push/merge and the result; max/min
 * and argmax/argmin carry the index of their element (-1: nothing seen yet), so merging
 * partials that interleave keeps numpy's "first maximum, or first NaN". */
#ifndef JG_REDUCE_CUDA_CUH
#define JG_REDUCE_CUDA_CUH

typedef struct {
    const char *in; char *out;
    int nk, nr;
    int64_t O, R, G;
    int64_t kshape[JG_MAX_NDIM], kstr[JG_MAX_NDIM], ostr[JG_MAX_NDIM];
    int64_t rshape[JG_MAX_NDIM], rstr[JG_MAX_NDIM];
} jg_red_args;

#define JG_RED_OP(NAME, INIT, PUSH, MERGE, RESULT)                                           \
template <typename TI, typename TA> struct NAME {                                             \
    typedef TA acc_t;                                                                         \
    static __device__ __forceinline__ void init(TA &a, int64_t &best) { a = (TA)(INIT); best = -1; } \
    static __device__ __forceinline__ void push(TA &a, int64_t &best, TI v, int64_t r) { PUSH; } \
    static __device__ __forceinline__ void merge(TA &a, int64_t &best, TA b, int64_t bb) { MERGE; } \
    template <typename TO> static __device__ __forceinline__ TO result(TA a, int64_t best) { return RESULT; } \
};

JG_RED_OP(JgRedAdd, 0, a += (TA)v, a += b, (TO)a)
JG_RED_OP(JgRedMul, 1, a *= (TA)v, a *= b, (TO)a)
JG_RED_OP(JgRedAnd, 1, a = a && v, a = a && b, (TO)a)
JG_RED_OP(JgRedOr, 0, a = a || v, a = a || b, (TO)a)
/* max/min: NaN wins (numpy); the value does not depend on the order */
JG_RED_OP(JgRedMax, 0, if (best < 0 || !(a != a || a > (TA)v)) { a = (TA)v; } best = 0,
          if (bb >= 0 && (best < 0 || !(a != a || a > b))) { a = b; best = 0; }, (TO)a)
JG_RED_OP(JgRedMin, 0, if (best < 0 || !(a != a || a < (TA)v)) { a = (TA)v; } best = 0,
          if (bb >= 0 && (best < 0 || !(a != a || a < b))) { a = b; best = 0; }, (TO)a)
/* argmax/argmin: the first extreme element, or the first NaN */
#define JG_RED_BEATS(CMP, x, y) ((x) CMP (y) || ((x) != (x) && (y) == (y)))
#define JG_RED_ARG_MERGE(CMP)                                                                  \
    if (bb < 0) return;                                                                       \
    if (best < 0 || JG_RED_BEATS(CMP, b, a) ||                                                 \
        (!JG_RED_BEATS(CMP, a, b) && bb < best)) { a = b; best = bb; }
JG_RED_OP(JgRedArgmax, 0, if (best < 0 || JG_RED_BEATS(>, (TA)v, a)) { a = (TA)v; best = r; },
          JG_RED_ARG_MERGE(>), (TO)best)
JG_RED_OP(JgRedArgmin, 0, if (best < 0 || JG_RED_BEATS(<, (TA)v, a)) { a = (TA)v; best = r; },
          JG_RED_ARG_MERGE(<), (TO)best)

static __device__ __forceinline__ void jg_red_offsets(const jg_red_args &a, int64_t o, int64_t *ioff, int64_t *ooff) {
    int64_t i = 0, j = 0;
    for (int d = a.nk - 1; d >= 0; d--) {
        int64_t id = o % a.kshape[d];
        o /= a.kshape[d];
        i += id * a.kstr[d];
        j += id * a.ostr[d];
    }
    *ioff = i;
    *ooff = j;
}

/* one thread per output, its run read in order */
template <typename Op, typename TI, typename TO> __global__ void jg_red_per_output(jg_red_args a) {
    for (int64_t o = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; o < a.O; o += (int64_t)gridDim.x * blockDim.x) {
        int64_t ioff, ooff;
        jg_red_offsets(a, o, &ioff, &ooff);
        typename Op::acc_t acc;
        int64_t best;
        Op::init(acc, best);
        int64_t ridx[JG_MAX_NDIM] = {0}, roff = 0;
        for (int64_t r = 0; r < a.R; r++) {
            Op::push(acc, best, *(const TI *)(a.in + ioff + roff), r);
            for (int d = a.nr - 1; d >= 0; d--) {
                roff += a.rstr[d];
                if (++ridx[d] < a.rshape[d]) break;
                roff -= a.rstr[d] * a.rshape[d];
                ridx[d] = 0;
            }
        }
        *(TO *)(a.out + ooff) = Op::template result<TO>(acc, best);
    }
}

template <typename Op> static __device__ __forceinline__ void jg_red_block(typename Op::acc_t &acc, int64_t &best) {
    __shared__ typename Op::acc_t sacc[JG_CU_THREADS];
    __shared__ int64_t sbest[JG_CU_THREADS];
    sacc[threadIdx.x] = acc;
    sbest[threadIdx.x] = best;
    __syncthreads();
    for (int s = JG_CU_THREADS / 2; s > 0; s >>= 1) {
        if ((int)threadIdx.x < s) {
            typename Op::acc_t a = sacc[threadIdx.x];
            int64_t b = sbest[threadIdx.x];
            Op::merge(a, b, sacc[threadIdx.x + s], sbest[threadIdx.x + s]);
            sacc[threadIdx.x] = a;
            sbest[threadIdx.x] = b;
        }
        __syncthreads();
    }
    acc = sacc[0];
    best = sbest[0];
    __syncthreads();
}

/* stage 1: block (g, o) reduces elements r = g*T + t, + G*T, ... of output o's run */
template <typename Op, typename TI> __global__ void jg_red_stage1(jg_red_args a, typename Op::acc_t *pacc,
                                                                  int64_t *pbest) {
    for (int64_t o = blockIdx.y; o < a.O; o += gridDim.y) {
        int64_t ioff, ooff;
        jg_red_offsets(a, o, &ioff, &ooff);
        typename Op::acc_t acc;
        int64_t best;
        Op::init(acc, best);
        for (int64_t r = blockIdx.x * (int64_t)JG_CU_THREADS + threadIdx.x; r < a.R; r += a.G * JG_CU_THREADS) {
            int64_t rem = r, roff = 0;
            for (int d = a.nr - 1; d >= 0; d--) {
                roff += (rem % a.rshape[d]) * a.rstr[d];
                rem /= a.rshape[d];
            }
            Op::push(acc, best, *(const TI *)(a.in + ioff + roff), r);
        }
        jg_red_block<Op>(acc, best);
        if (threadIdx.x == 0) { pacc[o * a.G + blockIdx.x] = acc; pbest[o * a.G + blockIdx.x] = best; }
    }
}

/* stage 2: block o merges output o's G partials */
template <typename Op, typename TO> __global__ void jg_red_stage2(jg_red_args a, const typename Op::acc_t *pacc,
                                                                  const int64_t *pbest) {
    for (int64_t o = blockIdx.x; o < a.O; o += gridDim.x) {
        int64_t ioff, ooff;
        jg_red_offsets(a, o, &ioff, &ooff);
        typename Op::acc_t acc;
        int64_t best;
        Op::init(acc, best);
        for (int64_t g = threadIdx.x; g < a.G; g += JG_CU_THREADS)
            Op::merge(acc, best, pacc[o * a.G + g], pbest[o * a.G + g]);
        jg_red_block<Op>(acc, best);
        if (threadIdx.x == 0) *(TO *)(a.out + ooff) = Op::template result<TO>(acc, best);
    }
}

/* Launch the reduction of `in` over the axes flagged in `reduced` into `out` (allocated). */
template <typename Op, typename TI, typename TO>
static int jg_cu_reduce(jg_call *call, jg_cu_ctx *cu, jg_buffer *out, const jg_buffer *in, const int *reduced,
                        const char *where) {
    int rc = 0;
    jg_red_args a;
    memset(&a, 0, sizeof a);
    a.in = (const char *)in->data;
    a.out = (char *)out->data;
    a.O = 1; a.R = 1;
    for (int d = 0; d < in->ndim; d++) {
        if (reduced[d]) { a.rshape[a.nr] = in->shape[d]; a.rstr[a.nr++] = in->strides[d]; a.R *= in->shape[d]; }
        else { a.kshape[a.nk] = in->shape[d]; a.kstr[a.nk] = in->strides[d]; a.ostr[a.nk] = out->strides[a.nk]; a.nk++; a.O *= in->shape[d]; }
    }
    jg_cu_forget(cu, out->data);
    if (a.O == 0) return 0;
    if (a.R <= 64 || a.O >= 4096) {
        a.G = 1;
        jg_red_per_output<Op, TI, TO><<<jg_cu_blocks(a.O), JG_CU_THREADS, 0, cu->stream>>>(a);
        JG_CU_CHECK_LAUNCH(where, jg_red_per_output);
        return 0;
    }
    {
        int64_t G = (a.R + 8 * JG_CU_THREADS - 1) / (8 * JG_CU_THREADS);
        a.G = G < 1 ? 1 : (G > JG_CU_THREADS ? JG_CU_THREADS : G);
        jg_buffer part;
        memset(&part, 0, sizeof part);
        part.dtype = JG_UINT8; part.ndim = 1;
        part.shape[0] = a.O * a.G * (int64_t)(sizeof(typename Op::acc_t) + sizeof(int64_t));
        JG_CHECK(jg_cu_alloc_temp(call, cu, &part));
        int64_t *pbest = (int64_t *)part.data;
        typename Op::acc_t *pacc = (typename Op::acc_t *)(pbest + a.O * a.G);
        dim3 grid1((unsigned)a.G, (unsigned)(a.O < 65535 ? a.O : 65535));
        jg_red_stage1<Op, TI><<<grid1, JG_CU_THREADS, 0, cu->stream>>>(a, pacc, pbest);
        JG_CU_CHECK_LAUNCH(where, jg_red_stage1);
        unsigned grid2 = (unsigned)(a.O < 65535 ? a.O : 65535);
        jg_red_stage2<Op, TO><<<grid2, JG_CU_THREADS, 0, cu->stream>>>(a, pacc, pbest);
        JG_CU_CHECK_LAUNCH(where, jg_red_stage2);
    }
done:
    return rc;
}

#endif
