"""Tests of libcart.calibrate(): a small stein fit (tables, the calibrated scenario rerun by
trial() to the reported median cmax, 1 and 2 threads alike), errors with file and line, and a
fit stopped by its progress callback."""

import ctypes
import math

import numpy as np
import pytest

import libcart

SCENARIO = """[trial]
model = stein
n_patients = 100
seed = 5
[times]
horizon = 60
step = 7
[parameters]
rho = 0.889
[variability]
rho = 0.4
[outputs]
trajectories = C
"""

TARGETS = """[trial]
name = python test
[targets]
median(cmax) = 3000 [2000, 4000]
quantile(cmax, 0.9) = 40000 [20000, 80000]
[free]
rho = 0.3, 2
cv.rho = 0.05, 1
[calibrate]
seed = 3
max_evaluations = 15
"""


def test_calibrate_tables_and_scenario(tmp_path):
    result = libcart.calibrate(SCENARIO, TARGETS, threads=2)
    assert result.complete and result.trial_name == "python test"
    assert list(result.targets.index) == ["median(cmax)", "quantile(cmax,0.9)"]
    assert list(result.params.index) == ["rho", "cv.rho"]
    assert {"observed", "lower", "upper", "simulated", "mc_se", "in_range"} <= set(result.targets)
    assert result.params["identified"].all() and (result.params["se"] > 0).all()
    assert result.fitted["rho"] == result.params.loc["rho", "value"]
    assert result.n_patients == 100 and result.seed == 3
    assert result.evaluations <= 15 + 4 and math.isfinite(result.objective)
    assert result.scenario.startswith("# Calibrated by cart calibrate")
    assert "rho = %.17g" % result.fitted["rho"] in result.scenario
    # rerun: the same median cmax
    rerun = libcart.trial(result.scenario, n=100, seed=3, output=tmp_path / "r.h5")
    median = np.median(rerun.endpoints["cmax"].to_numpy(dtype=float))
    assert median == result.targets.loc["median(cmax)", "simulated"]
    # one thread: the same fit, bit for bit
    again = libcart.calibrate(SCENARIO, TARGETS, threads=1)
    assert again.objective == result.objective
    assert again.params["value"].tolist() == result.params["value"].tolist()
    assert again.scenario == result.scenario


def test_calibrate_errors(tmp_path):
    bad = tmp_path / "bad.ini"
    bad.write_text(TARGETS.replace("median(cmax)", "median(cmx)"))
    with pytest.raises(libcart.LibcartError) as info:
        libcart.calibrate(SCENARIO, str(bad))
    assert info.value.name == "CART_EUNKNOWN_PARAM"
    assert str(info.value).startswith(str(bad) + ":4: ") and "cmx" in str(info.value)
    with pytest.raises(libcart.LibcartError) as info:
        libcart.calibrate(SCENARIO, TARGETS.replace("rho = 0.3, 2", "kappa = 0.3, 2"))
    assert info.value.name == "CART_EUNKNOWN_PARAM" and "<targets>:7: " in str(info.value)
    with pytest.raises(FileNotFoundError):
        libcart.calibrate(SCENARIO, "no-such-targets.ini")


def test_calibrate_progress_stops():
    seen = []

    def progress(done, total, best):
        seen.append((done, total, best))
        return done >= 2

    result = libcart.calibrate(SCENARIO, TARGETS, progress=progress)
    assert not result.complete and result.evaluations == 2
    assert seen[0][1] == 15 + 4 and seen[-1][2] == result.objective
    assert result.params["se"].isna().all()


def test_calibrate_integers_out_of_range():
    """Integers outside their C type are refused before anything runs (ctypes wrapped them
    modulo 2**bits: n = 2**64 + 2 ran 2 patients per evaluation)."""
    size_max = 2**(8 * ctypes.sizeof(ctypes.c_size_t)) - 1
    for name, allowed, bad in (("n", "1..%d" % size_max, 2**64 + 2),
                               ("seed", "0..%d" % (2**64 - 1), 2**64 + 1),
                               ("max_evaluations", "1..%d" % size_max, 2**64 + 3),
                               ("threads", "0..1024", 2**32 + 1)):
        with pytest.raises(ValueError) as caught:
            libcart.calibrate(SCENARIO, TARGETS, **{name: bad})
        assert name in str(caught.value) and allowed in str(caught.value), str(caught.value)


def test_calibrate_target_at_a_day(tmp_path):
    """A target on a trajectory value (NAME@DAY, cart-targets(5)): median C at day 28, an output
    time, equals the median of the rerun's C trajectory there (stored as float32)."""
    targets = TARGETS.replace("median(cmax) = 3000 [2000, 4000]\nquantile(cmax, 0.9) = 40000 [20000, 80000]",
                              "median(C@28) = 1000 [700, 1400]").replace("cv.rho = 0.05, 1\n", "")
    result = libcart.calibrate(SCENARIO, targets, threads=2)
    assert list(result.targets.index) == ["median(C@28)"]
    simulated = result.targets.loc["median(C@28)", "simulated"]
    assert 700 <= simulated <= 1400
    rerun = libcart.trial(result.scenario, n=100, seed=3, output=tmp_path / "r.h5")
    day = list(rerun.time).index(28)
    median = np.median(rerun.trajectories["C"][:, day].astype(float))
    assert median == pytest.approx(simulated, rel=1e-6)
    with pytest.raises(libcart.LibcartError, match="day 61 is after the trial's horizon 60"):
        libcart.calibrate(SCENARIO, targets.replace("C@28", "C@61"))
