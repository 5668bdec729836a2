#!/bin/sh
# tests/tsan/run.sh BUILDDIR: ThreadSanitizer over libcart's OpenMP trial path. BUILDDIR is a build
# configured with clang and -fsanitize=thread (CC=clang CFLAGS='-g -O1 -fsanitize=thread'
# LDFLAGS=-fsanitize=thread; clang's -fopenmp links LLVM's libomp). LLVM's Archer tool
# (libarcher.so, Debian's libomp-dev) tells TSan about OpenMP's barriers and tasks, and reports
# from the uninstrumented runtime are ignored. First a canary with a deliberate race must be
# reported; then `cart trial` with 4 threads, a calibration with 2, tests/check_threads and
# tests/check_trial must run without a report. Exit status 1 on any report (or if the canary is
# missed).
set -u
BUILD=$(cd "${1:?usage: sh tests/tsan/run.sh BUILDDIR}" && pwd)
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
ARCHER=${ARCHER:-$(ls /usr/lib/llvm-*/lib/libarcher.so 2>/dev/null | tail -1)}
if [ -z "$ARCHER" ]; then
  echo "tsan: libarcher.so not found (apt-get install -y libomp-dev)" >&2
  exit 2
fi
export OMP_TOOL_LIBRARIES="$ARCHER"
export TSAN_OPTIONS="halt_on_error=1 ignore_noninstrumented_modules=1 exitcode=66"
export CART_SHARED_DIR="${CART_SHARED_DIR:-$SRCDIR/../shared}"
export CART_SRCDIR="${CART_SRCDIR:-$SRCDIR}" # the suites read examples/ from there
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cart-tsan.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
failed=0

${CC:-clang} -g -O1 -fsanitize=thread -fopenmp -o "$TMP/canary" "$SRCDIR/tests/tsan/canary.c"
if "$TMP/canary" >/dev/null 2>"$TMP/canary.err" || ! grep -q "data race" "$TMP/canary.err"; then
  echo "tsan: FAIL: the canary's deliberate race was not reported: the setup detects nothing"
  failed=1
else
  echo "tsan: ok: the canary's deliberate race is reported"
fi

check() { # NAME COMMAND...
  name=$1
  shift
  if "$@" >"$TMP/out" 2>"$TMP/err" && ! grep -q "ThreadSanitizer" "$TMP/err"; then
    echo "tsan: ok: $name"
  else
    echo "tsan: FAIL: $name:"
    grep -A30 "WARNING: ThreadSanitizer" "$TMP/err" | head -40
    tail -5 "$TMP/err"
    failed=1
  fi
}
check "cart trial, 300 patients, 4 threads" \
  "$BUILD/src/cart" trial -n 300 --threads 4 --block 32 -o "$TMP/t.h5" --force
check "cart calibrate (JULIET targets, 4 evaluations), 2 threads" \
  "$BUILD/src/cart" calibrate "$SRCDIR/examples/juliet.ini" \
  "$SRCDIR/examples/juliet-targets.ini" -o "$TMP/c.ini" -n 200 --max-evaluations 4 --threads 2 --quiet
check "tests/check_threads" "$BUILD/tests/check_threads"
# one prepared trial run by two threads of the caller at once, each in its own workspace (the
# plan is only read); CK_FORK=no keeps every test in the process TSan watches
check "tests/check_trial" env CK_FORK=no "$BUILD/tests/check_trial"
exit $failed
