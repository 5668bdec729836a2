/* cart_common.h: what the mechanistic models cart (MODEL.md 2.2) and cart2 (2.3) share
 * (internal): the parameter rows of the CAR-T cells and of the host (B cells, IL-6,
 * tocilizumab, blood), whole powers, and the IL-6 amplification loop's rules. Each model keeps
 * its own tumour rows and equations. The models after them take what they have of cart's: solid
 * the IL-6, tocilizumab and body rows and the loop's rules; lupus the body rows. The loop itself,
 * the programme and the models' other terms are written over SIMD lanes, once for one patient
 * and the lanes (lane_terms.h and each model's equations header). */
#ifndef CART_MODELS_CART_COMMON_H
#define CART_MODELS_CART_COMMON_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model_impl.h"

#define OPEN 1
#define CLOSED 0
#define INF INFINITY

/* MODEL.md 2.2 parameter rows: name, unit, default, lower, upper, lower open, upper open. The
 * CAR-T product and cells, up to the tumour burden T0: */
#define CARTP_ROWS_CAR_T \
    {"dose", "cells", 1.4e8, 0, 1e11, CLOSED, CLOSED, "CAR-T cells infused at t = 0 (2e6/kg at 70 kg [S6])"}, \
    {"f_mem", "1", 0.2, 0, 1, CLOSED, CLOSED, "fraction of the product with memory phenotype"}, \
    {"rho", "1/day", 0.6, 0, 10, CLOSED, CLOSED, "maximal effector expansion rate"}, \
    {"KS", "cells", 1e9, 0, INF, OPEN, OPEN, "antigen load of half-maximal stimulation"}, \
    {"rho_ld", "1/day", 0.6, 0, 10, CLOSED, CLOSED, "antigen-independent expansion right after lymphodepletion"}, \
    {"ld_tau", "day", 7, 0, INF, OPEN, OPEN, "decay time of the lymphodepletion-driven expansion"}, \
    {"omega", "1/day", 0.2, 0, 10, CLOSED, CLOSED, "antigen-driven memory-to-effector conversion"}, \
    {"delta_E", "1/day", 0.25, 0, 10, CLOSED, CLOSED, "effector death rate"}, \
    {"k_mem", "1/day", 0.02, 0, 1, CLOSED, CLOSED, "effector-to-memory conversion"}, \
    {"k_exh", "1/day", 0.05, 0, 1, CLOSED, CLOSED, "stimulation-driven exhaustion"}, \
    {"delta_M", "1/day", 0.005, 0, 1, CLOSED, CLOSED, "memory death rate"}, \
    {"delta_X", "1/day", 0.1, 0, 10, CLOSED, CLOSED, "exhausted-cell death rate"}, \
    {"gamma", "1/day", 1.0, 0, 100, CLOSED, CLOSED, "targets killed per effector per day at saturation"}, \
    {"Kkill", "cells", 1e10, 0, INF, OPEN, OPEN, "target load of half-saturated killing"}, \
    {"T0", "cells", 1e11, 0, 1e13, CLOSED, CLOSED, "tumour burden at infusion"},

/* The host after the tumour rows: B cells, IL-6, tocilizumab (CL and Q: MODEL.md's table says
 * > 0, but its reference case 7.4 sets Q = CL = 0 (one compartment with Michaelis-Menten
 * elimination); 0 is allowed so that case can run), weight and blood. */
#define CARTP_ROWS_HOST CARTP_ROWS_B_CELLS CARTP_ROWS_IL6_TOCI_BLOOD
#define CARTP_ROWS_B_CELLS \
    {"B0", "cells", 1e10, 0, 1e13, CLOSED, CLOSED, "normal B-cell pool at homeostasis"}, \
    {"b_ld", "1", 0.1, 0, 1, CLOSED, CLOSED, "share of the B-cell pool left after lymphodepletion"}, \
    {"delta_B", "1/day", 0.03, 0, 1, CLOSED, CLOSED, "B-cell turnover (sets reconstitution speed)"},
/* IL-6, tocilizumab, weight and blood (the solid model has them without B cells): */
#define CARTP_ROWS_IL6_TOCI_BLOOD CARTP_ROWS_IL6_TOCI CARTP_ROWS_BODY
#define CARTP_ROWS_IL6_TOCI \
    {"il6_0", "pg/mL", 3, 0, INF, OPEN, OPEN, "baseline serum IL-6"}, \
    {"k_il6", "1/day", 5, 0, INF, OPEN, OPEN, "non-receptor IL-6 elimination"}, \
    {"k_rec", "1/day", 15, 0, 1e3, CLOSED, CLOSED, "IL-6R-mediated IL-6 elimination"}, \
    {"p_kill", "pg/mL/day per 1e9 cells/day", 50, 0, 1e4, CLOSED, CLOSED, "IL-6 from killed targets"}, \
    {"p_act", "pg/mL/day per 1e9 cells", 100, 0, 1e5, CLOSED, CLOSED, "IL-6 from activated effectors"}, \
    {"p_amp", "pg/mL/day", 8000, 0, 1e7, CLOSED, CLOSED, "maximal myeloid amplification"}, \
    {"IL6_50", "pg/mL", 300, 0, INF, OPEN, OPEN, "IL6s of half-maximal amplification"}, \
    {"h", "1", 2, 1, 8, CLOSED, CLOSED, "Hill coefficient of amplification"}, \
    {"CL", "L/day", 0.3, 0, INF, CLOSED, OPEN, "tocilizumab linear clearance [S8]"}, \
    {"V1", "L", 3.5, 0, INF, OPEN, OPEN, "tocilizumab central volume [S8]"}, \
    {"V2", "L", 2.9, 0, INF, OPEN, OPEN, "tocilizumab peripheral volume [S8]"}, \
    {"Q", "L/day", 0.2, 0, INF, CLOSED, OPEN, "tocilizumab inter-compartment clearance [S8]"}, \
    {"Vmax", "mg/day", 7.5, 0, INF, CLOSED, OPEN, "tocilizumab saturable elimination [S8]"}, \
    {"Km", "mg/L", 2.7, 0, INF, OPEN, OPEN, "tocilizumab saturable elimination constant [S8]"}, \
    {"KD_toci", "mg/L", 0.4, 0, INF, OPEN, OPEN, "tocilizumab concentration of half IL-6R occupancy (~2.5 nM)"},
/* Weight and blood, the last rows of every table built on cart's (lupus has them without IL-6
 * amplification and tocilizumab): */
#define CARTP_ROWS_BODY \
    {"WT", "kg", 70, 0, 300, OPEN, CLOSED, "body weight (weight-based doses)"}, \
    {"V_blood", "L", 5, 0, INF, OPEN, OPEN, "blood volume, converts cells to cells/uL"}, \
    {"f_blood", "1", 0.005, 0, 1, OPEN, CLOSED, "share of CAR-T cells that circulate in blood"},

/* x^e; a whole e from 0 to 16 by binary powering (at most 8 multiplications) instead of pow(),
 * which costs as much as the rest of a right-hand side. */
static inline double cartp_power(double x, double e)
{
  if (e >= 0.0 && e <= 16.0 && e == (double)(int)e) {
    double result = 1.0, square = x;
    for (int k = (int)e; k > 0; k >>= 1) {
      if (k & 1) {
        result *= square;
      }
      square *= square;
    }
    return result;
  }
  return pow(x, e);
}

/* Largest gain of the amplification loop, max over x of amp(x)/x: the maximum of
 * x^(h-1) / (K^h + x^h) is at x^h = (h - 1) K^h, giving (h-1)^((h-1)/h) / (h K); h = 1 gives
 * p_amp / K (the limit x -> 0). MODEL.md 2.2 quotes h = 2: p_amp / (2 IL6_50). */
static inline double cartp_il6_loop_gain(double p_amp, double il6_50, double h)
{
  const double shape = h == 1.0 ? 1.0 : pow(h - 1.0, (h - 1.0) / h);
  return p_amp * shape / (h * il6_50);
}

/* MODEL.md 2.2's IL-6 rules: the loop must never sustain itself, so its gain may be at most 3/4
 * of the clearance k_il6 + k_rec (a relative 1e-12 absorbs rounding at the limit, e.g.
 * p_amp = 9000), and the derived baseline production p0 must not be negative. CART_OK or
 * CART_ERULE with the message. */
static inline int cartp_il6_rules(const char *model, double p_amp, double il6_50, double h,
                                  double k_il6, double k_rec, double p0, char *message,
                                  size_t size)
{
  const double clearance = k_il6 + k_rec;
  const double gain = cartp_il6_loop_gain(p_amp, il6_50, h);
  if (gain > 0.75 * clearance * (1.0 + 1e-12)) {
    snprintf(message, size,
             "model '%s': IL-6 amplification loop gain p_amp*(h-1)^((h-1)/h)/(h*IL6_50) = %g/day "
             "exceeds 3/4 of k_il6 + k_rec = %g/day (p_amp = %g, IL6_50 = %g, h = %g)",
             model, gain, 0.75 * clearance, p_amp, il6_50, h);
    return CART_ERULE;
  }
  if (p0 < 0.0) {
    snprintf(message, size,
             "model '%s': derived baseline IL-6 production p0 = (k_il6 + k_rec)*il6_0 - "
             "amp(il6_0) = %g pg/mL/day is negative",
             model, p0);
    return CART_ERULE;
  }
  return CART_OK;
}

/* The IL-6 quantities a model derives from its parameters (derived_value): "p0", the baseline
 * production p0 (given), and "il6_loop_gain". CART_OK, or CART_EUNKNOWN_PARAM for another
 * name. */
static inline int cartp_il6_derived_value(const char *name, double p0, double p_amp,
                                          double il6_50, double h, double *value)
{
  if (strcmp(name, "p0") == 0) {
    *value = p0;
    return CART_OK;
  }
  if (strcmp(name, "il6_loop_gain") == 0) {
    *value = cartp_il6_loop_gain(p_amp, il6_50, h);
    return CART_OK;
  }
  return CART_EUNKNOWN_PARAM;
}

#endif
