/* bench_trial.c: throughput of the trial layer on the built-in default scenario (model cart,
 * rho, gamma, delta_E, T0 and WT varied, days 0..365 with weekly output, five trajectories and
 * the endpoints per patient, Rodas5P at rtol 1e-6), run in blocks of 4096 patients with
 * cart_trial_run_block (OpenMP inside the library). Nothing is written: no HDF5, no summary.
 *
 * Usage: bench_trial N THREADS [REPEATS [LANES [RTOL]]]
 * LANES: patients in flight per thread (the library's default 0: the processor's SIMD width; 1:
 * one patient at a time, the scalar path), through the trial's internal setting. RTOL: the
 * solver's relative tolerance instead of the scenario's 1e-6 (Rodas5P, MODEL.md's atol), for the
 * trade-off of bench/RESULTS.md; 0: the scenario's.
 * Each repeat runs all N patients; the clock (CLOCK_MONOTONIC) covers the cart_trial_run_block
 * calls only. The trial and its block are made once; the first repeat also makes the per-thread
 * workspaces (a few kB each). Prints the median over repeats: tool, N, threads, repeats, wall
 * seconds, patients/s, patients/s per thread, failures, and a checksum of the endpoints (sum over
 * patients of cmax + auc28 + tumour_nadir / 1e9), which is independent of threads and blocks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cart/cart.h>

#include "../lib/trial/trial_impl.h"
#include "bench_util.h"

enum { BLOCK = 4096, MAX_REPEATS = 101 };


static int cmp_double(const void *a, const void *b)
{
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: %s N THREADS [REPEATS [LANES [RTOL]]]\n", argv[0]);
    return 2;
  }
  const double n_arg = atof(argv[1]); /* accepts 1e5 */
  const int threads = atoi(argv[2]);
  const int repeats = argc > 3 ? atoi(argv[3]) : 1;
  const int lanes = argc > 4 ? atoi(argv[4]) : 0;
  const double rtol = argc > 5 ? atof(argv[5]) : 0.0;
  if (!(n_arg >= 1) || threads < 1 || repeats < 1 || repeats > MAX_REPEATS || !(rtol >= 0.0)) {
    fprintf(stderr, "N >= 1, THREADS >= 1, 1 <= REPEATS <= %d, RTOL >= 0\n", MAX_REPEATS);
    return 2;
  }
  const size_t n = (size_t)n_arg;
  cart_error err;
  cart_trial *trial =
      cart_trial_new_from_scenario(cart_scenario_default(), "<default scenario>", &err);
  if (trial == NULL) {
    fprintf(stderr, "%s\n", err.message);
    return 2;
  }
  if (cart_trial_set_n_patients(trial, n) != CART_OK || lanes < 0 ||
      (rtol > 0.0 &&
       cart_trial_set_solver(trial, CART_METHOD_RODAS5P, rtol, NULL, 100000) != CART_OK) ||
      cartp_trial_set_lanes(trial, (size_t)lanes) != CART_OK || cart_trial_prepare(trial) != CART_OK) {
    fprintf(stderr, "%s\n", cart_trial_last_error(trial)->message);
    return 2;
  }
  const size_t per_block = n < BLOCK ? n : BLOCK;
  cart_trial_block *block = cart_trial_block_new(trial, per_block, &err);
  cart_trial_workspace *workspace = block ? cart_trial_workspace_new(trial, threads, &err) : NULL;
  if (workspace == NULL) {
    fprintf(stderr, "%s\n", err.message);
    return 2;
  }
  double walls[MAX_REPEATS];
  size_t failures = 0;
  double checksum = 0;
  for (int r = 0; r < repeats; r++) {
    double elapsed = 0, sum = 0;
    size_t failed = 0;
    for (size_t first = 0; first < n; first += per_block) {
      const size_t count = n - first < per_block ? n - first : per_block;
      const double t0 = bench_now();
      if (cart_trial_run_block(trial, workspace, first, count, block) != CART_OK) {
        fprintf(stderr, "%s\n", cart_trial_workspace_last_error(workspace)->message);
        return 1;
      }
      elapsed += bench_now() - t0;
      for (size_t k = 0; k < count; k++) { /* outside the clock */
        if (block->status[k] != CART_OK) {
          failed++;
          continue;
        }
        const double *e = block->endpoints + k * block->n_endpoints;
        sum += e[CART_ENDPOINT_CMAX] + e[CART_ENDPOINT_AUC28] + e[CART_ENDPOINT_TUMOUR_NADIR] / 1e9;
      }
    }
    walls[r] = elapsed;
    failures = failed;
    checksum = sum;
  }
  qsort(walls, (size_t)repeats, sizeof walls[0], cmp_double);
  const double wall = repeats % 2 ? walls[repeats / 2]
                                  : 0.5 * (walls[repeats / 2 - 1] + walls[repeats / 2]);
  size_t n_times = 0;
  cart_trial_times(trial, &n_times);
  char rtol_field[32] = "";
  if (rtol > 0.0) {
    snprintf(rtol_field, sizeof rtol_field, " rtol=%g", rtol);
  }
  printf("tool=libcart-trial%s N=%zu threads=%d repeats=%d%s wall_s=%.3f patients_per_s=%.1f "
         "per_thread=%.1f failures=%zu checksum=%.10e n_times=%zu n_outputs=%zu\n",
         lanes == 1 ? "-scalar" : "", n, threads, repeats, rtol_field, wall, (double)n / wall,
         (double)n / wall / threads, failures,
         checksum, n_times, cart_trial_n_outputs(trial));
  cart_trial_workspace_free(workspace);
  cart_trial_block_free(block);
  cart_trial_free(trial);
  return 0;
}
