#!/bin/sh
# r.sh: the R package's tests (r/, testthat). Installs a copy of r/ into a temporary library
# against this build tree (PKG_CONFIG_PATH=BUILD: pkg-config finds libcart-uninstalled.pc, as
# tests/uninstalled.sh checks for C) and runs r/tests/testthat.R there, with CART_BIN set to the
# built cart for the comparisons with `cart run` and `cart trial`.
# Skipped (exit 77), saying why, without Rscript or the R packages hdf5r and testthat.
set -u
if [ -n "${CART_SANITIZERS:-}" ]; then
  # As for Python: an ASan-built libcart cannot be loaded into an R that was not started with
  # the ASan runtime; the C tests cover the library under the sanitizers.
  echo "SKIP: libcart is built with sanitizers ($CART_SANITIZERS); the R tests run on the plain build"
  exit 77
fi
if ! command -v Rscript >/dev/null 2>&1 || ! command -v R >/dev/null 2>&1; then
  echo "SKIP: R not found (Debian: apt-get install r-base-dev r-cran-hdf5r r-cran-testthat)"
  exit 77
fi
if ! Rscript -e 'for (p in c("hdf5r", "testthat")) if (!requireNamespace(p, quietly = TRUE)) quit(status = 1)' \
    >/dev/null 2>&1; then
  echo "SKIP: R lacks hdf5r or testthat (Debian: apt-get install r-cran-hdf5r r-cran-testthat)"
  exit 77
fi
if ! command -v pkg-config >/dev/null 2>&1; then
  echo "FAIL: pkg-config not found (apt-get install pkg-config)"
  exit 1
fi
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
# a copy: R CMD INSTALL builds in the package's directory, and distcheck's source tree is
# read-only
cp -R "$CART_SRCDIR/r" "$work/r" && chmod -R u+w "$work/r" || exit 1
rm -f "$work/r/src/Makevars" "$work/r/src"/*.o "$work/r/src"/*.so
mkdir "$work/lib" || exit 1
if ! PKG_CONFIG_PATH="$CART_BUILDDIR" R CMD INSTALL --no-test-load -l "$work/lib" "$work/r" \
    >"$work/install.log" 2>&1; then
  echo "FAIL: R CMD INSTALL r (PKG_CONFIG_PATH=$CART_BUILDDIR):"
  cat "$work/install.log"
  exit 1
fi
cd "$work/r/tests" || exit 1
R_LIBS="$work/lib${R_LIBS:+:$R_LIBS}" CART_BIN="$CART_BIN" CART_SRCDIR="$CART_SRCDIR" Rscript testthat.R
