#!/bin/sh
# trial_cli.sh: `cart trial` and `cart scenario` end to end: the HDF5 file (bit-identical datasets
# for 1, 2 and 4 threads, and patient i the same for N = 10 and N = 1000), --force, an unwritable
# path failing before any solving, an interrupted run leaving complete = 0, bad scenarios.
. "$(dirname "$0")/harness.sh"
cart=${CART_BIN:-./src/cart}

# h5attr FILE NAME: a root attribute, printed by h5dump
h5attr() { h5dump -a "/$2" "$1" 2>/dev/null | sed -n 's/^ *(0): *//p' | tr -d '"'; }

# The default scenario prints and runs as it is.
"$cart" scenario >"$tmp/default.ini" && grep -q '^\[trial\]' "$tmp/default.ini" && ok || bad "cart scenario"

# A small trial from the printed default, 1, 2 and 4 threads, 2 blocks each.
for k in 1 2 4; do
  if "$cart" trial "$tmp/default.ini" -n 40 --seed 11 --threads $k --block 16 -o "$tmp/t$k.h5" \
      >"$tmp/out$k" 2>"$tmp/err$k"; then ok; else bad "trial with $k threads: $(cat "$tmp/err$k")"; fi
done
grep -q "complete response" "$tmp/out1" && ok || bad "no summary table"
# the per-endpoint table: a header, then a row per endpoint of cart (13) with its unit and n
grep -q "^  endpoint  *unit  *n  *mean  *p5  *p50  *p95$" "$tmp/out1" && ok || bad "no endpoint table"
[ "$(awk '$1 == "endpoint" { t = 1; next } t && NF == 7' "$tmp/out1" | wc -l)" -eq 13 ] && ok \
  || bad "not 13 endpoint rows: $(cat "$tmp/out1")"
awk '$1 == "crs_grade" && $2 == "1" && $3 == 40 { f = 1 } END { exit !f }' "$tmp/out1" && ok \
  || bad "no crs_grade row with n = 40"
grep -q "^cart: 40 patients in" "$tmp/err1" && ok || bad "no final progress line: $(cat "$tmp/err1")"
[ "$(h5attr "$tmp/t1.h5" complete)" = 1 ] && ok || bad "complete != 1"
[ "$(h5attr "$tmp/t1.h5" n_patients)" = 40 ] && ok || bad "n_patients"
[ "$(h5attr "$tmp/t1.h5" seed)" = 11 ] && ok || bad "seed"
for k in 2 4; do
  for d in /time /params /status /trajectories/Cblood /trajectories/tumour /trajectories/B \
           /trajectories/IL6 /trajectories/IL6s /endpoints/cmax /endpoints/auc28 /endpoints/response \
           /endpoints/relapse_day /endpoints/crs_grade /endpoints/crs_onset /summary; do
    h5diff -N "$tmp/t1.h5" "$tmp/t$k.h5" "$d" "$d" >/dev/null 2>&1 && ok || bad "$d differs between 1 and $k threads"
  done
done

# Patient i is the same in a run of 10 and of 1000 patients.
"$cart" trial "$tmp/default.ini" -n 10 --seed 11 -o "$tmp/n10.h5" >/dev/null 2>&1 && ok || bad "N = 10"
"$cart" trial "$tmp/default.ini" -n 1000 --seed 11 --threads 2 -o "$tmp/n1000.h5" >/dev/null 2>&1 && ok || bad "N = 1000"
if [ $have_h5py = 1 ]; then
  "$python" - "$tmp/n10.h5" "$tmp/n1000.h5" <<'PY' && ok || bad "patients 0-9 differ between N = 10 and N = 1000"
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
def same(x, y):
    return np.array_equal(x, y, equal_nan=True)
names = ["params", "status"] + ["trajectories/" + n for n in a["trajectories"]] + ["endpoints/" + n for n in a["endpoints"]]
sys.exit(0 if all(same(a[n][:10], b[n][:10]) for n in names) else 1)
PY
else
  echo "SKIP: N = 10 vs 1000 comparison needs python3-h5py"
fi

# An existing file is never overwritten without --force; with it, it is.
"$cart" trial "$tmp/default.ini" -n 5 -o "$tmp/t1.h5" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "exists (use --force" "$tmp/err" && ok || bad "existing file: $(cat "$tmp/err")"
[ "$(h5attr "$tmp/t1.h5" n_patients)" = 40 ] && ok || bad "existing file was touched"
"$cart" trial "$tmp/default.ini" -n 5 -o "$tmp/t1.h5" --force >/dev/null 2>&1 && \
  [ "$(h5attr "$tmp/t1.h5" n_patients)" = 5 ] && ok || bad "--force"

# An unwritable path fails before any solving (fast, even for a million patients).
start=$(date +%s)
"$cart" trial -n 1000000 -o "$tmp/no/such/dir/x.h5" >/dev/null 2>"$tmp/err"
status=$?
[ $status -ne 0 ] && grep -q "no/such/dir/x.h5" "$tmp/err" && [ $(( $(date +%s) - start )) -lt 5 ] && ok \
  || bad "unwritable path: status $status, $(cat "$tmp/err")"

# ... and says so in one line, with no HDF5 error stack or complaint at exit.
[ "$(wc -l <"$tmp/err")" -eq 1 ] && ! grep -q "HDF5" "$tmp/err" && ok \
  || bad "unwritable path: more than one line on stderr: $(cat "$tmp/err")"

# An output that is not a regular file is refused, even with --force, in one line (status 2) and
# left as it is: a FIFO, and a character device like /dev/null (a copy made here with mknod when
# we may: the real one must never be at risk), which used to take the whole trial (or, when the
# layout failed, be removed).
mkfifo "$tmp/fifo"
special="$tmp/fifo"
if mknod "$tmp/null" c 1 3 2>/dev/null; then special="$special $tmp/null"; else echo "SKIP: mknod (not root)"; fi
for f in $special; do
  "$cart" trial "$tmp/default.ini" -n 5 -o "$f" --force >"$tmp/out" 2>"$tmp/err"
  status=$?
  [ $status -eq 2 ] && [ "$(cat "$tmp/err")" = "cart: output '$f' is not a regular file" ] && \
    [ ! -s "$tmp/out" ] && ok || bad "$f as output: status $status, $(cat "$tmp/err")"
done
[ -p "$tmp/fifo" ] && ok || bad "the FIFO is gone or changed"
case $special in *null) [ -c "$tmp/null" ] && ok || bad "the character device is gone or changed" ;; esac

# A run cut short after one block: complete = 0, the block readable, the rest fill values.
"$cart" trial "$tmp/default.ini" -n 40 --seed 11 --block 16 --stop-after-blocks 1 -o "$tmp/cut.h5" >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "incomplete" "$tmp/err" && ok || bad "interrupted run: $(cat "$tmp/err")"
[ "$(h5attr "$tmp/cut.h5" complete)" = 0 ] && ok || bad "interrupted run has complete != 0"
if [ $have_h5py = 1 ]; then
  "$python" - "$tmp/cut.h5" "$tmp/t2.h5" <<'PY' && ok || bad "interrupted file content"
import sys, h5py, numpy as np
cut, full = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
s = cut["status"][:]
assert (s[:16] == full["status"][:16]).all() and (s[16:] == np.iinfo(np.int32).min).all(), s
assert np.array_equal(cut["trajectories/Cblood"][:16], full["trajectories/Cblood"][:16])
assert np.isnan(cut["trajectories/Cblood"][16:]).all() and np.isnan(cut["endpoints/cmax"][16:]).all()
assert "summary" not in cut
PY
fi

# A run killed (SIGKILL) or stopped by SIGINT or SIGTERM mid-run, and one that runs out of disk
# space, each leave a file h5py opens, complete = 0, holding every finished block (whole blocks,
# each as in a finished run). SIGINT and SIGTERM stop after the block under way, close the file
# and the command dies of the signal.
if [ $have_h5py = 1 ]; then
  "$cart" trial "$tmp/default.ini" -n 200 --seed 11 --block 20 -o "$tmp/ref.h5" >/dev/null 2>&1 || bad "reference run"
  for sig in KILL INT TERM; do
    # a script's background job starts with SIGINT ignored (and cart keeps it so): reset it
    "$python" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
      "$cart" trial "$tmp/default.ini" -n 6000 --seed 11 --block 20 --threads 1 -o "$tmp/$sig.h5" \
      >/dev/null 2>"$tmp/$sig.err" &
    pid=$!
    if wait_first_block "$tmp/$sig.h5"; then
      kill -"$sig" $pid
      wait $pid
      status=$?
      case $sig in
        KILL) expected=137 ;;
        INT) expected=130 ;;
        TERM) expected=143 ;;
      esac
      [ $status -eq $expected ] && ok || bad "SIG$sig: exit $status, not $expected: $(cat "$tmp/$sig.err")"
      if [ $sig != KILL ]; then
        grep -q "^cart: stopped after [0-9]* of 6000 patients: '.*$sig.h5' is incomplete (SIG$sig)" "$tmp/$sig.err" \
          && ok || bad "SIG$sig: $(cat "$tmp/$sig.err")"
      fi
      if check_incomplete "$tmp/$sig.h5" "$tmp/ref.h5" 20 20; then
        ok
      elif [ $sig = KILL ] && cp "$tmp/KILL.h5" "$tmp/KILL-repaired.h5" \
          && h5clear --increment=0 "$tmp/KILL-repaired.h5" \
          && check_incomplete "$tmp/KILL-repaired.h5" "$tmp/ref.h5" 20 20; then
        echo "SIGKILL came inside a flush (see below): h5clear --increment=0 repaired the file"
        ok
      else
        bad "SIG$sig: the file left"
      fi
    else
      kill -KILL $pid 2>/dev/null
      wait $pid
      bad "SIG$sig: the run wrote no block in 60 s: $(cat "$tmp/$sig.err")"
    fi
  done
  # A kill inside the flush that ends a block (tens of microseconds a block): HDF5 writes the
  # superblock, which holds the end of allocation (EOA), last, so the file can hold the new chunk
  # index while its EOA still ends before the new chunks, and HDF5 refuses to read them until
  # h5clear --increment=0 (hdf5-tools) sets the EOA to the file's end; then it holds every
  # finished block (cart(1), "FILES"). Made certain by a preloaded library that ends cart just
  # before the 6th superblock write, in the 5th flush (tests/kill_in_flush.c; not under the
  # sanitizers, whose runtime must come first in the preloads).
  if [ -n "${CART_SANITIZERS:-}" ]; then
    echo "SKIP: a kill inside a flush (a preloaded library) under the sanitizers"
  elif ${CC:-cc} -shared -fPIC -o "$tmp/kill_in_flush.so" "${CART_SRCDIR:-.}/tests/kill_in_flush.c" -ldl; then
    KILL_AT_SUPERBLOCK=6 LD_PRELOAD="$tmp/kill_in_flush.so" "$cart" trial "$tmp/default.ini" -n 400 \
      --seed 11 --block 20 --threads 1 -o "$tmp/flush.h5" >/dev/null 2>&1
    [ $? -eq 137 ] && ok || bad "the preloaded library did not end cart inside a flush"
    h5clear --increment=0 "$tmp/flush.h5" && check_incomplete "$tmp/flush.h5" "$tmp/ref.h5" 20 80 \
      && ok || bad "a kill inside a flush: not repaired by h5clear --increment=0"
  else
    bad "cannot compile tests/kill_in_flush.c"
  fi
  if small_disk; then
    "$cart" trial "$tmp/default.ini" -n 6000 --seed 11 --block 20 -o "$tmp/disk/full.h5" >/dev/null 2>"$tmp/err"
    status=$?
    # "cannot write patients FIRST-LAST of ...": the blocks before FIRST are the finished ones
    end=$(sed -n "s/^cart: cannot write patients \([0-9]*\)-.*'.*full.h5' is incomplete\$/\1/p" "$tmp/err")
    [ $status -eq 1 ] && [ -n "$end" ] && ok || bad "full disk: exit $status, $(cat "$tmp/err")"
    check_incomplete "$tmp/disk/full.h5" "$tmp/ref.h5" 20 20 "0:${end:-0}" && ok || bad "full disk: the file left"
    umount "$tmp/disk"
  else
    echo "SKIP: full-disk check: cannot mount a tmpfs here (needs root and a container that allows mounts)"
  fi
else
  echo "SKIP: killed, interrupted and full-disk runs need python3-h5py"
fi

# Every dataset, attribute and unit, read with h5py.
if [ $have_h5py = 1 ]; then
  "$python" - "$tmp/t2.h5" <<'PY' && ok || bad "h5py read-back"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
for a in ["libcart_version", "model", "scenario", "seed", "n_patients", "complete", "created"]:
    assert a in f.attrs, a
assert f.attrs["model"] == "cart" and f.attrs["complete"] == 1 and f.attrs["n_patients"] == 40
assert "[trial]" in f.attrs["scenario"] and "n_patients = 40" in f.attrs["scenario"]
assert f["time"].attrs["unit"] == "day" and f["time"][-1] == 365
names = [n.decode() if isinstance(n, bytes) else n for n in f["params"].attrs["names"]]
assert f["params"].shape == (40, len(names)) and "rho" in names and len(f["params"].attrs["units"]) == len(names)
units = {"Cblood": "cells/uL", "tumour": "cells", "B": "cells", "IL6": "pg/mL", "IL6s": "pg/mL"}
for n, u in units.items():
    d = f["trajectories"][n]
    assert d.shape == (40, f["time"].shape[0]) and d.dtype == np.float32 and d.attrs["unit"] == u, n
ints = {"response", "relapse_negative", "crs_grade", "toci_doses"}
for n in ["cmax", "tmax", "auc28", "tumour_nadir", "response", "relapse_day", "relapse_negative",
          "aplasia_days", "il6_peak", "il6s_peak", "crs_grade", "crs_onset", "toci_doses"]:
    d = f["endpoints"][n]
    assert d.shape == (40,) and "unit" in d.attrs, n
    assert d.dtype == (np.int32 if n in ints else np.float64), (n, d.dtype)
assert f["status"].dtype == np.int32 and (f["status"][:] == 0).all()
toci = f["events/toci_times"]
assert toci.attrs["unit"] == "day" and toci.shape[0] == 40 and toci.shape[1] >= 4
given = (~np.isnan(toci[:])).sum(axis=1)
assert (given == f["endpoints/toci_doses"][:]).all() and given.max() >= 1, given
s = f["summary"].attrs
for a in ["n_patients", "n_solved", "cr_rate", "orr_rate", "crs_any_rate", "crs_grade3_rate",
          "toci_rate", "cmax_p5", "cmax_p50", "cmax_p95", "tmax_p50", "auc28_p50", "aplasia_days_p50",
          "relapse_rate", "relapse_negative_rate"]:
    assert a in s, a
cmax = f["endpoints/cmax"][:]
assert abs(s["cmax_p50"] - np.percentile(cmax, 50)) <= 1e-12 * cmax.max()
assert abs(s["cr_rate"] - np.mean(f["endpoints/response"][:] == 2)) < 1e-15
# /summary/endpoints: every endpoint's summary against numpy (every patient solved here)
g = f["summary/endpoints"]
order = [n.decode() if isinstance(n, bytes) else n for n in g.attrs["names"]]
assert order[:3] == ["cmax", "tmax", "auc28"] and len(order) == 13, order
for n in order:
    v = f["endpoints"][n][:].astype(np.float64)
    if n in ints:
        v[v == -2147483648] = np.nan  # the fill value of a patient not solved
    v = v[~np.isnan(v)]
    a = g[n].attrs
    assert a["n_number"] == len(v) and a["unit"] == f["endpoints"][n].attrs["unit"], n
    scale = max(1.0, np.abs(v).max()) if len(v) else 1.0
    if len(v):
        assert abs(a["mean"] - v.mean()) <= 1e-13 * scale, (n, a["mean"], v.mean())
        for q in (5, 25, 50, 75, 95):
            assert abs(a["p%d" % q] - np.percentile(v, q)) <= 1e-12 * scale, (n, q)
    assert ("n_level" in a) == (n in ints) and ("n_above" in a) == (n in ints), n
    if n in ints:
        assert list(a["n_level"]) == [int((v == k).sum()) for k in range(9)], n
        assert a["n_above"] == int((v > 8).sum()), n
PY
else
  echo "SKIP: h5py read-back needs python3-h5py"
fi

# A model with only some of the oncology endpoints (stein: cmax, tmax, auc28) prints only their
# lines, then its own table of three; its file's /summary/endpoints holds those three.
printf '[trial]\nmodel = stein\n[times]\nhorizon = 60\nstep = 7\n' >"$tmp/stein.ini"
"$cart" trial "$tmp/stein.ini" -n 20 -o "$tmp/stein.h5" >"$tmp/stein.out" 2>"$tmp/err" && ok \
  || bad "stein trial: $(cat "$tmp/err")"
grep -q "response\|CRS\|tocilizumab\|aplasia\|relapse" "$tmp/stein.out" \
  && bad "stein prints endpoints it lacks: $(cat "$tmp/stein.out")" || ok
grep -q "^  cmax  .* copies/ug median (5-95%" "$tmp/stein.out" && ok || bad "no stein cmax line"
[ "$(awk '$1 == "endpoint" { t = 1; next } t && NF == 7' "$tmp/stein.out" | wc -l)" -eq 3 ] && ok \
  || bad "not 3 endpoint rows: $(cat "$tmp/stein.out")"
if [ $have_h5py = 1 ]; then
  "$python" - "$tmp/stein.h5" <<'PY' && ok || bad "stein's /summary/endpoints"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
g = f["summary/endpoints"]
assert sorted(g) == ["auc28", "cmax", "tmax"], list(g)
assert [n.decode() if isinstance(n, bytes) else n for n in g.attrs["names"]] == ["cmax", "tmax", "auc28"]
v = f["endpoints/auc28"][:]
assert g["auc28"].attrs["n_number"] == 20 and abs(g["auc28"].attrs["mean"] - v.mean()) <= 1e-13 * v.max()
PY
fi

# Bad input: one line, exit 2.
printf '[trial]\nmodel = cart\n[parameters]\nrhoo = 1\n' >"$tmp/bad.ini"
"$cart" trial "$tmp/bad.ini" -o "$tmp/bad.h5" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "bad.ini:4:" "$tmp/err" && [ ! -e "$tmp/bad.h5" ] && ok || bad "bad scenario: $(cat "$tmp/err")"
"$cart" trial "$tmp/missing.ini" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "missing.ini" "$tmp/err" && ok || bad "missing scenario file"
"$cart" trial -n 0 -o "$tmp/z.h5" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && ok || bad "-n 0"
"$cart" trial --threads x >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && ok || bad "--threads x"
for o in -o --output; do
  "$cart" trial -n 3 $o "" >/dev/null 2>"$tmp/err"
  [ $? -eq 2 ] && [ "$(cat "$tmp/err")" = "cart: $o: empty file name" ] && ok || bad "$o '': $(cat "$tmp/err")"
done
# A scenario is text up to 16 MiB: a NUL byte (the bad key after it was once silently ignored), a
# device that never ends, a directory and a larger file are refused, one line, exit 2.
printf '[trial]\nmodel = cart\nn_patients = 3\n\0[parameters]\nrhoo = 1\n' >"$tmp/nul.ini"
"$cart" trial "$tmp/nul.ini" -o "$tmp/nul.h5" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "^cart: scenario '.*nul.ini': NUL byte at offset 36" "$tmp/err" && [ ! -e "$tmp/nul.h5" ] \
  && ok || bad "NUL in a scenario: $(cat "$tmp/err")"
# (a 1 GB address-space cap shows the read is bounded; ASan reserves terabytes of shadow memory,
# so under the sanitizers the timeout alone has to show it)
if [ -n "${CART_SANITIZERS:-}" ]; then
  timeout 20 "$cart" trial /dev/zero -o "$tmp/zero.h5" >/dev/null 2>"$tmp/err"
else
  (ulimit -v 1000000; timeout 20 "$cart" trial /dev/zero -o "$tmp/zero.h5") >/dev/null 2>"$tmp/err"
fi
[ $? -eq 2 ] && grep -q "^cart: scenario '/dev/zero': NUL byte at offset 0" "$tmp/err" && ok \
  || bad "/dev/zero: $(cat "$tmp/err")"
"$cart" trial "$tmp" -o "$tmp/dir.h5" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "^cart: scenario '$tmp' is a directory$" "$tmp/err" && ok || bad "directory: $(cat "$tmp/err")"
yes '# a comment line' | head -c 17000000 >"$tmp/big.ini"
"$cart" trial "$tmp/big.ini" -o "$tmp/big.h5" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "^cart: scenario '.*big.ini' is larger than 16 MiB$" "$tmp/err" && ok \
  || bad "17 MB scenario: $(cat "$tmp/err")"
rm -f "$tmp/big.ini"

# More patients than their data can address (2^61, 2^63): refused at once, nothing written.
for n in 2305843009213693952 9223372036854775808; do
  start=$(date +%s)
  "$cart" trial -n $n -o "$tmp/huge.h5" >/dev/null 2>"$tmp/err"
  [ $? -eq 2 ] && grep -q "^cart: $n patients are too many" "$tmp/err" && [ "$(wc -l <"$tmp/err")" -eq 1 ] \
    && [ ! -e "$tmp/huge.h5" ] && [ $(( $(date +%s) - start )) -lt 5 ] && ok || bad "-n $n: $(cat "$tmp/err")"
done
printf '[trial]\nmodel = cart\nn_patients = 2305843009213693952\n' >"$tmp/huge.ini"
"$cart" trial "$tmp/huge.ini" -o "$tmp/huge.h5" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "huge.ini:3: .*too many" "$tmp/err" && [ ! -e "$tmp/huge.h5" ] && ok \
  || bad "n_patients = 2^61 in a scenario: $(cat "$tmp/err")"

# examples/zuma1-5y.ini is the built-in default with a five-year horizon and nothing else: the
# two cannot drift apart (its three header lines aside).
src=${CART_SRCDIR:-.}
tail -n +4 "$src/examples/zuma1-5y.ini" | sed 's/^horizon = 1825$/horizon = 365/' >"$tmp/5y.ini"
"$cart" scenario >"$tmp/default.ini"
cmp -s "$tmp/5y.ini" "$tmp/default.ini" && ok || bad "examples/zuma1-5y.ini differs from cart scenario beyond its horizon"

finish
