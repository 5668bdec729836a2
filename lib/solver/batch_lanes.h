/* batch_lanes.h: the batch solve's loop over W lanes (template, internal; see batch.c).
 *
 * Each lane runs solver.c's solve loop for one patient without events, written as a state
 * machine so that the lanes share one attempt at a time: a lane starts an evolve call
 * (the step limit checked first, as solver.c does), tries a step size (cartp_rosenbrock_evolve's
 * loop head: stretch to t_end, give up when the step cannot shrink), waits for the common
 * attempt, and then accepts or rejects it with the scalar controller. An accepted step goes
 * through solver.c's invalid-state rule and fills the outputs inside it by the dense output.
 * A lane whose patient is done (or failed) takes the next patient at once. */

#define CARTP_LN_(name, w) name##w
#define CARTP_LN(name, w) CARTP_LN_(name, w)
#define LN(name) CARTP_LN(name, CARTP_LANE_W)

/* Loads patient i into lane l: parameters, derived block and initial state; the outputs at
 * t = 0. */
static void LN(load)(const batch_job *job, LN(lanes_work) *w, batch_lane *lane, int l, size_t i)
{
  const cart_model *model = job->solver->model;
  const double *p = job->params + i * model->n_params;
  double derived[CART_MAX_DERIVED] = {0}, y[CARTP_LANES_MAX];
  int mode = 0;
  model->prepare(p, derived);
  model->initial(p, derived, y, &mode);
  for (size_t j = 0; j < model->n_params; j++) {
    w->p[j][l] = p[j];
  }
  for (size_t j = 0; j < CART_MAX_DERIVED; j++) {
    w->derived[j][l] = derived[j];
  }
  for (size_t j = 0; j < model->n_states; j++) {
    w->y[j][l] = y[j];
  }
  *lane = (batch_lane){.patient = (long)i, .t = 0.0, .h = INITIAL_STEP};
  while (lane->next_output < job->n_times && job->times[lane->next_output] <= 0.0) {
    batch_record(job, lane, y);
  }
}

/* Makes lane l ready for the next attempt (its step size in lane->h_try), taking new patients
 * as patients finish. Returns 0 when the lane is idle: no patient is left. */
static int LN(ready)(batch_job *job, LN(lanes_work) *w, batch_lane *lane, int l)
{
  const double t_end = job->times[job->n_times - 1];
  for (;;) {
    if (lane->patient < 0) {
      if (job->next_patient >= job->n_patients) {
        return 0;
      }
      LN(load)(job, w, lane, l, job->next_patient++);
      if (lane->next_output == job->n_times) {
        batch_finish(job, lane, CART_OK);
        continue;
      }
    }
    if (!lane->in_evolve) { /* solver.c: the step limit before every evolve call */
      if (lane->stats.steps + lane->stats.rejected_invalid >= job->solver->max_steps) {
        batch_finish(job, lane, CART_EMAXSTEPS);
        continue;
      }
      lane->t_before = lane->t;
      lane->h_try = lane->h_entry = lane->h;
      lane->in_evolve = 1;
    }
    /* cartp_rosenbrock_evolve's loop head */
    const double t0 = lane->t;
    lane->last = t0 + 1.0001 * lane->h_try >= t_end;
    if (lane->last) {
      lane->h_try = t_end - t0;
    }
    if (!(lane->h_try > 0.0) || !(t0 + lane->h_try > t0)) {
      batch_finish(job, lane, CART_ESTEPSIZE);
      continue;
    }
    return 1;
  }
}

/* The state of lane l at t inside its step just accepted: cartp_rosenbrock_dense. */
static void LN(dense)(const LN(lanes_work) *w, size_t n, int l, double t0, double t1,
                      const double *y0, const double *y1, double t, double *y)
{
  if (t == t1) {
    memcpy(y, y1, n * sizeof *y);
    return;
  }
  const double theta = (t - t0) / (t1 - t0), theta1 = 1.0 - theta;
  for (size_t m = 0; m < n; m++) {
    y[m] = theta1 * y0[m] +
           theta * (y1[m] + theta1 * (w->dense[0][m][l] +
                                      theta * (w->dense[1][m][l] + theta * w->dense[2][m][l])));
  }
}

/* After the common attempt: lane l's controller (cartp_rosenbrock_evolve after attempt()) and,
 * for an accepted step, solver.c's loop body. */
static void LN(after_attempt)(batch_job *job, LN(lanes_work) *w, batch_lane *lane, int l)
{
  const cart_solver *solver = job->solver;
  const size_t n = solver->model->n_states;
  const double t_end = job->times[job->n_times - 1];
  const double err = w->err[l], h_try = lane->h_try;
  if (w->refused[l] != 0 || !isfinite(err)) {
    lane->rejected++;
    lane->last_rejected = 1;
    lane->h_try *= REFUSED_SHRINK;
    return;
  }
  double fac = batch_clamp(pow(err, 0.2) / SAFETY, 1.0 / MAX_GROWTH, 1.0 / MIN_SHRINK);
  if (!(err <= 1.0)) {
    lane->rejected++;
    lane->last_rejected = 1;
    lane->h_try /= fac;
    return;
  }
  if (lane->have_accepted) { /* Gustafsson's predictive correction */
    const double predicted =
        lane->h_accepted / h_try * pow(err * err / lane->err_accepted, 0.2) / SAFETY;
    fac = fmax(fac, batch_clamp(predicted, 1.0 / MAX_GROWTH, 1.0 / MIN_SHRINK));
  }
  double h_next = h_try / fac;
  if (lane->last_rejected && h_next > h_try) {
    h_next = h_try;
  }
  lane->h_accepted = h_try;
  lane->err_accepted = fmax(1e-2, err);
  lane->have_accepted = 1;
  lane->last_rejected = 0;
  const double t0 = lane->t, t1 = lane->last ? t_end : t0 + h_try;
  lane->t = t1;
  lane->h = lane->last && h_next < lane->h_entry ? lane->h_entry : h_next;
  lane->in_evolve = 0;

  /* solver.c: a state below -atol rejects the step; retry from its start, noise zeroed */
  double y0[CARTP_LANES_MAX], y1[CARTP_LANES_MAX];
  int invalid = -1;
  for (size_t i = 0; i < n; i++) {
    y0[i] = w->y[i][l];
    y1[i] = w->y_new[i][l];
    if (invalid < 0 && (!(y1[i] >= -solver->atol[i]) || isinf(y1[i]))) {
      invalid = (int)i;
    }
  }
  if (invalid >= 0) {
    const double taken = t1 - lane->t_before;
    lane->t = lane->t_before;
    for (size_t i = 0; i < n; i++) {
      if (y0[i] < 0.0) {
        w->y[i][l] = 0.0;
      }
    }
    lane->stats.rejected_invalid++;
    lane->h = 0.5 * taken;
    if (!(lane->t + lane->h > lane->t)) {
      batch_finish(job, lane, isfinite(y1[invalid]) ? CART_ENEGATIVE : CART_ESOLVER);
      return;
    }
    batch_reset_controller(lane);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    w->y[i][l] = y1[i];
  }
  lane->stats.steps++;
  /* outputs strictly inside the step; those at its end once the last step is done */
  while (lane->next_output < job->n_times && job->times[lane->next_output] < t1) {
    double y[CARTP_LANES_MAX];
    LN(dense)(w, n, l, t0, t1, y0, y1, job->times[lane->next_output], y);
    batch_record(job, lane, y);
  }
  if (!(t1 < t_end)) {
    while (lane->next_output < job->n_times) {
      batch_record(job, lane, y1);
    }
    batch_finish(job, lane, CART_OK);
  }
}

/* The whole batch on this width: lanes refilled until every patient is done. */
static void LN(batch_run)(batch_job *job)
{
  const cart_solver *solver = job->solver;
  LN(lanes_work) w;
  batch_lane lane[CARTP_LANE_W];
  memset(&w, 0, sizeof w);
  for (int l = 0; l < CARTP_LANE_W; l++) {
    lane[l] = (batch_lane){.patient = -1};
    w.h[l] = 1.0;
  }
  for (;;) {
    int busy = 0;
    for (int l = 0; l < CARTP_LANE_W; l++) {
      if (LN(ready)(job, &w, &lane[l], l)) {
        busy = 1;
        w.t[l] = lane[l].t;
        w.h[l] = lane[l].h_try;
      }
    }
    if (!busy) {
      break;
    }
    LN(attempt)(&solver->rosenbrock, solver->model, &w);
    LN(keep_dense)(&solver->rosenbrock, &w);
    for (int l = 0; l < CARTP_LANE_W; l++) {
      if (lane[l].patient >= 0) {
        LN(after_attempt)(job, &w, &lane[l], l);
      }
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
  const cart_solver *lead = NULL;
  for (int l = 0; l < CARTP_LANE_W; l++) {
    cart_solver *s = solvers[l];
    results[l] = CARTP_LANE_IDLE;
    if (s == NULL) {
      w->t[l] = 0.0;
      w->h[l] = 1.0;
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
    w->toci_rate[l] = s->toci_rate;
    results[l] = CARTP_LANE_PENDING;
    lead = s;
  }
  if (lead == NULL) {
    return;
  }
  LN(attempt)(&lead->rosenbrock, lead->model, w);
  LN(keep_dense)(&lead->rosenbrock, w);
  const size_t n = lead->model->n_states;
  for (int l = 0; l < CARTP_LANE_W; l++) {
    if (results[l] != CARTP_LANE_PENDING) {
      continue;
    }
    cart_solver *s = solvers[l];
    struct cartp_lane_step *step = &s->lane_step;
    cartp_rosenbrock *r = &s->rosenbrock;
    double h_next;
    if (!cartp_rosenbrock_judge(r, w->refused[l] != 0, w->err[l], &step->h_try, &h_next)) {
      continue; /* retried next round */
    }
    const double t0 = s->run.t, t1 = step->last ? s->run.target : t0 + step->h_try;
    r->t0 = t0;
    r->t1 = t1;
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
  }
}

#undef LN
