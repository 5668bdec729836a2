/* dosing_impl.h: the inside of a cart_dosing (internal; the solver reads it). */
#ifndef CART_DOSING_IMPL_H
#define CART_DOSING_IMPL_H

#include <cart/cart_dosing.h>

struct cart_dosing {
  cart_cart_dose *cart;
  size_t n_cart, cap_cart;
  cart_toci_dose *toci;
  size_t n_toci, cap_toci;
  cart_toci_rule rule;
  cart_error error;
};

/* Whether an infusion of this duration (day) is given as a bolus: 0, or too short to resolve
 * (CART_TOCI_BOLUS_EPS_DAY). The one test the solver uses for fixed and rule doses alike. */
static inline int cartp_toci_is_bolus(double duration)
{
  return duration < CART_TOCI_BOLUS_EPS_DAY;
}

#endif
