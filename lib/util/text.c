/* text.c: reading numbers and trimming blanks in input text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "text.h"

int cartp_is_blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

void cartp_trim(const char **start, const char **end)
{
  while (*start < *end && cartp_is_blank(**start)) {
    (*start)++;
  }
  while (*end > *start && cartp_is_blank((*end)[-1])) {
    (*end)--;
  }
}

int cartp_parse_double(const char *text, double *value)
{
  char *end = NULL;
  if (*text == '\0' || cartp_is_blank(*text)) {
    return -1;
  }
  *value = strtod(text, &end);
  return end == text || *end != '\0' ? -1 : 0;
}

int cartp_read_text_file(const char *path, const char *what, size_t max_bytes, char **text,
                         cart_error *err)
{
  *text = NULL;
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return cartp_error(err, CART_EIO, "%s '%s': %s", what, path, strerror(errno));
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode))) {
    fclose(f);
    return cartp_error(err, CART_EIO, "%s '%s': not a regular file", what, path);
  }
  size_t size = 0, capacity = 0;
  char *buffer = NULL;
  for (;;) {
    if (size == capacity) {
      const size_t grown = capacity ? 2 * capacity : 65536;
      if (capacity > max_bytes) {
        free(buffer);
        fclose(f);
        return cartp_error(err, CART_EIO, "%s '%s': larger than %zu bytes", what, path,
                           max_bytes);
      }
      char *bigger = realloc(buffer, grown + 1);
      if (bigger == NULL) {
        free(buffer);
        fclose(f);
        return cartp_error(err, CART_ENOMEM, "%s '%s': out of memory", what, path);
      }
      buffer = bigger;
      capacity = grown;
    }
    const size_t got = fread(buffer + size, 1, capacity - size, f);
    size += got;
    if (got == 0) {
      break;
    }
  }
  const int failed = ferror(f);
  fclose(f);
  if (failed || size > max_bytes) {
    free(buffer);
    return cartp_error(err, CART_EIO, "%s '%s': %s", what, path,
                       failed ? "read error" : "larger than the limit");
  }
  buffer[size] = '\0';
  if (strlen(buffer) != size) {
    const size_t at = strlen(buffer);
    free(buffer);
    return cartp_error(err, CART_EIO, "%s '%s': a NUL byte at offset %zu (not a text file)",
                       what, path, at);
  }
  *text = buffer;
  return CART_OK;
}

void cartp_join_names(char *buffer, size_t size, size_t n,
                      const char *(*name)(const void *data, size_t i), const void *data)
{
  static const char more[] = ", ...";
  size_t used = 0;
  buffer[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    const char *next = name(data, i);
    const size_t length = (i ? 2 : 0) + strlen(next);
    /* room for this name, and for ", ..." after it unless it is the last */
    if (used + length + (i + 1 < n ? sizeof more - 1 : 0) >= size) {
      if (used + sizeof more <= size) {
        memcpy(buffer + used, i ? more : more + 2, sizeof more - (i ? 0 : 2));
      }
      return;
    }
    snprintf(buffer + used, size - used, "%s%s", i ? ", " : "", next);
    used += length;
  }
}
