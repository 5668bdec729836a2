/* search.c: crossings and extremes of a function of time (search.h). */
#include <float.h>
#include <math.h>

#include "search.h"

/* Golden section's fraction, (3 - sqrt 5) / 2. */
#define GOLDEN 0.3819660112501051
/* A probe goes this share of 2 tol from x (just inside the bracket Brent's test closes). */
#define PROBE 0.95

/* Whether fu is within f's rounding of fx (a few ulp): such values no longer say where a peak
 * is. */
static int within_rounding(double fu, double fx)
{
  return fabs(fu - fx) <= 4.0 * DBL_EPSILON * fabs(fx);
}

/* Whether fu is higher than fx by more than their rounding. */
static int clearly_higher(double fu, double fx)
{
  return fu > fx && !within_rounding(fu, fx);
}

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

/* Brent's search from the best point x and the two before it, w and v (all in [a, b]), with
 * `moved` the size of the last two steps (0: the first step is golden section; a parabolic step
 * must move less than half the step before last).
 *
 * One change to Brent's rules, for peaks flat to rounding over more than tol (f'' dt^2 / 2 below
 * an ulp of f): once the parabola's vertex lies within tol of x, or a new value lies within f's
 * rounding of f(x), the search probes each side of the bracket still wider than 2 tol just
 * inside 2 tol of x. A probe not clearly higher closes that side; a clearly higher one moves x
 * and the search goes on. Brent would close such a side by golden sections, a score of
 * evaluations whose values cannot choose. */
static double maximum_from(cartp_search_fn f, void *context, double a, double b, double tol,
                           double x, double fx, double w, double fw, double v, double fv,
                           double moved, double *f_max)
{
  double step = moved, step_before = moved;
  int converged = 0;
  for (int i = 0; i < 100; i++) {
    const double mid = 0.5 * (a + b), tol2 = 2.0 * tol;
    if (fabs(x - mid) <= tol2 - 0.5 * (b - a)) {
      break;
    }
    int parabolic = 0;
    if (!converged && fabs(step_before) > tol) { /* a parabola through x, w, v: its vertex */
      const double r = (x - w) * (fx - fv), q0 = (x - v) * (fx - fw);
      double p = (x - v) * q0 - (x - w) * r, q = 2.0 * (q0 - r);
      if (q > 0) {
        p = -p;
      }
      q = fabs(q);
      /* taken only if it falls inside and moves less than half the step before last */
      if (fabs(p) < fabs(0.5 * q * step_before) && p > q * (a - x) && p < q * (b - x)) {
        if (fabs(p) < q * tol) {
          converged = 1;
        } else {
          step_before = step;
          step = p / q;
          parabolic = 1;
          const double u = x + step;
          if (u - a < tol2 || b - u < tol2) {
            step = x < mid ? tol : -tol;
          }
        }
      }
    }
    if (converged) { /* probe the wider side just inside 2 tol of x */
      step_before = step;
      step = (x < mid ? PROBE : -PROBE) * tol2;
    } else if (!parabolic) { /* golden section into the larger part */
      step_before = x < mid ? b - x : a - x;
      step = GOLDEN * step_before;
    }
    const double u = fabs(step) >= tol ? x + step : x + (step > 0 ? tol : -tol);
    const double fu = f(context, u);
    /* within f's rounding of f(x) (a few ulp): the values no longer say where the peak is, so
     * the probes close the bracket; a probe moves x only when clearly higher (else the probes
     * could creep along a peak flat to rounding, one 2 tol at a time) */
    const int level = within_rounding(fu, fx);
    const int higher = converged ? clearly_higher(fu, fx) : fu > fx;
    converged |= level;
    if (higher) {
      if (u < x) {
        b = x;
      } else {
        a = x;
      }
      v = w, fv = fw;
      w = x, fw = fx;
      x = u, fx = fu;
      converged = level;
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

double cartp_search_maximum(cartp_search_fn f, void *context, double a, double b, double tol,
                            double *f_max)
{
  const double x = a + GOLDEN * (b - a), fx = f(context, x);
  return maximum_from(f, context, a, b, tol, x, fx, x, fx, x, fx, 0.0, f_max);
}

double cartp_search_maximum_near(cartp_search_fn f, void *context, double a, double fa, double x,
                                 double fx, double b, double fb, double tol, double *f_max)
{
  if (!(a < x && x < b) || !(fx >= fa && fx >= fb)) {
    return cartp_search_maximum(f, context, a, b, tol, f_max);
  }
  /* the parabola through the three points is the first step (allowed up to half the bracket) */
  const int a_second = fa >= fb;
  return maximum_from(f, context, a, b, tol, x, fx, a_second ? a : b, a_second ? fa : fb,
                      a_second ? b : a, a_second ? fb : fa, b - a, f_max);
}

double cartp_search_maximum_at_end(cartp_search_fn f, void *context, double a, double fa, double b,
                                   double fb, int at_a, double tol, double *f_max)
{
  if (!(b - a > 8.0 * tol)) { /* no room for a probe and a search beside it */
    return cartp_search_maximum(f, context, a, b, tol, f_max);
  }
  const double end = at_a ? a : b, f_end = at_a ? fa : fb;
  const double probe = at_a ? a + PROBE * (2.0 * tol) : b - PROBE * (2.0 * tol);
  const double f_probe = f(context, probe);
  if (!clearly_higher(f_probe, f_end)) {
    *f_max = f_end;
    return end;
  }
  return cartp_search_maximum_near(f, context, a, fa, probe, f_probe, b, fb, tol, f_max);
}
