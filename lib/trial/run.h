/* run.h: the one run loop of a trial into a file (internal; run.c).
 *
 * cart_trial_run_file (lib/io/run_file.c, one caller) and cart_mpi_trial_run_file (lib/mpi/, one
 * caller per MPI rank) both run cartp_trial_run over the trial they prepared and the file they
 * created. The loop knows neither HDF5 nor MPI: a driver says which blocks this caller runs, in
 * rounds that every caller takes part in, and how the callers agree on an error; a sink takes
 * the finished blocks, reads the summary back and marks the file complete.
 *
 * The plan (the cart_trial) is prepared before and only read by the loop (FFTW's plan/execute
 * split); what a caller changes while it runs is its own: the workspace and the block (made
 * here, freed here), its progress and its stats. */
#ifndef CART_TRIAL_RUN_H
#define CART_TRIAL_RUN_H

#include <cart/cart_trial.h>

/* Which blocks run where, and agreement between the callers that run one trial together. */
typedef struct cartp_run_driver {
  void *data;
  /* Rounds every caller takes part in: the blocks of the busiest caller. */
  size_t rounds;
  /* This caller's block of `round`: patients [*first, *first + *count), *count 0 when it has
   * none left (it still takes part in the round's write). */
  void (*block)(void *data, size_t round, size_t *first, size_t *count);
  /* Patients written by all callers after `rounds` rounds (the progress). */
  size_t (*done)(void *data, size_t rounds);
  /* Every caller's status of a step, in the same order on every caller: CART_OK when all
   * succeeded, else on every caller the code of the first that failed, its message in *err.
   * NULL: one caller, whose status is the answer. */
  int (*agree)(void *data, int status, cart_error *err);
  /* The first caller's bytes to every caller (the summary it read). NULL: one caller. */
  void (*share)(void *data, void *bytes, size_t size);
  /* Waits for every caller (before timed writes). NULL: one caller. */
  void (*wait)(void *data);
  int reads_summary; /* this caller reads the summary back (the first caller) */
} cartp_run_driver;

/* Where the finished blocks go (the HDF5 file); every function returns CART_OK or a code with
 * its message in *err. A sink with a drain may read the block it was handed until its next
 * call (it writes in the background): the loop then alternates two blocks and calls drain,
 * which waits for the last write and returns its status, before it frees them. */
typedef struct cartp_run_sink {
  void *data;
  int (*write)(void *data, const cart_trial_block *block, cart_error *err);
  int (*summarize)(void *data, cart_trial_summary *summary, cart_error *err);
  int (*finish)(void *data, const cart_trial_summary *summary, cart_error *err);
  int (*drain)(void *data, cart_error *err); /* NULL: done with each block when write returns */
  /* The arm the next writes, summary and finish go to (called between arms, after the drain). */
  int (*select_arm)(void *data, size_t arm, cart_error *err);
} cartp_run_sink;

/* This caller's time and bytes (uncompressed rows written). */
typedef struct cartp_run_stats {
  double solve_s, write_s;
  unsigned long long bytes;
} cartp_run_stats;

/* Runs the driver's rounds of `trial` (prepared; only read) in blocks of block_size patients
 * with options->n_threads OpenMP threads in one workspace of this caller's, writes every block to
 * the sink, calls options->progress (may be NULL) after every round on every caller (a nonzero
 * return on any caller stops all: CART_ESTOPPED), then the summary
 * (read back by the driver's reader, shared with every caller) and the sink's finish. Every
 * step's status is agreed, so every caller returns the same code and message; a failure message
 * ends with "; 'PATH' is incomplete". summary and stats may be NULL. */
int cartp_trial_run(const cart_trial *trial, const char *path, size_t block_size,
                    const cart_trial_run_options *options, const cartp_run_driver *driver,
                    const cartp_run_sink *sink, cart_trial_summary *summary,
                    cartp_run_stats *stats, cart_error *err);

/* cartp_trial_run for every arm in turn (trials[a], prepared, all of the same patients), the
 * sink's select_arm called before each: every arm's blocks, summary (summaries[a]; may be NULL)
 * and finish. options->progress sees the patients of all arms (done + a N of n_arms N); a stop
 * it asks for at an arm's last round stops before the next arm (CART_ESTOPPED). A failure's
 * message starts with "arm 'NAME': " when the arms are named (names may be NULL). stats add up
 * over the arms. */
int cartp_arms_run(const cart_trial *const *trials, const char *const *names, size_t n_arms,
                   const char *path, size_t block_size, const cart_trial_run_options *options,
                   const cartp_run_driver *driver, const cartp_run_sink *sink,
                   cart_trial_summary *summaries, cartp_run_stats *stats, cart_error *err);

#endif
