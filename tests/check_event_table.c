/* check_event_table.c: event tables in the NONMEM/rxode2 layout (cart_parse_event_table,
 * cart_grammar.h): the doses and observation times a table gives, their text forms as the
 * grammar reads them, and every refusal with the line (or row) and column it names; a scenario
 * plus a table (cart_scenario_add_event_table, cart_scenario.h) runs as the same [dosing] lines
 * written by hand. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart.h>

#include "test_util.h"

/* The table of tests/python/test_events.py: CAR-T at t = 0 and day 14 (cmt a name and E's
 * number), tocilizumab 8 mg/kg on day 3 repeated twice every 12 h (ii/addl) and on day 5 over
 * 2 h with a 600 mg cap; WT a covariate column, ignored. */
static const char table_text[] = "# a comment line\n"
                                 "ID,TIME,AMT,CMT,EVID,DUR,II,ADDL,CAP_MG,WT\n"
                                 "1,0,2e8,cart,1,,0,0,,70\n"
                                 "\n"
                                 "1,14,1e8,1,1,.,0,0,NA,70\n"
                                 "1,3,8,tocilizumab,1,,0.5,2,,70\n"
                                 "1,5,8,8,1,0.083333333333333329,0,0,600,70\n";

static const cart_model *model(const char *name)
{
  const cart_model *m = cart_model_find(name, NULL);
  ck_assert_ptr_nonnull(m);
  return m;
}

START_TEST(test_doses_and_their_texts)
{
  cart_event_table *t = NULL;
  cart_error err;
  ck_assert_int_eq(cart_parse_event_table(table_text, "e.csv", model("cart"), -1, &t, &err),
                   CART_OK);
  ck_assert_uint_eq(t->n_doses, 6);
  ck_assert_uint_eq(t->n_observations, 0);
  static const char *const texts[] = {"0:200000000", "14:100000000", "3:8", "3.5:8", "4:8",
                                      "5:8:2:600"};
  static const int kinds[] = {CART_DOSE_CART, CART_DOSE_CART, CART_DOSE_TOCI,
                              CART_DOSE_TOCI, CART_DOSE_TOCI, CART_DOSE_TOCI};
  static const int lines[] = {3, 5, 6, 6, 6, 7};
  for (size_t i = 0; i < 6; i++) {
    const cart_event_dose *d = &t->doses[i];
    ck_assert_str_eq(d->text, texts[i]);
    ck_assert_int_eq(d->kind, kinds[i]);
    ck_assert_int_eq(d->line, lines[i]);
    char where[64];
    snprintf(where, sizeof where, "e.csv line %d", lines[i]);
    ck_assert_str_eq(d->where, where);
    /* the values are those the text form gives */
    if (d->kind == CART_DOSE_CART) {
      cart_cart_dose c;
      ck_assert_int_eq(cart_parse_cart_dose(d->text, &c, NULL), CART_OK);
      ck_assert(c.time == d->cart.time && c.cells == d->cart.cells && isnan(d->cart.f_mem));
    } else {
      cart_toci_dose c;
      ck_assert_int_eq(cart_parse_toci_dose(d->text, &c, NULL), CART_OK);
      ck_assert(c.time == d->toci.time && c.mg_per_kg == d->toci.mg_per_kg &&
                c.duration_day == d->toci.duration_day && c.cap_mg == d->toci.cap_mg);
    }
  }
  ck_assert(t->doses[3].toci.time == 3.5 && t->doses[3].toci.cap_mg == 800);
  ck_assert(t->doses[5].toci.duration_day == cart_days_from_hours(2.0));
  cart_event_table_free(t);
}
END_TEST

/* rate gives dur = amt / rate; fmem; evid 0 rows are output times; rows named for a frame; a
 * quoted field with a comma; no id column; cart2 numbers its compartments. */
START_TEST(test_rate_fmem_observations_rows)
{
  cart_event_table *t = NULL;
  cart_error err;
  const char *text = "time,amt,cmt,evid,rate,fmem,note\n"
                     "0,1e8,car-t,1,,0.5,\"first, the infusion\"\n"
                     "2,5e7,E,1,0,,x\n"
                     "5,8,D1,1,96,,x\n"
                     "0,0,,0,,,x\n"
                     "1.5,0,,0,,,x\n";
  ck_assert_int_eq(cart_parse_event_table(text, NULL, model("cart"), 1, &t, &err), CART_OK);
  ck_assert_uint_eq(t->n_doses, 3);
  ck_assert_str_eq(t->doses[0].text, "0:100000000:0.5");
  ck_assert(t->doses[0].cart.f_mem == 0.5);
  ck_assert_str_eq(t->doses[0].where, "events row 1");
  ck_assert_str_eq(t->doses[1].text, "2:50000000");
  ck_assert_str_eq(t->doses[2].text, "5:8:2");
  ck_assert_str_eq(t->doses[2].where, "events row 3");
  ck_assert_uint_eq(t->doses[2].row, 2);
  ck_assert_uint_eq(t->n_observations, 2);
  ck_assert(t->observations[0] == 0 && t->observations[1] == 1.5);
  ck_assert_str_eq(t->first_observation, "events row 4");
  cart_event_table_free(t);

  ck_assert_int_eq(cart_parse_event_table("time,amt,cmt\n2,8,10\n", "f", model("cart2"), 0, &t,
                                          &err),
                   CART_OK);
  ck_assert_int_eq(t->doses[0].kind, CART_DOSE_TOCI);
  ck_assert_str_eq(t->doses[0].where, "f row 0");
  cart_event_table_free(t);

  /* a byte order mark, CRLF line ends and pandas' NULL as an empty cell */
  ck_assert_int_eq(cart_parse_event_table("\xEF\xBB\xBFtime,amt,cmt,dur\r\n3,8,toci,NULL\r\n", "f",
                                          model("cart"), -1, &t, &err),
                   CART_OK);
  ck_assert_uint_eq(t->n_doses, 1);
  ck_assert_str_eq(t->doses[0].text, "3:8");
  ck_assert_str_eq(t->doses[0].where, "f line 2");
  cart_event_table_free(t);

  /* a header only: no doses */
  ck_assert_int_eq(cart_parse_event_table("time,amt,cmt\n", "f", model("cart"), 0, &t, &err),
                   CART_OK);
  ck_assert_uint_eq(t->n_doses + t->n_observations, 0);
  ck_assert_str_eq(t->first_observation, "");
  cart_event_table_free(t);
}
END_TEST

/* (a table's rows after the header line "id,time,amt,cmt,evid,dur,rate,ii,addl,ss,fmem,cap_mg",
 * the model, the code, the message's start) */
static const struct {
  const char *rows;
  const char *model;
  int code;
  const char *message;
} bad[] = {
    {"1,0,1e8,cart,2,,,,,,,\n", "cart", CART_EPARSE,
     "t.csv line 2, column evid: evid 2 is not supported"},
    {"1,0,1e8,cart,1,,,,,,,\n1,1,1,4,1,,,,,,,\n", "cart", CART_EPARSE,
     "t.csv line 3, column cmt: compartment 4 (Tp) of model cart takes no doses (dosing targets: "
     "1 (E) CAR-T cells, 8 (D1) tocilizumab)"},
    {"1,0,1e8,liver,1,,,,,,,\n", "cart", CART_EPARSE,
     "t.csv line 2, column cmt: unknown target 'liver' (expected cart, toci, or a state of model "
     "cart: E, "},
    {"1,0,1e8,99,1,,,,,,,\n", "cart", CART_EPARSE,
     "t.csv line 2, column cmt: 99 is not a compartment of model cart (1..9)"},
    {"1,0,1e8,,1,,,,,,,\n", "cart", CART_EPARSE,
     "t.csv line 2, column cmt: empty; expected cart, toci or a compartment number"},
    {"1,0,lots,cart,1,,,,,,,\n", "cart", CART_EPARSE,
     "t.csv line 2, column amt: 'lots' is not a number"},
    {"1,0,,cart,1,,,,,,,\n", "cart", CART_EPARSE, "t.csv line 2, column amt: empty; a number is "
                                                  "needed"},
    {"1,0,-1e8,cart,1,,,,,,,\n", "cart", CART_EPARSE, "t.csv line 2, column amt: -1e8 is below 0"},
    {"1,-14,1e8,cart,1,,,,,,,\n", "cart", CART_EPARSE, "t.csv line 2, column time: -14 is below 0"},
    {"1,inf,1e8,cart,1,,,,,,,\n", "cart", CART_EPARSE,
     "t.csv line 2, column time: 'inf' is not a finite number"},
    {"1,0,8,toci,1,,-2,,,,,\n", "cart", CART_EPARSE,
     "t.csv line 2, column rate: rate -2 (a modelled rate or duration in NONMEM) is not "
     "supported"},
    {"1,0,8,toci,1,0.1,96,,,,,\n", "cart", CART_EPARSE,
     "t.csv line 2, column dur, rate: both dur and rate are given; give one"},
    {"1,0,1e8,cart,1,1,,,,,,\n", "cart", CART_EPARSE,
     "t.csv line 2, column dur: CAR-T cells are given at once"},
    {"1,0,1e8,cart,1,,96,,,,,\n", "cart", CART_EPARSE,
     "t.csv line 2, column rate: CAR-T cells are given at once"},
    {"1,0,8,toci,1,-1,,,,,,\n", "cart", CART_EPARSE, "t.csv line 2, column dur: -1 is below 0"},
    {"1,0,8,toci,1,,,,,1,,\n", "cart", CART_EPARSE,
     "t.csv line 2, column ss: steady-state doses (ss = 1) are not supported"},
    {"1,0,8,toci,1,,,0.5,1.5,,,\n", "cart", CART_EPARSE,
     "t.csv line 2, column addl: 1.5 is not a whole number"},
    {"1,0,8,toci,1,,,0,2,,,\n", "cart", CART_EPARSE,
     "t.csv line 2, column ii: addl = 2 repeats need ii > 0"},
    {"1,0,8,toci,1,,,1,2e6,,,\n", "cart", CART_ERANGE, "t.csv line 2, column addl: 2e6 repeats"},
    {"1,0,1e8,cart,1,,,,,,,\n2,3,8,toci,1,,,,,,,\n", "cart", CART_EPARSE,
     "t.csv line 3, column id: a second subject (2 after 1)"},
    {"1,0,8,toci,1,,,,,,0.5,\n", "cart", CART_EPARSE,
     "t.csv line 2, column fmem: fmem is a CAR-T setting"},
    {"1,0,1e8,cart,1,,,,,,,600\n", "cart", CART_EPARSE,
     "t.csv line 2, column cap_mg: cap_mg is a tocilizumab setting"},
    {"1,0,1e8,cart,1,,,,,,1.5,\n", "cart", CART_EDOSE,
     "t.csv line 2: doses 0:100000000:1.5: f_mem 1.5 is outside [0, 1]"},
    {"1,0,1e8,cart,1,,,,,\n", "cart", CART_EPARSE,
     "t.csv line 2: 10 fields, but the header names 12 columns"},
    {"1,0,8,D1,1,,,,,,,\n", "stein", CART_EPARSE, "t.csv line 2, column cmt: unknown target 'D1'"},
    {"1,0,8,1,1,,,,,,,\n", "stein", CART_EPARSE,
     "t.csv line 2, column cmt: compartment 1 (CE) of model stein takes no doses (dosing targets: "
     "none)"},
};

START_TEST(test_bad_tables)
{
  char text[512];
  snprintf(text, sizeof text, "id,time,amt,cmt,evid,dur,rate,ii,addl,ss,fmem,cap_mg\n%s",
           bad[_i].rows);
  cart_event_table *t = (cart_event_table *)&t;
  cart_error err;
  ck_assert_int_eq(cart_parse_event_table(text, "t.csv", model(bad[_i].model), -1, &t, &err),
                   bad[_i].code);
  ck_assert_int_eq(err.code, bad[_i].code);
  ck_assert_ptr_null(t);
  ck_assert_msg(strncmp(err.message, bad[_i].message, strlen(bad[_i].message)) == 0,
                "case %d: '%s', expected '%s...'", _i, err.message, bad[_i].message);
}
END_TEST

START_TEST(test_bad_headers)
{
  cart_event_table *t = NULL;
  cart_error err;
  ck_assert_int_eq(cart_parse_event_table("TIME,amt,CMT,time\n0,1,cart,0\n", "h.csv",
                                          model("cart"), -1, &t, &err),
                   CART_EPARSE);
  ck_assert_str_eq(err.message, "h.csv: columns 'TIME' and 'time' are the same column time");
  ck_assert_int_eq(cart_parse_event_table("time,amt,dose\n0,1,cart\n", "h.csv", model("cart"),
                                          -1, &t, &err),
                   CART_EPARSE);
  ck_assert_str_eq(err.message, "h.csv: no column 'cmt' (columns: time, amt, dose; expected "
                                "time, amt, cmt and optionally evid, dur or rate, ii, addl)");
  ck_assert_int_eq(cart_parse_event_table("# nothing\n\n", "h.csv", model("cart"), -1, &t, &err),
                   CART_EPARSE);
  ck_assert_int_eq(cart_parse_event_table(NULL, "h.csv", model("cart"), -1, &t, &err),
                   CART_EINVAL);
  ck_assert_int_eq(cart_parse_event_table("time,amt,cmt\n", "h.csv", NULL, -1, &t, &err),
                   CART_EINVAL);
}
END_TEST

/* ---- a scenario plus an event table (cart_scenario_add_event_table) ---- */

static const char scenario_text[] = "[trial]\nmodel = cart\nn_patients = 6\nseed = 4\n"
                                    "[times]\nhorizon = 28\nstep = 7\n"
                                    "[variability]\nrho = 0.3\n";

/* table_text's doses, written by hand */
static const char table_dosing[] = "[dosing]\ncart = 0:2e8\ncart = 14:1e8\ntoci = 3:8\n"
                                   "toci = 3.5:8\ntoci = 4:8\ntoci = 5:8:2:600\n";

static char *joined(const char *a, const char *b)
{
  char *text = malloc(strlen(a) + strlen(b) + 1);
  ck_assert_ptr_nonnull(text);
  return strcat(strcpy(text, a), b);
}

/* Every arm of `a` runs as the same arm of `b`, bit for bit; returns the arms' count. */
static size_t assert_same_runs(const char *a, const char *b)
{
  cart_error err;
  cart_arms *arms[2] = {cart_arms_new_from_scenario(a, "a.ini", &err), NULL};
  ck_assert_msg(arms[0] != NULL, "%s", err.message);
  arms[1] = cart_arms_new_from_scenario(b, "b.ini", &err);
  ck_assert_msg(arms[1] != NULL, "%s", err.message);
  const size_t n_arms = cart_arms_count(arms[0]);
  ck_assert_uint_eq(cart_arms_count(arms[1]), n_arms);
  for (size_t k = 0; k < n_arms; k++) {
    cart_trial_block *block[2];
    for (int i = 0; i < 2; i++) {
      cart_trial *trial = cart_arms_trial(arms[i], k);
      block[i] = cart_trial_block_new(trial, 6, &err);
      ck_assert_ptr_nonnull(block[i]);
      ck_assert_int_eq(test_run_block(trial, 0, 6, 1, block[i]), CART_OK);
    }
    const cart_trial_block *x = block[0], *y = block[1];
    ck_assert_uint_eq(x->n_endpoints, y->n_endpoints);
    ck_assert_uint_eq(x->max_toci, y->max_toci);
    ck_assert(memcmp(x->endpoints, y->endpoints, 6 * x->n_endpoints * sizeof *x->endpoints) == 0);
    ck_assert(memcmp(x->status, y->status, 6 * sizeof *x->status) == 0);
    ck_assert(memcmp(x->trajectories, y->trajectories,
                     x->n_outputs * x->capacity * x->n_times * sizeof *x->trajectories) == 0);
    for (size_t j = 0; j < 6 * x->max_toci; j++) {
      ck_assert(memcmp(&x->toci_times[j], &y->toci_times[j], sizeof(double)) == 0 ||
                (isnan(x->toci_times[j]) && isnan(y->toci_times[j])));
    }
    cart_trial_block_free(block[0]);
    cart_trial_block_free(block[1]);
  }
  cart_arms_free(arms[0]);
  cart_arms_free(arms[1]);
  return n_arms;
}

/* The table's doses are the scenario's [dosing] lines, bit for bit, and the text holds them. */
START_TEST(test_scenario_plus_table)
{
  char *out = NULL;
  cart_error err;
  ck_assert_int_eq(cart_scenario_add_event_table(scenario_text, "s.ini", table_text, "e.csv", -1,
                                                 &out, &err),
                   CART_OK);
  ck_assert_int_eq(err.code, CART_OK);
  ck_assert(strncmp(out, scenario_text, strlen(scenario_text)) == 0);
  ck_assert_ptr_nonnull(strstr(out, "\n[dosing]\ncart = 0:200000000\ncart = 14:100000000\n"
                                    "toci = 3:8\ntoci = 3.5:8\ntoci = 4:8\ntoci = 5:8:2:600\n"));
  char *by_hand = joined(scenario_text, table_dosing);
  ck_assert_uint_eq(assert_same_runs(out, by_hand), 1);
  free(by_hand);
  free(out);
  /* a text without a last newline; err NULL */
  const char *no_newline = "[trial]\nmodel = cart\nn_patients = 6\n[times]\nlist = 1,7";
  ck_assert_int_eq(cart_scenario_add_event_table(no_newline, NULL, "time,amt,cmt\n7,1e8,cart\n",
                                                 NULL, 0, &out, NULL),
                   CART_OK);
  ck_assert_ptr_nonnull(strstr(out, "list = 1,7\n# the doses of the event table events\n"
                                    "[dosing]\ncart = 7:100000000\n"));
  free(out);
}
END_TEST

/* Every arm gets the table's doses: an arm with its own dosing.cart lines (which replace the
 * base's) as more of them, the others through the base's [dosing]. */
START_TEST(test_scenario_arms_plus_table)
{
  const char *arms = "[dosing]\ncart = 0:1e8\n"
                     "[arm own]\ndosing.cart = 0:3e8\n"
                     "[arm base]\nlabel = the base's doses\n";
  const char *table = "time,amt,cmt\n14,2e8,cart\n3,8,toci\n";
  char *scenario = joined(scenario_text, arms), *out = NULL;
  cart_error err;
  ck_assert_int_eq(cart_scenario_add_event_table(scenario, "s.ini", table, "e.csv", -1, &out,
                                                 &err),
                   CART_OK);
  char *by_hand = joined(scenario, "[dosing]\ncart = 14:2e8\ntoci = 3:8\n"
                                   "[arm own]\ndosing.cart = 14:2e8\n");
  ck_assert_uint_eq(assert_same_runs(out, by_hand), 2);
  free(by_hand);
  free(out);
  free(scenario);
}
END_TEST

static void expect_refused(const char *scenario, const char *table, long first_row, int code,
                           const char *message)
{
  char *out = (char *)&out;
  cart_error err;
  ck_assert_int_eq(cart_scenario_add_event_table(scenario, "s.ini", table, "e.csv", first_row,
                                                 &out, &err),
                   code);
  ck_assert_int_eq(err.code, code);
  ck_assert_ptr_null(out);
  ck_assert_msg(strncmp(err.message, message, strlen(message)) == 0, "'%s', expected '%s...'",
                err.message, message);
}

START_TEST(test_scenario_plus_bad_table)
{
  expect_refused(scenario_text, "time,amt,cmt,evid\n0,2e8,cart,1\n7,0,cart,0\n", -1, CART_EPARSE,
                 "e.csv line 3: observation rows (evid 0) are output times");
  expect_refused(scenario_text, "time,amt,cmt\n0,2e8,cart\n1,x,cart\n", 0, CART_EPARSE,
                 "e.csv row 1, column amt: 'x' is not a number");
  /* doses the scenario does not take, named by their row */
  const char *stein = "[trial]\nmodel = stein\nn_patients = 2\n[times]\nlist = 1,7\n";
  expect_refused(stein, "time,amt,cmt\n3,8,toci\n", 1, CART_EDOSE,
                 "e.csv row 1: toci 3:8: [dosing] toci: model 'stein' has no tocilizumab");
  char *twice = joined(scenario_text, "[dosing]\ncart = 0:1e8\n");
  expect_refused(twice, "time,amt,cmt\n7,1e8,cart\n0,2e8,cart\n", -1, CART_EDOSE,
                 "e.csv line 3: doses 0:200000000: [dosing] cart: a CAR-T dose at t = 0 was "
                 "already given (line 11)");
  free(twice);
  /* a bad scenario: its own message */
  expect_refused("[trial]\nmodel = nope\n", "time,amt,cmt\n", -1, CART_EUNKNOWN_MODEL, "s.ini:2:");
  /* NULL arguments */
  expect_refused(NULL, "time,amt,cmt\n", -1, CART_EINVAL,
                 "cart_scenario_add_event_table: scenario_text is NULL");
  expect_refused(scenario_text, NULL, -1, CART_EINVAL,
                 "cart_scenario_add_event_table: table_text is NULL");
  cart_error err;
  ck_assert_int_eq(cart_scenario_add_event_table(scenario_text, NULL, "time,amt,cmt\n", NULL, -1,
                                                 NULL, &err),
                   CART_EINVAL);
  ck_assert_str_eq(err.message, "cart_scenario_add_event_table: out_text is NULL");
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("event_table");
  TCase *tc = tcase_create("event_table");
  tcase_add_test(tc, test_doses_and_their_texts);
  tcase_add_test(tc, test_rate_fmem_observations_rows);
  tcase_add_loop_test(tc, test_bad_tables, 0, (int)(sizeof bad / sizeof bad[0]));
  tcase_add_test(tc, test_bad_headers);
  tcase_add_test(tc, test_scenario_plus_table);
  tcase_add_test(tc, test_scenario_arms_plus_table);
  tcase_add_test(tc, test_scenario_plus_bad_table);
  suite_add_tcase(suite, tc);
  return test_run(suite);
}
