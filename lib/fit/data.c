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

/* The index of `name` (any case) among names[0 .. n), -1 for none. */
static int find_name(char *const *names, size_t n, const char *name)
{
  for (size_t c = 0; c < n; c++) {
    const char *a = names[c], *b = name;
    while (*a && *b && (*a | 0x20) == (*b | 0x20)) {
      a++;
      b++;
    }
    if (*a == '\0' && *b == '\0') {
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

/* The columns a text form reads, found once. */
typedef struct columns {
  int time, value, observable_label, cmt, blq, lloq, mdv, evid, id;
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
    const double cmt = row[c->cmt];
    if (cmt != floor(cmt) || cmt < 1 || cmt > (double)d->model->n_states) {
      return cartp_error_at(err, CART_EPARSE, source, line,
                            "CMT %g is not a state of model %s (1 .. %zu)", cmt,
                            cart_model_name(d->model), d->model->n_states);
    }
    observable = (int)cmt - 1;
  }
  const double value = row[c->value];
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
  columns c = {number_column(t, "time"), number_column(t, "value"), -1, -1,
               number_column(t, "blq"), number_column(t, "lloq"), -1, -1, -1};
  c.observable_label = t->n_label_columns > 0 ? 0 : -1;
  if (c.time < 0 || c.value < 0 || c.observable_label < 0) {
    status = missing_column(t, source,
                            c.time < 0 ? "time" : c.value < 0 ? "value" : "observable (or obs)",
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
} grouped_form;

static const char *const nonmem_labels[] = {"id", "obs", NULL};
static const grouped_form nonmem_form = {nonmem_labels, ',', "id", "time", "dv", "obs", "cmt",
                                         "blq", "lloq", "mdv", "evid",
                                         "OBS (an observable's name) or CMT", 0};
static const char *const petab_labels[] = {"observableId", "simulationConditionId",
                                           "preequilibrationConditionId", "observableParameters",
                                           "noiseParameters", "datasetId", "replicateId", NULL};
static const grouped_form petab_form = {petab_labels, '\t', "simulationConditionId", "time",
                                        "measurement", "observableId", NULL, NULL, NULL, NULL,
                                        NULL, "observableId", 1};

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
  columns c = {NUMBER_COLUMN(form->time),  NUMBER_COLUMN(form->value),
               label_column(t, form->observable), NUMBER_COLUMN(form->cmt),
               NUMBER_COLUMN(form->blq),   NUMBER_COLUMN(form->lloq),
               NUMBER_COLUMN(form->mdv),   NUMBER_COLUMN(form->evid),
               label_column(t, form->id)};
#undef NUMBER_COLUMN
  if (c.time < 0 || c.value < 0 || c.id < 0 || (c.observable_label < 0 && c.cmt < 0)) {
    status = missing_column(t, source,
                            c.id < 0     ? form->id
                            : c.time < 0 ? form->time
                            : c.value < 0 ? form->value
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
    if ((c.mdv >= 0 && row[c.mdv] != 0) || (c.evid >= 0 && row[c.evid] != 0)) {
      continue;
    }
    status = add_row(group_of(model, t, r, &c, source, &sets, &n_sets, err), t, r, &c, source,
                     err);
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
