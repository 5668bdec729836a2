/* lanes_round.h: one round of patients in flight over W SIMD lanes (template, internal; see
 * batch.c, which includes it once per width after lanes.h and rosenbrock_lanes.h). */

#define CARTP_LN_(name, w) name##w
#define CARTP_LN(name, w) CARTP_LN_(name, w)
#define LN(name) CARTP_LN(name, CARTP_LANE_W)

#ifndef CARTP_WANTS_SAMPLES_DEFINED
#define CARTP_WANTS_SAMPLES_DEFINED
/* Whether a patient's step will be sampled (dense.c's cartp_solver_step_samples): by its
 * endpoints (an observer) or its root-found events; and its model has lanes for its signals. */
static inline int wants_samples(const cart_solver *s)
{
  return (s->run.observer != NULL || s->n_roots > 0) &&
         (s->model->n_signals == 0 || s->model->lanes->signals8 != NULL);
}
#endif

/* Loads the lanes of one round (see round below): each lane's step sized by the scalar
 * controller, its state, time and, for a new patient, its parameters. Returns a solver in a
 * pending lane, or NULL when no lane attempts a step. */
static const cart_solver *LN(load)(LN(lanes_work) *w, const cart_solver **loaded,
                                   unsigned long *serial, cart_solver *const *solvers,
                                   int *results)
{
  const cart_solver *lead = NULL;
  w->want_samples = 0;
  for (int l = 0; l < CARTP_LANE_W; l++) {
    cart_solver *s = solvers[l];
    results[l] = CARTP_LANE_IDLE;
    if (s == NULL) {
      w->t[l] = 0.0;
      w->h[l] = 1.0;
      w->t_end[l] = 1.0;
      w->inv_dt[l] = 1.0;
      continue;
    }
    const cart_model *model = s->model;
    struct cartp_lane_step *step = &s->lane_step;
    if (!step->active) {
      step->active = 1;
      step->h_try = step->h_called = s->run.h;
    }
    if (cartp_rosenbrock_size(s->run.t, s->run.target, &step->h_try, &step->last) !=
        CARTP_ROSENBROCK_OK) {
      s->run.h = step->h_try;
      step->active = 0;
      results[l] = GSL_FAILURE;
      continue;
    }
    if (loaded[l] != s || serial[l] != s->serial) { /* a new patient in this lane */
      for (size_t j = 0; j < model->n_params; j++) {
        w->p[j][l] = s->eval.p[j];
      }
      for (size_t j = 0; j < CART_MAX_DERIVED; j++) {
        w->derived[j][l] = s->eval.derived[j];
      }
      loaded[l] = s;
      serial[l] = s->serial;
    }
    for (size_t j = 0; j < model->n_states; j++) {
      w->y[j][l] = s->y[j];
    }
    w->t[l] = s->run.t;
    w->h[l] = step->h_try;
    w->t_end[l] = step->last ? s->run.target : s->run.t + step->h_try;
    w->inv_dt[l] = 1.0 / (w->t_end[l] - s->run.t);
    w->want_samples |= wants_samples(s);
    w->toci_rate[l] = s->toci_rate;
    results[l] = CARTP_LANE_PENDING;
    lead = s;
  }
  return lead;
}

/* Judges each pending lane of an attempted round by the scalar controller on that lane's own
 * cartp_rosenbrock and takes its accepted step. */
static void LN(store)(LN(lanes_work) *w, cart_solver *const *solvers, int *results)
{
  for (int l = 0; l < CARTP_LANE_W; l++) {
    if (results[l] != CARTP_LANE_PENDING) {
      continue;
    }
    cart_solver *s = solvers[l];
    const size_t n = s->model->n_states;
    struct cartp_lane_step *step = &s->lane_step;
    cartp_rosenbrock *r = &s->rosenbrock;
    double h_next;
    if (!cartp_rosenbrock_judge(r, w->refused[l] != 0, w->err[l], w->err_root[l], &step->h_try,
                                &h_next)) {
      continue; /* retried next round */
    }
    const double t0 = s->run.t, t1 = w->t_end[l];
    r->t0 = t0;
    r->t1 = t1;
    r->inv_dt = w->inv_dt[l];
    for (size_t m = 0; m < n; m++) {
      r->y0[m] = s->y[m];
      r->y1[m] = s->y[m] = w->y_new[m][l];
      r->dense[0][m] = w->dense[0][m][l];
      r->dense[1][m] = w->dense[1][m][l];
      r->dense[2][m] = w->dense[2][m][l];
    }
    s->run.t = t1;
    s->run.h = cartp_rosenbrock_next_size(step->last, h_next, step->h_called);
    step->active = 0;
    results[l] = GSL_SUCCESS;
    if (w->want_samples && wants_samples(s)) { /* the step's samples, made with it */
      struct dense_restep *cache = s->restep;
      for (int i = 0; i < CARTP_STEP_SAMPLES; i++) {
        cache->sample_t[i] = w->sample_t[i][l];
      }
      /* read where they are, lane l of the workspace (batch.c forgets them after the step) */
      cache->sample_x = (const double *)&w->sample[0][0] + l;
      cache->sample_row = (CARTP_LANES_MAX + CART_MAX_SIGNALS) * CARTP_LANE_W;
      cache->sample_elem = CARTP_LANE_W;
      cache->sample_t0 = t0;
      cache->sample_t1 = t1;
      cache->samples_for_step = s->stats.steps + 1;
      s->roots_quiet_for_step = w->roots_quiet[l] ? s->stats.steps + 1 : 0;
    }
  }
}

/* One round of patients in flight (batch.h, cartp_lanes_round): each lane's step is sized by
 * the scalar controller (cartp_rosenbrock_size), all lanes attempt together, and each lane's
 * attempt is judged by the scalar controller on that lane's own cartp_rosenbrock
 * (cartp_rosenbrock_judge): an accepted step leaves the solver's state, time, next size and
 * dense output exactly as cartp_rosenbrock_evolve would; a rejected one waits for the next
 * round with its smaller size. */
static void LN(round)(LN(lanes_work) *w, const cart_solver **loaded, unsigned long *serial,
                      cart_solver *const *solvers, int *results)
{
  const cart_solver *lead = LN(load)(w, loaded, serial, solvers, results);
  if (lead == NULL) {
    return;
  }
  LN(attempt)(&lead->rosenbrock, lead->model, w);
  LN(keep_dense)(&lead->rosenbrock, w);
  if (w->want_samples) {
    LN(samples)(&lead->rosenbrock, lead->model, w);
    LN(roots_screen)(lead, solvers, results, w);
  }
  LN(store)(w, solvers, results);
}

/* Two rounds at once, of 2 W lanes in two workspaces (attempt_pair); each lane's outcome is
 * round()'s. */
static void LN(round_pair)(LN(lanes_work) *w, const cart_solver **loaded, unsigned long *serial,
                           cart_solver *const *solvers, int *results)
{
  const int W = CARTP_LANE_W;
  const cart_solver *lead_a = LN(load)(&w[0], loaded, serial, solvers, results);
  const cart_solver *lead_b = LN(load)(&w[1], loaded + W, serial + W, solvers + W, results + W);
  if (lead_a != NULL && lead_b != NULL) {
    LN(attempt_pair)(&lead_a->rosenbrock, lead_a->model, &w[0], &w[1]);
  } else if (lead_a != NULL || lead_b != NULL) {
    const cart_solver *lead = lead_a != NULL ? lead_a : lead_b;
    LN(attempt)(&lead->rosenbrock, lead->model, &w[lead_a != NULL ? 0 : 1]);
  }
  for (int g = 0; g < 2; g++) {
    if ((g == 0 ? lead_a : lead_b) != NULL) {
      const cart_solver *lead = g == 0 ? lead_a : lead_b;
      LN(keep_dense)(&lead->rosenbrock, &w[g]);
      if (w[g].want_samples) {
        LN(samples)(&lead->rosenbrock, lead->model, &w[g]);
        LN(roots_screen)(lead, solvers + g * W, results + g * W, &w[g]);
      }
      LN(store)(&w[g], solvers + g * W, results + g * W);
    }
  }
}

#undef LN
