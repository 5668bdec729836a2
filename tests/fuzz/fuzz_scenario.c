/* fuzz_scenario.c: libFuzzer target for the two INI grammars a user types, the scenario
 * (cart_trial_new_from_scenario, cart-scenario(5)) and the calibration targets (cart_targets_new,
 * cart-targets(5)). The first byte picks the grammar, the rest is the text. Any input must end
 * in a trial or targets object, or in an error code with a message; never in a crash, a hang,
 * a leak or undefined behaviour (tests/fuzz/run.sh builds this with ASan and UBSan). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cart/cart.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1 || size > 65536) {
    return 0;
  }
  /* the library reads NUL-terminated text; cart(1) refuses a NUL byte before it gets here */
  char *text = malloc(size);
  if (text == NULL) {
    return 0;
  }
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';
  cart_error err;
  if (data[0] & 1) {
    cart_targets *targets = cart_targets_new(text, "fuzz", &err);
    if ((targets == NULL) != (err.code != CART_OK) || (targets == NULL && err.message[0] == '\0')) {
      abort(); /* a failure must say why; a success must not report an error */
    }
    cart_targets_free(targets);
  } else {
    cart_trial *trial = cart_trial_new_from_scenario(text, "fuzz", &err);
    if ((trial == NULL) != (err.code != CART_OK) || (trial == NULL && err.message[0] == '\0')) {
      abort();
    }
    cart_trial_free(trial);
  }
  free(text);
  return 0;
}
