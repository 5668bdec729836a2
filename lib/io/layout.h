/* layout.h: a trial file's layout over a file access (internal).
 *
 * layout.c writes the datasets, attributes and chunks of cart_hdf5.h and reads the summary back;
 * how the file is reached is the caller's: hdf5.c passes the serial access (HDF5's defaults),
 * lib/mpi/ the MPI-IO one (every rank of a communicator opens the one file, writes collectively
 * and reads independently). The other cart_h5_ functions (write_block, summarize, finish, close,
 * last_error) take the handle, which keeps its access. */
#ifndef CART_IO_LAYOUT_H
#define CART_IO_LAYOUT_H

#include <hdf5.h>

#include <cart/cart_arms.h>
#include <cart/cart_hdf5.h>

/* How a file is reached. The property lists are borrowed: they must outlive every handle made
 * with them. */
typedef struct cartp_h5_access {
  hid_t fcpl;       /* file creation properties (H5P_DEFAULT) */
  hid_t fapl;       /* file access properties (H5P_DEFAULT: HDF5's default driver) */
  hid_t write_xfer; /* dataset transfer properties of the writes */
  hid_t read_xfer;  /* those of the summary's reads (one caller may read alone) */
  int collective;   /* every caller takes part in every write, one with no rows by an empty
                       selection */
  int removes;      /* this caller removes a file it created but could not lay out */
  int errno_known;  /* a failed H5Fcreate leaves errno meaningful (not so with MPI-IO) */
  /* The first caller's `size` bytes to every caller (NULL: there is one caller). */
  void (*share)(void *data, void *bytes, size_t size);
  /* 1 on every caller when `failed` is nonzero on any (NULL: there is one caller): every caller
   * stops a block's writes at the same dataset. */
  int (*any_failed)(void *data, int failed);
  void *share_data; /* the data of share and any_failed */
} cartp_h5_access;

/* Sets a file's creation and access lists so that a run killed at any moment leaves a readable
 * file (serial and MPI access alike): the metadata reaches the disk only at the flush after each
 * block, not at a "sync point" in the middle of a block's writes (HDF5 holds one whenever 256 KiB
 * of metadata got dirty; 32 MiB is the most it takes, a quarter of its largest cache), and space
 * once used is never given out again (no free-space manager: a chunk rewritten with another
 * compressed size moves, and until the next flush the index on disk still points at the old
 * place, which must stay whole). 0, or -1 when HDF5 refused a setting. */
int cartp_h5_lists_for_kills(hid_t fcpl, hid_t fapl);

/* cart_h5_file_new over `access` (copied; its property lists borrowed) for n_arms trials: names
 * NULL for the plain layout of one unnamed arm, else the group names of the arms (/arms/NAME)
 * with their labels (labels may be NULL). */
cart_h5_file *cartp_h5_file_new(const char *path, const cart_trial *const *trials,
                                const char *const *names, const char *const *labels,
                                size_t n_arms, const char *scenario_text, int force,
                                size_t chunk_patients, const cartp_h5_access *access,
                                cart_error *err);

/* The small files of other analyses (cart_sensitivity_write), with the trial file's helpers.
 * cartp_h5_create creates `path` (serial access; an existing regular file only with force) and
 * returns the file, or a negative id with CART_EEXIST, CART_EINVAL (not a regular file) or
 * CART_EIO in *err, the messages of a trial file's. The writers return 0, or -1 when an HDF5 call
 * failed (call them inside H5E_BEGIN_TRY): a scalar attribute, or one of n strings; a dataset of
 * rows (x columns, 0 for rank 1) doubles, deflated, with a unit attribute unless NULL. */
hid_t cartp_h5_create(const char *path, int force, cart_error *err);
int cartp_h5_attr_string(hid_t loc, const char *name, const char *text);
int cartp_h5_attr_strings(hid_t loc, const char *name, const char *const *texts, size_t n);
int cartp_h5_attr_uint64(hid_t loc, const char *name, uint64_t value);
int cartp_h5_attr_double(hid_t loc, const char *name, double value);
int cartp_h5_doubles(hid_t loc, const char *name, size_t rows, size_t columns,
                     const double *values, const char *unit);

/* The arms as the arrays cartp_h5_file_new takes (borrowed from the arms: valid while they
 * are). */
typedef struct cartp_arms_view {
  const cart_trial *trials[CART_MAX_ARMS];
  const char *names_storage[CART_MAX_ARMS];
  const char *labels[CART_MAX_ARMS];
  const char *const *names; /* NULL for one unnamed arm */
  size_t count;
} cartp_arms_view;

/* CART_OK, or CART_EINVAL for NULL or empty arms. */
int cartp_arms_view_init(cartp_arms_view *view, const cart_arms *arms, cart_error *err);

/* What the run functions start with: `arms` prepared (cart_arms_prepare) into *view, or, when
 * arms is NULL, `trial` prepared as one unnamed arm. CART_EINVAL (naming `caller`) for no arms
 * and no trial or no path, else the preparation's code, its message in *err. */
int cartp_arms_view_prepare(cartp_arms_view *view, cart_arms *arms, cart_trial *trial,
                            const char *path, const char *caller, cart_error *err);

/* The file of the arms of `view` with the serial access (hdf5.c). */
cart_h5_file *cartp_h5_file_new_serial(const char *path, const cartp_arms_view *view,
                                       const char *scenario_text, int force,
                                       size_t chunk_patients, cart_error *err);

#endif
