/* events.c: what stops the integration (MODEL.md section 3).
 *
 * Timed events (doses, infusion starts and ends, stein's switch) come from the schedule and the
 * model and are known before the solve. Root-found events happen when a function of the state
 * crosses a level: a tumour phenotype falling through n_ext (extinction) and the CRS signal
 * (the model's CART_ROLE_CRS) rising through the tocilizumab rule's trigger. GSL's odeiv2 has no
 * root finding, so it is done here on the solver's dense output after every accepted step: the
 * step is sampled at its ends and its three Gauss-Legendre nodes (shared with the endpoints); a
 * sign change in the event's direction brackets a crossing; an interior sample that is a local
 * extreme on the safe side is refined (Brent's search, lib/util/search.h), so a crossing that
 * happens and reverts between two samples of a long step is still seen; the bracket is then
 * closed to ROOT_TOL by safeguarded false position (search.h). The earliest crossing of all events wins; the solver goes back to it, applies it and
 * restarts there. The rule's repeat checks, and the delayed first dose of a series, are timed
 * events it schedules itself. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "../util/search.h"
#include "solver_impl.h"
#include "solver_struct.h"

#define ROOT_TOL 1e-10 /* day: bracket width of a located crossing */


static int compare_events(const void *a, const void *b)
{
  const timed_event *x = a, *y = b;
  if (x->time != y->time) {
    return x->time < y->time ? -1 : 1;
  }
  if (x->kind != y->kind) {
    return x->kind < y->kind ? -1 : 1;
  }
  return x->index < y->index ? -1 : (x->index > y->index);
}

/* Collects the timed events of this solve, sorted by time (ties: model switch, CAR-T dose,
 * infusion start, infusion end; then schedule order). */
int cartp_events_collect(cart_solver *solver, const cart_dosing *dosing, size_t *n_events)
{
  const cart_model *model = solver->model;
  const size_t n_cart = dosing ? dosing->n_cart : 0;
  const size_t n_toci = dosing ? dosing->n_toci : 0;
  if (n_cart > 0 && model->add_cart_dose == NULL) {
    return cartp_error(&solver->error, CART_EDOSE, "model '%s' takes no CAR-T doses",
                       model->name);
  }
  if (n_toci > 0 && cartp_model_toci_state(model) < 0) {
    return cartp_error(&solver->error, CART_EDOSE, "model '%s' has no tocilizumab compartment",
                       model->name);
  }
  const size_t needed = model->n_switches + n_cart + 2 * n_toci;
  if (needed > solver->events_capacity) {
    timed_event *grown = realloc(solver->events, needed * sizeof *grown);
    if (grown == NULL) {
      return cartp_error(&solver->error, CART_ENOMEM, "out of memory for %zu events", needed);
    }
    solver->events = grown;
    solver->events_capacity = needed;
  }
  size_t n = 0;
  for (size_t i = 0; i < model->n_switches; i++) {
    solver->events[n++] = (timed_event){model->switches[i].time(solver->eval.p),
                                        EVENT_MODEL_SWITCH, i};
  }
  for (size_t i = 0; i < n_cart; i++) {
    solver->events[n++] = (timed_event){dosing->cart[i].time, EVENT_CART_DOSE, i};
  }
  for (size_t i = 0; i < n_toci; i++) {
    const cart_toci_dose *dose = &dosing->toci[i];
    solver->events[n++] = (timed_event){dose->time, EVENT_TOCI_START, i};
    if (!cartp_toci_is_bolus(dose->duration_day)) {
      solver->events[n++] = (timed_event){dose->time + dose->duration_day, EVENT_TOCI_END, i};
    }
  }
  if (n > 1) {
    qsort(solver->events, n, sizeof *solver->events, compare_events);
  }
  *n_events = n;
  return CART_OK;
}

/* Tocilizumab amount of one infusion: mg/kg times the patient's weight, capped (MODEL.md 3). */
static double toci_amount(const cart_solver *solver, const cart_toci_dose *dose)
{
  const double amount = dose->mg_per_kg * solver->eval.p[cartp_model_weight_param(solver->model)];
  return amount < dose->cap_mg ? amount : dose->cap_mg;
}

/* The infusion rate at time t, summed afresh over the schedule and the rule's doses so that
 * starts and ends never leave rounding residue behind. */
double cartp_toci_rate_at(const cart_solver *solver, const cart_dosing *dosing, double t)
{
  double rate = 0.0;
  for (size_t i = 0; dosing != NULL && i < dosing->n_toci; i++) {
    const cart_toci_dose *dose = &dosing->toci[i];
    if (!cartp_toci_is_bolus(dose->duration_day) && dose->time <= t && t < dose->time + dose->duration_day) {
      rate += toci_amount(solver, dose) / dose->duration_day;
    }
  }
  const rule_state *rs = &solver->rule;
  for (int k = 0; k < rs->doses; k++) {
    const double d = rs->rule.duration_day;
    if (!cartp_toci_is_bolus(d) && rs->dose_time[k] <= t && t < rs->dose_time[k] + d) {
      rate += rs->dose_amount[k] / d;
    }
  }
  return rate;
}

void cartp_events_apply(cart_solver *solver, const cart_dosing *dosing, const timed_event *event)
{
  const cart_model *model = solver->model;
  switch (event->kind) {
  case EVENT_MODEL_SWITCH:
    model->switches[event->index].apply(solver->eval.p, solver->y, &solver->eval.mode);
    break;
  case EVENT_CART_DOSE: {
    const cart_cart_dose *dose = &dosing->cart[event->index];
    const double f_mem =
        isnan(dose->f_mem) ? solver->eval.p[cartp_model_f_mem_param(model)] : dose->f_mem;
    model->add_cart_dose(solver->y, dose->cells, f_mem);
    break;
  }
  case EVENT_TOCI_START: {
    const cart_toci_dose *dose = &dosing->toci[event->index];
    if (cartp_toci_is_bolus(dose->duration_day)) {
      solver->y[cartp_model_toci_state(model)] += toci_amount(solver, dose); /* a bolus */
    }
    break; /* an infusion's rate is recomputed once all events at this time are applied */
  }
  case EVENT_TOCI_END:
    break;
  }
}

/* ---- root-found events ---- */

/* The value a root watches, from a state (signals computed when it is a signal). */
static double watched(const cart_solver *solver, const root_fn *r, const double *y)
{
  const cart_model *model = solver->model;
  if ((size_t)r->index < model->n_states) {
    return y[r->index];
  }
  double signals[CART_MAX_SIGNALS];
  model->signal_values(y, solver->eval.p, signals);
  return signals[(size_t)r->index - model->n_states];
}

static double g_at(const cart_solver *solver, const root_fn *r, double t)
{
  double y[CART_MAX_STATES];
  cartp_solver_interpolate(solver, t, y);
  return watched(solver, r, y) - r->level;
}

int cartp_roots_setup(cart_solver *solver, const cart_dosing *dosing)
{
  const cart_model *model = solver->model;
  solver->n_roots = 0;
  solver->n_log = solver->n_log_dropped = 0;
  memset(&solver->rule, 0, sizeof solver->rule);
  if (solver->n_ext > 0) {
    for (const int *s = model->extinct_states; s != NULL && *s >= 0; s++) {
      solver->roots[solver->n_roots++] = (root_fn){ROOT_EXTINCTION, *s, solver->n_ext, -1};
    }
  }
  if (dosing != NULL && dosing->rule.enabled) {
    const int crs = cartp_model_role(model, CART_ROLE_CRS);
    if (crs < 0 || cartp_model_toci_state(model) < 0) {
      return cartp_error(&solver->error, CART_EDOSE,
                         "model '%s' has no CRS signal or tocilizumab compartment for the "
                         "tocilizumab rule",
                         model->name);
    }
    solver->rule.rule = dosing->rule;
    solver->rule.next_check = INFINITY;
    solver->roots[solver->n_roots++] = (root_fn){ROOT_TOCI_RULE, crs, dosing->rule.trigger, +1};
  }
  return CART_OK;
}

void cartp_roots_start(cart_solver *solver)
{
  for (size_t r = 0; r < solver->n_roots; r++) {
    solver->root_prev[r] = watched(solver, &solver->roots[r], solver->y) - solver->roots[r].level;
    solver->root_pending[r] = 0;
  }
}

static void log_event(cart_solver *solver, double t, cart_event_kind kind, int state, double mg)
{
  if (solver->n_log < CART_EVENT_LOG_MAX) {
    solver->log[solver->n_log++] = (cart_event_record){t, kind, state, mg};
  } else {
    solver->n_log_dropped++;
  }
}

/* A phenotype that starts below n_ext starts at 0 (MODEL.md 3). */
void cartp_extinction_at_start(cart_solver *solver, double t)
{
  for (size_t r = 0; r < solver->n_roots; r++) {
    const root_fn *root = &solver->roots[r];
    if (root->kind == ROOT_EXTINCTION && solver->y[root->index] != 0.0 &&
        solver->y[root->index] < root->level) {
      solver->y[root->index] = 0.0;
      log_event(solver, t, CART_EVENT_EXTINCTION, root->index, 0.0);
    }
  }
}

static int crosses(int direction, double a, double b)
{
  return direction < 0 ? (a > 0 && b <= 0) : (a < 0 && b >= 0);
}

/* The searches' view of a root function: its value at t, signed so that the side it starts
 * on is positive (search.h); and the same with the sign s of an extreme searched for. */
typedef struct root_view {
  const cart_solver *solver;
  const root_fn *root;
  double sign;
} root_view;

static double root_value(void *context, double t)
{
  const root_view *v = context;
  return v->sign * g_at(v->solver, v->root, t);
}

/* The crossing in [a, b] (g(a) = ga on the near side, g(b) = gb on the far side) to ROOT_TOL
 * (search.h); returns the first time found on the far side, so that the event's own value never
 * crosses again right after the restart. */
static double locate(const cart_solver *solver, const root_fn *r, double a, double ga, double b,
                     double gb)
{
  /* falling (direction < 0): near g > 0, far g <= 0; rising: near g < 0, far g >= 0 */
  root_view view = {solver, r, r->direction < 0 ? 1.0 : -1.0};
  double lo, hi;
  cartp_search_crossing(root_value, &view, a, view.sign * ga, b, view.sign * gb, ROOT_TOL, &lo,
                        &hi);
  return hi;
}

/* The extreme of g on [a, b] on the crossing side (minimum when falling, maximum when rising),
 * to ROOT_TOL (search.h); returns its time and value. */
static double hidden_extreme(const cart_solver *solver, const root_fn *r, double a, double b,
                             double *g_extreme)
{
  root_view view = {solver, r, (double)r->direction}; /* maximise s*g */
  double best;
  const double t = cartp_search_maximum(root_value, &view, a, b, 0.25 * ROOT_TOL, &best);
  *g_extreme = view.sign * best;
  return t;
}

/* Whether sample (xb, b), between (xa, a) and (xc, c), is a strict local extreme on the safe side
 * of the level (a peak below it for a rising event, a trough above it for a falling one) whose
 * parabola through the three comes at least halfway to the level: only then can the curve cross
 * and come back between the samples. The parabola screen keeps the golden-section search to the
 * few steps that hold an extreme (the tumour's nadir, IL-6's peak), not every flat stretch. */
static int may_hide_crossing(int direction, double xa, double a, double xb, double b, double xc,
                             double c)
{
  const double s = (double)direction; /* +1: looking for a peak below 0; -1: a trough above 0 */
  const int safe = s * b < 0;
  const int extreme = s * b >= s * a && s * b >= s * c && (s * b > s * a || s * b > s * c);
  if (!safe || !extreme) {
    return 0;
  }
  /* p(x) = b + d1 (x - xb) + d2 (x - xb)^2 through the three points; its vertex b - d1^2/(4 d2) */
  const double fab = (b - a) / (xb - xa), fbc = (c - b) / (xc - xb);
  const double d2 = (fbc - fab) / (xc - xa), d1 = fab + d2 * (xb - xa);
  const double vertex = d2 != 0 ? b - d1 * d1 / (4 * d2) : b;
  return s * vertex >= 0.5 * s * b; /* b is on the safe side: s b < 0 */
}

int cartp_roots_search(cart_solver *solver, double t0, double t1, double *t_event)
{
  const size_t n = solver->n_roots;
  if (n == 0) {
    return 0;
  }
  enum { S = CARTP_STEP_SAMPLES + 2 };
  cartp_samples samples;
  cartp_solver_step_samples(solver, t0, t1, &samples);
  if (solver->roots_quiet_for_step == solver->stats.steps) {
    /* SIMD lanes screened this step (lanes_round.h): no sign change and no local extreme on the
     * safe side at any sample, so the search below would find nothing */
    solver->roots_quiet_for_step = 0;
    for (size_t r = 0; r < n; r++) {
      solver->root_prev[r] = cartp_sample(&samples, CARTP_STEP_SAMPLES,
                                          (size_t)solver->roots[r].index) -
                             solver->roots[r].level;
    }
    return 0;
  }
  double ts[S], g[S][CART_MAX_ROOTS];
  for (int j = 0; j < S; j++) {
    ts[j] = j == 0 ? t0 : j == S - 1 ? t1 : samples.times[j - 1];
    /* the samples hold their signals already (extended vectors); the last one is the end */
    for (size_t r = 0; r < n; r++) {
      const root_fn *root = &solver->roots[r];
      g[j][r] = j == 0 ? solver->root_prev[r]
                       : cartp_sample(&samples, j - 1, (size_t)root->index) - root->level;
    }
  }
  double found[CART_MAX_ROOTS], earliest = INFINITY;
  for (size_t r = 0; r < n; r++) {
    const root_fn *root = &solver->roots[r];
    found[r] = INFINITY;
    for (int j = 0; j + 1 < S && isinf(found[r]); j++) {
      if (crosses(root->direction, g[j][r], g[j + 1][r])) {
        found[r] = locate(solver, root, ts[j], g[j][r], ts[j + 1], g[j + 1][r]);
      } else if (j > 0 && may_hide_crossing(root->direction, ts[j - 1], g[j - 1][r], ts[j],
                                            g[j][r], ts[j + 1], g[j + 1][r])) {
        {
          double g_ext;
          const double t_ext = hidden_extreme(solver, root, ts[j - 1], ts[j + 1], &g_ext);
          if (crosses(root->direction, g[j - 1][r], g_ext)) {
            found[r] = locate(solver, root, ts[j - 1], g[j - 1][r], t_ext, g_ext);
          }
        }
      }
    }
    earliest = found[r] < earliest ? found[r] : earliest;
  }
  if (isinf(earliest)) {
    for (size_t r = 0; r < n; r++) {
      solver->root_prev[r] = g[S - 1][r];
    }
    return 0;
  }
  for (size_t r = 0; r < n; r++) {
    solver->root_pending[r] = found[r] <= earliest + ROOT_TOL;
  }
  *t_event = earliest;
  return 1;
}

/* One rule dose at t: amount = mg/kg x WT, capped, infused over the rule's duration. */
static void rule_dose(cart_solver *solver, double t)
{
  rule_state *rs = &solver->rule;
  const double want = rs->rule.mg_per_kg * solver->eval.p[cartp_model_weight_param(solver->model)];
  const double amount = want < rs->rule.cap_mg ? want : rs->rule.cap_mg;
  rs->dose_time[rs->doses] = t;
  rs->dose_amount[rs->doses] = amount;
  rs->doses++;
  if (cartp_toci_is_bolus(rs->rule.duration_day)) {
    solver->y[cartp_model_toci_state(solver->model)] += amount; /* a bolus */
  }
  rs->series_active = 1;
  rs->next_check = t + rs->rule.interval_day;
  log_event(solver, t, CART_EVENT_TOCI_RULE, -1, amount);
}

/* The CRS signal rose through the trigger at t: a series starts. Without a delay its first dose is
 * given now; with one, the first dose is the rule's ordinary check at t + delay, which doses only
 * if the signal is still above the trigger then and otherwise ends the series undosed (a later
 * rise starts a new one). While that check is pending the series counts as active, so a second
 * rise before it changes nothing. */
static void rule_rise(cart_solver *solver, double t)
{
  rule_state *rs = &solver->rule;
  if (rs->rule.delay_day == 0) {
    rule_dose(solver, t);
    return;
  }
  rs->series_active = 1;
  rs->next_check = t + rs->rule.delay_day;
}

int cartp_roots_apply(cart_solver *solver, double t)
{
  int applied = 0;
  for (size_t r = 0; r < solver->n_roots; r++) {
    if (!solver->root_pending[r]) {
      continue;
    }
    solver->root_pending[r] = 0;
    applied = 1;
    const root_fn *root = &solver->roots[r];
    if (root->kind == ROOT_EXTINCTION) {
      solver->y[root->index] = 0.0;
      log_event(solver, t, CART_EVENT_EXTINCTION, root->index, 0.0);
    } else if (!solver->rule.series_active && solver->rule.doses < solver->rule.rule.max_doses) {
      rule_rise(solver, t);
    }
  }
  return applied;
}

/* ---- the rule's own timed events: delayed first doses, repeat checks, ends of infusions ---- */

double cartp_rule_next_time(const cart_solver *solver, double t)
{
  const rule_state *rs = &solver->rule;
  double next = rs->series_active ? rs->next_check : INFINITY;
  for (int k = 0; k < rs->doses; k++) {
    const double end = rs->dose_time[k] + rs->rule.duration_day;
    if (!cartp_toci_is_bolus(rs->rule.duration_day) && end > t && end < next) {
      next = end;
    }
  }
  return next;
}

int cartp_rule_due(cart_solver *solver, double t)
{
  rule_state *rs = &solver->rule;
  int due = 0;
  for (int k = 0; k < rs->doses; k++) {
    due |= !cartp_toci_is_bolus(rs->rule.duration_day) && rs->dose_time[k] + rs->rule.duration_day == t;
  }
  if (rs->series_active && rs->next_check <= t) {
    due = 1;
    /* a delayed first dose, or a repeat, while the CRS signal is still above the trigger
     * (MODEL.md 3), up to the maximum */
    const root_fn *trigger = NULL;
    for (size_t r = 0; r < solver->n_roots; r++) {
      trigger = solver->roots[r].kind == ROOT_TOCI_RULE ? &solver->roots[r] : trigger;
    }
    if (trigger != NULL && watched(solver, trigger, solver->y) > trigger->level &&
        rs->doses < rs->rule.max_doses) {
      rule_dose(solver, t);
    } else {
      rs->series_active = 0;
      rs->next_check = INFINITY;
    }
  }
  return due;
}

int cartp_solver_rule_doses(const cart_solver *solver, const double **times)
{
  *times = solver->rule.dose_time;
  return solver->rule.doses;
}

/* ---- the event log ---- */

size_t cart_solver_n_events(const cart_solver *solver)
{
  return solver ? solver->n_log : 0;
}

int cart_solver_get_event(const cart_solver *solver, size_t i, cart_event_record *record)
{
  if (solver == NULL || record == NULL || i >= solver->n_log) {
    return CART_EINVAL;
  }
  *record = solver->log[i];
  return CART_OK;
}
