/* params_impl.h: the inside of a cart_params (internal; the solver reads it directly). */
#ifndef CART_PARAMS_IMPL_H
#define CART_PARAMS_IMPL_H

#include <cart/cart_params.h>

#include "model_impl.h"

/* The largest parameter table of any model. */
#define CART_MAX_PARAMS 64

struct cart_params {
  const cart_model *model;
  double values[CART_MAX_PARAMS];
  cart_error error;
};

#endif
