#!/bin/sh
# work_precision.sh BUILDDIR [--reference]: the work-precision diagram of issue 11.
#
# Every tool solves the baselines' work (../shared/anchors/BASELINES.md: the patients of
# bench_params.csv, days 0..365, output every day, one patient after another, ONE thread) at
# rtol = 1e-3, 1e-4, ..., 1e-10, and reports per patient E and Tp + Tn on days 14, 28, 90, 365:
#   libcart   bench/bench_patients --method M, for each M of WP_METHODS (1000 patients)
#   CVODE     bench/wp_cvode.c (BDF, dense, analytic Jacobian; SUNDIALS from libsundials-dev)
#   deSolve   bench/wp_desolve.R (lsoda, the compiled model of anchors/baselines/desolve_cart.c)
#   SciPy     bench/wp_scipy.py (solve_ivp LSODA, BDF, Radau; reference.py's model; the first
#             WP_SCIPY_N = 100 patients)
# Tolerances, the same rule for every tool: atol = MODEL.md's atol (1 cell, 1e-3 pg/mL, 1e-6 mg)
# times rtol / 1e-6, as SciMLBenchmarks scale abstol with reltol (their abstol = reltol / 1000):
# at rtol 1e-6 this is exactly the baselines' setting, and each point of a line asks for the same
# relative accuracy of small and large states, so that the diagram measures the method and not a
# fixed atol that takes over (a fixed 1 cell would stop E's error falling below ~1e-9 relative).
# Errors are against bench/wp_reference.csv (see --reference), computed by bench/work_precision.py:
#   checksum error   |C - C_ref| / C_ref, C = sum over patients of E(365) + (Tp + Tn)(28)
#   max rel. error   max over patients and the 8 values of |x - x_ref| / max(|x_ref|, 1 cell)
#                    (below 1 cell, n_ext of MODEL.md 3, a population is extinct: absolute error)
# Timing, as SciMLBenchmarks: the minimum over ROUNDS (default 3) runs of the solve loop's own
# clock (no start-up, no file output), divided by the patients; rounds interleave every tool and
# rtol so that all see the same (noisy, shared) machine. A run that took over WP_LONG seconds
# (default 20) in round 1 is not repeated: long runs average the noise out themselves.
#
# --reference: recomputes bench/wp_reference.csv (CVODE at rtol 1e-14 with atol 1e-12 x MODEL.md's)
# and cross-checks it against libcart rk8pd at rtol 1e-12 and 1e-13 (1000 patients) and SciPy
# Radau at rtol 1e-12 (first 100 patients, about 10 minutes), then stops.
#
# Missing tools (libsundials-dev, r-base-dev + r-cran-desolve, python3-scipy, python3-matplotlib)
# are skipped with a message, unless CART_BENCH_INSTALL=1, which installs them with apt-get.
# Output: printed, and written to bench/out/work-precision-<date>.txt with the table (markdown) and
# bench/out/work-precision-<date>.csv; the plot is bench/work_precision.png. The dumps of round 1
# stay in bench/out/wp-<date>/ (not committed). REPORT_ONLY=STAMP sh bench/work_precision.sh
# BUILDDIR redraws the table and plot from bench/out/work-precision-STAMP.txt and wp-STAMP/.
set -u

if [ $# -lt 1 ] || [ ! -d "$1" ] || [ ! -x "$1/bench/bench_patients" ]; then
  echo "usage: sh bench/work_precision.sh BUILDDIR [--reference]  (BUILDDIR has bench/bench_patients)" >&2
  exit 2
fi
BUILDDIR=$(cd "$1" && pwd)
MODE=${2:-}
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
. "$SRCDIR/bench/common.sh" # apt_install
SHARED=${CART_SHARED_DIR:-$SRCDIR/../shared}
ANCHORS=$(cd "$SHARED/anchors" && pwd) || exit 2
P=$ANCHORS/bench_params.csv
ROUNDS=${ROUNDS:-3}
WP_LONG=${WP_LONG:-20}
WP_N=${WP_N:-1000}
WP_SCIPY_N=${WP_SCIPY_N:-100}
WP_RTOLS=${WP_RTOLS:-1e-3 1e-4 1e-5 1e-6 1e-7 1e-8 1e-9 1e-10}
# libcart methods; "a|b" takes the first name the library knows (gsl-bdf once it exists, else bdf)
WP_METHODS=${WP_METHODS:-rodas5p gsl-bdf|bdf rk8pd}
WP_SCIPY_METHODS=${WP_SCIPY_METHODS:-LSODA BDF Radau}
REF=${WP_REFERENCE:-$SRCDIR/bench/wp_reference.csv}
PY=/usr/bin/python3
BP=$BUILDDIR/bench/bench_patients

OUTDIR=$SRCDIR/bench/out
mkdir -p "$OUTDIR"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cart-wp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM


# atol_scale RTOL: the rule above, rtol / 1e-6
atol_scale() {
  awk -v r="$1" 'BEGIN { printf "%.6g", r / 1e-6 }'
}

# setup: builds or finds each tool; sets CVODE, DESOLVE_SO, SCIPY, METHODS, PLOT.
setup() {
  echo "## setup"
  CVODE=
  if [ ! -f /usr/include/cvode/cvode.h ]; then
    echo "  CVODE headers (/usr/include/cvode/cvode.h, Debian libsundials-dev) not found"
    apt_install libsundials-dev
  fi
  if [ -f /usr/include/cvode/cvode.h ]; then
    # the CVODE baseline's flags (anchors/baselines/Makefile)
    if ${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -march=x86-64-v2 -o "$TMP/wp_cvode" \
        "$SRCDIR/bench/wp_cvode.c" -lsundials_cvode -lsundials_nvecserial -lm >"$TMP/cc.log" 2>&1 &&
        "$TMP/wp_cvode" --check >"$TMP/check.log" 2>&1; then
      CVODE=$TMP/wp_cvode
      echo "  CVODE: SUNDIALS $(dpkg-query -W -f '${Version}' libsundials-dev 2>/dev/null)," \
           "bench/wp_cvode.c built with -O2 -march=x86-64-v2; $(cat "$TMP/check.log")"
    else
      echo "  bench/wp_cvode.c failed to build or its Jacobian check failed:"
      cat "$TMP/cc.log" "$TMP/check.log" 2>/dev/null | tail -5 | sed 's/^/    /'
    fi
  fi
  DESOLVE_SO=
  if ! command -v Rscript >/dev/null 2>&1 || ! Rscript -e 'library(deSolve)' >/dev/null 2>&1; then
    echo "  R with deSolve not found (Debian r-base-dev, r-cran-desolve)"
    apt_install r-base-dev && apt_install r-cran-desolve
  fi
  if command -v Rscript >/dev/null 2>&1 && Rscript -e 'library(deSolve)' >/dev/null 2>&1; then
    mkdir -p "$TMP/desolve"
    cp "$ANCHORS/baselines/desolve_cart.c" "$TMP/desolve/"
    chmod u+w "$TMP/desolve/desolve_cart.c"
    if (cd "$TMP/desolve" && unset MAKEFLAGS MFLAGS MAKELEVEL &&
        R CMD SHLIB -o desolve_cart.so desolve_cart.c) >"$TMP/desolve.log" 2>&1; then
      DESOLVE_SO=$TMP/desolve/desolve_cart.so
      echo "  deSolve: $(R --version | head -1 | cut -d' ' -f1-3), deSolve" \
           "$(Rscript -e 'cat(as.character(packageVersion("deSolve")))' 2>/dev/null)," \
           "anchors/baselines/desolve_cart.c built by R CMD SHLIB"
    else
      echo "  desolve_cart.c failed to build:"
      tail -5 "$TMP/desolve.log" | sed 's/^/    /'
    fi
  fi
  SCIPY=
  if ! $PY -c 'import scipy' 2>/dev/null; then
    echo "  SciPy not importable by $PY (Debian python3-scipy)"
    apt_install python3-scipy
  fi
  if $PY -c 'import scipy' 2>/dev/null; then
    SCIPY=$SRCDIR/bench/wp_scipy.py
    echo "  SciPy $($PY -c 'import scipy; print(scipy.__version__)'), NumPy" \
         "$($PY -c 'import numpy; print(numpy.__version__)'), Python $($PY -c 'import platform; print(platform.python_version())')"
  fi
  if ! $PY -c 'import matplotlib' 2>/dev/null; then
    echo "  matplotlib not importable by $PY (Debian python3-matplotlib): no plot"
    apt_install python3-matplotlib
  fi
  METHODS=
  for alternatives in $WP_METHODS; do
    found=
    for m in $(echo "$alternatives" | tr '|' ' '); do
      if "$BP" "$P" 1 --method "$m" >/dev/null 2>&1; then
        found=$m
        break
      fi
    done
    if [ -n "$found" ]; then
      METHODS="$METHODS $found"
    else
      echo "  libcart has no method $(echo "$alternatives" | sed 's/|/ or /g'): skipped"
    fi
  done
  echo "  libcart methods:$METHODS"
  LANES=
  if [ -x "$BUILDDIR/bench/bench_lanes" ] && "$BUILDDIR/bench/bench_lanes" "$P" 1 --wp 1e-6 1 >/dev/null 2>&1; then
    LANES=$BUILDDIR/bench/bench_lanes
    echo "  libcart rodas5p in SIMD lanes: bench/bench_lanes --wp"
  fi
  echo
}

# run KEY CMD...: runs a benchmark; its tool= line goes to $LOG with key=KEY (tool.rtol) in front.
run() {
  key=$1
  shift
  if "$@" >"$TMP/out" 2>"$TMP/err"; then
    :
  else
    echo "  (exit status $? from: $*)"
    tail -3 "$TMP/err" | sed 's/^/    /'
  fi
  grep '^tool=' "$TMP/out" | sed "s/^/key=$key /" | tee -a "$LOG"
}

# long KEY: true if KEY's round-1 run took more than WP_LONG seconds.
long() {
  awk -v k="key=$1" -v lim="$WP_LONG" '$1 == k { for (i = 2; i <= NF; i++)
    if ($i ~ /^wall_s=/) { split($i, a, "="); if (a[2] + 0 > lim) found = 1 } }
    END { exit found ? 0 : 1 }' "$LOG"
}

# one_round R: every tool at every rtol once; round 1 writes the dumps.
one_round() {
  round=$1
  echo "# round $round"
  for rtol in $WP_RTOLS; do
    s=$(atol_scale "$rtol")
    for m in $METHODS; do
      key=libcart-$m.$rtol
      [ "$round" -gt 1 ] && long "$key" && continue
      dump=
      [ "$round" -eq 1 ] && dump="--dump $DUMPS/$key.csv"
      # shellcheck disable=SC2086
      run "$key" env OMP_NUM_THREADS=1 "$BP" "$P" "$WP_N" --method "$m" --rtol "$rtol" --atol-scale "$s" $dump
    done
    if [ -n "$LANES" ]; then
      key=libcart-rodas5p-lanes.$rtol
      if [ "$round" -eq 1 ] || ! long "$key"; then
        run "$key" "$LANES" "$P" "$WP_N" --wp "$rtol" "$s" \
          "$([ "$round" -eq 1 ] && echo "$DUMPS/$key.csv" || echo /dev/null)"
      fi
    fi
    if [ -n "$CVODE" ]; then
      key=cvode-bdf.$rtol
      if [ "$round" -eq 1 ] || ! long "$key"; then
        run "$key" "$CVODE" "$P" "$WP_N" "$rtol" "$([ "$round" -eq 1 ] && echo "$DUMPS/$key.csv" || echo /dev/null)" "$s"
      fi
    fi
    if [ -n "$DESOLVE_SO" ]; then
      key=desolve-lsoda.$rtol
      if [ "$round" -eq 1 ] || ! long "$key"; then
        run "$key" Rscript "$SRCDIR/bench/wp_desolve.R" "$DESOLVE_SO" "$P" "$WP_N" "$rtol" "$s" \
          "$([ "$round" -eq 1 ] && echo "$DUMPS/$key.csv" || echo /dev/null)"
      fi
    fi
    if [ -n "$SCIPY" ]; then
      for sm in $WP_SCIPY_METHODS; do
        key=scipy-$(echo "$sm" | tr '[:upper:]' '[:lower:]').$rtol
        [ "$round" -gt 1 ] && long "$key" && continue
        run "$key" env PYTHONDONTWRITEBYTECODE=1 "$PY" "$SCIPY" "$ANCHORS" "$P" "$WP_SCIPY_N" "$sm" "$rtol" "$s" \
          "$([ "$round" -eq 1 ] && echo "$DUMPS/$key.csv" || echo /dev/null)"
      done
    fi
  done
}

# header: the machine, compilers and versions
header() {
  echo "# libcart work-precision diagram, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "command:  CART_BENCH_INSTALL=${CART_BENCH_INSTALL:-0} ROUNDS=$ROUNDS sh bench/work_precision.sh $BUILDDIR"
  echo "machine:  nproc $(nproc), lscpu model \"$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)\"," \
       "$(lscpu 2>/dev/null | sed -n 's/^Core(s) per socket: *//p' | head -1) core(s) per socket," \
       "$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)," \
       "$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at start"
  echo "compiler: $(${CC:-cc} --version | head -1)"
  echo "libcart:  $(sed -n 's/^PACKAGE_VERSION = //p' "$BUILDDIR/Makefile") ($(cd "$SRCDIR" && git describe --always --dirty 2>/dev/null))," \
       "CFLAGS $(sed -n 's/^CFLAGS = //p' "$BUILDDIR/Makefile"), GSL $(pkg-config --modversion gsl 2>/dev/null || echo '?')"
  echo "params:   $P (libcart, CVODE, deSolve: first $WP_N; SciPy: first $WP_SCIPY_N)"
  echo "rtol:     $WP_RTOLS; atol = MODEL.md's x rtol / 1e-6; rounds $ROUNDS (runs over $WP_LONG s once)"
  echo "reference: $REF"
  echo
}

reference() {
  setup
  [ -n "$CVODE" ] || { echo "the reference needs CVODE"; exit 1; }
  out=$TMP/ref.csv
  echo "## reference: CVODE rtol 1e-14, atol 1e-12 x MODEL.md's, $WP_N patients"
  "$CVODE" "$P" "$WP_N" 1e-14 "$out" 1e-12 || exit 1
  echo "## cross-checks"
  OMP_NUM_THREADS=1 "$BP" "$P" "$WP_N" --method rk8pd --rtol 1e-12 --atol-scale 1e-10 --dump "$TMP/rk12.csv"
  OMP_NUM_THREADS=1 "$BP" "$P" "$WP_N" --method rk8pd --rtol 1e-13 --atol-scale 1e-11 --dump "$TMP/rk13.csv"
  "$CVODE" "$P" "$WP_N" 1e-12 "$TMP/cv12.csv" 1e-10
  "$CVODE" "$P" "$WP_N" 1e-13 "$TMP/cv13.csv" 1e-11
  set -- --check "libcart rk8pd, rtol 1e-12, atol 1e-10 x" "$TMP/rk12.csv" \
    --check "libcart rk8pd, rtol 1e-13, atol 1e-11 x" "$TMP/rk13.csv" \
    --check "CVODE, rtol 1e-12, atol 1e-10 x" "$TMP/cv12.csv" \
    --check "CVODE, rtol 1e-13, atol 1e-11 x" "$TMP/cv13.csv"
  if [ -n "$SCIPY" ]; then
    $PY "$SCIPY" "$ANCHORS" "$P" "$WP_SCIPY_N" Radau 1e-12 1e-10 "$TMP/radau12.csv"
    set -- "$@" --check "SciPy Radau (reference.py), rtol 1e-12, atol 1e-10 x" "$TMP/radau12.csv"
  fi
  $PY "$SRCDIR/bench/work_precision.py" reference --out "$REF" --reference "$out" \
    --source "CVODE (bench/wp_cvode.c, SUNDIALS $(dpkg-query -W -f '${Version}' libsundials-dev 2>/dev/null)) at rtol 1e-14, atol 1e-12 x MODEL.md's, $(date -u '+%Y-%m-%d'), by: sh bench/work_precision.sh BUILDDIR --reference" \
    "$@" || exit 1
  echo "written to $REF"
}

main() {
  header
  setup
  if [ ! -f "$REF" ]; then
    echo "no reference $REF: make it first with sh bench/work_precision.sh $BUILDDIR --reference"
    return 1
  fi
  echo "## raw lines ($ROUNDS rounds, interleaved)"
  r=1
  while [ "$r" -le "$ROUNDS" ]; do
    one_round "$r"
    r=$((r + 1))
  done
  echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at end"
  echo
}

if [ "$MODE" = --reference ]; then
  reference
  exit 0
fi
if [ -n "${REPORT_ONLY:-}" ]; then
  STAMP=$REPORT_ONLY
else
  STAMP=$(date -u +%Y%m%dT%H%M%SZ)
fi
OUT=$OUTDIR/work-precision-$STAMP.txt
DUMPS=$OUTDIR/wp-$STAMP
LOG=$TMP/lines.txt
if [ -z "${REPORT_ONLY:-}" ]; then
  mkdir -p "$DUMPS"
  : >"$LOG"
  main 2>&1 | tee "$OUT"
fi
if $PY "$SRCDIR/bench/work_precision.py" report --log "$OUT" --dumps "$DUMPS" --reference "$REF" \
    --csv "$OUTDIR/work-precision-$STAMP.csv" --png "$SRCDIR/bench/work_precision.png" >"$TMP/table.md"; then
  [ -z "${REPORT_ONLY:-}" ] && cat "$TMP/table.md" >>"$OUT"
  cat "$TMP/table.md"
fi
echo
echo "written to $OUT, $OUTDIR/work-precision-$STAMP.csv and $SRCDIR/bench/work_precision.png"
exit 0
