/* endpoints.c: the endpoints of MODEL.md section 4 from the solver's dense output.
 *
 * After every accepted step [t0, t1] the step is sampled at its ends and at the three
 * Gauss-Legendre nodes; between consecutive samples:
 * - maxima and the nadir take the sampled values; when a step's extreme sample is interior and
 *   beats the running extreme, it is refined on the interpolant by Brent's search
 *   (lib/util/search.h);
 * - threshold crossings (CR, relapse, aplasia, CRS onset) are located on the interpolant by
 *   safeguarded false position (search.h), to 1e-10 day;
 * - auc28 is the 3-point Gauss-Legendre rule on the interpolant over [t0, min(t1, 28)], exact for
 *   the polynomial of degree <= 5 that BDF's dense output is.
 * A crossing that happens and reverts between two samples of one step is not seen; the samples
 * are at most a fifth of a step apart. */
#include <math.h>
#include <string.h>

#include "../util/search.h"
#include "endpoints.h"

#define GL_NODE 0.7745966692414834  /* sqrt(3/5): 3-point Gauss-Legendre on [-1, 1] */
#define GL_W_OUTER (5.0 / 9.0)
#define GL_W_MID (8.0 / 9.0)
/* d/dtheta at theta = 1 of the quartic through the samples at theta = 0, (1 -+ sqrt(3/5)) / 2,
 * 1/2 and 1 (the step's ends and Gauss-Legendre nodes): the Lagrange weights' derivatives there */
static const double SLOPE_END[5] = {1.0, -1.8783610896543055, 8.0 / 3.0, -14.788305577012363,
                                    13.0};

static const cart_endpoint_info endpoint_table[CART_N_ENDPOINTS] = {
    {"cmax", "cells/uL", 0, "max of Cblood over the horizon"},
    {"tmax", "day", 0, "time of cmax"},
    {"auc28", "cells/uL*day", 0, "integral of Cblood from 0 to 28"},
    {"tumour_nadir", "cells", 0, "min of the tumour sum"},
    {"response", "1", 1, "2 CR (tumour below n_detect before t_resp), 1 PR (nadir <= T0/2), 0 NR"},
    {"relapse_day", "day", 0, "first time after CR the tumour sum returns above n_detect; NaN if none"},
    {"relapse_negative", "1", 1, "at relapse, antigen-negative cells are more than half the tumour"},
    {"aplasia_days", "day", 0, "total time with B below f_aplasia * B0"},
    {"il6_peak", "pg/mL", 0, "max serum IL6"},
    {"il6s_peak", "pg/mL", 0, "max IL6s"},
    {"crs_grade", "1", 1, "number of the thresholds crs_g1..crs_g4 that max CRS signal exceeded"},
    {"crs_onset", "day", 0, "first time the CRS signal exceeds crs_g1; NaN if never"},
    {"toci_doses", "1", 1, "tocilizumab doses given"},
};

int cart_endpoint_get_info(size_t i, cart_endpoint_info *info)
{
  if (i >= CART_N_ENDPOINTS || info == NULL) {
    return CART_EINVAL;
  }
  *info = endpoint_table[i];
  return CART_OK;
}

void cart_endpoint_settings_default(cart_endpoint_settings *settings)
{
  *settings = (cart_endpoint_settings){1e9, 90, 0.1, {40, 200, 1000, 5000}, 28};
}

/* The role values of a state (signals computed once; cell counts and concentrations clamped at
 * 0 as the solver reports them). NaN for roles the model lacks. */
static void role_values(const cartp_endpoint_tracker *tr, const double *y, double *v)
{
  const cart_model *model = tr->model;
  double signals[CART_MAX_SIGNALS];
  model->signal_values(y, tr->p, signals);
  for (int r = 0; r < CART_N_ROLES; r++) {
    const int i = cartp_model_role(model, r);
    if (i < 0) {
      v[r] = NAN;
      continue;
    }
    const double x = (size_t)i < model->n_states ? y[i] : signals[(size_t)i - model->n_states];
    v[r] = x < 0.0 ? 0.0 : x;
  }
}

/* The same from an extended vector [states..., signals...] (the step's samples). */
static void role_values_extended(const cartp_endpoint_tracker *tr, const double *x, double *v)
{
  const cart_model *model = tr->model;
  for (int r = 0; r < CART_N_ROLES; r++) {
    const int i = cartp_model_role(model, r);
    v[r] = i < 0 ? NAN : x[i] < 0.0 ? 0.0 : x[i];
  }
}

static double role_at(const cartp_endpoint_tracker *tr, const cart_solver *solver, int role,
                      double t)
{
  double y[CART_MAX_STATES_ENDPOINTS], v[CART_N_ROLES];
  cartp_solver_interpolate(solver, t, y);
  role_values(tr, y, v);
  return v[role];
}

/* The searches' view of a role (search.h): sign * (value - level) at t. */
typedef struct role_view {
  const cartp_endpoint_tracker *tr;
  const cart_solver *solver;
  int role;
  double sign, level;
} role_view;

static double role_value(void *context, double t)
{
  const role_view *v = context;
  return v->sign * (role_at(v->tr, v->solver, v->role, t) - v->level);
}

/* The time in [a, b] where role crosses `level`, given values va at a and vb at b on either
 * side, to 1e-10 day (search.h). */
static double crossing(const cartp_endpoint_tracker *tr, const cart_solver *solver, int role,
                       double level, double a, double va, double b, double vb)
{
  /* positive on a's side: below the level (v < level) or at or above it */
  role_view view = {tr, solver, role, va < level ? -1.0 : 1.0, level};
  const double fa = view.sign * (va - level);
  if (!(fa > 0)) { /* a sits on the level itself */
    return a;
  }
  double lo, hi;
  cartp_search_crossing(role_value, &view, a, fa, b, view.sign * (vb - level), 1e-10, &lo, &hi);
  return 0.5 * (lo + hi);
}

/* The extreme of role on [a, b] (sign +1: max, -1: min; search.h), kept if it beats *v_best. */
static void refine_extreme(const cartp_endpoint_tracker *tr, const cart_solver *solver, int role,
                           double sign, double a, double b, double *t_best, double *v_best)
{
  role_view view = {tr, solver, role, sign, 0.0};
  double f;
  const double t = cartp_search_maximum(role_value, &view, a, b, 0.25e-9 * (1.0 + fabs(b)), &f);
  if (sign * f > sign * *v_best) {
    *v_best = sign * f;
    *t_best = t;
  }
}

/* One sampled point (t, v) after the previous one (tr->t_last, tr->v_last): extremes and the
 * threshold states between them. */
static void advance(cartp_endpoint_tracker *tr, const cart_solver *solver, double t,
                    const double *v)
{
  const cart_endpoint_settings *s = tr->settings;
  const double t0 = tr->t_last;
  const double *v0 = tr->v_last;
  if (v[CART_ROLE_CBLOOD] > tr->cmax) {
    tr->cmax = v[CART_ROLE_CBLOOD];
    tr->tmax = t;
  }
  if (v[CART_ROLE_IL6] > tr->il6_peak) {
    tr->il6_peak = v[CART_ROLE_IL6];
  }
  if (v[CART_ROLE_IL6S] > tr->il6s_peak) {
    tr->il6s_peak = v[CART_ROLE_IL6S];
  }
  if (v[CART_ROLE_CRS] > tr->crs_peak) {
    tr->crs_peak = v[CART_ROLE_CRS];
  }
  if (v[CART_ROLE_TUMOUR] < tr->nadir) {
    tr->nadir = v[CART_ROLE_TUMOUR];
  }
  /* Complete response: the tumour below n_detect before t_resp; then relapse above it. */
  const double tum0 = v0[CART_ROLE_TUMOUR], tum1 = v[CART_ROLE_TUMOUR];
  if (isnan(tr->cr_time) && tum1 < s->n_detect && tum0 >= s->n_detect) {
    const double tc = solver ? crossing(tr, solver, CART_ROLE_TUMOUR, s->n_detect, t0, tum0, t, tum1) : t;
    if (tc < s->t_resp) {
      tr->cr_time = tc;
    }
  } else if (!isnan(tr->cr_time) && isnan(tr->relapse_day) && tum1 > s->n_detect &&
             tum0 <= s->n_detect) {
    const double tr_day =
        solver ? crossing(tr, solver, CART_ROLE_TUMOUR, s->n_detect, t0, tum0, t, tum1) : t;
    tr->relapse_day = tr_day;
    double y[CART_MAX_STATES_ENDPOINTS], vr[CART_N_ROLES];
    if (solver) {
      cartp_solver_interpolate(solver, tr_day, y);
      role_values(tr, y, vr);
    } else {
      memcpy(vr, v, sizeof vr);
    }
    tr->relapse_negative = vr[CART_ROLE_TUMOUR_NEG] > 0.5 * vr[CART_ROLE_TUMOUR];
  }
  /* B-cell aplasia: time with B below f_aplasia B0 */
  const double b0 = v0[CART_ROLE_B], b1 = v[CART_ROLE_B], thr = tr->b_threshold;
  if (!isnan(thr) && t > t0) {
    if (b0 < thr && b1 < thr) {
      tr->aplasia += t - t0;
    } else if ((b0 < thr) != (b1 < thr)) {
      const double tc =
          solver ? crossing(tr, solver, CART_ROLE_B, thr, t0, b0, t, b1) : 0.5 * (t0 + t);
      tr->aplasia += b0 < thr ? tc - t0 : t - tc;
    }
  }
  /* CRS onset: the CRS signal first above crs_g1 */
  const double s0 = v0[CART_ROLE_CRS], s1 = v[CART_ROLE_CRS];
  if (isnan(tr->crs_onset) && s1 > s->crs_g[0]) {
    tr->crs_onset = solver && s0 <= s->crs_g[0] ? crossing(tr, solver, CART_ROLE_CRS, s->crs_g[0], t0, s0, t, s1) : t;
  }
  tr->t_last = t;
  memcpy(tr->v_last, v, sizeof tr->v_last);
}

static void on_segment_start(void *context, const cart_solver *solver, double t, const double *y)
{
  (void)solver;
  cartp_endpoint_tracker *tr = context;
  double v[CART_N_ROLES];
  role_values(tr, y, v);
  if (!tr->started) {
    tr->started = 1;
    tr->tumour0 = v[CART_ROLE_TUMOUR];
    tr->t_last = t;
    memcpy(tr->v_last, v, sizeof v);
    tr->cmax = v[CART_ROLE_CBLOOD];
    tr->tmax = t;
    tr->nadir = v[CART_ROLE_TUMOUR];
    tr->il6_peak = v[CART_ROLE_IL6];
    tr->il6s_peak = v[CART_ROLE_IL6S];
    tr->crs_peak = v[CART_ROLE_CRS];
    if (v[CART_ROLE_TUMOUR] < tr->settings->n_detect && t < tr->settings->t_resp) {
      tr->cr_time = t;
    }
    if (v[CART_ROLE_CRS] > tr->settings->crs_g[0]) {
      tr->crs_onset = t;
    }
  }
  /* an event's jump happens at one instant: the point is taken as it is */
  advance(tr, NULL, t, v);
}

static void on_step(void *context, const cart_solver *solver, double t0, double t1, const double *y1)
{
  cartp_endpoint_tracker *tr = context;
  const double half = 0.5 * (t1 - t0);
  const double *node_t, *node_y; /* the step's Gauss-Legendre nodes, shared with the solver */
  cartp_solver_step_samples(solver, t0, t1, &node_t, &node_y);
  double v[5][CART_N_ROLES], t[5] = {t0, node_t[0], node_t[1], node_t[2], t1};
  memcpy(v[0], tr->v_last, sizeof v[0]);
  for (int i = 1; i < 5; i++) { /* the nodes, then the end (y1) */
    role_values_extended(tr, node_y + (i - 1) * CARTP_SAMPLE_STRIDE, v[i]);
  }
  (void)y1; /* the end sample: the extended vector of y1 */

  /* auc28 over [t0, min(t1, auc_end)] */
  const double end = tr->settings->auc_end;
  if (t0 < end) {
    if (t1 <= end) {
      tr->auc += half * (GL_W_OUTER * (v[1][CART_ROLE_CBLOOD] + v[3][CART_ROLE_CBLOOD]) +
                         GL_W_MID * v[2][CART_ROLE_CBLOOD]);
    } else {
      const double m = 0.5 * (t0 + end), hh = 0.5 * (end - t0);
      tr->auc += hh * (GL_W_OUTER * (role_at(tr, solver, CART_ROLE_CBLOOD, m - GL_NODE * hh) +
                                     role_at(tr, solver, CART_ROLE_CBLOOD, m + GL_NODE * hh)) +
                       GL_W_MID * role_at(tr, solver, CART_ROLE_CBLOOD, m));
    }
  }

  /* extremes that peak inside the step: refine before the samples update the running values */
  static const struct { int role; double sign; } extremes[] = {
      {CART_ROLE_CBLOOD, 1}, {CART_ROLE_IL6, 1}, {CART_ROLE_IL6S, 1}, {CART_ROLE_CRS, 1},
      {CART_ROLE_TUMOUR, -1}};
  _Static_assert(sizeof extremes / sizeof extremes[0] <= sizeof tr->extreme_at_step_end,
                 "one flag per extreme");
  const cart_model *model = tr->model;
  for (size_t e = 0; e < sizeof extremes / sizeof extremes[0]; e++) {
    const int role = extremes[e].role;
    const double sign = extremes[e].sign;
    if (isnan(v[0][role])) {
      continue;
    }
    if (role == CART_ROLE_CRS && cartp_model_role(model, CART_ROLE_CRS) == cartp_model_role(model, CART_ROLE_IL6S)) {
      tr->crs_peak = tr->il6s_peak; /* the same signal (cart2): refined once, just above */
      continue;
    }
    int best = 0;
    for (int i = 1; i < 5; i++) {
      if (sign * v[i][role] > sign * v[best][role]) {
        best = i;
      }
    }
    double *running = role == CART_ROLE_CBLOOD ? &tr->cmax
                      : role == CART_ROLE_IL6  ? &tr->il6_peak
                      : role == CART_ROLE_IL6S ? &tr->il6s_peak
                      : role == CART_ROLE_CRS  ? &tr->crs_peak
                                               : &tr->nadir;
    /* The best sample at an end of the step: the extreme may still lie between it and the
     * nearest node (a one-step method's interpolant is a polynomial per step, its slope not
     * continuous across steps: a running extreme set at the end of one step may rise further
     * just after the start of the next). */
    const double best_value = sign * v[best][role], so_far = sign * *running;
    const int after_end = tr->extreme_at_step_end[e];
    const int beats = best_value > so_far;
    tr->extreme_at_step_end[e] = best == 4 && beats;
    if (!beats && !(best == 0 && after_end && best_value >= so_far)) {
      continue; /* nothing in this step can be a new extreme (most steps) */
    }
    /* at the end: an extreme inside (last node, end) only if the value turns just before it;
     * probed on the interpolant unless the quartic through the five samples (exact for a role
     * linear in the states: the interpolant is a quartic) still clearly moves on at the end */
    const int turns_before_end =
        best == 4 && beats &&
        !(sign * (SLOPE_END[0] * v[0][role] + SLOPE_END[1] * v[1][role] +
                  SLOPE_END[2] * v[2][role] + SLOPE_END[3] * v[3][role] +
                  SLOPE_END[4] * v[4][role]) > 1e-6 * fabs(v[4][role])) &&
        sign * role_at(tr, solver, role, t[4] - 1e-6 * (t[4] - t[3])) > best_value;
    if ((best > 0 && best < 4 && beats) || turns_before_end ||
        (best == 0 && after_end && best_value >= so_far)) {
      double t_best = t[best], v_best = v[best][role];
      refine_extreme(tr, solver, role, sign, t[best > 0 ? best - 1 : 0], t[best < 4 ? best + 1 : 4],
                     &t_best, &v_best);
      *running = v_best;
      if (role == CART_ROLE_CBLOOD) {
        tr->tmax = t_best;
      }
    }
  }
  for (int i = 1; i < 5; i++) {
    advance(tr, solver, t[i], v[i]);
  }
}

cartp_step_observer cartp_endpoints_begin(cartp_endpoint_tracker *tracker, const cart_model *model,
                                          const cart_endpoint_settings *settings,
                                          const double *p)
{
  memset(tracker, 0, sizeof *tracker);
  tracker->model = model;
  tracker->settings = settings;
  tracker->p = p;
  tracker->b_threshold = cartp_model_b0_param(model) >= 0 ? settings->f_aplasia * p[cartp_model_b0_param(model)] : NAN;
  tracker->crs_onset = NAN;
  tracker->cr_time = NAN;
  tracker->relapse_day = NAN;
  return (cartp_step_observer){on_segment_start, on_step, tracker};
}

void cartp_endpoints_end(const cartp_endpoint_tracker *tr, double horizon, int toci_doses,
                         double *e)
{
  (void)horizon;
  const cart_endpoint_settings *s = tr->settings;
  const int has_tumour = !isnan(tr->tumour0);
  e[CART_ENDPOINT_CMAX] = tr->cmax;
  e[CART_ENDPOINT_TMAX] = tr->tmax;
  e[CART_ENDPOINT_AUC28] = tr->auc;
  e[CART_ENDPOINT_TUMOUR_NADIR] = has_tumour ? tr->nadir : NAN;
  e[CART_ENDPOINT_RESPONSE] = !has_tumour             ? NAN
                              : !isnan(tr->cr_time)   ? 2
                              : tr->nadir <= 0.5 * tr->tumour0 ? 1
                                                      : 0;
  e[CART_ENDPOINT_RELAPSE_DAY] = tr->relapse_day;
  e[CART_ENDPOINT_RELAPSE_NEGATIVE] = !has_tumour ? NAN : isnan(tr->relapse_day) ? 0 : tr->relapse_negative;
  e[CART_ENDPOINT_APLASIA_DAYS] = isnan(tr->b_threshold) ? NAN : tr->aplasia;
  e[CART_ENDPOINT_IL6_PEAK] = tr->il6_peak;
  e[CART_ENDPOINT_IL6S_PEAK] = tr->il6s_peak;
  int grade = 0;
  for (int g = 0; g < 4; g++) {
    grade += tr->crs_peak > s->crs_g[g];
  }
  e[CART_ENDPOINT_CRS_GRADE] = isnan(tr->crs_peak) ? NAN : grade;
  e[CART_ENDPOINT_CRS_ONSET] = tr->crs_onset;
  e[CART_ENDPOINT_TOCI_DOSES] = toci_doses;
}
