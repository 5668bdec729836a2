/* lanes.h: one patient per SIMD lane (internal).
 *
 * A lane vector holds the same quantity of W patients, one per lane, as a GCC vector extension
 * (GCC manual, "Using Vector Instructions through Built-in Functions"): +, -, *, / and the
 * comparisons act lane by lane with the same IEEE operation the scalar code performs, so a lane
 * computes bit for bit what the scalar path computes (libcart is built with -std=c11, where GCC
 * does not contract a * b + c into an FMA). Three widths: 8 (AVX-512), 4 (AVX2) and 2 (SSE2, any
 * x86-64); the code for each is compiled under its own target and chosen at run time
 * (lib/solver/batch.c).
 *
 * A code template over lanes (lib/models/cart_equations.h, lib/solver/rosenbrock_lanes.h) is
 * written with the macros below and included once per width after defining CARTP_LANE_W; the
 * same template included with CARTP_LANE_W 1 is the scalar code, on double and int. */
#ifndef CART_UTIL_LANES_H
#define CART_UTIL_LANES_H

typedef double cartp_lane8 __attribute__((vector_size(64)));
typedef long cartp_mask8 __attribute__((vector_size(64)));
typedef double cartp_lane4 __attribute__((vector_size(32)));
typedef long cartp_mask4 __attribute__((vector_size(32)));
typedef double cartp_lane2 __attribute__((vector_size(16)));
typedef long cartp_mask2 __attribute__((vector_size(16)));

/* A model's right-hand side and Jacobian over the lanes of one width: t, states, parameters (in
 * table order) and the derived block, each entry a lane vector (structure of arrays); J
 * row-major as the scalar Jacobian; and its signals (model_impl.h's signal_values), NULL when it
 * has none. A model with lanes never refuses a state (the scalar path
 * serves models that do). */
#define CARTP_LANE_FUNCTIONS(W)                                                                   \
  void (*rhs##W)(const cartp_lane##W *t, const cartp_lane##W *y, cartp_lane##W *f,               \
                 const cartp_lane##W *p, const cartp_lane##W *derived);                          \
  void (*jacobian##W)(const cartp_lane##W *t, const cartp_lane##W *y, cartp_lane##W *J,          \
                      cartp_lane##W *dfdt, const cartp_lane##W *p, const cartp_lane##W *derived); \
  void (*signals##W)(const cartp_lane##W *y, const cartp_lane##W *p, cartp_lane##W *out)

typedef struct cartp_model_lanes {
  CARTP_LANE_FUNCTIONS(8);
  CARTP_LANE_FUNCTIONS(4);
  CARTP_LANE_FUNCTIONS(2);
} cartp_model_lanes;

/* A one-patient function that runs once per patient and step or more (the dense output at the
 * output times): compiled also for AVX-512 and AVX2 and chosen when the library loads (GCC's
 * target_clones, an ifunc), so that its loops over the states take 8 or 4 at a time; the same
 * operations on each element, so the same bits. Clang builds (fuzzing, ThreadSanitizer) keep one
 * version. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define CARTP_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CARTP_CLONES
#endif

#endif

/* ---- the template macros: defined anew at each inclusion with CARTP_LANE_W set ---- */
#ifdef CARTP_LANE_W
#undef CARTP_R
#undef CARTP_M
#undef CARTP_SEL
#undef CARTP_ANY
#undef CARTP_SPLAT
#undef CARTP_ZERO
#undef CARTP_LANEWISE
#undef CARTP_EXP
#undef CARTP_FABS
#undef CARTP_MASK
#undef CARTP_AND
#undef CARTP_OR
#undef CARTP_NOT
#if CARTP_LANE_W == 1
#define CARTP_R double
#define CARTP_M int
#define CARTP_SEL(m, a, b) ((m) ? (a) : (b))
#define CARTP_ANY(m) (m)
#define CARTP_SPLAT(x) (x)
#define CARTP_ZERO 0.0
#define CARTP_EXP(x) cartp_exp1(x)
#define CARTP_FABS(x) fabs(x)
#define CARTP_MASK(x) (x)
#define CARTP_AND(a, b) ((a) && (b))
#define CARTP_OR(a, b) ((a) || (b))
#define CARTP_NOT(a) (!(a))
/* out = f(x, e) lane by lane */
#define CARTP_LANEWISE(out, f, x, e) ((out) = f((x), (e)))
#else
#define CARTP_PASTE_(a, b) a##b
#define CARTP_PASTE(a, b) CARTP_PASTE_(a, b)
#define CARTP_R CARTP_PASTE(cartp_lane, CARTP_LANE_W)
#define CARTP_M CARTP_PASTE(cartp_mask, CARTP_LANE_W)
/* a where m (all bits set), else b: a bitwise blend, so every lane is exactly a or b */
#define CARTP_SEL(m, a, b) ((CARTP_R)(((CARTP_M)(a) & (m)) | ((CARTP_M)(b) & ~(m))))
#define CARTP_SPLAT(x) ((CARTP_R){0} + (x))
#define CARTP_ZERO ((CARTP_R){0})
#define CARTP_MASK(x) ((CARTP_M)(x))
#define CARTP_AND(a, b) ((CARTP_M)(a) & (CARTP_M)(b))
#define CARTP_OR(a, b) ((CARTP_M)(a) | (CARTP_M)(b))
#define CARTP_NOT(a) (~(CARTP_M)(a))
/* libm per lane: the same call, so the same result, as the scalar path */
#define CARTP_LANEWISE(out, f, x, e)                                                              \
  do {                                                                                            \
    CARTP_R lanewise_x_ = (x), lanewise_e_ = (e), lanewise_out_;                                  \
    for (int lanewise_l_ = 0; lanewise_l_ < CARTP_LANE_W; lanewise_l_++) {                        \
      lanewise_out_[lanewise_l_] = f(lanewise_x_[lanewise_l_], lanewise_e_[lanewise_l_]);         \
    }                                                                                             \
    (out) = lanewise_out_;                                                                        \
  } while (0)
static inline int CARTP_PASTE(cartp_lanes_any, CARTP_LANE_W)(CARTP_M m)
{
  long any = 0;
  for (int l = 0; l < CARTP_LANE_W; l++) {
    any |= m[l];
  }
  return any != 0;
}
#define CARTP_ANY(m) CARTP_PASTE(cartp_lanes_any, CARTP_LANE_W)((CARTP_M)(m))
#define CARTP_EXP(x) CARTP_PASTE(cartp_exp, CARTP_LANE_W)(x)
/* |x|: the sign bit cleared, as fabs does */
#define CARTP_FABS(x) ((CARTP_R)((CARTP_M)(x) & ((CARTP_M){0} + 0x7fffffffffffffffL)))
#endif
#endif

/* ---- exp for the models, the same operations on one patient and on lanes ----
 *
 * libm's exp and its vector versions (libmvec) may differ in the last bit, which would break
 * the bit-identity of lanes and scalar path, and calling the scalar exp lane by lane cost 10 % of
 * a step. So: x = k ln 2 + r with k = round(x / ln 2) and Cody and Waite's two-part ln 2 (the
 * high part has 24 bits, so k ln2_hi is exact for |k| < 2^29), |r| <= ln 2 / 2, e^r by its Taylor
 * series to degree 13 (truncation below 4e-18 relative; CARTP_EXP_POLY), times 2^k built from its bits in two
 * halves (so that results down to the smallest subnormal round once). Relative error within 2
 * ulp of the correctly rounded exp (check_lanes tests it against libm); 0 below -745.2, inf above
 * 709.78, NaN for NaN. Cody WJ, Waite W, Software Manual for the Elementary Functions, 1980. */
#define CARTP_EXP_LN2_HI 0.693145751953125
#define CARTP_EXP_LN2_LO 1.42860682030941723212e-6
/* e^r = 1 + r + r^2/2 + r^3/6 + r^4 tail(r), the tail's degree-9 polynomial (1/4! .. 1/13!) by
 * Estrin's scheme (pairs, then powers r^2, r^4, r^8: a dependency chain of 7 operations instead
 * of Horner's 18) and the four leading terms by Horner, where the rounding of the result is
 * made (the tail enters scaled by r^4 <= 0.058, so its own roundings stay far below an ulp).
 * Knuth, TAOCP 2, 4.6.4 (Estrin 1960). */
#define CARTP_EXP_POLY(R_, out, r)                                                                \
  do {                                                                                            \
    const R_ r2_ = (r) * (r), r4_ = r2_ * r2_, r8_ = r4_ * r4_;                                   \
    const R_ a0_ = (r) * (1.0 / 120.0) + 1.0 / 24.0, a1_ = (r) * (1.0 / 5040.0) + 1.0 / 720.0;    \
    const R_ a2_ = (r) * (1.0 / 362880.0) + 1.0 / 40320.0;                                        \
    const R_ a3_ = (r) * (1.0 / 39916800.0) + 1.0 / 3628800.0;                                    \
    const R_ a4_ = (r) * (1.0 / 6227020800.0) + 1.0 / 479001600.0;                                \
    const R_ tail_ = (a1_ * r2_ + a0_) + (a3_ * r2_ + a2_) * r4_ + a4_ * r8_;                      \
    out = (((tail_ * (r) + 1.0 / 6.0) * (r) + 0.5) * (r) + 1.0) * (r) + 1.0;                      \
  } while (0)
/* x^(1/5) for the step-size controller (Hairer and Wanner's err^(1/(q+1)), q = 4), the same
 * operations on one patient and on lanes (libm's pow was a tenth of a SIMD round's time, one
 * call per lane): x = u 2^(5q) with q = round(log2(x) / 5) taken from the exponent bits, so
 * u in [1/4, 8); u^(1/5) from a cubic (within 6.4 %), two Halley steps
 * y <- y (4 y^5 + 6 u) / (6 y^5 + 4 u) (cubic convergence: 5e-4, then 2e-10) and a Newton step
 * written as a small correction, y <- y + y (u - y^5) / (5 y^5), whose own rounding is
 * negligible; times 2^q.
 * x is taken within [1e-30, 1e30] (NaN as 1): the controller clamps its factor long before. */
#define CARTP_ROOT5_POLY(u) (0.73551408 + (u) * (0.29623813 + (u) * (-0.05240881 + (u) * 0.0036288)))
#define CARTP_ROOT5_HALLEY(y, u)                                                                  \
  do {                                                                                            \
    const CARTP_ROOT5_T y2_ = (y) * (y), y5_ = y2_ * y2_ * (y);                                   \
    (y) = (y) * (4.0 * y5_ + 6.0 * (u)) / (6.0 * y5_ + 4.0 * (u));                                \
  } while (0)
#define CARTP_ROOT5_NEWTON(y, u)                                                                  \
  do {                                                                                            \
    const CARTP_ROOT5_T y2_ = (y) * (y), y5_ = y2_ * y2_ * (y);                                   \
    (y) = (y) + (y) * ((u) - y5_) / (5.0 * y5_);                                                  \
  } while (0)
#if defined(CARTP_LANE_W) && CARTP_LANE_W == 1 && !defined(CARTP_EXP1_DEFINED)
#define CARTP_EXP1_DEFINED
#include <math.h>
#include <string.h>
static inline double cartp_exp1(double x)
{
  const int big = x > 709.782712893384, small = x < -745.2, nan = x != x;
  const double xc = big || small || nan ? 0.0 : x;
  const double shift = 6755399441055744.0; /* 1.5 2^52: adding it rounds to an integer */
  const double k = (xc * 1.4426950408889634 + shift) - shift;
  const double r = (xc - k * CARTP_EXP_LN2_HI) - k * CARTP_EXP_LN2_LO;
  double p;
  CARTP_EXP_POLY(double, p, r);
  const long ki = (long)k, k1 = ki >> 1, k2 = ki - k1;
  const long b1 = (k1 + 1023) << 52, b2 = (k2 + 1023) << 52;
  double s1, s2;
  memcpy(&s1, &b1, sizeof s1);
  memcpy(&s2, &b2, sizeof s2);
  const double e = p * s1 * s2;
  return nan ? x : small ? 0.0 : big ? INFINITY : e;
}

static inline double cartp_root5_1(double x)
{
  const double xc = x != x ? 1.0 : x < 1e-30 ? 1e-30 : x > 1e30 ? 1e30 : x;
  long bits;
  memcpy(&bits, &xc, sizeof bits);
  const double shift = 6755399441055744.0; /* 1.5 2^52 */
  const long field = (bits >> 52) | 0x4330000000000000L; /* 2^52 + the biased exponent */
  double ef;
  memcpy(&ef, &field, sizeof ef);
  ef = ef - 4503599627370496.0 - 1023.0; /* the exponent of xc, exactly */
  const double qf = (ef * 0.2 + shift) - shift;
  long qbits;
  const double qs = qf + shift;
  memcpy(&qbits, &qs, sizeof qbits);
  const long q = qbits - 0x4338000000000000L;
  const long down_bits = (1023 - 5 * q) << 52, up_bits = (1023 + q) << 52;
  double down, up;
  memcpy(&down, &down_bits, sizeof down);
  memcpy(&up, &up_bits, sizeof up);
  const double u = xc * down;
#define CARTP_ROOT5_T double
  double y = CARTP_ROOT5_POLY(u);
  CARTP_ROOT5_HALLEY(y, u);
  CARTP_ROOT5_HALLEY(y, u);
  CARTP_ROOT5_NEWTON(y, u);
#undef CARTP_ROOT5_T
  return y * up;
}
#elif defined(CARTP_LANE_W) && CARTP_LANE_W > 1 &&                                                \
    ((CARTP_LANE_W == 8 && !defined(CARTP_EXP8_DEFINED)) ||                                       \
     (CARTP_LANE_W == 4 && !defined(CARTP_EXP4_DEFINED)) ||                                       \
     (CARTP_LANE_W == 2 && !defined(CARTP_EXP2_DEFINED)))
#if CARTP_LANE_W == 8
#define CARTP_EXP8_DEFINED
#elif CARTP_LANE_W == 4
#define CARTP_EXP4_DEFINED
#else
#define CARTP_EXP2_DEFINED
#endif
#include <math.h>
static inline CARTP_R CARTP_PASTE(cartp_exp, CARTP_LANE_W)(CARTP_R x)
{
  const CARTP_M big = (CARTP_M)(x > 709.782712893384), small = (CARTP_M)(x < -745.2),
                nan = (CARTP_M)(x != x);
  const CARTP_R xc = CARTP_SEL(big | small | nan, CARTP_ZERO, x);
  const CARTP_R shift = CARTP_SPLAT(6755399441055744.0);
  const CARTP_R shifted = xc * 1.4426950408889634 + shift; /* round(x / ln 2) in its low bits */
  const CARTP_R k = shifted - shift;
  const CARTP_R r = (xc - k * CARTP_EXP_LN2_HI) - k * CARTP_EXP_LN2_LO;
  CARTP_R p;
  CARTP_EXP_POLY(CARTP_R, p, r);
  /* k as an integer from those bits (|k| < 1100), as the root's q below: AVX-512F and AVX2
   * convert doubles to 64-bit integers only lane by lane */
  const CARTP_M ki = (CARTP_M)shifted - 0x4338000000000000L, k1 = ki >> 1, k2 = ki - k1;
  const CARTP_R s1 = (CARTP_R)((k1 + 1023) << 52), s2 = (CARTP_R)((k2 + 1023) << 52);
  CARTP_R e = p * s1 * s2;
  e = CARTP_SEL(big, CARTP_SPLAT(INFINITY), e);
  e = CARTP_SEL(small, CARTP_ZERO, e);
  return CARTP_SEL(nan, x, e);
}

static inline CARTP_R CARTP_PASTE(cartp_root5_, CARTP_LANE_W)(CARTP_R x)
{
  CARTP_R xc = CARTP_SEL(x != x, CARTP_SPLAT(1.0), x);
  xc = CARTP_SEL(xc < 1e-30, CARTP_SPLAT(1e-30), xc);
  xc = CARTP_SEL(xc > 1e30, CARTP_SPLAT(1e30), xc);
  const CARTP_R shift = CARTP_SPLAT(6755399441055744.0);
  const CARTP_R ef = (CARTP_R)(((CARTP_M)xc >> 52) | 0x4330000000000000L) - 4503599627370496.0 -
                     1023.0;
  const CARTP_R qf = (ef * 0.2 + shift) - shift;
  const CARTP_M q = (CARTP_M)(qf + shift) - 0x4338000000000000L;
  const CARTP_R down = (CARTP_R)((1023 - 5 * q) << 52), up = (CARTP_R)((1023 + q) << 52);
  const CARTP_R u = xc * down;
#define CARTP_ROOT5_T CARTP_R
  CARTP_R y = CARTP_ROOT5_POLY(u);
  CARTP_ROOT5_HALLEY(y, u);
  CARTP_ROOT5_HALLEY(y, u);
  CARTP_ROOT5_NEWTON(y, u);
#undef CARTP_ROOT5_T
  return y * up;
}
#endif

