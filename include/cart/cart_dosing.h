/* cart_dosing.h: a dosing schedule (MODEL.md section 3).
 *
 * CAR-T infusions: (time, cells, f_mem). The t = 0 infusion of a patient is the parameter `dose`
 * (with `f_mem`), which sets the initial state; each infusion in a schedule adds (1 - f_mem) cells
 * to E and f_mem cells to M at its time, t = 0 included (it then adds to the initial state).
 *
 * Tocilizumab, fixed: (time, mg/kg, duration, cap). The amount is min(mg/kg * WT, cap) mg, with WT
 * the patient's weight parameter; it enters D1 at the constant rate amount / duration (mg/day)
 * from `time` to `time + duration`. Infusions may overlap. A duration of 0 is a bolus: the amount
 * is added to D1 at `time`. So is any duration below CART_TOCI_BOLUS_EPS_DAY (1e-9 day, 86.4 us):
 * an infusion that short cannot be resolved in double precision (time + duration may round to
 * time), so it is given as the bolus it practically is. This holds for the rule's duration too.
 *
 * The solver stops exactly at every dose time and at the start and end of every infusion, applies
 * what happens there, and restarts the integration (it never steps across them). A state reported
 * at an output time equal to an event time is the state after the event.
 *
 * Ownership: the caller frees a schedule with cart_dosing_free() (NULL allowed). The solver only
 * reads it, so one schedule may serve many patients and threads at once.
 *
 * Thread safety: a schedule may be read by several solves at once; it must not be changed while
 * a solve uses it.
 */
#ifndef CART_DOSING_H
#define CART_DOSING_H

#include <math.h>
#include <stddef.h>

#include <cart/cart_errno.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cart_dosing cart_dosing;

/* f_mem value meaning "the patient's parameter f_mem": NaN (test it with isnan(), never ==), as
 * for every "not given" double of the API. */
#define CART_FMEM_FROM_PARAMS NAN

/* Hours per day: settings given in hours (infusion, the rule's interval and delay) are converted
 * to the library's days by this one factor (cart_days_from_hours, cart_grammar.h). */
#define CART_HOURS_PER_DAY 24.0

/* MODEL.md section 3 defaults for tocilizumab infusions. */
#define CART_TOCI_DURATION_DAY_DEFAULT (1.0 / CART_HOURS_PER_DAY) /* day: 1 h */
#define CART_TOCI_CAP_MG_DEFAULT 800.0      /* mg per dose [S7] */
/* day: a tocilizumab infusion shorter than this is a bolus (given like a duration of 0) */
#define CART_TOCI_BOLUS_EPS_DAY 1e-9

typedef struct cart_cart_dose {
  double time;  /* day, >= 0 */
  double cells; /* >= 0 */
  double f_mem; /* [0, 1], or NaN (CART_FMEM_FROM_PARAMS): the patient's parameter f_mem */
} cart_cart_dose;

/* Tocilizumab by rule (MODEL.md 3, the clinical practice): when the CRS signal (IL6s in cart and
 * cart2) rises through `trigger` at t*, give mg_per_kg (capped at cap_mg) over `duration_day` at
 * t* + delay_day, if the signal is still above the trigger then (otherwise no dose and no series);
 * then every `interval_day` while the signal is still above the trigger at that time, give it
 * again;
 * at most max_doses rule doses in all. A later rise through the trigger, after the signal fell
 * below it, starts a new series within the same maximum; a rise while a delayed first dose is
 * pending changes nothing. The crossing is found by root finding on the solver's dense output
 * (to 1e-10 day); the solver stops exactly at t* + delay_day. Off unless set.
 * Times and durations are in days, as everywhere in the library; the fields that are hours in
 * the scenario and in Python (interval_h, infusion_h, delay_h) say _day here, converted once by
 * cart_days_from_hours (cart_grammar.h). */
#define CART_TOCI_RULE_MAX_DOSES 16
#define CART_TOCI_RULE_MAX_DELAY_DAY 30.0 /* day: the longest delay the rule accepts */
typedef struct cart_toci_rule {
  int enabled;       /* 0: off */
  double trigger;    /* pg/mL of the CRS signal: default 200, CRS grade 2 (MODEL.md 4) */
  double interval_day; /* default 8 h (8 / 24 day) */
  int max_doses;     /* default 4, at most CART_TOCI_RULE_MAX_DOSES */
  double mg_per_kg;  /* default 8 */
  double cap_mg;     /* default 800 */
  double duration_day; /* default 1 h (0, or below CART_TOCI_BOLUS_EPS_DAY: bolus) */
  double delay_day;    /* from the rise to the first dose of a series: default 0, at most
                          CART_TOCI_RULE_MAX_DELAY_DAY (Lee DW et al., Blood 2014;124:188-195) */
} cart_toci_rule;

/* The MODEL.md 3 defaults, with enabled = 1. */
void cart_toci_rule_default(cart_toci_rule *rule);

typedef struct cart_toci_dose {
  double time;      /* day, >= 0: infusion start */
  double mg_per_kg; /* >= 0 */
  double duration_day; /* >= 0 (0, or below CART_TOCI_BOLUS_EPS_DAY: bolus) */
  double cap_mg;    /* mg, >= 0: largest amount given */
} cart_toci_dose;

/* A new, empty schedule, or NULL (CART_ENOMEM in *err, which may be NULL). */
cart_dosing *cart_dosing_new(cart_error *err);
/* A new copy of `src` (its doses and rule), or NULL (CART_EINVAL, CART_ENOMEM in *err). */
cart_dosing *cart_dosing_clone(const cart_dosing *src, cart_error *err);
void cart_dosing_free(cart_dosing *dosing);

/* Adds a CAR-T infusion. CART_EDOSE (message names the dose and the bad value) when the time or
 * the cells are negative or not finite, or f_mem is outside [0, 1] and not NaN
 * (CART_FMEM_FROM_PARAMS); the schedule is then unchanged. */
int cart_dosing_add_cart(cart_dosing *dosing, double time, double cells, double f_mem);

/* Adds a fixed tocilizumab infusion; CART_EDOSE for a negative or non-finite time, mg/kg, cap or
 * duration. */
int cart_dosing_add_toci(cart_dosing *dosing, double time, double mg_per_kg, double duration_day,
                         double cap_mg);

/* Removes every dose. */
void cart_dosing_clear(cart_dosing *dosing);

size_t cart_dosing_n_cart(const cart_dosing *dosing);
size_t cart_dosing_n_toci(const cart_dosing *dosing);

/* Copies dose i into *dose: CART_OK or CART_EINVAL (i out of range). */
int cart_dosing_get_cart(const cart_dosing *dosing, size_t i, cart_cart_dose *dose);
int cart_dosing_get_toci(const cart_dosing *dosing, size_t i, cart_toci_dose *dose);

/* Turns the rule on with these settings (rule->enabled = 0, or rule = NULL, turns it off).
 * CART_EDOSE naming the field for a trigger, interval or mg/kg that is not positive and finite, a
 * negative cap or duration, a delay outside 0..CART_TOCI_RULE_MAX_DELAY_DAY, or max_doses outside
 * 1..CART_TOCI_RULE_MAX_DOSES. */
int cart_dosing_set_toci_rule(cart_dosing *dosing, const cart_toci_rule *rule);
/* The rule in force (enabled = 0 when off). */
void cart_dosing_get_toci_rule(const cart_dosing *dosing, cart_toci_rule *rule);

const cart_error *cart_dosing_last_error(const cart_dosing *dosing);

#ifdef __cplusplus
}
#endif

#endif /* CART_DOSING_H */
