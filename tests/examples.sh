#!/bin/sh
# examples.sh: every example program runs and prints what its .out file says (examples never rot; .expected, not .out: libtool writes PROGRAM.out).
set -u
passed=0
failed=0
for out in "$CART_SRCDIR"/examples/*.expected; do
  name=$(basename "$out" .expected)
  if "$CART_BUILDDIR/examples/$name" >"${TMPDIR:-/tmp}/example-$$.txt" 2>&1 \
      && cmp -s "$out" "${TMPDIR:-/tmp}/example-$$.txt"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: examples/$name output differs from $out:"
    cat "${TMPDIR:-/tmp}/example-$$.txt"
  fi
  rm -f "${TMPDIR:-/tmp}/example-$$.txt"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
