/* cart_grammar.h: the text forms of doses, the tocilizumab rule and output times, read once.
 *
 * The `cart run` options (cart(1)), the scenario keys (cart-scenario(5)) and Python's solve() all
 * read these grammars through the functions here, so that the same text gives the same doses
 * and times, and a bad text the same message, wherever it is written:
 *
 *   CAR-T dose          TIME:CELLS[:FMEM]                       cart_parse_cart_dose
 *   tocilizumab dose    TIME:MG_PER_KG[:HOURS[:CAP_MG]]         cart_parse_toci_dose
 *   tocilizumab rule    on | off | TRIGGER[:INTERVAL_H[:MAX_DOSES[:MG_PER_KG[:DELAY_H]]]]
 *                                                               cart_parse_toci_rule
 *   output times        T1,T2,...                               cart_parse_time_list
 *                       A:B:STEP or T1,T2,...                   cart_parse_times
 *   patients table      CSV: a header of names, then numbers    cart_parse_table
 *   sensitivity range   NAME=LOWER:UPPER[:log] | NAME=scenario  cart_parse_sensitivity_range
 *
 * Fields are decimal numbers (strtod's syntax) with optional blanks around them; every field must
 * be finite. A parse function checks the form and the defaults; the values themselves are checked
 * where they are used (cart_dosing_add_cart, cart_params_set, the solver's times), so each
 * message comes from the one place that owns the rule. Times are in days; HOURS, INTERVAL_H and
 * DELAY_H are hours, converted with cart_days_from_hours.
 *
 * Errors: CART_EPARSE (a field that is missing, empty, not a number or not finite, or too many
 * fields), CART_EDOSE (FMEM outside [0, 1], MAX_DOSES not a whole number in
 * 1..CART_TOCI_RULE_MAX_DOSES), CART_ETIMES (a grid that is not 0 <= A <= B with STEP > 0, or
 * more than CART_MAX_OUTPUT_TIMES times), with a message in *err (which may be NULL) that names
 * the field at fault but not the option or key it came from: callers put that in front.
 *
 * Thread safety: every function here only reads its arguments and writes its outputs.
 */
#ifndef CART_GRAMMAR_H
#define CART_GRAMMAR_H

#include <stddef.h>

#include <cart/cart_dosing.h>
#include <cart/cart_errno.h>
#include <cart/cart_params.h>
#include <cart/cart_sensitivity.h>

#ifdef __cplusplus
extern "C" {
#endif

/* hours / CART_HOURS_PER_DAY: the one conversion from the hours of the text forms and of
 * Python's toci_rule to the library's days. */
double cart_days_from_hours(double hours);

/* "TIME:CELLS[:FMEM]" into *dose (f_mem CART_FMEM_FROM_PARAMS when FMEM is left out). */
int cart_parse_cart_dose(const char *text, cart_cart_dose *dose, cart_error *err);

/* "TIME:MG_PER_KG[:HOURS[:CAP_MG]]" into *dose: HOURS (default 1 h, CART_TOCI_DURATION_DAY_DEFAULT; 0 is
 * a bolus) becomes the duration in days, CAP_MG defaults to CART_TOCI_CAP_MG_DEFAULT. */
int cart_parse_toci_dose(const char *text, cart_toci_dose *dose, cart_error *err);

/* "on" (cart_toci_rule_default), "off" (the defaults with enabled = 0) or
 * "TRIGGER[:INTERVAL_H[:MAX_DOSES[:MG_PER_KG[:DELAY_H]]]]" (on, the fields left out at their
 * defaults) into *rule. */
int cart_parse_toci_rule(const char *text, cart_toci_rule *rule, cart_error *err);

/* "T1,T2,..." (days): writes the first `capacity` times to `times` (NULL when capacity is 0) and
 * their number to *n_times, which may exceed capacity: call with capacity 0 to size the array. */
int cart_parse_time_list(const char *text, double *times, size_t capacity, size_t *n_times,
                         cart_error *err);

/* As cart_parse_time_list, and also "A:B:STEP": A, A + STEP, ... up to B (within rounding, taken
 * exactly), at most CART_MAX_OUTPUT_TIMES times. */
int cart_parse_times(const char *text, double *times, size_t capacity, size_t *n_times,
                     cart_error *err);

/* The t = 0 dose rule (MODEL.md 3, cart(1), cart-scenario(5)): a CAR-T dose at time 0 of a model
 * with the parameter `dose` is the patient's initial infusion, so it sets the parameters dose (and
 * f_mem, when given) instead of adding to a schedule. 1 when `time` is such a dose, else 0. */
int cart_cart_dose_is_initial(const cart_model *model, double time);

/* Gives a CAR-T dose as a user's dose is given: the initial infusion (cart_cart_dose_is_initial)
 * sets params' dose and f_mem; any other dose is added to `dosing` (cart_dosing_add_cart).
 * `initial_given` (may be NULL) counts across calls: when it is nonzero, a second initial
 * infusion is CART_EDOSE; it is set to 1 by the first. Errors are those of cart_params_set
 * (as CART_EDOSE) and cart_dosing_add_cart, with their messages in *err. */
int cart_dose_give_cart(cart_params *params, cart_dosing *dosing, const cart_cart_dose *dose,
                        int *initial_given, cart_error *err);

/* A table of numbers with named columns, as a patients table ([patients] file, cart-scenario(5);
 * Python's trial(patients=...)) is written: comma-separated values, one row per line; lines
 * that are blank or start with '#' are skipped; the first other line names the columns (blanks
 * around a name and double quotes around it are dropped); every further line has one field per
 * column. A column named `id` (any case) holds labels, any text without a comma (every comma
 * separates fields; quotes do not protect one), and is left out of the table; every other field
 * must be a finite number. At most CART_TABLE_MAX_COLUMNS columns besides id (CART_ERANGE), at
 * least one, and at most CART_TABLE_MAX_ROWS rows.
 * cart_parse_table returns CART_OK with a new table in *table (free it with cart_table_free),
 * or CART_EPARSE with "SOURCE:LINE: ..." in *err naming the row and column at fault (no header,
 * an empty or repeated name, a row with too few or too many fields, a field that is not a
 * finite number, no rows, no column besides id), CART_ERANGE (too many rows or columns) or
 * CART_ENOMEM. */
#define CART_TABLE_MAX_COLUMNS 64
#define CART_TABLE_MAX_ROWS 10000000
typedef struct cart_table {
  size_t n_rows, n_columns;
  char **names;   /* n_columns names */
  double *values; /* n_rows x n_columns, row major */
} cart_table;
int cart_parse_table(const char *text, const char *source, cart_table **table, cart_error *err);
void cart_table_free(cart_table *table);

/* A parameter of a sensitivity analysis (`cart sensitivity --param`, cart_sensitivity.h):
 *   NAME=LOWER:UPPER       uniform between LOWER and UPPER
 *   NAME=LOWER:UPPER:log   log-uniform
 *   NAME=scenario          the distribution the scenario gives NAME (its typical value and cv,
 *                          truncated to its bounds: cart_sensitivity_scenario_param)
 * Blanks around the fields are dropped. Writes NAME into `name` (room for
 * CART_RANGE_NAME_SIZE bytes) and sets param->name to it; *from_scenario is 1 for the third form
 * (then only the name is set), else 0. CART_EPARSE for a missing '=', an empty or too long name, a
 * field that is not a finite number, or another form. The values are checked by
 * cart_sensitivity_new (lower < upper, lower > 0 for log) and against the model's bounds by
 * cart_sensitivity_run_trial. */
#define CART_RANGE_NAME_SIZE 64
int cart_parse_sensitivity_range(const char *text, char *name, cart_sensitivity_param *param,
                                 int *from_scenario, cart_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CART_GRAMMAR_H */
