# harness.sh: what the shell tests share (sourced, not run): a temporary directory removed at
# exit, pass/fail counters, whether the Python has h5py, and the closing line automake reads.
set -u
python=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cart-test-XXXXXX")
trap 'umount "$tmp/disk" 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
have_h5py=0
"$python" -c "import h5py, numpy" 2>/dev/null && have_h5py=1

# differing FILE1 FILE2 OBJECT...: the objects (datasets, or groups whose attributes h5diff
# compares) that differ between the two files, each after a blank; nothing when all agree.
# h5diff exits 0 for objects it cannot compare (other shapes), so its "not comparable" counts too.
differing() {
  first=$1
  second=$2
  shift 2
  for object in "$@"; do
    if ! said=$(h5diff -N "$first" "$second" "$object" "$object" 2>&1) \
        || echo "$said" | grep -q "not comparable"; then
      printf ' %s' "$object"
    fi
  done
}

# Prints "N passed, M failed" and returns the test's status.
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# check_incomplete FILE REFERENCE BLOCK MIN_ROWS [RANGES]: FILE, left by a run that did not
# finish (killed, stopped, out of disk space), opens with h5py and says complete = 0, has no
# /summary, and its finished rows (/status written: it is written last of a block's rows) come in
# whole blocks of BLOCK patients, at least MIN_ROWS of them (and at least one), each as in
# REFERENCE (a finished run of the same scenario and seed: patient i does not depend on N, so it
# may hold fewer patients); with RANGES ("A:B,C:D", half-open), exactly those patients. Rows not
# finished are not checked: a write that failed or was killed may have left part of its block.
# Needs h5py.
check_incomplete() {
  "$python" - "$@" <<'PY'
import sys, h5py, numpy as np
path, ref_path, block, min_rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ranges = sys.argv[5] if len(sys.argv) > 5 else None
f, ref = h5py.File(path, "r"), h5py.File(ref_path, "r")
assert f.attrs["complete"] == 0, "complete = %r" % f.attrs["complete"]
assert "summary" not in f, "a /summary in an incomplete file"
written = f["status"][:] != np.iinfo(np.int32).min
n = len(written)
for first in range(0, n, block):
    w = written[first:first + block]
    assert w.all() or not w.any(), "the block of patients %d-%d is half written" % (first, first + len(w) - 1)
names = ["params", "status", "events/toci_times"] + ["trajectories/" + k for k in f["trajectories"]] \
    + ["endpoints/" + k for k in f["endpoints"]]
m = min(len(ref["status"]), n)
for name in names:
    d = f[name][:]
    assert np.array_equal(d[:m][written[:m]], ref[name][:m][written[:m]], equal_nan=True), \
        "%s differs from the finished run" % name
assert written.sum() >= max(min_rows, 1), "%d rows written, at least %d expected" % (written.sum(), min_rows)
if ranges is not None:
    expected = np.zeros(n, bool)
    for r in ranges.split(","):
        a, b = (int(x) for x in r.split(":"))
        expected[a:b] = True
    assert np.array_equal(written, expected), "rows written %s, expected %s" % (
        np.flatnonzero(np.diff(np.r_[0, written.astype(int), 0])), ranges)
print("%s: %d of %d rows written, in whole blocks" % (path, written.sum(), n))
PY
}

# first_status FILE: row 0 of /status while a run writes the file (empty when there is none yet);
# HDF5's file locking is off for it, so it reads a file another process has open.
first_status() {
  HDF5_USE_FILE_LOCKING=FALSE h5dump -d /status -s 0 -c 1 "$1" 2>/dev/null | sed -n 's/^ *(0): *//p' | head -1
}

# wait_first_block FILE: waits (at most 60 s) until FILE holds patient 0's row; 0 if it came.
wait_first_block() {
  i=0
  while [ $i -lt 600 ]; do
    [ "$(first_status "$1")" = 0 ] && return 0
    sleep 0.1
    i=$((i + 1))
  done
  return 1
}

# small_disk: mounts a 1 MiB tmpfs on $tmp/disk (unmounted at exit); 0 if it could (root, and
# mounts allowed in this container).
small_disk() {
  mkdir -p "$tmp/disk" && mount -t tmpfs -o size=1M tmpfs "$tmp/disk" 2>/dev/null
}
