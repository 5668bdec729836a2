/* cart: the libcart command line.
 *
 *   cart run [--model NAME] [--set NAME=VALUE ...] [--dose TIME:CELLS[:FMEM] ...]
 *            [--toci TIME:MG_PER_KG[:HOURS[:CAP_MG]] ...] [--event-table FILE.csv]
 *            [--times A:B:STEP | --times T1,T2,...]
 *            [--method rodas5p|gsl-bdf|rk8pd] [--rtol R] [--max-steps N]
 *            [--signals] [--endpoints] [--set-endpoint NAME=VALUE ...] [--events]
 *   cart trial ... | cart calibrate ... | cart sensitivity ... | cart export ... (trial.c,
 *   calibrate.c, sensitivity.c, export.c)
 *   cart models
 *   cart --help | --version
 *
 * Exit status: 0 success, 1 the solve failed, 2 bad usage or input. Errors are one line on
 * stderr, "cart: ..." naming what was wrong.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart.h>

#include "cli.h"


static const cli_option run_option_table[] = {
    {"--model", NULL, 1}, {"--set", NULL, 1}, {"--dose", NULL, 1}, {"--toci", NULL, 1},
    {"--times", NULL, 1}, {"--method", NULL, 1}, {"--rtol", NULL, 1}, {"--max-steps", NULL, 1},
    {"--n-ext", NULL, 1}, {"--toci-rule", NULL, 1}, {"--signals", NULL, 0},
    {"--endpoints", NULL, 0}, {"--set-endpoint", NULL, 1}, {"--events", NULL, 0},
    {"--event-table", NULL, 1}, {NULL, NULL, 0}};

const cli_command cli_run_command = {
    "run",
    "cart run [--model NAME] [--set NAME=VALUE ...] [--dose TIME:CELLS[:FMEM] ...]\n"
    "                [--toci TIME:MG_PER_KG[:HOURS[:CAP_MG]] ...] [--event-table FILE.csv]\n"
    "                [--times A:B:STEP | --times T1,T2,...] [--method rodas5p|gsl-bdf|rk8pd]\n"
    "                [--rtol R] [--max-steps N] [--n-ext CELLS] [--toci-rule RULE]\n"
    "                [--signals] [--endpoints] [--set-endpoint NAME=VALUE ...] [--events]",
    "\n"
    "Solves one virtual patient of a libcart model (default: cart, MODEL.md 2.2) and prints\n"
    "tab-separated columns: t, every state in model order, then derived outputs (Cblood for\n"
    "cart), one row per output time (default 0:365:1 days), numbers in %.10g.\n"
    "--endpoints and --events add blocks after the table, each a line '# endpoints' or\n"
    "'# events', a header line and tab-separated rows: the table ends at the first line\n"
    "starting with '#'.\n"
    "\n"
    "  --model NAME       model to solve (see `cart models`)\n"
    "  --set NAME=VALUE   set a parameter (repeatable)\n"
    "  --dose T:CELLS[:F] CAR-T infusion of CELLS at day T with memory fraction F (default: the\n"
    "                     parameter f_mem). At T = 0 it is the initial infusion: it sets the\n"
    "                     parameters dose (and f_mem); later doses add to E and M\n"
    "  --toci T:MGKG[:H[:CAP]]  tocilizumab MGKG mg/kg at day T, infused over H hours (default 1),\n"
    "                     capped at CAP mg (default 800)\n"
    "  --event-table FILE.csv  the doses of an event table in the NONMEM/rxode2 layout (time,\n"
    "                     amt, cmt, and optionally evid, dur or rate, ii, addl, fmem, cap_mg;\n"
    "                     libcart(3) cart_parse_event_table), given as --dose and --toci give\n"
    "                     theirs; no observation rows (evid 0): the output times are --times\n"
    "  --times A:B:STEP   output every STEP days from A to B; or a list T1,T2,...\n"
    "  --method M         rodas5p (Rosenbrock order 5, analytic Jacobian; default), gsl-bdf\n"
    "                     (GSL msbdf; also 'bdf') or rk8pd\n"
    "  --rtol R           relative tolerance, 0 < R <= 0.1 (default 1e-6)\n"
    "  --max-steps N      step limit per solve (default 100000)\n"
    "  --n-ext CELLS      extinction: a tumour phenotype falling through CELLS is set to 0\n"
    "                     (default 1; 0 turns it off)\n"
    "  --toci-rule RULE   tocilizumab by rule: 'on' (MODEL.md 3 defaults: 8 mg/kg when the CRS\n"
    "                     signal (IL6s unless q_ifn > 0) rises through 200 pg/mL, again every\n"
    "                     8 h while above, at most 4 doses), 'off' (the default), or\n"
    "                     TRIGGER[:INTERVAL_H[:MAX_DOSES[:MG_PER_KG[:DELAY_H]]]]\n"
    "  --signals          add the model's derived signals that are not already a column (cart:\n"
    "                     tumour, IL6s, CRS) after the outputs\n"
    "  --endpoints        after the table, '# endpoints' and name, value, unit rows: the\n"
    "                     patient's endpoints as a trial computes them (values in %.17g)\n"
    "  --set-endpoint NAME=VALUE  an endpoint setting for --endpoints (n_detect, t_resp,\n"
    "                     f_aplasia, crs_g1..crs_g4, auc_end, the model's own; repeatable)\n"
    "  --events           after the table, '# events' and time, kind, state, amount, unit\n"
    "                     rows in time order: every dose given (cart_dose: cells; toci_dose,\n"
    "                     toci_rule: mg) and every extinction (the state set to 0 cells)\n"
    "  -h, --help         this help\n"
    "\n"
    "Exit status: 0 success, 1 the solver failed, 2 bad usage or input.\n",
    run_option_table, NULL};

static const cli_option no_options[] = {{NULL, NULL, 0}};

const cli_command cli_scenario_command = {
    "scenario", "cart scenario",
    "\n"
    "Prints the built-in default scenario (cart-scenario(5)), the one `cart trial` runs when\n"
    "given no scenario file: a starting point to copy and edit.\n",
    no_options, NULL};

const cli_command cli_models_command = {
    "models", "cart models",
    "\n"
    "Lists every model compiled into libcart: its states, derived outputs, parameters (unit,\n"
    "default, bounds, meaning) and the endpoints a trial computes.\n",
    no_options, NULL};

/* cart --help: every command's synopsis, then where to read more. */
static int print_usage(FILE *out)
{
  const cli_command *commands[] = {&cli_run_command,         &cli_trial_command,
                                   &cli_calibrate_command,   &cli_sensitivity_command,
                                   &cli_fit_command,         &cli_export_command,
                                   &cli_scenario_command,
                                   &cli_models_command};
  for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
    fprintf(out, "%s%s\n", c == 0 ? "usage: " : "       ", commands[c]->synopsis);
  }
  fputs("       cart --help | --version\n"
        "\n"
        "cart run solves one virtual patient and prints its trajectories. cart trial runs a\n"
        "virtual trial into one HDF5 file and prints its summary; cart export writes such a file\n"
        "as CSV tables. cart calibrate fits a scenario to a trial's summary statistics; cart\n"
        "sensitivity finds which typical values drive one (Sobol indices, Morris effects); cart\n"
        "fit fits a model's parameters to one patient's observations. cart scenario prints the\n"
        "default scenario; cart models lists the models. `cart COMMAND --help` describes a\n"
        "command and its options; see cart(1).\n"
        "\n"
        "Exit status: 0 success, 1 the command failed, 2 bad usage or input.\n",
        out);
  return 0;
}

/* A command without options (models, scenario): only -h/--help. */
static int no_arguments(const cli_command *command, int argc, char **argv)
{
  for (int i = 0; i < argc; i++) {
    const char *value = NULL;
    const int k = cli_next_option(command, argc, argv, &i, &value);
    if (k == CLI_ARGUMENT) {
      fail(EXIT_BAD_INPUT, "cart %s takes no arguments, got '%s'", command->name, argv[i]);
      cli_print_usage(command, stderr);
      return EXIT_BAD_INPUT;
    }
    return cli_stop_status(k); /* the table is empty: help or an unknown option */
  }
  return -1; /* none: go on */
}


/* "[lower, upper]", ( ) for open sides and an infinite bound. */
static void format_bounds(char *bounds, size_t size, const cart_param_info *p)
{
  snprintf(bounds, size, "%c%g, %g%c", p->lower_open ? '(' : '[', p->lower, p->upper,
           p->upper_open || isinf(p->upper) ? ')' : ']');
}

/* The levels endpoint i compares its input with: " (levels: f_aplasia * B0)". */
static void print_levels(const cart_model *model, size_t i)
{
  const size_t n = cart_model_endpoint_n_levels(model, i);
  for (size_t j = 0; j < n; j++) {
    cart_endpoint_level level;
    cart_model_endpoint_level(model, i, j, &level);
    printf("%s%s", j ? ", " : n == 1 ? " (level: " : " (levels: ", level.setting);
    if (level.scale == CART_LEVEL_PARAM) {
      printf(" * %s", level.param);
    } else if (level.scale == CART_LEVEL_INITIAL) {
      printf(" * its input at t = 0");
    }
  }
  if (n > 0) {
    putchar(')');
  }
}

static int list_models(void)
{
  for (size_t m = 0; m < cart_model_count(); m++) {
    const cart_model *model = cart_model_get(m);
    printf("model %s: %s\n", cart_model_name(model), cart_model_description(model));
    printf("  states:\n");
    for (size_t i = 0; i < cart_model_n_states(model); i++) {
      cart_state_info s;
      cart_model_state_info(model, i, &s);
      printf("    %-8s %-10s atol %-6g %s\n", s.name, s.unit, s.abs_tol, s.meaning);
    }
    if (cart_model_n_outputs(model) > 0) {
      printf("  outputs:\n");
      for (size_t i = 0; i < cart_model_n_outputs(model); i++) {
        cart_state_info s;
        cart_model_output_info(model, i, &s);
        printf("    %-8s %-10s %s\n", s.name, s.unit, s.meaning);
      }
    }
    printf("  parameters:\n    %-8s %-28s %-10s %-18s %s\n", "name", "unit", "default", "bounds",
           "meaning");
    for (size_t i = 0; i < cart_model_n_params(model); i++) {
      cart_param_info p;
      cart_model_param_info(model, i, &p);
      char bounds[64];
      format_bounds(bounds, sizeof bounds, &p);
      printf("    %-8s %-28s %-10g %-18s %s\n", p.name, p.unit, p.default_value, bounds, p.meaning);
    }
    printf("  endpoints:\n");
    for (size_t i = 0; i < cart_model_n_endpoints(model); i++) {
      cart_endpoint_info e;
      cart_model_endpoint_info(model, i, &e);
      printf("    %-16s %-14s %-7s %s", e.name, e.unit, e.is_integer ? "integer" : "real",
             e.meaning);
      print_levels(model, i);
      printf("\n");
    }
    if (cart_model_n_endpoint_settings(model) > 0) {
      /* what the levels read: set in a scenario's [endpoints] by name */
      printf("  endpoint settings:\n    %-10s %-8s %-10s %-12s %s\n", "name", "unit", "default",
             "bounds", "meaning");
      for (size_t i = 0; i < cart_model_n_endpoint_settings(model); i++) {
        cart_param_info p;
        cart_model_endpoint_setting_info(model, i, &p);
        char bounds[64];
        format_bounds(bounds, sizeof bounds, &p);
        printf("    %-10s %-8s %-10g %-12s %s%s\n", p.name, p.unit, p.default_value, bounds,
               p.meaning, cart_model_endpoint_setting_is_own(model, i) ? " (the model's own)" : "");
      }
    }
    printf("\n");
  }
  return 0;
}

/* The most signals a model has that --signals prints. */
#define MAX_SIGNALS 32

/* Whether signal i of the model is also a state or output column (cart's Cblood is both, with
 * the same value): --signals adds only the others, so that no column name repeats. */
static int signal_is_column(const cart_model *model, size_t i)
{
  cart_state_info signal;
  cart_model_signal_info(model, i, &signal);
  if (cart_model_state_index(model, signal.name) >= 0) {
    return 1;
  }
  for (size_t o = 0; o < cart_model_n_outputs(model); o++) {
    cart_state_info output;
    cart_model_output_info(model, o, &output);
    if (strcmp(output.name, signal.name) == 0) {
      return 1;
    }
  }
  return 0;
}

/* Prints the solution as tab-separated columns (with params: the signals too). */
static void print_table(const cart_model *model, const double *times, size_t n_times,
                        const double *states, const double *outputs, const cart_params *params)
{
  const size_t ns = cart_model_n_states(model), no = cart_model_n_outputs(model);
  const size_t nsig = params != NULL ? cart_model_n_signals(model) : 0;
  printf("t");
  for (size_t i = 0; i < ns; i++) {
    cart_state_info s;
    cart_model_state_info(model, i, &s);
    printf("\t%s", s.name);
  }
  for (size_t i = 0; i < no; i++) {
    cart_state_info s;
    cart_model_output_info(model, i, &s);
    printf("\t%s", s.name);
  }
  for (size_t i = 0; i < nsig; i++) {
    cart_state_info s;
    cart_model_signal_info(model, i, &s);
    if (!signal_is_column(model, i)) {
      printf("\t%s", s.name);
    }
  }
  printf("\n");
  for (size_t k = 0; k < n_times; k++) {
    printf("%.10g", times[k]);
    for (size_t i = 0; i < ns; i++) {
      printf("\t%.10g", states[k * ns + i]);
    }
    for (size_t i = 0; i < no; i++) {
      printf("\t%.10g", outputs[k * no + i]);
    }
    double signals[MAX_SIGNALS];
    if (nsig > 0) {
      cart_params_signals(params, states + k * ns, signals);
    }
    for (size_t i = 0; i < nsig; i++) {
      if (!signal_is_column(model, i)) {
        printf("\t%.10g", signals[i]);
      }
    }
    printf("\n");
  }
}

/* --endpoints: the patient's endpoints, one name, value, unit row each. */
static void print_endpoints(const cart_model *model, const double *endpoints)
{
  printf("# endpoints\nname\tvalue\tunit\n");
  for (size_t e = 0; e < cart_model_n_endpoints(model); e++) {
    cart_endpoint_info info;
    cart_model_endpoint_info(model, e, &info);
    printf("%s\t%.17g\t%s\n", info.name, endpoints[e], info.unit);
  }
}

/* One row of --events. */
typedef struct event_row {
  double time;
  const char *kind, *state, *unit;
  double amount;
} event_row;

static int compare_rows(const void *a, const void *b)
{
  const event_row *x = a, *y = b;
  return (x->time > y->time) - (x->time < y->time);
}

/* --events: every dose given up to the horizon (the t = 0 infusion, the schedule's, the rule's)
 * and every extinction, in time order (doses before the root-found events at one time). */
static int print_events(const cart_model *model, const cart_params *params,
                        const cart_dosing *dosing, const cart_solver *solver, double horizon)
{
  const size_t n_cart = cart_dosing_n_cart(dosing), n_toci = cart_dosing_n_toci(dosing);
  const size_t n_logged = cart_solver_n_events(solver);
  event_row *rows = malloc((1 + n_cart + n_toci + n_logged) * sizeof *rows);
  if (rows == NULL) {
    return fail(EXIT_SOLVE_FAILED, "out of memory");
  }
  size_t n = 0;
  double value;
  if (cart_params_get(params, "dose", &value) == CART_OK && value > 0) {
    rows[n++] = (event_row){0.0, "cart_dose", "-", "cells", value}; /* the parameter dose */
  }
  for (size_t i = 0; i < n_cart; i++) {
    cart_cart_dose dose;
    cart_dosing_get_cart(dosing, i, &dose);
    if (dose.time <= horizon) {
      rows[n++] = (event_row){dose.time, "cart_dose", "-", "cells", dose.cells};
    }
  }
  /* a fixed dose is mg/kg of the weight WT, capped (cart_dosing.h); only models with WT take
   * tocilizumab */
  double weight = NAN;
  cart_params_get(params, "WT", &weight);
  for (size_t i = 0; i < n_toci; i++) {
    cart_toci_dose dose;
    cart_dosing_get_toci(dosing, i, &dose);
    if (dose.time <= horizon) {
      rows[n++] = (event_row){dose.time, "toci_dose", "-", "mg",
                              fmin(dose.mg_per_kg * weight, dose.cap_mg)};
    }
  }
  for (size_t i = 0; i < n_logged; i++) {
    cart_event_record record;
    cart_solver_get_event(solver, i, &record);
    cart_state_info state = {"-", "cells", 0, ""};
    if (record.kind == CART_EVENT_EXTINCTION) {
      cart_model_state_info(model, (size_t)record.state, &state);
      rows[n++] = (event_row){record.time, "extinction", state.name, state.unit, 0.0};
    } else {
      rows[n++] = (event_row){record.time, "toci_rule", "-", "mg", record.amount_mg};
    }
  }
  /* a stable order: insertion sort keeps doses before events logged at the same time */
  for (size_t i = 1; i < n; i++) {
    for (size_t j = i; j > 0 && compare_rows(&rows[j - 1], &rows[j]) > 0; j--) {
      const event_row swap = rows[j];
      rows[j] = rows[j - 1];
      rows[j - 1] = swap;
    }
  }
  printf("# events\ntime\tkind\tstate\tamount\tunit\n");
  for (size_t i = 0; i < n; i++) {
    printf("%.17g\t%s\t%s\t%.17g\t%s\n", rows[i].time, rows[i].kind, rows[i].state,
           rows[i].amount, rows[i].unit);
  }
  free(rows);
  return 0;
}

typedef struct run_options {
  const cart_model *model;
  cart_params *params;
  cart_dosing *dosing;
  double *times;
  size_t n_times;
  cart_method method;
  double rtol;
  unsigned long max_steps;
  double n_ext;
  cart_endpoint_plan *plan; /* the endpoint settings (--set-endpoint) */
  int signals, endpoints, events; /* --signals, --endpoints, --events */
} run_options;

/* Applies one option with its argument to `opt`; returns 0 or an exit status. */
static int apply_option(run_options *opt, const char *name, const char *arg, int *initial_dose_set)
{
  char message[64];
  char pname[64];
  double value;
  const int patient = cli_patient_option(opt->params, opt->dosing, name, arg, initial_dose_set);
  if (patient >= 0) {
    return patient;
  }
  if (strcmp(name, "--times") == 0) {
    free(opt->times);
    opt->times = cli_parse_times(name, arg, &opt->n_times);
    if (opt->times == NULL) {
      return EXIT_BAD_INPUT;
    }
  } else if (strcmp(name, "--method") == 0) {
    if (cart_method_from_name(arg, &opt->method) != CART_OK) {
      return fail(EXIT_BAD_INPUT, "--method %s: expected rodas5p, gsl-bdf (bdf) or rk8pd", arg);
    }
  } else if (strcmp(name, "--rtol") == 0) {
    if (parse_number(arg, &opt->rtol) != 0 || !(opt->rtol > 0 && opt->rtol <= CART_RTOL_MAX)) {
      return fail(EXIT_BAD_INPUT, "--rtol %s: expected a number in (0, %g]", arg, CART_RTOL_MAX);
    }
  } else if (strcmp(name, "--n-ext") == 0) {
    if (parse_number(arg, &opt->n_ext) != 0 || !(opt->n_ext >= 0) || !isfinite(opt->n_ext)) {
      return fail(EXIT_BAD_INPUT, "--n-ext %s: expected a number >= 0", arg);
    }
  } else if (strcmp(name, "--set-endpoint") == 0) {
    const int status = cli_parse_assignment(name, arg, pname, sizeof pname, &value);
    if (status != 0) {
      return status;
    }
    if (cart_endpoint_plan_set_setting(opt->plan, pname, value) != CART_OK) {
      return fail(EXIT_BAD_INPUT, "--set-endpoint %s: %s", arg,
                  cart_endpoint_plan_last_error(opt->plan)->message);
    }
  } else if (strcmp(name, "--signals") == 0) {
    opt->signals = 1;
  } else if (strcmp(name, "--endpoints") == 0) {
    opt->endpoints = 1;
  } else if (strcmp(name, "--events") == 0) {
    opt->events = 1;
  } else if (strcmp(name, "--max-steps") == 0) {
    char *end = NULL;
    errno = 0;
    const unsigned long v = strtoul(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || errno != 0 || v == 0 || arg[0] == '-') {
      return fail(EXIT_BAD_INPUT, "--max-steps %s: expected a positive integer", arg);
    }
    opt->max_steps = v;
  } else {
    snprintf(message, sizeof message, "%s", name);
    return fail(EXIT_BAD_INPUT, "unknown option '%s' (see cart --help)", message);
  }
  return 0;
}

static int run(int argc, char **argv)
{
  run_options opt = {NULL, NULL, NULL, NULL, 0, CART_METHOD_DEFAULT, CART_RTOL_DEFAULT,
                     CART_MAX_STEPS_DEFAULT, CART_N_EXT_DEFAULT, NULL, 0, 0, 0};
  cart_error err;
  cart_error_clear(&err);
  int status = 0;
  cart_solver *solver = NULL;
  double *states = NULL, *outputs = NULL, *endpoints = NULL;

  /* The model first: parameters and doses depend on it. This pass also answers --help and
   * refuses unknown options before anything is built. */
  const char *model_name = "cart";
  for (int i = 0; i < argc; i++) {
    const char *value = NULL;
    const int k = cli_next_option(&cli_run_command, argc, argv, &i, &value);
    if (k == CLI_HELP || k == CLI_BAD) {
      return cli_stop_status(k);
    }
    if (k == CLI_ARGUMENT) {
      fail(EXIT_BAD_INPUT, "unexpected argument '%s'", argv[i]);
      cli_print_usage(&cli_run_command, stderr);
      return EXIT_BAD_INPUT;
    }
    if (strcmp(cli_option_at(&cli_run_command, k)->name, "--model") == 0) {
      model_name = value;
    }
  }
  opt.model = cart_model_find(model_name, &err);
  if (opt.model == NULL) {
    return fail(EXIT_BAD_INPUT, "%s", err.message);
  }
  opt.params = cart_params_new(opt.model, &err);
  opt.dosing = cart_dosing_new(&err);
  opt.times = cli_parse_times("--times", "0:365:1", &opt.n_times);
  opt.plan = cart_endpoint_plan_new(opt.model, &err);
  if (opt.params == NULL || opt.dosing == NULL || opt.times == NULL || opt.plan == NULL) {
    status = fail(EXIT_SOLVE_FAILED, "out of memory");
    goto cleanup;
  }
  int initial_dose_set = 0;
  for (int i = 0; i < argc && status == 0; i++) {
    const char *value = NULL; /* every word is an option with its value: the first pass saw */
    const int k = cli_next_option(&cli_run_command, argc, argv, &i, &value);
    const char *name = cli_option_at(&cli_run_command, k)->name;
    if (strcmp(name, "--model") != 0) {
      status = apply_option(&opt, name, value, &initial_dose_set);
    }
  }
  if (status != 0) {
    goto cleanup;
  }

  solver = cart_solver_new(opt.model, &err);
  if (solver == NULL) {
    status = fail(EXIT_SOLVE_FAILED, "%s", err.message);
    goto cleanup;
  }
  if (cart_solver_set_method(solver, opt.method) != CART_OK ||
      cart_solver_set_tolerances(solver, opt.rtol, NULL) != CART_OK ||
      cart_solver_set_max_steps(solver, opt.max_steps) != CART_OK ||
      cart_solver_set_extinction(solver, opt.n_ext) != CART_OK) {
    status = fail(EXIT_BAD_INPUT, "%s", cart_solver_last_error(solver)->message);
    goto cleanup;
  }
  const size_t ns = cart_model_n_states(opt.model), no = cart_model_n_outputs(opt.model);
  states = malloc(opt.n_times * ns * sizeof *states);
  outputs = malloc(opt.n_times * (no ? no : 1) * sizeof *outputs);
  endpoints = malloc((cart_model_n_endpoints(opt.model) + 1) * sizeof *endpoints);
  if (states == NULL || outputs == NULL || endpoints == NULL) {
    status = fail(EXIT_SOLVE_FAILED, "out of memory");
    goto cleanup;
  }
  /* the endpoints come from the same solve, as a trial computes them */
  const int solved =
      opt.endpoints ? cart_solver_solve_endpoints(solver, opt.params, opt.dosing, opt.plan,
                                                  opt.times, opt.n_times, states, outputs,
                                                  endpoints)
                    : cart_solver_solve(solver, opt.params, opt.dosing, opt.times, opt.n_times,
                                        states, outputs);
  if (solved != CART_OK) {
    const int input_error = solved == CART_ERULE || solved == CART_ETIMES ||
                            solved == CART_EDOSE || solved == CART_ERANGE || solved == CART_EINVAL;
    status = fail(input_error ? EXIT_BAD_INPUT : EXIT_SOLVE_FAILED, "%s (%s)",
                  cart_solver_last_error(solver)->message, cart_status_name(solved));
    goto cleanup;
  }
  /* writes are checked in main */
  print_table(opt.model, opt.times, opt.n_times, states, outputs,
              opt.signals ? opt.params : NULL);
  if (opt.endpoints) {
    print_endpoints(opt.model, endpoints);
  }
  if (opt.events) {
    status = print_events(opt.model, opt.params, opt.dosing, solver,
                          opt.times[opt.n_times - 1]);
  }

cleanup:
  free(states);
  free(outputs);
  free(endpoints);
  cart_endpoint_plan_free(opt.plan);
  free(opt.times);
  cart_solver_free(solver);
  cart_dosing_free(opt.dosing);
  cart_params_free(opt.params);
  return status;
}


static int command(int argc, char **argv);

int main(int argc, char **argv)
{
  return cli_close_stdout(command(argc, argv));
}

static int command(int argc, char **argv)
{
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    print_usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_BAD_INPUT : 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("cart (libcart) %s\n", cart_version());
    return 0;
  }
  if (strcmp(argv[1], "models") == 0) {
    const int status = no_arguments(&cli_models_command, argc - 2, argv + 2);
    return status >= 0 ? status : list_models();
  }
  if (strcmp(argv[1], "run") == 0) {
    return run(argc - 2, argv + 2);
  }
  if (strcmp(argv[1], "trial") == 0) {
    return cli_trial(argc - 2, argv + 2);
  }
  if (strcmp(argv[1], "calibrate") == 0) {
    return cli_calibrate(argc - 2, argv + 2);
  }
  if (strcmp(argv[1], "sensitivity") == 0) {
    return cli_sensitivity(argc - 2, argv + 2);
  }
  if (strcmp(argv[1], "export") == 0) {
    return cli_export(argc - 2, argv + 2);
  }
  if (strcmp(argv[1], "fit") == 0) {
    return cli_fit(argc - 2, argv + 2);
  }
  if (strcmp(argv[1], "scenario") == 0) {
    const int status = no_arguments(&cli_scenario_command, argc - 2, argv + 2);
    if (status >= 0) {
      return status;
    }
    if (fputs(cart_scenario_default(), stdout) == EOF) { /* longer than the buffer: errno now */
      return fail(EXIT_SOLVE_FAILED, "cannot write the output: %s", strerror(errno));
    }
    return 0;
  }
  return fail(EXIT_BAD_INPUT,
              "unknown command '%s' (commands: run, trial, calibrate, sensitivity, fit, export, "
              "scenario, models; "
              "see cart --help)",
              argv[1]);
}
