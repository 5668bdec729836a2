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
  for (int r = 0; r < CART_N_ROLES; r++) {
    const int entry = tr->entry_of_role[r];
    if (entry < 0) {
      v[r] = NAN;
      continue;
    }
    const size_t i = (size_t)entry;
    const double x = i < model->n_states ? y[i] : signals[i - model->n_states];
    v[r] = x < 0.0 ? 0.0 : x;
  }
}

/* The values of the roles the steps read at a step's points, role by role: x[role][0] the point
 * before (tr->v_last), x[role][1..4] the three nodes and the end from the samples (extended
 * vectors [states..., signals...]). Each entry's address is found once for the four samples (the
 * samples may be strided SIMD lanes), and a role's points lie together for the reducers that walk
 * them; the roles no step reads are left unset. */
static void step_role_samples(const cartp_endpoint_tracker *tr, const cartp_samples *samples,
                              double (*x)[CARTP_STEP_SAMPLES + 2])
{
  const size_t row = samples->row;
  for (unsigned k = 0; k < tr->n_step_roles; k++) {
    const int role = tr->step_role[k];
    const double *in = samples->x + (size_t)tr->entry_of_role[role] * samples->elem;
    x[role][0] = tr->v_last[role];
    for (int i = 0; i <= CARTP_STEP_SAMPLES; i++) {
      const double value = in[(size_t)i * row];
      x[role][i + 1] = value < 0.0 ? 0.0 : value;
    }
  }
}

/* One role's value at t in the step (role_values' value of it; the signals only when the role is
 * one). */
static double role_at(const cartp_endpoint_tracker *tr, const cart_solver *solver, int role,
                      double t)
{
  const int entry = tr->entry_of_role[role];
  if (entry < 0) {
    return NAN;
  }
  const cart_model *model = tr->model;
  double y[CART_MAX_STATES_ENDPOINTS];
  cartp_solver_interpolate(solver, t, y);
  double x;
  if ((size_t)entry < model->n_states) {
    x = y[entry];
  } else {
    double signals[CART_MAX_SIGNALS];
    model->signal_values(y, tr->p, signals);
    x = signals[(size_t)entry - model->n_states];
  }
  return x < 0.0 ? 0.0 : x;
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

/* The extreme of role (sign +1: max, -1: min; search.h) between the samples t[lo] and t[hi] of a
 * step (values x), around its best one t[best], kept if it beats *v_best. Inside (hi = lo + 2),
 * the search starts from the parabola through the three samples; at an end of the step (the
 * extreme may lie just inside it), a probe by the end decides first (search.h). */
static void refine_extreme(const cartp_endpoint_tracker *tr, const cart_solver *solver, int role,
                           double sign, const double *t, const double *x, int lo, int best, int hi,
                           double *t_best, double *v_best)
{
  role_view view = {tr, solver, role, sign, 0.0};
  const double tol = 0.25e-9 * (1.0 + fabs(t[hi]));
  const double f_lo = sign * x[lo], f_hi = sign * x[hi];
  double f, t_found;
  if (lo < best && best < hi) {
    t_found = cartp_search_maximum_near(role_value, &view, t[lo], f_lo, t[best], sign * x[best],
                                        t[hi], f_hi, tol, &f);
  } else {
    t_found = cartp_search_maximum_at_end(role_value, &view, t[lo], f_lo, t[hi], f_hi, best == lo,
                                          tol, &f);
  }
  if (f > sign * *v_best) { /* f is sign * value already: a minimum is kept only when lower */
    *v_best = sign * f;
    *t_best = t_found;
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

/* Whether any of x[0..n] is below `level` (above it: any_above); NaN is neither. The prechecks
 * of the walks below: in most steps nothing crosses a level, and a few comparisons show it. */
static int any_below(const double *x, int n, double level)
{
  int any = 0;
  for (int i = 0; i <= n; i++) {
    any |= x[i] < level;
  }
  return any;
}

static int any_above(const double *x, int n, double level)
{
  int any = 0;
  for (int i = 0; i <= n; i++) {
    any |= x[i] > level;
  }
  return any;
}

/* Whether all of x[0..n] are below `level` (at or below it: all_at_or_below); not when one is
 * NaN or the level is. */
static int all_below(const double *x, int n, double level)
{
  int all = 1;
  for (int i = 0; i <= n; i++) {
    all &= x[i] < level;
  }
  return all;
}

static int all_at_or_below(const double *x, int n, double level)
{
  int all = 1;
  for (int i = 0; i <= n; i++) {
    all &= x[i] <= level;
  }
  return all;
}

/* The response machine over consecutive points (t[i], x[i]), i = 0..n, of its tumour input, the
 * first the point before: the complete response below n_detect before t_resp, then the relapse
 * above it. Between a step's samples (solver) the crossings are located on the interpolant; an
 * event's jump (solver NULL, n = 1) happens at t[1], where v_jump holds the role values. */
static void response_points(cartp_endpoint_tracker *tr, const cart_solver *solver,
                            const double *t, const double *x, int n, const double *v_jump)
{
  if (!isnan(tr->relapse_day)) {
    return; /* after the relapse (and so the response) nothing changes */
  }
  const int tumour = tr->tumour_role;
  const double n_detect = tr->level[tr->response_row][0];
  /* the response needs a point after the first below n_detect, the relapse (after it) one
   * above */
  if (isnan(tr->cr_time) ? !any_below(x + 1, n - 1, n_detect)
                         : !any_above(x + 1, n - 1, n_detect)) {
    return;
  }
  for (int i = 1; i <= n; i++) {
    const double t0 = t[i - 1], t1 = t[i], tum0 = x[i - 1], tum1 = x[i];
    if (isnan(tr->cr_time) && tum1 < n_detect && tum0 >= n_detect) {
      const double tc = solver ? crossing(tr, solver, tumour, n_detect, t0, tum0, t1, tum1) : t1;
      if (tc < tr->level[tr->response_row][1]) {
        tr->cr_time = tc;
      }
    } else if (!isnan(tr->cr_time) && isnan(tr->relapse_day) && tum1 > n_detect &&
               tum0 <= n_detect) {
      const double tr_day =
          solver ? crossing(tr, solver, tumour, n_detect, t0, tum0, t1, tum1) : t1;
      tr->relapse_day = tr_day;
      double vr[CART_N_ROLES];
      if (solver) {
        double y[CART_MAX_STATES_ENDPOINTS];
        cartp_solver_interpolate(solver, tr_day, y);
        role_values(tr, y, vr);
      } else {
        memcpy(vr, v_jump, sizeof vr);
      }
      tr->relapse_negative = vr[CART_ROLE_TUMOUR_NEG] > 0.5 * vr[tumour];
    }
  }
}

/* A per-sample endpoint (tr->per_sample) over consecutive points (t[i], x[i]), i = 0..n, of its
 * input, the first the point before: a step's samples (solver: the crossings located on the
 * interpolant) or an event's jump (solver NULL, n = 1). Each endpoint's state is its own, so a
 * step's points are walked endpoint by endpoint; the walks stop where nothing more can change. */
static void endpoint_points(cartp_endpoint_tracker *tr, const cart_solver *solver, size_t e,
                            const double *t, const double *x, int n)
{
  const int role = tr->role_of[e];
  const double level = tr->level[e][0];
  switch (tr->reducer_of[e]) {
  case CARTP_REDUCE_TIME_BELOW:
    /* B-cell aplasia: time with B below f_aplasia B0 (the row's level), added interval by
     * interval */
    if (isnan(level) || !any_below(x, n, level)) {
      break; /* never below: nothing to add */
    }
    if (all_below(x, n, level)) { /* below throughout: the intervals' lengths, in turn */
      for (int i = 1; i <= n; i++) {
        if (t[i] > t[i - 1]) {
          tr->value[e] += t[i] - t[i - 1];
        }
      }
      break;
    }
    for (int i = 1; i <= n; i++) {
      const double t0 = t[i - 1], t1 = t[i], b0 = x[i - 1], b1 = x[i];
      if (t1 > t0) {
        if (b0 < level && b1 < level) {
          tr->value[e] += t1 - t0;
        } else if ((b0 < level) != (b1 < level)) {
          const double tc =
              solver ? crossing(tr, solver, role, level, t0, b0, t1, b1) : 0.5 * (t0 + t1);
          tr->value[e] += b0 < level ? tc - t0 : t1 - tc;
        }
      }
    }
    break;
  case CARTP_REDUCE_FIRST_ABOVE:
  case CARTP_REDUCE_FIRST_BELOW: {
    /* CRS onset: the CRS signal first above crs_g1 (the row's level); deep aplasia's onset: the
     * B cells first below theirs. Once seen it stays. */
    const int above = tr->reducer_of[e] == CARTP_REDUCE_FIRST_ABOVE;
    if (!isnan(tr->value[e]) ||
        !(above ? any_above(x + 1, n - 1, level) : any_below(x + 1, n - 1, level))) {
      break;
    }
    for (int i = 1; i <= n && isnan(tr->value[e]); i++) {
      const double s0 = x[i - 1], s1 = x[i];
      if (above ? s1 > level : s1 < level) {
        tr->value[e] = solver && (above ? s0 <= level : s0 >= level)
                           ? crossing(tr, solver, role, level, t[i - 1], s0, t[i], s1)
                           : t[i];
      }
    }
    break;
  }
  case CARTP_REDUCE_RECOVERY_DAY:
    for (int i = 1; i <= n && tr->phase[e] != RECOVERY_DONE; i++) {
      recovery(tr, solver, e, role, t[i - 1], x[i - 1], t[i], x[i]);
    }
    break;
  case CARTP_REDUCE_LAST_ABOVE:
    /* persistence: the latest time above the level, the crossing where it falls through */
    if (!any_above(x, n, level)) {
      break;
    }
    for (int i = 1; i <= n; i++) {
      const double s0 = x[i - 1], s1 = x[i];
      if (s1 > level) {
        tr->value[e] = t[i];
      } else if (s0 > level) {
        tr->value[e] =
            solver ? crossing(tr, solver, role, level, t[i - 1], s0, t[i], s1) : t[i - 1];
      }
    }
    break;
  case CARTP_REDUCE_FALL_AFTER_MAX:
    /* persistence: the first fall through the level after the running maximum; a new maximum
     * above the level starts the wait again. The infused cells' first fall, before they expand,
     * is not the peak's: at the input's first rise (phase 0 -> 1) the maximum starts afresh
     * from that dip's bottom, so that an expansion to a peak below the level at infusion is
     * still a peak, and a dip through the level is read only when no expansion above the level
     * follows it. */
    if (tr->phase[e] == 1 && !isnan(tr->value[e]) &&
        all_at_or_below(x + 1, n - 1, tr->running_max[e])) {
      break; /* fallen already, and no new maximum */
    }
    for (int i = 1; i <= n; i++) {
      const double c0 = x[i - 1], c1 = x[i];
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
        tr->value[e] = solver ? crossing(tr, solver, role, level, t[i - 1], c0, t[i], c1) : t[i];
      }
    }
    break;
  default: break;
  }
}

/* An event's point (t, v) after the previous one (tr->t_last, tr->v_last): the jump happens at
 * one instant, so the point is taken as it is (the extremes too: a step's are step_extreme's). */
static void advance_jump(cartp_endpoint_tracker *tr, double t, const double *v)
{
  for (size_t x = 0; x < tr->n_extremes; x++) {
    cartp_extreme *ex = &tr->extremes[x];
    const double value = v[ex->role]; /* beyond the running extreme: as sign * value > ... */
    if (ex->sign > 0 ? value > ex->value : value < ex->value) {
      ex->value = value;
      ex->time = t;
    }
  }
  const double tj[2] = {tr->t_last, t};
  if (tr->tumour_role >= 0) {
    const double xj[2] = {tr->v_last[tr->tumour_role], v[tr->tumour_role]};
    response_points(tr, NULL, tj, xj, 1, v);
  }
  for (size_t k = 0; k < tr->n_per_sample; k++) {
    const size_t e = tr->per_sample[k];
    const double xj[2] = {tr->v_last[tr->role_of[e]], v[tr->role_of[e]]};
    endpoint_points(tr, NULL, e, tj, xj, 1);
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
  advance_jump(tr, t, v);
}

/* The integral of role over [t0, min(t1, end)] (auc28), from the step's Gauss-Legendre samples
 * x[1..3] of it when the step ends by `end`. */
static double step_integral(const cartp_endpoint_tracker *tr, const cart_solver *solver, int role,
                            double t0, double t1, double end, const double *x)
{
  if (!(t0 < end)) {
    return 0.0;
  }
  if (t1 <= end) {
    return 0.5 * (t1 - t0) * (GL_W_OUTER * (x[1] + x[3]) + GL_W_MID * x[2]);
  }
  const double m = 0.5 * (t0 + end), hh = 0.5 * (end - t0);
  return hh * (GL_W_OUTER * (role_at(tr, solver, role, m - GL_NODE * hh) +
                             role_at(tr, solver, role, m + GL_NODE * hh)) +
               GL_W_MID * role_at(tr, solver, role, m));
}

/* An extreme over the step [t[0], t[4]] (its input's values x at the samples): the best sample
 * when it beats the running value, refined on the interpolant when the extreme may lie between
 * samples. */
static void step_extreme(cartp_endpoint_tracker *tr, const cart_solver *solver, cartp_extreme *ex,
                         const double *t, const double *x)
{
  const int role = ex->role;
  const double sign = ex->sign;
  if (!ex->at_step_end) {
    /* most steps: no sample beats the running value (sign is +-1, so sign * a > sign * b is
     * a > b or a < b), and then nothing below changes the extreme or at_step_end */
    if (sign > 0 ? !any_above(x, 4, ex->value) : !any_below(x, 4, ex->value)) {
      return;
    }
  }
  if (isnan(x[0])) {
    return;
  }
  int best = 0;
  double best_so_far = sign * x[0]; /* sign is +-1: sign * x is exact */
  for (int i = 1; i < 5; i++) {
    const double candidate = sign * x[i];
    if (candidate > best_so_far) {
      best = i;
      best_so_far = candidate;
    }
  }
  /* The best sample at an end of the step: the extreme may still lie between it and the
   * nearest node (a one-step method's interpolant is a polynomial per step, its slope not
   * continuous across steps: a running extreme set at the end of one step may rise further
   * just after the start of the next). */
  const double best_value = sign * x[best], so_far = sign * ex->value;
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
      !(sign * (SLOPE_END[0] * x[0] + SLOPE_END[1] * x[1] + SLOPE_END[2] * x[2] +
                SLOPE_END[3] * x[3] + SLOPE_END[4] * x[4]) > 1e-6 * fabs(x[4])) &&
      sign * role_at(tr, solver, role, t[4] - 1e-6 * (t[4] - t[3])) > best_value;
  if ((best > 0 && best < 4 && beats) || turns_before_end ||
      (best == 0 && after_end && best_value >= so_far)) {
    double t_best = t[best], v_best = x[best];
    refine_extreme(tr, solver, role, sign, t, x, best > 0 ? best - 1 : 0, best,
                   best < 4 ? best + 1 : 4, &t_best, &v_best);
    ex->value = v_best;
    ex->time = t_best;
  } else if (beats) {
    /* the best sample, the first of equal ones: what taking the samples one by one in time
     * order against the running value leaves */
    ex->value = x[best];
    ex->time = t[best];
  }
}

static void on_step(void *context, const cart_solver *solver, double t0, double t1, const double *y1)
{
  cartp_endpoint_tracker *tr = context;
  cartp_samples samples; /* the step's Gauss-Legendre nodes and end, shared with the solver */
  cartp_solver_step_samples(solver, t0, t1, &samples);
  const double t[5] = {t0, samples.times[0], samples.times[1], samples.times[2], t1};
  double x[CART_N_ROLES][CARTP_STEP_SAMPLES + 2]; /* x[role]: its values at t */
  step_role_samples(tr, &samples, x); /* the nodes, then the end (y1) */
  (void)y1; /* the end sample: the extended vector of y1 */

  const cart_model *model = tr->model;
  for (size_t k = 0; k < tr->n_per_step; k++) {
    const size_t e = tr->per_step[k];
    const int role = tr->role_of[e];
    if (tr->reducer_of[e] == CARTP_REDUCE_INTEGRAL) {
      tr->value[e] += step_integral(tr, solver, role, t0, t1, tr->level[e][0], x[role]);
    } else if (tr->reads_day[e]) {
      const double day = model->endpoints[e].day;
      if (t0 < day && day <= t1 && isnan(tr->value[e])) {
        tr->value[e] = role_at(tr, solver, role, day);
      }
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
  for (size_t k = 0; k < tr->n_extremes; k++) {
    step_extreme(tr, solver, &tr->extremes[k], t, x[tr->extremes[k].role]);
  }
  /* the threshold states between consecutive samples */
  if (tr->tumour_role >= 0) {
    response_points(tr, solver, t, x[tr->tumour_role], 4, NULL);
  }
  for (size_t k = 0; k < tr->n_per_sample; k++) {
    const size_t e = tr->per_sample[k];
    endpoint_points(tr, solver, e, t, x[tr->role_of[e]], 4);
  }
  tr->t_last = t1;
  for (unsigned k = 0; k < tr->n_step_roles; k++) {
    tr->v_last[tr->step_role[k]] = x[tr->step_role[k]][4];
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
    tracker->entry_of_role[r] = cartp_model_role(model, r);
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
    tracker->reducer_of[e] = (unsigned char)def->reducer;
    tracker->reads_day[e] = (unsigned char)reducer->reads_day;
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
  /* the roles the steps read (each present: cartp_model_check_endpoints) */
  unsigned char read[CART_N_ROLES] = {0};
  for (size_t x = 0; x < tracker->n_extremes; x++) {
    read[tracker->extremes[x].role] = 1;
  }
  for (size_t k = 0; k < tracker->n_per_step; k++) {
    read[tracker->role_of[tracker->per_step[k]]] = 1;
  }
  for (size_t k = 0; k < tracker->n_per_sample; k++) {
    read[tracker->role_of[tracker->per_sample[k]]] = 1;
  }
  if (tracker->tumour_role >= 0) {
    read[tracker->tumour_role] = 1;
  }
  for (int r = 0; r < CART_N_ROLES; r++) {
    if (read[r] && tracker->entry_of_role[r] >= 0) {
      tracker->step_role[tracker->n_step_roles++] = (unsigned char)r;
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
