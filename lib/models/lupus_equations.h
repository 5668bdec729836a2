/* lupus_equations.h: model lupus's right-hand side, Jacobian and signals (doc/models.md section
 * 11), written once and compiled for one patient (double) and for one patient per SIMD lane
 * (lib/util/lanes.h), as cart's are (cart_equations.h).
 *
 * Included by lupus.c once per width, after defining CARTP_LANE_W (1: scalar) and including
 * lib/util/lanes.h; the state, parameter and derived names are lupus.c's. Every branch on a
 * parameter or a state is a select (CARTP_SEL) that picks, lane by lane, exactly what the scalar
 * code computes; pow (a non-whole n_prog) runs only where some lane needs it. The scalar
 * instantiation does the operations lupus.c did before, in the same order, so a lane and the
 * scalar path give the same bits (tests/check_lanes.c, test_every_model_with_lanes). */

#define CARTP_LANE_TERMS_PROGRAMME
#include "lane_terms.h"

/* What the right-hand side and the Jacobian share at a state. */
typedef struct CARTP_EQ(lupus_terms) {
  CARTP_R antigen;    /* A = a_m (P1 + P2) + B + Ba + Pb */
  CARTP_R stim;       /* S = A / (A + KS) */
  CARTP_R dstim;      /* dS/dA */
  CARTP_R per_target; /* kill rate per accessible target, gamma E / (Kkill + A) */
  CARTP_R inv_den;    /* 1 / (Kkill + A) */
  CARTP_R prog, prog_slope, homeostatic; /* P(t), dP/dt (Jacobian only), H(t) */
} CARTP_EQ(lupus_terms);

/* The rhs leaves prog_slope out (with_slope 0): it needs only P(t). */
static inline void CARTP_EQ(lupus_compute_terms)(CARTP_R t, const CARTP_R *y, const CARTP_R *p,
                                                 const CARTP_R *dv, int with_slope,
                                                 CARTP_EQ(lupus_terms) *s)
{
  s->antigen = p[P_A_M] * (y[P1] + y[P2]) + y[B] + y[BA] + y[PB];
  const CARTP_R inv_ks = 1.0 / (s->antigen + p[P_KS]);
  s->stim = s->antigen * inv_ks;
  s->dstim = p[P_KS] * inv_ks * inv_ks;
  s->inv_den = 1.0 / (p[P_KKILL] + s->antigen);
  s->per_target = p[P_GAMMA] * y[E] * s->inv_den;
  /* programmed decline of proliferation, cart's opt-in mechanism [Kaech 2001, Badovinac 2002] */
  s->prog_slope = CARTP_ZERO;
  s->prog = CARTP_EQ(programme)(p, t, with_slope ? &s->prog_slope : NULL);
  s->homeostatic = p[P_RHO_LD] * CARTP_EQ(libm_exp)(-t * dv[DV_INV_LD_TAU]);
}

static inline void CARTP_EQ(rhs)(CARTP_R t, const CARTP_R *y, CARTP_R *f, const CARTP_R *p,
                                 const CARTP_R *dv)
{
  CARTP_EQ(lupus_terms) s;
  CARTP_EQ(lupus_compute_terms)(t, y, p, dv, 0, &s);
  const CARTP_R e = y[E], m = y[M], k = s.per_target, am = p[P_A_M];
  f[E] = (p[P_RHO] * s.prog * s.stim + s.homeostatic) * e + p[P_OMEGA] * s.stim * m -
         (p[P_DELTA_E] + p[P_K_MEM] + p[P_K_EXH] * s.stim) * e;
  f[M] = p[P_K_MEM] * e - p[P_OMEGA] * s.stim * m - p[P_DELTA_M] * m;
  f[X] = p[P_K_EXH] * s.stim * e - p[P_DELTA_X] * y[X];
  f[P1] = dv[DV_S_P] - p[P_K_MAT] * y[P1] - k * am * y[P1];
  f[P2] = p[P_K_MAT] * (y[P1] - y[P2]) - k * am * y[P2];
  f[B] = p[P_K_MAT] * y[P2] - (p[P_DELTA_B] + p[P_K_ACT]) * y[B] - k * y[B];
  f[BA] = p[P_EPS] * p[P_K_ACT] * y[B] + p[P_R_A] * y[BA] * (1.0 - y[BA] * dv[DV_INV_K_A]) -
          (p[P_DELTA_A] + p[P_K_PB]) * y[BA] - k * y[BA];
  f[PB] = p[P_K_PB] * y[BA] - p[P_DELTA_PB] * y[PB] - k * y[PB];
  f[L] = p[P_K_L] * y[PB] - p[P_DELTA_L] * y[L];
  f[AB] = dv[DV_Q_PB] * y[PB] + dv[DV_Q_L] * y[L] - p[P_DELTA_AB] * y[AB];
  f[IL6] = p[P_K_IL6] * p[P_IL6_0] + dv[DV_P_KILL_9] * k * s.antigen +
           dv[DV_P_ACT_9] * s.stim * e - p[P_K_IL6] * y[IL6];
}

static inline void CARTP_EQ(jacobian)(CARTP_R t, const CARTP_R *y, CARTP_R *J, CARTP_R *dfdt,
                                      const CARTP_R *p, const CARTP_R *dv)
{
  CARTP_EQ(lupus_terms) s;
  CARTP_EQ(lupus_compute_terms)(t, y, p, dv, 1, &s);
  const CARTP_R e = y[E], m = y[M], k = s.per_target, am = p[P_A_M];
  const CARTP_R rho_prog = p[P_RHO] * s.prog;
  for (int i = 0; i < N_STATES * N_STATES; i++) {
    J[i] = CARTP_ZERO;
  }
#define JAC(i, j) J[(i) * N_STATES + (j)]
  /* the terms through A: d/dy_j = d/dA w_j, w_j the weight of state j in A (a_m for P1 and P2,
   * 1 for B, Ba and Pb) */
  const CARTP_R dk_da = -k * s.inv_den; /* d per_target / dA */
  const CARTP_R dk_de = p[P_GAMMA] * s.inv_den;
  const CARTP_R de_da = (rho_prog * e + p[P_OMEGA] * m - p[P_K_EXH] * e) * s.dstim;
  const CARTP_R dm_da = -p[P_OMEGA] * m * s.dstim;
  const CARTP_R dx_da = p[P_K_EXH] * e * s.dstim;
  /* killing of target Y (weight c_Y) is k c_Y Y: d/dA = dk_da c_Y Y */
  const CARTP_R da_kill[N_STATES] = {[P1] = -dk_da * am * y[P1], [P2] = -dk_da * am * y[P2],
                                     [B] = -dk_da * y[B], [BA] = -dk_da * y[BA],
                                     [PB] = -dk_da * y[PB]};
  /* IL-6 from killing, p_kill9 k A = p_kill9 gamma E A / (Kkill + A), and from activation */
  const CARTP_R dil6_da =
      dv[DV_P_KILL_9] * p[P_GAMMA] * e * p[P_KKILL] * s.inv_den * s.inv_den +
      dv[DV_P_ACT_9] * e * s.dstim;
  static const int antigen_states[] = {P1, P2, B, BA, PB};
  const CARTP_R one = CARTP_SPLAT(1.0);
  const CARTP_R weights[] = {am, am, one, one, one};
  for (int a = 0; a < 5; a++) {
    const int j = antigen_states[a];
    const CARTP_R w = weights[a];
    JAC(E, j) = de_da * w;
    JAC(M, j) = dm_da * w;
    JAC(X, j) = dx_da * w;
    for (int i = P1; i <= PB; i++) {
      JAC(i, j) = da_kill[i] * w;
    }
    JAC(IL6, j) = dil6_da * w;
  }
  /* a_m = 0: P1 and P2 are not in A, and their columns keep the zeros (not 0 times a term) */
  const CARTP_M marrow_hidden = CARTP_MASK(am == 0.0);
  if (CARTP_ANY(marrow_hidden)) {
    for (int j = P1; j <= P2; j++) {
      JAC(E, j) = CARTP_SEL(marrow_hidden, CARTP_ZERO, JAC(E, j));
      JAC(M, j) = CARTP_SEL(marrow_hidden, CARTP_ZERO, JAC(M, j));
      JAC(X, j) = CARTP_SEL(marrow_hidden, CARTP_ZERO, JAC(X, j));
      for (int i = P1; i <= PB; i++) {
        JAC(i, j) = CARTP_SEL(marrow_hidden, CARTP_ZERO, JAC(i, j));
      }
      JAC(IL6, j) = CARTP_SEL(marrow_hidden, CARTP_ZERO, JAC(IL6, j));
    }
  }
  /* CAR-T */
  JAC(E, E) = rho_prog * s.stim + s.homeostatic -
              (p[P_DELTA_E] + p[P_K_MEM] + p[P_K_EXH] * s.stim);
  JAC(E, M) = p[P_OMEGA] * s.stim;
  JAC(M, E) = p[P_K_MEM];
  JAC(M, M) = JAC(M, M) + (-p[P_OMEGA] * s.stim - p[P_DELTA_M]);
  JAC(X, E) = p[P_K_EXH] * s.stim;
  JAC(X, X) = -p[P_DELTA_X];
  /* the lineage: linear terms, the killing's own-state and E derivatives (added to the terms
   * through A, as the scalar code's +=) */
  JAC(P1, E) = -dk_de * am * y[P1];
  JAC(P1, P1) = JAC(P1, P1) + (-p[P_K_MAT] - k * am);
  JAC(P2, E) = -dk_de * am * y[P2];
  JAC(P2, P1) = JAC(P2, P1) + p[P_K_MAT];
  JAC(P2, P2) = JAC(P2, P2) + (-p[P_K_MAT] - k * am);
  JAC(B, E) = -dk_de * y[B];
  JAC(B, P2) = JAC(B, P2) + p[P_K_MAT];
  JAC(B, B) = JAC(B, B) + (-(p[P_DELTA_B] + p[P_K_ACT]) - k);
  JAC(BA, E) = -dk_de * y[BA];
  JAC(BA, B) = JAC(BA, B) + p[P_EPS] * p[P_K_ACT];
  JAC(BA, BA) = JAC(BA, BA) + (p[P_R_A] * (1.0 - 2.0 * y[BA] * dv[DV_INV_K_A]) -
                               (p[P_DELTA_A] + p[P_K_PB]) - k);
  JAC(PB, E) = -dk_de * y[PB];
  JAC(PB, BA) = JAC(PB, BA) + p[P_K_PB];
  JAC(PB, PB) = JAC(PB, PB) + (-p[P_DELTA_PB] - k);
  JAC(L, PB) = p[P_K_L];
  JAC(L, L) = -p[P_DELTA_L];
  JAC(AB, PB) = dv[DV_Q_PB];
  JAC(AB, L) = dv[DV_Q_L];
  JAC(AB, AB) = -p[P_DELTA_AB];
  JAC(IL6, E) = dv[DV_P_KILL_9] * p[P_GAMMA] * s.antigen * s.inv_den + dv[DV_P_ACT_9] * s.stim;
  JAC(IL6, IL6) = -p[P_K_IL6];
#undef JAC
  for (int i = 0; i < N_STATES; i++) {
    dfdt[i] = CARTP_ZERO;
  }
  dfdt[E] = (p[P_RHO] * s.prog_slope * s.stim - s.homeostatic * dv[DV_INV_LD_TAU]) * e;
}

/* Signals: Cblood (observe()), the B cells that blood counts see, B + Ba, and the
 * phenomenological activity score sledai_0 Ab^2 (1 + Ab_50^2) / (Ab_50^2 + Ab^2) of Ab clamped
 * at 0; out holds them in that order. */
static inline void CARTP_EQ(signals)(const CARTP_R *y, const CARTP_R *p, CARTP_R *out)
{
  out[0] = p[P_F_BLOOD] * (y[E] + y[M] + y[X]) / (p[P_V_BLOOD] * 1e6);
  out[1] = y[B] + y[BA];
  const CARTP_R ab = CARTP_SEL(y[AB] > 0.0, y[AB], CARTP_ZERO), k2 = p[P_AB_50] * p[P_AB_50];
  out[2] = p[P_SLEDAI_0] * ab * ab * (1.0 + k2) / (k2 + ab * ab);
}
