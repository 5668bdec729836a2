/* cart2_equations.h: model cart2's right-hand side, Jacobian and signals (MODEL.md 2.3), written
 * once and compiled for one patient (double) and for one patient per SIMD lane
 * (lib/util/lanes.h).
 *
 * Included by cart2.c once per width, after defining CARTP_LANE_W (1: scalar) and including
 * lib/util/lanes.h; the state, parameter and derived names are cart2.c's. Every branch on a
 * parameter or a state is a select (CARTP_SEL) that picks, lane by lane, exactly what the scalar
 * code computes; a term only some lanes need (a Hill power by pow, one of effector_rate's two
 * forms) is computed only when some lane needs it. The scalar instantiation is the code cart2.c
 * had before, operation for operation, libm's exp included: the lanes call it lane by lane
 * (lane_terms.h's libm_exp), so every lane is bit for bit the one-patient result. */

#define CARTP_LANE_TERMS_IL6_LOOP
#include "lane_terms.h"

/* Whether Ta and Tb are targets (MODEL.md 2.3: a cell is a target if it carries a recognised
 * antigen): 1 or 0. A non-integer car_targets never reaches a solve: check() rejects it. */
static inline void CARTP_EQ(target_weights)(const CARTP_R *p, CARTP_R *w_a, CARTP_R *w_b)
{
  const CARTP_R ct = p[P_CAR_TARGETS];
  *w_a = CARTP_SEL(CARTP_OR(ct == 1.0, ct == 3.0), CARTP_SPLAT(1.0), CARTP_ZERO);
  *w_b = CARTP_SEL(CARTP_OR(ct == 2.0, ct == 3.0), CARTP_SPLAT(1.0), CARTP_ZERO);
}

/* Net per-cell rate of dE/dt without the memory term: (rho - k_exh) S + H - delta_E - k_mem.
 * Where S is near 1 it is formed from 1 - S = KS/(A + KS), so no intermediate of size rho (or
 * rho E) carries the small change of S with the antigen load: that change is then resolved to
 * rounding of the rate itself, which is what the solver's Newton matrix and the finite-difference
 * Jacobian check (tests/check_models.c) both see. The same value either way, to rounding; each
 * form (one division) only where some lane is on its side of KS. */
static inline CARTP_R CARTP_EQ(effector_rate)(const CARTP_R *p, CARTP_R homeostatic,
                                               CARTP_R antigen)
{
  const CARTP_R net = p[P_RHO] - p[P_K_EXH];
  const CARTP_R fixed = homeostatic - p[P_DELTA_E] - p[P_K_MEM];
  const CARTP_M saturated = CARTP_MASK(antigen > p[P_KS]);
  CARTP_R rate = CARTP_ZERO;
  if (CARTP_ANY(saturated)) {
    rate = CARTP_SEL(saturated, (net + fixed) - net * (p[P_KS] / (antigen + p[P_KS])), rate);
  }
  if (CARTP_ANY(CARTP_NOT(saturated))) {
    rate = CARTP_SEL(saturated, rate, net * (antigen / (antigen + p[P_KS])) + fixed);
  }
  return rate;
}

static inline void CARTP_EQ(rhs)(CARTP_R t, const CARTP_R *y, CARTP_R *f, const CARTP_R *p,
                                 const CARTP_R *dv)
{
  const CARTP_R w_a = dv[DV_W_A], w_b = dv[DV_W_B];
  const CARTP_R e = y[E], m = y[M], x = y[X], b = y[B], il6 = y[IL6], d1 = y[D1], d2 = y[D2];
  const CARTP_R tab = y[TAB], ta = y[TA], tb = y[TB], t0n = y[T0N];

  /* MODEL.md 2.3: A is every target phenotype plus B; each target Y loses gamma E Y/(Kkill + A). */
  const CARTP_R antigen = tab + w_a * ta + w_b * tb + b;
  const CARTP_R stim = antigen / (antigen + p[P_KS]);
  const CARTP_R homeostatic = p[P_RHO_LD] * CARTP_EQ(libm_exp)(-t / p[P_LD_TAU]);
  const CARTP_R kill_per_target = p[P_GAMMA] * e / (p[P_KKILL] + antigen);
  const CARTP_R c1 = d1 / p[P_V1];
  const CARTP_R free_receptor = p[P_KD_TOCI] / (c1 + p[P_KD_TOCI]); /* 1 - RO */
  const CARTP_R il6s = il6 * free_receptor;
  const CARTP_R growth = p[P_R_TUM] * (1.0 - (tab + ta + tb + t0n) / p[P_K_TUM]);
  const CARTP_R mu_a = p[P_MU_A], mu_b = p[P_MU_B];

  f[E] = CARTP_EQ(effector_rate)(p, homeostatic, antigen) * e + p[P_OMEGA] * stim * m;
  f[M] = p[P_K_MEM] * e - p[P_OMEGA] * stim * m - p[P_DELTA_M] * m;
  f[X] = p[P_K_EXH] * stim * e - p[P_DELTA_X] * x;
  /* Antigen loss: losing a turns Tab into Tb and Ta into T0n; losing b turns Tab into Ta and Tb
   * into T0n. */
  f[TAB] = growth * tab - (mu_a + mu_b) * tab - kill_per_target * tab;
  f[TA] = growth * ta + mu_b * tab - mu_a * ta - kill_per_target * w_a * ta;
  f[TB] = growth * tb + mu_a * tab - mu_b * tb - kill_per_target * w_b * tb;
  f[T0N] = growth * t0n + mu_a * ta + mu_b * tb;
  f[B] = p[P_DELTA_B] * p[P_B0] - p[P_DELTA_B] * b - kill_per_target * b;
  /* IL-6 from killing counts every kill: tumour of each target phenotype and B cells. */
  f[IL6] = dv[DV_P0] + p[P_P_KILL] * kill_per_target * antigen / 1e9 +
           p[P_P_ACT] * stim * e / 1e9 + CARTP_EQ(amplification)(p, dv, il6s) -
           (p[P_K_IL6] + p[P_K_REC] * free_receptor) * il6;
  f[D1] = -(p[P_CL] / p[P_V1]) * d1 - p[P_VMAX] * c1 / (p[P_KM] + c1) - (p[P_Q] / p[P_V1]) * d1 +
          (p[P_Q] / p[P_V2]) * d2;
  f[D2] = (p[P_Q] / p[P_V1]) * d1 - (p[P_Q] / p[P_V2]) * d2;
}

static inline void CARTP_EQ(jacobian)(CARTP_R t, const CARTP_R *y, CARTP_R *J, CARTP_R *dfdt,
                                      const CARTP_R *p, const CARTP_R *dv)
{
  /* The tumour phenotypes, in the order of the per-phenotype arrays below. */
  static const int tumour[4] = {TAB, TA, TB, T0N};
  const CARTP_R e = y[E], m = y[M], b = y[B], il6 = y[IL6], d1 = y[D1];
  /* weight of each phenotype in A */
  const CARTP_R w[4] = {CARTP_SPLAT(1.0), dv[DV_W_A], dv[DV_W_B], CARTP_ZERO};
  const CARTP_R mu_a = p[P_MU_A], mu_b = p[P_MU_B];
  /* loss[i][k]: coefficient of phenotype k in the antigen-loss terms of phenotype i's equation */
  const CARTP_R loss[4][4] = {
      {-(mu_a + mu_b), CARTP_ZERO, CARTP_ZERO, CARTP_ZERO},
      {mu_b, -mu_a, CARTP_ZERO, CARTP_ZERO},
      {mu_a, CARTP_ZERO, -mu_b, CARTP_ZERO},
      {CARTP_ZERO, mu_a, mu_b, CARTP_ZERO},
  };

  CARTP_R antigen = b, total = CARTP_ZERO;
  for (int k = 0; k < 4; k++) {
    antigen += w[k] * y[tumour[k]];
    total += y[tumour[k]];
  }
  const CARTP_R ks_sum = antigen + p[P_KS];
  const CARTP_R stim = antigen / ks_sum;
  const CARTP_R dstim = p[P_KS] / (ks_sum * ks_sum); /* dS/dA */
  const CARTP_R homeostatic = p[P_RHO_LD] * CARTP_EQ(libm_exp)(-t / p[P_LD_TAU]);
  const CARTP_R den = p[P_KKILL] + antigen;
  const CARTP_R g = p[P_GAMMA];
  const CARTP_R q = g * e / den;          /* kill per target */
  const CARTP_R dq = g * e / (den * den); /* -dq/dA */
  const CARTP_R c1 = d1 / p[P_V1];
  const CARTP_R kd_sum = c1 + p[P_KD_TOCI];
  const CARTP_R free_receptor = p[P_KD_TOCI] / kd_sum;
  const CARTP_R dro_dd1 = p[P_KD_TOCI] / (kd_sum * kd_sum) / p[P_V1]; /* dRO/dD1 */
  const CARTP_R il6s = il6 * free_receptor;
  const CARTP_R amp_slope = CARTP_EQ(amplification_slope)(p, dv, il6s);
  const CARTP_R r = p[P_R_TUM];
  const CARTP_R growth = r * (1.0 - total / p[P_K_TUM]);

  for (int i = 0; i < N_STATES * N_STATES; i++) {
    J[i] = CARTP_ZERO;
  }
#define JAC(i, j) J[(i) * N_STATES + (j)]
  /* Rows that see the antigen load A = sum w_k T_k + B: d/dT_k = w_k d/dA, d/dB = d/dA. */
  const CARTP_R e_by_a = (p[P_RHO] * e + p[P_OMEGA] * m - p[P_K_EXH] * e) * dstim;
  const CARTP_R m_by_a = -p[P_OMEGA] * m * dstim;
  const CARTP_R x_by_a = p[P_K_EXH] * e * dstim;
  /* total kill = g E A / (Kkill + A): d/dA = g E Kkill / (Kkill + A)^2 */
  const CARTP_R il6_by_a = p[P_P_KILL] * dq * p[P_KKILL] / 1e9 + p[P_P_ACT] * e * dstim / 1e9;
  const CARTP_R b_by_a = b * dq; /* kill_B = q B */
  for (int k = 0; k < 4; k++) {
    const int j = tumour[k];
    JAC(E, j) = e_by_a * w[k];
    JAC(M, j) = m_by_a * w[k];
    JAC(X, j) = x_by_a * w[k];
    JAC(B, j) = b_by_a * w[k];
    JAC(IL6, j) = il6_by_a * w[k];
  }
  JAC(E, B) = e_by_a;
  JAC(M, B) = m_by_a;
  JAC(X, B) = x_by_a;
  JAC(IL6, B) = il6_by_a;
  /* dE/dt, dM/dt, dX/dt */
  JAC(E, E) = CARTP_EQ(effector_rate)(p, homeostatic, antigen);
  JAC(E, M) = p[P_OMEGA] * stim;
  JAC(M, E) = p[P_K_MEM];
  JAC(M, M) = -p[P_OMEGA] * stim - p[P_DELTA_M];
  JAC(X, E) = p[P_K_EXH] * stim;
  JAC(X, X) = -p[P_DELTA_X];
  /* Tumour phenotype i: growth(N) y_i + loss terms - w_i q y_i. */
  for (int i = 0; i < 4; i++) {
    const int row = tumour[i];
    const CARTP_R yi = y[row];
    JAC(row, E) = -w[i] * g * yi / den;
    for (int k = 0; k < 4; k++) {
      JAC(row, tumour[k]) = -r * yi / p[P_K_TUM] + loss[i][k] + w[i] * yi * dq * w[k];
    }
    JAC(row, row) += growth - w[i] * q;
    JAC(row, B) = w[i] * yi * dq;
  }
  /* dB/dt: delta_B (B0 - B) - q B */
  JAC(B, E) = -g * b / den;
  JAC(B, B) = -p[P_DELTA_B] - q + b_by_a;
  /* dIL6/dt */
  JAC(IL6, E) = p[P_P_KILL] * g * antigen / den / 1e9 + p[P_P_ACT] * stim / 1e9;
  JAC(IL6, IL6) = amp_slope * free_receptor - (p[P_K_IL6] + p[P_K_REC] * free_receptor);
  JAC(IL6, D1) = -amp_slope * il6 * dro_dd1 + p[P_K_REC] * dro_dd1 * il6;
  /* tocilizumab PK */
  const CARTP_R km_sum = p[P_KM] + c1;
  JAC(D1, D1) = -p[P_CL] / p[P_V1] - p[P_VMAX] * p[P_KM] / (km_sum * km_sum) / p[P_V1] -
                p[P_Q] / p[P_V1];
  JAC(D1, D2) = p[P_Q] / p[P_V2];
  JAC(D2, D1) = p[P_Q] / p[P_V1];
  JAC(D2, D2) = -p[P_Q] / p[P_V2];
#undef JAC
  for (int i = 0; i < N_STATES; i++) {
    dfdt[i] = CARTP_ZERO;
  }
  dfdt[E] = -homeostatic / p[P_LD_TAU] * e; /* only H(t) depends on t */
}

/* The signals (cart2.c's signal list): Cblood, the tumour sum, the escape cells (the phenotypes
 * this CAR cannot target) and IL6s = IL6 (1 - RO), formed as rhs() forms it; out holds them in
 * that order. */
static inline void CARTP_EQ(signals)(const CARTP_R *y, const CARTP_R *p, CARTP_R *out)
{
  CARTP_R w_a, w_b;
  CARTP_EQ(target_weights)(p, &w_a, &w_b);
  out[0] = p[P_F_BLOOD] * (y[E] + y[M] + y[X]) / (p[P_V_BLOOD] * 1e6); /* observe() */
  out[1] = y[TAB] + y[TA] + y[TB] + y[T0N];
  out[2] = (1.0 - w_a) * y[TA] + (1.0 - w_b) * y[TB] + y[T0N];
  const CARTP_R c1 = y[D1] / p[P_V1];
  out[3] = y[IL6] * (p[P_KD_TOCI] / (c1 + p[P_KD_TOCI]));
}
