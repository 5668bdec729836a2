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
 *   observations        CSV or TSV as above, with label columns  cart_parse_table_labels
 *   sensitivity range   NAME=LOWER:UPPER[:log] | NAME=scenario  cart_parse_sensitivity_range
 *   event table         CSV in the NONMEM/rxode2 layout         cart_parse_event_table
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
  /* The label columns (cart_parse_table: id, when the table has one), as written in the header,
   * and their fields, n_rows x n_label_columns, row major. */
  size_t n_label_columns;
  char **label_names;
  char **labels;
  int *lines; /* n_rows: the line of the text each row was read from (1-based) */
  int header_line; /* the line of the header */
} cart_table;
int cart_parse_table(const char *text, const char *source, cart_table **table, cart_error *err);
/* As cart_parse_table, with the columns named in label_columns (a NULL-terminated list, any
 * case; the first column of each name, at most 8 of them: when the header has more, those of the
 * names listed first, the others number columns) holding labels instead of `id`, and fields
 * separated by `separator` (',', or '\t' for a TSV): the long tables of observations of
 * cart_fit.h (an observable's name, a patient's ID, a PEtab condition). */
int cart_parse_table_labels(const char *text, const char *source,
                            const char *const *label_columns, char separator,
                            cart_table **table, cart_error *err);
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

/* An event table in the NONMEM/rxode2 layout, the doses of one subject: Python's and R's
 * events= and `cart run --event-table` read it here, so that one table gives the same doses and
 * a bad one the same message everywhere. Comma-separated values; lines that are blank or start
 * with '#' are skipped; the first other line names the columns (any case; blanks and double
 * quotes around a field dropped, a quoted field may hold commas, "" is a quote). Columns:
 *   time   day of the event, a finite number >= 0
 *   amt    the dose: cells for CAR-T; mg per kg of body weight (the parameter WT) for
 *          tocilizumab; >= 0
 *   cmt    the target: "cart" (also "car-t", "cart_cells") or "toci" (also "tocilizumab"), any
 *          case, or the 1-based number or exact name of the state the dose enters
 *          (cart_model_dose_state: E for CAR-T, D1 for tocilizumab)
 *   evid   1 a dose; 0 an observation row, whose time goes to observations (an output time);
 *          anything else is refused. Without the column (or empty) every row is a dose
 *   dur    infusion duration in days (tocilizumab only; 0 a bolus), or
 *   rate   infusion rate in amt per day (dur = amt / rate); neither, or empty: the library's
 *          default 1 h infusion. CAR-T cells are given at once: dur and rate empty or 0
 *   ii, addl  the dose repeated addl more times every ii days (time + k ii, k = 1..addl)
 *   fmem   a CAR-T dose's memory fraction (default the parameter f_mem)
 *   cap_mg a tocilizumab dose's cap in mg (default 800)
 *   ss     only 0 or empty (steady state is not supported)
 *   id     one subject only (the schedule is every patient's)
 * Other columns (dv, mdv, covariates) are ignored; an empty cell is "", ".", NA, nan, NaN,
 * -nan, N/A, n/a, NULL, null, None, <NA> or #N/A (pandas' and R's empty cells). Lines may end
 * in CRLF; a UTF-8 byte order mark at the start is skipped.
 * Times need not be sorted (observation times are checked by the solver).
 *
 * Each dose is given in its text form (cart_parse_cart_dose's TIME:CELLS[:FMEM], or
 * cart_parse_toci_dose's TIME:MG_PER_KG[:HOURS[:CAP_MG]] with HOURS = dur x 24), numbers in the
 * shortest form that reads back exactly, and as that text parses: a scenario's [dosing] line
 * `cart = TEXT` / `toci = TEXT` gives the same dose. Doses are in row order, repeats after their
 * row. The values are checked where they are used (cart_dose_give_cart, cart_dosing_add_toci),
 * with `where` naming the row for the message.
 *
 * Rows are named in messages and in `where` as "SOURCE line N" (first_row < 0: N the line of
 * the text, for a file) or "SOURCE row K" (first_row >= 0: K = first_row + the 0-based index of
 * the data row, for a data frame: 0 in Python, 1 in R). source NULL is "events".
 * Returns CART_OK with a new table in *table (free it with cart_event_table_free), or
 * CART_EPARSE with "SOURCE row K, column C: ..." in *err (a missing or repeated column, a row
 * with another number of fields than the header, an empty, non-numeric or non-finite number,
 * a negative time, amt, dur, ii or addl, a fractional addl, an unknown or undosed target, evid
 * other than 0 and 1, ss, a negative rate, both dur and rate, addl without ii, dur on CAR-T,
 * fmem on tocilizumab, cap_mg on CAR-T, a second id), the grammar's code (CART_EDOSE: fmem
 * outside [0, 1]) with "SOURCE row K: doses TEXT: ...", CART_ERANGE (more than
 * CART_EVENT_MAX_DOSES doses), CART_EINVAL (NULL text, model or table) or CART_ENOMEM. */
#define CART_EVENT_MAX_DOSES 100000
#define CART_EVENT_TEXT_SIZE 128
#define CART_EVENT_WHERE_SIZE 192
typedef struct cart_event_dose {
  int kind;            /* CART_DOSE_CART or CART_DOSE_TOCI */
  cart_cart_dose cart; /* kind CART_DOSE_CART: the dose */
  cart_toci_dose toci; /* kind CART_DOSE_TOCI: the dose */
  char text[CART_EVENT_TEXT_SIZE];   /* its text form */
  char where[CART_EVENT_WHERE_SIZE]; /* "SOURCE line N" or "SOURCE row K" */
  int line;            /* the line of the text of its row (1-based) */
  size_t row;          /* its row among the data rows (0-based) */
} cart_event_dose;
typedef struct cart_event_table {
  size_t n_doses;
  cart_event_dose *doses;
  size_t n_observations;
  double *observations; /* the times of the evid 0 rows, in row order */
  char first_observation[CART_EVENT_WHERE_SIZE]; /* the first evid 0 row, as `where` ("": none) */
} cart_event_table;
int cart_parse_event_table(const char *text, const char *source, const cart_model *model,
                           long first_row, cart_event_table **table, cart_error *err);
void cart_event_table_free(cart_event_table *table);

#ifdef __cplusplus
}
#endif

#endif /* CART_GRAMMAR_H */
