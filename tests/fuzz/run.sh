#!/bin/sh
# tests/fuzz/run.sh SECONDS [WORKDIR]: builds the libFuzzer targets (fuzz_scenario, fuzz_cli) with
# clang, AddressSanitizer and UndefinedBehaviorSanitizer from the library's sources, seeds their
# corpora (examples/*.ini, the built-in scenario, examples/*-targets.ini, command lines from the
# man pages' examples), runs each for SECONDS, and prints executions, corpus size and the
# outcome. Exit status 1 when a target crashed, leaked, hit undefined behaviour, ran out of memory
# (libFuzzer's 2 GB limit) or timed out on one input (10 s): the reproducer is kept in WORKDIR.
# CI runs it for 60 s a target (.ci/run); `sh tests/fuzz/run.sh 3600` is the long run.
# FUZZ_BUILDDIR: a configured build tree for the generated headers (default: the source tree).
set -u
SECONDS_PER_TARGET=${1:?usage: sh tests/fuzz/run.sh SECONDS [WORKDIR]}
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
# a configured build tree, for the headers configure generates (include/cart/cart_version.h);
# the source tree itself when configured in place
BUILD=$(cd "${FUZZ_BUILDDIR:-$SRCDIR}" && pwd)
if [ ! -f "$BUILD/include/cart/cart_version.h" ]; then
  echo "fuzz: no include/cart/cart_version.h in $BUILD: configure first, or set FUZZ_BUILDDIR" >&2
  exit 2
fi
WORK=${2:-${TMPDIR:-/tmp}/cart-fuzz}
CC=${FUZZ_CC:-clang}
mkdir -p "$WORK"
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "fuzz: $CC not found (apt-get install -y clang)" >&2
  exit 2
fi
# The library's sources, compiled with coverage for the fuzzer; a generated version header
# comes from a configured tree (config.h is not needed by lib/).
FLAGS="-g -O1 -fopenmp -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
-fno-omit-frame-pointer -I$BUILD/include -I$SRCDIR/include -I$SRCDIR/src $(pkg-config --cflags gsl hdf5 inih libdeflate 2>/dev/null)"
LIBS="$(pkg-config --libs gsl hdf5 inih libdeflate 2>/dev/null) -lm -lpthread"
[ -n "$(pkg-config --libs hdf5 2>/dev/null)" ] || LIBS="$LIBS -lhdf5_serial"
LIBSRC=$(ls "$SRCDIR"/lib/*/*.c)
for target in fuzz_scenario fuzz_cli; do
  extra=""
  # the command's sources but its main (fuzz_cli.c includes src/cart.c itself)
  [ "$target" = fuzz_cli ] && extra=$(ls "$SRCDIR"/src/*.c | grep -v '/src/cart\.c$')
  # shellcheck disable=SC2086
  if ! $CC $FLAGS -DCLI_NAME='"cart"' -o "$WORK/$target" "$SRCDIR/tests/fuzz/$target.c" $extra \
      $LIBSRC $LIBS 2>"$WORK/$target.build.log"; then
    echo "fuzz: building $target failed:" >&2
    tail -20 "$WORK/$target.build.log" >&2
    exit 2
  fi
done

# Seeds: the first byte picks the grammar (fuzz_*.c).
seed() { mkdir -p "$WORK/corpus_$1"; { printf "\\$(printf '%03o' "$2")"; cat; } >"$WORK/corpus_$1/$3"; }
for f in "$SRCDIR"/examples/*.ini; do
  name=$(basename "$f")
  case "$name" in
    *targets*) seed fuzz_scenario 1 "$name" <"$f" ;;
    *) seed fuzz_scenario 0 "$name" <"$f" ;;
  esac
done
words() { for w in "$@"; do printf '%s\0' "$w"; done; }
words --set rho=0.7 --dose 14:1e8:0.3 --toci 5:8:1:800 --times 0:60:0.5 | seed fuzz_cli 0 run1
words --times 0,3.5,7,30,90 --toci-rule 150:6:3:4:12 --method rk8pd --rtol 1e-8 | seed fuzz_cli 0 run2
words --n-ext 0 --max-steps 200000 --dose 0:2e8 --toci-rule on | seed fuzz_cli 0 run3
words examples/juliet.ini -n 100 --seed 7 --threads 2 --block 64 -o x.h5 --force | seed fuzz_cli 1 trial1
words -n 1000 --stop-after-blocks 2 --fail-rank 1 --timing | seed fuzz_cli 3 trial2

status=0
for target in fuzz_scenario fuzz_cli; do
  mkdir -p "$WORK/corpus_$target" "$WORK/found_$target"
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$WORK/$target" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
      -close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$WORK/found_$target/" \
      "$WORK/corpus_$target" >"$WORK/$target.log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/$target.log" | tail -1)
  corpus=$(ls "$WORK/corpus_$target" | wc -l)
  if [ "$rc" -eq 0 ]; then
    echo "fuzz: $target: ${runs:-?} inputs in ${SECONDS_PER_TARGET} s, corpus $corpus, no failure"
  else
    echo "fuzz: $target FAILED (exit $rc) after ${runs:-?} inputs; reproducer in $WORK/found_$target:"
    grep -E "ERROR|runtime error|SUMMARY|Test unit written" "$WORK/$target.log" | head -10
    status=1
  fi
done
exit $status
