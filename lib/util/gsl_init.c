/* gsl_init.c: GSL's default error handler prints and calls abort(); libcart checks every return
 * code of the GSL calls that can fail instead. The handler is process-global, so it is switched
 * off once, by whichever thread comes first. */
#include <pthread.h>

#include <gsl/gsl_errno.h>

#include "gsl_init.h"

static pthread_once_t gsl_handler_once = PTHREAD_ONCE_INIT;

static void switch_gsl_handler_off(void)
{
  gsl_set_error_handler_off();
}

void cartp_gsl_init(void)
{
  pthread_once(&gsl_handler_once, switch_gsl_handler_off);
}
