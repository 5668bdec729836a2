/* cart_scenario.h: virtual-trial scenarios in INI format (cart-scenario(5)), read with libinih.
 *
 * A scenario names the model, N, the seed, the output times, the solver and its tolerances,
 * parameter values, between-patient variability (cv) and correlations, doses, tocilizumab,
 * endpoint settings and the trajectories to keep. Every unknown section or key, malformed value
 * or missing required value is an error whose message starts with "SOURCE:LINE: " (SOURCE is the
 * file name given by the caller).
 *
 * Ownership: cart_trial_new_from_scenario returns a new trial the caller frees with
 * cart_trial_free; cart_arms_new_from_scenario new arms the caller frees with cart_arms_free.
 * Thread safety: these functions may run in any thread.
 */
#ifndef CART_SCENARIO_H
#define CART_SCENARIO_H

#include <cart/cart_arms.h>
#include <cart/cart_errno.h>
#include <cart/cart_trial.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The built-in default scenario: a commented INI text that runs as it is (static string). */
const char *cart_scenario_default(void);

/* Builds a trial from scenario text. `source` names it in messages ("trial.ini", "<default>").
 * Returns NULL with CART_EPARSE (syntax, unknown section or key, malformed or missing value),
 * CART_EUNKNOWN_MODEL, CART_EUNKNOWN_PARAM, CART_ENOTFINITE, CART_ERANGE, CART_ETIMES,
 * CART_EDOSE, CART_ERULE or CART_ENOMEM in *err (which may be NULL), CART_EINVAL for NULL text;
 * the message names the line. Numbers are read with strtod in the C locale's format: a program
 * that sets a locale with a decimal comma must parse scenarios under LC_NUMERIC=C. */
cart_trial *cart_trial_new_from_scenario(const char *text, const char *source, cart_error *err);

/* Builds the arms of scenario text (cart-scenario(5), ARMS): one prepared trial per [arm NAME]
 * section, in the order of their first headers, each the base scenario with the arm's keys laid
 * over it; a scenario without [arm] sections gives one unnamed arm, the trial
 * cart_trial_new_from_scenario builds. cart_trial_new_from_scenario refuses a scenario with arms
 * (CART_EINVAL, at the first [arm] header). Errors as cart_trial_new_from_scenario's; one in an
 * arm's section starts "SOURCE:LINE: [arm NAME] ", one at a base line that only an arm's keys
 * bring out ends with " (in arm 'NAME')". Returns a new cart_arms the caller frees with
 * cart_arms_free. */
cart_arms *cart_arms_new_from_scenario(const char *text, const char *source, cart_error *err);

/* A scenario plus an event table: the one reading behind `cart trial --event-table`, Python's
 * trial(events=) and R's cart_trial(events=).
 *
 * Loads scenario_text (named scenario_source in messages; NULL is "<scenario>") as its arms to
 * learn its model (arms share one), reads table_text with cart_parse_event_table for that model
 * (table_source and first_row as there: rows named "SOURCE line N" for a file, first_row < 0, or
 * "SOURCE row K" for a data frame; NULL is "events"), and writes to *out_text a new scenario
 * text: scenario_text, then a comment and a [dosing] section of `cart = TEXT` and `toci = TEXT`
 * lines, one per dose of the table in row order (repeats after their row), so that loading it
 * gives the scenario's doses and exactly the table's. Every arm gets the table's doses: an arm
 * whose [arm NAME] section gives its own dosing.cart (dosing.toci) lines, which replace the
 * base's, gets them as more such lines in a repeated [arm NAME] section.
 *
 * The result is loaded before it is returned, so that every dose is checked as the scenario
 * gives it (cart_dose_give_cart, cart_dosing_add_toci, and whether the model takes the dose:
 * stein has no tocilizumab); an error at a dose's line names its row instead,
 * "WHERE: doses TEXT: MESSAGE" (toci for tocilizumab).
 *
 * Returns CART_OK with *out_text a new string (free it with free()), else NULL in *out_text and
 * the code with its message in *err (which may be NULL):
 *   CART_EINVAL  scenario_text, table_text or out_text NULL
 *   the codes of cart_arms_new_from_scenario ("SOURCE:LINE: ..."): a bad scenario
 *   the codes of cart_parse_event_table ("SOURCE row K, column C: ..."): a bad table
 *   CART_EPARSE  an observation row (evid 0), named: a trial's output times are its [times]
 *   the code of the load of the result (CART_EDOSE, CART_EINVAL, ...): a dose the scenario
 *                does not take, named by its row as above
 *   CART_ENOMEM
 * Thread safety: reads its arguments only. */
int cart_scenario_add_event_table(const char *scenario_text, const char *scenario_source,
                                  const char *table_text, const char *table_source,
                                  long first_row, char **out_text, cart_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CART_SCENARIO_H */
