/* cart_mpi.c: cart-mpi, a virtual trial over the ranks of an MPI job, into one HDF5 file: a thin
 * program over libcart_mpi (cart_mpi.h).
 *
 *   mpirun -np R cart-mpi trial [SCENARIO.ini] [-o FILE.h5] [-n N] [--seed S] [--threads K]
 *                               [--force] [--block B] [--timing]
 *                               [--stop-after-blocks K] [--fail-on-rank R] (both for testing)
 *
 * The options are those of `cart trial` (src/cli.c parses both). Rank 0 parses them and reads the
 * scenario and broadcasts both; every rank then builds the same trial from the same text and
 * calls cart_mpi_trial_run_file, the trial layer's run loop with MPI's block split, collective
 * writes and agreement on errors: every rank returns the same status and message, which rank 0
 * prints. Exit status (of mpirun): 0 success, 1 a failure during the run (or a testing stop),
 * 2 bad usage or input (an existing output file without --force included).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mpi.h>
#include <omp.h>

#include <cart/cart.h>
#include <cart/cart_mpi.h>

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
} mpi_run;

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
    if (status == 0 && parsed.event_table != NULL) {
      char *with = cli_scenario_with_event_table(
          owned ? owned : cart_scenario_default(),
          parsed.scenario_path ? parsed.scenario_path : "<default scenario>", parsed.event_table);
      free(owned);
      owned = with;
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

typedef struct progress_state {
  const mpi_run *run;
  double start;
  int tty, threads;
  size_t rounds, stop_after; /* stop_after: --stop-after-blocks, 0 for none */
  int fail_after_first;      /* --fail-on-rank: this rank stops after its first round */
} progress_state;

/* After every round, on every rank: rank 0 draws a bar on a terminal, one final line otherwise
 * (as `cart trial`); every rank asks to stop at the same round for --stop-after-blocks, the
 * rank named by --fail-on-rank alone after the first. */
static int progress(size_t done, size_t total, void *data)
{
  progress_state *state = data;
  if (state->run->rank == 0) {
    char detail[64];
    snprintf(detail, sizeof detail, ", %d ranks x %d threads", state->run->size, state->threads);
    cli_progress(done, total, MPI_Wtime() - state->start, state->tty, detail);
  }
  state->rounds++;
  return (state->stop_after > 0 && state->rounds >= state->stop_after)
         || (state->fail_after_first && state->rounds == 1);
}

/* ---- cart-mpi trial ---- */

static int run_trial(mpi_run *run, int argc, char **argv)
{
  cli_trial_options opts;
  char *text = NULL, *output = NULL, *source = NULL, *as_run = NULL;
  cart_arms *arms = NULL;
  cart_trial_summary *summaries = NULL;
  cart_error err;
  cart_error_clear(&err);
  memset(&opts, 0, sizeof opts);
  int exit_status = read_command_line(run, argc, argv, &opts, &text, &output, &source);
  if (exit_status != 0) {
    return exit_status == CLI_HELP ? 0 : exit_status; /* --help: printed by rank 0 */
  }
  const double start = MPI_Wtime();

  /* The trial and the scenario as run, the same on every rank. */
  int status = CART_OK;
  char ranks[32];
  snprintf(ranks, sizeof ranks, ", ranks = %d", run->size);
  if (text == NULL || output == NULL || source == NULL) {
    status = err.code = CART_ENOMEM;
    snprintf(err.message, sizeof err.message, "out of memory for the scenario");
  } else if ((arms = cli_trial_load(text, source, &opts, &err)) == NULL) {
    status = err.code != CART_OK ? err.code : CART_EPARSE;
  } else if ((summaries = calloc(cart_arms_count(arms), sizeof *summaries)) == NULL ||
             (as_run = cli_scenario_as_run(text, cart_arms_trial(arms, 0), ranks)) == NULL) {
    status = err.code = CART_ENOMEM;
    snprintf(err.message, sizeof err.message, "out of memory");
  }
  if ((status = cart_mpi_agree(MPI_COMM_WORLD, status, &err)) != CART_OK) {
    exit_status = status == CART_ENOMEM ? EXIT_SOLVE_FAILED : EXIT_BAD_INPUT;
    if (run->rank == 0) {
      fail(exit_status, "%s", err.message);
    }
    goto cleanup;
  }

  const int threads = opts.threads ? (int)opts.threads : omp_get_max_threads();
  progress_state state = {run,
                          start,
                          run->rank == 0 && isatty(STDERR_FILENO),
                          threads,
                          0,
                          (size_t)opts.stop_after_blocks,
                          opts.have_fail_rank && opts.fail_rank == (unsigned long long)run->rank};
  cart_mpi_stats stats;
  cart_trial_run_options run_options;
  cart_trial_run_options_default(&run_options);
  run_options.scenario_text = as_run;
  run_options.force = opts.force;
  run_options.block_size = opts.have_block ? (size_t)opts.block_size : 0; /* 0: N / ranks */
  run_options.n_threads = (int)opts.threads;
  run_options.progress = progress;
  run_options.progress_data = &state;
  status = cart_mpi_arms_run_file(MPI_COMM_WORLD, arms, output, &run_options, summaries,
                                  opts.timing ? &stats : NULL, &err);
  const double wall_s = MPI_Wtime() - start;
  if (run->rank != 0) {
    exit_status = cli_trial_exit_status(status); /* rank 0 prints */
    goto cleanup;
  }
  exit_status = cli_trial_report(status, &err, arms, summaries, &opts);
  if (status == CART_OK && opts.timing) {
    struct stat info;
    const size_t n = cart_trial_n_patients(cart_arms_trial(arms, 0)) * cart_arms_count(arms);
    const long long file_bytes = stat(output, &info) == 0 ? (long long)info.st_size : -1;
    fprintf(stderr,
            CLI_NAME ": timing ranks=%d threads=%d patients=%zu block=%zu wall_s=%.3f "
                     "solve_s=%.3f write_s=%.3f bytes=%llu file_bytes=%lld "
                     "write_MB_per_s=%.1f patients_per_s=%.1f\n",
            run->size, threads, n, stats.block_size, wall_s, stats.solve_s, stats.write_s,
            stats.bytes, file_bytes, stats.write_s > 0 ? 1e-6 * (double)stats.bytes / stats.write_s : 0.0,
            wall_s > 0 ? (double)n / wall_s : 0.0);
  }

cleanup:
  cart_arms_free(arms);
  free(summaries);
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
