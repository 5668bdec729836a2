/* check_summary.c: the summary's exact percentiles. The multi-pass selection (lib/trial/select.c)
 * against sorting everything (the rule summary.c used before it) on adversarial columns: ties,
 * all equal, NaN, n = 1 and 2, lengths that are no multiple of the chunk, values a last bit
 * apart, -0 and +0, infinities, denormals and the whole double range; with tiny chunks and
 * brackets forced through the internal hook, so every pass and both ways of ending (a collected
 * bracket, a bracket of one bit pattern) run. Then the accumulator in memory and with a reader,
 * and the summary read back from an HDF5 file, against the accumulator fed the same blocks. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/trial/select.h"
#include "../lib/trial/summary_impl.h"
#include "test_util.h"

/* ---- a column in memory, read in chunks; it counts passes and checks the chunk bound ---- */

typedef struct column {
  const double *values;
  size_t n, chunk;
  size_t passes, reads;
  int fail_at_read;  /* > 0: that read returns CART_EIO */
  int change_after;  /* > 0: from that pass on, the column reads differently */
} column;

static int read_column(void *data, size_t first, size_t count, double *values)
{
  column *c = data;
  ck_assert_uint_ge(count, 1);
  ck_assert_uint_le(count, c->chunk);
  ck_assert_uint_le(first + count, c->n);
  c->passes += first == 0;
  c->reads++;
  if (c->fail_at_read > 0 && c->reads == (size_t)c->fail_at_read) {
    return CART_EIO;
  }
  memcpy(values, c->values + first, count * sizeof *values);
  if (c->change_after > 0 && c->passes > (size_t)c->change_after) {
    values[0] = isnan(values[0]) ? 1.0 : NAN; /* one number more or fewer */
  }
  return CART_OK;
}

static int same_bits(double a, double b)
{
  return memcmp(&a, &b, sizeof a) == 0;
}

static const double quantiles[] = {0, 5, 50, 95, 100, 33.3, 99.9, 0.1};
#define N_QUANTILES (sizeof quantiles / sizeof *quantiles)

/* The selection equals the reference for every quantile and every pair of limits; returns the
 * most passes one call took. */
static size_t check_column(const char *what, const double *values, size_t n)
{
  static const cartp_select_limits limits[] = {
      {1, 0}, {1, 1}, {2, 3}, {3, 0}, {7, 2}, {64, 5}, {1000, 0}, {65536, 65536}};
  double expected[N_QUANTILES];
  for (size_t j = 0; j < N_QUANTILES; j++) {
    expected[j] = test_sorted_percentile(values, n, quantiles[j]);
  }
  size_t most = 0;
  for (size_t l = 0; l < sizeof limits / sizeof *limits; l++) {
    column c = {values, n, limits[l].chunk, 0, 0, 0, 0};
    double got[N_QUANTILES];
    ck_assert_int_eq(cartp_percentiles(read_column, &c, n, quantiles, N_QUANTILES, &limits[l], got),
                     CART_OK);
    for (size_t j = 0; j < N_QUANTILES; j++) {
      ck_assert_msg(same_bits(got[j], expected[j]),
                    "%s (n = %zu), q = %g, chunk %zu, bracket %zu: %.17g, sorting gives %.17g",
                    what, n, quantiles[j], limits[l].chunk, limits[l].max_candidates, got[j],
                    expected[j]);
    }
    most = c.passes > most ? c.passes : most;
  }
  return most;
}

static uint64_t next_random(uint64_t *state)
{
  uint64_t z = (*state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static double uniform(uint64_t *state)
{
  return (double)(next_random(state) >> 11) * 0x1.0p-53;
}

START_TEST(test_select_small_and_equal)
{
  const double one[1] = {3.25};
  check_column("n = 1", one, 1);
  const double two[2] = {7, -2};
  check_column("n = 2", two, 2);
  const double nan_one[1] = {NAN};
  check_column("one NaN", nan_one, 1);
  check_column("empty", one, 0);
  double equal[1001];
  for (size_t i = 0; i < 1001; i++) {
    equal[i] = 3.5;
  }
  /* a bracket that never shrinks below 1001: refined to one bit pattern (three passes on) */
  ck_assert_uint_ge(check_column("all equal", equal, 1001), 4);
  double nans[100];
  for (size_t i = 0; i < 100; i++) {
    nans[i] = NAN;
  }
  check_column("all NaN", nans, 100);
  nans[42] = -1.5;
  check_column("one number among NaN", nans, 100);
}
END_TEST

START_TEST(test_select_ties_and_nan)
{
  uint64_t state = 11;
  static double values[4099];
  const size_t sizes[] = {2, 3, 10, 63, 64, 65, 999, 4097, 4099};
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    const size_t n = sizes[s];
    for (size_t i = 0; i < n; i++) {
      const uint64_t r = next_random(&state) % 5;
      values[i] = r == 0 ? NAN : (double)r; /* ties of 1, 2, 3, 4 with NaN between */
    }
    check_column("ties and NaN", values, n);
    for (size_t i = 0; i < n; i++) {
      values[i] = uniform(&state) < 0.3 ? NAN : 100 * uniform(&state) - 50;
    }
    check_column("uniform with NaN", values, n);
  }
}
END_TEST

START_TEST(test_select_last_bit_and_zeros)
{
  static double values[3000];
  uint64_t state = 5;
  /* values a last bit apart: 1.0 and its 40 neighbours above, shuffled, with repeats */
  double x = 1.0;
  double neighbours[40];
  for (size_t i = 0; i < 40; i++) {
    neighbours[i] = x;
    x = nextafter(x, INFINITY);
  }
  for (size_t i = 0; i < 3000; i++) {
    values[i] = neighbours[next_random(&state) % 40];
  }
  check_column("last bit", values, 3000);
  for (size_t i = 0; i < 3000; i++) {
    values[i] = -neighbours[next_random(&state) % 40];
  }
  check_column("last bit, negative", values, 3000);
  /* -0 and +0 mixed, with the smallest denormals on both sides */
  const double zeros[] = {0.0, -0.0, 4.9406564584124654e-324, -4.9406564584124654e-324, -0.0};
  for (size_t i = 0; i < 3000; i++) {
    values[i] = zeros[next_random(&state) % 5];
  }
  check_column("+-0 and denormals", values, 3000);
  for (size_t i = 0; i < 1000; i++) {
    values[i] = next_random(&state) % 2 ? 0.0 : -0.0;
  }
  check_column("+-0 only", values, 1000);
  check_column("+-0, n = 2", values, 2);
}
END_TEST

START_TEST(test_select_huge_range)
{
  static double values[5000];
  uint64_t state = 99;
  const double extremes[] = {DBL_MAX, -DBL_MAX, DBL_MIN, -DBL_MIN, 1e-308, -1e308, 1e308,
                             4.9406564584124654e-324, INFINITY, -INFINITY, 0.0, -0.0, NAN};
  const size_t n_extremes = sizeof extremes / sizeof *extremes;
  for (size_t i = 0; i < 5000; i++) {
    const uint64_t r = next_random(&state);
    if (r % 3 == 0) {
      values[i] = extremes[(r >> 8) % n_extremes];
    } else {
      /* any finite double: random bits, NaN and infinity redrawn */
      uint64_t bits = next_random(&state);
      memcpy(&values[i], &bits, sizeof bits);
      if (!isfinite(values[i])) {
        values[i] = ldexp(uniform(&state) - 0.5, (int)(r % 2000) - 1000);
      }
    }
  }
  check_column("huge range", values, 5000);
  check_column("huge range, n = 4097", values, 4097);
  /* no infinities: the interpolation stays finite where sorting's does */
  for (size_t i = 0; i < 5000; i++) {
    if (isinf(values[i])) {
      values[i] = 1e300;
    }
  }
  check_column("huge range, finite", values, 5000);
  /* sorted and reverse-sorted input */
  qsort(values, 5000, sizeof *values, test_compare_doubles);
  check_column("sorted", values, 5000);
  for (size_t i = 0; i < 2500; i++) {
    const double t = values[i];
    values[i] = values[4999 - i];
    values[4999 - i] = t;
  }
  check_column("reverse sorted", values, 5000);
}
END_TEST

START_TEST(test_select_many_values)
{
  /* more values than a bracket holds by default: the default limits refine before collecting */
  const size_t n = 300000;
  double *values = malloc(n * sizeof *values);
  ck_assert_ptr_nonnull(values);
  uint64_t state = 3;
  for (size_t i = 0; i < n; i++) {
    /* all in one top-16-bit bracket of 1 + [0, 1/16): it must be refined before it is collected */
    values[i] = i % 97 == 0 ? NAN : 1.0 + 0.01 * uniform(&state);
  }
  double expected[N_QUANTILES], got[N_QUANTILES];
  for (size_t j = 0; j < N_QUANTILES; j++) {
    expected[j] = test_sorted_percentile(values, n, quantiles[j]);
  }
  column c = {values, n, CARTP_SELECT_CHUNK, 0, 0, 0, 0};
  ck_assert_int_eq(cartp_percentiles(read_column, &c, n, quantiles, N_QUANTILES, NULL, got),
                   CART_OK);
  for (size_t j = 0; j < N_QUANTILES; j++) {
    ck_assert_msg(same_bits(got[j], expected[j]), "q = %g: %.17g, sorting gives %.17g",
                  quantiles[j], got[j], expected[j]);
  }
  ck_assert_uint_ge(c.passes, 3); /* count + histogram, a refinement, the collected bracket */
  free(values);
}
END_TEST

START_TEST(test_select_errors)
{
  double values[100];
  for (size_t i = 0; i < 100; i++) {
    values[i] = (double)(i % 7);
  }
  const double q[2] = {5, 95};
  double out[2] = {0, 0};
  const cartp_select_limits tiny = {8, 0};
  /* the reader's error passes through, with NaN, never a number */
  column c = {values, 100, 8, 0, 0, 20, 0};
  ck_assert_int_eq(cartp_percentiles(read_column, &c, 100, q, 2, &tiny, out), CART_EIO);
  ck_assert(isnan(out[0]) && isnan(out[1]));
  /* a column that reads differently in a later pass is caught, not answered */
  for (int after = 1; after <= 3; after++) {
    column d = {values, 100, 8, 0, 0, 0, after};
    out[0] = out[1] = 0;
    ck_assert_int_eq(cartp_percentiles(read_column, &d, 100, q, 2, &tiny, out), CART_EIO);
    ck_assert(isnan(out[0]) && isnan(out[1]));
  }
  column e = {values, 100, 8, 0, 0, 0, 1};
  const cartp_select_limits collect = {8, 1000};
  ck_assert_int_eq(cartp_percentiles(read_column, &e, 100, q, 2, &collect, out), CART_EIO);
  /* bad arguments */
  const cartp_select_limits no_chunk = {0, 10};
  column f = {values, 100, 100, 0, 0, 0, 0};
  ck_assert_int_eq(cartp_percentiles(read_column, &f, 100, q, 2, &no_chunk, out), CART_EINVAL);
  ck_assert_int_eq(cartp_percentiles(NULL, &f, 100, q, 2, NULL, out), CART_EINVAL);
  const double bad_q[1] = {101};
  ck_assert_int_eq(cartp_percentiles(read_column, &f, 100, bad_q, 1, NULL, out), CART_EINVAL);
  const double nan_q[1] = {NAN};
  ck_assert_int_eq(cartp_percentiles(read_column, &f, 100, nan_q, 1, NULL, out), CART_EINVAL);
  ck_assert_int_eq(cartp_percentiles(read_column, &f, 100, q, CARTP_SELECT_MAX_Q + 1, NULL, out),
                   CART_EINVAL);
}
END_TEST

/* ---- the accumulator ---- */

/* A block of n made-up patients: every third failed, some NaN values, ties. */
static cart_trial_block *made_up_block(cart_trial *trial, size_t n, uint64_t seed)
{
  cart_trial_block *block = cart_trial_block_new(trial, n, NULL);
  ck_assert_ptr_nonnull(block);
  uint64_t state = seed;
  for (size_t k = 0; k < n; k++) {
    double *e = block->endpoints + k * CART_N_ENDPOINTS;
    for (size_t j = 0; j < CART_N_ENDPOINTS; j++) {
      e[j] = (double)(next_random(&state) % 4);
    }
    e[CART_ENDPOINT_CMAX] = 100 * uniform(&state);
    e[CART_ENDPOINT_TMAX] = (double)(next_random(&state) % 3); /* ties */
    e[CART_ENDPOINT_AUC28] = k % 5 == 0 ? NAN : -uniform(&state);
    e[CART_ENDPOINT_APLASIA_DAYS] = k % 2 ? NAN : 0.0;
    e[CART_ENDPOINT_RELAPSE_DAY] = k % 4 ? NAN : 30.0;
    e[CART_ENDPOINT_TOCI_DOSES] = (double)(next_random(&state) % 12); /* some above the levels */
    e[CART_ENDPOINT_IL6_PEAK] = 1e6 * uniform(&state) + 1e-3 * uniform(&state); /* sums round */
    block->status[k] = k % 3 == 2 ? CART_EMAXSTEPS : CART_OK;
  }
  return block;
}

/* The reader of the accumulator tests: the block's column, NaN for patients not solved. */
static int read_block(void *data, size_t endpoint, size_t first, size_t count, double *values)
{
  const cart_trial_block *block = data;
  for (size_t k = 0; k < count; k++) {
    const size_t row = first + k;
    values[k] = block->status[row] == CART_OK ? block->endpoints[row * CART_N_ENDPOINTS + endpoint]
                                              : NAN;
  }
  return CART_OK;
}

/* The solved patients' values of one endpoint, for the reference. */
static double reference(const cart_trial_block *block, size_t endpoint, double q)
{
  double *values = malloc(block->count * sizeof *values);
  ck_assert_ptr_nonnull(values);
  size_t m = 0;
  for (size_t k = 0; k < block->count; k++) {
    if (block->status[k] == CART_OK) {
      values[m++] = block->endpoints[k * CART_N_ENDPOINTS + endpoint];
    }
  }
  const double result = test_sorted_percentile(values, m, q);
  free(values);
  return result;
}

/* Every endpoint's summary against sorting, counting and a long double sum of the solved
 * patients' values. */
static void check_endpoints_against_reference(const cart_trial_summary *s,
                                              const cart_trial_block *block)
{
  static const double q[] = {5, 25, 50, 75, 95};
  ck_assert_uint_eq(s->n_endpoints, CART_N_ENDPOINTS);
  double *values = malloc((block->count ? block->count : 1) * sizeof *values);
  ck_assert_ptr_nonnull(values);
  for (size_t e = 0; e < CART_N_ENDPOINTS; e++) {
    cart_endpoint_info info;
    cart_endpoint_get_info(e, &info);
    const cart_endpoint_summary *got = &s->endpoints[e];
    size_t m = 0, numbers = 0, level[CART_SUMMARY_MAX_LEVEL + 1] = {0}, above = 0;
    long double sum = 0;
    for (size_t k = 0; k < block->count; k++) {
      if (block->status[k] != CART_OK) {
        continue;
      }
      const double x = block->endpoints[k * CART_N_ENDPOINTS + e];
      values[m++] = x;
      if (isnan(x)) {
        continue;
      }
      numbers++;
      sum += x;
      for (size_t v = 0; info.is_integer && v <= CART_SUMMARY_MAX_LEVEL; v++) {
        level[v] += x == (double)v;
      }
      above += info.is_integer && x > CART_SUMMARY_MAX_LEVEL;
    }
    ck_assert_uint_eq(got->n_number, numbers);
    if (numbers == 0) {
      ck_assert(isnan(got->mean));
    } else {
      const double mean = (double)(sum / (long double)numbers);
      ck_assert_msg(fabs(got->mean - mean) <= 1e-15 * fabs(mean), "%s: mean %.17g, expected %.17g",
                    info.name, got->mean, mean);
    }
    const double pct[] = {got->p5, got->p25, got->p50, got->p75, got->p95};
    for (size_t j = 0; j < sizeof q / sizeof *q; j++) {
      const double expected = test_sorted_percentile(values, m, q[j]);
      ck_assert_msg(same_bits(pct[j], expected), "%s p%g: %.17g, sorting gives %.17g", info.name,
                    q[j], pct[j], expected);
    }
    for (size_t v = 0; v <= CART_SUMMARY_MAX_LEVEL; v++) {
      ck_assert_msg(got->n_level[v] == level[v], "%s: %zu at %zu, expected %zu", info.name,
                    got->n_level[v], v, level[v]);
    }
    ck_assert_uint_eq(got->n_above, above);
  }
  free(values);
}

static void check_against_reference(const cart_trial_summary *s, const cart_trial_block *block)
{
  check_endpoints_against_reference(s, block);
  const struct {
    double got;
    size_t endpoint;
    double q;
  } fields[] = {{s->cmax_p5, CART_ENDPOINT_CMAX, 5},       {s->cmax_p50, CART_ENDPOINT_CMAX, 50},
                {s->cmax_p95, CART_ENDPOINT_CMAX, 95},     {s->tmax_p5, CART_ENDPOINT_TMAX, 5},
                {s->tmax_p50, CART_ENDPOINT_TMAX, 50},     {s->tmax_p95, CART_ENDPOINT_TMAX, 95},
                {s->auc28_p5, CART_ENDPOINT_AUC28, 5},     {s->auc28_p50, CART_ENDPOINT_AUC28, 50},
                {s->auc28_p95, CART_ENDPOINT_AUC28, 95},
                {s->aplasia_days_p50, CART_ENDPOINT_APLASIA_DAYS, 50}};
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
    const double expected = reference(block, fields[i].endpoint, fields[i].q);
    ck_assert_msg(same_bits(fields[i].got, expected), "field %zu: %.17g, sorting gives %.17g", i,
                  fields[i].got, expected);
  }
}

START_TEST(test_acc_memory_and_reader)
{
  cart_trial *trial = test_trial_new(1);
  const size_t sizes[] = {1, 2, 3, 257, 1000};
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    const size_t n = sizes[s];
    cart_trial_block *block = made_up_block(trial, n, 17 + n);
    block->first = 0;
    block->count = n;
    const cartp_select_limits tiny = {3, 2};
    cart_summary_acc *memory = cart_summary_acc_new(cart_trial_model(trial), n, NULL);
    cart_summary_acc *reader =
        cart_summary_acc_new_reader(cart_trial_model(trial), n, read_block, block, NULL);
    cart_summary_acc *memory_tiny = cart_summary_acc_new(cart_trial_model(trial), n, NULL);
    cart_summary_acc *reader_tiny =
        cart_summary_acc_new_reader(cart_trial_model(trial), n, read_block, block, NULL);
    ck_assert(memory && reader && memory_tiny && reader_tiny);
    cartp_summary_acc_set_limits(memory_tiny, &tiny, 0);
    cartp_summary_acc_set_limits(reader_tiny, &tiny, 0); /* every pass reads the reader */
    /* added in two blocks, as a run would */
    const size_t half = n / 2;
    cart_summary_acc *all[4] = {memory, reader, memory_tiny, reader_tiny};
    for (size_t a = 0; a < 4; a++) {
      cart_trial_block part = *block;
      part.count = half;
      ck_assert_int_eq(cart_summary_acc_add(all[a], &part), CART_OK);
      part.first = half;
      part.count = n - half;
      part.endpoints = block->endpoints + half * CART_N_ENDPOINTS;
      part.status = block->status + half;
      ck_assert_int_eq(cart_summary_acc_add(all[a], &part), CART_OK);
    }
    cart_trial_summary summaries[4];
    for (size_t a = 0; a < 4; a++) {
      ck_assert_int_eq(cart_summary_acc_get(all[a], &summaries[a]), CART_OK);
      check_against_reference(&summaries[a], block);
      /* the oncology percentiles are the endpoints' own, bit for bit */
      ck_assert(same_bits(summaries[a].cmax_p95, summaries[a].endpoints[CART_ENDPOINT_CMAX].p95));
      ck_assert(same_bits(summaries[a].aplasia_days_p50,
                          summaries[a].endpoints[CART_ENDPOINT_APLASIA_DAYS].p50));
      ck_assert_int_eq(memcmp(&summaries[a], &summaries[0], sizeof summaries[0]), 0);
      cart_summary_acc_free(all[a]);
    }
    ck_assert_uint_eq(summaries[0].n_patients, n);
    ck_assert_uint_eq(summaries[0].n_solved, n - n / 3);
    cart_trial_block_free(block);
  }
  ck_assert_ptr_null(cart_summary_acc_new_reader(cart_trial_model(trial), 5, NULL, NULL, NULL));
  cart_error err;
  ck_assert_ptr_null(cart_summary_acc_new(NULL, 5, &err));
  ck_assert_int_eq(err.code, CART_EINVAL);
  ck_assert_ptr_null(cart_summary_acc_new_reader(NULL, 5, read_block, NULL, &err));
  ck_assert_int_eq(err.code, CART_EINVAL);
  /* a block of another model (stein: 3 endpoints) is refused */
  cart_trial *stein = cart_trial_new(cart_model_find("stein", NULL), &err);
  ck_assert_ptr_nonnull(stein);
  cart_trial_block *other = cart_trial_block_new(stein, 2, NULL);
  ck_assert_ptr_nonnull(other);
  other->first = 0;
  other->count = 0;
  cart_summary_acc *acc = cart_summary_acc_new(cart_trial_model(trial), 5, NULL);
  ck_assert_int_eq(cart_summary_acc_add(acc, other), CART_EINVAL);
  cart_summary_acc_free(acc);
  cart_trial_block_free(other);
  cart_trial_free(stein);
  cart_trial_free(trial);
}
END_TEST

/* ---- the summary read back from an HDF5 file ---- */

START_TEST(test_h5_summarize)
{
  const size_t n = 37, block_size = 5;
  cart_trial *trial = test_trial_new(n);
  cart_trial_block *block = cart_trial_block_new(trial, block_size, NULL);
  ck_assert_ptr_nonnull(block);
  char path[] = "/tmp/check_summary_XXXXXX";
  const int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  cart_error err;
  cart_h5_file *file = cart_h5_file_new(path, trial, "", 1, block_size, &err);
  ck_assert_msg(file != NULL, "%s", err.message);
  cart_summary_acc *memory = cart_summary_acc_new(cart_trial_model(trial), n, NULL);
  cart_trial_summary from_memory, from_file;
  for (size_t first = 0; first < n; first += block_size) {
    const size_t count = n - first < block_size ? n - first : block_size;
    ck_assert_int_eq(test_run_block(trial, first, count, 1, block), CART_OK);
    if (first == 10) { /* a failed patient, as a run records one */
      block->status[1] = CART_EMAXSTEPS;
      for (size_t e = 0; e < CART_N_ENDPOINTS; e++) {
        block->endpoints[CART_N_ENDPOINTS + e] = NAN;
      }
    }
    ck_assert_int_eq(cart_h5_write_block(file, block), CART_OK);
    ck_assert_int_eq(cart_summary_acc_add(memory, block), CART_OK);
    if (first == 15) {
      /* part of the file: rows not yet written count as patients not solved */
      ck_assert_int_eq(cart_h5_summarize(file, &from_file), CART_OK);
      ck_assert_int_eq(cart_summary_acc_get(memory, &from_memory), CART_OK);
      ck_assert_uint_eq(from_file.n_patients, n);
      ck_assert_uint_eq(from_file.n_solved, from_memory.n_solved);
      ck_assert(same_bits(from_file.cmax_p50, from_memory.cmax_p50));
      ck_assert(same_bits(from_file.auc28_p95, from_memory.auc28_p95));
      ck_assert(same_bits(from_file.aplasia_days_p50, from_memory.aplasia_days_p50));
    }
  }
  ck_assert_int_eq(cart_h5_summarize(file, &from_file), CART_OK);
  ck_assert_int_eq(cart_summary_acc_get(memory, &from_memory), CART_OK);
  ck_assert_uint_eq(from_memory.n_solved, n - 1);
  ck_assert_int_eq(memcmp(&from_file, &from_memory, sizeof from_file), 0);
  ck_assert_int_eq(cart_h5_summarize(file, NULL), CART_EINVAL);
  ck_assert_int_eq(cart_h5_summarize(NULL, &from_file), CART_EINVAL);
  ck_assert_int_eq(cart_h5_finish(file, &from_file), CART_OK);
  ck_assert_int_eq(cart_h5_file_free(file), CART_OK);
  /* cart_trial_run_file writes the same summary */
  cart_trial_summary run;
  cart_trial_run_options options;
  cart_trial_run_options_default(&options);
  options.scenario_text = "";
  options.force = 1;
  options.block_size = block_size;
  options.n_threads = 2;
  ck_assert_int_eq(cart_trial_run_file(trial, path, &options, &run, &err), CART_OK);
  /* and so do the defaults (NULL options: one block of 4096, OpenMP's threads), but an existing
   * file is kept without force */
  cart_trial_summary run_defaults;
  ck_assert_int_eq(cart_trial_run_file(trial, path, NULL, &run_defaults, &err), CART_EEXIST);
  remove(path);
  ck_assert_int_eq(cart_trial_run_file(trial, path, NULL, &run_defaults, &err), CART_OK);
  ck_assert_int_eq(memcmp(&run, &run_defaults, sizeof run), 0);
  cart_summary_acc *again = cart_summary_acc_new(cart_trial_model(trial), n, NULL);
  for (size_t first = 0; first < n; first += block_size) {
    const size_t count = n - first < block_size ? n - first : block_size;
    ck_assert_int_eq(test_run_block(trial, first, count, 1, block), CART_OK);
    ck_assert_int_eq(cart_summary_acc_add(again, block), CART_OK);
  }
  ck_assert_int_eq(cart_summary_acc_get(again, &from_memory), CART_OK);
  ck_assert_int_eq(memcmp(&run, &from_memory, sizeof run), 0);
  remove(path);
  cart_summary_acc_free(again);
  cart_summary_acc_free(memory);
  cart_trial_block_free(block);
  cart_trial_free(trial);
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("summary");
  TCase *tc = tcase_create("summary");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_select_small_and_equal);
  tcase_add_test(tc, test_select_ties_and_nan);
  tcase_add_test(tc, test_select_last_bit_and_zeros);
  tcase_add_test(tc, test_select_huge_range);
  tcase_add_test(tc, test_select_many_values);
  tcase_add_test(tc, test_select_errors);
  tcase_add_test(tc, test_acc_memory_and_reader);
  tcase_add_test(tc, test_h5_summarize);
  suite_add_tcase(suite, tc);
  return test_run(suite);
}
