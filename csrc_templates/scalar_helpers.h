/* Scalar helpers named by the C expressions of jitgraph/scalar/basic.py. Each
 * follows numpy's semantics: Python-style floor division and modulo (a zero integer
 * divisor gives 0, as numpy does, instead of a trap), NaN-propagating max/min, and
 * a stable sigmoid/softplus. Type-generic through C11 _Generic. */
#ifndef JG_SCALAR_HELPERS_H
#define JG_SCALAR_HELPERS_H
#include <stdbool.h>
#include <stdint.h>
#include <math.h>

/* Vector variants from glibc's libmvec (declared here because math.h declares them only
 * under -ffast-math, which the stability rules forbid): loops marked `omp simd` call
 * them 8 or 16 lanes at a time. They are within 4 ulp and keep inf/NaN semantics. */
#define JG_SIMD __attribute__((simd("notinbranch")))
#define JG_VEC_DECL(name) float name##f(float) JG_SIMD; double name(double) JG_SIMD;
JG_VEC_DECL(exp) JG_VEC_DECL(exp2) JG_VEC_DECL(expm1) JG_VEC_DECL(log) JG_VEC_DECL(log2)
JG_VEC_DECL(log10) JG_VEC_DECL(log1p) JG_VEC_DECL(sin) JG_VEC_DECL(cos) JG_VEC_DECL(tan)
JG_VEC_DECL(asin) JG_VEC_DECL(acos) JG_VEC_DECL(atan) JG_VEC_DECL(sinh) JG_VEC_DECL(cosh)
JG_VEC_DECL(tanh) JG_VEC_DECL(asinh) JG_VEC_DECL(acosh) JG_VEC_DECL(atanh) JG_VEC_DECL(erf)
JG_VEC_DECL(erfc)
float powf(float, float) JG_SIMD; double pow(double, double) JG_SIMD;
float atan2f(float, float) JG_SIMD; double atan2(double, double) JG_SIMD;
#include <tgmath.h>

#define JG_INT_HELPERS(T, S)                                                          \
    static inline T jg_floor_div_##S(T a, T b) {                                      \
        if (b == 0) return 0;                                                         \
        T q = a / b;                                                                  \
        if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;                             \
        return q;                                                                     \
    }                                                                                 \
    static inline T jg_mod_##S(T a, T b) {                                            \
        if (b == 0) return 0;                                                         \
        T r = a % b;                                                                  \
        if (r != 0 && ((r < 0) != (b < 0))) r += b;                                   \
        return r;                                                                     \
    }                                                                                 \
    static inline T jg_ipow_##S(T a, T b) {                                           \
        if (b < 0) return (a == 1) ? 1 : (a == (T)-1 ? ((b & 1) ? (T)-1 : 1) : 0);    \
        T r = 1;                                                                      \
        while (b) { if (b & 1) r *= a; a *= a; b >>= 1; }                             \
        return r;                                                                     \
    }
JG_INT_HELPERS(int8_t, i8) JG_INT_HELPERS(int16_t, i16) JG_INT_HELPERS(int32_t, i32)
JG_INT_HELPERS(int64_t, i64) JG_INT_HELPERS(uint8_t, u8) JG_INT_HELPERS(uint16_t, u16)
JG_INT_HELPERS(uint32_t, u32) JG_INT_HELPERS(uint64_t, u64)

static inline float jg_floor_div_f32(float a, float b) { return floorf(a / b); }
static inline double jg_floor_div_f64(double a, double b) { return floor(a / b); }
static inline float jg_mod_f32(float a, float b) {
    if (b == 0) return NAN;
    float r = fmodf(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}
static inline double jg_mod_f64(double a, double b) {
    if (b == 0) return NAN;
    double r = fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}

#define JG_GENERIC2(name, a, b) _Generic((a), \
    int8_t: name##_i8, int16_t: name##_i16, int32_t: name##_i32, int64_t: name##_i64, \
    uint8_t: name##_u8, uint16_t: name##_u16, uint32_t: name##_u32, uint64_t: name##_u64, \
    float: name##_f32, double: name##_f64)((a), (b))

#define jg_floor_div(a, b) JG_GENERIC2(jg_floor_div, a, b)
#define jg_mod(a, b) JG_GENERIC2(jg_mod, a, b)
#define jg_pow(a, b) _Generic((a), \
    int8_t: jg_ipow_i8, int16_t: jg_ipow_i16, int32_t: jg_ipow_i32, int64_t: jg_ipow_i64, \
    uint8_t: jg_ipow_u8, uint16_t: jg_ipow_u16, uint32_t: jg_ipow_u32, uint64_t: jg_ipow_u64, \
    float: powf, double: pow)((a), (b))

static inline float jg_max_f32(float a, float b) { return (a != a || a > b) ? a : b; }
static inline double jg_max_f64(double a, double b) { return (a != a || a > b) ? a : b; }
static inline float jg_min_f32(float a, float b) { return (a != a || a < b) ? a : b; }
static inline double jg_min_f64(double a, double b) { return (a != a || a < b) ? a : b; }
#define jg_max(a, b) _Generic((a), float: jg_max_f32, double: jg_max_f64, default: jg_max_f64)((a), (b))
#define jg_min(a, b) _Generic((a), float: jg_min_f32, double: jg_min_f64, default: jg_min_f64)((a), (b))
/* integer max/min: exact in their own type (the generic versions above are for floats) */
#define jg_imax(a, b) ((a) > (b) ? (a) : (b))
#define jg_imin(a, b) ((a) < (b) ? (a) : (b))

static inline float jg_sgn_f32(float x) { return x > 0 ? 1.0f : (x < 0 ? -1.0f : x); }
static inline double jg_sgn_f64(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : x); }
#define jg_sgn(x) _Generic((x), float: jg_sgn_f32, double: jg_sgn_f64, \
    default: jg_sgn_f64)(x)
#define jg_isgn(x) (((x) > 0) - ((x) < 0))

#define jg_abs(x) _Generic((x), float: fabsf, double: fabs)(x)
#define jg_iabs(x) ((x) < 0 ? -(x) : (x))
/* bitwise not; on bools numpy's invert is logical not */
#define jg_invert(x) _Generic((x), bool: !(x), default: ~(x))

static inline float jg_sigmoid_f32(float x) {
    if (x >= 0) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}
static inline double jg_sigmoid_f64(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}
#define jg_sigmoid(x) _Generic((x), float: jg_sigmoid_f32, default: jg_sigmoid_f64)(x)

static inline float jg_softplus_f32(float x) { return log1pf(expf(-fabsf(x))) + (x > 0 ? x : 0.0f); }
static inline double jg_softplus_f64(double x) { return log1p(exp(-fabs(x))) + (x > 0 ? x : 0.0); }
#define jg_softplus(x) _Generic((x), float: jg_softplus_f32, default: jg_softplus_f64)(x)

#endif
