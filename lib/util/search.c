/* search.c: crossings and extremes of a function of time (search.h). */
#include <math.h>

#include "search.h"

void cartp_search_crossing(cartp_search_fn h, void *context, double a, double fa, double b,
                           double fb, double tol, double *lo, double *hi)
{
  int kept = 0; /* +1: the near end stayed last time, -1: the far end did */
  for (int i = 0; i < 200 && b - a > tol; i++) {
    /* false position between the ends (fa > 0 >= fb), then kept at least tol / 2 inside */
    double t = fa - fb > 0 ? a + fa * (b - a) / (fa - fb) : 0.5 * (a + b);
    const double margin = 0.5 * tol; /* b - a > tol: room for it on both sides */
    if (!(t > a + margin)) {
      t = a + margin;
    } else if (!(t < b - margin)) {
      t = b - margin;
    }
    const double ft = h(context, t);
    if (ft > 0) {
      a = t, fa = ft;
      if (kept == -1) {
        fb *= 0.5; /* Illinois: the far end stayed twice; halve its weight */
      }
      kept = -1;
    } else {
      b = t, fb = ft;
      if (kept == +1) {
        fa *= 0.5;
      }
      kept = +1;
    }
  }
  *lo = a;
  *hi = b;
}

double cartp_search_maximum(cartp_search_fn f, void *context, double a, double b, double tol,
                            double *f_max)
{
  const double golden = 0.3819660112501051; /* (3 - sqrt 5) / 2 */
  /* x the best point so far, w the second best, v the one before w */
  double x = a + golden * (b - a), w = x, v = x;
  double fx = f(context, x), fw = fx, fv = fx;
  double step = 0.0, step_before = 0.0;
  for (int i = 0; i < 100; i++) {
    const double mid = 0.5 * (a + b), tol2 = 2.0 * tol;
    if (fabs(x - mid) <= tol2 - 0.5 * (b - a)) {
      break;
    }
    int parabolic = 0;
    if (fabs(step_before) > tol) { /* a parabola through x, w, v: its vertex */
      const double r = (x - w) * (fx - fv), q0 = (x - v) * (fx - fw);
      double p = (x - v) * q0 - (x - w) * r, q = 2.0 * (q0 - r);
      if (q > 0) {
        p = -p;
      }
      q = fabs(q);
      /* taken only if it falls inside and moves less than half the step before last */
      if (fabs(p) < fabs(0.5 * q * step_before) && p > q * (a - x) && p < q * (b - x)) {
        step_before = step;
        step = p / q;
        parabolic = 1;
        const double u = x + step;
        if (u - a < tol2 || b - u < tol2) {
          step = x < mid ? tol : -tol;
        }
      }
    }
    if (!parabolic) { /* golden section into the larger part */
      step_before = x < mid ? b - x : a - x;
      step = golden * step_before;
    }
    const double u = fabs(step) >= tol ? x + step : x + (step > 0 ? tol : -tol);
    const double fu = f(context, u);
    if (fu >= fx) {
      if (u < x) {
        b = x;
      } else {
        a = x;
      }
      v = w, fv = fw;
      w = x, fw = fx;
      x = u, fx = fu;
    } else {
      if (u < x) {
        a = u;
      } else {
        b = u;
      }
      if (fu >= fw || w == x) {
        v = w, fv = fw;
        w = u, fw = fu;
      } else if (fu >= fv || v == x || v == w) {
        v = u, fv = fu;
      }
    }
  }
  *f_max = fx;
  return x;
}
