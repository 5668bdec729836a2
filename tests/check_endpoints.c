/* check_endpoints.c: a model's own endpoint table (model_impl.h) is what a trial computes and a
 * trial file holds: a test model with endpoints unlike the oncology list ("return", a B-cell
 * pool refilling after depletion, the shape of a lupus model's endpoints) gets exactly its
 * endpoints, with their analytic values, in its blocks and in /endpoints. */
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

/* The file's /endpoints holds exactly the model's endpoints, with their units and the block's
 * values; the summary reads NaN where the model has no oncology endpoint. */
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
  cart_h5_file *h5 = cart_h5_create(path, trial, NULL, 0, N_PATIENTS, &err);
  ck_assert_msg(h5 != NULL, "%s", err.message);
  ck_assert_int_eq(cart_h5_write_block(h5, block), CART_OK);
  cart_trial_summary summary;
  ck_assert_int_eq(cart_h5_summarize(h5, &summary), CART_OK);
  ck_assert_uint_eq(summary.n_solved, N_PATIENTS);
  ck_assert(isnan(summary.cmax_p50) && isnan(summary.aplasia_days_p50));
  ck_assert_double_eq(summary.cr_rate, 0);
  ck_assert_int_eq(cart_h5_finish(h5, &summary), CART_OK);
  ck_assert_int_eq(cart_h5_close(h5), CART_OK);

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
  H5Fclose(file);
  cart_trial_block_free(block);
  cart_trial_free(trial);
  ck_assert_int_eq(unlink(path), 0);
  ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("endpoints");
  TCase *tc = tcase_create("model endpoints");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_trial_computes_the_models_endpoints);
  tcase_add_test(tc, test_file_holds_the_models_endpoints);
  suite_add_tcase(suite, tc);
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  const int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
