/* rng.h: per-patient random streams (internal).
 *
 * xoshiro256** (Blackman and Vigna, "Scrambled linear pseudorandom number generators", ACM TOMS
 * 2021) with its 256-bit state filled by splitmix64 (Steele, Lea and Flood, OOPSLA 2014) from a
 * key mixing the run seed and the patient index, so streams of neighbouring patients and seeds are
 * unrelated and patient i's numbers depend only on (seed, i). The stream is a GSL generator
 * (gsl_rng) so GSL's distributions can draw from it; it lives on the caller's stack and is seeded
 * in place: no allocation per patient. */
#ifndef CART_POPULATION_RNG_H
#define CART_POPULATION_RNG_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

typedef struct cartp_stream {
  uint64_t state[4];
  gsl_rng rng; /* type = the xoshiro256** type below, state = this struct's state */
} cartp_stream;

/* The purposes of a patient's streams: each has numbers of its own, so a later purpose never
 * changes an earlier one's draws. */
#define CARTP_PURPOSE_PARAMETERS 1 /* the parameter draws (population.c) */
#define CARTP_PURPOSE_TABLE_ROW 2  /* the patients-table row of a patient past the table's end */
#define CARTP_PURPOSE_DROPOUT 3    /* the drop-out draw of a vein-to-vein time (trial.c) */

/* Makes `stream` the stream of (seed, patient, purpose); stream->rng is then ready for gsl_ran_*. */
void cartp_stream_init(cartp_stream *stream, uint64_t seed, uint64_t patient, uint64_t purpose);

/* Next 64 random bits. */
uint64_t cartp_stream_next(cartp_stream *stream);

/* The patients-table row of (seed, patient) for a table of n_rows (cart_population_table_row):
 * also used by the trial file's /patients/row (lib/io/layout.c). -1 for no table. */
long long cartp_table_row(size_t n_rows, uint64_t seed, uint64_t patient);

#endif
