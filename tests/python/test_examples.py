"""The Python examples (examples/python/*.py) run as a researcher runs them, and say what is true.

Each example runs in a subprocess with this interpreter (sys.executable), in a temporary
directory, with its output paths there; the environment (PYTHONPATH=<build>/python,
LIBCART_LIBRARY, CART_SRCDIR = the source tree) is passed on. The checks are on meaning, not on
bytes: the default patient's blood CAR-T peak is 60-100 cells/uL near day 12 (MODEL.md 2.2), the
trial's numbers are rates and percentiles that can be, the report is a PNG.
"""

import ast
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SRCDIR = Path(os.environ.get("CART_SRCDIR") or Path(__file__).resolve().parents[2])
EXAMPLES = SRCDIR / "examples" / "python"
TESTED = ("solve_patient.py", "small_trial.py", "report.py", "relapse_curve.py")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TIMEOUT_S = 300  # each example takes a few seconds; this only stops a hang


def run_example(name, *args, cwd):
    """Runs examples/python/NAME with args in cwd; asserts exit 0 and returns its stdout."""
    import libcart  # the package under test (conftest.py finds it when PYTHONPATH does not)
    package_parent = str(Path(libcart.__file__).resolve().parents[1])
    path = [package_parent] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(path))
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 0, (
        f"{name} exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
    return proc.stdout


def test_every_example_is_tested_and_documented():
    found = sorted(p.name for p in EXAMPLES.glob("*.py"))
    assert found == sorted(TESTED), "an example without a test here, or a test without example"
    for name in found:
        docstring = ast.get_docstring(ast.parse((EXAMPLES / name).read_text(encoding="utf-8")))
        assert docstring and docstring.startswith(name + ":"), name
        assert "Usage: python3 " + name in docstring, name


def test_solve_patient(tmp_path):
    pd = pytest.importorskip("pandas")
    csv_path = tmp_path / "course.csv"
    out = run_example("solve_patient.py", csv_path, cwd=tmp_path)

    match = re.search(r"Cblood peak: ([0-9.]+) cells/uL on day ([0-9.]+)", out)
    assert match, out
    peak, day = float(match.group(1)), float(match.group(2))
    assert 60 < peak < 100, out   # MODEL.md 2.2: about 80 cells/uL
    assert 11 <= day <= 13, out   # near day 12
    assert re.search(r"event: extinction of Tp on day 1[0-9]\.", out), out  # a cure (MODEL.md 3)

    course = pd.read_csv(csv_path)
    assert list(course.columns) == ["day", "Cblood_cells_per_uL", "tumour_cells", "B_cells",
                                    "IL6_pg_per_mL"]
    assert list(course["day"]) == [0, 7, 14, 21, 28]
    assert (course.drop(columns="day") >= 0).all().all()
    assert course["Cblood_cells_per_uL"].max() <= peak + 0.05  # the peak is between days
    assert course["tumour_cells"].iloc[0] == pytest.approx(1e11)  # T0
    assert course["tumour_cells"].iloc[-1] < 1e9                  # below detection by day 28
    # the CSV printed is the CSV written
    printed = out[out.index("day,Cblood"):]
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(printed)), course)


def summary_of(out):
    """{field: float} from the '  field value' lines the example prints."""
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r"^  ([a-z0-9_]+) +(\S+)$", out, re.MULTILINE)}


def test_small_trial(tmp_path):
    trial_path = tmp_path / "trial.h5"
    out = run_example("small_trial.py", trial_path, cwd=tmp_path)
    assert trial_path.stat().st_size > 0

    summary = summary_of(out)
    assert summary["n_patients"] == 100
    assert summary["n_solved"] == 100
    for rate in ("cr_rate", "orr_rate", "crs_any_rate", "crs_grade3_rate", "toci_rate"):
        assert 0 <= summary[rate] <= 1, rate
    assert summary["cr_rate"] <= summary["orr_rate"]
    assert 0.3 <= summary["cr_rate"] <= 0.8  # calibrated to ZUMA-1's 54 % (100 patients)
    assert summary["cmax_p5"] <= summary["cmax_p50"] <= summary["cmax_p95"]
    assert 15 < summary["cmax_p50"] < 80  # cells/uL, ZUMA-1's 38 (range 20-80)
    assert 7 < summary["tmax_p50"] < 20    # day

    table = out[out.index("median cmax by response:"):].splitlines()
    rows = {line.split()[0]: line.split()[1:] for line in table[3:] if line.strip()}
    assert list(rows) == ["NR", "PR", "CR"], out
    assert sum(int(r[0]) for r in rows.values()) == 100
    assert int(rows["CR"][0]) == round(summary["cr_rate"] * 100)
    assert 15 < float(rows["CR"][1]) < 150

    # the file holds what was printed
    import libcart
    result = libcart.read_trial(trial_path)
    assert result.complete and result.n_patients == 100
    assert result.summary["cmax_p50"] == pytest.approx(summary["cmax_p50"], rel=1e-3)


def test_small_trial_without_argument_leaves_nothing(tmp_path):
    out = run_example("small_trial.py", cwd=tmp_path)
    assert "n_solved               100" in out
    assert list(tmp_path.iterdir()) == []  # the trial file went to a removed temp directory


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 600 and height >= 400, (width, height)  # IHDR: a full page, not a stub
    assert len(data) > 20000


def test_report(tmp_path):
    png, trial_path = tmp_path / "r.png", tmp_path / "trial.h5"
    out = run_example("report.py", png, trial_path, cwd=tmp_path)
    assert_png(png)
    assert trial_path.exists()
    assert re.search(r"100 patients, 100 solved, median cmax [0-9.]+ cells/uL", out), out


def test_report_default_path(tmp_path):
    run_example("report.py", cwd=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.png"]
    assert_png(tmp_path / "report.png")


def test_relapse_curve(tmp_path):
    png = tmp_path / "relapse.png"
    out = run_example("relapse_curve.py", png, cwd=tmp_path)
    assert_png(png)
    rows = {float(m.group(1)): (float(m.group(2)), float(m.group(3)))
            for m in re.finditer(r"^ *([0-9.]+) +([0-9.]+) % +([0-9.]+) %$", out, re.MULTILINE)}
    assert sorted(rows) == [0.5, 1, 2, 3, 4, 5], out
    relapsed = [rows[y][0] for y in sorted(rows)]
    assert relapsed == sorted(relapsed), out  # a cumulative share never falls
    # the plateau (ZUMA-1's five-year follow-up): relapses come in the first years, and a
    # fifth to a half of all patients stay in remission at five years
    assert relapsed[-1] - rows[2][0] < 5, out
    assert 20 <= rows[5][1] <= 50, out
