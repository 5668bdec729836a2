/* canary.c: a deliberate data race under OpenMP (every thread adds to one counter unguarded).
 * tests/tsan/run.sh first checks that ThreadSanitizer reports it, so that a clean report on
 * libcart means something: the sanitizer, Archer and the OpenMP runtime are wired up. */
#include <stdio.h>

int main(void)
{
  long counter = 0;
#pragma omp parallel for num_threads(2)
  for (int i = 0; i < 100000; i++) {
    counter += i;
  }
  printf("%ld\n", counter);
  return 0;
}
