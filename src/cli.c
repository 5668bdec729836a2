/* cli.c: what the `cart` commands share (error lines, number parsing) and what `cart trial` shares
 * with `cart-mpi trial` (options, reading the scenario, the summary table). */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "cli.h"

int fail(int status, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  fputs(CLI_NAME ": ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  return status;
}

/* ---- options ---- */

const cli_option *cli_option_at(const cli_command *command, int k)
{
  int n = 0;
  while (command->options[n].name != NULL) {
    n++;
  }
  return k < n ? &command->options[k] : &command->extra[k - n];
}

/* The index of `word` in the tables (numbered on through extra), or -1. */
static int find_option(const cli_command *command, const char *word)
{
  int k = 0;
  for (const cli_option *table = command->options; table != NULL;
       table = table == command->options ? command->extra : NULL) {
    for (const cli_option *o = table; o->name != NULL; o++, k++) {
      if (strcmp(word, o->name) == 0 || (o->alias != NULL && strcmp(word, o->alias) == 0)) {
        return k;
      }
    }
  }
  return -1;
}

void cli_print_usage(const cli_command *command, FILE *out)
{
  fprintf(out, "usage: %s\n", command->synopsis);
}

int cli_print_help(const cli_command *command)
{
  cli_print_usage(command, stdout);
  fputs(command->help, stdout); /* a failed write is caught by cli_close_stdout */
  return 0;
}

int cli_next_option(const cli_command *command, int argc, char **argv, int *i, const char **value)
{
  const char *word = argv[*i];
  *value = NULL;
  if (word[0] != '-' || word[1] == '\0') {
    return CLI_ARGUMENT;
  }
  if (strcmp(word, "-h") == 0 || strcmp(word, "--help") == 0) {
    cli_print_help(command);
    return CLI_HELP;
  }
  const int k = find_option(command, word);
  if (k < 0 || (cli_option_at(command, k)->takes_value && *i + 1 >= argc)) {
    if (k < 0) {
      fail(EXIT_BAD_INPUT, "unknown option '%s' for " CLI_NAME " %s", word, command->name);
    } else {
      fail(EXIT_BAD_INPUT, "option '%s' of " CLI_NAME " %s needs a value", word, command->name);
    }
    cli_print_usage(command, stderr);
    return CLI_BAD;
  }
  if (cli_option_at(command, k)->takes_value) {
    *value = argv[++*i];
  }
  return k;
}

int cli_stop_status(int code)
{
  return code == CLI_HELP ? 0 : EXIT_BAD_INPUT;
}

/* Parses a whole string as a double; 0 on success. NaN and inf parse (the library rejects them
 * with a message that names the parameter). */
int parse_number(const char *text, double *value)
{
  char *end = NULL;
  if (text == NULL || *text == '\0') {
    return -1;
  }
  errno = 0;
  *value = strtod(text, &end);
  return (*end != '\0' || end == text || errno == ERANGE) ? -1 : 0;
}


/* ---- `cart trial` and `cart-mpi trial` ---- */

/* The whole file as a NUL-terminated string, or NULL (message printed). */
char *cli_read_scenario(const char *path)
{
  return cli_read_file(path, "scenario");
}

char *cli_read_file(const char *path, const char *what)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fail(EXIT_BAD_INPUT, "cannot read %s '%s': %s", what, path, strerror(errno));
    return NULL;
  }
  struct stat info;
  if (fstat(fileno(f), &info) == 0 && S_ISDIR(info.st_mode)) {
    fclose(f);
    fail(EXIT_BAD_INPUT, "%s '%s' is a directory", what, path);
    return NULL;
  }
  /* Read in pieces up to the limit (a FIFO or a device has no size to trust), stopping at the
   * first NUL: the text goes on as a C string, which would end there without a word. */
  size_t size = 0, capacity = 4096;
  char *text = malloc(capacity);
  size_t got;
  const char *problem = NULL;
  while (text != NULL && (got = fread(text + size, 1, capacity - size - 1, f)) > 0) {
    const char *nul = memchr(text + size, '\0', got);
    if (nul != NULL) {
      fclose(f);
      fail(EXIT_BAD_INPUT, "%s '%s': NUL byte at offset %zu (a %s is text)", what, path,
           (size_t)(nul - text), what);
      free(text);
      return NULL;
    }
    size += got;
    if (size > CLI_MAX_FILE_BYTES) {
      problem = "too large";
      break;
    }
    if (capacity - size - 1 == 0) {
      char *grown = realloc(text, 2 * capacity);
      if (grown == NULL) {
        free(text);
      }
      text = grown;
      capacity *= 2;
    }
  }
  const int read_error = text != NULL && problem == NULL && ferror(f);
  const int saved_errno = errno;
  fclose(f);
  if (problem != NULL) {
    free(text);
    fail(EXIT_BAD_INPUT, "%s '%s' is larger than %d MiB", what, path,
         CLI_MAX_FILE_BYTES / (1024 * 1024));
    return NULL;
  }
  if (text == NULL || read_error) {
    free(text);
    if (read_error) {
      fail(EXIT_BAD_INPUT, "cannot read %s '%s': %s", what, path, strerror(saved_errno));
    } else {
      fail(EXIT_BAD_INPUT, "cannot read %s '%s': out of memory", what, path);
    }
    return NULL;
  }
  text[size] = '\0';
  return text;
}

double cli_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_parse_count(const char *option, const char *text, unsigned long long *value)
{
  char *end = NULL;
  errno = 0;
  if (text[0] == '-' || text[0] == '\0') {
    return fail(EXIT_BAD_INPUT, "%s %s: expected a non-negative integer", option, text);
  }
  *value = strtoull(text, &end, 10);
  if (*end != '\0' || errno != 0) {
    return fail(EXIT_BAD_INPUT, "%s %s: expected a non-negative integer", option, text);
  }
  return 0;
}

static const cli_option trial_options[] = {
    {"--output", "-o", 1}, {"--patients", "-n", 1}, {"--seed", NULL, 1},
    {"--threads", NULL, 1}, {"--force", NULL, 0}, {"--block", NULL, 1},
    {"--stop-after-blocks", NULL, 1}, {"--event-table", NULL, 1}, {NULL, NULL, 0}};
/* cart-mpi's own (cli_trial_parse with mpi) */
static const cli_option mpi_trial_options[] = {
    {"--timing", NULL, 0}, {"--fail-on-rank", NULL, 1}, {NULL, NULL, 0}};

const cli_command cli_trial_command = {
    "trial",
    CLI_NAME " trial [SCENARIO.ini] [-o FILE.h5] [-n N] [--seed S] [--threads K] [--force]\n"
    "                  [--block B] [--event-table FILE.csv]",
    "\n"
    "Runs a virtual trial (the built-in default scenario, 1000 patients, or SCENARIO.ini; see\n"
    "cart-scenario(5)) into one HDF5 file, block by block, and prints its summary.\n"
    "\n"
    "  -o, --output FILE.h5  the trial file to write (default cart-trial.h5)\n"
    "  -n, --patients N      number of patients (default: the scenario's)\n"
    "  --seed S              seed of the patients' draws (default: the scenario's)\n"
    "  --threads K           OpenMP threads (default: OMP_NUM_THREADS); results do not depend\n"
    "                        on it\n"
    "  --force               replace an existing FILE.h5\n"
    "  --block B             patients per block, written and flushed together (default 4096)\n"
    "  --event-table FILE.csv  doses every patient of every arm gets besides the scenario's: an\n"
    "                        event table in the NONMEM/rxode2 layout, as cart run takes it,\n"
    "                        added to the scenario as [dosing] lines (kept in FILE.h5's\n"
    "                        scenario); no observation rows: the output times are [times]\n"
    "  --stop-after-blocks K (testing) stop after K blocks, leaving the file incomplete\n"
    "  -h, --help            this help\n"
    "\n"
    "Exit status: 0 success, 1 the run failed, 2 bad usage or input.\n",
    trial_options, NULL};

int cli_trial_parse(int argc, char **argv, int mpi, cli_trial_options *o)
{
  memset(o, 0, sizeof *o);
  o->output = "cart-trial.h5";
  o->block_size = CLI_DEFAULT_BLOCK;
  cli_command command = cli_trial_command;
  if (mpi) {
    command.extra = mpi_trial_options;
    command.synopsis = CLI_NAME " trial [SCENARIO.ini] [-o FILE.h5] [-n N] [--seed S] "
                       "[--threads K] [--force]\n                      [--block B] "
                       "[--event-table FILE.csv] [--timing]";
  }
  for (int i = 0; i < argc; i++) {
    const char *value = NULL;
    const int k = cli_next_option(&command, argc, argv, &i, &value);
    if (k == CLI_HELP) {
      return CLI_HELP;
    }
    if (k == CLI_BAD) {
      return EXIT_BAD_INPUT;
    }
    const char *a = k >= 0 ? cli_option_at(&command, k)->name : NULL;
    int status = 0;
    if (k == CLI_ARGUMENT) {
      if (o->scenario_path != NULL) {
        status = fail(EXIT_BAD_INPUT, CLI_NAME " trial takes one scenario file, got '%s' and '%s'",
                      o->scenario_path, argv[i]);
      }
      o->scenario_path = argv[i];
    } else if (strcmp(a, "--force") == 0) {
      o->force = 1;
    } else if (strcmp(a, "--timing") == 0) {
      o->timing = 1;
    } else if (strcmp(a, "--fail-on-rank") == 0) {
      status = cli_parse_count(a, value, &o->fail_rank); /* testing: the abort path */
      o->have_fail_rank = 1;
    } else if (strcmp(a, "--output") == 0) {
      o->output = value;
      if (o->output[0] == '\0') {
        status = fail(EXIT_BAD_INPUT, "%s: empty file name", argv[i - 1]);
      }
    } else if (strcmp(a, "--patients") == 0) {
      status = cli_parse_count(argv[i - 1], value, &o->n_patients);
      o->have_n = 1;
      if (status == 0 && o->n_patients == 0) {
        status = fail(EXIT_BAD_INPUT, "%s: a trial needs at least one patient", argv[i - 1]);
      }
    } else if (strcmp(a, "--seed") == 0) {
      status = cli_parse_count(a, value, &o->seed);
      o->have_seed = 1;
    } else if (strcmp(a, "--threads") == 0) {
      status = cli_parse_count(a, value, &o->threads);
      if (status == 0 && (o->threads == 0 || o->threads > 1024)) {
        status = fail(EXIT_BAD_INPUT, "--threads %llu: expected 1..1024", o->threads);
      }
    } else if (strcmp(a, "--block") == 0) {
      status = cli_parse_count(a, value, &o->block_size);
      o->have_block = 1;
      if (status == 0 && o->block_size == 0) {
        status = fail(EXIT_BAD_INPUT, "--block: must be at least 1");
      }
    } else if (strcmp(a, "--event-table") == 0) {
      if (o->event_table != NULL) {
        status = fail(EXIT_BAD_INPUT, "--event-table: given twice ('%s' and '%s')",
                      o->event_table, value);
      }
      o->event_table = value;
    } else if (strcmp(a, "--stop-after-blocks") == 0) {
      /* testing: a run cut short */
      status = cli_parse_count(a, value, &o->stop_after_blocks);
    }
    if (status != 0) {
      return status;
    }
  }
  return 0;
}

/* The bar of a terminal: "[####    ] done/total UNIT, STATUS, MM:SS left". */
static void progress_bar(size_t done, size_t total, double elapsed, const char *unit,
                         const char *status)
{
  const double rate = elapsed > 0 ? (double)done / elapsed : 0;
  const int width = 30, filled = total ? (int)(width * (double)done / (double)total) : width;
  const double left = rate > 0 ? (double)(total - done) / rate : 0;
  fprintf(stderr, "\r[%.*s%*s] %zu/%zu %s, %s, %02d:%02d left ", filled,
          "##############################", width - filled, "", done, total, unit, status,
          (int)left / 60, (int)left % 60);
  if (done == total) {
    fputc('\n', stderr);
  }
}

void cli_progress(size_t done, size_t total, double elapsed, int tty, const char *detail)
{
  const double rate = elapsed > 0 ? (double)done / elapsed : 0;
  const int final = done == total;
  if (tty) {
    char status[32];
    snprintf(status, sizeof status, "%.0f/s", rate);
    progress_bar(done, total, elapsed, "patients", status);
  } else if (final) {
    fprintf(stderr, CLI_NAME ": %zu patients in %.2f s (%.0f patients/s%s)\n", done, elapsed,
            rate, detail ? detail : "");
  }
}

void cli_progress_units(size_t done, size_t total, double elapsed, const char *unit,
                        const char *status)
{
  progress_bar(done, total, elapsed, unit, status);
}

/* Whether the model has every endpoint of the NULL-ended list. */
static int has_endpoints(const cart_model *model, const char *const *names)
{
  for (; *names != NULL; names++) {
    if (cart_model_endpoint_index(model, *names) < 0) {
      return 0;
    }
  }
  return 1;
}

#define HAS(...) has_endpoints(model, (const char *const[]){__VA_ARGS__, NULL})

/* The oncology lines, each only for a model with the endpoints it is made of. */
static void print_oncology(const cart_model *model, const cart_trial_summary *s)
{
  if (HAS("response")) {
    printf("  complete response    %.1f %%\n", 100 * s->cr_rate);
    printf("  overall response     %.1f %%\n", 100 * s->orr_rate);
  }
  if (HAS("crs_grade")) {
    printf("  CRS any grade        %.1f %%   (CRS-signal convention, not ASTCT grading)\n",
           100 * s->crs_any_rate);
    printf("  CRS grade >= 3       %.1f %%\n", 100 * s->crs_grade3_rate);
  }
  if (HAS("toci_doses")) {
    printf("  tocilizumab given    %.1f %%   (%.2f doses per patient)\n", 100 * s->toci_rate,
           s->toci_doses_mean);
  }
  const struct {
    const char *name;
    double p5, p50, p95;
  } spread[] = {{"cmax", s->cmax_p5, s->cmax_p50, s->cmax_p95},
                {"tmax", s->tmax_p5, s->tmax_p50, s->tmax_p95},
                {"auc28", s->auc28_p5, s->auc28_p50, s->auc28_p95}};
  for (size_t i = 0; i < sizeof spread / sizeof spread[0]; i++) {
    const int e = cart_model_endpoint_index(model, spread[i].name);
    cart_endpoint_info info;
    if (e >= 0 && cart_model_endpoint_info(model, (size_t)e, &info) == CART_OK) {
      printf("  %-20s %.4g %s median (5-95%%: %.4g-%.4g)\n", spread[i].name, spread[i].p50,
             info.unit, spread[i].p5, spread[i].p95);
    }
  }
  if (HAS("aplasia_days")) {
    printf("  B-cell aplasia       %.4g days median\n", s->aplasia_days_p50);
  }
  if (HAS("response", "relapse_day", "relapse_negative")) {
    printf("  relapse              %.1f %% of complete responders (%.1f %% of relapses "
           "antigen-negative)\n", 100 * s->relapse_rate, 100 * s->relapse_negative_rate);
  }
}

#undef HAS

/* A row per endpoint of the model: its solved patients with a number (n), their mean and
 * percentiles; the columns as wide as the longest name, unit and count. */
static void print_endpoints(const cart_model *model, const cart_trial_summary *s)
{
  int name_width = (int)strlen("endpoint"), unit_width = (int)strlen("unit");
  const int n_width = snprintf(NULL, 0, "%zu", s->n_patients) > 1
                          ? snprintf(NULL, 0, "%zu", s->n_patients)
                          : 1;
  for (size_t e = 0; e < s->n_endpoints; e++) {
    cart_endpoint_info info;
    cart_model_endpoint_info(model, e, &info);
    name_width = (int)strlen(info.name) > name_width ? (int)strlen(info.name) : name_width;
    unit_width = (int)strlen(info.unit) > unit_width ? (int)strlen(info.unit) : unit_width;
  }
  printf("  %-*s  %-*s  %*s  %11s  %11s  %11s  %11s\n", name_width, "endpoint", unit_width,
         "unit", n_width, "n", "mean", "p5", "p50", "p95");
  for (size_t e = 0; e < s->n_endpoints; e++) {
    cart_endpoint_info info;
    cart_model_endpoint_info(model, e, &info);
    const cart_endpoint_summary *p = &s->endpoints[e];
    printf("  %-*s  %-*s  %*zu  %11.4g  %11.4g  %11.4g  %11.4g\n", name_width, info.name,
           unit_width, info.unit, n_width, p->n_number, p->mean, p->p5, p->p50, p->p95);
  }
}

/* The wait before infusion and its drop-outs, the intention-to-treat rates beside the as-treated
 * ones above them, and the costs: only for a trial that has them. */
static void print_wait_and_costs(const cart_model *model, const cart_trial *trial,
                                 const cart_trial_summary *s)
{
  const double wait = trial != NULL ? cart_trial_vein_to_vein(trial) : 0.0;
  const size_t enrolled = s->n_solved + s->n_dropout;
  if (wait > 0 || s->n_dropout > 0) {
    printf("  vein-to-vein time    %.4g days: %zu of %zu enrolled not infused (%.1f %%)\n", wait,
           s->n_dropout, enrolled, enrolled ? 100.0 * (double)s->n_dropout / (double)enrolled
                                            : NAN);
    if (cart_model_endpoint_index(model, "response") >= 0) {
      printf("  as treated           CR %.1f %%, OR %.1f %% of %zu infused\n", 100 * s->cr_rate,
             100 * s->orr_rate, s->n_solved);
      printf("  intention to treat   CR %.1f %%, OR %.1f %% of %zu enrolled (not infused: no "
             "response)\n", 100 * s->cr_rate_itt, 100 * s->orr_rate_itt, enrolled);
    }
  }
  if (!isnan(s->cost_per_patient) || !isnan(s->cost_per_infused)) {
    printf("  cost                 %.0f per patient, %.0f per infused, %.0f per CR (stated unit "
           "costs)\n", s->cost_per_patient, s->cost_per_infused, s->cost_per_cr);
  }
}

void cli_print_trial_summary(const cart_model *model, const cart_trial *trial,
                             const cart_trial_summary *s, const char *path)
{
  printf("trial summary (%s)\n", path);
  if (s->n_dropout > 0) {
    printf("  patients             %zu (%zu solved, %zu not infused)\n", s->n_patients,
           s->n_solved, s->n_dropout);
  } else {
    printf("  patients             %zu (%zu solved)\n", s->n_patients, s->n_solved);
  }
  print_oncology(model, s);
  print_wait_and_costs(model, trial, s);
  printf("\n");
  print_endpoints(model, s);
}

cart_arms *cli_trial_load(const char *text, const char *source, const cli_trial_options *o,
                          cart_error *err)
{
  cart_arms *arms = cart_arms_new_from_scenario(text, source, err);
  if (arms == NULL) {
    return NULL;
  }
  int status = CART_OK;
  if (o->have_n && (status = cart_arms_set_n_patients(arms, (size_t)o->n_patients)) != CART_OK) {
    *err = *cart_arms_last_error(arms);
  } else if (o->have_seed) {
    cart_arms_set_seed(arms, (uint64_t)o->seed);
  }
  if (status == CART_OK && (status = cart_arms_prepare(arms)) != CART_OK) {
    err->code = status;
    char why[sizeof err->message];
    memcpy(why, cart_arms_last_error(arms)->message, sizeof why);
    const size_t used = (size_t)snprintf(err->message, sizeof err->message, "%s: ", source);
    if (used < sizeof err->message) { /* a long message is cut */
      snprintf(err->message + used, sizeof err->message - used, "%s", why);
    }
  }
  if (status != CART_OK) {
    cart_arms_free(arms);
    return NULL;
  }
  return arms;
}

char *cli_scenario_with_event_table(const char *text, const char *source, const char *path)
{
  char *table = cli_read_file(path, "event table");
  if (table == NULL) {
    return NULL;
  }
  char *with = NULL;
  cart_error err;
  if (cart_scenario_add_event_table(text, source, table, path, -1, &with, &err) != CART_OK) {
    /* the scenario's own errors as without a table ("SOURCE:LINE: ..."), the table's after the
     * option */
    const size_t n = strlen(source);
    const int in_scenario = strncmp(err.message, source, n) == 0 && err.message[n] == ':';
    fail(EXIT_BAD_INPUT, "%s%s", in_scenario ? "" : "--event-table: ", err.message);
  }
  free(table);
  return with;
}

char *cli_scenario_as_run(const char *text, const cart_trial *trial, const char *extra)
{
  const size_t length = strlen(text);
  char *as_run = malloc(length + strlen(extra) + 128);
  if (as_run != NULL) {
    sprintf(as_run, "%s%s# " CLI_NAME " trial command line: n_patients = %zu, seed = %llu%s\n",
            text, length > 0 && text[length - 1] != '\n' ? "\n" : "",
            cart_trial_n_patients(trial), (unsigned long long)cart_trial_seed(trial), extra);
  }
  return as_run;
}

int cli_trial_exit_status(int status)
{
  const int bad_input = status == CART_EEXIST || status == CART_EINVAL; /* or not a file */
  return status == CART_OK ? 0 : bad_input ? EXIT_BAD_INPUT : EXIT_SOLVE_FAILED;
}

/* The rows of the wait, the intention-to-treat rates and the costs, when an arm has them. */
static void print_arms_wait_and_costs(const cart_model *model, const cart_arms *arms,
                                      const cart_trial_summary *summaries, int width)
{
  const size_t n_arms = cart_arms_count(arms);
  int wait = 0, costs = 0;
  for (size_t a = 0; a < n_arms; a++) {
    wait |= cart_trial_vein_to_vein(cart_arms_trial_const(arms, a)) > 0 ||
            summaries[a].n_dropout > 0;
    costs |= !isnan(summaries[a].cost_per_infused) || !isnan(summaries[a].cost_per_patient);
  }
  if (wait) {
    printf("  %-20s", "vein-to-vein days");
    for (size_t a = 0; a < n_arms; a++) {
      printf("  %*.4g", width, cart_trial_vein_to_vein(cart_arms_trial_const(arms, a)));
    }
    printf("\n  %-20s", "not infused");
    for (size_t a = 0; a < n_arms; a++) {
      printf("  %*zu", width, summaries[a].n_dropout);
    }
    printf("\n");
    if (cart_model_endpoint_index(model, "response") >= 0) {
      printf("  %-20s", "CR (ITT)");
      for (size_t a = 0; a < n_arms; a++) {
        printf("  %*.1f%%", width - 1, 100 * summaries[a].cr_rate_itt);
      }
      printf("\n  %-20s", "OR (ITT)");
      for (size_t a = 0; a < n_arms; a++) {
        printf("  %*.1f%%", width - 1, 100 * summaries[a].orr_rate_itt);
      }
      printf("\n");
    }
  }
  if (costs) {
    const struct {
      const char *label;
      size_t offset;
    } rows[] = {{"cost/patient (ITT)", offsetof(cart_trial_summary, cost_per_patient)},
                {"cost/infused", offsetof(cart_trial_summary, cost_per_infused)},
                {"cost/CR (ITT)", offsetof(cart_trial_summary, cost_per_cr)}};
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
      printf("  %-20s", rows[r].label);
      for (size_t a = 0; a < n_arms; a++) {
        printf("  %*.0f", width, *(const double *)((const char *)&summaries[a] + rows[r].offset));
      }
      printf("\n");
    }
  }
}

/* The arms side by side: a column per arm, a row per oncology rate or median the model has. */
static void print_arms_table(const cart_model *model, const cart_arms *arms,
                             const cart_trial_summary *summaries)
{
  const size_t n_arms = cart_arms_count(arms);
  int width = 10;
  for (size_t a = 0; a < n_arms; a++) {
    const int length = (int)strlen(cart_arms_name(arms, a));
    width = length > width ? length : width;
  }
  const struct {
    const char *label, *endpoint;
    int percent;
    size_t offset;
  } rows[] = {
      {"complete response", "response", 1, offsetof(cart_trial_summary, cr_rate)},
      {"overall response", "response", 1, offsetof(cart_trial_summary, orr_rate)},
      {"CRS any grade", "crs_grade", 1, offsetof(cart_trial_summary, crs_any_rate)},
      {"CRS grade >= 3", "crs_grade", 1, offsetof(cart_trial_summary, crs_grade3_rate)},
      {"tocilizumab given", "toci_doses", 1, offsetof(cart_trial_summary, toci_rate)},
      {"toci doses/patient", "toci_doses", 0, offsetof(cart_trial_summary, toci_doses_mean)},
      {"cmax median", "cmax", 0, offsetof(cart_trial_summary, cmax_p50)},
      {"tmax median", "tmax", 0, offsetof(cart_trial_summary, tmax_p50)},
      {"auc28 median", "auc28", 0, offsetof(cart_trial_summary, auc28_p50)},
      {"relapse of CR", "relapse_day", 1, offsetof(cart_trial_summary, relapse_rate)},
  };
  printf("arms side by side (the same %zu patients in every arm)\n", summaries[0].n_patients);
  printf("  %-20s", "arm");
  for (size_t a = 0; a < n_arms; a++) {
    printf("  %*s", width, cart_arms_name(arms, a));
  }
  printf("\n  %-20s", "solved");
  for (size_t a = 0; a < n_arms; a++) {
    printf("  %*zu", width, summaries[a].n_solved);
  }
  printf("\n");
  for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
    if (cart_model_endpoint_index(model, rows[r].endpoint) < 0) {
      continue;
    }
    printf("  %-20s", rows[r].label);
    for (size_t a = 0; a < n_arms; a++) {
      const double value = *(const double *)((const char *)&summaries[a] + rows[r].offset);
      if (rows[r].percent) {
        printf("  %*.1f%%", width - 1, 100 * value);
      } else {
        printf("  %*.4g", width, value);
      }
    }
    printf("\n");
  }
  print_arms_wait_and_costs(model, arms, summaries, width);
}

int cli_trial_report(int status, const cart_error *err, const cart_arms *arms,
                     const cart_trial_summary *summaries, const cli_trial_options *o)
{
  if (status != CART_OK) {
    const char *note = status != CART_ESTOPPED ? ""
                       : o->have_fail_rank     ? " (--fail-on-rank)"
                                               : " (--stop-after-blocks)";
    return fail(cli_trial_exit_status(status), "%s%s", err->message, note);
  }
  const cart_model *model = cart_trial_model(cart_arms_trial_const(arms, 0));
  const size_t n_arms = cart_arms_count(arms);
  for (size_t a = 0; a < n_arms; a++) {
    const char *name = cart_arms_name(arms, a);
    const char *label = cart_arms_label(arms, a);
    if (name != NULL) {
      printf("%sarm %s%s%s%s\n", a > 0 ? "\n" : "", name, label[0] ? " (" : "", label,
             label[0] ? ")" : "");
    }
    cli_print_trial_summary(model, cart_arms_trial_const(arms, a), &summaries[a], o->output);
    const cart_trial_summary *s = &summaries[a];
    /* a patient not infused is an outcome, not a failure */
    if (s->n_solved + s->n_dropout < s->n_patients) {
      fprintf(stderr, CLI_NAME ": %zu of %zu patients failed to solve (see %s%s%sstatus in %s)\n",
              s->n_patients - s->n_solved - s->n_dropout, s->n_patients, name ? "/arms/" : "/",
              name ? name : "", name ? "/" : "", o->output);
    }
  }
  if (cart_arms_name(arms, 0) != NULL) {
    printf("\n");
    print_arms_table(model, arms, summaries);
  }
  return 0;
}

int cli_close_stdout(int status)
{
  errno = 0;
  int failed = fflush(stdout) != 0;
  int error = errno;
  failed |= ferror(stdout) != 0;
  errno = 0;
  if (fclose(stdout) != 0 && !failed) {
    failed = 1;
    error = errno;
  }
  if (failed && status == 0) {
    status = fail(EXIT_SOLVE_FAILED, "cannot write the output: %s",
                  error != 0 ? strerror(error) : "write error");
  }
  return status;
}

/* ---- the patient options of `cart run` and `cart fit` ---- */

int cli_parse_assignment(const char *option, const char *arg, char *name, size_t size,
                         double *value)
{
  const char *eq = strchr(arg, '=');
  if (eq == NULL || eq == arg) {
    return fail(EXIT_BAD_INPUT, "%s %s: expected NAME=VALUE", option, arg);
  }
  snprintf(name, size, "%.*s", (int)(eq - arg), arg);
  if (parse_number(eq + 1, value) != 0) {
    return fail(EXIT_BAD_INPUT, "%s %s: '%s' is not a number", option, arg, eq + 1);
  }
  return 0;
}

double *cli_parse_times(const char *option, const char *text, size_t *n_times)
{
  cart_error err;
  size_t n = 0;
  if (cart_parse_times(text, NULL, 0, &n, &err) != CART_OK) {
    fail(EXIT_BAD_INPUT, "%s %s: %s", option, text, err.message);
    return NULL;
  }
  double *times = malloc(n * sizeof *times);
  if (times != NULL) {
    cart_parse_times(text, times, n, n_times, NULL);
  }
  return times;
}

/* --event-table FILE: the doses of an event table (cart_parse_event_table), given as --dose and
 * --toci give theirs; observation rows are refused (the output times are --times). */
static int event_table_option(cart_params *params, cart_dosing *dosing, const char *path,
                              int *initial_dose_set)
{
  char *text = cli_read_file(path, "event table");
  if (text == NULL) {
    return EXIT_BAD_INPUT;
  }
  cart_event_table *table = NULL;
  cart_error err;
  const int parsed =
      cart_parse_event_table(text, path, cart_params_model(params), -1, &table, &err);
  free(text);
  if (parsed != CART_OK) {
    return fail(EXIT_BAD_INPUT, "--event-table: %s", err.message);
  }
  int status = 0;
  if (table->n_observations > 0) {
    status = fail(EXIT_BAD_INPUT,
                  "--event-table %s: observation rows (evid 0) are output times: leave them out "
                  "and give --times",
                  path);
  }
  for (size_t i = 0; status == 0 && i < table->n_doses; i++) {
    const cart_event_dose *d = &table->doses[i];
    if (d->kind == CART_DOSE_CART) {
      if (cart_dose_give_cart(params, dosing, &d->cart, initial_dose_set, &err) != CART_OK) {
        status = fail(EXIT_BAD_INPUT, "--event-table: %s: doses %s: %s", d->where, d->text,
                      err.message);
      }
    } else if (cart_dosing_add_toci(dosing, d->toci.time, d->toci.mg_per_kg,
                                    d->toci.duration_day, d->toci.cap_mg) != CART_OK) {
      status = fail(EXIT_BAD_INPUT, "--event-table: %s: toci %s: %s", d->where, d->text,
                    cart_dosing_last_error(dosing)->message);
    }
  }
  cart_event_table_free(table);
  return status;
}

int cli_patient_option(cart_params *params, cart_dosing *dosing, const char *name,
                       const char *arg, int *initial_dose_set)
{
  char pname[64];
  double value;
  cart_error err;
  if (strcmp(name, "--set") == 0) {
    const int status = cli_parse_assignment(name, arg, pname, sizeof pname, &value);
    if (status != 0) {
      return status;
    }
    if (cart_params_set(params, pname, value) != CART_OK) {
      return fail(EXIT_BAD_INPUT, "%s", cart_params_last_error(params)->message);
    }
  } else if (strcmp(name, "--dose") == 0) {
    cart_cart_dose dose;
    if (cart_parse_cart_dose(arg, &dose, &err) != CART_OK ||
        cart_dose_give_cart(params, dosing, &dose, initial_dose_set, &err) != CART_OK) {
      return fail(EXIT_BAD_INPUT, "--dose %s: %s", arg, err.message);
    }
  } else if (strcmp(name, "--toci") == 0) {
    cart_toci_dose dose;
    if (cart_parse_toci_dose(arg, &dose, &err) != CART_OK) {
      return fail(EXIT_BAD_INPUT, "--toci %s: %s", arg, err.message);
    }
    if (cart_dosing_add_toci(dosing, dose.time, dose.mg_per_kg, dose.duration_day,
                             dose.cap_mg) != CART_OK) {
      return fail(EXIT_BAD_INPUT, "--toci %s: %s", arg, cart_dosing_last_error(dosing)->message);
    }
  } else if (strcmp(name, "--event-table") == 0) {
    return event_table_option(params, dosing, arg, initial_dose_set);
  } else if (strcmp(name, "--toci-rule") == 0) {
    cart_toci_rule rule;
    if (cart_parse_toci_rule(arg, &rule, &err) != CART_OK) {
      return fail(EXIT_BAD_INPUT, "--toci-rule %s: %s", arg, err.message);
    }
    if (cart_dosing_set_toci_rule(dosing, &rule) != CART_OK) {
      return fail(EXIT_BAD_INPUT, "--toci-rule %s: %s", arg,
                  cart_dosing_last_error(dosing)->message);
    }
  } else {
    return -1;
  }
  return 0;
}

static volatile sig_atomic_t sigint_seen = 0;

static void on_sigint(int signal_number)
{
  (void)signal_number;
  sigint_seen = 1;
}

void cli_catch_sigint(struct sigaction *previous)
{
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_sigint;
  action.sa_flags = SA_RESETHAND; /* a second Ctrl-C kills */
  sigemptyset(&action.sa_mask);
  sigint_seen = 0;
  sigaction(SIGINT, &action, previous);
}

void cli_release_sigint(const struct sigaction *previous)
{
  sigaction(SIGINT, previous, NULL);
}

int cli_interrupted(void)
{
  return sigint_seen != 0;
}
