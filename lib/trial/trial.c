/* trial.c: the plan of a virtual trial and the work for one patient (see cart_trial.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart_trial.h>

#include "../models/params_impl.h"
#include "../population/rng.h"
#include "../solver/dosing_impl.h"
#include "../solver/infusion.h"
#include "../util/checked.h"
#include "../util/error.h"
#include "../solver/solver_impl.h"
#include "endpoints.h"
#include "patient.h"
#include "trial_impl.h"

/* Default output times: weekly to one year (MODEL.md's trials run a year). */
#define DEFAULT_HORIZON 365.0
#define DEFAULT_STEP 7.0

void cartp_trial_changed(cart_trial *trial)
{
  trial->generation++;
  trial->prepared = 0;
}

const cart_state_info *cartp_trial_extended_info(const cart_model *model, int i)
{
  if (i < 0) {
    return NULL;
  }
  if ((size_t)i < model->n_states) {
    return &model->states[i];
  }
  return (size_t)i - model->n_states < model->n_signals ? &model->signals[(size_t)i - model->n_states]
                                                        : NULL;
}

int cartp_model_extended_index(const cart_model *model, const char *name)
{
  const int state = cart_model_state_index(model, name);
  if (state >= 0) {
    return state;
  }
  for (size_t i = 0; i < model->n_signals; i++) {
    if (strcmp(model->signals[i].name, name) == 0) {
      return (int)(model->n_states + i);
    }
  }
  return -1;
}

cart_trial *cart_trial_new(const cart_model *model, cart_error *err)
{
  if (model == NULL) {
    cartp_error(err, CART_EINVAL, "cart_trial_new: model is NULL");
    return NULL;
  }
  if (cartp_model_check_endpoints(model, err) != CART_OK) {
    return NULL; /* a table the tracker cannot follow (a model outside the registry) */
  }
  cart_trial *trial = calloc(1, sizeof *trial);
  if (trial == NULL) {
    cartp_error(err, CART_ENOMEM, "cart_trial_new: out of memory");
    return NULL;
  }
  trial->model = model;
  cart_params *typical = cart_params_new(model, err);
  trial->population = typical ? cart_population_new(typical, err) : NULL;
  cart_params_free(typical);
  trial->dosing = cart_dosing_new(err);
  const size_t n_times = (size_t)(DEFAULT_HORIZON / DEFAULT_STEP) + 2;
  trial->times = malloc(n_times * sizeof *trial->times);
  if (trial->population == NULL || trial->dosing == NULL || trial->times == NULL) {
    cart_trial_free(trial);
    cartp_error(err, CART_ENOMEM, "cart_trial_new: out of memory");
    return NULL;
  }
  for (double t = 0; t <= DEFAULT_HORIZON; t += DEFAULT_STEP) {
    trial->times[trial->n_times++] = t;
  }
  if (trial->times[trial->n_times - 1] < DEFAULT_HORIZON) {
    trial->times[trial->n_times++] = DEFAULT_HORIZON;
  }
  trial->method = CART_METHOD_DEFAULT;
  trial->lanes = 0;
  trial->rtol = CART_RTOL_DEFAULT;
  for (size_t i = 0; i < model->n_states; i++) {
    trial->atol[i] = model->states[i].abs_tol;
  }
  trial->max_steps = CART_MAX_STEPS_DEFAULT;
  trial->n_ext = CART_N_EXT_DEFAULT;
  trial->n_patients = 1000;
  trial->seed = 1;
  trial->dose_per_kg = NAN;
  trial->dose_cap = INFINITY;
  trial->wait_days = 0.0;
  trial->dropout_factor = INFINITY;
  trial->dropout_hazard = 0.0;
  trial->costs = (cart_costs){NAN, NAN, NAN, {NAN, NAN, NAN, NAN, NAN}};
  cart_endpoint_settings_default(&trial->endpoints);
  cartp_endpoint_own_defaults(model, trial->endpoint_own);
  for (const char *const *name = model->default_outputs; name && *name; name++) {
    cart_trial_add_output(trial, *name);
  }
  return trial;
}

void cart_trial_free(cart_trial *trial)
{
  if (trial == NULL) {
    return;
  }
  cart_population_free(trial->population);
  cart_dosing_free(trial->dosing);
  free(trial->times);
  free(trial);
}

const cart_model *cart_trial_model(const cart_trial *trial)
{
  return trial ? trial->model : NULL;
}

const cart_population *cart_trial_population(const cart_trial *trial)
{
  return trial ? trial->population : NULL;
}

const cart_dosing *cart_trial_dosing(const cart_trial *trial)
{
  return trial ? trial->dosing : NULL;
}

const cart_endpoint_settings *cart_trial_endpoint_settings(const cart_trial *trial)
{
  return trial ? &trial->endpoints : NULL;
}

/* The editors hand out a pointer to change the plan through: it is unprepared from then on. */
cart_population *cart_trial_edit_population(cart_trial *trial)
{
  if (trial == NULL) {
    return NULL;
  }
  trial->prepared = 0;
  return trial->population;
}

cart_dosing *cart_trial_edit_dosing(cart_trial *trial)
{
  if (trial == NULL) {
    return NULL;
  }
  trial->prepared = 0;
  return trial->dosing;
}

cart_endpoint_settings *cart_trial_edit_endpoint_settings(cart_trial *trial)
{
  if (trial == NULL) {
    return NULL;
  }
  trial->prepared = 0;
  return &trial->endpoints;
}

int cart_trial_set_endpoint_setting(cart_trial *trial, const char *name, double value)
{
  if (trial == NULL || name == NULL) {
    return CART_EINVAL;
  }
  const int status = cartp_endpoint_setting_set(trial->model, &trial->endpoints,
                                                trial->endpoint_own, name, value, &trial->error);
  if (status == CART_OK) {
    trial->prepared = 0;
  }
  return status;
}

int cart_trial_endpoint_setting(const cart_trial *trial, const char *name, double *value)
{
  if (trial == NULL || name == NULL || value == NULL) {
    return CART_EINVAL;
  }
  return cartp_endpoint_setting_get(trial->model, &trial->endpoints, trial->endpoint_own, name,
                                    value);
}

int cart_trial_set_times(cart_trial *trial, const double *times, size_t n_times)
{
  if (trial == NULL) {
    return CART_EINVAL;
  }
  if (times == NULL || n_times == 0) {
    return cartp_error(&trial->error, CART_ETIMES, "a trial needs at least one output time");
  }
  if (n_times > CART_MAX_OUTPUT_TIMES) {
    return cartp_error(&trial->error, CART_ETIMES, "%zu output times: at most %d", n_times,
                       CART_MAX_OUTPUT_TIMES);
  }
  for (size_t k = 0; k < n_times; k++) {
    if (!isfinite(times[k]) || times[k] < 0 || (k > 0 && times[k] < times[k - 1])) {
      return cartp_error(&trial->error, CART_ETIMES,
                         "output time %zu is %g: times must be finite, >= 0 and non-decreasing", k,
                         times[k]);
    }
  }
  double *copy = malloc(n_times * sizeof *copy);
  if (copy == NULL) {
    return cartp_error(&trial->error, CART_ENOMEM, "out of memory for %zu times", n_times);
  }
  memcpy(copy, times, n_times * sizeof *copy);
  free(trial->times);
  trial->times = copy;
  trial->n_times = n_times;
  cartp_trial_changed(trial);
  return CART_OK;
}

const double *cart_trial_times(const cart_trial *trial, size_t *n_times)
{
  if (trial == NULL) {
    return NULL;
  }
  if (n_times != NULL) {
    *n_times = trial->n_times;
  }
  return trial->times;
}

int cart_trial_set_solver(cart_trial *trial, cart_method method, double rtol, const double *atol,
                          unsigned long max_steps)
{
  if (trial == NULL) {
    return CART_EINVAL;
  }
  /* Validate with a throwaway solver, which checks exactly as every patient's will. */
  cart_solver *probe = cart_solver_new(trial->model, &trial->error);
  if (probe == NULL) {
    return trial->error.code;
  }
  int status = cart_solver_set_method(probe, method);
  if (status == CART_OK) {
    status = cart_solver_set_tolerances(probe, rtol, atol);
  }
  if (status == CART_OK) {
    status = cart_solver_set_max_steps(probe, max_steps);
  }
  if (status != CART_OK) {
    cartp_error_copy(&trial->error, cart_solver_last_error(probe));
    cart_solver_free(probe);
    return status;
  }
  cart_solver_free(probe);
  trial->method = method;
  trial->rtol = rtol;
  for (size_t i = 0; i < trial->model->n_states; i++) {
    trial->atol[i] = atol ? atol[i] : trial->model->states[i].abs_tol;
  }
  trial->max_steps = max_steps;
  cartp_trial_changed(trial);
  return CART_OK;
}

int cart_trial_set_extinction(cart_trial *trial, double n_ext)
{
  if (trial == NULL) {
    return CART_EINVAL;
  }
  if (!(n_ext >= 0 && isfinite(n_ext))) {
    return cartp_error(&trial->error, CART_EINVAL,
                       "extinction threshold n_ext %g must be finite and >= 0", n_ext);
  }
  trial->n_ext = n_ext;
  cartp_trial_changed(trial);
  return CART_OK;
}

int cart_trial_set_dose_per_kg(cart_trial *trial, double cells_per_kg, double cap_cells)
{
  if (trial == NULL) {
    return CART_EINVAL;
  }
  const cart_model *model = trial->model;
  if (isnan(cells_per_kg)) { /* off: the dose parameter itself */
    trial->dose_per_kg = NAN;
    trial->dose_cap = INFINITY;
    cartp_trial_changed(trial);
    return CART_OK;
  }
  if (cart_model_param_index(model, "dose") < 0 || cartp_model_weight_param(model) < 0) {
    return cartp_error(&trial->error, CART_EINVAL,
                       "dose_per_kg: model '%s' has no dose and body-weight parameters",
                       model->name);
  }
  if (!(cells_per_kg > 0 && isfinite(cells_per_kg)) || !(cap_cells > 0)) {
    return cartp_error(&trial->error, CART_EINVAL,
                       "dose_per_kg %g cells/kg (cap %g cells): both must be > 0 (the dose "
                       "finite)", cells_per_kg, cap_cells);
  }
  trial->dose_per_kg = cells_per_kg;
  trial->dose_param = cart_model_param_index(model, "dose");
  trial->dose_cap = cap_cells;
  cartp_trial_changed(trial);
  return CART_OK;
}

double cart_trial_dose_per_kg(const cart_trial *trial, double *cap_cells)
{
  if (cap_cells != NULL) {
    *cap_cells = trial ? trial->dose_cap : NAN;
  }
  return trial ? trial->dose_per_kg : NAN;
}

int cart_trial_set_vein_to_vein(cart_trial *trial, double wait_days)
{
  if (trial == NULL) {
    return CART_EINVAL;
  }
  if (!(isfinite(wait_days) && wait_days >= 0)) {
    return cartp_error(&trial->error, CART_EINVAL,
                       "vein_to_vein_days %g must be finite and >= 0", wait_days);
  }
  if (wait_days > 0 && cartp_model_can_wait(trial->model, &trial->error) != CART_OK) {
    return CART_EINVAL;
  }
  trial->wait_days = wait_days;
  trial->prepared = 0;
  return CART_OK;
}

double cart_trial_vein_to_vein(const cart_trial *trial)
{
  return trial ? trial->wait_days : NAN;
}

int cart_trial_set_dropout(cart_trial *trial, double tumour_factor, double hazard_per_day)
{
  if (trial == NULL) {
    return CART_EINVAL;
  }
  if (!(tumour_factor > 0)) {
    return cartp_error(&trial->error, CART_EINVAL,
                       "dropout_tumour_factor %g must be > 0 (INFINITY: off)", tumour_factor);
  }
  if (!(isfinite(hazard_per_day) && hazard_per_day >= 0)) {
    return cartp_error(&trial->error, CART_EINVAL,
                       "dropout_hazard_per_day %g must be finite and >= 0", hazard_per_day);
  }
  trial->dropout_factor = tumour_factor;
  trial->dropout_hazard = hazard_per_day;
  trial->prepared = 0;
  return CART_OK;
}

double cart_trial_dropout(const cart_trial *trial, double *hazard_per_day)
{
  if (hazard_per_day != NULL) {
    *hazard_per_day = trial ? trial->dropout_hazard : NAN;
  }
  return trial ? trial->dropout_factor : NAN;
}

int cart_trial_set_costs(cart_trial *trial, const cart_costs *costs)
{
  if (trial == NULL) {
    return CART_EINVAL;
  }
  if (costs == NULL || isnan(costs->product)) {
    trial->costs = (cart_costs){NAN, NAN, NAN, {NAN, NAN, NAN, NAN, NAN}};
    return CART_OK;
  }
  if (cart_model_endpoint_index(trial->model, "crs_grade") < 0 ||
      cart_model_endpoint_index(trial->model, "toci_doses") < 0) {
    return cartp_error(&trial->error, CART_EINVAL,
                       "costs: model '%s' has no crs_grade and toci_doses endpoints",
                       trial->model->name);
  }
  const struct {
    const char *name;
    double value;
  } values[] = {{"product", costs->product},         {"toci_dose", costs->toci_dose},
                {"hospital_day", costs->hospital_day}, {"los_days_g0", costs->los_days[0]},
                {"los_days_g1", costs->los_days[1]}, {"los_days_g2", costs->los_days[2]},
                {"los_days_g3", costs->los_days[3]}, {"los_days_g4", costs->los_days[4]}};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    if (!(isfinite(values[i].value) && values[i].value >= 0)) {
      return cartp_error(&trial->error, CART_EINVAL, "cost %s %g must be finite and >= 0",
                         values[i].name, values[i].value);
    }
  }
  trial->costs = *costs;
  return CART_OK;
}

void cart_trial_costs(const cart_trial *trial, cart_costs *costs)
{
  if (trial != NULL && costs != NULL) {
    *costs = trial->costs;
  }
}

int cart_trial_summary_costs(const cart_trial *trial, cart_trial_summary *s)
{
  if (trial == NULL || s == NULL) {
    return CART_EINVAL;
  }
  s->cost_per_patient = s->cost_per_infused = s->cost_per_cr = NAN;
  const cart_costs *c = &trial->costs;
  const int grade = cart_model_endpoint_index(trial->model, "crs_grade");
  const int response = cart_model_endpoint_index(trial->model, "response");
  if (isnan(c->product) || grade < 0) {
    return CART_OK;
  }
  /* Every infused patient has a product, its doses and its stay; the doses from their mean
   * (the count over the patients solved), the stays from the count at each grade. */
  const double infused = (double)s->n_solved;
  double days = 0.0;
  for (size_t g = 0; g < 5; g++) {
    days += c->los_days[g] * (double)s->endpoints[grade].n_level[g];
  }
  const double doses = s->n_solved > 0 ? s->toci_doses_mean * infused : 0.0;
  const double total = c->product * infused + c->toci_dose * doses + c->hospital_day * days;
  const size_t enrolled = s->n_solved + s->n_dropout;
  const size_t n_cr = response >= 0 ? s->endpoints[response].n_level[2] : 0;
  s->cost_per_patient = enrolled > 0 ? total / (double)enrolled : NAN;
  s->cost_per_infused = s->n_solved > 0 ? total / infused : NAN;
  s->cost_per_cr = n_cr > 0 ? total / (double)n_cr : NAN;
  return CART_OK;
}

double cart_trial_extinction(const cart_trial *trial)
{
  return trial ? trial->n_ext : NAN;
}

/* The bytes one patient takes in a block, in the HDF5 file and in the summary: parameters,
 * trajectories, endpoints, tocilizumab times, status and the summary's kept values (one per
 * endpoint). SIZE_MAX when that does not fit in a size_t. */
static size_t bytes_per_patient(const cart_trial *trial)
{
  const size_t max_toci = cartp_trial_max_toci(trial);
  size_t params, trajectories, toci, total;
  if (cartp_mul_size(trial->model->n_params, sizeof(double), &params) != 0 ||
      cartp_mul3_size(trial->n_outputs ? trial->n_outputs : 1, trial->n_times, sizeof(float),
                      &trajectories) != 0 ||
      cartp_mul_size(max_toci ? max_toci : 1, sizeof(double), &toci) != 0 ||
      cartp_add_size(params, trajectories, &total) != 0 || cartp_add_size(total, toci, &total) != 0 ||
      cartp_add_size(total, 2 * trial->model->n_endpoints * sizeof(double) + sizeof(int),
                     &total) != 0) {
    return SIZE_MAX;
  }
  return total;
}

/* CART_EINVAL when n patients of this trial's shape cannot be addressed: every size product of
 * the trial path (blocks, the summary, the HDF5 datasets) is then below SIZE_MAX. */
static int check_trial_size(cart_trial *trial, size_t n_patients)
{
  const size_t per_patient = bytes_per_patient(trial);
  size_t total;
  if (cartp_mul_size(n_patients, per_patient, &total) != 0) {
    return cartp_error(&trial->error, CART_EINVAL,
                       "%zu patients are too many: at %zu bytes per patient (parameters, "
                       "trajectories, endpoints) their data exceed the address space",
                       n_patients, per_patient);
  }
  return CART_OK;
}

int cart_trial_set_n_patients(cart_trial *trial, size_t n_patients)
{
  if (trial == NULL) {
    return CART_EINVAL;
  }
  if (n_patients == 0) {
    return cartp_error(&trial->error, CART_EINVAL, "a trial needs at least one patient");
  }
  const int status = check_trial_size(trial, n_patients);
  if (status != CART_OK) {
    return status;
  }
  trial->n_patients = n_patients;
  trial->prepared = 0;
  return CART_OK;
}

size_t cart_trial_n_patients(const cart_trial *trial)
{
  return trial ? trial->n_patients : 0;
}

void cart_trial_set_seed(cart_trial *trial, uint64_t seed)
{
  if (trial != NULL) {
    trial->seed = seed;
  }
}

uint64_t cart_trial_seed(const cart_trial *trial)
{
  return trial ? trial->seed : 0;
}

int cart_trial_add_output(cart_trial *trial, const char *name)
{
  if (trial == NULL || name == NULL) {
    return CART_EINVAL;
  }
  const int index = cartp_model_extended_index(trial->model, name);
  if (index < 0) {
    return cartp_error(&trial->error, CART_EUNKNOWN_PARAM,
                       "model '%s' has no state or signal '%s' to output", trial->model->name,
                       name);
  }
  for (size_t i = 0; i < trial->n_outputs; i++) {
    if (trial->outputs[i] == index) {
      return cartp_error(&trial->error, CART_EINVAL, "output '%s' is already kept", name);
    }
  }
  if (trial->n_outputs == CART_MAX_OUTPUTS) {
    return cartp_error(&trial->error, CART_EINVAL, "more than %d outputs", CART_MAX_OUTPUTS);
  }
  trial->outputs[trial->n_outputs++] = index;
  trial->prepared = 0;
  return CART_OK;
}

int cartp_trial_set_values_at(cart_trial *trial, size_t n, const int *index, const double *day)
{
  if (n > CARTP_MAX_VALUES_AT) {
    return cartp_error(&trial->error, CART_EINVAL, "more than %d values at a day",
                       CARTP_MAX_VALUES_AT);
  }
  const size_t n_extended = trial->model->n_states + trial->model->n_signals;
  for (size_t j = 0; j < n; j++) {
    if (index[j] < 0 || (size_t)index[j] >= n_extended || !(day[j] >= 0) || !isfinite(day[j])) {
      return cartp_error(&trial->error, CART_EINVAL, "value at a day: index %d, day %g",
                         index[j], day[j]);
    }
    trial->value_at_index[j] = index[j];
    trial->value_at_day[j] = day[j];
  }
  trial->n_values_at = n;
  trial->prepared = 0;
  return CART_OK;
}

void cart_trial_clear_outputs(cart_trial *trial)
{
  if (trial != NULL) {
    trial->n_outputs = 0;
    trial->prepared = 0;
  }
}

size_t cart_trial_n_endpoints(const cart_trial *trial)
{
  return trial ? trial->model->n_endpoints : 0;
}

size_t cart_trial_n_outputs(const cart_trial *trial)
{
  return trial ? trial->n_outputs : 0;
}

int cart_trial_output_info(const cart_trial *trial, size_t i, const char **name, const char **unit)
{
  if (trial == NULL || i >= trial->n_outputs) {
    return CART_EINVAL;
  }
  const cart_state_info *info = cartp_trial_extended_info(trial->model, trial->outputs[i]);
  if (name != NULL) {
    *name = info->name;
  }
  if (unit != NULL) {
    *unit = info->unit;
  }
  return CART_OK;
}

int cart_trial_prepare(cart_trial *trial)
{
  if (trial == NULL) {
    return CART_EINVAL;
  }
  trial->prepared = 0;
  int status = cartp_endpoint_settings_check(&trial->endpoints, &trial->error);
  if (status != CART_OK) {
    return status;
  }
  cartp_level_plan_make(&trial->levels, trial->model, &trial->endpoints, trial->endpoint_own);
  status = check_trial_size(trial, trial->n_patients);
  if (status != CART_OK) {
    return status;
  }
  status = cart_population_prepare(trial->population);
  if (status != CART_OK) {
    return cartp_error_copy(&trial->error, cart_population_last_error(trial->population));
  }
  if (trial->dosing->n_cart > 0 && trial->model->add_cart_dose == NULL) {
    return cartp_error(&trial->error, CART_EDOSE, "model '%s' takes no CAR-T doses",
                       trial->model->name);
  }
  if (trial->dosing->rule.enabled &&
      (cartp_model_toci_state(trial->model) < 0 || cartp_model_role(trial->model, CART_ROLE_CRS) < 0)) {
    return cartp_error(&trial->error, CART_EDOSE,
                       "model '%s' has no CRS signal or tocilizumab compartment for the "
                       "tocilizumab rule",
                       trial->model->name);
  }
  if (trial->dosing->n_toci > 0 && cartp_model_toci_state(trial->model) < 0) {
    return cartp_error(&trial->error, CART_EDOSE, "model '%s' has no tocilizumab compartment",
                       trial->model->name);
  }
  trial->prepared = 1;
  cart_error_clear(&trial->error);
  return CART_OK;
}

const cart_error *cart_trial_last_error(const cart_trial *trial)
{
  return trial ? &trial->error : NULL;
}

/* ---- blocks ---- */

cart_trial_block *cart_trial_block_new(const cart_trial *trial, size_t capacity, cart_error *err)
{
  if (trial == NULL || capacity == 0) {
    cartp_error(err, CART_EINVAL, "cart_trial_block_new: no trial, or capacity 0");
    return NULL;
  }
  const size_t n_outputs = trial->n_outputs, max_toci = cartp_trial_max_toci(trial);
  size_t params_bytes, trajectory_bytes, endpoint_bytes, status_bytes, toci_bytes, per_output;
  if (cartp_mul3_size(capacity, trial->model->n_params, sizeof(double), &params_bytes) != 0 ||
      cartp_mul3_size(capacity, trial->n_times, sizeof(float), &per_output) != 0 ||
      cartp_mul_size(per_output, n_outputs ? n_outputs : 1, &trajectory_bytes) != 0 ||
      cartp_mul3_size(capacity, trial->model->n_endpoints ? trial->model->n_endpoints : 1,
                      sizeof(double), &endpoint_bytes) != 0 ||
      cartp_mul_size(capacity, sizeof(int), &status_bytes) != 0 ||
      cartp_mul3_size(capacity, max_toci ? max_toci : 1, sizeof(double), &toci_bytes) != 0) {
    cartp_error(err, CART_ENOMEM,
                "a block of %zu patients is too large (its size exceeds the address space)",
                capacity);
    return NULL;
  }
  cart_trial_block *block = calloc(1, sizeof *block);
  if (block == NULL) {
    cartp_error(err, CART_ENOMEM, "out of memory for a block");
    return NULL;
  }
  block->capacity = capacity;
  block->n_params = trial->model->n_params;
  block->n_outputs = n_outputs;
  block->n_times = trial->n_times;
  block->n_endpoints = trial->model->n_endpoints;
  block->model = trial->model;
  block->params = malloc(params_bytes);
  block->trajectories = malloc(trajectory_bytes);
  block->endpoints = malloc(endpoint_bytes);
  block->status = malloc(status_bytes);
  block->max_toci = max_toci;
  block->toci_times = malloc(toci_bytes);
  block->tumour_infusion = malloc(capacity * sizeof *block->tumour_infusion); /* <= params */
  block->n_values_at = trial->n_values_at; /* <= CARTP_MAX_VALUES_AT columns: <= 16 x params */
  block->values_at =
      trial->n_values_at ? malloc(capacity * trial->n_values_at * sizeof(double)) : NULL;
  if (!block->params || !block->trajectories || !block->endpoints || !block->status ||
      !block->toci_times || !block->tumour_infusion || (trial->n_values_at && !block->values_at)) {
    cart_trial_block_free(block);
    cartp_error(err, CART_ENOMEM, "out of memory for a block of %zu patients", capacity);
    return NULL;
  }
  return block;
}

void cart_trial_block_free(cart_trial_block *block)
{
  if (block != NULL) {
    free(block->params);
    free(block->trajectories);
    free(block->endpoints);
    free(block->status);
    free(block->toci_times);
    free(block->tumour_infusion);
    free(block->values_at);
    free(block);
  }
}

/* ---- one patient ---- */

int cartp_workspace_init(const cart_trial *trial, cartp_workspace *ws, cart_error *err)
{
  memset(ws, 0, sizeof *ws);
  ws->solver = cart_solver_new(trial->model, err);
  ws->params = cart_params_new(trial->model, err);
  ws->n_times = trial->n_times;
  ws->states = malloc(trial->n_times * trial->model->n_states * sizeof *ws->states);
  if (ws->solver == NULL || ws->params == NULL || ws->states == NULL) {
    cartp_workspace_clear(ws);
    return cartp_error(err, CART_ENOMEM, "out of memory for a solver workspace");
  }
  int status = cart_solver_set_method(ws->solver, trial->method);
  if (status == CART_OK) {
    status = cart_solver_set_tolerances(ws->solver, trial->rtol, trial->atol);
  }
  if (status == CART_OK) {
    status = cart_solver_set_max_steps(ws->solver, trial->max_steps);
  }
  if (status == CART_OK) {
    status = cart_solver_set_extinction(ws->solver, trial->n_ext);
  }
  if (status != CART_OK) {
    cartp_error_copy(err, cart_solver_last_error(ws->solver));
    cartp_workspace_clear(ws);
  }
  return status;
}

void cartp_workspace_clear(cartp_workspace *ws)
{
  cartp_lanes_work_free(ws->lanes_work);
  cart_solver_free(ws->solver);
  cart_params_free(ws->params);
  free(ws->states);
  memset(ws, 0, sizeof *ws);
}

size_t cartp_trial_max_toci(const cart_trial *trial)
{
  return cartp_max_toci_doses(trial->dosing);
}

size_t cart_trial_max_toci_doses(const cart_trial *trial)
{
  return trial ? cartp_trial_max_toci(trial) : 0;
}

/* The tumour (the model's tumour role) of state y, NaN for a model without one. */
static double tumour_of(const cart_model *model, const double *y, const double *p)
{
  const int i = cartp_model_role(model, CART_ROLE_TUMOUR);
  if (i < 0) {
    return NAN;
  }
  if ((size_t)i < model->n_states) {
    return y[i];
  }
  double signals[CART_MAX_SIGNALS];
  model->signal_values(y, p, signals);
  return signals[(size_t)i - model->n_states];
}

/* The drawn patient's state at infusion in y and its tumour then in *tumour: after the trial's
 * vein-to-vein time, or the initial state without one. CART_ENOTINFUSED when the patient drops
 * out during the wait (tumour factor, then the hazard's draw), or the wait's solve's code. */
static int infuse(const cart_trial *trial, cartp_workspace *ws, size_t patient, double *y,
                  double *tumour)
{
  const cart_model *model = trial->model;
  const double *p = ws->params->values;
  double derived[CART_MAX_DERIVED];
  int mode = 0;
  model->prepare(p, derived);
  model->initial(p, derived, y, &mode);
  const double enrolled = tumour_of(model, y, p);
  *tumour = enrolled;
  if (!(trial->wait_days > 0)) {
    return CART_OK;
  }
  const int status = cart_solver_infusion_state(ws->solver, ws->params, trial->wait_days, y);
  if (status != CART_OK) {
    *tumour = NAN;
    return status;
  }
  *tumour = tumour_of(model, y, p);
  if (*tumour > trial->dropout_factor * enrolled) {
    return CART_ENOTINFUSED; /* progression during the wait */
  }
  if (trial->dropout_hazard > 0) {
    /* a stream of the patient's own for this draw alone: the parameters' draws stay as they
     * were, and the draw depends only on (seed, patient), never on threads or ranks */
    cartp_stream stream;
    cartp_stream_init(&stream, trial->seed, patient, CARTP_PURPOSE_DROPOUT);
    const double u = (double)(cartp_stream_next(&stream) >> 11) * 0x1.0p-53; /* [0, 1) */
    if (u < -expm1(-trial->dropout_hazard * trial->wait_days)) {
      return CART_ENOTINFUSED;
    }
  }
  return CART_OK;
}

int cartp_trial_patient_begin(const cart_trial *trial, cartp_workspace *ws, size_t patient,
                              size_t k, cart_trial_block *block)
{
  const cart_model *model = trial->model;
  const size_t n_params = model->n_params;
  ws->patient = patient;
  ws->k = k;
  int status = cart_population_draw(trial->population, trial->seed, patient, ws->params, NULL);
  if (status == CART_OK && !isnan(trial->dose_per_kg)) {
    /* the label's weight-based dose, capped (axicabtagene ciloleucel: 2e6/kg, at most 2e8) */
    const int dose = trial->dose_param;
    const double cells =
        fmin(trial->dose_per_kg * ws->params->values[cartp_model_weight_param(model)],
             trial->dose_cap);
    ws->params->values[dose] = cells;
    if (!cart_model_param_in_bounds(model, (size_t)dose, cells)) {
      status = CART_ERANGE;
    }
  }
  memcpy(block->params + k * n_params, ws->params->values, n_params * sizeof(double));
  block->tumour_infusion[k] = NAN;
  double y0[CART_MAX_STATES_TRIAL];
  if (status == CART_OK) {
    status = infuse(trial, ws, patient, y0, &block->tumour_infusion[k]);
  }
  if (status != CART_OK) {
    return status;
  }
  ws->observer = cartp_endpoints_begin(&ws->tracker, model, &trial->levels, ws->params->values);
  cartp_endpoints_values_at(&ws->tracker, trial->n_values_at, trial->value_at_index,
                            trial->value_at_day);
  /* without a wait, the model's own initial state (y0 is that state, but the path stays the one
   * of a plain solve) */
  return cartp_run_begin(ws->solver, ws->params, trial->dosing, 0.0,
                         trial->wait_days > 0 ? y0 : NULL, trial->times, trial->n_times,
                         ws->states, NULL, &ws->observer);
}

void cartp_trial_patient_end(const cart_trial *trial, cartp_workspace *ws, int status,
                             cart_trial_block *block)
{
  const cart_model *model = trial->model;
  const size_t n_states = model->n_states;
  const size_t n_times = trial->n_times, cap = block->capacity, k = ws->k;
  double *endpoints = block->endpoints + k * model->n_endpoints;
  block->status[k] = status;
  double *toci_times = block->toci_times + k * block->max_toci;
  double *values_at = block->n_values_at ? block->values_at + k * block->n_values_at : NULL;
  if (status != CART_OK) {
    for (size_t e = 0; e < model->n_endpoints; e++) {
      endpoints[e] = NAN;
    }
    for (size_t j = 0; j < block->n_values_at; j++) {
      values_at[j] = NAN;
    }
    for (size_t i = 0; i < block->max_toci; i++) {
      toci_times[i] = NAN;
    }
    for (size_t o = 0; o < trial->n_outputs; o++) {
      float *row = block->trajectories + (o * cap + k) * n_times;
      for (size_t j = 0; j < n_times; j++) {
        row[j] = NAN;
      }
    }
    return;
  }
  const double horizon = trial->times[n_times - 1];
  const int n_toci =
      cartp_toci_doses_given(trial->dosing, ws->solver, horizon, toci_times, block->max_toci);
  cartp_endpoints_end(&ws->tracker, horizon, n_toci, endpoints);
  for (size_t j = 0; j < block->n_values_at; j++) {
    values_at[j] = ws->tracker.value_at[j];
  }
  for (size_t j = 0; j < n_times; j++) {
    const double *y = ws->states + j * n_states;
    double signals[CART_MAX_SIGNALS];
    model->signal_values(y, ws->params->values, signals);
    for (size_t o = 0; o < trial->n_outputs; o++) {
      const int i = trial->outputs[o];
      const double v = (size_t)i < n_states ? y[i] : signals[(size_t)i - n_states];
      block->trajectories[(o * cap + k) * n_times + j] = (float)v;
    }
  }
}

int cartp_trial_set_lanes(cart_trial *trial, size_t lanes)
{
  if (lanes > CARTP_MAX_LANES) {
    return cartp_error(&trial->error, CART_EINVAL, "patients in flight per thread: %zu is not "
                       "in 0..%d", lanes, CARTP_MAX_LANES);
  }
  trial->lanes = lanes;
  cartp_trial_changed(trial);
  return CART_OK;
}
