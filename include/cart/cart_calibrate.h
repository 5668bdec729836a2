/* cart_calibrate.h: calibration of a scenario's typical values and between-patient CVs to the
 * summary statistics of a clinical trial (`cart calibrate`, cart-targets(5)).
 *
 * Targets. A targets file (INI, cart-targets(5)) names the trial ([trial] name), the statistics
 * to reproduce with their observed values and 95 % intervals ([targets]: `orr = 83/101`,
 * `median(cmax) = 38 [20, 80]` ...), the free parameters with their bounds ([free]: `rho = 0.2,
 * 3`, `cv.rho = 0.05, 1.5`) and the fit's settings ([calibrate]). cart_targets_new() parses it
 * without a model; cart_targets_check() checks it against a trial's model (every message starts
 * with "SOURCE:LINE: ").
 *
 * Method: simulated method of moments (SMM; McFadden D, Econometrica 1989;57:995-1026; Pakes A,
 * Pollard D, Econometrica 1989;57:1027-1057) with common random numbers. Every evaluation runs
 * the same N virtual patients with the same seed, so that patient i keeps its random effects
 * (eta) whatever the candidate parameters (cart_population.h: the draws depend only on (seed,
 * i)); the objective
 *     J(theta) = sum_j ((s_j(theta) - o_j) / SE_j)^2
 * (s_j simulated, o_j observed, SE_j the observed statistic's standard error) is then a
 * deterministic function of theta, minimised by GSL's Nelder-Mead simplex (nmsimplex2) over
 * the free parameters mapped to the real line by a logit between their bounds. The uncertainty
 * of the fit is the SMM sandwich covariance with a finite-difference Jacobian G of the
 * simulated statistics (central differences, in transformed units):
 *     Cov = (1 + 1/R) (G' W G)^-1,  W = diag(1 / SE_j^2),  R = N_sim / N_obs,
 * and the SE of each fitted value follows on its own scale by the delta method. A parameter
 * that the targets do not identify (G' W G singular or ill-conditioned in its direction) is
 * flagged instead of given a meaningless SE.
 *
 * Why SMM with common random numbers rather than virtual-population selection (Allen RJ, Rieger
 * TR, Musante CJ, CPT Pharmacometrics Syst Pharmacol 2016;5:140-146) or ABC-SMC: the result is a
 * typical value and a CV per parameter, i.e. a scenario that runs as any other (a selected
 * virtual population is a list of patients, not a scenario); the fit is deterministic
 * (the same input gives the same output bit for bit, for any number of threads); and it needs a
 * few hundred trial evaluations, minutes on two cores, where selection needs tens of thousands
 * of plausible patients and ABC-SMC tens of thousands of trials.
 *
 * Ownership: cart_targets_new returns a new object the caller frees with cart_targets_free;
 * cart_calibration_new makes a new result the caller frees with cart_calibration_free (it copies
 * what it needs from the targets). Strings returned by getters belong to their object.
 * Thread safety: a cart_targets may be read from any number of threads. cart_calibration_new
 * changes the trial while it runs (and restores it before it returns): one calibration per trial
 * at a time; different trials may be calibrated in different threads. It makes its own OpenMP
 * threads (settings.n_threads).
 */
#ifndef CART_CALIBRATE_H
#define CART_CALIBRATE_H

#include <stddef.h>
#include <stdint.h>

#include <cart/cart_errno.h>
#include <cart/cart_trial.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cart_targets cart_targets;
typedef struct cart_calibration cart_calibration;

/* The statistics a target may name (cart-targets(5)). Rates are fractions of the patients
 * solved (status 0) unless said otherwise. An ENDPOINT is one of the trial's model
 * (cart_model_endpoint_info), resolved by cart_targets_check; the oncology statistics (orr ...
 * durable_cr, cr_tercile_diff, median_ratio) need the endpoints of cart's list they read, and
 * mean and fraction work with any endpoint of any model. */
typedef enum cart_statistic {
  CART_STAT_ORR,              /* orr: response >= 1 */
  CART_STAT_CR,               /* cr: response == 2 */
  CART_STAT_PR,               /* pr: response == 1 */
  CART_STAT_CRS_ANY,          /* crs_any: crs_grade >= 1 */
  CART_STAT_CRS_GRADE2,       /* crs_grade2: crs_grade >= 2 */
  CART_STAT_CRS_GRADE3,       /* crs_grade3: crs_grade >= 3 */
  CART_STAT_TOCI,             /* toci: toci_doses >= 1 */
  CART_STAT_RELAPSE_CR,       /* relapse_cr(D): of complete responders, relapse_day <= D */
  CART_STAT_RELAPSE_NEGATIVE, /* relapse_negative(D): of those relapses, relapse_negative = 1 */
  CART_STAT_DURABLE_CR,       /* durable_cr(D): of all, response 2 and no relapse_day <= D */
  CART_STAT_QUANTILE,         /* median(EP), quantile(EP, q) of an endpoint (NaN left out) */
  CART_STAT_CR_TERCILE_DIFF,  /* cr_tercile_diff(PARAM): CR rate, highest minus lowest tercile
                                 of the patients' drawn PARAM */
  CART_STAT_MEDIAN_RATIO,     /* median_ratio(EP, NR/R): median of EP among non-responders
                                 (response 0) over that among responders (response >= 1) */
  CART_STAT_MEAN,             /* mean(EP): mean of an endpoint (NaN left out) */
  CART_STAT_FRACTION,         /* fraction(EP >= X), also >, <=, <, ==: the share of the patients
                                 solved whose EP compares so with X (NaN compares false) */
  CART_N_STATISTICS
} cart_statistic;

/* The comparison of fraction(EP OP X). */
typedef enum cart_comparison {
  CART_COMPARE_NONE, /* not a fraction */
  CART_COMPARE_GE,   /* >= */
  CART_COMPARE_GT,   /* > */
  CART_COMPARE_LE,   /* <= */
  CART_COMPARE_LT,   /* < */
  CART_COMPARE_EQ    /* == */
} cart_comparison;

/* One target as read (strings belong to the targets). */
typedef struct cart_target_info {
  const char *name;         /* the key as written, blanks removed: "median(cmax)" */
  cart_statistic statistic;
  int is_rate;              /* a share of patients, in [0, 1] */
  const char *argument;     /* the endpoint or parameter inside the parentheses (NAME of a
                               NAME@DAY), or NULL */
  double day;               /* D of relapse_cr(D), relapse_negative(D), durable_cr(D); else NaN */
  double q;                 /* quantile level (0.5 for median); else NaN */
  cart_comparison comparison; /* fraction's; CART_COMPARE_NONE for the others */
  double threshold;         /* X of fraction(EP OP X); else NaN */
  double observed;          /* n/N, or the value written */
  double lower, upper;      /* 95 % interval: Wilson's for n/N, else as written */
  double se;                /* standard error of the observed statistic, the objective's SE_j:
                               for n/N max(binomial SE, Wilson half-width / 1.96), so 0/N has one;
                               for value [lo, hi]: (hi - lo) / (2 * 1.96) */
  size_t count, total;      /* n and N of n/N; 0 and 0 for value [lo, hi] */
  int line;                 /* line in the targets file */
  double at;                /* DAY of an argument written NAME@DAY (a state or signal of the
                               model at that day, cart-targets(5)); else NaN */
} cart_target_info;

/* One free parameter: a typical value ("rho") or a between-patient CV ("cv.rho"). */
typedef struct cart_free_info {
  const char *name;     /* the parameter: "rho" */
  int is_cv;            /* 1: its CV ([variability]); 0: its typical value ([parameters]) */
  double lower, upper;  /* bounds of the search, lower < upper */
  int line;
} cart_free_info;

/* Settings of a calibration; cart_calibrate_settings_default() gives the defaults named here,
 * cart_targets_settings() applies a targets file's [trial] n and [calibrate] section. */
typedef struct cart_calibrate_settings {
  size_t n_patients;      /* virtual patients per evaluation; 0: the trial's (default 0) */
  uint64_t seed;          /* the seed of every evaluation (common random numbers) ... */
  int use_seed;           /* ... when 1; 0: the trial's seed (default 0) */
  size_t max_evaluations; /* Nelder-Mead's evaluations at most (400); the Jacobian's 2 p come on top */
  double initial_step;    /* simplex step in transformed (logit) units (0.5) */
  double size_tolerance;  /* stop when the simplex's size is below it, transformed units (1e-3) */
  double fd_step;         /* central-difference step for the Jacobian, transformed units (0.1);
                             large, because statistics of a finite virtual trial are steps */
  size_t n_observed;      /* patients of the observed trial, for 1 + 1/R: 0 takes the largest N
                             of the targets' n/N (no correction when there is none) */
  int n_threads;          /* OpenMP threads per evaluation (0: OpenMP's default) */
} cart_calibrate_settings;

void cart_calibrate_settings_default(cart_calibrate_settings *settings);

/* ---- targets ---- */

/* Parses a targets file. `source` names it in messages ("zuma1.ini"). Returns NULL with *err
 * (may be NULL) set; every message starts with "SOURCE:LINE: " and names the key at fault:
 *   CART_EPARSE        syntax, unknown section or key, unknown statistic, malformed NAME@DAY
 *                      or value, a key given twice, a free parameter without "lower, upper",
 *                      no targets, no free parameters
 *   CART_ERANGE        n > N or N <= 0, a rate outside [0, 1], an interval [lo, hi] that does
 *                      not contain the value or has lo >= hi, lower >= upper, a CV bound < 0, a
 *                      setting out of range, the DAY of a NAME@DAY below 0
 *   CART_EINVAL        NULL text; CART_ENOMEM. */
cart_targets *cart_targets_new(const char *text, const char *source, cart_error *err);
void cart_targets_free(cart_targets *targets);

/* [trial] name ("" when not given) and the source given to cart_targets_new. */
const char *cart_targets_trial_name(const cart_targets *targets);
const char *cart_targets_source(const cart_targets *targets);

size_t cart_targets_n_targets(const cart_targets *targets);
/* CART_EINVAL when i is out of range. */
int cart_targets_get(const cart_targets *targets, size_t i, cart_target_info *info);
size_t cart_targets_n_free(const cart_targets *targets);
int cart_targets_get_free(const cart_targets *targets, size_t i, cart_free_info *info);

/* Applies [trial] n and [calibrate] (n_patients, seed, max_evaluations, initial_step, tolerance,
 * fd_step) on top of *settings; keys not given leave it as it is. */
void cart_targets_settings(const cart_targets *targets, cart_calibrate_settings *settings);

/* Checks the targets against a trial's model and plan ("SOURCE:LINE: " messages):
 * CART_EUNKNOWN_PARAM for a free parameter or a cr_tercile_diff parameter the model lacks, an
 * endpoint the model lacks inside a statistic (the message lists the model's endpoints), the
 * NAME of a NAME@DAY that is no state or signal of the model (the message lists them), or an
 * oncology statistic whose endpoints the model lacks (stein's orr: it has no response);
 * CART_ERANGE for typical-value bounds outside the parameter's own bounds (cart_model_param_info),
 * a CV free for a parameter whose typical value cannot vary (0 or on a bound), a
 * cr_tercile_diff parameter that does not vary, a day D or the DAY of a NAME@DAY after the
 * trial's horizon; CART_EINVAL for more than 16 distinct NAME@DAY. */
int cart_targets_check(const cart_targets *targets, const cart_trial *trial, cart_error *err);

/* Runs `trial` as it is (its N and seed) and computes each target's statistic into
 * simulated[i] and its Monte-Carlo standard error into mc_se[i] (may be NULL); NaN where it is
 * undefined (e.g. relapse_cr without a complete responder). The statistics cart_calibration_new
 * reports, computed the same way: a calibrated scenario run with the calibration's N and seed
 * gives them bit for bit. Errors: cart_targets_check's, the trial's. */
int cart_targets_simulate(const cart_targets *targets, cart_trial *trial, int n_threads,
                          double *simulated, double *mc_se, cart_error *err);

/* ---- calibration ---- */

/* Called after every evaluation of the objective: evaluations so far, the most there will be
 * (max_evaluations + 2 p), the best objective so far. A non-zero return stops the fit. */
typedef int (*cart_calibrate_progress_fn)(size_t evaluations, size_t max_evaluations,
                                          double best_objective, void *data);

/* Fits the free parameters of `targets` in `trial` (typical values and CVs; every other part
 * of the plan is used as it is). settings NULL: the defaults with cart_targets_settings().
 * The trial's typical values, CVs, N and seed change during the call and are restored before
 * it returns (use cart_calibration_apply to set the fitted values).
 * Returns CART_OK with *result; CART_ESTOPPED (progress asked to stop) with *result holding the
 * best point so far, marked incomplete (no SEs); or an error with *result NULL: the targets'
 * check (cart_targets_check), CART_EINVAL, CART_ENOMEM, a trial that does not run. A candidate
 * that breaks a model rule (CART_ERULE) is not an error: it gets a penalty objective. */
int cart_calibration_new(cart_trial *trial, const cart_targets *targets,
                         const cart_calibrate_settings *settings,
                         cart_calibrate_progress_fn progress, void *progress_data,
                         cart_calibration **result, cart_error *err);
void cart_calibration_free(cart_calibration *calibration);

typedef struct cart_calibration_summary {
  int complete;          /* 1: fit and uncertainty done; 0: stopped by the caller */
  int converged;         /* 1: the simplex shrank below size_tolerance; 0: max_evaluations hit */
  double objective;      /* J at the fitted values */
  size_t evaluations;    /* trial evaluations, the Jacobian's included */
  double wall_seconds;   /* of the whole call */
  size_t n_patients;     /* N of every evaluation */
  uint64_t seed;         /* their seed */
  double variance_factor; /* 1 + 1/R, R = N_sim / N_obs (1 when N_obs is unknown) */
  double condition;      /* condition number of G'WG (inf when singular; NaN if not computed) */
  size_t n_targets, n_free;
} cart_calibration_summary;

typedef struct cart_calibration_target {
  const char *name;
  double observed, lower, upper, se_observed;
  double simulated, mc_se; /* at the fitted values; NaN where undefined */
  int in_range;            /* lower <= simulated <= upper */
} cart_calibration_target;

typedef struct cart_calibration_param {
  const char *name;  /* "rho" */
  int is_cv;         /* the CV of name (written cv.rho) */
  double lower, upper, start, value;
  double se;         /* on the parameter's own scale; NaN when not identified or incomplete */
  int identified;    /* 0: the targets do not identify it (G'WG singular in its direction) */
} cart_calibration_param;

int cart_calibration_get_summary(const cart_calibration *calibration,
                                 cart_calibration_summary *summary);
int cart_calibration_get_target(const cart_calibration *calibration, size_t i,
                                cart_calibration_target *target);
int cart_calibration_get_param(const cart_calibration *calibration, size_t i,
                               cart_calibration_param *param);

/* Sets the fitted typical values and CVs in `trial` (N and seed are left as they are).
 * CART_EINVAL for a trial of another model; the trial's errors. */
int cart_calibration_apply(const cart_calibration *calibration, cart_trial *trial);

/* The calibrated scenario: `scenario_text` with the fitted typical values in [parameters] and
 * CVs in [variability] (an existing key's value replaced in place, a missing key added at the
 * end of its section, a missing section added at the end), every value with 17 significant
 * digits so that it loads back bit for bit, and a comment block at the top naming the trial,
 * the targets file, N, seed, objective, every target and fitted value. snprintf style: writes
 * at most `size` bytes (NUL included) into buffer (may be NULL when size is 0) and the full
 * length (NUL excluded) into *length. CART_OK, CART_ERANGE when the buffer was too small,
 * CART_EINVAL, CART_ENOMEM. */
int cart_calibration_scenario(const cart_calibration *calibration, const char *scenario_text,
                              char *buffer, size_t size, size_t *length);

#ifdef __cplusplus
}
#endif

#endif /* CART_CALIBRATE_H */
