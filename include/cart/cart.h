/* cart.h: libcart, simulation of CAR-T cell therapy (MODEL.md). Include this header only.
 *
 * Layers: models (cart_model.h, const tables), parameter sets (cart_params.h), dosing schedules
 * (cart_dosing.h), the solver (cart_solver.h), status codes (cart_errno.h).
 */
#ifndef CART_H
#define CART_H

#include <cart/cart_version.h>
#include <cart/cart_errno.h>
#include <cart/cart_model.h>
#include <cart/cart_params.h>
#include <cart/cart_dosing.h>
#include <cart/cart_solver.h>

#endif /* CART_H */
