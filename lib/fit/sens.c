/* sens.c: forward sensitivity equations of a model's solution (cart_fit.h, "Gradient").
 *
 * The augmented system [y, S_1 .. S_np] with S_k = p_k dy/dp_k (scaled so that S_k has y's units
 * and the state's absolute tolerance fits it) obeys
 *     dy/dt = f(y, p),   dS_k/dt = J S_k + p_k df/dp_k,
 * J the model's analytic Jacobian and df/dp_k a central difference of the right-hand side in p_k
 * (prepare() run again: derived constants follow p). GSL's msbdf integrates it between events
 * with a Newton matrix that keeps J's blocks on the diagonal and leaves out the coupling of S to
 * y (a modified Newton iteration: it changes the convergence, not the solution).
 *
 * Events (the solver's, lib/solver/events.c, in time order; an output at an event's time reports
 * after it): a CAR-T dose y += a(p) adds d a / d p_k to S_k; a model switch y+ = G(y-, p) at
 * tau(p) maps S_k+ = G_y (S_k- + f- p_k dtau/dp_k) + p_k G_p_k - f+ p_k dtau/dp_k (the jump of a
 * sensitivity at a state-independent event whose time depends on p), G_y, G_p and dtau/dp by
 * central differences. y0's sensitivities are central differences of the model's initial().
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>

#include "../models/model_impl.h"
#include "../solver/dosing_impl.h"
#include "../util/error.h"
#include "../util/gsl_init.h"
#include "fit_impl.h"

#define MAX_STATES 64
#define MAX_PARAMS 64

typedef struct sens_system {
  const cart_model *model;
  size_t n, np;
  const int *pidx;
  double p[MAX_PARAMS];
  double derived[CART_MAX_DERIVED];
  int mode;
  double *work; /* 4 * n + n * n */
} sens_system;

/* The relative step of the central differences in p (and y), about cbrt(eps). */
static double step_of(double x)
{
  return 6e-6 * (fabs(x) > 1e-300 ? fabs(x) : 1.0);
}

static int eval_rhs(const sens_system *s, const double *p, const double *derived, double t,
                    const double *y, double *f)
{
  const cart_model_eval ev = {p, derived, s->mode};
  return s->model->rhs(t, y, f, &ev);
}

/* p_k df/dp_k at (t, y) into dfdp (n values). */
static int rhs_dp(sens_system *s, size_t k, double t, const double *y, double *dfdp)
{
  const size_t n = s->n;
  const int i = s->pidx[k];
  double *fp = s->work, *fm = s->work + n;
  double q[MAX_PARAMS], dq[CART_MAX_DERIVED];
  memcpy(q, s->p, s->model->n_params * sizeof q[0]);
  const double h = step_of(s->p[i]);
  q[i] = s->p[i] + h;
  s->model->prepare(q, dq);
  int status = eval_rhs(s, q, dq, t, y, fp);
  q[i] = s->p[i] - h;
  s->model->prepare(q, dq);
  status |= eval_rhs(s, q, dq, t, y, fm);
  for (size_t j = 0; j < n; j++) {
    dfdp[j] = s->p[i] * (fp[j] - fm[j]) / (2 * h);
  }
  return status;
}

static int aug_function(double t, const double yy[], double dydt[], void *params)
{
  sens_system *s = params;
  const size_t n = s->n;
  if (eval_rhs(s, s->p, s->derived, t, yy, dydt) != 0) {
    return GSL_EBADFUNC;
  }
  double *J = s->work + 2 * n, *dfdt = s->work + 2 * n + n * n;
  const cart_model_eval ev = {s->p, s->derived, s->mode};
  if (s->model->jacobian(t, yy, J, dfdt, &ev) != 0) {
    return GSL_EBADFUNC;
  }
  for (size_t k = 0; k < s->np; k++) {
    const double *S = yy + n * (k + 1);
    double *dS = dydt + n * (k + 1);
    if (rhs_dp(s, k, t, yy, dS) != 0) {
      return GSL_EBADFUNC;
    }
    for (size_t i = 0; i < n; i++) {
      double acc = 0;
      for (size_t j = 0; j < n; j++) {
        acc += J[i * n + j] * S[j];
      }
      dS[i] += acc;
    }
  }
  return GSL_SUCCESS;
}

static int aug_jacobian(double t, const double yy[], double *dfdy, double dfdt[], void *params)
{
  sens_system *s = params;
  const size_t n = s->n, N = n * (s->np + 1);
  double *J = s->work + 2 * n, *dt = s->work + 2 * n + n * n;
  const cart_model_eval ev = {s->p, s->derived, s->mode};
  if (s->model->jacobian(t, yy, J, dt, &ev) != 0) {
    return GSL_EBADFUNC;
  }
  memset(dfdy, 0, N * N * sizeof *dfdy);
  memset(dfdt, 0, N * sizeof *dfdt);
  for (size_t b = 0; b <= s->np; b++) {
    for (size_t i = 0; i < n; i++) {
      memcpy(dfdy + (b * n + i) * N + b * n, J + i * n, n * sizeof *J);
    }
  }
  memcpy(dfdt, dt, n * sizeof *dt);
  return GSL_SUCCESS;
}

/* Events the equations follow, in time order. */
typedef struct sens_event {
  double time;
  int is_switch; /* 1: model switch `index`; 0: CAR-T dose `index` */
  size_t index;
} sens_event;

static int compare_sens_events(const void *a, const void *b)
{
  const sens_event *x = a, *y = b;
  if (x->time != y->time) {
    return x->time < y->time ? -1 : 1;
  }
  if (x->is_switch != y->is_switch) { /* the solver's order: switches first */
    return x->is_switch ? -1 : 1;
  }
  return x->index < y->index ? -1 : x->index > y->index;
}

/* The state a CAR-T dose adds with parameters q. */
static void dose_increment(const cart_model *model, const double *q, const cart_cart_dose *dose,
                           double *inc)
{
  memset(inc, 0, model->n_states * sizeof *inc);
  const double f_mem = isnan(dose->f_mem) ? q[cartp_model_f_mem_param(model)] : dose->f_mem;
  model->add_cart_dose(inc, dose->cells, f_mem);
}

static void apply_dose(sens_system *s, const cart_cart_dose *dose, double *yy)
{
  const size_t n = s->n;
  double inc[MAX_STATES], incp[MAX_STATES], incm[MAX_STATES], q[MAX_PARAMS];
  dose_increment(s->model, s->p, dose, inc);
  for (size_t k = 0; k < s->np; k++) {
    const int i = s->pidx[k];
    const double h = step_of(s->p[i]);
    memcpy(q, s->p, s->model->n_params * sizeof q[0]);
    q[i] = s->p[i] + h;
    dose_increment(s->model, q, dose, incp);
    q[i] = s->p[i] - h;
    dose_increment(s->model, q, dose, incm);
    for (size_t j = 0; j < n; j++) {
      yy[n * (k + 1) + j] += s->p[i] * (incp[j] - incm[j]) / (2 * h);
    }
  }
  for (size_t j = 0; j < n; j++) {
    yy[j] += inc[j];
  }
}

/* G(y, q) of switch w, the mode it leaves in *mode. */
static void switch_map(const cart_model *model, size_t w, const double *q, const double *y,
                       double *out, int *mode)
{
  memcpy(out, y, model->n_states * sizeof *out);
  model->switches[w].apply(q, out, mode);
}

static int apply_switch(sens_system *s, size_t w, double t, double *yy)
{
  const size_t n = s->n, np = s->np;
  const cart_model *model = s->model;
  double ym[MAX_STATES], yp[MAX_STATES], gp[MAX_STATES], gm[MAX_STATES], fminus[MAX_STATES],
      fplus[MAX_STATES], q[MAX_PARAMS];
  double Gy[MAX_STATES * MAX_STATES];
  int mode_after = s->mode, scratch = s->mode;
  memcpy(ym, yy, n * sizeof ym[0]);
  if (eval_rhs(s, s->p, s->derived, t, ym, fminus) != 0) {
    return CART_EMODEL;
  }
  switch_map(model, w, s->p, ym, yp, &mode_after);
  for (size_t j = 0; j < n; j++) { /* G_y by columns */
    double z[MAX_STATES];
    memcpy(z, ym, n * sizeof z[0]);
    const double h = step_of(ym[j]);
    z[j] = ym[j] + h;
    scratch = s->mode;
    switch_map(model, w, s->p, z, gp, &scratch);
    z[j] = ym[j] - h;
    scratch = s->mode;
    switch_map(model, w, s->p, z, gm, &scratch);
    for (size_t i = 0; i < n; i++) {
      Gy[i * n + j] = (gp[i] - gm[i]) / (2 * h);
    }
  }
  const int mode_before = s->mode;
  s->mode = mode_after;
  if (eval_rhs(s, s->p, s->derived, t, yp, fplus) != 0) {
    return CART_EMODEL;
  }
  for (size_t k = 0; k < np; k++) {
    const int pi = s->pidx[k];
    const double h = step_of(s->p[pi]);
    memcpy(q, s->p, model->n_params * sizeof q[0]);
    q[pi] = s->p[pi] + h;
    const double tau_p = model->switches[w].time(q);
    scratch = mode_before;
    switch_map(model, w, q, ym, gp, &scratch);
    q[pi] = s->p[pi] - h;
    const double tau_m = model->switches[w].time(q);
    scratch = mode_before;
    switch_map(model, w, q, ym, gm, &scratch);
    const double dtau = s->p[pi] * (tau_p - tau_m) / (2 * h);
    double *S = yy + n * (k + 1), v[MAX_STATES], out[MAX_STATES];
    for (size_t j = 0; j < n; j++) {
      v[j] = S[j] + fminus[j] * dtau;
    }
    for (size_t i = 0; i < n; i++) {
      double acc = 0;
      for (size_t j = 0; j < n; j++) {
        acc += Gy[i * n + j] * v[j];
      }
      out[i] = acc + s->p[pi] * (gp[i] - gm[i]) / (2 * h) - fplus[i] * dtau;
    }
    memcpy(S, out, n * sizeof out[0]);
  }
  memcpy(yy, yp, n * sizeof yp[0]);
  return CART_OK;
}

/* y0 and its sensitivities. */
static void initial_state(sens_system *s, double *yy)
{
  const size_t n = s->n;
  const cart_model *model = s->model;
  double q[MAX_PARAMS], dq[CART_MAX_DERIVED], yp[MAX_STATES], ym[MAX_STATES];
  int mode = 0;
  model->initial(s->p, s->derived, yy, &s->mode);
  for (size_t k = 0; k < s->np; k++) {
    const int i = s->pidx[k];
    const double h = step_of(s->p[i]);
    memcpy(q, s->p, model->n_params * sizeof q[0]);
    q[i] = s->p[i] + h;
    model->prepare(q, dq);
    model->initial(q, dq, yp, &mode);
    q[i] = s->p[i] - h;
    model->prepare(q, dq);
    model->initial(q, dq, ym, &mode);
    for (size_t j = 0; j < n; j++) {
      yy[n * (k + 1) + j] = s->p[i] * (yp[j] - ym[j]) / (2 * h);
    }
  }
}

int cartp_fit_sensitivities(const cart_model *model, const double *p, const cart_dosing *dosing,
                            const int *pidx, size_t np, const double *times, size_t n_times,
                            double rtol, double atol_scale, double *y, double *dydp,
                            cart_error *err)
{
  const size_t n = model->n_states;
  if (n > MAX_STATES || model->n_params > MAX_PARAMS || np > model->n_params) {
    return cartp_error(err, CART_EINVAL, "sensitivities: model %s is too large", model->name);
  }
  if (dosing != NULL && (dosing->n_toci > 0 || dosing->rule.enabled)) {
    return cartp_error(err, CART_EINVAL,
                       "sensitivities: tocilizumab doses are not followed by the sensitivity "
                       "equations");
  }
  cartp_gsl_init();
  const size_t N = n * (np + 1);
  sens_system s = {model, n, np, pidx, {0}, {0}, 0, NULL};
  memcpy(s.p, p, model->n_params * sizeof p[0]);
  model->prepare(s.p, s.derived);
  double *yy = malloc(N * sizeof *yy), *scale = malloc(N * sizeof *scale);
  s.work = malloc((3 * n + n * n) * sizeof *s.work);
  size_t n_events = 0;
  const size_t n_cart = dosing ? dosing->n_cart : 0;
  sens_event *events = malloc((model->n_switches + n_cart + 1) * sizeof *events);
  if (yy == NULL || scale == NULL || s.work == NULL || events == NULL) {
    free(yy);
    free(scale);
    free(s.work);
    free(events);
    return cartp_error(err, CART_ENOMEM, "sensitivities: out of memory");
  }
  for (size_t b = 0; b <= np; b++) {
    for (size_t i = 0; i < n; i++) {
      scale[b * n + i] = atol_scale * model->states[i].abs_tol;
    }
  }
  for (size_t w = 0; w < model->n_switches; w++) {
    const double tau = model->switches[w].time(s.p);
    if (tau > 0) {
      events[n_events++] = (sens_event){tau, 1, w};
    }
  }
  for (size_t d = 0; d < n_cart; d++) {
    events[n_events++] = (sens_event){dosing->cart[d].time, 0, d};
  }
  qsort(events, n_events, sizeof *events, compare_sens_events);
  initial_state(&s, yy);
  gsl_odeiv2_system sys = {aug_function, aug_jacobian, N, &s};
  gsl_odeiv2_driver *driver =
      gsl_odeiv2_driver_alloc_scaled_new(&sys, gsl_odeiv2_step_msbdf, 1e-6, 1.0, rtol, 1.0, 0.0,
                                         scale);
  int status = driver ? CART_OK : cartp_error(err, CART_ENOMEM, "sensitivities: out of memory");
  if (driver) {
    gsl_odeiv2_driver_set_nmax(driver, 1000000);
  }
  double t = 0;
  size_t e = 0;
  for (size_t o = 0; status == CART_OK && o < n_times; o++) {
    while (status == CART_OK && e < n_events && events[e].time <= times[o]) {
      if (events[e].time > t) {
        const int g = gsl_odeiv2_driver_apply(driver, &t, events[e].time, yy);
        if (g != GSL_SUCCESS) {
          status = cartp_error(err, CART_ESOLVER, "sensitivities: integration failed at day %g "
                               "(GSL: %s)", t, gsl_strerror(g));
          break;
        }
      }
      t = events[e].time;
      if (events[e].is_switch) {
        status = apply_switch(&s, events[e].index, t, yy);
        if (status != CART_OK) {
          cartp_error(err, status, "sensitivities: model failed at the switch at day %g", t);
        }
      } else {
        apply_dose(&s, &dosing->cart[events[e].index], yy);
      }
      gsl_odeiv2_driver_reset(driver);
      e++;
    }
    if (status == CART_OK && times[o] > t) {
      const int g = gsl_odeiv2_driver_apply(driver, &t, times[o], yy);
      if (g != GSL_SUCCESS) {
        status = cartp_error(err, CART_ESOLVER, "sensitivities: integration failed at day %g "
                             "(GSL: %s)", t, gsl_strerror(g));
      }
    }
    if (status == CART_OK) {
      memcpy(y + o * n, yy, n * sizeof *yy);
      for (size_t k = 0; k < np; k++) {
        for (size_t i = 0; i < n; i++) {
          dydp[(o * np + k) * n + i] = yy[n * (k + 1) + i] / s.p[pidx[k]];
        }
      }
    }
  }
  gsl_odeiv2_driver_free(driver);
  free(yy);
  free(scale);
  free(s.work);
  free(events);
  return status;
}
