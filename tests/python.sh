#!/bin/sh
# python.sh: the Python package's tests (pytest), with the interpreter configure found (PYTHON).
# Skipped (exit 77), saying why, when that Python lacks numpy, h5py, matplotlib or pytest.
python=${PYTHON:-}
if [ -n "${CART_SANITIZERS:-}" ]; then
  # An ASan-built libcart.so cannot be dlopen()ed by a Python that was not started with the ASan
  # runtime; the C tests cover the library under the sanitizers, this suite the plain build.
  echo "SKIP: libcart is built with sanitizers ($CART_SANITIZERS); the Python tests run on the plain build"
  exit 77
fi
if [ -z "$python" ]; then
  echo "SKIP: configure found no Python with numpy (set PYTHON=/usr/bin/python3)"
  exit 77
fi
if ! "$python" -c "import numpy, h5py, matplotlib, pytest" 2>/dev/null; then
  echo "SKIP: $python lacks numpy, h5py, matplotlib or pytest (Debian: python3-numpy python3-h5py python3-matplotlib python3-pytest)"
  exit 77
fi
cd "${CART_SRCDIR:-.}" || exit 1
MPLBACKEND=Agg "$python" -m pytest -q -p no:cacheprovider tests/python
