/* infusion.h: which models a vein-to-vein time suits (internal; infusion.c). */
#ifndef CART_SOLVER_INFUSION_H
#define CART_SOLVER_INFUSION_H

#include <cart/cart_model.h>

/* CART_OK when the model has tumour phenotypes (its extinction states) to grow during a wait and
 * a dose parameter to leave out of it; else CART_EINVAL with a message in *err (may be NULL). */
int cartp_model_can_wait(const cart_model *model, cart_error *err);

#endif
