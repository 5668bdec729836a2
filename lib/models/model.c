/* model.c: the public read-only view of the model tables. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart_model.h>

#include "../util/error.h"
#include "model_impl.h"

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

/* MODEL.md section 4, in cart_endpoint order. */
#define INPUT(role) CARTP_SLOT(CART_ROLE_##role)
const cartp_endpoint cartp_oncology_endpoints[CART_N_ENDPOINTS] = {
    [CART_ENDPOINT_CMAX] = {{"cmax", "cells/uL", 0, "max of Cblood over the horizon"},
                            CARTP_REDUCE_MAX, INPUT(CBLOOD), 0},
    [CART_ENDPOINT_TMAX] = {{"tmax", "day", 0, "time of cmax"},
                            CARTP_REDUCE_TIME_OF_MAX, INPUT(CBLOOD), 0},
    [CART_ENDPOINT_AUC28] = {{"auc28", "cells/uL*day", 0, "integral of Cblood from 0 to 28"},
                             CARTP_REDUCE_INTEGRAL, INPUT(CBLOOD), 0},
    [CART_ENDPOINT_TUMOUR_NADIR] = {{"tumour_nadir", "cells", 0, "min of the tumour sum"},
                                    CARTP_REDUCE_MIN, INPUT(TUMOUR), 0},
    [CART_ENDPOINT_RESPONSE] =
        {{"response", "1", 1,
          "2 CR (tumour below n_detect before t_resp), 1 PR (nadir <= T0/2), 0 NR"},
         CARTP_REDUCE_RESPONSE, INPUT(TUMOUR), 0},
    [CART_ENDPOINT_RELAPSE_DAY] =
        {{"relapse_day", "day", 0,
          "first time after CR the tumour sum returns above n_detect; NaN if none"},
         CARTP_REDUCE_RELAPSE_DAY, INPUT(TUMOUR), 0},
    [CART_ENDPOINT_RELAPSE_NEGATIVE] =
        {{"relapse_negative", "1", 1,
          "at relapse, antigen-negative cells are more than half the tumour"},
         CARTP_REDUCE_RELAPSE_NEGATIVE, INPUT(TUMOUR), 0},
    [CART_ENDPOINT_APLASIA_DAYS] = {{"aplasia_days", "day", 0,
                                     "total time with B below f_aplasia * B0"},
                                    CARTP_REDUCE_TIME_BELOW, INPUT(B), 0},
    [CART_ENDPOINT_IL6_PEAK] = {{"il6_peak", "pg/mL", 0, "max serum IL6"},
                                CARTP_REDUCE_MAX, INPUT(IL6), 0},
    [CART_ENDPOINT_IL6S_PEAK] = {{"il6s_peak", "pg/mL", 0, "max IL6s"},
                                 CARTP_REDUCE_MAX, INPUT(IL6S), 0},
    [CART_ENDPOINT_CRS_GRADE] =
        {{"crs_grade", "1", 1,
          "number of the thresholds crs_g1..crs_g4 that max CRS signal exceeded"},
         CARTP_REDUCE_GRADE, INPUT(CRS), 0},
    [CART_ENDPOINT_CRS_ONSET] = {{"crs_onset", "day", 0,
                                  "first time the CRS signal exceeds crs_g1; NaN if never"},
                                 CARTP_REDUCE_FIRST_ABOVE, INPUT(CRS), 0},
    [CART_ENDPOINT_TOCI_DOSES] = {{"toci_doses", "1", 1, "tocilizumab doses given"},
                                  CARTP_REDUCE_TOCI_DOSES, 0, 0},
};
#undef INPUT

int cart_endpoint_get_info(size_t i, cart_endpoint_info *info)
{
  if (i >= CART_N_ENDPOINTS || info == NULL) {
    return CART_EINVAL;
  }
  *info = cartp_oncology_endpoints[i].info;
  return CART_OK;
}

int cart_model_param_in_bounds(const cart_model *model, size_t i, double value)
{
  if (model == NULL || i >= model->n_params || !isfinite(value)) {
    return 0;
  }
  const cart_param_info *info = &model->params[i];
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
