/* libcart.c: the R package's .Call entry points, a thin layer over the C library libcart.
 *
 * Nothing here knows the model: the tables, grammars, solver, trial loop and their checks are
 * libcart's. Each entry point turns R vectors into libcart calls and libcart's answers into R
 * vectors and lists; the R code (R/) makes data frames and conditions of them.
 *
 * Errors: a libcart failure is never raised here. The entry point frees what it made and returns
 * a "libcart_failure" list (code, name, message) that the R code turns into a condition of class
 * cart_error. R's own errors (memory, an interrupt) may still jump out of any R API call, so every
 * libcart handle is held by an external pointer with a finalizer from the moment it exists
 * (hold()), and released by hand as soon as it is no longer needed (release()): a jump leaves it
 * to the garbage collector, never leaked.
 *
 * Threads: libcart's trial runs its own OpenMP threads but calls the progress callback from the
 * thread that called it (the main R thread), after every block; the callback calls R through
 * R_tryEval, so an error in the R progress function stops the run instead of jumping over it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <R.h>
#include <R_ext/Rdynload.h>
#include <Rinternals.h>

#include <cart/cart.h>

/* ---- handles ------------------------------------------------------------------------------- */

typedef enum handle_kind {
  HANDLE_PARAMS,
  HANDLE_DOSING,
  HANDLE_SOLVER,
  HANDLE_PLAN,
  HANDLE_ARMS,
  HANDLE_TABLE,
  HANDLE_TRIAL,
  HANDLE_TARGETS,
  HANDLE_CALIBRATION,
  HANDLE_FIT,
  HANDLE_SENSITIVITY
} handle_kind;

typedef struct fit_bundle fit_bundle;
typedef struct sensitivity_bundle sensitivity_bundle;
static void fit_bundle_free(fit_bundle *b);
static void sensitivity_bundle_free(sensitivity_bundle *b);

/* Frees the handle of external pointer `ptr` (once: the pointer is cleared). */
static void release(SEXP ptr)
{
  void *p = R_ExternalPtrAddr(ptr);
  if (p == NULL) {
    return;
  }
  switch ((handle_kind)INTEGER(R_ExternalPtrTag(ptr))[0]) {
  case HANDLE_PARAMS:
    cart_params_free(p);
    break;
  case HANDLE_DOSING:
    cart_dosing_free(p);
    break;
  case HANDLE_SOLVER:
    cart_solver_free(p);
    break;
  case HANDLE_PLAN:
    cart_endpoint_plan_free(p);
    break;
  case HANDLE_ARMS:
    cart_arms_free(p);
    break;
  case HANDLE_TABLE:
    cart_table_free(p);
    break;
  case HANDLE_TRIAL:
    cart_trial_free(p);
    break;
  case HANDLE_TARGETS:
    cart_targets_free(p);
    break;
  case HANDLE_CALIBRATION:
    cart_calibration_free(p);
    break;
  case HANDLE_FIT:
    fit_bundle_free(p);
    break;
  case HANDLE_SENSITIVITY:
    sensitivity_bundle_free(p);
    break;
  }
  R_ClearExternalPtr(ptr);
}

/* An external pointer holding `p` (already PROTECTed by the caller's count: returns it
 * protected, one more on the stack) that frees it when collected. */
static SEXP hold(void *p, handle_kind kind)
{
  SEXP tag = PROTECT(ScalarInteger((int)kind));
  SEXP ptr = PROTECT(R_MakeExternalPtr(p, tag, R_NilValue));
  R_RegisterCFinalizerEx(ptr, release, TRUE);
  UNPROTECT(2);
  return PROTECT(ptr);
}

/* ---- results and failures ------------------------------------------------------------------ */

/* list(code, name, message) of class libcart_failure: what the R code raises as a cart_error. */
static SEXP failure(int code, const char *message)
{
  SEXP out = PROTECT(allocVector(VECSXP, 3));
  SEXP names = PROTECT(allocVector(STRSXP, 3));
  SET_STRING_ELT(names, 0, mkChar("code"));
  SET_STRING_ELT(names, 1, mkChar("name"));
  SET_STRING_ELT(names, 2, mkChar("message"));
  SET_VECTOR_ELT(out, 0, ScalarInteger(code));
  SET_VECTOR_ELT(out, 1, mkString(cart_status_name(code)));
  SET_VECTOR_ELT(out, 2,
                 ScalarString(mkCharCE(message[0] ? message : cart_strerror(code), CE_UTF8)));
  setAttrib(out, R_NamesSymbol, names);
  setAttrib(out, R_ClassSymbol, mkString("libcart_failure"));
  UNPROTECT(2);
  return out;
}

/* failure() with "PREFIX: message" (prefix NULL or "": the message alone). */
static SEXP failure_at(int code, const char *prefix, const char *message)
{
  char text[2 * CART_ERROR_MESSAGE_SIZE + 2]; /* prefix, ": ", message */
  if (prefix != NULL && prefix[0] != '\0') {
    snprintf(text, sizeof text, "%s: %s", prefix, message);
  } else {
    snprintf(text, sizeof text, "%s", message);
  }
  return failure(code, text);
}

/* A named list of `n` elements, with names from `names` (n strings). PROTECTed. */
static SEXP named_list(int n, const char *const *names)
{
  SEXP out = PROTECT(allocVector(VECSXP, n));
  SEXP labels = PROTECT(allocVector(STRSXP, n));
  for (int i = 0; i < n; i++) {
    SET_STRING_ELT(labels, i, mkChar(names[i]));
  }
  setAttrib(out, R_NamesSymbol, labels);
  UNPROTECT(1);
  return out;
}

static SEXP text_or_na(const char *text)
{
  return text != NULL ? mkCharCE(text, CE_UTF8) : NA_STRING;
}

/* ---- models -------------------------------------------------------------------------------- */

static const cart_model *model_of(SEXP name, cart_error *err)
{
  return cart_model_find(translateCharUTF8(STRING_ELT(name, 0)), err);
}

SEXP rcart_version(void)
{
  return mkString(cart_version());
}

SEXP rcart_models(void)
{
  const size_t n = cart_model_count();
  SEXP out = PROTECT(allocVector(STRSXP, (R_xlen_t)n));
  for (size_t i = 0; i < n; i++) {
    SET_STRING_ELT(out, (R_xlen_t)i, mkChar(cart_model_name(cart_model_get(i))));
  }
  UNPROTECT(1);
  return out;
}

/* A row of a model's table of states, outputs, signals or endpoints: three strings and a number
 * (a state's default absolute tolerance, or whether an endpoint is an integer). */
typedef struct info_row {
  const char *name, *unit, *meaning;
  double number;
} info_row;

typedef enum info_kind { INFO_STATES, INFO_OUTPUTS, INFO_SIGNALS, INFO_ENDPOINTS } info_kind;

static void read_row(const cart_model *model, info_kind kind, size_t i, info_row *row)
{
  if (kind == INFO_ENDPOINTS) {
    cart_endpoint_info info;
    cart_model_endpoint_info(model, i, &info);
    *row = (info_row){info.name, info.unit, info.meaning, info.is_integer};
    return;
  }
  cart_state_info info;
  if (kind == INFO_STATES) {
    cart_model_state_info(model, i, &info);
  } else if (kind == INFO_OUTPUTS) {
    cart_model_output_info(model, i, &info);
  } else {
    cart_model_signal_info(model, i, &info);
  }
  *row = (info_row){info.name, info.unit, info.meaning, info.abs_tol};
}

/* list(name, unit, NUMBER, meaning) of the model's table `kind`: NUMBER is abs_tol (a double
 * column), or is_integer (logical) for the endpoints. */
static SEXP info_table(const cart_model *model, info_kind kind)
{
  const int logical = kind == INFO_ENDPOINTS;
  const char *number = logical ? "is_integer" : "abs_tol";
  const size_t n = kind == INFO_STATES    ? cart_model_n_states(model)
                   : kind == INFO_OUTPUTS ? cart_model_n_outputs(model)
                   : kind == INFO_SIGNALS ? cart_model_n_signals(model)
                                          : cart_model_n_endpoints(model);
  const char *const columns[] = {"name", "unit", number, "meaning"};
  SEXP out = named_list(4, columns);
  SEXP name = allocVector(STRSXP, (R_xlen_t)n);
  SET_VECTOR_ELT(out, 0, name);
  SEXP unit = allocVector(STRSXP, (R_xlen_t)n);
  SET_VECTOR_ELT(out, 1, unit);
  SEXP values = allocVector(logical ? LGLSXP : REALSXP, (R_xlen_t)n);
  SET_VECTOR_ELT(out, 2, values);
  SEXP meaning = allocVector(STRSXP, (R_xlen_t)n);
  SET_VECTOR_ELT(out, 3, meaning);
  for (size_t i = 0; i < n; i++) {
    info_row row;
    read_row(model, kind, i, &row);
    SET_STRING_ELT(name, (R_xlen_t)i, text_or_na(row.name));
    SET_STRING_ELT(unit, (R_xlen_t)i, text_or_na(row.unit));
    if (logical) {
      LOGICAL(values)[i] = row.number != 0;
    } else {
      REAL(values)[i] = row.number;
    }
    SET_STRING_ELT(meaning, (R_xlen_t)i, text_or_na(row.meaning));
  }
  UNPROTECT(1);
  return out;
}

/* Parameters or endpoint settings: list(name, unit, default, lower, upper, lower_open,
 * upper_open, meaning). */
typedef int (*param_getter)(const cart_model *, size_t, cart_param_info *);

static SEXP param_table(const cart_model *model, size_t n, param_getter get)
{
  static const char *const columns[] = {"name",  "unit",       "default",    "lower",
                                        "upper", "lower_open", "upper_open", "meaning"};
  SEXP out = named_list(8, columns);
  SEXP col[8];
  for (int c = 0; c < 8; c++) {
    const SEXPTYPE type = c == 0 || c == 1 || c == 7 ? STRSXP : c >= 5 ? LGLSXP : REALSXP;
    col[c] = allocVector(type, (R_xlen_t)n);
    SET_VECTOR_ELT(out, c, col[c]);
  }
  for (size_t i = 0; i < n; i++) {
    cart_param_info info;
    get(model, i, &info);
    SET_STRING_ELT(col[0], (R_xlen_t)i, text_or_na(info.name));
    SET_STRING_ELT(col[1], (R_xlen_t)i, text_or_na(info.unit));
    REAL(col[2])[i] = info.default_value;
    REAL(col[3])[i] = info.lower;
    REAL(col[4])[i] = info.upper;
    LOGICAL(col[5])[i] = info.lower_open != 0;
    LOGICAL(col[6])[i] = info.upper_open != 0;
    SET_STRING_ELT(col[7], (R_xlen_t)i, text_or_na(info.meaning));
  }
  UNPROTECT(1);
  return out;
}

SEXP rcart_model_info(SEXP model_name)
{
  static const char *const fields[] = {"name",      "description", "states",
                                       "outputs",   "signals",     "params",
                                       "endpoints", "endpoint_settings", "dose_states"};
  cart_error err;
  const cart_model *model = model_of(model_name, &err);
  if (model == NULL) {
    return failure(err.code, err.message);
  }
  SEXP out = named_list(9, fields);
  SET_VECTOR_ELT(out, 0, mkString(cart_model_name(model)));
  SET_VECTOR_ELT(out, 1, mkString(cart_model_description(model)));
  SET_VECTOR_ELT(out, 2, info_table(model, INFO_STATES));
  SET_VECTOR_ELT(out, 3, info_table(model, INFO_OUTPUTS));
  SET_VECTOR_ELT(out, 4, info_table(model, INFO_SIGNALS));
  SET_VECTOR_ELT(out, 5,
                 param_table(model, cart_model_n_params(model), cart_model_param_info));
  SET_VECTOR_ELT(out, 6, info_table(model, INFO_ENDPOINTS));
  SET_VECTOR_ELT(out, 7, param_table(model, cart_model_n_endpoint_settings(model),
                                     cart_model_endpoint_setting_info));
  /* 1-based state indices (the cmt of an event table) of the CAR-T and tocilizumab doses */
  SEXP doses = PROTECT(allocVector(INTSXP, 2));
  for (int kind = 0; kind < 2; kind++) {
    const int state = cart_model_dose_state(model, kind == 0 ? CART_DOSE_CART : CART_DOSE_TOCI);
    INTEGER(doses)[kind] = state >= 0 ? state + 1 : NA_INTEGER;
  }
  SET_VECTOR_ELT(out, 8, doses);
  UNPROTECT(2);
  return out;
}

SEXP rcart_default_scenario(void)
{
  return mkString(cart_scenario_default());
}

/* ---- grammar ------------------------------------------------------------------------------- */

/* The output times of the text `text` ("A:B:STEP" or "T1,T2,..."), read by libcart. */
SEXP rcart_parse_times(SEXP text)
{
  cart_error err;
  size_t n = 0;
  const char *s = translateCharUTF8(STRING_ELT(text, 0));
  int status = cart_parse_times(s, NULL, 0, &n, &err);
  if (status != CART_OK) {
    return failure_at(status, "times", err.message);
  }
  SEXP out = PROTECT(allocVector(REALSXP, (R_xlen_t)n));
  status = cart_parse_times(s, REAL(out), n, &n, &err);
  UNPROTECT(1);
  return status == CART_OK ? out : failure_at(status, "times", err.message);
}

/* Gives one dose text (cart_grammar.h) as libcart reads it: a CAR-T dose (`is_cart`, by
 * cart_dose_give_cart: at t = 0 the initial infusion) or a tocilizumab dose. CART_OK, or the
 * code with the message in *err. */
static int give_dose(cart_params *params, cart_dosing *dosing, int is_cart, const char *text,
                     int *initial_given, cart_error *err)
{
  cart_cart_dose cart_dose;
  cart_toci_dose toci_dose;
  int status = is_cart ? cart_parse_cart_dose(text, &cart_dose, err)
                       : cart_parse_toci_dose(text, &toci_dose, err);
  if (status != CART_OK) {
    return status;
  }
  if (is_cart) {
    return cart_dose_give_cart(params, dosing, &cart_dose, initial_given, err);
  }
  status = cart_dosing_add_toci(dosing, toci_dose.time, toci_dose.mg_per_kg,
                                toci_dose.duration_day, toci_dose.cap_mg);
  if (status != CART_OK) {
    *err = *cart_dosing_last_error(dosing);
  }
  return status;
}

/* Gives the CAR-T dose texts `cart` and then the tocilizumab dose texts `toci` (each named for
 * messages by the same element of cart_what, toci_what) with give_dose. Returns NULL on success,
 * else a failure "WHAT TEXT: message". */
static SEXP give_doses(cart_params *params, cart_dosing *dosing, SEXP cart, SEXP cart_what,
                       SEXP toci, SEXP toci_what)
{
  int initial_given = 0;
  for (int is_cart = 1; is_cart >= 0; is_cart--) {
    const SEXP texts = is_cart ? cart : toci, what = is_cart ? cart_what : toci_what;
    for (R_xlen_t i = 0; i < XLENGTH(texts); i++) {
      const char *text = translateCharUTF8(STRING_ELT(texts, i));
      cart_error err;
      const int status = give_dose(params, dosing, is_cart, text, &initial_given, &err);
      if (status != CART_OK) {
        char prefix[CART_ERROR_MESSAGE_SIZE];
        snprintf(prefix, sizeof prefix, "%s %s", translateCharUTF8(STRING_ELT(what, i)), text);
        return failure_at(status, prefix, err.message);
      }
    }
  }
  return NULL;
}

/* ---- event tables (cart_parse_event_table) -------------------------------------------------- */

/* An event table's CSV text, read by libcart for model `model`: list(cart, cart_what, toci,
 * toci_what, observations), the dose texts of each kind in row order with the row each comes
 * from ("SOURCE row K", K from first_row; "SOURCE line N" when first_row < 0), and the times of
 * the observation rows, or a failure with libcart's message. */
SEXP rcart_event_table(SEXP text, SEXP source, SEXP model_name, SEXP first_row)
{
  cart_error err;
  const cart_model *model = model_of(model_name, &err);
  if (model == NULL) {
    return failure(err.code, err.message);
  }
  cart_event_table *table = NULL;
  const int status = cart_parse_event_table(
      translateCharUTF8(STRING_ELT(text, 0)), translateCharUTF8(STRING_ELT(source, 0)), model,
      (long)asInteger(first_row), &table, &err);
  if (status != CART_OK) {
    return failure(status, err.message);
  }
  R_xlen_t n_cart = 0;
  for (size_t i = 0; i < table->n_doses; i++) {
    n_cart += table->doses[i].kind == CART_DOSE_CART;
  }
  static const char *const names[] = {"cart", "cart_what", "toci", "toci_what", "observations"};
  SEXP out = named_list(5, names);
  SEXP vectors[4];
  for (int k = 0; k < 4; k++) {
    vectors[k] = allocVector(STRSXP, k < 2 ? n_cart : (R_xlen_t)table->n_doses - n_cart);
    SET_VECTOR_ELT(out, k, vectors[k]);
  }
  R_xlen_t at[2] = {0, 0};
  for (size_t i = 0; i < table->n_doses; i++) {
    const cart_event_dose *dose = &table->doses[i];
    const int k = dose->kind == CART_DOSE_CART ? 0 : 2;
    const R_xlen_t j = at[k / 2]++;
    SET_STRING_ELT(vectors[k], j, mkCharCE(dose->text, CE_UTF8));
    SET_STRING_ELT(vectors[k + 1], j, mkCharCE(dose->where, CE_UTF8));
  }
  SEXP times = allocVector(REALSXP, (R_xlen_t)table->n_observations);
  SET_VECTOR_ELT(out, 4, times);
  for (size_t i = 0; i < table->n_observations; i++) {
    REAL(times)[i] = table->observations[i];
  }
  cart_event_table_free(table);
  UNPROTECT(1);
  return out;
}

/* The scenario `text` (named `source`) with the doses of the event table `table_text` added
 * (cart_scenario_add_event_table; rows named from first_row as in rcart_event_table): the new
 * scenario text, or a failure with libcart's message. */
SEXP rcart_scenario_add_event_table(SEXP text, SEXP source, SEXP table_text, SEXP table_source,
                                    SEXP first_row)
{
  cart_error err;
  char *with = NULL;
  const int status = cart_scenario_add_event_table(
      translateCharUTF8(STRING_ELT(text, 0)), translateCharUTF8(STRING_ELT(source, 0)),
      translateCharUTF8(STRING_ELT(table_text, 0)), translateCharUTF8(STRING_ELT(table_source, 0)),
      (long)asInteger(first_row), &with, &err);
  if (status != CART_OK) {
    return failure(status, err.message);
  }
  SEXP out = PROTECT(allocVector(STRSXP, 1));
  SET_STRING_ELT(out, 0, mkCharCE(with, CE_UTF8));
  free(with);
  UNPROTECT(1);
  return out;
}

/* ---- one patient --------------------------------------------------------------------------- */

/* Everything rcart_solve makes, so that one place frees it. */
typedef struct solve_handles {
  SEXP params, dosing, solver, plan;
} solve_handles;

static void release_solve(const solve_handles *h)
{
  const SEXP all[] = {h->params, h->dosing, h->solver, h->plan};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    if (all[i] != NULL) {
      release(all[i]);
    }
  }
}

/* A matrix of n_rows x n_cols doubles from a row-major array (R is column-major). */
static SEXP matrix_from_rows(const double *values, size_t n_rows, size_t n_cols)
{
  SEXP out = PROTECT(allocMatrix(REALSXP, (int)n_rows, (int)n_cols));
  double *m = REAL(out);
  for (size_t r = 0; r < n_rows; r++) {
    for (size_t c = 0; c < n_cols; c++) {
      m[c * n_rows + r] = values[r * n_cols + c];
    }
  }
  UNPROTECT(1);
  return out;
}

/* Sets the solver's options from R values (NA: leave the default). CART_OK or a code with the
 * message in the solver's last error. */
static int set_solver_options(cart_solver *solver, SEXP method, SEXP rtol, SEXP atol,
                              SEXP max_steps, SEXP n_ext, cart_error *err)
{
  cart_method m;
  const char *name = translateCharUTF8(STRING_ELT(method, 0));
  if (cart_method_from_name(name, &m) != CART_OK) {
    err->code = CART_EINVAL;
    snprintf(err->message, sizeof err->message,
             "unknown method '%s': expected rodas5p, gsl-bdf (bdf) or rk8pd", name);
    return CART_EINVAL;
  }
  int status = cart_solver_set_method(solver, m);
  const double r = REAL(rtol)[0];
  if (status == CART_OK && (!ISNA(r) || atol != R_NilValue)) {
    status = cart_solver_set_tolerances(solver, ISNA(r) ? CART_RTOL_DEFAULT : r,
                                        atol != R_NilValue ? REAL(atol) : NULL);
  }
  const double steps = REAL(max_steps)[0];
  if (status == CART_OK && !ISNA(steps)) {
    status = cart_solver_set_max_steps(solver, (unsigned long)steps);
  }
  const double ext = REAL(n_ext)[0];
  if (status == CART_OK && !ISNA(ext)) {
    status = cart_solver_set_extinction(solver, ext);
  }
  if (status != CART_OK) {
    *err = *cart_solver_last_error(solver);
  }
  return status;
}

/* Solves one patient (cart_solver_solve_endpoints) and returns
 * list(states, outputs, signals (matrices, a row per time), endpoints, events, stats, params),
 * or a failure. params: a named double vector; cart_doses, toci_doses: dose texts (cart_grammar.h)
 * named for messages by cart_what, toci_what; toci_rule: NULL (off) or the rule's text;
 * times: doubles; settings: a named double vector of endpoint settings. */
SEXP rcart_solve(SEXP model_name, SEXP params, SEXP cart_doses, SEXP cart_what, SEXP toci_doses,
                 SEXP toci_what, SEXP toci_rule, SEXP times, SEXP method, SEXP rtol, SEXP atol,
                 SEXP max_steps, SEXP n_ext, SEXP settings)
{
  static const char *const fields[] = {"states",   "outputs", "signals", "endpoints",
                                       "events",   "stats",   "params"};
  cart_error err;
  const cart_model *model = model_of(model_name, &err);
  if (model == NULL) {
    return failure(err.code, err.message);
  }
  int n_protected = 0;
  solve_handles h = {NULL, NULL, NULL, NULL};
  SEXP fail = NULL;
  cart_params *p = cart_params_new(model, &err);
  if (p == NULL) {
    return failure(err.code, err.message);
  }
  h.params = hold(p, HANDLE_PARAMS);
  n_protected++;
  SEXP param_names = getAttrib(params, R_NamesSymbol);
  for (R_xlen_t i = 0; i < XLENGTH(params) && fail == NULL; i++) {
    const int status =
        cart_params_set(p, translateCharUTF8(STRING_ELT(param_names, i)), REAL(params)[i]);
    if (status != CART_OK) {
      fail = failure(status, cart_params_last_error(p)->message);
    }
  }
  cart_dosing *dosing = fail == NULL ? cart_dosing_new(&err) : NULL;
  if (fail == NULL && dosing == NULL) {
    fail = failure(err.code, err.message);
  }
  if (fail == NULL) {
    h.dosing = hold(dosing, HANDLE_DOSING);
    n_protected++;
    fail = give_doses(p, dosing, cart_doses, cart_what, toci_doses, toci_what);
  }
  if (fail == NULL && toci_rule != R_NilValue) {
    cart_toci_rule rule;
    const char *text = translateCharUTF8(STRING_ELT(toci_rule, 0));
    int status = cart_parse_toci_rule(text, &rule, &err);
    if (status != CART_OK) {
      char prefix[CART_ERROR_MESSAGE_SIZE];
      snprintf(prefix, sizeof prefix, "toci_rule %s", text);
      fail = failure_at(status, prefix, err.message);
    } else if ((status = cart_dosing_set_toci_rule(dosing, &rule)) != CART_OK) {
      fail = failure_at(status, "toci_rule", cart_dosing_last_error(dosing)->message);
    }
  }
  cart_solver *solver = fail == NULL ? cart_solver_new(model, &err) : NULL;
  if (fail == NULL && solver == NULL) {
    fail = failure(err.code, err.message);
  }
  if (fail == NULL) {
    h.solver = hold(solver, HANDLE_SOLVER);
    n_protected++;
    const int status = set_solver_options(solver, method, rtol, atol, max_steps, n_ext, &err);
    if (status != CART_OK) {
      fail = failure(status, err.message);
    }
  }
  cart_endpoint_plan *plan = NULL;
  if (fail == NULL && XLENGTH(settings) > 0) {
    if ((plan = cart_endpoint_plan_new(model, &err)) == NULL) {
      fail = failure(err.code, err.message);
    } else {
      h.plan = hold(plan, HANDLE_PLAN);
      n_protected++;
      SEXP setting_names = getAttrib(settings, R_NamesSymbol);
      for (R_xlen_t i = 0; i < XLENGTH(settings) && fail == NULL; i++) {
        const int status = cart_endpoint_plan_set_setting(
            plan, translateCharUTF8(STRING_ELT(setting_names, i)), REAL(settings)[i]);
        if (status != CART_OK) {
          fail = failure_at(status, "endpoint_settings",
                            cart_endpoint_plan_last_error(plan)->message);
        }
      }
    }
  }
  if (fail != NULL) {
    PROTECT(fail);
    release_solve(&h);
    UNPROTECT(n_protected + 1);
    return fail;
  }

  const size_t n_times = (size_t)XLENGTH(times), n_states = cart_model_n_states(model);
  const size_t n_outputs = cart_model_n_outputs(model), n_signals = cart_model_n_signals(model);
  const size_t n_endpoints = cart_model_n_endpoints(model), n_params = cart_model_n_params(model);
  double *states = (double *)R_alloc(n_times * n_states + 1, sizeof(double));
  double *outputs = (double *)R_alloc(n_times * n_outputs + 1, sizeof(double));
  double *signals = (double *)R_alloc(n_times * n_signals + 1, sizeof(double));
  double *endpoints = (double *)R_alloc(n_endpoints + 1, sizeof(double));
  int status = cart_solver_solve_endpoints(solver, p, dosing, plan, REAL(times), n_times, states,
                                           n_outputs > 0 ? outputs : NULL, endpoints);
  if (status != CART_OK) {
    fail = PROTECT(failure(status, cart_solver_last_error(solver)->message));
    release_solve(&h);
    UNPROTECT(n_protected + 1);
    return fail;
  }
  for (size_t k = 0; k < n_times && n_signals > 0; k++) {
    cart_params_signals(p, states + k * n_states, signals + k * n_signals);
  }

  SEXP out = named_list(7, fields);
  n_protected++;
  SET_VECTOR_ELT(out, 0, matrix_from_rows(states, n_times, n_states));
  SET_VECTOR_ELT(out, 1, matrix_from_rows(outputs, n_times, n_outputs));
  SET_VECTOR_ELT(out, 2, matrix_from_rows(signals, n_times, n_signals));
  SEXP ep = allocVector(REALSXP, (R_xlen_t)n_endpoints);
  SET_VECTOR_ELT(out, 3, ep);
  memcpy(REAL(ep), endpoints, n_endpoints * sizeof(double));

  static const char *const event_fields[] = {"time", "kind", "state", "amount_mg"};
  const size_t n_events = cart_solver_n_events(solver);
  SEXP events = named_list(4, event_fields);
  SET_VECTOR_ELT(out, 4, events);
  UNPROTECT(1);
  SEXP ev_time = allocVector(REALSXP, (R_xlen_t)n_events);
  SET_VECTOR_ELT(events, 0, ev_time);
  SEXP ev_kind = allocVector(STRSXP, (R_xlen_t)n_events);
  SET_VECTOR_ELT(events, 1, ev_kind);
  SEXP ev_state = allocVector(INTSXP, (R_xlen_t)n_events);
  SET_VECTOR_ELT(events, 2, ev_state);
  SEXP ev_amount = allocVector(REALSXP, (R_xlen_t)n_events);
  SET_VECTOR_ELT(events, 3, ev_amount);
  for (size_t i = 0; i < n_events; i++) {
    cart_event_record record;
    cart_solver_get_event(solver, i, &record);
    REAL(ev_time)[i] = record.time;
    SET_STRING_ELT(ev_kind, (R_xlen_t)i,
                   mkChar(record.kind == CART_EVENT_EXTINCTION ? "extinction" : "toci_rule"));
    INTEGER(ev_state)[i] = record.state >= 0 ? record.state + 1 : NA_INTEGER;
    REAL(ev_amount)[i] = record.amount_mg;
  }

  cart_solver_stats stats;
  cart_solver_get_stats(solver, &stats);
  static const char *const stat_names[] = {"steps", "failed_steps", "events",
                                           "rejected_invalid"};
  SEXP st = allocVector(REALSXP, 4);
  SET_VECTOR_ELT(out, 5, st);
  REAL(st)[0] = (double)stats.steps;
  REAL(st)[1] = (double)stats.failed_steps;
  REAL(st)[2] = (double)stats.events;
  REAL(st)[3] = (double)stats.rejected_invalid;
  SEXP st_names = allocVector(STRSXP, 4);
  setAttrib(st, R_NamesSymbol, st_names);
  for (int i = 0; i < 4; i++) {
    SET_STRING_ELT(st_names, i, mkChar(stat_names[i]));
  }

  SEXP values = allocVector(REALSXP, (R_xlen_t)n_params);
  SET_VECTOR_ELT(out, 6, values);
  for (size_t i = 0; i < n_params; i++) {
    cart_params_get_index(p, i, REAL(values) + i);
  }
  release_solve(&h);
  UNPROTECT(n_protected);
  return out;
}

/* ---- trials -------------------------------------------------------------------------------- */

/* The arms of scenario `text` named `source` (cart_arms_new_from_scenario: one unnamed arm
 * without [arm] sections) in *arms, held by the returned pointer (PROTECTed); NULL with *fail set
 * (unprotected) when the scenario is refused. */
static SEXP scenario_arms(SEXP text, SEXP source, cart_arms **arms, SEXP *fail)
{
  cart_error err;
  *arms = cart_arms_new_from_scenario(translateCharUTF8(STRING_ELT(text, 0)),
                                      translateCharUTF8(STRING_ELT(source, 0)), &err);
  if (*arms == NULL) {
    *fail = failure(err.code, err.message);
    return NULL;
  }
  return hold(*arms, HANDLE_ARMS);
}

/* The model of a scenario (its first arm's): a name, or a failure. */
SEXP rcart_scenario_model(SEXP text, SEXP source)
{
  cart_arms *arms;
  SEXP fail = NULL;
  SEXP held = scenario_arms(text, source, &arms, &fail);
  if (held == NULL) {
    return fail;
  }
  SEXP out = PROTECT(mkString(cart_model_name(cart_trial_model(cart_arms_trial(arms, 0)))));
  release(held);
  UNPROTECT(2);
  return out;
}

/* The R progress function and what happened in it. */
typedef struct progress_call {
  SEXP function;
  SEXP env;
  int failed; /* the function raised an error, or the user interrupted */
  char message[CART_ERROR_MESSAGE_SIZE]; /* the error's message, or "interrupted" */
} progress_call;

static void check_interrupt(void *data)
{
  (void)data;
  R_CheckUserInterrupt();
}

/* Calls progress(done, total) in R, or progress(done, total, best) when `best` is not NaN;
 * returns 1 (stop) when it raised an error, returned TRUE, or the user pressed Ctrl-C. Called
 * by libcart on the thread that started the run or fit, R's main thread. */
static int call_progress_r(progress_call *p, size_t done, size_t total, double best)
{
  if (!R_ToplevelExec(check_interrupt, NULL)) {
    p->failed = 1;
    snprintf(p->message, sizeof p->message, "interrupted");
    return 1;
  }
  if (p->function == R_NilValue) {
    return 0;
  }
  SEXP done_r = PROTECT(ScalarReal((double)done));
  SEXP total_r = PROTECT(ScalarReal((double)total));
  SEXP best_r = PROTECT(ScalarReal(best));
  SEXP call = PROTECT(ISNAN(best) ? lang3(p->function, done_r, total_r)
                                  : lang4(p->function, done_r, total_r, best_r));
  int error = 0;
  SEXP result = R_tryEvalSilent(call, p->env, &error);
  int stop = error;
  if (!error && TYPEOF(result) == LGLSXP && XLENGTH(result) == 1 && LOGICAL(result)[0] == TRUE) {
    stop = 1;
  }
  UNPROTECT(4);
  if (error) {
    p->failed = 1;
    snprintf(p->message, sizeof p->message, "progress: %s", R_curErrorBuf());
    p->message[strcspn(p->message, "\n")] = '\0'; /* R ends the message with a newline */
  }
  return stop;
}

/* cart_progress_fn of a trial. */
static int call_progress(size_t done, size_t total, void *data)
{
  return call_progress_r(data, done, total, R_NaN);
}

/* cart_calibrate_progress_fn of a fit (best is never NaN: a fit's objective is a number or
 * the penalty). */
static int call_calibrate_progress(size_t done, size_t total, double best, void *data)
{
  return call_progress_r(data, done, total, ISNAN(best) ? R_PosInf : best);
}

/* Runs the arms of scenario `text` (one unnamed arm without [arm] sections) into `path` through
 * libcart's run loop (cart_arms_run_file), as `cart trial` and Python's trial() do.
 *   n, seed       NA / "" for the scenario's; seed a decimal string (uint64)
 *   patients      NULL, or the text of a patients table (cart_parse_table's CSV) named
 *                 patients_source, given to every arm
 *   as_run        the scenario text stored in the file
 * Returns list(status, interrupted) (CART_OK or CART_ESTOPPED) or a failure. */
SEXP rcart_trial(SEXP text, SEXP source, SEXP n, SEXP seed, SEXP threads, SEXP path, SEXP force,
                 SEXP block, SEXP progress, SEXP env, SEXP patients, SEXP patients_source,
                 SEXP as_run)
{
  cart_error err;
  cart_arms *arms;
  SEXP fail = NULL;
  SEXP held_arms = scenario_arms(text, source, &arms, &fail);
  if (held_arms == NULL) {
    return fail;
  }
  SEXP held_table = NULL;
  int status = CART_OK;
  if (!ISNA(REAL(n)[0]) && (status = cart_arms_set_n_patients(arms, (size_t)REAL(n)[0])) !=
                               CART_OK) {
    fail = failure_at(status, "n", cart_arms_last_error(arms)->message);
  }
  const char *seed_text = translateCharUTF8(STRING_ELT(seed, 0));
  if (fail == NULL && seed_text[0] != '\0') {
    cart_arms_set_seed(arms, strtoull(seed_text, NULL, 10));
  }
  if (fail == NULL && patients != R_NilValue) {
    cart_table *table = NULL;
    status = cart_parse_table(translateCharUTF8(STRING_ELT(patients, 0)),
                              translateCharUTF8(STRING_ELT(patients_source, 0)), &table, &err);
    if (status != CART_OK) {
      fail = failure(status, err.message);
    } else {
      held_table = hold(table, HANDLE_TABLE);
      for (size_t a = 0; a < cart_arms_count(arms) && fail == NULL; a++) {
        cart_population *population = cart_trial_edit_population(cart_arms_trial(arms, a));
        status = cart_population_set_patients(population, (const char *const *)table->names,
                                              table->n_columns, table->values, table->n_rows);
        if (status != CART_OK) {
          fail = failure_at(status, "patients", cart_population_last_error(population)->message);
        }
      }
    }
  }
  if (fail == NULL && (status = cart_arms_prepare(arms)) != CART_OK) {
    fail = failure(status, cart_arms_last_error(arms)->message);
  }
  SEXP out = R_NilValue;
  if (fail == NULL) {
    progress_call call = {progress, env, 0, ""};
    cart_trial_run_options options;
    cart_trial_run_options_default(&options);
    options.scenario_text = translateCharUTF8(STRING_ELT(as_run, 0));
    options.force = LOGICAL(force)[0] == TRUE;
    options.block_size = (size_t)REAL(block)[0];
    options.n_threads = INTEGER(threads)[0];
    options.progress = call_progress;
    options.progress_data = &call;
    const size_t n_arms = cart_arms_count(arms);
    cart_trial_summary *summaries =
        (cart_trial_summary *)R_alloc(n_arms, sizeof(cart_trial_summary));
    status = cart_arms_run_file(arms, translateCharUTF8(STRING_ELT(path, 0)), &options,
                                summaries, &err);
    if (status != CART_OK && status != CART_ESTOPPED) {
      fail = failure(status, err.message);
    } else {
      static const char *const fields[] = {"status", "interrupted", "message"};
      out = named_list(3, fields);
      SET_VECTOR_ELT(out, 0, ScalarInteger(status));
      SET_VECTOR_ELT(out, 1, ScalarLogical(call.failed));
      SET_VECTOR_ELT(out, 2, mkString(call.failed ? call.message
                                      : status == CART_OK ? ""
                                                          : err.message));
    }
  }
  if (fail != NULL) {
    out = PROTECT(fail);
  }
  if (held_table != NULL) {
    release(held_table);
  }
  release(held_arms);
  UNPROTECT(2 + (held_table != NULL ? 1 : 0));
  return out;
}

/* ---- calibration --------------------------------------------------------------------------- */

/* The fit's result: list(summary, targets, params, scenario). */
static SEXP calibration_result(const cart_calibration *cal, const char *scenario_text)
{
  static const char *const fields[] = {"summary", "targets", "params", "scenario"};
  static const char *const summary_fields[] = {"complete", "converged",  "objective",
                                               "evaluations", "wall_seconds", "n_patients",
                                               "seed", "variance_factor", "condition"};
  static const char *const target_fields[] = {"name",      "observed", "lower", "upper",
                                              "se_observed", "simulated", "mc_se", "in_range"};
  static const char *const param_fields[] = {"name",  "is_cv", "lower",     "upper",
                                             "start", "value", "se",        "identified"};
  cart_calibration_summary summary;
  cart_calibration_get_summary(cal, &summary);
  SEXP out = named_list(4, fields);
  SEXP sum = named_list(9, summary_fields);
  SET_VECTOR_ELT(out, 0, sum);
  UNPROTECT(1);
  const double numbers[] = {summary.complete,         summary.converged,
                            summary.objective,        (double)summary.evaluations,
                            summary.wall_seconds,     (double)summary.n_patients,
                            (double)summary.seed,     summary.variance_factor,
                            summary.condition};
  for (int i = 0; i < 9; i++) {
    SET_VECTOR_ELT(sum, i, ScalarReal(numbers[i]));
  }
  char seed[32];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)summary.seed);
  SET_VECTOR_ELT(sum, 6, mkString(seed)); /* a uint64: exact as text */

  SEXP targets = named_list(8, target_fields);
  SET_VECTOR_ELT(out, 1, targets);
  UNPROTECT(1);
  SEXP params = named_list(8, param_fields);
  SET_VECTOR_ELT(out, 2, params);
  UNPROTECT(1);
  for (int c = 0; c < 8; c++) {
    const R_xlen_t nt = (R_xlen_t)summary.n_targets, np = (R_xlen_t)summary.n_free;
    SET_VECTOR_ELT(targets, c, allocVector(c == 0 ? STRSXP : c == 7 ? LGLSXP : REALSXP, nt));
    SET_VECTOR_ELT(params, c,
                   allocVector(c == 0 ? STRSXP : c == 1 || c == 7 ? LGLSXP : REALSXP, np));
  }
  for (size_t i = 0; i < summary.n_targets; i++) {
    cart_calibration_target t;
    cart_calibration_get_target(cal, i, &t);
    SET_STRING_ELT(VECTOR_ELT(targets, 0), (R_xlen_t)i, text_or_na(t.name));
    const double v[] = {t.observed, t.lower, t.upper, t.se_observed, t.simulated, t.mc_se};
    for (int c = 1; c < 7; c++) {
      REAL(VECTOR_ELT(targets, c))[i] = v[c - 1];
    }
    LOGICAL(VECTOR_ELT(targets, 7))[i] = t.in_range != 0;
  }
  for (size_t i = 0; i < summary.n_free; i++) {
    cart_calibration_param q;
    cart_calibration_get_param(cal, i, &q);
    SET_STRING_ELT(VECTOR_ELT(params, 0), (R_xlen_t)i, text_or_na(q.name));
    LOGICAL(VECTOR_ELT(params, 1))[i] = q.is_cv != 0;
    const double v[] = {q.lower, q.upper, q.start, q.value, q.se};
    for (int c = 2; c < 7; c++) {
      REAL(VECTOR_ELT(params, c))[i] = v[c - 2];
    }
    LOGICAL(VECTOR_ELT(params, 7))[i] = q.identified != 0;
  }
  size_t length = 0;
  cart_calibration_scenario(cal, scenario_text, NULL, 0, &length);
  char *buffer = R_alloc(length + 1, 1);
  if (cart_calibration_scenario(cal, scenario_text, buffer, length + 1, &length) == CART_OK) {
    SET_VECTOR_ELT(out, 3, ScalarString(mkCharLenCE(buffer, (int)length, CE_UTF8)));
  }
  UNPROTECT(1);
  return out;
}

/* Calibrates scenario `text` to the targets `targets_text` (cart_calibration_new, as `cart
 * calibrate`): n, seed, max_evaluations NA / "" for the targets' own; progress NULL or an R
 * function(evaluations, max_evaluations, best_objective). Returns list(result, interrupted),
 * result as calibration_result; or a failure. */
SEXP rcart_calibrate(SEXP text, SEXP source, SEXP targets_text, SEXP targets_source, SEXP n,
                     SEXP seed, SEXP max_evaluations, SEXP threads, SEXP progress, SEXP env)
{
  static const char *const fields[] = {"result", "interrupted", "message"};
  cart_error err;
  const char *scenario = translateCharUTF8(STRING_ELT(text, 0));
  cart_trial *trial =
      cart_trial_new_from_scenario(scenario, translateCharUTF8(STRING_ELT(source, 0)), &err);
  if (trial == NULL) {
    return failure(err.code, err.message);
  }
  SEXP held_trial = hold(trial, HANDLE_TRIAL);
  cart_targets *targets = cart_targets_new(translateCharUTF8(STRING_ELT(targets_text, 0)),
                                           translateCharUTF8(STRING_ELT(targets_source, 0)),
                                           &err);
  if (targets == NULL) {
    SEXP fail = PROTECT(failure(err.code, err.message));
    release(held_trial);
    UNPROTECT(2);
    return fail;
  }
  SEXP held_targets = hold(targets, HANDLE_TARGETS);
  cart_calibrate_settings settings;
  cart_calibrate_settings_default(&settings);
  cart_targets_settings(targets, &settings);
  if (!ISNA(REAL(n)[0])) {
    settings.n_patients = (size_t)REAL(n)[0];
  }
  const char *seed_text = translateCharUTF8(STRING_ELT(seed, 0));
  if (seed_text[0] != '\0') {
    settings.seed = strtoull(seed_text, NULL, 10);
    settings.use_seed = 1;
  }
  if (!ISNA(REAL(max_evaluations)[0])) {
    settings.max_evaluations = (size_t)REAL(max_evaluations)[0];
  }
  settings.n_threads = INTEGER(threads)[0];
  progress_call call = {progress, env, 0, ""};
  cart_calibration *cal = NULL;
  const int status = cart_calibration_new(trial, targets, &settings, call_calibrate_progress,
                                          &call, &cal, &err);
  SEXP out;
  if (status != CART_OK && status != CART_ESTOPPED) {
    out = PROTECT(failure(status, err.message));
  } else {
    SEXP held_cal = hold(cal, HANDLE_CALIBRATION);
    out = named_list(3, fields);
    SET_VECTOR_ELT(out, 0, calibration_result(cal, scenario));
    SET_VECTOR_ELT(out, 1, ScalarLogical(call.failed));
    SET_VECTOR_ELT(out, 2, mkString(call.message));
    release(held_cal);
    UNPROTECT(2);
    PROTECT(out);
  }
  release(held_targets);
  release(held_trial);
  UNPROTECT(3);
  return out;
}

/* ---- fitting ------------------------------------------------------------------------------- */

/* A fit problem: the patient (parameters, doses), the data sets (one, or one per ID of a NONMEM
 * or PEtab table) and a cart_fit for each. Held by one external pointer (HANDLE_FIT). */
struct fit_bundle {
  cart_params *params;
  cart_dosing *dosing;
  cart_fit_data **sets;
  size_t n_sets;
  cart_fit **fits;
  int *statuses; /* of the last run; CART_ESTOPPED before one */
};

static void fit_bundle_free(fit_bundle *b)
{
  if (b == NULL) {
    return;
  }
  for (size_t s = 0; b->fits != NULL && s < b->n_sets; s++) {
    cart_fit_free(b->fits[s]);
  }
  free(b->fits);
  free(b->statuses);
  cart_fit_data_free_all(b->sets, b->n_sets);
  cart_params_free(b->params);
  cart_dosing_free(b->dosing);
  free(b);
}

static fit_bundle *fit_of(SEXP ptr)
{
  fit_bundle *b = R_ExternalPtrAddr(ptr);
  if (b == NULL) {
    error("libcart: the fit problem was freed");
  }
  return b;
}

/* Sets up the fits of `b` as `cart fit` does (make_fit in src/fit.c). NULL, or a failure. */
static SEXP fit_setup(fit_bundle *b, SEXP names, SEXP initial, SEXP lower, SEXP upper,
                      SEXP error_kind, SEXP log_scale, SEXP sigma_add, SEXP sigma_prop,
                      SEXP estimate, SEXP prior_names, SEXP prior_typical, SEXP prior_cv,
                      cart_population *population, SEXP fd)
{
  cart_fit_error_kind kind;
  const char *kind_name = translateCharUTF8(STRING_ELT(error_kind, 0));
  if (cart_fit_error_kind_from_name(kind_name, &kind) != CART_OK) {
    char message[CART_ERROR_MESSAGE_SIZE];
    snprintf(message, sizeof message,
             "error_model '%s': expected additive, proportional or combined", kind_name);
    return failure(CART_EINVAL, message);
  }
  b->fits = calloc(b->n_sets ? b->n_sets : 1, sizeof *b->fits);
  b->statuses = calloc(b->n_sets ? b->n_sets : 1, sizeof *b->statuses);
  if (b->fits == NULL || b->statuses == NULL) {
    return failure(CART_ENOMEM, "out of memory");
  }
  for (size_t s = 0; s < b->n_sets; s++) {
    b->statuses[s] = CART_ESTOPPED;
    cart_error err;
    cart_fit *fit = b->fits[s] = cart_fit_new(b->params, b->dosing, b->sets[s], &err);
    if (fit == NULL) {
      return failure(err.code, err.message);
    }
    int status = CART_OK;
    const char *what = "fit";
    for (R_xlen_t k = 0; status == CART_OK && k < XLENGTH(names); k++) {
      status = cart_fit_add_param(fit, translateCharUTF8(STRING_ELT(names, k)),
                                  REAL(initial)[k], REAL(lower)[k], REAL(upper)[k]);
    }
    if (status == CART_OK) {
      what = "error_model";
      status = cart_fit_set_error_model(fit, kind, LOGICAL(log_scale)[0] == TRUE,
                                        REAL(sigma_add)[0], REAL(sigma_prop)[0],
                                        LOGICAL(estimate)[0] == TRUE);
    }
    if (status == CART_OK) {
      what = "priors";
    }
    for (R_xlen_t k = 0; status == CART_OK && k < XLENGTH(prior_names); k++) {
      status = cart_fit_set_prior(fit, translateCharUTF8(STRING_ELT(prior_names, k)),
                                  REAL(prior_typical)[k], REAL(prior_cv)[k]);
    }
    if (status == CART_OK && population != NULL) {
      status = cart_fit_set_priors_from_population(fit, population);
    }
    cart_fit_set_finite_differences(fit, LOGICAL(fd)[0] == TRUE);
    if (status != CART_OK) {
      return failure_at(status, what, cart_fit_last_error(fit)->message);
    }
  }
  return NULL;
}

/* A fit problem (HANDLE_FIT) of model `model_name`, or of scenario `scenario` (NULL: none; its
 * model, typical values and doses, its population for priors_scenario), with parameter values
 * `params` (named doubles) and extra doses as rcart_solve takes them, to the data `data_text`
 * read as `format` ("long", "nonmem", "petab") from `data_source`; the fitted parameters
 * `names` with initial, lower, upper (NaN: the default); the error model; priors. Returns the
 * pointer or a failure. */
SEXP rcart_fit_new(SEXP model_name, SEXP scenario, SEXP scenario_source, SEXP params,
                   SEXP cart_doses, SEXP cart_what, SEXP toci_doses, SEXP toci_what,
                   SEXP toci_rule, SEXP format, SEXP data_text, SEXP data_source, SEXP names,
                   SEXP initial, SEXP lower, SEXP upper, SEXP error_kind, SEXP log_scale,
                   SEXP sigma_add, SEXP sigma_prop, SEXP estimate, SEXP prior_names,
                   SEXP prior_typical, SEXP prior_cv, SEXP prior_scenario, SEXP fd)
{
  cart_error err;
  fit_bundle *b = calloc(1, sizeof *b);
  if (b == NULL) {
    return failure(CART_ENOMEM, "out of memory");
  }
  SEXP held = hold(b, HANDLE_FIT);
  int n_protected = 1;
  SEXP fail = NULL;
  SEXP held_trial = NULL;
  cart_population *population = NULL;
  const cart_model *model = NULL;
  if (scenario != R_NilValue) {
    cart_trial *trial = cart_trial_new_from_scenario(
        translateCharUTF8(STRING_ELT(scenario, 0)),
        translateCharUTF8(STRING_ELT(scenario_source, 0)), &err);
    if (trial == NULL) {
      fail = failure(err.code, err.message);
    } else {
      held_trial = hold(trial, HANDLE_TRIAL);
      n_protected++;
      population = cart_trial_edit_population(trial);
      b->params = cart_params_clone(cart_population_typical(population), &err);
      b->dosing = b->params ? cart_dosing_clone(cart_trial_dosing(trial), &err) : NULL;
    }
  } else if ((model = model_of(model_name, &err)) == NULL) {
    fail = failure(err.code, err.message);
  } else {
    b->params = cart_params_new(model, &err);
    b->dosing = b->params ? cart_dosing_new(&err) : NULL;
  }
  if (fail == NULL && (b->params == NULL || b->dosing == NULL)) {
    fail = failure(err.code, err.message);
  }
  if (fail == NULL) {
    model = cart_params_model(b->params);
    SEXP param_names = getAttrib(params, R_NamesSymbol);
    for (R_xlen_t i = 0; i < XLENGTH(params) && fail == NULL; i++) {
      const int status = cart_params_set(b->params, translateCharUTF8(STRING_ELT(param_names, i)),
                                         REAL(params)[i]);
      if (status != CART_OK) {
        fail = failure_at(status, "params", cart_params_last_error(b->params)->message);
      }
    }
  }
  if (fail == NULL) {
    fail = give_doses(b->params, b->dosing, cart_doses, cart_what, toci_doses, toci_what);
  }
  if (fail == NULL && toci_rule != R_NilValue) {
    cart_toci_rule rule;
    const char *text = translateCharUTF8(STRING_ELT(toci_rule, 0));
    int status = cart_parse_toci_rule(text, &rule, &err);
    if (status != CART_OK) {
      fail = failure_at(status, "toci_rule", err.message);
    } else if ((status = cart_dosing_set_toci_rule(b->dosing, &rule)) != CART_OK) {
      fail = failure_at(status, "toci_rule", cart_dosing_last_error(b->dosing)->message);
    }
  }
  if (fail == NULL) {
    const char *kind = translateCharUTF8(STRING_ELT(format, 0));
    const char *text = translateCharUTF8(STRING_ELT(data_text, 0));
    const char *source = translateCharUTF8(STRING_ELT(data_source, 0));
    int status;
    if (strcmp(kind, "nonmem") == 0) {
      status = cart_fit_data_parse_nonmem(model, text, source, &b->sets, &b->n_sets, &err);
    } else if (strcmp(kind, "petab") == 0) {
      status = cart_fit_data_parse_petab(model, text, source, &b->sets, &b->n_sets, &err);
    } else if ((b->sets = calloc(1, sizeof *b->sets)) == NULL) {
      status = CART_ENOMEM;
      snprintf(err.message, sizeof err.message, "out of memory");
    } else {
      b->n_sets = 1;
      status = cart_fit_data_parse(model, text, source, &b->sets[0], &err);
    }
    if (status != CART_OK) {
      fail = failure(status, err.message);
    } else if (b->n_sets == 0) {
      fail = failure(CART_EPARSE, "data: no observations");
    }
  }
  /* as `cart fit`: a data set with dose records is the source of truth; its doses replace the
   * scenario's, and doses given besides are an error (the tocilizumab rule stays) */
  if (fail == NULL && cart_fit_data_dosing(b->sets[0]) != NULL) {
    if (XLENGTH(cart_doses) > 0 || XLENGTH(toci_doses) > 0) {
      char message[CART_ERROR_MESSAGE_SIZE];
      snprintf(message, sizeof message,
               "%s: the data set carries each patient's doses (dose records); %s is not taken "
               "with it",
               translateCharUTF8(STRING_ELT(data_source, 0)),
               XLENGTH(cart_doses) > 0 ? translateCharUTF8(STRING_ELT(cart_what, 0))
                                       : translateCharUTF8(STRING_ELT(toci_what, 0)));
      fail = failure(CART_EINVAL, message);
    } else {
      cart_toci_rule rule;
      cart_dosing_get_toci_rule(b->dosing, &rule);
      cart_dosing_clear(b->dosing);
      if (rule.enabled) {
        cart_dosing_set_toci_rule(b->dosing, &rule);
      }
    }
  }
  if (fail == NULL) {
    fail = fit_setup(b, names, initial, lower, upper, error_kind, log_scale, sigma_add,
                     sigma_prop, estimate, prior_names, prior_typical, prior_cv,
                     LOGICAL(prior_scenario)[0] == TRUE ? population : NULL, fd);
  }
  if (held_trial != NULL) {
    release(held_trial);
  }
  if (fail != NULL) {
    PROTECT(fail);
    release(held);
    UNPROTECT(n_protected + 1);
    return fail;
  }
  UNPROTECT(n_protected);
  return held;
}

/* list(names, theta0, ids) of a fit problem (theta of its first data set). */
SEXP rcart_fit_info(SEXP ptr)
{
  static const char *const fields[] = {"names", "theta0", "ids", "model"};
  fit_bundle *b = fit_of(ptr);
  const size_t n = cart_fit_n_theta(b->fits[0]);
  SEXP out = named_list(4, fields);
  SEXP names = allocVector(STRSXP, (R_xlen_t)n);
  SET_VECTOR_ELT(out, 0, names);
  SEXP theta = allocVector(REALSXP, (R_xlen_t)n);
  SET_VECTOR_ELT(out, 1, theta);
  for (size_t k = 0; k < n; k++) {
    SET_STRING_ELT(names, (R_xlen_t)k, mkChar(cart_fit_theta_name(b->fits[0], k)));
  }
  cart_fit_initial_theta(b->fits[0], REAL(theta));
  SEXP ids = allocVector(STRSXP, (R_xlen_t)b->n_sets);
  SET_VECTOR_ELT(out, 2, ids);
  for (size_t s = 0; s < b->n_sets; s++) {
    SET_STRING_ELT(ids, (R_xlen_t)s, mkCharCE(cart_fit_data_id(b->sets[s]), CE_UTF8));
  }
  SET_VECTOR_ELT(out, 3, mkString(cart_model_name(cart_params_model(b->params))));
  UNPROTECT(1);
  return out;
}

/* The objective at theta of data set `set` (1-based), with its gradient when `gradient` is TRUE:
 * list(value, gradient) or a failure; predictions (and sensitivities) with `predict` TRUE. */
SEXP rcart_fit_objective(SEXP ptr, SEXP set, SEXP theta, SEXP gradient, SEXP predict)
{
  fit_bundle *b = fit_of(ptr);
  const int s = INTEGER(set)[0] - 1;
  if (s < 0 || (size_t)s >= b->n_sets) {
    return failure(CART_EINVAL, "set: out of range");
  }
  cart_fit *fit = b->fits[s];
  const size_t n = cart_fit_n_theta(fit);
  if ((size_t)XLENGTH(theta) != n) {
    char message[CART_ERROR_MESSAGE_SIZE];
    snprintf(message, sizeof message, "theta must have %zu entries, not %lld", n,
             (long long)XLENGTH(theta));
    return failure(CART_EINVAL, message);
  }
  static const char *const fields[] = {"value", "gradient", "values"};
  SEXP out = named_list(3, fields);
  SEXP values = allocVector(REALSXP, (R_xlen_t)n);
  SET_VECTOR_ELT(out, 2, values);
  cart_fit_theta_to_values(fit, REAL(theta), REAL(values));
  int status;
  if (LOGICAL(predict)[0] == TRUE) {
    const size_t m = cart_fit_data_size(b->sets[s]);
    SEXP pred = allocVector(REALSXP, (R_xlen_t)m);
    SET_VECTOR_ELT(out, 0, pred);
    SEXP sens = allocMatrix(REALSXP, (int)m, (int)n);
    SET_VECTOR_ELT(out, 1, sens);
    double *rows = (double *)R_alloc(m * n + 1, sizeof(double));
    status = cart_fit_predict(fit, REAL(theta), REAL(pred), rows);
    for (size_t i = 0; status == CART_OK && i < m; i++) {
      for (size_t k = 0; k < n; k++) {
        REAL(sens)[k * m + i] = rows[i * n + k];
      }
    }
  } else {
    SEXP value = allocVector(REALSXP, 1);
    SET_VECTOR_ELT(out, 0, value);
    SEXP grad = LOGICAL(gradient)[0] == TRUE ? allocVector(REALSXP, (R_xlen_t)n) : R_NilValue;
    SET_VECTOR_ELT(out, 1, grad);
    status = cart_fit_objective(fit, REAL(theta), REAL(value),
                                grad != R_NilValue ? REAL(grad) : NULL);
  }
  if (status != CART_OK) {
    SEXP fail = failure(status, cart_fit_last_error(fit)->message);
    UNPROTECT(1);
    return fail;
  }
  UNPROTECT(1);
  return out;
}

/* Runs every fit (cart_fit_run_all on `threads` threads): the statuses. */
SEXP rcart_fit_run(SEXP ptr, SEXP threads)
{
  fit_bundle *b = fit_of(ptr);
  const int status = cart_fit_run_all(b->fits, b->n_sets, INTEGER(threads)[0], b->statuses);
  if (status != CART_OK) {
    return failure(status, "cart_fit_run_all failed");
  }
  SEXP out = PROTECT(allocVector(INTSXP, (R_xlen_t)b->n_sets));
  memcpy(INTEGER(out), b->statuses, b->n_sets * sizeof(int));
  UNPROTECT(1);
  return out;
}

/* The result of data set `set` (1-based) after a run: list(status, message, summary, estimates,
 * correlation, report, data, curve, profiles); curve at `times` for every observable of the
 * data; profiles of the theta entries `profile` (names) at `points` values. A failed fit: only
 * status and message. */
SEXP rcart_fit_result(SEXP ptr, SEXP set, SEXP times, SEXP profile, SEXP points)
{
  static const char *const fields[] = {"status", "message", "summary", "estimates",
                                       "correlation", "report", "data", "curve", "profiles"};
  static const char *const summary_fields[] = {"objective", "n_observations", "n_blq",
                                               "identifiable", "iterations", "optimiser",
                                               "gradient_method"};
  static const char *const estimate_fields[] = {"name", "estimate", "se", "ci_lower",
                                                "ci_upper", "theta", "se_theta", "identifiable"};
  static const char *const data_fields[] = {"time", "observable", "value", "blq", "lloq"};
  static const char *const curve_fields[] = {"time", "observable", "value"};
  static const char *const profile_fields[] = {"name", "value", "objective"};
  fit_bundle *b = fit_of(ptr);
  const int s = INTEGER(set)[0] - 1;
  if (s < 0 || (size_t)s >= b->n_sets) {
    return failure(CART_EINVAL, "set: out of range");
  }
  cart_fit *fit = b->fits[s];
  const cart_fit_data *data = b->sets[s];
  const cart_model *model = cart_params_model(b->params);
  SEXP out = named_list(9, fields);
  SET_VECTOR_ELT(out, 0, ScalarInteger(b->statuses[s]));
  SET_VECTOR_ELT(out, 1, ScalarString(mkCharCE(
                             b->statuses[s] == CART_OK ? "" : cart_fit_last_error(fit)->message,
                             CE_UTF8)));
  cart_fit_result r;
  if (b->statuses[s] != CART_OK || cart_fit_get_result(fit, &r) != CART_OK) {
    UNPROTECT(1);
    return out;
  }
  SEXP summary = named_list(7, summary_fields);
  SET_VECTOR_ELT(out, 2, summary);
  UNPROTECT(1);
  SET_VECTOR_ELT(summary, 0, ScalarReal(r.objective));
  SET_VECTOR_ELT(summary, 1, ScalarReal((double)r.n_observations));
  SET_VECTOR_ELT(summary, 2, ScalarReal((double)r.n_blq));
  SET_VECTOR_ELT(summary, 3, ScalarLogical(r.identifiable != 0));
  SET_VECTOR_ELT(summary, 4, ScalarInteger(r.iterations));
  SET_VECTOR_ELT(summary, 5, mkString(r.optimiser));
  SET_VECTOR_ELT(summary, 6, mkString(r.gradient_method));

  const size_t nt = r.n_theta;
  SEXP est = named_list(8, estimate_fields);
  SET_VECTOR_ELT(out, 3, est);
  UNPROTECT(1);
  for (int c = 0; c < 8; c++) {
    SET_VECTOR_ELT(est, c, allocVector(c == 0 ? STRSXP : c == 7 ? LGLSXP : REALSXP,
                                       (R_xlen_t)nt));
  }
  for (size_t k = 0; k < nt; k++) {
    cart_fit_estimate e;
    cart_fit_get_estimate(fit, k, &e);
    SET_STRING_ELT(VECTOR_ELT(est, 0), (R_xlen_t)k, mkChar(e.name));
    const double v[] = {e.value, e.se, e.ci_lower, e.ci_upper, e.theta, e.se_theta};
    for (int c = 1; c < 7; c++) {
      REAL(VECTOR_ELT(est, c))[k] = v[c - 1];
    }
    LOGICAL(VECTOR_ELT(est, 7))[k] = !(e.flags & CART_FIT_NOT_IDENTIFIABLE);
  }
  double *corr = (double *)R_alloc(nt * nt + 1, sizeof(double));
  cart_fit_correlation(fit, corr);
  SET_VECTOR_ELT(out, 4, matrix_from_rows(corr, nt, nt));
  SET_VECTOR_ELT(out, 5, ScalarString(mkCharCE(cart_fit_identifiability_report(fit), CE_UTF8)));

  const size_t m = cart_fit_data_size(data);
  SEXP obs = named_list(5, data_fields);
  SET_VECTOR_ELT(out, 6, obs);
  UNPROTECT(1);
  for (int c = 0; c < 5; c++) {
    SET_VECTOR_ELT(obs, c, allocVector(c == 1 ? STRSXP : c == 3 ? LGLSXP : REALSXP, (R_xlen_t)m));
  }
  int *seen = (int *)R_alloc(cart_fit_n_observables(model) + 1, sizeof(int));
  memset(seen, 0, (cart_fit_n_observables(model) + 1) * sizeof(int));
  size_t n_seen = 0;
  for (size_t i = 0; i < m; i++) {
    double t, v, lloq;
    int o, blq;
    cart_fit_data_get(data, i, &t, &o, &v, &blq, &lloq);
    REAL(VECTOR_ELT(obs, 0))[i] = t;
    SET_STRING_ELT(VECTOR_ELT(obs, 1), (R_xlen_t)i, mkChar(cart_fit_observable_name(model, (size_t)o)));
    REAL(VECTOR_ELT(obs, 2))[i] = v;
    LOGICAL(VECTOR_ELT(obs, 3))[i] = blq != 0;
    REAL(VECTOR_ELT(obs, 4))[i] = ISNAN(lloq) ? NA_REAL : lloq;
    if (!seen[o]) {
      seen[o] = (int)++n_seen; /* order of first appearance */
    }
  }
  size_t n_times = (size_t)XLENGTH(times);
  const double *tv = REAL(times);
  if (n_times == 0) { /* as `cart fit --curve-output`: 0 to the last time, 200 steps */
    double t_last = 0, *grid = (double *)R_alloc(201, sizeof(double));
    cart_fit_data_get(data, m - 1, &t_last, NULL, NULL, NULL, NULL);
    for (int j = 0; j <= 200; j++) {
      grid[j] = (t_last > 0 ? t_last : 1) * j / 200.0;
    }
    tv = grid;
    n_times = 201;
  }
  SEXP curve = named_list(3, curve_fields);
  SET_VECTOR_ELT(out, 7, curve);
  UNPROTECT(1);
  SET_VECTOR_ELT(curve, 0, allocVector(REALSXP, (R_xlen_t)(n_times * n_seen)));
  SET_VECTOR_ELT(curve, 1, allocVector(STRSXP, (R_xlen_t)(n_times * n_seen)));
  SET_VECTOR_ELT(curve, 2, allocVector(REALSXP, (R_xlen_t)(n_times * n_seen)));
  for (size_t o = 0; o < cart_fit_n_observables(model); o++) {
    if (!seen[o]) {
      continue;
    }
    const size_t at = (size_t)(seen[o] - 1) * n_times;
    if (cart_fit_curve(fit, (int)o, tv, n_times, REAL(VECTOR_ELT(curve, 2)) + at) !=
        CART_OK) {
      SEXP fail = failure_at(cart_fit_last_error(fit)->code, "curve",
                             cart_fit_last_error(fit)->message);
      UNPROTECT(1);
      return fail;
    }
    SEXP name = PROTECT(mkChar(cart_fit_observable_name(model, o)));
    for (size_t j = 0; j < n_times; j++) {
      REAL(VECTOR_ELT(curve, 0))[at + j] = tv[j];
      SET_STRING_ELT(VECTOR_ELT(curve, 1), (R_xlen_t)(at + j), name);
    }
    UNPROTECT(1);
  }

  const size_t n_points = (size_t)INTEGER(points)[0], n_prof = (size_t)XLENGTH(profile);
  SEXP prof = named_list(3, profile_fields);
  SET_VECTOR_ELT(out, 8, prof);
  UNPROTECT(1);
  SET_VECTOR_ELT(prof, 0, allocVector(STRSXP, (R_xlen_t)(n_points * n_prof)));
  SET_VECTOR_ELT(prof, 1, allocVector(REALSXP, (R_xlen_t)(n_points * n_prof)));
  SET_VECTOR_ELT(prof, 2, allocVector(REALSXP, (R_xlen_t)(n_points * n_prof)));
  for (size_t p = 0; p < n_prof; p++) {
    const char *name = translateCharUTF8(STRING_ELT(profile, (R_xlen_t)p));
    size_t k = 0;
    while (k < nt && strcmp(cart_fit_theta_name(fit, k), name) != 0) {
      k++;
    }
    if (k == nt) {
      char message[CART_ERROR_MESSAGE_SIZE];
      snprintf(message, sizeof message, "profile %s: not a fitted parameter or sigma", name);
      UNPROTECT(1);
      return failure(CART_EUNKNOWN_PARAM, message);
    }
    if (cart_fit_profile(fit, k, n_points, 3.0, REAL(VECTOR_ELT(prof, 1)) + p * n_points,
                         REAL(VECTOR_ELT(prof, 2)) + p * n_points) != CART_OK) {
      SEXP fail = failure_at(cart_fit_last_error(fit)->code, "profile",
                             cart_fit_last_error(fit)->message);
      UNPROTECT(1);
      return fail;
    }
    for (size_t j = 0; j < n_points; j++) {
      SET_STRING_ELT(VECTOR_ELT(prof, 0), (R_xlen_t)(p * n_points + j), mkChar(name));
    }
  }
  UNPROTECT(1);
  return out;
}

/* ---- global sensitivity -------------------------------------------------------------------- */

/* An analysis and the trial it runs (NULL for outputs computed in R). HANDLE_SENSITIVITY. */
struct sensitivity_bundle {
  cart_sensitivity *s;
  cart_trial *trial;
};

static void sensitivity_bundle_free(sensitivity_bundle *b)
{
  if (b != NULL) {
    cart_sensitivity_free(b->s);
    cart_trial_free(b->trial);
    free(b);
  }
}

static sensitivity_bundle *sensitivity_of(SEXP ptr)
{
  sensitivity_bundle *b = R_ExternalPtrAddr(ptr);
  if (b == NULL) {
    error("libcart: the sensitivity analysis was freed");
  }
  return b;
}

/* A design (HANDLE_SENSITIVITY) over the ranges `ranges` ("NAME=RANGE", cart_grammar.h), with
 * the trial of scenario `scenario` (NULL: none, for an R function), patients NA or a number,
 * typical_patient; settings method ("sobol"/"morris"), n, levels, seed (decimal text),
 * bootstrap, confidence. Returns the pointer or a failure. */
SEXP rcart_sensitivity_new(SEXP scenario, SEXP source, SEXP ranges, SEXP patients,
                           SEXP typical_patient, SEXP method, SEXP n, SEXP levels, SEXP seed,
                           SEXP bootstrap, SEXP confidence)
{
  cart_error err;
  sensitivity_bundle *b = calloc(1, sizeof *b);
  if (b == NULL) {
    return failure(CART_ENOMEM, "out of memory");
  }
  SEXP held = hold(b, HANDLE_SENSITIVITY);
  SEXP fail = NULL;
  if (scenario != R_NilValue) {
    b->trial = cart_trial_new_from_scenario(translateCharUTF8(STRING_ELT(scenario, 0)),
                                            translateCharUTF8(STRING_ELT(source, 0)), &err);
    if (b->trial == NULL) {
      fail = failure(err.code, err.message);
    } else if (!ISNA(REAL(patients)[0]) &&
               cart_trial_set_n_patients(b->trial, (size_t)REAL(patients)[0]) != CART_OK) {
      fail = failure_at(cart_trial_last_error(b->trial)->code, "patients",
                        cart_trial_last_error(b->trial)->message);
    }
  }
  const R_xlen_t p = XLENGTH(ranges);
  cart_sensitivity_param *params =
      (cart_sensitivity_param *)R_alloc((size_t)p + 1, sizeof(cart_sensitivity_param));
  char(*names)[CART_RANGE_NAME_SIZE] =
      (char(*)[CART_RANGE_NAME_SIZE])R_alloc((size_t)p + 1, CART_RANGE_NAME_SIZE);
  for (R_xlen_t k = 0; k < p && fail == NULL; k++) {
    const char *text = translateCharUTF8(STRING_ELT(ranges, k));
    int from_scenario = 0;
    int status = cart_parse_sensitivity_range(text, names[k], &params[k], &from_scenario, &err);
    if (status == CART_OK && from_scenario) {
      if (b->trial == NULL) {
        status = CART_EINVAL;
        snprintf(err.message, sizeof err.message,
                 "a 'scenario' range needs a statistic (a trial), not a function");
      } else {
        status = cart_sensitivity_scenario_param(b->trial, names[k], &params[k], &err);
      }
    }
    if (status != CART_OK) {
      char prefix[CART_ERROR_MESSAGE_SIZE];
      snprintf(prefix, sizeof prefix, "params %s", text);
      fail = failure_at(status, prefix, err.message);
    }
  }
  if (fail == NULL && LOGICAL(typical_patient)[0] == TRUE &&
      cart_sensitivity_typical_patient(b->trial) != CART_OK) {
    const cart_error *e = cart_population_last_error(cart_trial_population(b->trial));
    fail = failure_at(e->code, "typical_patient", e->message);
  }
  if (fail == NULL) {
    cart_sensitivity_settings settings;
    cart_sensitivity_settings_default(&settings);
    settings.method = strcmp(translateCharUTF8(STRING_ELT(method, 0)), "morris") == 0
                          ? CART_SENSITIVITY_MORRIS
                          : CART_SENSITIVITY_SOBOL;
    settings.n = (size_t)REAL(n)[0];
    settings.levels = (size_t)REAL(levels)[0];
    settings.seed = strtoull(translateCharUTF8(STRING_ELT(seed, 0)), NULL, 10);
    settings.n_bootstrap = (size_t)REAL(bootstrap)[0];
    settings.confidence = REAL(confidence)[0];
    b->s = cart_sensitivity_new(params, (size_t)p, &settings, &err);
    if (b->s == NULL) {
      fail = failure(err.code, err.message);
    }
  }
  if (fail != NULL) {
    PROTECT(fail);
    release(held);
    UNPROTECT(2);
    return fail;
  }
  UNPROTECT(1);
  return held;
}

/* The design: list(unit, values) matrices (rows x parameters). */
SEXP rcart_sensitivity_design(SEXP ptr)
{
  static const char *const fields[] = {"unit", "values", "n_patients"};
  sensitivity_bundle *b = sensitivity_of(ptr);
  const size_t rows = cart_sensitivity_n_rows(b->s), p = cart_sensitivity_n_params(b->s);
  SEXP out = named_list(3, fields);
  SET_VECTOR_ELT(out, 0, matrix_from_rows(cart_sensitivity_design_unit(b->s), rows, p));
  SET_VECTOR_ELT(out, 1, matrix_from_rows(cart_sensitivity_design(b->s), rows, p));
  SET_VECTOR_ELT(out, 2, ScalarReal(b->trial ? (double)cart_trial_n_patients(b->trial) : NA_REAL));
  UNPROTECT(1);
  return out;
}

/* Runs the trial analysis (statistic, threads, progress as rcart_trial's) or takes `outputs`
 * (statistic NULL). Returns list(status, interrupted, message) or a failure. */
SEXP rcart_sensitivity_run(SEXP ptr, SEXP statistic, SEXP outputs, SEXP threads, SEXP progress,
                           SEXP env)
{
  static const char *const fields[] = {"status", "interrupted", "message"};
  sensitivity_bundle *b = sensitivity_of(ptr);
  progress_call call = {progress, env, 0, ""};
  int status;
  if (statistic != R_NilValue) {
    status = cart_sensitivity_run_trial(b->s, b->trial, translateCharUTF8(STRING_ELT(statistic, 0)),
                                        INTEGER(threads)[0], call_progress, &call);
  } else if ((size_t)XLENGTH(outputs) != cart_sensitivity_n_rows(b->s)) {
    return failure(CART_EINVAL, "outputs: one per design row");
  } else {
    status = cart_sensitivity_set_outputs(b->s, REAL(outputs));
  }
  if (status != CART_OK && status != CART_ESTOPPED) {
    return failure(status, cart_sensitivity_last_error(b->s)->message);
  }
  SEXP out = named_list(3, fields);
  SET_VECTOR_ELT(out, 0, ScalarInteger(status));
  SET_VECTOR_ELT(out, 1, ScalarLogical(call.failed || status == CART_ESTOPPED));
  SET_VECTOR_ELT(out, 2, mkString(call.failed ? call.message
                                  : status == CART_OK ? ""
                                                      : cart_sensitivity_last_error(b->s)->message));
  UNPROTECT(1);
  return out;
}

/* The indices and summary: list(indices, summary, outputs). */
SEXP rcart_sensitivity_result(SEXP ptr)
{
  static const char *const fields[] = {"indices", "summary", "outputs"};
  static const char *const index_fields[] = {
      "name",  "first", "first_lower", "first_upper", "total", "total_lower",
      "total_upper", "mu", "mu_star", "mu_star_lower", "mu_star_upper", "sigma"};
  static const char *const summary_fields[] = {"n_rows", "n_valid", "mean", "variance",
                                               "wall_seconds", "n_refused", "refusal",
                                               "statistic"};
  sensitivity_bundle *b = sensitivity_of(ptr);
  const size_t p = cart_sensitivity_n_params(b->s), rows = cart_sensitivity_n_rows(b->s);
  SEXP out = named_list(3, fields);
  SEXP idx = named_list(12, index_fields);
  SET_VECTOR_ELT(out, 0, idx);
  UNPROTECT(1);
  for (int c = 0; c < 12; c++) {
    SET_VECTOR_ELT(idx, c, allocVector(c == 0 ? STRSXP : REALSXP, (R_xlen_t)p));
  }
  for (size_t i = 0; i < p; i++) {
    cart_sensitivity_index x;
    cart_sensitivity_get_index(b->s, i, &x);
    SET_STRING_ELT(VECTOR_ELT(idx, 0), (R_xlen_t)i, mkChar(x.name));
    const double v[] = {x.first, x.first_lower, x.first_upper, x.total, x.total_lower,
                        x.total_upper, x.mu, x.mu_star, x.mu_star_lower, x.mu_star_upper,
                        x.sigma};
    for (int c = 1; c < 12; c++) {
      REAL(VECTOR_ELT(idx, c))[i] = v[c - 1];
    }
  }
  cart_sensitivity_summary sm;
  cart_sensitivity_get_summary(b->s, &sm);
  SEXP sum = named_list(8, summary_fields);
  SET_VECTOR_ELT(out, 1, sum);
  UNPROTECT(1);
  SET_VECTOR_ELT(sum, 0, ScalarReal((double)sm.n_rows));
  SET_VECTOR_ELT(sum, 1, ScalarReal((double)sm.n_valid));
  SET_VECTOR_ELT(sum, 2, ScalarReal(sm.mean));
  SET_VECTOR_ELT(sum, 3, ScalarReal(sm.variance));
  SET_VECTOR_ELT(sum, 4, ScalarReal(sm.wall_seconds));
  SET_VECTOR_ELT(sum, 5, ScalarReal((double)sm.n_refused));
  SET_VECTOR_ELT(sum, 6, ScalarString(mkCharCE(cart_sensitivity_refusal(b->s), CE_UTF8)));
  SET_VECTOR_ELT(sum, 7, ScalarString(mkCharCE(cart_sensitivity_statistic(b->s), CE_UTF8)));
  SEXP y = allocVector(REALSXP, (R_xlen_t)rows);
  SET_VECTOR_ELT(out, 2, y);
  memcpy(REAL(y), cart_sensitivity_outputs(b->s), rows * sizeof(double));
  UNPROTECT(1);
  return out;
}

/* Writes the analysis to an HDF5 file (cart_sensitivity_write): TRUE or a failure. */
SEXP rcart_sensitivity_write(SEXP ptr, SEXP path, SEXP force)
{
  sensitivity_bundle *b = sensitivity_of(ptr);
  cart_error err;
  const int status = cart_sensitivity_write(b->s, translateCharUTF8(STRING_ELT(path, 0)),
                                            LOGICAL(force)[0] == TRUE, &err);
  return status == CART_OK ? ScalarLogical(TRUE) : failure(status, err.message);
}

/* ---- registration -------------------------------------------------------------------------- */

static const R_CallMethodDef call_methods[] = {
    {"rcart_version", (DL_FUNC)&rcart_version, 0},
    {"rcart_models", (DL_FUNC)&rcart_models, 0},
    {"rcart_model_info", (DL_FUNC)&rcart_model_info, 1},
    {"rcart_default_scenario", (DL_FUNC)&rcart_default_scenario, 0},
    {"rcart_parse_times", (DL_FUNC)&rcart_parse_times, 1},
    {"rcart_event_table", (DL_FUNC)&rcart_event_table, 4},
    {"rcart_scenario_add_event_table", (DL_FUNC)&rcart_scenario_add_event_table, 5},
    {"rcart_solve", (DL_FUNC)&rcart_solve, 14},
    {"rcart_scenario_model", (DL_FUNC)&rcart_scenario_model, 2},
    {"rcart_trial", (DL_FUNC)&rcart_trial, 13},
    {"rcart_calibrate", (DL_FUNC)&rcart_calibrate, 10},
    {"rcart_fit_new", (DL_FUNC)&rcart_fit_new, 26},
    {"rcart_fit_info", (DL_FUNC)&rcart_fit_info, 1},
    {"rcart_fit_objective", (DL_FUNC)&rcart_fit_objective, 5},
    {"rcart_fit_run", (DL_FUNC)&rcart_fit_run, 2},
    {"rcart_fit_result", (DL_FUNC)&rcart_fit_result, 5},
    {"rcart_sensitivity_new", (DL_FUNC)&rcart_sensitivity_new, 11},
    {"rcart_sensitivity_design", (DL_FUNC)&rcart_sensitivity_design, 1},
    {"rcart_sensitivity_run", (DL_FUNC)&rcart_sensitivity_run, 6},
    {"rcart_sensitivity_result", (DL_FUNC)&rcart_sensitivity_result, 1},
    {"rcart_sensitivity_write", (DL_FUNC)&rcart_sensitivity_write, 3},
    {NULL, NULL, 0}};

void R_init_libcart(DllInfo *dll)
{
  R_registerRoutines(dll, NULL, call_methods, NULL, NULL);
  R_useDynamicSymbols(dll, FALSE);
  R_forceSymbols(dll, TRUE);
}
