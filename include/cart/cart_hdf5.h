/* cart_hdf5.h: a virtual trial written to one HDF5 file (the layout is documented in cart(1)).
 *
 *   /            attributes libcart_version, model, scenario, seed, n_patients, complete (0 at
 *                creation, 1 only after the last block is written and flushed), created (ISO 8601)
 *   /time        (n_times) float64, unit "day"
 *   /params      (n_patients x n_params) float64, attributes names, units
 *   /trajectories/<name>  (n_patients x n_times) float32, attribute unit
 *   /endpoints/<name>     (n_patients) float64, or int32 for codes and counts, attribute unit
 *   /events/toci_times  (n_patients x max(1, cart_trial_max_toci_doses)) float64, unit "day": the
 *                days of each patient's tocilizumab doses (fixed and by rule), in time order,
 *                NaN after the last
 *   /status      (n_patients) int32
 *   /summary     group whose attributes are the oncology fields of cart_trial_summary
 *   /summary/endpoints  group with attribute names (the model's endpoints in its order) and a
 *                group per endpoint, /summary/endpoints/<name>, whose attributes are its
 *                cart_endpoint_summary: unit, n_number (uint64), mean, p5, p25, p50, p75, p95
 *                (float64) and, for an integer endpoint, n_level (uint64[CART_SUMMARY_MAX_LEVEL
 *                + 1]) and n_above (uint64)
 * Datasets are chunked by blocks of patients, with shuffle and deflate (level 4), little-endian
 * IEEE types. Rows of patients not yet written read as the fill value: NaN in float datasets,
 * INT32_MIN (-2147483648) in /status and in the int32 endpoints, where it also stands for the
 * endpoints of a patient that failed (NaN in the block). /params has `names` and `units`
 * attributes instead of `unit`.
 * A run that fails or is killed leaves complete = 0 and every block written so far readable;
 * /status is written last of a block's rows, so a row whose status is written is whole (a write
 * that failed may have left part of its block in the other datasets).
 *
 * Ownership: cart_h5_file_new returns a handle the caller frees with cart_h5_file_free (NULL
 * allowed), which closes the file and never sets complete; cart_h5_finish does, after writing the
 * summary.
 * Thread safety: one thread per file; libhdf5 (serial) is not thread-safe, so use one file at a
 * time in a process.
 */
#ifndef CART_HDF5_H
#define CART_HDF5_H

#include <stddef.h>

#include <cart/cart_arms.h>
#include <cart/cart_errno.h>
#include <cart/cart_trial.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cart_h5_file cart_h5_file;

/* Creates `path` for `trial` (its model, parameter names and units, outputs, times, seed, N) and
 * the scenario text that defined it (stored as is; NULL is stored as ""). An existing file is an error
 * (CART_EEXIST) unless `force`; a path that exists and is not a regular file (a device, a FIFO, a
 * directory) is CART_EINVAL, even with `force`; a path that cannot be created is CART_EIO.
 * Nothing is solved here, so a bad path fails before any work. A file this call created but
 * could not lay out is removed; nothing that was there before ever is. HDF5 prints nothing: its
 * automatic error printing is off during every cart_h5_ call and restored after it.
 * chunk_patients: patients per chunk (e.g. the block size). */
cart_h5_file *cart_h5_file_new(const char *path, const cart_trial *trial,
                               const char *scenario_text, int force, size_t chunk_patients,
                               cart_error *err);

/* The same file for the arms of a trial (cart_arms.h; borrowed, only read): one unnamed arm
 * gives the plain layout above, named arms a group per arm, /arms/NAME, holding what the root
 * holds for one trial (params, trajectories/, endpoints/, events/, patients/, status and, once
 * finished, summary/; /time and the root attributes stay at the root), with attributes label and
 * index (the arm's position), and the root attribute arms (the names, in the arms' order). Every
 * arm's datasets exist from the start. CART_EINVAL for no arms; otherwise as cart_h5_file_new. */
cart_h5_file *cart_h5_file_new_arms(const char *path, const cart_arms *arms,
                                    const char *scenario_text, int force, size_t chunk_patients,
                                    cart_error *err);

/* The arm that cart_h5_write_block, cart_h5_summarize and cart_h5_finish work on next (0 when
 * the file is made). CART_EINVAL for an arm the file does not have. */
int cart_h5_select_arm(cart_h5_file *file, size_t arm);
/* The file's arms (1 for the plain layout; 0 for NULL). */
size_t cart_h5_n_arms(const cart_h5_file *file);

/* Writes the rows of the block's patients. CART_EIO on failure; CART_EINVAL for a block of
 * another shape or outside the file's patients; CART_ENOMEM. */
int cart_h5_write_block(cart_h5_file *file, const cart_trial_block *block);

/* The summary of the patients in the file (every one of its N; a row not written counts as not
 * solved), read back from /status and /endpoints in bounded chunks: the rates, counts and means
 * of every endpoint in one pass, each endpoint's percentiles by the exact selection of
 * cart_summary_acc (cart_trial.h), a few passes over its column. Bit-identical to a cart_summary_acc_new accumulator fed the same blocks (integer
 * endpoints are whole numbers by contract, so int32 keeps them), and memory does not grow with N.
 * CART_EIO when a read fails, CART_ENOMEM, CART_EINVAL for NULL. With parallel HDF5 (cart-mpi)
 * the reads are independent: one rank may call it alone. */
int cart_h5_summarize(cart_h5_file *file, cart_trial_summary *summary);

/* Writes /summary (and /summary/endpoints) of the selected arm, flushes, and once every arm's
 * summary is written sets complete = 1 and flushes again.
 * CART_EIO on failure, CART_EINVAL for NULL arguments or a summary whose n_endpoints is not the
 * file's model's. */
int cart_h5_finish(cart_h5_file *file, const cart_trial_summary *summary);

/* Closes the file and frees the handle (complete stays as it is; NULL allowed). Returns CART_OK,
 * or CART_EIO when closing failed: HDF5 writes what it still holds on closing, so the last writes
 * may then be lost. */
int cart_h5_file_free(cart_h5_file *file);

const cart_error *cart_h5_last_error(const cart_h5_file *file);

/* A whole trial into `path` (the trial layer's run loop, lib/trial/run.c, with one caller;
 * cart_mpi_trial_run_file in cart_mpi.h runs it over MPI ranks): prepares the trial, creates the
 * file (as cart_h5_file_new, with options->scenario_text and ->force, before any solving), runs the
 * patients in blocks of options->block_size with options->n_threads OpenMP threads in one
 * workspace, writes and flushes every block, computes the summary from the file
 * (cart_h5_summarize: memory independent of N) and sets complete = 1 only after the last.
 * options NULL: the defaults. The summary goes to *summary (may be NULL). Returns CART_OK, the
 * code that stopped it (CART_EEXIST, CART_EIO, the plan's errors, CART_ENOMEM), or CART_ESTOPPED
 * when options->progress asked to stop; *err (may be NULL) says what, ending with
 * "; 'PATH' is incomplete" after the file was created. Patients that fail are recorded in
 * /status and do not stop the run. */
int cart_trial_run_file(cart_trial *trial, const char *path, const cart_trial_run_options *options,
                        cart_trial_summary *summary, cart_error *err);

/* cart_trial_run_file for the arms of a trial (cart_arms.h): prepares every arm
 * (cart_arms_prepare), creates the file (cart_h5_file_new_arms) before any solving, then runs
 * the arms one after another, each exactly as cart_trial_run_file runs a trial (its results and
 * summary bit-identical to the arm run alone), and sets complete = 1 after the last arm's
 * summary. summaries: cart_arms_count(arms) of them (may be NULL). options->progress counts the
 * patients of every arm (total: arms x N). A failure's message starts with "arm 'NAME': " for a
 * named arm. */
int cart_arms_run_file(cart_arms *arms, const char *path, const cart_trial_run_options *options,
                       cart_trial_summary *summaries, cart_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CART_HDF5_H */
