/* openmp.c: which patients run where. Each thread keeps `lanes` patients in flight, each in its
 * own workspace (made by the first block and kept by the trial), steps them in turn and lets a
 * new patient into a lane as soon as its patient is done; patients are handed out dynamically in
 * chunks. A patient's numbers depend only on the plan, the seed and its index, never on the
 * thread or lane that ran it, nor on its neighbours. */
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>

#include "../solver/solver_impl.h"
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

/* A thread's patients: the next of its chunk, taking a new chunk from the shared counter when
 * it is used up; each starts in the lane (workspace) that asked. */
typedef struct thread_feed {
  const cart_trial *plan;
  cartp_workspace *lane;
  cart_trial_block *block;
  size_t first;
  size_t *next; /* shared: the first patient of the next chunk */
  size_t count;
  size_t chunk_next, chunk_end;
} thread_feed;

static int feed_next(void *context, size_t l)
{
  thread_feed *f = context;
  if (f->chunk_next == f->chunk_end) {
    size_t start;
#pragma omp atomic capture
    {
      start = *f->next;
      *f->next += CHUNK;
    }
    if (start >= f->count) {
      return CARTP_LANES_NONE;
    }
    f->chunk_next = start;
    f->chunk_end = start + CHUNK < f->count ? start + CHUNK : f->count;
  }
  const size_t k = f->chunk_next++;
  return cartp_trial_patient_begin(f->plan, &f->lane[l], f->first + k, k, f->block);
}

static void feed_done(void *context, size_t l, int status)
{
  thread_feed *f = context;
  cartp_trial_patient_end(f->plan, &f->lane[l], status, f->block);
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
  /* SIMD lanes where the model has them and the method is Rodas5P */
  const int simd = trial->model->lanes != NULL && trial->method == CART_METHOD_RODAS5P;
  /* two SIMD vectors of patients: cartp_lanes_round takes two groups at once */
  const size_t lanes = trial->lanes > 0 ? trial->lanes
                       : simd           ? 2 * (size_t)cartp_batch_lanes_best()
                                        : 1;
  status = ensure_workspaces(trial, (size_t)threads * lanes);
  if (status != CART_OK) {
    return status;
  }
  for (size_t t = 0; simd && lanes > 1 && t < (size_t)threads; t++) {
    cartp_workspace *head = &trial->workspaces[t * lanes];
    if (head->lanes_work == NULL && (head->lanes_work = cartp_lanes_work_new(0)) == NULL) {
      return cartp_error(err, CART_ENOMEM, "out of memory for SIMD lanes");
    }
  }
  block->first = first;
  block->count = count;
  const cart_trial *plan = trial;
  cartp_workspace *workspaces = trial->workspaces;
  size_t next = 0;
#pragma omp parallel default(none) shared(plan, workspaces, block, first, count, lanes, next) \
    num_threads(threads)
  {
    cartp_workspace *lane = workspaces + (size_t)omp_get_thread_num() * lanes;
    thread_feed f = {plan, lane, block, first, &next, count, 0, 0};
    cart_solver *solvers[CARTP_MAX_LANES];
    for (size_t l = 0; l < lanes; l++) {
      solvers[l] = lane[l].solver;
    }
    const cartp_lanes_feed feed = {feed_next, feed_done, &f};
    cartp_lanes_run(lane[0].lanes_work, solvers, lanes, &feed);
  }
  return CART_OK;
}
