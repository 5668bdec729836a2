"""libcart.fit, FitProblem (objective and gradient for external optimisers) and
plots.fit_plot."""

import math

import numpy as np
import pytest

import libcart
from libcart import plots

TIMES = [1, 2, 4, 7, 9, 12, 16, 21, 28, 35, 50]


def stein_data(rho=0.7, lloq=None):
    """stein's C at rho with a fixed +-10 % pattern; values below lloq marked BLQ."""
    sol = libcart.solve("stein", params={"rho": rho}, times=TIMES)
    c = (sol.states["CE"] + sol.states["CM"]) * np.exp(0.1 * np.sin(np.array(TIMES) * 7.0))
    blq = [int(lloq is not None and v < lloq) for v in c]
    return {"time": TIMES, "observable": ["C"] * len(TIMES),
            "value": [lloq if b else v for v, b in zip(c, blq)], "blq": blq,
            "lloq": [lloq if lloq else math.nan] * len(TIMES)}


def test_fit_recovers_rho():
    result = libcart.fit(stein_data(), "stein", ["rho", "c0", "alpha"], log=True,
                         profile=["rho"], profile_points=5)
    rho = result.estimates["rho"]
    assert abs(rho["estimate"] - 0.7) < 0.02
    assert rho["ci_lower"] < rho["estimate"] < rho["ci_upper"]
    assert rho["identifiable"] and result.identifiable
    assert result.names == ["rho", "c0", "alpha", "sigma_add"]
    assert result.correlation.shape == (4, 4)
    assert np.allclose(np.diag(result.correlation), 1.0)
    assert result.gradient_method == "sensitivities"
    assert set(result.curves) == {"C"} and result.curves["C"].size == 201
    xs, ys = result.profiles["rho"]
    assert ys[2] == pytest.approx(result.objective, abs=1e-6)
    assert min(ys) >= result.objective - 1e-6


def test_problem_gradient_matches_differences():
    with libcart.FitProblem(stein_data(lloq=500.0), "stein", {"rho": 0.8, "alpha": 0.2},
                            log=True, priors={"rho": (0.9, 0.3)}) as problem:
        theta = problem.theta0.copy()
        grad = problem.gradient(theta)
        for k in range(theta.size):
            step = np.zeros_like(theta)
            step[k] = 1e-5
            fd = (problem.objective(theta + step) - problem.objective(theta - step)) / 2e-5
            assert grad[k] == pytest.approx(fd, rel=1e-4, abs=1e-4)
        pred, sens = problem.predict(theta, sensitivities=True)
        assert pred.shape == (len(TIMES),) and sens.shape == (len(TIMES), theta.size)
        assert problem.values(theta)["rho"] == pytest.approx(0.8)


def test_bad_data():
    bad = stein_data()
    bad["observable"][3] = "Cblood"
    with pytest.raises(ValueError, match="unknown observable 'Cblood'"):
        libcart.fit(bad, "stein", ["rho"])
    with pytest.raises(libcart.LibcartError, match="times are not sorted"):
        libcart.fit({"time": [2, 1], "observable": ["C", "C"], "value": [1, 1]}, "stein",
                    ["rho"])


def test_fit_csv_and_plot(tmp_path):
    data = stein_data(lloq=200.0)
    path = tmp_path / "p.csv"
    with open(path, "w") as f:
        f.write("time,observable,value,blq\n")
        for t, v, b in zip(data["time"], data["value"], data["blq"]):
            f.write("%g,C,%.10g,%d\n" % (t, v, b))
    result = libcart.fit(str(path), "stein", ["rho", "c0"], log=True)
    assert sum(result.data["blq"]) >= 2
    fig = plots.fit_plot(result)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    labels = [line.get_label() for line in ax.lines]
    assert "below LLOQ (at LLOQ)" in labels and "fit" in labels


def test_fit_all_nonmem_and_petab(tmp_path):
    a, b = stein_data(rho=0.7), stein_data(rho=0.6)
    nonmem = tmp_path / "nm.csv"
    petab = tmp_path / "m.tsv"
    with open(nonmem, "w") as f, open(petab, "w") as g:
        f.write("ID,TIME,DV,OBS\n")
        g.write("observableId\tsimulationConditionId\ttime\tmeasurement\n")
        for pid, d in (("a", a), ("b", b)):
            for t, v in zip(d["time"], d["value"]):
                f.write("%s,%g,%.10g,C\n" % (pid, t, v))
                g.write("C\t%s\t%g\t%.10g\n" % (pid, t, v))
    one = libcart.fit_all(nonmem, "stein", ["rho", "c0", "alpha"], log=True, threads=1)
    two = libcart.fit_all(nonmem, "stein", ["rho", "c0", "alpha"], log=True, threads=2)
    pe = libcart.fit_all(petab, "stein", ["rho", "c0", "alpha"], format="petab", log=True)
    assert list(one) == ["a", "b"] and list(pe) == ["a", "b"]
    for key in one:
        assert one[key].estimates == two[key].estimates == pe[key].estimates
        assert one[key].id == key
    assert abs(one["a"].estimates["rho"]["estimate"] - 0.7) < 0.02
    assert abs(one["b"].estimates["rho"]["estimate"] - 0.6) < 0.02


def test_fit_all_dose_records(tmp_path):
    """A NONMEM table's dose records are each ID's doses: two cart patients with different CAR-T
    doses, simulated with their own, give what fit() gives each one with doses=."""
    times = [1, 2, 3, 5, 7, 10, 14, 21, 28]
    doses = {"a": ["0:1e8"], "b": ["0:3e7", "7:3e7"]}
    path = tmp_path / "nm.csv"
    alone = {}
    with open(path, "w") as f:
        f.write("ID,TIME,DV,OBS,CMT,AMT,EVID,MDV\n")
        for pid, given in doses.items():
            sol = libcart.solve("cart", params={"rho": 0.8}, times=times, doses=given)
            t = np.array(times, dtype=float)
            data = {"time": times * 2, "observable": ["Cblood"] * 9 + ["IL6"] * 9,
                    "value": list(sol.signals["Cblood"] * np.exp(0.1 * np.sin(3 * t))) +
                             list(sol.states["IL6"] * np.exp(0.1 * np.cos(3 * t)))}
            order = sorted(range(18), key=lambda i: data["time"][i])
            data = {k: [v[i] for i in order] for k, v in data.items()}
            alone[pid] = libcart.fit(data, "cart", {"rho": 0.6, "delta_E": 0.3}, log=True,
                                     sigma_add=0.3, doses=given, curve_times=[1.0])
            for d in given:
                when, cells = d.split(":")
                f.write("%s,%s,.,.,cart,%s,1,1\n" % (pid, when, cells))
            for tt, obs, v in zip(data["time"], data["observable"], data["value"]):
                f.write("%s,%g,%.17g,%s,.,.,0,0\n" % (pid, tt, v, obs))
    results = libcart.fit_all(path, "cart", {"rho": 0.6, "delta_E": 0.3}, log=True,
                              sigma_add=0.3, curve_times=[1.0])
    assert list(results) == ["a", "b"]
    for pid in results:
        for name in ("rho", "delta_E"):
            got, want = results[pid].estimates[name], alone[pid].estimates[name]
            assert got["estimate"] == pytest.approx(want["estimate"], rel=1e-9)
            assert got["se"] == pytest.approx(want["se"], rel=1e-6)
        rho = results[pid].estimates["rho"]
        assert abs(rho["estimate"] - 0.8) < 2 * rho["se"]
    # doses both in the table and as doses=, and a bad dose record: refused
    with pytest.raises(ValueError, match="'a' carries its own doses"):
        libcart.fit_all(path, "cart", ["rho"], doses=["0:1e8"])
    lines = open(path).read().splitlines()
    lines[1] = lines[1].replace(",cart,1e8,", ",cart,-1e8,")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(libcart.LibcartError, match=r"bad\.csv:2: AMT -1e\+08 is negative"):
        libcart.fit_all(bad, "cart", ["rho"])
