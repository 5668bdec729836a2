/* trial.c: `cart trial [SCENARIO.ini] [-o FILE.h5] [-n N] [--seed S] [--threads K] [--force]`.
 *
 * Loads the scenario (or the built-in default), creates the HDF5 file before any solving (so a
 * bad path or an existing file fails at once), runs the patients block by block, writing each
 * finished block, and marks the file complete only at the end. Progress on stderr: a bar when
 * stderr is a terminal, one final line otherwise. Then the summary table on stdout. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cart/cart.h>

#include "cli.h"

/* Patients per block: results are written (and memory reused) block by block. */
#define DEFAULT_BLOCK 4096

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The whole file as a NUL-terminated string, or NULL (message printed). */
static char *read_file(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fail(EXIT_BAD_INPUT, "cannot read scenario '%s': %s", path, strerror(errno));
    return NULL;
  }
  size_t size = 0, capacity = 4096;
  char *text = malloc(capacity);
  size_t got;
  while (text != NULL && (got = fread(text + size, 1, capacity - size - 1, f)) > 0) {
    size += got;
    if (capacity - size - 1 == 0) {
      char *grown = realloc(text, 2 * capacity);
      if (grown == NULL) {
        free(text);
        text = NULL;
      }
      text = grown;
      capacity *= 2;
    }
  }
  const int read_error = ferror(f);
  fclose(f);
  if (text == NULL || read_error) {
    free(text);
    fail(EXIT_BAD_INPUT, "cannot read scenario '%s'", path);
    return NULL;
  }
  text[size] = '\0';
  return text;
}

static int parse_count(const char *option, const char *text, unsigned long long *value)
{
  char *end = NULL;
  errno = 0;
  if (text[0] == '-' || text[0] == '\0') {
    return fail(EXIT_BAD_INPUT, "%s %s: expected a non-negative integer", option, text);
  }
  *value = strtoull(text, &end, 10);
  if (*end != '\0' || errno != 0) {
    return fail(EXIT_BAD_INPUT, "%s %s: expected a non-negative integer", option, text);
  }
  return 0;
}

typedef struct progress_state {
  double start;
  int tty;
  size_t blocks, stop_after; /* stop_after: --stop-after-blocks (testing), 0 for none */
} progress_state;

/* After every block: a bar on a terminal, one final line otherwise. */
static int progress(size_t done, size_t total, void *data)
{
  progress_state *state = data;
  const double elapsed = now() - state->start;
  const double rate = elapsed > 0 ? (double)done / elapsed : 0;
  const int final = done == total;
  if (state->tty) {
    const int width = 30, filled = (int)(width * (double)done / (double)total);
    const double left = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu patients, %.0f/s, %02d:%02d left ", filled,
            "##############################", width - filled, "", done, total, rate,
            (int)left / 60, (int)left % 60);
    if (final) {
      fputc('\n', stderr);
    }
  } else if (final) {
    fprintf(stderr, "cart: %zu patients in %.2f s (%.0f patients/s)\n", done, elapsed, rate);
  }
  state->blocks++;
  return state->stop_after > 0 && state->blocks >= state->stop_after;
}

static void print_summary(const cart_trial_summary *s, const char *path)
{
  printf("trial summary (%s)\n", path);
  printf("  patients             %zu (%zu solved)\n", s->n_patients, s->n_solved);
  printf("  complete response    %.1f %%\n", 100 * s->cr_rate);
  printf("  overall response     %.1f %%\n", 100 * s->orr_rate);
  printf("  CRS any grade        %.1f %%   (IL-6 convention, not ASTCT grading)\n", 100 * s->crs_any_rate);
  printf("  CRS grade >= 3       %.1f %%\n", 100 * s->crs_grade3_rate);
  printf("  tocilizumab given    %.1f %%   (%.2f doses per patient)\n", 100 * s->toci_rate,
         s->toci_doses_mean);
  printf("  cmax                 %.4g cells/uL median (5-95%%: %.4g-%.4g)\n", s->cmax_p50,
         s->cmax_p5, s->cmax_p95);
  printf("  tmax                 %.4g day median (5-95%%: %.4g-%.4g)\n", s->tmax_p50, s->tmax_p5,
         s->tmax_p95);
  printf("  auc28                %.4g cells/uL*day median (5-95%%: %.4g-%.4g)\n", s->auc28_p50,
         s->auc28_p5, s->auc28_p95);
  printf("  B-cell aplasia       %.4g days median\n", s->aplasia_days_p50);
  printf("  relapse              %.1f %% of complete responders (%.1f %% of relapses antigen-negative)\n",
         100 * s->relapse_rate, 100 * s->relapse_negative_rate);
}

int cli_trial(int argc, char **argv)
{
  const char *scenario_path = NULL, *output = "cart-trial.h5";
  unsigned long long n_patients = 0, seed = 0, threads = 0, block_size = DEFAULT_BLOCK;
  unsigned long long max_blocks = 0;
  int have_n = 0, have_seed = 0, force = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    const int has_value = i + 1 < argc;
    int status = 0;
    if (strcmp(a, "--force") == 0) {
      force = 1;
    } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && has_value) {
      output = argv[++i];
    } else if ((strcmp(a, "-n") == 0 || strcmp(a, "--patients") == 0) && has_value) {
      status = parse_count(a, argv[++i], &n_patients);
      have_n = 1;
      if (status == 0 && n_patients == 0) {
        status = fail(EXIT_BAD_INPUT, "%s: a trial needs at least one patient", a);
      }
    } else if (strcmp(a, "--seed") == 0 && has_value) {
      status = parse_count(a, argv[++i], &seed);
      have_seed = 1;
    } else if (strcmp(a, "--threads") == 0 && has_value) {
      status = parse_count(a, argv[++i], &threads);
      if (status == 0 && (threads == 0 || threads > 1024)) {
        status = fail(EXIT_BAD_INPUT, "--threads %llu: expected 1..1024", threads);
      }
    } else if (strcmp(a, "--block") == 0 && has_value) {
      status = parse_count(a, argv[++i], &block_size);
      if (status == 0 && block_size == 0) {
        status = fail(EXIT_BAD_INPUT, "--block: must be at least 1");
      }
    } else if (strcmp(a, "--stop-after-blocks") == 0 && has_value) {
      status = parse_count(a, argv[++i], &max_blocks); /* testing: a run cut short */
    } else if (a[0] == '-' && a[1] != '\0') {
      status = fail(EXIT_BAD_INPUT, "unknown option '%s' for cart trial, or it needs a value "
                    "(see cart --help)", a);
    } else if (scenario_path == NULL) {
      scenario_path = a;
    } else {
      status = fail(EXIT_BAD_INPUT, "cart trial takes one scenario file, got '%s' and '%s'",
                    scenario_path, a);
    }
    if (status != 0) {
      return status;
    }
  }

  char *owned_text = scenario_path ? read_file(scenario_path) : NULL;
  if (scenario_path != NULL && owned_text == NULL) {
    return EXIT_BAD_INPUT;
  }
  const char *text = owned_text ? owned_text : cart_scenario_default();
  const char *source = scenario_path ? scenario_path : "<default scenario>";
  cart_error err;
  cart_error_clear(&err);
  int exit_status = 0;
  char *as_run = NULL;
  cart_trial *trial = cart_scenario_load(text, source, &err);
  if (trial == NULL) {
    exit_status = fail(EXIT_BAD_INPUT, "%s", err.message);
    goto cleanup;
  }
  if (have_n && cart_trial_set_n_patients(trial, (size_t)n_patients) != CART_OK) {
    exit_status = fail(EXIT_BAD_INPUT, "%s", cart_trial_last_error(trial)->message);
    goto cleanup;
  }
  if (have_seed) {
    cart_trial_set_seed(trial, (uint64_t)seed);
  }
  if (cart_trial_prepare(trial) != CART_OK) {
    exit_status = fail(EXIT_BAD_INPUT, "%s: %s", source, cart_trial_last_error(trial)->message);
    goto cleanup;
  }
  /* The scenario as run: the text, plus the command line's overrides as comments. */
  const size_t n = cart_trial_n_patients(trial);
  as_run = malloc(strlen(text) + 256);
  if (as_run == NULL) {
    exit_status = fail(EXIT_SOLVE_FAILED, "out of memory");
    goto cleanup;
  }
  sprintf(as_run, "%s%s# cart trial command line: n_patients = %zu, seed = %llu\n", text,
          text[0] && text[strlen(text) - 1] != '\n' ? "\n" : "", n,
          (unsigned long long)cart_trial_seed(trial));
  progress_state state = {now(), isatty(STDERR_FILENO), 0, (size_t)max_blocks};
  cart_trial_summary summary;
  const int status = cart_trial_run_file(trial, output, as_run, force, (size_t)block_size,
                                         (int)threads, progress, &state, &summary, &err);
  if (status != CART_OK) {
    exit_status = fail(status == CART_EEXIST ? EXIT_BAD_INPUT : EXIT_SOLVE_FAILED, "%s%s",
                       err.message, status == CART_ESTOPPED ? " (--stop-after-blocks)" : "");
    goto cleanup;
  }
  print_summary(&summary, output);
  if (summary.n_solved < summary.n_patients) {
    fprintf(stderr, "cart: %zu of %zu patients failed to solve (see /status in %s)\n",
            summary.n_patients - summary.n_solved, summary.n_patients, output);
  }

cleanup:
  cart_trial_free(trial);
  free(as_run);
  free(owned_text);
  return exit_status;
}
