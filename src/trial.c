/* trial.c: `cart trial [SCENARIO.ini] [-o FILE.h5] [-n N] [--seed S] [--threads K] [--force]`.
 *
 * Loads the scenario (or the built-in default), creates the HDF5 file before any solving (so a
 * bad path or an existing file fails at once), runs the patients block by block, writing each
 * finished block, and marks the file complete only at the end. Progress on stderr: a bar when
 * stderr is a terminal, one final line otherwise. Then the summary table on stdout. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cart/cart.h>

#include "cli.h"

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
  return state->stop_after > 0 && state->blocks >= state->stop_after;
}

int cli_trial(int argc, char **argv)
{
  cli_trial_options options;
  const int parse_status = cli_trial_parse(argc, argv, 0, &options);
  if (parse_status != 0) {
    return parse_status;
  }
  const char *scenario_path = options.scenario_path, *output = options.output;
  char *owned_text = scenario_path ? cli_read_scenario(scenario_path) : NULL;
  if (scenario_path != NULL && owned_text == NULL) {
    return EXIT_BAD_INPUT;
  }
  const char *text = owned_text ? owned_text : cart_scenario_default();
  const char *source = scenario_path ? scenario_path : "<default scenario>";
  cart_error err;
  cart_error_clear(&err);
  int exit_status = 0;
  char *as_run = NULL;
  cart_trial *trial = cart_scenario_load(text, source, &err);
  if (trial == NULL) {
    exit_status = fail(EXIT_BAD_INPUT, "%s", err.message);
    goto cleanup;
  }
  if (options.have_n && cart_trial_set_n_patients(trial, (size_t)options.n_patients) != CART_OK) {
    exit_status = fail(EXIT_BAD_INPUT, "%s", cart_trial_last_error(trial)->message);
    goto cleanup;
  }
  if (options.have_seed) {
    cart_trial_set_seed(trial, (uint64_t)options.seed);
  }
  if (cart_trial_prepare(trial) != CART_OK) {
    exit_status = fail(EXIT_BAD_INPUT, "%s: %s", source, cart_trial_last_error(trial)->message);
    goto cleanup;
  }
  /* The scenario as run: the text, plus the command line's overrides as comments. */
  const size_t n = cart_trial_n_patients(trial);
  as_run = malloc(strlen(text) + 256);
  if (as_run == NULL) {
    exit_status = fail(EXIT_SOLVE_FAILED, "out of memory");
    goto cleanup;
  }
  sprintf(as_run, "%s%s# cart trial command line: n_patients = %zu, seed = %llu\n", text,
          text[0] && text[strlen(text) - 1] != '\n' ? "\n" : "", n,
          (unsigned long long)cart_trial_seed(trial));
  progress_state state = {cli_now(), isatty(STDERR_FILENO), 0, (size_t)options.stop_after_blocks};
  cart_trial_summary summary;
  const int status = cart_trial_run_file(trial, output, as_run, options.force,
                                         (size_t)options.block_size, (int)options.threads,
                                         progress, &state, &summary, &err);
  if (status != CART_OK) {
    const int bad_input = status == CART_EEXIST || status == CART_EINVAL; /* or not a file */
    exit_status = fail(bad_input ? EXIT_BAD_INPUT : EXIT_SOLVE_FAILED, "%s%s",
                       err.message, status == CART_ESTOPPED ? " (--stop-after-blocks)" : "");
    goto cleanup;
  }
  cli_print_summary(&summary, output);
  if (summary.n_solved < summary.n_patients) {
    fprintf(stderr, "cart: %zu of %zu patients failed to solve (see /status in %s)\n",
            summary.n_patients - summary.n_solved, summary.n_patients, output);
  }

cleanup:
  cart_trial_free(trial);
  free(as_run);
  free(owned_text);
  return exit_status;
}
