/* test_util.h: helpers shared by the Check suites. */
#ifndef CART_TEST_UTIL_H
#define CART_TEST_UTIL_H

#include <stddef.h>

#include <cart/cart.h>

/* The shared data directory (MODEL.md, anchors/): $CART_SHARED_DIR. Aborts the test with a clear
 * message when it is unset or has no anchors/reference/README.md. */
const char *test_shared_dir(void);

/* A CSV of numbers with '#' comment lines and one header line. */
typedef struct test_csv {
  size_t n_rows, n_cols;
  char **names; /* n_cols column names */
  double *data; /* n_rows x n_cols, row-major */
} test_csv;

/* Reads path; NULL on failure (message on stderr). */
test_csv *test_csv_read(const char *path);
void test_csv_free(test_csv *csv);
/* Column index of name, or -1. */
int test_csv_column(const test_csv *csv, const char *name);

/* Relative difference |a - b| / |b| (|a - b| when b == 0). */
double test_rel_diff(double a, double b);

/* qsort's comparison of doubles in numeric order, NaN last. */
int test_compare_doubles(const void *a, const void *b);

/* The reference of the summary's percentiles: sort a copy, drop NaN, numpy's default linear rule
 * between order statistics at q (0..100); NaN when no value is a number. */
double test_sorted_percentile(const double *values, size_t n, double q);

/* Parameters of `model_name` with "name=value" settings applied (ck_assert on failure). */
cart_params *test_params(const char *model_name, const char *const *settings, size_t n_settings);

/* Checks `params` against its model's rules, solves them with `solver` at `times` into states
 * and outputs (ck_assert on failure, with the solver's message) and frees both. */
void test_solve_and_free(cart_solver *solver, cart_params *params, const cart_dosing *dosing,
                         const double *times, size_t n_times, double *states, double *outputs);
/* A cart trial of n patients with the anchors' bench variability (rho, gamma, delta_E and T0
 * vary with cv 0.3), seed 7, weekly output times to day 365. */
cart_trial *test_trial_new(size_t n_patients);

/* Prepares `trial` and runs patients [first, first + count) into `block` in a workspace of
 * n_threads made for this call: prepare's code, or cart_trial_run_block's. */
int test_run_block(cart_trial *trial, size_t first, size_t count, int n_threads,
                   cart_trial_block *block);

/* Loads `text` as arms (source "s.ini") and asserts that it fails with `code` and a message
 * containing `wanted`. */
void test_expect_arms_error(const char *text, int code, const char *wanted);

/* Runs the first n patients of `trial` (n_patients set to n) one at a time on the scalar path
 * and in SIMD lanes (a partial group of 7 and the default), asserts that endpoints, statuses,
 * trajectories and tocilizumab times are bit for bit the same, and returns the one-at-a-time
 * block (the caller frees it). */
cart_trial_block *test_lanes_against_one_by_one(cart_trial *trial, size_t n, const char *what);

/* Reads $CART_SRCDIR/examples/<name> (CART_SRCDIR unset: "."); the caller frees. */
char *test_read_example(const char *name);

/* Runs a suite and returns the process exit status (EXIT_SUCCESS when every test passed). */
#include <check.h>
int test_run(Suite *suite);

#endif
