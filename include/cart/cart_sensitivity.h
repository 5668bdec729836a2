/* cart_sensitivity.h: global sensitivity analysis (`cart sensitivity`): which parameters drive
 * an output, over ranges of the parameters, for any function or for a virtual trial's summary
 * statistic.
 *
 * A cart_sensitivity holds a design (the points at which the output is evaluated, both in the
 * unit cube and in the parameters' units), the outputs once evaluated, and the indices computed
 * from them. Two methods:
 *
 * Sobol indices (variance-based). The design is Saltelli's: two matrices A and B of N rows each
 * (the two halves of the first N points of Sobol's quasi-random sequence in 2p dimensions,
 * GSL's gsl_qrng_sobol after the origin, which GSL skips and the design keeps so that N = 2^k
 * points are a balanced net; so p <= 20), and p matrices AB_i, A with column i from B: N (p + 2)
 * rows, A's first, then B's, then AB_1 ... AB_p. With V the variance of the 2N outputs of A and
 * B (Saltelli A et al., Comput Phys Commun 2010;181:259-270, Table 2):
 *     first order  S_i  = (1/N) sum_j f(B)_j (f(AB_i)_j - f(A)_j) / V    (Saltelli 2010, (b))
 *     total        ST_i = (1/2N) sum_j (f(A)_j - f(AB_i)_j)^2 / V       (Jansen MJW, Comput
 *                                                     Phys Commun 1999;117:35-43; Saltelli (f))
 * Confidence intervals: percentile bootstrap over the N base rows (each resample draws N of
 * them with replacement from a seeded GSL mt19937 generator; Efron B, Tibshirani RJ, An
 * Introduction to the Bootstrap, 1993, ch. 13). A base row whose outputs (A, B or any AB_i)
 * include a NaN is left out of the estimates (n_valid counts the rows kept).
 *
 * Morris elementary effects (screening). r trajectories of p + 1 points on a grid of L levels
 * (L even) of the unit cube (Morris MD, Technometrics 1991;33:161-174): each starts from a
 * random grid point and moves one parameter at a time, in a random order, by
 * delta = L / (2 (L - 1)); the elementary effect of parameter i is the change of the output over
 * delta (unit-cube units). Reported: mu (mean effect), mu* (mean absolute effect; Campolongo F,
 * Cariboni J, Saltelli A, Environ Model Softw 2007;22:1509-1518) and sigma (standard deviation,
 * n - 1 denominator), with a bootstrap interval of mu* over the trajectories.
 *
 * Ranges. A design point u in [0, 1] maps to a parameter value by the inverse CDF of the
 * parameter's distribution: uniform or log-uniform between lower and upper, or the distribution
 * a scenario gives a varied parameter (cart_population.h: log-normal theta exp(eta), or
 * logit-normal for a parameter bounded by 0 and 1, omega^2 = ln(1 + cv^2)) truncated to
 * [lower, upper] (the parameter's bounds: redrawing outside them, as the population does, is
 * truncation). For those two the unit cube's faces are kept inside [0.001, 0.999], so that an
 * open bound (rho > 0) is never reached.
 *
 * Evaluation: cart_sensitivity_evaluate calls a C function for each design row, rows in
 * parallel (OpenMP); cart_sensitivity_run_trial runs a virtual trial for each row (the row's
 * values as the trial's typical values, every other part of the plan as it is, the same seed
 * and so the same patients' random effects: common random numbers) and takes a summary
 * statistic of it, written as a calibration target's (cart-targets(5): `cr`, `crs_grade3`,
 * `median(cmax)`, `mean(auc28)`, `fraction(tmax > 10)` ..., and a state or signal at a day
 * inside them, `median(Cblood@28)`, `fraction(tumour@90 < 1e9)`). A trial of one patient without
 * variability (cart_sensitivity_typical_patient) gives that patient's endpoint (`mean(cmax)`).
 * cart_sensitivity_set_outputs takes
 * outputs computed elsewhere (Python, another program). Indices are then computed at once.
 *
 * Determinism: the design depends only on the parameters and settings; the outputs of a row
 * only on the row (a trial's statistic is bit-identical for any thread count, cart_trial.h),
 * and the estimates sum in row order with a fixed bootstrap stream: the same design, seed and
 * outputs give the same indices bit for bit whatever the number of threads.
 *
 * Ownership: cart_sensitivity_new returns a new object the caller frees with
 * cart_sensitivity_free (NULL allowed); it copies the parameters (names too). Arrays and
 * strings returned by getters belong to the object and are valid until the next evaluation or
 * the free.
 * Thread safety: getters may run in any number of threads; an evaluation changes the object
 * (one at a time). cart_sensitivity_run_trial changes the trial's typical values while it runs
 * and restores them before it returns: one analysis per trial at a time.
 */
#ifndef CART_SENSITIVITY_H
#define CART_SENSITIVITY_H

#include <stddef.h>
#include <stdint.h>

#include <cart/cart_errno.h>
#include <cart/cart_trial.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cart_sensitivity cart_sensitivity;

typedef enum cart_sensitivity_method {
  CART_SENSITIVITY_SOBOL,  /* first-order and total indices, N (p + 2) rows */
  CART_SENSITIVITY_MORRIS  /* elementary effects, r (p + 1) rows */
} cart_sensitivity_method;

typedef enum cart_sensitivity_distribution {
  CART_SENSITIVITY_UNIFORM,     /* lower + u (upper - lower) */
  CART_SENSITIVITY_LOG_UNIFORM, /* lower (upper / lower)^u, 0 < lower */
  CART_SENSITIVITY_LOG_NORMAL,  /* typical exp(omega z), truncated to [lower, upper] */
  CART_SENSITIVITY_LOGIT_NORMAL /* logistic(logit(typical) + omega z), 0 < typical < 1,
                                   truncated to [lower, upper] within [0, 1] */
} cart_sensitivity_distribution;

/* One parameter of the design. */
typedef struct cart_sensitivity_param {
  const char *name;   /* copied; a model parameter's name for cart_sensitivity_run_trial */
  cart_sensitivity_distribution distribution;
  double lower, upper; /* the range (uniform, log-uniform: finite, lower < upper), or the
                          truncation (normal kinds: lower < upper, may be infinite) */
  double typical, cv;  /* normal kinds: the typical value and CV (cv > 0); else ignored */
} cart_sensitivity_param;

/* The most parameters of a Sobol design: gsl_qrng_sobol has at most 40 dimensions, and the
 * design takes 2p of them. Morris designs take as many as a model has (CART_MAX_PARAMS). */
#define CART_SENSITIVITY_SOBOL_MAX_PARAMS 20
#define CART_SENSITIVITY_MAX_PARAMS 64

typedef struct cart_sensitivity_settings {
  cart_sensitivity_method method; /* default CART_SENSITIVITY_SOBOL */
  size_t n;                /* Sobol: N base rows (a power of two keeps the Sobol sequence
                              balanced; default 1024); Morris: r trajectories (default 20) */
  size_t levels;           /* Morris: grid levels L, even, >= 2 (default 4) */
  uint64_t seed;           /* Morris trajectories and the bootstrap (default 1) */
  size_t n_bootstrap;      /* resamples of the intervals (default 1000; 0: no intervals) */
  double confidence;       /* level of the intervals, in (0, 1) (default 0.95) */
} cart_sensitivity_settings;

void cart_sensitivity_settings_default(cart_sensitivity_settings *settings);

/* A design over params[0 .. n_params) (copied). NULL with *err (may be NULL) set:
 * CART_EINVAL (no parameters, a NULL or repeated name, an unknown method or distribution),
 * CART_ERANGE (n 0 or so large that the design would not fit in memory, more than
 * CART_SENSITIVITY_SOBOL_MAX_PARAMS parameters for Sobol (the message says why) or
 * CART_SENSITIVITY_MAX_PARAMS for Morris, odd or < 2 levels, a confidence outside (0, 1), a
 * range with lower >= upper or not finite, a log-uniform lower <= 0, a cv <= 0 or not finite,
 * a typical value outside its truncation, a logit-normal one outside (0, 1)), CART_ENOMEM. */
cart_sensitivity *cart_sensitivity_new(const cart_sensitivity_param *params, size_t n_params,
                                       const cart_sensitivity_settings *settings,
                                       cart_error *err);
void cart_sensitivity_free(cart_sensitivity *sensitivity);

/* The distribution a trial's scenario gives parameter `name`: log-normal, or logit-normal for a
 * parameter bounded by 0 and 1, at its typical value and CV, truncated to the parameter's
 * bounds. `param->name` points to the model's (static) name. CART_EUNKNOWN_PARAM (the message
 * lists the model's parameters), CART_ERANGE for a parameter without variability (cv 0: give it
 * a range), CART_EINVAL for NULL arguments. */
int cart_sensitivity_scenario_param(const cart_trial *trial, const char *name,
                                    cart_sensitivity_param *param, cart_error *err);

/* Makes `trial` one patient at the scenario's typical values: N = 1 and no variability (every
 * cv removed; correlations go with them; a patients table stays). The statistic of a trial
 * analysis is then that patient's endpoint: `mean(cmax)`, `mean(crs_grade)`. Take the scenario's
 * distributions (cart_sensitivity_scenario_param) before. CART_OK, or the population's error;
 * CART_EINVAL for NULL. */
int cart_sensitivity_typical_patient(cart_trial *trial);

/* The settings it was made with, its parameters (strings belong to the object) and size. */
void cart_sensitivity_get_settings(const cart_sensitivity *sensitivity,
                                   cart_sensitivity_settings *settings);
size_t cart_sensitivity_n_params(const cart_sensitivity *sensitivity);
int cart_sensitivity_get_param(const cart_sensitivity *sensitivity, size_t i,
                               cart_sensitivity_param *param); /* CART_EINVAL out of range */
/* Design rows: N (p + 2) for Sobol, r (p + 1) for Morris. */
size_t cart_sensitivity_n_rows(const cart_sensitivity *sensitivity);
/* n_rows x n_params, row major: the unit-cube points and the parameter values. */
const double *cart_sensitivity_design_unit(const cart_sensitivity *sensitivity);
const double *cart_sensitivity_design(const cart_sensitivity *sensitivity);
/* n_rows outputs; NaN before an evaluation. */
const double *cart_sensitivity_outputs(const cart_sensitivity *sensitivity);

/* The output at one design row: x holds the n_params values (in the parameters' order); write
 * the output to *y (NaN allowed: the row is then left out). Return 0, or a negative value to
 * stop the analysis (cart_sensitivity_evaluate then returns CART_EMODEL). Called from several
 * threads at once, each with its own row: it must be thread-safe. */
typedef int (*cart_sensitivity_fn)(const double *x, size_t n_params, double *y, void *data);

/* Evaluates f at every design row, rows in parallel on n_threads OpenMP threads (0: OpenMP's
 * default), then computes the indices. CART_OK, CART_EMODEL (f returned < 0), CART_ENOMEM,
 * CART_EINVAL (NULL arguments); the message in cart_sensitivity_last_error. */
int cart_sensitivity_evaluate(cart_sensitivity *sensitivity, cart_sensitivity_fn f, void *data,
                              int n_threads);

/* Takes the outputs of every design row (n_rows values, copied) and computes the indices. */
int cart_sensitivity_set_outputs(cart_sensitivity *sensitivity, const double *outputs);

/* Called after every design row of a trial analysis; non-zero stops it (CART_ESTOPPED). */
typedef int (*cart_sensitivity_progress_fn)(size_t done, size_t total, void *data);

/* Runs `trial` (N, seed, doses ... as it is) at each design row with the row's values as its
 * typical values, the output of the row being `statistic` (cart-targets(5)'s statistics) of its
 * patients; then computes the indices. A row whose values the model rejects (a rule broken, a
 * value outside a bound) or whose statistic is undefined gets NaN and is left out. The trial's
 * typical values are restored (and it is prepared again) before the call returns.
 * Errors (message in cart_sensitivity_last_error): CART_EPARSE (a statistic that does not
 * parse, "statistic: ..."), CART_EUNKNOWN_PARAM (a design parameter the model lacks, listing
 * the model's parameters; an endpoint the model lacks; the NAME of a NAME@DAY that is no state
 * or signal, listing the model's), CART_ERANGE (a range outside the parameter's bounds; the DAY
 * of a NAME@DAY after the trial's horizon), CART_ESTOPPED (progress asked to stop: the outputs so far are kept, no
 * indices), the trial's own errors, CART_EINVAL for NULL arguments. */
int cart_sensitivity_run_trial(cart_sensitivity *sensitivity, cart_trial *trial,
                               const char *statistic, int n_threads,
                               cart_sensitivity_progress_fn progress, void *progress_data);

/* The statistic of the last cart_sensitivity_run_trial ("" otherwise), blanks removed. */
const char *cart_sensitivity_statistic(const cart_sensitivity *sensitivity);
/* Why the first refused row of the last cart_sensitivity_run_trial was refused ("design row R:
 * MESSAGE"; "" when none was). */
const char *cart_sensitivity_refusal(const cart_sensitivity *sensitivity);

/* The summary of the analysis. */
typedef struct cart_sensitivity_summary {
  int analysed;        /* 1: outputs were given and the indices computed */
  size_t n_rows;       /* design rows */
  size_t n_valid;      /* Sobol: base rows used (no NaN among their outputs); Morris:
                          trajectories used */
  double mean, variance; /* of the outputs used (Sobol: the 2N of A and B) */
  double wall_seconds; /* of the evaluation */
  size_t n_refused;    /* trial analysis: design rows whose values the model refused (a rule
                          broken, such as cart's IL-6 loop gain; a drawn patient out of bounds
                          every time), left out; cart_sensitivity_refusal says why */
} cart_sensitivity_summary;

/* The indices of one parameter; NaN where not computed (another method, no intervals, zero
 * variance). */
typedef struct cart_sensitivity_index {
  const char *name;
  double first, first_lower, first_upper; /* Sobol S_i and its interval */
  double total, total_lower, total_upper; /* Sobol ST_i and its interval */
  double mu, mu_star, sigma;              /* Morris */
  double mu_star_lower, mu_star_upper;    /* Morris mu*'s interval */
} cart_sensitivity_index;

void cart_sensitivity_get_summary(const cart_sensitivity *sensitivity,
                                  cart_sensitivity_summary *summary);
/* CART_EINVAL when i is out of range. */
int cart_sensitivity_get_index(const cart_sensitivity *sensitivity, size_t i,
                               cart_sensitivity_index *index);

const cart_error *cart_sensitivity_last_error(const cart_sensitivity *sensitivity);

/* Writes the analysis to an HDF5 file: attributes method, n, levels, seed, n_bootstrap,
 * confidence, statistic, n_valid, complete; /parameters (names, distribution, lower, upper,
 * typical, cv); /design/unit and /design/values (n_rows x p), /design/outputs (n_rows);
 * /indices: first, first_lower, first_upper, total, total_lower, total_upper, mu, mu_star,
 * sigma, mu_star_lower, mu_star_upper (p each). An existing file needs force (CART_EEXIST);
 * CART_EIO with the message in *err (may be NULL). */
int cart_sensitivity_write(const cart_sensitivity *sensitivity, const char *path, int force,
                           cart_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CART_SENSITIVITY_H */
