/* check_arms.c: trials of several arms on the same virtual patients (cart_arms.h): [arm NAME]
 * sections of a scenario and their errors, the file of the arms (one group per arm) read back
 * with the HDF5 C API, common random numbers, each arm's results against the same trial run
 * alone, and the same bits for any number of threads. */
#include <check.h>
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cart/cart.h>

#include "test_util.h"

/* The base: 24 patients that vary in the parameters below, a small time grid. */
#define BASE                                                                                  \
  "[trial]\nmodel = cart\nn_patients = 24\nseed = 99\n"                                       \
  "[times]\nlist = 0, 7, 14, 28, 56, 90\n"                                                    \
  "[variability]\nrho = 0.3\ngamma = 0.3\nT0 = 0.5\nWT = 0.2\n"                               \
  "[tocilizumab]\nrule = on\n"
/* Two dose levels: the arms change the weight-based dose only. */
#define ARMS                                                                                  \
  "[arm low]\nlabel = 1e6 cells/kg\ndosing.dose_per_kg = 1e6\n"                               \
  "[arm high]\nlabel = 4e6 cells/kg\ndosing.dose_per_kg = 4e6\n"

static char dir[] = "/tmp/check_arms_XXXXXX";

static void path_in(char *out, size_t size, const char *name)
{
  snprintf(out, size, "%s/%s", dir, name);
}

static cart_arms *arms_from(const char *text)
{
  cart_error err;
  cart_arms *arms = cart_arms_new_from_scenario(text, "s.ini", &err);
  ck_assert_msg(arms != NULL, "%s", err.message);
  return arms;
}

/* Column `name` of /PREFIX/params. */
static double *read_param(hid_t file, const char *prefix, const char *name, size_t n)
{
  char path[128];
  snprintf(path, sizeof path, "%s/params", prefix);
  hid_t set = H5Dopen2(file, path, H5P_DEFAULT);
  ck_assert_int_ge(set, 0);
  hid_t space = H5Dget_space(set);
  hsize_t dims[2];
  H5Sget_simple_extent_dims(space, dims, NULL);
  ck_assert_uint_eq(dims[0], n);
  double *all = malloc(dims[0] * dims[1] * sizeof *all);
  ck_assert_int_ge(H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, all), 0);
  const int column = cart_model_param_index(cart_model_find("cart", NULL), name);
  ck_assert_int_ge(column, 0);
  double *values = malloc(n * sizeof *values);
  for (size_t i = 0; i < n; i++) {
    values[i] = all[i * dims[1] + (size_t)column];
  }
  free(all);
  H5Sclose(space);
  H5Dclose(set);
  return values;
}

/* The whole dataset `path` as bytes (its memory type is the file's native one). */
static void *read_bytes(hid_t file, const char *path, size_t *size)
{
  hid_t set = H5Dopen2(file, path, H5P_DEFAULT);
  ck_assert_msg(set >= 0, "no dataset %s", path);
  hid_t type = H5Dget_type(set);
  hid_t native = H5Tget_native_type(type, H5T_DIR_DEFAULT);
  hid_t space = H5Dget_space(set);
  *size = (size_t)H5Sget_simple_extent_npoints(space) * H5Tget_size(native);
  void *data = malloc(*size ? *size : 1);
  ck_assert_int_ge(H5Dread(set, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), 0);
  H5Sclose(space);
  H5Tclose(native);
  H5Tclose(type);
  H5Dclose(set);
  return data;
}

static void expect_same_dataset(hid_t a, const char *path_a, hid_t b, const char *path_b)
{
  size_t size_a, size_b;
  void *x = read_bytes(a, path_a, &size_a);
  void *y = read_bytes(b, path_b, &size_b);
  ck_assert_uint_eq(size_a, size_b);
  ck_assert_msg(memcmp(x, y, size_a) == 0, "%s and %s differ", path_a, path_b);
  free(x);
  free(y);
}

/* The typical value of parameter `name` in arm i (through the edit view: the trial is
 * unprepared after). */
static double typical_value(cart_arms *arms, size_t i, const char *name)
{
  double value = NAN;
  const cart_params *typical =
      cart_population_typical(cart_trial_edit_population(cart_arms_trial(arms, i)));
  ck_assert_int_eq(cart_params_get(typical, name, &value), CART_OK);
  return value;
}

static double median(double *values, size_t n)
{
  qsort(values, n, sizeof *values, test_compare_doubles);
  return test_sorted_percentile(values, n, 50);
}

START_TEST(test_scenario_arms)
{
  cart_arms *arms = arms_from(BASE ARMS
                              "[arm high]\nparameters.rho = 0.6\n"
                              "tocilizumab.max_doses = 2\n");
  ck_assert_uint_eq(cart_arms_count(arms), 2);
  ck_assert_str_eq(cart_arms_name(arms, 0), "low");
  ck_assert_str_eq(cart_arms_name(arms, 1), "high");
  ck_assert_str_eq(cart_arms_label(arms, 1), "4e6 cells/kg");
  ck_assert_int_eq(cart_arms_index(arms, "high"), 1);
  ck_assert_int_eq(cart_arms_index(arms, "none"), -1);
  const cart_trial *low = cart_arms_trial_const(arms, 0);
  const cart_trial *high = cart_arms_trial_const(arms, 1);
  ck_assert_double_eq(cart_trial_dose_per_kg(low, NULL), 1e6);
  ck_assert_double_eq(cart_trial_dose_per_kg(high, NULL), 4e6);
  ck_assert_uint_eq(cart_trial_max_toci_doses(high), 2);
  ck_assert_uint_eq(cart_trial_max_toci_doses(low), 4);
  ck_assert_uint_eq(cart_trial_seed(low), 99);
  ck_assert_uint_eq(cart_trial_n_patients(high), 24);
  /* the repeated [arm high] section goes on with the same arm; low keeps the model's rho */
  cart_param_info rho;
  const cart_model *model = cart_trial_model(low);
  cart_model_param_info(model, (size_t)cart_model_param_index(model, "rho"), &rho);
  ck_assert_double_eq(typical_value(arms, 1, "rho"), 0.6);
  ck_assert_double_eq(typical_value(arms, 0, "rho"), rho.default_value);
  cart_arms_free(arms);

  /* without [arm]: one unnamed arm, the trial cart_trial_new_from_scenario builds */
  arms = arms_from(BASE);
  ck_assert_uint_eq(cart_arms_count(arms), 1);
  ck_assert_ptr_null(cart_arms_name(arms, 0));
  ck_assert_str_eq(cart_arms_label(arms, 0), "");
  cart_arms_free(arms);

  /* a trial cannot hold arms: refused at the first [arm] header */
  cart_error err;
  ck_assert_ptr_null(cart_trial_new_from_scenario(BASE ARMS, "s.ini", &err));
  ck_assert_int_eq(err.code, CART_EINVAL);
  ck_assert_msg(strstr(err.message, "s.ini:14: [arm low]") != NULL, "%s", err.message);

  /* an arm's dose lines replace the base's; its parameters add to them */
  arms = arms_from(BASE "[dosing]\ntoci = 3:8\ntoci = 4:8\n[parameters]\nT0 = 2e11\n"
                        "[arm a]\n[arm b]\ndosing.toci = 5:8\nparameters.gamma = 30\n");
  ck_assert_uint_eq(cart_dosing_n_toci(cart_trial_dosing(cart_arms_trial_const(arms, 0))), 2);
  ck_assert_uint_eq(cart_dosing_n_toci(cart_trial_dosing(cart_arms_trial_const(arms, 1))), 1);
  ck_assert_double_eq(typical_value(arms, 1, "T0"), 2e11);
  ck_assert_double_eq(typical_value(arms, 1, "gamma"), 30);
  ck_assert_double_eq(typical_value(arms, 0, "T0"), 2e11);
  cart_arms_free(arms);
}
END_TEST

START_TEST(test_scenario_arm_errors)
{
  /* pass 1: the arm's line, "[arm NAME]" and the message of the base's key */
  test_expect_arms_error(BASE "[arm a]\ndosing.dose_per_kg = -1\n", CART_ERANGE,
               "s.ini:15: [arm a] [dosing] dose_per_kg: -1 must be > 0");
  { /* a source path longer than any fixed buffer: its location said once */
    char source[200];
    memset(source, 'd', sizeof source - 8);
    strcpy(source + sizeof source - 8, "/s.ini");
    source[0] = '/';
    cart_error err;
    ck_assert_ptr_null(cart_arms_new_from_scenario(BASE "[arm a]\ndosing.dose_per_kg = -1\n",
                                                   source, &err));
    ck_assert_ptr_nonnull(strstr(err.message, "s.ini:15: [arm a] [dosing] dose_per_kg: -1"));
    ck_assert_ptr_null(strstr(strstr(err.message, "[arm a]"), source));
  }
  test_expect_arms_error(BASE "[arm a]\ndosing.dose_per_kg = x\n", CART_EPARSE,
               "s.ini:15: [arm a] [dosing] dose_per_kg: 'x' is not a number");
  test_expect_arms_error(BASE "[arm a]\ntrial.seed = 3\n", CART_EPARSE,
               "s.ini:15: [arm a] unknown key 'trial.seed'");
  test_expect_arms_error(BASE "[arm a]\ndose = 3\n", CART_EPARSE,
                         "s.ini:15: [arm a] unknown key 'dose'");
  test_expect_arms_error(BASE "[arm a]\nlabel = x\nlabel = y\n", CART_EPARSE,
               "s.ini:16: [arm a] label: given twice (first at line 15)");
  test_expect_arms_error(BASE "[arm a]\nparameters.rho = 1\n[arm a]\nparameters.rho = 2\n",
                         CART_EPARSE,
               "s.ini:17: [arm a] [parameters] rho: given twice (first at line 15)");
  test_expect_arms_error(BASE "[arm]\n", CART_EPARSE, "s.ini:14: [arm] needs a name");
  test_expect_arms_error(BASE "[arms x]\n", CART_EPARSE, "s.ini:14: unknown section [arms x]");
  /* pass 2: a value the library refuses, at the arm's line */
  test_expect_arms_error(BASE "[arm a]\nparameters.rho = 11\n", CART_ERANGE,
               "s.ini:15: [arm a] [parameters] parameter 'rho' of model 'cart': 11 is outside");
  test_expect_arms_error(BASE "[arm a]\nparameters.nonesuch = 1\n", CART_EUNKNOWN_PARAM,
               "s.ini:15: [arm a] [parameters]");
  test_expect_arms_error(BASE "[arm a]\ntocilizumab.trigger = -5\n", CART_EDOSE,
               "s.ini:15: [arm a] [tocilizumab] trigger = -5");
  /* a base line that only the arm's keys bring out: the base's line, the arm named after */
  test_expect_arms_error(BASE "[dosing]\ncart = 0:1e8\n[arm a]\nparameters.dose = 2e8\n",
                         CART_EDOSE,
               "(in arm 'a')");
  /* names cart_arms_add refuses, at the arm's header */
  test_expect_arms_error(BASE "[arm a/b]\n", CART_EINVAL,
                         "s.ini:14: [arm a/b] cart_arms_add: arm name");
}
END_TEST

START_TEST(test_arms_add)
{
  cart_error err;
  cart_arms *arms = cart_arms_new(&err);
  ck_assert_ptr_nonnull(arms);
  cart_trial *a = test_trial_new(10), *b = test_trial_new(11), *c = test_trial_new(10);
  ck_assert_int_eq(cart_arms_add(arms, "a", NULL, a), CART_OK);
  ck_assert_int_eq(cart_arms_add(arms, "b", NULL, b), CART_EINVAL); /* 11 patients */
  ck_assert_msg(strstr(cart_arms_last_error(arms)->message, "number of patients") != NULL, "%s",
                cart_arms_last_error(arms)->message);
  ck_assert_int_eq(cart_arms_add(arms, NULL, NULL, c), CART_EINVAL); /* unnamed with others */
  ck_assert_int_eq(cart_arms_add(arms, "a", NULL, c), CART_EINVAL);  /* twice */
  cart_trial_set_seed(c, 8);
  ck_assert_int_eq(cart_arms_add(arms, "c", NULL, c), CART_EINVAL); /* another seed */
  cart_trial_set_seed(c, 7);
  { /* another patients table of the same size, or another variability: other patients */
    cart_trial *d = test_trial_new(10);
    static const char *const wt[] = {"WT"};
    static const double w70[] = {70}, w80[] = {80};
    ck_assert_int_eq(cart_population_set_patients(cart_trial_edit_population(a), wt, 1, w70, 1),
                     CART_OK);
    ck_assert_int_eq(cart_population_set_patients(cart_trial_edit_population(d), wt, 1, w80, 1),
                     CART_OK);
    ck_assert_int_eq(cart_arms_add(arms, "d", NULL, d), CART_EINVAL);
    ck_assert_ptr_nonnull(strstr(cart_arms_last_error(arms)->message, "patients table"));
    ck_assert_int_eq(cart_population_set_patients(cart_trial_edit_population(d), wt, 1, w70, 1),
                     CART_OK);
    ck_assert_int_eq(cart_population_set_cv(cart_trial_edit_population(d), "rho", 0.5), CART_OK);
    ck_assert_int_eq(cart_arms_add(arms, "d", NULL, d), CART_EINVAL);
    ck_assert_ptr_nonnull(strstr(cart_arms_last_error(arms)->message, "variability"));
    cart_trial_free(d);
    ck_assert_int_eq(cart_population_set_patients(cart_trial_edit_population(c), wt, 1, w70, 1),
                     CART_OK);
  }
  ck_assert_int_eq(cart_arms_add(arms, "c", "", c), CART_OK);
  /* a change after adding is caught before a run */
  cart_trial_set_seed(c, 8);
  ck_assert_int_eq(cart_arms_prepare(arms), CART_EINVAL);
  cart_arms_set_seed(arms, 8);
  ck_assert_int_eq(cart_arms_prepare(arms), CART_OK);
  cart_trial_free(b);
  cart_arms_free(arms);
  cart_arms_free(NULL);
}
END_TEST

/* The arms' file: a group per arm with the datasets of a trial, the same patients in every arm
 * (the parameters differ only in the dose), a higher dose giving a higher median cmax (read from
 * the file, computed here), every arm's summary bit for bit that of the same arm run alone, and
 * the same file for 1, 2 and 4 threads. */
START_TEST(test_arms_file)
{
  cart_arms *arms = arms_from(BASE ARMS);
  cart_trial_summary summaries[2];
  char path[256];
  path_in(path, sizeof path, "arms.h5");
  cart_trial_run_options options;
  cart_trial_run_options_default(&options);
  options.block_size = 5; /* blocks that do not divide N */
  options.n_threads = 1;
  cart_error err;
  ck_assert_msg(cart_arms_run_file(arms, path, &options, summaries, &err) == CART_OK, "%s",
                err.message);

  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  ck_assert_int_ge(file, 0);
  ck_assert_int_gt(H5Lexists(file, "arms/low/endpoints/cmax", H5P_DEFAULT), 0);
  ck_assert_int_gt(H5Lexists(file, "arms/high/summary", H5P_DEFAULT), 0);
  ck_assert_int_gt(H5Lexists(file, "time", H5P_DEFAULT), 0);
  ck_assert_int_eq(H5Lexists(file, "params", H5P_DEFAULT), 0);
  /* common random numbers: every parameter but the dose is the same in both arms */
  const cart_model *model = cart_model_find("cart", NULL);
  for (size_t i = 0; i < cart_model_n_params(model); i++) {
    cart_param_info info;
    cart_model_param_info(model, i, &info);
    double *low = read_param(file, "arms/low", info.name, 24);
    double *high = read_param(file, "arms/high", info.name, 24);
    const int same = memcmp(low, high, 24 * sizeof *low) == 0;
    if (strcmp(info.name, "dose") == 0) {
      double *wt = read_param(file, "arms/low", "WT", 24);
      for (size_t k = 0; k < 24; k++) {
        ck_assert_double_eq_tol(low[k], 1e6 * wt[k], 1e-6 * low[k]);
        ck_assert_double_eq_tol(high[k], 4e6 * wt[k], 1e-6 * high[k]);
      }
      free(wt);
    } else {
      ck_assert_msg(same, "parameter %s differs between the arms", info.name);
    }
    free(low);
    free(high);
  }
  /* the dose matters: the median cmax, from the file's column, is higher at the higher dose */
  size_t size;
  double *cmax_low = read_bytes(file, "arms/low/endpoints/cmax", &size);
  double *cmax_high = read_bytes(file, "arms/high/endpoints/cmax", &size);
  const double low_median = median(cmax_low, 24), high_median = median(cmax_high, 24);
  ck_assert_msg(high_median > low_median, "median cmax %g (high) vs %g (low)", high_median,
                low_median);
  ck_assert_double_eq(summaries[0].cmax_p50, low_median);
  ck_assert_double_eq(summaries[1].cmax_p50, high_median);
  free(cmax_low);
  free(cmax_high);

  /* each arm alone, as a plain scenario with the arm's dose in [dosing]: the same datasets and
   * summary, bit for bit */
  const char *alone_text[2] = {BASE "[dosing]\ndose_per_kg = 1e6\n",
                               BASE "[dosing]\ndose_per_kg = 4e6\n"};
  const char *prefix[2] = {"arms/low", "arms/high"};
  for (int a = 0; a < 2; a++) {
    cart_trial *alone = cart_trial_new_from_scenario(alone_text[a], "alone.ini", &err);
    ck_assert_ptr_nonnull(alone);
    char alone_path[256];
    path_in(alone_path, sizeof alone_path, a ? "high.h5" : "low.h5");
    cart_trial_summary summary;
    options.block_size = 7;
    ck_assert_int_eq(cart_trial_run_file(alone, alone_path, &options, &summary, &err), CART_OK);
    ck_assert_msg(memcmp(&summary, &summaries[a], sizeof summary) == 0,
                  "arm %s: summary differs from the arm run alone", prefix[a]);
    hid_t single = H5Fopen(alone_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    const char *sets[] = {"params", "status", "endpoints/cmax", "endpoints/response",
                          "endpoints/toci_doses", "trajectories/Cblood", "events/toci_times"};
    for (size_t d = 0; d < sizeof sets / sizeof *sets; d++) {
      char in_arm[128];
      snprintf(in_arm, sizeof in_arm, "%s/%s", prefix[a], sets[d]);
      expect_same_dataset(file, in_arm, single, sets[d]);
    }
    H5Fclose(single);
    cart_trial_free(alone);
  }

  /* 2 and 4 threads, other blocks: the same bits */
  for (int threads = 2; threads <= 4; threads *= 2) {
    char other[256];
    path_in(other, sizeof other, threads == 2 ? "t2.h5" : "t4.h5");
    cart_trial_summary again[2];
    options.n_threads = threads;
    options.block_size = (size_t)threads + 1;
    ck_assert_int_eq(cart_arms_run_file(arms, other, &options, again, &err), CART_OK);
    ck_assert(memcmp(again, summaries, sizeof again) == 0);
    hid_t f = H5Fopen(other, H5F_ACC_RDONLY, H5P_DEFAULT);
    const char *sets[] = {"arms/low/params", "arms/high/params", "arms/low/endpoints/cmax",
                          "arms/high/endpoints/crs_grade", "arms/high/trajectories/IL6s",
                          "arms/low/status"};
    for (size_t d = 0; d < sizeof sets / sizeof *sets; d++) {
      expect_same_dataset(file, sets[d], f, sets[d]);
    }
    H5Fclose(f);
  }
  H5Fclose(file);
  cart_arms_free(arms);
}
END_TEST

/* A stop asked for by the progress callback leaves the file incomplete, and the progress counts
 * the patients of both arms. */
static int stop_at(size_t done, size_t total, void *data)
{
  size_t *seen = data;
  ck_assert_uint_eq(total, 48);
  seen[0] = done;
  return done >= seen[1];
}

START_TEST(test_arms_progress_and_stop)
{
  cart_arms *arms = arms_from(BASE ARMS);
  char path[256];
  path_in(path, sizeof path, "stop.h5");
  size_t seen[2] = {0, 24}; /* stop at the end of the first arm: before the second */
  cart_trial_run_options options;
  cart_trial_run_options_default(&options);
  options.block_size = 8;
  options.progress = stop_at;
  options.progress_data = seen;
  cart_error err;
  ck_assert_int_eq(cart_arms_run_file(arms, path, &options, NULL, &err), CART_ESTOPPED);
  ck_assert_uint_eq(seen[0], 24);
  ck_assert_msg(strstr(err.message, "stopped after 1 of 2 arms") != NULL, "%s", err.message);
  seen[1] = 48; /* to the end */
  options.force = 1;
  ck_assert_int_eq(cart_arms_run_file(arms, path, &options, NULL, &err), CART_OK);
  ck_assert_uint_eq(seen[0], 48);
  cart_arms_free(arms);
}
END_TEST

static void remove_files(void)
{
  const char *names[] = {"arms.h5", "low.h5", "high.h5", "t2.h5", "t4.h5", "stop.h5"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    char path[256];
    path_in(path, sizeof path, names[i]);
    unlink(path);
  }
  rmdir(dir);
}

int main(void)
{
  if (mkdtemp(dir) == NULL) {
    perror("check_arms: mkdtemp");
    return EXIT_FAILURE;
  }
  Suite *suite = suite_create("arms");
  TCase *tc = tcase_create("arms");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_scenario_arms);
  tcase_add_test(tc, test_scenario_arm_errors);
  tcase_add_test(tc, test_arms_add);
  tcase_add_test(tc, test_arms_file);
  tcase_add_test(tc, test_arms_progress_and_stop);
  suite_add_tcase(suite, tc);
  const int status = test_run(suite);
  remove_files();
  return status;
}
