/* text.h: reading numbers and trimming blanks in input text (internal; scenarios, targets and
 * the grammars of cart_grammar.h). */
#ifndef CART_UTIL_TEXT_H
#define CART_UTIL_TEXT_H

#include <stddef.h>

/* 1 for ' ', '\t', '\r', '\n', '\f' and '\v'. */
int cartp_is_blank(char c);

/* Moves [*start, *end) inward past blanks at either end. */
void cartp_trim(const char **start, const char **end);

/* A whole string (already trimmed) as a double: 0, or -1 when it is empty, starts with a blank
 * or has anything after the number. NaN and inf parse (overflow gives +-inf); callers decide. */
int cartp_parse_double(const char *text, double *value);

#endif
