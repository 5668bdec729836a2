/* allo_equations.h: model allo's right-hand side and Jacobian (doc/models.md section 3b), written
 * once over SIMD lanes like cart's (lib/util/lanes.h) and included by allo.c once per width after
 * defining CARTP_LANE_W. allo is cart (cart_equations.h, included here at the same width) plus
 * three states, N (host T cells), R (host T cells alloreactive to the donor product) and A52
 * (anti-CD52 antibody), and three terms on cart's CAR-T states: the host T cells' share of the
 * homeostatic cytokines, rejection by R, and nothing else (the product is CD52-knockout, so the
 * antibody spares it). Each term is added to cart's value, so where it is 0 (no host T cells
 * competing, R = 0) cart's value stands bit for bit. */
#include "cart_equations.h"

/* Anti-CD52 depletion rate of host T cells, k_cd52 C / (C + EC50_cd52), C = A52 / V_cd52. */
static inline CARTP_R CARTP_EQ(cd52_kill)(const CARTP_R *p, const CARTP_R *dv, CARTP_R a52)
{
  const CARTP_R c = a52 * dv[DV_INV_V_CD52];
  return p[P_K_CD52] * c / (c + p[P_EC50_CD52]);
}

static inline void CARTP_EQ(allo_rhs)(CARTP_R t, const CARTP_R *y, CARTP_R *f, const CARTP_R *p,
                                      const CARTP_R *dv)
{
  CARTP_EQ(rhs)(t, y, f, p, dv); /* cart's rows, and cart's homeostatic term H(t) E in f[E] */
  const CARTP_R nh = y[NH], r = y[RA], a52 = y[A52];
  const CARTP_R car = y[E] + y[M] + y[X];

  /* Competition (Kimmel, Locke & Altrock 2021): host T cells take their share of the homeostatic
   * cytokines, H(t) -> H(t) (1 - c_comp N / N0). */
  const CARTP_M comp_on = CARTP_MASK(p[P_C_COMP] > 0.0);
  if (CARTP_ANY(comp_on)) {
    const CARTP_R homeostatic = p[P_RHO_LD] * CARTP_EXP(-t * dv[DV_INV_LD_TAU]);
    f[E] = CARTP_SEL(comp_on, f[E] - p[P_C_COMP] * nh * dv[DV_INV_N0] * homeostatic * y[E], f[E]);
  }
  /* Rejection: each alloreactive effector kills up to k_rej donor cells a day, shared among E, M
   * and X in proportion (0 where R = 0). */
  const CARTP_R rej = p[P_K_REJ] * r / (p[P_K_REJ_HALF] + car);
  f[E] = f[E] - rej * y[E];
  f[M] = f[M] - rej * y[M];
  f[X] = f[X] - rej * y[X];

  /* Host T cells recover logistically after lymphodepletion; a share f_allo of what they make is
   * alloreactive; R expands on donor cells; anti-CD52 depletes both. */
  const CARTP_R kill52 = CARTP_EQ(cd52_kill)(p, dv, a52);
  const CARTP_R renewal = p[P_R_N] * nh * (1.0 - nh * dv[DV_INV_N0]);
  f[NH] = renewal - kill52 * nh;
  f[RA] = p[P_F_ALLO] * renewal + p[P_RHO_R] * r * car / (car + p[P_K_R]) -
          (p[P_DELTA_R] + kill52) * r;
  f[A52] = -dv[DV_K_CD52_EL] * a52;
}

static inline void CARTP_EQ(allo_jacobian)(CARTP_R t, const CARTP_R *y, CARTP_R *J, CARTP_R *dfdt,
                                           const CARTP_R *p, const CARTP_R *dv)
{
  CARTP_EQ(jacobian)(t, y, J, dfdt, p, dv); /* zeroes the rest of J and dfdt */
  const CARTP_R nh = y[NH], r = y[RA], a52 = y[A52];
  const CARTP_R car = y[E] + y[M] + y[X];
#define JAC(i, j) J[(i) * N_STATES + (j)]
  const CARTP_M comp_on = CARTP_MASK(p[P_C_COMP] > 0.0);
  if (CARTP_ANY(comp_on)) {
    const CARTP_R homeostatic = p[P_RHO_LD] * CARTP_EXP(-t * dv[DV_INV_LD_TAU]);
    const CARTP_R share = p[P_C_COMP] * dv[DV_INV_N0] * homeostatic; /* per host cell */
    JAC(E, E) = CARTP_SEL(comp_on, JAC(E, E) - share * nh, JAC(E, E));
    JAC(E, NH) = CARTP_SEL(comp_on, -share * y[E], JAC(E, NH));
    dfdt[E] = CARTP_SEL(comp_on, dfdt[E] + share * nh * dv[DV_INV_LD_TAU] * y[E], dfdt[E]);
  }
  /* rejection k_rej R Y / (K_rej + E + M + X) for Y in {E, M, X} */
  const CARTP_R inv_den = 1.0 / (p[P_K_REJ_HALF] + car);
  const CARTP_R rej = p[P_K_REJ] * r * inv_den;
  static const int car_states[3] = {E, M, X};
  for (int a = 0; a < 3; a++) {
    const int i = car_states[a];
    const CARTP_R by_car = rej * y[i] * inv_den; /* - d/dY' of the term, each Y' */
    for (int b = 0; b < 3; b++) {
      JAC(i, car_states[b]) = JAC(i, car_states[b]) + by_car;
    }
    JAC(i, i) = JAC(i, i) - rej;
    JAC(i, RA) = -p[P_K_REJ] * y[i] * inv_den;
  }
  /* host T cells, alloreactive cells, anti-CD52 */
  const CARTP_R c = a52 * dv[DV_INV_V_CD52];
  const CARTP_R ec_sum = c + p[P_EC50_CD52];
  const CARTP_R kill52 = p[P_K_CD52] * c / ec_sum;
  const CARTP_R dkill52 = p[P_K_CD52] * p[P_EC50_CD52] / (ec_sum * ec_sum) * dv[DV_INV_V_CD52];
  const CARTP_R drenewal = p[P_R_N] * (1.0 - 2.0 * nh * dv[DV_INV_N0]);
  JAC(NH, NH) = drenewal - kill52;
  JAC(NH, A52) = -dkill52 * nh;
  const CARTP_R prime_den = 1.0 / (car + p[P_K_R]);
  const CARTP_R by_car = p[P_RHO_R] * r * p[P_K_R] * prime_den * prime_den;
  JAC(RA, E) = by_car;
  JAC(RA, M) = by_car;
  JAC(RA, X) = by_car;
  JAC(RA, NH) = p[P_F_ALLO] * drenewal;
  JAC(RA, RA) = p[P_RHO_R] * car * prime_den - (p[P_DELTA_R] + kill52);
  JAC(RA, A52) = -dkill52 * r;
  JAC(A52, A52) = -dv[DV_K_CD52_EL];
#undef JAC
}

/* allo's signals are cart's (Cblood, tumour, IL6s, CRS): the host cells are states. */
