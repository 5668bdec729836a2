/* run_sink.h: a trial file as the sink of the run loop (internal; run_sink.c). */
#ifndef CART_IO_RUN_SINK_H
#define CART_IO_RUN_SINK_H

#include <cart/cart_hdf5.h>

#include "../trial/run.h"

/* The sink that writes blocks to `file`, reads the summary back from it and finishes it, each
 * failure's message copied from cart_h5_last_error. Borrows `file`. */
cartp_run_sink cartp_h5_sink(cart_h5_file *file);

#endif
