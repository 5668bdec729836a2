/* trial.c: `cart trial [SCENARIO.ini] [-o FILE.h5] [-n N] [--seed S] [--threads K] [--force]
 * [--block B] [--event-table FILE.csv]`.
 *
 * Loads the scenario (or the built-in default; with --event-table, plus the table's doses:
 * cart_scenario_add_event_table) as its arms (one unnamed arm without [arm]
 * sections), creates the HDF5 file before any solving (so a bad path or an existing file fails
 * at once), runs every arm's patients block by block, writing each finished block, and marks the
 * file complete only at the end. Progress on stderr: a bar when
 * stderr is a terminal, one final line otherwise. Then the summary table of every arm on stdout.
 * SIGINT and SIGTERM stop the run after the block under way: the file is closed with every
 * finished block and complete = 0, and the command then dies of the signal (a second one kills
 * at once). */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cart/cart.h>

#include "cli.h"

/* The signal that asked to stop (SIGINT, SIGTERM), 0 for none: the program's, not the library's. */
static volatile sig_atomic_t stop_signal = 0;

static void on_stop_signal(int signal_number)
{
  stop_signal = signal_number;
}

typedef struct progress_state {
  double start;
  int tty;
  size_t blocks, stop_after; /* stop_after: --stop-after-blocks (testing), 0 for none */
} progress_state;

/* After every block: a bar on a terminal, one final line otherwise. */
static int progress(size_t done, size_t total, void *data)
{
  progress_state *state = data;
  cli_progress(done, total, cli_now() - state->start, state->tty, NULL);
  state->blocks++;
  return (state->stop_after > 0 && state->blocks >= state->stop_after) || stop_signal != 0;
}

int cli_trial(int argc, char **argv)
{
  cli_trial_options options;
  const int parse_status = cli_trial_parse(argc, argv, 0, &options);
  if (parse_status != 0) {
    return parse_status == CLI_HELP ? 0 : parse_status;
  }
  const char *scenario_path = options.scenario_path, *output = options.output;
  char *owned_text = scenario_path ? cli_read_scenario(scenario_path) : NULL;
  if (scenario_path != NULL && owned_text == NULL) {
    return EXIT_BAD_INPUT;
  }
  const char *text = owned_text ? owned_text : cart_scenario_default();
  const char *source = scenario_path ? scenario_path : "<default scenario>";
  if (options.event_table != NULL) {
    char *with = cli_scenario_with_event_table(text, source, options.event_table);
    free(owned_text);
    if (with == NULL) {
      return EXIT_BAD_INPUT;
    }
    text = owned_text = with;
  }
  cart_error err;
  cart_error_clear(&err);
  int exit_status = 0;
  char *as_run = NULL;
  cart_trial_summary *summaries = NULL;
  cart_arms *arms = cli_trial_load(text, source, &options, &err);
  if (arms == NULL) {
    exit_status = fail(err.code == CART_ENOMEM ? EXIT_SOLVE_FAILED : EXIT_BAD_INPUT, "%s",
                       err.message);
    goto cleanup;
  }
  summaries = calloc(cart_arms_count(arms), sizeof *summaries);
  if (summaries == NULL || (as_run = cli_scenario_as_run(text, cart_arms_trial(arms, 0), "")) == NULL) {
    exit_status = fail(EXIT_SOLVE_FAILED, "out of memory");
    goto cleanup;
  }
  progress_state state = {cli_now(), isatty(STDERR_FILENO), 0, (size_t)options.stop_after_blocks};
  /* A signal ignored when the command started (SIGINT of a background job of a script) stays
   * ignored. */
  struct sigaction action, previous_int, previous_term;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_stop_signal;
  action.sa_flags = SA_RESETHAND | SA_RESTART; /* a second signal kills */
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, NULL, &previous_int);
  sigaction(SIGTERM, NULL, &previous_term);
  if (previous_int.sa_handler != SIG_IGN) {
    sigaction(SIGINT, &action, NULL);
  }
  if (previous_term.sa_handler != SIG_IGN) {
    sigaction(SIGTERM, &action, NULL);
  }
  cart_trial_run_options run;
  cart_trial_run_options_default(&run);
  run.scenario_text = as_run;
  run.force = options.force;
  run.block_size = (size_t)options.block_size;
  run.n_threads = (int)options.threads;
  run.progress = progress;
  run.progress_data = &state;
  const int status = cart_arms_run_file(arms, output, &run, summaries, &err);
  sigaction(SIGINT, &previous_int, NULL);
  sigaction(SIGTERM, &previous_term, NULL);
  if (status == CART_ESTOPPED && stop_signal != 0) {
    fail(EXIT_SOLVE_FAILED, "%s (%s)", err.message, stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    cart_arms_free(arms);
    free(summaries);
    free(as_run);
    free(owned_text);
    fflush(NULL);
    raise(stop_signal); /* die of it, as the caller (a shell, a scheduler) expects */
    return EXIT_SOLVE_FAILED;
  }
  exit_status = cli_trial_report(status, &err, arms, summaries, &options);

cleanup:
  cart_arms_free(arms);
  free(summaries);
  free(as_run);
  free(owned_text);
  return exit_status;
}
