/* The CUDA twin of csrc_templates/scalar_helpers.h: the helper functions the C
 * expressions of jitgraph/scalar/basic.py name, as __device__ functions with the same
 * names and numpy's semantics (Python-style floor division and modulo with 0 for a zero
 * integer divisor, NaN-propagating max/min, stable sigmoid/softplus). C's _Generic and
 * <tgmath.h> become C++ overloads; CUDA's math library provides exp, log, ... for float
 * and double in device code. */
#ifndef JG_SCALAR_HELPERS_CUDA_H
#define JG_SCALAR_HELPERS_CUDA_H
#include <stdint.h>
#include <math.h>

#define JG_DEV static __device__ __forceinline__

template <typename T> JG_DEV T jg_floor_div(T a, T b) {
    if (b == 0) return 0;
    T q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
    return q;
}
JG_DEV float jg_floor_div(float a, float b) { return floorf(a / b); }
JG_DEV double jg_floor_div(double a, double b) { return floor(a / b); }

template <typename T> JG_DEV T jg_mod(T a, T b) {
    if (b == 0) return 0;
    T r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}
JG_DEV float jg_mod(float a, float b) {
    if (b == 0) return NAN;
    float r = fmodf(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}
JG_DEV double jg_mod(double a, double b) {
    if (b == 0) return NAN;
    double r = fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}

template <typename T> JG_DEV T jg_pow(T a, T b) {
    if (b < 0) return (a == 1) ? 1 : (a == (T)-1 ? ((b & 1) ? (T)-1 : 1) : 0);
    T r = 1;
    while (b) { if (b & 1) r *= a; a *= a; b >>= 1; }
    return r;
}
JG_DEV float jg_pow(float a, float b) { return powf(a, b); }
JG_DEV double jg_pow(double a, double b) { return pow(a, b); }

/* float max/min propagate NaN (numpy's maximum/minimum) */
JG_DEV float jg_max(float a, float b) { return (a != a || a > b) ? a : b; }
JG_DEV double jg_max(double a, double b) { return (a != a || a > b) ? a : b; }
JG_DEV float jg_min(float a, float b) { return (a != a || a < b) ? a : b; }
JG_DEV double jg_min(double a, double b) { return (a != a || a < b) ? a : b; }
template <typename T> JG_DEV double jg_max(T a, T b) { return jg_max((double)a, (double)b); }
template <typename T> JG_DEV double jg_min(T a, T b) { return jg_min((double)a, (double)b); }
/* integer max/min: exact in their own type */
#define jg_imax(a, b) ((a) > (b) ? (a) : (b))
#define jg_imin(a, b) ((a) < (b) ? (a) : (b))

JG_DEV float jg_sgn(float x) { return x > 0 ? 1.0f : (x < 0 ? -1.0f : x); }
JG_DEV double jg_sgn(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : x); }
template <typename T> JG_DEV double jg_sgn(T x) { return jg_sgn((double)x); }
#define jg_isgn(x) (((x) > 0) - ((x) < 0))

JG_DEV float jg_abs(float x) { return fabsf(x); }
JG_DEV double jg_abs(double x) { return fabs(x); }
#define jg_iabs(x) ((x) < 0 ? -(x) : (x))

/* bitwise not; on bools numpy's invert is logical not */
template <typename T> JG_DEV T jg_invert(T x) { return ~x; }
JG_DEV bool jg_invert(bool x) { return !x; }

JG_DEV float jg_sigmoid(float x) {
    if (x >= 0) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}
JG_DEV double jg_sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}
template <typename T> JG_DEV double jg_sigmoid(T x) { return jg_sigmoid((double)x); }

JG_DEV float jg_softplus(float x) { return log1pf(expf(-fabsf(x))) + (x > 0 ? x : 0.0f); }
JG_DEV double jg_softplus(double x) { return log1p(exp(-fabs(x))) + (x > 0 ? x : 0.0); }
template <typename T> JG_DEV double jg_softplus(T x) { return jg_softplus((double)x); }

#endif
