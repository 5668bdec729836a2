/* infusion.c: the state at infusion after a vein-to-vein time (cart_solver.h; doc/models.md 5.1).
 *
 * The wait is solved with the model's own equations and the solver's own settings, not with a
 * formula of its own: the tumour grows as the model makes it grow without CAR-T (cart: logistic
 * growth, antigen loss, immune control when on), whatever the model. */
#include <math.h>
#include <string.h>

#include <cart/cart_solver.h>

#include "../models/params_impl.h"
#include "../util/error.h"
#include "infusion.h"
#include "solver_struct.h"

int cartp_model_can_wait(const cart_model *model, cart_error *err)
{
  if (model->extinct_states == NULL || model->extinct_states[0] < 0 ||
      cart_model_param_index(model, "dose") < 0) {
    return cartp_error(err, CART_EINVAL,
                       "model '%s' has no tumour phenotypes and dose parameter for a "
                       "vein-to-vein time",
                       model->name);
  }
  return CART_OK;
}

int cart_solver_infusion_state(cart_solver *solver, const cart_params *params, double wait_days,
                               double *y)
{
  if (solver == NULL) {
    return CART_EINVAL;
  }
  cart_error *err = &solver->error;
  if (params == NULL || y == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_solver_infusion_state: params and y must be given");
  }
  const cart_model *model = solver->model;
  if (params->model != model) {
    return cartp_error(err, CART_EINVAL, "parameters are for model '%s', the solver for '%s'",
                       params->model->name, model->name);
  }
  if (!(isfinite(wait_days) && wait_days >= 0)) {
    return cartp_error(err, CART_EINVAL, "vein-to-vein time %g days must be finite and >= 0",
                       wait_days);
  }
  int status = cartp_model_can_wait(model, err);
  if (status == CART_OK) {
    status = cart_params_check(params, err);
  }
  if (status != CART_OK) {
    return status;
  }
  /* At infusion the patient is as at t = 0 without a wait (the dose given, lymphodepleted B
   * cells, IL-6 at baseline, no tocilizumab): lymphodepletion is given in the days just before
   * the infusion, so only the tumour carries the wait. */
  double derived[CART_MAX_DERIVED];
  int mode = 0;
  model->prepare(params->values, derived);
  model->initial(params->values, derived, y, &mode);
  if (wait_days == 0) {
    return CART_OK;
  }
  /* The wait: the same patient without CAR-T (dose 0, no doses, so no tocilizumab either), from
   * its state at enrolment. The clock runs [0, wait] rather than [-wait, 0]: without CAR-T cells
   * the equations do not depend on the time (cart's H(t) multiplies E = 0). A copy on the stack:
   * no allocation per patient. */
  cart_params untreated = *params;
  untreated.values[cart_model_param_index(model, "dose")] = 0.0;
  double y_wait[CART_MAX_STATES];
  status = cart_solver_solve(solver, &untreated, NULL, &wait_days, 1, y_wait, NULL);
  if (status != CART_OK) {
    return status;
  }
  for (const int *s = model->extinct_states; *s >= 0; s++) {
    y[*s] = y_wait[*s];
  }
  return CART_OK;
}
