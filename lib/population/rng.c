/* rng.c: xoshiro256** streams keyed by (seed, patient, purpose); see rng.h. */
#include <string.h>

#include "rng.h"

static inline uint64_t rotl(uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

/* splitmix64: a bijective mixer; consecutive outputs seed xoshiro (its authors' advice). */
static inline uint64_t splitmix64(uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline uint64_t xoshiro_next(uint64_t *s)
{
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

uint64_t cartp_stream_next(cartp_stream *stream)
{
  return xoshiro_next(stream->state);
}

/* The GSL face of the generator: 64-bit integers, doubles in [0, 1) from the top 53 bits. */
static void gsl_set_unused(void *state, unsigned long seed)
{
  (void)state;
  (void)seed; /* streams are keyed by cartp_stream_init, never by gsl_rng_set */
}

static unsigned long gsl_get(void *state)
{
  return (unsigned long)xoshiro_next(state);
}

static double gsl_get_double(void *state)
{
  return (double)(xoshiro_next(state) >> 11) * 0x1.0p-53;
}

_Static_assert(sizeof(unsigned long) == 8, "64-bit unsigned long expected (LP64)");

static const gsl_rng_type xoshiro_type = {
    "xoshiro256**", 0xffffffffffffffffUL, 0, sizeof(uint64_t[4]), gsl_set_unused, gsl_get,
    gsl_get_double};

void cartp_stream_init(cartp_stream *stream, uint64_t seed, uint64_t patient, uint64_t purpose)
{
  /* Key: the seed, then the patient index and the purpose, each passed through splitmix64 so
   * that (seed, i) and (seed + 1, i - 1) give unrelated keys. */
  uint64_t key = seed;
  uint64_t mixed = splitmix64(&key);
  key = mixed ^ patient;
  mixed = splitmix64(&key);
  key = mixed ^ purpose;
  for (int i = 0; i < 4; i++) {
    stream->state[i] = splitmix64(&key);
  }
  if ((stream->state[0] | stream->state[1] | stream->state[2] | stream->state[3]) == 0) {
    stream->state[0] = 1; /* the one state xoshiro must avoid */
  }
  stream->rng.type = &xoshiro_type;
  stream->rng.state = stream->state;
}
