/* run_sink.c: a trial file as the sink of the run loop, whatever its access; and, for one
 * caller, the same sink writing each block in a thread of its own while the next is solved. */
#include <pthread.h>
#include <stdlib.h>

#include "run_sink.h"
#include "../util/error.h"

static int sink_status(cart_h5_file *file, int status, cart_error *err)
{
  if (status != CART_OK) {
    cartp_error_copy(err, cart_h5_last_error(file));
  }
  return status;
}

static int sink_write(void *data, const cart_trial_block *block, cart_error *err)
{
  return sink_status(data, cart_h5_write_block(data, block), err);
}

static int sink_summarize(void *data, cart_trial_summary *summary, cart_error *err)
{
  return sink_status(data, cart_h5_summarize(data, summary), err);
}

static int sink_finish(void *data, const cart_trial_summary *summary, cart_error *err)
{
  return sink_status(data, cart_h5_finish(data, summary), err);
}

static int sink_select_arm(void *data, size_t arm, cart_error *err)
{
  return sink_status(data, cart_h5_select_arm(data, arm), err);
}

cartp_run_sink cartp_h5_sink(cart_h5_file *file)
{
  const cartp_run_sink sink = {file, sink_write, sink_summarize, sink_finish, NULL,
                               sink_select_arm};
  return sink;
}

/* ---- the same, each block written by a writer thread ----
 *
 * Compressing a block (deflate, in HDF5's filters, one thread) took about 40 % as long as
 * solving it on two cores, and the solvers waited. Now the run loop hands a block over and
 * solves the next one while the writer thread writes it (the loop alternates two blocks:
 * the sink has a drain). HDF5 is called by one thread at a time: the writer between a hand-over and its
 * end, the caller only while the writer is idle (summary, finish, close), each hand-over ordered
 * by the lock. A failed write is reported at the next call (write, summarize, finish or close),
 * so the loop stops there and the file is closed incomplete, holding the blocks written. */
struct cartp_h5_async {
  cart_h5_file *file;
  pthread_t thread;
  int started, quit;
  pthread_mutex_t lock;
  pthread_cond_t changed;
  const cart_trial_block *pending; /* the block being written, NULL when idle */
  int status;                      /* the first failed write's code, and its message */
  cart_error error;
  int reported;
};

static void *writer(void *data)
{
  cartp_h5_async *a = data;
  pthread_mutex_lock(&a->lock);
  for (;;) {
    while (a->pending == NULL && !a->quit) {
      pthread_cond_wait(&a->changed, &a->lock);
    }
    if (a->pending == NULL) {
      break;
    }
    const cart_trial_block *block = a->pending;
    const int failed = a->status != CART_OK; /* after a failure no block is written */
    pthread_mutex_unlock(&a->lock);
    const int status = failed ? CART_OK : cart_h5_write_block(a->file, block);
    pthread_mutex_lock(&a->lock);
    if (status != CART_OK) {
      a->status = status;
      cartp_error_copy(&a->error, cart_h5_last_error(a->file));
    }
    a->pending = NULL;
    pthread_cond_broadcast(&a->changed);
  }
  pthread_mutex_unlock(&a->lock);
  return NULL;
}

/* Waits until the writer is idle; its failure, if a write failed, as this call's status. */
static int async_wait(cartp_h5_async *a, cart_error *err)
{
  pthread_mutex_lock(&a->lock);
  while (a->pending != NULL) {
    pthread_cond_wait(&a->changed, &a->lock);
  }
  const int status = a->status;
  if (status != CART_OK) {
    a->reported = 1;
    cartp_error_copy(err, &a->error);
  }
  pthread_mutex_unlock(&a->lock);
  return status;
}

static int async_drain(void *data, cart_error *err)
{
  return async_wait(data, err);
}

static int async_write(void *data, const cart_trial_block *block, cart_error *err)
{
  cartp_h5_async *a = data;
  int status = async_wait(a, err);
  if (status != CART_OK) {
    return status;
  }
  if (!a->started) { /* no thread to be had: written here, as the plain sink does */
    return sink_status(a->file, cart_h5_write_block(a->file, block), err);
  }
  pthread_mutex_lock(&a->lock);
  a->pending = block;
  pthread_cond_broadcast(&a->changed);
  pthread_mutex_unlock(&a->lock);
  return CART_OK;
}

static int async_summarize(void *data, cart_trial_summary *summary, cart_error *err)
{
  cartp_h5_async *a = data;
  const int status = async_wait(a, err);
  return status != CART_OK ? status : sink_summarize(a->file, summary, err);
}

static int async_finish(void *data, const cart_trial_summary *summary, cart_error *err)
{
  cartp_h5_async *a = data;
  const int status = async_wait(a, err);
  return status != CART_OK ? status : sink_finish(a->file, summary, err);
}

static int async_select_arm(void *data, size_t arm, cart_error *err)
{
  cartp_h5_async *a = data;
  const int status = async_wait(a, err);
  return status != CART_OK ? status : sink_select_arm(a->file, arm, err);
}

cartp_h5_async *cartp_h5_async_new(cart_h5_file *file)
{
  cartp_h5_async *a = calloc(1, sizeof *a);
  if (a == NULL) {
    return NULL;
  }
  a->file = file;
  a->status = CART_OK;
  if (pthread_mutex_init(&a->lock, NULL) != 0) {
    free(a);
    return NULL;
  }
  if (pthread_cond_init(&a->changed, NULL) != 0) {
    pthread_mutex_destroy(&a->lock);
    free(a);
    return NULL;
  }
  a->started = pthread_create(&a->thread, NULL, writer, a) == 0;
  return a;
}

cartp_run_sink cartp_h5_async_sink(cartp_h5_async *a)
{
  const cartp_run_sink sink = {a,           async_write, async_summarize, async_finish,
                               async_drain, async_select_arm};
  return sink;
}

int cartp_h5_async_free(cartp_h5_async *a, cart_error *err)
{
  if (a == NULL) {
    return CART_OK;
  }
  const int reported = a->reported;
  cart_error last;
  int status = async_wait(a, &last); /* the last block's write, if no call waited for it */
  if (status != CART_OK && !reported) {
    cartp_error_copy(err, &last);
  } else {
    status = CART_OK;
  }
  if (a->started) {
    pthread_mutex_lock(&a->lock);
    a->quit = 1;
    pthread_cond_broadcast(&a->changed);
    pthread_mutex_unlock(&a->lock);
    pthread_join(a->thread, NULL);
  }
  pthread_cond_destroy(&a->changed);
  pthread_mutex_destroy(&a->lock);
  free(a);
  return status;
}
