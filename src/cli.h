/* cli.h: shared pieces of the `cart` command (not part of the library); cart-mpi (mpi/) compiles
 * cli.c too, for the same `trial` options, scenario reading and summary table. */
#ifndef CART_CLI_H
#define CART_CLI_H

#include <signal.h>
#include <stdio.h>

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

/* ---- options: the one reader of every subcommand's command line ----
 * Each subcommand describes its options in a table; cli_next_option reads them, so that -h and
 * --help (print the subcommand's help on stdout, exit 0), an unknown option ("unknown option
 * '--x'" and the usage on stderr, exit 2) and an option missing its value are handled alike
 * everywhere. */
typedef struct cli_option {
  const char *name;  /* "--seed" */
  const char *alias; /* "-n", or NULL */
  int takes_value;   /* 1: the next word is its value, whatever it starts with */
} cli_option;

typedef struct cli_command {
  const char *name;     /* "trial": messages say "CLI_NAME trial: ..." */
  const char *synopsis; /* "cart trial [SCENARIO.ini] ...": lines after the first are indented
                           for a 7-column prefix ("usage: ") */
  const char *help;     /* what follows the synopsis in --help: what it does, its options */
  const cli_option *options; /* ended by {NULL, NULL, 0} */
  const cli_option *extra;   /* a second table (cart-mpi's own trial options), or NULL */
} cli_command;

/* What cli_next_option returns besides an option's index. */
enum {
  CLI_ARGUMENT = -1, /* a word that is not an option (a file name); *i is on it */
  CLI_HELP = -2,     /* -h or --help: the help was printed on stdout; exit 0 */
  CLI_BAD = -3       /* an unknown option or a missing value: printed on stderr; exit 2 */
};

/* Reads argv[*i]: the index of its option in command->options (then command->extra, numbered
 * on after the first table's), with *value its value (NULL for a flag) and *i moved onto the
 * value; or CLI_ARGUMENT, CLI_HELP or CLI_BAD. */
int cli_next_option(const cli_command *command, int argc, char **argv, int *i, const char **value);
/* The option with index k (as cli_next_option numbers them). */
const cli_option *cli_option_at(const cli_command *command, int k);
/* The exit status of a CLI_HELP (0) or CLI_BAD (EXIT_BAD_INPUT). */
int cli_stop_status(int code);
/* The synopsis as a usage line ("usage: ..." on `out`). */
void cli_print_usage(const cli_command *command, FILE *out);
/* --help: the synopsis, then the help, on stdout; returns 0. */
int cli_print_help(const cli_command *command);

/* The subcommands (cart --help lists their synopses). */
extern const cli_command cli_run_command, cli_trial_command, cli_calibrate_command,
    cli_scenario_command, cli_models_command, cli_export_command, cli_sensitivity_command;

/* `cart export` (export.c). */
int cli_export(int argc, char **argv);

/* Prints "cart: MESSAGE" (CLI_NAME) on stderr and returns status. */
int fail(int status, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Seconds on the monotonic clock (progress lines). */
double cli_now(void);
/* OPTION's value TEXT as a non-negative integer; 0, or fail()'s status with a message. */
int cli_parse_count(const char *option, const char *text, unsigned long long *value);

/* Parses a whole string as a double; 0 on success, -1 if malformed. */
int parse_number(const char *text, double *value);

/* OPTION's NAME=VALUE: the name into name[size], the number into *value; 0 or fail()'s status. */
int cli_parse_assignment(const char *option, const char *arg, char *name, size_t size,
                         double *value);
/* Output times from TEXT (cart_parse_times: "A:B:STEP" or "T1,T2,..."). Returns a malloc'd array
 * or NULL, with the message out (`option` names where TEXT came from). */
double *cli_parse_times(const char *option, const char *text, size_t *n_times);
/* The options that describe one patient, as `cart run` reads them: --set NAME=VALUE, --dose,
 * --toci, --toci-rule, --event-table FILE (the grammars of cart_grammar.h). 0 when applied, an exit status (message
 * printed) when refused, -1 when `name` is none of them. */
int cli_patient_option(cart_params *params, cart_dosing *dosing, const char *name,
                       const char *arg, int *initial_dose_set);

/* `cart fit` (fit.c). */
extern const cli_command cli_fit_command;
int cli_fit(int argc, char **argv);

/* `cart trial` (trial.c). */
int cli_trial(int argc, char **argv);

/* Patients per block: results are written (and memory reused) block by block. */
#define CLI_DEFAULT_BLOCK CART_TRIAL_BLOCK_DEFAULT

/* The options of `cart trial` and `cart-mpi trial`:
 *   [SCENARIO.ini] [-o FILE.h5] [-n N] [--seed S] [--threads K] [--force] [--block B]
 *   [--event-table FILE.csv] [--stop-after-blocks K] (testing)
 * and cart-mpi's own: [--timing] [--fail-on-rank R] (testing: rank R fails after its first
 * block, to exercise the abort path). */
typedef struct cli_trial_options {
  const char *scenario_path; /* NULL: the built-in default scenario */
  const char *output;        /* "cart-trial.h5" */
  const char *event_table;   /* --event-table FILE.csv, or NULL */
  unsigned long long n_patients, seed, threads, block_size, stop_after_blocks, fail_rank;
  int have_n, have_seed, have_block, force, timing, have_fail_rank;
} cli_trial_options;

/* Parses argv (after the word `trial`) into *options; 0, EXIT_BAD_INPUT after printing why, or
 * CLI_HELP after printing the help (the caller exits 0). mpi: also accept cart-mpi's own
 * options. */
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

/* The arms of the scenario `text` (named `source` in messages; one unnamed arm without [arm]
 * sections) with the command line's -n and --seed, prepared; or NULL with *err saying why. */
cart_arms *cli_trial_load(const char *text, const char *source, const cli_trial_options *options,
                          cart_error *err);

/* --event-table: the scenario `text` (named `source`) with the doses of the event table at
 * `path` added (cart_scenario_add_event_table), a string the caller frees; NULL when refused
 * (the message printed; exit status EXIT_BAD_INPUT). */
char *cli_scenario_with_event_table(const char *text, const char *source, const char *path);

/* The scenario as run, stored in the file: the text, plus the command line's overrides as a
 * comment ("# CLI_NAME trial command line: n_patients = N, seed = S" and `extra`), in a string
 * the caller frees; NULL when out of memory. */
char *cli_scenario_as_run(const char *text, const cart_trial *trial, const char *extra);

/* The exit status of a run that returned `status`: 0, 2 for an existing or unusable output, else 1. */
int cli_trial_exit_status(int status);

/* After a run into options->output: the error line and its exit status (2 for an existing or
 * unusable output, 1 otherwise; a stop names the testing option that asked for it), or the
 * summary of every arm (summaries: one per arm; named arms under "arm NAME (LABEL)" headings,
 * then a table of the arms side by side) and 0. */
int cli_trial_report(int status, const cart_error *err, const cart_arms *arms,
                     const cart_trial_summary *summaries, const cli_trial_options *options);

/* Ctrl-C (SIGINT) for a long command that stops cleanly after the step under way:
 * cli_catch_sigint installs a handler that sets the flag cli_interrupted() reads and resets
 * itself (SA_RESETHAND: a second Ctrl-C kills), saving the previous one in *previous, which
 * cli_release_sigint puts back. */
void cli_catch_sigint(struct sigaction *previous);
void cli_release_sigint(const struct sigaction *previous);
int cli_interrupted(void);

/* `cart calibrate` (calibrate.c). */
int cli_calibrate(int argc, char **argv);
/* `cart sensitivity` (sensitivity.c). */
int cli_sensitivity(int argc, char **argv);

/* The summary of a trial of `model` written to `path`, on stdout: the oncology lines whose
 * endpoints the model has, the trial's vein-to-vein time, intention-to-treat rates and costs
 * when it has them (trial may be NULL: none), then a row per endpoint of the model. */
void cli_print_trial_summary(const cart_model *model, const cart_trial *trial,
                             const cart_trial_summary *summary, const char *path);

#endif
