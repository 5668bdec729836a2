/* cli.h: shared pieces of the `cart` command (not part of the library). */
#ifndef CART_CLI_H
#define CART_CLI_H

enum { EXIT_SOLVE_FAILED = 1, EXIT_BAD_INPUT = 2 };

/* Prints "cart: MESSAGE" on stderr and returns status. */
int fail(int status, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Parses a whole string as a double; 0 on success, -1 if malformed. */
int parse_number(const char *text, double *value);

/* `cart trial` (trial.c). */
int cli_trial(int argc, char **argv);

#endif
