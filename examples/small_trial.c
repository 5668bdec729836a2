/* small_trial.c: a small virtual trial with the C API, without an HDF5 file.
 *
 * Model: `cart` with the built-in default scenario (cart_scenario_default(): its opt-in
 * mechanisms on and a population calibrated to ZUMA-1, tocilizumab by rule after a 12 h delay,
 * endpoints of MODEL.md 4), cut down to 200 patients with
 * seed 1. Interval: days 0..365 (the scenario's horizon). Tolerances: the scenario's, which are
 * MODEL.md 6's defaults (rtol 1e-6; atol 1 cell, 1e-3 pg/mL, 1e-6 mg), BDF.
 *
 * cart_trial_prepare checks the plan; the patients then run in blocks of 50 with
 * cart_trial_run_block, which only reads the plan, in one workspace of 2 OpenMP threads
 * (cart_trial_workspace_new, FFTW's plan/execute split); each block is
 * added to a cart_summary_acc in patient order, which gives the same statistics as the /summary
 * of a trial file (cart_trial_run_file). A patient's results depend only on the seed and its
 * index, not on the threads or the block size, so the output is the same on every run.
 *
 * Prints the summary: patients solved, response, CRS and tocilizumab rates, and the 5th, 50th
 * and 95th percentiles of cmax, tmax and auc28 (MODEL.md 4), four significant digits. Exits 1
 * (after freeing everything) if the scenario does not load, a block fails or a patient fails to
 * solve, since the default population solves for every patient.
 */
#include <stdio.h>

#include <cart/cart.h>

#define N_PATIENTS 200   /* virtual patients */
#define SEED 1           /* patient i's parameters depend only on (SEED, i) */
#define BLOCK_SIZE 50    /* patients per cart_trial_run_block call (memory, not results) */
#define N_THREADS 2      /* OpenMP threads per block (results do not depend on it) */

int main(void)
{
  int exit_status = 1;
  cart_error err;
  cart_error_clear(&err);
  cart_trial *trial = NULL;
  cart_trial_block *block = NULL;
  cart_trial_workspace *workspace = NULL;
  cart_summary_acc *acc = NULL;
  cart_trial_summary summary;

  trial = cart_trial_new_from_scenario(cart_scenario_default(), "<default scenario>",
                                       &err);
  if (trial == NULL) {
    fprintf(stderr, "small_trial: %s\n", err.message);
    goto cleanup;
  }
  if (cart_trial_set_n_patients(trial, N_PATIENTS) != CART_OK) {
    fprintf(stderr, "small_trial: %s\n", cart_trial_last_error(trial)->message);
    goto cleanup;
  }
  cart_trial_set_seed(trial, SEED);
  if (cart_trial_prepare(trial) != CART_OK) {
    fprintf(stderr, "small_trial: %s\n", cart_trial_last_error(trial)->message);
    goto cleanup;
  }

  block = cart_trial_block_new(trial, BLOCK_SIZE, &err);
  workspace = block ? cart_trial_workspace_new(trial, N_THREADS, &err) : NULL;
  acc = workspace ? cart_summary_acc_new(cart_trial_model(trial), N_PATIENTS, &err) : NULL;
  if (acc == NULL) {
    fprintf(stderr, "small_trial: %s\n", err.message);
    goto cleanup;
  }
  for (size_t first = 0; first < N_PATIENTS; first += BLOCK_SIZE) {
    const size_t count = N_PATIENTS - first < BLOCK_SIZE ? N_PATIENTS - first : BLOCK_SIZE;
    /* A block-level error stops the run; a failed patient is only recorded in block->status. */
    if (cart_trial_run_block(trial, workspace, first, count, block) != CART_OK) {
      fprintf(stderr, "small_trial: %s\n", cart_trial_workspace_last_error(workspace)->message);
      goto cleanup;
    }
    if (cart_summary_acc_add(acc, block) != CART_OK) {
      fprintf(stderr, "small_trial: blocks added out of patient order\n");
      goto cleanup;
    }
  }
  if (cart_summary_acc_get(acc, &summary) != CART_OK) {
    fprintf(stderr, "small_trial: no summary\n");
    goto cleanup;
  }

  printf("patients solved:   %zu of %zu (seed %d)\n", summary.n_solved, summary.n_patients,
         SEED);
  printf("CR rate:           %.4g\n", summary.cr_rate);
  printf("ORR:               %.4g\n", summary.orr_rate);
  printf("CRS any grade:     %.4g\n", summary.crs_any_rate);
  printf("CRS grade >= 3:    %.4g\n", summary.crs_grade3_rate);
  printf("tocilizumab given: %.4g (mean %.4g doses per patient)\n", summary.toci_rate,
         summary.toci_doses_mean);
  printf("cmax  (cells/uL):      p5 %.4g, median %.4g, p95 %.4g\n", summary.cmax_p5,
         summary.cmax_p50, summary.cmax_p95);
  printf("tmax  (day):           p5 %.4g, median %.4g, p95 %.4g\n", summary.tmax_p5,
         summary.tmax_p50, summary.tmax_p95);
  printf("auc28 (cells/uL*day):  p5 %.4g, median %.4g, p95 %.4g\n", summary.auc28_p5,
         summary.auc28_p50, summary.auc28_p95);
  printf("B-cell aplasia (day):  median %.4g\n", summary.aplasia_days_p50);
  printf("relapse rate (of CR):  %.4g\n", summary.relapse_rate);

  /* The self-check: every patient of the default population solves. */
  if (summary.n_solved != summary.n_patients) {
    fprintf(stderr, "small_trial: %zu patients failed to solve\n",
            summary.n_patients - summary.n_solved);
    goto cleanup;
  }
  exit_status = 0;

cleanup:
  cart_summary_acc_free(acc);
  cart_trial_workspace_free(workspace);
  cart_trial_block_free(block);
  cart_trial_free(trial);
  return exit_status;
}
