/* event_table.c: event tables in the NONMEM/rxode2 layout (cart_parse_event_table, cart_grammar.h),
 * the one reader behind Python's and R's events= and `cart run --event-table`. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart_grammar.h>

#include "../util/error.h"
#include "../util/text.h"

/* The columns read; every other column is ignored. */
enum { COL_TIME, COL_AMT, COL_CMT, COL_EVID, COL_DUR, COL_RATE, COL_II, COL_ADDL, COL_FMEM,
       COL_CAP_MG, COL_SS, COL_ID, N_KNOWN };
static const char *const known[N_KNOWN] = {"time", "amt",  "cmt",  "evid",   "dur", "rate",
                                           "ii",   "addl", "fmem", "cap_mg", "ss",  "id"};

static const char *const cart_names[] = {"cart", "car-t", "cart_cells", NULL};
static const char *const toci_names[] = {"toci", "tocilizumab", NULL};

/* One line's fields: copies, trimmed, without their quotes. */
typedef struct fields {
  size_t n, capacity;
  char **text;
} fields;

static void fields_clear(fields *f)
{
  for (size_t i = 0; i < f->n; i++) {
    free(f->text[i]);
  }
  f->n = 0;
}

/* Splits [line, end) at commas outside double quotes ("" inside quotes is one quote): CART_OK or
 * CART_ENOMEM. */
static int split_line(const char *line, const char *end, fields *f)
{
  fields_clear(f);
  const char *p = line;
  for (;;) {
    const size_t room = (size_t)(end - p) + 1;
    char *out = malloc(room);
    if (out == NULL) {
      return CART_ENOMEM;
    }
    size_t n = 0;
    int quoted = 0;
    while (p < end && (quoted || *p != ',')) {
      if (*p == '"') {
        if (quoted && p + 1 < end && p[1] == '"') {
          out[n++] = '"';
          p += 2;
          continue;
        }
        quoted = !quoted;
        p++;
        continue;
      }
      out[n++] = *p++;
    }
    out[n] = '\0';
    const char *a = out, *b = out + n;
    cartp_trim(&a, &b);
    memmove(out, a, (size_t)(b - a));
    out[b - a] = '\0';
    if (f->n == f->capacity) {
      const size_t capacity = f->capacity ? 2 * f->capacity : 16;
      char **grown = realloc(f->text, capacity * sizeof *grown);
      if (grown == NULL) {
        free(out);
        return CART_ENOMEM;
      }
      f->text = grown;
      f->capacity = capacity;
    }
    f->text[f->n++] = out;
    if (p >= end) {
      return CART_OK;
    }
    p++; /* the comma */
  }
}

static int same_name(const char *a, const char *b)
{
  while (*a && *b && tolower((unsigned char)*a) == tolower((unsigned char)*b)) {
    a++;
    b++;
  }
  return *a == '\0' && *b == '\0';
}

static int is_one_of(const char *text, const char *const *names)
{
  for (size_t k = 0; names[k] != NULL; k++) {
    if (same_name(text, names[k])) {
      return 1;
    }
  }
  return 0;
}

/* The reading of one table. */
typedef struct reader {
  const char *source;
  long first_row;
  const cart_model *model;
  int col[N_KNOWN]; /* the field of each known column, -1 when absent */
  fields row;
  int line;
  size_t row_index;
  char where[CART_EVENT_WHERE_SIZE];
  cart_error *err;
} reader;

/* The cell of a known column, NULL when the column is absent or the cell empty ("", ".", NA,
 * nan: NONMEM writes '.', R NA and pandas an empty field). */
static const char *cell(const reader *r, int column)
{
  if (r->col[column] < 0) {
    return NULL;
  }
  const char *text = r->row.text[r->col[column]];
  static const char *const empty[] = {"",     ".",    "NA",   "nan",  "NaN", "-nan", "N/A",
                                      "n/a",  "NULL", "null", "None", "<NA>", "#N/A", NULL};
  for (size_t k = 0; empty[k] != NULL; k++) {
    if (strcmp(text, empty[k]) == 0) {
      return NULL;
    }
  }
  return text;
}

static int fail(const reader *r, int code, const char *column, const char *format, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(const reader *r, int code, const char *column, const char *format, ...)
{
  char message[CART_ERROR_MESSAGE_SIZE];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  return cartp_error(r->err, code, "%s, column %s: %s", r->where, column, message);
}

/* The cell as a finite number: *value = fallback when it is empty and has_default, else an
 * error; least (NaN for none) and integer check its value. */
static int number(const reader *r, int column, int has_default, double fallback, double least,
                  int integer, double *value)
{
  const char *text = cell(r, column);
  const char *name = known[column];
  if (text == NULL) {
    if (!has_default) {
      return fail(r, CART_EPARSE, name, "empty; a number is needed");
    }
    *value = fallback;
    return CART_OK;
  }
  double x;
  if (cartp_parse_double(text, &x) != 0) {
    return fail(r, CART_EPARSE, name, "'%s' is not a number", text);
  }
  if (!isfinite(x)) {
    return fail(r, CART_EPARSE, name, "'%s' is not a finite number", text);
  }
  if (!isnan(least) && x < least) {
    return fail(r, CART_EPARSE, name, "%s is below %g", text, least);
  }
  if (integer && x != floor(x)) {
    return fail(r, CART_EPARSE, name, "%s is not a whole number", text);
  }
  *value = x;
  return CART_OK;
}

static const char *state_name(const void *data, size_t i)
{
  cart_state_info info;
  return cart_model_state_info((const cart_model *)data, i, &info) == CART_OK ? info.name : "?";
}

/* CART_DOSE_CART or CART_DOSE_TOCI for the row's cmt in *kind. */
static int target(const reader *r, int *kind)
{
  const char *text = cell(r, COL_CMT);
  const cart_model *model = r->model;
  const char *model_name = cart_model_name(model);
  const size_t n_states = cart_model_n_states(model);
  if (text == NULL) {
    return fail(r, CART_EPARSE, "cmt", "empty; expected cart, toci or a compartment number");
  }
  long index;
  double x;
  if (cartp_parse_double(text, &x) == 0) {
    if (!(x == floor(x) && x >= 1 && x <= (double)n_states)) {
      return fail(r, CART_EPARSE, "cmt", "%s is not a compartment of model %s (1..%zu)", text,
                  model_name, n_states);
    }
    index = (long)x - 1;
  } else if (is_one_of(text, cart_names)) {
    *kind = CART_DOSE_CART;
    return CART_OK;
  } else if (is_one_of(text, toci_names)) {
    *kind = CART_DOSE_TOCI;
    return CART_OK;
  } else if ((index = cart_model_state_index(model, text)) < 0) {
    char states[CART_ERROR_MESSAGE_SIZE];
    cartp_join_names(states, sizeof states, n_states, state_name, model);
    return fail(r, CART_EPARSE, "cmt",
                "unknown target '%s' (expected cart, toci, or a state of model %s: %s)", text,
                model_name, states);
  }
  const int cart_state = cart_model_dose_state(model, CART_DOSE_CART);
  const int toci_state = cart_model_dose_state(model, CART_DOSE_TOCI);
  if (index == cart_state) {
    *kind = CART_DOSE_CART;
    return CART_OK;
  }
  if (index == toci_state) {
    *kind = CART_DOSE_TOCI;
    return CART_OK;
  }
  char targets[CART_ERROR_MESSAGE_SIZE] = "";
  if (cart_state >= 0) {
    snprintf(targets, sizeof targets, "%d (%s) CAR-T cells", cart_state + 1,
             state_name(model, (size_t)cart_state));
  }
  if (toci_state >= 0) {
    const size_t used = strlen(targets);
    snprintf(targets + used, sizeof targets - used, "%s%d (%s) tocilizumab",
             used ? ", " : "", toci_state + 1, state_name(model, (size_t)toci_state));
  }
  return fail(r, CART_EPARSE, "cmt",
              "compartment %ld (%s) of model %s takes no doses (dosing targets: %s)", index + 1,
              state_name(model, (size_t)index), model_name, targets[0] ? targets : "none");
}

/* x in the grammar's text: the shortest %g that reads back as x (whole numbers as integers). */
static void format_number(char *buffer, size_t size, double x)
{
  if (x == floor(x) && fabs(x) < 1e15) {
    snprintf(buffer, size, "%.0f", x);
    return;
  }
  for (int digits = 1; digits <= 17; digits++) {
    snprintf(buffer, size, "%.*g", digits, x);
    if (strtod(buffer, NULL) == x) {
      return;
    }
  }
}

/* Appends a dose (its text form parsed by the grammar, so that text and values agree). */
static int add_dose(const reader *r, cart_event_table *table, size_t *capacity, int kind,
                    const char *text)
{
  if (table->n_doses == CART_EVENT_MAX_DOSES) {
    return cartp_error(r->err, CART_ERANGE, "%s: more than %d doses", r->where,
                       CART_EVENT_MAX_DOSES);
  }
  if (table->n_doses == *capacity) {
    const size_t grown = *capacity ? 2 * *capacity : 16;
    cart_event_dose *doses = realloc(table->doses, grown * sizeof *doses);
    if (doses == NULL) {
      return cartp_error(r->err, CART_ENOMEM, "%s: out of memory", r->source);
    }
    table->doses = doses;
    *capacity = grown;
  }
  cart_event_dose *dose = &table->doses[table->n_doses];
  memset(dose, 0, sizeof *dose);
  dose->kind = kind;
  snprintf(dose->text, sizeof dose->text, "%s", text);
  snprintf(dose->where, sizeof dose->where, "%s", r->where);
  dose->line = r->line;
  dose->row = r->row_index;
  cart_error parsed;
  const int status = kind == CART_DOSE_CART ? cart_parse_cart_dose(text, &dose->cart, &parsed)
                                            : cart_parse_toci_dose(text, &dose->toci, &parsed);
  if (status != CART_OK) {
    return cartp_error(r->err, status, "%s: %s %s: %s", r->where,
                       kind == CART_DOSE_CART ? "doses" : "toci", text, parsed.message);
  }
  table->n_doses++;
  return CART_OK;
}

#define TRY(call)                                                                                 \
  do {                                                                                            \
    const int status_ = (call);                                                                   \
    if (status_ != CART_OK) {                                                                     \
      return status_;                                                                             \
    }                                                                                             \
  } while (0)

/* One data row (r->row) into table. */
static int read_row(reader *r, cart_event_table *table, size_t *dose_capacity,
                    size_t *observation_capacity, char *first_id, size_t first_id_size)
{
  const char *id = cell(r, COL_ID);
  if (id != NULL) {
    if (first_id[0] == '\0') {
      snprintf(first_id, first_id_size, "%s", id);
    } else {
      double a, b;
      const int same = cartp_parse_double(id, &a) == 0 && cartp_parse_double(first_id, &b) == 0
                           ? a == b
                           : strcmp(id, first_id) == 0;
      if (!same) {
        return fail(r, CART_EPARSE, "id",
                    "a second subject (%s after %s): the schedule is every patient's, give one "
                    "subject's rows",
                    id, first_id);
      }
    }
  }
  double evid, time;
  TRY(number(r, COL_EVID, 1, 1.0, NAN, 0, &evid));
  TRY(number(r, COL_TIME, 0, 0, 0.0, 0, &time));
  if (evid == 0) {
    if (table->n_observations == *observation_capacity) {
      const size_t grown = *observation_capacity ? 2 * *observation_capacity : 16;
      double *times = realloc(table->observations, grown * sizeof *times);
      if (times == NULL) {
        return cartp_error(r->err, CART_ENOMEM, "%s: out of memory", r->source);
      }
      table->observations = times;
      *observation_capacity = grown;
    }
    if (table->n_observations == 0) {
      snprintf(table->first_observation, sizeof table->first_observation, "%s", r->where);
    }
    table->observations[table->n_observations++] = time;
    return CART_OK;
  }
  if (evid != 1) {
    return fail(r, CART_EPARSE, "evid",
                "evid %s is not supported (1: a dose, 0: an observation time; resets and other "
                "events are not)",
                cell(r, COL_EVID));
  }
  double ss;
  TRY(number(r, COL_SS, 1, 0.0, NAN, 0, &ss));
  if (ss != 0) {
    return fail(r, CART_EPARSE, "ss",
                "steady-state doses (ss = %s) are not supported; give the doses with ii and addl",
                cell(r, COL_SS));
  }
  double amt, dur, rate, ii, addl;
  int kind = CART_DOSE_CART;
  TRY(number(r, COL_AMT, 0, 0, 0.0, 0, &amt));
  TRY(target(r, &kind));
  TRY(number(r, COL_DUR, 1, -1.0, NAN, 0, &dur));
  TRY(number(r, COL_RATE, 1, 0.0, NAN, 0, &rate));
  if (dur < 0 && cell(r, COL_DUR) != NULL) {
    return fail(r, CART_EPARSE, "dur", "%s is below 0", cell(r, COL_DUR));
  }
  if (rate < 0) {
    return fail(r, CART_EPARSE, "rate",
                "rate %s (a modelled rate or duration in NONMEM) is not supported: give dur in "
                "days or rate in amt per day",
                cell(r, COL_RATE));
  }
  if (rate > 0 && dur > 0) {
    return fail(r, CART_EPARSE, "dur, rate", "both dur and rate are given; give one");
  }
  if (rate > 0) {
    dur = amt / rate;
  }
  TRY(number(r, COL_II, 1, 0.0, 0.0, 0, &ii));
  TRY(number(r, COL_ADDL, 1, 0.0, 0.0, 1, &addl));
  if (addl > 0 && ii <= 0) {
    return fail(r, CART_EPARSE, "ii", "addl = %s repeats need ii > 0", cell(r, COL_ADDL));
  }
  if (addl >= CART_EVENT_MAX_DOSES) {
    return fail(r, CART_ERANGE, "addl", "%s repeats are more than %d doses", cell(r, COL_ADDL),
                CART_EVENT_MAX_DOSES);
  }
  char tail[96] = "", field[40], amount[40];
  format_number(amount, sizeof amount, amt);
  if (kind == CART_DOSE_CART) {
    if (dur > 0) {
      return fail(r, CART_EPARSE, rate == 0 ? "dur" : "rate",
                  "CAR-T cells are given at once (no infusion duration); leave dur and rate "
                  "empty or 0");
    }
    if (cell(r, COL_CAP_MG) != NULL) {
      return fail(r, CART_EPARSE, "cap_mg", "cap_mg is a tocilizumab setting");
    }
    if (cell(r, COL_FMEM) != NULL) {
      double fmem;
      TRY(number(r, COL_FMEM, 0, 0, NAN, 0, &fmem));
      format_number(field, sizeof field, fmem);
      snprintf(tail, sizeof tail, ":%s", field);
    }
  } else {
    if (cell(r, COL_FMEM) != NULL) {
      return fail(r, CART_EPARSE, "fmem", "fmem is a CAR-T setting");
    }
    const int has_cap = cell(r, COL_CAP_MG) != NULL;
    /* the grammar's HOURS: dur days in hours (cart_days_from_hours divides it back) */
    if (dur >= 0 || has_cap) {
      format_number(field, sizeof field,
                    (dur >= 0 ? dur : CART_TOCI_DURATION_DAY_DEFAULT) * CART_HOURS_PER_DAY);
      snprintf(tail, sizeof tail, ":%s", field);
    }
    if (has_cap) {
      double cap;
      TRY(number(r, COL_CAP_MG, 0, 0, 0.0, 0, &cap));
      format_number(field, sizeof field, cap);
      const size_t used = strlen(tail);
      snprintf(tail + used, sizeof tail - used, ":%s", field);
    }
  }
  for (long k = 0; k <= (long)addl; k++) {
    char text[CART_EVENT_TEXT_SIZE], at[40];
    format_number(at, sizeof at, time + (double)k * ii);
    snprintf(text, sizeof text, "%s:%s%s", at, amount, tail);
    TRY(add_dose(r, table, dose_capacity, kind, text));
  }
  return CART_OK;
}

void cart_event_table_free(cart_event_table *table)
{
  if (table != NULL) {
    free(table->doses);
    free(table->observations);
    free(table);
  }
}

/* The header (r->row) into r->col: CART_OK or CART_EPARSE (a repeated or missing column). */
static int read_header(reader *r)
{
  for (int k = 0; k < N_KNOWN; k++) {
    r->col[k] = -1;
  }
  for (size_t i = 0; i < r->row.n; i++) {
    for (size_t j = 0; j < i; j++) {
      if (same_name(r->row.text[i], r->row.text[j])) {
        char lower[64];
        size_t n = 0;
        for (const char *c = r->row.text[i]; *c && n + 1 < sizeof lower; c++) {
          lower[n++] = (char)tolower((unsigned char)*c);
        }
        lower[n] = '\0';
        return cartp_error(r->err, CART_EPARSE, "%s: columns '%s' and '%s' are the same column %s",
                           r->source, r->row.text[j], r->row.text[i], lower);
      }
    }
    for (int k = 0; k < N_KNOWN; k++) {
      if (same_name(r->row.text[i], known[k])) {
        r->col[k] = (int)i;
      }
    }
  }
  for (int k = COL_TIME; k <= COL_CMT; k++) {
    if (r->col[k] < 0) {
      char columns[160] = "";
      for (size_t i = 0; i < r->row.n; i++) {
        const size_t used = strlen(columns);
        snprintf(columns + used, sizeof columns - used, "%s%s", i ? ", " : "", r->row.text[i]);
      }
      return cartp_error(r->err, CART_EPARSE,
                         "%s: no column '%s' (columns: %s; expected time, amt, cmt and optionally "
                         "evid, dur or rate, ii, addl)",
                         r->source, known[k], columns);
    }
  }
  return CART_OK;
}

static int parse(reader *r, const char *text, cart_event_table *table)
{
  size_t dose_capacity = 0, observation_capacity = 0, n_header = 0;
  char first_id[64] = "";
  int header_read = 0;
  const char *cursor = text;
  if (strncmp(cursor, "\xEF\xBB\xBF", 3) == 0) {
    cursor += 3; /* a UTF-8 byte order mark, as spreadsheets write it */
  }
  r->line = 0;
  while (*cursor != '\0') {
    const char *start = cursor;
    const char *newline = strchr(start, '\n');
    const char *end = newline ? newline : start + strlen(start);
    cursor = newline ? newline + 1 : end;
    r->line++;
    const char *a = start, *b = end;
    cartp_trim(&a, &b);
    if (a == b || *a == '#') {
      continue;
    }
    if (split_line(start, end, &r->row) != CART_OK) {
      return cartp_error(r->err, CART_ENOMEM, "%s: out of memory", r->source);
    }
    if (!header_read) {
      TRY(read_header(r));
      n_header = r->row.n;
      header_read = 1;
      continue;
    }
    if (r->first_row < 0) {
      snprintf(r->where, sizeof r->where, "%s line %d", r->source, r->line);
    } else {
      snprintf(r->where, sizeof r->where, "%s row %ld", r->source,
               r->first_row + (long)r->row_index);
    }
    if (r->row.n != n_header) {
      return cartp_error(r->err, CART_EPARSE, "%s: %zu fields, but the header names %zu columns",
                         r->where, r->row.n, n_header);
    }
    TRY(read_row(r, table, &dose_capacity, &observation_capacity, first_id, sizeof first_id));
    r->row_index++;
  }
  if (!header_read) {
    return cartp_error(r->err, CART_EPARSE,
                       "%s: no header line (expected the columns time, amt, cmt and optionally "
                       "evid, dur or rate, ii, addl)",
                       r->source);
  }
  return CART_OK;
}

int cart_parse_event_table(const char *text, const char *source, const cart_model *model,
                           long first_row, cart_event_table **table, cart_error *err)
{
  if (table == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_parse_event_table: table is NULL");
  }
  *table = NULL;
  if (text == NULL || model == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_parse_event_table: %s is NULL",
                       text == NULL ? "text" : "model");
  }
  cart_event_table *out = calloc(1, sizeof *out);
  if (out == NULL) {
    return cartp_error(err, CART_ENOMEM, "cart_parse_event_table: out of memory");
  }
  reader r;
  memset(&r, 0, sizeof r);
  r.source = source != NULL ? source : "events";
  r.first_row = first_row;
  r.model = model;
  r.err = err;
  const int status = parse(&r, text, out);
  fields_clear(&r.row);
  free(r.row.text);
  if (status != CART_OK) {
    cart_event_table_free(out);
    return status;
  }
  cart_error_clear(err);
  *table = out;
  return CART_OK;
}
