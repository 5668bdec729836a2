/* sensitivity.c: `cart sensitivity [SCENARIO.ini] --param NAME=RANGE ... --statistic STAT
 * [--method sobol|morris] [-N N] [--levels L] [--seed S] [--bootstrap B]
 * [-n PATIENTS | --typical-patient] [--threads K] [-o FILE.h5] [--force] [--quiet]`.
 *
 * Loads the scenario (the built-in default without one), reads each --param with the grammar of
 * cart_grammar.h (cart_parse_sensitivity_range), checks the ranges, the statistic and that the
 * output can be written before any trial runs, runs one trial per design row
 * (cart_sensitivity_run_trial), prints the indices and writes the HDF5 file. Progress on stderr:
 * a bar when stderr is a terminal (not with --quiet). Ctrl-C stops after the trial under way:
 * nothing is written, exit status 1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cart/cart.h>

#include "cli.h"

typedef struct progress_state {
  double start;
  int show;
  size_t done, total;
} progress_state;

static int progress(size_t done, size_t total, void *data)
{
  progress_state *state = data;
  state->done = done;
  state->total = total;
  if (state->show) {
    cli_progress_units(done, total, cli_now() - state->start, "trials", "");
  }
  return cli_interrupted();
}

static void print_report(const cart_sensitivity *s, const char *scenario, size_t n_patients)
{
  cart_sensitivity_settings st;
  cart_sensitivity_summary summary;
  cart_sensitivity_get_settings(s, &st);
  cart_sensitivity_get_summary(s, &summary);
  const int sobol = st.method == CART_SENSITIVITY_SOBOL;
  printf("sensitivity of %s (%s, %zu virtual patient%s per trial)\n",
         cart_sensitivity_statistic(s), scenario, n_patients, n_patients == 1 ? "" : "s");
  printf("  %s, %s = %zu: %zu trials in %.1f s; %zu of %zu %s used; mean %.4g",
         sobol ? "Sobol indices (Saltelli 2010, Jansen 1999)" : "Morris elementary effects",
         sobol ? "N" : "r", st.n, summary.n_rows, summary.wall_seconds, summary.n_valid, st.n,
         sobol ? "base rows" : "trajectories", summary.mean);
  if (sobol) {
    printf(", variance %.4g", summary.variance);
  }
  if (summary.n_refused > 0) {
    printf("\n  %zu of %zu trials refused by the model and left out; %s", summary.n_refused,
           summary.n_rows, cart_sensitivity_refusal(s));
  }
  printf("\n  intervals: %g %% percentile bootstrap, %zu resamples, seed %llu\n\n",
         100 * st.confidence, st.n_bootstrap, (unsigned long long)st.seed);
  if (sobol) {
    printf("  %-12s %9s %21s %9s %21s\n", "parameter", "S1", "interval", "ST", "interval");
  } else {
    printf("  %-12s %11s %11s %25s %11s\n", "parameter", "mu", "mu*", "interval", "sigma");
  }
  for (size_t i = 0; i < cart_sensitivity_n_params(s); i++) {
    cart_sensitivity_index x;
    cart_sensitivity_get_index(s, i, &x);
    char a[64], b[64];
    if (sobol) {
      snprintf(a, sizeof a, "[%.4f, %.4f]", x.first_lower, x.first_upper);
      snprintf(b, sizeof b, "[%.4f, %.4f]", x.total_lower, x.total_upper);
      printf("  %-12s %9.4f %21s %9.4f %21s\n", x.name, x.first, a, x.total, b);
    } else {
      snprintf(a, sizeof a, "[%.4g, %.4g]", x.mu_star_lower, x.mu_star_upper);
      printf("  %-12s %11.4g %11.4g %25s %11.4g\n", x.name, x.mu, x.mu_star, a, x.sigma);
    }
  }
  if (!sobol) {
    printf("\n  effects per unit of the unit cube (the whole range of each parameter)\n");
  }
}

static const cli_option sensitivity_options[] = {
    {"--param", "-p", 1},   {"--statistic", "-s", 1}, {"--method", NULL, 1},
    {"--samples", "-N", 1}, {"--levels", NULL, 1},    {"--seed", NULL, 1},
    {"--bootstrap", NULL, 1}, {"--patients", "-n", 1}, {"--threads", NULL, 1},
    {"--output", "-o", 1},  {"--force", NULL, 0},     {"--quiet", "-q", 0},
    {"--typical-patient", NULL, 0}, {NULL, NULL, 0}};

const cli_command cli_sensitivity_command = {
    "sensitivity",
    "cart sensitivity [SCENARIO.ini] --param NAME=RANGE ... --statistic STAT\n"
    "                        [--method sobol|morris] [-N N] [--levels L] [--seed S]\n"
    "                        [--bootstrap B] [-n N | --typical-patient] [--threads K] [-o FILE.h5]\n"
    "                        [--force] [--quiet]",
    "\n"
    "Global sensitivity of a trial's summary statistic to the scenario's typical values: one\n"
    "virtual trial (the scenario's patients, seed and doses) per design point, each with the\n"
    "point's typical values. Prints the indices and writes the design and results to FILE.h5.\n"
    "\n"
    "  -p, --param NAME=RANGE  a parameter and its range, once per parameter:\n"
    "                          NAME=LOWER:UPPER (uniform), NAME=LOWER:UPPER:log (log-uniform)\n"
    "                          or NAME=scenario (its cv in the scenario, log- or logit-normal\n"
    "                          about its typical value, truncated to its bounds)\n"
    "  -s, --statistic STAT    the output, a statistic of cart-targets(5): cr, orr, crs_grade3,\n"
    "                          median(cmax), mean(auc28), fraction(tmax > 10), ...; a state\n"
    "                          or signal at a day as NAME@DAY: median(Cblood@28)\n"
    "  --method M              sobol (first-order and total indices; default) or morris\n"
    "                          (elementary effects mu, mu*, sigma)\n"
    "  -N, --samples N         Sobol: base rows N, N (p + 2) trials (default 1024; a power of\n"
    "                          two); Morris: trajectories r, r (p + 1) trials (default 20)\n"
    "  --levels L              Morris grid levels, even (default 4)\n"
    "  --seed S                seed of the Morris design and the bootstrap (default 1); the\n"
    "                          patients keep the scenario's seed\n"
    "  --bootstrap B           bootstrap resamples of the 95 % intervals (default 1000; 0: none)\n"
    "  -n, --patients N        virtual patients per trial (default: the scenario's)\n"
    "  --typical-patient       one patient at the typical values, without variability: the\n"
    "                          statistic is its endpoint, e.g. mean(cmax)\n"
    "  --threads K             OpenMP threads per trial; results do not depend on it\n"
    "  -o, --output FILE       the HDF5 file to write (default cart-sensitivity.h5)\n"
    "  --force                 replace an existing FILE\n"
    "  -q, --quiet             no progress bar\n"
    "  -h, --help              this help\n"
    "\n"
    "Exit status: 0 success, 1 the analysis failed or was stopped, 2 bad usage or input.\n",
    sensitivity_options, NULL};

typedef struct sensitivity_args {
  const char *scenario_path, *statistic, *output;
  const char *params[CART_SENSITIVITY_MAX_PARAMS];
  size_t n_params;
  cart_sensitivity_settings settings;
  int have_n, force, quiet, typical_patient;
  unsigned long long n_patients, threads;
} sensitivity_args;

/* One option's value into *args; 0 or the exit status after a message. */
static int take_option(sensitivity_args *args, const char *name, const char *option,
                       const char *value)
{
  unsigned long long v = 0;
  int status = 0;
  if (strcmp(name, "--param") == 0) {
    if (args->n_params == CART_SENSITIVITY_MAX_PARAMS) {
      return fail(EXIT_BAD_INPUT, "--param: at most %d parameters", CART_SENSITIVITY_MAX_PARAMS);
    }
    args->params[args->n_params++] = value;
  } else if (strcmp(name, "--statistic") == 0) {
    args->statistic = value;
  } else if (strcmp(name, "--output") == 0) {
    args->output = value;
    if (value[0] == '\0') {
      return fail(EXIT_BAD_INPUT, "%s: empty file name", option);
    }
  } else if (strcmp(name, "--method") == 0) {
    if (strcmp(value, "sobol") != 0 && strcmp(value, "morris") != 0) {
      return fail(EXIT_BAD_INPUT, "--method '%s': expected sobol or morris", value);
    }
    args->settings.method = value[0] == 's' ? CART_SENSITIVITY_SOBOL : CART_SENSITIVITY_MORRIS;
  } else if (strcmp(name, "--force") == 0) {
    args->force = 1;
  } else if (strcmp(name, "--quiet") == 0) {
    args->quiet = 1;
  } else if (strcmp(name, "--typical-patient") == 0) {
    args->typical_patient = 1;
  } else if ((status = cli_parse_count(option, value, &v)) != 0) {
    return status;
  } else if (strcmp(name, "--samples") == 0) {
    if (v == 0) {
      return fail(EXIT_BAD_INPUT, "%s: N must be at least 1", option);
    }
    args->settings.n = (size_t)v;
    args->have_n = 1;
  } else if (strcmp(name, "--levels") == 0) {
    args->settings.levels = (size_t)v;
  } else if (strcmp(name, "--seed") == 0) {
    args->settings.seed = (uint64_t)v;
  } else if (strcmp(name, "--bootstrap") == 0) {
    args->settings.n_bootstrap = (size_t)v;
  } else if (strcmp(name, "--patients") == 0) {
    if (v == 0) {
      return fail(EXIT_BAD_INPUT, "%s: a trial needs at least one patient", option);
    }
    args->n_patients = v;
  } else if (strcmp(name, "--threads") == 0) {
    if (v == 0 || v > 1024) {
      return fail(EXIT_BAD_INPUT, "--threads %llu: expected 1..1024", v);
    }
    args->threads = v;
  }
  return 0;
}

static int parse_args(int argc, char **argv, sensitivity_args *args)
{
  memset(args, 0, sizeof *args);
  cart_sensitivity_settings_default(&args->settings);
  args->output = "cart-sensitivity.h5";
  for (int i = 0; i < argc; i++) {
    const char *value = NULL;
    const int k = cli_next_option(&cli_sensitivity_command, argc, argv, &i, &value);
    if (k == CLI_HELP || k == CLI_BAD) {
      return k == CLI_HELP ? CLI_HELP : EXIT_BAD_INPUT;
    }
    int status = 0;
    if (k == CLI_ARGUMENT) {
      if (args->scenario_path == NULL) {
        args->scenario_path = argv[i];
      } else {
        status = fail(EXIT_BAD_INPUT, "cart sensitivity takes one scenario; got a second, '%s'",
                      argv[i]);
      }
    } else {
      status = take_option(args, cli_option_at(&cli_sensitivity_command, k)->name, argv[i - 1],
                           value);
    }
    if (status != 0) {
      return status;
    }
  }
  if (!args->have_n && args->settings.method == CART_SENSITIVITY_MORRIS) {
    args->settings.n = 20;
  }
  if (args->n_params == 0 || args->statistic == NULL) {
    fail(EXIT_BAD_INPUT, "cart sensitivity needs %s",
         args->n_params == 0 ? "at least one --param NAME=RANGE" : "--statistic STAT");
    cli_print_usage(&cli_sensitivity_command, stderr);
    return EXIT_BAD_INPUT;
  }
  return 0;
}

int cli_sensitivity(int argc, char **argv)
{
  sensitivity_args args;
  const int parsed = parse_args(argc, argv, &args);
  if (parsed != 0) {
    return parsed == CLI_HELP ? 0 : parsed;
  }
  if (!args.force && access(args.output, F_OK) == 0) {
    return fail(EXIT_BAD_INPUT, "'%s' exists (use --force to replace it)", args.output);
  }
  int exit_status = 0;
  char *scenario_text = NULL;
  cart_trial *trial = NULL;
  cart_sensitivity *s = NULL;
  cart_error err;
  cart_error_clear(&err);
  const char *source = args.scenario_path ? args.scenario_path : "<default>";
  if (args.scenario_path != NULL) {
    scenario_text = cli_read_scenario(args.scenario_path);
    if (scenario_text == NULL) {
      return EXIT_BAD_INPUT;
    }
  }
  trial = cart_trial_new_from_scenario(scenario_text ? scenario_text : cart_scenario_default(),
                                       source, &err);
  if (trial == NULL) {
    exit_status = fail(EXIT_BAD_INPUT, "%s", err.message);
    goto cleanup;
  }
  if (args.n_patients > 0 && cart_trial_set_n_patients(trial, (size_t)args.n_patients) != CART_OK) {
    exit_status = fail(EXIT_BAD_INPUT, "--patients %llu: %s", args.n_patients,
                       cart_trial_last_error(trial)->message);
    goto cleanup;
  }
  cart_sensitivity_param params[CART_SENSITIVITY_MAX_PARAMS];
  char names[CART_SENSITIVITY_MAX_PARAMS][CART_RANGE_NAME_SIZE];
  for (size_t k = 0; k < args.n_params; k++) {
    int from_scenario = 0;
    if (cart_parse_sensitivity_range(args.params[k], names[k], &params[k], &from_scenario,
                                     &err) != CART_OK ||
        (from_scenario &&
         cart_sensitivity_scenario_param(trial, names[k], &params[k], &err) != CART_OK)) {
      exit_status = fail(EXIT_BAD_INPUT, "--param %s: %s", args.params[k], err.message);
      goto cleanup;
    }
  }
  if (args.typical_patient) {
    if (args.n_patients > 0) {
      exit_status = fail(EXIT_BAD_INPUT, "--typical-patient is one patient: drop -n");
      goto cleanup;
    }
    if (cart_sensitivity_typical_patient(trial) != CART_OK) {
      exit_status = fail(EXIT_BAD_INPUT, "--typical-patient: %s",
                         cart_population_last_error(cart_trial_population(trial))->message);
      goto cleanup;
    }
  }
  s = cart_sensitivity_new(params, args.n_params, &args.settings, &err);
  if (s == NULL) {
    exit_status = fail(EXIT_BAD_INPUT, "%s", err.message);
    goto cleanup;
  }
  struct sigaction previous;
  cli_catch_sigint(&previous);
  progress_state state = {cli_now(), !args.quiet && isatty(STDERR_FILENO), 0, 0};
  const int status = cart_sensitivity_run_trial(s, trial, args.statistic, (int)args.threads,
                                                progress, &state);
  cli_release_sigint(&previous);
  if (state.show && state.done > 0 && state.done < state.total) {
    fputc('\n', stderr);
  }
  if (status != CART_OK) {
    const cart_error *e = cart_sensitivity_last_error(s);
    /* errors of the input (statistic, names, ranges) before any trial ran */
    exit_status = fail(state.done == 0 && status != CART_ESTOPPED ? EXIT_BAD_INPUT
                                                                  : EXIT_SOLVE_FAILED,
                       "%s%s", status == CART_ESTOPPED ? "interrupted: " : "", e->message);
    goto cleanup;
  }
  print_report(s, source, cart_trial_n_patients(trial));
  if (cart_sensitivity_write(s, args.output, args.force, &err) != CART_OK) {
    exit_status = fail(EXIT_SOLVE_FAILED, "%s", err.message);
    goto cleanup;
  }
  printf("\nwritten to %s\n", args.output);

cleanup:
  cart_sensitivity_free(s);
  cart_trial_free(trial);
  free(scenario_text);
  return exit_status;
}
