/* solid_equations.h: model solid's right-hand side, Jacobian and signals (doc/models.md section
 * 3c), written once over SIMD lanes like cart's (lib/util/lanes.h, cart_equations.h) and
 * included by solid.c once per width after defining CARTP_LANE_W (1: one patient); the state,
 * parameter and derived names are solid.c's.
 *
 * Every branch on a parameter or a state (the programme switched off, a Hill coefficient other
 * than 2, tocilizumab's saturable elimination) is a select (CARTP_SEL) that picks, lane by lane,
 * exactly what the one-patient code computes; a term that costs a library call or a division
 * is computed only where some lane needs it. The scalar instantiation does the operations
 * solid.c did before its lanes, in the same order, so every result is bit for bit what it was:
 * in particular the lymphodepletion term keeps libm's exp, lane by lane (lane_terms.h's
 * libm_exp), where cart uses the models' own exp (CARTP_EXP) and its results moved by rounding
 * when it did. */

#define CARTP_LANE_TERMS_IL6_LOOP
#define CARTP_LANE_TERMS_PROGRAMME
#include "lane_terms.h"

/* Two-compartment antibody PK (cart's tocilizumab PK, MODEL.md 2.2): amounts a1, a2 (mg),
 * optional Michaelis-Menten elimination vmax c1 / (km + c1) from the central compartment where
 * vmax > 0 (tocilizumab; anti-PD-1 is cleared linearly: vmax = 0). */
static inline void CARTP_EQ(antibody_rhs)(CARTP_R cl, CARTP_R v1, CARTP_R v2, CARTP_R q,
                                          CARTP_R vmax, CARTP_R km, CARTP_R a1, CARTP_R a2,
                                          CARTP_R *f1, CARTP_R *f2)
{
  const CARTP_R c1 = a1 / v1;
  const CARTP_M mm_on = CARTP_MASK(vmax > 0.0);
  CARTP_R mm = CARTP_ZERO;
  if (CARTP_ANY(mm_on)) {
    mm = CARTP_SEL(mm_on, vmax * c1 / (km + c1), mm);
  }
  *f1 = -(cl / v1) * a1 - mm - (q / v1) * a1 + (q / v2) * a2;
  *f2 = (q / v1) * a1 - (q / v2) * a2;
}

/* Its Jacobian: j[0] = df1/dA1, j[1] = df1/dA2, j[2] = df2/dA1,
 * j[3] = df2/dA2. */
static inline void CARTP_EQ(antibody_jacobian)(CARTP_R cl, CARTP_R v1, CARTP_R v2, CARTP_R q,
                                               CARTP_R vmax, CARTP_R km, CARTP_R a1, CARTP_R *j)
{
  const CARTP_M mm_on = CARTP_MASK(vmax > 0.0);
  CARTP_R mm = CARTP_ZERO;
  if (CARTP_ANY(mm_on)) {
    const CARTP_R km_sum = km + a1 / v1;
    mm = CARTP_SEL(mm_on, vmax * km / (km_sum * km_sum) / v1, mm);
  }
  j[0] = -cl / v1 - mm - q / v1;
  j[1] = q / v2;
  j[2] = q / v1;
  j[3] = -q / v2;
}

/* The suppressive factor's level for a tumour of n cells: z_max n / (n + K_Z). */
static inline CARTP_R CARTP_EQ(z_target)(const CARTP_R *p, CARTP_R n)
{
  return p[P_Z_MAX] * n / (n + p[P_K_Z]);
}

/* The terms both rhs and jacobian need, from a state; dstim, docc and rho_prog_slope only for
 * the Jacobian (jacobian != 0). */
typedef struct CARTP_EQ(solid_terms) {
  CARTP_R n, stim, dstim, sup, free_pd1, docc, exh, rev, infl, homeostatic, kill_den, kill_n_den;
  CARTP_R rho_prog, rho_prog_slope; /* rho P(t) and rho dP/dt (programmed contraction) */
} CARTP_EQ(solid_terms);

static inline CARTP_EQ(solid_terms) CARTP_EQ(terms_of)(CARTP_R t, const CARTP_R *y,
                                                       const CARTP_R *p, const CARTP_R *dv,
                                                       int jacobian)
{
  CARTP_EQ(solid_terms) s;
  const CARTP_R tp = y[TP], a1 = y[A1];
  s.n = y[TP] + y[TN];
  const CARTP_R ks_sum = tp + p[P_KS];
  s.stim = tp / ks_sum;                       /* S = Tp / (Tp + KS) */
  s.sup = 1.0 / (1.0 + y[Z]);                 /* 1 / (1 + Z) */
  const CARTP_R kdv_sum = a1 + dv[DV_KDV_PD1];
  s.free_pd1 = dv[DV_KDV_PD1] / kdv_sum;      /* 1 - occupancy */
  s.exh = p[P_K_EXH] * s.stim * (1.0 + p[P_PHI_PDL1] * s.free_pd1);
  s.rev = p[P_K_REV] * (1.0 - s.free_pd1);
  s.infl = p[P_K_IN] * s.n / ENTRY_SCALE;
  /* libm's exp, as solid.c always had it (see the top of this file) */
  const CARTP_R decay = CARTP_EQ(libm_exp)(-t / p[P_LD_TAU]);
  s.homeostatic = p[P_RHO_LD] * decay;
  s.kill_den = p[P_KKILL] + tp;
  s.kill_n_den = p[P_KKILL] + y[TN];
  if (jacobian) {
    s.dstim = p[P_KS] / (ks_sum * ks_sum);  /* dS/dTp */
    s.docc = s.free_pd1 / kdv_sum;          /* d occupancy / dA1 */
    CARTP_R prog_slope;
    s.rho_prog = p[P_RHO] * CARTP_EQ(programme)(p, t, &prog_slope);
    s.rho_prog_slope = p[P_RHO] * prog_slope;
  } else {
    s.dstim = s.docc = s.rho_prog_slope = CARTP_ZERO;
    s.rho_prog = p[P_RHO] * CARTP_EQ(programme)(p, t, NULL);
  }
  return s;
}

static inline void CARTP_EQ(solid_rhs)(CARTP_R t, const CARTP_R *y, CARTP_R *f, const CARTP_R *p,
                                       const CARTP_R *dv)
{
  const CARTP_EQ(solid_terms) s = CARTP_EQ(terms_of)(t, y, p, dv, 0);
  const CARTP_R eb = y[EB], mb = y[MB], et = y[ET], xt = y[XT], tp = y[TP], tn = y[TN];
  const CARTP_R kill = p[P_GAMMA] * s.sup * et * tp / s.kill_den;
  const CARTP_R kill_n = p[P_B_BY] * p[P_GAMMA] * s.sup * s.stim * et * tn / s.kill_n_den;
  const CARTP_R growth = 1.0 - s.n / p[P_K_TUM];
  const CARTP_R c1 = y[D1] / p[P_V1];
  const CARTP_R free_receptor = p[P_KD_TOCI] / (c1 + p[P_KD_TOCI]); /* IL-6R: 1 - RO */

  f[EB] = (s.homeostatic - p[P_DELTA_E] - p[P_K_MEM] - s.infl) * eb + p[P_OMEGA] * s.stim * mb +
          p[P_K_OUT] * et;
  f[MB] = p[P_K_MEM] * eb - p[P_OMEGA] * s.stim * mb - p[P_DELTA_M] * mb;
  f[ET] = s.infl * eb + (s.rho_prog * s.stim * s.sup - p[P_DELTA_E] - s.exh - p[P_K_OUT]) * et +
          s.rev * xt;
  f[XT] = s.exh * et - (p[P_DELTA_X] + s.rev) * xt;
  f[TP] = p[P_R_TUM] * growth * tp - p[P_MU_LOSS] * tp - kill;
  f[TN] = p[P_R_NEG] * growth * tn + p[P_MU_LOSS] * tp - kill_n;
  f[Z] = p[P_D_Z] * (CARTP_EQ(z_target)(p, s.n) - y[Z]);
  f[H] = p[P_R_H] * (1.0 - y[H]) - p[P_K_H] * (eb / DAMAGE_SCALE) * y[H];
  f[IL6] = dv[DV_P0] + p[P_P_KILL] * (kill + kill_n) / 1e9 + p[P_P_ACT] * s.stim * et / 1e9 +
           CARTP_EQ(amplification)(p, dv, y[IL6] * free_receptor) -
           (p[P_K_IL6] + p[P_K_REC] * free_receptor) * y[IL6];
  CARTP_EQ(antibody_rhs)(p[P_CL], p[P_V1], p[P_V2], p[P_Q], p[P_VMAX], p[P_KM], y[D1], y[D2],
                         &f[D1], &f[D2]);
  CARTP_EQ(antibody_rhs)(p[P_CL_PD1], p[P_V1_PD1], p[P_V2_PD1], p[P_Q_PD1], CARTP_ZERO,
                         CARTP_SPLAT(1.0), y[A1], y[A2], &f[A1], &f[A2]);
}

static inline void CARTP_EQ(solid_jacobian)(CARTP_R t, const CARTP_R *y, CARTP_R *J,
                                            CARTP_R *dfdt, const CARTP_R *p, const CARTP_R *dv)
{
  const CARTP_EQ(solid_terms) s = CARTP_EQ(terms_of)(t, y, p, dv, 1);
  const CARTP_R eb = y[EB], mb = y[MB], et = y[ET], xt = y[XT], tp = y[TP], tn = y[TN];
  const CARTP_R g = p[P_GAMMA], k_tum = p[P_K_TUM];
  const CARTP_R dsup = -s.sup * s.sup;                 /* d sup / dZ */
  const CARTP_R dinfl = p[P_K_IN] / ENTRY_SCALE;       /* d infl / dTp = d infl / dTn */
  /* d exh / dTp and d exh / dA1; d rev / dA1 */
  const CARTP_R exh_by_tp = p[P_K_EXH] * s.dstim * (1.0 + p[P_PHI_PDL1] * s.free_pd1);
  const CARTP_R exh_by_a1 = -p[P_K_EXH] * s.stim * p[P_PHI_PDL1] * s.docc;
  const CARTP_R rev_by_a1 = p[P_K_REV] * s.docc;
  /* kill = g sup Et Tp / (Kkill + Tp); kill_n = b g sup S Et Tn / (Kkill + Tn) */
  const CARTP_R q = g * s.sup * tp / s.kill_den;                 /* kill / Et */
  const CARTP_R kill_by_tp = g * s.sup * et * p[P_KKILL] / (s.kill_den * s.kill_den);
  const CARTP_R kill_by_z = g * dsup * et * tp / s.kill_den;
  const CARTP_R bg = p[P_B_BY] * g;
  const CARTP_R qn = bg * s.sup * s.stim * tn / s.kill_n_den;    /* kill_n / Et */
  const CARTP_R kill_n_by_tn =
      bg * s.sup * s.stim * et * p[P_KKILL] / (s.kill_n_den * s.kill_n_den);
  const CARTP_R kill_n_by_tp = bg * s.sup * s.dstim * et * tn / s.kill_n_den;
  const CARTP_R kill_n_by_z = bg * dsup * s.stim * et * tn / s.kill_n_den;
  const CARTP_R growth = 1.0 - s.n / k_tum;
  const CARTP_R c1 = y[D1] / p[P_V1];
  const CARTP_R kd_sum = c1 + p[P_KD_TOCI];
  const CARTP_R free_receptor = p[P_KD_TOCI] / kd_sum;
  const CARTP_R dro_dd1 = p[P_KD_TOCI] / (kd_sum * kd_sum) / p[P_V1]; /* dRO/dD1 */
  const CARTP_R il6 = y[IL6];
  const CARTP_R amp_slope = CARTP_EQ(amplification_slope)(p, dv, il6 * free_receptor);

  for (int i = 0; i < N_STATES * N_STATES; i++) {
    J[i] = CARTP_ZERO;
  }
#define JAC(i, j) J[(i) * N_STATES + (j)]
  /* dEb/dt */
  JAC(EB, EB) = s.homeostatic - p[P_DELTA_E] - p[P_K_MEM] - s.infl;
  JAC(EB, MB) = p[P_OMEGA] * s.stim;
  JAC(EB, ET) = p[P_K_OUT];
  JAC(EB, TP) = -dinfl * eb + p[P_OMEGA] * s.dstim * mb;
  JAC(EB, TN) = -dinfl * eb;
  /* dMb/dt */
  JAC(MB, EB) = p[P_K_MEM];
  JAC(MB, MB) = -p[P_OMEGA] * s.stim - p[P_DELTA_M];
  JAC(MB, TP) = -p[P_OMEGA] * s.dstim * mb;
  /* dEt/dt */
  JAC(ET, EB) = s.infl;
  JAC(ET, ET) = s.rho_prog * s.stim * s.sup - p[P_DELTA_E] - s.exh - p[P_K_OUT];
  JAC(ET, XT) = s.rev;
  JAC(ET, TP) = dinfl * eb + (s.rho_prog * s.dstim * s.sup - exh_by_tp) * et;
  JAC(ET, TN) = dinfl * eb;
  JAC(ET, Z) = s.rho_prog * s.stim * dsup * et;
  JAC(ET, A1) = -exh_by_a1 * et + rev_by_a1 * xt;
  /* dXt/dt */
  JAC(XT, ET) = s.exh;
  JAC(XT, XT) = -(p[P_DELTA_X] + s.rev);
  JAC(XT, TP) = exh_by_tp * et;
  JAC(XT, A1) = exh_by_a1 * et - rev_by_a1 * xt;
  /* dTp/dt */
  JAC(TP, ET) = -q;
  JAC(TP, TP) = p[P_R_TUM] * growth - p[P_R_TUM] * tp / k_tum - p[P_MU_LOSS] - kill_by_tp;
  JAC(TP, TN) = -p[P_R_TUM] * tp / k_tum;
  JAC(TP, Z) = -kill_by_z;
  /* dTn/dt */
  JAC(TN, ET) = -qn;
  JAC(TN, TP) = -p[P_R_NEG] * tn / k_tum + p[P_MU_LOSS] - kill_n_by_tp;
  JAC(TN, TN) = p[P_R_NEG] * growth - p[P_R_NEG] * tn / k_tum - kill_n_by_tn;
  JAC(TN, Z) = -kill_n_by_z;
  /* dZ/dt = d_Z (z_max N / (N + K_Z) - Z) */
  const CARTP_R nk = s.n + p[P_K_Z];
  const CARTP_R z_by_n = p[P_D_Z] * p[P_Z_MAX] * p[P_K_Z] / (nk * nk);
  JAC(Z, TP) = z_by_n;
  JAC(Z, TN) = z_by_n;
  JAC(Z, Z) = -p[P_D_Z];
  /* dH/dt */
  JAC(H, EB) = -p[P_K_H] / DAMAGE_SCALE * y[H];
  JAC(H, H) = -p[P_R_H] - p[P_K_H] * (eb / DAMAGE_SCALE);
  /* dIL6/dt */
  const CARTP_R pk = p[P_P_KILL] / 1e9, pa = p[P_P_ACT] / 1e9;
  JAC(IL6, ET) = pk * (q + qn) + pa * s.stim;
  JAC(IL6, TP) = pk * (kill_by_tp + kill_n_by_tp) + pa * s.dstim * et;
  JAC(IL6, TN) = pk * kill_n_by_tn;
  JAC(IL6, Z) = pk * (kill_by_z + kill_n_by_z);
  JAC(IL6, IL6) = amp_slope * free_receptor - (p[P_K_IL6] + p[P_K_REC] * free_receptor);
  JAC(IL6, D1) = -amp_slope * il6 * dro_dd1 + p[P_K_REC] * dro_dd1 * il6;
  /* the antibodies */
  CARTP_R pkj[4];
  CARTP_EQ(antibody_jacobian)(p[P_CL], p[P_V1], p[P_V2], p[P_Q], p[P_VMAX], p[P_KM], y[D1], pkj);
  JAC(D1, D1) = pkj[0];
  JAC(D1, D2) = pkj[1];
  JAC(D2, D1) = pkj[2];
  JAC(D2, D2) = pkj[3];
  CARTP_EQ(antibody_jacobian)(p[P_CL_PD1], p[P_V1_PD1], p[P_V2_PD1], p[P_Q_PD1], CARTP_ZERO,
                              CARTP_SPLAT(1.0), y[A1], pkj);
  JAC(A1, A1) = pkj[0];
  JAC(A1, A2) = pkj[1];
  JAC(A2, A1) = pkj[2];
  JAC(A2, A2) = pkj[3];
#undef JAC
  for (int i = 0; i < N_STATES; i++) {
    dfdt[i] = CARTP_ZERO;
  }
  /* the lymphodepletion term and the programme depend on t */
  dfdt[EB] = -s.homeostatic / p[P_LD_TAU] * eb;
  dfdt[ET] = s.rho_prog_slope * s.stim * s.sup * et;
}

/* The signals (solid.c's list): Cblood (observe()), the tumour sum, CAR-T in the tumour,
 * IL6s = IL6 (1 - RO) as the right-hand side forms it, and anti-PD-1 occupancy. */
static inline void CARTP_EQ(solid_signals)(const CARTP_R *y, const CARTP_R *p, CARTP_R *out)
{
  out[0] = p[P_F_BLOOD] * (y[EB] + y[MB]) / (p[P_V_BLOOD] * 1e6);
  out[1] = y[TP] + y[TN];
  out[2] = y[ET] + y[XT];
  const CARTP_R c1 = y[D1] / p[P_V1];
  out[3] = y[IL6] * (p[P_KD_TOCI] / (c1 + p[P_KD_TOCI]));
  const CARTP_R kdv = p[P_KD_PD1] * p[P_V1_PD1];
  out[4] = y[A1] / (y[A1] + kdv);
}
