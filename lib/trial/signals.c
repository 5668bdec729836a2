/* signals.c: a model's derived signals (cart: Cblood, tumour, IL6s, CRS) for callers outside a
 * trial, so that Python's solve() and plots read IL6s from the model's own formula (MODEL.md 2.2)
 * instead of writing it again. The trial reads the same table (trial.c). */
#include <cart/cart_params.h>

#include "../models/params_impl.h"

size_t cart_model_n_signals(const cart_model *model)
{
  return model != NULL ? model->n_signals : 0;
}

int cart_model_signal_info(const cart_model *model, size_t i, cart_state_info *info)
{
  if (model == NULL || info == NULL || i >= model->n_signals) {
    return CART_EINVAL;
  }
  *info = model->signals[i];
  return CART_OK;
}

int cart_params_signals(const cart_params *params, const double y[], double signals[])
{
  if (params == NULL || y == NULL || (signals == NULL && params->model->n_signals > 0)) {
    return CART_EINVAL;
  }
  if (params->model->n_signals > 0) {
    params->model->signal_values(y, params->values, signals);
  }
  return CART_OK;
}
