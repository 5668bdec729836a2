/* registry.c: every model libcart knows, in the order `cart models` lists them. Adding a model is
 * one file in lib/models/ and one line here (the GSL rng/types.c pattern). */
#include "model_impl.h"

const cart_model *const cart_model_registry[] = {
    &cart_model_cart,
    &cart_model_stein,
    &cart_model_cart2,
};

const size_t cart_model_registry_size = sizeof cart_model_registry / sizeof cart_model_registry[0];
