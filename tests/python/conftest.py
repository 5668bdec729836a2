"""Fixtures of the Python package's tests (pytest).

Environment (make check sets all of them, see Makefile.am AM_TESTS_ENVIRONMENT):
  CART_BIN          the `cart` command line (default: <repo>/src/cart)
  CART_SHARED_DIR   the project's shared folder with anchors/reference/ (reference tests are
                    skipped, saying why, without it)
  LIBCART_LIBRARY   the libcart.so.1 to test (else the package finds one itself)
  PYTHONPATH        the folder holding the package libcart (else <repo>/python is used)
"""

import os
import sys

import pytest

REPO_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

os.environ.setdefault("MPLBACKEND", "Agg")  # no display in tests

try:
    import libcart  # noqa: F401  (from PYTHONPATH)
except ImportError:
    sys.path.insert(0, os.path.join(REPO_DIR, "python"))


@pytest.fixture(scope="session")
def repo_dir():
    """The source tree's root."""
    return REPO_DIR


@pytest.fixture(scope="session")
def cart_bin():
    """Path of the `cart` command line (CART_BIN, default <repo>/src/cart)."""
    path = os.environ.get("CART_BIN") or os.path.join(REPO_DIR, "src", "cart")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.skip("no cart command line at %s (build it, or set CART_BIN)" % path)
    return path


@pytest.fixture(scope="session")
def shared_dir():
    """The project's shared folder (CART_SHARED_DIR) holding anchors/reference/."""
    path = os.environ.get("CART_SHARED_DIR")
    if not path:
        pytest.skip("CART_SHARED_DIR is not set: the reference trajectories "
                    "(anchors/reference/*.csv) are not available")
    if not os.path.isdir(os.path.join(path, "anchors", "reference")):
        pytest.skip("CART_SHARED_DIR=%s has no anchors/reference/: the reference trajectories "
                    "are not available" % path)
    return path


@pytest.fixture(scope="session")
def reference_dir(shared_dir):
    """$CART_SHARED_DIR/anchors/reference."""
    return os.path.join(shared_dir, "anchors", "reference")


@pytest.fixture
def tmp_dir(tmp_path):
    """A fresh temporary folder (str) for the files a test writes."""
    return str(tmp_path)
