/* rosenbrock.c: Rodas5P with block LU, error control and dense output (see rosenbrock.h).
 *
 * The step, in the transformed form of Hairer and Wanner (Solving ODEs II, 2nd ed., 1996, IV.7,
 * eq. 7.25), with W = I/(h gamma) - J at the step's start:
 *
 *   W k_i = f(t + c_i h, y + sum_{j<i} a_ij k_j) + sum_{j<i} (C_ij / h) k_j + h d_i df/dt,
 *
 * i = 1..8. The method is stiffly accurate: stages 7 and 8 are evaluated at y + sum a_6j k_j +
 * k_6 (+ k_7), the solution is y1 = that + k_7 + k_8, the embedded order-4 solution leaves out
 * k_8, so k_8 is the error estimate. Coefficients: Steinebach 2023 (BIT 63:27), as tabulated in
 * the reference implementation of OrdinaryDiffEq.jl (Rodas5P tableau: gamma, a, C, c, d and the
 * dense-output rows h). */
#include <math.h>
#include <string.h>

#include "rosenbrock.h"

#define CARTP_LANE_W 1 /* the models' exp and the controller's fifth root (lanes.h) */
#include "../util/lanes.h"
#undef CARTP_LANE_W

#include "rosenbrock_tableau.h"

/* Appends a row update of position i (terms added after by add_term). */
static struct cartp_rosenbrock_row *add_row(cartp_rosenbrock *r, int i, int swap_end, int divide,
                                            size_t n_terms_so_far)
{
  struct cartp_rosenbrock_row *row = &r->rows[r->n_rows++];
  *row = (struct cartp_rosenbrock_row){(unsigned char)i, (unsigned char)swap_end,
                                       (unsigned char)divide, (unsigned short)n_terms_so_far, 0};
  return row;
}

static void add_term(cartp_rosenbrock *r, struct cartp_rosenbrock_row *row, size_t *n_terms, int i,
                     int q)
{
  r->term_lu[*n_terms] = (unsigned short)((size_t)i * r->n + (size_t)q);
  r->term_position[*n_terms] = (unsigned char)q;
  (*n_terms)++;
  row->n_terms++;
}

/* The substitution's row updates for the current blocks and couplings, in order: per block, the
 * couplings to earlier blocks (in the rows' own order), the row swaps, L (unit diagonal), then U
 * from the bottom row up. */
static void make_rows(cartp_rosenbrock *r)
{
  size_t n_terms = 0;
  r->n_rows = 0;
  for (size_t b = 0; b < r->n_blocks; b++) {
    const int s = r->block_start[b], e = r->block_start[b + 1];
    r->block_rows[b] = (unsigned short)r->n_rows;
    for (int i = s; i < e; i++) {
      if (r->coupling_start[i] < r->coupling_start[i + 1]) {
        struct cartp_rosenbrock_row *row = add_row(r, i, 0, 0, n_terms);
        for (int c = r->coupling_start[i]; c < r->coupling_start[i + 1]; c++) {
          add_term(r, row, &n_terms, i, r->coupling_position[c]);
        }
      }
    }
    if (e - s > 1) {
      add_row(r, s, e, 0, n_terms);
    }
    r->block_lu_rows[b] = (unsigned short)r->n_rows;
    for (int i = s + 1; i < e; i++) {
      struct cartp_rosenbrock_row *row = add_row(r, i, 0, 0, n_terms);
      for (int q = s; q < i; q++) {
        add_term(r, row, &n_terms, i, q);
      }
    }
    for (int i = e - 1; i >= s; i--) {
      struct cartp_rosenbrock_row *row = add_row(r, i, 0, 1, n_terms);
      for (int q = i + 1; q < e; q++) {
        add_term(r, row, &n_terms, i, q);
      }
    }
  }
  r->block_rows[r->n_blocks] = (unsigned short)r->n_rows;
}

void cartp_rosenbrock_init(cartp_rosenbrock *r, size_t n, double rtol, const double *atol)
{
  r->n = n;
  r->rtol = rtol;
  memcpy(r->atol, atol, n * sizeof *atol);
  for (size_t i = 0; i < n; i++) {
    r->order[i] = (int)i;
  }
  r->block_start[0] = 0;
  r->block_start[1] = (int)n;
  r->n_blocks = 1;
  for (size_t p = 0; p <= n; p++) {
    r->coupling_start[p] = 0;
  }
  make_rows(r);
  r->t0 = r->t1 = 0.0;
  r->inv_dt = 0.0;
  cartp_rosenbrock_reset(r);
}

void cartp_rosenbrock_reset(cartp_rosenbrock *r)
{
  r->h_accepted = r->err_accepted_root = 0.0;
  r->have_accepted = r->last_rejected = 0;
  r->rejected = 0;
}

/* ---- block structure: Tarjan's strongly connected components ---- */

typedef struct scc_search {
  const unsigned char *pattern;
  int n, counter, stack_size;
  int index[CARTP_ROSENBROCK_MAX], low[CARTP_ROSENBROCK_MAX], on_stack[CARTP_ROSENBROCK_MAX];
  int stack[CARTP_ROSENBROCK_MAX];
  cartp_rosenbrock *r;
  int placed;
} scc_search;

/* Tarjan (SIAM J Comput 1972;1:146-160). An edge i -> j means f_i depends on y_j; a component is
 * finished only after every component it depends on, so the order of completion is the order of
 * forward substitution. */
static void scc_visit(scc_search *s, int v)
{
  s->index[v] = s->low[v] = s->counter++;
  s->stack[s->stack_size++] = v;
  s->on_stack[v] = 1;
  for (int w = 0; w < s->n; w++) {
    if (w == v || !s->pattern[v * s->n + w]) {
      continue;
    }
    if (s->index[w] < 0) {
      scc_visit(s, w);
      s->low[v] = s->low[w] < s->low[v] ? s->low[w] : s->low[v];
    } else if (s->on_stack[w]) {
      s->low[v] = s->index[w] < s->low[v] ? s->index[w] : s->low[v];
    }
  }
  if (s->low[v] == s->index[v]) {
    cartp_rosenbrock *r = s->r;
    r->block_start[r->n_blocks++] = s->placed;
    int w;
    do {
      w = s->stack[--s->stack_size];
      s->on_stack[w] = 0;
      r->order[s->placed++] = w;
    } while (w != v);
  }
}

void cartp_rosenbrock_set_blocks(cartp_rosenbrock *r, const unsigned char *pattern)
{
  scc_search s = {.pattern = pattern, .n = (int)r->n, .r = r};
  for (int v = 0; v < s.n; v++) {
    s.index[v] = -1;
    s.on_stack[v] = 0;
  }
  r->n_blocks = 0;
  for (int v = 0; v < s.n; v++) {
    if (s.index[v] < 0) {
      scc_visit(&s, v);
    }
  }
  r->block_start[r->n_blocks] = s.n;
  /* Inside a block, keep the model's order (the stack pops it reversed): only the blocks'
   * sequence matters for the structure, and the model's order is easier to read in a debugger. */
  int count = 0;
  for (size_t b = 0; b < r->n_blocks; b++) {
    const int start = r->block_start[b], end = r->block_start[b + 1];
    for (int i = start, j = end - 1; i < j; i++, j--) {
      const int swap = r->order[i];
      r->order[i] = r->order[j];
      r->order[j] = swap;
    }
    for (int p = start; p < end; p++) {
      r->coupling_start[p] = count;
      for (int q = 0; q < start; q++) {
        if (pattern[r->order[p] * s.n + r->order[q]]) {
          r->coupling_position[count++] = (unsigned char)q;
        }
      }
    }
  }
  r->coupling_start[s.n] = count;
  make_rows(r);
}

/* ---- the linear algebra ---- */

/* W = I/(h gamma) - J in the block order: each diagonal block factorised with partial pivoting
 * (rows swapped inside the block), the declared couplings to earlier blocks kept apart. Returns
 * 0, or 1 when a pivot is exactly zero. */
static int factorise(cartp_rosenbrock *r, double h)
{
  const size_t n = r->n;
  const double diagonal = 1.0 / (h * GAMMA);
  r->any_pivot = 0;
  for (size_t b = 0; b < r->n_blocks; b++) {
    const size_t s = (size_t)r->block_start[b], e = (size_t)r->block_start[b + 1];
    for (size_t p = s; p < e; p++) {
      const double *jrow = r->jac + (size_t)r->order[p] * n;
      double *row = r->lu + p * n;
      for (size_t q = s; q < e; q++) {
        row[q] = -jrow[r->order[q]];
      }
      row[p] += diagonal;
      for (int c = r->coupling_start[p]; c < r->coupling_start[p + 1]; c++) {
        const int q = r->coupling_position[c];
        row[q] = -jrow[r->order[q]];
      }
    }
    for (size_t j = s; j < e; j++) {
      size_t best = j;
      double largest = fabs(r->lu[j * n + j]);
      for (size_t i = j + 1; i < e; i++) {
        const double v = fabs(r->lu[i * n + j]);
        if (v > largest) {
          largest = v;
          best = i;
        }
      }
      if (largest == 0.0) {
        return 1;
      }
      r->pivot[j] = (int)best;
      if (best != j) {
        r->any_pivot = 1;
        for (size_t q = s; q < e; q++) {
          const double swap = r->lu[j * n + q];
          r->lu[j * n + q] = r->lu[best * n + q];
          r->lu[best * n + q] = swap;
        }
      }
      const double inverse = 1.0 / r->lu[j * n + j];
      r->inv_diag[j] = inverse;
      for (size_t i = j + 1; i < e; i++) {
        double *row = r->lu + i * n;
        const double l = row[j] * inverse;
        row[j] = l;
        if (l != 0.0) {
          for (size_t q = j + 1; q < e; q++) {
            row[q] -= l * r->lu[j * n + q];
          }
        }
      }
    }
  }
  return 0;
}

/* x = W^{-1} b (b and x in the model's order; they may be the same array). */
static void solve(const cartp_rosenbrock *r, const double *b, double *x)
{
  const size_t n = r->n;
  const double *lu = r->lu;
  double z[CARTP_ROSENBROCK_MAX];
  for (size_t p = 0; p < n; p++) {
    z[p] = b[r->order[p]];
  }
  for (const struct cartp_rosenbrock_row *row = r->rows, *end = r->rows + r->n_rows; row < end;
       row++) {
    const size_t i = row->i;
    if (row->swap_end > 0) {
      if (r->any_pivot) {
        for (size_t j = i; j < row->swap_end; j++) {
          const size_t p = (size_t)r->pivot[j];
          const double swap = z[j];
          z[j] = z[p];
          z[p] = swap;
        }
      }
      continue;
    }
    double sum = z[i];
    const unsigned short *term_lu = r->term_lu + row->first_term;
    const unsigned char *term_position = r->term_position + row->first_term;
    for (size_t k = 0; k < row->n_terms; k++) {
      sum -= lu[term_lu[k]] * z[term_position[k]];
    }
    z[i] = row->divide ? sum * r->inv_diag[i] : sum;
  }
  for (size_t p = 0; p < n; p++) {
    x[r->order[p]] = z[p];
  }
}

/* ---- one step ---- */

/* Stage i (0-based) of a step: its state (i > 0), f there, and k_i. Inlined with a constant i,
 * so that the sums over the earlier stages are unrolled (a loop of 1 to 7 terms per state cost
 * more in its own bookkeeping than in its arithmetic). Returns the model's status. */
static inline __attribute__((always_inline)) int stage_k(cartp_rosenbrock *r,
                                                         const cartp_rosenbrock_system *sys,
                                                         const int i, double t, double h,
                                                         double inv_h, const double *y)
{
  const size_t n = r->n;
  double *stage = r->stage;
  if (i > 0) {
    /* y + sum a_ij k_j for i < 6; then the previous stage's state + k_{i-1} */
    if (i <= 5) {
      for (size_t m = 0; m < n; m++) {
        double sum = y[m];
        for (int j = 0; j < i; j++) {
          sum += A[i][j] * r->k[j][m];
        }
        stage[m] = sum;
      }
    } else {
      for (size_t m = 0; m < n; m++) {
        stage[m] += r->k[i - 1][m];
      }
    }
    const int status = sys->rhs(t + CT[i] * h, stage, r->f, sys->context);
    if (status != 0) {
      return status;
    }
  }
  /* k_i = W^{-1} (f + h d_i df/dt + sum_j (C_ij / h) k_j) */
  double c[CARTP_ROSENBROCK_STAGES];
  for (int j = 0; j < i; j++) {
    c[j] = C[i][j] * inv_h;
  }
  const double hd = h * D[i];
  double *k = r->k[i];
  for (size_t m = 0; m < n; m++) {
    double sum = r->f[m] + hd * r->dfdt[m];
    for (int j = 0; j < i; j++) {
      sum += c[j] * r->k[j][m];
    }
    k[m] = sum;
  }
  solve(r, k, k);
  return 0;
}

/* One Rodas5P step of size h from (t, y): y_new and the stages in r, the error norm in *err (max
 * over states of |k_8| / (atol + rtol max(|y|, |y_new|)), the norm of GSL's scaled control).
 * Returns 0, > 0 when the model refuses a trial state or W is singular (try a smaller step),
 * < 0 when the model gives up. */
static int attempt(cartp_rosenbrock *r, const cartp_rosenbrock_system *sys, double t, double h,
                   const double *y, double *err)
{
  const size_t n = r->n;
  int status = sys->rhs(t, y, r->f, sys->context);
  if (status == 0) {
    status = sys->jacobian(t, y, r->jac, r->dfdt, sys->context);
  }
  if (status != 0) {
    return status;
  }
  if (factorise(r, h)) {
    return 1;
  }
  const double inv_h = 1.0 / h;
  if ((status = stage_k(r, sys, 0, t, h, inv_h, y)) != 0 ||
      (status = stage_k(r, sys, 1, t, h, inv_h, y)) != 0 ||
      (status = stage_k(r, sys, 2, t, h, inv_h, y)) != 0 ||
      (status = stage_k(r, sys, 3, t, h, inv_h, y)) != 0 ||
      (status = stage_k(r, sys, 4, t, h, inv_h, y)) != 0 ||
      (status = stage_k(r, sys, 5, t, h, inv_h, y)) != 0 ||
      (status = stage_k(r, sys, 6, t, h, inv_h, y)) != 0 ||
      (status = stage_k(r, sys, 7, t, h, inv_h, y)) != 0) {
    return status;
  }
  double worst = 0.0;
  for (size_t m = 0; m < n; m++) {
    r->y_new[m] = r->stage[m] + r->k[7][m];
    const double a = fabs(y[m]), b = fabs(r->y_new[m]);
    const double scale = r->atol[m] + r->rtol * (a > b ? a : b);
    const double e = fabs(r->k[7][m]) / scale;
    worst = e > worst || isnan(e) ? e : worst;
  }
  *err = worst;
  return 0;
}

/* The dense output's vectors of the step just taken. */
static void keep_dense(cartp_rosenbrock *r, double t0, double t1, const double *y)
{
  const size_t n = r->n;
  r->t0 = t0;
  r->t1 = t1;
  r->inv_dt = 1.0 / (t1 - t0);
  memcpy(r->y0, y, n * sizeof *y);
  memcpy(r->y1, r->y_new, n * sizeof *y);
  for (size_t m = 0; m < n; m++) {
    double v0 = 0.0, v1 = 0.0, v2 = 0.0;
    for (int j = 0; j < CARTP_ROSENBROCK_STAGES; j++) {
      const double kj = r->k[j][m];
      v0 += H[0][j] * kj;
      v1 += H[1][j] * kj;
      v2 += H[2][j] * kj;
    }
    r->dense[0][m] = v0;
    r->dense[1][m] = v1;
    r->dense[2][m] = v2;
  }
}

static double clamp(double x, double lo, double hi)
{
  return x < lo ? lo : (x > hi ? hi : x);
}

int cartp_rosenbrock_size(double t0, double t_end, double *h_try, int *last)
{
  /* within 0.01 % of t_end: stretch to it rather than leave a sliver (Hairer's RODAS) */
  *last = t0 + 1.0001 * *h_try >= t_end;
  if (*last) {
    *h_try = t_end - t0;
  }
  return *h_try > 0.0 && t0 + *h_try > t0 ? CARTP_ROSENBROCK_OK : CARTP_ROSENBROCK_ESTEPSIZE;
}

int cartp_rosenbrock_judge(cartp_rosenbrock *r, int refused, double err, double root,
                           double *h_try, double *h_next)
{
  if (refused || !isfinite(err)) {
    r->rejected++;
    r->last_rejected = 1;
    *h_try *= REFUSED_SHRINK;
    return 0;
  }
  /* root = err^(1/5), once: the predictive term (err^2 / err_acc)^(1/5) is built from it and
   * the accepted step's own root */
  double fac = clamp(root / SAFETY, 1.0 / MAX_GROWTH, 1.0 / MIN_SHRINK);
  if (!(err <= 1.0)) {
    r->rejected++;
    r->last_rejected = 1;
    *h_try /= fac;
    return 0;
  }
  if (r->have_accepted) { /* Gustafsson's predictive correction */
    const double predicted = r->h_accepted / *h_try * (root * root / r->err_accepted_root) / SAFETY;
    fac = fmax(fac, clamp(predicted, 1.0 / MAX_GROWTH, 1.0 / MIN_SHRINK));
  }
  *h_next = *h_try / fac;
  if (r->last_rejected && *h_next > *h_try) {
    *h_next = *h_try;
  }
  r->h_accepted = *h_try;
  r->err_accepted_root = err >= 1e-2 ? root : ERR_FLOOR_ROOT; /* of max(1e-2, err) */
  r->have_accepted = 1;
  r->last_rejected = 0;
  return 1;
}

double cartp_rosenbrock_initial_step(cartp_rosenbrock *r, const cartp_rosenbrock_system *sys,
                                     double t0, const double *y0, double fallback)
{
  /* Hairer, Norsett and Wanner, Solving ODEs I (2nd ed., 1993), II.4 "Starting step size":
   * a step of 1 % of the solution's scale over its derivative, tried as an explicit Euler step
   * whose change in f estimates the second derivative; the size then makes that term's error
   * 0.01 (order p = 4 of the error estimate: the 1/5 power), and at most 100 times the first
   * guess. Norms are root mean squares over atol_i + rtol |y0_i|. */
  const size_t n = r->n;
  double *f0 = r->f, *y1 = r->stage, *f1 = r->y_new;
  if (sys->rhs(t0, y0, f0, sys->context) != 0) {
    return fallback;
  }
  double d0 = 0.0, d1 = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double scale = r->atol[i] + r->rtol * fabs(y0[i]);
    d0 += (y0[i] / scale) * (y0[i] / scale);
    d1 += (f0[i] / scale) * (f0[i] / scale);
  }
  d0 = sqrt(d0 / (double)n);
  d1 = sqrt(d1 / (double)n);
  const double h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
  for (size_t i = 0; i < n; i++) {
    y1[i] = y0[i] + h0 * f0[i];
  }
  if (sys->rhs(t0 + h0, y1, f1, sys->context) != 0) {
    return fallback;
  }
  double d2 = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double scale = r->atol[i] + r->rtol * fabs(y0[i]);
    d2 += ((f1[i] - f0[i]) / scale) * ((f1[i] - f0[i]) / scale);
  }
  d2 = sqrt(d2 / (double)n) / h0;
  const double dmax = d1 > d2 ? d1 : d2;
  const double h1 = dmax <= 1e-15 ? fmax(1e-6, 1e-3 * h0) : cartp_root5_1(0.01 / dmax);
  const double h = fmin(100.0 * h0, h1);
  return isfinite(h) && h > 0.0 ? h : fallback;
}

int cartp_rosenbrock_evolve(cartp_rosenbrock *r, const cartp_rosenbrock_system *sys, double *t,
                            double t_end, double *h, double *y)
{
  const double t0 = *t;
  double h_try = *h;
  for (;;) {
    int last;
    if (cartp_rosenbrock_size(t0, t_end, &h_try, &last) != CARTP_ROSENBROCK_OK) {
      *h = h_try;
      return CARTP_ROSENBROCK_ESTEPSIZE;
    }
    double err = 0.0, h_next;
    const int status = attempt(r, sys, t0, h_try, y, &err);
    if (status < 0) {
      *h = h_try;
      return CARTP_ROSENBROCK_EMODEL;
    }
    if (cartp_rosenbrock_judge(r, status > 0, err, cartp_root5_1(err), &h_try, &h_next)) {
      const double t1 = last ? t_end : t0 + h_try;
      keep_dense(r, t0, t1, y);
      memcpy(y, r->y_new, r->n * sizeof *y);
      *t = t1;
      *h = cartp_rosenbrock_next_size(last, h_next, *h);
      return CARTP_ROSENBROCK_OK;
    }
  }
}

/* The interpolant at t into y, each value below 0 written as 0 when `clamp` (a constant in each
 * caller: an output row takes the values as record() in solver.c reports them). */
static inline void dense_at_n(const cartp_rosenbrock *r, size_t n, double t, double *y, int clamp)
{
  if (t == r->t1) {
    for (size_t m = 0; m < n; m++) {
      y[m] = clamp && r->y1[m] < 0.0 ? 0.0 : r->y1[m];
    }
    return;
  }
  const double theta = (t - r->t0) * r->inv_dt, theta1 = 1.0 - theta;
  for (size_t m = 0; m < n; m++) {
    const double v =
        theta1 * r->y0[m] +
        theta * (r->y1[m] +
                 theta1 * (r->dense[0][m] + theta * (r->dense[1][m] + theta * r->dense[2][m])));
    y[m] = clamp && v < 0.0 ? 0.0 : v;
  }
}

/* also with n a constant (CARTP_ROSENBROCK_FIXED_N: for cart, one vector and one more value, no
 * loop; the same operations): about 1 % of the baselines' time in lanes */
static inline void dense_at(const cartp_rosenbrock *r, double t, double *y, int clamp)
{
  if (r->n == CARTP_ROSENBROCK_FIXED_N) {
    dense_at_n(r, CARTP_ROSENBROCK_FIXED_N, t, y, clamp);
  } else {
    dense_at_n(r, r->n, t, y, clamp);
  }
}

CARTP_CLONES void cartp_rosenbrock_dense(const cartp_rosenbrock *r, double t, double *y)
{
  dense_at(r, t, y, 0);
}

CARTP_CLONES void cartp_rosenbrock_dense_output(const cartp_rosenbrock *r, double t, double *y)
{
  dense_at(r, t, y, 1);
}
