/* model.c: the public read-only view of the model tables. */
#include <math.h>
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
