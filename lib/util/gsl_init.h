/* gsl_init.h: the one process-wide setting libcart makes (internal). */
#ifndef CART_UTIL_GSL_INIT_H
#define CART_UTIL_GSL_INIT_H

/* Switches GSL's aborting default error handler off, once per process (pthread_once); every
 * constructor whose object calls GSL calls it first. See cart_solver.h. */
void cartp_gsl_init(void);

#endif
