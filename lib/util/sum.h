/* sum.h: a compensated running sum (internal), for means that must not depend on how many
 * values are summed in what magnitude: Neumaier's variant of Kahan's summation (Neumaier A, Z
 * Angew Math Mech 1974;54:39-51). The order of the additions is the caller's (patient order), so
 * the result is the same bits whatever the threads. */
#ifndef CART_UTIL_SUM_H
#define CART_UTIL_SUM_H

#include <math.h>

typedef struct cartp_sum {
  double sum, compensation;
} cartp_sum;

static inline void cartp_sum_add(cartp_sum *s, double x)
{
  const double t = s->sum + x;
  s->compensation += fabs(s->sum) >= fabs(x) ? (s->sum - t) + x : (x - t) + s->sum;
  s->sum = t;
}

/* The sum; an infinity makes the compensation NaN, and the plain sum is then the answer. */
static inline double cartp_sum_value(const cartp_sum *s)
{
  return isfinite(s->sum) ? s->sum + s->compensation : s->sum;
}

#endif
