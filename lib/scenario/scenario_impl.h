/* scenario_impl.h: loading a scenario with another model lookup (internal). */
#ifndef CART_SCENARIO_IMPL_H
#define CART_SCENARIO_IMPL_H

#include <cart/cart_arms.h>
#include <cart/cart_scenario.h>
#include <cart/cart_trial.h>

/* Finds [trial] model by name as cart_model_find does (NULL and *err when there is none). */
typedef const cart_model *(*cartp_model_finder)(const char *name, cart_error *err);

/* cart_trial_new_from_scenario with [trial] model looked up by `find`: the public function passes
 * cart_model_find (the registry); a test passes one that also knows a model of its own, so that
 * a model's own endpoint settings can be read from a scenario's [endpoints]. */
cart_trial *cartp_trial_new_from_scenario_with(const char *text, const char *source,
                                               cartp_model_finder find, cart_error *err);

/* cart_arms_new_from_scenario with the same model lookup. */
cart_arms *cartp_arms_new_from_scenario_with(const char *text, const char *source,
                                             cartp_model_finder find, cart_error *err);

/* What cart_scenario_add_event_table needs to know of a scenario besides its arms. */
typedef struct cartp_scenario_facts {
  int error_line; /* the line a failed load names (0: none) */
  /* each arm's (in cart_arms order): its [arm NAME] section gives its own dosing.cart
   * (dosing.toci) lines, which replace all of the base's */
  unsigned char own_cart[CART_MAX_ARMS], own_toci[CART_MAX_ARMS];
} cartp_scenario_facts;

/* cartp_arms_new_from_scenario_with, and *facts (may be NULL) filled in, on failure too. */
cart_arms *cartp_arms_new_from_scenario_facts(const char *text, const char *source,
                                              cartp_model_finder find,
                                              cartp_scenario_facts *facts, cart_error *err);

#endif
