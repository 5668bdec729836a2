/* fit_impl.h: the inside of a fit (internal; lib/fit/). */
#ifndef CART_FIT_IMPL_H
#define CART_FIT_IMPL_H

#include <stddef.h>

#include <cart/cart_fit.h>

typedef struct cartp_fit_obs {
  double time, value, lloq; /* lloq NaN: none */
  int observable;           /* index over states, outputs, signals */
  int blq;
} cartp_fit_obs;

struct cart_fit_data {
  const cart_model *model;
  char id[64];
  cartp_fit_obs *obs;
  size_t n, cap, n_blq;
  cart_dosing *dosing; /* the data set's own doses (NONMEM dose rows); NULL: none given */
  size_t n_rows;       /* rows of the table read into it (a NONMEM ID's first record) */
  int initial_cart;    /* a CAR-T dose at t = 0 was read */
};

/* The values of observable `o` at state y with parameters p (cart_fit_n_observables). */
double cartp_fit_observe(const cart_model *model, int o, double t, const double *y,
                         const double *p);

/* Forward sensitivities (sens.c): the states at n_times output times and their derivatives
 * dy/dp for the parameters pidx[0 .. np) of the full parameter vector p:
 *   y      n_times x n_states
 *   dydp   n_times x np x n_states (time, parameter, state)
 * CART_OK; CART_EINVAL (with a message) for a schedule the equations do not follow (tocilizumab
 * doses or rule); CART_ESOLVER when the integration fails. rtol: relative tolerance; atol the
 * model's, scaled by atol_scale. */
int cartp_fit_sensitivities(const cart_model *model, const double *p, const cart_dosing *dosing,
                            const int *pidx, size_t np, const double *times, size_t n_times,
                            double rtol, double atol_scale, double *y, double *dydp,
                            cart_error *err);

#endif
