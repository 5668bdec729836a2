/* rosenbrock.h: libcart's own integrator for small stiff systems (internal).
 *
 * Rodas5P (Steinebach G, "Construction of Rosenbrock-Wanner method Rodas5P and numerical
 * benchmarks within the Julia Differential Equations package", BIT Numer Math 2023;63:27): an
 * 8-stage, order-5 Rosenbrock-Wanner method, stiffly accurate and L-stable, with an embedded
 * order-4 solution for error control and a dense output of order 4. A one-step method: it needs
 * the exact Jacobian once per step and nothing from earlier steps, so it restarts at no cost at
 * every dose and event, where a BDF code must build its history again from order 1.
 *
 * The three layers are kept apart as GSL's ode-initval2 keeps them: cartp_rosenbrock_attempt
 * takes one step of a given size and returns its error; cartp_rosenbrock_evolve accepts or
 * rejects it and chooses the next size (the step-size controller); cartp_rosenbrock_dense
 * evaluates the last accepted step's interpolant. No allocation, no GSL and no global state: the
 * workspace is a fixed-size struct, so one lives inside each cart_solver.
 *
 * The linear systems (I/(h gamma) - J) k = r are solved by an LU factorisation with partial
 * pivoting, block by block when the Jacobian is block lower-triangular in a fixed order of the
 * states (cartp_rosenbrock_set_blocks): then each diagonal block is factorised alone and the
 * blocks below only enter the right-hand sides of forward substitution. */
#ifndef CART_ROSENBROCK_H
#define CART_ROSENBROCK_H

#include <stddef.h>

/* The largest system the integrator takes (CART_MAX_STATES, solver_struct.h). */
#define CARTP_ROSENBROCK_MAX 32
#define CARTP_ROSENBROCK_STAGES 8
/* The number of states the hot code is also compiled for as a constant (its loops unrolled):
 * model cart's, the default trial's and the baselines' model; other sizes take the same code with
 * n read at run time. The lanes' attempt (rosenbrock_lanes.h) and the dense output use it. */
#define CARTP_ROSENBROCK_FIXED_N 9

/* The system: f and J (row-major, dfdy[i * n + j] = d f_i / d y_j) and d f / d t. Each returns 0,
 * > 0 to ask for a smaller step (a trial state the model refuses), < 0 to give up. */
typedef struct cartp_rosenbrock_system {
  int (*rhs)(double t, const double *y, double *f, void *context);
  int (*jacobian)(double t, const double *y, double *dfdy, double *dfdt, void *context);
  void *context;
} cartp_rosenbrock_system;

/* Results of cartp_rosenbrock_evolve. */
enum {
  CARTP_ROSENBROCK_OK = 0,
  CARTP_ROSENBROCK_EMODEL = 1,    /* f or J returned < 0 */
  CARTP_ROSENBROCK_ESTEPSIZE = 2  /* the step cannot shrink further and is still rejected */
};

typedef struct cartp_rosenbrock {
  size_t n;
  double rtol;
  double atol[CARTP_ROSENBROCK_MAX];

  /* First what each step reads and writes (a patient in SIMD lanes touches only these of its
   * own integrator; solver_struct.h). The step-size controller's memory (Gustafsson's
   * predictive controller, as Hairer and Wanner's RODAS): the last accepted step and its error,
   * whether the last attempt failed. */
  double h_accepted, err_accepted_root; /* (max(1e-2, err))^(1/5) of the accepted step */
  int have_accepted, last_rejected;
  unsigned long rejected; /* error-test failures and refused trial states, since the last reset */

  /* The last accepted step [t0, t1]: its ends and the three vectors of its interpolant. */
  double t0, t1, inv_dt; /* inv_dt = 1 / (t1 - t0): the dense output multiplies */
  double y0[CARTP_ROSENBROCK_MAX], y1[CARTP_ROSENBROCK_MAX];
  double dense[3][CARTP_ROSENBROCK_MAX];

  /* The state order and its diagonal blocks: order[] lists the states so that the Jacobian,
   * permuted symmetrically, is block lower-triangular; block_start[b] .. block_start[b + 1] - 1
   * are the positions of block b. One block of size n when no structure is declared. */
  int order[CARTP_ROSENBROCK_MAX];
  int block_start[CARTP_ROSENBROCK_MAX + 1];
  size_t n_blocks;
  /* Below the diagonal blocks only the declared entries count: the couplings of position p to
   * earlier blocks are coupling_position[coupling_start[p] .. coupling_start[p + 1]). */
  int coupling_start[CARTP_ROSENBROCK_MAX + 1];
  unsigned char coupling_position[CARTP_ROSENBROCK_MAX * CARTP_ROSENBROCK_MAX];
  /* The substitution as a fixed list of row updates on z (in the block order), made once with
   * the structure, so that a solve runs flat loops instead of nested loops over tiny blocks:
   * z[i] = (z[i] - sum_k lu[term_lu[k]] z[term_position[k]]) (* inv_diag[i] when divide), or, for
   * a row with swap_end > 0, the pivots' row swaps of positions i .. swap_end - 1. */
  struct cartp_rosenbrock_row {
    unsigned char i, swap_end, divide;
    unsigned short first_term, n_terms;
  } rows[3 * CARTP_ROSENBROCK_MAX + CARTP_ROSENBROCK_MAX];
  size_t n_rows;
  /* where block b's rows start (its couplings, then its swaps) and where its L and U rows start
   * (block_rows[b] <= block_lu_rows[b] <= block_rows[b + 1]): the lanes' substitution takes a
   * small block's L and U unrolled (rosenbrock_lanes.h), the same operations in the same order */
  unsigned short block_rows[CARTP_ROSENBROCK_MAX + 1], block_lu_rows[CARTP_ROSENBROCK_MAX];
  unsigned short term_lu[CARTP_ROSENBROCK_MAX * CARTP_ROSENBROCK_MAX];
  unsigned char term_position[CARTP_ROSENBROCK_MAX * CARTP_ROSENBROCK_MAX];

  /* Workspace of an attempt. */
  double k[CARTP_ROSENBROCK_STAGES][CARTP_ROSENBROCK_MAX];
  double y_new[CARTP_ROSENBROCK_MAX], stage[CARTP_ROSENBROCK_MAX], f[CARTP_ROSENBROCK_MAX];
  double dfdt[CARTP_ROSENBROCK_MAX];
  double jac[CARTP_ROSENBROCK_MAX * CARTP_ROSENBROCK_MAX]; /* J in the model's order */
  double lu[CARTP_ROSENBROCK_MAX * CARTP_ROSENBROCK_MAX];  /* the iteration matrix in the block
                                                              order: diagonal blocks factorised,
                                                              couplings below them as they are */
  int any_pivot; /* a row swap in the last factorisation */
  int pivot[CARTP_ROSENBROCK_MAX];
  /* 1 / U's diagonal, made by the factorisation: the substitution multiplies (a division in
   * each of the 8 solves of a step is a long dependent latency, most of all in SIMD lanes) */
  double inv_diag[CARTP_ROSENBROCK_MAX];
} cartp_rosenbrock;

/* Sets up for n states (n <= CARTP_ROSENBROCK_MAX) with error weights atol_i + rtol |y_i|; one
 * block, the controller reset. */
void cartp_rosenbrock_init(cartp_rosenbrock *r, size_t n, double rtol, const double *atol);

/* Declares the Jacobian's structure: pattern[i * n + j] != 0 where d f_i / d y_j can be nonzero
 * (the diagonal is always taken as nonzero). Finds the strongly connected components of the
 * dependency graph (Tarjan 1972) and orders them so that the matrix is block lower-triangular. */
void cartp_rosenbrock_set_blocks(cartp_rosenbrock *r, const unsigned char *pattern);

/* Forgets the controller's memory (after a discontinuity: a dose or an event). */
void cartp_rosenbrock_reset(cartp_rosenbrock *r);

/* A first step size from (t0, y0) after a start or a discontinuity (Hairer, Norsett and Wanner
 * I, II.4: two evaluations of f), or `fallback` when f refuses a state there. */
double cartp_rosenbrock_initial_step(cartp_rosenbrock *r, const cartp_rosenbrock_system *sys,
                                     double t0, const double *y0, double fallback);

/* One accepted step from (*t, y) towards t_end, trying *h first (and never past t_end; a step
 * that reaches t_end ends exactly there). Rejected attempts are retried with a smaller step.
 * On success *t, y and *h (the size proposed for the next step) are updated and the step's dense
 * output is kept; on failure *t and y are unchanged and *h is the last size tried. */
int cartp_rosenbrock_evolve(cartp_rosenbrock *r, const cartp_rosenbrock_system *sys, double *t,
                            double t_end, double *h, double *y);

/* cartp_rosenbrock_evolve in its parts, for callers that take the attempt elsewhere (patients in
 * SIMD lanes, rosenbrock_lanes.h) and must keep the same controller:
 *   size   the size to try from t0 towards t_end: *h_try, stretched to t_end (then *last = 1)
 *          when within 0.01 %; CARTP_ROSENBROCK_ESTEPSIZE when it cannot be taken;
 *   judge  after an attempt of size *h_try with error norm err and root = cartp_root5_1(err)
 *          (lib/util/lanes.h: err^(1/5), computed where the attempt was, for all lanes at once)
 *          (refused: the model refused a state or W was singular): 1 accepted (the next size in
 *          *h_next), or 0 rejected (the size to retry in *h_try);
 *   next_size  the proposal after an accepted step: a step cut short to land on t_end says
 *          nothing about the step the solution allows, so the size it was called with stays. */
int cartp_rosenbrock_size(double t0, double t_end, double *h_try, int *last);
int cartp_rosenbrock_judge(cartp_rosenbrock *r, int refused, double err, double root,
                           double *h_try, double *h_next);
static inline double cartp_rosenbrock_next_size(int last, double h_next, double h_called)
{
  return last && h_next < h_called ? h_called : h_next;
}

/* The last accepted step's interpolant at t (in [t0, t1]; order 4). */
void cartp_rosenbrock_dense(const cartp_rosenbrock *r, double t, double *y);

/* The same, each value below 0 written as 0 (an output row: solver.c's record()). */
void cartp_rosenbrock_dense_output(const cartp_rosenbrock *r, double t, double *y);

#endif
