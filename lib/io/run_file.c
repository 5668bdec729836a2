/* run_file.c: a whole trial (or the arms of one) into one HDF5 file by one caller: the file
 * (created before any solving, serial access) is the sink of the trial layer's run loop
 * (lib/trial/run.c), every block is this caller's and there is no one to agree with. */
#include <string.h>

#include <cart/cart_hdf5.h>

#include "../trial/run.h"
#include "../util/error.h"
#include "layout.h"
#include "run_sink.h"

/* One caller: round r is block r. */
typedef struct serial_split {
  size_t n_patients, block_size;
} serial_split;

static void serial_block(void *data, size_t round, size_t *first, size_t *count)
{
  const serial_split *split = data;
  *first = round * split->block_size;
  *count = split->n_patients - *first < split->block_size ? split->n_patients - *first
                                                           : split->block_size;
}

static size_t serial_done(void *data, size_t rounds)
{
  const serial_split *split = data;
  return rounds * split->block_size < split->n_patients ? rounds * split->block_size
                                                        : split->n_patients;
}

/* The arms of `view` (prepared) into `path`. */
static int run_file(const cartp_arms_view *view, const char *path,
                    const cart_trial_run_options *options, cart_trial_summary *summaries,
                    cart_error *err)
{
  cart_trial_run_options defaults;
  if (options == NULL) {
    cart_trial_run_options_default(&defaults);
    options = &defaults;
  }
  const size_t block_size = options->block_size > 0 ? options->block_size
                                                    : CART_TRIAL_BLOCK_DEFAULT;
  const size_t n = cart_trial_n_patients(view->trials[0]);
  serial_split split = {n, block_size < n ? block_size : n};
  cart_h5_file *file = cartp_h5_file_new_serial(path, view, options->scenario_text,
                                                options->force, split.block_size, err);
  if (file == NULL) {
    return err ? err->code : CART_EIO;
  }
  const cartp_run_driver driver = {&split, (n + split.block_size - 1) / split.block_size,
                                   serial_block, serial_done, NULL, NULL, NULL, 1};
  /* the file written by a thread of its own while the next block is solved */
  cartp_h5_async *async = cartp_h5_async_new(file);
  const cartp_run_sink sink = async != NULL ? cartp_h5_async_sink(async) : cartp_h5_sink(file);
  cart_error local;
  int status = cartp_arms_run(view->trials, view->names, view->count, path, split.block_size,
                              options, &driver, &sink, summaries, NULL,
                              err != NULL ? err : &local);
  const int last = cartp_h5_async_free(async, err != NULL ? err : &local);
  if (last != CART_OK && status == CART_OK) {
    status = last;
  }
  if (cart_h5_file_free(file) != CART_OK && status == CART_OK) {
    status = cartp_error(err, CART_EIO, "closing '%s' failed", path);
  }
  return status;
}

int cart_trial_run_file(cart_trial *trial, const char *path, const cart_trial_run_options *options,
                        cart_trial_summary *summary, cart_error *err)
{
  cartp_arms_view view;
  const int status =
      cartp_arms_view_prepare(&view, NULL, trial, path, "cart_trial_run_file", err);
  return status != CART_OK ? status : run_file(&view, path, options, summary, err);
}

int cart_arms_run_file(cart_arms *arms, const char *path, const cart_trial_run_options *options,
                       cart_trial_summary *summaries, cart_error *err)
{
  cartp_arms_view view;
  const int status = cartp_arms_view_prepare(&view, arms, NULL, path, "cart_arms_run_file", err);
  return status != CART_OK ? status : run_file(&view, path, options, summaries, err);
}
