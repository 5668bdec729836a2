/* data.c: one patient's observations for a fit (cart_fit.h), and their text forms, read through
 * the library's one CSV reader (cart_parse_table_labels). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart_fit.h>
#include <cart/cart_grammar.h>

#include "../models/model_impl.h"
#include "../util/error.h"
#include "../util/text.h"
#include "fit_impl.h"

/* The largest data file read (bytes). */
#define FIT_DATA_MAX_BYTES (256u << 20)

size_t cart_fit_n_observables(const cart_model *model)
{
  return model ? model->n_states + model->n_outputs + model->n_signals : 0;
}

const char *cart_fit_observable_name(const cart_model *model, size_t i)
{
  if (model == NULL) {
    return NULL;
  }
  if (i < model->n_states) {
    return model->states[i].name;
  }
  i -= model->n_states;
  if (i < model->n_outputs) {
    return model->outputs[i].name;
  }
  i -= model->n_outputs;
  return i < model->n_signals ? model->signals[i].name : NULL;
}

int cart_fit_observable_index(const cart_model *model, const char *name)
{
  const size_t n = cart_fit_n_observables(model);
  for (size_t i = 0; name != NULL && i < n; i++) {
    if (strcmp(cart_fit_observable_name(model, i), name) == 0) {
      return (int)i;
    }
  }
  return -1;
}

cart_fit_data *cart_fit_data_new(const cart_model *model, cart_error *err)
{
  if (model == NULL) {
    cartp_error(err, CART_EINVAL, "cart_fit_data_new: NULL model");
    return NULL;
  }
  cart_fit_data *d = calloc(1, sizeof *d);
  if (d == NULL) {
    cartp_error(err, CART_ENOMEM, "cart_fit_data_new: out of memory");
    return NULL;
  }
  d->model = model;
  d->id[0] = '\0';
  return d;
}

void cart_fit_data_free(cart_fit_data *data)
{
  if (data != NULL) {
    free(data->obs);
    cart_dosing_free(data->dosing);
    free(data);
  }
}

void cart_fit_data_free_all(cart_fit_data **data, size_t n)
{
  for (size_t i = 0; data != NULL && i < n; i++) {
    cart_fit_data_free(data[i]);
  }
  free(data);
}

/* Checks and appends one observation; a refusal's message has no place in front (callers add
 * "SOURCE:LINE: "). */
static int add_observation(cart_fit_data *d, double time, int observable, double value, int blq,
                           double lloq, cart_error *err)
{
  if (!isfinite(time) || time < 0) {
    return cartp_error(err, CART_EINVAL, "time %g is not finite and >= 0", time);
  }
  if (d->n > 0 && time < d->obs[d->n - 1].time) {
    return cartp_error(err, CART_EINVAL,
                       "times are not sorted: %g comes after %g (sort the rows by time)", time,
                       d->obs[d->n - 1].time);
  }
  if (observable < 0 || (size_t)observable >= cart_fit_n_observables(d->model)) {
    return cartp_error(err, CART_EINVAL, "observable %d out of range", observable);
  }
  if (!isfinite(value)) {
    return cartp_error(err, CART_EINVAL, "value is NaN or infinite");
  }
  if (value < 0) {
    return cartp_error(err, CART_EINVAL, "negative value %g of %s (amounts and concentrations "
                       "are >= 0)", value, cart_fit_observable_name(d->model, (size_t)observable));
  }
  if (!isnan(lloq) && (!isfinite(lloq) || lloq <= 0)) {
    return cartp_error(err, CART_EINVAL, "LLOQ %g is not finite and > 0", lloq);
  }
  if (blq && isnan(lloq)) {
    return cartp_error(err, CART_EINVAL, "a value below the LLOQ needs the LLOQ");
  }
  if (d->n == d->cap) {
    const size_t grown = d->cap ? 2 * d->cap : 32;
    cartp_fit_obs *obs = realloc(d->obs, grown * sizeof *obs);
    if (obs == NULL) {
      return cartp_error(err, CART_ENOMEM, "out of memory");
    }
    d->obs = obs;
    d->cap = grown;
  }
  d->obs[d->n++] = (cartp_fit_obs){time, value, lloq, observable, blq != 0};
  if (blq) {
    d->n_blq++;
  }
  return CART_OK;
}

int cart_fit_data_add(cart_fit_data *data, double time, int observable, double value, int blq,
                      double lloq, cart_error *err)
{
  if (data == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_fit_data_add: NULL data");
  }
  return add_observation(data, time, observable, value, blq, lloq, err);
}

size_t cart_fit_data_size(const cart_fit_data *data)
{
  return data ? data->n : 0;
}

const char *cart_fit_data_id(const cart_fit_data *data)
{
  return data ? data->id : NULL;
}

const cart_model *cart_fit_data_model(const cart_fit_data *data)
{
  return data ? data->model : NULL;
}

const cart_dosing *cart_fit_data_dosing(const cart_fit_data *data)
{
  return data ? data->dosing : NULL;
}

int cart_fit_data_set_dosing(cart_fit_data *data, const cart_dosing *dosing, cart_error *err)
{
  if (data == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_fit_data_set_dosing: NULL data");
  }
  cart_dosing *copy = NULL;
  if (dosing != NULL && (copy = cart_dosing_clone(dosing, err)) == NULL) {
    return err ? err->code : CART_ENOMEM;
  }
  cart_dosing_free(data->dosing);
  data->dosing = copy;
  data->initial_cart = 0;
  cart_error_clear(err);
  return CART_OK;
}

int cart_fit_data_get(const cart_fit_data *data, size_t i, double *time, int *observable,
                      double *value, int *blq, double *lloq)
{
  if (data == NULL || i >= data->n) {
    return CART_EINVAL;
  }
  const cartp_fit_obs *o = &data->obs[i];
  if (time) {
    *time = o->time;
  }
  if (observable) {
    *observable = o->observable;
  }
  if (value) {
    *value = o->value;
  }
  if (blq) {
    *blq = o->blq;
  }
  if (lloq) {
    *lloq = o->lloq;
  }
  return CART_OK;
}

/* ---- text forms ---- */

/* Whether a and b are the same name in any case. */
static int same_name(const char *a, const char *b)
{
  while (*a && *b && (*a | 0x20) == (*b | 0x20)) {
    a++;
    b++;
  }
  return *a == '\0' && *b == '\0';
}

/* The index of `name` (any case) among names[0 .. n), -1 for none. */
static int find_name(char *const *names, size_t n, const char *name)
{
  for (size_t c = 0; c < n; c++) {
    if (same_name(names[c], name)) {
      return (int)c;
    }
  }
  return -1;
}

/* The column of `name` among the table's number columns, or its label columns. */
static int number_column(const cart_table *t, const char *name)
{
  return find_name(t->names, t->n_columns, name);
}

static int label_column(const cart_table *t, const char *name)
{
  return find_name(t->label_names, t->n_label_columns, name);
}

/* "SOURCE:LINE: unknown observable 'X' (the model's: A, B, ...)". */
static int unknown_observable(const cart_model *model, const char *source, int line,
                              const char *name, cart_error *err)
{
  char list[160];
  size_t used = 0;
  list[0] = '\0';
  for (size_t i = 0; i < cart_fit_n_observables(model) && used < sizeof list; i++) {
    const char *observable = cart_fit_observable_name(model, i);
    if (cart_fit_observable_index(model, observable) != (int)i) {
      continue; /* a signal that repeats an output (cart's Cblood): listed once */
    }
    const int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", observable);
    used += w > 0 ? (size_t)w : 0;
  }
  return cartp_error_at(err, CART_EPARSE, source, line,
                        "unknown observable '%.40s' (model %s has: %s)", name,
                        cart_model_name(model), list);
}

/* A column that holds numbers, or (NONMEM's DV, CMT, AMT, RATE, II, ADDL, DUR, which may be '.'
 * or a name) text read here: its index among the number columns or the label columns, -1 in the
 * other (both -1: the table has no such column). */
typedef struct column {
  int number, label;
} column;

#define NO_COLUMN ((column){-1, -1})

static column find_column(const cart_table *t, const char *name)
{
  column c = NO_COLUMN;
  if (name != NULL && (c.number = number_column(t, name)) < 0) {
    c.label = label_column(t, name);
  }
  return c;
}

static int has_column(column c)
{
  return c.number >= 0 || c.label >= 0;
}

/* Row r's field of column c: CELL_NUMBER (in *value), CELL_EMPTY (no such column, an empty field
 * or NONMEM's '.': no value) or CELL_TEXT (not a number). *text: the field as written ("" for a
 * number column). */
enum { CELL_NUMBER = 0, CELL_EMPTY = 1, CELL_TEXT = 2 };
static int cell(const cart_table *t, size_t r, column c, double *value, const char **text)
{
  *value = NAN;
  *text = "";
  if (c.number >= 0) {
    *value = t->values[r * t->n_columns + (size_t)c.number];
    return CELL_NUMBER;
  }
  if (c.label < 0) {
    return CELL_EMPTY;
  }
  *text = t->labels[r * t->n_label_columns + (size_t)c.label];
  if ((*text)[0] == '\0' || strcmp(*text, ".") == 0) {
    return CELL_EMPTY;
  }
  double v;
  if (cartp_parse_double(*text, &v) != 0 || !isfinite(v)) {
    return CELL_TEXT;
  }
  *value = v;
  return CELL_NUMBER;
}

/* The columns a text form reads, found once. */
typedef struct columns {
  int time;
  column value;
  int observable_label;
  column cmt;
  int blq, lloq, mdv, evid, id, ss;
  column amt, rate, dur, ii, addl;
} columns;

static int missing_column(const cart_table *t, const char *source, const char *what,
                          cart_error *err)
{
  char names[160];
  size_t used = 0;
  names[0] = '\0';
  for (size_t c = 0; c < t->n_label_columns + t->n_columns && used < sizeof names; c++) {
    const char *name = c < t->n_label_columns ? t->label_names[c]
                                              : t->names[c - t->n_label_columns];
    const int w = snprintf(names + used, sizeof names - used, "%s%s", c ? ", " : "", name);
    used += w > 0 ? (size_t)w : 0;
  }
  return cartp_error_at(err, CART_EPARSE, source, t->header_line,
                        "no column %s (the header has: %s)", what, names);
}

/* Appends row r of t to d, refusing with "SOURCE:LINE: ...". */
static int add_row(cart_fit_data *d, const cart_table *t, size_t r, const columns *c,
                   const char *source, cart_error *err)
{
  const double *row = t->values + r * t->n_columns;
  const int line = t->lines[r];
  int observable = -1;
  if (c->observable_label >= 0) {
    const char *name = t->labels[r * t->n_label_columns + (size_t)c->observable_label];
    if ((observable = cart_fit_observable_index(d->model, name)) < 0) {
      return unknown_observable(d->model, source, line, name, err);
    }
  } else {
    double cmt;
    const char *text;
    if (cell(t, r, c->cmt, &cmt, &text) != CELL_NUMBER) {
      return cartp_error_at(err, CART_EPARSE, source, line,
                            "CMT '%.40s' of an observation is not a state of model %s (1 .. %zu)",
                            text, cart_model_name(d->model), d->model->n_states);
    }
    if (cmt != floor(cmt) || cmt < 1 || cmt > (double)d->model->n_states) {
      return cartp_error_at(err, CART_EPARSE, source, line,
                            "CMT %g is not a state of model %s (1 .. %zu)", cmt,
                            cart_model_name(d->model), d->model->n_states);
    }
    observable = (int)cmt - 1;
  }
  double value;
  const char *text;
  if (cell(t, r, c->value, &value, &text) != CELL_NUMBER) {
    return cartp_error_at(err, CART_EPARSE, source, line,
                          "DV '%.40s' is not a number (an observation: MDV and EVID 0)", text);
  }
  double lloq = c->lloq >= 0 ? row[c->lloq] : NAN;
  int blq = 0;
  if (c->blq >= 0) {
    blq = row[c->blq] != 0;
    if (blq && c->lloq < 0) {
      lloq = value;
    }
  } else if (c->lloq >= 0) {
    blq = value < lloq;
  }
  if (c->lloq >= 0 && !(lloq > 0)) {
    lloq = NAN; /* an LLOQ of 0: none */
    blq = 0;
  }
  cart_error e;
  const int status = add_observation(d, row[c->time], observable, value, blq, lloq, &e);
  if (status != CART_OK) {
    return cartp_error_at(err, status == CART_ENOMEM ? CART_ENOMEM : CART_EPARSE, source, line,
                          "%s", e.message);
  }
  return CART_OK;
}

static const char *const long_labels[] = {"observable", "obs", NULL};

int cart_fit_data_parse(const cart_model *model, const char *text, const char *source,
                        cart_fit_data **data, cart_error *err)
{
  if (model == NULL || text == NULL || data == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_fit_data_parse: NULL argument");
  }
  *data = NULL;
  source = source ? source : "<data>";
  cart_table *t = NULL;
  int status = cart_parse_table_labels(text, source, long_labels, ',', &t, err);
  if (status != CART_OK) {
    return status;
  }
  columns c = {number_column(t, "time"), {number_column(t, "value"), -1}, -1, NO_COLUMN,
               number_column(t, "blq"), number_column(t, "lloq"), -1, -1, -1, -1,
               NO_COLUMN, NO_COLUMN, NO_COLUMN, NO_COLUMN, NO_COLUMN};
  c.observable_label = t->n_label_columns > 0 ? 0 : -1;
  if (c.time < 0 || c.value.number < 0 || c.observable_label < 0) {
    status = missing_column(t, source,
                            c.time < 0           ? "time"
                            : c.value.number < 0 ? "value"
                                                 : "observable (or obs)",
                            err);
    cart_table_free(t);
    return status;
  }
  cart_fit_data *d = cart_fit_data_new(model, err);
  status = d ? CART_OK : CART_ENOMEM;
  for (size_t r = 0; status == CART_OK && r < t->n_rows; r++) {
    status = add_row(d, t, r, &c, source, err);
  }
  cart_table_free(t);
  if (status != CART_OK) {
    cart_fit_data_free(d);
    return status;
  }
  *data = d;
  cart_error_clear(err);
  return CART_OK;
}

int cart_fit_data_read(const cart_model *model, const char *path, cart_fit_data **data,
                       cart_error *err)
{
  if (path == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_fit_data_read: NULL path");
  }
  char *text = NULL;
  int status = cartp_read_text_file(path, "data file", FIT_DATA_MAX_BYTES, &text, err);
  if (status == CART_OK) {
    status = cart_fit_data_parse(model, text, path, data, err);
  }
  free(text);
  return status;
}

/* The order rows are added in: file order, or (PEtab, whose rows are unordered) by time,
 * stably. */
typedef struct row_order {
  double time;
  size_t row;
} row_order;

static int compare_rows(const void *a, const void *b)
{
  const row_order *x = a, *y = b;
  if (x->time != y->time) {
    return x->time < y->time ? -1 : 1;
  }
  return x->row < y->row ? -1 : x->row > y->row;
}

/* The data set of row r's group (its ID), made when new (groups in the order of their first
 * row in the file); NULL with the error in *err. */
static cart_fit_data *group_of(const cart_model *model, const cart_table *t, size_t r,
                               const columns *c, const char *source, cart_fit_data ***sets,
                               size_t *n_sets, cart_error *err)
{
  const char *id = t->labels[r * t->n_label_columns + (size_t)c->id];
  if (strlen(id) >= sizeof (*sets)[0]->id || id[0] == '\0') {
    cartp_error_at(err, CART_EPARSE, source, t->lines[r],
                   "ID '%.20s...' is empty or longer than %zu characters", id,
                   sizeof (*sets)[0]->id - 1);
    return NULL;
  }
  for (size_t s = 0; s < *n_sets; s++) {
    if (strcmp((*sets)[s]->id, id) == 0) {
      return (*sets)[s];
    }
  }
  cart_fit_data **grown = realloc(*sets, (*n_sets + 1) * sizeof *grown);
  cart_fit_data *d = grown ? cart_fit_data_new(model, err) : NULL;
  if (grown != NULL) {
    *sets = grown;
  }
  if (d == NULL) {
    cartp_error(err, CART_ENOMEM, "%s: out of memory", source);
    return NULL;
  }
  snprintf(d->id, sizeof d->id, "%s", id);
  (*sets)[(*n_sets)++] = d;
  return d;
}

/* The names a grouped form gives its columns. */
typedef struct grouped_form {
  const char *const *labels;
  char separator;
  const char *id, *time, *value, *observable, *cmt, *blq, *lloq, *mdv, *evid;
  const char *missing_observable; /* what the message calls the observable column */
  int sort_times;
  /* dose records (NONMEM): read when the table has the amt column */
  const char *amt, *rate, *dur, *ii, *addl, *ss;
} grouped_form;

/* NONMEM's text columns: the ID, an observable's name, and those that may be '.' (or, CMT, a
 * dose target's name), in this order of priority (cart_parse_table_labels takes at most 8, the
 * names listed first). */
static const char *const nonmem_labels[] = {"id",   "obs", "dv", "cmt",  "amt",
                                            "rate", "ii",  "addl", "dur", NULL};

static const grouped_form nonmem_form = {nonmem_labels, ',', "id", "time", "dv", "obs", "cmt",
                                         "blq", "lloq", "mdv", "evid",
                                         "OBS (an observable's name) or CMT", 0,
                                         "amt", "rate", "dur", "ii", "addl", "ss"};
static const char *const petab_labels[] = {"observableId", "simulationConditionId",
                                           "preequilibrationConditionId", "observableParameters",
                                           "noiseParameters", "datasetId", "replicateId", NULL};
static const grouped_form petab_form = {petab_labels, '\t', "simulationConditionId", "time",
                                        "measurement", "observableId", NULL, NULL, NULL, NULL,
                                        NULL, "observableId", 1,
                                        NULL, NULL, NULL, NULL, NULL, NULL};

/* The most repeats (ADDL) of one dose record. */
#define FIT_MAX_ADDL 10000

/* The dose kinds a CMT may name besides the number and name of the state a dose enters. */
static const char *const cart_target_names[] = {"cart", "car-t", "cart_cells", NULL};
static const char *const toci_target_names[] = {"toci", "tocilizumab", NULL};

/* The dose kind (CART_DOSE_CART, CART_DOSE_TOCI) row r's CMT names: the number (1-based) or name
 * of the state a dose enters (cart_model_dose_state), or cart / toci. */
static int dose_target(const cart_model *model, const cart_table *t, size_t r, column cmt,
                       const char *source, int line, int *kind, cart_error *err)
{
  double v;
  const char *text;
  const int got = cell(t, r, cmt, &v, &text);
  char targets[200];
  size_t used = 0;
  targets[0] = '\0';
  for (int k = CART_DOSE_CART; k <= CART_DOSE_TOCI; k++) {
    const int state = cart_model_dose_state(model, k);
    if (state < 0) {
      continue;
    }
    const char *const *names = k == CART_DOSE_CART ? cart_target_names : toci_target_names;
    int match = got == CELL_NUMBER ? v == state + 1 : got == CELL_TEXT &&
                                                         same_name(text, model->states[state].name);
    for (size_t j = 0; got == CELL_TEXT && names[j] != NULL; j++) {
      match |= same_name(text, names[j]);
    }
    if (match) {
      *kind = k;
      return CART_OK;
    }
    const int w = snprintf(targets + used, sizeof targets - used, "%s%s or %d (%s): %s",
                           used ? "; " : "", names[0], state + 1, model->states[state].name,
                           k == CART_DOSE_CART ? "CAR-T cells" : "tocilizumab");
    used += w > 0 && (size_t)w < sizeof targets - used ? (size_t)w : 0;
  }
  if (used == 0) {
    return cartp_error_at(err, CART_EPARSE, source, line, "model %s takes no doses",
                          cart_model_name(model));
  }
  if (got == CELL_EMPTY) {
    return cartp_error_at(err, CART_EPARSE, source, line,
                          "a dose record needs CMT, the dose's target (model %s: %s)",
                          cart_model_name(model), targets);
  }
  if (got == CELL_NUMBER) {
    return cartp_error_at(err, CART_EPARSE, source, line,
                          "CMT %g is not a dose target of model %s (%s)", v,
                          cart_model_name(model), targets);
  }
  return cartp_error_at(err, CART_EPARSE, source, line,
                        "CMT '%.40s' is not a dose target of model %s (%s)", text,
                        cart_model_name(model), targets);
}

/* Row r's number in column c, `fallback` when it has none ('.', empty, no column); a field that
 * is not a number is refused. */
static int optional_number(const cart_table *t, size_t r, column c, const char *name,
                           double fallback, const char *source, int line, double *value,
                           cart_error *err)
{
  const char *text;
  const int got = cell(t, r, c, value, &text);
  if (got == CELL_TEXT) {
    return cartp_error_at(err, CART_EPARSE, source, line, "%s '%.40s' is not a number", name,
                          text);
  }
  if (got == CELL_EMPTY) {
    *value = fallback;
  }
  return CART_OK;
}

/* Appends the dose(s) of dose record r (EVID 1) to d's schedule, refusing with
 * "SOURCE:LINE: ...". AMT: cells for CAR-T, mg/kg for tocilizumab (as cart run's --dose and
 * --toci); RATE (AMT per day) or DUR (days) an infusion's length, neither the library's default
 * (tocilizumab: 1 h); II and ADDL repeats. */
static int add_dose(cart_fit_data *d, const cart_table *t, size_t r, const columns *c,
                    const char *source, cart_error *err)
{
  const double *row = t->values + r * t->n_columns;
  const int line = t->lines[r];
  const double time = row[c->time];
  if (c->ss >= 0 && row[c->ss] != 0) {
    return cartp_error_at(err, CART_EPARSE, source, line,
                          "SS %g: steady-state doses are not supported (give the doses with II "
                          "and ADDL)", row[c->ss]);
  }
  double amt, rate, dur, ii, addl;
  const char *text;
  const int got = cell(t, r, c->amt, &amt, &text);
  if (got == CELL_TEXT) {
    return cartp_error_at(err, CART_EPARSE, source, line, "AMT '%.40s' is not a number", text);
  }
  if (got == CELL_EMPTY) {
    return cartp_error_at(err, CART_EPARSE, source, line, "a dose record (EVID 1) needs AMT");
  }
  if (amt < 0) {
    return cartp_error_at(err, CART_EPARSE, source, line, "AMT %g is negative", amt);
  }
  int kind = CART_DOSE_CART;
  int status = dose_target(d->model, t, r, c->cmt, source, line, &kind, err);
  if (status == CART_OK) {
    status = optional_number(t, r, c->rate, "RATE", 0.0, source, line, &rate, err);
  }
  if (status == CART_OK) {
    status = optional_number(t, r, c->dur, "DUR", NAN, source, line, &dur, err);
  }
  if (status == CART_OK) {
    status = optional_number(t, r, c->ii, "II", 0.0, source, line, &ii, err);
  }
  if (status == CART_OK) {
    status = optional_number(t, r, c->addl, "ADDL", 0.0, source, line, &addl, err);
  }
  if (status != CART_OK) {
    return status;
  }
  if (rate < 0) {
    return cartp_error_at(err, CART_EPARSE, source, line,
                          "RATE %g (a modelled rate or duration in NONMEM) is not supported: give "
                          "RATE in AMT per day or DUR in days", rate);
  }
  if (dur < 0) {
    return cartp_error_at(err, CART_EPARSE, source, line, "DUR %g is negative", dur);
  }
  if (rate > 0 && dur > 0) {
    return cartp_error_at(err, CART_EPARSE, source, line,
                          "RATE and DUR are both given (%g and %g): give one", rate, dur);
  }
  if (rate > 0) {
    dur = amt / rate;
  }
  if (ii < 0 || addl < 0 || addl != floor(addl) || addl > FIT_MAX_ADDL) {
    return cartp_error_at(err, CART_EPARSE, source, line,
                          "II %g and ADDL %g: expected II >= 0 and ADDL a whole number in "
                          "0 .. %d", ii, addl, FIT_MAX_ADDL);
  }
  if (addl > 0 && ii <= 0) {
    return cartp_error_at(err, CART_EPARSE, source, line,
                          "ADDL %g repeats need II > 0 (the interval, days)", addl);
  }
  if (kind == CART_DOSE_CART && dur > 0) {
    return cartp_error_at(err, CART_EPARSE, source, line,
                          "CAR-T cells are given at once: RATE and DUR must be 0 or '.' on a "
                          "CAR-T dose record");
  }
  if (d->dosing == NULL && (d->dosing = cart_dosing_new(err)) == NULL) {
    return cartp_error(err, CART_ENOMEM, "%s: out of memory", source);
  }
  for (int k = 0; k <= (int)addl; k++) {
    const double at = time + k * ii;
    if (kind == CART_DOSE_CART) {
      if (cart_cart_dose_is_initial(d->model, at)) {
        if (d->initial_cart) {
          return cartp_error_at(err, CART_EPARSE, source, line,
                                "ID %s: a second CAR-T dose at time 0 (the initial infusion, "
                                "the parameter dose)", d->id);
        }
        d->initial_cart = 1;
      }
      status = cart_dosing_add_cart(d->dosing, at, amt, CART_FMEM_FROM_PARAMS);
    } else {
      status = cart_dosing_add_toci(d->dosing, at, amt,
                                    isnan(dur) ? CART_TOCI_DURATION_DAY_DEFAULT : dur,
                                    CART_TOCI_CAP_MG_DEFAULT);
    }
    if (status != CART_OK) {
      return cartp_error_at(err, CART_EPARSE, source, line, "%s",
                            cart_dosing_last_error(d->dosing)->message);
    }
  }
  return CART_OK;
}

static int parse_grouped(const cart_model *model, const char *text, const char *source,
                         const grouped_form *form, cart_fit_data ***data, size_t *n,
                         cart_error *err)
{
  if (model == NULL || text == NULL || data == NULL || n == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_fit_data_parse: NULL argument");
  }
  *data = NULL;
  *n = 0;
  source = source ? source : "<data>";
  cart_table *t = NULL;
  int status = cart_parse_table_labels(text, source, form->labels, form->separator, &t, err);
  if (status != CART_OK) {
    return status;
  }
#define NUMBER_COLUMN(name) ((name) ? number_column(t, (name)) : -1)
  columns c = {NUMBER_COLUMN(form->time),  find_column(t, form->value),
               label_column(t, form->observable), find_column(t, form->cmt),
               NUMBER_COLUMN(form->blq),   NUMBER_COLUMN(form->lloq),
               NUMBER_COLUMN(form->mdv),   NUMBER_COLUMN(form->evid),
               label_column(t, form->id),  NUMBER_COLUMN(form->ss),
               find_column(t, form->amt),  find_column(t, form->rate),
               find_column(t, form->dur),  find_column(t, form->ii),
               find_column(t, form->addl)};
#undef NUMBER_COLUMN
  /* dose records are read from a table with an AMT column; without one they are skipped (the
   * doses then come from the caller, as before) */
  const int read_doses = has_column(c.amt);
  int any_dose = 0;
  if (c.time < 0 || !has_column(c.value) || c.id < 0 ||
      (c.observable_label < 0 && !has_column(c.cmt))) {
    status = missing_column(t, source,
                            c.id < 0     ? form->id
                            : c.time < 0 ? form->time
                            : !has_column(c.value) ? form->value
                                          : form->missing_observable,
                            err);
    cart_table_free(t);
    return status;
  }
  row_order *order = malloc(t->n_rows * sizeof *order);
  cart_fit_data **sets = NULL;
  size_t n_sets = 0;
  if (order == NULL) {
    status = cartp_error(err, CART_ENOMEM, "%s: out of memory", source);
  }
  for (size_t r = 0; status == CART_OK && r < t->n_rows; r++) {
    order[r] = (row_order){t->values[r * t->n_columns + (size_t)c.time], r};
    if (group_of(model, t, r, &c, source, &sets, &n_sets, err) == NULL) { /* groups in file order */
      status = err ? err->code : CART_EPARSE;
    }
  }
  if (status == CART_OK && form->sort_times) {
    qsort(order, t->n_rows, sizeof *order, compare_rows);
  }
  for (size_t k = 0; status == CART_OK && k < t->n_rows; k++) {
    const size_t r = order[k].row;
    const double *row = t->values + r * t->n_columns;
    cart_fit_data *d = group_of(model, t, r, &c, source, &sets, &n_sets, err);
    if (d == NULL) {
      status = err ? err->code : CART_ENOMEM;
      break;
    }
    const int first = d->n_rows++ == 0;
    double evid = c.evid >= 0 ? row[c.evid] : 0.0;
    if (read_doses && c.evid < 0) { /* NONMEM without EVID: a record with AMT > 0 is a dose */
      double amt;
      const char *field;
      evid = cell(t, r, c.amt, &amt, &field) == CELL_NUMBER && amt > 0 ? 1.0 : 0.0;
    }
    if (!read_doses) {
      if ((c.mdv >= 0 && row[c.mdv] != 0) || evid != 0) {
        continue;
      }
      status = add_row(d, t, r, &c, source, err);
    } else if (evid == 0) { /* an observation, unless MDV says it is missing */
      if (c.mdv < 0 || row[c.mdv] == 0) {
        status = add_row(d, t, r, &c, source, err);
      }
    } else if (evid == 1 || (evid == 4 && first)) { /* a reset at the start is no reset */
      status = add_dose(d, t, r, &c, source, err);
      any_dose = 1;
    } else if (evid == 2 || (evid == 3 && first)) {
      continue; /* an other-type event: nothing to give or observe */
    } else if (evid == 3 || evid == 4) {
      status = cartp_error_at(err, CART_EPARSE, source, t->lines[r],
                              "EVID %g: a reset after ID %s's first record is not supported "
                              "(the model's state is not reset; give the course as another ID)",
                              evid, d->id);
    } else {
      status = cartp_error_at(err, CART_EPARSE, source, t->lines[r],
                              "EVID %g is not supported (0 an observation, 1 a dose, 2 an other "
                              "event, skipped; 3 and 4 only on an ID's first record)", evid);
    }
  }
  /* a table with dose records gives every ID its own (an ID without any: no doses) */
  for (size_t s = 0; status == CART_OK && any_dose && s < n_sets; s++) {
    if (sets[s]->dosing == NULL && (sets[s]->dosing = cart_dosing_new(err)) == NULL) {
      status = cartp_error(err, CART_ENOMEM, "%s: out of memory", source);
    }
  }
  size_t kept = 0;
  for (size_t s = 0; s < n_sets; s++) { /* IDs with dose records only have no data set */
    if (sets[s]->n > 0) {
      sets[kept++] = sets[s];
    } else {
      cart_fit_data_free(sets[s]);
    }
  }
  n_sets = kept;
  if (status == CART_OK && n_sets == 0) {
    status = cartp_error(err, CART_EPARSE, "%s: no observation rows (all MDV or EVID)", source);
  }
  free(order);
  cart_table_free(t);
  if (status != CART_OK) {
    cart_fit_data_free_all(sets, n_sets);
    return status;
  }
  *data = sets;
  *n = n_sets;
  cart_error_clear(err);
  return CART_OK;
}

int cart_fit_data_parse_nonmem(const cart_model *model, const char *text, const char *source,
                               cart_fit_data ***data, size_t *n, cart_error *err)
{
  return parse_grouped(model, text, source, &nonmem_form, data, n, err);
}

int cart_fit_data_parse_petab(const cart_model *model, const char *text, const char *source,
                              cart_fit_data ***data, size_t *n, cart_error *err)
{
  return parse_grouped(model, text, source, &petab_form, data, n, err);
}

static int read_grouped(const cart_model *model, const char *path, const grouped_form *form,
                        cart_fit_data ***data, size_t *n, cart_error *err)
{
  if (path == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_fit_data_read: NULL path");
  }
  char *text = NULL;
  int status = cartp_read_text_file(path, "data file", FIT_DATA_MAX_BYTES, &text, err);
  if (status == CART_OK) {
    status = parse_grouped(model, text, path, form, data, n, err);
  }
  free(text);
  return status;
}

int cart_fit_data_read_nonmem(const cart_model *model, const char *path, cart_fit_data ***data,
                              size_t *n, cart_error *err)
{
  return read_grouped(model, path, &nonmem_form, data, n, err);
}

int cart_fit_data_read_petab(const cart_model *model, const char *path, cart_fit_data ***data,
                             size_t *n, cart_error *err)
{
  return read_grouped(model, path, &petab_form, data, n, err);
}
