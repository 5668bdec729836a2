#!/bin/sh
# run.sh BUILDDIR: libcart's benchmarks against the baselines of ../shared/anchors/BASELINES.md,
# all in ONE run so that every tool sees the same (shared, noisy) machine. `make bench` runs it.
#
#   (a) bench/bench_patients: the baselines' 1000 bench patients (days 0..365, daily output,
#       rtol 1e-6, extinction off as in the baselines) with 1 and 2 threads, the first 100, and
#       the first 100 with rk8pd; then with the library's default extinction events (`ext`);
#   (b) the CVODE baseline, built from anchors/baselines in a temporary folder;
#   (c) the SciPy baseline (LSODA and BDF, 100 patients);
#   (d) bench/bench_trial: the default scenario (weekly output, 5 trajectories and endpoints) for
#       N = 1e3 and 1e4 with 1 and 2 threads; N = 1e5 (about a minute a run) in one round only;
#   (e) peak memory (max RSS) of `cart trial -n 1e4` and `-n 1e5` writing an HDF5 file.
# (a)-(d) are interleaved over ROUNDS rounds (default 3); the table reports medians over rounds.
#
# Missing tools (libsundials-dev, python3-scipy, time) are skipped with a message, unless
# CART_BENCH_INSTALL=1, which installs them with apt-get. The script never fails because a
# target is missed. Output: printed, and written to bench/out/results-<date>.txt.
# REPORT_ONLY=FILE sh bench/run.sh BUILDDIR prints the tables again from FILE's raw lines.
set -u

if [ $# -lt 1 ] || [ ! -d "$1" ]; then
  echo "usage: sh bench/run.sh BUILDDIR  (the build tree with bench/bench_patients)" >&2
  exit 2
fi
BUILDDIR=$(cd "$1" && pwd)
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
. "$SRCDIR/bench/common.sh" # apt_install
SHARED=${CART_SHARED_DIR:-$SRCDIR/../shared}
ANCHORS=$SHARED/anchors
P=$ANCHORS/bench_params.csv
ROUNDS=${ROUNDS:-3}
BIGN=${CART_BENCH_BIGN:-100000} # the large N (for a quick test of this script only)
# "exact" checksums of BASELINES.md (reference.py, LSODA at rtol 1e-10)
EXACT_1000=1.2456596622e+13
EXACT_100=8.2013518890e+11

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUTDIR=$SRCDIR/bench/out
mkdir -p "$OUTDIR"
OUT=$OUTDIR/results-$STAMP.txt
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cart-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
LOG=$TMP/lines.txt
: >"$LOG"
COMMAND="CART_BENCH_INSTALL=${CART_BENCH_INSTALL:-0} ROUNDS=$ROUNDS sh bench/run.sh $BUILDDIR"

# ---- helpers ----


# run CMD...: runs a benchmark, keeps its tool= line in $LOG and prints it; a failure is shown.
run() {
  if "$@" >"$TMP/out" 2>"$TMP/err"; then
    :
  else
    echo "  (exit status $? from: $*)"
    tail -5 "$TMP/err" | sed 's/^/    /'
  fi
  grep '^tool=' "$TMP/out" | tee -a "$LOG"
}

# peak_rss CMD...: prints "maxrss_kb=K wall_s=S" of the command (stdout and stderr to $TMP/rss.*).
peak_rss() {
  if [ -n "$TIME_BIN" ]; then
    "$TIME_BIN" -v -o "$TMP/time.txt" "$@" >"$TMP/rss.out" 2>"$TMP/rss.err"
    st=$?
    kb=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$TMP/time.txt")
    wall=$(awk '/Elapsed \(wall clock\)/ { n = split($NF, a, ":"); s = 0;
                for (i = 1; i <= n; i++) s = 60 * s + a[i]; print s }' "$TMP/time.txt")
  else
    # no /usr/bin/time: poll VmHWM (the process's peak RSS, monotonic) in /proc while it runs
    start=$(date +%s.%N)
    "$@" >"$TMP/rss.out" 2>"$TMP/rss.err" &
    pid=$!
    kb=0
    while kill -0 "$pid" 2>/dev/null; do
      v=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
      [ -n "$v" ] && kb=$v
      sleep 0.05
    done
    wait "$pid"
    st=$?
    wall=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.2f", $2 - $1 }')
  fi
  [ "$st" -eq 0 ] || { echo "  (exit status $st from: $*)"; tail -3 "$TMP/rss.err" | sed 's/^/    /'; }
  echo "maxrss_kb=${kb:-0} wall_s=${wall:-0}"
}

main() {
  echo "# libcart benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "command:  $COMMAND"
  echo "machine:  nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
       "$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)," \
       "$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at start"
  echo "compiler: $(gcc --version | head -1)"
  echo "libcart:  $(sed -n 's/^PACKAGE_VERSION = //p' "$BUILDDIR/Makefile"), CFLAGS" \
       "$(sed -n 's/^CFLAGS = //p' "$BUILDDIR/Makefile"), GSL $(pkg-config --modversion gsl 2>/dev/null || echo '?')"
  echo "params:   $P"
  echo

  # ---- (b) the CVODE baseline ----
  echo "## setup"
  CVODE=
  if [ ! -f /usr/include/cvode/cvode.h ] && ! pkg-config --exists sundials-cvode 2>/dev/null; then
    echo "  CVODE headers (/usr/include/cvode/cvode.h, Debian libsundials-dev) not found"
    apt_install libsundials-dev
  fi
  if [ -f /usr/include/cvode/cvode.h ]; then
    cp -r "$ANCHORS/baselines" "$TMP/baselines"
    chmod -R u+w "$TMP/baselines"
    if (cd "$TMP/baselines" && unset MAKEFLAGS MFLAGS MAKELEVEL CFLAGS &&
        make -s cvode_cart) >"$TMP/cvode_build.log" 2>&1; then
      CVODE=$TMP/baselines/cvode_cart
      echo "  CVODE baseline built: SUNDIALS $(dpkg-query -W -f '${Version}' libsundials-dev 2>/dev/null)," \
           "-O2 -march=x86-64-v2 (the baselines' Makefile)"
    else
      echo "  CVODE baseline failed to build:"
      tail -5 "$TMP/cvode_build.log" | sed 's/^/    /'
    fi
  fi
  # ---- (c) SciPy ----
  SCIPY=
  if ! /usr/bin/python3 -c 'import scipy' 2>/dev/null; then
    echo "  SciPy not importable by /usr/bin/python3 (Debian python3-scipy)"
    apt_install python3-scipy
  fi
  if /usr/bin/python3 -c 'import scipy' 2>/dev/null; then
    SCIPY=$ANCHORS/baselines/scipy_cart.py
    echo "  SciPy $(/usr/bin/python3 -c 'import scipy; print(scipy.__version__)')"
  fi
  # ---- (e) /usr/bin/time ----
  TIME_BIN=
  [ -x /usr/bin/time ] || { echo "  /usr/bin/time not found (Debian time)"; apt_install time; }
  if [ -x /usr/bin/time ]; then
    TIME_BIN=/usr/bin/time
  else
    echo "  peak memory read from VmHWM in /proc instead"
  fi
  BP=$BUILDDIR/bench/bench_patients
  BT=$BUILDDIR/bench/bench_trial
  echo

  echo "## raw lines ($ROUNDS rounds, interleaved; N = 1e5 in the last part, one round)"
  r=1
  while [ "$r" -le "$ROUNDS" ]; do
    echo "# round $r"
    run env OMP_NUM_THREADS=1 "$BP" "$P" 1000
    [ -n "$CVODE" ] && run env OMP_NUM_THREADS=1 "$CVODE" "$P" 1000
    run env OMP_NUM_THREADS=2 "$BP" "$P" 1000
    [ -n "$CVODE" ] && run env OMP_NUM_THREADS=2 "$CVODE" "$P" 1000
    run env OMP_NUM_THREADS=1 "$BP" "$P" 100
    [ -n "$CVODE" ] && run env OMP_NUM_THREADS=1 "$CVODE" "$P" 100
    run env OMP_NUM_THREADS=1 "$BP" "$P" 100 rk8pd
    run env OMP_NUM_THREADS=1 "$BP" "$P" 1000 ext
    run env OMP_NUM_THREADS=1 "$BP" "$P" 100 rk8pd ext
    [ -n "$SCIPY" ] && run env PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 "$SCIPY" "$P" 100
    run "$BT" 1000 1 3
    run "$BT" 1000 2 3
    run "$BT" 10000 1 1
    run "$BT" 10000 2 1
    r=$((r + 1))
  done
  echo "# N = 1e5, one round (about a minute a run)"
  run "$BT" "$BIGN" 1 1
  run "$BT" "$BIGN" 2 1

  echo "# peak memory of cart trial (default scenario, default threads, HDF5 output)"
  for n in 10000 "$BIGN"; do
    res=$(peak_rss "$BUILDDIR/src/cart" trial -n "$n" -o "$TMP/x.h5" --force)
    line="tool=cart-trial-rss N=$n threads=$(nproc) $(echo "$res" | tail -1)"
    echo "$res" | grep -v '^maxrss_kb=' | sed 's/^/  /'
    echo "$line" | tee -a "$LOG"
    grep -h '^cart:' "$TMP/rss.err" | sed 's/^/  /'
    rm -f "$TMP/x.h5"
  done
  echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at end"
  echo

  report <"$LOG"
}

# report: the tables and the targets, from the tool= lines on stdin.
report() {
  awk -v exact1000="$EXACT_1000" -v exact100="$EXACT_100" '
  function med(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    if (n == 0) return ""
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  function c(k) { return (k in ck) ? ck[k] + 0 : "" }
  function get(k) { return (k in pps) ? med(pps[k]) : "" }
  function fmt(x) { return x == "" ? "-" : (x >= 100 ? sprintf("%.0f", x) : sprintf("%.3g", x)) }
  function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "" : a / b }
  function fr(x) { return x == "" ? "-" : sprintf("%.2f", x) }
  function rel(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("%.1e", (a > b ? a - b : b - a) / b) }
  function verdict(ok) { return ok == "" ? "n/a" : (ok ? "PASS" : "MISS") }
  {
    delete f
    for (i = 1; i <= NF; i++) { eq = index($i, "="); if (eq) f[substr($i, 1, eq - 1)] = substr($i, eq + 1) }
    k = f["tool"] "|" f["N"] "|" f["threads"]
    if (f["tool"] == "cart-trial-rss") { rss[f["N"]] = f["maxrss_kb"]; rsswall[f["N"]] = f["wall_s"]; next }
    if (!(k in pps)) { order[++nk] = k }
    pps[k] = pps[k] " " f["patients_per_s"]
    runs[k] = runs[k] (runs[k] == "" ? "" : ", ") fmt(f["patients_per_s"] + 0)
    ck[k] = f["checksum"]
    if ("steps/patient" in f) steps[k] = f["steps/patient"]
  }
  END {
    print "## patients/s (median over rounds)"
    print ""
    print "| tool | N | threads | patients/s (runs) | per core | checksum | rel. diff. from CVODE | rel. error vs exact | steps/patient |"
    print "|---|---|---|---|---|---|---|---|---|"
    for (i = 1; i <= nk; i++) {
      k = order[i]; split(k, p, "|")
      m = get(k)
      cv = "cvode-bdf-dense-jac|" p[2] "|" p[3]; if (!(cv in ck)) cv = "cvode-bdf-dense-jac|" p[2] "|1"
      d = (p[1] ~ /^cvode/ || p[1] ~ /trial/) ? "-" : rel(c(k), c(cv))
      ex = p[2] == 1000 ? exact1000 : (p[2] == 100 ? exact100 : "")
      e = (p[1] ~ /trial/ || ex == "") ? "-" : rel(ck[k] + 0, ex + 0)
      printf "| %s | %s | %s | **%s** (%s) | %s | %s | %s | %s | %s |\n", p[1], p[2], p[3], fmt(m), runs[k], fmt(m / p[3]), ck[k], d, e, (k in steps) ? steps[k] : "-"
    }
    print ""
    print "bench_trial checksums (sum of cmax + auc28 + tumour_nadir/1e9) must agree across threads; libcart-trial rows use the default scenario (weekly output, trajectories and endpoints), the others the baselines work (daily output, no endpoints)."
    print ""

    lb1 = get("libcart-bdf|1000|1"); lb2 = get("libcart-bdf|1000|2"); lb100 = get("libcart-bdf|100|1")
    cv1 = get("cvode-bdf-dense-jac|1000|1"); cv2 = get("cvode-bdf-dense-jac|1000|2"); cv100 = get("cvode-bdf-dense-jac|100|1")
    sl = get("scipy-lsoda|100|1"); sb = get("scipy-bdf|100|1")
    t41 = get("libcart-trial|10000|1"); t42 = get("libcart-trial|10000|2")
    t31 = get("libcart-trial|1000|1"); t32 = get("libcart-trial|1000|2")
    t51 = get("libcart-trial|100000|1"); t52 = get("libcart-trial|100000|2")

    print "## comparisons"
    print ""
    print "| quantity | value |"
    print "|---|---|"
    printf "| speed-up 2 threads / 1, libcart bench_patients (N 1000) | %s |\n", fr(ratio(lb2, lb1))
    printf "| speed-up 2 threads / 1, CVODE (N 1000) | %s |\n", fr(ratio(cv2, cv1))
    printf "| speed-up 2 threads / 1, bench_trial N 1e3 / 1e4 / 1e5 | %s / %s / %s |\n", fr(ratio(t32, t31)), fr(ratio(t42, t41)), fr(ratio(t52, t51))
    printf "| libcart / CVODE, 1000 patients, 1 thread | %s |\n", fr(ratio(lb1, cv1))
    printf "| libcart / CVODE, 1000 patients, 2 threads | %s |\n", fr(ratio(lb2, cv2))
    printf "| libcart / CVODE, first 100 patients, 1 thread | %s |\n", fr(ratio(lb100, cv100))
    printf "| cost of extinction events (library default n_ext = 1): bdf 1000 / rk8pd 100, patients/s off / on | %s / %s |\n", fr(ratio(lb1, get("libcart-bdf-ext|1000|1"))), fr(ratio(get("libcart-rk8pd|100|1"), get("libcart-rk8pd-ext|100|1")))
    printf "| libcart / SciPy LSODA, first 100 patients | %s |\n", fr(ratio(lb100, sl))
    printf "| libcart / SciPy BDF, first 100 patients | %s |\n", fr(ratio(lb100, sb))
    printf "| checksum rel. diff. libcart vs CVODE, 1000 / 100 patients | %s / %s |\n", rel(c("libcart-bdf|1000|1"), c("cvode-bdf-dense-jac|1000|1")), rel(c("libcart-bdf|100|1"), c("cvode-bdf-dense-jac|100|1"))
    printf "| checksum rel. error vs exact, libcart 1000 / 100 patients | %s / %s |\n", rel(c("libcart-bdf|1000|1"), exact1000), rel(c("libcart-bdf|100|1"), exact100)
    printf "| checksum rel. error vs exact, CVODE 1000 / 100 patients | %s / %s |\n", rel(c("cvode-bdf-dense-jac|1000|1"), exact1000), rel(c("cvode-bdf-dense-jac|100|1"), exact100)
    r4 = (10000 in rss) ? rss[10000] / 1024 : ""; r5 = (100000 in rss) ? rss[100000] / 1024 : ""
    printf "| peak RSS of cart trial, N 1e4 / 1e5 (MiB) | %s / %s (wall %s s / %s s, HDF5 written) |\n", r4 == "" ? "-" : sprintf("%.1f", r4), r5 == "" ? "-" : sprintf("%.1f", r5), (10000 in rsswall) ? rsswall[10000] : "-", (100000 in rsswall) ? rsswall[100000] : "-"
    print ""

    print "## targets (from the issue)"
    print ""
    print "| target | measured | verdict |"
    print "|---|---|---|"
    printf "| >= 8000 patients/s per core, default scenario, 365 days, weekly trajectories | %s per core (bench_trial N 1e4, 1 thread); %s per core with 2 threads | %s |\n", fmt(t41), t42 == "" ? "-" : fmt(t42 / 2), verdict(t41 == "" ? "" : t41 >= 8000)
    printf "| per-core throughput >= CVODE at equal tolerance | libcart/CVODE %s (1 thread, 1000 patients) | %s |\n", fr(ratio(lb1, cv1)), verdict(cv1 == "" ? "" : lb1 >= cv1)
    sbest = (sl != "" && (sb == "" || sl > sb)) ? sl : sb
    printf "| >= 100x SciPy | libcart/SciPy %s (vs LSODA, the faster SciPy) and %s (vs BDF) | %s |\n", fr(ratio(lb100, sl)), fr(ratio(lb100, sb)), verdict(sbest == "" ? "" : lb100 >= 100 * sbest)
    printf "| 2 threads >= 1.8x one | bench_patients %s; bench_trial N 1e4 %s | %s |\n", fr(ratio(lb2, lb1)), fr(ratio(t42, t41)), verdict((lb1 == "" || t41 == "") ? "" : (lb2 >= 1.8 * lb1 && t42 >= 1.8 * t41))
    printf "| peak memory <= 256 MiB at N 1e5 | %s MiB | %s |\n", r5 == "" ? "-" : sprintf("%.1f", r5), verdict(r5 == "" ? "" : r5 <= 256)
    printf "| peak memory independent of N (taken as RSS 1e5 <= 1.1 x RSS 1e4) | %s MiB at 1e4, %s MiB at 1e5 (%s bytes per extra patient) | %s |\n", r4 == "" ? "-" : sprintf("%.1f", r4), r5 == "" ? "-" : sprintf("%.1f", r5), (r4 == "" || r5 == "") ? "-" : sprintf("%.0f", (r5 - r4) * 1048576 / 90000), verdict((r4 == "" || r5 == "") ? "" : r5 <= 1.1 * r4)
  }'
}

if [ "${REPORT_ONLY:-}" != "" ]; then # re-render the tables from a results file's raw lines
  grep '^tool=' "$REPORT_ONLY" | report
  exit 0
fi
main 2>&1 | tee "$OUT"
echo
echo "written to $OUT"
exit 0
