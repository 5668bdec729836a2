/* check_endpoints.c: a model's own endpoint table (model_impl.h) is what a trial computes and a
 * trial file holds: a test model with endpoints unlike the oncology list ("return", a B-cell
 * pool refilling after depletion, the shape of a lupus model's endpoints) gets exactly its
 * endpoints, with their analytic values, in its blocks and in /endpoints. A second one
 * ("recovery": B cells depleted and returning, in closed form) has levels of its own in its
 * rows: two times below different levels, a recovery day and a value at day 180, checked
 * against the closed form to 1e-8 day, with its settings read from a scenario. */
#include <check.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cart/cart_hdf5.h>
#include <cart/cart_trial.h>

#include "../lib/models/model_impl.h"
#include "../lib/scenario/scenario_impl.h"
#include "test_util.h"

/* ---- test model "return": B' = r (B0 - B), B(0) = b_start: B = B0 - (B0 - b_start) e^{-r t} */

enum { P_B0, P_B_START, P_R, N_RETURN_PARAMS };

static const cart_state_info return_states[] = {{"B", "cells", 1e-6, "B-cell pool"}};
static const cart_param_info return_params[] = {
    {"B0", "cells", 1000, 0, 1e9, 1, 0, "homeostatic pool"},
    {"b_start", "cells", 10, 0, 1e9, 1, 0, "pool left by depletion"},
    {"r", "1/day", 0.1, 0, 10, 1, 0, "return rate"},
};

static void return_prepare(const double *p, double *d)
{
  (void)p;
  (void)d;
}

static void return_initial(const double *p, const double *d, double *y, int *mode)
{
  (void)d;
  y[0] = p[P_B_START];
  *mode = 0;
}

static int return_rhs(double t, const double *y, double *f, const cart_model_eval *ev)
{
  (void)t;
  f[0] = ev->p[P_R] * (ev->p[P_B0] - y[0]);
  return 0;
}

static int return_jacobian(double t, const double *y, double *J, double *dfdt,
                           const cart_model_eval *ev)
{
  (void)t;
  (void)y;
  J[0] = -ev->p[P_R];
  dfdt[0] = 0;
  return 0;
}

static void return_signals(const double *y, const double *p, double *out)
{
  (void)y;
  (void)p;
  (void)out;
}

#define DAY_AT 10.0
static const cartp_endpoint return_endpoints[] = {
    {{"b_at_10", "cells", 0, "B at day 10"}, CARTP_REDUCE_VALUE_AT, CARTP_SLOT(CART_ROLE_B),
     DAY_AT, CARTP_NO_LEVELS},
    {{"b_min", "cells", 0, "min of B"}, CARTP_REDUCE_MIN, CARTP_SLOT(CART_ROLE_B), 0,
     CARTP_NO_LEVELS},
    {{"depleted_days", "day", 0, "time with B below f_aplasia * B0"}, CARTP_REDUCE_TIME_BELOW,
     CARTP_SLOT(CART_ROLE_B), 0, {CARTP_TRIAL_LEVEL_TIMES("f_aplasia", "B0")}},
    {{"b_auc", "cells*day", 0, "integral of B to auc_end"}, CARTP_REDUCE_INTEGRAL,
     CARTP_SLOT(CART_ROLE_B), 0, {CARTP_TRIAL_LEVEL("auc_end")}},
};
#define N_RETURN_ENDPOINTS (sizeof return_endpoints / sizeof return_endpoints[0])

static const char *const return_outputs[] = {"B", NULL};

static const cart_model return_model = {
    .name = "return", .description = "B' = r (B0 - B) (test)", .n_states = 1,
    .states = return_states, .n_params = N_RETURN_PARAMS, .params = return_params,
    .prepare = return_prepare, .initial = return_initial, .rhs = return_rhs,
    .jacobian = return_jacobian, .signal_values = return_signals,
    .role_slots = {[CART_ROLE_B] = CARTP_SLOT(0)},
    .n_endpoints = N_RETURN_ENDPOINTS, .endpoints = return_endpoints,
    .default_outputs = return_outputs};

#define N_PATIENTS 8

static cart_trial *return_trial(void)
{
  cart_error err;
  cart_trial *trial = cart_trial_new(&return_model, &err);
  ck_assert_msg(trial != NULL, "%s", err.message);
  static const double times[] = {0, 7, 14, 21, 28, 35, 40};
  ck_assert_int_eq(cart_trial_set_times(trial, times, sizeof times / sizeof times[0]), CART_OK);
  ck_assert_int_eq(cart_trial_set_n_patients(trial, N_PATIENTS), CART_OK);
  cart_trial_set_seed(trial, 7);
  return trial;
}

/* The block's endpoints are the model's four, at their analytic values. */
START_TEST(test_trial_computes_the_models_endpoints)
{
  cart_trial *trial = return_trial();
  ck_assert_uint_eq(cart_trial_n_endpoints(trial), N_RETURN_ENDPOINTS);
  cart_trial_block *block = cart_trial_block_new(trial, N_PATIENTS, NULL);
  ck_assert_ptr_nonnull(block);
  ck_assert_int_eq(test_run_block(trial, 0, N_PATIENTS, 1, block), CART_OK);
  ck_assert_uint_eq(block->n_endpoints, N_RETURN_ENDPOINTS);
  ck_assert_ptr_eq(block->model, &return_model);
  cart_endpoint_settings settings = *cart_trial_endpoint_settings(trial);
  for (size_t k = 0; k < N_PATIENTS; k++) {
    ck_assert_int_eq(block->status[k], CART_OK);
    const double *p = block->params + k * N_RETURN_PARAMS;
    const double b0 = p[P_B0], gap = p[P_B0] - p[P_B_START], r = p[P_R];
    const double *e = block->endpoints + k * N_RETURN_ENDPOINTS;
    ck_assert_double_le(test_rel_diff(e[0], b0 - gap * exp(-r * DAY_AT)), 1e-6);
    ck_assert_double_le(test_rel_diff(e[1], p[P_B_START]), 1e-9);
    /* below f b0 until gap e^{-r t} = (1 - f) b0 */
    const double f = settings.f_aplasia;
    const double below = p[P_B_START] < f * b0 ? log(gap / ((1 - f) * b0)) / r : 0;
    ck_assert_double_le(fabs(e[2] - below), 1e-6);
    const double end = settings.auc_end;
    ck_assert_double_le(test_rel_diff(e[3], b0 * end - gap * (1 - exp(-r * end)) / r), 1e-6);
  }
  cart_trial_block_free(block);
  cart_trial_free(trial);
}
END_TEST

/* The summary of every endpoint of the model against the block's values: counted, summed in
 * long double and sorted here (numpy's linear rule), every patient solved. */
static void check_summary_of_block(const cart_trial_summary *s, const cart_trial_block *block)
{
  static const double q[] = {5, 25, 50, 75, 95};
  ck_assert_uint_eq(s->n_endpoints, N_RETURN_ENDPOINTS);
  for (size_t i = 0; i < N_RETURN_ENDPOINTS; i++) {
    double values[N_PATIENTS];
    long double sum = 0;
    for (size_t k = 0; k < N_PATIENTS; k++) {
      values[k] = block->endpoints[k * N_RETURN_ENDPOINTS + i];
      sum += values[k];
    }
    const cart_endpoint_summary *got = &s->endpoints[i];
    ck_assert_uint_eq(got->n_number, N_PATIENTS);
    const double mean = (double)(sum / N_PATIENTS);
    ck_assert_msg(fabs(got->mean - mean) <= 1e-15 * fabs(mean), "%s: mean %.17g, expected %.17g",
                  return_endpoints[i].info.name, got->mean, mean);
    const double pct[] = {got->p5, got->p25, got->p50, got->p75, got->p95};
    for (size_t j = 0; j < sizeof q / sizeof q[0]; j++) {
      const double expected = test_sorted_percentile(values, N_PATIENTS, q[j]);
      ck_assert_msg(memcmp(&pct[j], &expected, sizeof expected) == 0,
                    "%s p%g: %.17g, sorting gives %.17g", return_endpoints[i].info.name, q[j],
                    pct[j], expected);
    }
    ck_assert_uint_eq(got->n_above, 0); /* no integer endpoint: no level counted */
  }
}

/* /summary/endpoints/<name> holds the summary's values for each of the model's endpoints. */
static void check_file_summary(hid_t file, const cart_trial_summary *s)
{
  for (size_t i = 0; i < N_RETURN_ENDPOINTS; i++) {
    char object[64];
    snprintf(object, sizeof object, "/summary/endpoints/%s", return_endpoints[i].info.name);
    const cart_endpoint_summary *p = &s->endpoints[i];
    const struct {
      const char *name;
      double expected;
    } fields[] = {{"mean", p->mean}, {"p5", p->p5},   {"p25", p->p25},
                  {"p50", p->p50},   {"p75", p->p75}, {"p95", p->p95}};
    for (size_t j = 0; j < sizeof fields / sizeof fields[0]; j++) {
      hid_t attr = H5Aopen_by_name(file, object, fields[j].name, H5P_DEFAULT, H5P_DEFAULT);
      ck_assert_msg(attr >= 0, "no attribute %s of %s", fields[j].name, object);
      double value;
      ck_assert_int_ge(H5Aread(attr, H5T_NATIVE_DOUBLE, &value), 0);
      ck_assert_double_eq(value, fields[j].expected);
      H5Aclose(attr);
    }
    hid_t attr = H5Aopen_by_name(file, object, "n_number", H5P_DEFAULT, H5P_DEFAULT);
    uint64_t n_number = 0;
    ck_assert_int_ge(H5Aread(attr, H5T_NATIVE_UINT64, &n_number), 0);
    ck_assert_uint_eq(n_number, p->n_number);
    H5Aclose(attr);
    ck_assert_int_eq(H5Aexists_by_name(file, object, "n_level", H5P_DEFAULT), 0);
  }
}

/* The file's /endpoints holds exactly the model's endpoints, with their units and the block's
 * values; the summary reads NaN where the model has no oncology endpoint, and summarises each
 * of the model's own endpoints, in memory, from the file and in /summary/endpoints. */
START_TEST(test_file_holds_the_models_endpoints)
{
  char dir[] = "/tmp/check_endpoints_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[64];
  snprintf(path, sizeof path, "%s/return.h5", dir);
  cart_trial *trial = return_trial();
  cart_trial_block *block = cart_trial_block_new(trial, N_PATIENTS, NULL);
  ck_assert_int_eq(test_run_block(trial, 0, N_PATIENTS, 1, block), CART_OK);
  cart_error err;
  cart_h5_file *h5 = cart_h5_file_new(path, trial, NULL, 0, N_PATIENTS, &err);
  ck_assert_msg(h5 != NULL, "%s", err.message);
  ck_assert_int_eq(cart_h5_write_block(h5, block), CART_OK);
  cart_trial_summary summary;
  ck_assert_int_eq(cart_h5_summarize(h5, &summary), CART_OK);
  ck_assert_uint_eq(summary.n_solved, N_PATIENTS);
  ck_assert(isnan(summary.cmax_p50) && isnan(summary.aplasia_days_p50));
  ck_assert_double_eq(summary.cr_rate, 0);
  check_summary_of_block(&summary, block);
  cart_summary_acc *memory = cart_summary_acc_new(&return_model, N_PATIENTS, &err);
  ck_assert_msg(memory != NULL, "%s", err.message);
  ck_assert_int_eq(cart_summary_acc_add(memory, block), CART_OK);
  cart_trial_summary from_memory;
  ck_assert_int_eq(cart_summary_acc_get(memory, &from_memory), CART_OK);
  cart_summary_acc_free(memory);
  ck_assert_int_eq(memcmp(&from_memory, &summary, sizeof summary), 0);
  ck_assert_int_eq(cart_h5_finish(h5, &summary), CART_OK);
  ck_assert_int_eq(cart_h5_file_free(h5), CART_OK);

  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  ck_assert_int_ge(file, 0);
  hid_t group = H5Gopen2(file, "/endpoints", H5P_DEFAULT);
  H5G_info_t group_info;
  ck_assert_int_ge(H5Gget_info(group, &group_info), 0);
  ck_assert_uint_eq(group_info.nlinks, N_RETURN_ENDPOINTS);
  for (size_t i = 0; i < N_RETURN_ENDPOINTS; i++) {
    const cart_endpoint_info *info = &return_endpoints[i].info;
    hid_t set = H5Dopen2(group, info->name, H5P_DEFAULT);
    ck_assert_msg(set >= 0, "no /endpoints/%s", info->name);
    double values[N_PATIENTS];
    ck_assert_int_ge(H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), 0);
    for (size_t k = 0; k < N_PATIENTS; k++) {
      ck_assert_double_eq(values[k], block->endpoints[k * N_RETURN_ENDPOINTS + i]);
    }
    hid_t attr = H5Aopen(set, "unit", H5P_DEFAULT);
    hid_t type = H5Aget_type(attr);
    char *unit = NULL;
    ck_assert_int_ge(H5Aread(attr, type, &unit), 0);
    ck_assert_str_eq(unit, info->unit);
    H5free_memory(unit);
    H5Tclose(type);
    H5Aclose(attr);
    H5Dclose(set);
  }
  H5Gclose(group);
  check_file_summary(file, &summary);
  H5Fclose(file);
  cart_trial_block_free(block);
  cart_trial_free(trial);
  ck_assert_int_eq(unlink(path), 0);
  ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST


/* ---- test model "recovery": a depleting agent D' = -k D, D(0) = k a, and the B-cell pool
 * B' = 2k (B0 - B) - D, B(0) = B_start. With x = e^{-k t} the solution is
 *   B(t) = B0 - a x + (a + b) x^2,   b = B_start - B0
 * (substitute: dB/dt = -k x dB/dx = a k x - 2k (a + b) x^2 = 2k (B0 - B) - k a x), so B meets a
 * level L where (a + b) x^2 - a x + (B0 - L) = 0: a quadratic in x, whose two roots are the
 * times it falls below L and comes back above it. */

enum { R_B0, R_B_START, R_K, R_DEPTH, N_RECOVERY_PARAMS };
enum { R_STATE_D, R_STATE_B };

static const cart_state_info recovery_states[] = {{"D", "cells/day", 1e-12, "depleting agent"},
                                                  {"B", "cells", 1e-12, "B-cell pool"}};
static const cart_param_info recovery_params[] = {
    {"B0", "cells", 1000, 0, 1e9, 1, 0, "homeostatic pool"},
    {"B_start", "cells", 800, 0, 1e9, 1, 0, "pool at t = 0"},
    {"k", "1/day", 0.05, 0, 10, 1, 0, "clearance of the agent"},
    {"depth", "cells", 3600, 0, 1e9, 1, 0, "a = D(0) / k: how deep the agent depletes"},
};

static void recovery_initial(const double *p, const double *d, double *y, int *mode)
{
  (void)d;
  y[R_STATE_D] = p[R_K] * p[R_DEPTH];
  y[R_STATE_B] = p[R_B_START];
  *mode = 0;
}

static int recovery_rhs(double t, const double *y, double *f, const cart_model_eval *ev)
{
  (void)t;
  const double *p = ev->p;
  f[R_STATE_D] = -p[R_K] * y[R_STATE_D];
  f[R_STATE_B] = 2 * p[R_K] * (p[R_B0] - y[R_STATE_B]) - y[R_STATE_D];
  return 0;
}

static int recovery_jacobian(double t, const double *y, double *J, double *dfdt,
                             const cart_model_eval *ev)
{
  (void)t;
  (void)y;
  const double k = ev->p[R_K];
  J[0] = -k, J[1] = 0;
  J[2] = -1, J[3] = -2 * k;
  dfdt[0] = dfdt[1] = 0;
  return 0;
}

/* The model's own settings, each described once and used by name in the rows. */
#define F_HALF {"f_half", "1", 0.5, 0, 1, 1, 0, "B below f_half * B(0) is half-depleted"}
#define F_FALL {"f_fall", "1", 0.2, 0, 1, 1, 0, "B below f_fall * B0 is depleted"}
#define F_RETURN {"f_return", "1", 0.9, 0, 10, 1, 0, "B back above f_return * B0 has returned"}
#define DAY_LATE 180.0
enum { E_LOW_DAYS, E_HALF_DAYS, E_RETURN_DAY, E_AT_180, E_FALL_DAY, E_LOW_180,
       N_RECOVERY_ENDPOINTS };
static const cartp_endpoint recovery_endpoints[N_RECOVERY_ENDPOINTS] = {
    [E_LOW_DAYS] = {{"b_low_days", "day", 0, "time with B below f_aplasia * B0"},
                    CARTP_REDUCE_TIME_BELOW, CARTP_SLOT(CART_ROLE_B), 0,
                    {CARTP_TRIAL_LEVEL_TIMES("f_aplasia", "B0")}},
    [E_HALF_DAYS] = {{"b_half_days", "day", 0, "time with B below f_half * B(0)"},
                     CARTP_REDUCE_TIME_BELOW, CARTP_SLOT(CART_ROLE_B), 0,
                     {{F_HALF, CART_LEVEL_INITIAL, NULL}}},
    [E_RETURN_DAY] = {{"b_return_day", "day", 0,
                       "after B falls below f_fall * B0, when it is back above f_return * B0"},
                      CARTP_REDUCE_RECOVERY_DAY, CARTP_SLOT(CART_ROLE_B), 0,
                      {{F_FALL, CART_LEVEL_PARAM, "B0"}, {F_RETURN, CART_LEVEL_PARAM, "B0"}}},
    [E_AT_180] = {{"b_at_180", "cells", 0, "B at day 180"}, CARTP_REDUCE_VALUE_AT,
                  CARTP_SLOT(CART_ROLE_B), DAY_LATE, CARTP_NO_LEVELS},
    [E_FALL_DAY] = {{"b_fall_day", "day", 0, "first time B is below f_fall * B0"},
                    CARTP_REDUCE_FIRST_BELOW, CARTP_SLOT(CART_ROLE_B), 0,
                    {{F_FALL, CART_LEVEL_PARAM, "B0"}}},
    [E_LOW_180] = {{"b_low_180", "1", 1, "B below f_return * B0 at day 180"},
                   CARTP_REDUCE_BELOW_AT, CARTP_SLOT(CART_ROLE_B), DAY_LATE,
                   {{F_RETURN, CART_LEVEL_PARAM, "B0"}}},
};

static const char *const recovery_outputs[] = {"B", NULL};

static const cart_model recovery_model = {
    .name = "recovery", .description = "B-cell depletion and return in closed form (test)",
    .n_states = 2, .states = recovery_states, .n_params = N_RECOVERY_PARAMS,
    .params = recovery_params, .prepare = return_prepare, .initial = recovery_initial,
    .rhs = recovery_rhs, .jacobian = recovery_jacobian, .signal_values = return_signals,
    .role_slots = {[CART_ROLE_B] = CARTP_SLOT(R_STATE_B)},
    .n_endpoints = N_RECOVERY_ENDPOINTS, .endpoints = recovery_endpoints,
    .default_outputs = recovery_outputs};

/* The closed form: B at t, and the times B crosses level L (L > min B): it falls below at *down
 * (0 when B(0) <= L) and is back above at *up; NaN for both when B never goes below L. The roots of
 * c x^2 - a x + (B0 - L), c = a + b, the larger first and the smaller from their product (no
 * cancellation). */
static double recovery_b(const double *p, double t)
{
  const double a = p[R_DEPTH], c = a + p[R_B_START] - p[R_B0], x = exp(-p[R_K] * t);
  return p[R_B0] - a * x + c * x * x;
}

static void recovery_crossings(const double *p, double level, double *down, double *up)
{
  const double a = p[R_DEPTH], c = a + p[R_B_START] - p[R_B0], q = p[R_B0] - level;
  const double disc = a * a - 4 * c * q;
  *down = *up = NAN;
  if (!(disc > 0)) {
    return;
  }
  const double x_big = (a + sqrt(disc)) / (2 * c), x_small = q / (c * x_big);
  ck_assert_msg(x_small > 0 && x_small < 1, "the test wants B back above L after t = 0");
  *down = x_big >= 1 ? 0.0 : -log(x_big) / p[R_K]; /* x >= 1: B(0) <= L, below from the start */
  *up = -log(x_small) / p[R_K];
}

/* Times to 1e-8 day: the crossings are searched to 1e-10 day (endpoints.c) on an interpolant
 * that rtol 1e-9 keeps within ~1e-6 cells of B, where |B'| is tens of cells per day; values to
 * ten times rtol. (Tighter, Rodas5P's steps no longer pass its error test at these B, the
 * rounding of B0 - B being 1e-13 of B.) */
#define RTOL 1e-9
#define TIME_TOL 1e-8

#define N_RECOVERY_PATIENTS 6

static cart_trial *recovery_trial(void)
{
  cart_error err;
  cart_trial *trial = cart_trial_new(&recovery_model, &err);
  ck_assert_msg(trial != NULL, "%s", err.message);
  double times[21];
  for (int i = 0; i <= 20; i++) {
    times[i] = 10.0 * i;
  }
  ck_assert_int_eq(cart_trial_set_times(trial, times, 21), CART_OK);
  ck_assert_int_eq(cart_trial_set_solver(trial, CART_METHOD_RODAS5P, RTOL, NULL, 1000000),
                   CART_OK);
  ck_assert_int_eq(cart_trial_set_n_patients(trial, N_RECOVERY_PATIENTS), CART_OK);
  cart_trial_set_seed(trial, 11);
  /* patients with different rates and depths, all falling below every level and none to 0 (min
   * B = B0 - a^2 / (4 (a + b)) moves by a quarter of a's change: 47 +- 9 cells for cv 0.01) */
  cart_population *population = cart_trial_edit_population(trial);
  ck_assert_int_eq(cart_population_set_cv(population, "depth", 0.01), CART_OK);
  ck_assert_int_eq(cart_population_set_cv(population, "k", 0.2), CART_OK);
  return trial;
}

/* Each endpoint of the trial's patients against the closed form at the trial's settings. */
static void check_recovery(cart_trial *trial)
{
  double f_aplasia, f_half, f_fall, f_return;
  ck_assert_int_eq(cart_trial_endpoint_setting(trial, "f_aplasia", &f_aplasia), CART_OK);
  ck_assert_int_eq(cart_trial_endpoint_setting(trial, "f_half", &f_half), CART_OK);
  ck_assert_int_eq(cart_trial_endpoint_setting(trial, "f_fall", &f_fall), CART_OK);
  ck_assert_int_eq(cart_trial_endpoint_setting(trial, "f_return", &f_return), CART_OK);
  cart_trial_block *block = cart_trial_block_new(trial, N_RECOVERY_PATIENTS, NULL);
  ck_assert_ptr_nonnull(block);
  ck_assert_int_eq(test_run_block(trial, 0, N_RECOVERY_PATIENTS, 1, block), CART_OK);
  for (size_t k = 0; k < N_RECOVERY_PATIENTS; k++) {
    ck_assert_int_eq(block->status[k], CART_OK);
    const double *p = block->params + k * N_RECOVERY_PARAMS;
    const double *e = block->endpoints + k * N_RECOVERY_ENDPOINTS;
    double down, up;
    recovery_crossings(p, f_aplasia * p[R_B0], &down, &up);
    ck_assert_msg(fabs(e[E_LOW_DAYS] - (up - down)) < TIME_TOL, "b_low_days %.12g, want %.12g",
                  e[E_LOW_DAYS], up - down);
    recovery_crossings(p, f_half * p[R_B_START], &down, &up); /* B(0) = B_start */
    ck_assert_msg(fabs(e[E_HALF_DAYS] - (up - down)) < TIME_TOL,
                  "b_half_days %.12g, want %.12g", e[E_HALF_DAYS], up - down);
    /* the return: back above f_return * B0 after the fall below f_fall * B0 */
    double fall_down, fall_up;
    recovery_crossings(p, f_fall * p[R_B0], &fall_down, &fall_up);
    recovery_crossings(p, f_return * p[R_B0], &down, &up);
    const double want = isnan(fall_down) ? NAN : up;
    if (isnan(want)) {
      ck_assert_msg(isnan(e[E_RETURN_DAY]), "b_return_day %g, want NaN", e[E_RETURN_DAY]);
    } else {
      ck_assert_msg(fabs(e[E_RETURN_DAY] - want) < TIME_TOL, "b_return_day %.12g, want %.12g",
                    e[E_RETURN_DAY], want);
    }
    ck_assert_double_le(test_rel_diff(e[E_AT_180], recovery_b(p, DAY_LATE)), 10 * RTOL);
    /* the first fall below f_fall * B0 (0 when B starts below), and whether B is below
     * f_return * B0 at day 180 */
    if (isnan(fall_down)) {
      ck_assert_msg(isnan(e[E_FALL_DAY]), "b_fall_day %g, want NaN", e[E_FALL_DAY]);
    } else {
      ck_assert_msg(fabs(e[E_FALL_DAY] - fall_down) < TIME_TOL, "b_fall_day %.12g, want %.12g",
                    e[E_FALL_DAY], fall_down);
    }
    ck_assert_double_eq(e[E_LOW_180], recovery_b(p, DAY_LATE) < f_return * p[R_B0]);
  }
  cart_trial_block_free(block);
}

/* The defaults: f_aplasia 0.1 (trial-wide), f_half 0.5, f_fall 0.2, f_return 0.9 (the model's). */
START_TEST(test_levels_of_the_rows)
{
  cart_trial *trial = recovery_trial();
  double value;
  ck_assert_int_eq(cart_trial_endpoint_setting(trial, "f_half", &value), CART_OK);
  ck_assert_double_eq(value, 0.5);
  ck_assert_int_eq(cart_trial_endpoint_setting(trial, "f_aplasia", &value), CART_OK);
  ck_assert_double_eq(value, 0.1);
  check_recovery(trial);
  cart_trial_free(trial);
}
END_TEST

/* Runs the trial into block: no patient's B returns (b_return_day NaN). */
static void check_no_return(cart_trial *trial, cart_trial_block *block)
{
  ck_assert_int_eq(test_run_block(trial, 0, N_RECOVERY_PATIENTS, 1, block), CART_OK);
  for (size_t k = 0; k < N_RECOVERY_PATIENTS; k++) {
    ck_assert(isnan(block->endpoints[k * N_RECOVERY_ENDPOINTS + E_RETURN_DAY]));
  }
}

/* Each level set by name moves its endpoint as the closed form says; a return level B never
 * reaches (it tends to B0 from below) and a fall level below B's minimum give NaN. */
START_TEST(test_levels_set_by_name)
{
  cart_trial *trial = recovery_trial();
  ck_assert_int_eq(cart_trial_set_endpoint_setting(trial, "f_half", 0.3), CART_OK);
  ck_assert_int_eq(cart_trial_set_endpoint_setting(trial, "f_aplasia", 0.15), CART_OK);
  ck_assert_double_eq(cart_trial_endpoint_settings(trial)->f_aplasia, 0.15);
  ck_assert_int_eq(cart_trial_set_endpoint_setting(trial, "f_return", 0.99), CART_OK);
  check_recovery(trial);
  cart_trial_block *block = cart_trial_block_new(trial, N_RECOVERY_PATIENTS, NULL);
  ck_assert_int_eq(cart_trial_set_endpoint_setting(trial, "f_return", 1.0), CART_OK);
  check_no_return(trial, block);
  /* min B = B0 - a^2 / (4 (a + b)), about 47 cells of 1000 for these patients: never below 1% */
  ck_assert_int_eq(cart_trial_set_endpoint_setting(trial, "f_return", 0.9), CART_OK);
  ck_assert_int_eq(cart_trial_set_endpoint_setting(trial, "f_fall", 0.01), CART_OK);
  check_no_return(trial, block);
  for (size_t k = 0; k < N_RECOVERY_PATIENTS; k++) {
    const double *p = block->params + k * N_RECOVERY_PARAMS;
    const double a = p[R_DEPTH], c = a + p[R_B_START] - p[R_B0];
    ck_assert_double_gt(p[R_B0] - a * a / (4 * c), 0.01 * p[R_B0]);
  }
  cart_trial_block_free(block);
  cart_trial_free(trial);
}
END_TEST

/* One patient solved alone (cart_solver_solve_endpoints) with the model's own settings set by
 * name in a plan gets the trial's endpoints bit for bit, and the plan refuses what the trial
 * refuses. */
START_TEST(test_own_levels_of_one_solve)
{
  cart_trial *trial = recovery_trial();
  cart_endpoint_plan *plan = cart_endpoint_plan_new(&recovery_model, NULL);
  ck_assert_ptr_nonnull(plan);
  static const struct {
    const char *name;
    double value;
  } set[] = {{"f_half", 0.3}, {"f_return", 0.95}, {"f_aplasia", 0.15}};
  for (size_t i = 0; i < sizeof set / sizeof set[0]; i++) {
    ck_assert_int_eq(cart_trial_set_endpoint_setting(trial, set[i].name, set[i].value), CART_OK);
    ck_assert_int_eq(cart_endpoint_plan_set_setting(plan, set[i].name, set[i].value), CART_OK);
  }
  ck_assert_int_eq(cart_endpoint_plan_set_setting(plan, "f_half", 1.5), CART_ERANGE);
  ck_assert_int_eq(cart_endpoint_plan_set_setting(plan, "f_hlaf", 0.3), CART_EUNKNOWN_PARAM);
  ck_assert_ptr_nonnull(strstr(cart_endpoint_plan_last_error(plan)->message,
                               "f_half, f_fall, f_return"));
  double value;
  ck_assert_int_eq(cart_endpoint_plan_setting(plan, "f_half", &value), CART_OK);
  ck_assert_double_eq(value, 0.3);
  cart_trial_block *block = cart_trial_block_new(trial, N_RECOVERY_PATIENTS, NULL);
  ck_assert_int_eq(test_run_block(trial, 0, N_RECOVERY_PATIENTS, 1, block), CART_OK);
  cart_solver *solver = cart_solver_new(&recovery_model, NULL);
  ck_assert_int_eq(cart_solver_set_tolerances(solver, RTOL, NULL), CART_OK);
  ck_assert_int_eq(cart_solver_set_max_steps(solver, 1000000), CART_OK);
  cart_params *params = cart_params_new(&recovery_model, NULL);
  size_t n_times;
  const double *times = cart_trial_times(trial, &n_times);
  double states[2 * 21], endpoints[N_RECOVERY_ENDPOINTS];
  for (size_t k = 0; k < N_RECOVERY_PATIENTS; k++) {
    for (size_t i = 0; i < N_RECOVERY_PARAMS; i++) {
      cart_params_set_index(params, i, block->params[k * N_RECOVERY_PARAMS + i]);
    }
    ck_assert_int_eq(cart_solver_solve_endpoints(solver, params, cart_trial_dosing(trial), plan,
                                                 times, n_times, states, NULL, endpoints),
                     CART_OK);
    for (size_t e = 0; e < N_RECOVERY_ENDPOINTS; e++) {
      const double want = block->endpoints[k * N_RECOVERY_ENDPOINTS + e];
      ck_assert_msg(isnan(want) ? isnan(endpoints[e]) : endpoints[e] == want,
                    "patient %zu endpoint %zu: %.17g alone, %.17g in the trial", k, e,
                    endpoints[e], want);
    }
  }
  cart_params_free(params);
  cart_solver_free(solver);
  cart_trial_block_free(block);
  cart_endpoint_plan_free(plan);
  cart_trial_free(trial);
}
END_TEST

/* Names the trial does not know and values outside a setting's bounds are refused, naming the
 * setting (and the model's settings); the value is kept as it was. */
START_TEST(test_level_errors)
{
  cart_trial *trial = recovery_trial();
  ck_assert_int_eq(cart_trial_set_endpoint_setting(trial, "f_hlaf", 0.3), CART_EUNKNOWN_PARAM);
  const char *message = cart_trial_last_error(trial)->message;
  ck_assert_msg(strstr(message, "'f_hlaf'") && strstr(message, "'recovery'") &&
                    strstr(message, "n_detect") && strstr(message, "f_half, f_fall, f_return"),
                "%s", message);
  ck_assert_int_eq(cart_trial_set_endpoint_setting(trial, "f_half", 1.5), CART_ERANGE);
  message = cart_trial_last_error(trial)->message;
  ck_assert_msg(strstr(message, "f_half") && strstr(message, "(0, 1]"), "%s", message);
  ck_assert_int_eq(cart_trial_set_endpoint_setting(trial, "f_half", NAN), CART_ERANGE);
  ck_assert_int_eq(cart_trial_set_endpoint_setting(trial, "f_aplasia", 0), CART_ERANGE);
  double value;
  ck_assert_int_eq(cart_trial_endpoint_setting(trial, "f_half", &value), CART_OK);
  ck_assert_double_eq(value, 0.5);
  ck_assert_int_eq(cart_trial_endpoint_setting(trial, "f_hlaf", &value), CART_EUNKNOWN_PARAM);
  cart_trial_free(trial);
  /* cart has no settings of its own: the trial-wide names only */
  cart_trial *cart = cart_trial_new(cart_model_find("cart", NULL), NULL);
  ck_assert_int_eq(cart_trial_set_endpoint_setting(cart, "f_half", 0.3), CART_EUNKNOWN_PARAM);
  ck_assert_ptr_nonnull(strstr(cart_trial_last_error(cart)->message, "auc_end)"));
  cart_trial_free(cart);
}
END_TEST

/* A row whose level scales by a parameter the model lacks, or that gives a reducer too few
 * levels, or describes a trial-wide setting anew, or two descriptions of one setting, or more
 * endpoints than the tracker follows: cart_trial_new refuses the model, naming what is wrong. */
START_TEST(test_bad_level_tables)
{
  static const cartp_endpoint bad_param[] = {
      {{"low", "day", 0, "below"}, CARTP_REDUCE_TIME_BELOW, CARTP_SLOT(CART_ROLE_B), 0,
       {CARTP_TRIAL_LEVEL_TIMES("f_aplasia", "B00")}}};
  static const cartp_endpoint too_few[] = {
      {{"back", "day", 0, "return"}, CARTP_REDUCE_RECOVERY_DAY, CARTP_SLOT(CART_ROLE_B), 0,
       {{F_FALL, CART_LEVEL_PARAM, "B0"}}}};
  static const cartp_endpoint redescribed[] = {
      {{"low", "day", 0, "below"}, CARTP_REDUCE_TIME_BELOW, CARTP_SLOT(CART_ROLE_B), 0,
       {{{"f_aplasia", "1", 0.3, 0, 1, 1, 0, "again"}, CART_LEVEL_PARAM, "B0"}}}};
  static const cartp_endpoint two_defaults[] = {
      {{"low", "day", 0, "below"}, CARTP_REDUCE_TIME_BELOW, CARTP_SLOT(CART_ROLE_B), 0,
       {{F_HALF, CART_LEVEL_INITIAL, NULL}}},
      {{"lower", "day", 0, "below"}, CARTP_REDUCE_TIME_BELOW, CARTP_SLOT(CART_ROLE_B), 0,
       {{{"f_half", "1", 0.25, 0, 1, 1, 0, "another default"}, CART_LEVEL_INITIAL, NULL}}}};
  const struct {
    const cartp_endpoint *rows;
    size_t n;
    const char *said;
  } cases[] = {{bad_param, 1, "'B00'"}, {too_few, 1, "2 levels"},
               {redescribed, 1, "trial-wide"}, {two_defaults, 2, "f_half"}};
  static cartp_endpoint too_many[CARTP_MAX_ENDPOINTS + 1];
  for (size_t i = 0; i <= CARTP_MAX_ENDPOINTS; i++) {
    too_many[i] = recovery_endpoints[E_AT_180];
  }
  cart_model many = recovery_model;
  many.endpoints = too_many;
  many.n_endpoints = CARTP_MAX_ENDPOINTS + 1;
  cart_error err;
  ck_assert_ptr_null(cart_trial_new(&many, &err));
  ck_assert_msg(err.code == CART_EINVAL && strstr(err.message, "more than 32"), "%s", err.message);
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    cart_model model = recovery_model;
    model.endpoints = cases[c].rows;
    model.n_endpoints = cases[c].n;
    ck_assert_ptr_null(cart_trial_new(&model, &err));
    ck_assert_int_eq(err.code, CART_EINVAL);
    ck_assert_msg(strstr(err.message, cases[c].said) != NULL, "%s", err.message);
  }
}
END_TEST

/* The scenario finder of the tests: the registry and the recovery model. */
static const cart_model *find_with_recovery(const char *name, cart_error *err)
{
  return strcmp(name, "recovery") == 0 ? &recovery_model : cart_model_find(name, err);
}

/* The model's own settings from a scenario's [endpoints], beside a trial-wide one; an unknown
 * key is named with the line and the model's settings; a value outside the bounds too. */
START_TEST(test_levels_from_a_scenario)
{
  static const char *const text = "[trial]\n"
                                  "model = recovery\n"
                                  "n_patients = 6\n"
                                  "seed = 11\n"
                                  "[times]\n"
                                  "horizon = 200\n"
                                  "step = 10\n"
                                  "[solver]\n"
                                  "rtol = 1e-9\n"
                                  "[variability]\n"
                                  "depth = 0.01\n"
                                  "k = 0.2\n"
                                  "[endpoints]\n"
                                  "f_half = 0.35\n"
                                  "f_aplasia = 0.12\n"
                                  "f_return = 0.97\n";
  cart_error err;
  cart_trial *trial = cartp_trial_new_from_scenario_with(text, "levels.ini", find_with_recovery,
                                                         &err);
  ck_assert_msg(trial != NULL, "%s", err.message);
  double value;
  ck_assert_int_eq(cart_trial_endpoint_setting(trial, "f_half", &value), CART_OK);
  ck_assert_double_eq(value, 0.35);
  ck_assert_int_eq(cart_trial_endpoint_setting(trial, "f_return", &value), CART_OK);
  ck_assert_double_eq(value, 0.97);
  ck_assert_int_eq(cart_trial_endpoint_setting(trial, "f_fall", &value), CART_OK);
  ck_assert_double_eq(value, 0.2); /* the row's default */
  ck_assert_double_eq(cart_trial_endpoint_settings(trial)->f_aplasia, 0.12);
  check_recovery(trial);
  cart_trial_free(trial);

  static const struct {
    const char *text;
    int code;
    const char *said;
  } bad[] = {
      {"[trial]\nmodel = recovery\n[endpoints]\nf_fall = 0.2\nf_retrun = 0.9\n",
       CART_EUNKNOWN_PARAM,
       "levels.ini:5: [endpoints] f_retrun: model 'recovery' has no endpoint setting 'f_retrun' "
       "(settings: n_detect, t_resp, f_aplasia, crs_g1, crs_g2, crs_g3, crs_g4, auc_end, f_half, "
       "f_fall, f_return)"},
      {"[trial]\nmodel = recovery\n[endpoints]\nf_fall = 2\n", CART_ERANGE,
       "levels.ini:4: [endpoints] f_fall: endpoint setting f_fall: 2 is outside (0, 1]"},
      {"[trial]\nmodel = recovery\n[endpoints]\nf_fall = abc\n", CART_EPARSE, "levels.ini:4:"},
      {"[trial]\nmodel = recovery\n[endpoints]\nf_fall = 0.3\nf_fall = 0.4\n", CART_EPARSE,
       "given twice"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ck_assert_ptr_null(
        cartp_trial_new_from_scenario_with(bad[i].text, "levels.ini", find_with_recovery, &err));
    ck_assert_int_eq(err.code, bad[i].code);
    ck_assert_msg(strstr(err.message, bad[i].said) != NULL, "%s", err.message);
  }
}
END_TEST

/* cart's aplasia_days reads f_aplasia * B0 however f_aplasia is set: through the settings struct
 * or by name, bit for bit. */
START_TEST(test_cart_levels_by_either_route)
{
  cart_trial *trials[2] = {test_trial_new(16), test_trial_new(16)};
  cart_trial_edit_endpoint_settings(trials[0])->f_aplasia = 0.3;
  ck_assert_int_eq(cart_trial_set_endpoint_setting(trials[1], "f_aplasia", 0.3), CART_OK);
  cart_trial_block *blocks[2];
  for (int i = 0; i < 2; i++) {
    blocks[i] = cart_trial_block_new(trials[i], 16, NULL);
    ck_assert_int_eq(test_run_block(trials[i], 0, 16, 1, blocks[i]), CART_OK);
  }
  ck_assert_mem_eq(blocks[0]->endpoints, blocks[1]->endpoints,
                   16 * CART_N_ENDPOINTS * sizeof(double));
  int aplastic = 0;
  for (size_t k = 0; k < 16; k++) {
    aplastic += blocks[0]->endpoints[k * CART_N_ENDPOINTS + CART_ENDPOINT_APLASIA_DAYS] > 0;
  }
  ck_assert_int_gt(aplastic, 0);
  for (int i = 0; i < 2; i++) {
    cart_trial_block_free(blocks[i]);
    cart_trial_free(trials[i]);
  }
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("endpoints");
  TCase *tc = tcase_create("model endpoints");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_trial_computes_the_models_endpoints);
  tcase_add_test(tc, test_file_holds_the_models_endpoints);
  tcase_add_test(tc, test_levels_of_the_rows);
  tcase_add_test(tc, test_levels_set_by_name);
  tcase_add_test(tc, test_level_errors);
  tcase_add_test(tc, test_bad_level_tables);
  tcase_add_test(tc, test_levels_from_a_scenario);
  tcase_add_test(tc, test_cart_levels_by_either_route);
  tcase_add_test(tc, test_own_levels_of_one_solve);
  suite_add_tcase(suite, tc);
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  const int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
