/* text.h: reading numbers and trimming blanks in input text (internal; scenarios, targets and
 * the grammars of cart_grammar.h). */
#ifndef CART_UTIL_TEXT_H
#define CART_UTIL_TEXT_H

#include <stddef.h>

#include <cart/cart_errno.h>

/* 1 for ' ', '\t', '\r', '\n', '\f' and '\v'. */
int cartp_is_blank(char c);

/* Moves [*start, *end) inward past blanks at either end. */
void cartp_trim(const char **start, const char **end);

/* A whole string (already trimmed) as a double: 0, or -1 when it is empty, starts with a blank
 * or has anything after the number. NaN and inf parse (overflow gives +-inf); callers decide. */
int cartp_parse_double(const char *text, double *value);

/* The whole of a regular file (or FIFO) of at most max_bytes as a NUL-terminated string in
 * *text (free it): CART_OK, or CART_EIO naming `what`, the path and the reason (strerror; a
 * directory, a file that is too large, a NUL byte at an offset). */
int cartp_read_text_file(const char *path, const char *what, size_t max_bytes, char **text,
                         cart_error *err);

/* "a, b, c": names name(data, 0 .. n) joined into buffer (the lists of a model's parameters or
 * endpoints in messages); when they do not all fit, those that do and ", ..." after them. */
void cartp_join_names(char *buffer, size_t size, size_t n,
                      const char *(*name)(const void *data, size_t i), const void *data);

#endif
