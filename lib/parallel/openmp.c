/* openmp.c: which patients run where. Each thread keeps `lanes` patients in flight, each in its
 * own lane of the caller's workspace (cart_trial_workspace_new), steps them in turn and lets a
 * new patient into a lane as soon as its patient is done; patients are handed out dynamically in
 * chunks. The plan is only read. A patient's numbers depend only on the plan, the seed and its
 * index, never on the thread or lane that ran it, nor on its neighbours. */
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>

#include "../solver/solver_impl.h"
#include "../trial/trial_impl.h"
#include "../util/error.h"

/* Patients handed to a thread at a time: large enough to keep scheduling overhead negligible
 * (a patient takes about a millisecond), small enough to balance uneven patients. */
#define CHUNK 8

cart_trial_workspace *cart_trial_workspace_new(const cart_trial *trial, int n_threads,
                                               cart_error *err)
{
  if (trial == NULL || n_threads < 0) {
    cartp_error(err, CART_EINVAL, "cart_trial_workspace_new: no trial, or n_threads < 0");
    return NULL;
  }
  cart_trial_workspace *ws = calloc(1, sizeof *ws);
  if (ws == NULL) {
    cartp_error(err, CART_ENOMEM, "out of memory for a trial workspace");
    return NULL;
  }
  ws->trial = trial;
  ws->generation = trial->generation;
  ws->n_threads = n_threads > 0 ? n_threads : omp_get_max_threads();
  /* SIMD lanes where the model has them and the method is Rodas5P */
  const int simd = trial->model->lanes != NULL && trial->method == CART_METHOD_RODAS5P;
  /* two SIMD vectors of patients: cartp_lanes_round takes two groups at once */
  ws->lanes = trial->lanes > 0 ? trial->lanes
              : simd           ? 2 * (size_t)cartp_batch_lanes_best()
                               : 1;
  const size_t n = (size_t)ws->n_threads * ws->lanes;
  ws->lane = calloc(n, sizeof *ws->lane);
  if (ws->lane == NULL) {
    cart_trial_workspace_free(ws);
    cartp_error(err, CART_ENOMEM, "out of memory for %zu solver workspaces", n);
    return NULL;
  }
  for (; ws->n_lanes_made < n; ws->n_lanes_made++) {
    if (cartp_workspace_init(trial, &ws->lane[ws->n_lanes_made], err) != CART_OK) {
      cart_trial_workspace_free(ws);
      return NULL;
    }
  }
  for (size_t t = 0; simd && ws->lanes > 1 && t < (size_t)ws->n_threads; t++) {
    cartp_workspace *head = &ws->lane[t * ws->lanes];
    if ((head->lanes_work = cartp_lanes_work_new(0)) == NULL) {
      cart_trial_workspace_free(ws);
      cartp_error(err, CART_ENOMEM, "out of memory for SIMD lanes");
      return NULL;
    }
  }
  return ws;
}

void cart_trial_workspace_free(cart_trial_workspace *ws)
{
  if (ws == NULL) {
    return;
  }
  for (size_t i = 0; i < ws->n_lanes_made; i++) {
    cartp_workspace_clear(&ws->lane[i]);
  }
  free(ws->lane);
  free(ws);
}

int cart_trial_workspace_n_threads(const cart_trial_workspace *ws)
{
  return ws ? ws->n_threads : 0;
}

const cart_error *cart_trial_workspace_last_error(const cart_trial_workspace *ws)
{
  return ws ? &ws->error : NULL;
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

int cart_trial_run_block(const cart_trial *trial, cart_trial_workspace *ws, size_t first,
                         size_t count, cart_trial_block *block)
{
  if (ws == NULL) {
    return CART_EINVAL;
  }
  cart_error *err = &ws->error;
  if (trial == NULL || block == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_trial_run_block: no trial or no block");
  }
  if (ws->trial != trial || ws->generation != trial->generation) {
    return cartp_error(err, CART_EINVAL,
                       "the workspace was made for another trial, or before its times or "
                       "solver settings changed: make a new one");
  }
  if (!trial->prepared) {
    return cartp_error(err, CART_EINVAL,
                       "the trial is not prepared: call cart_trial_prepare after changing it");
  }
  if (count > block->capacity || first + count > trial->n_patients || first + count < first) {
    return cartp_error(err, CART_EINVAL,
                       "block of patients [%zu, %zu) does not fit (capacity %zu, N = %zu)", first,
                       first + count, block->capacity, trial->n_patients);
  }
  if (block->n_outputs != trial->n_outputs || block->n_times != trial->n_times ||
      block->n_params != trial->model->n_params || block->max_toci != cartp_trial_max_toci(trial)) {
    return cartp_error(err, CART_EINVAL, "block was made for another trial shape");
  }
  block->first = first;
  block->count = count;
  const int threads = ws->n_threads;
  const size_t lanes = ws->lanes;
  cartp_workspace *workspaces = ws->lane;
  size_t next = 0;
#pragma omp parallel default(none) shared(trial, workspaces, block, first, count, lanes, next) \
    num_threads(threads)
  {
    cartp_workspace *lane = workspaces + (size_t)omp_get_thread_num() * lanes;
    thread_feed f = {trial, lane, block, first, &next, count, 0, 0};
    cart_solver *solvers[CARTP_MAX_LANES];
    for (size_t l = 0; l < lanes; l++) {
      solvers[l] = lane[l].solver;
    }
    const cartp_lanes_feed feed = {feed_next, feed_done, &f};
    cartp_lanes_run(lane[0].lanes_work, solvers, lanes, &feed);
  }
  cart_error_clear(err);
  return CART_OK;
}
