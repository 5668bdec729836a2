/* calibrate.c: `cart calibrate SCENARIO.ini TARGETS.ini -o CALIBRATED.ini [-n N] [--seed S]
 * [--max-evaluations K] [--threads K] [--force] [--quiet]`.
 *
 * Loads the scenario and the targets (cart-targets(5)), checks them together and that the
 * output can be written (an existing file needs --force) before any simulation, fits the free
 * parameters (cart_calibration_new, see cart_calibrate.h for the method), prints the table of
 * targets and fitted values on stdout and writes the calibrated scenario. Progress on stderr: a
 * bar when stderr is a terminal (not with --quiet).
 *
 * Ctrl-C (SIGINT) stops the fit after the evaluation under way: the best point so far is printed,
 * marked incomplete, nothing is written, and the exit status is 1. A second Ctrl-C kills at
 * once (the handler is reset by the first).
 */
#include <errno.h>
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
  int show; /* a bar on a terminal, unless --quiet */
  size_t done, total;
} progress_state;

static int progress(size_t evaluations, size_t max_evaluations, double best, void *data)
{
  progress_state *state = data;
  state->done = evaluations;
  state->total = max_evaluations;
  if (state->show) {
    char status[64];
    snprintf(status, sizeof status, "best objective %.4g", best);
    /* the bar ends at the maximum; a fit that converges earlier ends the line itself */
    cli_progress_units(evaluations, max_evaluations, cli_now() - state->start, "evaluations",
                       status);
  }
  return cli_interrupted();
}

static void print_report(const cart_calibration *cal, const char *trial_name,
                         const char *targets_path)
{
  cart_calibration_summary s;
  cart_calibration_get_summary(cal, &s);
  printf("calibration to %s (%s)%s\n", trial_name[0] ? trial_name : "unnamed trial",
         targets_path, s.complete ? "" : ": STOPPED, best point so far");
  printf("  N = %zu virtual patients per evaluation, seed %llu\n", s.n_patients,
         (unsigned long long)s.seed);
  printf("  objective %.6g after %zu evaluations in %.1f s (%s)\n", s.objective, s.evaluations,
         s.wall_seconds,
         !s.complete ? "stopped" : s.converged ? "converged" : "max_evaluations reached");
  printf("\n  %-24s %10s %21s %10s %9s  %s\n", "target", "observed", "95 % interval",
         "simulated", "MC SE", "in range");
  for (size_t j = 0; j < s.n_targets; j++) {
    cart_calibration_target t;
    cart_calibration_get_target(cal, j, &t);
    char interval[64];
    snprintf(interval, sizeof interval, "[%.4g, %.4g]", t.lower, t.upper);
    printf("  %-24s %10.4g %21s %10.4g %9.2g  %s\n", t.name, t.observed, interval, t.simulated,
           t.mc_se, t.in_range ? "yes" : "no");
  }
  printf("\n  %-24s %12s %12s  %s\n", "fitted", "value", "SE", "search bounds (start)");
  for (size_t k = 0; k < s.n_free; k++) {
    cart_calibration_param q;
    cart_calibration_get_param(cal, k, &q);
    char name[80], se[32];
    snprintf(name, sizeof name, "%s%s", q.is_cv ? "cv." : "", q.name);
    if (!s.complete) {
      snprintf(se, sizeof se, "-");
    } else if (!q.identified) {
      snprintf(se, sizeof se, "unidentified");
    } else {
      snprintf(se, sizeof se, "%.3g", q.se);
    }
    printf("  %-24s %12.6g %12s  [%g, %g] (%g)\n", name, q.value, se, q.lower, q.upper, q.start);
  }
  if (s.complete) {
    printf("\n  SE: sandwich (1 + 1/R)(G'WG)^-1 with factor %.4g, condition number of G'WG %.3g\n",
           s.variance_factor, s.condition);
    int unidentified = 0;
    for (size_t k = 0; k < s.n_free; k++) {
      cart_calibration_param q;
      cart_calibration_get_param(cal, k, &q);
      unidentified |= !q.identified;
    }
    if (unidentified) {
      printf("  'unidentified': the targets do not determine the parameter (no SE is given)\n");
    }
  }
}

static const cli_option calibrate_options[] = {
    {"--output", "-o", 1}, {"--patients", "-n", 1}, {"--seed", NULL, 1},
    {"--max-evaluations", NULL, 1}, {"--threads", NULL, 1}, {"--force", NULL, 0},
    {"--quiet", "-q", 0}, {NULL, NULL, 0}};

const cli_command cli_calibrate_command = {
    "calibrate",
    "cart calibrate SCENARIO.ini TARGETS.ini -o CALIBRATED.ini [-n N] [--seed S]\n"
    "                      [--max-evaluations K] [--threads K] [--force] [--quiet]",
    "\n"
    "Fits the scenario's free typical values and CVs to a trial's summary statistics\n"
    "(TARGETS.ini, see cart-targets(5)), prints the targets and fitted values and writes the\n"
    "calibrated scenario.\n"
    "\n"
    "  -o, --output FILE      the calibrated scenario to write (required)\n"
    "  -n, --patients N       virtual patients per evaluation (default: the targets')\n"
    "  --seed S               seed of the common random numbers (default: the targets')\n"
    "  --max-evaluations K    most objective evaluations (default: the targets')\n"
    "  --threads K            OpenMP threads per evaluation; results do not depend on it\n"
    "  --force                replace an existing CALIBRATED.ini\n"
    "  -q, --quiet            no progress bar\n"
    "  -h, --help             this help\n"
    "\n"
    "Ctrl-C stops the fit and prints the best point so far (nothing is written, exit 1).\n"
    "Exit status: 0 success, 1 the fit failed or was stopped, 2 bad usage or input.\n",
    calibrate_options, NULL};

int cli_calibrate(int argc, char **argv)
{
  const char *paths[2] = {NULL, NULL}, *output = NULL;
  unsigned long long n = 0, seed = 0, max_evaluations = 0, threads = 0;
  int have_n = 0, have_seed = 0, have_max = 0, force = 0, quiet = 0, n_paths = 0;
  for (int i = 0; i < argc; i++) {
    const char *value = NULL;
    const int k = cli_next_option(&cli_calibrate_command, argc, argv, &i, &value);
    if (k == CLI_HELP || k == CLI_BAD) {
      return cli_stop_status(k);
    }
    const char *a = k >= 0 ? cli_option_at(&cli_calibrate_command, k)->name : NULL;
    int status = 0;
    if (k == CLI_ARGUMENT) {
      if (n_paths < 2) {
        paths[n_paths++] = argv[i];
      } else {
        status = fail(EXIT_BAD_INPUT, "cart calibrate takes two files, SCENARIO.ini TARGETS.ini; "
                      "got a third, '%s'", argv[i]);
      }
    } else if (strcmp(a, "--force") == 0) {
      force = 1;
    } else if (strcmp(a, "--quiet") == 0) {
      quiet = 1;
    } else if (strcmp(a, "--output") == 0) {
      output = value;
      if (output[0] == '\0') {
        status = fail(EXIT_BAD_INPUT, "%s: empty file name", argv[i - 1]);
      }
    } else if (strcmp(a, "--patients") == 0) {
      status = cli_parse_count(argv[i - 1], value, &n);
      have_n = 1;
      if (status == 0 && n == 0) {
        status = fail(EXIT_BAD_INPUT, "%s: a trial needs at least one patient", argv[i - 1]);
      }
    } else if (strcmp(a, "--seed") == 0) {
      status = cli_parse_count(a, value, &seed);
      have_seed = 1;
    } else if (strcmp(a, "--max-evaluations") == 0) {
      status = cli_parse_count(a, value, &max_evaluations);
      have_max = 1;
      if (status == 0 && max_evaluations == 0) {
        status = fail(EXIT_BAD_INPUT, "--max-evaluations: must be at least 1");
      }
    } else if (strcmp(a, "--threads") == 0) {
      status = cli_parse_count(a, value, &threads);
      if (status == 0 && (threads == 0 || threads > 1024)) {
        status = fail(EXIT_BAD_INPUT, "--threads %llu: expected 1..1024", threads);
      }
    }
    if (status != 0) {
      return status;
    }
  }
  if (n_paths < 2 || output == NULL) {
    fail(EXIT_BAD_INPUT, "cart calibrate needs %s",
         n_paths < 2 ? "a scenario and a targets file" : "-o CALIBRATED.ini");
    cli_print_usage(&cli_calibrate_command, stderr);
    return EXIT_BAD_INPUT;
  }
  if (!force && access(output, F_OK) == 0) {
    return fail(EXIT_BAD_INPUT, "'%s' exists (use --force to replace it)", output);
  }

  int exit_status = 0;
  char *scenario_text = NULL, *targets_text = NULL, *calibrated = NULL;
  cart_trial *trial = NULL;
  cart_targets *targets = NULL;
  cart_calibration *cal = NULL;
  cart_error err;
  cart_error_clear(&err);
  scenario_text = cli_read_scenario(paths[0]);
  targets_text = scenario_text ? cli_read_file(paths[1], "targets file") : NULL;
  if (targets_text == NULL) {
    exit_status = EXIT_BAD_INPUT;
    goto cleanup;
  }
  trial = cart_trial_new_from_scenario(scenario_text, paths[0], &err);
  if (trial == NULL) {
    exit_status = fail(EXIT_BAD_INPUT, "%s", err.message);
    goto cleanup;
  }
  targets = cart_targets_new(targets_text, paths[1], &err);
  if (targets == NULL || cart_targets_check(targets, trial, &err) != CART_OK) {
    exit_status = fail(EXIT_BAD_INPUT, "%s", err.message);
    goto cleanup;
  }
  cart_calibrate_settings settings;
  cart_calibrate_settings_default(&settings);
  cart_targets_settings(targets, &settings);
  if (have_n) {
    settings.n_patients = (size_t)n;
  }
  if (have_seed) {
    settings.seed = (uint64_t)seed;
    settings.use_seed = 1;
  }
  if (have_max) {
    settings.max_evaluations = (size_t)max_evaluations;
  }
  settings.n_threads = (int)threads;

  struct sigaction previous;
  cli_catch_sigint(&previous);
  progress_state state = {cli_now(), !quiet && isatty(STDERR_FILENO), 0, 0};
  const int status =
      cart_calibration_new(trial, targets, &settings, progress, &state, &cal, &err);
  cli_release_sigint(&previous);
  if (state.show && state.done > 0 && state.done < state.total) {
    fputc('\n', stderr);
  }
  if (status != CART_OK && status != CART_ESTOPPED) {
    exit_status = fail(EXIT_SOLVE_FAILED, "%s", err.message);
    goto cleanup;
  }
  print_report(cal, cart_targets_trial_name(targets), paths[1]);
  if (status == CART_ESTOPPED) {
    exit_status = fail(EXIT_SOLVE_FAILED, "interrupted: %s; '%s' was not written", err.message,
                       output);
    goto cleanup;
  }
  size_t length = 0;
  cart_calibration_scenario(cal, scenario_text, NULL, 0, &length);
  calibrated = malloc(length + 1);
  if (calibrated == NULL ||
      cart_calibration_scenario(cal, scenario_text, calibrated, length + 1, &length) != CART_OK) {
    exit_status = fail(EXIT_SOLVE_FAILED, "out of memory for the calibrated scenario");
    goto cleanup;
  }
  FILE *out = fopen(output, "w");
  if (out == NULL) {
    exit_status = fail(EXIT_BAD_INPUT, "cannot write '%s': %s", output, strerror(errno));
    goto cleanup;
  }
  const int write_failed = fwrite(calibrated, 1, length, out) != length;
  if (fclose(out) != 0 || write_failed) {
    exit_status = fail(EXIT_SOLVE_FAILED, "writing '%s' failed", output);
    goto cleanup;
  }
  printf("\ncalibrated scenario written to %s\n", output);

cleanup:
  cart_calibration_free(cal);
  cart_targets_free(targets);
  cart_trial_free(trial);
  free(calibrated);
  free(scenario_text);
  free(targets_text);
  return exit_status;
}
