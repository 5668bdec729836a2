/* error.c: status codes, their messages, and cart_error. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cart/cart_errno.h>

#include "error.h"

const char *cart_strerror(int status)
{
  switch (status) {
#define CART_STATUS_MESSAGE_(name, value, message) \
  case value:                                      \
    return message;
    CART_STATUS_LIST(CART_STATUS_MESSAGE_)
#undef CART_STATUS_MESSAGE_
  default:
    return "unknown status code";
  }
}

const char *cart_status_name(int status)
{
  switch (status) {
#define CART_STATUS_NAME_(name, value, message) \
  case value:                                   \
    return #name;
    CART_STATUS_LIST(CART_STATUS_NAME_)
#undef CART_STATUS_NAME_
  default:
    return "CART_UNKNOWN";
  }
}

void cart_error_clear(cart_error *err)
{
  if (err != NULL) {
    err->code = CART_OK;
    err->message[0] = '\0';
  }
}

int cartp_error(cart_error *err, int code, const char *format, ...)
{
  if (err != NULL) {
    va_list args;
    va_start(args, format);
    err->code = code;
    vsnprintf(err->message, sizeof err->message, format, args);
    va_end(args);
  }
  return code;
}

int cartp_verror_at(cart_error *err, int code, const char *source, int line, const char *format,
                    va_list args)
{
  if (err == NULL) {
    return code;
  }
  err->code = code;
  const int used = line > 0 ? snprintf(err->message, sizeof err->message, "%s:%d: ", source, line)
                            : snprintf(err->message, sizeof err->message, "%s: ", source);
  if (used >= 0 && (size_t)used < sizeof err->message) {
    vsnprintf(err->message + used, sizeof err->message - (size_t)used, format, args);
  }
  return code;
}

int cartp_error_at(cart_error *err, int code, const char *source, int line, const char *format,
                   ...)
{
  va_list args;
  va_start(args, format);
  cartp_verror_at(err, code, source, line, format, args);
  va_end(args);
  return code;
}

int cartp_error_copy(cart_error *dst, const cart_error *src)
{
  if (dst != NULL && dst != src) {
    *dst = *src;
  }
  return src->code;
}

void cartp_format_bounds(char *buf, size_t size, double lower, double upper, int lower_open,
                         int upper_open)
{
  snprintf(buf, size, "%c%g, %g%c", lower_open ? '(' : '[', lower, upper,
           upper_open || isinf(upper) ? ')' : ']');
}
