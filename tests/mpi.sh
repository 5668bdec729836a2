#!/bin/sh
# mpi.sh: `cart-mpi trial` under mpirun (configure --with-mpi): every dataset bit-identical to the
# serial `cart trial` for 1, 2 and 3 ranks and 1 and 2 threads per rank (N = 37 in blocks of 5:
# 8 blocks, so 3 ranks get 3, 3 and 2), the summary the same; an existing output without --force,
# a bad scenario, a run stopped on purpose, a rank failing on purpose, a rank killed mid-run and a
# full disk (the last two leave a file h5py opens, complete = 0, every finished block in it). Every
# mpirun is bounded by
# `timeout`: a hang fails the test instead of blocking make check. Skipped (77) when cart-mpi was
# not built.
set -u
cart=${CART_BIN:-./src/cart}
cart_mpi=${CART_MPI_BIN:-./src/cart-mpi}
if [ ! -x "$cart_mpi" ]; then
  echo "SKIP: cart-mpi was not built (configure found no mpicc or no hdf5-openmpi, or --with-mpi=no)"
  exit 77
fi
if ! command -v mpirun >/dev/null 2>&1; then
  echo "SKIP: cart-mpi was built but mpirun is not on PATH (Debian: apt-get install openmpi-bin)"
  exit 77
fi
. "$(dirname "$0")/harness.sh"

# Under --enable-sanitizers, LeakSanitizer reports what Open MPI leaves allocated at exit (in
# libmpi and its plugins, not ours); AddressSanitizer and UBSan still check cart-mpi.
if [ -n "${CART_SANITIZERS:-}" ]; then
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
  export ASAN_OPTIONS
fi
# Root in a container (CI) needs --allow-run-as-root; this 2-core machine needs --oversubscribe
# for 3 ranks. Shared-memory single copy (CMA) is often refused in containers: plain copies.
OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_btl_vader_single_copy_mechanism
# mpirun_bounded SECONDS NP ARGS...: cart-mpi on NP ranks, killed if it runs past SECONDS.
mpirun_bounded() {
  seconds=$1
  np=$2
  shift 2
  timeout "$seconds" mpirun --allow-run-as-root --oversubscribe -np "$np" "$cart_mpi" "$@"
}
# children PID: the processes whose parent is PID (from /proc: no procps needed)
children() { awk -v parent="$1" '$4 == parent { print $1 }' /proc/[0-9]*/stat 2>/dev/null; }
# h5attr FILE NAME: a root attribute, printed by h5dump
h5attr() { h5dump -a "/$2" "$1" 2>/dev/null | sed -n 's/^ *(0): *//p' | head -1 | tr -d '"'; }

# The declared MPI build: libcart links no MPI, and cart-mpi (over libcart_mpi) loads neither
# libcart.so nor the serial HDF5: one HDF5, the parallel one, in the process.
if command -v ldd >/dev/null 2>&1 && [ -n "${CART_BUILDDIR:-}" ] && [ -f "$CART_BUILDDIR/src/.libs/cart-mpi" ]; then
  ldd "$CART_BUILDDIR/lib/.libs/libcart.so" | grep -q "libmpi" && bad "libcart.so links MPI" || ok
  deps=$(LD_LIBRARY_PATH="$CART_BUILDDIR/lib/.libs" ldd "$CART_BUILDDIR/src/.libs/cart-mpi")
  echo "$deps" | grep -q "libcart_mpi\.so" && ok || bad "cart-mpi does not load libcart_mpi: $deps"
  echo "$deps" | grep -q "libcart\.so" && bad "cart-mpi loads libcart.so: $deps" || ok
  [ "$(echo "$deps" | grep -c "libhdf5")" = 1 ] && ok || bad "cart-mpi does not load exactly one HDF5: $deps"
else
  echo "SKIP: library dependencies (needs ldd and a libtool build tree)"
fi

"$cart" scenario >"$tmp/default.ini" || bad "cart scenario"
common="-n 37 --seed 11 --block 5"
# shellcheck disable=SC2086
"$cart" trial "$tmp/default.ini" $common --threads 1 -o "$tmp/serial.h5" >"$tmp/serial.out" 2>"$tmp/serial.err" \
  && ok || bad "serial trial: $(cat "$tmp/serial.err")"
datasets=$(h5ls -r "$tmp/serial.h5" | awk '$2 == "Dataset" { print $1 }')
n_datasets=$(echo "$datasets" | wc -w)
[ "$n_datasets" -ge 20 ] && ok || bad "only $n_datasets datasets in the serial file"

# 1, 2 and 3 ranks, 1 and 2 threads each: every dataset and the summary as the serial run's.
for np in 1 2 3; do
  for k in 1 2; do
    out=$tmp/r${np}t$k.h5
    # shellcheck disable=SC2086
    if mpirun_bounded 120 "$np" trial "$tmp/default.ini" $common --threads "$k" -o "$out" \
        >"$tmp/r${np}t$k.out" 2>"$tmp/r${np}t$k.err"; then ok; else
      bad "$np ranks x $k threads: exit $?: $(cat "$tmp/r${np}t$k.err")"
      continue
    fi
    differ=""
    for d in $datasets; do
      h5diff -N "$tmp/serial.h5" "$out" "$d" "$d" >/dev/null 2>&1 || differ="$differ $d"
    done
    [ -z "$differ" ] && ok || bad "$np ranks x $k threads: datasets differ from the serial run:$differ"
    h5diff "$tmp/serial.h5" "$out" /summary /summary >/dev/null 2>&1 && ok \
      || bad "$np ranks x $k threads: /summary attributes differ"
    [ "$(h5attr "$out" complete)" = 1 ] && ok || bad "$np ranks x $k threads: complete != 1"
    [ "$(h5attr "$out" n_patients)" = 37 ] && ok || bad "$np ranks x $k threads: n_patients"
    # the summary table, but for the file name in its first line
    sed 1d "$tmp/serial.out" >"$tmp/a" && sed 1d "$tmp/r${np}t$k.out" >"$tmp/b" && cmp -s "$tmp/a" "$tmp/b" \
      && ok || bad "$np ranks x $k threads: summary table differs: $(diff "$tmp/a" "$tmp/b")"
    grep -q "^cart-mpi: 37 patients in .* $np ranks x $k threads" "$tmp/r${np}t$k.err" && ok \
      || bad "$np ranks x $k threads: no final progress line: $(cat "$tmp/r${np}t$k.err")"
  done
done
echo "compared $n_datasets datasets:" $datasets

# Other scenarios on 3 ranks: high_burden (fixed tocilizumab doses), the two-antigen model cart2
# and the arms of a vein-to-vein time with drop-out (a seeded draw per patient).
printf '[trial]\nmodel = cart2\nn_patients = 23\nseed = 5\n' >"$tmp/cart2.ini"
for scenario in "$CART_SRCDIR/examples/high_burden.ini" "$tmp/cart2.ini" \
    "$CART_SRCDIR/examples/vein_to_vein_arms.ini"; do
  name=$(basename "$scenario" .ini)
  "$cart" trial "$scenario" -n 23 --block 4 -o "$tmp/$name-serial.h5" >/dev/null 2>&1 || bad "$name: serial run"
  if mpirun_bounded 120 3 trial "$scenario" -n 23 --block 4 -o "$tmp/$name-mpi.h5" >/dev/null 2>"$tmp/err"; then
    differ=""
    for d in $(h5ls -r "$tmp/$name-serial.h5" | awk '$2 == "Dataset" { print $1 }'); do
      h5diff -N "$tmp/$name-serial.h5" "$tmp/$name-mpi.h5" "$d" "$d" >/dev/null 2>&1 || differ="$differ $d"
    done
    [ -z "$differ" ] && ok || bad "$name, 3 ranks: datasets differ from the serial run:$differ"
  else
    bad "$name, 3 ranks: $(cat "$tmp/err")"
  fi
done

# Two arms on the same patients (examples/dose_ranging_arms.ini, a patients table): every arm's
# datasets and summary on 1, 2 and 3 ranks and 1 and 2 threads as the serial run's.
arms=$CART_SRCDIR/examples/dose_ranging_arms.ini
"$cart" trial "$arms" -n 13 --block 3 --threads 1 -o "$tmp/arms-serial.h5" >"$tmp/arms-serial.out" 2>&1 \
  || bad "arms: serial run: $(cat "$tmp/arms-serial.out")"
arm_sets=$(h5ls -r "$tmp/arms-serial.h5" | awk '$2 == "Dataset" && $1 ~ /^\/arms\// { print $1 }')
[ "$(echo "$arm_sets" | grep -c '^/arms/low/')" -ge 10 ] && [ "$(echo "$arm_sets" | grep -c '^/arms/high/')" -ge 10 ] \
  && ok || bad "arms: the datasets of both arms are not in the serial file: $arm_sets"
for np in 1 2 3; do
  for k in 1 2; do
    out=$tmp/arms-r${np}t$k.h5
    if mpirun_bounded 120 "$np" trial "$arms" -n 13 --block 3 --threads "$k" -o "$out" \
        >"$tmp/arms.out" 2>"$tmp/err"; then ok; else
      bad "arms, $np ranks x $k threads: $(cat "$tmp/err")"
      continue
    fi
    # shellcheck disable=SC2086
    differ=$(differing "$tmp/arms-serial.h5" "$out" $arm_sets /arms/low/summary /arms/high/summary)
    [ -z "$differ" ] && ok || bad "arms, $np ranks x $k threads: differ from the serial run:$differ"
    [ "$(h5attr "$out" complete)" = 1 ] && ok || bad "arms, $np ranks x $k threads: complete != 1"
    grep -q "^arms side by side" "$tmp/arms.out" && ok || bad "arms, $np ranks: no side-by-side table"
  done
done

# --event-table: rank 0 adds the table's doses to the scenario as cart trial does; a refused table
# stops every rank with status 2
printf 'time,amt,cmt,ii,addl\n14,1e8,cart,,\n3,8,toci,0.5,1\n' >"$tmp/events.csv"
"$cart" trial "$tmp/default.ini" -n 9 --block 3 --event-table "$tmp/events.csv" -o "$tmp/events-serial.h5" \
  >/dev/null 2>&1 || bad "--event-table: serial run"
if mpirun_bounded 120 2 trial "$tmp/default.ini" -n 9 --block 3 --event-table "$tmp/events.csv" \
    -o "$tmp/events-mpi.h5" >/dev/null 2>"$tmp/err"; then
  differ=$(differing "$tmp/events-serial.h5" "$tmp/events-mpi.h5" /params /status /events/toci_times \
    /endpoints /trajectories)
  [ -z "$differ" ] && ok || bad "--event-table, 2 ranks: differ from the serial run:$differ"
else
  bad "--event-table, 2 ranks: $(cat "$tmp/err")"
fi
printf 'time,amt,cmt,evid\n7,0,cart,0\n' >"$tmp/observations.csv"
mpirun_bounded 120 2 trial "$tmp/default.ini" -n 9 --event-table "$tmp/observations.csv" \
  -o "$tmp/events-bad.h5" >/dev/null 2>"$tmp/err"
[ $? -ne 0 ] && grep -q "^cart-mpi: --event-table: .*observations.csv line 2: observation rows" "$tmp/err" \
  && [ ! -e "$tmp/events-bad.h5" ] && ok || bad "--event-table with an observation row: $(cat "$tmp/err")"

# The default block size: N / ranks, at most 4096 (every rank gets work); same datasets.
mpirun_bounded 120 2 trial "$tmp/default.ini" -n 37 --seed 11 -o "$tmp/default_block.h5" >/dev/null 2>&1 \
  && h5diff -N "$tmp/serial.h5" "$tmp/default_block.h5" /params /params >/dev/null 2>&1 \
  && h5diff -N "$tmp/serial.h5" "$tmp/default_block.h5" /trajectories/Cblood /trajectories/Cblood >/dev/null 2>&1 \
  && ok || bad "default block size"

# An existing output is never overwritten without --force: message on stderr, exit 2.
mpirun_bounded 60 2 trial "$tmp/default.ini" -n 5 -o "$tmp/r2t1.h5" >/dev/null 2>"$tmp/err"
status=$?
[ $status -eq 2 ] && grep -q "^cart-mpi: output file '.*r2t1.h5' exists (use --force" "$tmp/err" && ok \
  || bad "existing file: exit $status, $(cat "$tmp/err")"
[ "$(h5attr "$tmp/r2t1.h5" n_patients)" = 37 ] && ok || bad "existing file was touched"
mpirun_bounded 60 2 trial "$tmp/default.ini" -n 5 -o "$tmp/r2t1.h5" --force >/dev/null 2>&1 \
  && [ "$(h5attr "$tmp/r2t1.h5" n_patients)" = 5 ] && ok || bad "--force"

# A bad scenario line: one message from rank 0, exit 2, no file.
printf '[trial]\nmodel = cart\n[parameters]\nrhoo = 1\n' >"$tmp/bad.ini"
mpirun_bounded 60 3 trial "$tmp/bad.ini" -o "$tmp/bad.h5" >/dev/null 2>"$tmp/err"
status=$?
[ $status -eq 2 ] && [ "$(grep -c "bad.ini:4:" "$tmp/err")" = 1 ] && [ ! -e "$tmp/bad.h5" ] && ok \
  || bad "bad scenario: exit $status, $(cat "$tmp/err")"
mpirun_bounded 60 2 trial --threads x >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "^cart-mpi: --threads x" "$tmp/err" && ok || bad "--threads x: $(cat "$tmp/err")"
mpirun_bounded 60 2 trial -n 10 -o "$tmp/no/such/dir/x.h5" >/dev/null 2>"$tmp/err"
status=$?
[ $status -eq 1 ] && grep -q "no/such/dir/x.h5" "$tmp/err" && ok || bad "unwritable path: exit $status, $(cat "$tmp/err")"

# Output that cannot be written (/dev/full): exit 1 and the reason, as cart does. Run as an MPI
# singleton: under mpirun, standard output goes through mpirun's forwarding, which drops a failed
# write without telling the ranks (cart-mpi(1) says so).
if [ -w /dev/full ]; then
  timeout 120 "$cart_mpi" trial "$tmp/default.ini" -n 5 -o "$tmp/full.h5" --force >/dev/full 2>"$tmp/err"
  status=$?
  [ $status -eq 1 ] && grep -q "No space left on device" "$tmp/err" && ok \
    || bad "stdout /dev/full: exit $status, $(cat "$tmp/err")"
fi

# A run stopped on purpose after 2 rounds (3 ranks: blocks 0-1, 3-4, 6-7 written): exit 1,
# complete = 0, the written rows as the serial run's, the others fill values.
# shellcheck disable=SC2086
mpirun_bounded 60 3 trial "$tmp/default.ini" $common --stop-after-blocks 2 -o "$tmp/cut.h5" >/dev/null 2>"$tmp/err"
status=$?
[ $status -eq 1 ] && grep -q "stopped after 27 of 37 patients: '.*cut.h5' is incomplete" "$tmp/err" && ok \
  || bad "stopped run: exit $status, $(cat "$tmp/err")"
[ "$(h5attr "$tmp/cut.h5" complete)" = 0 ] && ok || bad "stopped run has complete != 0"
if [ $have_h5py = 1 ]; then
  "$python" - "$tmp/cut.h5" "$tmp/serial.h5" <<'PY' && ok || bad "stopped run: file content"
import sys, h5py, numpy as np
cut, full = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
written = np.zeros(37, bool)
for first in (0, 5, 15, 20, 30, 35):   # blocks 0, 1 / 3, 4 / 6, 7
    written[first:first + 5] = True
s = cut["status"][:]
assert (s[written] == full["status"][:][written]).all() and (s[~written] == np.iinfo(np.int32).min).all(), s
c = cut["trajectories/Cblood"][:]
assert np.array_equal(c[written], full["trajectories/Cblood"][:][written])
assert np.isnan(c[~written]).all() and np.isnan(cut["endpoints/cmax"][:][~written]).all()
assert "summary" not in cut
PY
else
  echo "SKIP: stopped-run content check needs python3-h5py"
fi

# A rank that fails after the file exists (on purpose, --fail-on-rank: rank 2 asks to stop after
# its first block, alone): every rank agrees, rank 0 reports rank 2's message, status 1,
# complete = 0, no hang.
# shellcheck disable=SC2086
mpirun_bounded 60 3 trial "$tmp/default.ini" $common --fail-on-rank 2 -o "$tmp/failed.h5" >/dev/null 2>"$tmp/err"
status=$?
[ $status -eq 1 ] && grep -q "^cart-mpi: rank 2: stopped after 15 of 37 patients: '.*failed.h5' is incomplete (--fail-on-rank)" "$tmp/err" && ok \
  || bad "failing rank: exit $status, $(cat "$tmp/err")"
[ "$(h5attr "$tmp/failed.h5" complete)" = 0 ] && ok || bad "failing rank: complete != 0"

# A rank killed mid-run (SIGKILL once the file holds a block): mpirun ends the job with a
# non-zero status (not the timeout's 124), and the file opens with h5py, complete = 0, its
# finished rows in whole blocks as in the serial run (check_incomplete, harness.sh). 100,000
# patients, about 20 s on two ranks here, so that the run outlasts the wait for its first block
# under distcheck's load (20,000 once ended, in 9 s, before h5dump had read a block).
"$cart" trial "$tmp/default.ini" -n 100 --seed 3 --block 20 -o "$tmp/ref3.h5" >/dev/null 2>&1 || bad "reference run"
timeout 120 mpirun --allow-run-as-root --oversubscribe -np 2 "$cart_mpi" trial "$tmp/default.ini" \
  -n 100000 --seed 3 --block 20 -o "$tmp/killed.h5" >/dev/null 2>"$tmp/killed.err" &
timeout_pid=$!
# the writer holds no lock (MPI-IO), so h5dump may read the file as it grows
wait_first_block "$tmp/killed.h5"
first_row=$(first_status "$tmp/killed.h5")
mpirun_pid=$(children "$timeout_pid" | head -1)
victim=""
[ -n "$mpirun_pid" ] && victim=$(children "$mpirun_pid" | tail -1)
if [ "$first_row" = 0 ] && [ -n "$victim" ]; then
  kill -KILL "$victim"
  wait "$timeout_pid"
  status=$?
  [ $status -ne 0 ] && [ $status -ne 124 ] && ok || bad "killed rank: mpirun exit $status: $(cat "$tmp/killed.err")"
  [ "$(h5attr "$tmp/killed.h5" complete)" = 0 ] && ok || bad "killed rank: complete != 0"
  if [ $have_h5py = 1 ]; then
    check_incomplete "$tmp/killed.h5" "$tmp/ref3.h5" 20 20 && ok || bad "killed rank: the file left"
  else
    [ "$(first_status "$tmp/killed.h5")" = 0 ] && ok || bad "killed rank: the first block is not readable"
  fi
else
  wait "$timeout_pid"
  bad "killed rank: the run wrote no block (row 0: '$first_row') or ended before the kill: $(cat "$tmp/killed.err")"
fi

# Out of disk space (a 1 MiB tmpfs) on 2 ranks: every rank agrees on the failed write, exit 1 and
# one message; the file opens with h5py, complete = 0, holding exactly the rounds written before
# it: rank 0's blocks from patient 0 and rank 1's from patient 3000, as many of each.
if small_disk; then
  mpirun_bounded 120 2 trial "$tmp/default.ini" -n 6000 --seed 3 --block 20 -o "$tmp/disk/full.h5" \
    >/dev/null 2>"$tmp/err"
  status=$?
  end=$(sed -n "s/^cart-mpi: \(rank 1: \)\{0,1\}cannot write patients \([0-9]*\)-.*'.*full.h5' is incomplete\$/\2/p" "$tmp/err")
  [ $status -eq 1 ] && [ -n "$end" ] && [ "$(grep -c "^cart-mpi:" "$tmp/err")" = 1 ] && ok \
    || bad "full disk: exit $status, $(cat "$tmp/err")"
  [ "${end:-0}" -ge 3000 ] && end=$((end - 3000)) # rank 1's block: the same round
  if [ $have_h5py = 1 ]; then
    check_incomplete "$tmp/disk/full.h5" "$tmp/ref3.h5" 20 20 "0:${end:-0},3000:$((3000 + ${end:-0}))" \
      && ok || bad "full disk: the file left"
  fi
  umount "$tmp/disk"
else
  echo "SKIP: full-disk check: cannot mount a tmpfs here (needs root and a container that allows mounts)"
fi

finish
