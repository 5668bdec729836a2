/* check_params.c: parameter sets, their checks (MODEL.md 2.2 rules) and dosing schedules. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

START_TEST(test_defaults_and_set_get)
{
  cart_params *params = test_params("cart", NULL, 0);
  double v;
  ck_assert_int_eq(cart_params_get(params, "rho", &v), CART_OK);
  ck_assert_double_eq(v, 0.6);
  ck_assert_int_eq(cart_params_set(params, "rho", 0.9), CART_OK);
  ck_assert_int_eq(cart_params_get(params, "rho", &v), CART_OK);
  ck_assert_double_eq(v, 0.9);
  ck_assert_int_eq(cart_params_set(params, "rho", 10), CART_OK); /* closed upper bound */
  cart_params_reset(params);
  ck_assert_int_eq(cart_params_get(params, "rho", &v), CART_OK);
  ck_assert_double_eq(v, 0.6);
  ck_assert_int_eq(cart_params_get(params, "nope", &v), CART_EUNKNOWN_PARAM);
  ck_assert_int_eq(cart_params_get_index(params, 47, &v), CART_EINVAL);
  cart_params *copy = cart_params_clone(params, NULL);
  ck_assert_int_eq(cart_params_set(copy, "gamma", 2), CART_OK);
  ck_assert_int_eq(cart_params_get(params, "gamma", &v), CART_OK);
  ck_assert_double_eq(v, 1.0); /* the clone is independent */
  cart_params_free(copy);
  cart_params_free(params);
  cart_params_free(NULL);
}
END_TEST

/* Every rejection: its own code, the value unchanged, a message naming parameter, value, range. */
START_TEST(test_set_rejections)
{
  cart_params *params = test_params("cart", NULL, 0);
  double v;
  ck_assert_int_eq(cart_params_set(params, "rhoo", 1), CART_EUNKNOWN_PARAM);
  ck_assert_ptr_nonnull(strstr(cart_params_last_error(params)->message, "'rhoo'"));
  ck_assert_int_eq(cart_params_last_error(params)->code, CART_EUNKNOWN_PARAM);

  ck_assert_int_eq(cart_params_set(params, "rho", NAN), CART_ENOTFINITE);
  ck_assert_ptr_nonnull(strstr(cart_params_last_error(params)->message, "'rho'"));
  ck_assert_int_eq(cart_params_set(params, "rho", INFINITY), CART_ENOTFINITE);

  ck_assert_int_eq(cart_params_set(params, "rho", -1), CART_ERANGE);
  const char *message = cart_params_last_error(params)->message;
  ck_assert_msg(strstr(message, "'rho'") && strstr(message, "-1") && strstr(message, "[0, 10]"),
                "message: %s", message);
  ck_assert_int_eq(cart_params_set(params, "rho", 10.5), CART_ERANGE);
  ck_assert_int_eq(cart_params_get(params, "rho", &v), CART_OK);
  ck_assert_double_eq(v, 0.6); /* unchanged */

  /* open bounds: KS > 0, WT in (0, 300] */
  ck_assert_int_eq(cart_params_set(params, "KS", 0), CART_ERANGE);
  ck_assert_ptr_nonnull(strstr(cart_params_last_error(params)->message, "(0, inf)"));
  ck_assert_int_eq(cart_params_set(params, "WT", 0), CART_ERANGE);
  ck_assert_int_eq(cart_params_set(params, "WT", 300), CART_OK);
  ck_assert_int_eq(cart_params_set(params, "dose", -1e8), CART_ERANGE);
  ck_assert_int_eq(cart_params_set(params, "h", 0.5), CART_ERANGE);
  ck_assert_int_eq(cart_params_set(params, NULL, 1), CART_EINVAL);
  ck_assert_int_eq(cart_params_set(NULL, "rho", 1), CART_EINVAL);
  cart_params_free(params);

  cart_error err;
  ck_assert_ptr_null(cart_params_new(NULL, &err));
  ck_assert_int_eq(err.code, CART_EINVAL);
}
END_TEST

/* MODEL.md 2.2: p0 = (k_il6 + k_rec) il6_0 - amp(il6_0); loop gain p_amp / (2 IL6_50) at h = 2. */
START_TEST(test_derived_p0_and_gain)
{
  cart_params *params = test_params("cart", NULL, 0);
  double p0, gain;
  ck_assert_int_eq(cart_params_derived(params, "p0", &p0), CART_OK);
  ck_assert_double_eq_tol(p0, 20.0 * 3 - 8000.0 * 9 / (90000 + 9), 1e-12);
  ck_assert_int_eq(cart_params_derived(params, "il6_loop_gain", &gain), CART_OK);
  ck_assert_double_eq_tol(gain, 8000.0 / 600, 1e-12);
  ck_assert_int_eq(cart_params_derived(params, "p1", &gain), CART_EUNKNOWN_PARAM);
  /* h = 1: the gain is the slope at 0, p_amp / IL6_50 */
  ck_assert_int_eq(cart_params_set(params, "h", 1), CART_OK);
  ck_assert_int_eq(cart_params_set(params, "p_amp", 3000), CART_OK);
  ck_assert_int_eq(cart_params_derived(params, "il6_loop_gain", &gain), CART_OK);
  ck_assert_double_eq_tol(gain, 10.0, 1e-12);
  /* h = 3: max of x^2 / (K^3 + x^3) at x = 2^(1/3) K is 2^(2/3) / (3 K) */
  ck_assert_int_eq(cart_params_set(params, "h", 3), CART_OK);
  ck_assert_int_eq(cart_params_derived(params, "il6_loop_gain", &gain), CART_OK);
  ck_assert_double_eq_tol(gain, 3000 * pow(2, 2.0 / 3) / (3 * 300), 1e-12);
  cart_params_free(params);

  cart_params *stein = test_params("stein", NULL, 0);
  ck_assert_int_eq(cart_params_derived(stein, "p0", &p0), CART_EUNKNOWN_PARAM);
  cart_params_free(stein);
}
END_TEST

/* The loop-gain rule: p_amp = 9000 (gain 15 = 3/4 of 20) is allowed, 12000 is not
 * (anchors/reference/cart_strong_pamp12000.csv); h = 1 and a higher k_rec move the limit. */
START_TEST(test_gain_rule)
{
  cart_error err;
  cart_params *params =
      test_params("cart", (const char *const[]){"rho=0.9", "gamma=2", "T0=3e11", "p_amp=9000"}, 4);
  ck_assert_int_eq(cart_params_check(params, &err), CART_OK);
  ck_assert_int_eq(cart_params_set(params, "p_amp", 9001), CART_OK);
  ck_assert_int_eq(cart_params_check(params, &err), CART_ERULE);
  ck_assert_int_eq(cart_params_set(params, "p_amp", 12000), CART_OK);
  ck_assert_int_eq(cart_params_check(params, &err), CART_ERULE);
  ck_assert_int_eq(err.code, CART_ERULE);
  ck_assert_msg(strstr(err.message, "p_amp = 12000") && strstr(err.message, "gain"), "%s",
                err.message);
  ck_assert_int_eq(cart_params_set(params, "k_rec", 25), CART_OK); /* 3/4 of 30 = 22.5 > 20 */
  ck_assert_int_eq(cart_params_check(params, NULL), CART_OK);
  ck_assert_int_eq(cart_params_set(params, "h", 1), CART_OK); /* gain 40 */
  ck_assert_int_eq(cart_params_check(params, NULL), CART_ERULE);
  cart_params_free(params);
}
END_TEST

START_TEST(test_dosing)
{
  cart_dosing *dosing = cart_dosing_new(NULL);
  ck_assert_int_eq(cart_dosing_add_cart(dosing, 14, 1e8, 0.5), CART_OK);
  ck_assert_int_eq(cart_dosing_add_cart(dosing, 0, 0, CART_FMEM_FROM_PARAMS), CART_OK);
  ck_assert_int_eq(cart_dosing_add_toci(dosing, 5, 8, CART_TOCI_DURATION_DAY_DEFAULT, 800),
                   CART_OK);
  ck_assert_int_eq(cart_dosing_add_toci(dosing, 6, 8, 0, 800), CART_OK); /* bolus */
  ck_assert_uint_eq(cart_dosing_n_cart(dosing), 2);
  ck_assert_uint_eq(cart_dosing_n_toci(dosing), 2);
  cart_cart_dose d;
  ck_assert_int_eq(cart_dosing_get_cart(dosing, 0, &d), CART_OK);
  ck_assert_double_eq(d.time, 14);
  ck_assert_double_eq(d.f_mem, 0.5);
  ck_assert_int_eq(cart_dosing_get_cart(dosing, 1, &d), CART_OK);
  ck_assert(isnan(d.f_mem)); /* CART_FMEM_FROM_PARAMS is NaN */
  ck_assert_int_eq(cart_dosing_get_cart(dosing, 2, &d), CART_EINVAL);
  /* -1.0, the "use the parameter" of 0.2, is now an f_mem out of range */
  ck_assert_int_eq(cart_dosing_add_cart(dosing, 1, 1e8, -1.0), CART_EDOSE);
  ck_assert_int_eq(cart_dosing_add_cart(dosing, 1, 1e8, INFINITY), CART_EDOSE);
  ck_assert_uint_eq(cart_dosing_n_cart(dosing), 2);

  /* rejections, each CART_EDOSE, schedule unchanged */
  ck_assert_int_eq(cart_dosing_add_cart(dosing, -1, 1e8, 0.2), CART_EDOSE);
  ck_assert_ptr_nonnull(strstr(cart_dosing_last_error(dosing)->message, "time -1"));
  ck_assert_int_eq(cart_dosing_add_cart(dosing, 1, -1e8, 0.2), CART_EDOSE);
  ck_assert_ptr_nonnull(strstr(cart_dosing_last_error(dosing)->message, "-1e+08 cells"));
  ck_assert_int_eq(cart_dosing_add_cart(dosing, NAN, 1e8, 0.2), CART_EDOSE);
  ck_assert_int_eq(cart_dosing_add_cart(dosing, 1, NAN, 0.2), CART_EDOSE);
  ck_assert_int_eq(cart_dosing_add_cart(dosing, 1, INFINITY, 0.2), CART_EDOSE);
  ck_assert_int_eq(cart_dosing_add_cart(dosing, 1, 1e8, 1.5), CART_EDOSE);
  ck_assert_int_eq(cart_dosing_add_toci(dosing, 1, -8, 0.04, 800), CART_EDOSE);
  ck_assert_int_eq(cart_dosing_add_toci(dosing, 1, 8, -0.04, 800), CART_EDOSE);
  ck_assert_int_eq(cart_dosing_add_toci(dosing, 1, 8, 0.04, NAN), CART_EDOSE);
  ck_assert_int_eq(cart_dosing_add_toci(dosing, -2, 8, 0.04, 800), CART_EDOSE);
  ck_assert_uint_eq(cart_dosing_n_cart(dosing), 2);
  ck_assert_uint_eq(cart_dosing_n_toci(dosing), 2);
  /* growth past the first capacity */
  for (int i = 0; i < 100; i++) {
    ck_assert_int_eq(cart_dosing_add_cart(dosing, i, 1, 0), CART_OK);
  }
  ck_assert_uint_eq(cart_dosing_n_cart(dosing), 102);
  cart_dosing_clear(dosing);
  ck_assert_uint_eq(cart_dosing_n_cart(dosing), 0);
  cart_dosing_free(dosing);
  cart_dosing_free(NULL);
}
END_TEST

START_TEST(test_strerror)
{
  ck_assert_str_eq(cart_strerror(CART_OK), "success");
  ck_assert_str_eq(cart_strerror(CART_ERANGE), "value outside its allowed range");
  ck_assert_str_eq(cart_strerror(12345), "unknown status code");
  ck_assert_str_eq(cart_status_name(CART_EMAXSTEPS), "CART_EMAXSTEPS");
  ck_assert_str_eq(cart_status_name(CART_ENOTINFUSED), "CART_ENOTINFUSED");
  ck_assert_str_eq(cart_status_name(-999), "CART_UNKNOWN");
  /* every code has its own message */
  for (int a = CART_ENOTINFUSED; a <= CART_OK; a++) {
    for (int b = a + 1; b <= CART_OK; b++) {
      ck_assert_str_ne(cart_strerror(a), cart_strerror(b));
    }
  }
  ck_assert_str_eq(cart_version(), CART_VERSION_STRING);
  /* the numbers say what the string says (they once lagged a release behind) */
  char numbers[32];
  snprintf(numbers, sizeof numbers, "%d.%d.%d", CART_VERSION_MAJOR, CART_VERSION_MINOR,
           CART_VERSION_PATCH);
  ck_assert_str_eq(numbers, CART_VERSION_STRING);
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("params");
  TCase *tc = tcase_create("params");
  tcase_add_test(tc, test_defaults_and_set_get);
  tcase_add_test(tc, test_set_rejections);
  tcase_add_test(tc, test_derived_p0_and_gain);
  tcase_add_test(tc, test_gain_rule);
  tcase_add_test(tc, test_dosing);
  tcase_add_test(tc, test_strerror);
  suite_add_tcase(suite, tc);
  return test_run(suite);
}
