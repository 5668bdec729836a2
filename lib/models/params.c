/* params.c: parameter sets bound to a model, checked at the boundary (MODEL.md 2). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart_params.h>

#include "../util/error.h"
#include "params_impl.h"


cart_params *cart_params_new(const cart_model *model, cart_error *err)
{
  if (model == NULL) {
    cartp_error(err, CART_EINVAL, "cart_params_new: model is NULL");
    return NULL;
  }
  if (model->n_params > CART_MAX_PARAMS) {
    cartp_error(err, CART_EINVAL, "model '%s' has more than %d parameters", model->name,
                CART_MAX_PARAMS);
    return NULL;
  }
  cart_params *params = calloc(1, sizeof *params);
  if (params == NULL) {
    cartp_error(err, CART_ENOMEM, "cart_params_new: out of memory");
    return NULL;
  }
  params->model = model;
  cart_params_reset(params);
  return params;
}

cart_params *cart_params_clone(const cart_params *src, cart_error *err)
{
  if (src == NULL) {
    cartp_error(err, CART_EINVAL, "cart_params_clone: source is NULL");
    return NULL;
  }
  cart_params *params = malloc(sizeof *params);
  if (params == NULL) {
    cartp_error(err, CART_ENOMEM, "cart_params_clone: out of memory");
    return NULL;
  }
  *params = *src;
  cart_error_clear(&params->error);
  return params;
}

void cart_params_free(cart_params *params)
{
  free(params);
}

const cart_model *cart_params_model(const cart_params *params)
{
  return params ? params->model : NULL;
}

void cart_params_reset(cart_params *params)
{
  if (params == NULL) {
    return;
  }
  for (size_t i = 0; i < params->model->n_params; i++) {
    params->values[i] = params->model->params[i].default_value;
  }
  cart_error_clear(&params->error);
}

int cart_params_set_index(cart_params *params, size_t i, double value)
{
  if (params == NULL) {
    return CART_EINVAL;
  }
  const cart_model *model = params->model;
  if (i >= model->n_params) {
    return cartp_error(&params->error, CART_EINVAL, "model '%s' has no parameter number %zu",
                       model->name, i);
  }
  const cart_param_info *info = &model->params[i];
  if (!isfinite(value)) {
    return cartp_error(&params->error, CART_ENOTFINITE,
                       "parameter '%s' of model '%s': %g is not a finite number", info->name,
                       model->name, value);
  }
  if (!cart_model_param_in_bounds(model, i, value)) {
    char bounds[64];
    cartp_format_bounds(bounds, sizeof bounds, info->lower, info->upper, info->lower_open,
                        info->upper_open);
    return cartp_error(&params->error, CART_ERANGE,
                       "parameter '%s' of model '%s': %g is outside %s %s", info->name,
                       model->name, value, bounds, info->unit);
  }
  params->values[i] = value;
  return CART_OK;
}

int cart_params_set(cart_params *params, const char *name, double value)
{
  if (params == NULL || name == NULL) {
    return params ? cartp_error(&params->error, CART_EINVAL, "parameter name is NULL")
                  : CART_EINVAL;
  }
  const int i = cart_model_param_index(params->model, name);
  if (i < 0) {
    return cartp_error(&params->error, CART_EUNKNOWN_PARAM,
                       "model '%s' has no parameter '%s' (see `cart models`)",
                       params->model->name, name);
  }
  return cart_params_set_index(params, (size_t)i, value);
}

int cart_params_get_index(const cart_params *params, size_t i, double *value)
{
  if (params == NULL || value == NULL || i >= params->model->n_params) {
    return CART_EINVAL;
  }
  *value = params->values[i];
  return CART_OK;
}

int cart_params_get(const cart_params *params, const char *name, double *value)
{
  if (params == NULL || name == NULL || value == NULL) {
    return CART_EINVAL;
  }
  const int i = cart_model_param_index(params->model, name);
  if (i < 0) {
    return CART_EUNKNOWN_PARAM;
  }
  *value = params->values[i];
  return CART_OK;
}

int cart_params_check(const cart_params *params, cart_error *err)
{
  if (params == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_params_check: params is NULL");
  }
  const cart_model *model = params->model;
  /* Every value was checked when set; check again in case the struct was copied around. */
  for (size_t i = 0; i < model->n_params; i++) {
    if (!cart_model_param_in_bounds(model, i, params->values[i])) {
      return cartp_error(err, CART_ERANGE, "parameter '%s' of model '%s': %g is out of bounds",
                         model->params[i].name, model->name, params->values[i]);
    }
  }
  if (model->check != NULL) {
    char message[CART_ERROR_MESSAGE_SIZE];
    const int status = model->check(params->values, message, sizeof message);
    if (status != CART_OK) {
      return cartp_error(err, status, "%s", message);
    }
  }
  cart_error_clear(err);
  return CART_OK;
}

int cart_params_derived(const cart_params *params, const char *name, double *value)
{
  if (params == NULL || name == NULL || value == NULL) {
    return CART_EINVAL;
  }
  if (params->model->derived_value == NULL) {
    return CART_EUNKNOWN_PARAM;
  }
  return params->model->derived_value(params->values, name, value);
}

const cart_error *cart_params_last_error(const cart_params *params)
{
  return params ? &params->error : NULL;
}
