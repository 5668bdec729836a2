/* run_file_mpi.c: cart_mpi_trial_run_file (cart_mpi.h), libcart_mpi's own code. The run loop is
 * the trial layer's (lib/trial/run.c) and the file layout layout.c's, both compiled over
 * parallel HDF5 into libcart_mpi; what MPI adds is here: the block split over the ranks, the
 * agreement on errors, the first rank's values shared with all, and the MPI-IO file access. */
#include <stdio.h>
#include <string.h>

#include <cart/cart_mpi.h>

#include "../io/layout.h"
#include "../io/run_sink.h"
#include "../trial/run.h"
#include "../util/error.h"

/* One rank's view of the job. */
typedef struct mpi_split {
  MPI_Comm comm;
  int rank, size;
  size_t n_patients, block_size, n_blocks;
  size_t first_block, my_blocks; /* this rank's blocks: [first_block, first_block + my_blocks) */
} mpi_split;

/* ---- which blocks run where ---- */

/* Rank r's blocks out of n_blocks over `size` ranks: contiguous, the first n_blocks % size ranks
 * one more than the others. */
static void rank_blocks(size_t n_blocks, int size, int r, size_t *first, size_t *count)
{
  const size_t base = n_blocks / (size_t)size, extra = n_blocks % (size_t)size;
  const size_t rr = (size_t)r;
  *first = rr * base + (rr < extra ? rr : extra);
  *count = base + (rr < extra ? 1 : 0);
}

/* Patients [*first, *end) of blocks [first_block, first_block + blocks). */
static void block_patients(const mpi_split *split, size_t first_block, size_t blocks,
                           size_t *first, size_t *end)
{
  *first = first_block * split->block_size;
  *end = (first_block + blocks) * split->block_size;
  *first = *first < split->n_patients ? *first : split->n_patients;
  *end = *end < split->n_patients ? *end : split->n_patients;
}

static void split_block(void *data, size_t round, size_t *first, size_t *count)
{
  const mpi_split *split = data;
  size_t end, mine;
  block_patients(split, split->first_block, split->my_blocks, &mine, &end);
  *first = end; /* no block left: an empty selection after this rank's rows */
  if (round < split->my_blocks) {
    block_patients(split, split->first_block + round, 1, first, &end);
  }
  *count = end - *first;
}

static size_t split_done(void *data, size_t rounds)
{
  const mpi_split *split = data;
  size_t done = 0;
  for (int r = 0; r < split->size; r++) {
    size_t first_block, blocks, first, end;
    rank_blocks(split->n_blocks, split->size, r, &first_block, &blocks);
    block_patients(split, first_block, blocks < rounds ? blocks : rounds, &first, &end);
    done += end - first;
  }
  return done;
}

/* ---- agreement ---- */

/* What agree() sends from the first failing rank. */
typedef struct mpi_failure {
  int code;
  char message[CART_ERROR_MESSAGE_SIZE];
} mpi_failure;

int cart_mpi_agree(MPI_Comm comm, int status, cart_error *err)
{
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const int failing[2] = {status != CART_OK ? rank : size, status != CART_OK};
  int first = size, n_failing = 0;
  MPI_Allreduce(&failing[0], &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == size) {
    return CART_OK;
  }
  MPI_Allreduce(&failing[1], &n_failing, 1, MPI_INT, MPI_SUM, comm);
  mpi_failure failure;
  memset(&failure, 0, sizeof failure);
  if (rank == first) {
    const char *message = err != NULL && err->message[0] ? err->message : cart_strerror(status);
    failure.code = status;
    const size_t used = n_failing < size ? (size_t)snprintf(failure.message,
                                                             sizeof failure.message,
                                                             "rank %d: ", first)
                                         : 0;
    if (used < sizeof failure.message) { /* a long message is cut */
      snprintf(failure.message + used, sizeof failure.message - used, "%s", message);
    }
  }
  MPI_Bcast(&failure, (int)sizeof failure, MPI_BYTE, first, comm);
  return cartp_error(err, failure.code, "%s", failure.message);
}

static int split_agree(void *data, int status, cart_error *err)
{
  const mpi_split *split = data;
  return cart_mpi_agree(split->comm, status, err);
}

/* The first rank's bytes to all (one homogeneous cluster: structs as bytes). */
static void split_share(void *data, void *bytes, size_t size)
{
  const mpi_split *split = data;
  MPI_Bcast(bytes, (int)size, MPI_BYTE, 0, split->comm);
}

static int split_any_failed(void *data, int failed)
{
  const mpi_split *split = data;
  int any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, split->comm);
  return any != 0;
}

static void split_wait(void *data)
{
  const mpi_split *split = data;
  MPI_Barrier(split->comm);
}

/* ---- the MPI-IO file access ---- */

/* Every rank of the communicator opens the file through MPI-IO; parallel HDF5 changes metadata
 * collectively and writes deflated datasets only with collective transfers, so writes are
 * collective; the summary's reads are independent, so that rank 0 reads alone. Returns 0, or -1
 * with the lists made so far closed. */
static int access_open(cartp_h5_access *access, mpi_split *split)
{
  memset(access, 0, sizeof *access);
  access->fcpl = H5Pcreate(H5P_FILE_CREATE);
  access->fapl = H5Pcreate(H5P_FILE_ACCESS);
  access->write_xfer = H5Pcreate(H5P_DATASET_XFER);
  access->read_xfer = H5Pcreate(H5P_DATASET_XFER);
  access->collective = 1;
  access->removes = split->rank == 0;
  access->errno_known = 0; /* MPI-IO leaves no errno that means anything */
  access->share = split_share;
  access->any_failed = split_any_failed;
  access->share_data = split;
  /* a rank killed mid-write leaves a readable file (cartp_h5_lists_for_kills; parallel HDF5
   * allocates every chunk at creation with its fill value, so every block's write moves chunks) */
  if (access->write_xfer >= 0 && access->read_xfer >= 0
      && cartp_h5_lists_for_kills(access->fcpl, access->fapl) == 0
      && H5Pset_fapl_mpio(access->fapl, split->comm, MPI_INFO_NULL) >= 0
      && H5Pset_dxpl_mpio(access->write_xfer, H5FD_MPIO_COLLECTIVE) >= 0
      && H5Pset_dxpl_mpio(access->read_xfer, H5FD_MPIO_INDEPENDENT) >= 0) {
    return 0;
  }
  const hid_t lists[4] = {access->fcpl, access->fapl, access->write_xfer, access->read_xfer};
  for (int i = 0; i < 4; i++) {
    if (lists[i] >= 0) {
      H5Pclose(lists[i]);
    }
  }
  return -1;
}

static void access_close(cartp_h5_access *access)
{
  H5E_BEGIN_TRY
  {
    H5Pclose(access->fcpl);
    H5Pclose(access->fapl);
    H5Pclose(access->write_xfer);
    H5Pclose(access->read_xfer);
  }
  H5E_END_TRY;
}

/* ---- the run ---- */

/* The arms of `view` (prepared on every rank, or the failure of that in `status`) into `path`
 * over the ranks of `comm`. */
static int run_file(MPI_Comm comm, const cartp_arms_view *view, int status, const char *path,
                    const cart_trial_run_options *options, cart_trial_summary *summaries,
                    cart_mpi_stats *stats, cart_error *err)
{
  cart_trial_run_options defaults;
  if (options == NULL) {
    cart_trial_run_options_default(&defaults);
    options = &defaults;
  }
  cart_error local;
  cart_error_clear(&local);
  err = err != NULL ? err : &local;
  mpi_split split;
  memset(&split, 0, sizeof split);
  split.comm = comm;
  MPI_Comm_rank(comm, &split.rank);
  MPI_Comm_size(comm, &split.size);
  if ((status = split_agree(&split, status, err)) != CART_OK) {
    return status;
  }
  /* Blocks of block_size patients (the chunks), whole blocks per rank. */
  const size_t n = cart_trial_n_patients(view->trials[0]);
  size_t block_size = options->block_size;
  if (block_size == 0) {
    const size_t per_rank = (n + (size_t)split.size - 1) / (size_t)split.size;
    block_size = per_rank < CART_TRIAL_BLOCK_DEFAULT ? per_rank : CART_TRIAL_BLOCK_DEFAULT;
  }
  split.n_patients = n;
  split.block_size = block_size < n ? block_size : n;
  split.n_blocks = (n + split.block_size - 1) / split.block_size;
  rank_blocks(split.n_blocks, split.size, split.rank, &split.first_block, &split.my_blocks);
  size_t first0, rounds;
  rank_blocks(split.n_blocks, split.size, 0, &first0, &rounds);

  /* The file, created by all ranks together before any solving. */
  cartp_h5_access access;
  int access_ok = 0;
  H5E_BEGIN_TRY /* HDF5 prints nothing (library code does not print) */
  {
    access_ok = access_open(&access, &split) == 0;
  }
  H5E_END_TRY;
  status = access_ok ? CART_OK : cartp_error(err, CART_EIO, "cannot set up MPI-IO for '%s'", path);
  if ((status = split_agree(&split, status, err)) != CART_OK) {
    if (access_ok) {
      access_close(&access);
    }
    return status;
  }
  cart_h5_file *file =
      cartp_h5_file_new(path, view->trials, view->names, view->labels, view->count,
                        options->scenario_text, options->force, split.block_size, &access, err);
  if (file == NULL) {
    status = err->code != CART_OK ? err->code : CART_EIO;
  }
  int have_file = file != NULL, all_have = 0, any_has = 0;
  MPI_Allreduce(&have_file, &all_have, 1, MPI_INT, MPI_MIN, comm);
  MPI_Allreduce(&have_file, &any_has, 1, MPI_INT, MPI_MAX, comm);
  if (any_has && !all_have) {
    return cartp_error(err, CART_EIO, "the ranks disagree on whether '%s' was created", path);
  }
  if ((status = split_agree(&split, status, err)) != CART_OK) {
    access_close(&access);
    return status;
  }

  const cartp_run_driver driver = {&split,     rounds,      split_block, split_done,
                                   split_agree, split_share, split_wait,  split.rank == 0};
  const cartp_run_sink sink = cartp_h5_sink(file);
  cartp_run_stats mine;
  status = cartp_arms_run(view->trials, view->names, view->count, path, split.block_size,
                          options, &driver, &sink, summaries, stats != NULL ? &mine : NULL, err);
  /* Closing is collective; every rank is here, with the same status. */
  const int closed = cart_h5_file_free(file);
  access_close(&access);
  if (status == CART_OK) {
    status = split_agree(&split,
                         closed == CART_OK
                             ? CART_OK
                             : cartp_error(err, CART_EIO, "closing '%s' failed", path),
                         err);
  }
  if (stats != NULL) {
    double slowest[2] = {mine.solve_s, mine.write_s}, slowest_all[2] = {0, 0};
    MPI_Allreduce(slowest, slowest_all, 2, MPI_DOUBLE, MPI_MAX, comm);
    MPI_Allreduce(&mine.bytes, &stats->bytes, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
    stats->solve_s = slowest_all[0];
    stats->write_s = slowest_all[1];
    stats->block_size = split.block_size;
  }
  return status;
}

/* The entry points: `arms` (NULL: `trial` as one unnamed arm) prepared, then run_file, which
 * agrees on the preparation's status first. */
static int run_entry(MPI_Comm comm, cart_arms *arms, cart_trial *trial, const char *caller,
                     const char *path, const cart_trial_run_options *options,
                     cart_trial_summary *summaries, cart_mpi_stats *stats, cart_error *err)
{
  cart_error local;
  err = err != NULL ? err : &local;
  cartp_arms_view view;
  const int status = cartp_arms_view_prepare(&view, arms, trial, path, caller, err);
  return run_file(comm, &view, status, path, options, summaries, stats, err);
}

int cart_mpi_trial_run_file(MPI_Comm comm, cart_trial *trial, const char *path,
                            const cart_trial_run_options *options, cart_trial_summary *summary,
                            cart_mpi_stats *stats, cart_error *err)
{
  return run_entry(comm, NULL, trial, "cart_mpi_trial_run_file", path, options, summary, stats,
                   err);
}

int cart_mpi_arms_run_file(MPI_Comm comm, cart_arms *arms, const char *path,
                           const cart_trial_run_options *options, cart_trial_summary *summaries,
                           cart_mpi_stats *stats, cart_error *err)
{
  return run_entry(comm, arms, NULL, "cart_mpi_arms_run_file", path, options, summaries, stats,
                   err);
}
