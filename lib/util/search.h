/* search.h: one-dimensional searches on a solver's dense output (internal).
 *
 * The events (lib/solver/events.c) and the endpoints (lib/trial/endpoints.c) locate level
 * crossings and refine extremes between the samples of each accepted step; both call these two
 * searches, so that each rule lives once. Each evaluation of the function is an interpolation of
 * every state and the model's signals, so the searches are built to need few: the crossing by
 * the Illinois variant of false position with CVODE's safeguard (Hindmarsh et al., ACM TOMS
 * 2005;31:363, section 2.1: each new point at least half the tolerance inside the bracket, so the
 * bracket closes from both sides), the extreme by Brent's parabolic interpolation with golden
 * section as the fallback (Brent, Algorithms for Minimization without Derivatives, 1973, ch. 5).
 * Both are deterministic: the same inputs give the same points, bit for bit. */
#ifndef CART_UTIL_SEARCH_H
#define CART_UTIL_SEARCH_H

/* The function searched: its value at t. */
typedef double (*cartp_search_fn)(void *context, double t);

/* A crossing of h from the near side (h > 0) to the far side (h <= 0) in [a, b], given h(a) > 0
 * and h(b) <= 0 (fa, fb). Shrinks the bracket to width <= tol (at most 200 evaluations) and
 * returns it in *lo (near side) and *hi (far side). */
void cartp_search_crossing(cartp_search_fn h, void *context, double a, double fa, double b,
                           double fb, double tol, double *lo, double *hi);

/* The maximum of f on [a, b] to within tol in t (at most 100 evaluations); returns its time and
 * its value in *f_max. */
double cartp_search_maximum(cartp_search_fn f, void *context, double a, double b, double tol,
                            double *f_max);

/* The same, given f's values at a, at x inside and at b, where f(x) is the largest of the three
 * (a step's samples around the best one): the search starts from the parabola through them, and
 * with f smooth needs about a third of the evaluations. Otherwise, as cartp_search_maximum. */
double cartp_search_maximum_near(cartp_search_fn f, void *context, double a, double fa, double x,
                                 double fx, double b, double fb, double tol, double *f_max);

/* The same when the best value known is at an end, a (at_a) or b: a probe just inside 2 tol of
 * that end decides. Not clearly higher than the end (within rounding), and the end is the maximum
 * to within tol (returned, *f_max its given value); higher, and the search starts from the end,
 * the probe and the other end. A bracket of at most 8 tol is searched as cartp_search_maximum. */
double cartp_search_maximum_at_end(cartp_search_fn f, void *context, double a, double fa, double b,
                                   double fb, int at_a, double tol, double *f_max);

#endif
