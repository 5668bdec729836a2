/* version.c: the run-time version. */
#include <cart/cart_version.h>

const char *cart_version(void)
{
  return CART_VERSION_STRING;
}
