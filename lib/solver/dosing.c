/* dosing.c: CAR-T and fixed tocilizumab schedules (MODEL.md section 3). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "dosing_impl.h"

cart_dosing *cart_dosing_new(cart_error *err)
{
  cart_dosing *dosing = calloc(1, sizeof *dosing);
  if (dosing == NULL) {
    cartp_error(err, CART_ENOMEM, "cart_dosing_new: out of memory");
  }
  return dosing;
}

cart_dosing *cart_dosing_clone(const cart_dosing *src, cart_error *err)
{
  if (src == NULL) {
    cartp_error(err, CART_EINVAL, "cart_dosing_clone: NULL schedule");
    return NULL;
  }
  cart_dosing *d = cart_dosing_new(err);
  if (d == NULL) {
    return NULL;
  }
  *d = *src;
  d->cart = src->n_cart ? malloc(src->n_cart * sizeof *d->cart) : NULL;
  d->toci = src->n_toci ? malloc(src->n_toci * sizeof *d->toci) : NULL;
  d->cap_cart = src->n_cart;
  d->cap_toci = src->n_toci;
  if ((src->n_cart && d->cart == NULL) || (src->n_toci && d->toci == NULL)) {
    cart_dosing_free(d);
    cartp_error(err, CART_ENOMEM, "cart_dosing_clone: out of memory");
    return NULL;
  }
  if (src->n_cart) {
    memcpy(d->cart, src->cart, src->n_cart * sizeof *d->cart);
  }
  if (src->n_toci) {
    memcpy(d->toci, src->toci, src->n_toci * sizeof *d->toci);
  }
  cart_error_clear(&d->error);
  return d;
}

void cart_dosing_free(cart_dosing *dosing)
{
  if (dosing != NULL) {
    free(dosing->cart);
    free(dosing->toci);
    free(dosing);
  }
}

/* Makes room for one more element of `size` bytes in *array (capacity doubles). */
static int reserve(void **array, size_t *capacity, size_t count, size_t size)
{
  if (count < *capacity) {
    return CART_OK;
  }
  const size_t wanted = *capacity ? 2 * *capacity : 8;
  void *grown = realloc(*array, wanted * size);
  if (grown == NULL) {
    return CART_ENOMEM;
  }
  *array = grown;
  *capacity = wanted;
  return CART_OK;
}

int cart_dosing_add_cart(cart_dosing *dosing, double time, double cells, double f_mem)
{
  if (dosing == NULL) {
    return CART_EINVAL;
  }
  cart_error *err = &dosing->error;
  if (!isfinite(time) || time < 0) {
    return cartp_error(err, CART_EDOSE, "CAR-T dose: time %g day must be finite and >= 0", time);
  }
  if (!isfinite(cells) || cells < 0) {
    return cartp_error(err, CART_EDOSE, "CAR-T dose at day %g: %g cells must be finite and >= 0",
                       time, cells);
  }
  if (!isnan(f_mem) && !(f_mem >= 0 && f_mem <= 1)) {
    return cartp_error(err, CART_EDOSE, "CAR-T dose at day %g: f_mem %g is outside [0, 1]",
                       time, f_mem);
  }
  if (reserve((void **)&dosing->cart, &dosing->cap_cart, dosing->n_cart, sizeof *dosing->cart)) {
    return cartp_error(err, CART_ENOMEM, "CAR-T dose: out of memory");
  }
  dosing->cart[dosing->n_cart++] = (cart_cart_dose){time, cells, f_mem};
  return CART_OK;
}

int cart_dosing_add_toci(cart_dosing *dosing, double time, double mg_per_kg, double duration_day,
                         double cap_mg)
{
  if (dosing == NULL) {
    return CART_EINVAL;
  }
  cart_error *err = &dosing->error;
  if (!isfinite(time) || time < 0) {
    return cartp_error(err, CART_EDOSE, "tocilizumab dose: time %g day must be finite and >= 0",
                       time);
  }
  if (!isfinite(mg_per_kg) || mg_per_kg < 0) {
    return cartp_error(err, CART_EDOSE,
                       "tocilizumab dose at day %g: %g mg/kg must be finite and >= 0", time,
                       mg_per_kg);
  }
  if (!isfinite(duration_day) || duration_day < 0) {
    return cartp_error(err, CART_EDOSE,
                       "tocilizumab dose at day %g: infusion duration %g day must be finite and >= 0",
                       time, duration_day);
  }
  if (!isfinite(cap_mg) || cap_mg < 0) {
    return cartp_error(err, CART_EDOSE, "tocilizumab dose at day %g: cap %g mg must be finite and >= 0",
                       time, cap_mg);
  }
  if (reserve((void **)&dosing->toci, &dosing->cap_toci, dosing->n_toci, sizeof *dosing->toci)) {
    return cartp_error(err, CART_ENOMEM, "tocilizumab dose: out of memory");
  }
  dosing->toci[dosing->n_toci++] = (cart_toci_dose){time, mg_per_kg, duration_day, cap_mg};
  return CART_OK;
}

void cart_toci_rule_default(cart_toci_rule *rule)
{
  *rule = (cart_toci_rule){1, 200.0, 8.0 / 24.0, 4, 8.0, CART_TOCI_CAP_MG_DEFAULT,
                           CART_TOCI_DURATION_DAY_DEFAULT, 0.0};
}

int cart_dosing_set_toci_rule(cart_dosing *dosing, const cart_toci_rule *rule)
{
  if (dosing == NULL) {
    return CART_EINVAL;
  }
  cart_error *err = &dosing->error;
  if (rule == NULL || !rule->enabled) {
    dosing->rule.enabled = 0;
    return CART_OK;
  }
  const char *bad = !(rule->trigger > 0 && isfinite(rule->trigger))     ? "trigger"
                    : !(rule->interval_day > 0 && isfinite(rule->interval_day)) ? "interval"
                    : !(rule->mg_per_kg > 0 && isfinite(rule->mg_per_kg)) ? "mg_per_kg"
                    : !(rule->cap_mg >= 0 && isfinite(rule->cap_mg))     ? "cap_mg"
                    : !(rule->duration_day >= 0 && isfinite(rule->duration_day)) ? "duration"
                                                                         : NULL;
  if (bad != NULL) {
    return cartp_error(err, CART_EDOSE, "tocilizumab rule: %s is not a valid value", bad);
  }
  if (rule->max_doses < 1 || rule->max_doses > CART_TOCI_RULE_MAX_DOSES) {
    return cartp_error(err, CART_EDOSE, "tocilizumab rule: max_doses %d is outside 1..%d",
                       rule->max_doses, CART_TOCI_RULE_MAX_DOSES);
  }
  /* NaN fails too */
  if (!(rule->delay_day >= 0 && rule->delay_day <= CART_TOCI_RULE_MAX_DELAY_DAY)) {
    return cartp_error(err, CART_EDOSE,
                       "tocilizumab rule: delay %g day (%g h) is outside 0..%g days",
                       rule->delay_day, 24 * rule->delay_day, CART_TOCI_RULE_MAX_DELAY_DAY);
  }
  dosing->rule = *rule;
  return CART_OK;
}

void cart_dosing_get_toci_rule(const cart_dosing *dosing, cart_toci_rule *rule)
{
  if (rule != NULL) {
    if (dosing != NULL) {
      *rule = dosing->rule;
    } else {
      memset(rule, 0, sizeof *rule); /* no schedule: no rule */
    }
  }
}

void cart_dosing_clear(cart_dosing *dosing)
{
  if (dosing != NULL) {
    dosing->n_cart = 0;
    dosing->n_toci = 0;
    dosing->rule.enabled = 0;
    cart_error_clear(&dosing->error);
  }
}

size_t cart_dosing_n_cart(const cart_dosing *dosing)
{
  return dosing ? dosing->n_cart : 0;
}

size_t cart_dosing_n_toci(const cart_dosing *dosing)
{
  return dosing ? dosing->n_toci : 0;
}

int cart_dosing_get_cart(const cart_dosing *dosing, size_t i, cart_cart_dose *dose)
{
  if (dosing == NULL || dose == NULL || i >= dosing->n_cart) {
    return CART_EINVAL;
  }
  *dose = dosing->cart[i];
  return CART_OK;
}

int cart_dosing_get_toci(const cart_dosing *dosing, size_t i, cart_toci_dose *dose)
{
  if (dosing == NULL || dose == NULL || i >= dosing->n_toci) {
    return CART_EINVAL;
  }
  *dose = dosing->toci[i];
  return CART_OK;
}

const cart_error *cart_dosing_last_error(const cart_dosing *dosing)
{
  return dosing ? &dosing->error : NULL;
}
