#!/bin/sh
# calibrate_time.sh: wall time of one `cart calibrate` of a scenario/targets pair, with the
# machine, the thread count, the evaluations, the patients per evaluation and the objective.
# The time is that of the whole command (loading, the fit, the Jacobian, writing).
# Usage: sh bench/calibrate_time.sh CART_BINARY SCENARIO.ini TARGETS.ini [THREADS [-- EXTRA OPTIONS]]
#   e.g. ./src/cart scenario > default.ini; sh bench/calibrate_time.sh ./src/cart default.ini zuma1.ini 2
#   EXTRA OPTIONS go to cart calibrate as they are (-n N, --max-evaluations K, --seed S).
cart=${1:-./src/cart}
scenario=${2:?usage: calibrate_time.sh CART SCENARIO.ini TARGETS.ini [THREADS] [-- OPTIONS]}
targets=${3:?usage: calibrate_time.sh CART SCENARIO.ini TARGETS.ini [THREADS] [-- OPTIONS]}
threads=${4:-$(nproc)}
shift 3
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
out=$(mktemp -d "${TMPDIR:-/tmp}/cart-calibrate-XXXXXX")
trap 'rm -rf "$out"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "cart calibrate $scenario $targets --threads $threads $*"
s=$(date +%s.%N)
"$cart" calibrate "$scenario" "$targets" -o "$out/calibrated.ini" --threads "$threads" --quiet "$@" \
  >"$out/report" || { cat "$out/report"; exit 1; }
e=$(date +%s.%N)
sed -n '1,3p' "$out/report"
echo "$s $e" | awk '{ printf "wall time: %.2f s\n", $2 - $1 }'
