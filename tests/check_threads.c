/* check_threads.c: two threads, each with its own solver, solving different patients at once
 * (sharing one read-only schedule) give bit-identical numbers to one thread doing the same. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define N_TIMES 366
#define N_PATIENTS 8
#define ROUNDS 5

typedef struct job {
  const cart_dosing *dosing; /* shared, read-only */
  int first;                 /* patients first, first + 2, ... */
  double states[N_PATIENTS][9 * N_TIMES];
  int status;
} job;

/* Patient k: rho and gamma vary, method alternates, so the threads do different work. */
static cart_params *patient(int k)
{
  cart_params *params = test_params("cart", NULL, 0);
  ck_assert_int_eq(cart_params_set(params, "rho", 0.4 + 0.05 * k), CART_OK);
  ck_assert_int_eq(cart_params_set(params, "gamma", 0.8 + 0.1 * k), CART_OK);
  return params;
}

static void solve_patients(job *work, int stride)
{
  double times[N_TIMES];
  for (int i = 0; i < N_TIMES; i++) {
    times[i] = i;
  }
  cart_solver *solver = cart_solver_new(cart_model_find("cart", NULL), NULL);
  work->status = CART_OK;
  for (int round = 0; round < ROUNDS; round++) {
    for (int k = work->first; k < N_PATIENTS; k += stride) {
      cart_params *params = patient(k);
      cart_solver_set_method(solver, k % 3 == 2 ? CART_METHOD_RK8PD : CART_METHOD_BDF);
      const int status =
          cart_solver_solve(solver, params, work->dosing, times, N_TIMES, work->states[k], NULL);
      if (status != CART_OK) {
        work->status = status;
      }
      cart_params_free(params);
    }
  }
  cart_solver_free(solver);
}

static void *thread_main(void *arg)
{
  solve_patients(arg, 2);
  return NULL;
}

START_TEST(test_two_threads_match_one)
{
  cart_dosing *dosing = cart_dosing_new(NULL);
  cart_dosing_add_cart(dosing, 20, 5e7, 0.3);
  cart_dosing_add_toci(dosing, 6.5, 8, CART_TOCI_DURATION_DAY_DEFAULT, 800);
  static job serial, a, b;
  serial = (job){.dosing = dosing, .first = 0};
  solve_patients(&serial, 1);
  ck_assert_int_eq(serial.status, CART_OK);

  a = (job){.dosing = dosing, .first = 0};
  b = (job){.dosing = dosing, .first = 1};
  pthread_t ta, tb;
  ck_assert_int_eq(pthread_create(&ta, NULL, thread_main, &a), 0);
  ck_assert_int_eq(pthread_create(&tb, NULL, thread_main, &b), 0);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  ck_assert_int_eq(a.status, CART_OK);
  ck_assert_int_eq(b.status, CART_OK);
  for (int k = 0; k < N_PATIENTS; k++) {
    const job *threaded = k % 2 == 0 ? &a : &b;
    ck_assert_msg(memcmp(serial.states[k], threaded->states[k], sizeof serial.states[k]) == 0,
                  "patient %d differs between one thread and two", k);
  }
  /* and the patients really differ from each other */
  ck_assert(memcmp(serial.states[0], serial.states[1], sizeof serial.states[0]) != 0);
  cart_dosing_free(dosing);
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("threads");
  TCase *tc = tcase_create("threads");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_two_threads_match_one);
  suite_add_tcase(suite, tc);
  return test_run(suite);
}
