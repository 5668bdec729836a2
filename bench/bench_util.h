/* bench_util.h: what the benchmark programs share (header only, so that bench/wp_cvode.c, built
 * by bench/work_precision.sh with nothing but SUNDIALS, can include it too). */
#ifndef CART_BENCH_UTIL_H
#define CART_BENCH_UTIL_H

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Seconds on CLOCK_MONOTONIC. */
static inline double bench_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The baselines' patients (../shared/anchors/bench_params.csv): up to n rows of rho, gamma,
 * delta_E, T0 into rows (4 per patient), skipping # comments and the header. Returns the row
 * count (0 when the file cannot be read). */
static inline size_t bench_read_rows(const char *path, size_t n, double *rows)
{
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    perror(path);
    return 0;
  }
  char line[512];
  size_t k = 0;
  while (k < n && fgets(line, sizeof line, f) != NULL) {
    if (line[0] == '#' || strncmp(line, "rho,", 4) == 0) {
      continue;
    }
    double *r = rows + 4 * k;
    if (sscanf(line, "%lf,%lf,%lf,%lf", &r[0], &r[1], &r[2], &r[3]) == 4) {
      k++;
    }
  }
  fclose(f);
  return k;
}

#endif
