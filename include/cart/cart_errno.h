/* cart_errno.h: status codes and error messages of libcart.
 *
 * Every public function that can fail returns an int status: CART_OK (0) on success, a negative
 * CART_E... code on failure. The codes and their one-line meanings are written once, in
 * CART_STATUS_LIST, and expanded into the enum and into the table behind cart_strerror(), so the
 * two cannot drift apart (the SUNDIALS sundials_errors.h pattern).
 *
 * One code is an outcome, not a failure: CART_ENOTINFUSED is the status of a trial's patient who
 * dropped out during the vein-to-vein time (cart_trial_set_dropout) and was never infused; no
 * function returns it.
 *
 * Details (which parameter, which value, which time) are kept in a cart_error: every handle holds
 * the last one (cart_params_last_error, cart_solver_last_error ...); functions without a handle
 * take an optional cart_error * that they fill. There is no global "last error".
 *
 * Thread safety: cart_strerror() is safe from any thread; a cart_error belongs to its owner.
 */
#ifndef CART_ERRNO_H
#define CART_ERRNO_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, message) */
#define CART_STATUS_LIST(X)                                                                   \
  X(CART_OK, 0, "success")                                                                    \
  X(CART_EINVAL, -1, "invalid argument")                                                      \
  X(CART_ENOMEM, -2, "out of memory")                                                         \
  X(CART_EUNKNOWN_MODEL, -3, "unknown model")                                                 \
  X(CART_EUNKNOWN_PARAM, -4, "unknown parameter")                                             \
  X(CART_ENOTFINITE, -5, "value is NaN or infinite")                                          \
  X(CART_ERANGE, -6, "value outside its allowed range")                                       \
  X(CART_ERULE, -7, "parameter set breaks a rule of the model")                               \
  X(CART_EDOSE, -8, "invalid dose")                                                           \
  X(CART_ETIMES, -9, "invalid output times")                                                  \
  X(CART_EMAXSTEPS, -10, "solver reached the maximum number of steps")                        \
  X(CART_ESTEPSIZE, -11, "solver step size underflow")                                        \
  X(CART_EMODEL, -12, "model function failed")                                                \
  X(CART_ENEGATIVE, -13, "a state went negative beyond its absolute tolerance")               \
  X(CART_ESOLVER, -14, "solver failure")                                                      \
  X(CART_EIO, -15, "input/output error")                                                      \
  X(CART_EEXIST, -16, "output file exists")                                                   \
  X(CART_EPARSE, -17, "malformed scenario")                                                  \
  X(CART_ESTOPPED, -18, "stopped by the caller")                                             \
  X(CART_ENOTINFUSED, -19, "not infused: dropped out during the vein-to-vein time")

enum cart_status {
#define CART_STATUS_ENUM_(name, value, message) name = value,
  CART_STATUS_LIST(CART_STATUS_ENUM_)
#undef CART_STATUS_ENUM_
};

/* Length of the message buffer of a cart_error, terminating NUL included. */
#define CART_ERROR_MESSAGE_SIZE 256

/* The last error of a handle (or of a call that takes a cart_error *): the status code and a
 * message that names what was wrong, e.g. "parameter 'rho' of model 'cart': -1 is outside
 * [0, 10]". code == CART_OK and an empty message mean no error. */
typedef struct cart_error {
  int code;
  char message[CART_ERROR_MESSAGE_SIZE];
} cart_error;

/* The one-line meaning of a status code ("unknown parameter"); "unknown status code" for a value
 * that is not one. Never NULL; the string is static and must not be freed. */
const char *cart_strerror(int status);

/* The name of a status code as written in C ("CART_ERANGE"), or "CART_UNKNOWN". */
const char *cart_status_name(int status);

/* Resets *err to "no error". Accepts NULL. */
void cart_error_clear(cart_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CART_ERRNO_H */
