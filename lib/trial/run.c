/* run.c: the one run loop of a trial into a file (run.h), for one caller (cart_trial_run_file) or
 * one per MPI rank (cart_mpi_trial_run_file). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../util/error.h"
#include "run.h"

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Bytes of one patient's rows in the file, uncompressed: what a block write moves. */
static size_t patient_bytes(const cart_trial *trial)
{
  size_t n_times = 0;
  cart_trial_times(trial, &n_times);
  size_t bytes = cart_model_n_params(cart_trial_model(trial)) * sizeof(double)
                 + cart_trial_n_outputs(trial) * n_times * sizeof(float) + sizeof(int32_t);
  const cart_model *model = cart_trial_model(trial);
  for (size_t e = 0; e < cart_model_n_endpoints(model); e++) {
    cart_endpoint_info info;
    bytes += cart_model_endpoint_info(model, e, &info) == CART_OK && info.is_integer
                 ? sizeof(int32_t)
                 : sizeof(double);
  }
  return bytes + cart_trial_max_toci_doses(trial) * sizeof(double);
}

/* Every caller's status of a step (run.h): the driver's agreement, or this caller's own. */
static int agree(const cartp_run_driver *driver, int status, cart_error *err)
{
  return driver->agree != NULL ? driver->agree(driver->data, status, err) : status;
}

void cart_trial_run_options_default(cart_trial_run_options *options)
{
  if (options != NULL) {
    memset(options, 0, sizeof *options);
    options->scenario_text = NULL;
    options->progress = NULL;
    options->progress_data = NULL;
  }
}

int cartp_trial_run(const cart_trial *trial, const char *path, size_t block_size,
                    const cart_trial_run_options *options, const cartp_run_driver *driver,
                    const cartp_run_sink *sink, cart_trial_summary *summary,
                    cartp_run_stats *stats, cart_error *err)
{
  const cart_progress_fn progress = options->progress;
  const size_t n = cart_trial_n_patients(trial);
  cartp_run_stats local_stats = {0, 0, 0};
  const size_t row_bytes = patient_bytes(trial);
  /* two blocks when the sink writes one while the next is solved */
  cart_trial_block *blocks[2] = {cart_trial_block_new(trial, block_size, err), NULL};
  if (blocks[0] != NULL && sink->drain != NULL) {
    blocks[1] = cart_trial_block_new(trial, block_size, err);
  }
  const int allocated = blocks[0] != NULL && (sink->drain == NULL || blocks[1] != NULL);
  cart_trial_workspace *workspace =
      allocated ? cart_trial_workspace_new(trial, options->n_threads, err) : NULL;
  int status = agree(driver, workspace != NULL ? CART_OK : err->code, err);
  for (size_t round = 0; status == CART_OK && round < driver->rounds; round++) {
    cart_trial_block *block = blocks[sink->drain != NULL ? round % 2 : 0];
    size_t first = 0, count = 0;
    driver->block(driver->data, round, &first, &count);
    double start = now();
    if (count > 0) {
      status = cart_trial_run_block(trial, workspace, first, count, block);
      if (status != CART_OK) {
        cartp_error_copy(err, cart_trial_workspace_last_error(workspace));
      }
    } else {
      block->first = first; /* nothing left: an empty block joins the round's write */
      block->count = 0;
    }
    local_stats.solve_s += now() - start;
    if ((status = agree(driver, status, err)) != CART_OK) {
      break;
    }
    if (stats != NULL && driver->wait != NULL) {
      driver->wait(driver->data); /* time the writes, not the wait for slower callers */
    }
    start = now();
    status = agree(driver, sink->write(sink->data, block, err), err);
    local_stats.write_s += now() - start;
    if (status != CART_OK) {
      break;
    }
    local_stats.bytes += (unsigned long long)(count * row_bytes);
    const size_t done = driver->done(driver->data, round + 1);
    if (progress != NULL && progress(done, n, options->progress_data) != 0 && done < n) {
      status = cartp_error(err, CART_ESTOPPED,
                           "stopped after %zu of %zu patients: '%s' is incomplete", done, n,
                           path);
    }
    status = agree(driver, status, err);
  }
  if (sink->drain != NULL) { /* the last block's write: the blocks are read until it ends */
    cart_error drained;
    const int last = sink->drain(sink->data, &drained);
    if (last != CART_OK && (status == CART_OK || status == CART_ESTOPPED)) {
      status = last;
      cartp_error_copy(err, &drained);
    }
    status = agree(driver, status, err);
  }
  cart_trial_workspace_free(workspace);
  cart_trial_block_free(blocks[0]);
  cart_trial_block_free(blocks[1]);

  /* The summary, read back from the file by one caller (every block is written and flushed: the
   * last agreement ordered it after every caller's writes), so no caller keeps rows for it. */
  cart_trial_summary local_summary;
  cart_trial_summary *s = summary != NULL ? summary : &local_summary;
  memset(s, 0, sizeof *s);
  if (status == CART_OK) {
    status = agree(driver, driver->reads_summary ? sink->summarize(sink->data, s, err) : CART_OK,
                   err);
  }
  if (status == CART_OK && driver->share != NULL) {
    driver->share(driver->data, s, sizeof *s); /* every caller writes the same attributes */
  }
  if (status == CART_OK) {
    cart_trial_summary_costs(trial, s); /* from the shared counts: the same on every caller */
  }
  if (status == CART_OK) {
    status = agree(driver, sink->finish(sink->data, s, err), err);
  }
  if (status != CART_OK && status != CART_ESTOPPED && err != NULL) {
    const size_t used = strlen(err->message);
    snprintf(err->message + used, sizeof err->message - used, "; '%s' is incomplete", path);
  }
  if (stats != NULL) {
    *stats = local_stats;
  }
  return status;
}

/* options->progress over the arms: the patients of the arms run before count as done. */
typedef struct arms_progress {
  const cart_trial_run_options *options;
  size_t before, total;
  int stop; /* the caller's progress asked to stop */
} arms_progress;

static int arms_progress_call(size_t done, size_t total, void *data)
{
  arms_progress *p = data;
  (void)total;
  const int stop = p->options->progress(p->before + done, p->total, p->options->progress_data);
  p->stop |= stop != 0;
  return stop;
}

int cartp_arms_run(const cart_trial *const *trials, const char *const *names, size_t n_arms,
                   const char *path, size_t block_size, const cart_trial_run_options *options,
                   const cartp_run_driver *driver, const cartp_run_sink *sink,
                   cart_trial_summary *summaries, cartp_run_stats *stats, cart_error *err)
{
  const size_t n = cart_trial_n_patients(trials[0]);
  arms_progress progress = {options, 0, n * n_arms, 0};
  cart_trial_run_options arm_options = *options;
  if (options->progress != NULL) {
    arm_options.progress = arms_progress_call;
    arm_options.progress_data = &progress;
  }
  cartp_run_stats total = {0, 0, 0};
  int status = CART_OK;
  for (size_t a = 0; status == CART_OK && a < n_arms; a++) {
    if (sink->select_arm != NULL) {
      status = agree(driver, sink->select_arm(sink->data, a, err), err);
    }
    if (status == CART_OK && a > 0) {
      /* a stop asked for at the last round of the arm before (its run had nothing left to
       * stop) */
      status = agree(driver,
                     progress.stop ? cartp_error(err, CART_ESTOPPED,
                                                 "stopped after %zu of %zu arms: '%s' is "
                                                 "incomplete",
                                                 a, n_arms, path)
                                   : CART_OK,
                     err);
    }
    cartp_run_stats arm_stats = {0, 0, 0};
    if (status == CART_OK) {
      progress.before = a * n;
      status = cartp_trial_run(trials[a], path, block_size, &arm_options, driver, sink,
                               summaries != NULL ? &summaries[a] : NULL,
                               stats != NULL ? &arm_stats : NULL, err);
    }
    total.solve_s += arm_stats.solve_s;
    total.write_s += arm_stats.write_s;
    total.bytes += arm_stats.bytes;
    if (status != CART_OK && names != NULL && err != NULL) {
      char message[sizeof err->message];
      memcpy(message, err->message, sizeof message);
      const int used = snprintf(err->message, sizeof err->message, "arm '%s': ", names[a]);
      if (used > 0 && (size_t)used < sizeof err->message) { /* a long message is cut */
        memcpy(err->message + used, message, sizeof err->message - (size_t)used - 1);
        err->message[sizeof err->message - 1] = '\0';
      }
    }
  }
  if (stats != NULL) {
    *stats = total;
  }
  return status;
}
