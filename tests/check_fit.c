/* check_fit.c: fitting one patient's data (cart_fit.h): the data grammars and their messages,
 * sensitivities against differences of solutions, the objective's gradient, recovery of known
 * parameters (Stein 2019's typical values, M3 with half the data below the LLOQ), coverage of the
 * Wald intervals over seeded replicates, and the report of a parameter the data cannot see. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <cart/cart.h>

#include "test_util.h"

/* Stein 2019's typical values (lib/models/stein.c, MODEL.md 2.1). */
static const char *const stein_names[] = {"c0", "rho", "tmax", "alpha", "beta", "fb"};
static const double stein_typical[] = {6.15, 0.889, 9.3, 0.16, 0.0032, 0.0079};

static cart_fit_data *parse_ok(const cart_model *m, const char *text)
{
  cart_fit_data *d = NULL;
  cart_error e;
  const int status = cart_fit_data_parse(m, text, "d.csv", &d, &e);
  ck_assert_msg(status == CART_OK, "%s", e.message);
  return d;
}

/* A parse refused with CART_EPARSE, no output, and a message holding `wanted`. */
static void expect_refusal(int status, const void *out, const cart_error *e, const char *wanted)
{
  ck_assert_int_eq(status, CART_EPARSE);
  ck_assert_ptr_null(out);
  ck_assert_msg(strstr(e->message, wanted) != NULL, "got '%s', wanted '%s'", e->message, wanted);
}

START_TEST(test_data_long)
{
  const cart_model *m = cart_model_find("stein", NULL);
  cart_fit_data *d = parse_ok(m, "# comment\ntime,observable,value,blq\n1,C,10,0\n2,\"CE\",5,0\n"
                                 "3,C,0.5,1\n");
  ck_assert_uint_eq(cart_fit_data_size(d), 3);
  double t, v, lloq;
  int o, blq;
  ck_assert_int_eq(cart_fit_data_get(d, 1, &t, &o, &v, &blq, &lloq), CART_OK);
  ck_assert(t == 2 && o == 0 && v == 5 && blq == 0 && isnan(lloq));
  ck_assert_int_eq(cart_fit_data_get(d, 2, &t, &o, &v, &blq, &lloq), CART_OK);
  ck_assert(o == 2 && blq == 1 && lloq == 0.5); /* BLQ without LLOQ column: its value */
  cart_fit_data_free(d);
  /* an lloq column alone marks values below it */
  d = parse_ok(m, "time,obs,value,lloq\n1,C,10,1\n2,C,0.2,1\n");
  ck_assert_int_eq(cart_fit_data_get(d, 1, NULL, NULL, NULL, &blq, &lloq), CART_OK);
  ck_assert(blq == 1 && lloq == 1);
  cart_fit_data_free(d);
  /* cart: observables are states, outputs and signals */
  const cart_model *c = cart_model_find("cart", NULL);
  ck_assert_int_ge(cart_fit_observable_index(c, "IL6"), 0);
  ck_assert_int_ge(cart_fit_observable_index(c, "Cblood"), 0);
  ck_assert_int_ge(cart_fit_observable_index(c, "tumour"), 0);
  ck_assert_int_ge(cart_fit_observable_index(c, "B"), 0);
  ck_assert_int_eq(cart_fit_observable_index(c, "nope"), -1);
  cart_error e;
  ck_assert_int_eq(cart_fit_data_parse(c, "time,obs,value\n1,Cb,1\n", "c.csv", &d, &e), CART_EPARSE);
  ck_assert_msg(strstr(e.message, "c.csv:2: unknown observable 'Cb' (model cart has: E, M, X, Tp, "
                                  "Tn, B, IL6, D1, D2, Cblood, tumour, IL6s") != NULL,
                "%s", e.message);
}
END_TEST

START_TEST(test_data_nonmem)
{
  const cart_model *m = cart_model_find("stein", NULL);
  const char *text = "ID,TIME,DV,CMT,MDV,EVID,BLQ\n"
                     "p1,0,0,1,1,1,0\n" /* a dose record: skipped */
                     "p1,1,10,1,0,0,0\n"
                     "p2,1,3,2,0,0,0\n"
                     "p1,2,0.1,1,0,0,1\n";
  cart_fit_data **sets = NULL;
  size_t n = 0;
  cart_error e;
  ck_assert_int_eq(cart_fit_data_parse_nonmem(m, text, "nm.csv", &sets, &n, &e), CART_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(cart_fit_data_id(sets[0]), "p1");
  ck_assert_str_eq(cart_fit_data_id(sets[1]), "p2");
  ck_assert_uint_eq(cart_fit_data_size(sets[0]), 2);
  int o, blq;
  double lloq;
  ck_assert_int_eq(cart_fit_data_get(sets[1], 0, NULL, &o, NULL, NULL, NULL), CART_OK);
  ck_assert_int_eq(o, 1); /* CMT 2: CM */
  ck_assert_int_eq(cart_fit_data_get(sets[0], 1, NULL, NULL, NULL, &blq, &lloq), CART_OK);
  ck_assert(blq == 1 && lloq == 0.1);
  cart_fit_data_free_all(sets, n);
  /* an OBS column of names, unsorted times within one ID */
  ck_assert_int_eq(cart_fit_data_parse_nonmem(m, "ID,TIME,DV,OBS\n1,2,1,C\n2,1,1,C\n1,1,1,C\n",
                                              "nm.csv", &sets, &n, &e),
                   CART_EPARSE);
  ck_assert_msg(strstr(e.message, "nm.csv:4: times are not sorted") != NULL, "%s", e.message);
  ck_assert_int_eq(cart_fit_data_parse_nonmem(m, "ID,TIME,DV\n1,2,1\n", "nm.csv", &sets, &n, &e),
                   CART_EPARSE);
  ck_assert_msg(strstr(e.message, "nm.csv:1: no column OBS") != NULL, "%s", e.message);
}
END_TEST

/* A NONMEM table's dose records: each ID's schedule, '.' fields, RATE as a duration, ADDL. */
START_TEST(test_nonmem_doses)
{
  const cart_model *m = cart_model_find("cart", NULL);
  const char *text = "ID,TIME,DV,CMT,AMT,RATE,II,ADDL,EVID,MDV\n"
                     "a,0,.,cart,1e8,.,.,.,1,1\n"
                     "a,1,0.3,10,.,.,.,.,0,0\n" /* CMT 10 observed: cart has 9 states */
                     "a,2,.,8,8,192,0.5,2,1,1\n" /* toci 8 mg/kg over 1 h, 3 times */
                     "a,3,2,7,.,.,.,.,0,0\n"
                     "a,40,.,E,2e7,0,.,.,1,1\n" /* after the last observation: fine */
                     "b,0,.,.,.,.,.,.,2,1\n"    /* an other-type event: skipped */
                     "b,1,5,7,0,.,.,.,0,0\n";
  cart_fit_data **sets = NULL;
  size_t n = 0;
  cart_error e;
  ck_assert_int_eq(cart_fit_data_parse_nonmem(m, text, "nm.csv", &sets, &n, &e), CART_EPARSE);
  ck_assert_msg(strstr(e.message, "nm.csv:3: CMT 10 is not a state of model cart") != NULL, "%s",
                e.message);
  text = "ID,TIME,DV,CMT,AMT,RATE,II,ADDL,EVID,MDV\n"
         "a,0,.,cart,1e8,.,.,.,1,1\n"
         "a,1,0.3,1,.,.,.,.,0,0\n"
         "a,2,.,8,8,192,0.5,2,1,1\n"
         "a,3,2,7,.,.,.,.,0,0\n"
         "a,40,.,E,2e7,0,.,.,1,1\n"
         "b,0,.,.,.,.,.,.,2,1\n"
         "b,1,5,7,0,.,.,.,0,0\n";
  ck_assert_int_eq(cart_fit_data_parse_nonmem(m, text, "nm.csv", &sets, &n, &e), CART_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_uint_eq(cart_fit_data_size(sets[0]), 2);
  const cart_dosing *da = cart_fit_data_dosing(sets[0]), *db = cart_fit_data_dosing(sets[1]);
  ck_assert_ptr_nonnull(da);
  ck_assert_ptr_nonnull(db); /* a table with dose records: every ID has its schedule */
  ck_assert_uint_eq(cart_dosing_n_cart(db) + cart_dosing_n_toci(db), 0);
  ck_assert_uint_eq(cart_dosing_n_cart(da), 2);
  ck_assert_uint_eq(cart_dosing_n_toci(da), 3);
  cart_cart_dose cd;
  cart_toci_dose td;
  ck_assert_int_eq(cart_dosing_get_cart(da, 1, &cd), CART_OK);
  ck_assert(cd.time == 40 && cd.cells == 2e7 && isnan(cd.f_mem));
  ck_assert_int_eq(cart_dosing_get_toci(da, 2, &td), CART_OK);
  ck_assert(td.time == 3 && td.mg_per_kg == 8 && fabs(td.duration_day - 1.0 / 24) < 1e-15 &&
            td.cap_mg == CART_TOCI_CAP_MG_DEFAULT);
  /* the fit gives them: the t = 0 dose is the parameter dose, and an ID without one gets 0 */
  cart_params *p = cart_params_new(m, NULL);
  cart_fit *fa = cart_fit_new(p, NULL, sets[0], &e), *fb = cart_fit_new(p, NULL, sets[1], &e);
  ck_assert(fa != NULL && fb != NULL);
  ck_assert_int_eq(cart_fit_add_param(fa, "dose", NAN, NAN, NAN), CART_OK);
  double theta[4], values[4];
  cart_fit_initial_theta(fa, theta);
  cart_fit_theta_to_values(fa, theta, values);
  ck_assert_double_eq_tol(values[0], 1e8, 1);
  /* doses both from the data set and from the caller: refused */
  cart_dosing *extra = cart_dosing_new(NULL);
  cart_dosing_add_cart(extra, 5, 1e7, NAN);
  ck_assert_ptr_null(cart_fit_new(p, extra, sets[0], &e));
  ck_assert_int_eq(e.code, CART_EINVAL);
  ck_assert_msg(strstr(e.message, "data set a carries its own doses") != NULL, "%s", e.message);
  cart_dosing_free(extra);
  cart_fit_free(fa);
  cart_fit_free(fb);
  cart_fit_data_free_all(sets, n);
  /* a schedule set by the API is the data set's own, as a table's; NULL takes it away */
  cart_fit_data *own = cart_fit_data_new(m, NULL);
  ck_assert_int_eq(cart_fit_data_add(own, 1, 0, 1e6, 0, NAN, NULL), CART_OK);
  cart_dosing *schedule = cart_dosing_new(NULL);
  cart_dosing_add_cart(schedule, 0, 5e7, NAN);
  ck_assert_int_eq(cart_fit_data_set_dosing(own, schedule, &e), CART_OK);
  cart_dosing_free(schedule);
  ck_assert_uint_eq(cart_dosing_n_cart(cart_fit_data_dosing(own)), 1);
  fa = cart_fit_new(p, NULL, own, &e);
  ck_assert_int_eq(cart_fit_add_param(fa, "dose", NAN, NAN, NAN), CART_OK);
  cart_fit_initial_theta(fa, theta);
  cart_fit_theta_to_values(fa, theta, values);
  ck_assert_double_eq_tol(values[0], 5e7, 1);
  cart_fit_free(fa);
  ck_assert_int_eq(cart_fit_data_set_dosing(own, NULL, &e), CART_OK);
  ck_assert_ptr_null(cart_fit_data_dosing(own));
  cart_fit_data_free(own);
  /* without an AMT column, dose records are skipped as before: no schedule */
  ck_assert_int_eq(cart_fit_data_parse_nonmem(m, "ID,TIME,DV,CMT,EVID\n1,0,0,1,1\n1,1,2,1,0\n",
                                              "nm.csv", &sets, &n, &e),
                   CART_OK);
  ck_assert_ptr_null(cart_fit_data_dosing(sets[0]));
  cart_fit_data_free_all(sets, n);
  cart_params_free(p);
}
END_TEST

/* Bad dose records: refused with the file and line. */
static const struct {
  const char *text, *message;
} bad_doses[] = {
    {"ID,TIME,DV,CMT,AMT,EVID\n1,1,2,1,.,0\n1,2,.,1,-5,1\n", "nm.csv:3: AMT -5 is negative"},
    {"ID,TIME,DV,CMT,AMT,EVID\n1,1,2,1,.,0\n1,2,.,3,5,1\n",
     "nm.csv:3: CMT 3 is not a dose target of model cart (cart or 1 (E): CAR-T cells; toci or 8 "
     "(D1): tocilizumab)"},
    {"ID,TIME,DV,CMT,AMT,EVID\n1,1,2,1,.,0\n1,2,.,nope,5,1\n",
     "nm.csv:3: CMT 'nope' is not a dose target of model cart"},
    {"ID,TIME,DV,OBS,AMT,EVID\n1,1,2,Cblood,.,0\n1,2,.,.,5,1\n",
     "nm.csv:3: a dose record needs CMT"},
    {"ID,TIME,DV,CMT,AMT,EVID\n1,1,2,1,.,0\n1,2,.,1,.,1\n",
     "nm.csv:3: a dose record (EVID 1) needs AMT"},
    {"ID,TIME,DV,CMT,AMT,RATE,DUR,EVID\n1,1,2,1,.,.,0,0\n1,2,.,toci,8,24,0.1,1\n",
     "nm.csv:3: RATE and DUR are both given"},
    {"ID,TIME,DV,CMT,AMT,RATE,EVID\n1,1,2,1,.,.,0\n1,2,.,toci,8,-2,1\n",
     "nm.csv:3: RATE -2 (a modelled rate or duration in NONMEM) is not supported"},
    {"ID,TIME,DV,CMT,AMT,DUR,EVID\n1,1,2,1,.,0,0\n1,2,.,cart,1e7,0.5,1\n",
     "nm.csv:3: CAR-T cells are given at once"},
    {"ID,TIME,DV,CMT,AMT,II,ADDL,EVID\n1,1,2,1,.,.,.,0\n1,2,.,toci,8,.,2,1\n",
     "nm.csv:3: ADDL 2 repeats need II > 0"},
    {"ID,TIME,DV,CMT,AMT,SS,EVID\n1,1,2,1,.,0,0\n1,2,.,toci,8,1,1\n",
     "nm.csv:3: SS 1: steady-state doses are not supported"},
    {"ID,TIME,DV,CMT,AMT,EVID\n1,1,2,1,.,0\n1,2,.,1,.,3\n",
     "nm.csv:3: EVID 3: a reset after ID 1's first record is not supported"},
    {"ID,TIME,DV,CMT,AMT,EVID\n1,1,2,1,.,0\n1,2,.,1,5,5\n", "nm.csv:3: EVID 5 is not supported"},
    {"ID,TIME,DV,CMT,AMT,EVID\n1,0,.,1,1e8,1\n1,1,2,1,.,0\n1,0,.,cart,1e8,1\n",
     "nm.csv:4: ID 1: a second CAR-T dose at time 0"},
    {"ID,TIME,DV,CMT,AMT,EVID\n1,1,.,1,.,0\n", "nm.csv:2: DV '.' is not a number"},
    {"ID,TIME,DV,CMT,AMT,EVID\n1,1,2,1,.,0\n1,2,.,toci,1e9x,1\n",
     "nm.csv:3: AMT '1e9x' is not a number"},
};

START_TEST(test_nonmem_dose_errors)
{
  const cart_model *m = cart_model_find("cart", NULL);
  cart_fit_data **sets = NULL;
  size_t n = 0;
  cart_error e;
  expect_refusal(cart_fit_data_parse_nonmem(m, bad_doses[_i].text, "nm.csv", &sets, &n, &e),
                 sets, &e, bad_doses[_i].message);
}
END_TEST

/* Two cart patients with different CAR-T doses (b's split in two, days 0 and 7) in one table,
 * simulated from rho 0.8 and delta_E 0.25 with each one's doses: each fitted back within 2 SEs,
 * and with the same estimates as fitting that patient alone with the doses given by the API. */
START_TEST(test_nonmem_doses_fit)
{
  const cart_model *m = cart_model_find("cart", NULL);
  const double times[] = {1, 2, 3, 5, 7, 10, 14, 21, 28};
  const double first[2] = {1e8, 3e7}, second[2] = {0, 3e7};
  const size_t ns = cart_model_n_states(m), no = cart_model_n_outputs(m);
  const int il6 = cart_model_state_index(m, "IL6"), cb = cart_fit_observable_index(m, "Cblood");
  char *text = malloc(8192);
  size_t used = (size_t)snprintf(text, 8192, "ID,TIME,DV,OBS,CMT,AMT,EVID,MDV\n");
  cart_fit_data *alone[2];
  cart_params *params[2];
  cart_dosing *dosing[2];
  const char *set[] = {"rho=0.8"};
  for (int id = 0; id < 2; id++) {
    cart_params *truth = test_params("cart", set, 1);
    params[id] = cart_params_new(m, NULL);
    dosing[id] = cart_dosing_new(NULL);
    cart_dosing *truth_dosing = cart_dosing_new(NULL);
    const cart_cart_dose d0 = {0, first[id], NAN}, d7 = {7, second[id], NAN};
    ck_assert_int_eq(cart_dose_give_cart(truth, truth_dosing, &d0, NULL, NULL), CART_OK);
    ck_assert_int_eq(cart_dose_give_cart(params[id], dosing[id], &d0, NULL, NULL), CART_OK);
    used += (size_t)snprintf(text + used, 8192 - used, "%c,0,.,.,cart,%g,1,1\n", 'a' + id,
                             first[id]);
    if (second[id] > 0) {
      ck_assert_int_eq(cart_dose_give_cart(truth, truth_dosing, &d7, NULL, NULL), CART_OK);
      ck_assert_int_eq(cart_dose_give_cart(params[id], dosing[id], &d7, NULL, NULL), CART_OK);
    }
    cart_solver *s = cart_solver_new(m, NULL);
    double y[9 * 16], out[9 * 4];
    ck_assert_int_eq(cart_solver_solve(s, truth, truth_dosing, times, 9, y, out), CART_OK);
    alone[id] = cart_fit_data_new(m, NULL);
    for (size_t i = 0; i < 9; i++) {
      const double vc = out[i * no] * exp(0.1 * sin(3 * times[i] + id));
      const double vi = y[i * ns + (size_t)il6] * exp(0.1 * cos(3 * times[i] + id));
      ck_assert_int_eq(cart_fit_data_add(alone[id], times[i], cb, vc, 0, NAN, NULL), CART_OK);
      ck_assert_int_eq(cart_fit_data_add(alone[id], times[i], il6, vi, 0, NAN, NULL), CART_OK);
      used += (size_t)snprintf(text + used, 8192 - used,
                               "%c,%.17g,%.17g,Cblood,.,.,0,0\n%c,%.17g,%.17g,IL6,.,.,0,0\n",
                               'a' + id, times[i], vc, 'a' + id, times[i], vi);
      if (times[i] == 5 && second[id] > 0) {
        used += (size_t)snprintf(text + used, 8192 - used, "%c,7,.,.,1,%g,1,1\n", 'a' + id,
                                 second[id]);
      }
    }
    cart_solver_free(s);
    cart_dosing_free(truth_dosing);
    cart_params_free(truth);
  }
  cart_fit_data **sets = NULL;
  size_t n = 0;
  cart_error e;
  ck_assert_msg(cart_fit_data_parse_nonmem(m, text, "two.csv", &sets, &n, &e) == CART_OK, "%s",
                e.message);
  ck_assert_uint_eq(n, 2);
  cart_params *start = cart_params_new(m, NULL); /* its dose is not the patients' */
  cart_fit *fits[4];
  for (int k = 0; k < 4; k++) {
    /* 0, 1: the table's IDs with their own doses; 2, 3: each alone with its doses given */
    fits[k] = k < 2 ? cart_fit_new(start, NULL, sets[k], &e)
                    : cart_fit_new(params[k - 2], dosing[k - 2], alone[k - 2], &e);
    ck_assert_msg(fits[k] != NULL, "%s", e.message);
    ck_assert_int_eq(cart_fit_add_param(fits[k], "rho", 0.6, NAN, NAN), CART_OK);
    ck_assert_int_eq(cart_fit_add_param(fits[k], "delta_E", 0.3, NAN, NAN), CART_OK);
    ck_assert_int_eq(cart_fit_set_error_model(fits[k], CART_FIT_ADDITIVE, 1, 0.3, 0, 1), CART_OK);
  }
  int statuses[4];
  ck_assert_int_eq(cart_fit_run_all(fits, 4, 2, statuses), CART_OK);
  const double want[] = {0.8, 0.25};
  for (int id = 0; id < 2; id++) {
    ck_assert_int_eq(statuses[id], CART_OK);
    ck_assert_int_eq(statuses[id + 2], CART_OK);
    for (size_t k = 0; k < 2; k++) {
      cart_fit_estimate table, single;
      cart_fit_get_estimate(fits[id], k, &table);
      cart_fit_get_estimate(fits[id + 2], k, &single);
      fprintf(stderr, "NONMEM doses: ID %c %-7s truth %-5g estimate %.6g +- %.3g (alone %.6g)\n",
              'a' + id, table.name, want[k], table.value, table.se, single.value);
      ck_assert_msg(fabs(table.value - want[k]) < 2 * table.se, "%s %g +- %g", table.name,
                    table.value, table.se);
      ck_assert_double_eq_tol(table.value, single.value, 1e-9 * single.value);
      ck_assert_double_eq_tol(table.se, single.se, 1e-6 * single.se);
    }
  }
  /* the two patients' estimates differ: each got its own doses */
  cart_fit_estimate ra, rb;
  cart_fit_get_estimate(fits[0], 0, &ra);
  cart_fit_get_estimate(fits[1], 0, &rb);
  ck_assert(ra.value != rb.value);
  for (int k = 0; k < 4; k++) {
    cart_fit_free(fits[k]);
  }
  for (int id = 0; id < 2; id++) {
    cart_fit_data_free(alone[id]);
    cart_params_free(params[id]);
    cart_dosing_free(dosing[id]);
  }
  cart_params_free(start);
  cart_fit_data_free_all(sets, n);
  free(text);
}
END_TEST

START_TEST(test_data_petab)
{
  const cart_model *m = cart_model_find("stein", NULL);
  const char *text = "observableId\tsimulationConditionId\ttime\tmeasurement\tdatasetId\n"
                     "C\tc2\t3\t30\td\n"
                     "C\tc1\t2\t20\td\n"
                     "CE\tc1\t1\t10\td\n"
                     "C\tc2\t1\t5\td\n";
  cart_fit_data **sets = NULL;
  size_t n = 0;
  cart_error e;
  ck_assert_int_eq(cart_fit_data_parse_petab(m, text, "m.tsv", &sets, &n, &e), CART_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(cart_fit_data_id(sets[0]), "c2"); /* conditions in the order of the file */
  ck_assert_ptr_null(cart_fit_data_dosing(sets[0])); /* PEtab carries no doses */
  double t, v;
  int o;
  ck_assert_int_eq(cart_fit_data_get(sets[0], 0, &t, &o, &v, NULL, NULL), CART_OK);
  ck_assert(t == 1 && v == 5 && o == 2); /* rows in time order */
  ck_assert_int_eq(cart_fit_data_get(sets[1], 0, &t, &o, &v, NULL, NULL), CART_OK);
  ck_assert(t == 1 && v == 10 && o == 0);
  cart_fit_data_free_all(sets, n);
  ck_assert_int_eq(cart_fit_data_parse_petab(m, "observableId\ttime\tmeasurement\nC\t1\t1\n",
                                             "m.tsv", &sets, &n, &e),
                   CART_EPARSE);
  ck_assert_msg(strstr(e.message, "m.tsv:1: no column simulationConditionId") != NULL, "%s",
                e.message);
}
END_TEST

static const struct {
  const char *text, *message;
} bad_data[] = {
    {"time,observable,value\n1,C,1\n3,C,1\n2,C,1\n", "d.csv:4: times are not sorted"},
    {"time,observable,value\n1,C,1\n2,Foo,1\n", "d.csv:3: unknown observable 'Foo' (model stein has: CE, CM, C)"},
    {"time,observable,value\n1,C,-1\n", "d.csv:2: negative value -1 of C"},
    {"time,observable,value\n1,C,1\n\n2,C,nan\n", "d.csv:4: column 'value': 'nan' is not a finite number"},
    {"time,observable,value\n1,C,inf\n", "d.csv:2: column 'value': 'inf' is not a finite number"},
    {"time,observable\n1,C\n", "d.csv:1: no column value (the header has: observable, time)"},
    {"# c\nobservable,value\nC,1\n", "d.csv:2: no column time"},
    {"time,value\n1,1\n", "d.csv:1: no column observable"},
    {"time,observable,value\n1,C\n", "d.csv:2: a different number of fields"},
    {"time,observable,value,blq\n1,C,1,1\n2,C,0,1\n", "d.csv:3: LLOQ 0 is not finite and > 0"},
};

START_TEST(test_data_errors)
{
  const cart_model *m = cart_model_find("stein", NULL);
  cart_fit_data *d = NULL;
  cart_error e;
  expect_refusal(cart_fit_data_parse(m, bad_data[_i].text, "d.csv", &d, &e), d, &e,
                 bad_data[_i].message);
}
END_TEST

START_TEST(test_data_file)
{
  const cart_model *m = cart_model_find("stein", NULL);
  char path[] = "/tmp/check_fit_XXXXXX";
  const int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  fputs("time,observable,value\n1,C,1\n0.5,C,1\n", f);
  fclose(f);
  cart_fit_data *d = NULL;
  cart_error e;
  ck_assert_int_eq(cart_fit_data_read(m, path, &d, &e), CART_EPARSE);
  char wanted[64];
  snprintf(wanted, sizeof wanted, "%s:3: times are not sorted", path);
  ck_assert_msg(strstr(e.message, wanted) != NULL, "%s", e.message);
  remove(path);
  ck_assert_int_eq(cart_fit_data_read(m, path, &d, &e), CART_EIO);
}
END_TEST

/* Stein data: C at `times` with the parameter values `values` (NULL: typical), multiplicative
 * log-normal noise sd `noise` from rng (NULL: none), values below lloq (0: none) marked BLQ. */
static cart_fit_data *stein_data(const double *values, const double *times, size_t n,
                                 double noise, gsl_rng *rng, double lloq)
{
  const cart_model *m = cart_model_find("stein", NULL);
  cart_params *p = cart_params_new(m, NULL);
  for (size_t k = 0; values != NULL && k < 6; k++) {
    ck_assert_int_eq(cart_params_set(p, stein_names[k], values[k]), CART_OK);
  }
  cart_solver *s = cart_solver_new(m, NULL);
  ck_assert_int_eq(cart_solver_set_tolerances(s, 1e-10, NULL), CART_OK);
  double *y = malloc(n * 2 * sizeof *y);
  ck_assert_int_eq(cart_solver_solve(s, p, NULL, times, n, y, NULL), CART_OK);
  cart_fit_data *d = cart_fit_data_new(m, NULL);
  const int c = cart_fit_observable_index(m, "C");
  for (size_t i = 0; i < n; i++) {
    double v = y[2 * i] + y[2 * i + 1];
    if (rng != NULL) {
      v *= exp(gsl_ran_gaussian(rng, noise));
    }
    const int blq = lloq > 0 && v < lloq;
    ck_assert_int_eq(cart_fit_data_add(d, times[i], c, blq ? lloq : v, blq,
                                       lloq > 0 ? lloq : NAN, NULL),
                     CART_OK);
  }
  free(y);
  cart_solver_free(s);
  cart_params_free(p);
  return d;
}

static cart_fit *stein_fit(const cart_fit_data *d, const char *const *names, size_t n,
                           const double *initial)
{
  const cart_model *m = cart_model_find("stein", NULL);
  cart_params *p = cart_params_new(m, NULL);
  cart_error e;
  cart_fit *fit = cart_fit_new(p, NULL, d, &e);
  ck_assert_msg(fit != NULL, "%s", e.message);
  for (size_t k = 0; k < n; k++) {
    ck_assert_int_eq(cart_fit_add_param(fit, names[k], initial ? initial[k] : NAN, NAN, NAN),
                     CART_OK);
  }
  cart_params_free(p);
  return fit;
}

static const double grid[] = {0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 17, 21,
                              28, 35, 42, 56, 70, 90, 120, 150, 180, 240, 300, 365};
enum { N_GRID = sizeof grid / sizeof grid[0] };

/* d pred / d theta from the sensitivity equations against central differences of solutions. */
static void check_sens(cart_fit *fit, size_t n_obs, double tol)
{
  const size_t nt = cart_fit_n_theta(fit);
  double theta[40], *pred = malloc(n_obs * sizeof *pred), *plus = malloc(n_obs * sizeof *plus),
                    *minus = malloc(n_obs * sizeof *minus), *sens = malloc(n_obs * nt * sizeof *sens);
  cart_fit_initial_theta(fit, theta);
  ck_assert_int_eq(cart_fit_predict(fit, theta, pred, sens), CART_OK);
  double worst = 0;
  for (size_t k = 0; k < nt; k++) {
    const double keep = theta[k], h = 1e-4;
    theta[k] = keep + h;
    ck_assert_int_eq(cart_fit_predict(fit, theta, plus, NULL), CART_OK);
    theta[k] = keep - h;
    ck_assert_int_eq(cart_fit_predict(fit, theta, minus, NULL), CART_OK);
    theta[k] = keep;
    double scale = 0;
    for (size_t i = 0; i < n_obs; i++) {
      scale = fmax(scale, fabs(pred[i]));
    }
    for (size_t i = 0; i < n_obs; i++) {
      const double fd = (plus[i] - minus[i]) / (2 * h);
      const double diff = fabs(fd - sens[i * nt + k]) / (fabs(fd) + 1e-3 * scale);
      worst = fmax(worst, diff);
      ck_assert_msg(diff < tol, "%s at obs %zu: sensitivities %.8g, differences %.8g",
                    cart_fit_theta_name(fit, k), i, sens[i * nt + k], fd);
    }
  }
  fprintf(stderr, "sensitivities vs central differences: worst relative difference %.2e\n",
          worst);
  free(pred);
  free(plus);
  free(minus);
  free(sens);
}

START_TEST(test_sens_stein)
{
  cart_fit_data *d = stein_data(NULL, grid, N_GRID, 0, NULL, 0);
  cart_fit *fit = stein_fit(d, stein_names, 6, NULL);
  check_sens(fit, N_GRID, 2e-4);
  cart_fit_free(fit);
  cart_fit_data_free(d);
}
END_TEST

START_TEST(test_sens_cart)
{
  const cart_model *m = cart_model_find("cart", NULL);
  cart_params *p = cart_params_new(m, NULL);
  cart_fit_data *d = cart_fit_data_new(m, NULL);
  const char *obs[] = {"Cblood", "IL6", "B", "tumour"};
  const double times[] = {1, 3, 7, 10, 14, 21, 28, 60};
  for (size_t i = 0; i < 8; i++) {
    for (size_t j = 0; j < 4; j++) {
      ck_assert_int_eq(cart_fit_data_add(d, times[i], cart_fit_observable_index(m, obs[j]), 1, 0,
                                         NAN, NULL),
                       CART_OK);
    }
  }
  cart_dosing *dosing = cart_dosing_new(NULL);
  ck_assert_int_eq(cart_dosing_add_cart(dosing, 14, 5e7, NAN), CART_OK); /* a second dose */
  cart_error e;
  cart_fit *fit = cart_fit_new(p, dosing, d, &e);
  ck_assert_msg(fit != NULL, "%s", e.message);
  const char *names[] = {"rho", "delta_E", "gamma", "dose"};
  for (size_t k = 0; k < 4; k++) {
    ck_assert_int_eq(cart_fit_add_param(fit, names[k], NAN, NAN, NAN), CART_OK);
  }
  check_sens(fit, 32, 2e-3);
  cart_fit_free(fit);
  cart_dosing_free(dosing);
  cart_fit_data_free(d);
  cart_params_free(p);
}
END_TEST

/* The objective's gradient (sensitivities, error parameters, M3, prior) against differences. */
START_TEST(test_gradient)
{
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 3);
  cart_fit_data *d = stein_data(NULL, grid, N_GRID, 0.2, rng, 50.0);
  const char *names[] = {"rho", "tmax", "alpha", "fb"};
  cart_fit *fit = stein_fit(d, names, 4, NULL);
  ck_assert_int_eq(cart_fit_set_error_model(fit, CART_FIT_COMBINED, 1, 0.3, 0.02, 1), CART_OK);
  ck_assert_int_eq(cart_fit_set_prior(fit, "rho", 0.8, 0.3), CART_OK);
  const size_t nt = cart_fit_n_theta(fit);
  ck_assert_uint_eq(nt, 6);
  double theta[8], grad[8], value, plus, minus;
  cart_fit_initial_theta(fit, theta);
  theta[0] += 0.05;
  ck_assert_int_eq(cart_fit_objective(fit, theta, &value, grad), CART_OK);
  for (size_t k = 0; k < nt; k++) {
    const double keep = theta[k], h = 1e-5;
    theta[k] = keep + h;
    ck_assert_int_eq(cart_fit_objective(fit, theta, &plus, NULL), CART_OK);
    theta[k] = keep - h;
    ck_assert_int_eq(cart_fit_objective(fit, theta, &minus, NULL), CART_OK);
    theta[k] = keep;
    const double fd = (plus - minus) / (2 * h);
    ck_assert_msg(fabs(fd - grad[k]) < 1e-4 * (1 + fabs(fd)), "%s: gradient %.8g, differences %.8g",
                  cart_fit_theta_name(fit, k), grad[k], fd);
  }
  cart_fit_free(fit);
  cart_fit_data_free(d);
  gsl_rng_free(rng);
}
END_TEST

/* A fit at Stein's typical values, from starting values 30 % off, recovers them. */
START_TEST(test_stein_recovery)
{
  cart_fit_data *d = stein_data(NULL, grid, N_GRID, 0, NULL, 0);
  double initial[6];
  for (size_t k = 0; k < 6; k++) {
    initial[k] = stein_typical[k] * (k % 2 ? 1.3 : 0.75);
  }
  initial[2] = 8.8; /* tmax: within the grid's cell around the truth */
  cart_fit *fit = stein_fit(d, stein_names, 6, initial);
  ck_assert_int_eq(cart_fit_set_error_model(fit, CART_FIT_ADDITIVE, 1, 0.1, 0, 0), CART_OK);
  const int status = cart_fit_run(fit);
  ck_assert_msg(status == CART_OK, "%s", cart_fit_last_error(fit)->message);
  for (size_t k = 0; k < 6; k++) {
    cart_fit_estimate est;
    ck_assert_int_eq(cart_fit_get_estimate(fit, k, &est), CART_OK);
    fprintf(stderr, "stein %-5s truth %-8g estimate %.6g\n", est.name, stein_typical[k], est.value);
    ck_assert_msg(fabs(est.value / stein_typical[k] - 1) < 1e-3, "%s: %g, truth %g", est.name,
                  est.value, stein_typical[k]);
  }
  cart_fit_result r;
  ck_assert_int_eq(cart_fit_get_result(fit, &r), CART_OK);
  ck_assert_str_eq(r.gradient_method, "sensitivities");
  cart_fit_free(fit);
  cart_fit_data_free(d);
}
END_TEST

/* Data from known parameters with log-normal noise (sd 0.25) over 50 seeded replicates: the 95 %
 * Wald intervals of rho, alpha, c0 and the noise's sd cover the truth about 95 % of the time
 * (185 of 200, 92.5 %). Wald intervals are asymptotic: with 12 samples the ML sigma's small-sample
 * bias (sqrt((n - p) / n)) made them cover 80 %; 48 samples (two a day, days 1 .. 24) are enough. */
START_TEST(test_coverage)
{
  const double truth[] = {6.15, 0.889, 9.3, 0.16, 0.0032, 0.0079};
  double times[48];
  for (size_t i = 0; i < 48; i++) { /* two samples a day, days 1 .. 24 */
    times[i] = 1 + (double)(i / 2);
  }
  const char *names[] = {"c0", "rho", "alpha"};
  const double true_theta[] = {6.15, 0.889, 0.16, 0.25};
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  int covered = 0, total = 0, per[4] = {0};
  for (int rep = 0; rep < 50; rep++) {
    gsl_rng_set(rng, 1000 + (unsigned long)rep);
    cart_fit_data *d = stein_data(truth, times, 48, 0.25, rng, 0);
    const double initial[] = {5, 1.0, 0.2};
    cart_fit *fit = stein_fit(d, names, 3, initial);
    ck_assert_int_eq(cart_fit_set_error_model(fit, CART_FIT_ADDITIVE, 1, 0.5, 0, 1), CART_OK);
    const int status = cart_fit_run(fit);
    ck_assert_msg(status == CART_OK, "replicate %d: %s", rep, cart_fit_last_error(fit)->message);
    for (size_t k = 0; k < 4; k++) {
      cart_fit_estimate e;
      ck_assert_int_eq(cart_fit_get_estimate(fit, k, &e), CART_OK);
      const int in = e.ci_lower <= true_theta[k] && true_theta[k] <= e.ci_upper;
      covered += in;
      per[k] += in;
      total++;
    }
    cart_fit_free(fit);
    cart_fit_data_free(d);
  }
  gsl_rng_free(rng);
  const double coverage = (double)covered / total;
  fprintf(stderr, "coverage per entry: c0 %d, rho %d, alpha %d, sigma %d of 50\n", per[0], per[1],
          per[2], per[3]);
  fprintf(stderr, "coverage of the 95 %% Wald intervals: %d of %d (%.1f %%)\n", covered, total,
          100 * coverage);
  ck_assert_msg(coverage >= 0.85 && coverage <= 1.0, "coverage %.3f", coverage);
}
END_TEST

/* M3: half the data below the LLOQ still recovers the parameters within their SEs. */
START_TEST(test_m3)
{
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 11);
  const double times[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                          12, 14, 16, 18, 21, 24, 28, 32, 35, 40, 45};
  /* about the median of C over these times */
  cart_fit_data *d = stein_data(NULL, times, 22, 0.2, rng, 2000.0);
  size_t n_blq = 0;
  for (size_t i = 0; i < cart_fit_data_size(d); i++) {
    int blq;
    cart_fit_data_get(d, i, NULL, NULL, NULL, &blq, NULL);
    n_blq += (size_t)blq;
  }
  fprintf(stderr, "M3: %zu of 22 below the LLOQ\n", n_blq);
  ck_assert_uint_ge(n_blq, 9);
  ck_assert_uint_le(n_blq, 13);
  const char *names[] = {"c0", "rho", "alpha"};
  const double initial[] = {4, 0.7, 0.25}, truth[] = {6.15, 0.889, 0.16};
  cart_fit *fit = stein_fit(d, names, 3, initial);
  ck_assert_int_eq(cart_fit_set_error_model(fit, CART_FIT_ADDITIVE, 1, 0.5, 0, 1), CART_OK);
  ck_assert_int_eq(cart_fit_run(fit), CART_OK);
  for (size_t k = 0; k < 3; k++) {
    cart_fit_estimate e;
    ck_assert_int_eq(cart_fit_get_estimate(fit, k, &e), CART_OK);
    fprintf(stderr, "M3 %-5s truth %-6g estimate %.4g +- %.3g\n", e.name, truth[k], e.value, e.se);
    ck_assert_msg(fabs(e.value - truth[k]) < 2.5 * e.se, "%s: %g +- %g, truth %g", e.name, e.value,
                  e.se, truth[k]);
  }
  /* leaving the BLQ values out instead (M1) biases alpha: the M3 fit is closer */
  cart_fit_free(fit);
  cart_fit_data_free(d);
  gsl_rng_free(rng);
}
END_TEST

/* Data before the peak only: alpha, beta and fb (after tmax) are not seen. */
START_TEST(test_not_identifiable)
{
  const double times[] = {0.5, 1, 2, 3, 4, 5, 6, 7, 8};
  cart_fit_data *d = stein_data(NULL, times, 9, 0, NULL, 0);
  const char *names[] = {"rho", "alpha"};
  cart_fit *fit = stein_fit(d, names, 2, NULL);
  ck_assert_int_eq(cart_fit_set_error_model(fit, CART_FIT_ADDITIVE, 1, 0.1, 0, 0), CART_OK);
  ck_assert_int_eq(cart_fit_run(fit), CART_OK);
  cart_fit_result r;
  cart_fit_get_result(fit, &r);
  ck_assert_int_eq(r.identifiable, 0);
  cart_fit_estimate e;
  cart_fit_get_estimate(fit, 0, &e);
  ck_assert_int_eq(e.flags, 0);
  cart_fit_get_estimate(fit, 1, &e);
  ck_assert_int_eq(e.flags & CART_FIT_NOT_IDENTIFIABLE, CART_FIT_NOT_IDENTIFIABLE);
  const char *report = cart_fit_identifiability_report(fit);
  ck_assert_msg(strstr(report, "alpha: not identifiable") != NULL, "%s", report);
  ck_assert_ptr_null(strstr(report, "rho"));
  cart_fit_free(fit);
  cart_fit_data_free(d);
}
END_TEST

/* The profile of rho is lowest at the estimate; the curve passes through the data. */
START_TEST(test_profile_curve)
{
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 5);
  cart_fit_data *d = stein_data(NULL, grid, 14, 0.2, rng, 0);
  const char *names[] = {"c0", "rho"};
  cart_fit *fit = stein_fit(d, names, 2, NULL);
  ck_assert_int_eq(cart_fit_set_error_model(fit, CART_FIT_ADDITIVE, 1, 0.3, 0, 1), CART_OK);
  ck_assert_int_eq(cart_fit_run(fit), CART_OK);
  cart_fit_result r;
  cart_fit_get_result(fit, &r);
  double values[5], objective[5];
  ck_assert_int_eq(cart_fit_profile(fit, 1, 5, 2.0, values, objective), CART_OK);
  for (size_t j = 0; j < 5; j++) {
    ck_assert(objective[j] >= r.objective - 1e-6);
  }
  ck_assert(fabs(objective[2] - r.objective) < 1e-6);
  /* about 2^2 = 4 above the minimum at two standard errors */
  ck_assert_msg(objective[0] - r.objective > 2 && objective[0] - r.objective < 8, "%g",
                objective[0] - r.objective);
  double curve[3];
  const double t[] = {1, 5, 9};
  ck_assert_int_eq(cart_fit_curve(fit, 2, t, 3, curve), CART_OK);
  ck_assert(curve[0] < curve[1] && curve[1] < curve[2]);
  cart_fit_free(fit);
  cart_fit_data_free(d);
  gsl_rng_free(rng);
}
END_TEST

/* cart: rho and delta_E from blood CAR-T and IL-6 with a known +-10 % pattern, within 3 SEs. */
START_TEST(test_cart_recovery)
{
  const cart_model *m = cart_model_find("cart", NULL);
  const char *set[] = {"rho=0.8"};
  cart_params *truth = test_params("cart", set, 1);
  cart_solver *s = cart_solver_new(m, NULL);
  const double times[] = {1, 2, 3, 5, 7, 10, 14, 21, 28};
  const size_t ns = cart_model_n_states(m), no = cart_model_n_outputs(m);
  double y[9 * 16], out[9 * 4];
  ck_assert_int_eq(cart_solver_solve(s, truth, NULL, times, 9, y, out), CART_OK);
  cart_fit_data *d = cart_fit_data_new(m, NULL);
  const int il6 = cart_model_state_index(m, "IL6"), cb = cart_fit_observable_index(m, "Cblood");
  for (size_t i = 0; i < 9; i++) {
    ck_assert_int_eq(cart_fit_data_add(d, times[i], cb, out[i * no] * exp(0.1 * sin(3 * times[i])),
                                       0, NAN, NULL),
                     CART_OK);
    ck_assert_int_eq(cart_fit_data_add(d, times[i], il6,
                                       y[i * ns + (size_t)il6] * exp(0.1 * cos(3 * times[i])), 0,
                                       NAN, NULL),
                     CART_OK);
  }
  cart_params *start = cart_params_new(m, NULL);
  cart_fit *fit = cart_fit_new(start, NULL, d, NULL);
  ck_assert_int_eq(cart_fit_add_param(fit, "rho", 0.6, NAN, NAN), CART_OK);
  ck_assert_int_eq(cart_fit_add_param(fit, "delta_E", 0.3, NAN, NAN), CART_OK);
  ck_assert_int_eq(cart_fit_set_error_model(fit, CART_FIT_ADDITIVE, 1, 0.3, 0, 1), CART_OK);
  ck_assert_msg(cart_fit_run(fit) == CART_OK, "%s", cart_fit_last_error(fit)->message);
  const double want[] = {0.8, 0.25};
  for (size_t k = 0; k < 2; k++) {
    cart_fit_estimate e;
    cart_fit_get_estimate(fit, k, &e);
    fprintf(stderr, "cart %-7s truth %-5g estimate %.4g +- %.3g\n", e.name, want[k], e.value,
            e.se);
    ck_assert_msg(fabs(e.value - want[k]) < 3 * e.se, "%s %g +- %g", e.name, e.value, e.se);
  }
  cart_fit_result r;
  cart_fit_get_result(fit, &r);
  ck_assert_str_eq(r.gradient_method, "sensitivities");
  cart_fit_free(fit);
  cart_fit_data_free(d);
  cart_params_free(start);
  cart_params_free(truth);
  cart_solver_free(s);
}
END_TEST

/* Several patients run together give each one's result bit for bit, for 1 and 3 threads. */
START_TEST(test_run_all_threads)
{
  enum { N = 4 };
  double est[2][N][4];
  for (int pass = 0; pass < 2; pass++) {
    cart_fit *fits[N];
    cart_fit_data *sets[N];
    int statuses[N];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    for (int i = 0; i < N; i++) {
      gsl_rng_set(rng, 77 + (unsigned long)i);
      sets[i] = stein_data(NULL, grid, 16, 0.2, rng, 0);
      const char *names[] = {"c0", "rho", "alpha"};
      fits[i] = stein_fit(sets[i], names, 3, NULL);
      ck_assert_int_eq(cart_fit_set_error_model(fits[i], CART_FIT_ADDITIVE, 1, 0.3, 0, 1),
                       CART_OK);
    }
    gsl_rng_free(rng);
    ck_assert_int_eq(cart_fit_run_all(fits, N, pass == 0 ? 1 : 3, statuses), CART_OK);
    for (int i = 0; i < N; i++) {
      ck_assert_int_eq(statuses[i], CART_OK);
      for (size_t k = 0; k < 4; k++) {
        cart_fit_estimate e;
        ck_assert_int_eq(cart_fit_get_estimate(fits[i], k, &e), CART_OK);
        est[pass][i][k] = e.value;
      }
      cart_fit_free(fits[i]);
      cart_fit_data_free(sets[i]);
    }
  }
  ck_assert(memcmp(est[0], est[1], sizeof est[0]) == 0);
}
END_TEST

START_TEST(test_api_errors)
{
  cart_fit_data *d = stein_data(NULL, grid, 5, 0, NULL, 0);
  const char *none[] = {NULL};
  cart_fit *fit = stein_fit(d, none, 0, NULL);
  ck_assert_int_eq(cart_fit_add_param(fit, "nope", NAN, NAN, NAN), CART_EUNKNOWN_PARAM);
  ck_assert_int_eq(cart_fit_add_param(fit, "rho", 20, NAN, NAN), CART_ERANGE);
  ck_assert_int_eq(cart_fit_add_param(fit, "rho", NAN, NAN, NAN), CART_OK);
  ck_assert_int_eq(cart_fit_add_param(fit, "rho", NAN, NAN, NAN), CART_EINVAL);
  ck_assert_int_eq(cart_fit_set_prior(fit, "alpha", 1, 0.3), CART_EUNKNOWN_PARAM);
  ck_assert_int_eq(cart_fit_set_error_model(fit, CART_FIT_ADDITIVE, 0, -1, 0, 1), CART_EINVAL);
  cart_fit_estimate e;
  ck_assert_int_eq(cart_fit_get_estimate(fit, 0, &e), CART_EINVAL); /* not run */
  cart_fit_error_kind kind;
  ck_assert_int_eq(cart_fit_error_kind_from_name("combined", &kind), CART_OK);
  ck_assert_int_eq(kind, CART_FIT_COMBINED);
  ck_assert_int_eq(cart_fit_error_kind_from_name("bad", &kind), CART_EINVAL);
  cart_fit_free(fit);
  cart_fit_data_free(d);
}
END_TEST

static Suite *fit_suite(void)
{
  Suite *s = suite_create("fit");
  TCase *data = tcase_create("data");
  tcase_add_test(data, test_data_long);
  tcase_add_test(data, test_data_nonmem);
  tcase_add_test(data, test_data_petab);
  tcase_add_test(data, test_nonmem_doses);
  tcase_add_loop_test(data, test_nonmem_dose_errors, 0,
                      (int)(sizeof bad_doses / sizeof bad_doses[0]));
  tcase_add_loop_test(data, test_data_errors, 0, (int)(sizeof bad_data / sizeof bad_data[0]));
  tcase_add_test(data, test_data_file);
  tcase_add_test(data, test_api_errors);
  suite_add_tcase(s, data);
  TCase *sens = tcase_create("sensitivities");
  tcase_set_timeout(sens, 120);
  tcase_add_test(sens, test_sens_stein);
  tcase_add_test(sens, test_sens_cart);
  tcase_add_test(sens, test_gradient);
  suite_add_tcase(s, sens);
  TCase *fits = tcase_create("fits");
  tcase_set_timeout(fits, 300);
  tcase_add_test(fits, test_stein_recovery);
  tcase_add_test(fits, test_coverage);
  tcase_add_test(fits, test_m3);
  tcase_add_test(fits, test_not_identifiable);
  tcase_add_test(fits, test_profile_curve);
  tcase_add_test(fits, test_cart_recovery);
  tcase_add_test(fits, test_run_all_threads);
  tcase_add_test(fits, test_nonmem_doses_fit);
  suite_add_tcase(s, fits);
  return s;
}

int main(void)
{
  return test_run(fit_suite());
}
