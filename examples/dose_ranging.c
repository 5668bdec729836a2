/* dose_ranging.c: one patient over a range of CAR-T doses, as a CSV table.
 *
 * Model: the default `cart` patient (MODEL.md 2.2), with the t = 0 infusion (the parameter
 * `dose`) set to 2e7, 5e7, 1.4e8 (the default, 2e6 cells/kg at 70 kg), 3e8 and 7e8 cells.
 * Extinction is on (1 cell, the solver's default, MODEL.md 3) and tocilizumab is given by rule
 * (cart_toci_rule_default: 8 mg/kg capped at 800 mg over 1 h when IL6s rises through 200 pg/mL,
 * again every 8 h while above, at most 4 doses; MODEL.md 3). One solver, one parameter set and
 * one schedule serve every dose: a solve allocates nothing new, and only `dose` changes.
 *
 * Interval: days 0..90 (the complete-response window t_resp of MODEL.md 4), reported on a grid
 * of 0.01 day. Tolerances: MODEL.md 6's defaults (rtol 1e-6; atol 1 cell, 1e-3 pg/mL, 1e-6 mg),
 * BDF. BDF reports grid points from its own interpolant, so the fine grid does not change the
 * solution; it sets the resolution of the peak and crossing times below (0.01 day), which a
 * daily grid would miss by up to half a day.
 *
 * Prints a CSV to stdout, one row per dose, every number with %.6g:
 *   dose_cells          the t = 0 infusion (cells)
 *   cmax_cells_per_uL   largest Cblood on the grid (cells/uL)
 *   tmax_day            the grid day of that peak
 *   tumour_below_1e9_day  first grid day with Tp + Tn below 1e9 cells (the detection limit
 *                       n_detect of MODEL.md 4); nan if the tumour stays above it
 *   il6_peak_pg_per_mL  largest serum IL-6 on the grid (pg/mL). With tocilizumab it is about
 *                       twice the ~700 pg/mL of the untreated default patient (MODEL.md 2.2):
 *                       blocking IL-6R also blocks IL-6's receptor-mediated clearance, so serum
 *                       IL-6 rises while the signalling IL6s falls, as in patients [S7]
 *   toci_doses          tocilizumab doses the rule gave (from the solver's event log)
 * Checks its own answer: a larger dose must give a higher, not later, Cblood peak; exits 1
 * otherwise (and on any error), after freeing everything.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <cart/cart.h>

static const double doses_cells[] = {2e7, 5e7, 1.4e8, 3e8, 7e8}; /* t = 0 infusion, cells */
#define N_DOSES (sizeof doses_cells / sizeof doses_cells[0])
#define T_END_DAY 90.0        /* day: MODEL.md 4's t_resp */
#define GRID_STEP_DAY 0.01    /* day: resolution of tmax and the crossing day */
#define N_TIMES 9001          /* T_END_DAY / GRID_STEP_DAY + 1 grid points */
#define N_DETECT_CELLS 1e9    /* cells: MODEL.md 4's detection limit of the tumour */

int main(void)
{
  int exit_status = 1;
  cart_error err;
  cart_error_clear(&err);
  cart_params *params = NULL;
  cart_solver *solver = NULL;
  cart_dosing *dosing = NULL;
  double *times = NULL, *states = NULL, *cblood = NULL;
  double previous_cmax = 0.0, previous_tmax = INFINITY;
  int monotone = 1;
  cart_toci_rule rule;
  size_t n_states = 0, i_tp = 0, i_tn = 0, i_il6 = 0;

  const cart_model *model = cart_model_find("cart", &err); /* static: never freed */
  if (model == NULL) {
    fprintf(stderr, "dose_ranging: %s\n", err.message);
    goto cleanup;
  }
  n_states = cart_model_n_states(model);
  /* State indices by name, not by position, so the example reads like MODEL.md. */
  i_tp = (size_t)cart_model_state_index(model, "Tp");
  i_tn = (size_t)cart_model_state_index(model, "Tn");
  i_il6 = (size_t)cart_model_state_index(model, "IL6");

  params = cart_params_new(model, &err);
  solver = params ? cart_solver_new(model, &err) : NULL;
  dosing = solver ? cart_dosing_new(&err) : NULL;
  times = malloc(N_TIMES * sizeof *times);
  states = malloc(N_TIMES * n_states * sizeof *states);
  cblood = malloc(N_TIMES * sizeof *cblood); /* the model's one derived output */
  if (dosing == NULL || times == NULL || states == NULL || cblood == NULL) {
    fprintf(stderr, "dose_ranging: %s\n", err.code != CART_OK ? err.message : "out of memory");
    goto cleanup;
  }
  for (size_t k = 0; k < N_TIMES; k++) {
    times[k] = (double)k * GRID_STEP_DAY; /* k * step, not a running sum: no drift */
  }
  /* No CAR-T doses beyond t = 0 (the parameter `dose`): the schedule holds only the rule. */
  cart_toci_rule_default(&rule);
  if (cart_dosing_set_toci_rule(dosing, &rule) != CART_OK) {
    fprintf(stderr, "dose_ranging: %s\n", cart_dosing_last_error(dosing)->message);
    goto cleanup;
  }

  printf("dose_cells,cmax_cells_per_uL,tmax_day,tumour_below_1e9_day,il6_peak_pg_per_mL,"
         "toci_doses\n");
  for (size_t d = 0; d < N_DOSES; d++) {
    if (cart_params_set(params, "dose", doses_cells[d]) != CART_OK) {
      fprintf(stderr, "dose_ranging: %s\n", cart_params_last_error(params)->message);
      goto cleanup;
    }
    if (cart_solver_solve(solver, params, dosing, times, N_TIMES, states, cblood) != CART_OK) {
      fprintf(stderr, "dose_ranging: dose %g: %s\n", doses_cells[d],
              cart_solver_last_error(solver)->message);
      goto cleanup;
    }
    double cmax = cblood[0], tmax = times[0], il6_peak = 0.0, below_day = NAN;
    for (size_t k = 0; k < N_TIMES; k++) {
      const double *y = states + k * n_states;
      if (cblood[k] > cmax) {
        cmax = cblood[k];
        tmax = times[k];
      }
      if (y[i_il6] > il6_peak) {
        il6_peak = y[i_il6];
      }
      if (isnan(below_day) && y[i_tp] + y[i_tn] < N_DETECT_CELLS) {
        below_day = times[k];
      }
    }
    int toci_doses = 0;
    for (size_t e = 0; e < cart_solver_n_events(solver); e++) {
      cart_event_record event;
      if (cart_solver_get_event(solver, e, &event) == CART_OK
          && event.kind == CART_EVENT_TOCI_RULE) {
        toci_doses++;
      }
    }
    printf("%.6g,%.6g,%.6g,%.6g,%.6g,%d\n", doses_cells[d], cmax, tmax, below_day, il6_peak,
           toci_doses);
    if (!(cmax > previous_cmax && tmax <= previous_tmax)) {
      monotone = 0;
    }
    previous_cmax = cmax;
    previous_tmax = tmax;
  }
  if (!monotone) {
    fprintf(stderr, "dose_ranging: the Cblood peak is not higher and earlier for larger doses\n");
    goto cleanup;
  }
  exit_status = 0;

cleanup:
  free(cblood);
  free(states);
  free(times);
  cart_dosing_free(dosing);
  cart_solver_free(solver);
  cart_params_free(params);
  return exit_status;
}
