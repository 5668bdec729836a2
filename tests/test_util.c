/* test_util.c: helpers shared by the Check suites. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/trial/trial_impl.h"
#include "test_util.h"

const char *test_shared_dir(void)
{
  const char *dir = getenv("CART_SHARED_DIR");
  ck_assert_msg(dir != NULL && *dir != '\0',
                "CART_SHARED_DIR is not set: point it (or configure --with-shared) at the "
                "project's shared/ directory holding anchors/reference/");
  char path[4096];
  snprintf(path, sizeof path, "%s/anchors/reference/README.md", dir);
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL,
                "shared data missing: %s not found (set CART_SHARED_DIR or configure "
                "--with-shared=DIR)",
                path);
  fclose(f);
  return dir;
}

test_csv *test_csv_read(const char *path)
{
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    fprintf(stderr, "cannot open %s\n", path);
    return NULL;
  }
  test_csv *csv = calloc(1, sizeof *csv);
  size_t capacity = 0;
  char *line = NULL;
  size_t line_size = 0;
  while (getline(&line, &line_size, f) > 0) {
    if (line[0] == '#' || line[0] == '\n') {
      continue;
    }
    line[strcspn(line, "\r\n")] = '\0';
    if (csv->names == NULL) {
      size_t n = 1;
      for (const char *c = line; *c; c++) {
        n += *c == ',';
      }
      csv->n_cols = n;
      csv->names = calloc(n, sizeof *csv->names);
      size_t k = 0;
      for (char *save = NULL, *tok = strtok_r(line, ",", &save); tok;
           tok = strtok_r(NULL, ",", &save)) {
        csv->names[k++] = strdup(tok);
      }
      continue;
    }
    if (csv->n_rows == capacity) {
      capacity = capacity ? 2 * capacity : 256;
      csv->data = realloc(csv->data, capacity * csv->n_cols * sizeof *csv->data);
    }
    size_t k = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, ",", &save); tok && k < csv->n_cols;
         tok = strtok_r(NULL, ",", &save)) {
      csv->data[csv->n_rows * csv->n_cols + k++] = strtod(tok, NULL);
    }
    if (k != csv->n_cols) {
      fprintf(stderr, "%s: row %zu has %zu columns, expected %zu\n", path, csv->n_rows, k,
              csv->n_cols);
      free(line);
      fclose(f);
      test_csv_free(csv);
      return NULL;
    }
    csv->n_rows++;
  }
  free(line);
  fclose(f);
  return csv;
}

void test_csv_free(test_csv *csv)
{
  if (csv == NULL) {
    return;
  }
  for (size_t i = 0; i < csv->n_cols && csv->names; i++) {
    free(csv->names[i]);
  }
  free(csv->names);
  free(csv->data);
  free(csv);
}

int test_csv_column(const test_csv *csv, const char *name)
{
  for (size_t i = 0; i < csv->n_cols; i++) {
    if (strcmp(csv->names[i], name) == 0) {
      return (int)i;
    }
  }
  return -1;
}

double test_rel_diff(double a, double b)
{
  return b == 0.0 ? fabs(a - b) : fabs(a - b) / fabs(b);
}

cart_params *test_params(const char *model_name, const char *const *settings, size_t n_settings)
{
  cart_error err;
  const cart_model *model = cart_model_find(model_name, &err);
  ck_assert_msg(model != NULL, "%s", err.message);
  cart_params *params = cart_params_new(model, &err);
  ck_assert_ptr_nonnull(params);
  for (size_t i = 0; i < n_settings; i++) {
    char name[64];
    const char *eq = strchr(settings[i], '=');
    ck_assert_ptr_nonnull(eq);
    snprintf(name, sizeof name, "%.*s", (int)(eq - settings[i]), settings[i]);
    const int status = cart_params_set(params, name, strtod(eq + 1, NULL));
    ck_assert_msg(status == CART_OK, "%s", cart_params_last_error(params)->message);
  }
  return params;
}

void test_solve_and_free(cart_solver *solver, cart_params *params, const cart_dosing *dosing,
                         const double *times, size_t n_times, double *states, double *outputs)
{
  cart_error err;
  ck_assert_msg(cart_params_check(params, &err) == CART_OK, "%s", err.message);
  const int status = cart_solver_solve(solver, params, dosing, times, n_times, states, outputs);
  ck_assert_msg(status == CART_OK, "%s: %s", cart_model_name(cart_params_model(params)),
                cart_solver_last_error(solver)->message);
  cart_solver_free(solver);
  cart_params_free(params);
}

int test_run(Suite *suite)
{
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  const int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

cart_trial *test_trial_new(size_t n_patients)
{
  cart_error err;
  cart_trial *trial = cart_trial_new(cart_model_find("cart", NULL), &err);
  ck_assert_msg(trial != NULL, "%s", err.message);
  ck_assert_int_eq(cart_trial_set_n_patients(trial, n_patients), CART_OK);
  cart_trial_set_seed(trial, 7);
  static const char *const varied[] = {"rho", "gamma", "delta_E", "T0"};
  for (size_t i = 0; i < 4; i++) {
    ck_assert_int_eq(cart_population_set_cv(cart_trial_edit_population(trial), varied[i], 0.3), CART_OK);
  }
  return trial;
}

int test_run_block(cart_trial *trial, size_t first, size_t count, int n_threads,
                   cart_trial_block *block)
{
  int status = cart_trial_prepare(trial);
  if (status != CART_OK) {
    return status;
  }
  cart_error err;
  cart_trial_workspace *workspace = cart_trial_workspace_new(trial, n_threads, &err);
  ck_assert_msg(workspace != NULL, "%s", err.message);
  status = cart_trial_run_block(trial, workspace, first, count, block);
  cart_trial_workspace_free(workspace);
  return status;
}

cart_trial_block *test_lanes_against_one_by_one(cart_trial *trial, size_t n, const char *what)
{
  ck_assert_int_eq(cart_trial_set_n_patients(trial, n), CART_OK);
  cart_trial_block *one = cart_trial_block_new(trial, n, NULL);
  cart_trial_block *many = cart_trial_block_new(trial, n, NULL);
  ck_assert(one != NULL && many != NULL);
  ck_assert_int_eq(cartp_trial_set_lanes(trial, 1), CART_OK);
  ck_assert_int_eq(test_run_block(trial, 0, n, 1, one), CART_OK);
  static const size_t lane_counts[] = {7, 0}; /* a partial group of lanes, the default */
  for (size_t c = 0; c < 2; c++) {
    ck_assert_int_eq(cartp_trial_set_lanes(trial, lane_counts[c]), CART_OK);
    ck_assert_int_eq(test_run_block(trial, 0, n, 1, many), CART_OK);
    const size_t ne = one->n_endpoints, nt = one->n_times;
    ck_assert_msg(memcmp(one->endpoints, many->endpoints, n * ne * sizeof(double)) == 0,
                  "%s: endpoints differ in %zu lanes", what, lane_counts[c]);
    ck_assert_int_eq(memcmp(one->status, many->status, n * sizeof(int)), 0);
    for (size_t o = 0; o < one->n_outputs; o++) {
      ck_assert_msg(memcmp(one->trajectories + o * one->capacity * nt,
                           many->trajectories + o * many->capacity * nt,
                           n * nt * sizeof(float)) == 0,
                    "%s: trajectory %zu differs in %zu lanes", what, o, lane_counts[c]);
    }
    ck_assert_int_eq(
        memcmp(one->toci_times, many->toci_times, n * one->max_toci * sizeof(double)), 0);
  }
  cart_trial_block_free(many);
  return one;
}

int test_compare_doubles(const void *a, const void *b)
{
  const double x = *(const double *)a, y = *(const double *)b;
  if (isnan(x) || isnan(y)) {
    return isnan(x) - isnan(y);
  }
  return (x > y) - (x < y);
}

double test_sorted_percentile(const double *values, size_t n, double q)
{
  double *sorted = malloc((n ? n : 1) * sizeof *sorted);
  ck_assert_ptr_nonnull(sorted);
  memcpy(sorted, values, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, test_compare_doubles);
  size_t m = n;
  while (m > 0 && isnan(sorted[m - 1])) {
    m--;
  }
  double result = NAN;
  if (m > 0) {
    const double position = q / 100.0 * (double)(m - 1);
    const size_t below = (size_t)floor(position);
    const size_t above = below + 1 < m ? below + 1 : below;
    const double fraction = position - (double)below;
    result = sorted[below] + fraction * (sorted[above] - sorted[below]);
  }
  free(sorted);
  return result;
}

void test_expect_arms_error(const char *text, int code, const char *wanted)
{
  cart_error err;
  cart_arms *arms = cart_arms_new_from_scenario(text, "s.ini", &err);
  ck_assert_ptr_null(arms);
  ck_assert_msg(err.code == code, "code %d (%s), wanted %d", err.code, err.message, code);
  ck_assert_msg(strstr(err.message, wanted) != NULL, "'%s' lacks '%s'", err.message, wanted);
}

/* Reads $CART_SRCDIR/examples/<name> (CART_SRCDIR unset: "."); the caller frees. */
char *test_read_example(const char *name)
{
  const char *dir = getenv("CART_SRCDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/examples/%s", dir && *dir ? dir : ".", name);
  FILE *file = fopen(path, "rb");
  ck_assert_msg(file != NULL, "cannot open %s (set CART_SRCDIR to the source directory)", path);
  ck_assert_int_eq(fseek(file, 0, SEEK_END), 0);
  const long size = ftell(file);
  ck_assert_int_ge(size, 0);
  rewind(file);
  char *text = malloc((size_t)size + 1);
  ck_assert_ptr_nonnull(text);
  ck_assert_uint_eq(fread(text, 1, (size_t)size, file), (size_t)size);
  text[size] = '\0';
  fclose(file);
  return text;
}
