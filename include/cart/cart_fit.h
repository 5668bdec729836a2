/* cart_fit.h: fitting a model's parameters to one patient's observations.
 *
 * Data (cart_fit_data): one patient's observations, each a time (day), an observable and a value.
 * An observable is any state, derived output or signal of the model, by name (cart: E, B, IL6,
 * Cblood, tumour, ...; stein: CE, CM, C): its index runs over the states, then the outputs, then
 * the signals (cart_fit_n_observables). A value may be below the limit of quantification (BLQ):
 * then it says only that the true value is below its LLOQ (Beal's M3 likelihood below).
 * Three text forms, all read by the library's one CSV reader (cart_parse_table_labels):
 *   long CSV     columns time, observable (or obs), value, and optionally blq (0/1) and lloq;
 *                a blq row without an lloq column takes its value as the LLOQ; with an lloq
 *                column and no blq column a value below its lloq is BLQ;
 *   NONMEM table columns ID, TIME, DV and OBS (an observable's name) or CMT (1-based index of a
 *                state), optionally BLQ, LLOQ, MDV and EVID; one data set per ID, in the order of
 *                first appearance. Without an AMT column, rows with MDV = 1 or EVID != 0 are
 *                skipped (doses come from the caller, as for `cart run`). With one, the dose
 *                records are each ID's doses (cart_fit_data_dosing; every ID of the table gets
 *                a schedule, empty when it has no dose record), the data set being the source
 *                of truth:
 *                  EVID 1 (or, without EVID, AMT > 0) a dose: AMT in the units of `cart run`'s
 *                    options, cells for CAR-T (--dose) and mg/kg of the weight WT for
 *                    tocilizumab (--toci; capped at CART_TOCI_CAP_MG_DEFAULT mg); CMT its
 *                    target: cart (car-t, cart_cells) or toci (tocilizumab), or the number
 *                    (1-based) or name of the state the dose enters (cart_model_dose_state: E,
 *                    D1); RATE (AMT per day) or DUR (days) a tocilizumab infusion's length,
 *                    neither the library's default 1 h (not NONMEM's bolus; DUR 0 a bolus);
 *                    CAR-T cells are given at once; II and ADDL repeat the dose ADDL more times
 *                    every II days; DV and MDV are not read (DV may be '.'); a dose after the
 *                    last observation is allowed. A CAR-T dose at t = 0 is the initial infusion
 *                    (the parameter dose, cart_cart_dose_is_initial), at most one per ID.
 *                  EVID 0 an observation unless MDV = 1; EVID 2 skipped; EVID 3 and 4 (resets)
 *                    only on an ID's first record (as no reset, and 4 as a dose).
 *                  Refused with "SOURCE:LINE: ...": a negative or missing AMT, an unknown CMT,
 *                    RATE and DUR both, RATE < 0 (NONMEM's modelled rates), SS != 0, a CAR-T
 *                    RATE or DUR, ADDL without II, a later reset, other EVIDs.
 *                DV, CMT, AMT, RATE, II and ADDL may be '.' (NONMEM's no value; empty too);
 *   PEtab        a PEtab measurement table (tab-separated): observableId (an observable's name),
 *                simulationConditionId (one data set each, as an ID), time, measurement, and
 *                optionally preequilibrationConditionId, observableParameters, noiseParameters,
 *                datasetId, replicateId (read, not used: the error model is cart_fit's own);
 *                rows are taken in time order (PEtab's rows are unordered).
 * Times must be non-decreasing (per ID), values finite and >= 0 (every observable of the models
 * is an amount or a concentration), observables known: each refusal is CART_EPARSE with
 * "SOURCE:LINE: ..." (an unknown observable's message lists the model's).
 *
 * Objective: -2 log-likelihood of the data given the fitted parameters theta:
 *   observed:  log(2 pi) + 2 log sd + ((g(y) - g(f)) / sd)^2
 *   BLQ (M3):  -2 log Phi((g(LLOQ) - g(f)) / sd)     (Beal 2001; Phi by a log-safe erfc)
 * with f the model's prediction, g the identity (natural scale) or log (log scale), and
 * sd = sigma_add (additive), sigma_prop |g(f)| (proportional) or sqrt(sigma_add^2 +
 * sigma_prop^2 g(f)^2) (combined); optionally plus the MAP prior sum ((log p - log p_typ) /
 * omega)^2, omega^2 = ln(1 + cv^2) (a log-normal prior: a population model's post-hoc estimate).
 * theta: the fitted parameters on the log scale (a parameter with a finite upper bound: logit
 * between its bounds, of log p when the lower bound is > 0, of p when it is 0), then the
 * estimated error parameters as log sigma_add, log sigma_prop.
 *
 * Gradient: from forward sensitivity equations dS/dt = J S + df/dp (J the model's analytic
 * Jacobian, df/dp by central differences of the right-hand side in p, S for d y / d log p)
 * integrated with y by GSL's msbdf between events, with the jumps of S at doses and at model
 * switches (stein's tmax, whose time is itself a parameter) by differences of the switch map.
 * Schedules with tocilizumab doses or rule, and extinction events, are not followed by the
 * sensitivity equations: the gradient then comes from central differences of the solutions
 * (cart_fit_get_result's gradient_method says which).
 *
 * Fit (cart_fit_run): Levenberg-Marquardt with geodesic acceleration (gsl_multifit_nlinear) on
 * the weighted residuals at the initial error parameters (BLQ values left out), then, when error
 * parameters are estimated, values are BLQ or priors are set, BFGS (gsl_multimin vector_bfgs2)
 * on the whole -2 log-likelihood from there. Standard errors and correlations come from the
 * Fisher information at the optimum (expected information of the observed values, the outer
 * product of the scores of the BLQ terms, the prior's curvature), inverted by eigenvalues: an
 * eigenvalue below 1e-10 of the largest, a relative standard error above 10 (on theta), or a
 * correlation above 0.99 marks the parameters it involves as not identifiable.
 *
 * Thread safety: one cart_fit per thread; data sets may be shared read-only.
 */
#ifndef CART_FIT_H
#define CART_FIT_H

#include <stddef.h>

#include <cart/cart_dosing.h>
#include <cart/cart_errno.h>
#include <cart/cart_model.h>
#include <cart/cart_params.h>
#include <cart/cart_population.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- data ---- */

typedef struct cart_fit_data cart_fit_data;

/* The observables of a model: states, outputs, signals (in that order). */
size_t cart_fit_n_observables(const cart_model *model);
const char *cart_fit_observable_name(const cart_model *model, size_t i); /* NULL: out of range */
int cart_fit_observable_index(const cart_model *model, const char *name); /* -1: none */

/* An empty data set for `model` (NULL and CART_EINVAL / CART_ENOMEM in *err). */
cart_fit_data *cart_fit_data_new(const cart_model *model, cart_error *err);
void cart_fit_data_free(cart_fit_data *data);
/* Appends an observation: time >= the last one, finite value >= 0, lloq NaN (none) or > 0 and
 * finite; blq 1: the value is below lloq (then lloq is required). CART_OK or CART_EINVAL (message
 * in *err). */
int cart_fit_data_add(cart_fit_data *data, double time, int observable, double value, int blq,
                      double lloq, cart_error *err);
/* A long CSV (text) read from `source` (a name for messages) or from the file at `path`. */
int cart_fit_data_parse(const cart_model *model, const char *text, const char *source,
                        cart_fit_data **data, cart_error *err);
int cart_fit_data_read(const cart_model *model, const char *path, cart_fit_data **data,
                       cart_error *err);
/* A NONMEM-style table: *n data sets in a new array *data (free each, then the array, with
 * cart_fit_data_free_all). */
int cart_fit_data_parse_nonmem(const cart_model *model, const char *text, const char *source,
                               cart_fit_data ***data, size_t *n, cart_error *err);
int cart_fit_data_read_nonmem(const cart_model *model, const char *path, cart_fit_data ***data,
                              size_t *n, cart_error *err);
/* A PEtab measurement table: as cart_fit_data_parse_nonmem, one data set per condition. */
int cart_fit_data_parse_petab(const cart_model *model, const char *text, const char *source,
                              cart_fit_data ***data, size_t *n, cart_error *err);
int cart_fit_data_read_petab(const cart_model *model, const char *path, cart_fit_data ***data,
                             size_t *n, cart_error *err);
void cart_fit_data_free_all(cart_fit_data **data, size_t n);

size_t cart_fit_data_size(const cart_fit_data *data);
const char *cart_fit_data_id(const cart_fit_data *data); /* the NONMEM ID, "" otherwise */
const cart_model *cart_fit_data_model(const cart_fit_data *data);
/* The data set's own doses (a NONMEM table's dose records), or NULL when it has none (then the
 * fit's doses are cart_fit_new's). A CAR-T dose at t = 0 is in the schedule as read; cart_fit_new
 * gives it as the initial infusion. */
const cart_dosing *cart_fit_data_dosing(const cart_fit_data *data);
/* Sets (a copy of) `dosing` as the data set's own doses; NULL: none. CART_OK, CART_EINVAL,
 * CART_ENOMEM. */
int cart_fit_data_set_dosing(cart_fit_data *data, const cart_dosing *dosing, cart_error *err);
/* Observation i: CART_OK or CART_EINVAL (out of range); any output pointer may be NULL. */
int cart_fit_data_get(const cart_fit_data *data, size_t i, double *time, int *observable,
                      double *value, int *blq, double *lloq);

/* ---- the problem ---- */

typedef enum cart_fit_error_kind {
  CART_FIT_ADDITIVE = 0,
  CART_FIT_PROPORTIONAL = 1,
  CART_FIT_COMBINED = 2
} cart_fit_error_kind;

/* "additive", "proportional", "combined": CART_OK or CART_EINVAL. */
int cart_fit_error_kind_from_name(const char *name, cart_fit_error_kind *kind);

typedef struct cart_fit cart_fit;

/* A fit of `params`' model (its values are the starting point and the values of the parameters
 * not fitted; copied) with these extra doses (NULL: none; copied) to `data` (borrowed: keep it
 * alive while the fit lives). Default error model: additive on the natural scale, sigma_add 1,
 * estimated. When the data set has its own doses (cart_fit_data_dosing), they are the patient's:
 * `dosing` may then hold no dose (CART_EINVAL otherwise), only its tocilizumab rule, which is
 * kept; the CAR-T dose at t = 0 sets the parameters dose and f_mem (cart_dose_give_cart), and
 * without one dose is 0 (the patient got no initial infusion). NULL with CART_EINVAL /
 * CART_ENOMEM in *err. */
cart_fit *cart_fit_new(const cart_params *params, const cart_dosing *dosing,
                       const cart_fit_data *data, cart_error *err);
void cart_fit_free(cart_fit *fit);

/* Fits parameter `name` from `initial` (NaN: its value in params) within [lower, upper] (NaN
 * for either: the model's bound; a lower bound of 0 is open). CART_EUNKNOWN_PARAM, CART_ERANGE
 * (initial outside the bounds, lower >= upper, or a parameter without a positive lower bound
 * or finite upper bound, which neither scale can hold), CART_EINVAL (fitted twice). */
int cart_fit_add_param(cart_fit *fit, const char *name, double initial, double lower,
                       double upper);
/* The residual error model: kind, scale (log_scale 1: log), initial (or fixed) sigmas (those the
 * kind uses must be > 0 and finite), and whether they are estimated. */
int cart_fit_set_error_model(cart_fit *fit, cart_fit_error_kind kind, int log_scale,
                             double sigma_add, double sigma_prop, int estimate);
/* A log-normal prior on a fitted parameter: median `typical` > 0, coefficient of variation
 * cv > 0. CART_EUNKNOWN_PARAM when `name` is not fitted (add it first). */
int cart_fit_set_prior(cart_fit *fit, const char *name, double typical, double cv);
/* Priors for every fitted parameter that `population` varies, from its typical values and cvs. */
int cart_fit_set_priors_from_population(cart_fit *fit, cart_population *population);
/* Gradients by central differences of whole solutions instead of sensitivity equations. */
void cart_fit_set_finite_differences(cart_fit *fit, int on);

/* theta's size (fitted parameters plus estimated error parameters) and entry names: the
 * parameter's name, "sigma_add", "sigma_prop". */
size_t cart_fit_n_theta(const cart_fit *fit);
const char *cart_fit_theta_name(const cart_fit *fit, size_t k);
/* theta at the starting point, and theta <-> natural values (value[k]: the parameter or sigma). */
int cart_fit_initial_theta(const cart_fit *fit, double *theta);
int cart_fit_theta_to_values(const cart_fit *fit, const double *theta, double *values);

/* The objective (-2 log-likelihood, plus the prior) at theta and, when gradient is not NULL, its
 * gradient d/dtheta: for external optimisers. CART_OK, or a solver's code with its message in
 * cart_fit_last_error (a parameter set the model refuses, a failed solve). */
int cart_fit_objective(cart_fit *fit, const double *theta, double *value, double *gradient);
/* The predictions at every observation (cart_fit_data_size values) and, when sens is not NULL,
 * their derivatives d f_i / d theta_k (row i, cart_fit_n_theta columns; error parameters' columns
 * 0): what the gradient is built from, exposed for tests and external least-squares solvers. */
int cart_fit_predict(cart_fit *fit, const double *theta, double *pred, double *sens);

/* Runs the fit from the initial theta. CART_OK, or an error (CART_ESOLVER when neither
 * optimiser converged, with the message). */
int cart_fit_run(cart_fit *fit);

/* Runs fits[0 .. n) (cart_fit_run each: several patients of a NONMEM table) on n_threads OpenMP
 * threads (<= 0: OpenMP's default; 1 without OpenMP), each fit's code in statuses[i]. The fits
 * share nothing, so each one's result is the same for any thread count. CART_OK (then look at
 * statuses) or CART_EINVAL. */
int cart_fit_run_all(cart_fit **fits, size_t n, int n_threads, int *statuses);

/* After a run. Flags of one estimate. */
enum { CART_FIT_NOT_IDENTIFIABLE = 1 };
typedef struct cart_fit_estimate {
  const char *name;
  double value;        /* estimate, natural scale */
  double se;           /* standard error, natural scale (delta method); NaN when unknown */
  double ci_lower;     /* 95 % Wald interval on the theta scale, mapped back */
  double ci_upper;
  double theta, se_theta;
  int flags;           /* CART_FIT_NOT_IDENTIFIABLE */
} cart_fit_estimate;

typedef struct cart_fit_result {
  double objective;     /* -2 log-likelihood (+ prior) at the estimate */
  size_t n_theta;
  size_t n_observations, n_blq;
  int identifiable;     /* 1 when no estimate is flagged */
  int iterations;
  const char *optimiser; /* "lm", "lm+bfgs2" */
  const char *gradient_method; /* "sensitivities" or "finite differences" */
} cart_fit_result;

int cart_fit_get_result(const cart_fit *fit, cart_fit_result *result);
int cart_fit_get_estimate(const cart_fit *fit, size_t k, cart_fit_estimate *estimate);
/* n_theta x n_theta correlation matrix (row major); NaN entries when the information is
 * singular. */
int cart_fit_correlation(const cart_fit *fit, double *correlation);
/* A human-readable identifiability report (empty when all is identifiable). */
const char *cart_fit_identifiability_report(const cart_fit *fit);

/* Profile likelihood of theta entry k: at n_points values of it from estimate - width * se to
 * estimate + width * se (theta scale; width <= 0: 3), the objective minimised over the other
 * entries; values (natural scale) and objective get n_points entries each. */
int cart_fit_profile(cart_fit *fit, size_t k, size_t n_points, double width, double *values,
                     double *objective);

/* The fitted curve of `observable` at n times (the solver's solve at the estimate). */
int cart_fit_curve(cart_fit *fit, int observable, const double *times, size_t n,
                   double *values);

const cart_error *cart_fit_last_error(const cart_fit *fit);

#ifdef __cplusplus
}
#endif

#endif /* CART_FIT_H */
