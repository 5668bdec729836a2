/* openmp.c: which patients run where. One workspace per thread, made by the first block and kept
 * by the trial; patients are handed out dynamically in chunks. A patient's numbers depend only on
 * the plan, the seed and its index, never on the thread that ran it. */
#include <omp.h>
#include <stdlib.h>

#include "../trial/trial_impl.h"
#include "../util/error.h"

/* Patients handed to a thread at a time: large enough to keep scheduling overhead negligible
 * (a patient takes about a millisecond), small enough to balance uneven patients. */
#define CHUNK 8

static int ensure_workspaces(cart_trial *trial, size_t n_threads)
{
  if (trial->n_workspaces >= n_threads) {
    return CART_OK;
  }
  cartp_workspace *grown = realloc(trial->workspaces, n_threads * sizeof *grown);
  if (grown == NULL) {
    return cartp_error(&trial->error, CART_ENOMEM, "out of memory for %zu workspaces", n_threads);
  }
  trial->workspaces = grown;
  for (size_t i = trial->n_workspaces; i < n_threads; i++) {
    const int status = cartp_workspace_init(trial, &trial->workspaces[i], &trial->error);
    if (status != CART_OK) {
      return status;
    }
    trial->n_workspaces = i + 1;
  }
  return CART_OK;
}

int cart_trial_run_block(cart_trial *trial, size_t first, size_t count, int n_threads,
                         cart_trial_block *block)
{
  if (trial == NULL || block == NULL) {
    return CART_EINVAL;
  }
  cart_error *err = &trial->error;
  if (count > block->capacity || first + count > trial->n_patients || first + count < first) {
    return cartp_error(err, CART_EINVAL,
                       "block of patients [%zu, %zu) does not fit (capacity %zu, N = %zu)", first,
                       first + count, block->capacity, trial->n_patients);
  }
  if (block->n_outputs != trial->n_outputs || block->n_times != trial->n_times ||
      block->n_params != trial->model->n_params || block->max_toci != cartp_trial_max_toci(trial)) {
    return cartp_error(err, CART_EINVAL, "block was made for another trial shape");
  }
  /* Prepared afresh for every block (cheap: the rules, a Cholesky factor of at most 64 x 64),
   * because the population and settings are reachable through pointers the caller keeps. */
  int status = cart_trial_prepare(trial);
  if (status != CART_OK) {
    return status;
  }
  if (trial->workspaces_stale) { /* times or solver settings changed since they were made */
    for (size_t i = 0; i < trial->n_workspaces; i++) {
      cartp_workspace_clear(&trial->workspaces[i]);
    }
    trial->n_workspaces = 0;
    trial->workspaces_stale = 0;
  }
  const int threads = n_threads > 0 ? n_threads : omp_get_max_threads();
  status = ensure_workspaces(trial, (size_t)threads);
  if (status != CART_OK) {
    return status;
  }
  block->first = first;
  block->count = count;
  const cart_trial *plan = trial;
  cartp_workspace *workspaces = trial->workspaces;
  const long n = (long)count;
#pragma omp parallel for default(none) shared(plan, workspaces, block, first, n) \
    schedule(dynamic, CHUNK) num_threads(threads)
  for (long k = 0; k < n; k++) {
    cartp_trial_run_patient(plan, &workspaces[omp_get_thread_num()], first + (size_t)k, (size_t)k,
                            block);
  }
  return CART_OK;
}
