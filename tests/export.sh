#!/bin/sh
# export.sh: `cart export FILE.h5 --csv DIR`: the CSV tables of a small trial compared value for
# value with h5py's reading of the same file (and with Python's TrialResult.to_frame), an
# incomplete file exporting its finished patients, and bad input or a failed write giving a
# message and a nonzero exit status.
. "$(dirname "$0")/harness.sh"
cart=${CART_BIN:-./src/cart}

"$cart" trial -n 40 --seed 5 --block 16 -o "$tmp/t.h5" >/dev/null 2>&1 && ok || bad "trial"
"$cart" export "$tmp/t.h5" --csv "$tmp/out" >"$tmp/stdout" 2>"$tmp/err" \
  && [ ! -s "$tmp/err" ] && [ ! -s "$tmp/stdout" ] && ok || bad "export: $(cat "$tmp/err")"
for f in trajectories endpoints parameters summary; do
  [ -s "$tmp/out/$f.csv" ] && ok || bad "no $f.csv"
done
# a second export refuses to overwrite without --force, and replaces with it
"$cart" export "$tmp/t.h5" --csv "$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "trajectories.csv' exists (use --force" "$tmp/err" && ok || bad "no --force: $(cat "$tmp/err")"
"$cart" export "$tmp/t.h5" --csv "$tmp/out" --force 2>"$tmp/err" && ok || bad "--force: $(cat "$tmp/err")"
# read 7 patients at a time (chunks that cut blocks and end short): the same tables, byte for byte
"$cart" export "$tmp/t.h5" --csv "$tmp/chunked" --chunk 7 2>"$tmp/err" && ok || bad "--chunk 7: $(cat "$tmp/err")"
for f in trajectories endpoints parameters summary; do
  cmp -s "$tmp/out/$f.csv" "$tmp/chunked/$f.csv" && ok || bad "$f.csv differs when read 7 patients at a time"
done

# A run stopped after 2 blocks of 16: 32 finished patients of 40.
"$cart" trial -n 40 --seed 5 --block 16 --stop-after-blocks 2 -o "$tmp/inc.h5" >/dev/null 2>&1
"$cart" export "$tmp/inc.h5" --csv "$tmp/inc" --chunk 5 2>"$tmp/err" && ok || bad "incomplete export failed"
grep -q "'$tmp/inc.h5' is marked incomplete (complete = 0): exported its 32 finished patients of 40" \
  "$tmp/err" && ok || bad "incomplete: stderr '$(cat "$tmp/err")'"
[ ! -e "$tmp/inc/summary.csv" ] && ok || bad "summary.csv of an incomplete file"

if [ $have_h5py = 1 ] && "$python" -c "import pandas" 2>/dev/null; then
  for case in "$tmp/t.h5 $tmp/out 40" "$tmp/inc.h5 $tmp/inc 32"; do
    # shellcheck disable=SC2086
    "$python" - $case <<'PY' && ok || bad "CSV tables differ from the file: $case"
import sys, h5py, numpy as np, pandas as pd
path, out, n_written = sys.argv[1], sys.argv[2], int(sys.argv[3])
f = h5py.File(path, "r")
status = f["status"][:]
written = np.flatnonzero(status != np.iinfo(np.int32).min)
assert len(written) == n_written, (len(written), n_written)
time = f["time"][:]

# trajectories.csv, long: every (patient, name, time) once, the float32 value exactly
traj = pd.read_csv(out + "/trajectories.csv", float_precision="round_trip")
assert list(traj.columns) == ["patient", "arm", "time", "name", "value", "unit"], traj.columns
assert traj["arm"].isna().all()
names = list(f["trajectories"])
assert len(traj) == len(written) * len(names) * len(time), len(traj)
for name in names:
    rows = traj[traj["name"] == name]
    expected = f["trajectories/" + name][:][written]
    got = rows["value"].to_numpy().reshape(len(written), len(time))
    assert np.array_equal(got.astype(np.float32), expected, equal_nan=True), name
    assert np.array_equal(rows["patient"].to_numpy().reshape(len(written), -1)[:, 0], written)
    assert np.array_equal(rows["time"].to_numpy().reshape(len(written), -1)[0], time)
    unit = f["trajectories/" + name].attrs["unit"]
    unit = unit.decode() if isinstance(unit, bytes) else unit
    assert (rows["unit"] == unit).all(), name

# wide tables: a units comment line, then a row a written patient
def wide(name):
    head = pd.read_csv(out + "/" + name, header=None, nrows=2, dtype=str, keep_default_na=False)
    units = dict(zip(head.iloc[1], head.iloc[0]))
    assert head.iloc[0, 0] == "#units"
    return pd.read_csv(out + "/" + name, comment="#", float_precision="round_trip"), units
ends, units = wide("endpoints.csv")
assert np.array_equal(ends["patient"], written) and np.array_equal(ends["status"], status[written])
assert set(ends.columns[3:]) == set(f["endpoints"]), ends.columns
for name in ends.columns[3:]:
    data = f["endpoints/" + name][:][written]
    if data.dtype.kind == "i":  # the fill value is an empty field
        data = np.where(data == np.iinfo(np.int32).min, np.nan, data)
    assert np.array_equal(ends[name].to_numpy(dtype=float), data.astype(float), equal_nan=True), name
    unit = f["endpoints/" + name].attrs["unit"]
    assert units[name] == (unit.decode() if isinstance(unit, bytes) else unit), name
pars, units = wide("parameters.csv")
pnames = [n.decode() if isinstance(n, bytes) else n for n in f["params"].attrs["names"]]
punits = [n.decode() if isinstance(n, bytes) else n for n in f["params"].attrs["units"]]
assert list(pars.columns) == ["patient", "arm"] + pnames
assert np.array_equal(pars[pnames].to_numpy(), f["params"][:][written], equal_nan=True)
assert [units[n] for n in pnames] == punits

# summary.csv: name,value of /summary
if "summary" in f:
    summary = pd.read_csv(out + "/summary.csv", float_precision="round_trip").set_index("name")["value"]
    assert set(summary.index) == set(f["summary"].attrs)
    for key, value in f["summary"].attrs.items():
        assert summary[key] == float(value) or (np.isnan(summary[key]) and np.isnan(value)), key

# Python's TrialResult.to_frame gives the same tables, when the package is there (not in a
# sanitizer build: Python cannot load that libcart without preloading the ASan runtime, and the
# plain build runs this check, as tests/python.sh does)
import os, warnings
if os.environ.get("CART_SANITIZERS"):
    print("SKIP: TrialResult.to_frame is compared in the plain build")
    sys.exit(0)
try:
    import libcart
except ImportError:
    if os.environ.get("LIBCART_LIBRARY"):  # make check: the package must be there
        raise
    print("SKIP: TrialResult.to_frame needs the libcart package on PYTHONPATH")
    sys.exit(0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    result = libcart.read_trial(path)
frame = result.to_frame(long=True)
pd.testing.assert_frame_equal(frame[["patient", "time", "name", "unit"]],
                              traj[["patient", "time", "name", "unit"]], check_dtype=False)
assert np.array_equal(frame["value"].to_numpy(np.float32), traj["value"].to_numpy(np.float32),
                      equal_nan=True)
wide_frame = result.to_frame(long=False)
assert list(wide_frame.columns) == list(ends.columns)
assert np.array_equal(wide_frame.iloc[:, 3:].to_numpy(float, na_value=np.nan),
                      ends.iloc[:, 3:].to_numpy(float), equal_nan=True)
PY
  done
else
  echo "SKIP: comparing the tables with the file needs python3-h5py and python3-pandas"
fi

# bad input: one message naming it, exit 2, nothing left behind
expect_fail() {
  want=$1 pattern=$2
  shift 2
  "$cart" export "$@" >"$tmp/stdout" 2>"$tmp/err"
  got=$?
  [ "$got" -eq "$want" ] && grep -q -- "$pattern" "$tmp/err" && [ ! -s "$tmp/stdout" ] && ok \
    || bad "cart export $*: exit $got, stderr '$(cat "$tmp/err")'"
}
expect_fail 2 "cannot read '$tmp/none.h5': No such file or directory" "$tmp/none.h5" --csv "$tmp/x"
printf 'not hdf5\n' >"$tmp/text.h5"
expect_fail 2 "'$tmp/text.h5' is not an HDF5 file" "$tmp/text.h5" --csv "$tmp/x"
expect_fail 2 "'$tmp' is a directory" "$tmp" --csv "$tmp/x"
if [ $have_h5py = 1 ]; then
  "$python" -c "import h5py, sys; h5py.File(sys.argv[1], 'w')['x'] = [1, 2]" "$tmp/other.h5"
  expect_fail 2 "'$tmp/other.h5' is not a trial file: no dataset /status" "$tmp/other.h5" --csv "$tmp/x"
  # a trial file with an endpoint of several columns (the export once wrote past its buffer)
  cp "$tmp/t.h5" "$tmp/wide.h5"
  "$python" -c "import h5py, sys, numpy; h5py.File(sys.argv[1], 'a')['endpoints/zz'] = numpy.zeros((40, 64))" "$tmp/wide.h5"
  expect_fail 2 "/endpoints/zz has 64 columns, not 1" "$tmp/wide.h5" --csv "$tmp/x" --chunk 2
fi
expect_fail 2 "cannot create directory '$tmp/no/such': No such file or directory" "$tmp/t.h5" --csv "$tmp/no/such"
: >"$tmp/plain"
expect_fail 2 "'$tmp/plain' is not a directory" "$tmp/t.h5" --csv "$tmp/plain"
[ ! -e "$tmp/x" ] && ok || bad "a failed export created its directory"
if [ "$(id -u)" -ne 0 ]; then
  mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
  expect_fail 2 "cannot write '$tmp/ro/trajectories.csv': Permission denied" "$tmp/t.h5" --csv "$tmp/ro"
fi
# A full disk: each table in turn is /dev/full; the export fails with the reason, exit 1, and
# leaves no table behind.
if [ -w /dev/full ]; then
  for f in trajectories endpoints parameters summary; do
    rm -rf "$tmp/full" && mkdir "$tmp/full" && ln -s /dev/full "$tmp/full/$f.csv"
    expect_fail 1 "cannot write '$tmp/full/$f.csv': No space left on device" "$tmp/t.h5" --csv "$tmp/full" --force
    [ -z "$(ls "$tmp/full")" ] && ok || bad "full disk at $f.csv left $(ls "$tmp/full")"
  done
else
  echo "SKIP: no writable /dev/full"
fi

finish
