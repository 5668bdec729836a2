/* arms.c: a trial of several arms on the same virtual patients (cart_arms.h).
 *
 * Each arm is a whole cart_trial: the arms share the patients because a patient's draws depend
 * only on (seed, index) (cart_population.h), not because the arms share any state, so running
 * them one after another with the one run loop keeps every arm bit-identical to the same trial
 * run alone. What the arms must share is checked here, when an arm is added and again before a
 * run (a caller may have changed a trial in between). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart_arms.h>

#include "../util/error.h"

struct cart_arms {
  size_t count;
  cart_trial *trials[CART_MAX_ARMS];
  char *names[CART_MAX_ARMS]; /* NULL: the one unnamed arm */
  char *labels[CART_MAX_ARMS];
  cart_error error;
};

cart_arms *cart_arms_new(cart_error *err)
{
  cart_arms *arms = calloc(1, sizeof *arms);
  if (arms == NULL) {
    cartp_error(err, CART_ENOMEM, "cart_arms_new: out of memory");
    return NULL;
  }
  cart_error_clear(&arms->error);
  if (err != NULL) {
    cart_error_clear(err);
  }
  return arms;
}

void cart_arms_free(cart_arms *arms)
{
  if (arms == NULL) {
    return;
  }
  for (size_t i = 0; i < arms->count; i++) {
    cart_trial_free(arms->trials[i]);
    free(arms->names[i]);
    free(arms->labels[i]);
  }
  free(arms);
}

/* A name the file can hold as a group and a CSV as a plain value. */
static int name_ok(const char *name)
{
  const size_t length = strlen(name);
  if (length == 0 || length > CART_ARM_NAME_MAX || name[0] == '.') {
    return 0;
  }
  for (size_t i = 0; i < length; i++) {
    const unsigned char c = (unsigned char)name[i];
    if (!isalnum(c) && c != '_' && c != '-' && c != '.') {
      return 0;
    }
  }
  return 1;
}

/* Whether `trial` has the patients, times and trajectories of `first`: CART_OK or CART_EINVAL
 * with the difference in *err, the arm named `name`. */
/* The same patients table: its columns and every value. */
static int same_table(const cart_population *a, const cart_population *b)
{
  size_t rows_a, rows_b, columns_a, columns_b;
  const double *values_a = cart_population_table(a, &rows_a, &columns_a);
  const double *values_b = cart_population_table(b, &rows_b, &columns_b);
  if (rows_a != rows_b || columns_a != columns_b) {
    return 0;
  }
  for (size_t c = 0; c < columns_a; c++) {
    if (strcmp(cart_population_table_column(a, c), cart_population_table_column(b, c)) != 0) {
      return 0;
    }
  }
  return rows_a == 0 || memcmp(values_a, values_b, rows_a * columns_a * sizeof *values_a) == 0;
}

/* The same parameters varied, in the same order, with the same cv: then patient i's random
 * effects are the same in both (its stream is (seed, i)), whatever the typical values. */
static int same_variability(const cart_population *a, const cart_population *b)
{
  const size_t n = cart_population_n_varied(a);
  if (n != cart_population_n_varied(b)) {
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    const char *name_a, *name_b;
    double cv_a, cv_b;
    cart_population_varied(a, i, &name_a, &cv_a);
    cart_population_varied(b, i, &name_b, &cv_b);
    if (strcmp(name_a, name_b) != 0 || cv_a != cv_b) {
      return 0;
    }
  }
  return 1;
}

static int same_patients(const cart_trial *first, const cart_trial *trial, const char *name,
                         cart_error *err)
{
  const char *what = NULL;
  size_t n_a = 0, n_b = 0;
  const double *times_a = cart_trial_times(first, &n_a);
  const double *times_b = cart_trial_times(trial, &n_b);
  if (cart_trial_model(first) != cart_trial_model(trial)) {
    what = "model";
  } else if (cart_trial_n_patients(first) != cart_trial_n_patients(trial)) {
    what = "number of patients";
  } else if (cart_trial_seed(first) != cart_trial_seed(trial)) {
    what = "seed";
  } else if (n_a != n_b || memcmp(times_a, times_b, n_a * sizeof *times_a) != 0) {
    what = "output times";
  } else if (cart_trial_n_outputs(first) != cart_trial_n_outputs(trial)) {
    what = "trajectories";
  } else if (!same_table(cart_trial_population(first), cart_trial_population(trial))) {
    what = "patients table";
  } else if (!same_variability(cart_trial_population(first), cart_trial_population(trial))) {
    what = "variability (the varied parameters and their cv)";
  }
  for (size_t o = 0; what == NULL && o < cart_trial_n_outputs(first); o++) {
    const char *a = NULL, *b = NULL;
    cart_trial_output_info(first, o, &a, NULL);
    cart_trial_output_info(trial, o, &b, NULL);
    if (a == NULL || b == NULL || strcmp(a, b) != 0) {
      what = "trajectories";
    }
  }
  if (what != NULL) {
    return cartp_error(err, CART_EINVAL,
                       "arm '%s': its %s differ from the first arm's (arms share the patients, "
                       "times and trajectories)",
                       name ? name : "", what);
  }
  return CART_OK;
}

int cart_arms_add(cart_arms *arms, const char *name, const char *label, cart_trial *trial)
{
  if (arms == NULL) {
    return CART_EINVAL;
  }
  cart_error *err = &arms->error;
  cart_error_clear(err);
  if (trial == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_arms_add: no trial");
  }
  if (arms->count == CART_MAX_ARMS) {
    return cartp_error(err, CART_EINVAL, "cart_arms_add: more than %d arms", CART_MAX_ARMS);
  }
  if (name == NULL ? arms->count > 0 : arms->count > 0 && arms->names[0] == NULL) {
    return cartp_error(err, CART_EINVAL,
                       "cart_arms_add: an unnamed arm must be the only one (name every arm)");
  }
  if (name != NULL && !name_ok(name)) {
    return cartp_error(err, CART_EINVAL,
                       "cart_arms_add: arm name '%s' must be 1 to %d letters, digits, '_', '-' "
                       "or '.', not starting with '.'",
                       name, CART_ARM_NAME_MAX);
  }
  if (name != NULL && cart_arms_index(arms, name) >= 0) {
    return cartp_error(err, CART_EINVAL, "cart_arms_add: arm '%s' given twice", name);
  }
  if (arms->count > 0 && same_patients(arms->trials[0], trial, name, err) != CART_OK) {
    return err->code;
  }
  char *name_copy = name ? malloc(strlen(name) + 1) : NULL;
  char *label_copy = malloc(strlen(label ? label : "") + 1);
  if ((name != NULL && name_copy == NULL) || label_copy == NULL) {
    free(name_copy);
    free(label_copy);
    return cartp_error(err, CART_ENOMEM, "cart_arms_add: out of memory");
  }
  if (name_copy != NULL) {
    strcpy(name_copy, name);
  }
  strcpy(label_copy, label ? label : "");
  arms->trials[arms->count] = trial;
  arms->names[arms->count] = name_copy;
  arms->labels[arms->count] = label_copy;
  arms->count++;
  return CART_OK;
}

size_t cart_arms_count(const cart_arms *arms)
{
  return arms ? arms->count : 0;
}

const char *cart_arms_name(const cart_arms *arms, size_t i)
{
  return arms && i < arms->count ? arms->names[i] : NULL;
}

const char *cart_arms_label(const cart_arms *arms, size_t i)
{
  return arms && i < arms->count ? arms->labels[i] : NULL;
}

cart_trial *cart_arms_trial(cart_arms *arms, size_t i)
{
  return arms && i < arms->count ? arms->trials[i] : NULL;
}

const cart_trial *cart_arms_trial_const(const cart_arms *arms, size_t i)
{
  return arms && i < arms->count ? arms->trials[i] : NULL;
}

int cart_arms_index(const cart_arms *arms, const char *name)
{
  for (size_t i = 0; arms != NULL && name != NULL && i < arms->count; i++) {
    if (arms->names[i] != NULL && strcmp(arms->names[i], name) == 0) {
      return (int)i;
    }
  }
  return -1;
}

int cart_arms_set_n_patients(cart_arms *arms, size_t n_patients)
{
  if (arms == NULL) {
    return CART_EINVAL;
  }
  for (size_t i = 0; i < arms->count; i++) {
    const int status = cart_trial_set_n_patients(arms->trials[i], n_patients);
    if (status != CART_OK) {
      return cartp_error_copy(&arms->error, cart_trial_last_error(arms->trials[i]));
    }
  }
  return CART_OK;
}

void cart_arms_set_seed(cart_arms *arms, uint64_t seed)
{
  for (size_t i = 0; arms != NULL && i < arms->count; i++) {
    cart_trial_set_seed(arms->trials[i], seed);
  }
}

int cart_arms_prepare(cart_arms *arms)
{
  if (arms == NULL) {
    return CART_EINVAL;
  }
  cart_error *err = &arms->error;
  cart_error_clear(err);
  if (arms->count == 0) {
    return cartp_error(err, CART_EINVAL, "cart_arms_prepare: no arms");
  }
  for (size_t i = 0; i < arms->count; i++) {
    if (i > 0 && same_patients(arms->trials[0], arms->trials[i], arms->names[i], err) != CART_OK) {
      return err->code;
    }
    const int status = cart_trial_prepare(arms->trials[i]);
    if (status != CART_OK) {
      const cart_error *why = cart_trial_last_error(arms->trials[i]);
      return arms->names[i] ? cartp_error(err, status, "arm '%s': %s", arms->names[i],
                                          why->message)
                            : cartp_error_copy(err, why);
    }
  }
  return CART_OK;
}

const cart_error *cart_arms_last_error(const cart_arms *arms)
{
  return arms ? &arms->error : NULL;
}
