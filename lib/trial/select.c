/* select.c: exact percentiles by a multi-pass radix selection over a column read in chunks (see
 * select.h). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart_errno.h>

#include "select.h"

/* 16 bits per pass: a 64-bit key is pinned down in at most four passes after the first, with
 * histograms of 512 KiB. */
#define DIGIT_BITS 16
#define N_BUCKETS ((size_t)1 << DIGIT_BITS)
#define SIGN_BIT ((uint64_t)1 << 63)

/* Doubles as unsigned integers in numeric order: a negative number's bits flipped whole, a
 * positive number's sign bit set. -0 lands just below +0, which the percentile rule cannot tell
 * apart (a zero it interpolates from comes out +0 either way). */
static uint64_t key_of(double x)
{
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  return (u & SIGN_BIT) ? ~u : u | SIGN_BIT;
}

static double value_of(uint64_t key)
{
  const uint64_t u = (key & SIGN_BIT) ? key & ~SIGN_BIT : ~key;
  double x;
  memcpy(&x, &u, sizeof x);
  return x;
}

/* One wanted order statistic: the bracket of keys that share its top `depth` bits holds `count`
 * numbers, `rank` of them below it. */
typedef struct target {
  size_t rank, count;
  uint64_t prefix;
  int depth;
  int collecting, done;
  size_t *histogram;  /* N_BUCKETS counts of the next digit, while refining */
  uint64_t *candidates; /* the bracket's keys, while collecting */
  size_t n_candidates;
  double value;
} target;

static int in_bracket(const target *t, uint64_t key)
{
  return t->depth == 0 || key >> (64 - t->depth) == t->prefix;
}

static size_t digit(uint64_t key, int depth)
{
  return (size_t)(key >> (64 - depth - DIGIT_BITS)) & (N_BUCKETS - 1);
}

/* One pass over the column: counts its numbers and feeds every active target's bracket. A
 * target's candidates never exceed the count its bracket had: more means the column changed. */
static int scan(cartp_read_fn read, void *data, size_t n, size_t chunk, double *buffer,
                target *targets, size_t n_targets, size_t *numbers, int *overflow)
{
  *numbers = 0;
  for (size_t first = 0; first < n; first += chunk) {
    const size_t count = n - first < chunk ? n - first : chunk;
    const int status = read(data, first, count, buffer);
    if (status != CART_OK) {
      return status;
    }
    for (size_t i = 0; i < count; i++) {
      if (isnan(buffer[i])) {
        continue;
      }
      ++*numbers;
      const uint64_t key = key_of(buffer[i]);
      for (size_t j = 0; j < n_targets; j++) {
        target *t = &targets[j];
        if (t->done || !in_bracket(t, key)) {
          continue;
        }
        if (!t->collecting) {
          t->histogram[digit(key, t->depth)]++;
        } else if (t->n_candidates < t->count) {
          t->candidates[t->n_candidates++] = key;
        } else {
          *overflow = 1;
        }
      }
    }
  }
  return CART_OK;
}

/* Narrows t to the bucket of its histogram that holds its rank. 0, or -1 when the histogram does
 * not add up to the bracket's count (the column changed). */
static int descend(target *t)
{
  size_t below = 0, total = 0;
  size_t chosen = N_BUCKETS;
  for (size_t b = 0; b < N_BUCKETS; b++) {
    if (chosen == N_BUCKETS && below + t->histogram[b] > t->rank) {
      chosen = b;
    } else if (chosen == N_BUCKETS) {
      below += t->histogram[b];
    }
    total += t->histogram[b];
  }
  if (total != t->count || chosen == N_BUCKETS) {
    return -1;
  }
  t->rank -= below;
  t->count = t->histogram[chosen];
  t->prefix = t->depth == 0 ? chosen : t->prefix << DIGIT_BITS | chosen;
  t->depth += DIGIT_BITS;
  return 0;
}

static int compare_keys(const void *a, const void *b)
{
  const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Finds the order statistics of targets[0..n_targets) (ranks among the m numbers set). */
static int select_ranks(cartp_read_fn read, void *data, size_t n, size_t m, size_t chunk,
                        size_t max_candidates, double *buffer, target *targets, size_t n_targets)
{
  for (;;) {
    size_t active = 0;
    for (size_t j = 0; j < n_targets; j++) {
      target *t = &targets[j];
      if (t->done) {
        continue;
      }
      if (t->count <= max_candidates) {
        t->collecting = 1;
        t->n_candidates = 0;
        free(t->histogram);
        t->histogram = NULL;
        t->candidates = malloc((t->count ? t->count : 1) * sizeof *t->candidates);
        if (t->candidates == NULL) {
          return CART_ENOMEM;
        }
      } else if (t->depth == 64) {
        t->value = value_of(t->prefix); /* every number in the bracket has these bits */
        t->done = 1;
        continue;
      } else {
        if (t->histogram == NULL && (t->histogram = malloc(N_BUCKETS * sizeof *t->histogram)) == NULL) {
          return CART_ENOMEM;
        }
        memset(t->histogram, 0, N_BUCKETS * sizeof *t->histogram);
      }
      active++;
    }
    if (active == 0) {
      return CART_OK;
    }
    size_t numbers = 0;
    int overflow = 0;
    const int status = scan(read, data, n, chunk, buffer, targets, n_targets, &numbers, &overflow);
    if (status != CART_OK) {
      return status;
    }
    if (numbers != m || overflow) {
      return CART_EIO;
    }
    for (size_t j = 0; j < n_targets; j++) {
      target *t = &targets[j];
      if (t->done) {
        continue;
      }
      if (t->collecting) {
        if (t->n_candidates != t->count) {
          return CART_EIO;
        }
        qsort(t->candidates, t->count, sizeof *t->candidates, compare_keys);
        t->value = value_of(t->candidates[t->rank]);
        t->done = 1;
        free(t->candidates);
        t->candidates = NULL;
      } else if (descend(t) != 0) {
        return CART_EIO;
      }
    }
  }
}

int cartp_percentiles(cartp_read_fn read, void *data, size_t n, const double *q, size_t n_q,
                      const cartp_select_limits *limits, double *out)
{
  static const cartp_select_limits defaults = {CARTP_SELECT_CHUNK, CARTP_SELECT_MAX_CANDIDATES};
  if (limits == NULL) {
    limits = &defaults;
  }
  if (read == NULL || out == NULL || (n_q > 0 && q == NULL) || n_q > CARTP_SELECT_MAX_Q ||
      limits->chunk == 0) {
    return CART_EINVAL;
  }
  for (size_t j = 0; j < n_q; j++) {
    if (!(q[j] >= 0 && q[j] <= 100)) {
      return CART_EINVAL;
    }
    out[j] = NAN;
  }
  if (n == 0 || n_q == 0) {
    return CART_OK;
  }
  const size_t chunk = limits->chunk < n ? limits->chunk : n;
  double *buffer = malloc(chunk * sizeof *buffer);
  target targets[2 * CARTP_SELECT_MAX_Q];
  memset(targets, 0, sizeof targets);
  /* The first pass counts the numbers (which fixes the ranks) and histograms the top digit. */
  target all = {0};
  all.histogram = calloc(N_BUCKETS, sizeof *all.histogram);
  int status = buffer != NULL && all.histogram != NULL ? CART_OK : CART_ENOMEM;
  size_t m = 0;
  if (status == CART_OK) {
    int overflow = 0;
    status = scan(read, data, n, chunk, buffer, &all, 1, &m, &overflow);
  }
  /* Positions as percentile() in summary.c always computed them: numpy's linear rule. */
  size_t below[CARTP_SELECT_MAX_Q], above[CARTP_SELECT_MAX_Q];
  double fraction[CARTP_SELECT_MAX_Q];
  size_t n_targets = 0;
  for (size_t j = 0; status == CART_OK && m > 0 && j < n_q; j++) {
    const double position = q[j] / 100.0 * (double)(m - 1);
    const size_t lower = (size_t)floor(position);
    const size_t upper = lower + 1 < m ? lower + 1 : lower;
    fraction[j] = position - (double)lower;
    const size_t ranks[2] = {lower, upper};
    size_t *slots[2] = {&below[j], &above[j]};
    for (int s = 0; s < 2; s++) {
      size_t t = 0;
      while (t < n_targets && targets[t].rank != ranks[s]) {
        t++;
      }
      if (t == n_targets) {
        targets[t] = all;
        targets[t].histogram = NULL;
        targets[t].rank = ranks[s];
        targets[t].count = m;
        n_targets++;
      }
      *slots[s] = t;
    }
  }
  /* Every target starts from the first pass's histogram of all m numbers. */
  for (size_t t = 0; status == CART_OK && t < n_targets; t++) {
    target *tt = &targets[t];
    tt->histogram = all.histogram;
    const int bad = descend(tt);
    tt->histogram = NULL;
    if (bad) {
      status = CART_EIO;
    }
  }
  if (status == CART_OK) {
    status = select_ranks(read, data, n, m, chunk, limits->max_candidates, buffer, targets,
                          n_targets);
  }
  for (size_t j = 0; status == CART_OK && m > 0 && j < n_q; j++) {
    const double lower = targets[below[j]].value, upper = targets[above[j]].value;
    out[j] = lower + fraction[j] * (upper - lower);
  }
  for (size_t t = 0; t < n_targets; t++) {
    free(targets[t].histogram);
    free(targets[t].candidates);
  }
  free(all.histogram);
  free(buffer);
  if (status != CART_OK) {
    for (size_t j = 0; j < n_q; j++) {
      out[j] = NAN;
    }
  }
  return status;
}
