/* model_lanes.h: a model's right-hand side, Jacobian and signals over lanes of 8 (AVX-512), 4
 * (AVX2) and 2 (SSE2) patients, each compiled for its instruction set (lib/solver/batch.c chooses
 * one at run time), and the model's `lanes` table (model_impl.h) that holds them (internal).
 *
 * Included once, at file scope, by a model whose equations are a template over lanes
 * (lib/util/lanes.h), after defining
 *   CARTP_MODEL_EQUATIONS  the template's header, as an include name ("cart_equations.h")
 *   CARTP_MODEL_RHS, CARTP_MODEL_JACOBIAN, CARTP_MODEL_SIGNALS
 *                          the base names of its functions: the template defines NAME_W for
 *                          each width W (CARTP_EQ in cart_equations.h)
 * It defines the model table's one-patient functions `rhs` and `jacobian` (the template at width
 * 1, which the model has included before; a model with lanes never refuses a state, so they
 * return 0), and leaves CARTP_LANE_W undefined. */
#ifndef CART_MODELS_MODEL_LANES_H
#define CART_MODELS_MODEL_LANES_H

#define CARTP_LANES_FN_(name, w) name##_##w
#define CARTP_LANES_FN(name, w) CARTP_LANES_FN_(name, w)

#define CARTP_MODEL_LANE_WRAPPERS(W)                                                              \
  static void rhs_lanes##W(const cartp_lane##W *t, const cartp_lane##W *y, cartp_lane##W *f,     \
                           const cartp_lane##W *p, const cartp_lane##W *dv)                      \
  {                                                                                               \
    CARTP_LANES_FN(CARTP_MODEL_RHS, W)(*t, y, f, p, dv);                                          \
  }                                                                                               \
  static void jacobian_lanes##W(const cartp_lane##W *t, const cartp_lane##W *y,                  \
                                cartp_lane##W *J, cartp_lane##W *dfdt, const cartp_lane##W *p,   \
                                const cartp_lane##W *dv)                                         \
  {                                                                                               \
    CARTP_LANES_FN(CARTP_MODEL_JACOBIAN, W)(*t, y, J, dfdt, p, dv);                               \
  }                                                                                               \
  static void signals_lanes##W(const cartp_lane##W *y, const cartp_lane##W *p,                   \
                               cartp_lane##W *out)                                               \
  {                                                                                               \
    CARTP_LANES_FN(CARTP_MODEL_SIGNALS, W)(y, p, out);                                            \
  }

static int rhs(double t, const double *y, double *f, const cart_model_eval *ev)
{
  CARTP_LANES_FN(CARTP_MODEL_RHS, 1)(t, y, f, ev->p, ev->derived);
  return 0;
}

static int jacobian(double t, const double *y, double *J, double *dfdt, const cart_model_eval *ev)
{
  CARTP_LANES_FN(CARTP_MODEL_JACOBIAN, 1)(t, y, J, dfdt, ev->p, ev->derived);
  return 0;
}

#pragma GCC push_options
#if defined(__x86_64__)
#pragma GCC target("avx512f")
#endif
#undef CARTP_LANE_W
#define CARTP_LANE_W 8
#include "../util/lanes.h"
#include CARTP_MODEL_EQUATIONS
CARTP_MODEL_LANE_WRAPPERS(8)
#pragma GCC pop_options

#pragma GCC push_options
#if defined(__x86_64__)
#pragma GCC target("avx2")
#endif
#undef CARTP_LANE_W
#define CARTP_LANE_W 4
#include "../util/lanes.h"
#include CARTP_MODEL_EQUATIONS
CARTP_MODEL_LANE_WRAPPERS(4)
#pragma GCC pop_options

#undef CARTP_LANE_W
#define CARTP_LANE_W 2
#include "../util/lanes.h"
#include CARTP_MODEL_EQUATIONS
CARTP_MODEL_LANE_WRAPPERS(2)
#undef CARTP_LANE_W

static const cartp_model_lanes lanes = {rhs_lanes8,     jacobian_lanes8, signals_lanes8,
                                        rhs_lanes4,     jacobian_lanes4, signals_lanes4,
                                        rhs_lanes2,     jacobian_lanes2, signals_lanes2};

#endif
