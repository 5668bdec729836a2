/* cart.c: the mechanistic CAR-T / tumour / B-cell / IL-6 / tocilizumab model, MODEL.md 2.2.
 *
 * Effector (E), memory (M) and exhausted (X) CAR-T cells expand on antigen (Tp + B) with saturating
 * stimulation [S2, S3] and, for a week or two after lymphodepletion, without it; effectors kill
 * antigen-positive tumour and normal B cells; antigen loss makes Tn, which CAR-T cannot kill [S5];
 * IL-6 comes from killing, from activated CAR-T and from a saturating myeloid loop that
 * tocilizumab (two-compartment PK with Michaelis-Menten elimination [S8]) interrupts [S7].
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cart_parts.h"

enum { CARTP_CART_STATES, N_STATES };
enum { CARTP_CART_PARAMS, N_PARAMS };
enum { CARTP_CART_DERIVED, N_DERIVED };
_Static_assert(N_DERIVED <= CART_MAX_DERIVED, "derived block too small");

static const cart_state_info states[N_STATES] = {CARTP_CART_STATE_ROWS};

static const cart_state_info outputs[] = {CARTP_CART_OUTPUT_ROWS};

/* MODEL.md 2.2 parameter table (cart_parts.h): name, unit, default, lower, upper, lower open,
 * upper open, meaning; then the opt-in mechanisms (doc/models.md 2.8), each off at its default. */
static const cart_param_info params[N_PARAMS] = {CARTP_CART_PARAM_ROWS};

/* The right-hand side and Jacobian, written once (cart_equations.h) and compiled here for one
 * patient (the functions named _1) and below for one patient per SIMD lane. The mechanisms'
 * sources are cited there: programmed expansion and contraction [Kaech 2001, Badovinac 2002],
 * immune control of small tumours [Kuznetsov 1994, de Pillis 2005], a_tum [Locke 2020, Jain
 * 2021]. */
#define CARTP_LANE_W 1
#include "../util/lanes.h"
#include "cart_equations.h"

static void prepare(const double *p, double *dv)
{
  cart_prepare(p, dv);
}

static int check(const double *p, char *message, size_t size)
{
  return cart_check("cart", p, message, size);
}

static void initial(const double *p, const double *dv, double *y, int *mode)
{
  (void)dv;
  cart_initial(p, y);
  *mode = 0;
}

/* The same equations over lanes of 8 (AVX-512), 4 (AVX2) and 2 (SSE2) patients: `lanes`. */
#define CARTP_MODEL_EQUATIONS "cart_equations.h"
#define CARTP_MODEL_RHS rhs
#define CARTP_MODEL_JACOBIAN jacobian
#define CARTP_MODEL_SIGNALS signals
#include "model_lanes.h"

/* Signals: Cblood, the tumour sum Tp + Tn, IL6s = IL6 (1 - RO) and the CRS signal (MODEL.md
 * 2.2, doc/models.md 2.8). */
static const cart_state_info signals[] = {CARTP_CART_SIGNAL_ROWS};
enum { CARTP_CART_SIGNALS };
static const char *const default_outputs[] = {"Cblood", "tumour", "B", "IL6", "IL6s", NULL};

/* {E, M, X}, {Tp, Tn}, {Tp} and {D1, D2} (cart_parts.h); Tp and Tn go extinct. */
CARTP_CART_ZERO_GROUP_ARRAYS
static const int *const zero_groups[] = {CARTP_CART_ZERO_GROUPS, NULL};
/* The core {E, M, Tp, Tn, B} is one block; X and IL-6 only read it, {D1, D2} stands alone. */
static const char *const jacobian_pattern[N_STATES] = {
    /* E M X Tp Tn B IL6 D1 D2 */
    "xx.x.x...", /* E */
    "xx.x.x...", /* M */
    "x.xx.x...", /* X */
    "x..xxx...", /* Tp */
    "...xx....", /* Tn */
    "x..x.x...", /* B */
    "x..x.xxx.", /* IL6 */
    ".......xx", /* D1 */
    ".......xx", /* D2 */
};

const cart_model cartp_model_cart = {
    .name = "cart",
    .description = "mechanistic CAR-T / tumour / B-cell / IL-6 / tocilizumab model (MODEL.md 2.2)",
    CARTP_CART_MODEL_FIELDS,
    .n_endpoints = CART_N_ENDPOINTS, /* the oncology list, MODEL.md 4 */
    .endpoints = cartp_oncology_endpoints,
};
