# harness.sh: what the shell tests share (sourced, not run): a temporary directory removed at
# exit, pass/fail counters, whether the Python has h5py, and the closing line automake reads.
set -u
python=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cart-test-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
have_h5py=0
"$python" -c "import h5py, numpy" 2>/dev/null && have_h5py=1

# Prints "N passed, M failed" and returns the test's status.
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
