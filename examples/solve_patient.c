/* solve_patient.c: the default `cart` patient (MODEL.md 2.2) with a faster-expanding product
 * (rho = 0.7/day), solved on days 0..28 at MODEL.md's default tolerances; prints blood CAR-T. */
#include <stdio.h>
#include <cart/cart.h>

int main(void)
{
  double times[29], states[29 * 9], cblood[29];
  for (int day = 0; day <= 28; day++) times[day] = day;
  cart_error err;
  const cart_model *model = cart_model_find("cart", &err);
  cart_params *params = cart_params_new(model, &err);
  cart_solver *solver = cart_solver_new(model, &err);
  int status = params && solver ? cart_params_set(params, "rho", 0.7) : CART_ENOMEM;
  if (status == CART_OK)
    status = cart_solver_solve(solver, params, NULL, times, 29, states, cblood);
  if (status == CART_OK)
    printf("Cblood at day 14: %.2f cells/uL, day 28: %.2f cells/uL\n", cblood[14], cblood[28]);
  else
    fprintf(stderr, "error: %s\n", solver ? cart_solver_last_error(solver)->message : err.message);
  cart_solver_free(solver);
  cart_params_free(params);
  return status == CART_OK ? 0 : 1;
}
