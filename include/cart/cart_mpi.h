/* cart_mpi.h: a virtual trial over the ranks of an MPI communicator, into one HDF5 file
 * (libcart_mpi; installed when configure found MPI and parallel HDF5).
 *
 * libcart_mpi is libcart built over parallel HDF5, plus this header: it exports every cart_
 * function of libcart and the cart_mpi_ ones, so a program links it instead of libcart
 * (pkg-config libcart_mpi), and a process holds one HDF5 library, the parallel one. The serial
 * libcart never links MPI.
 *
 * Thread safety: call it from the thread that initialised MPI (MPI_THREAD_FUNNELED is enough:
 * the OpenMP threads that solve inside each rank make no MPI calls), on every rank of `comm`
 * with the same arguments, as any collective MPI call.
 */
#ifndef CART_MPI_H
#define CART_MPI_H

#include <stddef.h>

#include <mpi.h>

#include <cart/cart_hdf5.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What cart_mpi_trial_run_file measured, the same on every rank. */
typedef struct cart_mpi_stats {
  double solve_s;           /* the slowest rank's seconds running its blocks */
  double write_s;           /* the slowest rank's seconds in the collective writes */
  unsigned long long bytes; /* bytes of rows written by all ranks, uncompressed */
  size_t block_size;        /* patients per block (and chunk) */
} cart_mpi_stats;

/* cart_trial_run_file over the ranks of `comm`: every rank calls it with the same trial (built
 * from the same scenario), path and options (NULL: the defaults of
 * cart_trial_run_options_default). The N patients are cut into blocks of options->block_size
 * (0: N / ranks, at most CART_TRIAL_BLOCK_DEFAULT), the chunk size of every dataset; each rank takes a contiguous run
 * of whole blocks, balanced to within one block, so no two ranks write into one chunk; round by
 * round every rank runs its next block with options->n_threads OpenMP threads (0: OpenMP's
 * default) and
 * all write it collectively into the one file (parallel HDF5, MPI-IO), a rank with no block left
 * joining with an empty selection. A patient's results depend only on the plan, the seed and its
 * index: the datasets are bit-identical to cart_trial_run_file's for any number of ranks and
 * threads. After the last round rank 0 reads the summary back from the file (memory independent
 * of N), every rank gets it in *summary (may be NULL) and complete = 1 is set last.
 *
 * options->progress (may be NULL) is called after every round on every rank with the patients
 * written by all ranks; a nonzero return on any rank stops the run on all (CART_ESTOPPED). stats
 * (may be NULL, on every rank or on none) gets the times and bytes; asking for them adds a barrier
 * before every write.
 *
 * Errors are agreed after every step that can fail on one rank, before any collective call that
 * could wait for it: every rank returns the same code and *err (may be NULL) the same message,
 * "rank R: " first when not every rank failed. The codes are cart_trial_run_file's; a failure
 * after the file exists leaves it with complete = 0 and every round written before the failure,
 * and the message ends with "; 'PATH' is incomplete". Should the ranks ever disagree on whether
 * the file was created, the handles are left open (closing them would wait for ranks that do
 * not hold one), CART_EIO is returned and the caller should MPI_Abort. */
int cart_mpi_trial_run_file(MPI_Comm comm, cart_trial *trial, const char *path,
                            const cart_trial_run_options *options, cart_trial_summary *summary,
                            cart_mpi_stats *stats, cart_error *err);

/* cart_arms_run_file (cart_hdf5.h) over the ranks of `comm`: every arm in turn as
 * cart_mpi_trial_run_file runs a trial, into one file (cart_h5_file_new_arms's layout), each
 * arm bit-identical to cart_arms_run_file's for any number of ranks and threads; summaries:
 * cart_arms_count(arms) of them (may be NULL), on every rank. Called on every rank with arms
 * built from the same scenario. */
int cart_mpi_arms_run_file(MPI_Comm comm, cart_arms *arms, const char *path,
                           const cart_trial_run_options *options, cart_trial_summary *summaries,
                           cart_mpi_stats *stats, cart_error *err);

/* Agreement on a step that can fail on some ranks only: every rank of `comm` calls it with its
 * own status (CART_OK or a code, its message in *err). Returns CART_OK on every rank when all
 * succeeded; otherwise the code of the lowest failing rank on every rank, with that rank's
 * message in *err (may be NULL), "rank R: " first when not every rank failed. Collective. */
int cart_mpi_agree(MPI_Comm comm, int status, cart_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CART_MPI_H */
