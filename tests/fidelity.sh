#!/bin/sh
# fidelity.sh: the calibrated default trial against ZUMA-1 (tests/fidelity.py). Skipped (77),
# saying why, when the Python lacks numpy or h5py.
. "${CART_SRCDIR:-.}/tests/harness.sh"
if [ "$have_h5py" -ne 1 ]; then
  echo "SKIP: $python lacks numpy or h5py"
  exit 77
fi
"$python" "${CART_SRCDIR:-.}/tests/fidelity.py" "$CART_BIN" "${CART_SRCDIR:-.}" "$tmp"
