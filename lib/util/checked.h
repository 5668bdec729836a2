/* checked.h: size arithmetic that cannot wrap (internal). A product of counts and element sizes
 * that wraps makes malloc return a block smaller than the loop that fills it, so every size
 * product on the trial path goes through these. */
#ifndef CART_UTIL_CHECKED_H
#define CART_UTIL_CHECKED_H

#include <stddef.h>
#include <stdint.h>

/* *out = a * b; returns 0 on success, -1 (and *out = SIZE_MAX) when it would wrap. */
static inline int cartp_mul_size(size_t a, size_t b, size_t *out)
{
  if (a != 0 && b > SIZE_MAX / a) {
    *out = SIZE_MAX;
    return -1;
  }
  *out = a * b;
  return 0;
}

/* *out = a * b * c, as cartp_mul_size. */
static inline int cartp_mul3_size(size_t a, size_t b, size_t c, size_t *out)
{
  size_t ab;
  return cartp_mul_size(a, b, &ab) != 0 ? (*out = SIZE_MAX, -1) : cartp_mul_size(ab, c, out);
}

/* *out = a + b; returns 0 on success, -1 (and *out = SIZE_MAX) when it would wrap. */
static inline int cartp_add_size(size_t a, size_t b, size_t *out)
{
  if (b > SIZE_MAX - a) {
    *out = SIZE_MAX;
    return -1;
  }
  *out = a + b;
  return 0;
}

#endif
