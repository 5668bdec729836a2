/* allo.c: allogeneic ("off-the-shelf") CAR-T, doc/models.md section 3b.
 *
 * cart (MODEL.md 2.2, its equations reused from cart_equations.h) plus the host's T cells, which
 * recover after lymphodepletion: they take their share of the homeostatic cytokines that drive
 * CAR-T expansion (competition, Kimmel, Locke & Altrock 2021 [S3]), and a share f_allo of them
 * recognises the donor's HLA, expands on donor cells and kills them (rejection). An anti-CD52
 * antibody given with lymphodepletion (ALLO-647, alemtuzumab: one compartment, linear
 * elimination) depletes host T cells and so delays rejection; the product is CD52-knockout and is
 * not hit (Neelapu et al., ASCO 2020 abstract 8002, the ALPHA trial). With f_allo = 0 and c_comp
 * = 0, or no host T cells (n_ld = 0), allo is cart: the added terms are exactly 0 and cart's
 * values stand (tests/check_allo.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cart_parts.h"
#include "oncology_endpoints.h"

enum { CARTP_CART_STATES, NH, RA, A52, N_STATES };
enum {
  CARTP_CART_PARAMS, P_N0, P_N_LD, P_R_N, P_C_COMP, P_F_ALLO, P_RHO_R, P_K_R, P_DELTA_R, P_K_REJ,
  P_K_REJ_HALF, P_K_CD52, P_EC50_CD52, P_CD52_DOSE, P_T_CD52, P_V_CD52, P_CL_CD52, N_PARAMS
};
enum { CARTP_CART_DERIVED, DV_INV_N0, DV_INV_V_CD52, DV_K_CD52_EL, N_DERIVED };
_Static_assert(N_DERIVED <= CART_MAX_DERIVED, "derived block too small");

static const cart_state_info states[N_STATES] = {
    CARTP_CART_STATE_ROWS
    {"N", "cells", 1.0, "host T cells (recovering after lymphodepletion)"},
    {"R", "cells", 1.0, "host T cells alloreactive to the donor product (rejection)"},
    {"A52", "mg", 1e-6, "anti-CD52 antibody in the body"},
};

static const cart_state_info outputs[] = {CARTP_CART_OUTPUT_ROWS};

/* cart's table (cart_parts.h), then the host's T cells and the anti-CD52 antibody. Sources and
 * assumptions: doc/models.md section 3b (marked there [M] where recalled and not checked). */
static const cart_param_info params[N_PARAMS] = {
    CARTP_CART_PARAM_ROWS
    {"N0", "cells", 3e11, 0, INF, OPEN, OPEN, "host T-cell pool at homeostasis (whole body)"},
    {"n_ld", "1", 0.05, 0, 1, CLOSED, CLOSED, "share of N0 left at infusion after lymphodepletion"},
    {"r_N", "1/day", 0.1, 0, 2, CLOSED, CLOSED, "recovery rate of host T cells (logistic, to N0)"},
    {"c_comp", "1", 1, 0, 1, CLOSED, CLOSED, "share of the homeostatic drive host T cells take at N = N0 (0: no competition)"},
    {"f_allo", "1", 0.01, 0, 1, CLOSED, CLOSED, "share of host T cells alloreactive to the donor (0: no rejection)"},
    {"rho_R", "1/day", 0.5, 0, 10, CLOSED, CLOSED, "largest expansion rate of alloreactive cells on donor cells"},
    {"K_R", "cells", 1e9, 0, INF, OPEN, OPEN, "donor cells of half-maximal alloreactive expansion"},
    {"delta_R", "1/day", 0.1, 0, 10, CLOSED, CLOSED, "death rate of alloreactive effectors"},
    {"k_rej", "1/day", 1, 0, 100, CLOSED, CLOSED, "donor cells killed per alloreactive effector per day at saturation"},
    {"K_rej", "cells", 1e10, 0, INF, OPEN, OPEN, "donor cells of half-saturated rejection"},
    {"k_cd52", "1/day", 0.5, 0, 20, CLOSED, CLOSED, "largest depletion rate of host T cells by anti-CD52"},
    {"EC50_cd52", "mg/L", 1, 0, INF, OPEN, OPEN, "anti-CD52 concentration of half-maximal depletion"},
    {"cd52_dose", "mg", 39, 0, 1000, CLOSED, CLOSED, "anti-CD52 antibody given with lymphodepletion (0: none)"},
    {"t_cd52", "day", 4, 0, 60, CLOSED, CLOSED, "time from the anti-CD52 dose to the CAR-T infusion"},
    {"V_cd52", "L", 7, 0, INF, OPEN, OPEN, "anti-CD52 volume of distribution"},
    {"CL_cd52", "L/day", 1.2, 0, INF, CLOSED, OPEN, "anti-CD52 clearance"},
};

/* The equations, once for one patient (the functions named _1) and below over lanes. */
#define CARTP_LANE_W 1
#include "../util/lanes.h"
#include "allo_equations.h"

static void prepare(const double *p, double *dv)
{
  cart_prepare(p, dv);
  dv[DV_INV_N0] = 1.0 / p[P_N0];
  dv[DV_INV_V_CD52] = 1.0 / p[P_V_CD52];
  dv[DV_K_CD52_EL] = p[P_CL_CD52] / p[P_V_CD52];
}

static int check(const double *p, char *message, size_t size)
{
  return cart_check("allo", p, message, size);
}

/* cart's initial state; host T cells at n_ld N0, of which a share f_allo alloreactive; the
 * antibody left at infusion from cd52_dose given t_cd52 days before. */
static void initial(const double *p, const double *dv, double *y, int *mode)
{
  cart_initial(p, y);
  y[NH] = p[P_N_LD] * p[P_N0];
  y[RA] = p[P_F_ALLO] * y[NH];
  y[A52] = p[P_CD52_DOSE] * exp(-dv[DV_K_CD52_EL] * p[P_T_CD52]);
  *mode = 0;
}

#define CARTP_MODEL_EQUATIONS "allo_equations.h"
#define CARTP_MODEL_RHS allo_rhs
#define CARTP_MODEL_JACOBIAN allo_jacobian
#define CARTP_MODEL_SIGNALS signals
#include "model_lanes.h"

static const cart_state_info signals[] = {CARTP_CART_SIGNAL_ROWS};
enum { CARTP_CART_SIGNALS };
static const char *const default_outputs[] = {"Cblood", "tumour", "B", "IL6", "IL6s", "N", "R",
                                              NULL};

/* cart's groups and extinct states (cart_parts.h), and: {N, R}: no host T cells from none
 * (every term of f_N and f_R has a factor N or R); {A52}: no antibody without a dose. While
 * {E, M, X} is 0 the competition and rejection terms (factor E, M or X) and their derivatives by
 * N and R vanish. */
CARTP_CART_ZERO_GROUP_ARRAYS
static const int host_group[] = {NH, RA, -1};
static const int cd52_group[] = {A52, -1};
static const int *const zero_groups[] = {CARTP_CART_ZERO_GROUPS, host_group, cd52_group, NULL};
/* cart's structure, with rejection coupling E, M and X to each other and to R, competition E to
 * N, R reading the CAR-T cells, N and the antibody. */
static const char *const jacobian_pattern[N_STATES] = {
    /* E M X Tp Tn B IL6 D1 D2 N R A52 */
    "xxxx.x...xx.", /* E */
    "xxxx.x....x.", /* M */
    "xxxx.x....x.", /* X */
    "x..xxx......", /* Tp */
    "...xx.......", /* Tn */
    "x..x.x......", /* B */
    "x..x.xxx....", /* IL6 */
    ".......xx...", /* D1 */
    ".......xx...", /* D2 */
    ".........x.x", /* N */
    "xxx......xxx", /* R */
    "...........x", /* A52 */
};

/* The oncology endpoints (MODEL.md 4), then two of allo's own on the blood CAR-T level: how far it
 * expanded (the grade reducer over folds of its level at infusion) and how long it stayed
 * detectable. */
#define EXPANSION_FOLD(name, fold, meaning)                                                       \
  {{(name), "1", (fold), 0, INF, OPEN, OPEN, (meaning)}, CART_LEVEL_INITIAL, NULL}
static const cartp_endpoint endpoints[] = {
    CARTP_ONCOLOGY_ENDPOINT_ROWS
    {{"expansion", "1", 1,
      "how many of exp_fold1..exp_fold4 times Cblood at infusion the peak Cblood exceeds"},
     CARTP_REDUCE_GRADE, CARTP_ONCOLOGY_INPUT(CBLOOD), 0,
     {EXPANSION_FOLD("exp_fold1", 2, "expansion: peak Cblood over this multiple of Cblood at t = 0"),
      EXPANSION_FOLD("exp_fold2", 10, "expansion: peak Cblood over this multiple of Cblood at t = 0"),
      EXPANSION_FOLD("exp_fold3", 100, "expansion: peak Cblood over this multiple of Cblood at t = 0"),
      EXPANSION_FOLD("exp_fold4", 1000, "expansion: peak Cblood over this multiple of Cblood at t = 0")}},
    {{"persistence_day", "day", 0,
      "last time Cblood is above car_detect (the horizon if still); NaN if never"},
     CARTP_REDUCE_LAST_ABOVE, CARTP_ONCOLOGY_INPUT(CBLOOD), 0,
     {{{"car_detect", "cells/uL", 0.05, 0, INF, OPEN, OPEN, "detection limit of blood CAR-T cells"},
       CART_LEVEL_ABSOLUTE, NULL}}},
};
#undef EXPANSION_FOLD

const cart_model cartp_model_allo = {
    .name = "allo",
    .description = "allogeneic CAR-T: cart with host T-cell competition, rejection and anti-CD52 "
                   "(doc/models.md 3b)",
    CARTP_CART_MODEL_FIELDS,
    .n_endpoints = sizeof endpoints / sizeof endpoints[0],
    .endpoints = endpoints,
};
