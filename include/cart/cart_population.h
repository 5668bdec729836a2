/* cart_population.h: virtual patients (MODEL.md section 5).
 *
 * A population holds the typical parameter values of a model and, for any of its parameters, a
 * between-patient variability given as a coefficient of variation cv:
 *   log-normal:   theta_i = theta exp(eta_i),                         for parameters not in [0, 1]
 *   logit-normal: theta_i = 1 / (1 + exp(-(logit(theta) + eta_i))),  for parameters bounded in [0, 1]
 * with eta ~ N(0, omega^2), omega^2 = ln(1 + cv^2) (for logit-normal parameters the same omega is
 * used on the logit scale), and an optional correlation between the etas (a Cholesky factor is
 * made by cart_population_prepare; a matrix that is not positive definite is an error naming the
 * parameters). A draw outside a parameter's bounds, or a draw that breaks a model rule (cart's
 * IL-6 loop gain), is redrawn, at most 100 times; then the draw fails with CART_ERANGE.
 * Covariates such as body weight WT (weight-based doses) and tumour burden T0 are parameters like
 * any other and vary the same way.
 *
 * A table of real patients (cart_population_set_patients) gives some parameters their values
 * patient by patient: patient i < n_rows takes row i, a patient past the end of the table a row
 * drawn uniformly with replacement from its own stream (seed, i), so resampling is seeded and
 * independent of N, threads and ranks. The parameters the table leaves out are drawn as above;
 * a parameter cannot be both a column and varied (cart_population_prepare says which).
 *
 * Reproducibility: patient i's draws depend only on (seed, i): each patient has its own random
 * stream, a xoshiro256** generator whose 256-bit state is filled by splitmix64 from the seed and
 * the patient index (Blackman and Vigna 2018; Steele et al. 2014), so a patient gets the same
 * parameters whatever the number of threads or ranks, the order of work, or N.
 *
 * Ownership: cart_population_new copies the typical values; the caller frees with
 * cart_population_free (NULL allowed).
 * Thread safety: after cart_population_prepare, cart_population_draw may run in any number of
 * threads at once (it changes nothing in the population); setters must not run concurrently.
 */
#ifndef CART_POPULATION_H
#define CART_POPULATION_H

#include <stddef.h>
#include <stdint.h>

#include <cart/cart_errno.h>
#include <cart/cart_params.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cart_population cart_population;

/* Most draws per patient before giving up (MODEL.md 5). */
#define CART_MAX_REDRAWS 100

cart_population *cart_population_new(const cart_params *typical, cart_error *err);
void cart_population_free(cart_population *population);

/* The typical values (may be changed with cart_params_set before prepare). */
cart_params *cart_population_typical(cart_population *population);

/* Variability of a parameter: cv >= 0 and finite (0 removes it), with omega^2 = ln(1 + cv^2)
 * finite (cv below about 1.3e154). CART_EUNKNOWN_PARAM, CART_ERANGE (bad cv, or a parameter
 * whose typical value is 0 or on a bound, which a log- or logit-normal draw cannot vary). */
int cart_population_set_cv(cart_population *population, const char *name, double cv);

/* Correlation between the etas of two varied parameters, -1 < r < 1 (set their cv first).
 * CART_EUNKNOWN_PARAM, CART_EINVAL (same parameter twice, or one without variability),
 * CART_ERANGE (r out of range). */
int cart_population_set_correlation(cart_population *population, const char *a, const char *b,
                                    double r);

/* Checks the typical values (cart_params_check) and factors the correlation matrix:
 * CART_OK, CART_ERULE, or CART_ERANGE "correlation matrix of (rho, gamma, ...) is not positive
 * definite". Must be called (again) after any change and before drawing. */
int cart_population_prepare(cart_population *population);

size_t cart_population_n_varied(const cart_population *population);
/* Name and cv of the i-th varied parameter (in the order they were first given). */
int cart_population_varied(const cart_population *population, size_t i, const char **name,
                           double *cv);

/* Patient `patient` of the run with `seed`: writes its parameters into `params` (a set of the
 * same model): its table row's values (if there is a table), then the draws. CART_OK, or
 * CART_ERANGE after CART_MAX_REDRAWS draws out of bounds (message in *err, which may be NULL),
 * CART_ERULE for a table row that breaks a model rule with nothing to redraw, CART_EINVAL if not
 * prepared or the model differs. */
int cart_population_draw(const cart_population *population, uint64_t seed, uint64_t patient,
                         cart_params *params, cart_error *err);

/* The patients table: n_rows rows of n_columns values (row major) for the parameters `names`
 * (copied). n_rows or n_columns 0 removes the table. CART_EUNKNOWN_PARAM (a name that is not a
 * parameter), CART_EINVAL (a name given twice, too many columns), CART_ERANGE (a value outside
 * its parameter's bounds, message naming row and column) or CART_ENOMEM; the population is
 * unchanged then. */
int cart_population_set_patients(cart_population *population, const char *const *names,
                                 size_t n_columns, const double *values, size_t n_rows);
size_t cart_population_n_table_rows(const cart_population *population);
/* The table row (0-based) patient `patient` of the run with `seed` takes; -1 without a table. */
long long cart_population_table_row(const cart_population *population, uint64_t seed,
                                    uint64_t patient);
/* The table's values (row major; NULL without a table) and its size; the parameter name of
 * column c (NULL out of range). Owned by the population. */
const double *cart_population_table(const cart_population *population, size_t *n_rows,
                                    size_t *n_columns);
const char *cart_population_table_column(const cart_population *population, size_t c);

const cart_error *cart_population_last_error(const cart_population *population);

#ifdef __cplusplus
}
#endif

#endif /* CART_POPULATION_H */
