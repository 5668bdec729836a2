"""Trials of several arms on the same patients (cart-scenario(5) ARMS, cart(1) TRIAL FILES):
trial() and read_trial() with [arm NAME] sections, the same patients in every arm, to_frame's arm
column, each arm as the arm run alone, and plots.report by arm."""

import os

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.container import BarContainer

import libcart
from libcart import plots

BASE = """[trial]
model = cart
n_patients = 16
seed = 31
[times]
list = 0, 7, 14, 28, 56, 90
[variability]
rho = 0.3
T0 = 0.5
WT = 0.2
[tocilizumab]
rule = on
"""
ARMS = """[arm low]
label = 1e6 cells/kg
dosing.dose_per_kg = 1e6
[arm high]
label = 4e6 cells/kg
dosing.dose_per_kg = 4e6
"""


@pytest.fixture(scope="module")
def arms(tmp_path_factory):
    path = tmp_path_factory.mktemp("arms") / "arms.h5"
    return libcart.trial(BASE + ARMS, output=path, threads=1)


def test_arms_read_back(arms):
    assert list(arms.arms) == ["low", "high"]
    assert arms.arm is None and arms.params is None and arms.endpoints is None
    assert arms.n_patients == 16 and arms.complete
    low, high = arms.arms["low"], arms.arms["high"]
    assert (low.arm, low.label, high.label) == ("low", "1e6 cells/kg", "4e6 cells/kg")
    # the same patients: every parameter but the dose, which is dose_per_kg x WT
    assert low.params.drop(columns="dose").equals(high.params.drop(columns="dose"))
    np.testing.assert_allclose(low.params["dose"], 1e6 * low.params["WT"], rtol=1e-12)
    np.testing.assert_allclose(high.params["dose"], 4e6 * high.params["WT"], rtol=1e-12)
    # the dose matters: a higher median cmax at the higher dose, and each summary is its data's
    assert np.median(high.endpoints["cmax"]) > np.median(low.endpoints["cmax"])
    for arm in (low, high):
        assert arm.summary["cmax_p50"] == np.percentile(arm.endpoints["cmax"], 50)
        assert arm.summary["n_solved"] == np.count_nonzero(arm.status == 0)
    assert "arms low, high" in repr(arms) and "arm high" in repr(high)


def test_arm_alone_is_the_same(arms, tmp_path):
    """Arm high run alone, as a plain scenario: the same rows and summary."""
    alone = libcart.trial(BASE + "[dosing]\ndose_per_kg = 4e6\n", output=tmp_path / "high.h5",
                          threads=2, block=5)
    high = arms.arms["high"]
    assert alone.arms == {}
    assert alone.params.equals(high.params)
    assert alone.endpoints.equals(high.endpoints)
    for name in alone.trajectories:
        np.testing.assert_array_equal(alone.trajectories[name], high.trajectories[name])
    assert alone.summary.keys() == high.summary.keys()
    for key, value in alone.summary.items():  # bit for bit, NaN (no relapse) included
        np.testing.assert_array_equal(value, high.summary[key], err_msg=key)
    assert alone.endpoint_summary.equals(high.endpoint_summary)


def test_to_frame_arm_column(arms):
    wide = arms.to_frame(long=False)
    assert list(wide["arm"].unique()) == ["low", "high"]
    assert (wide.groupby("arm").size() == 16).all()
    low = wide[wide["arm"] == "low"].reset_index(drop=True)
    assert low["cmax"].equals(arms.arms["low"].endpoints["cmax"])
    long = arms.to_frame()
    assert set(long["arm"]) == {"low", "high"}
    assert len(long) == 2 * 16 * len(arms.arms["low"].trajectories) * len(arms.time)


def test_n_seed_and_patients_apply_to_every_arm(tmp_path):
    table = tmp_path / "p.csv"
    table.write_text("id,WT,T0\na,60,1e11\nb,90,3e11\nc,75,5e10\n")
    result = libcart.trial(BASE.replace("WT = 0.2\n", "").replace("T0 = 0.5\n", "") + ARMS,
                           output=tmp_path / "t.h5", n=5, seed=8, patients=str(table))
    for arm in result.arms.values():
        assert len(arm.status) == 5
        np.testing.assert_array_equal(arm.params["WT"][:3], [60, 90, 75])
    assert result.attrs["seed"] == 8


def test_arm_errors_name_the_section(tmp_path):
    with pytest.raises(libcart.LibcartError) as caught:
        libcart.trial(BASE + "[arm x]\nparameters.rho = 99\n", output=tmp_path / "e.h5")
    assert "<text>:14: [arm x] [parameters] parameter 'rho'" in str(caught.value)
    assert not os.path.exists(tmp_path / "e.h5")


def _by_title(figure):
    return {ax.get_title(): ax for ax in figure.axes}


def test_report_by_arm(arms):
    figure = plots.report(arms)
    axes = _by_title(figure)
    n_bands = len(arms.arms["low"].trajectories)
    assert len(figure.axes) == n_bands + 1 + 3
    suptitle = figure._suptitle.get_text()
    for part in ("model cart", "2 arms (low, high)", "N = 16", "seed 31", "file complete"):
        assert part in suptitle, suptitle
    # every band panel: a median and a 5-95% band per arm, in the arm's colour
    band = axes["CAR-T cells in blood"]
    labels = [line.get_label() for line in band.get_lines()]
    assert "low (1e6 cells/kg) median" in labels and "high (4e6 cells/kg) median" in labels
    bands = [c.get_label() for c in band.collections if isinstance(c, PolyCollection)]
    assert "low (1e6 cells/kg) 5-95%" in bands and "high (4e6 cells/kg) 5-95%" in bands
    for line in band.get_lines():
        if line.get_label() == "high (4e6 cells/kg) median":
            assert line.get_color() == plots.ARM_COLORS[1]
            with np.errstate(invalid="ignore"):
                expected = np.nanpercentile(
                    arms.arms["high"].trajectories["Cblood"][arms.arms["high"].status == 0], 50,
                    axis=0)
            np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-6)
    # response and CRS: one bar container per arm, 3 responses + 5 grades each, percentages of
    # the arm's solved patients
    bars = axes["Response and CRS grade by arm (16/16 solved)"]
    containers = [c for c in bars.containers if isinstance(c, BarContainer)]
    assert [c.get_label() for c in containers] == ["low (1e6 cells/kg)", "high (4e6 cells/kg)"]
    for container, arm in zip(containers, arms.arms.values()):
        heights = [p.get_height() for p in container.patches]
        assert len(heights) == 8
        response = np.asarray(arm.endpoints["response"], dtype=float)
        assert heights[2] == pytest.approx(100.0 * np.mean(response == 2))
    # histograms: an outline and a median line per arm
    hist = axes["Peak CAR-T in blood by arm"]
    legend = [t.get_text() for t in hist.get_legend().get_texts()]
    for name, arm in arms.arms.items():
        median = float(np.median(arm.endpoints["cmax"]))
        assert f"{name}: median {plots._format_number(median)}" in legend


V2V = """[dosing]
dropout_tumour_factor = 4
dropout_hazard_per_day = 0.005
[cost]
product = 373000
toci_dose = 1500
hospital_day = 4000
los_days_g0 = 10
los_days_g1 = 12
los_days_g2 = 15
los_days_g3 = 20
los_days_g4 = 28
[arm now]
[arm wait]
dosing.vein_to_vein_days = 60
"""


def test_vein_to_vein_itt_and_costs(tmp_path):
    """A wait with drop-out: the file's per-patient data give the summary's intention-to-treat
    and as-treated rates and its costs, computed here from them."""
    result = libcart.trial(BASE.replace("n_patients = 16", "n_patients = 40") + V2V,
                           output=tmp_path / "v2v.h5", threads=1)
    now, wait = result.arms["now"], result.arms["wait"]
    assert now.tumour_at_infusion is None
    assert set(now.status) == {0} and now.summary["n_dropout"] == 0
    assert now.summary["cr_rate_itt"] == now.summary["cr_rate"]
    t0 = wait.params["T0"].to_numpy()
    growth = wait.tumour_at_infusion / t0
    assert np.all(growth > 1)  # the tumour grew during the wait
    dropped = wait.status == libcart._clib.CART_ENOTINFUSED
    assert np.all(dropped[growth > 4 * (1 + 1e-12)])  # progression: never infused
    assert 0 < np.count_nonzero(dropped) < 40
    assert np.all(wait.endpoints["response"][dropped].isna())
    infused = wait.status == 0
    assert np.count_nonzero(infused) + np.count_nonzero(dropped) == 40
    response = wait.endpoints["response"][infused].to_numpy(dtype=float)
    s = wait.summary
    assert s["n_dropout"] == np.count_nonzero(dropped) and s["n_solved"] == infused.sum()
    assert s["cr_rate"] == pytest.approx(np.mean(response == 2), rel=1e-15)
    assert s["cr_rate_itt"] == pytest.approx(np.sum(response == 2) / 40, rel=1e-15)
    assert s["orr_rate_itt"] == pytest.approx(np.sum(response >= 1) / 40, rel=1e-15)
    los = np.array([10, 12, 15, 20, 28])
    grade = wait.endpoints["crs_grade"][infused].to_numpy(dtype=int)
    toci = wait.endpoints["toci_doses"][infused].to_numpy(dtype=float)
    total = np.sum(373000 + 1500 * toci + 4000 * los[grade])
    assert s["cost_per_patient"] == pytest.approx(total / 40, rel=1e-12)
    assert s["cost_per_infused"] == pytest.approx(total / infused.sum(), rel=1e-12)
    assert s["cost_per_cr"] == pytest.approx(total / np.sum(response == 2), rel=1e-12)
