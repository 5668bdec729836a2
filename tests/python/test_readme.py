"""The README's quick start works as written.

The code block under "## Quick start" is read from README.md and its lines run in a temporary
directory, with the paths the README takes from the source tree (./src/cart, PYTHONPATH=python)
pointed at this build (CART_BIN, the package under test) and python3 at this interpreter. The C
line is tests/uninstalled.sh's; the man line is checked here by reading the page's file.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

SRCDIR = Path(os.environ.get("CART_SRCDIR") or Path(__file__).resolve().parents[2])
TIMEOUT_S = 300  # seconds; each line takes a few: this only stops a hang


def quick_start_lines():
    text = (SRCDIR / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    lines = [line[4:] for line in section.splitlines() if line.startswith("    ")]
    assert len(lines) == 5, f"the quick start has {len(lines)} command lines, not 5"
    return [line.split("  #")[0].strip() for line in lines]


def run(line, cwd):
    import libcart  # the package under test (conftest.py finds it)
    package_parent = str(Path(libcart.__file__).resolve().parents[1])
    words = shlex.split(line)
    env = dict(os.environ, MPLBACKEND="Agg")
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        name, value = words.pop(0).split("=", 1)
        env[name] = package_parent if name == "PYTHONPATH" else value
    if words[0] == "./src/cart":
        words[0] = os.environ.get("CART_BIN") or str(SRCDIR / "src" / "cart")
    elif words[0] == "python3":
        words[0] = sys.executable
    proc = subprocess.run(words, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT_S)
    assert proc.returncode == 0, f"{line}\nexit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def test_quick_start(tmp_path):
    trial, plot, solve, c_line, man = quick_start_lines()
    out = run(trial, tmp_path)
    assert "200 patients" in out and (tmp_path / "trial.h5").is_file()
    run(plot, tmp_path)
    assert (tmp_path / "report.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    table = run(solve, tmp_path)
    assert re.search(r"^\s*t\s+E\s+M", table, re.M), table
    assert len([row for row in table.splitlines() if re.match(r"^\d\s", row)]) == 5, table
    assert "examples/solve_patient.c" in c_line and "pkg-config" in c_line
    page = SRCDIR / man.split()[-1]
    assert page.is_file(), f"{man}: {page} is not in the source tree (it must read before configure)"
    assert page.read_text().startswith(".TH ") or ".TH CART" in page.read_text()
