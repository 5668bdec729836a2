/* cli.h: shared pieces of the `cart` command (not part of the library); cart-mpi (mpi/) compiles
 * cli.c too, for the same `trial` options, scenario reading and summary table. */
#ifndef CART_CLI_H
#define CART_CLI_H

#include <cart/cart.h>

enum { EXIT_SOLVE_FAILED = 1, EXIT_BAD_INPUT = 2 };

/* The program named in error lines; cart-mpi compiles cli.c with -DCLI_NAME='"cart-mpi"'. */
#ifndef CLI_NAME
#define CLI_NAME "cart"
#endif

/* Flushes and closes stdout at the end of a command: a write that failed (a full disk, /dev/full)
 * turns a success into EXIT_SOLVE_FAILED with "cannot write the output: REASON"; other statuses
 * pass through. Both commands end with it. */
int cli_close_stdout(int status);

/* Prints "cart: MESSAGE" (CLI_NAME) on stderr and returns status. */
int fail(int status, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Seconds on the monotonic clock (progress lines). */
double cli_now(void);
/* OPTION's value TEXT as a non-negative integer; 0, or fail()'s status with a message. */
int cli_parse_count(const char *option, const char *text, unsigned long long *value);

/* Parses a whole string as a double; 0 on success, -1 if malformed. */
int parse_number(const char *text, double *value);

/* `cart trial` (trial.c). */
int cli_trial(int argc, char **argv);

/* Patients per block: results are written (and memory reused) block by block. */
#define CLI_DEFAULT_BLOCK CART_TRIAL_BLOCK_DEFAULT

/* The options of `cart trial` and `cart-mpi trial`:
 *   [SCENARIO.ini] [-o FILE.h5] [-n N] [--seed S] [--threads K] [--force] [--block B]
 *   [--stop-after-blocks K] (testing)
 * and cart-mpi's own: [--timing] [--fail-on-rank R] (testing: rank R fails after its first
 * block, to exercise the abort path). */
typedef struct cli_trial_options {
  const char *scenario_path; /* NULL: the built-in default scenario */
  const char *output;        /* "cart-trial.h5" */
  unsigned long long n_patients, seed, threads, block_size, stop_after_blocks, fail_rank;
  int have_n, have_seed, have_block, force, timing, have_fail_rank;
} cli_trial_options;

/* Parses argv (after the word `trial`) into *options; 0, or EXIT_BAD_INPUT after printing why.
 * mpi: also accept cart-mpi's own options. */
int cli_trial_parse(int argc, char **argv, int mpi, cli_trial_options *options);

/* Input files (scenarios, targets) are read up to this size. */
#define CLI_MAX_FILE_BYTES (16 * 1024 * 1024)

/* The whole file as a NUL-terminated string the caller frees, or NULL (message printed, exit
 * status EXIT_BAD_INPUT): a directory, a file larger than CLI_MAX_FILE_BYTES (read in pieces, so
 * a FIFO or a device that never ends stops there) or one with a NUL byte (by its offset) is
 * refused. */
char *cli_read_scenario(const char *path);
/* The same for any file; `what` names it in the message ("targets file"). */
char *cli_read_file(const char *path, const char *what);

/* Progress on stderr after a block: on a terminal a bar (patients done, rate, time left),
 * otherwise one line at the end, "CLI_NAME: N patients in S s (R patients/s<detail>)". */
void cli_progress(size_t done, size_t total, double elapsed, int tty, const char *detail);

/* The same bar for other work (terminals only): "[###  ] done/total UNIT, STATUS, MM:SS left";
 * a newline when done == total. */
void cli_progress_units(size_t done, size_t total, double elapsed, const char *unit,
                        const char *status);

/* The trial of the scenario `text` (named `source` in messages) with the command line's -n and
 * --seed, prepared; or NULL with *err saying why. */
cart_trial *cli_trial_load(const char *text, const char *source, const cli_trial_options *options,
                           cart_error *err);

/* The scenario as run, stored in the file: the text, plus the command line's overrides as a
 * comment ("# CLI_NAME trial command line: n_patients = N, seed = S" and `extra`), in a string
 * the caller frees; NULL when out of memory. */
char *cli_scenario_as_run(const char *text, const cart_trial *trial, const char *extra);

/* The exit status of a run that returned `status`: 0, 2 for an existing or unusable output, else 1. */
int cli_trial_exit_status(int status);

/* After a run into options->output: the error line and its exit status (2 for an existing or
 * unusable output, 1 otherwise; a stop names the testing option that asked for it), or the
 * summary table of `model`'s trial and 0. */
int cli_trial_report(int status, const cart_error *err, const cart_model *model,
                     const cart_trial_summary *summary, const cli_trial_options *options);

/* `cart calibrate` (calibrate.c). */
int cli_calibrate(int argc, char **argv);

/* The summary of a trial of `model` written to `path`, on stdout: the oncology lines whose
 * endpoints the model has, then a row per endpoint of the model. */
void cli_print_summary(const cart_model *model, const cart_trial_summary *summary,
                       const char *path);

#endif
