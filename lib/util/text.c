/* text.c: reading numbers and trimming blanks in input text. */
#include <stdlib.h>

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
