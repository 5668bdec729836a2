/* run_sink.c: a trial file as the sink of the run loop, whatever its access. */
#include "run_sink.h"
#include "../util/error.h"

static int sink_status(cart_h5_file *file, int status, cart_error *err)
{
  if (status != CART_OK) {
    cartp_error_copy(err, cart_h5_last_error(file));
  }
  return status;
}

static int sink_write(void *data, const cart_trial_block *block, cart_error *err)
{
  return sink_status(data, cart_h5_write_block(data, block), err);
}

static int sink_summarize(void *data, cart_trial_summary *summary, cart_error *err)
{
  return sink_status(data, cart_h5_summarize(data, summary), err);
}

static int sink_finish(void *data, const cart_trial_summary *summary, cart_error *err)
{
  return sink_status(data, cart_h5_finish(data, summary), err);
}

cartp_run_sink cartp_h5_sink(cart_h5_file *file)
{
  const cartp_run_sink sink = {file, sink_write, sink_summarize, sink_finish};
  return sink;
}
