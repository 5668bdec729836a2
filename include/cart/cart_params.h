/* cart_params.h: a parameter set bound to a model.
 *
 * cart_params_new() fills every parameter with its MODEL.md default. cart_params_set() checks the
 * value at once (finite, inside the bounds of the model's table); cart_params_check() applies the
 * rules that involve several parameters (for cart: the derived baseline IL-6 production p0 must not
 * be negative, and the IL-6 amplification loop gain must be at most 3/4 of k_il6 + k_rec, MODEL.md
 * 2.2). The solver calls cart_params_check() before every solve, so a set that breaks a rule never
 * produces numbers.
 *
 * Ownership: a cart_params borrows its model (models are static). It owns its values; the caller
 * frees it with cart_params_free() (NULL allowed).
 *
 * Thread safety: a cart_params may be read (get, check, solve) from several threads at once; it
 * must not be changed (set) while another thread uses it.
 */
#ifndef CART_PARAMS_H
#define CART_PARAMS_H

#include <stddef.h>

#include <cart/cart_errno.h>
#include <cart/cart_model.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cart_params cart_params;

/* A new parameter set for `model` holding the defaults, or NULL (CART_EINVAL or CART_ENOMEM in
 * *err, which may be NULL). */
cart_params *cart_params_new(const cart_model *model, cart_error *err);

/* A new copy of `src`, or NULL (CART_EINVAL for a NULL src, CART_ENOMEM). */
cart_params *cart_params_clone(const cart_params *src, cart_error *err);

void cart_params_free(cart_params *params);

const cart_model *cart_params_model(const cart_params *params);

/* Sets a parameter by name or index. Returns CART_OK, CART_EUNKNOWN_PARAM (no such name),
 * CART_EINVAL (index out of range), CART_ENOTFINITE (NaN or infinite) or CART_ERANGE (outside
 * the bounds); on error the value is unchanged and the message names the parameter, the value
 * and the allowed range. */
int cart_params_set(cart_params *params, const char *name, double value);
int cart_params_set_index(cart_params *params, size_t i, double value);

/* Reads a parameter into *value: CART_OK or CART_EUNKNOWN_PARAM / CART_EINVAL. Reading records
 * no error in the handle, so several threads may read one set. */
int cart_params_get(const cart_params *params, const char *name, double *value);
int cart_params_get_index(const cart_params *params, size_t i, double *value);

/* Resets every parameter to its default. */
void cart_params_reset(cart_params *params);

/* Applies the model's cross-parameter rules: CART_OK or CART_ERULE, with the message in *err
 * (may be NULL); CART_ERANGE if a value is out of bounds after all (a set copied around by hand),
 * CART_EINVAL for NULL. Does not change `params`, so it may run on a shared set. */
int cart_params_check(const cart_params *params, cart_error *err);

/* A quantity the model derives from its parameters, by name. cart: "p0" (pg/mL/day, the baseline
 * IL-6 production that makes IL6 = il6_0 a steady state, MODEL.md 2.2) and "il6_loop_gain"
 * (1/day, max over x of amp(x)/x). CART_OK, or CART_EUNKNOWN_PARAM when the model derives no
 * quantity of that name. */
int cart_params_derived(const cart_params *params, const char *name, double *value);

/* The last error of a failed set on this handle (get records none). */
/* The model's derived signals (cart_model_n_signals of them, cart_model_signal_info names them)
 * at state y (cart_model_n_states values) with these parameters, into signals. CART_OK, or
 * CART_EINVAL for a NULL argument. Only reads params. */
int cart_params_signals(const cart_params *params, const double y[], double signals[]);

const cart_error *cart_params_last_error(const cart_params *params);

#ifdef __cplusplus
}
#endif

#endif /* CART_PARAMS_H */
