/* endpoints.c: a patient's endpoints from the solver's dense output, as its model's table
 * (model_impl.h: name, input role, reducer, levels) says; the oncology reducers are MODEL.md
 * section 4. A row's levels are named settings, scaled (cartp_level): cart_trial_prepare resolves
 * the names once (cartp_level_plan_make), cartp_endpoints_begin scales them once per patient, and
 * the steps only read them.
 *
 * After every accepted step [t0, t1] the step is sampled at its ends and at the three
 * Gauss-Legendre nodes; between consecutive samples:
 * - maxima and the nadir take the sampled values; when a step's extreme sample is interior and
 *   beats the running extreme, it is refined on the interpolant by Brent's search
 *   (lib/util/search.h);
 * - threshold crossings (CR, relapse, aplasia and its onset, CRS onset, recovery, persistence)
 *   are located on the interpolant by safeguarded false position (search.h), to 1e-10 day;
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

void cart_endpoint_settings_default(cart_endpoint_settings *settings)
{
  for (int i = 0; i < CARTP_N_TRIAL_SETTINGS; i++) { /* the table's defaults (model.c) */
    *cartp_trial_setting_field(settings, i) = cartp_trial_settings[i].info.default_value;
  }
}

void cartp_level_plan_make(cartp_level_plan *plan, const cart_model *model,
                           cart_endpoint_settings *settings, const double *own)
{
  cart_param_info names[CARTP_MAX_ENDPOINT_SETTINGS];
  const size_t n_settings = cartp_model_endpoint_settings(model, names, NULL);
  for (size_t e = 0; e < model->n_endpoints && e < CARTP_MAX_ENDPOINTS; e++) {
    const cartp_endpoint *def = &model->endpoints[e];
    plan->initial[e] = 0;
    for (int j = 0; j < cartp_reducer_n_levels(def->reducer); j++) {
      const cartp_level *level = &def->levels[j];
      const int t = cartp_trial_setting_index(level->setting.name);
      size_t k = 0;
      while (k < n_settings && strcmp(names[k].name, level->setting.name) != 0) {
        k++;
      }
      plan->base[e][j] =
          t >= 0 ? *cartp_trial_setting_field(settings, t) : own[k];
      plan->param[e][j] = (signed char)(level->scale == CART_LEVEL_PARAM
                                            ? cart_model_param_index(model, level->param)
                                            : -1);
      plan->initial[e] |= (unsigned char)((level->scale == CART_LEVEL_INITIAL) << j);
    }
  }
}

/* The role values of a state (signals computed once; cell counts and concentrations clamped at
 * 0 as the solver reports them). NaN for roles the model lacks. */
static void role_values(const cartp_endpoint_tracker *tr, const double *y, double *v)
{
  const cart_model *model = tr->model;
  double signals[CART_MAX_SIGNALS];
  model->signal_values(y, tr->p, signals);
  memcpy(v, tr->no_roles, sizeof tr->no_roles);
  for (unsigned k = 0; k < tr->n_roles; k++) {
    const size_t i = (size_t)tr->role_entry[k];
    const double x = i < model->n_states ? y[i] : signals[i - model->n_states];
    v[tr->role_list[k]] = x < 0.0 ? 0.0 : x;
  }
}

/* The same from a step's samples (extended vectors [states..., signals...]): the three nodes and
 * the end into v[1..4]. Role by role, so that each entry's address is found once for the four
 * samples (the samples may be strided SIMD lanes: the one-patient index arithmetic per value was
 * a quarter of the tracker's time). */
static void role_values_samples(const cartp_endpoint_tracker *tr, const cartp_samples *samples,
                                double (*v)[CART_N_ROLES])
{
  for (int i = 1; i <= CARTP_STEP_SAMPLES + 1; i++) {
    memcpy(v[i], tr->no_roles, sizeof tr->no_roles);
  }
  const size_t row = samples->row;
  for (unsigned k = 0; k < tr->n_roles; k++) {
    const double *x = samples->x + (size_t)tr->role_entry[k] * samples->elem;
    const int role = tr->role_list[k];
    for (int i = 0; i <= CARTP_STEP_SAMPLES; i++) {
      const double value = x[(size_t)i * row];
      v[i + 1][role] = value < 0.0 ? 0.0 : value;
    }
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

/* Entry i of the extended vector [states..., signals...] of state y (as a trajectory holds it:
 * not clamped). */
static double extended_value(const cartp_endpoint_tracker *tr, const double *y, int i)
{
  const cart_model *model = tr->model;
  if ((size_t)i < model->n_states) {
    return y[i];
  }
  double signals[CART_MAX_SIGNALS];
  model->signal_values(y, tr->p, signals);
  return signals[(size_t)i - model->n_states];
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
  if (f > sign * *v_best) { /* f is sign * value already: a minimum is kept only when lower */
    *v_best = sign * f;
    *t_best = t;
  }
}

/* The endpoint's input role (model_impl.h: a slot). */
static int endpoint_role(const cartp_endpoint *def)
{
  return def->input_slot - 1;
}

/* How far a recovery endpoint is: waiting for the input to fall below level 0, fallen (but still
 * above level 1, when that is below level 0), at or below level 1 (a rise above it is the
 * recovery), recovered. */
enum { RECOVERY_WAITING, RECOVERY_FALLEN, RECOVERY_LOW, RECOVERY_DONE };

/* CARTP_REDUCE_RECOVERY_DAY over the samples (t0, x0), (t1, x1) of its input: after the fall below
 * level 0, the first rise from at or below level 1 to above it, located on the interpolant as
 * the other crossings are (at t1 for a jump at an event: solver NULL). */
static void recovery(cartp_endpoint_tracker *tr, const cart_solver *solver, size_t e, int role,
                     double t0, double x0, double t1, double x1)
{
  const double fall = tr->level[e][0], back = tr->level[e][1];
  unsigned char *phase = &tr->phase[e];
  if (*phase == RECOVERY_WAITING && x1 < fall) {
    *phase = RECOVERY_FALLEN;
  }
  if (*phase == RECOVERY_FALLEN && x1 <= back) {
    *phase = RECOVERY_LOW;
  } else if (*phase == RECOVERY_LOW && x1 > back) {
    /* x0 <= back: the sample before was still low */
    tr->value[e] = solver ? crossing(tr, solver, role, back, t0, x0, t1, x1) : t1;
    *phase = RECOVERY_DONE;
  }
}

/* One sampled point (t, v) after the previous one (tr->t_last, tr->v_last): extremes and the
 * threshold states between them. */
static void advance(cartp_endpoint_tracker *tr, const cart_solver *solver, double t,
                    const double *v)
{
  const double t0 = tr->t_last;
  const double *v0 = tr->v_last;
  /* the extremes: a step's samples have set them already (step_extreme), an event's point is
   * taken here */
  for (size_t x = 0; solver == NULL && x < tr->n_extremes; x++) {
    cartp_extreme *ex = &tr->extremes[x];
    const double value = v[ex->role]; /* beyond the running extreme: as sign * value > ... */
    if (ex->sign > 0 ? value > ex->value : value < ex->value) {
      ex->value = value;
      ex->time = t;
    }
  }
  /* Complete response: the tumour below n_detect before t_resp; then relapse above it. */
  const int tumour = tr->tumour_role;
  if (tumour >= 0) {
    const double tum0 = v0[tumour], tum1 = v[tumour];
    const double n_detect = tr->level[tr->response_row][0];
    if (isnan(tr->cr_time) && tum1 < n_detect && tum0 >= n_detect) {
      const double tc = solver ? crossing(tr, solver, tumour, n_detect, t0, tum0, t, tum1) : t;
      if (tc < tr->level[tr->response_row][1]) {
        tr->cr_time = tc;
      }
    } else if (!isnan(tr->cr_time) && isnan(tr->relapse_day) && tum1 > n_detect &&
               tum0 <= n_detect) {
      const double tr_day =
          solver ? crossing(tr, solver, tumour, n_detect, t0, tum0, t, tum1) : t;
      tr->relapse_day = tr_day;
      double y[CART_MAX_STATES_ENDPOINTS], vr[CART_N_ROLES];
      if (solver) {
        cartp_solver_interpolate(solver, tr_day, y);
        role_values(tr, y, vr);
      } else {
        memcpy(vr, v, sizeof vr);
      }
      tr->relapse_negative = vr[CART_ROLE_TUMOUR_NEG] > 0.5 * vr[tumour];
    }
  }
  const cart_model *model = tr->model;
  for (size_t k = 0; k < tr->n_per_sample; k++) {
    const size_t e = tr->per_sample[k];
    const cartp_endpoint *def = &model->endpoints[e];
    const int role = tr->role_of[e];
    if (def->reducer == CARTP_REDUCE_TIME_BELOW) {
      /* B-cell aplasia: time with B below f_aplasia B0 (the row's level) */
      const double b0 = v0[role], b1 = v[role], thr = tr->level[e][0];
      if (!isnan(thr) && t > t0) {
        if (b0 < thr && b1 < thr) {
          tr->value[e] += t - t0;
        } else if ((b0 < thr) != (b1 < thr)) {
          const double tc =
              solver ? crossing(tr, solver, role, thr, t0, b0, t, b1) : 0.5 * (t0 + t);
          tr->value[e] += b0 < thr ? tc - t0 : t - tc;
        }
      }
    } else if (def->reducer == CARTP_REDUCE_FIRST_ABOVE ||
               def->reducer == CARTP_REDUCE_FIRST_BELOW) {
      /* CRS onset: the CRS signal first above crs_g1 (the row's level); deep aplasia's onset:
       * the B cells first below theirs */
      const double s0 = v0[role], s1 = v[role], level = tr->level[e][0];
      const int above = def->reducer == CARTP_REDUCE_FIRST_ABOVE;
      if (isnan(tr->value[e]) && (above ? s1 > level : s1 < level)) {
        tr->value[e] =
            solver && (above ? s0 <= level : s0 >= level) ? crossing(tr, solver, role, level, t0, s0, t, s1) : t;
      }
    } else if (def->reducer == CARTP_REDUCE_RECOVERY_DAY) {
      recovery(tr, solver, e, role, t0, v0[role], t, v[role]);
    } else if (def->reducer == CARTP_REDUCE_LAST_ABOVE) {
      /* persistence: the latest time above the level, the crossing where it falls through */
      const double s0 = v0[role], s1 = v[role], level = tr->level[e][0];
      if (s1 > level) {
        tr->value[e] = t;
      } else if (s0 > level) {
        tr->value[e] = solver ? crossing(tr, solver, role, level, t0, s0, t, s1) : t0;
      }
    } else if (def->reducer == CARTP_REDUCE_FALL_AFTER_MAX) {
      /* persistence: the first fall through the level after the running maximum; a new maximum
       * above the level starts the wait again. The infused cells' first fall, before they
       * expand, is not the peak's: at the input's first rise (phase 0 -> 1) the maximum starts
       * afresh from that dip's bottom, so that an expansion to a peak below the level at
       * infusion is still a peak, and a dip through the level is read only when no expansion
       * above the level follows it. */
      const double c0 = v0[role], c1 = v[role], level = tr->level[e][0];
      if (tr->phase[e] == 0 && c1 > c0) {
        tr->phase[e] = 1;
        tr->running_max[e] = c0;
      }
      if (!(c1 <= tr->running_max[e])) {
        tr->running_max[e] = c1;
        if (!(c1 <= level)) {
          tr->value[e] = NAN;
        }
      } else if (isnan(tr->value[e]) && c0 > level && c1 <= level) {
        tr->value[e] = solver ? crossing(tr, solver, role, level, t0, c0, t, c1) : t;
      }
    }
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
    tr->t_last = t;
    memcpy(tr->v_last, v, sizeof v);
    for (size_t x = 0; x < tr->n_extremes; x++) {
      tr->extremes[x].value = v[tr->extremes[x].role];
      tr->extremes[x].time = t;
    }
    const cart_model *model = tr->model;
    for (size_t e = 0; e < model->n_endpoints; e++) {
      const cartp_endpoint *def = &model->endpoints[e];
      const double x = v[endpoint_role(def) < 0 ? 0 : endpoint_role(def)];
      for (int j = 0; j < CARTP_MAX_LEVELS; j++) { /* levels times the input at t = 0 */
        if (tr->plan->initial[e] >> j & 1) {
          tr->level[e][j] *= x;
        }
      }
      /* a value at day 0 (a later day is the steps'); the crossings at t = 0 are advance()'s
       * below, whose first point is this one */
      if (cartp_reducer_get(def->reducer)->reads_day && t == def->day) {
        tr->value[e] = x;
      }
    }
    for (size_t j = 0; j < tr->n_values_at; j++) {
      if (t == tr->value_at_day[j]) {
        tr->value_at[j] = extended_value(tr, y, tr->value_at_index[j]);
      }
    }
    if (tr->tumour_role >= 0) {
      tr->tumour0 = v[tr->tumour_role];
      if (v[tr->tumour_role] < tr->level[tr->response_row][0] &&
          t < tr->level[tr->response_row][1]) {
        tr->cr_time = t;
      }
    }
  }
  /* an event's jump happens at one instant: the point is taken as it is */
  advance(tr, NULL, t, v);
}

/* The integral of role over [t0, min(t1, end)] (auc28), from the step's Gauss-Legendre samples
 * v[1..3] when the step ends by `end`. */
static double step_integral(const cartp_endpoint_tracker *tr, const cart_solver *solver, int role,
                            double t0, double t1, double end, const double (*v)[CART_N_ROLES])
{
  if (!(t0 < end)) {
    return 0.0;
  }
  if (t1 <= end) {
    return 0.5 * (t1 - t0) * (GL_W_OUTER * (v[1][role] + v[3][role]) + GL_W_MID * v[2][role]);
  }
  const double m = 0.5 * (t0 + end), hh = 0.5 * (end - t0);
  return hh * (GL_W_OUTER * (role_at(tr, solver, role, m - GL_NODE * hh) +
                             role_at(tr, solver, role, m + GL_NODE * hh)) +
               GL_W_MID * role_at(tr, solver, role, m));
}

/* An extreme over the step [t[0], t[4]] (samples v): the best sample when it beats the running
 * value, refined on the interpolant when the extreme may lie between samples. */
static void step_extreme(cartp_endpoint_tracker *tr, const cart_solver *solver, cartp_extreme *ex,
                         const double *t, const double (*v)[CART_N_ROLES])
{
  const int role = ex->role;
  const double sign = ex->sign;
  if (isnan(v[0][role])) {
    return;
  }
  int best = 0;
  double best_so_far = sign * v[0][role]; /* sign is +-1: sign * x is exact */
  for (int i = 1; i < 5; i++) {
    const double candidate = sign * v[i][role];
    if (candidate > best_so_far) {
      best = i;
      best_so_far = candidate;
    }
  }
  /* The best sample at an end of the step: the extreme may still lie between it and the
   * nearest node (a one-step method's interpolant is a polynomial per step, its slope not
   * continuous across steps: a running extreme set at the end of one step may rise further
   * just after the start of the next). */
  const double best_value = sign * v[best][role], so_far = sign * ex->value;
  const int after_end = ex->at_step_end;
  const int beats = best_value > so_far;
  ex->at_step_end = best == 4 && beats;
  if (!beats && !(best == 0 && after_end && best_value >= so_far)) {
    return; /* nothing in this step can be a new extreme (most steps) */
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
    ex->value = v_best;
    ex->time = t_best;
  } else if (beats) {
    /* the best sample, the first of equal ones: what taking the samples one by one in time
     * order against the running value leaves */
    ex->value = v[best][role];
    ex->time = t[best];
  }
}

static void on_step(void *context, const cart_solver *solver, double t0, double t1, const double *y1)
{
  cartp_endpoint_tracker *tr = context;
  cartp_samples samples; /* the step's Gauss-Legendre nodes and end, shared with the solver */
  cartp_solver_step_samples(solver, t0, t1, &samples);
  double v[5][CART_N_ROLES];
  const double t[5] = {t0, samples.times[0], samples.times[1], samples.times[2], t1};
  memcpy(v[0], tr->v_last, sizeof v[0]);
  role_values_samples(tr, &samples, v); /* the nodes, then the end (y1) */
  (void)y1; /* the end sample: the extended vector of y1 */

  const cart_model *model = tr->model;
  for (size_t k = 0; k < tr->n_per_step; k++) {
    const size_t e = tr->per_step[k];
    const cartp_endpoint *def = &model->endpoints[e];
    const int role = tr->role_of[e];
    if (def->reducer == CARTP_REDUCE_INTEGRAL) {
      tr->value[e] += step_integral(tr, solver, role, t0, t1, tr->level[e][0],
                                    (const double (*)[CART_N_ROLES])v);
    } else if (cartp_reducer_get(def->reducer)->reads_day && t0 < def->day && def->day <= t1 &&
               isnan(tr->value[e])) {
      tr->value[e] = role_at(tr, solver, role, def->day);
    }
  }
  for (size_t j = 0; j < tr->n_values_at; j++) {
    const double day = tr->value_at_day[j];
    if (t0 < day && day <= t1 && isnan(tr->value_at[j])) {
      double y[CART_MAX_STATES_ENDPOINTS];
      cartp_solver_interpolate(solver, day, y);
      tr->value_at[j] = extended_value(tr, y, tr->value_at_index[j]);
    }
  }
  for (size_t x = 0; x < tr->n_extremes; x++) {
    step_extreme(tr, solver, &tr->extremes[x], t, (const double (*)[CART_N_ROLES])v);
  }
  for (int i = 1; i < 5; i++) {
    advance(tr, solver, t[i], v[i]);
  }
}

/* The extreme of role in direction sign, added when no earlier endpoint asked for it (one per
 * input: roles sharing an entry of the extended vector share it). */
static int extreme_for(cartp_endpoint_tracker *tr, int role, double sign)
{
  const cart_model *model = tr->model;
  for (size_t x = 0; x < tr->n_extremes; x++) {
    if (cartp_model_role(model, tr->extremes[x].role) == cartp_model_role(model, role) &&
        tr->extremes[x].sign == sign) {
      return (int)x;
    }
  }
  if (tr->n_extremes == CARTP_MAX_EXTREMES) {
    return -1; /* check_models.c holds every table below this */
  }
  tr->extremes[tr->n_extremes] = (cartp_extreme){role, sign, NAN, NAN, 0};
  return (int)tr->n_extremes++;
}

cartp_step_observer cartp_endpoints_begin(cartp_endpoint_tracker *tracker, const cart_model *model,
                                          const cartp_level_plan *plan, const double *p)
{
  memset(tracker, 0, sizeof *tracker);
  tracker->model = model;
  tracker->plan = plan;
  tracker->p = p;
  tracker->tumour_role = -1;
  tracker->tumour_min = -1;
  tracker->tumour0 = NAN;
  tracker->cr_time = NAN;
  tracker->relapse_day = NAN;
  for (int r = 0; r < CART_N_ROLES; r++) {
    const int m = cartp_model_role(model, r);
    tracker->no_roles[r] = NAN;
    if (m >= 0) {
      tracker->role_list[tracker->n_roles] = (unsigned char)r;
      tracker->role_entry[tracker->n_roles++] = m;
    }
  }
  for (size_t e = 0; e < model->n_endpoints && e < CARTP_MAX_ENDPOINTS; e++) {
    const cartp_endpoint *def = &model->endpoints[e];
    const int role = endpoint_role(def);
    tracker->extreme_of[e] = -1;
    tracker->role_of[e] = (signed char)role;
    for (int j = 0; j < cartp_reducer_n_levels(def->reducer); j++) { /* this patient's levels */
      const int k = plan->param[e][j];
      tracker->level[e][j] = k >= 0 ? plan->base[e][j] * p[k] : plan->base[e][j];
    }
    /* what the reducer needs while the patient is solved (model.c's table) */
    const cartp_reducer_info *reducer = cartp_reducer_get(def->reducer);
    if (reducer->work == CARTP_WORK_PER_STEP) {
      tracker->per_step[tracker->n_per_step++] = (unsigned char)e;
    } else if (reducer->work == CARTP_WORK_PER_SAMPLE) {
      tracker->per_sample[tracker->n_per_sample++] = (unsigned char)e;
    }
    tracker->value[e] = reducer->nan_until_seen ? NAN : 0.0;
    tracker->running_max[e] = -INFINITY;
    if (reducer->response) { /* the machine's tumour nadir */
      tracker->tumour_role = role;
      tracker->response_row = (int)e;
      tracker->tumour_min = extreme_for(tracker, role, -1.0);
    } else if (reducer->extreme != 0) {
      tracker->extreme_of[e] = (signed char)extreme_for(tracker, role, reducer->extreme);
    }
  }
  return (cartp_step_observer){on_segment_start, on_step, tracker};
}

void cartp_endpoints_values_at(cartp_endpoint_tracker *tracker, size_t n, const int *index,
                               const double *day)
{
  tracker->n_values_at = n < CARTP_MAX_VALUES_AT ? n : CARTP_MAX_VALUES_AT;
  for (size_t j = 0; j < tracker->n_values_at; j++) {
    tracker->value_at_index[j] = index[j];
    tracker->value_at_day[j] = day[j];
    tracker->value_at[j] = NAN;
  }
}

/* An extreme's value or time, NaN when the endpoint has none. */
static double extreme_value(const cartp_endpoint_tracker *tr, int x, int want_time)
{
  return x < 0 ? NAN : want_time ? tr->extremes[x].time : tr->extremes[x].value;
}

void cartp_endpoints_end(const cartp_endpoint_tracker *tr, double horizon, int toci_doses,
                         double *e)
{
  const int has_tumour = !isnan(tr->tumour0);
  const double nadir = extreme_value(tr, tr->tumour_min, 0);
  const cart_model *model = tr->model;
  for (size_t i = 0; i < model->n_endpoints; i++) {
    if (i >= CARTP_MAX_ENDPOINTS) { /* not followed (check_models.c keeps every table below) */
      e[i] = NAN;
      continue;
    }
    const double extreme = extreme_value(tr, tr->extreme_of[i], 0);
    int grade = 0;
    switch (model->endpoints[i].reducer) {
    case CARTP_REDUCE_MAX:
    case CARTP_REDUCE_MIN: e[i] = extreme; break;
    case CARTP_REDUCE_TIME_OF_MAX: e[i] = extreme_value(tr, tr->extreme_of[i], 1); break;
    case CARTP_REDUCE_INTEGRAL:
    case CARTP_REDUCE_VALUE_AT:
    case CARTP_REDUCE_FIRST_ABOVE:
    case CARTP_REDUCE_FIRST_BELOW:
    case CARTP_REDUCE_RECOVERY_DAY:
    case CARTP_REDUCE_LAST_ABOVE: e[i] = tr->value[i]; break;
    case CARTP_REDUCE_BELOW_AT:
      e[i] = isnan(tr->value[i]) ? NAN : tr->value[i] < tr->level[i][0];
      break;
    case CARTP_REDUCE_TIME_BELOW: e[i] = isnan(tr->level[i][0]) ? NAN : tr->value[i]; break;
    case CARTP_REDUCE_GRADE:
      for (int g = 0; g < 4; g++) {
        grade += extreme > tr->level[i][g];
      }
      e[i] = isnan(extreme) ? NAN : grade;
      break;
    case CARTP_REDUCE_RESPONSE:
    case CARTP_REDUCE_RECIST: { /* RECIST 1.1 best overall response: its own PR share (solid) */
      const double pr = model->endpoints[i].reducer == CARTP_REDUCE_RECIST ? tr->level[i][2] : 0.5;
      e[i] = !has_tumour ? NAN : !isnan(tr->cr_time) ? 2 : nadir <= pr * tr->tumour0 ? 1 : 0;
      break;
    }
    case CARTP_REDUCE_FALL_AFTER_MAX:
      e[i] = !isnan(tr->value[i])                       ? tr->value[i]
             : !(tr->running_max[i] > tr->level[i][0]) ? 0.0 /* never above the level */
                                                        : horizon; /* still above at the end */
      break;
    case CARTP_REDUCE_RELAPSE_DAY: e[i] = tr->relapse_day; break;
    case CARTP_REDUCE_RELAPSE_NEGATIVE:
      e[i] = !has_tumour ? NAN : isnan(tr->relapse_day) ? 0 : tr->relapse_negative;
      break;
    case CARTP_REDUCE_TOCI_DOSES: e[i] = toci_doses; break;
    default: e[i] = NAN; break;
    }
  }
}
