/* run_file.c: a whole trial into one HDF5 file, block by block (the loop `cart trial` and the
 * Python package share): create the file before any solving, run each block, write and flush it,
 * read the summary back from the file (so memory does not grow with N), and mark the file
 * complete only at the end. */
#include <cart/cart_hdf5.h>

#include "../util/error.h"

int cart_trial_run_file(cart_trial *trial, const char *path, const char *scenario_text, int force,
                        size_t block_size, int n_threads, cart_progress_fn progress,
                        void *progress_data, cart_trial_summary *summary, cart_error *err)
{
  if (trial == NULL || path == NULL || block_size == 0) {
    return cartp_error(err, CART_EINVAL,
                       "cart_trial_run_file: trial and path must be given, block_size >= 1");
  }
  int status = cart_trial_prepare(trial);
  if (status != CART_OK) {
    return cartp_error_copy(err, cart_trial_last_error(trial));
  }
  const size_t n = cart_trial_n_patients(trial);
  const size_t per_block = block_size < n ? block_size : n;
  cart_h5_file *file = cart_h5_create(path, trial, scenario_text, force, per_block, err);
  if (file == NULL) {
    return err ? err->code : CART_EIO;
  }
  cart_trial_block *block = cart_trial_block_alloc(trial, per_block, err);
  status = block == NULL ? CART_ENOMEM : CART_OK;
  for (size_t done = 0; status == CART_OK && done < n;) {
    const size_t count = n - done < per_block ? n - done : per_block;
    if (cart_trial_run_block(trial, done, count, n_threads, block) != CART_OK) {
      status = cartp_error_copy(err, cart_trial_last_error(trial));
    } else if (cart_h5_write_block(file, block) != CART_OK) {
      status = cartp_error_copy(err, cart_h5_last_error(file));
    } else {
      done += count;
      if (progress != NULL && progress(done, n, progress_data) != 0 && done < n) {
        status = cartp_error(err, CART_ESTOPPED,
                             "stopped after %zu of %zu patients: '%s' is incomplete", done, n,
                             path);
      }
    }
  }
  cart_trial_summary local;
  cart_trial_summary *s = summary != NULL ? summary : &local;
  if (status == CART_OK && cart_h5_summarize(file, s) != CART_OK) {
    status = cartp_error_copy(err, cart_h5_last_error(file));
  }
  if (status == CART_OK && cart_h5_finish(file, s) != CART_OK) {
    status = cartp_error_copy(err, cart_h5_last_error(file));
  }
  if (cart_h5_close(file) != CART_OK && status == CART_OK) {
    status = cartp_error(err, CART_EIO, "closing '%s' failed", path);
  }
  cart_trial_block_free(block);
  return status;
}
