/* registry.c: every model libcart knows, in the order `cart models` lists them. Adding a model is
 * one file in lib/models/ and one line here (the GSL rng/types.c pattern). */
#include "model_impl.h"

const cart_model *const cartp_model_registry[] = {
    &cartp_model_cart,
    &cartp_model_stein,
    &cartp_model_cart2,
    &cartp_model_allo,
    &cartp_model_lupus,
    &cartp_model_solid,
};

const size_t cartp_model_registry_size = sizeof cartp_model_registry / sizeof cartp_model_registry[0];
