#!/bin/sh
# uninstalled.sh: a program compiles against the build tree through libcart-uninstalled.pc, as
# the README says (PKG_CONFIG_PATH=BUILD cc prog.c $(pkg-config --cflags --libs libcart)), runs
# without LD_LIBRARY_PATH and prints what examples/solve_patient.expected says.
set -u
if ! command -v pkg-config >/dev/null 2>&1; then
  echo "FAIL: pkg-config not found (apt-get install pkg-config)"
  exit 1
fi
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
export PKG_CONFIG_PATH="$CART_BUILDDIR"
unset LD_LIBRARY_PATH
# pkg-config picks libcart-uninstalled.pc: the include directory must be the source tree's
cflags=$(pkg-config --cflags libcart) || exit 1
case "$cflags" in
  *"$CART_SRCDIR/include"*) ;;
  *) echo "FAIL: pkg-config --cflags libcart gave '$cflags', not the build tree's"; exit 1 ;;
esac
# shellcheck disable=SC2086 # the flags are words
if ! ${CC:-cc} ${CART_SANITIZERS:-} -o "$work/solve_patient" "$CART_SRCDIR/examples/solve_patient.c" \
    $cflags $(pkg-config --libs libcart) -lm; then
  echo "FAIL: examples/solve_patient.c does not compile against the build tree"
  exit 1
fi
if ! "$work/solve_patient" >"$work/out.txt" 2>&1; then
  echo "FAIL: the program built with libcart-uninstalled.pc does not run:"
  cat "$work/out.txt"
  exit 1
fi
if ! cmp -s "$CART_SRCDIR/examples/solve_patient.expected" "$work/out.txt"; then
  echo "FAIL: its output differs from examples/solve_patient.expected:"
  diff "$CART_SRCDIR/examples/solve_patient.expected" "$work/out.txt" | head -20
  exit 1
fi
echo "PASS: examples/solve_patient.c built with libcart-uninstalled.pc"
