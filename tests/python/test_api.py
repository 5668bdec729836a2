"""Tests of the Python API of libcart (python/libcart): the ctypes layer against the C library,
the `cart` command line, the reference trajectories of anchors/reference/ and HDF5 trial files.
"""

import csv
import ctypes
import glob
import math
import os
import subprocess
import sys
import threading

import h5py
import numpy as np
import pandas as pd
import pytest

import libcart
from libcart import _clib


# ---- models ------------------------------------------------------------------------------


def test_models_and_model_info():
    assert {"cart", "cart2", "stein"} <= set(libcart.models())
    info = libcart.model_info("cart")
    assert len(info.params) == 47  # MODEL.md 2.2: 41, and 6 opt-in mechanisms
    assert info.params.loc["rho", "default"] == 0.6
    assert info.params.loc["rho", "unit"] == "1/day"
    assert list(info.params.columns) == ["unit", "default", "lower", "upper", "lower_open",
                                         "upper_open", "meaning"]
    # closed [0, 10] for rho, open (0, inf) for KS
    assert (info.params.loc["rho", "lower"], info.params.loc["rho", "upper"]) == (0.0, 10.0)
    assert not info.params.loc["rho", "lower_open"]
    assert info.params.loc["KS", "lower_open"] and math.isinf(info.params.loc["KS", "upper"])
    assert [s[0] for s in info.states] == ["E", "M", "X", "Tp", "Tn", "B", "IL6", "D1", "D2"]
    assert info.states[6][1] == "pg/mL"
    assert [o[0] for o in info.outputs] == ["Cblood"]
    assert info.atol["IL6"] == 1e-3
    stein = libcart.model_info("stein")
    assert [s[0] for s in stein.states] == ["CE", "CM"] and stein.outputs == []
    assert libcart.__version__ == _clib.text(_clib.lib.cart_version())


def test_model_info_matches_cart_models(cart_bin):
    """The table comes from the library: every parameter and endpoint row of `cart models` is
    in it."""
    out = subprocess.run([cart_bin, "models"], check=True, capture_output=True, text=True).stdout
    cart = out.split("model stein:")[0]
    params, endpoints = cart.split("parameters:")[1].split("endpoints:")
    endpoints, settings = endpoints.split("endpoint settings:")
    info = libcart.model_info("cart")
    names = [line.split()[0] for line in params.strip().splitlines()[1:]]
    assert names == list(info.params.index)
    names = [line.split()[0] for line in endpoints.strip().splitlines()]
    assert names == [e[0] for e in info.endpoints]
    names = [line.split()[0] for line in settings.strip().splitlines()[1:]]
    assert names == list(info.endpoint_settings.index)


def test_endpoint_levels():
    """Each endpoint's levels name the settings the model reads; cart's are the trial-wide ones,
    with cart_endpoint_settings_default's defaults."""
    info = libcart.model_info("cart")
    assert info.endpoint_levels["aplasia_days"] == [("f_aplasia", "param", "B0")]
    assert info.endpoint_levels["crs_grade"] == [("crs_g%d" % g, "absolute", None)
                                                 for g in (1, 2, 3, 4)]
    assert info.endpoint_levels["response"] == [("n_detect", "absolute", None),
                                                ("t_resp", "absolute", None)]
    assert info.endpoint_levels["cmax"] == []
    settings = info.endpoint_settings
    assert set(settings.index) == {"n_detect", "t_resp", "f_aplasia", "crs_g1", "crs_g2",
                                   "crs_g3", "crs_g4", "auc_end"}
    assert not settings["own"].any()
    assert (settings.loc["f_aplasia", "default"], settings.loc["crs_g3", "default"]) == (0.1, 1000)
    assert settings.loc["n_detect", "unit"] == "cells" and settings.loc["n_detect", "lower_open"]
    stein = libcart.model_info("stein")
    assert list(stein.endpoint_settings.index) == ["auc_end"]
    assert stein.endpoint_levels["auc28"] == [("auc_end", "absolute", None)]


# ---- the structures mirror the headers ---------------------------------------------------


def test_struct_layouts_against_c_defaults():
    rule = _clib.TociRule()
    _clib.lib.cart_toci_rule_default(rule)
    assert (rule.enabled, rule.trigger, rule.max_doses, rule.mg_per_kg, rule.cap_mg) == \
        (1, 200.0, 4, 8.0, 800.0)
    assert rule.interval_day == pytest.approx(8 / 24) and rule.duration_day == pytest.approx(1 / 24)
    assert rule.delay_day == 0.0  # the last field: the layout matches cart_toci_rule to its end
    settings = _clib.EndpointSettings()
    _clib.lib.cart_endpoint_settings_default(settings)
    assert (settings.n_detect, settings.t_resp, settings.f_aplasia, list(settings.crs_g),
            settings.auc_end) == (1e9, 90.0, 0.1, [40.0, 200.0, 1000.0, 5000.0], 28.0)
    info = _clib.EndpointInfo()
    assert _clib.lib.cart_endpoint_get_info(4, info) == 0
    assert (info.name, info.unit, info.is_integer) == (b"response", b"1", 1)
    assert info.meaning
    err = _clib.CartError()
    assert not _clib.lib.cart_model_find(b"nope", err)
    assert err.code == -3 and b"nope" in err.message


@pytest.mark.skipif(np.dtype(np.intp).itemsize != 8, reason="sizes below are for LP64")
def test_struct_sizes_lp64():
    """The C sizes on LP64 (x86_64, aarch64) of the structures of the headers."""
    sizes = {_clib.CartError: 260, _clib.ParamInfo: 56, _clib.StateInfo: 32,
             _clib.TociRule: 64, _clib.EventRecord: 24, _clib.SolverStats: 32,
             _clib.EndpointInfo: 32, _clib.EndpointLevel: 24, _clib.EndpointSettings: 64,
             _clib.EndpointSummary: 136, _clib.TrialSummary: 168 + 32 * 136 + 48,
             _clib.TrialRunOptions: 48}
    for struct, size in sizes.items():
        assert ctypes.sizeof(struct) == size, struct.__name__


def test_trial_summary_struct_matches_file(tmp_dir):
    """The summary cart_trial_run_file returns through the ctypes structure equals /summary."""
    err = _clib.new_error()
    trial = _clib.lib.cart_trial_new_from_scenario(libcart.default_scenario().encode(), b"<default>", err)
    assert trial
    try:
        assert _clib.lib.cart_trial_set_n_patients(trial, 7) == 0
        summary = _clib.TrialSummary()
        path = os.path.join(tmp_dir, "s.h5")
        options = _clib.TrialRunOptions()
        _clib.lib.cart_trial_run_options_default(options)
        assert (options.scenario_text, options.force, options.block_size, options.n_threads,
                bool(options.progress), options.progress_data) == (None, 0, 0, 0, False, None)
        options.block_size, options.n_threads = 3, 1
        status = _clib.lib.cart_trial_run_file(trial, path.encode(), options, summary, err)
        assert status == 0, err.message
    finally:
        _clib.lib.cart_trial_free(trial)
    assert summary.n_patients == 7
    with h5py.File(path, "r") as f:
        attrs = dict(f["summary"].attrs)
        group = f["summary/endpoints"]
        names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["names"]]
        endpoint_attrs = {name: dict(group[name].attrs) for name in names}
    assert set(attrs) == set(_clib.TrialSummary.ONCOLOGY_FIELDS)
    assert set(_clib.TrialSummary.ONCOLOGY_FIELDS) | {"n_endpoints", "endpoints"} \
        == {name for name, _ in _clib.TrialSummary._fields_}
    for name in _clib.TrialSummary.ONCOLOGY_FIELDS:
        np.testing.assert_equal(getattr(summary, name), attrs[name], err_msg=name)
    assert summary.n_endpoints == len(names) == 13
    for i, name in enumerate(names):
        got, stored = summary.endpoints[i], endpoint_attrs[name]
        for field in ("n_number", "mean", "p5", "p25", "p50", "p75", "p95"):
            np.testing.assert_equal(getattr(got, field), stored[field], err_msg=name + field)
        if "n_level" in stored:
            assert list(got.n_level) == list(stored["n_level"]) and got.n_above == stored["n_above"]
        else:
            assert list(got.n_level) == [0] * 9 and got.n_above == 0, name


def _linear_percentile(values, q):
    """numpy's linear rule as libcart computes it: sorted values, lower + fraction * (upper -
    lower) in doubles, so the result is the same bits."""
    v = sorted(values)
    position = q / 100.0 * (len(v) - 1)
    lower = int(np.floor(position))
    upper = min(lower + 1, len(v) - 1)
    return v[lower] + (position - lower) * (v[upper] - v[lower])


def _check_endpoint_summary(result):
    """result.endpoint_summary against the endpoint columns of the solved patients."""
    frame = result.endpoint_summary
    assert list(frame.index) == list(result.endpoints.columns)
    solved = result.status == 0
    for name in frame.index:
        row = frame.loc[name]
        column = result.endpoints[name][solved]
        values = column.dropna().to_numpy(float)
        assert row["unit"] == result.endpoint_units[name]
        assert row["n_number"] == len(values)
        if len(values) == 0:
            assert np.isnan(row["mean"]) and np.isnan(row["p50"])
            continue
        assert row["mean"] == pytest.approx(math.fsum(values) / len(values), rel=1e-15)
        for q in (5, 25, 50, 75, 95):
            assert row["p%d" % q] == _linear_percentile(values, q), (name, q)
            assert row["p%d" % q] == pytest.approx(np.percentile(values, q), rel=1e-12, abs=1e-300)
        if str(column.dtype) == "Int32":
            for v in range(9):
                assert row["n_%d" % v] == int((values == v).sum()), (name, v)
            assert row["n_above"] == int((values > 8).sum())
        else:
            assert frame.loc[[name], "n_0":"n_above"].isna().all().all(), name


def test_trial_endpoint_summary(tmp_dir):
    """trial()'s endpoint_summary: every endpoint of the model, against the patients' values;
    rates follow from its level counts."""
    result = libcart.trial(n=60, seed=4, output=os.path.join(tmp_dir, "e.h5"), block=25)
    _check_endpoint_summary(result)
    frame, summary = result.endpoint_summary, result.summary
    assert frame.loc["crs_grade", "n_3":"n_above"].sum() / summary["n_solved"] \
        == summary["crs_grade3_rate"]
    assert frame.loc["response", "n_2"] / summary["n_solved"] == summary["cr_rate"]
    assert frame.loc["cmax", "p95"] == summary["cmax_p95"]
    assert frame.loc["aplasia_days", "p50"] == summary["aplasia_days_p50"]
    # a model with only three of the oncology endpoints gets the summary of its own three
    stein = libcart.trial("[trial]\nmodel = stein\n[times]\nhorizon = 60\nstep = 7\n", n=15,
                          output=os.path.join(tmp_dir, "s.h5"))
    assert list(stein.endpoint_summary.index) == ["cmax", "tmax", "auc28"]
    _check_endpoint_summary(stein)


# ---- solve() against `cart run` ----------------------------------------------------------


def _cli_table(cart_bin, args):
    out = subprocess.run([cart_bin, "run"] + args, check=True, capture_output=True,
                         text=True).stdout
    lines = out.strip("\n").split("\n")
    return lines[0].split("\t"), [line.split("\t") for line in lines[1:]]


def _python_table(solution):
    frame = solution.to_frame()
    return list(frame.columns), [["%.10g" % v for v in row] for row in frame.to_numpy()]


@pytest.mark.parametrize("args, kwargs", [
    ([], {}),
    (["--set", "rho=0.7", "--dose", "14:1e8", "--toci", "5:8", "--times", "0:60:0.5"],
     dict(params={"rho": 0.7}, doses=[(14, 1e8)], toci=[(5, 8)],
          times=[0 + k * 0.5 for k in range(121)])),
    (["--model", "stein"], dict(model="stein")),
    (["--dose", "0:2e8:0.3", "--toci-rule", "on", "--times", "0,3.5,7,30,90"],
     dict(params={"dose": 2e8, "f_mem": 0.3}, toci_rule=True, times=[0, 3.5, 7, 30, 90])),
    (["--set", "T0=3e11", "--set", "p_amp=9000", "--toci-rule", "150:6:3:4", "--method",
      "rk8pd", "--rtol", "1e-8", "--n-ext", "0", "--max-steps", "200000",
      "--toci", "2:4:2:300", "--times", "0:120:1"],
     dict(params={"T0": 3e11, "p_amp": 9000},
          toci_rule={"trigger": 150, "interval_h": 6, "max_doses": 3, "mg_per_kg": 4},
          method="rk8pd", rtol=1e-8, n_ext=0, max_steps=200000, toci=[(2, 4, 2, 300)],
          times=np.arange(0, 121.0))),
])
def test_solve_equals_cart_run(cart_bin, args, kwargs):
    header, rows = _cli_table(cart_bin, args)
    columns, values = _python_table(libcart.solve(**kwargs))
    assert columns == header
    assert len(values) == len(rows)
    for k, (got, want) in enumerate(zip(values, rows)):
        assert got == want, "row %d (t = %s)" % (k, want[0])


def test_solution_access():
    sol = libcart.solve(times=[0, 1, 2])
    assert sol["E"] is sol.states["E"] and "Cblood" in sol.states
    assert list(sol.states)[:2] == ["E", "M"] and list(sol.states)[-1] == "Cblood"
    assert sol.units["IL6"] == "pg/mL" and sol.units["Cblood"] == "cells/uL"
    assert sol.params["rho"] == 0.6
    frame = libcart.solve(times=[0, 1, 2], as_frame=True)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["t", "E", "M", "X", "Tp", "Tn", "B", "IL6", "D1", "D2",
                                   "Cblood"]
    np.testing.assert_array_equal(frame["Cblood"].to_numpy(), sol["Cblood"])
    assert libcart.solve().t.tolist() == list(range(366))


def test_dose_at_zero_is_the_initial_infusion():
    """A dose at t = 0 in `doses` is the initial infusion: it sets the parameters dose and f_mem
    (libcart's cart_dose_give_cart), as `cart run --dose 0:X` and [dosing] cart = 0:X do."""
    sol = libcart.solve(times=[0], doses=[(0, 1.4e8)])
    assert sol["E"][0] + sol["M"][0] == pytest.approx(1.4e8)
    assert sol.params["dose"] == 1.4e8
    sol = libcart.solve(times=[0], doses=["0:2e8:0.25"])
    assert (sol.params["dose"], sol.params["f_mem"]) == (2e8, 0.25)
    assert sol["M"][0] == pytest.approx(0.5e8)
    error = _raises("CART_EDOSE", doses=[(0, 1e8), (0, 2e8)])
    assert "already given" in str(error)


def test_events_log():
    sol = libcart.solve(params={"T0": 3e11, "p_amp": 9000}, toci_rule=True)
    rule = [e for e in sol.events if e["kind"] == "toci_rule"]
    assert rule, sol.events
    assert all(e["amount_mg"] == 560.0 and e["state"] is None for e in rule)  # 8 mg/kg x 70 kg
    assert [e["time"] for e in sol.events] == sorted(e["time"] for e in sol.events)
    np.testing.assert_array_equal(sol.toci_times, [e["time"] for e in rule])
    extinct = [e for e in libcart.solve().events if e["kind"] == "extinction"]
    assert extinct and extinct[0]["state"] in ("Tp", "Tn") and extinct[0]["amount_mg"] == 0.0


def test_toci_rule_delay():
    """delay_h: the first dose 12 h after the rise through the trigger (still above then), and
    none when the signal is above the trigger for less than the delay."""
    at_once = libcart.solve(times=[0, 60], toci_rule=True).toci_times
    delayed = libcart.solve(times=[0, 60], toci_rule={"delay_h": 12}).toci_times
    assert len(at_once) >= 1 and len(delayed) >= 1
    assert delayed[0] == pytest.approx(at_once[0] + 0.5, abs=1e-8)
    # the typical patient's IL6s peaks near 731 pg/mL and stays above 99% of that for ~0.3 day
    peak = 0.99 * 731
    assert len(libcart.solve(times=[0, 60], toci_rule={"trigger": peak}).toci_times) >= 1
    assert len(libcart.solve(times=[0, 60],
                             toci_rule={"trigger": peak, "delay_h": 12}).toci_times) == 0
    error = _raises("CART_EDOSE", toci_rule={"delay_h": -1})
    assert "delay" in error.message


# ---- reference trajectories --------------------------------------------------------------


def _read_reference(path):
    params, toci_mg, model = {}, 0.0, None
    with open(path) as f:
        lines = f.read().splitlines()
    data = [line for line in lines if not line.startswith("#")]
    for line in lines:
        if line.startswith("# model:"):
            model = line.split()[2]
        elif line.startswith("# non-default parameters:"):
            for token in line.split(":", 1)[1].split():
                if token != "none":
                    name, value = token.split("=")
                    params[name] = float(value)
        elif line.startswith("# tocilizumab in D1 at t=0:"):
            toci_mg = float(line.split(":", 1)[1].split()[0])
    rows = list(csv.reader(data))
    header, values = rows[0], np.array(rows[1:], dtype=float)
    return model, params, toci_mg, header, values


def _floor(column, unit):
    """README: compare where the reference is above 1e4 cells, 1 pg/mL, 1e-2 mg, Cblood
    1e-2 cells/uL (stein: 1e-2 copies/ug)."""
    if column == "Cblood":
        return 1e-2
    return {"cells": 1e4, "pg/mL": 1.0, "mg": 1e-2}.get(unit, 1e-2)


def _reference_files():
    shared = os.environ.get("CART_SHARED_DIR", "")
    files = sorted(glob.glob(os.path.join(shared, "anchors", "reference", "*.csv")))
    return [os.path.basename(f) for f in files] or ["(no reference files)"]


@pytest.mark.parametrize("name", _reference_files())
@pytest.mark.parametrize("tight", [False, True], ids=["default", "tight"])
def test_reference_trajectory(reference_dir, name, tight):
    path = os.path.join(reference_dir, name)
    if not os.path.isfile(path):
        pytest.skip("no reference files in %s" % reference_dir)
    model, params, toci_mg, header, values = _read_reference(path)
    if model not in ("cart", "stein"):
        pytest.skip("model %s is not compared here" % model)
    wt = params.get("WT", libcart.model_info(model).params.loc["WT", "default"]) \
        if toci_mg else 70.0
    kwargs = dict(model=model, params=params, times=values[:, 0], n_ext=0,
                  toci=[(0, toci_mg / wt, 0)] if toci_mg else ())
    if tight:  # README: rtol 1e-10, atol below the reference's; 1e-6 where above 1e3 cells ...
        info = libcart.model_info(model)
        kwargs.update(rtol=1e-10, atol={s: {"cells": 1e-5, "pg/mL": 1e-9}.get(u, 1e-14)
                                        for s, u, _ in info.states})
    if name == "cart_strong_pamp12000.csv":  # breaks the IL-6 loop-gain rule (README)
        with pytest.raises(libcart.LibcartError) as caught:
            libcart.solve(**kwargs)
        assert caught.value.name == "CART_ERULE" and caught.value.code == -7
        assert "gain" in str(caught.value)
        return
    sol = libcart.solve(**kwargs)
    assert ["t"] + list(sol.states) == header
    limit = 1e-6 if tight else 1e-3
    for j, column in enumerate(header[1:], start=1):
        ref, got = values[:, j], sol[column]
        floor = _floor(column, sol.units[column])
        if tight:
            floor = {"cells": 1e3, "pg/mL": 1e-2, "mg": 1e-6}.get(sol.units[column], 1e-3)
        mask = np.abs(ref) > floor
        if not mask.any():
            continue
        deviation = np.abs(got[mask] - ref[mask]) / np.abs(ref[mask])
        worst = int(np.argmax(deviation))
        assert deviation[worst] <= limit, "%s: %s at t = %g deviates %.3e" % (
            name, column, values[:, 0][mask][worst], deviation[worst])


# ---- errors ------------------------------------------------------------------------------


def _raises(name, **kwargs):
    with pytest.raises(libcart.LibcartError) as caught:
        libcart.solve(**kwargs)
    error = caught.value
    assert error.name == name, (error.name, error.message)
    assert error.code < 0 and error.message and str(error) == error.message
    return error


def test_errors_carry_the_c_message(cart_bin):
    error = _raises("CART_EUNKNOWN_MODEL", model="nope")
    assert "nope" in str(error) and error.code == -3
    error = _raises("CART_EUNKNOWN_PARAM", params={"rhoo": 1})
    assert "rhoo" in str(error)
    # the same message as the command line prints
    cli = subprocess.run([cart_bin, "run", "--set", "rhoo=1"], capture_output=True, text=True)
    assert cli.returncode == 2 and cli.stderr.strip() == "cart: " + error.message
    error = _raises("CART_ENOTFINITE", params={"rho": float("nan")})
    assert "rho" in str(error)
    error = _raises("CART_ERANGE", params={"rho": -1})
    assert "rho" in str(error)
    _raises("CART_EDOSE", doses=[(3, -1e8)])
    _raises("CART_EDOSE", toci=[(3, -8)])
    _raises("CART_ETIMES", times=[0, 2, 1])
    _raises("CART_EMAXSTEPS", max_steps=10)
    _raises("CART_EINVAL", rtol=-1)
    _raises("CART_EINVAL", method="euler")
    _raises("CART_EDOSE", toci_rule={"max_doses": 99})
    with pytest.raises(ValueError):
        libcart.solve(toci_rule={"interval": 8})
    with pytest.raises(ValueError):
        libcart.solve(doses=[(1,)])


def test_error_pickles():
    import pickle
    error = libcart.LibcartError(-6, "CART_ERANGE", "rho out of range")
    again = pickle.loads(pickle.dumps(error))
    assert (again.code, again.name, again.message, str(again)) == \
        (-6, "CART_ERANGE", "rho out of range", "rho out of range")


# ---- trials ------------------------------------------------------------------------------


def _h5_datasets(path):
    names = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, item: names.append("/" + name)
                     if isinstance(item, h5py.Dataset) else None)
    return set(names)


def test_trial_reads_every_dataset(tmp_dir):
    path = os.path.join(tmp_dir, "t.h5")
    result = libcart.trial(n=20, seed=3, output=path)
    assert result.complete and result.attrs["complete"] is True
    assert set(result.units) == _h5_datasets(path)
    assert all(result.units[p] for p in result.units)
    assert result.units["/time"] == "day" and result.units["/trajectories/Cblood"] == "cells/uL"
    attrs = result.attrs
    assert list(attrs) == ["libcart_version", "model", "scenario", "seed", "n_patients",
                           "complete", "created"]
    assert (attrs["model"], attrs["seed"], attrs["n_patients"]) == ("cart", 3, 20)
    assert attrs["libcart_version"] == libcart.__version__
    assert attrs["scenario"].endswith("\n# python trial(): n_patients = 20, seed = 3\n")
    assert attrs["scenario"].startswith(libcart.default_scenario())

    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(result.time, f["time"][()])
        assert list(result.params.columns) == [n.decode() if isinstance(n, bytes) else n
                                               for n in f["params"].attrs["names"]]
        np.testing.assert_array_equal(result.params.to_numpy(), f["params"][()])
        assert set(result.trajectories) == set(f["trajectories"])
        for name, data in result.trajectories.items():
            np.testing.assert_array_equal(data, f["trajectories"][name][()])
            assert result.trajectory_units[name] == f["trajectories"][name].attrs["unit"]
        assert set(result.endpoints.columns) == set(f["endpoints"])
        for name in result.endpoints.columns:
            raw = f["endpoints"][name][()]
            column = result.endpoints[name]
            if raw.dtype.kind == "i":
                assert column.dtype == "Int32"
                np.testing.assert_array_equal(column.isna().to_numpy(), raw == -2147483648)
                np.testing.assert_array_equal(column.fillna(-2147483648).to_numpy(int), raw)
            else:
                np.testing.assert_array_equal(column.to_numpy(float), raw)
            assert result.endpoint_units[name] == f["endpoints"][name].attrs["unit"]
        np.testing.assert_array_equal(result.status, f["status"][()])
        np.testing.assert_array_equal(result.toci_times, f["events/toci_times"][()])
        # NaN-aware (the costs of a trial without [cost] are NaN)
        np.testing.assert_equal(result.summary,
                                {k: v.item() for k, v in f["summary"].attrs.items()})
    assert result.status.dtype == np.int32 and result.status.shape == (20,)
    assert result.params["rho"].std() > 0  # the default scenario varies rho
    assert result.param_units["rho"] == "1/day"
    assert result.trajectories["Cblood"].shape == (20, len(result.time))
    solved = result.status == 0
    response = result.endpoints["response"][solved]
    assert result.summary["n_patients"] == 20
    assert result.summary["cr_rate"] == pytest.approx((response == 2).mean(), abs=1e-15)
    assert result.endpoint_units["cmax"] == "cells/uL"


def test_read_trial_killed_inside_a_flush(cart_bin, repo_dir, tmp_dir):
    """A run killed inside a block's flush (tests/kill_in_flush.c ends cart just before its 6th
    superblock write): read_trial names the repair, and after h5clear --increment=0 the file
    reads with its finished blocks (cart(1), TRIAL FILES)."""
    if os.environ.get("CART_SANITIZERS"):
        pytest.skip("a preloaded library under the sanitizers")
    shim = os.path.join(tmp_dir, "kill_in_flush.so")
    if subprocess.run([os.environ.get("CC", "cc"), "-shared", "-fPIC", "-o", shim,
                       os.path.join(repo_dir, "tests", "kill_in_flush.c"), "-ldl"]).returncode:
        pytest.skip("no C compiler for tests/kill_in_flush.c")
    path = os.path.join(tmp_dir, "flush.h5")
    env = dict(os.environ, LD_PRELOAD=shim, KILL_AT_SUPERBLOCK="6")
    run = subprocess.run([cart_bin, "trial", "-n", "400", "--seed", "11", "--block", "20",
                          "--threads", "1", "-o", path], env=env, capture_output=True)
    assert run.returncode == 137
    with pytest.raises(OSError) as caught:
        libcart.read_trial(path)
    assert "h5clear --increment=0 %s" % path in str(caught.value)
    if subprocess.run(["h5clear", "--increment=0", path]).returncode:
        pytest.skip("no h5clear (Debian: hdf5-tools)")
    with pytest.warns(libcart.IncompleteTrialWarning):
        repaired = libcart.read_trial(path)
    assert (repaired.status[:80] == 0).all() and (repaired.status[80:] == -2147483648).all()


def test_trial_progress_stop_and_exists(tmp_dir):
    path = os.path.join(tmp_dir, "stop.h5")
    calls = []

    def stop(done, total):
        calls.append((done, total))
        return True

    with pytest.warns(libcart.IncompleteTrialWarning):
        result = libcart.trial(n=12, seed=1, output=path, block=5, progress=stop)
    assert calls == [(5, 12)]
    assert result.complete is False and result.attrs["complete"] is False
    assert (result.status[:5] == 0).all() and (result.status[5:] == -2147483648).all()
    assert result.endpoints["response"][5:].isna().all()
    assert np.isnan(result.endpoints["cmax"][5:]).all()
    assert result.summary == {} and result.endpoint_summary.empty
    with pytest.warns(libcart.IncompleteTrialWarning):
        again = libcart.read_trial(path)
    assert again.complete is False

    with pytest.raises(libcart.LibcartError) as caught:
        libcart.trial(n=3, output=path)
    assert caught.value.name == "CART_EEXIST" and path in str(caught.value)

    seen = []
    result = libcart.trial(n=12, seed=1, output=path, force=True, block=5,
                           progress=lambda d, t: seen.append(d))
    assert seen == [5, 10, 12] and result.complete


def test_trial_progress_exception_is_raised(tmp_dir):
    path = os.path.join(tmp_dir, "boom.h5")

    def boom(done, total):
        raise KeyError("boom")

    with pytest.raises(KeyError):
        libcart.trial(n=4, block=2, output=path, progress=boom)
    with pytest.warns(libcart.IncompleteTrialWarning):
        assert libcart.read_trial(path).complete is False


def test_trial_scenario_file_and_text(tmp_dir, cart_bin):
    text = ("[trial]\nmodel = stein\nn_patients = 6\nseed = 11\n"
            "[variability]\nrho = 0.2\n")
    ini = os.path.join(tmp_dir, "s.ini")
    with open(ini, "w") as f:
        f.write(text)
    from_file = libcart.trial(ini, output=os.path.join(tmp_dir, "a.h5"))
    from_text = libcart.trial(text, output=os.path.join(tmp_dir, "b.h5"))
    assert from_file.model == "stein" and from_file.n_patients == 6
    assert from_file.attrs["scenario"] == text + "# python trial(): n_patients = 6, seed = 11\n"
    pd.testing.assert_frame_equal(from_file.params, from_text.params)
    # the command line gives the same patients
    cli_path = os.path.join(tmp_dir, "c.h5")
    subprocess.run([cart_bin, "trial", ini, "-o", cli_path], check=True, capture_output=True)
    cli = libcart.read_trial(cli_path)
    pd.testing.assert_frame_equal(cli.params, from_file.params)
    pd.testing.assert_frame_equal(cli.endpoints, from_file.endpoints)
    for name in cli.trajectories:
        np.testing.assert_array_equal(cli.trajectories[name], from_file.trajectories[name])

    with pytest.raises(libcart.LibcartError) as caught:
        libcart.trial("[trial]\nmodel = stein\nbogus = 1\n", output=os.path.join(tmp_dir, "x.h5"))
    assert caught.value.name == "CART_EPARSE" and str(caught.value).startswith("<text>:3")
    with pytest.raises(libcart.LibcartError) as caught:
        libcart.trial("[trial]\nmodel = nope\n", output=os.path.join(tmp_dir, "y.h5"))
    assert caught.value.name == "CART_EUNKNOWN_MODEL"
    with pytest.raises(FileNotFoundError):
        libcart.trial(os.path.join(tmp_dir, "missing.ini"))
    assert not os.path.exists(os.path.join(tmp_dir, "x.h5"))


SIZE_MAX = 2**(8 * ctypes.sizeof(ctypes.c_size_t)) - 1
ULONG_MAX = 2**(8 * ctypes.sizeof(ctypes.c_ulong)) - 1


def _range_error(call, name, allowed):
    """call() raises ValueError naming the argument and its allowed range."""
    with pytest.raises(ValueError) as caught:
        call()
    message = str(caught.value)
    assert name in message and allowed in message, message


def test_integers_out_of_range_are_refused(tmp_dir):
    """Integers outside their C type used to wrap modulo 2**64: n = 2**64 + 2 ran 2 patients and
    max_steps = 2**64 + 5 became 5. Nothing runs and no file is made."""
    out = os.path.join(tmp_dir, "t.h5")
    size_range = "1..%d" % SIZE_MAX
    for bad in (2**64 + 2, SIZE_MAX + 1, 0, -1):
        _range_error(lambda: libcart.trial(n=bad, output=out), "n", size_range)
        _range_error(lambda: libcart.trial(n=2, block=bad, output=out), "block", size_range)
    for bad in (2**64, 2**64 + 11, -1):
        _range_error(lambda: libcart.trial(n=2, seed=bad, output=out), "seed",
                     "0..%d" % (2**64 - 1))
    for bad in (2**64 + 2, 2**32 + 2, 1025, -1):
        _range_error(lambda: libcart.trial(n=2, threads=bad, output=out), "threads", "0..1024")
    assert not os.path.exists(out)
    for bad in (2**64 + 5, ULONG_MAX + 1, 0, -3):
        _range_error(lambda: libcart.solve(max_steps=bad), "max_steps", "1..%d" % ULONG_MAX)
    for bad in (2**32 + 3, 2**64 + 3, -2**31 - 1):
        _range_error(lambda: libcart.solve(toci_rule={"max_doses": bad}), "max_doses",
                     "%d..%d" % (-2**31, 2**31 - 1))
    # the largest values are passed through, to libcart's own checks
    with pytest.raises(libcart.LibcartError) as caught:
        libcart.solve(toci_rule={"max_doses": 2**31 - 1})
    assert caught.value.name == "CART_EDOSE"
    assert libcart.solve(max_steps=ULONG_MAX, times=[0, 1]).t[-1] == 1
    # numpy integers are integers too
    _range_error(lambda: libcart.solve(max_steps=np.uint64(0)), "max_steps", "1..")


def test_trial_default_output_in_cwd(tmp_dir, monkeypatch):
    monkeypatch.chdir(tmp_dir)
    result = libcart.trial(n=2, seed=5)
    assert result.path == "cart-trial.h5" and os.path.isfile(os.path.join(tmp_dir,
                                                                           "cart-trial.h5"))


# ---- threads -----------------------------------------------------------------------------


def test_threads_give_the_same_numbers():
    patients = [dict(params={"rho": 0.5 + 0.05 * i, "T0": 1e11 * (1 + i)}, toci_rule=True)
                for i in range(6)]
    alone = [libcart.solve(**p).to_frame() for p in patients]
    results = [[None] * len(patients) for _ in range(2)]
    errors = []

    def work(slot, indices):
        try:
            for _ in range(2):
                for i in indices:
                    results[slot][i] = libcart.solve(**patients[i]).to_frame()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(0, range(0, 6))),
               threading.Thread(target=work, args=(1, range(5, -1, -1)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for slot in range(2):
        for i, frame in enumerate(results[slot]):
            pd.testing.assert_frame_equal(frame, alone[i], check_exact=True)


# ---- loading -----------------------------------------------------------------------------


def test_loads_without_libcart_library(repo_dir):
    """From the build tree, without LIBCART_LIBRARY, the package finds the build's library."""
    env = dict(os.environ)
    env.pop("LIBCART_LIBRARY", None)
    package_dir = os.path.dirname(os.path.dirname(libcart.__file__))
    env["PYTHONPATH"] = package_dir
    code = "import libcart; print(libcart.solve().states['Cblood'].max())"
    run = subprocess.run([sys.executable, "-c", code], env=env,
                         capture_output=True, text=True)
    if run.returncode != 0 and "cannot find the shared library" in run.stderr:
        pytest.skip("no build-tree or installed libcart here: %s" % run.stderr.strip()[-200:])
    assert run.returncode == 0, run.stderr
    assert float(run.stdout) == libcart.solve().states["Cblood"].max()


def test_expand_libdir():
    assert _clib._expand_libdir("${exec_prefix}/lib", "/opt/c", "${prefix}") == "/opt/c/lib"
    assert _clib._expand_libdir("/usr/lib64", "/usr", "/usr") == "/usr/lib64"
    assert _clib._expand_libdir("${prefix}/lib", "NONE", "NONE") == "/usr/local/lib"


def test_nul_byte_in_scenario_or_targets_is_refused(tmp_path):
    text = libcart.default_scenario()
    with pytest.raises(ValueError, match="<text>: NUL byte at offset 5"):
        libcart.trial(text[:5] + "\0" + text[5:], n=1, output=tmp_path / "t.h5")
    path = tmp_path / "s.ini"
    path.write_text("[trial]\nmodel = cart\n\0[nonsense\n")
    with pytest.raises(ValueError, match="NUL byte at offset 21"):
        libcart.trial(str(path), n=1, output=tmp_path / "t.h5")
    with pytest.raises(ValueError, match="<targets>: NUL byte"):
        libcart.calibrate(text, "[targets]\n\0orr = 1/2\n")



def test_endpoints_are_the_models(tmp_dir):
    """Each model's endpoint list comes from its table in libcart: cart's is the oncology list
    of cart_endpoint_get_info, stein's its kinetic subset; a trial file holds exactly the model's
    endpoints, read in the model's order."""
    oncology = []
    for i in range(64):
        info = _clib.EndpointInfo()
        if _clib.lib.cart_endpoint_get_info(i, info) != 0:
            break
        oncology.append(info.name.decode())
    assert [e[0] for e in libcart.model_info("cart").endpoints] == oncology
    assert [e[0] for e in libcart.model_info("cart2").endpoints] == oncology
    stein = libcart.model_info("stein").endpoints
    assert [(name, unit, integer) for name, unit, integer, _ in stein] == [
        ("cmax", "copies/ug", False), ("tmax", "day", False), ("auc28", "copies/ug*day", False)]
    path = os.path.join(tmp_dir, "stein.h5")
    result = libcart.trial("[trial]\nmodel = stein\n", n=4, seed=1, output=path)
    assert list(result.endpoints.columns) == ["cmax", "tmax", "auc28"]
    assert result.endpoint_units["cmax"] == "copies/ug"
    with h5py.File(path, "r") as f:
        assert set(f["endpoints"]) == {"cmax", "tmax", "auc28"}
