/* run_sink.h: a trial file as the sink of the run loop (internal; run_sink.c). */
#ifndef CART_IO_RUN_SINK_H
#define CART_IO_RUN_SINK_H

#include <cart/cart_hdf5.h>

#include "../trial/run.h"

/* The sink that writes blocks to `file`, reads the summary back from it and finishes it, each
 * failure's message copied from cart_h5_last_error. Borrows `file`. */
cartp_run_sink cartp_h5_sink(cart_h5_file *file);

/* The same sink for one caller, writing each block in a thread of its own while the caller
 * solves the next (it has a drain: the block handed over is read until the next call). NULL when
 * memory is short; a thread that cannot be made leaves the writes to the caller's thread.
 * cartp_h5_async_free waits for the last write and returns its failure if no call reported it
 * yet (CART_OK otherwise), its message in *err; call it before closing the file. */
typedef struct cartp_h5_async cartp_h5_async;
cartp_h5_async *cartp_h5_async_new(cart_h5_file *file);
cartp_run_sink cartp_h5_async_sink(cartp_h5_async *async);
int cartp_h5_async_free(cartp_h5_async *async, cart_error *err);

#endif
