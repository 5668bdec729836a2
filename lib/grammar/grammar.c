/* grammar.c: the text forms of doses, the tocilizumab rule and output times (cart_grammar.h), the
 * one reader behind `cart run`, the scenario loader and Python's solve(). */
#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart_grammar.h>
#include <cart/cart_trial.h>

#include "../util/error.h"
#include "../util/text.h"

/* Hours per day: the unit of the hours of the text forms (HOURS, INTERVAL_H, DELAY_H). */
double cart_days_from_hours(double hours)
{
  return hours / CART_HOURS_PER_DAY;
}

/* Room for one field of a text form; a longer field is reported (shortened), never cut and
 * read as another number. */
enum { FIELD_SIZE = 128 };

enum field_kind { FIELD_NUMBER, FIELD_NOT_NUMBER, FIELD_NOT_FINITE };

/* The field of *cursor up to `separator` (or the end) without blanks around it, in `field`, and
 * what it is, with its value in *value; *cursor moves past the separator, or becomes NULL after
 * the last field. */
static enum field_kind next_field(const char **cursor, char separator, char field[FIELD_SIZE],
                                  double *value)
{
  const char *stop = strchr(*cursor, separator);
  const char *a = *cursor, *b = stop ? stop : *cursor + strlen(*cursor);
  cartp_trim(&a, &b);
  *cursor = stop ? stop + 1 : NULL;
  snprintf(field, FIELD_SIZE, "%.*s", (int)(b - a), a);
  if (b - a >= FIELD_SIZE || cartp_parse_double(field, value) != 0) {
    return FIELD_NOT_NUMBER;
  }
  return isfinite(*value) ? FIELD_NUMBER : FIELD_NOT_FINITE;
}

/* `text` as `least` to `most` numbers separated by ':' into values. Returns how many, or
 * CART_EPARSE with a message that names the field at fault, or `syntax` when fields are missing,
 * empty or too many. */
static int read_fields(const char *text, double *values, int least, int most, const char *syntax,
                       cart_error *err)
{
  if (text == NULL) {
    return cartp_error(err, CART_EINVAL, "no text (expected %s)", syntax);
  }
  int n = 0;
  for (const char *cursor = text; cursor != NULL; n++) {
    char field[FIELD_SIZE];
    double value = 0.0;
    const enum field_kind kind = next_field(&cursor, ':', field, &value);
    if (n == most || (kind == FIELD_NOT_NUMBER && field[0] == '\0')) {
      return cartp_error(err, CART_EPARSE, "expected %s", syntax);
    }
    if (kind == FIELD_NOT_NUMBER) {
      return cartp_error(err, CART_EPARSE, "'%s' is not a number (expected %s)", field, syntax);
    }
    if (kind == FIELD_NOT_FINITE) {
      return cartp_error(err, CART_EPARSE, "'%s' is not a finite number", field);
    }
    values[n] = value;
  }
  return n < least ? cartp_error(err, CART_EPARSE, "expected %s", syntax) : n;
}

int cart_parse_cart_dose(const char *text, cart_cart_dose *dose, cart_error *err)
{
  double f[3];
  const int n = read_fields(text, f, 2, 3, "TIME:CELLS[:FMEM]", err);
  if (n < 0) {
    return n;
  }
  if (n == 3 && !(f[2] >= 0 && f[2] <= 1)) {
    /* here, not only in cart_dosing_add_cart: FMEM "nan" would pass as CART_FMEM_FROM_PARAMS */
    return cartp_error(err, CART_EDOSE, "f_mem %g is outside [0, 1]", f[2]);
  }
  dose->time = f[0];
  dose->cells = f[1];
  dose->f_mem = n == 3 ? f[2] : CART_FMEM_FROM_PARAMS;
  cart_error_clear(err);
  return CART_OK;
}

int cart_parse_toci_dose(const char *text, cart_toci_dose *dose, cart_error *err)
{
  double f[4];
  const int n = read_fields(text, f, 2, 4, "TIME:MG_PER_KG[:HOURS[:CAP_MG]]", err);
  if (n < 0) {
    return n;
  }
  dose->time = f[0];
  dose->mg_per_kg = f[1];
  dose->duration_day = n >= 3 ? cart_days_from_hours(f[2]) : CART_TOCI_DURATION_DAY_DEFAULT;
  dose->cap_mg = n >= 4 ? f[3] : CART_TOCI_CAP_MG_DEFAULT;
  cart_error_clear(err);
  return CART_OK;
}

int cart_parse_toci_rule(const char *text, cart_toci_rule *rule, cart_error *err)
{
  cart_toci_rule_default(rule);
  if (text != NULL && (strcmp(text, "on") == 0 || strcmp(text, "off") == 0)) {
    rule->enabled = text[1] == 'n';
    cart_error_clear(err);
    return CART_OK;
  }
  double f[5];
  const int n = read_fields(text, f, 1, 5,
                            "on, off or TRIGGER[:INTERVAL_H[:MAX_DOSES[:MG_PER_KG[:DELAY_H]]]]",
                            err);
  if (n < 0) {
    return n;
  }
  if (n >= 3 && (f[2] != floor(f[2]) || f[2] < 1 || f[2] > CART_TOCI_RULE_MAX_DOSES)) {
    return cartp_error(err, CART_EDOSE, "MAX_DOSES must be a whole number 1..%d",
                       CART_TOCI_RULE_MAX_DOSES);
  }
  rule->trigger = f[0];
  rule->interval_day = n >= 2 ? cart_days_from_hours(f[1]) : rule->interval_day;
  rule->max_doses = n >= 3 ? (int)f[2] : rule->max_doses;
  rule->mg_per_kg = n >= 4 ? f[3] : rule->mg_per_kg;
  rule->delay_day = n >= 5 ? cart_days_from_hours(f[4]) : rule->delay_day;
  cart_error_clear(err);
  return CART_OK;
}

int cart_parse_time_list(const char *text, double *times, size_t capacity, size_t *n_times,
                         cart_error *err)
{
  if (text == NULL || n_times == NULL || (times == NULL && capacity > 0)) {
    return cartp_error(err, CART_EINVAL, "cart_parse_time_list: NULL argument");
  }
  size_t n = 0;
  for (const char *cursor = text; cursor != NULL; n++) {
    char field[FIELD_SIZE];
    double value = 0.0;
    const enum field_kind kind = next_field(&cursor, ',', field, &value);
    if (kind != FIELD_NUMBER) {
      return cartp_error(err, CART_EPARSE, "'%s' is not a %snumber", field,
                         kind == FIELD_NOT_FINITE ? "finite " : "");
    }
    if (n < capacity) {
      times[n] = value;
    }
  }
  *n_times = n;
  cart_error_clear(err);
  return CART_OK;
}

int cart_parse_times(const char *text, double *times, size_t capacity, size_t *n_times,
                     cart_error *err)
{
  if (text == NULL || strchr(text, ':') == NULL) {
    return cart_parse_time_list(text, times, capacity, n_times, err);
  }
  if (n_times == NULL || (times == NULL && capacity > 0)) {
    return cartp_error(err, CART_EINVAL, "cart_parse_times: NULL argument");
  }
  double f[3];
  if (read_fields(text, f, 3, 3, "A:B:STEP", NULL) != 3 || !(f[2] > 0) || f[1] < f[0] ||
      f[0] < 0) {
    return cartp_error(err, CART_ETIMES, "expected A:B:STEP with 0 <= A <= B and STEP > 0");
  }
  /* the end B within rounding counts, and is then taken exactly */
  const double count = floor((f[1] - f[0]) / f[2] * (1 + 1e-12)) + 1;
  if (count > CART_MAX_OUTPUT_TIMES) {
    return cartp_error(err, CART_ETIMES, "more than %d output times", CART_MAX_OUTPUT_TIMES);
  }
  const size_t n = (size_t)count;
  for (size_t k = 0; k < n && k < capacity; k++) {
    times[k] = f[0] + (double)k * f[2];
  }
  if (n <= capacity && fabs(times[n - 1] - f[1]) <= 1e-9 * (1 + fabs(f[1]))) {
    times[n - 1] = f[1];
  }
  *n_times = n;
  cart_error_clear(err);
  return CART_OK;
}

int cart_cart_dose_is_initial(const cart_model *model, double time)
{
  return model != NULL && time == 0.0 && cart_model_param_index(model, "dose") >= 0;
}

int cart_dose_give_cart(cart_params *params, cart_dosing *dosing, const cart_cart_dose *dose,
                        int *initial_given, cart_error *err)
{
  if (params == NULL || dosing == NULL || dose == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_dose_give_cart: NULL argument");
  }
  if (!cart_cart_dose_is_initial(cart_params_model(params), dose->time)) {
    const int status = cart_dosing_add_cart(dosing, dose->time, dose->cells, dose->f_mem);
    return status == CART_OK ? (cart_error_clear(err), CART_OK)
                             : cartp_error_copy(err, cart_dosing_last_error(dosing));
  }
  if (initial_given != NULL && *initial_given) {
    return cartp_error(err, CART_EDOSE, "a CAR-T dose at t = 0 was already given");
  }
  if (cart_params_set(params, "dose", dose->cells) != CART_OK ||
      (!isnan(dose->f_mem) &&
       cart_params_set(params, "f_mem", dose->f_mem) != CART_OK)) {
    /* a bad amount is a bad dose, whatever the parameter's own code */
    return cartp_error(err, CART_EDOSE, "%s", cart_params_last_error(params)->message);
  }
  if (initial_given != NULL) {
    *initial_given = 1;
  }
  cart_error_clear(err);
  return CART_OK;
}

/* ---- tables (cart_parse_table) ---- */

void cart_table_free(cart_table *table)
{
  if (table != NULL) {
    for (size_t c = 0; table->names != NULL && c < table->n_columns; c++) {
      free(table->names[c]);
    }
    free(table->names);
    free(table->values);
    for (size_t k = 0; table->labels != NULL && k < table->n_rows * table->n_label_columns;
         k++) {
      free(table->labels[k]);
    }
    for (size_t c = 0; table->label_names != NULL && c < table->n_label_columns; c++) {
      free(table->label_names[c]);
    }
    free(table->labels);
    free(table->label_names);
    free(table->lines);
    free(table);
  }
}

/* The next line of *cursor: [*start, *end) without its newline; NULL at the end of the text. */
static const char *next_line(const char **cursor, const char **end)
{
  const char *start = *cursor;
  if (*start == '\0') {
    return NULL;
  }
  const char *newline = strchr(start, '\n');
  *end = newline ? newline : start + strlen(start);
  *cursor = newline ? newline + 1 : *end;
  return start;
}

static int is_skipped(const char *start, const char *end)
{
  cartp_trim(&start, &end);
  return start == end || *start == '#';
}

/* The fields of [line, line_end) separated by `separator`, each trimmed and without enclosing
 * double quotes, into starts/ends: 0, or -1 when there are more than `capacity`. */
static int split_fields(const char *line, const char *line_end, char separator,
                        const char **starts, const char **ends, size_t capacity, size_t *count)
{
  size_t n = 0;
  const char *p = line;
  for (;;) {
    const char *comma = memchr(p, separator, (size_t)(line_end - p));
    const char *field_end = comma ? comma : line_end;
    if (n == capacity) {
      return -1;
    }
    const char *a = p, *b = field_end;
    cartp_trim(&a, &b);
    if (b - a >= 2 && *a == '"' && b[-1] == '"') {
      a++;
      b--;
    }
    starts[n] = a;
    ends[n] = b;
    n++;
    if (comma == NULL) {
      break;
    }
    p = comma + 1;
  }
  *count = n;
  return 0;
}

/* Whether [a, b) is `name` (any case). */
static int is_name(const char *a, const char *b, const char *name)
{
  const size_t length = strlen(name);
  size_t i = 0;
  while (i < length && (ptrdiff_t)i < b - a &&
         tolower((unsigned char)a[i]) == tolower((unsigned char)name[i])) {
    i++;
  }
  return i == length && (ptrdiff_t)length == b - a;
}

/* A copy of [a, b) as a string, or NULL. */
static char *copy_span(const char *a, const char *b)
{
  const size_t length = (size_t)(b - a);
  char *s = malloc(length + 1);
  if (s != NULL) {
    memcpy(s, a, length);
    s[length] = '\0';
  }
  return s;
}

static const char *const id_label[] = {"id", NULL};

int cart_parse_table(const char *text, const char *source, cart_table **table, cart_error *err)
{
  return cart_parse_table_labels(text, source, id_label, ',', table, err);
}

int cart_parse_table_labels(const char *text, const char *source,
                            const char *const *label_columns, char separator,
                            cart_table **table, cart_error *err)
{
  if (text == NULL || table == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_parse_table: NULL argument");
  }
  *table = NULL;
  source = source ? source : "<table>";
  const char *cursor = text, *end = NULL, *line;
  int line_no = 0;
  while ((line = next_line(&cursor, &end)) != NULL && (line_no++, is_skipped(line, end))) {
  }
  if (line == NULL) {
    return cartp_error(err, CART_EPARSE, "%s: no header line (the names of the columns)",
                       source);
  }
  enum { CAP_LABELS = 8 };
  enum { CAP = CART_TABLE_MAX_COLUMNS + CAP_LABELS + 1 }; /* label columns, one to see too many */
  const char *starts[CAP], *ends[CAP];
  size_t n_fields = 0;
  const int split = split_fields(line, end, separator, starts, ends, CAP, &n_fields);
  /* The label columns: the first column of each name of label_columns, at most CAP_LABELS of
   * them, the names listed first when the header has more (a later one stays a number column);
   * they do not count against the limit, and keep the header's order. */
  int label_of[CAP]; /* the label slot of field f, -1 for a number column */
  size_t n_labels = 0;
  for (size_t f = 0; split == 0 && f < n_fields; f++) {
    label_of[f] = -1;
  }
  for (size_t k = 0; split == 0 && label_columns != NULL && label_columns[k] != NULL &&
                     n_labels < CAP_LABELS;
       k++) {
    for (size_t f = 0; f < n_fields; f++) {
      if (label_of[f] < 0 && is_name(starts[f], ends[f], label_columns[k])) {
        label_of[f] = 0; /* chosen; its slot below */
        n_labels++;
        break;
      }
    }
  }
  for (size_t f = 0, slot = 0; split == 0 && f < n_fields; f++) {
    if (label_of[f] >= 0) {
      label_of[f] = (int)slot++;
    }
  }
  if (split != 0 || n_fields - n_labels > CART_TABLE_MAX_COLUMNS) {
    return cartp_error(err, CART_ERANGE, "%s:%d: more than %d columns", source, line_no,
                       CART_TABLE_MAX_COLUMNS);
  }
  cart_table *t = calloc(1, sizeof *t);
  if (t != NULL) {
    t->header_line = line_no;
  }
  if (t == NULL || (t->names = calloc(n_fields, sizeof *t->names)) == NULL ||
      (n_labels > 0 && (t->label_names = calloc(n_labels, sizeof *t->label_names)) == NULL)) {
    cart_table_free(t);
    return cartp_error(err, CART_ENOMEM, "%s: out of memory", source);
  }
  for (size_t f = 0; f < n_fields; f++) {
    const size_t length = (size_t)(ends[f] - starts[f]);
    if (length == 0) {
      cart_table_free(t);
      return cartp_error(err, CART_EPARSE, "%s:%d: column %zu has no name", source, line_no,
                         f + 1);
    }
    if (label_of[f] >= 0) {
      if ((t->label_names[t->n_label_columns] = copy_span(starts[f], ends[f])) == NULL) {
        cart_table_free(t);
        return cartp_error(err, CART_ENOMEM, "%s: out of memory", source);
      }
      t->n_label_columns++;
      continue;
    }
    for (size_t c = 0; c < t->n_columns; c++) {
      if (strlen(t->names[c]) == length && strncmp(t->names[c], starts[f], length) == 0) {
        const int shown = (int)length;
        cart_table_free(t);
        return cartp_error(err, CART_EPARSE, "%s:%d: column '%.*s' is named twice", source,
                           line_no, shown, starts[f]);
      }
    }
    char *name = copy_span(starts[f], ends[f]);
    if (name == NULL) {
      cart_table_free(t);
      return cartp_error(err, CART_ENOMEM, "%s: out of memory", source);
    }
    t->names[t->n_columns++] = name;
  }
  size_t capacity = 0;
  while ((line = next_line(&cursor, &end)) != NULL) {
    line_no++;
    if (is_skipped(line, end)) {
      continue;
    }
    size_t n = 0;
    if (split_fields(line, end, separator, starts, ends, CAP, &n) != 0 || n != n_fields) {
      cart_table_free(t);
      return cartp_error(err, CART_EPARSE, "%s:%d: %s fields where the header has %zu", source,
                         line_no, n == n_fields ? "more" : "a different number of", n_fields);
    }
    if (t->n_rows == CART_TABLE_MAX_ROWS) {
      cart_table_free(t);
      return cartp_error(err, CART_ERANGE, "%s:%d: more than %d rows", source, line_no,
                         CART_TABLE_MAX_ROWS);
    }
    if (t->n_rows == capacity) {
      const size_t grown = capacity ? 2 * capacity : 64;
      double *values = realloc(t->values, grown * (t->n_columns ? t->n_columns : 1) *
                                              sizeof *values);
      if (values != NULL) {
        t->values = values;
      }
      int *lines = values ? realloc(t->lines, grown * sizeof *lines) : NULL;
      if (lines != NULL) {
        t->lines = lines;
      }
      char **labels = lines && n_labels > 0
                          ? realloc(t->labels, grown * n_labels * sizeof *labels)
                          : NULL;
      if (labels != NULL) {
        t->labels = labels;
      }
      if (values == NULL || lines == NULL || (n_labels > 0 && labels == NULL)) {
        cart_table_free(t);
        return cartp_error(err, CART_ENOMEM, "%s: out of memory at row %zu", source,
                           t->n_rows + 1);
      }
      capacity = grown;
    }
    double *row = t->values + t->n_rows * t->n_columns;
    char **row_labels = t->labels ? t->labels + t->n_rows * n_labels : NULL;
    for (size_t l = 0; l < n_labels; l++) {
      row_labels[l] = NULL;
    }
    t->lines[t->n_rows] = line_no;
    t->n_rows++; /* counted now so that cart_table_free frees its labels */
    size_t c = 0;
    for (size_t f = 0; f < n; f++) {
      if (label_of[f] >= 0) {
        if ((row_labels[label_of[f]] = copy_span(starts[f], ends[f])) == NULL) {
          cart_table_free(t);
          return cartp_error(err, CART_ENOMEM, "%s: out of memory", source);
        }
        continue;
      }
      char field[FIELD_SIZE];
      const size_t length = (size_t)(ends[f] - starts[f]);
      double v = NAN;
      if (length < sizeof field) {
        memcpy(field, starts[f], length);
        field[length] = '\0';
      }
      if (length >= sizeof field || cartp_parse_double(field, &v) != 0 || !isfinite(v)) {
        const int shown = (int)(length < 40 ? length : 40);
        const char *name = t->names[c];
        const int at_line = line_no;
        cartp_error(err, CART_EPARSE, "%s:%d: column '%s': '%.*s' is not a finite number",
                    source, at_line, name, shown, starts[f]);
        cart_table_free(t);
        return CART_EPARSE;
      }
      row[c++] = v;
    }
  }
  if (t->n_rows == 0) {
    cart_table_free(t);
    return cartp_error(err, CART_EPARSE, "%s: the table has a header but no rows", source);
  }
  if (t->n_columns == 0) { /* labels only: no parameter to give any patient */
    cart_table_free(t);
    return cartp_error(err, CART_EPARSE, "%s: the table has no column besides %s",
                       source, label_columns == id_label ? "id" : "its labels");
  }
  *table = t;
  cart_error_clear(err);
  return CART_OK;
}

int cart_parse_sensitivity_range(const char *text, char *name, cart_sensitivity_param *param,
                                 int *from_scenario, cart_error *err)
{
  static const char syntax[] = "NAME=LOWER:UPPER, NAME=LOWER:UPPER:log or NAME=scenario";
  if (text == NULL || name == NULL || param == NULL || from_scenario == NULL) {
    return cartp_error(err, CART_EINVAL, "no text (expected %s)", syntax);
  }
  const char *equals = strchr(text, '=');
  const char *a = text, *b = equals ? equals : text + strlen(text);
  cartp_trim(&a, &b);
  if (equals == NULL || a == b) {
    return cartp_error(err, CART_EPARSE, "'%s': expected %s", text, syntax);
  }
  if (b - a >= CART_RANGE_NAME_SIZE) {
    return cartp_error(err, CART_EPARSE, "'%s': the name is longer than %d characters", text,
                       CART_RANGE_NAME_SIZE - 1);
  }
  snprintf(name, CART_RANGE_NAME_SIZE, "%.*s", (int)(b - a), a);
  memset(param, 0, sizeof *param);
  param->name = name;
  /* the value, blanks dropped, and a ":log" at its end */
  char value[2 * FIELD_SIZE];
  const char *v = equals + 1, *w = v + strlen(v);
  cartp_trim(&v, &w);
  if (w - v >= (long)sizeof value) {
    return cartp_error(err, CART_EPARSE, "%s: the range is too long (expected %s)", name, syntax);
  }
  snprintf(value, sizeof value, "%.*s", (int)(w - v), v);
  *from_scenario = strcmp(value, "scenario") == 0;
  if (*from_scenario) {
    cart_error_clear(err);
    return CART_OK;
  }
  param->distribution = CART_SENSITIVITY_UNIFORM;
  char *last = strrchr(value, ':');
  if (last != NULL) {
    const char *k = last + 1, *end = last + strlen(last);
    cartp_trim(&k, &end);
    if (end - k == 3 && strncmp(k, "log", 3) == 0) {
      param->distribution = CART_SENSITIVITY_LOG_UNIFORM;
      *last = '\0';
    }
  }
  double f[2];
  cart_error field_error;
  if (read_fields(value, f, 2, 2, syntax, &field_error) < 0) {
    return cartp_error(err, CART_EPARSE, "%s: %s", name, field_error.message);
  }
  param->lower = f[0];
  param->upper = f[1];
  cart_error_clear(err);
  return CART_OK;
}
