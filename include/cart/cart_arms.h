/* cart_arms.h: a trial of several arms on the same virtual patients (dose ranging, tocilizumab
 * policies).
 *
 * An arm is a prepared cart_trial; every arm of a cart_arms has the same model, number of
 * patients, seed, output times and trajectories, so patient i of every arm is the same virtual
 * patient (its draws depend only on the seed and i: common random numbers) and only what the arms
 * change (the doses, the tocilizumab rule, typical parameter values) differs. Arms run one after
 * another, each with the one run loop of a trial (cart_arms_run_file, cart_hdf5.h), into one
 * file, so each arm's results are bit-identical to the same trial run alone, for any threads or
 * MPI ranks.
 *
 * A cart_arms is either one unnamed arm (a plain trial: its file has the plain layout of
 * cart_hdf5.h) or one or more named arms (the file has a group per arm, /arms/NAME). Scenarios
 * give arms as [arm NAME] sections (cart-scenario(5), cart_arms_new_from_scenario in
 * cart_scenario.h).
 *
 * Ownership: cart_arms_add takes the trial it adds (freed by cart_arms_free); names and labels
 * are copied. The trials are read and changed through cart_arms_trial.
 * Thread safety: as cart_trial: one thread changes a cart_arms; running only reads it.
 */
#ifndef CART_ARMS_H
#define CART_ARMS_H

#include <stddef.h>
#include <stdint.h>

#include <cart/cart_errno.h>
#include <cart/cart_trial.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cart_arms cart_arms;

/* The longest arm name (a group name of the file, a value of cart export's arm column). */
#define CART_ARM_NAME_MAX 63
/* The most arms of one trial. */
#define CART_MAX_ARMS 64

/* An empty set of arms, or NULL (CART_ENOMEM in *err, which may be NULL). */
cart_arms *cart_arms_new(cart_error *err);
/* Frees the arms and their trials (NULL allowed). */
void cart_arms_free(cart_arms *arms);

/* Adds `trial` as the last arm and takes it (on success only: on failure the caller still owns
 * it). `name`: 1..CART_ARM_NAME_MAX letters, digits, '_', '-' or '.', not starting with '.',
 * unique; or NULL for one unnamed arm, which must be the only one. `label` (NULL: none) is a free
 * text for tables and plots. CART_EINVAL for a bad or repeated name, an unnamed arm with others,
 * more than CART_MAX_ARMS arms, or a trial whose model, number of patients, seed, output times or
 * trajectories differ from the first arm's (the message says which); CART_ENOMEM. */
int cart_arms_add(cart_arms *arms, const char *name, const char *label, cart_trial *trial);

size_t cart_arms_count(const cart_arms *arms);
/* Arm i's name (NULL for an unnamed arm or i out of range), label ("" when none given). */
const char *cart_arms_name(const cart_arms *arms, size_t i);
const char *cart_arms_label(const cart_arms *arms, size_t i);
/* Arm i's trial (owned by the arms; NULL for i out of range): change it (then prepare it) as any
 * trial, keeping what the arms share equal. */
cart_trial *cart_arms_trial(cart_arms *arms, size_t i);
const cart_trial *cart_arms_trial_const(const cart_arms *arms, size_t i);
/* The index of the arm named `name`, or -1. */
int cart_arms_index(const cart_arms *arms, const char *name);

/* The number of patients and the seed of every arm (the command line's -n and --seed):
 * cart_trial_set_n_patients's codes. */
int cart_arms_set_n_patients(cart_arms *arms, size_t n_patients);
void cart_arms_set_seed(cart_arms *arms, uint64_t seed);

/* Checks that the arms still share model, patients, seed, times and trajectories and prepares
 * every arm's trial: CART_OK, CART_EINVAL (an empty set, arms that differ) or the first failing
 * arm's cart_trial_prepare code, its message naming the arm. */
int cart_arms_prepare(cart_arms *arms);

const cart_error *cart_arms_last_error(const cart_arms *arms);

#ifdef __cplusplus
}
#endif

#endif /* CART_ARMS_H */
