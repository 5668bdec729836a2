/* cart_mpi.c: cart-mpi, a virtual trial over the ranks of an MPI job, into one HDF5 file.
 *
 *   mpirun -np R cart-mpi trial [SCENARIO.ini] [-o FILE.h5] [-n N] [--seed S] [--threads K]
 *                               [--force] [--block B] [--timing]
 *                               [--stop-after-blocks K] [--fail-on-rank R] (both for testing)
 *
 * The options are those of `cart trial` (src/cli.c parses both). Rank 0 parses them and reads the
 * scenario and broadcasts both; every rank then builds the same trial from the same text. The N
 * patients are cut into blocks of B (the chunk size of every dataset), and each rank takes a
 * contiguous run of whole blocks, balanced to within one block, so no two ranks ever write into
 * the same chunk. Each rank runs its blocks with cart_trial_run_block (OpenMP threads inside,
 * the library's own ensemble code) and all ranks write round by round into the one file with
 * parallel HDF5 (lib/io/hdf5.c compiled with CART_H5_MPI: collective writes, a rank with no
 * block left joining with an empty selection). A patient's results depend only on the plan, the
 * seed and its index, so the datasets are bit-identical to `cart trial`'s for any number of ranks
 * and threads. No rank keeps rows for the summary: after every rank's last block is written and
 * flushed, rank 0 reads it back from the file (cart_h5_summarize, independent reads, memory
 * independent of N), broadcasts it, and all write it collectively; complete = 1 comes only
 * after that.
 *
 * Errors: after every step that can fail on one rank only (loading, creating, running, writing,
 * summarising), all ranks agree (MPI_Allreduce of the first failing rank, then its message
 * broadcast) before any collective call that could block. Before the file exists, rank 0 prints
 * the message and every rank exits with the same status; after, rank 0 prints it and calls
 * MPI_Abort: the file keeps complete = 0 and nothing can hang in a collective call with a rank
 * whose HDF5 state is broken. A rank that dies is Open MPI's to clean up: mpirun ends the job.
 *
 * Exit status (of mpirun): 0 success, 1 a failure during the run (or --stop-after-blocks),
 * 2 bad usage or input (an existing output file without --force included).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mpi.h>
#include <omp.h>

#include <cart/cart.h>

#include "../lib/util/error.h"
#include "../src/cli.h"

static const char usage_text[] =
    "usage: mpirun -np R cart-mpi trial [SCENARIO.ini] [-o FILE.h5] [-n N] [--seed S]\n"
    "                                   [--threads K] [--force] [--block B] [--timing]\n"
    "       cart-mpi --help | --version\n"
    "\n"
    "cart-mpi trial runs a virtual trial (the built-in default scenario, 1000 patients, or\n"
    "SCENARIO.ini; see cart-scenario(5)) over the ranks of an MPI job, K OpenMP threads per rank\n"
    "(default: OMP_NUM_THREADS), into one HDF5 file written by all ranks with parallel HDF5\n"
    "(default cart-trial.h5), and prints its summary. The file is the one `cart trial` writes,\n"
    "with bit-identical datasets for any number of ranks and threads. --timing prints the time\n"
    "spent solving and writing. See cart-mpi(1).\n"
    "\n"
    "Exit status: 0 success, 1 the run failed, 2 bad usage or input.\n";

/* One rank's view of the job. */
typedef struct mpi_run {
  int rank, size;
  size_t n_patients, block_size, n_blocks;
  size_t first_block, my_blocks; /* this rank's blocks: [first_block, first_block + my_blocks) */
  size_t max_blocks;             /* blocks of the busiest rank: the number of write rounds */
} mpi_run;

/* What agree() tells every rank about a failure. */
typedef struct mpi_failure {
  int rank, code;
  char message[CART_ERROR_MESSAGE_SIZE + 64];
} mpi_failure;

static double now(void)
{
  return MPI_Wtime();
}

/* ---- the plan: which blocks run where ---- */

/* Rank r's blocks out of n_blocks over `size` ranks: contiguous, the first n_blocks % size ranks
 * one more than the others. */
static void rank_blocks(size_t n_blocks, int size, int r, size_t *first, size_t *count)
{
  const size_t base = n_blocks / (size_t)size, extra = n_blocks % (size_t)size;
  const size_t rr = (size_t)r;
  *first = rr * base + (rr < extra ? rr : extra);
  *count = base + (rr < extra ? 1 : 0);
}

/* Patients [first, end) of blocks [first_block, first_block + blocks). */
static void block_patients(const mpi_run *run, size_t first_block, size_t blocks, size_t *first,
                           size_t *end)
{
  *first = first_block * run->block_size;
  *end = (first_block + blocks) * run->block_size;
  if (*first > run->n_patients) {
    *first = run->n_patients;
  }
  if (*end > run->n_patients) {
    *end = run->n_patients;
  }
}

static void plan(mpi_run *run, size_t n_patients, size_t block_size)
{
  run->n_patients = n_patients;
  run->block_size = block_size;
  run->n_blocks = (n_patients + block_size - 1) / block_size;
  rank_blocks(run->n_blocks, run->size, run->rank, &run->first_block, &run->my_blocks);
  size_t first0;
  rank_blocks(run->n_blocks, run->size, 0, &first0, &run->max_blocks);
}

/* ---- agreeing on errors ---- */

/* Every rank calls it after a step with its own status (CART_OK or a code, and a message). When
 * some rank failed, fills *failure on every rank with the lowest failing rank's code and message
 * and returns 1; 0 when all succeeded. */
static int agree(const mpi_run *run, int status, const char *message, mpi_failure *failure)
{
  const int mine = status != CART_OK ? run->rank : run->size;
  int first = run->size;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first == run->size) {
    return 0;
  }
  if (run->rank == first) {
    failure->rank = first;
    failure->code = status;
    snprintf(failure->message, sizeof failure->message, "%s", message ? message : "");
  }
  MPI_Bcast(failure, (int)sizeof *failure, MPI_BYTE, first, MPI_COMM_WORLD);
  return 1;
}

/* A failure after the file exists: rank 0 says what and where, then ends the whole job. The other
 * ranks wait in a barrier that only the abort ends. */
static void abort_run(const mpi_run *run, const mpi_failure *failure, const char *output)
    __attribute__((noreturn));
static void abort_run(const mpi_run *run, const mpi_failure *failure, const char *output)
{
  if (run->rank == 0) {
    if (run->size > 1) {
      fail(EXIT_SOLVE_FAILED, "rank %d: %s; '%s' is incomplete", failure->rank, failure->message,
           output);
    } else {
      fail(EXIT_SOLVE_FAILED, "%s; '%s' is incomplete", failure->message, output);
    }
    fflush(stdout);
    MPI_Abort(MPI_COMM_WORLD, EXIT_SOLVE_FAILED);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Abort(MPI_COMM_WORLD, EXIT_SOLVE_FAILED); /* not reached while rank 0 aborts */
  exit(EXIT_SOLVE_FAILED);
}

/* ---- rank 0 reads, everyone gets ---- */

/* Broadcasts rank 0's string (NULL is sent as ""): every rank gets a copy it frees, or every
 * rank gets NULL when one could not hold it (they agree before the content is sent). */
static char *broadcast_string(const mpi_run *run, const char *text)
{
  unsigned long long length = run->rank == 0 && text ? strlen(text) : 0;
  MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
  char *copy = malloc((size_t)length + 1);
  int held = copy != NULL, all_held = 0;
  MPI_Allreduce(&held, &all_held, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (!all_held) {
    free(copy);
    return NULL;
  }
  if (run->rank == 0 && length > 0) {
    memcpy(copy, text, (size_t)length);
  }
  for (unsigned long long sent = 0; sent < length;) {
    const unsigned long long piece = length - sent < INT_MAX ? length - sent : INT_MAX;
    MPI_Bcast(copy + sent, (int)piece, MPI_CHAR, 0, MPI_COMM_WORLD);
    sent += piece;
  }
  copy[length] = '\0';
  return copy;
}

/* The options and the scenario, read by rank 0 and broadcast: every rank gets *opts, the
 * scenario text, the output path and the scenario's name (for messages) (*opts->output points
 * into *output). Returns 0, or the exit status every rank must return (rank 0 printed why). */
static int read_command_line(const mpi_run *run, int argc, char **argv, cli_trial_options *opts,
                             char **text, char **output, char **source)
{
  int status = 0;
  char *owned = NULL;
  cli_trial_options parsed;
  memset(&parsed, 0, sizeof parsed);
  if (run->rank == 0) {
    status = cli_trial_parse(argc, argv, 1, &parsed);
    if (status == 0 && parsed.scenario_path != NULL) {
      owned = cli_read_scenario(parsed.scenario_path);
      status = owned == NULL ? EXIT_BAD_INPUT : 0;
    }
  }
  MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (status != 0) {
    free(owned);
    return status;
  }
  unsigned long long numbers[12] = {
      parsed.n_patients, parsed.seed, parsed.threads, parsed.block_size,
      parsed.stop_after_blocks, (unsigned long long)parsed.have_n,
      (unsigned long long)parsed.have_seed, (unsigned long long)parsed.have_block,
      (unsigned long long)parsed.force, (unsigned long long)parsed.timing,
      parsed.fail_rank, (unsigned long long)parsed.have_fail_rank};
  MPI_Bcast(numbers, 12, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
  *text = broadcast_string(run, owned ? owned : cart_scenario_default());
  *output = broadcast_string(run, parsed.output);
  *source = broadcast_string(run, parsed.scenario_path ? parsed.scenario_path
                                                       : "<default scenario>");
  free(owned);
  memset(opts, 0, sizeof *opts);
  opts->scenario_path = *source;
  opts->output = *output;
  opts->n_patients = numbers[0];
  opts->seed = numbers[1];
  opts->threads = numbers[2];
  opts->block_size = numbers[3];
  opts->stop_after_blocks = numbers[4];
  opts->have_n = numbers[5] != 0;
  opts->have_seed = numbers[6] != 0;
  opts->have_block = numbers[7] != 0;
  opts->force = numbers[8] != 0;
  opts->timing = numbers[9] != 0;
  opts->fail_rank = numbers[10];
  opts->have_fail_rank = numbers[11] != 0;
  return 0;
}

/* ---- progress ---- */

/* Patients written by all ranks after `rounds` rounds. */
static size_t patients_done(const mpi_run *run, size_t rounds)
{
  size_t done = 0;
  for (int r = 0; r < run->size; r++) {
    size_t first_block, blocks, first, end;
    rank_blocks(run->n_blocks, run->size, r, &first_block, &blocks);
    block_patients(run, first_block, blocks < rounds ? blocks : rounds, &first, &end);
    done += end - first;
  }
  return done;
}

/* Rank 0, after every round: a bar on a terminal, one final line otherwise (as `cart trial`). */
static void progress(const mpi_run *run, size_t done, double start, int threads, int tty)
{
  char detail[64];
  snprintf(detail, sizeof detail, ", %d ranks x %d threads", run->size, threads);
  cli_progress(done, run->n_patients, now() - start, tty, detail);
}

/* ---- timing (--timing) ---- */

/* Bytes of one patient's rows in the file, uncompressed: what a block write moves. */
static size_t patient_bytes(const cart_trial *trial)
{
  size_t n_times = 0;
  cart_trial_times(trial, &n_times);
  size_t bytes = cart_model_n_params(cart_trial_model(trial)) * sizeof(double)
                 + cart_trial_n_outputs(trial) * n_times * sizeof(float) + sizeof(int32_t);
  for (size_t e = 0; e < CART_N_ENDPOINTS; e++) {
    cart_endpoint_info info;
    bytes += cart_endpoint_get_info(e, &info) == CART_OK && info.is_integer ? sizeof(int32_t)
                                                                             : sizeof(double);
  }
  const size_t toci = cart_trial_max_toci_doses(trial);
  return bytes + (toci > 0 ? toci * sizeof(double) : 0);
}

/* ---- cart-mpi trial ---- */

/* Why `path` could not be created, when its directory tells (MPI-IO gives no errno): " (directory
 * 'DIR': reason)", else "". */
static void directory_problem(const char *path, char *out, size_t size)
{
  char dir[4096];
  const char *slash = strrchr(path, '/');
  if (slash == NULL) {
    snprintf(dir, sizeof dir, ".");
  } else {
    snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
  }
  out[0] = '\0';
  if (access(dir, W_OK | X_OK) != 0) {
    snprintf(out, size, " (directory '%s': %s)", dir, strerror(errno));
  }
}

static void copy_message(cart_error *err, int code, const cart_error *from)
{
  err->code = code;
  snprintf(err->message, sizeof err->message, "%s",
           from && from->message[0] ? from->message : cart_strerror(code));
}

static int run_trial(mpi_run *run, int argc, char **argv)
{
  cli_trial_options opts;
  char *text = NULL, *output = NULL, *source = NULL, *as_run = NULL;
  cart_trial *trial = NULL;
  cart_h5_file *file = NULL;
  cart_trial_block *block = NULL;
  mpi_failure failure;
  cart_error err;
  cart_error_clear(&err);
  memset(&failure, 0, sizeof failure);
  memset(&opts, 0, sizeof opts);
  int exit_status = read_command_line(run, argc, argv, &opts, &text, &output, &source);
  if (exit_status != 0) {
    return exit_status;
  }
  const double start = now();

  /* The trial, the same on every rank. */
  int status = CART_OK;
  if (text == NULL || output == NULL || source == NULL) {
    status = cartp_error(&err, CART_ENOMEM, "out of memory for the scenario");
  }
  if (status == CART_OK && (trial = cart_scenario_load(text, source, &err)) == NULL) {
    status = err.code != CART_OK ? err.code : CART_EPARSE;
  }
  if (status == CART_OK && opts.have_n
      && (status = cart_trial_set_n_patients(trial, (size_t)opts.n_patients)) != CART_OK) {
    copy_message(&err, status, cart_trial_last_error(trial));
  }
  if (status == CART_OK && opts.have_seed) {
    cart_trial_set_seed(trial, (uint64_t)opts.seed);
  }
  if (status == CART_OK && (status = cart_trial_prepare(trial)) != CART_OK) {
    cartp_error(&err, status, "%s: %s", source, cart_trial_last_error(trial)->message);
  }
  if (agree(run, status, err.message, &failure)) {
    exit_status = failure.code == CART_ENOMEM ? EXIT_SOLVE_FAILED : EXIT_BAD_INPUT;
    if (run->rank == 0) {
      fail(exit_status, "%s", failure.message);
    }
    goto cleanup;
  }

  /* The plan: blocks of B patients (by default at most 4096, and small enough that every rank
   * gets one), whole blocks per rank. */
  const size_t n = cart_trial_n_patients(trial);
  size_t block_size = (size_t)opts.block_size;
  if (!opts.have_block) {
    const size_t per_rank = (n + (size_t)run->size - 1) / (size_t)run->size;
    block_size = per_rank < CLI_DEFAULT_BLOCK ? per_rank : CLI_DEFAULT_BLOCK;
  }
  if (block_size > n) {
    block_size = n;
  }
  plan(run, n, block_size);
  const int threads = opts.threads ? (int)opts.threads : omp_get_max_threads();

  /* The scenario as run: the text, plus the command line's overrides as comments. */
  as_run = malloc(strlen(text) + 256);
  status = as_run != NULL ? CART_OK : cartp_error(&err, CART_ENOMEM, "out of memory");
  if (as_run != NULL) {
    sprintf(as_run, "%s%s# cart-mpi trial command line: n_patients = %zu, seed = %llu, ranks = %d\n",
            text, text[0] && text[strlen(text) - 1] != '\n' ? "\n" : "", n,
            (unsigned long long)cart_trial_seed(trial), run->size);
  }
  if (agree(run, status, err.message, &failure)) {
    if (run->rank == 0) {
      fail(EXIT_SOLVE_FAILED, "%s", failure.message);
    }
    exit_status = EXIT_SOLVE_FAILED;
    goto cleanup;
  }

  /* The file, created by all ranks together before any solving. */
  file = cart_h5_create(output, trial, as_run, opts.force, block_size, &err);
  status = file != NULL ? CART_OK : (err.code != CART_OK ? err.code : CART_EIO);
  if (agree(run, status, err.message, &failure)) {
    int have_file = file != NULL, any_file = 0;
    MPI_Allreduce(&have_file, &any_file, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any_file) {
      abort_run(run, &failure, output); /* some ranks hold the file: no collective close */
    }
    exit_status = failure.code == CART_EEXIST || failure.code == CART_EINVAL ? EXIT_BAD_INPUT
                                                                           : EXIT_SOLVE_FAILED;
    if (run->rank == 0) {
      char reason[4200] = "";
      if (failure.code == CART_EIO) {
        directory_problem(output, reason, sizeof reason);
      }
      fail(exit_status, "%s%s", failure.message, reason);
    }
    goto cleanup;
  }

  /* This rank's patients and a block of memory to run them in. */
  size_t my_first, my_end;
  block_patients(run, run->first_block, run->my_blocks, &my_first, &my_end);
  block = cart_trial_block_alloc(trial, block_size, &err);
  status = block != NULL ? CART_OK
                         : cartp_error(&err, CART_ENOMEM, "out of memory for a block of %zu patients",
                                       block_size);
  if (agree(run, status, err.message, &failure)) {
    abort_run(run, &failure, output);
  }

  /* Round k: every rank runs its k-th block (if it has one left) and all write together. */
  size_t rounds = run->max_blocks;
  const int stopping = opts.stop_after_blocks > 0 && opts.stop_after_blocks < rounds;
  if (stopping) {
    rounds = (size_t)opts.stop_after_blocks; /* testing: a run cut short */
  }
  const int tty = run->rank == 0 && isatty(STDERR_FILENO);
  const size_t row_bytes = patient_bytes(trial);
  double solve_s = 0, write_s = 0;
  unsigned long long bytes = 0;
  for (size_t round = 0; round < rounds; round++) {
    size_t first = my_end, end = my_end;
    if (round < run->my_blocks) {
      block_patients(run, run->first_block + round, 1, &first, &end);
    }
    double t0 = now();
    status = CART_OK;
    if (end > first) {
      status = cart_trial_run_block(trial, first, end - first, (int)opts.threads, block);
      if (status != CART_OK) {
        copy_message(&err, status, cart_trial_last_error(trial));
      }
    } else {
      block->first = first; /* nothing left: an empty block joins the collective writes */
      block->count = 0;
    }
    solve_s += now() - t0;
    if (agree(run, status, err.message, &failure)) {
      abort_run(run, &failure, output);
    }
    if (opts.timing) {
      MPI_Barrier(MPI_COMM_WORLD); /* time the writes, not the wait for slower ranks */
    }
    t0 = now();
    status = cart_h5_write_block(file, block);
    if (status != CART_OK) {
      copy_message(&err, status, cart_h5_last_error(file));
    } else if (opts.have_fail_rank && opts.fail_rank == (unsigned long long)run->rank
               && round == 0) {
      status = cartp_error(&err, CART_EIO, "failing on purpose after its first block (--fail-on-rank)");
    }
    write_s += now() - t0;
    if (agree(run, status, err.message, &failure)) {
      abort_run(run, &failure, output);
    }
    if (end > first) {
      bytes += (unsigned long long)((end - first) * row_bytes);
    }
    if (run->rank == 0) {
      progress(run, patients_done(run, round + 1), start, threads, tty);
    }
  }

  if (stopping) {
    status = cart_h5_close(file);
    file = NULL;
    if (status != CART_OK) {
      cartp_error(&err, status, "closing '%s' failed", output);
    }
    if (agree(run, status, err.message, &failure)) {
      abort_run(run, &failure, output);
    }
    if (run->rank == 0) {
      fail(EXIT_SOLVE_FAILED,
           "stopped after %zu of %zu patients: '%s' is incomplete (--stop-after-blocks)",
           patients_done(run, rounds), n, output);
    }
    exit_status = EXIT_SOLVE_FAILED;
    goto cleanup;
  }

  /* The summary: read back from the file by rank 0 alone (every block is written and flushed:
   * the agree() above ordered it after every rank's writes), so no rank holds rows for it. */
  cart_trial_summary summary;
  memset(&summary, 0, sizeof summary);
  status = CART_OK;
  if (run->rank == 0 && (status = cart_h5_summarize(file, &summary)) != CART_OK) {
    copy_message(&err, status, cart_h5_last_error(file));
  }
  if (agree(run, status, err.message, &failure)) {
    abort_run(run, &failure, output);
  }
  /* Every rank writes the same attributes (one homogeneous cluster: the struct as bytes). */
  MPI_Bcast(&summary, (int)sizeof summary, MPI_BYTE, 0, MPI_COMM_WORLD);
  status = cart_h5_finish(file, &summary);
  if (status != CART_OK) {
    copy_message(&err, status, cart_h5_last_error(file));
  }
  if (agree(run, status, err.message, &failure)) {
    abort_run(run, &failure, output);
  }
  status = cart_h5_close(file);
  file = NULL;
  if (status != CART_OK) {
    cartp_error(&err, status, "closing '%s' failed", output);
  }
  if (agree(run, status, err.message, &failure)) {
    abort_run(run, &failure, output);
  }
  const double wall_s = now() - start;

  double slowest[2] = {solve_s, write_s}, slowest_all[2] = {0, 0};
  unsigned long long bytes_all = 0;
  MPI_Reduce(slowest, slowest_all, 2, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  MPI_Reduce(&bytes, &bytes_all, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
  if (run->rank == 0) {
    cli_print_summary(&summary, output);
    if (summary.n_solved < summary.n_patients) {
      fprintf(stderr, CLI_NAME ": %zu of %zu patients failed to solve (see /status in %s)\n",
              summary.n_patients - summary.n_solved, summary.n_patients, output);
    }
    if (opts.timing) {
      struct stat info;
      const long long file_bytes = stat(output, &info) == 0 ? (long long)info.st_size : -1;
      fprintf(stderr,
              CLI_NAME ": timing ranks=%d threads=%d patients=%zu block=%zu wall_s=%.3f "
                       "solve_s=%.3f write_s=%.3f bytes=%llu file_bytes=%lld "
                       "write_MB_per_s=%.1f patients_per_s=%.1f\n",
              run->size, threads, n, block_size, wall_s, slowest_all[0], slowest_all[1],
              bytes_all, file_bytes, slowest_all[1] > 0 ? 1e-6 * (double)bytes_all / slowest_all[1] : 0.0,
              wall_s > 0 ? (double)n / wall_s : 0.0);
    }
  }

cleanup:
  cart_h5_close(file);
  cart_trial_block_free(block);
  cart_trial_free(trial);
  free(as_run);
  free(text);
  free(output);
  free(source);
  return exit_status;
}

/* What the command line asks for; rank 0 decides and tells the others. */
enum { ACTION_TRIAL, ACTION_DONE, ACTION_USAGE };

int main(int argc, char **argv)
{
  int provided = 0;
  /* OpenMP threads solve inside each rank; only the main thread calls MPI. */
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  mpi_run run;
  memset(&run, 0, sizeof run);
  MPI_Comm_rank(MPI_COMM_WORLD, &run.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &run.size);

  int action = ACTION_USAGE;
  if (run.rank == 0) {
    const char *command = argc > 1 ? argv[1] : NULL;
    if (command == NULL) {
      fputs(usage_text, stderr);
    } else if (strcmp(command, "trial") == 0) {
      action = ACTION_TRIAL;
    } else if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0
               || strcmp(command, "help") == 0) {
      fputs(usage_text, stdout);
      action = ACTION_DONE;
    } else if (strcmp(command, "--version") == 0) {
      printf(CLI_NAME " (libcart) %s, MPI %d.%d\n", cart_version(), MPI_VERSION,
             MPI_SUBVERSION);
      action = ACTION_DONE;
    } else {
      fail(EXIT_BAD_INPUT, "unknown command '%s' (cart-mpi runs `trial`; see cart-mpi --help)",
           command);
    }
  }
  MPI_Bcast(&action, 1, MPI_INT, 0, MPI_COMM_WORLD);
  int exit_status = action == ACTION_TRIAL  ? run_trial(&run, argc - 2, argv + 2)
                    : action == ACTION_DONE ? 0
                                            : EXIT_BAD_INPUT;
  exit_status = cli_close_stdout(exit_status); /* rank 0's summary, on every rank's stdout */
  MPI_Finalize();
  return exit_status;
}
