/* fuzz_cli.c: libFuzzer target for the command line's own grammars: the options of `cart run`
 * (src/cart.c's apply_option: NAME=VALUE, TIME:AMOUNT[:...] doses and infusions, time lists
 * A:B:STEP or T1,T2,..., the tocilizumab rule, counts) and of `cart trial` / `cart-mpi trial`
 * (cli_trial_parse). The input is a list of NUL-separated words; the first byte picks the parser.
 * Every input must end in 0 or an exit status after a message, never in a crash, a hang, a leak,
 * unbounded memory or undefined behaviour. src/cart.c is compiled into this file, its main()
 * renamed, so that its static parsers are reachable. */
#include <stdint.h>

#define main cart_command_main
#include "../../src/cart.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_WORDS = 64 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1 || size > 4096) {
    return 0;
  }
  char *text = malloc(size);
  if (text == NULL) {
    return 0;
  }
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';
  char *words[MAX_WORDS + 1];
  int n = 0;
  for (char *w = text; w < text + size - 1 && n < MAX_WORDS; w += strlen(w) + 1) {
    words[n++] = w;
  }
  words[n] = NULL;
  if (data[0] & 1) {
    cli_trial_options options;
    (void)cli_trial_parse(n, words, (data[0] & 2) != 0, &options);
  } else {
    const cart_model *model = cart_model_find(data[0] & 2 ? "stein" : "cart", NULL);
    /* as cart run sets them up before applying the options */
    run_options opt = {.model = model,
                       .params = cart_params_new(model, NULL),
                       .dosing = cart_dosing_new(NULL),
                       .method = CART_METHOD_DEFAULT,
                       .rtol = CART_RTOL_DEFAULT,
                       .max_steps = CART_MAX_STEPS_DEFAULT,
                       .n_ext = CART_N_EXT_DEFAULT,
                       .plan = cart_endpoint_plan_new(model, NULL)};
    int initial_dose_set = 0;
    for (int i = 0; i + 1 < n; i += 2) {
      if (apply_option(&opt, words[i], words[i + 1], &initial_dose_set) != 0) {
        break;
      }
    }
    free(opt.times);
    cart_endpoint_plan_free(opt.plan);
    cart_dosing_free(opt.dosing);
    cart_params_free(opt.params);
  }
  free(text);
  return 0;
}
