/* select.h: exact percentiles of a column that is read again rather than held (internal).
 *
 * The summary's percentiles must equal those of sorting every value, yet a trial of 1e9 patients
 * cannot hold its values. So the column is read in chunks, several times: a radix selection on
 * the bits of the values (ordered as integers) narrows each wanted order statistic to a bracket
 * of 16 more bits per pass, and a bracket of at most max_candidates values is collected and
 * sorted. Memory is bounded by the chunk, one histogram per order statistic and the candidates,
 * whatever the column's length; the result is bit-identical to sorting. */
#ifndef CART_TRIAL_SELECT_H
#define CART_TRIAL_SELECT_H

#include <stddef.h>

/* Reads values [first, first + count) of the column into values; CART_OK or an error code. The
 * same range must read the same values on every call. */
typedef int (*cartp_read_fn)(void *data, size_t first, size_t count, double *values);

typedef struct cartp_select_limits {
  size_t chunk;          /* values per read (>= 1) */
  size_t max_candidates; /* a bracket of at most this many values is collected and sorted; 0
                            refines every bracket down to one bit pattern (the tests' hook) */
} cartp_select_limits;

/* 64 Ki values per read and per bracket: about 4 MiB in all for the summary's six ranks. */
#define CARTP_SELECT_CHUNK 65536
#define CARTP_SELECT_MAX_CANDIDATES 65536

/* out[j] = percentile q[j] (0..100) of the numbers among the n values of the column (NaN left
 * out): numpy's default linear rule between order statistics, exactly as sorting them all would
 * give; NaN when there is no number. n_q <= CARTP_SELECT_MAX_Q. limits NULL: the defaults above.
 * Returns CART_OK, the reader's error, CART_ENOMEM, CART_EINVAL (bad arguments) or CART_EIO when
 * the column read differently in two passes. */
#define CARTP_SELECT_MAX_Q 8
int cartp_percentiles(cartp_read_fn read, void *data, size_t n, const double *q, size_t n_q,
                      const cartp_select_limits *limits, double *out);

#endif
