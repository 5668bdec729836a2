/* lane_terms.h: the terms the CAR-T models share, written once over SIMD lanes (internal).
 *
 * A model's equations header (cart_equations.h, cart2_equations.h, lupus_equations.h,
 * solid_equations.h) includes this once per width, after lib/util/lanes.h with CARTP_LANE_W set
 * (1: one patient), and gets, named NAME_W (CARTP_EQ):
 *   power(x, e)     cart_common.h's cartp_power over lanes
 *   libm_exp(x)     libm's exp, lane by lane: the bits a model had before it had lanes (the
 *                   models' own exp, CARTP_EXP, is faster but rounds differently)
 * and, where the including header defines CARTP_LANE_TERMS_IL6_LOOP first, the IL-6
 * amplification loop (MODEL.md 2.2: amp(x) = p_amp x^h / (IL6_50^h + x^h)) and its slope, read
 * from the including model's parameters P_H, P_P_AMP, P_IL6_50 and derived DV_H_IS_2, DV_IL6_50_H.
 * and, where it defines CARTP_LANE_TERMS_PROGRAMME, cart's programmed expansion and contraction
 * read from its parameters P_T_PROG and P_N_PROG.
 * Each function does, lane by lane, the operations of its one-patient form in the same order,
 * so lanes and one patient give the same bits (tests/check_lanes.c). */

#ifndef CARTP_EQ
#define CARTP_EQ_NAME_(name, w) name##_##w
#define CARTP_EQ_NAME(name, w) CARTP_EQ_NAME_(name, w)
#define CARTP_EQ(name) CARTP_EQ_NAME(name, CARTP_LANE_W)
#endif

/* once per width in a translation unit (a model built on another includes both headers) */
#if (CARTP_LANE_W == 1 && !defined(CARTP_LANE_TERMS_1)) ||                                      \
    (CARTP_LANE_W == 2 && !defined(CARTP_LANE_TERMS_2)) ||                                      \
    (CARTP_LANE_W == 4 && !defined(CARTP_LANE_TERMS_4)) ||                                      \
    (CARTP_LANE_W == 8 && !defined(CARTP_LANE_TERMS_8))
#if CARTP_LANE_W == 1
#define CARTP_LANE_TERMS_1
#elif CARTP_LANE_W == 2
#define CARTP_LANE_TERMS_2
#elif CARTP_LANE_W == 4
#define CARTP_LANE_TERMS_4
#else
#define CARTP_LANE_TERMS_8
#endif

/* x^e lane by lane, as cartp_power: binary powering for a whole e in 0..16 on the vectors at
 * once (each lane multiplies in the same squares in the same order as the one-patient loop; the
 * squarings past its own exponent go unused), libm's pow for any other e (lane by lane). */
static inline CARTP_R CARTP_EQ(power)(CARTP_R x, CARTP_R e)
{
#if CARTP_LANE_W == 1
  return cartp_power(x, e);
#else
  const CARTP_R two52 = CARTP_SPLAT(4503599627370496.0); /* e + 2^52 holds round(e) in its bits */
  const CARTP_M whole = CARTP_AND(CARTP_AND(e >= 0.0, e <= 16.0), ((e + two52) - two52) == e);
  if (CARTP_ANY(CARTP_NOT(whole))) {
    CARTP_R out;
    CARTP_LANEWISE(out, cartp_power, x, e);
    return out;
  }
  const CARTP_M k = (CARTP_M)(e + two52) - (CARTP_M)two52;
  long top = 0; /* the largest exponent: its bits are all the squarings any lane uses */
  for (int l = 0; l < CARTP_LANE_W; l++) {
    top |= k[l];
  }
  CARTP_R result = CARTP_SPLAT(1.0), square = x;
  for (int bit = 0; (top >> bit) != 0; bit++) {
    result = CARTP_SEL(((k >> bit) & 1) != 0, result * square, result);
    square = square * square;
  }
  return result;
#endif
}

/* libm's exp, lane by lane. */
static inline CARTP_R CARTP_EQ(libm_exp)(CARTP_R x)
{
#if CARTP_LANE_W == 1
  return exp(x);
#else
  CARTP_R out;
  for (int l = 0; l < CARTP_LANE_W; l++) {
    out[l] = exp(x[l]);
  }
  return out;
#endif
}

#ifdef CARTP_LANE_TERMS_PROGRAMME
/* Programmed expansion and contraction (cart's t_prog, n_prog; doc/models.md 2.8): the share of
 * antigen-driven proliferation left at time t, P(t) = 1 / (1 + (t / t_prog)^n_prog), exactly 1
 * where t_prog = 0 (off) or t <= 0; and, where slope is not NULL, dP/dt =
 * -P^2 n (t / t_prog)^(n-1) / t_prog (0 where off). After antigen encounter T cells run a
 * program of expansion then contraction largely independent of further antigen (Kaech & Ahmed,
 * Nat Immunol 2001;2:415; Badovinac et al., Nat Immunol 2002;3:619). */
static inline CARTP_R CARTP_EQ(programme)(const CARTP_R *p, CARTP_R t, CARTP_R *slope)
{
  const CARTP_M on = CARTP_AND(p[P_T_PROG] > 0.0, t > 0.0);
  CARTP_R share = CARTP_SPLAT(1.0);
  if (slope != NULL) {
    *slope = CARTP_ZERO;
  }
  if (CARTP_ANY(on)) {
    const CARTP_R t_prog = p[P_T_PROG], n_prog = p[P_N_PROG];
    const CARTP_R u = t / t_prog;
    const CARTP_R on_share = 1.0 / (1.0 + CARTP_EQ(power)(u, n_prog));
    share = CARTP_SEL(on, on_share, share);
    if (slope != NULL) {
      *slope = CARTP_SEL(on, -on_share * on_share * n_prog * CARTP_EQ(power)(u, n_prog - 1.0) /
                                 t_prog,
                         *slope);
    }
  }
  return share;
}
#endif

#ifdef CARTP_LANE_TERMS_IL6_LOOP
/* amp(x) = p_amp x^h / (IL6_50^h + x^h), x = max(IL6s, 0) (MODEL.md 2.2), with the model's
 * parameters (k_h = IL6_50^h derived); x^h as x * x where h = 2. */
static inline CARTP_R CARTP_EQ(amplification)(const CARTP_R *p, const CARTP_R *dv, CARTP_R x)
{
  const CARTP_M h_is_2 = CARTP_MASK(dv[DV_H_IS_2] != 0.0);
  CARTP_R xh = x * x;
  if (CARTP_ANY(CARTP_NOT(h_is_2))) {
    xh = CARTP_SEL(h_is_2, xh, CARTP_EQ(power)(x, p[P_H]));
  }
  return CARTP_SEL(x <= 0.0, CARTP_ZERO, p[P_P_AMP] * xh / (dv[DV_IL6_50_H] + xh));
}

/* d amp / d x; 0 for x < 0 (amp is the constant 0 there), and at x = 0 the slope p_amp / IL6_50
 * for h = 1 (else 0). */
static inline CARTP_R CARTP_EQ(amplification_slope)(const CARTP_R *p, const CARTP_R *dv,
                                                     CARTP_R x)
{
  const CARTP_M h_is_2 = CARTP_MASK(dv[DV_H_IS_2] != 0.0);
  const CARTP_R h = p[P_H], k_h = dv[DV_IL6_50_H];
  CARTP_R xh = x * x;
  if (CARTP_ANY(CARTP_NOT(h_is_2))) {
    xh = CARTP_SEL(h_is_2, xh, CARTP_EQ(power)(x, h));
  }
  const CARTP_R sum = k_h + xh;
  const CARTP_R slope = p[P_P_AMP] * h * (xh / x) * k_h / (sum * sum);
  const CARTP_R at_zero = CARTP_SEL(h == 1.0, p[P_P_AMP] / p[P_IL6_50], CARTP_ZERO);
  return CARTP_SEL(x < 0.0, CARTP_ZERO, CARTP_SEL(x == 0.0, at_zero, slope));
}
#endif

#endif
