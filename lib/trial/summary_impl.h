/* summary_impl.h: the summary accumulator's test hook (internal). */
#ifndef CART_TRIAL_SUMMARY_IMPL_H
#define CART_TRIAL_SUMMARY_IMPL_H

#include <cart/cart_trial.h>

#include "select.h"

/* Sets the chunk and bracket sizes of the percentile selection (default: select.h's) and the
 * longest column read back through a reader that is read once and held (default 2^21 values; 0:
 * every pass reads the reader), so tests can force many small reads and many passes on a few
 * values. */
void cartp_summary_acc_set_limits(cart_summary_acc *acc, const cartp_select_limits *limits,
                                  size_t held_max);

#endif
