/* cart.h: libcart, simulation of CAR-T cell therapy (MODEL.md). Include this header only.
 *
 * Layers: models (cart_model.h, const tables), parameter sets (cart_params.h), dosing schedules
 * (cart_dosing.h), the solver (cart_solver.h), status codes (cart_errno.h); virtual patients
 * (cart_population.h), trials and endpoints (cart_trial.h), arms on the same patients
 * (cart_arms.h), trial files (cart_hdf5.h) and
 * scenario files (cart_scenario.h), calibration to a trial's summary statistics
 * (cart_calibrate.h), global sensitivity analysis (cart_sensitivity.h).
 */
#ifndef CART_H
#define CART_H

#include <cart/cart_version.h>
#include <cart/cart_errno.h>
#include <cart/cart_model.h>
#include <cart/cart_params.h>
#include <cart/cart_dosing.h>
#include <cart/cart_solver.h>
#include <cart/cart_population.h>
#include <cart/cart_trial.h>
#include <cart/cart_arms.h>
#include <cart/cart_hdf5.h>
#include <cart/cart_scenario.h>
#include <cart/cart_grammar.h>
#include <cart/cart_calibrate.h>
#include <cart/cart_sensitivity.h>

#endif /* CART_H */
