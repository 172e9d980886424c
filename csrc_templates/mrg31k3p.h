/* The MRG31k3p recurrence (L'Ecuyer & Touzin, 2000) as Theano 1.0.5 runs it; the one
 * native copy of jitgraph/sandbox/mrg31k3p.py's mrg31k3p_step and raw_to_float.
 *
 * Shared by the C and the CUDA targets, so only plain int32/int64/float arithmetic and
 * `static inline` functions (JG_MRG_FN adds __host__ __device__ under nvcc).
 *
 * A stream is 6 int32 words (x11, x12, x13, x21, x22, x23). The arithmetic is done in
 * int64 on values below 2**32, exactly as the numpy reference does; for valid states
 * this equals Theano's int32 code with its wrap-around, and for any int32 input it
 * equals the reference (stores narrow to int32 by wrapping, as numpy's astype does).
 */
#ifndef JG_MRG31K3P_H
#define JG_MRG31K3P_H
#include <stdint.h>

#ifdef __CUDACC__
#define JG_MRG_FN static inline __host__ __device__
#else
#define JG_MRG_FN static inline
#endif

#define JG_MRG_M1 ((int64_t)2147483647)      /* 2**31 - 1 */
#define JG_MRG_M2 ((int64_t)2147462579)      /* 2**31 - 21069 */

/* Theano's `if (y < 0 || y >= m) y -= m` on an int32 that may have wrapped, written on
   the unwrapped value (see the reference's _reduce_once). */
JG_MRG_FN int64_t jg_mrg_reduce(int64_t y, int64_t m) { return y >= m ? y - m : y; }

/* 2**15 * x mod M2 (before the final reduction), on the split words of x. */
JG_MRG_FN int64_t jg_mrg_times_2p15(int64_t x) { return ((x & 65535) << 15) + 21069 * (x >> 16); }

/* Advance the stream s[0..5] one step in place; returns the raw output in [1, M1]. */
JG_MRG_FN int64_t jg_mrg31k3p_step(int32_t *s) {
    const int64_t x11 = s[0], x12 = s[1], x13 = s[2], x21 = s[3], x22 = s[4], x23 = s[5];
    /* first component: (2**22 x12 + (2**7 + 1) x13) mod M1, by shifts on split words */
    int64_t y1 = ((x12 & 511) << 22) + (x12 >> 9) + ((x13 & 16777215) << 7) + (x13 >> 24);
    y1 = jg_mrg_reduce(y1, JG_MRG_M1);
    y1 = jg_mrg_reduce(y1 + x13, JG_MRG_M1);
    /* second component: (2**15 x21 + (2**15 + 1) x23) mod M2 */
    const int64_t t1 = jg_mrg_reduce(jg_mrg_times_2p15(x21), JG_MRG_M2);
    int64_t t2 = jg_mrg_reduce(jg_mrg_times_2p15(x23), JG_MRG_M2);
    t2 = jg_mrg_reduce(t2 + x23, JG_MRG_M2);
    t2 = jg_mrg_reduce(t2 + t1, JG_MRG_M2);
    /* (int32_t)(uint32_t) narrows by wrapping on every compiler we target */
    s[0] = (int32_t)(uint32_t)y1; s[1] = (int32_t)x11; s[2] = (int32_t)x12;
    s[3] = (int32_t)(uint32_t)t2; s[4] = (int32_t)x21; s[5] = (int32_t)x22;
    const int64_t diff = y1 - t2;
    return diff <= 0 ? diff + JG_MRG_M1 : diff;
}

/* A raw output as a sample in (0, 1), Theano's rounding: float64 is raw * 2**-31 (exact);
   float32 is a float32 product with float32(4.6566126e-10) = 2**-31 * (1 - 2**-24), which
   keeps raw == M1 (rounded to 2**31 in float32) below 1. */
JG_MRG_FN double jg_mrg_float64(int64_t raw) { return (double)raw * 4.656612873077392578125e-10; }
JG_MRG_FN float jg_mrg_float32(int64_t raw) { return (float)raw * 4.6566126e-10f; }

#endif
