#!/bin/sh
# mpi_scaling.sh BUILDDIR: cart-mpi's weak and strong scaling over 1 and 2 ranks (one OpenMP
# thread each: OMP_NUM_THREADS=1, --threads 1) and its HDF5 write rate, on this machine.
#
#   weak:   N = PER_RANK patients per rank (default 4000): 1 rank N = 4000, 2 ranks N = 8000;
#           efficiency = wall(1 rank) / wall(2 ranks)
#   strong: N = STRONG_N (default 6000) on 1 and 2 ranks; efficiency = wall(1) / (2 wall(2))
#   serial: `cart trial --threads 1` with the weak N, for the cost of the MPI layer itself
#   write:  the same runs' `--timing` line: bytes of the rows written (uncompressed) over the
#           longest time a rank spent in the collective writes (all ranks meet in a barrier
#           before each write, so waiting for slower ranks is not counted); plus a write-heavy
#           trial (daily output: 366 times instead of 54, 6.8x the trajectory bytes) on 2 ranks.
# Every point is run ROUNDS times (default 3), interleaved; the table gives medians. Blocks of
# BLOCK patients (default 1000). patients/s = N / the run's wall time inside cart-mpi (from the
# scenario read to the file closed: MPI start-up and process launch left out).
#
# Then a paper estimate for 1e8 patients on 64 nodes from the measured per-core rate, the
# measured write rate and the measured file bytes per patient, for one rank per node and one rank
# per core (assumptions printed with it; CORES_PER_NODE, default 64; FS_MB_S, an assumed parallel
# file system rate, default 1000; SORT_1E7_S, the summary's sort of 1e7 doubles, 1.9 s here).
#
# Output: printed and written to bench/out/mpi-scaling-<date>.txt; APPEND=1 also appends the
# tables to bench/RESULTS.md.
set -u

if [ $# -lt 1 ] || [ ! -x "$1/src/cart-mpi" ]; then
  echo "usage: sh bench/mpi_scaling.sh BUILDDIR  (a build configured with MPI: BUILDDIR/src/cart-mpi)" >&2
  exit 2
fi
BUILDDIR=$(cd "$1" && pwd)
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-3}
PER_RANK=${PER_RANK:-4000}
STRONG_N=${STRONG_N:-6000}
BLOCK=${BLOCK:-1000}
CORES_PER_NODE=${CORES_PER_NODE:-64}
FS_MB_S=${FS_MB_S:-1000}
SORT_1E7_S=${SORT_1E7_S:-1.9} # glibc qsort of 1e7 doubles with the summary's comparison, timed here
CART=$BUILDDIR/src/cart
CART_MPI=$BUILDDIR/src/cart-mpi
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$SRCDIR/bench/out"
OUT=$SRCDIR/bench/out/mpi-scaling-$STAMP.txt
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cart-mpi-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
LOG=$TMP/lines.txt
: >"$LOG"
COMMAND="ROUNDS=$ROUNDS PER_RANK=$PER_RANK STRONG_N=$STRONG_N BLOCK=$BLOCK sh bench/mpi_scaling.sh $BUILDDIR"
export OMP_NUM_THREADS=1
# Containers often refuse shared-memory single copy (CMA) between ranks: plain copies.
export OMPI_MCA_btl_vader_single_copy_mechanism=none

"$CART" scenario >"$TMP/default.ini"
sed 's/^step = 7$/step = 1/' "$TMP/default.ini" >"$TMP/daily.ini"

# point LABEL NP N SCENARIO: one cart-mpi run; appends its timing line, labelled, to $LOG.
point() {
  label=$1
  np=$2
  n=$3
  scenario=$4
  rm -f "$TMP/x.h5"
  if timeout 900 mpirun --allow-run-as-root --oversubscribe -np "$np" "$CART_MPI" trial "$scenario" \
      -n "$n" --seed 1 --threads 1 --block "$BLOCK" --timing -o "$TMP/x.h5" >"$TMP/out" 2>"$TMP/err"; then
    line=$(sed -n 's/^cart-mpi: timing //p' "$TMP/err")
    echo "point=$label $line" | tee -a "$LOG"
  else
    echo "  (failed: $label, $np ranks, N $n)"
    tail -3 "$TMP/err" | sed 's/^/    /'
  fi
}

# serial N: `cart trial` with one thread, its own patients/s line.
serial() {
  rm -f "$TMP/x.h5"
  start=$(date +%s.%N)
  "$CART" trial "$TMP/default.ini" -n "$1" --seed 1 --threads 1 --block "$BLOCK" -o "$TMP/x.h5" \
    >/dev/null 2>"$TMP/err"
  end=$(date +%s.%N)
  echo "point=serial ranks=1 threads=1 patients=$1 wall_s=$(echo "$start $end" | awk '{ printf "%.3f", $2 - $1 }') file_bytes=$(stat -c %s "$TMP/x.h5")" | tee -a "$LOG"
}

main() {
  echo "# cart-mpi scaling, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "command:  $COMMAND"
  echo "machine:  nproc $(nproc --all), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
       "$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)," \
       "$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
  echo "MPI:      $(mpirun --version 2>/dev/null | head -1), HDF5 $(pkg-config --modversion hdf5-openmpi 2>/dev/null || echo '?') (openmpi build)"
  echo "output:   $TMP (df: $(df -h "$TMP" | awk 'NR == 2 { print $1 ", " $2 }'))"
  echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) at start"
  echo
  echo "## raw lines"
  r=1
  while [ "$r" -le "$ROUNDS" ]; do
    echo "# round $r"
    serial "$PER_RANK"
    point weak1 1 "$PER_RANK" "$TMP/default.ini"
    point weak2 2 $((2 * PER_RANK)) "$TMP/default.ini"
    point strong1 1 "$STRONG_N" "$TMP/default.ini"
    point strong2 2 "$STRONG_N" "$TMP/default.ini"
    point daily2 2 "$STRONG_N" "$TMP/daily.ini"
    r=$((r + 1))
  done
  echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) at end"
  echo
  report <"$LOG"
}

report() {
  awk -v cores="$CORES_PER_NODE" -v fs="$FS_MB_S" -v sort1e7="$SORT_1E7_S" '
  function med(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  {
    delete f
    for (i = 1; i <= NF; i++) { eq = index($i, "="); if (eq) f[substr($i, 1, eq - 1)] = substr($i, eq + 1) }
    p = f["point"]
    if (!(p in n)) order[++np] = p
    n[p] = f["patients"]; ranks[p] = f["ranks"]
    wall[p] = wall[p] " " f["wall_s"]; fb[p] = f["file_bytes"]
    if ("write_s" in f) {
      solve[p] = solve[p] " " f["solve_s"]; write[p] = write[p] " " f["write_s"]; bytes[p] = f["bytes"]
      rate[p] = rate[p] " " f["write_MB_per_s"]
    }
  }
  function row(p, what, eff) {
    w = med(wall[p])
    printf "| %s | %d | %d | %.2f | %.0f | %.0f | %s | %s | %s | %.1f |\n", what, ranks[p], n[p], w, n[p] / w, n[p] / w / ranks[p], eff,
      (p in solve) ? sprintf("%.2f", med(solve[p])) : "-", (p in write) ? sprintf("%.3f", med(write[p])) : "-",
      fb[p] / n[p]
  }
  END {
    print "## weak and strong scaling (OMP_NUM_THREADS=1, medians)"
    print ""
    print "| run | ranks | N | wall s | patients/s | per rank | efficiency | solve s (max) | write s (max) | file bytes/patient |"
    print "|---|---|---|---|---|---|---|---|---|---|"
    row("serial", "serial cart trial", "-")
    row("weak1", "weak", "1")
    row("weak2", "weak", sprintf("%.2f", med(wall["weak1"]) / med(wall["weak2"])))
    row("strong1", "strong", "1")
    row("strong2", "strong", sprintf("%.2f", med(wall["strong1"]) / (2 * med(wall["strong2"]))))
    row("daily2", "write-heavy (daily output)", "-")
    print ""
    print "## HDF5 write rate (collective, deflate 4, uncompressed row bytes / longest write time)"
    print ""
    print "| run | ranks | N | row bytes/patient | MB written | write s (max) | MB/s |"
    print "|---|---|---|---|---|---|---|"
    split("weak1 weak2 strong1 strong2 daily2", pts, " ")
    for (i = 1; i <= 5; i++) {
      p = pts[i]
      printf "| %s | %d | %d | %.0f | %.1f | %.3f | %.1f |\n", p, ranks[p], n[p], bytes[p] / n[p], bytes[p] / 1e6, med(write[p]), med(rate[p])
    }
    print ""
    # the estimate
    percore = n["strong1"] / med(wall["strong1"])
    rowb = bytes["strong1"] / n["strong1"]; fileb = fb["strong2"] / n["strong2"]
    perrank = med(rate["strong1"])
    N = 1e8; nodes = 64; c = nodes * cores
    solve_s = N / (c * percore)
    fs_s = N * fileb / (fs * 1e6)
    sort_s = 4 * sort1e7 * (N / 1e7) * log(N) / log(1e7)
    print "## paper estimate: 1e8 patients on 64 nodes"
    print ""
    printf "Assumptions: %d cores per node (%d cores); each core solves the default scenario at the rate of\n", cores, c
    printf "one rank here (%.0f patients/s, strong1: its wall time, writes included), and the patients scale\n", percore
    printf "perfectly (they are independent; ranks differ by at most one block). The rows as measured here:\n"
    printf "%.0f bytes per patient uncompressed, %.0f in the file (shuffle + deflate 4), a %.0f GB file. A\n", rowb, fileb, N * fileb / 1e9
    printf "rank writes (compresses its own chunks, MPI-IO, the flush after each block) at %.1f MB/s of rows\n", perrank
    printf "(strong1); each rank compresses its own chunks, so this scales with the ranks (here 2 ranks took\n"
    printf "%.2f of 1 rank\047s write time for the same rows: strong2 / strong1), up to the file\n", med(write["strong2"]) / med(write["strong1"])
    printf "system, taken as %d MB/s for the file bytes (an assumed parallel file system; the local disk\n", fs
    printf "here is not a measure of it). Writing alternates with solving (no overlap). The summary: rank 0\n"
    printf "sorts 4 columns of 1e8 doubles (qsort, %.1f s per 1e7 here) and keeps 3.2 GB.\n", sort1e7
    print ""
    print "| layout | solving | writing | summary | total |"
    print "|---|---|---|---|---|"
    for (k = 1; k <= 2; k++) {
      R = k == 1 ? nodes : c
      name = k == 1 ? sprintf("%d ranks (1 per node) x %d threads", R, cores) : sprintf("%d ranks (1 per core) x 1 thread", R)
      comp_s = N * rowb / (R * perrank * 1e6)
      w = (comp_s > fs_s) ? comp_s : fs_s
      printf "| %s | %.0f s | %.0f s (%s) | %.0f s | **%.1f min** |\n", name, solve_s, w, (comp_s > fs_s ? "compression-bound" : "file-system-bound"), sort_s, (solve_s + w + sort_s) / 60
    }
  }'
}

if [ "${REPORT_ONLY:-}" != "" ]; then # re-render the tables from a results file's raw lines
  grep '^point=' "$REPORT_ONLY" | report
  exit 0
fi
main 2>&1 | tee "$OUT"
echo
echo "written to $OUT"
if [ "${APPEND:-0}" = 1 ]; then
  {
    echo
    echo "# MPI scaling (cart-mpi), $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "    cd $SRCDIR && $COMMAND"
    echo
    echo "Raw output: \`bench/out/$(basename "$OUT")\`. $(sed -n 's/^machine:  //p' "$OUT"); $(sed -n 's/^MPI:      //p' "$OUT")."
    echo
    sed -n '/^## weak and strong/,$p' "$OUT"
  } >>"$SRCDIR/bench/RESULTS.md"
  echo "appended to $SRCDIR/bench/RESULTS.md"
fi
exit 0
