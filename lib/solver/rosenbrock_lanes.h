/* rosenbrock_lanes.h: Rodas5P over SIMD lanes, one patient per lane (template, internal).
 *
 * Included by batch.c once per width after defining CARTP_LANE_W and including
 * lib/util/lanes.h. Every function here is the scalar integrator's (rosenbrock.c) with the
 * same operations in the same order on lane vectors, so each lane is bit for bit the scalar
 * computation of its patient:
 *   - the attempt (stage_k, attempt, keep_dense): the vector versions of the scalar ones;
 *   - the block LU of W = I/(h gamma) - J with partial pivoting by mask: each lane picks its own
 *     pivot (the first largest |entry|, as the scalar loop), rows are swapped by select, and
 *     the scalar's "skip a zero multiplier" becomes a select that keeps the row as it was;
 *   - a lane whose W is singular is refused like the scalar's factorise() returning 1 (its
 *     stages are computed anyway and ignored);
 *   - a diagonal block of up to CARTP_LANES_BLOCK_UNROLLED states is factorised and substituted
 *     with its size a constant, and the attempt is also compiled for CARTP_LANES_FIXED_N states:
 *     loops unrolled, the operations and their order unchanged.
 * The step-size controller and the solve loop's bookkeeping (batch.c) are the scalar code run
 * lane by lane on the lanes' own errors, steps and times. */

#define CARTP_LN_(name, w) name##w
#define CARTP_LN(name, w) CARTP_LN_(name, w)
#define LN(name) CARTP_LN(name, CARTP_LANE_W)
#define R CARTP_R
#define MK CARTP_M
/* a where m, else b, on masks */
#define SELM(m, a, b) (((m) & (a)) | (~(m) & (b)))
#ifndef CARTP_LANES_BLOCK_UNROLLED
/* the largest diagonal block factorise and solve_pair unroll (a constant size: the block's
 * loops unrolled, its values in registers) */
#define CARTP_LANES_BLOCK_UNROLLED 8
#define CARTP_EACH_UNROLLED_BLOCK(X) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8)
/* the number of states the attempt is also compiled for as a constant (rosenbrock.h; the stage
 * loops, the factorisation's and substitution's indexing unrolled): 4-5 % of the baselines' time
 * in lanes (bench/RESULTS.md, the fifth pass). */
#define CARTP_LANES_FIXED_N CARTP_ROSENBROCK_FIXED_N
#endif

/* The workspace of W patients: their parameters and derived blocks (lanes of the model's
 * table), states and the attempt's vectors. */
typedef struct LN(lanes_work) {
  R p[CART_MAX_PARAMS];
  R derived[CART_MAX_DERIVED];
  R y[CARTP_LANES_MAX];
  R t, h; /* the attempt's start and size */
  R t_end; /* the step's end if accepted: t + h, or exactly the target it lands on */
  R inv_dt; /* 1 / (t_end - t), as rosenbrock.h keeps it for the dense output */
  R toci_rate; /* mg/day into the model's tocilizumab state: solver.c's toci_rate of each lane */
  R err;  /* its error norm */
  R err_root; /* err^(1/5) for the controller (lanes.h's root5) */
  MK refused; /* lanes whose W is singular */
  R k[CARTP_ROSENBROCK_STAGES][CARTP_LANES_MAX];
  R y_new[CARTP_LANES_MAX], stage[CARTP_LANES_MAX], f[CARTP_LANES_MAX], dfdt[CARTP_LANES_MAX];
  R jac[CARTP_LANES_MAX * CARTP_LANES_MAX];
  R lu[CARTP_LANES_MAX * CARTP_LANES_MAX];
  MK pivot[CARTP_LANES_MAX];
  R inv_diag[CARTP_LANES_MAX]; /* rosenbrock.h's inv_diag */
  /* the row swaps some lane made (pivot[j] == q in some lane), in the factorisation's order:
   * the substitution swaps only these, the others would leave every lane as it is */
  int n_swaps;
  unsigned char swap_row[CARTP_LANES_MAX * CARTP_LANES_MAX][2];
  R dense[3][CARTP_LANES_MAX];
  /* The step's samples for the endpoints and events (dense.c's cartp_solver_step_samples): the
   * three Gauss-Legendre nodes, then the end, each an extended vector (states, then signals);
   * made when some lane's patient wants them (want_samples). */
  int want_samples;
  MK roots_quiet; /* lanes whose root functions the step cannot have crossed (roots_screen) */
  R sample_t[CARTP_STEP_SAMPLES];
  R sample[CARTP_STEP_SAMPLES + 1][CARTP_LANES_MAX + CART_MAX_SIGNALS];
} LN(lanes_work);

/* solver.c's system_rhs lane by lane: the running infusion added where one runs. */
static inline void LN(add_infusion)(const cart_model *model, const LN(lanes_work) *w, R *f)
{
  if (cartp_model_toci_state(model) >= 0) {
    R *ft = &f[cartp_model_toci_state(model)];
    *ft = CARTP_SEL(w->toci_rate != 0.0, *ft + w->toci_rate, *ft);
  }
}

/* solver.c's cut_zero_groups lane by lane (a group fed by an infusion is not zero). */
static void LN(cut_zero_groups)(const cart_model *model, const R *y, const R toci_rate, R *dfdy)
{
  const size_t n = model->n_states;
  const int *const *groups = model->zero_groups;
  for (size_t g = 0; groups != NULL && groups[g] != NULL; g++) {
    MK all_zero = ~(MK){0};
    for (const int *i = groups[g]; *i >= 0; i++) {
      all_zero &= (MK)(y[*i] == 0.0);
      if (*i == cartp_model_toci_state(model)) {
        all_zero &= (MK)(toci_rate == 0.0);
      }
    }
    if (!CARTP_ANY(all_zero)) {
      continue;
    }
    const unsigned long members = cartp_zero_group_members(groups[g]);
    for (const int *col = groups[g]; *col >= 0; col++) {
      for (size_t row = 0; row < n; row++) {
        if (!(members >> row & 1)) {
          R *entry = &dfdy[row * n + (size_t)*col];
          *entry = CARTP_SEL(all_zero, CARTP_ZERO, *entry);
        }
      }
    }
  }
}

/* rosenbrock.c's factorise of one diagonal block, positions s .. s + K - 1, lane by lane (the
 * couplings of its rows to earlier blocks copied as they are); lanes with a zero pivot join
 * *singular. With K a constant (factorise below) the loops unroll. */
static inline __attribute__((always_inline)) void
LN(factorise_block)(const cartp_rosenbrock *r, LN(lanes_work) *w, const size_t n, const size_t s,
                    const size_t K, const R diagonal, MK *singular)
{
  for (size_t a = 0; a < K; a++) {
    const size_t p = s + a;
    const R *jrow = w->jac + (size_t)r->order[p] * n;
    R *row = w->lu + p * n;
    for (size_t c = 0; c < K; c++) {
      row[s + c] = -jrow[r->order[s + c]];
    }
    row[p] += diagonal;
    for (int c = r->coupling_start[p]; c < r->coupling_start[p + 1]; c++) {
      const int q = r->coupling_position[c];
      row[q] = -jrow[r->order[q]];
    }
  }
  R *lu = w->lu + s * n + s; /* the block's top left entry: lu[a * n + c], a, c < K */
  for (size_t a = 0; a < K; a++) {
    const size_t j = s + a;
    MK best = (MK){0} + (long)j;
    R largest = CARTP_FABS(lu[a * n + a]);
    for (size_t b = a + 1; b < K; b++) {
      const R v = CARTP_FABS(lu[b * n + a]);
      const MK bigger = (MK)(v > largest);
      largest = CARTP_SEL(bigger, v, largest);
      best = SELM(bigger, (MK){0} + (long)(s + b), best);
    }
    *singular |= (MK)(largest == 0.0);
    w->pivot[j] = best;
    for (size_t b = a + 1; b < K; b++) {
      const MK m = (MK)(best == (long)(s + b));
      if (!CARTP_ANY(m)) {
        continue;
      }
      w->swap_row[w->n_swaps][0] = (unsigned char)j;
      w->swap_row[w->n_swaps][1] = (unsigned char)(s + b);
      w->n_swaps++;
      for (size_t c = 0; c < K; c++) {
        const R x = lu[a * n + c], y = lu[b * n + c];
        lu[a * n + c] = CARTP_SEL(m, y, x);
        lu[b * n + c] = CARTP_SEL(m, x, y);
      }
    }
    const R inverse = 1.0 / lu[a * n + a];
    w->inv_diag[j] = inverse;
    for (size_t b = a + 1; b < K; b++) {
      R *row = lu + b * n;
      const R l = row[a] * inverse;
      row[a] = l;
      const MK nonzero = (MK)(l != 0.0);
      if (CARTP_ANY(nonzero)) {
        for (size_t c = a + 1; c < K; c++) {
          row[c] = CARTP_SEL(nonzero, row[c] - l * lu[a * n + c], row[c]);
        }
      }
    }
  }
}

/* rosenbrock.c's factorise, lane by lane, for n states; lanes with a zero pivot are marked
 * refused. */
static inline __attribute__((always_inline)) void LN(factorise_n)(const cartp_rosenbrock *r,
                                                                  const size_t n, LN(lanes_work) *w)
{
  const R diagonal = 1.0 / (w->h * GAMMA);
  MK singular = (MK){0};
  w->n_swaps = 0;
  for (size_t b = 0; b < r->n_blocks; b++) {
    const size_t s = (size_t)r->block_start[b];
    switch (r->block_start[b + 1] - r->block_start[b]) {
#define CARTP_BLOCK_CASE(K)                                                                        \
  case K:                                                                                          \
    LN(factorise_block)(r, w, n, s, K, diagonal, &singular);                                       \
    break;
      CARTP_EACH_UNROLLED_BLOCK(CARTP_BLOCK_CASE)
#undef CARTP_BLOCK_CASE
    default:
      LN(factorise_block)(r, w, n, s, (size_t)(r->block_start[b + 1] - r->block_start[b]),
                          diagonal, &singular);
      break;
    }
  }
  w->refused = singular;
}

static void LN(factorise)(const cartp_rosenbrock *r, LN(lanes_work) *w)
{
  LN(factorise_n)(r, r->n, w);
}

/* the same for CARTP_LANES_FIXED_N states, n a constant */
static void LN(factorise_fixed)(const cartp_rosenbrock *r, LN(lanes_work) *w)
{
  LN(factorise_n)(r, CARTP_LANES_FIXED_N, w);
}

/* The substitution's row swaps of positions i .. end - 1: z[j] <-> z[pivot[j]], each lane its
 * own pivot, in the order of j (none where no lane pivoted): only the swaps some lane made. */
static inline void LN(swap_pivots)(const LN(lanes_work) *w, R *z, size_t i, size_t end)
{
  for (int k = 0; k < w->n_swaps; k++) {
    const size_t j = w->swap_row[k][0], q = w->swap_row[k][1];
    if (j < i || j >= end) {
      continue;
    }
    const MK m = (MK)(w->pivot[j] == (long)q);
    const R a = z[j], c = z[q];
    z[j] = CARTP_SEL(m, c, a);
    z[q] = CARTP_SEL(m, a, c);
  }
}

/* rosenbrock.c's solve: x = W^{-1} b lane by lane (x may be b). */
static void LN(solve)(const cartp_rosenbrock *r, const LN(lanes_work) *w, const R *b, R *x)
{
  const size_t n = r->n;
  const R *lu = w->lu;
  R z[CARTP_LANES_MAX];
  for (size_t p = 0; p < n; p++) {
    z[p] = b[r->order[p]];
  }
  for (const struct cartp_rosenbrock_row *row = r->rows, *end = r->rows + r->n_rows; row < end;
       row++) {
    const size_t i = row->i;
    if (row->swap_end > 0) {
      LN(swap_pivots)(w, z, i, row->swap_end);
      continue;
    }
    R sum = z[i];
    const unsigned short *term_lu = r->term_lu + row->first_term;
    const unsigned char *term_position = r->term_position + row->first_term;
    for (size_t k = 0; k < row->n_terms; k++) {
      sum -= lu[term_lu[k]] * z[term_position[k]];
    }
    z[i] = row->divide ? sum * w->inv_diag[i] : sum;
  }
  for (size_t p = 0; p < n; p++) {
    x[r->order[p]] = z[p];
  }
}

/* Rows [first, end) of the substitution's list (rosenbrock.h) on two workspaces at once. */
static inline void LN(rows_pair)(const cartp_rosenbrock *r, const LN(lanes_work) *wa, R *za,
                                 const LN(lanes_work) *wb, R *zb, size_t first, size_t end)
{
  const R *lua = wa->lu, *lub = wb->lu;
  for (const struct cartp_rosenbrock_row *row = r->rows + first, *last = r->rows + end;
       row < last; row++) {
    const size_t i = row->i;
    if (row->swap_end > 0) {
      LN(swap_pivots)(wa, za, i, row->swap_end);
      LN(swap_pivots)(wb, zb, i, row->swap_end);
      continue;
    }
    R sa = za[i], sb = zb[i];
    const unsigned short *term_lu = r->term_lu + row->first_term;
    const unsigned char *term_position = r->term_position + row->first_term;
    for (size_t k = 0; k < row->n_terms; k++) {
      const size_t e = term_lu[k], q = term_position[k];
      sa -= lua[e] * za[q];
      sb -= lub[e] * zb[q];
    }
    za[i] = row->divide ? sa * wa->inv_diag[i] : sa;
    zb[i] = row->divide ? sb * wb->inv_diag[i] : sb;
  }
}

/* A diagonal block's L (unit diagonal) and U rows, positions s .. s + K - 1, on two workspaces
 * at once, with K a constant: unrolled, the block's values held in registers instead of indexed
 * through the list. The row updates of make_rows (rosenbrock.c) in their order, so each result is
 * the list's bit for bit. */
static inline __attribute__((always_inline)) void
LN(block_pair)(size_t n, size_t s, const int K, const LN(lanes_work) *wa, R *za,
               const LN(lanes_work) *wb, R *zb)
{
  R xa[CARTP_LANES_BLOCK_UNROLLED], xb[CARTP_LANES_BLOCK_UNROLLED];
  for (int i = 0; i < K; i++) {
    xa[i] = za[s + (size_t)i];
    xb[i] = zb[s + (size_t)i];
  }
  const R *la = wa->lu + s * n + s, *lb = wb->lu + s * n + s;
  for (int i = 1; i < K; i++) { /* L: z_i -= l_iq z_q, q = 0 .. i - 1 */
    R sa = xa[i], sb = xb[i];
    for (int q = 0; q < i; q++) {
      sa -= la[(size_t)i * n + (size_t)q] * xa[q];
      sb -= lb[(size_t)i * n + (size_t)q] * xb[q];
    }
    xa[i] = sa;
    xb[i] = sb;
  }
  for (int i = K - 1; i >= 0; i--) { /* U from the bottom: (z_i - u_iq z_q, q > i) / u_ii */
    R sa = xa[i], sb = xb[i];
    for (int q = i + 1; q < K; q++) {
      sa -= la[(size_t)i * n + (size_t)q] * xa[q];
      sb -= lb[(size_t)i * n + (size_t)q] * xb[q];
    }
    xa[i] = sa * wa->inv_diag[s + (size_t)i];
    xb[i] = sb * wb->inv_diag[s + (size_t)i];
  }
  for (int i = 0; i < K; i++) {
    za[s + (size_t)i] = xa[i];
    zb[s + (size_t)i] = xb[i];
  }
}

/* solve() of two workspaces at once (x may be b in each): the same row updates on both, so
 * that each index fetched serves two vectors and the two chains of dependent subtractions run
 * side by side; a block of up to CARTP_LANES_BLOCK_UNROLLED states unrolled (block_pair). Each
 * result is solve()'s bit for bit. */
static inline __attribute__((always_inline)) void
LN(solve_pair_n)(const cartp_rosenbrock *r, const size_t n, const LN(lanes_work) *wa, R *xa,
                 const LN(lanes_work) *wb, R *xb)
{
  R za[CARTP_LANES_MAX], zb[CARTP_LANES_MAX];
  for (size_t p = 0; p < n; p++) {
    za[p] = xa[r->order[p]];
    zb[p] = xb[r->order[p]];
  }
  for (size_t b = 0; b < r->n_blocks; b++) {
    /* the couplings to earlier blocks and the pivots' swaps, then L and U */
    LN(rows_pair)(r, wa, za, wb, zb, r->block_rows[b], r->block_lu_rows[b]);
    const size_t s = (size_t)r->block_start[b];
    switch (r->block_start[b + 1] - r->block_start[b]) {
#define CARTP_BLOCK_CASE(K)                                                                        \
  case K:                                                                                          \
    LN(block_pair)(n, s, K, wa, za, wb, zb);                                                       \
    break;
      CARTP_EACH_UNROLLED_BLOCK(CARTP_BLOCK_CASE)
#undef CARTP_BLOCK_CASE
    default:
      LN(rows_pair)(r, wa, za, wb, zb, r->block_lu_rows[b], r->block_rows[b + 1]);
      break;
    }
  }
  for (size_t p = 0; p < n; p++) {
    xa[r->order[p]] = za[p];
    xb[r->order[p]] = zb[p];
  }
}

static void LN(solve_pair)(const cartp_rosenbrock *r, const LN(lanes_work) *wa, R *xa,
                           const LN(lanes_work) *wb, R *xb)
{
  LN(solve_pair_n)(r, r->n, wa, xa, wb, xb);
}

/* the same for CARTP_LANES_FIXED_N states, n a constant */
static void LN(solve_pair_fixed)(const cartp_rosenbrock *r, const LN(lanes_work) *wa, R *xa,
                                 const LN(lanes_work) *wb, R *xb)
{
  LN(solve_pair_n)(r, CARTP_LANES_FIXED_N, wa, xa, wb, xb);
}

/* rosenbrock.c's stage_k over the lanes up to its linear system, for n states: k_i holds the
 * system's right-hand side (stage_k below solves it). */
static inline __attribute__((always_inline)) void
LN(stage_rhs_n)(const size_t n, const cart_model *model, LN(lanes_work) *w, const int i, R inv_h)
{
  R *stage = w->stage;
  const R t = w->t, h = w->h;
  if (i > 0) {
    if (i <= 5) {
      for (size_t m = 0; m < n; m++) {
        R sum = w->y[m];
        for (int j = 0; j < i; j++) {
          sum += A[i][j] * w->k[j][m];
        }
        stage[m] = sum;
      }
    } else {
      for (size_t m = 0; m < n; m++) {
        stage[m] += w->k[i - 1][m];
      }
    }
    const R ti = t + CT[i] * h;
    model->lanes->CARTP_LN(rhs, CARTP_LANE_W)(&ti, stage, w->f, w->p, w->derived);
    LN(add_infusion)(model, w, w->f);
  }
  R c[CARTP_ROSENBROCK_STAGES];
  for (int j = 0; j < i; j++) {
    c[j] = C[i][j] * inv_h;
  }
  const R hd = h * D[i];
  R *k = w->k[i];
  for (size_t m = 0; m < n; m++) {
    R sum = w->f[m] + hd * w->dfdt[m];
    for (int j = 0; j < i; j++) {
      sum += c[j] * w->k[j][m];
    }
    k[m] = sum;
  }
}

/* the same for r's states */
static inline __attribute__((always_inline)) void
LN(stage_rhs)(const cartp_rosenbrock *r, const cart_model *model, LN(lanes_work) *w, const int i,
            R inv_h)
{
  LN(stage_rhs_n)(r->n, model, w, i, inv_h);
}

/* rosenbrock.c's stage_k over the lanes. */
static inline __attribute__((always_inline)) void
LN(stage_k)(const cartp_rosenbrock *r, const cart_model *model, LN(lanes_work) *w, const int i,
            R inv_h)
{
  LN(stage_rhs)(r, model, w, i, inv_h);
  LN(solve)(r, w, w->k[i], w->k[i]);
}

/* The first half of rosenbrock.c's attempt over the lanes, up to the factorised W. */
static inline __attribute__((always_inline)) void
LN(attempt_begin)(const cartp_rosenbrock *r, const cart_model *model, LN(lanes_work) *w)
{
  model->lanes->CARTP_LN(rhs, CARTP_LANE_W)(&w->t, w->y, w->f, w->p, w->derived);
  LN(add_infusion)(model, w, w->f);
  model->lanes->CARTP_LN(jacobian, CARTP_LANE_W)(&w->t, w->y, w->jac, w->dfdt, w->p,
                                                 w->derived);
  LN(cut_zero_groups)(model, w->y, w->toci_rate, w->jac);
  (r->n == CARTP_LANES_FIXED_N ? LN(factorise_fixed) : LN(factorise))(r, w);
}

/* The step's end and rosenbrock.c's error norm of every lane. */
static inline __attribute__((always_inline)) void
LN(attempt_end_n)(const cartp_rosenbrock *r, const size_t n, LN(lanes_work) *w)
{
  R worst = CARTP_ZERO;
  for (size_t m = 0; m < n; m++) {
    w->y_new[m] = w->stage[m] + w->k[7][m];
    const R a = CARTP_FABS(w->y[m]), b = CARTP_FABS(w->y_new[m]);
    const R scale = r->atol[m] + r->rtol * CARTP_SEL(a > b, a, b);
    const R e = CARTP_FABS(w->k[7][m]) / scale;
    worst = CARTP_SEL(CARTP_OR(e > worst, e != e), e, worst);
  }
  w->err = worst;
  w->err_root = CARTP_PASTE(cartp_root5_, CARTP_LANE_W)(worst);
}

static inline __attribute__((always_inline)) void LN(attempt_end)(const cartp_rosenbrock *r,
                                                                  LN(lanes_work) *w)
{
  LN(attempt_end_n)(r, r->n, w);
}

/* rosenbrock.c's attempt over the lanes: one step of size w->h from (w->t, w->y): y_new, the
 * stages and the error norm w->err of every lane; w->refused marks lanes with a singular W. */
static void LN(attempt)(const cartp_rosenbrock *r, const cart_model *model, LN(lanes_work) *w)
{
  LN(attempt_begin)(r, model, w);
  const R inv_h = 1.0 / w->h;
  /* the stages one by one, so that each call sees its stage number as a constant */
  LN(stage_k)(r, model, w, 0, inv_h);
  LN(stage_k)(r, model, w, 1, inv_h);
  LN(stage_k)(r, model, w, 2, inv_h);
  LN(stage_k)(r, model, w, 3, inv_h);
  LN(stage_k)(r, model, w, 4, inv_h);
  LN(stage_k)(r, model, w, 5, inv_h);
  LN(stage_k)(r, model, w, 6, inv_h);
  LN(stage_k)(r, model, w, 7, inv_h);
  LN(attempt_end)(r, w);
}

/* Two attempts at once, of two workspaces of lanes: each stage of one is a chain of dependent
 * operations (right-hand side, substitution) too short to keep the vector units busy, and the
 * other's, independent of it, fills the gaps (instruction-level parallelism). Each workspace's
 * results are those of attempt() on it alone. */
static inline __attribute__((always_inline)) void
LN(attempt_pair_n)(const cartp_rosenbrock *r, const size_t n, const cart_model *model,
                   LN(lanes_work) *a, LN(lanes_work) *b)
{
  LN(attempt_begin)(r, model, a);
  LN(attempt_begin)(r, model, b);
  const R inv_ha = 1.0 / a->h, inv_hb = 1.0 / b->h;
#define CARTP_STAGE_PAIR(i)                                                                       \
  LN(stage_rhs_n)(n, model, a, i, inv_ha);                                                        \
  LN(stage_rhs_n)(n, model, b, i, inv_hb);                                                        \
  (n == CARTP_LANES_FIXED_N ? LN(solve_pair_fixed) : LN(solve_pair))(r, a, a->k[i], b, b->k[i])
  CARTP_STAGE_PAIR(0);
  CARTP_STAGE_PAIR(1);
  CARTP_STAGE_PAIR(2);
  CARTP_STAGE_PAIR(3);
  CARTP_STAGE_PAIR(4);
  CARTP_STAGE_PAIR(5);
  CARTP_STAGE_PAIR(6);
  CARTP_STAGE_PAIR(7);
#undef CARTP_STAGE_PAIR
  LN(attempt_end_n)(r, n, a);
  LN(attempt_end_n)(r, n, b);
}

/* attempt_pair_n, with the number of states a constant when it is CARTP_LANES_FIXED_N. */
static void LN(attempt_pair)(const cartp_rosenbrock *r, const cart_model *model, LN(lanes_work) *a,
                             LN(lanes_work) *b)
{
  if (r->n == CARTP_LANES_FIXED_N) {
    LN(attempt_pair_n)(r, CARTP_LANES_FIXED_N, model, a, b);
  } else {
    LN(attempt_pair_n)(r, r->n, model, a, b);
  }
}

/* rosenbrock.c's keep_dense: the interpolant's three vectors of every lane's step. */
static void LN(keep_dense)(const cartp_rosenbrock *r, LN(lanes_work) *w)
{
  for (size_t m = 0; m < r->n; m++) {
    R v0 = CARTP_SPLAT(0.0), v1 = CARTP_SPLAT(0.0), v2 = CARTP_SPLAT(0.0);
    for (int j = 0; j < CARTP_ROSENBROCK_STAGES; j++) {
      const R kj = w->k[j][m];
      v0 += H[0][j] * kj;
      v1 += H[1][j] * kj;
      v2 += H[2][j] * kj;
    }
    w->dense[0][m] = v0;
    w->dense[1][m] = v1;
    w->dense[2][m] = v2;
  }
}

/* dense.c's cartp_solver_step_samples for every lane's step [t, t_end], from the step's dense
 * output (rosenbrock.c's cartp_rosenbrock_dense, operation for operation) and the model's
 * signals over the lanes. */
static void LN(samples)(const cartp_rosenbrock *r, const cart_model *model, LN(lanes_work) *w)
{
  const size_t n = r->n;
  const R t0 = w->t, t1 = w->t_end;
  const R mid = 0.5 * (t0 + t1), half = 0.5 * (t1 - t0);
  static const double node[CARTP_STEP_SAMPLES] = {-CARTP_GAUSS_NODE, 0.0, CARTP_GAUSS_NODE};
  for (int i = 0; i < CARTP_STEP_SAMPLES; i++) {
    const R t = mid + node[i] * half;
    const R theta = (t - t0) * w->inv_dt, theta1 = 1.0 - theta;
    const MK at_end = (MK)(t == t1);
    w->sample_t[i] = t;
    for (size_t m = 0; m < n; m++) {
      const R v = theta1 * w->y[m] +
                  theta * (w->y_new[m] +
                           theta1 * (w->dense[0][m] + theta * (w->dense[1][m] + theta * w->dense[2][m])));
      w->sample[i][m] = CARTP_SEL(at_end, w->y_new[m], v);
    }
  }
  for (size_t m = 0; m < n; m++) {
    w->sample[CARTP_STEP_SAMPLES][m] = w->y_new[m];
  }
  for (int i = 0; i <= CARTP_STEP_SAMPLES && model->n_signals > 0; i++) {
    model->lanes->CARTP_LN(signals, CARTP_LANE_W)(w->sample[i], w->p, w->sample[i] + n);
  }
}

/* events.c's cartp_roots_search, screened for every lane at once on the step's samples: a lane
 * is quiet when, for each of the lead's root functions (the lane's own must be the same), g has
 * no sign change in the event's direction between consecutive samples (root_prev, the three
 * nodes, the end) and no sample is a local extreme on the safe side (where the search would
 * look for a crossing that reverts between samples). Conservative: a lane that is not quiet is
 * searched as ever, and one that is would be found to have nothing. */
static void LN(roots_screen)(const cart_solver *lead, cart_solver *const *solvers,
                             const int *results, LN(lanes_work) *w)
{
  MK quiet = (MK){0};
  for (int l = 0; l < CARTP_LANE_W; l++) {
    const cart_solver *s = solvers[l];
    int same = results[l] == CARTP_LANE_PENDING && s->n_roots == lead->n_roots;
    for (size_t r = 0; same && r < lead->n_roots; r++) {
      same = s->roots[r].index == lead->roots[r].index &&
             s->roots[r].level == lead->roots[r].level &&
             s->roots[r].direction == lead->roots[r].direction;
    }
    quiet[l] = same ? -1 : 0;
  }
  for (size_t r = 0; r < lead->n_roots && CARTP_ANY(quiet); r++) {
    const root_fn *root = &lead->roots[r];
    const double s = (double)root->direction; /* s g rises through 0 at a crossing */
    R g[CARTP_STEP_SAMPLES + 2], before = CARTP_ZERO; /* lane by lane into a whole vector */
    for (int l = 0; l < CARTP_LANE_W; l++) {
      before[l] = quiet[l] ? solvers[l]->root_prev[r] : 0.0;
    }
    g[0] = before;
    for (int j = 0; j <= CARTP_STEP_SAMPLES; j++) {
      g[j + 1] = w->sample[j][root->index] - root->level;
    }
    for (int j = 0; j + 1 < CARTP_STEP_SAMPLES + 2; j++) {
      /* events.c's crosses(): falling a > 0 >= b, rising a < 0 <= b */
      const MK crosses = root->direction < 0 ? (MK)(g[j] > 0.0) & (MK)(g[j + 1] <= 0.0)
                                             : (MK)(g[j] < 0.0) & (MK)(g[j + 1] >= 0.0);
      quiet &= ~crosses;
      if (j > 0) { /* events.c's may_hide_crossing() before its parabola */
        const R a = s * g[j - 1], b = s * g[j], c = s * g[j + 1];
        const MK safe = (MK)(b < 0.0);
        const MK extreme = (MK)(b >= a) & (MK)(b >= c) & ((MK)(b > a) | (MK)(b > c));
        quiet &= ~(safe & extreme);
      }
    }
  }
  w->roots_quiet = quiet;
}

#undef SELM
#undef MK
#undef R
#undef LN
