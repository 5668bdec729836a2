/* check_v2v.c: the vein-to-vein time, drop-out and costs of a trial (doc/models.md 5.1,
 * cart-scenario(5)): no wait is today's trial bit for bit; the state at infusion against an
 * independent solve without CAR-T and the logistic closed form; a longer wait by running; the
 * drop-out rules patient by patient; the hazard's draws across threads; the intention-to-treat,
 * as-treated and cost summaries against sums of the per-patient data read back from the file. */
#include <check.h>
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cart/cart.h>

#include "test_util.h"

/* 40 patients of the calibrated ZUMA-1 parameters of examples/dose_ranging_arms.ini, whose
 * tumour burden and growth vary, so that some respond and some do not. */
#define BASE                                                                                  \
  "[trial]\nmodel = cart\nn_patients = 40\nseed = 2017\n"                                     \
  "[times]\nlist = 0, 1, 3, 7, 14, 28, 56, 90, 180\n"                                         \
  "[parameters]\nrho = 0.57934247612571188\nt_prog = 7.8632354590963089\nn_prog = 4\n"        \
  "gamma = 60.028968288881451\na_tum = 0.2038041965783198\nKkill = 116461223919.92134\n"      \
  "f_neg0 = 3.6196518860968198e-05\nk_imm = 0.084248816406552851\n"                           \
  "K_imm = 47176155.993391164\nq_ifn = 17.581943848397295\np_act = 3.5480740840686273\n"      \
  "p_kill = 24.154033673617732\nf_blood = 0.015124667762105075\n"                             \
  "[variability]\nrho = 0.3\ngamma = 1.0\nT0 = 1.0\nr_tum = 0.5\nk_imm = 1.1\n"               \
  "[tocilizumab]\nrule = on\n"
#define COSTS                                                                                 \
  "[cost]\nproduct = 373000\ntoci_dose = 1500\nhospital_day = 4000\nlos_days_g0 = 10\n"       \
  "los_days_g1 = 12\nlos_days_g2 = 15\nlos_days_g3 = 20\nlos_days_g4 = 28\n"

static char dir[] = "/tmp/check_v2v_XXXXXX";

static cart_trial *trial_from(const char *text)
{
  cart_error err;
  cart_trial *trial = cart_trial_new_from_scenario(text, "s.ini", &err);
  ck_assert_msg(trial != NULL, "%s", err.message);
  return trial;
}

/* Every patient of the trial in one block on n_threads. */
static cart_trial_block *run_all(cart_trial *trial, int n_threads)
{
  const size_t n = cart_trial_n_patients(trial);
  cart_error err;
  cart_trial_block *block = cart_trial_block_new(trial, n, &err);
  ck_assert_msg(block != NULL, "%s", err.message);
  ck_assert_int_eq(test_run_block(trial, 0, n, n_threads, block), CART_OK);
  block->first = 0;
  block->count = n;
  return block;
}

static double param(const cart_trial_block *block, size_t k, const char *name)
{
  const int i = cart_model_param_index(block->model, name);
  ck_assert_int_ge(i, 0);
  return block->params[k * block->n_params + (size_t)i];
}

/* The burden at enrolment as cart's initial state makes it (doc/models.md 2.5): Tp + Tn. */
static double enrolment_tumour(const cart_trial_block *block, size_t k)
{
  const double t0 = param(block, k, "T0"), f = param(block, k, "f_neg0");
  return (1.0 - f) * t0 + f * t0;
}

static int same_doubles(const double *a, const double *b, size_t n)
{
  return memcmp(a, b, n * sizeof *a) == 0;
}

static double median_of(const double *values, size_t n)
{
  double *sorted = malloc(n * sizeof *sorted);
  memcpy(sorted, values, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, test_compare_doubles);
  const double m = test_sorted_percentile(sorted, n, 50);
  free(sorted);
  return m;
}

/* Without a wait every patient is today's, bit for bit, whatever drop-out rule is stated: the
 * same parameters, trajectories, endpoints, doses and status as a scenario without the keys. */
START_TEST(test_no_wait_is_today)
{
  cart_trial *today = trial_from(BASE);
  cart_trial *zero = trial_from(BASE "[dosing]\nvein_to_vein_days = 0\n"
                                     "dropout_tumour_factor = 1e-3\ndropout_hazard_per_day = 5\n");
  ck_assert_double_eq(cart_trial_vein_to_vein(zero), 0);
  cart_trial_block *a = run_all(today, 2), *b = run_all(zero, 1);
  const size_t n = a->count;
  ck_assert(same_doubles(a->params, b->params, n * a->n_params));
  ck_assert(same_doubles(a->endpoints, b->endpoints, n * a->n_endpoints));
  ck_assert(memcmp(a->trajectories, b->trajectories,
                   a->n_outputs * a->capacity * a->n_times * sizeof(float)) == 0);
  ck_assert(memcmp(a->status, b->status, n * sizeof(int)) == 0);
  for (size_t k = 0; k < n; k++) {
    ck_assert_int_eq(a->status[k], CART_OK);
    /* the record of the burden at infusion is the burden at enrolment */
    ck_assert_double_eq(b->tumour_infusion[k], enrolment_tumour(b, k));
  }
  cart_trial_block_free(a);
  cart_trial_block_free(b);
  cart_trial_free(today);
  cart_trial_free(zero);
}
END_TEST

/* The state at infusion: the tumour of an independent solve without CAR-T (cart_solver_solve of
 * the same parameters at dose 0, in a solver of its own) after the wait, the rest the initial
 * state; with r_neg = r_tum, no antigen loss and no immune control, the logistic closed form
 * (doc/models.md 2.7). */
START_TEST(test_infusion_state)
{
  const cart_model *cart = cart_model_find("cart", NULL);
  const char *settings[] = {"T0=2e10", "r_tum=0.04", "r_neg=0.04", "mu_loss=0", "K_tum=5e11"};
  cart_params *params = test_params("cart", settings, 5);
  cart_solver *solver = cart_solver_new(cart, NULL), *other = cart_solver_new(cart, NULL);
  const size_t n = cart_model_n_states(cart);
  const int tp = cart_model_state_index(cart, "Tp"), tn = cart_model_state_index(cart, "Tn");
  double y[32], initial[32], untreated[32];
  ck_assert_int_eq(cart_solver_infusion_state(solver, params, 0.0, initial), CART_OK);
  const double wait = 45;
  ck_assert_int_eq(cart_solver_infusion_state(solver, params, wait, y), CART_OK);
  cart_params *no_dose = cart_params_clone(params, NULL);
  ck_assert_int_eq(cart_params_set(no_dose, "dose", 0.0), CART_OK);
  ck_assert_int_eq(cart_solver_solve(other, no_dose, NULL, &wait, 1, untreated, NULL), CART_OK);
  for (size_t i = 0; i < n; i++) {
    const double wanted = (int)i == tp || (int)i == tn ? untreated[i] : initial[i];
    ck_assert_msg(y[i] == wanted, "state %zu: %.17g, wanted %.17g", i, y[i], wanted);
  }
  /* logistic growth from T0 (f_neg0 of it antigen-negative, growing alike) */
  const double t0 = 2e10, k = 5e11, g = exp(0.04 * wait);
  const double logistic = k * t0 * g / (k + t0 * (g - 1));
  ck_assert_msg(test_rel_diff(y[tp] + y[tn], logistic) < 1e-5, "%.9g vs %.9g", y[tp] + y[tn],
                logistic);
  ck_assert_double_eq(y[cart_model_state_index(cart, "E")], initial[0]);
  /* errors: a negative wait, a model without a tumour */
  ck_assert_int_eq(cart_solver_infusion_state(solver, params, -1, y), CART_EINVAL);
  ck_assert_int_eq(cart_solver_infusion_state(solver, params, NAN, y), CART_EINVAL);
  const cart_model *stein = cart_model_find("stein", NULL);
  cart_solver *stein_solver = cart_solver_new(stein, NULL);
  cart_params *stein_params = cart_params_new(stein, NULL);
  ck_assert_int_eq(cart_solver_infusion_state(stein_solver, stein_params, 10, y), CART_EINVAL);
  ck_assert_msg(strstr(cart_solver_last_error(stein_solver)->message, "no tumour") != NULL, "%s",
                cart_solver_last_error(stein_solver)->message);
  cart_trial *stein_trial = cart_trial_new(stein, NULL);
  ck_assert_int_eq(cart_trial_set_vein_to_vein(stein_trial, 10), CART_EINVAL);
  ck_assert_int_eq(cart_trial_set_vein_to_vein(stein_trial, 0), CART_OK);
  cart_trial_free(stein_trial);
  cart_params_free(stein_params);
  cart_solver_free(stein_solver);
  cart_params_free(no_dose);
  cart_params_free(params);
  cart_solver_free(solver);
  cart_solver_free(other);
}
END_TEST

/* In a trial each patient starts from that state: its burden at infusion is the independent
 * solve's, and its tumour trajectory is cart_solver_solve_from(0, state at infusion) with the
 * trial's doses. */
START_TEST(test_trial_starts_at_infusion)
{
  cart_trial *trial = trial_from(BASE "[dosing]\nvein_to_vein_days = 30\n");
  cart_trial_block *block = run_all(trial, 2);
  const cart_model *cart = cart_trial_model(trial);
  cart_solver *solver = cart_solver_new(cart, NULL);
  cart_params *p = cart_params_new(cart, NULL);
  size_t n_times;
  const double *times = cart_trial_times(trial, &n_times);
  const size_t n_states = cart_model_n_states(cart);
  double *states = malloc(n_times * n_states * sizeof *states);
  const int tp = cart_model_state_index(cart, "Tp"), tn = cart_model_state_index(cart, "Tn");
  int tumour_output = -1;
  for (size_t o = 0; o < cart_trial_n_outputs(trial); o++) {
    const char *name;
    cart_trial_output_info(trial, o, &name, NULL);
    tumour_output = strcmp(name, "tumour") == 0 ? (int)o : tumour_output;
  }
  ck_assert_int_ge(tumour_output, 0);
  for (size_t k = 0; k < block->count; k++) {
    ck_assert_int_eq(block->status[k], CART_OK);
    for (size_t i = 0; i < block->n_params; i++) {
      cart_params_set_index(p, i, block->params[k * block->n_params + i]);
    }
    double y[32];
    ck_assert_int_eq(cart_solver_infusion_state(solver, p, 30, y), CART_OK);
    ck_assert_double_eq(block->tumour_infusion[k], y[tp] + y[tn]);
    ck_assert(block->tumour_infusion[k] > enrolment_tumour(block, k));
    ck_assert_int_eq(cart_solver_solve_from(solver, p, cart_trial_dosing(trial), 0, y, times,
                                            n_times, states, NULL),
                     CART_OK);
    for (size_t j = 0; j < n_times; j++) {
      const float kept =
          block->trajectories[((size_t)tumour_output * block->capacity + k) * n_times + j];
      const double solved = states[j * n_states + (size_t)tp] + states[j * n_states + (size_t)tn];
      ck_assert_msg(fabs(kept - solved) <= 1e-6 * fabs(solved) + 1,
                    "patient %zu time %g: %g vs %g", k, times[j], kept, solved);
    }
  }
  free(states);
  cart_params_free(p);
  cart_solver_free(solver);
  cart_trial_block_free(block);
  cart_trial_free(trial);
}
END_TEST

/* A longer wait, by running: a larger median burden at infusion and a lower CR rate. */
START_TEST(test_longer_wait)
{
  const double waits[] = {0, 20, 60};
  double median[3], cr[3];
  for (int w = 0; w < 3; w++) {
    char text[4096];
    snprintf(text, sizeof text, BASE "[dosing]\nvein_to_vein_days = %g\n", waits[w]);
    cart_trial *trial = trial_from(text);
    cart_trial_block *block = run_all(trial, 2);
    median[w] = median_of(block->tumour_infusion, block->count);
    size_t n_cr = 0;
    const int response = cart_model_endpoint_index(block->model, "response");
    for (size_t k = 0; k < block->count; k++) {
      ck_assert_int_eq(block->status[k], CART_OK);
      n_cr += block->endpoints[k * block->n_endpoints + (size_t)response] == 2;
    }
    cr[w] = (double)n_cr / (double)block->count;
    cart_trial_block_free(block);
    cart_trial_free(trial);
  }
  ck_assert(median[0] < median[1] && median[1] < median[2]);
  ck_assert_msg(cr[2] <= cr[1] && cr[1] <= cr[0] && cr[2] < cr[0], "CR %g %g %g", cr[0], cr[1],
                cr[2]);
}
END_TEST

/* Drop-out by progression: exactly the patients whose burden at infusion exceeds the factor
 * times their burden at enrolment; the others are the patients of the same wait without the
 * rule, bit for bit. */
START_TEST(test_dropout_factor)
{
  cart_trial *all = trial_from(BASE "[dosing]\nvein_to_vein_days = 40\n");
  cart_trial_block *a = run_all(all, 2);
  /* a factor that splits the patients */
  double *ratio = malloc(a->count * sizeof *ratio);
  for (size_t k = 0; k < a->count; k++) {
    ratio[k] = a->tumour_infusion[k] / enrolment_tumour(a, k);
  }
  const double factor = median_of(ratio, a->count) * 1.0001;
  char text[4096];
  snprintf(text, sizeof text,
           BASE "[dosing]\nvein_to_vein_days = 40\ndropout_tumour_factor = %.17g\n",
           factor);
  cart_trial *rule = trial_from(text);
  cart_trial_block *b = run_all(rule, 1);
  size_t dropped = 0;
  const size_t ne = a->n_endpoints;
  for (size_t k = 0; k < a->count; k++) {
    ck_assert_double_eq(b->tumour_infusion[k], a->tumour_infusion[k]);
    const int progressed = b->tumour_infusion[k] > factor * enrolment_tumour(b, k);
    ck_assert_int_eq(b->status[k], progressed ? CART_ENOTINFUSED : CART_OK);
    dropped += progressed;
    if (progressed) {
      for (size_t e = 0; e < ne; e++) {
        ck_assert(isnan(b->endpoints[k * ne + e]));
      }
    } else {
      ck_assert(same_doubles(a->endpoints + k * ne, b->endpoints + k * ne, ne));
    }
  }
  ck_assert(dropped > 0 && dropped < a->count);
  free(ratio);
  cart_trial_block_free(a);
  cart_trial_block_free(b);
  cart_trial_free(all);
  cart_trial_free(rule);
}
END_TEST

/* Drop-out by hazard: about 1 - exp(-h wait) of the patients, the same ones on 1 and 3 threads
 * and in blocks of any size, the parameters' draws unchanged, other patients for another seed. */
START_TEST(test_dropout_hazard)
{
  const char *text = BASE "[dosing]\nvein_to_vein_days = 30\ndropout_hazard_per_day = 0.01\n";
  cart_trial *trial = trial_from(text);
  ck_assert_int_eq(cart_trial_set_n_patients(trial, 300), CART_OK);
  cart_trial_block *one = run_all(trial, 1), *three = run_all(trial, 3);
  ck_assert(memcmp(one->status, three->status, one->count * sizeof(int)) == 0);
  ck_assert(same_doubles(one->endpoints, three->endpoints, one->count * one->n_endpoints));
  /* blocks of 7 from patient 100 on: the same outcome */
  cart_error err;
  cart_trial_block *part = cart_trial_block_new(trial, 7, &err);
  for (size_t first = 100; first < 200; first += 7) {
    ck_assert_int_eq(test_run_block(trial, first, 7, 2, part), CART_OK);
    ck_assert(memcmp(part->status, one->status + first, 7 * sizeof(int)) == 0);
  }
  cart_trial_block_free(part);
  size_t dropped = 0;
  for (size_t k = 0; k < one->count; k++) {
    ck_assert(one->status[k] == CART_OK || one->status[k] == CART_ENOTINFUSED);
    dropped += one->status[k] == CART_ENOTINFUSED;
  }
  const double p = -expm1(-0.01 * 30), n = (double)one->count;
  ck_assert_msg(fabs((double)dropped - n * p) < 4 * sqrt(n * p * (1 - p)), "%zu of %g", dropped,
                n);
  /* the parameters are those of the trial without drop-out */
  cart_trial *plain = trial_from(BASE "[dosing]\nvein_to_vein_days = 30\n");
  ck_assert_int_eq(cart_trial_set_n_patients(plain, 300), CART_OK);
  cart_trial_block *no_rule = run_all(plain, 2);
  ck_assert(same_doubles(no_rule->params, one->params, one->count * one->n_params));
  /* another seed: other patients drop out */
  cart_trial_set_seed(trial, 2018);
  cart_trial_block *other = run_all(trial, 2);
  ck_assert(memcmp(other->status, one->status, one->count * sizeof(int)) != 0);
  cart_trial_block_free(other);
  cart_trial_block_free(no_rule);
  cart_trial_free(plain);
  cart_trial_block_free(one);
  cart_trial_block_free(three);
  cart_trial_free(trial);
}
END_TEST

static void read_ints(hid_t file, const char *path, int *values)
{
  hid_t set = H5Dopen2(file, path, H5P_DEFAULT);
  ck_assert_msg(set >= 0, "no dataset %s", path);
  ck_assert_int_ge(H5Dread(set, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), 0);
  H5Dclose(set);
}

static double attr_value(hid_t file, const char *group, const char *name, hid_t type)
{
  hid_t g = H5Gopen2(file, group, H5P_DEFAULT);
  ck_assert_int_ge(g, 0);
  hid_t attr = H5Aopen(g, name, H5P_DEFAULT);
  ck_assert_msg(attr >= 0, "no attribute %s of %s", name, group);
  double value = NAN;
  if (type == H5T_NATIVE_UINT64) {
    uint64_t count = 0;
    ck_assert_int_ge(H5Aread(attr, type, &count), 0);
    value = (double)count;
  } else {
    ck_assert_int_ge(H5Aread(attr, type, &value), 0);
  }
  H5Aclose(attr);
  H5Gclose(g);
  return value;
}

/* The summary of a file of arms with a wait, drop-out and costs, against the per-patient data
 * read back: intention to treat (of every patient with an outcome, a drop-out a non-responder),
 * as treated (of the patients infused) and the cost sums, computed here patient by patient. */
START_TEST(test_itt_and_costs)
{
  cart_error err;
  cart_arms *arms = cart_arms_new_from_scenario(
      BASE COSTS "[dosing]\ndropout_tumour_factor = 6\ndropout_hazard_per_day = 0.004\n"
                 "[arm now]\n[arm later]\ndosing.vein_to_vein_days = 50\ncost.product = 300000\n",
      "s.ini", &err);
  ck_assert_msg(arms != NULL, "%s", err.message);
  char path[256];
  snprintf(path, sizeof path, "%s/v2v.h5", dir);
  cart_trial_run_options options;
  cart_trial_run_options_default(&options);
  options.block_size = 9;
  options.n_threads = 2;
  cart_trial_summary summaries[2];
  ck_assert_int_eq(cart_arms_run_file(arms, path, &options, summaries, &err), CART_OK);
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  ck_assert_int_ge(file, 0);
  const size_t n = 40;
  const char *names[] = {"now", "later"};
  const double product[] = {373000, 300000};
  const double los[] = {10, 12, 15, 20, 28};
  for (int a = 0; a < 2; a++) {
    char where[128];
    int status[40], response[40], grade[40], toci[40];
    snprintf(where, sizeof where, "/arms/%s/status", names[a]);
    read_ints(file, where, status);
    snprintf(where, sizeof where, "/arms/%s/endpoints/response", names[a]);
    read_ints(file, where, response);
    snprintf(where, sizeof where, "/arms/%s/endpoints/crs_grade", names[a]);
    read_ints(file, where, grade);
    snprintf(where, sizeof where, "/arms/%s/endpoints/toci_doses", names[a]);
    read_ints(file, where, toci);
    size_t infused = 0, dropped = 0, n_cr = 0, n_or = 0;
    double total = 0;
    for (size_t k = 0; k < n; k++) {
      ck_assert(status[k] == CART_OK || status[k] == CART_ENOTINFUSED);
      if (status[k] == CART_ENOTINFUSED) {
        dropped++;
        continue; /* no product, no stay: nothing is paid for a patient never infused */
      }
      infused++;
      n_cr += response[k] == 2;
      n_or += response[k] >= 1;
      total += product[a] + 1500.0 * toci[k] + 4000.0 * los[grade[k]];
    }
    const cart_trial_summary *s = &summaries[a];
    ck_assert_uint_eq(s->n_solved, infused);
    ck_assert_uint_eq(s->n_dropout, dropped);
    ck_assert(a == 0 ? dropped == 0 : dropped > 0);
    ck_assert_double_eq_tol(s->cr_rate, (double)n_cr / (double)infused, 1e-15);
    ck_assert_double_eq_tol(s->orr_rate, (double)n_or / (double)infused, 1e-15);
    ck_assert_double_eq_tol(s->cr_rate_itt, (double)n_cr / (double)n, 1e-15);
    ck_assert_double_eq_tol(s->orr_rate_itt, (double)n_or / (double)n, 1e-15);
    ck_assert(test_rel_diff(s->cost_per_patient, total / (double)n) < 1e-12);
    ck_assert(test_rel_diff(s->cost_per_infused, total / (double)infused) < 1e-12);
    ck_assert(test_rel_diff(s->cost_per_cr, total / (double)n_cr) < 1e-12);
    /* and in the file's summary */
    snprintf(where, sizeof where, "/arms/%s/summary", names[a]);
    ck_assert_double_eq(attr_value(file, where, "n_dropout", H5T_NATIVE_UINT64), (double)dropped);
    ck_assert_double_eq(attr_value(file, where, "cr_rate_itt", H5T_NATIVE_DOUBLE), s->cr_rate_itt);
    ck_assert_double_eq(attr_value(file, where, "cost_per_cr", H5T_NATIVE_DOUBLE), s->cost_per_cr);
    /* the burden at infusion is kept for an arm with a wait only */
    snprintf(where, sizeof where, "/arms/%s/tumour_at_infusion", names[a]);
    ck_assert_int_eq(H5Lexists(file, where, H5P_DEFAULT) > 0, a == 1);
  }
  H5Fclose(file);
  unlink(path);
  cart_arms_free(arms);
}
END_TEST

START_TEST(test_scenario_keys)
{
  cart_error err;
  cart_arms *arms = cart_arms_new_from_scenario(
      BASE "[dosing]\nvein_to_vein_days = 17\ndropout_hazard_per_day = 0.002\n"
           "[arm a]\n[arm b]\ndosing.vein_to_vein_days = 54\ndosing.dropout_tumour_factor = 8\n",
      "s.ini", &err);
  ck_assert_msg(arms != NULL, "%s", err.message);
  double hazard;
  ck_assert_double_eq(cart_trial_vein_to_vein(cart_arms_trial_const(arms, 0)), 17);
  ck_assert_double_eq(cart_trial_vein_to_vein(cart_arms_trial_const(arms, 1)), 54);
  ck_assert(isinf(cart_trial_dropout(cart_arms_trial_const(arms, 0), &hazard)));
  ck_assert_double_eq(hazard, 0.002);
  ck_assert_double_eq(cart_trial_dropout(cart_arms_trial_const(arms, 1), &hazard), 8);
  ck_assert_double_eq(hazard, 0.002);
  cart_arms_free(arms);
  /* costs: all or none, no defaults */
  cart_trial *trial = trial_from(BASE COSTS);
  cart_costs costs;
  cart_trial_costs(trial, &costs);
  ck_assert_double_eq(costs.product, 373000);
  ck_assert_double_eq(costs.los_days[4], 28);
  cart_trial_free(trial);
  trial = trial_from(BASE);
  cart_trial_costs(trial, &costs);
  ck_assert(isnan(costs.product));
  cart_trial_free(trial);
  test_expect_arms_error(BASE "[cost]\nproduct = 1\n", CART_EPARSE, "[cost] toci_dose is missing");
  test_expect_arms_error(BASE "[dosing]\nvein_to_vein_days = -1\n", CART_ERANGE,
               "[dosing] vein_to_vein_days: -1 must be >= 0");
  test_expect_arms_error(BASE "[dosing]\ndropout_tumour_factor = 0\n", CART_ERANGE,
               "[dosing] dropout_tumour_factor: 0 must be > 0");
  test_expect_arms_error(BASE "[cost]\nproduct = -5\n", CART_ERANGE,
                         "[cost] product: -5 must be >= 0");
  test_expect_arms_error(BASE "[arm a]\ncost.nonesuch = 1\n", CART_EPARSE,
                         "unknown key 'cost.nonesuch'");
  test_expect_arms_error("[trial]\nmodel = stein\n[dosing]\nvein_to_vein_days = 3\n", CART_EINVAL,
               "no tumour phenotypes");
}
END_TEST

int main(void)
{
  if (mkdtemp(dir) == NULL) {
    perror("check_v2v: mkdtemp");
    return EXIT_FAILURE;
  }
  Suite *suite = suite_create("v2v");
  TCase *tc = tcase_create("v2v");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_no_wait_is_today);
  tcase_add_test(tc, test_infusion_state);
  tcase_add_test(tc, test_trial_starts_at_infusion);
  tcase_add_test(tc, test_longer_wait);
  tcase_add_test(tc, test_dropout_factor);
  tcase_add_test(tc, test_dropout_hazard);
  tcase_add_test(tc, test_itt_and_costs);
  tcase_add_test(tc, test_scenario_keys);
  suite_add_tcase(suite, tc);
  const int status = test_run(suite);
  rmdir(dir);
  return status;
}
