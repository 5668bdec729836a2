/* bench_lanes.c: the baselines' work (../shared/anchors/BASELINES.md) one patient at a time and
 * one patient per SIMD lane, side by side in one run.
 *
 * The first N patients of bench_params.csv (rows rho, gamma, delta_E, T0; every other parameter
 * of model `cart` keeps its MODEL.md default), days 0..365 with daily output, the library's
 * default tolerances, Rodas5P, only the t = 0 infusion (extinction off), one thread, as
 * bench_patients.c. Scalar: one solver, cart_solver_solve per patient. Lanes: the batch solve
 * (lib/solver/batch.c) on the widest lanes this processor runs, or the width given. Each is
 * timed REPEATS times (CLOCK_MONOTONIC around the solves only), interleaved, and the median
 * reported with steps per patient and the checksum of bench_patients.c (sum over patients, in
 * patient order, of E on day 365 plus Tp + Tn on day 28); the two checksums must be equal.
 *
 * Usage: bench_lanes PARAMS.csv N [8|4|2]
 *        bench_lanes PARAMS.csv N --wp RTOL ATOL_SCALE [DUMP [REPEATS]]
 * The second form is bench/work_precision.sh's: the lanes path only, once (or the minimum of
 * REPEATS runs in this process), at rtol RTOL and MODEL.md's atol x ATOL_SCALE, printing
 * bench_patients.c's tool= line and writing its --dump file (E and Tp + Tn on days 14, 28, 90,
 * 365 per patient).
 * Exit status 1 if a patient failed, the two paths differ, or the input is bad. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cart/cart.h>

#include "../lib/solver/batch.h"
#include "bench_util.h"

enum { N_DAYS = 366, REPEATS = 3 };

static const char *const VARIED[4] = {"rho", "gamma", "delta_E", "T0"};



static int compare_doubles(const void *a, const void *b)
{
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v)
{
  qsort(v, REPEATS, sizeof *v, compare_doubles);
  return v[REPEATS / 2];
}

typedef struct run_result {
  double checksum;
  unsigned long steps, failures;
} run_result;

static run_result summarise(const double *states, const cartp_batch_result *results, size_t n,
                            size_t n_states, int iE, int iTp, int iTn)
{
  run_result r = {0, 0, 0};
  for (size_t i = 0; i < n; i++) {
    const double *d28 = states + (i * N_DAYS + 28) * n_states;
    const double *d365 = states + (i * N_DAYS + 365) * n_states;
    if (results[i].status == CART_OK) {
      r.checksum += d365[iE] + d28[iTp] + d28[iTn];
      r.steps += results[i].stats.steps;
    } else {
      r.failures++;
    }
  }
  return r;
}

/* --wp: the lanes path alone at the given tolerances (bench/work_precision.sh). */
static int work_precision(cart_solver *solver, const cart_model *model, const double *values,
                          size_t n, const double *times, double rtol, double atol_scale,
                          const char *dump, int repeats)
{
  const size_t n_states = cart_model_n_states(model);
  double atol[16];
  for (size_t i = 0; i < n_states; i++) {
    cart_state_info info;
    cart_model_state_info(model, i, &info);
    atol[i] = info.abs_tol * atol_scale;
  }
  if (cart_solver_set_tolerances(solver, rtol, atol) != CART_OK) {
    fprintf(stderr, "%s\n", cart_solver_last_error(solver)->message);
    return 2;
  }
  double *states = malloc(n * N_DAYS * n_states * sizeof *states);
  cartp_batch_result *results = malloc(n * sizeof *results);
  if (states == NULL || results == NULL) {
    return 2;
  }
  /* the output array touched before the clock starts, as a caller's reused buffer: its first
   * touch (6,000 page faults for 1000 patients) is not the solver's work, and the CVODE
   * baseline keeps only the values it reports */
  for (size_t i = 0; i < n * N_DAYS * n_states; i++) {
    states[i] = NAN; /* (a memset to 0 after malloc would become calloc's untouched pages) */
  }
  const int lanes = cartp_batch_lanes_best();
  double wall = 1e30;
  for (int rep = 0; rep < repeats; rep++) { /* the minimum, as SciMLBenchmarks time */
    const double start = bench_now();
    if (cartp_solver_solve_batch(solver, values, n, times, N_DAYS, states, results, lanes) !=
        CART_OK) {
      fprintf(stderr, "batch: %s\n", cart_solver_last_error(solver)->message);
      return 2;
    }
    const double w = bench_now() - start;
    wall = w < wall ? w : wall;
  }
  const int iE = cart_model_state_index(model, "E"), iTp = cart_model_state_index(model, "Tp"),
            iTn = cart_model_state_index(model, "Tn");
  const run_result r = summarise(states, results, n, n_states, iE, iTp, iTn);
  const double solved = r.failures < n ? (double)(n - r.failures) : 1.0;
  printf("tool=libcart-rodas5p-lanes%d N=%zu threads=1 rtol=%g wall_s=%.3f patients_per_s=%.1f "
         "checksum=%.10e failures=%lu steps/patient=%.0f\n",
         lanes, n, rtol, wall, (double)n / wall, r.checksum, r.failures, (double)r.steps / solved);
  int status = r.failures != 0;
  FILE *f = dump != NULL ? fopen(dump, "w") : NULL;
  if (dump != NULL && f == NULL) {
    perror(dump);
    status = 2;
  }
  if (f != NULL) {
    static const int days[4] = {14, 28, 90, 365};
    fprintf(f, "# bench_lanes: libcart %s, rodas5p in %d SIMD lanes (%s); rtol %g, atol %g x "
               "MODEL.md's\n", cart_version(), lanes, cartp_batch_lanes_isa(lanes), rtol,
            atol_scale);
    fprintf(f, "patient,E14,E28,E90,E365,T14,T28,T90,T365\n");
    for (size_t i = 0; i < n; i++) {
      const double *rows = states + i * N_DAYS * n_states;
      fprintf(f, "%zu", i);
      for (int k = 0; k < 4; k++) {
        fprintf(f, ",%.17g", rows[(size_t)days[k] * n_states + (size_t)iE]);
      }
      for (int k = 0; k < 4; k++) {
        const double *y = rows + (size_t)days[k] * n_states;
        fprintf(f, ",%.17g", y[iTp] + y[iTn]);
      }
      fputc('\n', f);
    }
    if (fclose(f) != 0) {
      perror(dump);
      status = 2;
    }
  }
  free(states);
  free(results);
  return status;
}

int main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: %s PARAMS.csv N [8|4|2]\n"
                    "       %s PARAMS.csv N --wp RTOL ATOL_SCALE [DUMP [REPEATS]]\n", argv[0], argv[0]);
    return 2;
  }
  const long n_arg = atol(argv[2]);
  const int wp = argc > 3 && strcmp(argv[3], "--wp") == 0;
  if (wp && (argc < 6 || !(atof(argv[4]) > 0) || !(atof(argv[5]) > 0))) {
    fprintf(stderr, "--wp needs RTOL and ATOL_SCALE, both positive\n");
    return 2;
  }
  const int lanes = argc > 3 && !wp ? atoi(argv[3]) : cartp_batch_lanes_best();
  if (n_arg <= 0) {
    fprintf(stderr, "N must be positive\n");
    return 2;
  }
  double *rows = malloc(4 * (size_t)n_arg * sizeof *rows);
  const size_t n = rows ? bench_read_rows(argv[1], (size_t)n_arg, rows) : 0;
  if (n == 0) {
    fprintf(stderr, "%s: no patients (header rho,gamma,delta_E,T0 expected)\n", argv[1]);
    return 2;
  }
  cart_error err;
  const cart_model *model = cart_model_find("cart", &err);
  cart_solver *solver = model ? cart_solver_new(model, &err) : NULL;
  cart_params *params = solver ? cart_params_new(model, &err) : NULL;
  if (params == NULL || cart_solver_set_method(solver, CART_METHOD_RODAS5P) != CART_OK ||
      cart_solver_set_extinction(solver, 0.0) != CART_OK) {
    fprintf(stderr, "cannot make the solver: %s\n", err.message);
    return 2;
  }
  const size_t n_states = cart_model_n_states(model), n_params = cart_model_n_params(model);
  const int iE = cart_model_state_index(model, "E"), iTp = cart_model_state_index(model, "Tp"),
            iTn = cart_model_state_index(model, "Tn");
  double times[N_DAYS];
  for (int d = 0; d < N_DAYS; d++) {
    times[d] = d;
  }
  /* every patient's parameter values, in table order */
  double *values = malloc(n * n_params * sizeof *values);
  double *states = malloc(n * N_DAYS * n_states * sizeof *states);
  double *lane_states = malloc(n * N_DAYS * n_states * sizeof *lane_states);
  cartp_batch_result *results = malloc(n * sizeof *results);
  cartp_batch_result *lane_results = malloc(n * sizeof *lane_results);
  if (values == NULL || states == NULL || lane_states == NULL || results == NULL ||
      lane_results == NULL) {
    return 2;
  }
  for (size_t i = 0; i < n; i++) {
    for (int j = 0; j < 4; j++) {
      if (cart_params_set(params, VARIED[j], rows[4 * i + (size_t)j]) != CART_OK) {
        fprintf(stderr, "patient %zu: %s\n", i, cart_params_last_error(params)->message);
        return 2;
      }
    }
    if (cart_params_check(params, &err) != CART_OK) {
      fprintf(stderr, "patient %zu: %s\n", i, err.message);
      return 2;
    }
    for (size_t j = 0; j < n_params; j++) {
      cart_params_get_index(params, j, &values[i * n_params + j]);
    }
  }

  int status;
  if (wp) {
    status = work_precision(solver, model, values, n, times, atof(argv[4]), atof(argv[5]),
                            argc > 6 ? argv[6] : NULL, argc > 7 && atoi(argv[7]) > 1 ? atoi(argv[7]) : 1);
  } else {
    double scalar_s[REPEATS], lanes_s[REPEATS];
    for (int rep = 0; rep < REPEATS; rep++) {
      double start = bench_now();
      for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n_params; j++) {
          cart_params_set_index(params, j, values[i * n_params + j]);
        }
        results[i].status =
            cart_solver_solve(solver, params, NULL, times, N_DAYS, states + i * N_DAYS * n_states,
                              NULL);
        cart_solver_get_stats(solver, &results[i].stats);
      }
      scalar_s[rep] = bench_now() - start;
      start = bench_now();
      if (cartp_solver_solve_batch(solver, values, n, times, N_DAYS, lane_states, lane_results,
                                   lanes) != CART_OK) {
        fprintf(stderr, "batch: %s\n", cart_solver_last_error(solver)->message);
        return 2;
      }
      lanes_s[rep] = bench_now() - start;
    }
    const run_result a = summarise(states, results, n, n_states, iE, iTp, iTn);
    const run_result b = summarise(lane_states, lane_results, n, n_states, iE, iTp, iTn);
    const int identical =
        memcmp(states, lane_states, n * N_DAYS * n_states * sizeof *states) == 0 &&
        a.steps == b.steps;
    const double ts = median(scalar_s), tl = median(lanes_s);
    const double solved_a = a.failures < n ? (double)(n - a.failures) : 1.0;
    const double solved_b = b.failures < n ? (double)(n - b.failures) : 1.0;
    printf("path=scalar N=%zu wall_s=%.3f patients_per_s=%.1f steps/patient=%.1f checksum=%.10e "
           "failures=%lu\n",
           n, ts, (double)n / ts, (double)a.steps / solved_a, a.checksum, a.failures);
    printf("path=lanes%d isa=%s N=%zu wall_s=%.3f patients_per_s=%.1f steps/patient=%.1f "
           "checksum=%.10e failures=%lu\n",
           lanes, cartp_batch_lanes_isa(lanes), n, tl, (double)n / tl, (double)b.steps / solved_b,
           b.checksum, b.failures);
    printf("speedup=%.2f outputs_bit_identical=%s (medians of %d; widest lanes here: %d, %s)\n",
           ts / tl, identical ? "yes" : "NO", REPEATS, cartp_batch_lanes_best(),
           cartp_batch_lanes_isa(cartp_batch_lanes_best()));
    status = a.failures != 0 || b.failures != 0 || !identical;
  }
  cart_params_free(params);
  cart_solver_free(solver);
  free(rows);
  free(values);
  free(states);
  free(lane_states);
  free(results);
  free(lane_results);
  return status;
}
