#!/bin/sh
# cart_run_time.sh: wall time of `cart run` for the default patient (days 0..365), median of N
# runs (default 5), and of the solve alone (the same command with one output time).
# Usage: sh bench/cart_run_time.sh [CART_BINARY] [N]
cart=${1:-./src/cart}
n=${2:-5}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
run_times() {
  i=0
  while [ "$i" -lt "$n" ]; do
    s=$(date +%s.%N)
    "$cart" "$@" >/dev/null || exit 1
    e=$(date +%s.%N)
    echo "$s $e" | awk '{ printf "%.6f\n", $2 - $1 }'
    i=$((i + 1))
  done
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "cart run (default patient, 366 output rows): median of $n = $(run_times run | median) s"
echo "cart run --times 0,365 (solve, 2 rows):       median of $n = $(run_times run --times 0,365 | median) s"
echo "cart --version (process start only):          median of $n = $(run_times --version | median) s"
