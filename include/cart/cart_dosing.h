/* cart_dosing.h: a dosing schedule (MODEL.md section 3).
 *
 * CAR-T infusions: (time, cells, f_mem). The t = 0 infusion of a patient is the parameter `dose`
 * (with `f_mem`), which sets the initial state; each infusion in a schedule adds (1 - f_mem) cells
 * to E and f_mem cells to M at its time, t = 0 included (it then adds to the initial state).
 *
 * Tocilizumab, fixed: (time, mg/kg, duration, cap). The amount is min(mg/kg * WT, cap) mg, with WT
 * the patient's weight parameter; it enters D1 at the constant rate amount / duration (mg/day)
 * from `time` to `time + duration`. Infusions may overlap. A duration of 0 is a bolus: the amount
 * is added to D1 at `time`.
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

#include <stddef.h>

#include <cart/cart_errno.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cart_dosing cart_dosing;

/* f_mem value meaning "the patient's parameter f_mem". */
#define CART_FMEM_FROM_PARAMS (-1.0)

/* MODEL.md section 3 defaults for tocilizumab infusions. */
#define CART_TOCI_TINF_DEFAULT (1.0 / 24.0) /* day: 1 h */
#define CART_TOCI_CAP_MG_DEFAULT 800.0      /* mg per dose [S7] */

typedef struct cart_cart_dose {
  double time;  /* day, >= 0 */
  double cells; /* >= 0 */
  double f_mem; /* [0, 1], or CART_FMEM_FROM_PARAMS */
} cart_cart_dose;

typedef struct cart_toci_dose {
  double time;      /* day, >= 0: infusion start */
  double mg_per_kg; /* >= 0 */
  double duration;  /* day, >= 0 (0: bolus) */
  double cap_mg;    /* mg, >= 0: largest amount given */
} cart_toci_dose;

/* A new, empty schedule, or NULL (CART_ENOMEM in *err, which may be NULL). */
cart_dosing *cart_dosing_new(cart_error *err);
void cart_dosing_free(cart_dosing *dosing);

/* Adds a CAR-T infusion. CART_EDOSE (message names the dose and the bad value) when the time or
 * the cells are negative or not finite, or f_mem is outside [0, 1] and not
 * CART_FMEM_FROM_PARAMS; the schedule is then unchanged. */
int cart_dosing_add_cart(cart_dosing *dosing, double time, double cells, double f_mem);

/* Adds a fixed tocilizumab infusion; CART_EDOSE for a negative or non-finite time, mg/kg, cap or
 * duration. */
int cart_dosing_add_toci(cart_dosing *dosing, double time, double mg_per_kg, double duration,
                         double cap_mg);

/* Removes every dose. */
void cart_dosing_clear(cart_dosing *dosing);

size_t cart_dosing_n_cart(const cart_dosing *dosing);
size_t cart_dosing_n_toci(const cart_dosing *dosing);

/* Copies dose i into *dose: CART_OK or CART_EINVAL (i out of range). */
int cart_dosing_get_cart(const cart_dosing *dosing, size_t i, cart_cart_dose *dose);
int cart_dosing_get_toci(const cart_dosing *dosing, size_t i, cart_toci_dose *dose);

const cart_error *cart_dosing_last_error(const cart_dosing *dosing);

#ifdef __cplusplus
}
#endif

#endif /* CART_DOSING_H */
