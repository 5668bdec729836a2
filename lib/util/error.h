/* error.h: filling a cart_error (internal). */
#ifndef CART_UTIL_ERROR_H
#define CART_UTIL_ERROR_H

#include <stdarg.h>

#include <cart/cart_errno.h>

/* Records code and a printf-style message in *err (which may be NULL) and returns code, so an
 * error path is one statement: return cartp_error(err, CART_ERANGE, "...", ...); */
int cartp_error(cart_error *err, int code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* As cartp_error with the message prefixed "SOURCE:LINE: " ("SOURCE: " when line is 0): the
 * form of every error in an input file (scenarios, targets). */
int cartp_error_at(cart_error *err, int code, const char *source, int line, const char *format,
                   ...) __attribute__((format(printf, 5, 6)));
int cartp_verror_at(cart_error *err, int code, const char *source, int line, const char *format,
                    va_list args) __attribute__((format(printf, 5, 0)));

/* Copies src into *dst (dst may be NULL) and returns src->code. */
int cartp_error_copy(cart_error *dst, const cart_error *src);

/* Writes "[lower, upper]" (with ( ) for open sides, inf for none) into buf. */
void cartp_format_bounds(char *buf, size_t size, double lower, double upper, int lower_open,
                         int upper_open);

#endif
