"""Tests of libcart.plots and the command python3 -m libcart.plot (matplotlib, Agg backend).

Environment: PYTHONPATH=<build>/python, LIBCART_LIBRARY (the libcart.so.1 to load), CART_BIN
(the cart binary; default <repo>/src/cart). A small trial file is made once with `cart trial`.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import libcart  # noqa: E402
from libcart import plots  # noqa: E402
from libcart.plot import main as plot_main  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CART_BIN = os.environ.get("CART_BIN", str(REPO / "src" / "cart"))
N_PATIENTS = 40
SEED = 5
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BAND_TITLES = {"Cblood": "CAR-T cells in blood", "tumour": "Tumour burden",
               "B": "Normal B cells", "IL6": "Serum IL-6", "IL6s": "Signalling IL-6 (IL6s)"}
HIST_TITLES = {"cmax": "Peak CAR-T in blood", "tmax": "Day of the CAR-T peak",
               "auc28": "CAR-T exposure, days 0-28"}
LOG_BANDS = ("Cblood", "tumour", "B")


def _env():
    env = dict(os.environ)
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.fixture(scope="module")
def trial_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("plots") / "x.h5"
    run = subprocess.run([CART_BIN, "trial", "-n", str(N_PATIENTS), "--seed", str(SEED),
                          "--threads", "2", "-o", str(path)],
                         capture_output=True, text=True, env=_env())
    assert run.returncode == 0, run.stderr
    return path


@pytest.fixture(scope="module")
def trial(trial_file):
    return libcart.read_trial(str(trial_file))


@pytest.fixture(scope="module")
def report_figure(trial):
    return plots.report(trial)


def _by_title(figure):
    axes = {}
    for ax in figure.axes:
        assert ax.get_title(), "every panel has a title"
        axes[ax.get_title()] = ax
    return axes


def _units(trial, kind):
    units = getattr(trial, kind + "_units", None)
    return units if isinstance(units, dict) else trial.units[kind + "s"]


def test_report_has_every_panel(report_figure, trial):
    axes = _by_title(report_figure)
    n_bands = len(trial.trajectories)
    assert len(report_figure.axes) == n_bands + 1 + 3
    for title in list(BAND_TITLES.values()) + list(HIST_TITLES.values()):
        assert title in axes, f"no panel {title!r} in {sorted(axes)}"
    for ax in report_figure.axes:
        assert ax.get_xlabel() and ax.get_ylabel(), ax.get_title()
    suptitle = report_figure._suptitle.get_text()
    for part in ("model cart", f"N = {N_PATIENTS}", f"seed {SEED}", "file complete"):
        assert part in suptitle, suptitle


def test_report_bands(report_figure, trial):
    axes = _by_title(report_figure)
    units = _units(trial, "trajectory")
    n_times = len(trial.time)
    for name, title in BAND_TITLES.items():
        ax = axes[title]
        assert ax.get_xlabel() == "time (day)"
        assert name in ax.get_ylabel() and f"({units[name]})" in ax.get_ylabel()
        if name in LOG_BANDS:
            assert ax.get_yscale() == "log", name
        medians = [line for line in ax.get_lines() if line.get_label() == "median"]
        assert len(medians) == 1, name
        assert len(medians[0].get_xdata()) == n_times
        assert len(medians[0].get_ydata()) == n_times
        np.testing.assert_array_equal(medians[0].get_xdata(), trial.time)
        assert any(isinstance(c, PolyCollection) and c.get_label() == "5-95%"
                   for c in ax.collections), name
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert {"median", "5-95%", "CAR-T infusion"} <= set(legend)
        # days 0-28 take the left half of the axis (the default trial runs to day 365)
        assert ax.get_xscale() == "function"
        to_axes = ax.transScale.transform
        x0, x28, x365 = (to_axes([[d, 1.0]])[0][0] for d in (0.0, 28.0, 365.0))
        assert x28 - x0 == pytest.approx(x365 - x28, rel=1e-9)


def _threshold_values(ax):
    return sorted(line.get_ydata()[0] for line in ax.get_lines()
                  if line.get_gid() == "threshold")


def test_report_marks_from_the_scenario(report_figure, trial):
    """The thresholds and doses on the bands are those of the scenario stored in the file (the
    default trial: n_detect 1e9, f_aplasia 0.1, CRS grades 40/200/1000/5000 pg/mL, tocilizumab
    by rule, the t = 0 infusion only), the tocilizumab ticks every dose given, and the red mark
    the endpoints' medians."""
    axes = _by_title(report_figure)
    assert _threshold_values(axes[BAND_TITLES["tumour"]]) == [pytest.approx(1e9)]
    solved = np.asarray(trial.status) == 0
    b0 = np.median(np.asarray(trial.params["B0"], float)[solved])
    assert _threshold_values(axes[BAND_TITLES["B"]]) == [pytest.approx(0.1 * b0)]
    assert _threshold_values(axes["CRS"]) == pytest.approx([40.0, 200.0, 1000.0, 5000.0])
    low, high = axes["CRS"].get_ylim()
    assert low < 40.0 and high > 5000.0, "every grade line is inside the axis"
    for ax in report_figure.axes[:len(trial.trajectories)]:
        doses = [line for line in ax.get_lines() if line.get_gid() == "cart_dose"]
        assert [line.get_xdata()[0] for line in doses] == [0.0], ax.get_title()
    given = np.asarray(trial.toci_times, float)[solved]
    for title in ("CRS", BAND_TITLES["IL6s"], BAND_TITLES["IL6"]):
        ticks = [line for line in axes[title].get_lines() if line.get_gid() == "toci_given"]
        assert len(ticks) == 1
        np.testing.assert_array_equal(np.sort(ticks[0].get_xdata()),
                                      np.sort(given[np.isfinite(given)]))
    mark = next(line for line in axes[BAND_TITLES["Cblood"]].get_lines()
                if line.get_gid() == "cmax_median")
    cmax = trial.endpoints["cmax"].to_numpy(float)[solved]
    tmax = trial.endpoints["tmax"].to_numpy(float)[solved]
    assert mark.get_xdata()[0] == pytest.approx(np.median(tmax))
    assert mark.get_ydata()[0] == pytest.approx(np.median(cmax))


def test_report_log_floor(report_figure):
    """A log axis of cells starts at one cell at the lowest, not at 1e-24."""
    ax = _by_title(report_figure)[BAND_TITLES["tumour"]]
    assert ax.get_ylim()[0] >= 1.0


def test_report_band_median_is_the_data(report_figure, trial):
    """The median line of Cblood is numpy's median over the solved patients."""
    ax = _by_title(report_figure)[BAND_TITLES["Cblood"]]
    median = next(line for line in ax.get_lines() if line.get_label() == "median")
    solved = np.asarray(trial.status) == 0
    expected = np.nanpercentile(np.asarray(trial.trajectories["Cblood"], float)[solved], 50, axis=0)
    expected[expected <= 0] = np.nan
    np.testing.assert_allclose(np.asarray(median.get_ydata(), float), expected, rtol=1e-12)


def test_report_histograms(report_figure, trial):
    axes = _by_title(report_figure)
    units = _units(trial, "endpoint")
    solved = np.asarray(trial.status) == 0
    for name, title in HIST_TITLES.items():
        ax = axes[title]
        assert name in ax.get_xlabel() and f"({units[name]})" in ax.get_xlabel()
        assert ax.get_ylabel() == "patients"
        values = trial.endpoints[name].to_numpy(dtype=float)[solved]
        if name in ("cmax", "auc28") and np.all(values > 0):
            assert ax.get_xscale() == "log", name
        counts = sum(patch.get_height() for patch in ax.patches)
        assert counts == np.count_nonzero(np.isfinite(values))
        finite = values[np.isfinite(values)]
        assert ax.get_xlim() == pytest.approx((finite.min(), finite.max())), "clipped to data"
        median = [line for line in ax.get_lines() if line.get_label().startswith("median")]
        assert len(median) == 1
        assert median[0].get_xdata()[0] == pytest.approx(np.nanmedian(values))


def test_response_crs_percentages(trial):
    figure = plots.response_crs(trial)
    (ax,) = figure.axes
    assert "%" in ax.get_ylabel()
    groups = {container.get_label(): [bar.get_height() for bar in container]
              for container in ax.containers}
    assert set(groups) == {"response", "CRS grade"}
    assert len(groups["response"]) == 3 and len(groups["CRS grade"]) == 5
    for heights in groups.values():
        assert sum(heights) == pytest.approx(100.0)
    solved = np.asarray(trial.status) == 0
    response = trial.endpoints["response"].to_numpy(dtype=float, na_value=np.nan)[solved]
    assert groups["response"][2] == pytest.approx(100.0 * np.mean(response == 2))
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[:3] == ["NR", "PR", "CR"]
    texts = [t.get_text() for t in figure.findobj(Text)]
    assert any("ASTCT" in text and "model convention" in text for text in texts)


def test_patient_course_marks_rule_doses():
    solution = libcart.solve(toci_rule=True)
    doses = [e for e in solution.events if "toci" in str(e["kind"]).lower()]
    assert doses, "the default patient crosses the rule's trigger"
    figure = plots.patient_course(solution)
    # a panel per signal of the model, then one per unit of its states: nothing named here
    by_unit = {solution.units[n] for n in solution.states if n not in solution.signals}
    assert len(figure.axes) == len(solution.signals) + len(by_unit)
    for ax in figure.axes:
        assert ax.get_title() and ax.get_xlabel() == "time (day)"
        assert "(" in ax.get_ylabel(), "a unit on every y axis"
    titles = [ax.get_title() for ax in figure.axes]
    assert titles[:4] == ["CAR-T cells in blood", "Tumour burden", "Signalling IL-6 (IL6s)", "CRS"]
    car, il6s = figure.axes[0], figure.axes[2]
    assert car.get_yscale() == "log" and "cells/uL" in car.get_ylabel()
    assert "pg/mL" in il6s.get_ylabel()
    for ax in figure.axes:
        unit = ax.get_ylabel().rsplit("(", 1)[1].rstrip(")")
        markers = [line for line in ax.get_lines() if line.get_gid() == "toci"]
        assert len(markers) == (len(doses) if unit in ("pg/mL", "mg") else 0), ax.get_title()
        for line, dose in zip(markers, doses):
            assert line.get_xdata()[0] == pytest.approx(dose["time"])
    labels = [t.get_text() for t in il6s.texts]
    assert any(f"{doses[0]['amount_mg']:.0f} mg" in text for text in labels)
    cblood = next(line for line in car.get_lines())
    assert len(cblood.get_xdata()) == len(solution.t)
    np.testing.assert_array_equal(cblood.get_ydata(), solution.signals["Cblood"])


def test_patient_course_of_every_model():
    """Each registered model plots from its own lists (no name in plots.py needed)."""
    for model in libcart.models():
        solution = libcart.solve(model=model, times=np.linspace(0, 100, 101))
        figure = plots.patient_course(solution)
        drawn = {line.get_label() for ax in figure.axes for line in ax.get_lines()}
        assert set(solution.signals) | set(solution.states) <= drawn, model


def test_plot_command_writes_png(trial_file, report_figure, tmp_path):
    out = tmp_path / "report.png"
    dpi = 40
    run = subprocess.run([sys.executable, "-m", "libcart.plot", str(trial_file), "-o", str(out),
                          "--dpi", str(dpi)], capture_output=True, text=True, env=_env())
    assert run.returncode == 0, run.stderr
    assert out.stat().st_size > 0
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    height, width = matplotlib.image.imread(str(out)).shape[:2]
    fig_width, fig_height = report_figure.get_size_inches()
    assert (width, height) == (round(fig_width * dpi), round(fig_height * dpi))


def test_plot_command_incomplete_file(tmp_path):
    """A stopped run's file is plotted, with one warning line and INCOMPLETE in the title."""
    path = tmp_path / "stopped.h5"
    run = subprocess.run([CART_BIN, "trial", "-n", "20", "--seed", str(SEED), "--block", "5",
                          "--stop-after-blocks", "2", "-o", str(path)],
                         capture_output=True, text=True, env=_env())
    assert run.returncode == 1 and path.exists(), run.stderr
    out = tmp_path / "stopped.png"
    run = subprocess.run([sys.executable, "-m", "libcart.plot", str(path), "-o", str(out),
                          "--dpi", "20"], capture_output=True, text=True, env=_env())
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("libcart.plot: warning: "), run.stderr
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    with pytest.warns(Warning):
        stopped = libcart.read_trial(str(path))
    suptitle = plots.report(stopped)._suptitle.get_text()
    assert "INCOMPLETE" in suptitle and "10 solved" in suptitle and "10 not written" in suptitle


def test_patient_course_fixed_dose_and_xlim():
    solution = libcart.solve(toci=[(3.0, 8.0)], times=np.linspace(0, 60, 241))
    figure = plots.patient_course(solution, xlim=(0, 30))
    il6 = figure.axes[2]
    markers = [line for line in il6.get_lines() if line.get_gid() == "toci"]
    assert [line.get_xdata()[0] for line in markers] == [pytest.approx(3.0)]
    assert figure.axes[0].get_xlim() == (0, 30)


def test_plot_main_in_process(trial_file, tmp_path):
    out = tmp_path / "inproc.png"
    assert plot_main([str(trial_file), "-o", str(out), "--dpi", "30"]) == 0
    assert out.read_bytes()[:8] == PNG_SIGNATURE


@pytest.mark.parametrize("kind", ["missing", "not_hdf5", "other_hdf5", "directory"])
def test_plot_command_errors(tmp_path, kind):
    path = tmp_path / "missing.h5"
    if kind == "not_hdf5":
        path = tmp_path / "text.h5"
        path.write_text("not a trial file\n")
    elif kind == "other_hdf5":
        h5py = pytest.importorskip("h5py")
        path = tmp_path / "other.h5"
        with h5py.File(path, "w") as f:
            f["data"] = np.arange(3.0)
    elif kind == "directory":
        path = tmp_path
    out = tmp_path / "x.png"
    run = subprocess.run([sys.executable, "-m", "libcart.plot", str(path), "-o", str(out)],
                         capture_output=True, text=True, env=_env())
    assert run.returncode == 1
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("libcart.plot: "), run.stderr
    assert not out.exists()


def test_plot_command_help():
    run = subprocess.run([sys.executable, "-m", "libcart.plot", "--help"],
                         capture_output=True, text=True, env=_env())
    assert run.returncode == 0
    assert "usage" in run.stdout and "--dpi" in run.stdout


def test_report_of_a_model_with_its_own_endpoints(tmp_path):
    """stein has no response or CRS grade: its report has bands and its endpoints' histograms,
    no response and CRS bars."""
    stein = libcart.trial("[trial]\nmodel = stein\n", n=6, seed=2,
                          output=str(tmp_path / "stein.h5"))
    fig = libcart.plots.report(stein)
    assert len(fig.axes) == len(stein.trajectories) + 3
    assert not any(ax.get_title().startswith("Response") for ax in fig.axes)


def test_plots_of_lupus(tmp_path):
    """lupus has CRS grades but no response, no auc28 and its own endpoints: every plot draws it
    without being told (the CRS bars alone; histograms of cmax, tmax and its first own real
    endpoint, the B-cell return day), and a patient's course has a panel per signal."""
    lupus = libcart.trial("[trial]\nmodel = lupus\n[dosing]\ndose_per_kg = 1e6\n", n=6, seed=2,
                          output=str(tmp_path / "lupus.h5"))
    fig = libcart.plots.report(lupus)
    assert len(fig.axes) == len(lupus.trajectories) + 1 + 3
    titles = [ax.get_title() for ax in fig.axes]
    assert any(t.startswith("CRS grade (6 solved)") for t in titles)
    assert not any(t.startswith("Response") for t in titles)
    ax = libcart.plots.response_crs(lupus).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["G0", "G1", "G2", "G3", "G4"]
    hist = libcart.plots.endpoint_histograms(lupus)
    assert [a.get_xlabel().split(" (")[0] for a in hist.axes] == \
        ["cmax", "tmax", "bcell_return_day"]
    course = libcart.plots.patient_course(libcart.solve("lupus", times=range(0, 200, 5)))
    assert len(course.axes) >= 3
