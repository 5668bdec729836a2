/* patient.h: what a trial and a single solve share about one patient's endpoints (internal):
 * the endpoint settings by name, their check, and the tocilizumab doses a patient was given.
 * One copy of each, so that cart_solver_solve_endpoints (patient.c) computes a patient's
 * endpoints exactly as cart_trial_run_block does (trial.c). */
#ifndef CART_TRIAL_PATIENT_H
#define CART_TRIAL_PATIENT_H

#include <cart/cart_trial.h>

#include "../models/model_impl.h"

/* The model's own endpoint settings at their defaults: own[k] for setting k of
 * cartp_model_endpoint_settings (the trial-wide ones there are left alone). */
void cartp_endpoint_own_defaults(const cart_model *model, double *own);

/* The value of endpoint setting `name` (a field of *settings, or the model's own in own[]) and its
 * description; NULL, with CART_EUNKNOWN_PARAM and a message naming the model's settings in *err
 * (which may be NULL), when the model has none of that name. */
double *cartp_endpoint_setting_find(const cart_model *model, cart_endpoint_settings *settings,
                                    double *own, const char *name, cart_param_info *info,
                                    cart_error *err);

/* Reads setting `name` into *value: CART_OK, or CART_EUNKNOWN_PARAM (no message). */
int cartp_endpoint_setting_get(const cart_model *model, const cart_endpoint_settings *settings,
                               const double *own, const char *name, double *value);

/* Sets setting `name` to value: CART_OK, CART_EUNKNOWN_PARAM, or CART_ERANGE for a value outside
 * its bounds (NaN too); the message in *err. */
int cartp_endpoint_setting_set(const cart_model *model, cart_endpoint_settings *settings,
                               double *own, const char *name, double value, cart_error *err);

/* The checks a set of settings must pass as a whole before patients are solved: positive, finite
 * and crs_g1 < crs_g2 < crs_g3 < crs_g4. CART_OK or CART_ERANGE. */
int cartp_endpoint_settings_check(const cart_endpoint_settings *settings, cart_error *err);

/* The most tocilizumab doses a schedule gives: its fixed ones plus the rule's maximum (0 for
 * NULL). */
size_t cartp_max_toci_doses(const cart_dosing *dosing);

/* The patient's tocilizumab doses after a solve of `solver` with `dosing` up to `horizon`: the
 * fixed ones starting within the horizon and the rule's, at most max_toci. With times not NULL,
 * their days in time order, NaN after the last (max_toci entries). Returns how many. */
int cartp_toci_doses_given(const cart_dosing *dosing, const cart_solver *solver, double horizon,
                           double *times, size_t max_toci);

#endif
