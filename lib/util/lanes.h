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
 * row-major as the scalar Jacobian. A model with lanes never refuses a state (the scalar path
 * serves models that do). */
#define CARTP_LANE_FUNCTIONS(W)                                                                   \
  void (*rhs##W)(const cartp_lane##W *t, const cartp_lane##W *y, cartp_lane##W *f,               \
                 const cartp_lane##W *p, const cartp_lane##W *derived);                          \
  void (*jacobian##W)(const cartp_lane##W *t, const cartp_lane##W *y, cartp_lane##W *J,          \
                      cartp_lane##W *dfdt, const cartp_lane##W *p, const cartp_lane##W *derived)

typedef struct cartp_model_lanes {
  CARTP_LANE_FUNCTIONS(8);
  CARTP_LANE_FUNCTIONS(4);
  CARTP_LANE_FUNCTIONS(2);
} cartp_model_lanes;

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
#define CARTP_EXP(x) exp(x)
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
static inline CARTP_R CARTP_PASTE(cartp_lanes_exp, CARTP_LANE_W)(CARTP_R x)
{
  CARTP_R out;
  for (int l = 0; l < CARTP_LANE_W; l++) {
    out[l] = exp(x[l]);
  }
  return out;
}
#define CARTP_EXP(x) CARTP_PASTE(cartp_lanes_exp, CARTP_LANE_W)(x)
/* |x|: the sign bit cleared, as fabs does */
#define CARTP_FABS(x) ((CARTP_R)((CARTP_M)(x) & ((CARTP_M){0} + 0x7fffffffffffffffL)))
#endif
#endif
