/* bench_patients.c: the baselines' work (../shared/anchors/BASELINES.md) done with libcart.
 *
 * The first N patients of bench_params.csv (rows rho, gamma, delta_E, T0; every other parameter
 * of model `cart` keeps its MODEL.md default) are solved over days 0..365 with output every day,
 * at the library's default tolerances (rtol 1e-6; atol 1 cell, 1e-3 pg/mL, 1e-6 mg), one patient
 * after another by ONE solver made once (cart_solver_new before the clock starts,
 * cart_params_set and cart_solver_solve per patient). Several threads (OMP_NUM_THREADS, default
 * 1) each get their own solver and parameter set and take patients in chunks of 16 from a shared
 * counter, as cvode_cart's `schedule(dynamic, 16)`. Threads are POSIX threads: the benchmark
 * programs are not compiled with the OpenMP flags.
 *
 * Extinction (MODEL.md 3, on by default in the library since the events landed) is turned off,
 * as in the baselines ("only the t = 0 infusion: no extinction, no tocilizumab"); the option `ext`
 * keeps the library's default (n_ext = 1 cell), to see what the root finding costs.
 *
 * Usage: bench_patients PARAMS.csv N [METHOD] [ext] [--method METHOD] [--rtol X]
 *                       [--atol-scale S] [--dump FILE]
 *   METHOD        any name cart_method_from_name() takes ("bdf", "rk8pd", ...); default bdf
 *   --rtol X      relative tolerance (default: the library's, 1e-6); the absolute tolerances are
 *                 then the model's (MODEL.md 6: 1 cell, 1e-3 pg/mL, 1e-6 mg) times X / 1e-6,
 *                 the rule of bench/work_precision.sh, unless --atol-scale says otherwise
 *   --atol-scale S  absolute tolerances = the model's times S
 *   --dump FILE   writes per patient E and Tp + Tn on days 14, 28, 90 and 365 (CSV, %.17g),
 *                 after the clock stops
 * Prints one line in the baselines' format: tool, N, threads, rtol, wall seconds (CLOCK_MONOTONIC
 * around the solve loop only), patients/s, checksum (sum over patients, in patient order, of E on
 * day 365 plus Tp + Tn on day 28), then failures and the solver's counters per patient.
 * Exit status 1 if a patient failed or the input is bad. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cart/cart.h>

#include "bench_util.h"

enum { N_DAYS = 366, CHUNK = 16, N_REPORT = 4 };
static const int REPORT_DAYS[N_REPORT] = {14, 28, 90, 365}; /* --dump */

static const char *const VARIED[4] = {"rho", "gamma", "delta_E", "T0"};

typedef struct shared_work {
  const cart_model *model;
  cart_method method;
  const double *rows; /* n x 4 */
  size_t n;
  const double *times;
  atomic_size_t next;
  int param_index[4];
  int iE, iTp, iTn;
  double *report; /* per patient: E on the REPORT_DAYS, then Tp + Tn on them */
} shared_work;

typedef struct worker {
  shared_work *work;
  cart_solver *solver;
  cart_params *params;
  double *states; /* N_DAYS x n_states */
  size_t n_states;
  unsigned long failures, steps, failed_steps, events;
  int first_error;
  char first_message[320];
} worker;


static void *run_worker(void *arg)
{
  worker *w = arg;
  shared_work *s = w->work;
  for (;;) {
    const size_t begin = atomic_fetch_add(&s->next, CHUNK);
    if (begin >= s->n) {
      break;
    }
    const size_t end = begin + CHUNK < s->n ? begin + CHUNK : s->n;
    for (size_t i = begin; i < end; i++) {
      int status = CART_OK;
      for (int j = 0; j < 4 && status == CART_OK; j++) {
        status = cart_params_set_index(w->params, (size_t)s->param_index[j], s->rows[4 * i + (size_t)j]);
      }
      if (status == CART_OK) {
        status = cart_solver_solve(w->solver, w->params, NULL, s->times, N_DAYS, w->states, NULL);
      }
      if (status == CART_OK) {
        for (int k = 0; k < N_REPORT; k++) {
          const double *day = w->states + (size_t)REPORT_DAYS[k] * w->n_states;
          s->report[2 * N_REPORT * i + (size_t)k] = day[s->iE];
          s->report[2 * N_REPORT * i + N_REPORT + (size_t)k] = day[s->iTp] + day[s->iTn];
        }
        cart_solver_stats st;
        cart_solver_get_stats(w->solver, &st);
        w->steps += st.steps;
        w->failed_steps += st.failed_steps;
        w->events += st.events;
      } else {
        for (int k = 0; k < 2 * N_REPORT; k++) {
          s->report[2 * N_REPORT * i + (size_t)k] = 0;
        }
        if (w->failures++ == 0) {
          w->first_error = status;
          snprintf(w->first_message, sizeof w->first_message, "patient %zu: %s", i,
                   cart_solver_last_error(w->solver)->message);
        }
      }
    }
  }
  return NULL;
}


/* --dump: per patient E on days 14, 28, 90, 365, then Tp + Tn on the same days. 0 or -1. */
static int write_dump(const char *path, const shared_work *s, double rtol, double atol_scale)
{
  FILE *f = fopen(path, "w");
  if (f == NULL) {
    perror(path);
    return -1;
  }
  fprintf(f, "# bench_patients: libcart %s, method %s; rtol %g, atol %g x MODEL.md's\n",
          cart_version(), cart_method_name(s->method), rtol, atol_scale);
  fprintf(f, "patient,E14,E28,E90,E365,T14,T28,T90,T365\n");
  for (size_t i = 0; i < s->n; i++) {
    fprintf(f, "%zu", i);
    for (size_t k = 0; k < 2 * N_REPORT; k++) {
      fprintf(f, ",%.17g", s->report[2 * N_REPORT * i + k]);
    }
    fputc('\n', f);
  }
  if (fclose(f) != 0) {
    perror(path);
    return -1;
  }
  return 0;
}

int main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: %s PARAMS.csv N [METHOD] [ext] [--method METHOD] [--rtol X] "
                    "[--atol-scale S] [--dump FILE]\n", argv[0]);
    return 2;
  }
  const long n_arg = atol(argv[2]);
  if (n_arg <= 0) {
    fprintf(stderr, "N must be positive\n");
    return 2;
  }
  shared_work s;
  memset(&s, 0, sizeof s);
  s.method = CART_METHOD_BDF;
  int extinction = 0;
  double rtol = 0, atol_scale = 0; /* 0: not given */
  const char *dump = NULL;
  for (int a = 3; a < argc; a++) {
    const char *value = a + 1 < argc ? argv[a + 1] : NULL;
    if (strcmp(argv[a], "ext") == 0) {
      extinction = 1;
    } else if (strcmp(argv[a], "--rtol") == 0 || strcmp(argv[a], "--atol-scale") == 0) {
      char *end = NULL;
      const double x = value != NULL ? strtod(value, &end) : 0;
      if (value == NULL || end == value || *end != '\0' || !(x > 0)) {
        fprintf(stderr, "%s needs a positive number\n", argv[a]);
        return 2;
      }
      *(argv[a][2] == 'r' ? &rtol : &atol_scale) = x;
      a++;
    } else if (strcmp(argv[a], "--dump") == 0 || strcmp(argv[a], "--method") == 0) {
      if (value == NULL) {
        fprintf(stderr, "%s needs a value\n", argv[a]);
        return 2;
      }
      if (argv[a][2] == 'd') {
        dump = value;
      } else if (cart_method_from_name(value, &s.method) != CART_OK) {
        fprintf(stderr, "unknown method '%s'\n", value);
        return 2;
      }
      a++;
    } else if (cart_method_from_name(argv[a], &s.method) != CART_OK) {
      fprintf(stderr, "unknown option '%s' (a method such as bdf or rk8pd, ext, --method, --rtol, "
                      "--atol-scale or --dump)\n", argv[a]);
      return 2;
    }
  }
  if (atol_scale > 0 && rtol == 0) {
    rtol = CART_RTOL_DEFAULT;
  } else if (rtol > 0 && atol_scale == 0) {
    atol_scale = rtol / CART_RTOL_DEFAULT;
  }
#ifndef CART_N_EXT_DEFAULT
  if (extinction) {
    fprintf(stderr, "this libcart has no extinction events\n");
    return 2;
  }
#endif
  /* the header must be the one this program expects */
  {
    FILE *f = fopen(argv[1], "r");
    char line[512];
    int ok = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
      if (line[0] != '#') {
        ok = strncmp(line, "rho,gamma,delta_E,T0", 20) == 0;
        break;
      }
    }
    if (f != NULL) {
      fclose(f);
    }
    if (!ok) {
      fprintf(stderr, "%s: expected the header rho,gamma,delta_E,T0\n", argv[1]);
      return 2;
    }
  }
  double *rows = malloc(4 * (size_t)n_arg * sizeof *rows);
  if (rows == NULL) {
    return 2;
  }
  s.rows = rows;
  s.n = bench_read_rows(argv[1], (size_t)n_arg, rows);
  if (s.n == 0) {
    fprintf(stderr, "%s: no patients\n", argv[1]);
    return 2;
  }
  cart_error err;
  s.model = cart_model_find("cart", &err);
  if (s.model == NULL) {
    fprintf(stderr, "%s\n", err.message);
    return 2;
  }
  for (int j = 0; j < 4; j++) {
    s.param_index[j] = cart_model_param_index(s.model, VARIED[j]);
  }
  s.iE = cart_model_state_index(s.model, "E");
  s.iTp = cart_model_state_index(s.model, "Tp");
  s.iTn = cart_model_state_index(s.model, "Tn");
  double times[N_DAYS];
  for (int d = 0; d < N_DAYS; d++) {
    times[d] = d;
  }
  s.times = times;
  s.report = calloc(2 * N_REPORT * s.n, sizeof *s.report);
  const size_t n_states = cart_model_n_states(s.model);
  double *atol = calloc(n_states, sizeof *atol);
  if (s.report == NULL || atol == NULL) {
    return 2;
  }
  for (size_t i = 0; i < n_states; i++) {
    cart_state_info info;
    cart_model_state_info(s.model, i, &info);
    atol[i] = info.abs_tol * atol_scale;
  }

  int n_threads = 1;
  const char *env = getenv("OMP_NUM_THREADS");
  if (env != NULL && atoi(env) > 0) {
    n_threads = atoi(env);
  }
  worker *w = calloc((size_t)n_threads, sizeof *w);
  pthread_t *tid = calloc((size_t)n_threads, sizeof *tid);
  for (int t = 0; t < n_threads; t++) {
    w[t].work = &s;
    w[t].n_states = n_states;
    w[t].solver = cart_solver_new(s.model, &err);
    w[t].params = w[t].solver ? cart_params_new(s.model, &err) : NULL;
    w[t].states = malloc(N_DAYS * n_states * sizeof(double));
    if (w[t].params == NULL || w[t].states == NULL ||
        cart_solver_set_method(w[t].solver, s.method) != CART_OK ||
        (rtol > 0 && cart_solver_set_tolerances(w[t].solver, rtol, atol) != CART_OK)
#ifdef CART_N_EXT_DEFAULT
        || cart_solver_set_extinction(w[t].solver, extinction ? CART_N_EXT_DEFAULT : 0.0) != CART_OK
#endif
    ) {
      fprintf(stderr, "cannot make solver %d: %s\n", t, err.message);
      return 2;
    }
  }
  atomic_init(&s.next, 0);

  const double start = bench_now();
  for (int t = 1; t < n_threads; t++) {
    if (pthread_create(&tid[t], NULL, run_worker, &w[t]) != 0) {
      fprintf(stderr, "pthread_create failed\n");
      return 2;
    }
  }
  run_worker(&w[0]);
  for (int t = 1; t < n_threads; t++) {
    pthread_join(tid[t], NULL);
  }
  const double wall = bench_now() - start;

  double checksum = 0;
  for (size_t i = 0; i < s.n; i++) {
    checksum += s.report[2 * N_REPORT * i + 3] + s.report[2 * N_REPORT * i + N_REPORT + 1];
  }
  unsigned long failures = 0, steps = 0, failed_steps = 0, events = 0;
  for (int t = 0; t < n_threads; t++) {
    failures += w[t].failures;
    steps += w[t].steps;
    failed_steps += w[t].failed_steps;
    events += w[t].events;
    if (w[t].failures > 0) {
      fprintf(stderr, "thread %d: %lu failures, first: %s (%s)\n", t, w[t].failures,
              w[t].first_message, cart_strerror(w[t].first_error));
    }
  }
  const double solved = s.n > failures ? (double)(s.n - failures) : 1;
  printf("tool=libcart-%s%s N=%zu threads=%d rtol=%g wall_s=%.3f patients_per_s=%.1f "
         "checksum=%.10e failures=%lu steps/patient=%.0f failed_steps/patient=%.1f "
         "events/patient=%.1f\n",
         cart_method_name(s.method), extinction ? "-ext" : "", s.n, n_threads,
         rtol > 0 ? rtol : CART_RTOL_DEFAULT, wall, (double)s.n / wall, checksum, failures,
         (double)steps / solved, (double)failed_steps / solved, (double)events / solved);
  int status = failures != 0;
  if (dump != NULL && write_dump(dump, &s, rtol > 0 ? rtol : CART_RTOL_DEFAULT,
                                 atol_scale > 0 ? atol_scale : 1.0) != 0) {
    status = 2;
  }
  for (int t = 0; t < n_threads; t++) {
    cart_solver_free(w[t].solver);
    cart_params_free(w[t].params);
    free(w[t].states);
  }
  free(w);
  free(tid);
  free(rows);
  free(s.report);
  free(atol);
  return status;
}
