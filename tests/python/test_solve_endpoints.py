"""solve()'s endpoints are the trial's: a few patients of a trial run into a file, each solved
alone from its /params row with the scenario's doses, rule, times and endpoint settings, get
their /endpoints row bit for bit. And `cart run --signals/--endpoints` print what solve() gives."""

import math
import os
import subprocess

import numpy as np
import pytest

import libcart

pytest.importorskip("h5py")
pytest.importorskip("pandas")

# cart with the rule, fixed tocilizumab and a second CAR-T dose, endpoint settings changed by
# name; stein with its own auc_end. Both with patients that vary.
SCENARIOS = {
    "cart": ("""[trial]
model = cart
n_patients = 4
seed = 5
[times]
horizon = 150
step = 5
[variability]
rho = 0.3
gamma = 0.3
p_amp = 0.3
T0 = 0.3
[dosing]
cart = 30:5e7:0.5
toci = 20:4
[tocilizumab]
rule = on
trigger = 100
delay_h = 6
[endpoints]
crs_g1 = 20
crs_g2 = 150
t_resp = 60
auc_end = 14
""", dict(doses=[(30, 5e7, 0.5)], toci=[(20, 4)], toci_rule={"trigger": 100, "delay_h": 6},
          endpoint_settings={"crs_g1": 20, "crs_g2": 150, "t_resp": 60, "auc_end": 14})),
    "stein": ("""[trial]
model = stein
n_patients = 4
seed = 9
[times]
horizon = 100
step = 2
[variability]
rho = 0.3
tmax = 0.2
[endpoints]
auc_end = 10
""", dict(endpoint_settings={"auc_end": 10})),
}


@pytest.mark.parametrize("model", sorted(SCENARIOS))
def test_solve_endpoints_equal_the_trials(tmp_path, model):
    text, arguments = SCENARIOS[model]
    result = libcart.trial(text, output=str(tmp_path / "t.h5"), threads=1)
    assert (result.status == 0).all()
    rule_doses = 0
    for k in range(result.n_patients):
        params = {name: float(result.params[name].iloc[k]) for name in result.params.columns}
        solution = libcart.solve(model, params=params, times=result.time, **arguments)
        assert list(solution.endpoints) == list(result.endpoints.columns)
        for name in result.endpoints.columns:
            stored, alone = result.endpoints[name].iloc[k], solution.endpoints[name]
            if stored is None or (isinstance(stored, float) and math.isnan(stored)) or \
                    str(stored) == "<NA>":
                assert math.isnan(alone), "patient %d %s: %r alone, NA in the trial" % (
                    k, name, alone)
            else:
                # float64 endpoints stored as computed; integer ones as int32 of whole numbers
                assert alone == float(stored), "patient %d %s: %r alone, %r in the trial" % (
                    k, name, alone, stored)
        toci_times = result.toci_times[k][~np.isnan(result.toci_times[k])]
        assert np.array_equal(solution.toci_times, toci_times)
        rule_doses += sum(e["kind"] == "toci_rule" for e in solution.events)
    if model == "cart":
        assert rule_doses > 0  # the rule's doses were counted alike
        assert solution.endpoint_units["cmax"] == "cells/uL"


def test_endpoint_settings_errors():
    with pytest.raises(libcart.LibcartError) as caught:
        libcart.solve(times=[0, 10], endpoint_settings={"crs_g9": 1})
    assert caught.value.name == "CART_EUNKNOWN_PARAM" and "crs_g4" in caught.value.message
    with pytest.raises(libcart.LibcartError) as caught:
        libcart.solve(times=[0, 10], endpoint_settings={"t_resp": -1})
    assert caught.value.name == "CART_ERANGE"
    with pytest.raises(libcart.LibcartError) as caught:
        libcart.solve(times=[0, 10], endpoint_settings={"crs_g1": 500})
    assert caught.value.name == "CART_ERANGE" and "crs_g1 < crs_g2" in caught.value.message
    with pytest.raises(TypeError):
        libcart.solve(times=[0, 10], endpoint_settings={1: 2})


def _blocks(text):
    """The table (rows of str) and the '# name' blocks (header + rows) of `cart run`'s output."""
    lines = text.splitlines()
    blocks, name = {"table": []}, "table"
    for line in lines:
        if line.startswith("# "):
            name = line[2:]
            blocks[name] = []
        else:
            blocks[name].append(line.split("\t"))
    return blocks


@pytest.mark.parametrize("model", ["cart", "cart2", "stein"])
def test_cart_run_prints_solve(cart_bin, model):
    """--signals columns are Solution.signals (as %.10g), --endpoints values Solution.endpoints
    (%.17g: exact), and the default table is unchanged by the options."""
    args = ["--times", "0:120:4", "--set-endpoint", "auc_end=21"]
    rule = model != "stein"
    if rule:
        args += ["--toci-rule", "on", "--toci", "20:4"]
    run = lambda extra: subprocess.run([cart_bin, "run", "--model", model] + args + extra,
                                       check=True, capture_output=True, text=True).stdout
    plain, full = run([]), run(["--signals", "--endpoints", "--events"])
    blocks = _blocks(full)
    header, rows = blocks["table"][0], blocks["table"][1:]
    solution = libcart.solve(model, times="0:120:4", toci=[(20, 4)] if rule else (),
                             toci_rule=rule or None, endpoint_settings={"auc_end": 21})
    n_plain = len(plain.splitlines()[0].split("\t"))
    assert [r[:n_plain] for r in blocks["table"]] == [l.split("\t") for l in plain.splitlines()]
    signal_columns = header[n_plain:]
    assert signal_columns == [s for s in solution.signals if s not in solution.states]
    for j, name in enumerate(signal_columns):
        column = [row[n_plain + j] for row in rows]
        assert column == ["%.10g" % v for v in solution.signals[name]], name
    assert blocks["endpoints"][0] == ["name", "value", "unit"]
    printed = {row[0]: (float(row[1]), row[2]) for row in blocks["endpoints"][1:]}
    assert list(printed) == list(solution.endpoints)
    for name, value in solution.endpoints.items():
        assert printed[name][1] == solution.endpoint_units[name]
        assert (math.isnan(value) and math.isnan(printed[name][0])) or printed[name][0] == value
    events = blocks["events"]
    assert events[0] == ["time", "kind", "state", "amount", "unit"]
    rule_rows = [row for row in events[1:] if row[1] == "toci_rule"]
    want = [e for e in solution.events if e["kind"] == "toci_rule"]
    assert [(float(r[0]), float(r[3]), r[4]) for r in rule_rows] == \
        [(e["time"], e["amount_mg"], "mg") for e in want]
    extinctions = [row for row in events[1:] if row[1] == "extinction"]
    assert [(float(r[0]), r[2]) for r in extinctions] == \
        [(e["time"], e["state"]) for e in solution.events if e["kind"] == "extinction"]
    if rule:
        assert want and extinctions  # the default patient gets the rule and loses Tp
        assert ["20", "toci_dose", "-", "%.17g" % min(4 * solution.params["WT"], 800), "mg"] \
            in events[1:]
        assert float(printed["toci_doses"][0]) == 1 + len(want)
