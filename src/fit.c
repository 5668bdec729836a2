/* fit.c: `cart fit DATA.csv --fit NAME ...`: fits parameters of a model to one patient's
 * observations (or each patient of a NONMEM table) with cart_fit.h and prints the estimates,
 * their standard errors and intervals, the correlations, the identifiability report and, on
 * request, profile likelihoods and the fitted curve as CSV or HDF5. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "cli.h"

static const cli_option fit_options[] = {
    {"--model", NULL, 1},       {"--scenario", NULL, 1},     {"--nonmem", NULL, 0},
    {"--petab", NULL, 0},
    {"--fit", NULL, 1},         {"--set", NULL, 1},          {"--dose", NULL, 1},
    {"--toci", NULL, 1},        {"--toci-rule", NULL, 1},    {"--error", NULL, 1},
    {"--log", NULL, 0},         {"--sigma-add", NULL, 1},    {"--sigma-prop", NULL, 1},
    {"--fix-sigma", NULL, 0},   {"--prior", NULL, 1},        {"--profile", NULL, 1},
    {"--profile-points", NULL, 1}, {"--curve-times", NULL, 1}, {"--curve-output", NULL, 1},
    {"--finite-differences", NULL, 0}, {"--threads", NULL, 1}, {NULL, NULL, 0}};

const cli_command cli_fit_command = {
    "fit",
    "cart fit DATA.csv --fit NAME[=INITIAL[:LOWER:UPPER]] ... [--model NAME | --scenario FILE]\n"
    "                [--nonmem | --petab] [--set NAME=VALUE ...] [--dose TIME:CELLS[:FMEM] ...]\n"
    "                [--toci ...] [--toci-rule RULE] [--error additive|proportional|combined]\n"
    "                [--log] [--sigma-add A] [--sigma-prop B] [--fix-sigma]\n"
    "                [--prior NAME=TYPICAL:CV | --prior scenario] [--profile NAME ...]\n"
    "                [--profile-points N] [--curve-times A:B:STEP] [--curve-output FILE.csv]\n"
    "                [--finite-differences] [--threads N]",
    "\n"
    "Fits parameters of a model to one patient's observations (cart_fit.h): maximum likelihood\n"
    "(or MAP with priors) with the residual error model's sigmas estimated too, values below\n"
    "the LLOQ by Beal's M3, Levenberg-Marquardt then BFGS with gradients from forward\n"
    "sensitivity equations. Prints, tab-separated: a '# fit' line (observations, BLQ values,\n"
    "-2 log-likelihood, optimiser), a header and one row per estimate (id, name, estimate, se,\n"
    "rse_pct, ci_lower, ci_upper of the 95 % Wald interval, identifiable), then '# correlation'\n"
    "and its matrix, '# not identifiable' lines when there are any, and '# profile NAME' blocks.\n"
    "\n"
    "DATA.csv is a long CSV: time, observable (a state, output or signal of the model: cart's\n"
    "Cblood, IL6, B, tumour, ...; stein's C), value, optional blq (0/1) and lloq; with --nonmem a\n"
    "NONMEM-style table: ID, TIME, DV, OBS (a name) or CMT (a state, 1-based), optional BLQ,\n"
    "LLOQ, MDV, EVID; each ID is fitted (in parallel; the same results for any --threads) into\n"
    "one table. A NONMEM table with an AMT column carries each ID's doses: EVID 1 records with\n"
    "AMT (cells for CAR-T, mg/kg for tocilizumab, as --dose and --toci), CMT the target (cart or\n"
    "toci, or the number or name of the state dosed: E, D1), optional RATE or DUR (days), II and\n"
    "ADDL (cart(1)); they replace the scenario's doses, and --dose or --toci is then an error.\n"
    "With --petab a PEtab measurement table (tab-separated: observableId, simulationConditionId,\n"
    "time, measurement; each condition fitted as an ID). Bad rows are refused with the file and\n"
    "line.\n"
    "\n"
    "  --fit NAME[=INITIAL[:LOWER:UPPER]]  a parameter to fit (repeatable), from INITIAL (default\n"
    "                     its value) within LOWER..UPPER (default the model's bounds); fitted on\n"
    "                     the log scale, logit when bounded\n"
    "  --model NAME       the model (default cart); --scenario FILE: the scenario's model, typical\n"
    "                     values (the starting point) and doses\n"
    "  --set, --dose, --toci, --toci-rule  the patient, as for cart run\n"
    "  --error KIND       additive (default), proportional or combined residual error\n"
    "  --log              the error model on the log scale (the data must be > 0 or BLQ)\n"
    "  --sigma-add A, --sigma-prop B  initial (or fixed) sigmas (default 1 and 0.1; with --log\n"
    "                     0.3)\n"
    "  --fix-sigma        keep the sigmas fixed (least squares by Levenberg-Marquardt alone)\n"
    "  --prior NAME=TYPICAL:CV  a log-normal prior (MAP); 'scenario': from the scenario's typical\n"
    "                     values and CVs for every fitted parameter it varies\n"
    "  --profile NAME     profile likelihood of a fitted parameter or sigma (repeatable), at\n"
    "                     --profile-points N values (default 11) over +-3 standard errors\n"
    "  --curve-output F   the fitted curve of every observable in the data as CSV (id, time,\n"
    "                     observable, value), or for F ending in .h5 as HDF5 (a group per id\n"
    "                     with `time` and a dataset per observable), at --curve-times\n"
    "                     (default 0 to the last time, 200 steps)\n"
    "  --finite-differences  gradients by central differences of solutions\n"
    "  --threads N        threads for several patients (default: OpenMP's)\n"
    "  -h, --help         this help\n"
    "\n"
    "Exit status: 0 success, 1 a fit failed, 2 bad usage or input.\n",
    fit_options, NULL};

enum { MAX_FIT = 32, MAX_PRIORS = 32, MAX_PROFILES = 32 };

typedef struct fit_spec {
  char name[64];
  double initial, lower, upper;
} fit_spec;

typedef struct fit_cli {
  const char *data_path, *scenario, *model_name, *curve_output, *curve_times;
  int nonmem, petab, log_scale, fix_sigma, fd, threads, prior_scenario;
  cart_fit_error_kind kind;
  double sigma_add, sigma_prop;
  int sigma_add_given, sigma_prop_given;
  fit_spec fits[MAX_FIT];
  size_t n_fits;
  fit_spec priors[MAX_PRIORS]; /* initial: typical, lower: cv */
  size_t n_priors;
  const char *profiles[MAX_PROFILES];
  size_t n_profiles;
  unsigned long long profile_points;
} fit_cli;

/* "NAME[=INITIAL[:LOWER:UPPER]]". */
static int parse_fit_spec(const char *arg, fit_spec *spec)
{
  const char *eq = strchr(arg, '=');
  const size_t length = eq ? (size_t)(eq - arg) : strlen(arg);
  if (length == 0 || length >= sizeof spec->name) {
    return fail(EXIT_BAD_INPUT, "--fit %s: expected NAME[=INITIAL[:LOWER:UPPER]]", arg);
  }
  snprintf(spec->name, sizeof spec->name, "%.*s", (int)length, arg);
  spec->initial = spec->lower = spec->upper = NAN;
  if (eq == NULL) {
    return 0;
  }
  char text[128];
  snprintf(text, sizeof text, "%s", eq + 1);
  char *parts[3] = {text, NULL, NULL};
  int n = 1;
  for (char *p = text; *p && n <= 3; p++) {
    if (*p == ':') {
      *p = '\0';
      if (n == 3) {
        n = 4;
        break;
      }
      parts[n++] = p + 1;
    }
  }
  if ((n != 1 && n != 3) || parse_number(parts[0], &spec->initial) != 0 ||
      (n == 3 && (parse_number(parts[1], &spec->lower) != 0 ||
                  parse_number(parts[2], &spec->upper) != 0))) {
    return fail(EXIT_BAD_INPUT, "--fit %s: expected NAME[=INITIAL[:LOWER:UPPER]] with numbers",
                arg);
  }
  return 0;
}

/* "NAME=TYPICAL:CV". */
static int parse_prior(const char *arg, fit_spec *spec)
{
  const char *eq = strchr(arg, '='), *colon = eq ? strchr(eq, ':') : NULL;
  char typical[64], cv[64];
  if (eq == NULL || colon == NULL || eq == arg || (size_t)(eq - arg) >= sizeof spec->name) {
    return fail(EXIT_BAD_INPUT, "--prior %s: expected NAME=TYPICAL:CV or 'scenario'", arg);
  }
  snprintf(spec->name, sizeof spec->name, "%.*s", (int)(eq - arg), arg);
  snprintf(typical, sizeof typical, "%.*s", (int)(colon - eq - 1), eq + 1);
  snprintf(cv, sizeof cv, "%s", colon + 1);
  if (parse_number(typical, &spec->initial) != 0 || parse_number(cv, &spec->lower) != 0) {
    return fail(EXIT_BAD_INPUT, "--prior %s: TYPICAL and CV must be numbers", arg);
  }
  return 0;
}

static int positive_option(const char *name, const char *arg, double *value)
{
  if (parse_number(arg, value) != 0 || !(*value > 0) || !isfinite(*value)) {
    return fail(EXIT_BAD_INPUT, "%s %s: expected a number > 0", name, arg);
  }
  return 0;
}

/* The options that need no model: 0, an exit status, or -1 when `name` is another. */
static int apply_fit_option(fit_cli *c, const char *name, const char *arg)
{
  if (strcmp(name, "--nonmem") == 0) {
    c->nonmem = 1;
  } else if (strcmp(name, "--petab") == 0) {
    c->petab = 1;
  } else if (strcmp(name, "--log") == 0) {
    c->log_scale = 1;
  } else if (strcmp(name, "--fix-sigma") == 0) {
    c->fix_sigma = 1;
  } else if (strcmp(name, "--finite-differences") == 0) {
    c->fd = 1;
  } else if (strcmp(name, "--model") == 0) {
    c->model_name = arg;
  } else if (strcmp(name, "--scenario") == 0) {
    c->scenario = arg;
  } else if (strcmp(name, "--curve-output") == 0) {
    c->curve_output = arg;
  } else if (strcmp(name, "--curve-times") == 0) {
    c->curve_times = arg;
  } else if (strcmp(name, "--fit") == 0) {
    if (c->n_fits == MAX_FIT) {
      return fail(EXIT_BAD_INPUT, "--fit: at most %d parameters", MAX_FIT);
    }
    return parse_fit_spec(arg, &c->fits[c->n_fits++]);
  } else if (strcmp(name, "--prior") == 0) {
    if (strcmp(arg, "scenario") == 0) {
      c->prior_scenario = 1;
      return 0;
    }
    if (c->n_priors == MAX_PRIORS) {
      return fail(EXIT_BAD_INPUT, "--prior: at most %d priors", MAX_PRIORS);
    }
    return parse_prior(arg, &c->priors[c->n_priors++]);
  } else if (strcmp(name, "--profile") == 0) {
    if (c->n_profiles == MAX_PROFILES) {
      return fail(EXIT_BAD_INPUT, "--profile: at most %d", MAX_PROFILES);
    }
    c->profiles[c->n_profiles++] = arg;
  } else if (strcmp(name, "--profile-points") == 0) {
    const int status = cli_parse_count(name, arg, &c->profile_points);
    if (status != 0) {
      return status;
    }
    if (c->profile_points < 2 || c->profile_points > 1000) {
      return fail(EXIT_BAD_INPUT, "--profile-points %s: expected 2 .. 1000", arg);
    }
  } else if (strcmp(name, "--threads") == 0) {
    unsigned long long n = 0;
    const int status = cli_parse_count(name, arg, &n);
    if (status != 0) {
      return status;
    }
    if (n < 1 || n > 1024) {
      return fail(EXIT_BAD_INPUT, "--threads %s: expected 1 .. 1024", arg);
    }
    c->threads = (int)n;
  } else if (strcmp(name, "--error") == 0) {
    if (cart_fit_error_kind_from_name(arg, &c->kind) != CART_OK) {
      return fail(EXIT_BAD_INPUT, "--error %s: expected additive, proportional or combined", arg);
    }
  } else if (strcmp(name, "--sigma-add") == 0) {
    c->sigma_add_given = 1;
    return positive_option(name, arg, &c->sigma_add);
  } else if (strcmp(name, "--sigma-prop") == 0) {
    c->sigma_prop_given = 1;
    return positive_option(name, arg, &c->sigma_prop);
  } else {
    return -1;
  }
  return 0;
}

/* A fit of one data set as the options say; NULL with the message printed. */
static cart_fit *make_fit(const fit_cli *c, const cart_params *params, const cart_dosing *dosing,
                          const cart_fit_data *data, cart_population *population)
{
  cart_error err;
  cart_fit *fit = cart_fit_new(params, dosing, data, &err);
  if (fit == NULL) {
    fail(EXIT_BAD_INPUT, "%s", err.message);
    return NULL;
  }
  int status = CART_OK;
  for (size_t k = 0; status == CART_OK && k < c->n_fits; k++) {
    const fit_spec *f = &c->fits[k];
    status = cart_fit_add_param(fit, f->name, f->initial, f->lower, f->upper);
  }
  if (status == CART_OK) {
    status = cart_fit_set_error_model(fit, c->kind, c->log_scale, c->sigma_add, c->sigma_prop,
                                      !c->fix_sigma);
  }
  for (size_t k = 0; status == CART_OK && k < c->n_priors; k++) {
    status = cart_fit_set_prior(fit, c->priors[k].name, c->priors[k].initial, c->priors[k].lower);
  }
  if (status == CART_OK && population != NULL) {
    status = cart_fit_set_priors_from_population(fit, population);
  }
  cart_fit_set_finite_differences(fit, c->fd);
  if (status != CART_OK) {
    fail(EXIT_BAD_INPUT, "%s", cart_fit_last_error(fit)->message);
    cart_fit_free(fit);
    return NULL;
  }
  return fit;
}

static void print_fit(cart_fit *fit, const cart_fit_data *data, int status,
                      int header)
{
  const char *id = cart_fit_data_id(data)[0] ? cart_fit_data_id(data) : "1";
  if (status != CART_OK) {
    printf("# fit %s failed: %s\n", id, cart_fit_last_error(fit)->message);
    return;
  }
  cart_fit_result r;
  cart_fit_get_result(fit, &r);
  printf("# fit %s: %zu observations, %zu below the LLOQ; -2 log-likelihood %.10g; %s, "
         "gradient by %s\n",
         id, r.n_observations, r.n_blq, r.objective, r.optimiser, r.gradient_method);
  if (header) {
    printf("id\tname\testimate\tse\trse_pct\tci_lower\tci_upper\tidentifiable\n");
  }
  for (size_t k = 0; k < r.n_theta; k++) {
    cart_fit_estimate e;
    cart_fit_get_estimate(fit, k, &e);
    printf("%s\t%s\t%.6g\t%.4g\t%.3g\t%.6g\t%.6g\t%s\n", id, e.name, e.value, e.se,
           100 * e.se / fabs(e.value), e.ci_lower, e.ci_upper,
           e.flags & CART_FIT_NOT_IDENTIFIABLE ? "no" : "yes");
  }
}

static void print_details(cart_fit *fit)
{
  cart_fit_result r;
  if (cart_fit_get_result(fit, &r) != CART_OK) {
    return;
  }
  double *corr = malloc(r.n_theta * r.n_theta * sizeof *corr);
  if (corr != NULL && cart_fit_correlation(fit, corr) == CART_OK) {
    printf("# correlation\nname");
    for (size_t k = 0; k < r.n_theta; k++) {
      printf("\t%s", cart_fit_theta_name(fit, k));
    }
    printf("\n");
    for (size_t a = 0; a < r.n_theta; a++) {
      printf("%s", cart_fit_theta_name(fit, a));
      for (size_t b = 0; b < r.n_theta; b++) {
        printf("\t%.4f", corr[a * r.n_theta + b]);
      }
      printf("\n");
    }
  }
  free(corr);
  const char *report = cart_fit_identifiability_report(fit);
  if (report[0] != '\0') {
    printf("# not identifiable\n%s", report);
  }
}

static int print_profiles(const fit_cli *c, cart_fit *fit)
{
  const size_t n = c->profile_points ? (size_t)c->profile_points : 11;
  double *values = malloc(n * sizeof *values), *objective = malloc(n * sizeof *objective);
  int status = values && objective ? 0 : fail(EXIT_SOLVE_FAILED, "out of memory");
  for (size_t p = 0; status == 0 && p < c->n_profiles; p++) {
    size_t k = 0;
    while (k < cart_fit_n_theta(fit) && strcmp(cart_fit_theta_name(fit, k), c->profiles[p]) != 0) {
      k++;
    }
    if (k == cart_fit_n_theta(fit)) {
      status = fail(EXIT_BAD_INPUT, "--profile %s: not a fitted parameter or sigma",
                    c->profiles[p]);
      break;
    }
    if (cart_fit_profile(fit, k, n, 3.0, values, objective) != CART_OK) {
      status = fail(EXIT_SOLVE_FAILED, "--profile %s: %s", c->profiles[p],
                    cart_fit_last_error(fit)->message);
      break;
    }
    printf("# profile %s\n%s\tobjective\n", c->profiles[p], c->profiles[p]);
    for (size_t j = 0; j < n; j++) {
      printf("%.6g\t%.10g\n", values[j], objective[j]);
    }
  }
  free(values);
  free(objective);
  return status;
}

/* Where the fitted curves go: a CSV (id, time, observable, value) or, for a name ending in .h5,
 * an HDF5 file with a group per patient holding `time` and a dataset per observable. */
typedef struct curve_sink {
  FILE *csv;
  hid_t h5, group;
} curve_sink;

static int ends_with(const char *s, const char *tail)
{
  const size_t n = strlen(s), m = strlen(tail);
  return n >= m && strcmp(s + n - m, tail) == 0;
}

static int h5_write_vector(hid_t where, const char *name, const double *values, size_t n)
{
  const hsize_t size = n;
  const hid_t space = H5Screate_simple(1, &size, NULL);
  const hid_t set = space < 0 ? -1
                              : H5Dcreate2(where, name, H5T_IEEE_F64LE, space, H5P_DEFAULT,
                                           H5P_DEFAULT, H5P_DEFAULT);
  const herr_t wrote = set < 0 ? -1
                               : H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                          values);
  if (set >= 0) {
    H5Dclose(set);
  }
  if (space >= 0) {
    H5Sclose(space);
  }
  return wrote < 0 ? -1 : 0;
}

/* One patient's curve of one observable into the sink. */
static int sink_curve(curve_sink *sink, const char *id, const char *observable,
                      const double *times, const double *values, size_t n, int first)
{
  if (sink->csv != NULL) {
    for (size_t j = 0; j < n; j++) {
      fprintf(sink->csv, "%s,%.10g,%s,%.10g\n", id, times[j], observable, values[j]);
    }
    return 0;
  }
  if (first) {
    if (sink->group >= 0) {
      H5Gclose(sink->group);
    }
    sink->group = H5Gcreate2(sink->h5, id, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (sink->group < 0 || h5_write_vector(sink->group, "time", times, n) != 0) {
      return -1;
    }
  }
  return h5_write_vector(sink->group, observable, values, n);
}

/* The fitted curves of every observable in the data. */
static int write_curves(const fit_cli *c, cart_fit **fits, cart_fit_data **sets, size_t n_sets,
                        const int *statuses, const cart_model *model)
{
  curve_sink sink = {NULL, -1, -1};
  if (ends_with(c->curve_output, ".h5")) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are reported here, not printed by HDF5 */
    sink.h5 = H5Fcreate(c->curve_output, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  } else {
    sink.csv = fopen(c->curve_output, "w");
  }
  if (sink.csv == NULL && sink.h5 < 0) {
    return fail(EXIT_BAD_INPUT, "--curve-output %s: cannot open", c->curve_output);
  }
  if (sink.csv != NULL) {
    fprintf(sink.csv, "id,time,observable,value\n");
  }
  int status = 0;
  for (size_t s = 0; status == 0 && s < n_sets; s++) {
    if (statuses[s] != CART_OK) {
      continue;
    }
    double t_last = 0;
    const size_t n_obs = cart_fit_data_size(sets[s]);
    cart_fit_data_get(sets[s], n_obs - 1, &t_last, NULL, NULL, NULL, NULL);
    char grid[96];
    snprintf(grid, sizeof grid, "0:%.17g:%.17g", t_last, t_last > 0 ? t_last / 200 : 1);
    size_t n_times = 0;
    double *times = cli_parse_times("--curve-times", c->curve_times ? c->curve_times : grid,
                                    &n_times);
    double *values = times ? malloc(n_times * sizeof *values) : NULL;
    if (values == NULL) {
      free(times);
      status = times ? fail(EXIT_SOLVE_FAILED, "out of memory") : EXIT_BAD_INPUT;
      break;
    }
    const char *id = cart_fit_data_id(sets[s])[0] ? cart_fit_data_id(sets[s]) : "1";
    int first = 1;
    for (size_t o = 0; status == 0 && o < cart_fit_n_observables(model); o++) {
      int seen = 0;
      for (size_t i = 0; i < n_obs && !seen; i++) {
        int obs;
        cart_fit_data_get(sets[s], i, NULL, &obs, NULL, NULL, NULL);
        seen = obs == (int)o;
      }
      if (!seen) {
        continue;
      }
      if (cart_fit_curve(fits[s], (int)o, times, n_times, values) != CART_OK) {
        status = fail(EXIT_SOLVE_FAILED, "--curve-output: %s",
                      cart_fit_last_error(fits[s])->message);
      } else if (sink_curve(&sink, id, cart_fit_observable_name(model, o), times, values,
                            n_times, first) != 0) {
        status = fail(EXIT_SOLVE_FAILED, "--curve-output %s: cannot write patient %s's %s",
                      c->curve_output, id, cart_fit_observable_name(model, o));
      }
      first = 0;
    }
    free(times);
    free(values);
  }
  if (sink.group >= 0) {
    H5Gclose(sink.group);
  }
  const int closed = sink.csv != NULL ? fclose(sink.csv) : (H5Fclose(sink.h5) < 0 ? -1 : 0);
  if (closed != 0 && status == 0) {
    status = fail(EXIT_SOLVE_FAILED, "--curve-output %s: write failed", c->curve_output);
  }
  return status;
}

int cli_fit(int argc, char **argv)
{
  fit_cli c = {0};
  c.kind = CART_FIT_ADDITIVE;
  c.sigma_add = 1.0;
  c.sigma_prop = 0.1;
  c.model_name = "cart";
  /* pass 1: help, unknown options, the model-free options, the data file */
  for (int i = 0; i < argc; i++) {
    const char *value = NULL;
    const int k = cli_next_option(&cli_fit_command, argc, argv, &i, &value);
    if (k == CLI_HELP || k == CLI_BAD) {
      return cli_stop_status(k);
    }
    if (k == CLI_ARGUMENT) {
      if (c.data_path != NULL) {
        fail(EXIT_BAD_INPUT, "cart fit takes one data file, got '%s' and '%s'", c.data_path,
             argv[i]);
        cli_print_usage(&cli_fit_command, stderr);
        return EXIT_BAD_INPUT;
      }
      c.data_path = argv[i];
      continue;
    }
    const int status = apply_fit_option(&c, cli_option_at(&cli_fit_command, k)->name, value);
    if (status > 0) {
      return status;
    }
  }
  if (c.data_path == NULL || c.n_fits == 0) {
    fail(EXIT_BAD_INPUT, "cart fit needs %s",
         c.data_path == NULL ? "a data file" : "--fit NAME (a parameter to fit)");
    cli_print_usage(&cli_fit_command, stderr);
    return EXIT_BAD_INPUT;
  }
  if (c.log_scale && !c.sigma_add_given) {
    c.sigma_add = 0.3;
  }
  if (c.nonmem && c.petab) {
    return fail(EXIT_BAD_INPUT, "--nonmem and --petab: one data format");
  }
  if (c.prior_scenario && c.scenario == NULL) {
    return fail(EXIT_BAD_INPUT, "--prior scenario: needs --scenario");
  }
  cart_error err;
  cart_trial *trial = NULL;
  cart_params *params = NULL;
  cart_dosing *dosing = NULL;
  cart_population *population = NULL;
  const cart_model *model = NULL;
  if (c.scenario != NULL) {
    char *text = cli_read_scenario(c.scenario);
    if (text == NULL) {
      return EXIT_BAD_INPUT;
    }
    trial = cart_trial_new_from_scenario(text, c.scenario, &err);
    free(text);
    if (trial == NULL) {
      return fail(EXIT_BAD_INPUT, "%s", err.message);
    }
    population = cart_trial_edit_population(trial);
    params = cart_params_clone(cart_population_typical(population), &err);
    dosing = cart_dosing_clone(cart_trial_dosing(trial), &err);
    model = cart_params_model(params);
  } else {
    model = cart_model_find(c.model_name, &err);
    if (model == NULL) {
      return fail(EXIT_BAD_INPUT, "%s", err.message);
    }
    params = cart_params_new(model, &err);
    dosing = cart_dosing_new(&err);
  }
  int status = params && dosing ? 0 : fail(EXIT_SOLVE_FAILED, "out of memory");
  /* pass 2: the patient options, in order */
  int initial_dose_set = 0;
  const char *dose_option = NULL; /* a --dose or --toci given */
  for (int i = 0; status == 0 && i < argc; i++) {
    const char *value = NULL;
    const int k = cli_next_option(&cli_fit_command, argc, argv, &i, &value);
    if (k >= 0) {
      const char *name = cli_option_at(&cli_fit_command, k)->name;
      if (strcmp(name, "--dose") == 0 || strcmp(name, "--toci") == 0) {
        dose_option = name;
      }
      const int applied = cli_patient_option(params, dosing, name, value, &initial_dose_set);
      status = applied > 0 ? applied : 0;
    }
  }
  cart_fit_data **sets = NULL;
  size_t n_sets = 0;
  if (status == 0) {
    int read;
    if (c.nonmem) {
      read = cart_fit_data_read_nonmem(model, c.data_path, &sets, &n_sets, &err);
    } else if (c.petab) {
      read = cart_fit_data_read_petab(model, c.data_path, &sets, &n_sets, &err);
    } else {
      sets = calloc(1, sizeof *sets);
      n_sets = sets ? 1 : 0;
      read = sets ? cart_fit_data_read(model, c.data_path, &sets[0], &err) : CART_ENOMEM;
      if (sets == NULL) {
        snprintf(err.message, sizeof err.message, "out of memory");
      }
    }
    if (read != CART_OK) {
      status = fail(EXIT_BAD_INPUT, "%s", err.message);
    }
  }
  /* a data set with dose records is the source of truth: its doses replace the scenario's,
   * and doses on the command line are an error (the tocilizumab rule stays) */
  if (status == 0 && n_sets > 0 && cart_fit_data_dosing(sets[0]) != NULL) {
    if (dose_option != NULL) {
      status = fail(EXIT_BAD_INPUT, "%s: the data set carries each patient's doses (dose "
                    "records); %s is not taken with it", c.data_path, dose_option);
    } else {
      cart_toci_rule rule;
      cart_dosing_get_toci_rule(dosing, &rule);
      cart_dosing_clear(dosing); /* the doses, and the rule, which is set again */
      if (rule.enabled) {
        cart_dosing_set_toci_rule(dosing, &rule);
      }
    }
  }
  cart_fit **fits = status == 0 ? calloc(n_sets, sizeof *fits) : NULL;
  int *statuses = status == 0 ? calloc(n_sets, sizeof *statuses) : NULL;
  if (status == 0 && (fits == NULL || statuses == NULL)) {
    status = fail(EXIT_SOLVE_FAILED, "out of memory");
  }
  for (size_t s = 0; status == 0 && s < n_sets; s++) {
    fits[s] = make_fit(&c, params, dosing, sets[s], c.prior_scenario ? population : NULL);
    status = fits[s] ? 0 : EXIT_BAD_INPUT;
  }
  if (status == 0) {
    cart_fit_run_all(fits, n_sets, c.threads, statuses);
    for (size_t s = 0; s < n_sets; s++) {
      print_fit(fits[s], sets[s], statuses[s], s == 0);
      if (statuses[s] != CART_OK) {
        status = EXIT_SOLVE_FAILED;
      }
    }
    if (n_sets == 1 && statuses[0] == CART_OK) {
      print_details(fits[0]);
      const int profiled = print_profiles(&c, fits[0]);
      status = profiled ? profiled : status;
    } else if (c.n_profiles > 0) {
      fprintf(stderr, "%s fit: --profile is for one patient; left out\n", CLI_NAME);
    }
    if (c.curve_output != NULL) {
      const int written = write_curves(&c, fits, sets, n_sets, statuses, model);
      status = written ? written : status;
    }
  }
  for (size_t s = 0; fits != NULL && s < n_sets; s++) {
    cart_fit_free(fits[s]);
  }
  free(fits);
  free(statuses);
  cart_fit_data_free_all(sets, n_sets);
  cart_params_free(params);
  cart_dosing_free(dosing);
  cart_trial_free(trial);
  return status;
}
