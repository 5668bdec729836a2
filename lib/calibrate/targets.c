/* targets.c: the targets file of a calibration (cart-targets(5)) and the statistics it names,
 * computed from a simulated trial (see cart_calibrate.h).
 *
 * libinih does the syntax, as for scenarios (lib/scenario/scenario.c); read_line() counts the
 * lines so that every message can name one. A target's key is a statistic, `orr` or
 * `quantile(cmax, 0.9)`; blanks inside it do not matter (`median( cmax )` is `median(cmax)`).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "../util/error.h"
#include "../util/sum.h"
#include "../util/text.h"
#include "../trial/trial_impl.h" /* the extended vector and the trial's values at days */
#include "calibrate_impl.h"

/* ---- the statistics ---- */

enum argument_kind {
  ARG_NONE,
  ARG_DAY,
  ARG_ENDPOINT,
  ARG_ENDPOINT_Q,
  ARG_PARAM,
  ARG_ENDPOINT_NR_R,
  ARG_CONDITION /* ENDPOINT OP X */
};

typedef struct statistic_row {
  const char *name;
  cart_statistic statistic;
  enum argument_kind argument;
  int is_rate;
  const char *syntax;
} statistic_row;

static const statistic_row statistics[] = {
    {"orr", CART_STAT_ORR, ARG_NONE, 1, "orr"},
    {"cr", CART_STAT_CR, ARG_NONE, 1, "cr"},
    {"pr", CART_STAT_PR, ARG_NONE, 1, "pr"},
    {"crs_any", CART_STAT_CRS_ANY, ARG_NONE, 1, "crs_any"},
    {"crs_grade2", CART_STAT_CRS_GRADE2, ARG_NONE, 1, "crs_grade2"},
    {"crs_grade3", CART_STAT_CRS_GRADE3, ARG_NONE, 1, "crs_grade3"},
    {"toci", CART_STAT_TOCI, ARG_NONE, 1, "toci"},
    {"relapse_cr", CART_STAT_RELAPSE_CR, ARG_DAY, 1, "relapse_cr(DAY)"},
    {"relapse_negative", CART_STAT_RELAPSE_NEGATIVE, ARG_DAY, 1, "relapse_negative(DAY)"},
    {"durable_cr", CART_STAT_DURABLE_CR, ARG_DAY, 1, "durable_cr(DAY)"},
    {"median", CART_STAT_QUANTILE, ARG_ENDPOINT, 0, "median(ENDPOINT)"},
    {"quantile", CART_STAT_QUANTILE, ARG_ENDPOINT_Q, 0, "quantile(ENDPOINT, Q)"},
    {"cr_tercile_diff", CART_STAT_CR_TERCILE_DIFF, ARG_PARAM, 0, "cr_tercile_diff(PARAMETER)"},
    {"median_ratio", CART_STAT_MEDIAN_RATIO, ARG_ENDPOINT_NR_R, 0, "median_ratio(ENDPOINT, NR/R)"},
    {"mean", CART_STAT_MEAN, ARG_ENDPOINT, 0, "mean(ENDPOINT)"},
    {"fraction", CART_STAT_FRACTION, ARG_CONDITION, 1, "fraction(ENDPOINT OP X), OP one of >=, >, "
                                                       "<=, <, =="},
};
#define N_ROWS (sizeof statistics / sizeof statistics[0])

static const char statistic_list[] =
    "orr, cr, pr, crs_any, crs_grade2, crs_grade3, toci, relapse_cr(DAY), relapse_negative(DAY), "
    "durable_cr(DAY), median(ENDPOINT), quantile(ENDPOINT, Q), cr_tercile_diff(PARAMETER), "
    "median_ratio(ENDPOINT, NR/R), mean(ENDPOINT), fraction(ENDPOINT OP X); an ENDPOINT may be "
    "NAME@DAY, a state or signal at a day (median(Cblood@28))";

/* The endpoints (of cart's list) each oncology statistic reads, NULL-ended; the model of the trial
 * must have them all. */
static const char *const *needed_endpoints(cart_statistic statistic)
{
  static const char *const response[] = {"response", NULL};
  static const char *const grade[] = {"crs_grade", NULL};
  static const char *const toci[] = {"toci_doses", NULL};
  static const char *const relapse[] = {"response", "relapse_day", NULL};
  static const char *const negative[] = {"response", "relapse_day", "relapse_negative", NULL};
  switch (statistic) {
  case CART_STAT_ORR:
  case CART_STAT_CR:
  case CART_STAT_PR:
  case CART_STAT_CR_TERCILE_DIFF:
  case CART_STAT_MEDIAN_RATIO: return response;
  case CART_STAT_CRS_ANY:
  case CART_STAT_CRS_GRADE2:
  case CART_STAT_CRS_GRADE3: return grade;
  case CART_STAT_TOCI: return toci;
  case CART_STAT_RELAPSE_CR:
  case CART_STAT_DURABLE_CR: return relapse;
  case CART_STAT_RELAPSE_NEGATIVE: return negative;
  default: return NULL;
  }
}

/* Whether statistic's argument is an endpoint of the model. */
static int names_endpoint(cart_statistic statistic)
{
  return statistic == CART_STAT_QUANTILE || statistic == CART_STAT_MEDIAN_RATIO ||
         statistic == CART_STAT_MEAN || statistic == CART_STAT_FRACTION;
}

/* The comparisons of fraction(), two-character ones first so that ">=" is not read as ">". */
static const struct {
  const char *text;
  cart_comparison comparison;
} comparisons[] = {{">=", CART_COMPARE_GE}, {"<=", CART_COMPARE_LE}, {"==", CART_COMPARE_EQ},
                   {">", CART_COMPARE_GT},  {"<", CART_COMPARE_LT}};

/* ---- the loader ---- */

enum section { SECTION_NONE, SECTION_TRIAL, SECTION_TARGETS, SECTION_FREE, SECTION_CALIBRATE };

static const char *const setting_keys[N_SETTINGS] = {
    "n", "n_patients", "seed", "max_evaluations", "initial_step", "tolerance", "fd_step"};

typedef struct loader {
  const char *source;
  const char *position;
  int line;
  int failed;
  int error_line;
  cart_error error;
  int targets_line; /* first [targets] / [free] header, for "none given" messages */
  int free_line;
  int name_line;
  size_t targets_capacity, free_capacity;
  cart_targets *t;
} loader;

static int fail(loader *ld, int code, int line, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/* Records the first error, "SOURCE:LINE: message". Returns 0 (a libinih handler's "stop"). */
static int fail(loader *ld, int code, int line, const char *format, ...)
{
  if (ld->failed) {
    return 0;
  }
  ld->failed = 1;
  ld->error_line = line;
  va_list args;
  va_start(args, format);
  cartp_verror_at(&ld->error, code, ld->source, line, format, args);
  va_end(args);
  return 0;
}

static int is_blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static char *copy_string(const char *text, size_t length)
{
  char *copy = malloc(length + 1);
  if (copy != NULL) {
    memcpy(copy, text, length);
    copy[length] = '\0';
  }
  return copy;
}

/* A copy of text without any blanks. */
static char *without_blanks(const char *text)
{
  char *copy = malloc(strlen(text) + 1);
  if (copy != NULL) {
    size_t n = 0;
    for (const char *c = text; *c; c++) {
      if (!is_blank(*c)) {
        copy[n++] = *c;
      }
    }
    copy[n] = '\0';
  }
  return copy;
}

/* A number at *p (leading blanks skipped): advances *p past it. 0, or -1 when there is none or
 * it is not finite. */
static int take_number(const char **p, double *value)
{
  while (is_blank(**p)) {
    (*p)++;
  }
  char *end = NULL;
  errno = 0;
  *value = strtod(*p, &end);
  if (end == *p || !isfinite(*value)) {
    return -1;
  }
  *p = end;
  return 0;
}

/* A non-negative decimal integer at *p (blanks skipped). */
static int take_count(const char **p, size_t *value)
{
  while (is_blank(**p)) {
    (*p)++;
  }
  if (!isdigit((unsigned char)**p)) {
    return -1;
  }
  char *end = NULL;
  errno = 0;
  const unsigned long long v = strtoull(*p, &end, 10);
  if (errno == ERANGE || v > SIZE_MAX) {
    return -1;
  }
  *value = (size_t)v;
  *p = end;
  return 0;
}

static int at_end(const char *p)
{
  while (is_blank(*p)) {
    p++;
  }
  return *p == '\0';
}

static int take_char(const char **p, char c)
{
  while (is_blank(**p)) {
    (*p)++;
  }
  if (**p != c) {
    return -1;
  }
  (*p)++;
  return 0;
}

/* fraction()'s "ENDPOINT OP X" (t->argument, blanks removed): the endpoint's name stays in
 * t->argument, the comparison and X go to t. 0, or -1 (error recorded). */
static int parse_condition(loader *ld, const char *name, const char *syntax, cartp_target *t)
{
  char *condition = t->argument;
  const size_t at = strcspn(condition, "<>=!");
  size_t c = 0;
  while (c < sizeof comparisons / sizeof *comparisons &&
         strncmp(condition + at, comparisons[c].text, strlen(comparisons[c].text)) != 0) {
    c++;
  }
  if (at == 0 || c == sizeof comparisons / sizeof *comparisons) {
    return fail(ld, CART_EPARSE, ld->line, "[targets] %s: expected %s", name, syntax) - 1;
  }
  const char *p = condition + at + strlen(comparisons[c].text);
  double x;
  if (take_number(&p, &x) != 0 || !at_end(p)) {
    return fail(ld, CART_EPARSE, ld->line, "[targets] %s: '%s' is not a number (expected %s)",
                name, condition + at + strlen(comparisons[c].text), syntax) - 1;
  }
  condition[at] = '\0'; /* the endpoint's name */
  t->comparison = comparisons[c].comparison;
  t->threshold = x;
  return 0;
}

/* An endpoint argument written NAME@DAY (a state or signal of the model at a day): the name stays
 * in t->argument, the day goes to t->at. 0 (also without '@'), or -1 (error recorded). */
static int parse_value_at(loader *ld, const char *name, cartp_target *t)
{
  char *at = strchr(t->argument, '@');
  if (at == NULL) {
    return 0;
  }
  const char *p = at + 1;
  double day;
  if (at == t->argument || take_number(&p, &day) != 0 || !at_end(p)) {
    return fail(ld, CART_EPARSE, ld->line,
                "[targets] %s: '%s' is not NAME@DAY (a state or signal of the model at a day, "
                "as in median(Cblood@28))",
                name, t->argument) - 1;
  }
  if (!(day >= 0) || !isfinite(day)) {
    return fail(ld, CART_ERANGE, ld->line, "[targets] %s: the day %g must be >= 0", name, day) -
           1;
  }
  *at = '\0';
  t->at = day;
  return 0;
}

/* Parses the statistic of key `name` (blanks removed) into *t. 0, or -1 (error recorded). */
static int parse_statistic(loader *ld, const char *name, cartp_target *t)
{
  const char *open = strchr(name, '(');
  const size_t base_length = open ? (size_t)(open - name) : strlen(name);
  const statistic_row *row = NULL;
  for (size_t i = 0; i < N_ROWS; i++) {
    if (strlen(statistics[i].name) == base_length &&
        strncmp(statistics[i].name, name, base_length) == 0) {
      row = &statistics[i];
    }
  }
  if (row == NULL) {
    return fail(ld, CART_EPARSE, ld->line, "[targets] unknown statistic '%s' (statistics: %s)",
                name, statistic_list) - 1;
  }
  t->statistic = row->statistic;
  t->is_rate = row->is_rate;
  t->comparison = CART_COMPARE_NONE;
  t->threshold = NAN;
  t->day = NAN;
  t->at = NAN;
  t->q = row->statistic == CART_STAT_QUANTILE ? 0.5 : NAN;
  const size_t length = strlen(name);
  if (row->argument == ARG_NONE) {
    if (open != NULL) {
      return fail(ld, CART_EPARSE, ld->line, "[targets] %s: '%s' takes no argument", name,
                  row->name) - 1;
    }
    return 0;
  }
  if (open == NULL || name[length - 1] != ')' || open + 1 == name + length - 1) {
    return fail(ld, CART_EPARSE, ld->line, "[targets] %s: expected %s", name, row->syntax) - 1;
  }
  /* the arguments, without the parentheses */
  char args[128];
  snprintf(args, sizeof args, "%.*s", (int)(name + length - 1 - (open + 1)), open + 1);
  char *comma = strchr(args, ',');
  const int two = row->argument == ARG_ENDPOINT_Q || row->argument == ARG_ENDPOINT_NR_R;
  if ((comma != NULL) != two || (comma && strchr(comma + 1, ',') != NULL)) {
    return fail(ld, CART_EPARSE, ld->line, "[targets] %s: expected %s", name, row->syntax) - 1;
  }
  if (comma != NULL) {
    *comma = '\0';
  }
  if (row->argument == ARG_DAY) {
    const char *p = args;
    double day;
    if (take_number(&p, &day) != 0 || !at_end(p)) {
      return fail(ld, CART_EPARSE, ld->line, "[targets] %s: '%s' is not a day (expected %s)",
                  name, args, row->syntax) - 1;
    }
    if (!(day > 0)) {
      return fail(ld, CART_ERANGE, ld->line, "[targets] %s: the day must be > 0", name) - 1;
    }
    t->day = day;
    return 0;
  }
  if ((t->argument = copy_string(args, strlen(args))) == NULL) {
    return fail(ld, CART_ENOMEM, ld->line, "out of memory") - 1;
  }
  if (row->argument == ARG_CONDITION) {
    return parse_condition(ld, name, row->syntax, t) != 0 ? -1 : parse_value_at(ld, name, t);
  }
  if (row->argument != ARG_PARAM && parse_value_at(ld, name, t) != 0) {
    return -1;
  }
  /* a parameter or endpoint name: resolved against the model by cart_targets_check */
  if (row->argument == ARG_ENDPOINT_Q) {
    const char *p = comma + 1;
    double q;
    if (take_number(&p, &q) != 0 || !at_end(p)) {
      return fail(ld, CART_EPARSE, ld->line, "[targets] %s: '%s' is not a number (expected %s)",
                  name, comma + 1, row->syntax) - 1;
    }
    if (!(q > 0 && q < 1)) {
      return fail(ld, CART_ERANGE, ld->line, "[targets] %s: the level %g must be in (0, 1)",
                  name, q) - 1;
    }
    t->q = q;
  } else if (row->argument == ARG_ENDPOINT_NR_R && strcmp(comma + 1, "NR/R") != 0) {
    return fail(ld, CART_EPARSE, ld->line, "[targets] %s: expected %s (the only ratio is NR/R)",
                name, row->syntax) - 1;
  }
  return 0;
}

/* Wilson's score interval of n/N at 95 % (Wilson EB, JASA 1927;22:209-212). */
static void wilson(size_t n, size_t total, double *lower, double *upper)
{
  const double z = CARTP_Z95, N = (double)total, p = (double)n / N;
  const double denominator = 1 + z * z / N;
  const double centre = (p + z * z / (2 * N)) / denominator;
  const double half = z / denominator * sqrt(p * (1 - p) / N + z * z / (4 * N * N));
  /* exactly 0 for n = 0 and 1 for n = N (centre - half rounds to about 1e-17 there, which put a
   * simulated rate of 0 outside the interval of 0/N) */
  *lower = n == 0 ? 0.0 : fmax(0.0, centre - half);
  *upper = n == total ? 1.0 : fmin(1.0, centre + half);
}

/* The value of a target: "n/N" (rates only) or "value [lower, upper]". */
static void parse_value(loader *ld, const char *value, cartp_target *t)
{
  const char *p = value;
  const double lowest = t->statistic == CART_STAT_CR_TERCILE_DIFF ? -1.0 : 0.0;
  if (strchr(value, '/') != NULL && strchr(value, '[') == NULL) {
    size_t n, total;
    if (take_count(&p, &n) != 0 || take_char(&p, '/') != 0 || take_count(&p, &total) != 0 ||
        !at_end(p)) {
      fail(ld, CART_EPARSE, ld->line, "[targets] %s = %s: expected a count n/N of whole numbers",
           t->name, value);
      return;
    }
    if (!t->is_rate) {
      fail(ld, CART_EPARSE, ld->line,
           "[targets] %s = %s: a count n/N is only for rates; give VALUE [LOWER, UPPER]", t->name,
           value);
      return;
    }
    if (total == 0 || n > total) {
      fail(ld, CART_ERANGE, ld->line, "[targets] %s = %s: a count n/N needs 0 <= n <= N and N > 0",
           t->name, value);
      return;
    }
    t->count = n;
    t->total = total;
    t->observed = (double)n / (double)total;
    wilson(n, total, &t->lower, &t->upper);
    const double binomial = sqrt(t->observed * (1 - t->observed) / (double)total);
    t->se = fmax(binomial, (t->upper - t->lower) / (2 * CARTP_Z95));
    return;
  }
  double v, lo, hi;
  if (take_number(&p, &v) != 0 || take_char(&p, '[') != 0 || take_number(&p, &lo) != 0 ||
      take_char(&p, ',') != 0 || take_number(&p, &hi) != 0 || take_char(&p, ']') != 0 ||
      !at_end(p)) {
    fail(ld, CART_EPARSE, ld->line,
         "[targets] %s = %s: expected VALUE [LOWER, UPPER]%s (finite numbers)", t->name, value,
         t->is_rate ? " or a count n/N" : "");
    return;
  }
  if ((t->is_rate || t->statistic == CART_STAT_CR_TERCILE_DIFF) &&
      (v < lowest || v > 1 || lo < lowest || hi > 1)) {
    fail(ld, CART_ERANGE, ld->line, "[targets] %s = %s: a %s must lie in [%g, 1]", t->name, value,
         t->is_rate ? "rate" : "difference of rates", lowest);
    return;
  }
  if (!(lo < hi) || v < lo || v > hi) {
    fail(ld, CART_ERANGE, ld->line,
         "[targets] %s = %s: the interval must have LOWER < UPPER and contain the value", t->name,
         value);
    return;
  }
  t->observed = v;
  t->lower = lo;
  t->upper = hi;
  t->se = (hi - lo) / (2 * CARTP_Z95);
}

/* libinih splits a line at its first '=', which in `fraction(EP >= X) = n/N` is the comparison's:
 * the key is then whole again with the value up to its closing parenthesis, and the value is what
 * follows the '=' after it. The key (blanks removed, allocated) or NULL; *value moves on. */
static char *target_key(const char *key, const char **value)
{
  const char *close = strchr(*value, ')');
  if (strchr(key, '(') == NULL || strchr(key, ')') != NULL || close == NULL) {
    return without_blanks(key);
  }
  const char *rest = close + 1;
  while (is_blank(*rest)) {
    rest++;
  }
  if (*rest != '=') {
    return without_blanks(key);
  }
  const size_t length = strlen(key) + 1 + (size_t)(close + 1 - *value);
  char *joined = malloc(length + 1);
  if (joined == NULL) {
    return NULL;
  }
  snprintf(joined, length + 1, "%s=%.*s", key, (int)(close + 1 - *value), *value);
  char *name = without_blanks(joined);
  free(joined);
  for (rest++; is_blank(*rest); rest++) {
  }
  *value = rest;
  return name;
}

static void on_target(loader *ld, const char *key, const char *value)
{
  cart_targets *T = ld->t;
  char *name = target_key(key, &value);
  if (name == NULL) {
    fail(ld, CART_ENOMEM, ld->line, "out of memory");
    return;
  }
  for (size_t i = 0; i < T->n_targets; i++) {
    if (strcmp(T->targets[i].name, name) == 0) {
      fail(ld, CART_EPARSE, ld->line, "[targets] %s: given twice (first at line %d)", name,
           T->targets[i].line);
      free(name);
      return;
    }
  }
  if (T->n_targets == ld->targets_capacity) {
    const size_t wanted = ld->targets_capacity ? 2 * ld->targets_capacity : 8;
    cartp_target *grown = realloc(T->targets, wanted * sizeof *grown);
    if (grown == NULL) {
      fail(ld, CART_ENOMEM, ld->line, "out of memory");
      free(name);
      return;
    }
    T->targets = grown;
    ld->targets_capacity = wanted;
  }
  cartp_target *t = &T->targets[T->n_targets++];
  memset(t, 0, sizeof *t);
  t->name = name;
  t->line = ld->line;
  if (parse_statistic(ld, name, t) == 0) {
    parse_value(ld, value, t);
  }
}

static void on_free(loader *ld, const char *key, const char *value)
{
  cart_targets *T = ld->t;
  const int is_cv = strncmp(key, "cv.", 3) == 0;
  const char *name = is_cv ? key + 3 : key;
  if (*name == '\0') {
    fail(ld, CART_EPARSE, ld->line, "[free] %s: a parameter name is missing", key);
    return;
  }
  for (size_t i = 0; i < T->n_free; i++) {
    if (T->free[i].is_cv == is_cv && strcmp(T->free[i].name, name) == 0) {
      fail(ld, CART_EPARSE, ld->line, "[free] %s: given twice (first at line %d)", key,
           T->free[i].line);
      return;
    }
  }
  const char *p = value;
  double lo, hi;
  if (take_number(&p, &lo) != 0 || take_char(&p, ',') != 0 || take_number(&p, &hi) != 0 ||
      !at_end(p)) {
    fail(ld, CART_EPARSE, ld->line,
         "[free] %s = %s: a free parameter needs its bounds: LOWER, UPPER (finite numbers)", key,
         value);
    return;
  }
  if (!(lo < hi)) {
    fail(ld, CART_ERANGE, ld->line, "[free] %s = %s: LOWER must be below UPPER", key, value);
    return;
  }
  if (is_cv && lo < 0) {
    fail(ld, CART_ERANGE, ld->line, "[free] %s = %s: a CV bound must be >= 0", key, value);
    return;
  }
  if (T->n_free == ld->free_capacity) {
    const size_t wanted = ld->free_capacity ? 2 * ld->free_capacity : 8;
    cartp_free *grown = realloc(T->free, wanted * sizeof *grown);
    if (grown == NULL) {
      fail(ld, CART_ENOMEM, ld->line, "out of memory");
      return;
    }
    T->free = grown;
    ld->free_capacity = wanted;
  }
  cartp_free *f = &T->free[T->n_free];
  memset(f, 0, sizeof *f);
  if ((f->name = copy_string(name, strlen(name))) == NULL) {
    fail(ld, CART_ENOMEM, ld->line, "out of memory");
    return;
  }
  T->n_free++;
  f->is_cv = is_cv;
  f->lower = lo;
  f->upper = hi;
  f->line = ld->line;
}

/* [trial] n and the keys of [calibrate]. */
static void on_setting(loader *ld, const char *section, int s, const char *key, const char *value)
{
  cartp_setting *setting = &ld->t->settings[s];
  if (setting->line) {
    fail(ld, CART_EPARSE, ld->line, "[%s] %s: given twice (first at line %d)", section, key,
         setting->line);
    return;
  }
  const char *p = value;
  if (s == SETTING_N_OBSERVED || s == SETTING_N_PATIENTS || s == SETTING_SEED ||
      s == SETTING_MAX_EVALUATIONS) {
    char *end = NULL;
    errno = 0;
    const unsigned long long v = strtoull(value, &end, 10);
    if (!isdigit((unsigned char)value[0]) || *end != '\0' || errno == ERANGE) {
      fail(ld, CART_EPARSE, ld->line, "[%s] %s: '%s' is not an unsigned integer", section, key,
           value);
      return;
    }
    if (s != SETTING_SEED && (v < 1 || v > SIZE_MAX)) {
      fail(ld, CART_ERANGE, ld->line, "[%s] %s: must be at least 1", section, key);
      return;
    }
    ld->t->seed = s == SETTING_SEED ? (uint64_t)v : ld->t->seed;
    setting->value = (double)v;
  } else {
    double v;
    if (take_number(&p, &v) != 0 || !at_end(p)) {
      fail(ld, CART_EPARSE, ld->line, "[%s] %s: '%s' is not a finite number", section, key, value);
      return;
    }
    if (!(v > 0)) {
      fail(ld, CART_ERANGE, ld->line, "[%s] %s: %g must be > 0", section, key, v);
      return;
    }
    setting->value = v;
  }
  setting->line = ld->line;
}

static enum section find_section(const char *name, size_t length)
{
  static const char *const names[] = {"trial", "targets", "free", "calibrate"};
  for (int s = 0; s < 4; s++) {
    if (strlen(names[s]) == length && strncmp(names[s], name, length) == 0) {
      return (enum section)(s + 1);
    }
  }
  return SECTION_NONE;
}

/* libinih's reader: the next line, leading blanks dropped, its number counted. */
static char *read_line(char *buffer, int size, void *stream)
{
  loader *ld = stream;
  if (ld->failed || *ld->position == '\0') {
    return NULL;
  }
  const char *start = ld->position;
  const char *newline = strchr(start, '\n');
  size_t length = newline ? (size_t)(newline - start) : strlen(start);
  ld->position = newline ? newline + 1 : start + length;
  ld->line++;
  if (ld->line == 1 && length >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
    start += 3;
    length -= 3;
  }
  while (length > 0 && (*start == ' ' || *start == '\t')) {
    start++;
    length--;
  }
  if (length >= (size_t)size) {
    fail(ld, CART_EPARSE, ld->line, "line longer than %d characters", size - 1);
    buffer[0] = '\0';
    return buffer;
  }
  memcpy(buffer, start, length);
  buffer[length] = '\0';
  if (buffer[0] == '[') {
    const char *close = strchr(buffer, ']');
    if (close != NULL) {
      const enum section s = find_section(buffer + 1, (size_t)(close - buffer - 1));
      const char *rest = close + 1;
      while (is_blank(*rest)) {
        rest++;
      }
      if (*rest != '\0' && *rest != ';' && *rest != '#') {
        fail(ld, CART_EPARSE, ld->line, "text after the section header: '%s'", rest);
      } else if (s == SECTION_NONE) {
        fail(ld, CART_EPARSE, ld->line,
             "unknown section [%.*s] (sections: trial, targets, free, calibrate)",
             (int)(close - buffer - 1), buffer + 1);
      } else if (s == SECTION_TARGETS && ld->targets_line == 0) {
        ld->targets_line = ld->line;
      } else if (s == SECTION_FREE && ld->free_line == 0) {
        ld->free_line = ld->line;
      }
    }
  }
  return buffer;
}

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
  loader *ld = user;
  if (ld->failed) {
    return 1;
  }
  const enum section s = find_section(section, strlen(section));
  if (section[0] == '\0') {
    fail(ld, CART_EPARSE, ld->line, "key '%s' before any [section]", key);
  } else if (key[0] == '\0') {
    fail(ld, CART_EPARSE, ld->line, "[%s] a key is missing before '='", section);
  } else if (s == SECTION_TARGETS) {
    on_target(ld, key, value);
  } else if (s == SECTION_FREE) {
    on_free(ld, key, value);
  } else if (s == SECTION_TRIAL) {
    if (strcmp(key, "name") == 0) {
      if (ld->name_line) {
        fail(ld, CART_EPARSE, ld->line, "[trial] name: given twice (first at line %d)",
             ld->name_line);
      } else {
        free(ld->t->trial_name);
        ld->t->trial_name = copy_string(value, strlen(value));
        ld->name_line = ld->line;
        if (ld->t->trial_name == NULL) {
          fail(ld, CART_ENOMEM, ld->line, "out of memory");
        }
      }
    } else if (strcmp(key, "n") == 0) {
      on_setting(ld, "trial", SETTING_N_OBSERVED, key, value);
    } else {
      fail(ld, CART_EPARSE, ld->line, "[trial] unknown key '%s' (keys: name, n)", key);
    }
  } else {
    int found = 0;
    for (int i = SETTING_N_PATIENTS; i < N_SETTINGS && !found; i++) {
      if (strcmp(key, setting_keys[i]) == 0) {
        on_setting(ld, "calibrate", i, key, value);
        found = 1;
      }
    }
    if (!found) {
      fail(ld, CART_EPARSE, ld->line,
           "[calibrate] unknown key '%s' (keys: n_patients, seed, max_evaluations, initial_step, "
           "tolerance, fd_step)",
           key);
    }
  }
  return !(ld->failed && ld->error.code == CART_ENOMEM);
}

void cart_targets_free(cart_targets *targets)
{
  if (targets == NULL) {
    return;
  }
  for (size_t i = 0; i < targets->n_targets; i++) {
    free(targets->targets[i].name);
    free(targets->targets[i].argument);
  }
  for (size_t i = 0; i < targets->n_free; i++) {
    free(targets->free[i].name);
  }
  free(targets->targets);
  free(targets->free);
  free(targets->source);
  free(targets->trial_name);
  free(targets);
}

cart_targets *cart_targets_new(const char *text, const char *source, cart_error *err)
{
  loader ld;
  memset(&ld, 0, sizeof ld);
  ld.source = source ? source : "<targets>";
  if (text == NULL) {
    cartp_error(err, CART_EINVAL, "cart_targets_new: no text");
    return NULL;
  }
  ld.t = calloc(1, sizeof *ld.t);
  if (ld.t == NULL || (ld.t->source = copy_string(ld.source, strlen(ld.source))) == NULL ||
      (ld.t->trial_name = copy_string("", 0)) == NULL) {
    cart_targets_free(ld.t);
    cartp_error(err, CART_ENOMEM, "out of memory");
    return NULL;
  }
  ld.position = text;
  const int syntax = ini_parse_stream(read_line, &ld, on_entry, &ld);
  if (syntax > 0 && (!ld.failed || syntax < ld.error_line)) {
    ld.failed = 0;
    fail(&ld, CART_EPARSE, syntax,
         "syntax error: expected '[section]', 'key = value' or a comment");
  } else if (syntax < 0 && !ld.failed) {
    fail(&ld, CART_ENOMEM, 0, "out of memory");
  }
  if (!ld.failed && ld.t->n_targets == 0) {
    fail(&ld, CART_EPARSE, ld.targets_line ? ld.targets_line : ld.line,
         "no targets: a [targets] section with at least one statistic is required");
  }
  if (!ld.failed && ld.t->n_free == 0) {
    fail(&ld, CART_EPARSE, ld.free_line ? ld.free_line : ld.line,
         "no free parameters: a [free] section with at least one NAME = LOWER, UPPER is "
         "required");
  }
  if (ld.failed) {
    if (err != NULL) {
      *err = ld.error;
    }
    cart_targets_free(ld.t);
    return NULL;
  }
  cart_error_clear(err);
  return ld.t;
}

/* A message about the one statistic of cartp_targets_of_statistic names no section: "statistic:
 * [targets] x: ..." becomes "statistic: x: ...". */
static void statistic_message(cart_error *err)
{
  static const char section[] = "[targets] ";
  char *at = err != NULL ? strstr(err->message, section) : NULL;
  if (at != NULL) {
    memmove(at, at + strlen(section), strlen(at + strlen(section)) + 1);
  }
}

cart_targets *cartp_targets_of_statistic(const char *statistic, cart_error *err)
{
  loader ld;
  memset(&ld, 0, sizeof ld);
  ld.source = "statistic";
  if (statistic == NULL) {
    cartp_error(err, CART_EINVAL, "no statistic");
    return NULL;
  }
  ld.t = calloc(1, sizeof *ld.t);
  if (ld.t == NULL || (ld.t->source = copy_string(ld.source, strlen(ld.source))) == NULL ||
      (ld.t->trial_name = copy_string("", 0)) == NULL ||
      (ld.t->targets = calloc(1, sizeof *ld.t->targets)) == NULL ||
      (ld.t->targets[0].name = without_blanks(statistic)) == NULL) {
    cart_targets_free(ld.t);
    cartp_error(err, CART_ENOMEM, "out of memory");
    return NULL;
  }
  ld.t->n_targets = 1;
  cartp_target *t = &ld.t->targets[0];
  if (t->name[0] == '\0') {
    fail(&ld, CART_EPARSE, 0, "[targets] the statistic is empty (statistics: %s)", statistic_list);
  } else {
    parse_statistic(&ld, t->name, t);
  }
  if (ld.failed) {
    if (err != NULL) {
      *err = ld.error;
      statistic_message(err);
    }
    cart_targets_free(ld.t);
    return NULL;
  }
  t->observed = t->lower = t->upper = t->se = NAN;
  cart_error_clear(err);
  return ld.t;
}

int cartp_targets_check_statistic(const cart_targets *targets, const cart_trial *trial,
                                  cart_error *err)
{
  const int status = cart_targets_check(targets, trial, err);
  statistic_message(err);
  return status;
}

const char *cart_targets_trial_name(const cart_targets *targets)
{
  return targets ? targets->trial_name : NULL;
}

const char *cart_targets_source(const cart_targets *targets)
{
  return targets ? targets->source : NULL;
}

size_t cart_targets_n_targets(const cart_targets *targets)
{
  return targets ? targets->n_targets : 0;
}

int cart_targets_get(const cart_targets *targets, size_t i, cart_target_info *info)
{
  if (targets == NULL || info == NULL || i >= targets->n_targets) {
    return CART_EINVAL;
  }
  const cartp_target *t = &targets->targets[i];
  *info = (cart_target_info){t->name,     t->statistic,  t->is_rate, t->argument, t->day,
                             t->q,        t->comparison, t->threshold, t->observed, t->lower,
                             t->upper,    t->se,         t->count,   t->total,    t->line,
                             t->at};
  return CART_OK;
}

size_t cart_targets_n_free(const cart_targets *targets)
{
  return targets ? targets->n_free : 0;
}

int cart_targets_get_free(const cart_targets *targets, size_t i, cart_free_info *info)
{
  if (targets == NULL || info == NULL || i >= targets->n_free) {
    return CART_EINVAL;
  }
  const cartp_free *f = &targets->free[i];
  *info = (cart_free_info){f->name, f->is_cv, f->lower, f->upper, f->line};
  return CART_OK;
}

void cart_calibrate_settings_default(cart_calibrate_settings *s)
{
  if (s != NULL) {
    *s = (cart_calibrate_settings){0, 0, 0, 400, 0.5, 1e-3, 0.1, 0, 0};
  }
}

void cart_targets_settings(const cart_targets *targets, cart_calibrate_settings *s)
{
  if (targets == NULL || s == NULL) {
    return;
  }
  const cartp_setting *v = targets->settings;
  if (v[SETTING_N_OBSERVED].line) {
    s->n_observed = (size_t)v[SETTING_N_OBSERVED].value;
  }
  if (v[SETTING_N_PATIENTS].line) {
    s->n_patients = (size_t)v[SETTING_N_PATIENTS].value;
  }
  if (v[SETTING_SEED].line) {
    s->seed = targets->seed;
    s->use_seed = 1;
  }
  if (v[SETTING_MAX_EVALUATIONS].line) {
    s->max_evaluations = (size_t)v[SETTING_MAX_EVALUATIONS].value;
  }
  if (v[SETTING_INITIAL_STEP].line) {
    s->initial_step = v[SETTING_INITIAL_STEP].value;
  }
  if (v[SETTING_TOLERANCE].line) {
    s->size_tolerance = v[SETTING_TOLERANCE].value;
  }
  if (v[SETTING_FD_STEP].line) {
    s->fd_step = v[SETTING_FD_STEP].value;
  }
}

/* ---- checks against a trial ---- */

static int check_error(cart_error *err, const cart_targets *targets, int code, int line,
                       const char *format, ...) __attribute__((format(printf, 5, 6)));

static int check_error(cart_error *err, const cart_targets *targets, int code, int line,
                       const char *format, ...)
{
  va_list args;
  va_start(args, format);
  cartp_verror_at(err, code, targets->source, line, format, args); /* line 0: "SOURCE: " */
  va_end(args);
  return code;
}

/* Whether parameter `name` varies between patients in `population`. */
static int varies(const cart_population *population, const char *name)
{
  for (size_t i = 0; i < cart_population_n_varied(population); i++) {
    const char *varied;
    double cv;
    if (cart_population_varied(population, i, &varied, &cv) == CART_OK &&
        strcmp(varied, name) == 0 && cv > 0) {
      return 1;
    }
  }
  return 0;
}

static const char *endpoint_name(const void *model, size_t i)
{
  cart_endpoint_info info;
  cart_model_endpoint_info(model, i, &info);
  return info.name;
}

/* "cmax, tmax, ..." : the model's endpoints, cut at the end of the buffer */
static void endpoint_list(const cart_model *model, char *buffer, size_t size)
{
  cartp_join_names(buffer, size, cart_model_n_endpoints(model), endpoint_name, model);
}

static const char *extended_name(const void *model, size_t i)
{
  return cartp_trial_extended_info(model, (int)i)->name;
}

/* "E, M, ..., Cblood, tumour, ...": the model's states and signals, cut at the end of the
 * buffer */
static void extended_list(const cart_model *model, char *buffer, size_t size)
{
  cartp_join_names(buffer, size, model->n_states + model->n_signals, extended_name, model);
}

/* Whether targets u and v both read the same NAME@DAY. */
static int same_value_at(const cartp_target *u, const cartp_target *v)
{
  return !isnan(u->at) && names_endpoint(u->statistic) && !isnan(v->at) &&
         names_endpoint(v->statistic) && u->at == v->at && strcmp(u->argument, v->argument) == 0;
}

/* The column of target i's NAME@DAY among the targets' distinct ones (in the order of their first
 * target), and whether target i is that first one; -1 when it has none. */
static int value_at_column(const cart_targets *targets, size_t i, int *first)
{
  const cartp_target *t = &targets->targets[i];
  if (isnan(t->at) || !names_endpoint(t->statistic)) {
    return -1;
  }
  int column = 0; /* the distinct NAME@DAY of targets[0 .. k) */
  for (size_t k = 0;; k++) {
    const cartp_target *u = &targets->targets[k];
    if (same_value_at(u, t)) { /* the first target of t's NAME@DAY (k <= i) */
      *first = k == i;
      return column;
    }
    int earlier = 0;
    for (size_t m = 0; m < k && !earlier; m++) {
      earlier = same_value_at(&targets->targets[m], u);
    }
    column += !isnan(u->at) && names_endpoint(u->statistic) && !earlier;
  }
}

/* The endpoints a target reads: its argument, or those its oncology statistic needs, against the
 * model. CART_OK, or CART_EUNKNOWN_PARAM with a message listing the model's endpoints. */
static int check_endpoints(const cart_targets *targets, const cartp_target *t,
                           const cart_model *model, cart_error *err)
{
  char list[200];
  if (names_endpoint(t->statistic) && !isnan(t->at)) {
    if (cartp_model_extended_index(model, t->argument) < 0) {
      extended_list(model, list, sizeof list);
      return check_error(err, targets, CART_EUNKNOWN_PARAM, t->line,
                         "[targets] %s: model '%s' has no state or signal '%s' for %s@DAY (its "
                         "states and signals: %s)",
                         t->name, cart_model_name(model), t->argument, t->argument, list);
    }
  } else if (names_endpoint(t->statistic) && cart_model_endpoint_index(model, t->argument) < 0) {
    endpoint_list(model, list, sizeof list);
    return check_error(err, targets, CART_EUNKNOWN_PARAM, t->line,
                       "[targets] %s: model '%s' has no endpoint '%s' (its endpoints: %s)",
                       t->name, cart_model_name(model), t->argument, list);
  }
  const char *const *needed = needed_endpoints(t->statistic);
  for (; needed != NULL && *needed != NULL; needed++) {
    if (cart_model_endpoint_index(model, *needed) < 0) {
      endpoint_list(model, list, sizeof list);
      return check_error(err, targets, CART_EUNKNOWN_PARAM, t->line,
                         "[targets] %s needs endpoint '%s', which model '%s' lacks (its "
                         "endpoints: %s; mean(ENDPOINT) and fraction(ENDPOINT OP X) take any)",
                         t->name, *needed, cart_model_name(model), list);
    }
  }
  return CART_OK;
}

static int free_cv(const cart_targets *targets, const char *name)
{
  for (size_t i = 0; i < targets->n_free; i++) {
    if (targets->free[i].is_cv && strcmp(targets->free[i].name, name) == 0) {
      return 1;
    }
  }
  return 0;
}

int cart_targets_check(const cart_targets *targets, const cart_trial *trial, cart_error *err)
{
  if (targets == NULL || trial == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_targets_check: no targets or no trial");
  }
  const cart_model *model = cart_trial_model(trial);
  const cart_population *population = cart_trial_population(trial);
  size_t n_times;
  const double *times = cart_trial_times(trial, &n_times);
  const double horizon = times[n_times - 1];
  for (size_t i = 0; i < targets->n_free; i++) {
    const cartp_free *f = &targets->free[i];
    const int index = cart_model_param_index(model, f->name);
    const char *prefix = f->is_cv ? "cv." : "";
    if (index < 0) {
      return check_error(err, targets, CART_EUNKNOWN_PARAM, f->line,
                         "[free] %s%s: model '%s' has no parameter '%s'", prefix, f->name,
                         cart_model_name(model), f->name);
    }
    cart_param_info p;
    cart_model_param_info(model, (size_t)index, &p);
    if (!f->is_cv && (!cart_model_param_in_bounds(model, (size_t)index, f->lower) ||
                      !cart_model_param_in_bounds(model, (size_t)index, f->upper))) {
      char bounds[64];
      cartp_format_bounds(bounds, sizeof bounds, p.lower, p.upper, p.lower_open, p.upper_open);
      return check_error(err, targets, CART_ERANGE, f->line,
                         "[free] %s: bounds %g, %g lie outside the parameter's own bounds %s",
                         f->name, f->lower, f->upper, bounds);
    }
    if (f->is_cv) {
      double typical;
      cart_params_get(cart_population_typical((cart_population *)population), f->name, &typical);
      int free_typical = 0;
      for (size_t j = 0; j < targets->n_free; j++) {
        free_typical |= !targets->free[j].is_cv && strcmp(targets->free[j].name, f->name) == 0;
      }
      if (!free_typical && (typical == 0 || typical == p.lower || typical == p.upper)) {
        return check_error(err, targets, CART_ERANGE, f->line,
                           "[free] cv.%s: its typical value %g is 0 or on a bound, which a "
                           "log- or logit-normal draw cannot vary",
                           f->name, typical);
      }
    }
  }
  for (size_t i = 0; i < targets->n_targets; i++) {
    const cartp_target *t = &targets->targets[i];
    const int status = check_endpoints(targets, t, model, err);
    if (status != CART_OK) {
      return status;
    }
    if (t->statistic == CART_STAT_CR_TERCILE_DIFF) {
      if (cart_model_param_index(model, t->argument) < 0) {
        return check_error(err, targets, CART_EUNKNOWN_PARAM, t->line,
                           "[targets] %s: model '%s' has no parameter '%s'", t->name,
                           cart_model_name(model), t->argument);
      }
      if (!varies(population, t->argument) && !free_cv(targets, t->argument)) {
        return check_error(err, targets, CART_ERANGE, t->line,
                           "[targets] %s: '%s' does not vary between patients (give it a cv in "
                           "the scenario's [variability] or free cv.%s)",
                           t->name, t->argument, t->argument);
      }
    }
    if (!isnan(t->at) && t->at > horizon) {
      return check_error(err, targets, CART_ERANGE, t->line,
                         "[targets] %s: day %g is after the trial's horizon %g (its last output "
                         "time)",
                         t->name, t->at, horizon);
    }
    int first;
    if (value_at_column(targets, i, &first) >= CARTP_MAX_VALUES_AT) {
      return check_error(err, targets, CART_EINVAL, t->line,
                         "[targets] %s: more than %d distinct NAME@DAY values", t->name,
                         CARTP_MAX_VALUES_AT);
    }
    if (!isnan(t->day) && t->day > horizon) {
      return check_error(err, targets, CART_ERANGE, t->line,
                         "[targets] %s: day %g is after the scenario's horizon %g (its last "
                         "output time)",
                         t->name, t->day, horizon);
    }
  }
  cart_error_clear(err);
  return CART_OK;
}

/* ---- the statistics of a simulated trial ---- */

int cartp_sim_init(cartp_sim *sim, size_t n, const cart_targets *targets, const cart_model *model,
                   cart_error *err)
{
  memset(sim, 0, sizeof *sim);
  const size_t n_params = cart_model_n_params(model);
  sim->n = n;
  sim->n_params = n_params;
  sim->n_endpoints = cart_model_n_endpoints(model);
  for (size_t i = 0; targets != NULL && i < targets->n_targets; i++) {
    const cartp_target *t = &targets->targets[i];
    int first;
    const int column = value_at_column(targets, i, &first);
    if (column >= 0 && first && column < CARTP_MAX_VALUES_AT) {
      sim->value_at_index[column] = cartp_model_extended_index(model, t->argument);
      sim->value_at_day[column] = t->at;
      sim->n_values_at = (size_t)column + 1;
    }
  }
  sim->n_columns = sim->n_endpoints + sim->n_values_at;
  for (size_t e = 0; e < CART_N_ENDPOINTS; e++) {
    cart_endpoint_info info;
    cart_endpoint_get_info(e, &info);
    sim->oncology_column[e] = cart_model_endpoint_index(model, info.name);
  }
  sim->status = malloc(n * sizeof *sim->status);
  sim->endpoints = malloc(n * (sim->n_columns ? sim->n_columns : 1) * sizeof *sim->endpoints);
  sim->params = malloc(n * (n_params ? n_params : 1) * sizeof *sim->params);
  sim->scratch = malloc(n * sizeof *sim->scratch);
  sim->scratch2 = malloc(2 * n * sizeof *sim->scratch2);
  if (!sim->status || !sim->endpoints || !sim->params || !sim->scratch || !sim->scratch2) {
    cartp_sim_clear(sim);
    return cartp_error(err, CART_ENOMEM, "out of memory for the statistics of %zu patients", n);
  }
  return CART_OK;
}

void cartp_sim_clear(cartp_sim *sim)
{
  free(sim->status);
  free(sim->endpoints);
  free(sim->params);
  free(sim->scratch);
  free(sim->scratch2);
  memset(sim, 0, sizeof *sim);
}

/* Patients per block: bounds the memory of the trajectories the trial keeps. */
#define SIM_BLOCK 2048

int cartp_sim_run(cartp_sim *sim, cart_trial *trial, int n_threads, cart_error *err)
{
  const size_t n = cart_trial_n_patients(trial);
  if (n != sim->n) {
    return cartp_error(err, CART_EINVAL, "statistics for %zu patients, trial of %zu", sim->n, n);
  }
  /* the values at days, for this run only; then the fit changed the population since the last
   * run */
  int status = cartp_trial_set_values_at(trial, sim->n_values_at, sim->value_at_index,
                                         sim->value_at_day);
  if (status == CART_OK) {
    status = cart_trial_prepare(trial);
  }
  if (status != CART_OK) {
    cartp_error_copy(err, cart_trial_last_error(trial));
    cartp_trial_set_values_at(trial, 0, NULL, NULL);
    return status;
  }
  const size_t capacity = n < SIM_BLOCK ? n : SIM_BLOCK;
  cart_trial_block *block = cart_trial_block_new(trial, capacity, err);
  cart_trial_workspace *workspace =
      block != NULL ? cart_trial_workspace_new(trial, n_threads, err) : NULL;
  if (workspace == NULL) {
    cart_trial_block_free(block);
    cartp_trial_set_values_at(trial, 0, NULL, NULL);
    return err != NULL ? err->code : CART_ENOMEM;
  }
  for (size_t first = 0; first < n && status == CART_OK; first += capacity) {
    const size_t count = n - first < capacity ? n - first : capacity;
    status = cart_trial_run_block(trial, workspace, first, count, block);
    if (status != CART_OK) {
      cartp_error_copy(err, cart_trial_workspace_last_error(workspace));
      break;
    }
    memcpy(sim->status + first, block->status, count * sizeof *sim->status);
    for (size_t k = 0; k < count; k++) {
      double *row = sim->endpoints + (first + k) * sim->n_columns;
      memcpy(row, block->endpoints + k * sim->n_endpoints, sim->n_endpoints * sizeof *row);
      if (sim->n_values_at > 0) {
        memcpy(row + sim->n_endpoints, block->values_at + k * sim->n_values_at,
               sim->n_values_at * sizeof *row);
      }
    }
    memcpy(sim->params + first * sim->n_params, block->params,
           count * sim->n_params * sizeof *sim->params);
  }
  cart_trial_workspace_free(workspace);
  cart_trial_block_free(block);
  if (sim->n_values_at > 0) { /* the trial as the caller gave it (prepared again by the next run) */
    cartp_trial_set_values_at(trial, 0, NULL, NULL);
  }
  return status;
}

static int compare_doubles(const void *a, const void *b)
{
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* (value, index) pairs: by value, ties by patient index, so terciles are deterministic. */
static int compare_pairs(const void *a, const void *b)
{
  const double *x = a, *y = b;
  if (x[0] != y[0]) {
    return (x[0] > y[0]) - (x[0] < y[0]);
  }
  return (x[1] > y[1]) - (x[1] < y[1]);
}

/* Quantile q of sorted[0..m), numpy's default linear rule (as cart_trial_summary), and its
 * Monte-Carlo SE from the order statistics' binomial 95 % interval: the ranks m q -+ 1.96
 * sqrt(m q (1 - q)) bracket the quantile with about 95 % probability (the distribution-free
 * interval of, e.g., Conover, Practical Nonparametric Statistics, 3rd ed., 1999, 3.2), so
 * (x[hi] - x[lo]) / (2 1.96) estimates its SE without a bootstrap. */
static double quantile(const double *sorted, size_t m, double q, double *se)
{
  if (m == 0) {
    *se = NAN;
    return NAN;
  }
  const double position = q * (double)(m - 1);
  const size_t below = (size_t)floor(position);
  const size_t above = below + 1 < m ? below + 1 : below;
  const double value = sorted[below] + (position - (double)below) * (sorted[above] - sorted[below]);
  const double spread = CARTP_Z95 * sqrt((double)m * q * (1 - q));
  const double lo_rank = floor((double)m * q - spread), hi_rank = ceil((double)m * q + spread);
  const size_t lo = lo_rank < 0 ? 0 : (size_t)lo_rank;
  const size_t hi = hi_rank > (double)(m - 1) ? m - 1 : (size_t)hi_rank;
  *se = (sorted[hi] - sorted[lo]) / (2 * CARTP_Z95);
  return value;
}

static double rate(size_t k, size_t n, double *se)
{
  if (n == 0) {
    *se = NAN;
    return NAN;
  }
  const double p = (double)k / (double)n;
  *se = sqrt(p * (1 - p) / (double)n);
  return p;
}

/* Endpoint e of cart's list (which the oncology statistics read) of patient i, NaN when the
 * model has none (cart_targets_check refuses a statistic whose endpoints the model lacks). */
static double sim_value(const cartp_sim *sim, size_t i, int e)
{
  const int column = sim->oncology_column[e];
  return column < 0 ? NAN : sim->endpoints[i * sim->n_columns + (size_t)column];
}

/* Sorted values of the model's endpoint `column` of solved patients, NaN left out;
 * `response_filter`: -1 all, 0 non-responders, 1 responders. Returns how many. */
static size_t sorted_endpoint(const cartp_sim *sim, int column, int response_filter, double *out)
{
  size_t m = 0;
  const int response_column = sim->oncology_column[CART_ENDPOINT_RESPONSE];
  for (size_t i = 0; column >= 0 && i < sim->n; i++) {
    const double *row = sim->endpoints + i * sim->n_columns;
    if (sim->status[i] != CART_OK || isnan(row[column])) {
      continue;
    }
    const double response = response_column < 0 ? NAN : row[response_column];
    if ((response_filter == 0 && !(response == 0)) || (response_filter == 1 && !(response >= 1))) {
      continue;
    }
    out[m++] = row[column];
  }
  qsort(out, m, sizeof *out, compare_doubles);
  return m;
}

/* Whether x compares with X as fraction() asks (NaN: never). */
static int meets(double x, cart_comparison comparison, double threshold)
{
  switch (comparison) {
  case CART_COMPARE_GE: return x >= threshold;
  case CART_COMPARE_GT: return x > threshold;
  case CART_COMPARE_LE: return x <= threshold;
  case CART_COMPARE_LT: return x < threshold;
  case CART_COMPARE_EQ: return x == threshold;
  default: return 0;
  }
}

/* Mean of the model's endpoint `column` over the solved patients with a number, in patient
 * order (a compensated sum, as the trial summary's), and its Monte-Carlo SE s / sqrt(m). */
static double endpoint_mean(const cartp_sim *sim, int column, double *se)
{
  size_t m = 0;
  cartp_sum sum = {0, 0};
  for (size_t i = 0; i < sim->n; i++) {
    const double x = sim->endpoints[i * sim->n_columns + (size_t)column];
    if (sim->status[i] != CART_OK || isnan(x)) {
      continue;
    }
    m++;
    cartp_sum_add(&sum, x);
  }
  if (m == 0) {
    *se = NAN;
    return NAN;
  }
  const double mean = cartp_sum_value(&sum) / (double)m;
  double squares = 0;
  for (size_t i = 0; i < sim->n; i++) {
    const double x = sim->endpoints[i * sim->n_columns + (size_t)column];
    if (sim->status[i] == CART_OK && !isnan(x)) {
      squares += (x - mean) * (x - mean);
    }
  }
  *se = m > 1 ? sqrt(squares / (double)(m - 1) / (double)m) : NAN;
  return mean;
}

static double statistic(const cartp_target *t, int index, cartp_sim *sim, double *se)
{
  size_t solved = 0, k = 0, n_cr = 0, k2 = 0;
  switch (t->statistic) {
  case CART_STAT_QUANTILE: {
    const size_t m = sorted_endpoint(sim, index, -1, sim->scratch);
    return quantile(sim->scratch, m, t->q, se);
  }
  case CART_STAT_MEAN: return endpoint_mean(sim, index, se);
  case CART_STAT_MEDIAN_RATIO: {
    double se_nr, se_r;
    size_t m = sorted_endpoint(sim, index, 0, sim->scratch);
    const double nr = quantile(sim->scratch, m, 0.5, &se_nr);
    m = sorted_endpoint(sim, index, 1, sim->scratch);
    const double r = quantile(sim->scratch, m, 0.5, &se_r);
    const double ratio = nr / r;
    /* delta method on the log of the ratio */
    *se = fabs(ratio) * sqrt(pow(se_nr / nr, 2) + pow(se_r / r, 2));
    return ratio;
  }
  case CART_STAT_CR_TERCILE_DIFF: {
    double *pairs = sim->scratch2;
    size_t m = 0;
    for (size_t i = 0; i < sim->n; i++) {
      if (sim->status[i] == CART_OK) {
        pairs[2 * m] = sim->params[i * sim->n_params + (size_t)index];
        pairs[2 * m + 1] = (double)i;
        m++;
      }
    }
    qsort(pairs, m, 2 * sizeof *pairs, compare_pairs);
    const size_t third = m / 3;
    if (third == 0) {
      *se = NAN;
      return NAN;
    }
    size_t cr_low = 0, cr_high = 0;
    for (size_t j = 0; j < third; j++) {
      const size_t low = (size_t)pairs[2 * j + 1], high = (size_t)pairs[2 * (m - 1 - j) + 1];
      cr_low += sim_value(sim, low, CART_ENDPOINT_RESPONSE) == 2;
      cr_high += sim_value(sim, high, CART_ENDPOINT_RESPONSE) == 2;
    }
    double se_low, se_high;
    const double p_low = rate(cr_low, third, &se_low), p_high = rate(cr_high, third, &se_high);
    *se = sqrt(se_low * se_low + se_high * se_high);
    return p_high - p_low;
  }
  default:
    break;
  }
  /* the rates: one pass over the solved patients */
  for (size_t i = 0; i < sim->n; i++) {
    if (sim->status[i] != CART_OK) {
      continue;
    }
    solved++;
    const double response = sim_value(sim, i, CART_ENDPOINT_RESPONSE);
    const double grade = sim_value(sim, i, CART_ENDPOINT_CRS_GRADE);
    const int cr = response == 2;
    /* NaN: no relapse */
    const int relapsed = cr && sim_value(sim, i, CART_ENDPOINT_RELAPSE_DAY) <= t->day;
    n_cr += cr;
    switch (t->statistic) {
    case CART_STAT_ORR: k += response >= 1; break;
    case CART_STAT_CR: k += cr; break;
    case CART_STAT_PR: k += response == 1; break;
    case CART_STAT_CRS_ANY: k += grade >= 1; break;
    case CART_STAT_CRS_GRADE2: k += grade >= 2; break;
    case CART_STAT_CRS_GRADE3: k += grade >= 3; break;
    case CART_STAT_TOCI: k += sim_value(sim, i, CART_ENDPOINT_TOCI_DOSES) >= 1; break;
    case CART_STAT_RELAPSE_CR: k += relapsed; break;
    case CART_STAT_RELAPSE_NEGATIVE:
      k += relapsed;
      k2 += relapsed && sim_value(sim, i, CART_ENDPOINT_RELAPSE_NEGATIVE) == 1;
      break;
    case CART_STAT_DURABLE_CR: k += cr && !relapsed; break;
    case CART_STAT_FRACTION:
      k += meets(sim->endpoints[i * sim->n_columns + (size_t)index], t->comparison,
                 t->threshold);
      break;
    default: break;
    }
  }
  switch (t->statistic) {
  case CART_STAT_RELAPSE_CR: return rate(k, n_cr, se);
  case CART_STAT_RELAPSE_NEGATIVE: return rate(k2, k, se);
  default: return rate(k, solved, se);
  }
}

void cartp_target_index(const cart_targets *targets, const cart_model *model, int *index)
{
  for (size_t i = 0; i < targets->n_targets; i++) {
    const cartp_target *t = &targets->targets[i];
    int first;
    const int value_at = value_at_column(targets, i, &first);
    index[i] = t->statistic == CART_STAT_CR_TERCILE_DIFF
                   ? cart_model_param_index(model, t->argument)
               : value_at >= 0 ? (int)cart_model_n_endpoints(model) + value_at
               : names_endpoint(t->statistic) ? cart_model_endpoint_index(model, t->argument)
                                              : -1;
  }
}

void cartp_statistics(const cart_targets *targets, const int *index, cartp_sim *sim,
                      double *values, double *mc_se)
{
  for (size_t i = 0; i < targets->n_targets; i++) {
    double se;
    values[i] = statistic(&targets->targets[i], index[i], sim, &se);
    if (mc_se != NULL) {
      mc_se[i] = se;
    }
  }
}

int cart_targets_simulate(const cart_targets *targets, cart_trial *trial, int n_threads,
                          double *simulated, double *mc_se, cart_error *err)
{
  if (targets == NULL || trial == NULL || simulated == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_targets_simulate: NULL argument");
  }
  int status = cart_targets_check(targets, trial, err);
  if (status != CART_OK) {
    return status;
  }
  const cart_model *model = cart_trial_model(trial);
  int *index = malloc((targets->n_targets ? targets->n_targets : 1) * sizeof *index);
  cartp_sim sim;
  status = index ? cartp_sim_init(&sim, cart_trial_n_patients(trial), targets, model, err)
                 : cartp_error(err, CART_ENOMEM, "out of memory");
  if (status == CART_OK) {
    cartp_target_index(targets, model, index);
    status = cartp_sim_run(&sim, trial, n_threads, err);
    if (status == CART_OK) {
      cartp_statistics(targets, index, &sim, simulated, mc_se);
      cart_error_clear(err);
    }
    cartp_sim_clear(&sim);
  }
  free(index);
  return status;
}
