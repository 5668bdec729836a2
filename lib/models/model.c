/* model.c: the public read-only view of the model tables. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart_model.h>

#include "../util/error.h"
#include "model_impl.h"
#include "oncology_endpoints.h"

size_t cart_model_count(void)
{
  return cartp_model_registry_size;
}

const cart_model *cart_model_get(size_t i)
{
  return i < cartp_model_registry_size ? cartp_model_registry[i] : NULL;
}

const cart_model *cart_model_find(const char *name, cart_error *err)
{
  if (name == NULL) {
    cartp_error(err, CART_EINVAL, "model name is NULL");
    return NULL;
  }
  for (size_t i = 0; i < cartp_model_registry_size; i++) {
    if (strcmp(cartp_model_registry[i]->name, name) == 0) {
      return cartp_model_registry[i];
    }
  }
  char known[128] = "";
  for (size_t i = 0; i < cartp_model_registry_size; i++) {
    strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
    strncat(known, cartp_model_registry[i]->name, sizeof known - strlen(known) - 1);
  }
  cartp_error(err, CART_EUNKNOWN_MODEL, "unknown model '%s' (known: %s)", name, known);
  return NULL;
}

const char *cart_model_name(const cart_model *model)
{
  return model ? model->name : NULL;
}

const char *cart_model_description(const cart_model *model)
{
  return model ? model->description : NULL;
}

size_t cart_model_n_states(const cart_model *model)
{
  return model ? model->n_states : 0;
}

size_t cart_model_n_params(const cart_model *model)
{
  return model ? model->n_params : 0;
}

size_t cart_model_n_outputs(const cart_model *model)
{
  return model ? model->n_outputs : 0;
}

int cart_model_state_info(const cart_model *model, size_t i, cart_state_info *info)
{
  if (model == NULL || info == NULL || i >= model->n_states) {
    return CART_EINVAL;
  }
  *info = model->states[i];
  return CART_OK;
}

int cart_model_param_info(const cart_model *model, size_t i, cart_param_info *info)
{
  if (model == NULL || info == NULL || i >= model->n_params) {
    return CART_EINVAL;
  }
  *info = model->params[i];
  return CART_OK;
}

int cart_model_output_info(const cart_model *model, size_t i, cart_state_info *info)
{
  if (model == NULL || info == NULL || i >= model->n_outputs) {
    return CART_EINVAL;
  }
  *info = model->outputs[i];
  return CART_OK;
}

int cart_model_state_index(const cart_model *model, const char *name)
{
  if (model == NULL || name == NULL) {
    return -1;
  }
  for (size_t i = 0; i < model->n_states; i++) {
    if (strcmp(model->states[i].name, name) == 0) {
      return (int)i;
    }
  }
  return -1;
}

int cart_model_param_index(const cart_model *model, const char *name)
{
  if (model == NULL || name == NULL) {
    return -1;
  }
  for (size_t i = 0; i < model->n_params; i++) {
    if (strcmp(model->params[i].name, name) == 0) {
      return (int)i;
    }
  }
  return -1;
}

size_t cart_model_n_endpoints(const cart_model *model)
{
  return model ? model->n_endpoints : 0;
}

int cart_model_endpoint_info(const cart_model *model, size_t i, cart_endpoint_info *info)
{
  if (model == NULL || info == NULL || i >= model->n_endpoints) {
    return CART_EINVAL;
  }
  *info = model->endpoints[i].info;
  return CART_OK;
}

int cart_model_endpoint_index(const cart_model *model, const char *name)
{
  if (model == NULL || name == NULL) {
    return -1;
  }
  for (size_t i = 0; i < model->n_endpoints; i++) {
    if (strcmp(model->endpoints[i].info.name, name) == 0) {
      return (int)i;
    }
  }
  return -1;
}

/* MODEL.md section 4 (oncology_endpoints.h). */
const cartp_endpoint cartp_oncology_endpoints[CART_N_ENDPOINTS] = {CARTP_ONCOLOGY_ENDPOINT_ROWS};

/* The fields of cart_endpoint_settings by name (MODEL.md 4); the defaults are
 * cart_endpoint_settings_default's (endpoints.c fills the struct from this table). */
#define FIELD(field) offsetof(cart_endpoint_settings, field)
const cartp_trial_setting cartp_trial_settings[CARTP_N_TRIAL_SETTINGS] = {
    {{"n_detect", "cells", 1e9, 0, INFINITY, 1, 0, "detection limit of the tumour sum"},
     FIELD(n_detect)},
    {{"t_resp", "day", 90, 0, INFINITY, 1, 0, "a complete response must come before it"},
     FIELD(t_resp)},
    {{"f_aplasia", "1", 0.1, 0, INFINITY, 1, 0, "B below f_aplasia * B0 is B-cell aplasia"},
     FIELD(f_aplasia)},
    {{"crs_g1", "pg/mL", 40, 0, INFINITY, 1, 0, "CRS grade 1 threshold of the CRS signal"},
     FIELD(crs_g[0])},
    {{"crs_g2", "pg/mL", 200, 0, INFINITY, 1, 0, "CRS grade 2 threshold"}, FIELD(crs_g[1])},
    {{"crs_g3", "pg/mL", 1000, 0, INFINITY, 1, 0, "CRS grade 3 threshold"}, FIELD(crs_g[2])},
    {{"crs_g4", "pg/mL", 5000, 0, INFINITY, 1, 0, "CRS grade 4 threshold"}, FIELD(crs_g[3])},
    {{"auc_end", "day", 28, 0, INFINITY, 1, 0, "upper limit of the integral auc28"},
     FIELD(auc_end)},
};
#undef FIELD

int cartp_trial_setting_index(const char *name)
{
  for (int i = 0; i < CARTP_N_TRIAL_SETTINGS; i++) {
    if (strcmp(cartp_trial_settings[i].info.name, name) == 0) {
      return i;
    }
  }
  return -1;
}

double *cartp_trial_setting_field(cart_endpoint_settings *settings, int i)
{
  return (double *)((char *)settings + cartp_trial_settings[i].offset);
}

/* Every reducer's row (model_impl.h, cartp_reducer_info); a field left out is 0. */
static const cartp_reducer_info reducers[CARTP_N_REDUCERS] = {
    [CARTP_REDUCE_MAX] = {.extreme = +1},
    [CARTP_REDUCE_TIME_OF_MAX] = {.extreme = +1},
    [CARTP_REDUCE_MIN] = {.extreme = -1},
    [CARTP_REDUCE_INTEGRAL] = {.n_levels = 1, .work = CARTP_WORK_PER_STEP},
    [CARTP_REDUCE_VALUE_AT] = {.reads_day = 1, .nan_until_seen = 1, .work = CARTP_WORK_PER_STEP},
    [CARTP_REDUCE_TIME_BELOW] = {.n_levels = 1, .work = CARTP_WORK_PER_SAMPLE},
    [CARTP_REDUCE_FIRST_ABOVE] = {.n_levels = 1, .nan_until_seen = 1,
                                  .work = CARTP_WORK_PER_SAMPLE},
    [CARTP_REDUCE_GRADE] = {.n_levels = 4, .extreme = +1, .is_integer = 1},
    [CARTP_REDUCE_RESPONSE] = {.n_levels = 2, .extreme = -1, .response = 1, .is_integer = 1},
    [CARTP_REDUCE_RELAPSE_DAY] = {.n_levels = 2, .extreme = -1, .response = 1},
    [CARTP_REDUCE_RELAPSE_NEGATIVE] = {.n_levels = 2, .extreme = -1, .response = 1,
                                       .is_integer = 1},
    [CARTP_REDUCE_TOCI_DOSES] = {.is_integer = 1, .no_input = 1},
    [CARTP_REDUCE_RECOVERY_DAY] = {.n_levels = 2, .nan_until_seen = 1,
                                   .work = CARTP_WORK_PER_SAMPLE},
    [CARTP_REDUCE_LAST_ABOVE] = {.n_levels = 1, .nan_until_seen = 1,
                                 .work = CARTP_WORK_PER_SAMPLE},
    [CARTP_REDUCE_FIRST_BELOW] = {.n_levels = 1, .nan_until_seen = 1,
                                  .work = CARTP_WORK_PER_SAMPLE},
    [CARTP_REDUCE_BELOW_AT] = {.n_levels = 1, .reads_day = 1, .is_integer = 1,
                               .nan_until_seen = 1, .work = CARTP_WORK_PER_STEP},
    [CARTP_REDUCE_RECIST] = {.n_levels = 3, .extreme = -1, .response = 1, .is_integer = 1},
    [CARTP_REDUCE_FALL_AFTER_MAX] = {.n_levels = 1, .nan_until_seen = 1,
                                     .work = CARTP_WORK_PER_SAMPLE},
};

const cartp_reducer_info *cartp_reducer_get(cartp_reducer reducer)
{
  return reducer > CARTP_REDUCE_NONE && reducer < CARTP_N_REDUCERS ? &reducers[reducer] : NULL;
}

int cartp_reducer_n_levels(cartp_reducer reducer)
{
  const cartp_reducer_info *info = cartp_reducer_get(reducer);
  return info ? info->n_levels : 0;
}

/* The description of a level's setting: the row's own, or the trial-wide one. */
static const cart_param_info *level_setting(const cartp_level *level)
{
  const int t = cartp_trial_setting_index(level->setting.name);
  return t >= 0 ? &cartp_trial_settings[t].info : &level->setting;
}

size_t cartp_model_endpoint_settings(const cart_model *model,
                                     cart_param_info settings[CARTP_MAX_ENDPOINT_SETTINGS],
                                     int own[CARTP_MAX_ENDPOINT_SETTINGS])
{
  const char *names[CARTP_MAX_ENDPOINT_SETTINGS];
  size_t n = 0;
  for (size_t e = 0; e < model->n_endpoints; e++) {
    for (int j = 0; j < CARTP_MAX_LEVELS; j++) {
      const cartp_level *level = &model->endpoints[e].levels[j];
      if (level->setting.name == NULL) {
        break;
      }
      size_t k = 0;
      while (k < n && strcmp(names[k], level->setting.name) != 0) {
        k++;
      }
      if (k < n || n == CARTP_MAX_ENDPOINT_SETTINGS) {
        continue;
      }
      names[n] = level->setting.name;
      if (settings != NULL) {
        settings[n] = *level_setting(level);
      }
      if (own != NULL) {
        own[n] = cartp_trial_setting_index(level->setting.name) < 0;
      }
      n++;
    }
  }
  return n;
}

/* Whether two descriptions of one setting agree. */
static int same_setting(const cart_param_info *a, const cart_param_info *b)
{
  return strcmp(a->unit, b->unit) == 0 && a->default_value == b->default_value &&
         a->lower == b->lower && a->upper == b->upper && a->lower_open == b->lower_open &&
         a->upper_open == b->upper_open;
}

/* Whether two rows read the same levels. */
static int same_levels(const cartp_endpoint *a, const cartp_endpoint *b)
{
  for (int j = 0; j < cartp_reducer_n_levels(a->reducer); j++) {
    const cartp_level *x = &a->levels[j], *y = &b->levels[j];
    if (strcmp(x->setting.name, y->setting.name) != 0 || x->scale != y->scale ||
        (x->param != NULL) != (y->param != NULL) ||
        (x->param != NULL && strcmp(x->param, y->param) != 0)) {
      return 0;
    }
  }
  return 1;
}

/* One level of row `def` (model_impl.h, cartp_model_check_endpoints). */
static int check_level(const cart_model *model, const cartp_endpoint *def, const cartp_level *level,
                       cart_error *err)
{
  const char *name = def->info.name, *setting = level->setting.name;
  if (level->scale == CART_LEVEL_PARAM &&
      (level->param == NULL || cart_model_param_index(model, level->param) < 0)) {
    return cartp_error(err, CART_EINVAL,
                            "model '%s': endpoint %s: level %s scales by parameter '%s', which "
                            "the model does not have", model->name, name, setting,
                            level->param ? level->param : "(none)");
  }
  if (level->scale != CART_LEVEL_PARAM && level->param != NULL) {
    return cartp_error(err, CART_EINVAL,
                            "model '%s': endpoint %s: level %s names parameter '%s' but does not "
                            "scale by it", model->name, name, setting, level->param);
  }
  if (cartp_trial_setting_index(setting) >= 0) {
    if (level->setting.unit != NULL) {
      return cartp_error(err, CART_EINVAL,
                              "model '%s': endpoint %s: '%s' is a trial-wide setting (its "
                              "default and bounds are the library's): name a setting of the "
                              "model's own", model->name, name, setting);
    }
    return CART_OK;
  }
  const cart_param_info *own = &level->setting;
  if (own->unit == NULL || own->meaning == NULL ||
      !cartp_value_in_bounds(own, own->default_value)) {
    return cartp_error(err, CART_EINVAL,
                            "model '%s': endpoint %s: setting %s of the model's own needs a unit, "
                            "a meaning and a default inside its bounds", model->name, name,
                            setting);
  }
  for (size_t e = 0; e < model->n_endpoints; e++) {
    for (int j = 0; j < CARTP_MAX_LEVELS; j++) {
      const cartp_level *other = &model->endpoints[e].levels[j];
      if (other->setting.name != NULL && strcmp(other->setting.name, setting) == 0 &&
          !same_setting(&other->setting, own)) {
        return cartp_error(err, CART_EINVAL,
                                "model '%s': setting %s is described differently by endpoints "
                                "%s and %s", model->name, setting, name,
                                model->endpoints[e].info.name);
      }
    }
  }
  return CART_OK;
}

int cartp_model_check_endpoints(const cart_model *model, cart_error *err)
{
  if (model->n_endpoints > CARTP_MAX_ENDPOINTS) { /* the tracker keeps one accumulator each */
    return cartp_error(err, CART_EINVAL, "model '%s': %zu endpoints, more than %d", model->name,
                       model->n_endpoints, CARTP_MAX_ENDPOINTS);
  }
  const cartp_endpoint *response = NULL;
  for (size_t e = 0; e < model->n_endpoints; e++) {
    const cartp_endpoint *def = &model->endpoints[e];
    const char *name = def->info.name;
    const cartp_reducer_info *reducer = cartp_reducer_get(def->reducer);
    if (reducer == NULL) {
      return cartp_error(err, CART_EINVAL, "model '%s': endpoint %s has no reducer",
                              model->name, name);
    }
    const int role = def->input_slot - 1;
    if (!reducer->no_input &&
        !(role >= 0 && role < CART_N_ROLES && cartp_model_role(model, role) >= 0)) {
      return cartp_error(err, CART_EINVAL,
                              "model '%s': endpoint %s reads a role the model lacks", model->name,
                              name);
    }
    if (reducer->reads_day && !(isfinite(def->day) && def->day >= 0.0)) {
      return cartp_error(err, CART_EINVAL, "model '%s': endpoint %s: day %g is not a day >= 0",
                         model->name, name, def->day);
    }
    if ((def->info.is_integer != 0) != (reducer->is_integer != 0)) {
      return cartp_error(err, CART_EINVAL,
                         "model '%s': endpoint %s: its reducer's value is %s, is_integer %d",
                         model->name, name, reducer->is_integer ? "an integer" : "real",
                         def->info.is_integer);
    }
    const int wanted = reducer->n_levels;
    for (int j = 0; j < CARTP_MAX_LEVELS; j++) {
      const cartp_level *level = &def->levels[j];
      if ((level->setting.name != NULL) != (j < wanted)) {
        return cartp_error(err, CART_EINVAL,
                                "model '%s': endpoint %s: its reducer reads %d level%s",
                                model->name, name, wanted, wanted == 1 ? "" : "s");
      }
      const int status = j < wanted ? check_level(model, def, level, err) : CART_OK;
      if (status != CART_OK) {
        return status;
      }
    }
    const int in_response = reducer->response;
    if (in_response && response != NULL &&
        (response->input_slot != def->input_slot || !same_levels(response, def))) {
      /* one response machine per patient (endpoints.c): its rows read one tumour, one n_detect */
      return cartp_error(err, CART_EINVAL,
                              "model '%s': endpoints %s and %s follow one response: give them "
                              "the same input and levels", model->name, response->info.name, name);
    }
    response = in_response && response == NULL ? def : response;
  }
  if (cartp_model_endpoint_settings(model, NULL, NULL) == CARTP_MAX_ENDPOINT_SETTINGS) {
    return cartp_error(err, CART_EINVAL,
                            "model '%s': its endpoints read %d or more settings", model->name,
                            CARTP_MAX_ENDPOINT_SETTINGS);
  }
  return CART_OK;
}

size_t cart_model_endpoint_n_levels(const cart_model *model, size_t i)
{
  return model && i < model->n_endpoints
             ? (size_t)cartp_reducer_n_levels(model->endpoints[i].reducer)
             : 0;
}

int cart_model_endpoint_level(const cart_model *model, size_t i, size_t j,
                              cart_endpoint_level *level)
{
  if (level == NULL || j >= cart_model_endpoint_n_levels(model, i)) {
    return CART_EINVAL;
  }
  const cartp_level *row = &model->endpoints[i].levels[j];
  *level = (cart_endpoint_level){row->setting.name, row->scale, row->param};
  return CART_OK;
}

size_t cart_model_n_endpoint_settings(const cart_model *model)
{
  return model ? cartp_model_endpoint_settings(model, NULL, NULL) : 0;
}

int cart_model_endpoint_setting_info(const cart_model *model, size_t i, cart_param_info *info)
{
  cart_param_info settings[CARTP_MAX_ENDPOINT_SETTINGS];
  if (model == NULL || info == NULL || i >= cartp_model_endpoint_settings(model, settings, NULL)) {
    return CART_EINVAL;
  }
  *info = settings[i];
  return CART_OK;
}

int cart_model_endpoint_setting_is_own(const cart_model *model, size_t i)
{
  int own[CARTP_MAX_ENDPOINT_SETTINGS];
  return model != NULL && i < cartp_model_endpoint_settings(model, NULL, own) && own[i];
}

int cart_endpoint_get_info(size_t i, cart_endpoint_info *info)
{
  if (i >= CART_N_ENDPOINTS || info == NULL) {
    return CART_EINVAL;
  }
  *info = cartp_oncology_endpoints[i].info;
  return CART_OK;
}

int cartp_value_in_bounds(const cart_param_info *info, double value)
{
  if (!isfinite(value)) {
    return 0;
  }
  const int above = info->lower_open ? value > info->lower : value >= info->lower;
  const int below = info->upper_open ? value < info->upper : value <= info->upper;
  return above && below;
}

int cart_model_dose_state(const cart_model *model, int kind)
{
  if (model == NULL) {
    return -1;
  }
  if (kind == CART_DOSE_TOCI) {
    return cartp_model_toci_state(model);
  }
  if (kind != CART_DOSE_CART || model->add_cart_dose == NULL) {
    return -1;
  }
  /* the state the model's own dose function fills with a dose of effector cells only, so that
   * the answer cannot disagree with what a dose does */
  double *y = calloc(model->n_states, sizeof *y);
  int state = -1;
  if (y != NULL) {
    model->add_cart_dose(y, 1.0, 0.0);
    for (size_t i = 0; i < model->n_states && state < 0; i++) {
      state = y[i] != 0.0 ? (int)i : -1;
    }
  }
  free(y);
  return state;
}

int cart_model_param_in_bounds(const cart_model *model, size_t i, double value)
{
  if (model == NULL || i >= model->n_params) {
    return 0;
  }
  return cartp_value_in_bounds(&model->params[i], value);
}
