/* with_event_table.c: a scenario plus an event table (cart_scenario_add_event_table,
 * cart_scenario.h), the one place where `cart trial --event-table`, Python's trial(events=) and
 * R's cart_trial(events=) turn a table into a trial's doses: the table's doses are written into
 * the scenario as [dosing] lines, so that the scenario reader gives them exactly as it gives its
 * own and the scenario stored in a trial file says what was run. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart_grammar.h>
#include <cart/cart_scenario.h>

#include "../util/error.h"
#include "scenario_impl.h"

/* A text written twice: once with text NULL to measure it, once into a buffer of that size. */
typedef struct writer {
  char *text;
  size_t used, size;
  int line;       /* the line being written (1-based, as the scenario reader counts) */
  long *dose_at;  /* when not NULL: dose_at[line - first_line] = the dose written there, or -1 */
  int first_line; /* the first line written after the scenario */
} writer;

static void put_args(writer *w, const char *format, va_list args)
    __attribute__((format(printf, 2, 0)));
static void put_args(writer *w, const char *format, va_list args)
{
  const int n = vsnprintf(w->text ? w->text + w->used : NULL, w->text ? w->size - w->used : 0,
                          format, args);
  w->used += n > 0 ? (size_t)n : 0;
}

static void put(writer *w, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void put(writer *w, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  put_args(w, format, args);
  va_end(args);
}

/* The end of a line after the scenario, recording which dose (-1: none) the line gives. */
static void put_line(writer *w, long dose, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static void put_line(writer *w, long dose, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  put_args(w, format, args);
  va_end(args);
  if (w->dose_at != NULL) {
    w->dose_at[w->line - w->first_line] = dose;
  }
  w->line++;
}

/* The doses of `kind` (-1: both), each as "PREFIX = TEXT". */
static void put_doses(writer *w, const cart_event_table *table, int kind, const char *prefix)
{
  for (size_t i = 0; i < table->n_doses; i++) {
    const cart_event_dose *d = &table->doses[i];
    if (kind < 0 || d->kind == kind) {
      put_line(w, (long)i, "%s%s = %s\n", prefix, d->kind == CART_DOSE_CART ? "cart" : "toci",
               d->text);
    }
  }
}

/* The scenario, then the table's doses: a [dosing] section (the base's doses, so every arm's
 * that does not give its own), and the arms that give their own dosing.cart (dosing.toci) lines,
 * which replace the base's, the same doses in their [arm NAME] section. */
static void write_text(writer *w, const char *scenario, const char *table_source,
                       const cart_event_table *table, const cart_arms *arms,
                       const cartp_scenario_facts *facts)
{
  const size_t length = strlen(scenario);
  put(w, "%s%s", scenario, length > 0 && scenario[length - 1] != '\n' ? "\n" : "");
  put(w, "# the doses of the event table ");
  for (const char *c = table_source; *c != '\0'; c++) {
    put(w, "%c", (unsigned char)*c < 0x20 ? '?' : *c); /* one comment line, whatever the name */
  }
  put_line(w, -1, "\n");
  put_line(w, -1, "[dosing]\n");
  put_doses(w, table, -1, "");
  for (size_t a = 0; a < cart_arms_count(arms) && a < CART_MAX_ARMS; a++) {
    if (facts->own_cart[a] || facts->own_toci[a]) {
      put_line(w, -1, "[arm %s]\n", cart_arms_name(arms, a));
      if (facts->own_cart[a]) {
        put_doses(w, table, CART_DOSE_CART, "dosing.");
      }
      if (facts->own_toci[a]) {
        put_doses(w, table, CART_DOSE_TOCI, "dosing.");
      }
    }
  }
}

static int count_lines(const char *text)
{
  int lines = 0;
  for (const char *c = text; (c = strchr(c, '\n')) != NULL; c++) {
    lines++;
  }
  const size_t length = strlen(text);
  return lines + (length > 0 && text[length - 1] != '\n');
}

/* Loads `text` to check it; an error at a line of a dose becomes "WHERE: doses TEXT: MESSAGE"
 * (toci for tocilizumab), naming the table's row instead of a line the caller never wrote. */
static int check_text(const char *text, const char *source, const cart_event_table *table,
                      const writer *w, cart_error *err)
{
  cartp_scenario_facts facts;
  cart_error error;
  cart_arms *arms =
      cartp_arms_new_from_scenario_facts(text, source, cart_model_find, &facts, &error);
  if (arms != NULL) {
    cart_arms_free(arms);
    return CART_OK;
  }
  const int line = facts.error_line;
  const long dose = line >= w->first_line && line < w->line ? w->dose_at[line - w->first_line] : -1;
  if (dose < 0) {
    return cartp_error_copy(err, &error);
  }
  char prefix[CART_ERROR_MESSAGE_SIZE];
  const int n = snprintf(prefix, sizeof prefix, "%s:%d: ", source, line);
  const char *body = error.message;
  if (n > 0 && (size_t)n < sizeof prefix && strncmp(body, prefix, (size_t)n) == 0) {
    body += n;
  }
  const cart_event_dose *d = &table->doses[dose];
  return cartp_error(err, error.code, "%s: %s %s: %s", d->where,
                     d->kind == CART_DOSE_CART ? "doses" : "toci", d->text, body);
}

/* cart_scenario_add_event_table with a cart_error of its own (err may be NULL there). */
static int add_event_table(const char *scenario_text, const char *source, const char *table_text,
                           const char *table_source, long first_row, char **out_text,
                           cart_error *err)
{
  cartp_scenario_facts facts;
  cart_arms *arms =
      cartp_arms_new_from_scenario_facts(scenario_text, source, cart_model_find, &facts, err);
  if (arms == NULL) {
    return err->code;
  }
  cart_event_table *table = NULL;
  int status = cart_parse_event_table(table_text, table_source,
                                      cart_trial_model(cart_arms_trial(arms, 0)), first_row,
                                      &table, err);
  writer w = {NULL, 0, 0, 0, NULL, 0};
  if (status == CART_OK && table->n_observations > 0) {
    status = cartp_error(err, CART_EPARSE,
                         "%s: observation rows (evid 0) are output times, which a trial takes "
                         "from the scenario's [times]; leave them out",
                         table->first_observation);
  }
  if (status == CART_OK) {
    w.first_line = w.line = count_lines(scenario_text) + 1;
    write_text(&w, scenario_text, table_source, table, arms, &facts);
    const size_t n_lines = (size_t)(w.line - w.first_line);
    w.size = w.used + 1;
    w.text = malloc(w.size);
    w.dose_at = malloc(n_lines * sizeof *w.dose_at);
    if (w.text == NULL || w.dose_at == NULL) {
      status = cartp_error(err, CART_ENOMEM, "cart_scenario_add_event_table: out of memory");
    }
  }
  if (status == CART_OK) {
    w.used = 0;
    w.line = w.first_line;
    write_text(&w, scenario_text, table_source, table, arms, &facts);
    status = check_text(w.text, source, table, &w, err);
  }
  if (status == CART_OK) {
    *out_text = w.text;
    w.text = NULL;
  }
  free(w.text);
  free(w.dose_at);
  cart_event_table_free(table);
  cart_arms_free(arms);
  return status;
}

int cart_scenario_add_event_table(const char *scenario_text, const char *scenario_source,
                                  const char *table_text, const char *table_source,
                                  long first_row, char **out_text, cart_error *err)
{
  if (out_text == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_scenario_add_event_table: out_text is NULL");
  }
  *out_text = NULL;
  if (scenario_text == NULL || table_text == NULL) {
    return cartp_error(err, CART_EINVAL, "cart_scenario_add_event_table: %s is NULL",
                       scenario_text == NULL ? "scenario_text" : "table_text");
  }
  cart_error error;
  const int status = add_event_table(
      scenario_text, scenario_source != NULL ? scenario_source : "<scenario>", table_text,
      table_source != NULL ? table_source : "events", first_row, out_text, &error);
  if (status == CART_OK) {
    cart_error_clear(err);
    return CART_OK;
  }
  return cartp_error_copy(err, &error);
}
