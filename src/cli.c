/* cli.c: what the `cart` commands share: error lines and number parsing. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int fail(int status, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  fputs("cart: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  return status;
}

/* Parses a whole string as a double; 0 on success. NaN and inf parse (the library rejects them
 * with a message that names the parameter). */
int parse_number(const char *text, double *value)
{
  char *end = NULL;
  if (text == NULL || *text == '\0') {
    return -1;
  }
  errno = 0;
  *value = strtod(text, &end);
  return (*end != '\0' || end == text || errno == ERANGE) ? -1 : 0;
}

