"""One owner per grammar (cart_grammar.h): `cart run`, a scenario and solve() read the same
text through the same library functions, so each gives the same doses, times and rule, and a
bad text the same message. Each test holds the three readers to each other and to the expected
value, so it fails when one of them reads a text its own way (the t = 0 dose rule included)."""

import subprocess

import numpy as np
import pytest

import libcart
from test_api import _cli_table as _cli_rows, _python_table as _python_rows

TIMES = "0,1,7,14,15,28"


def _cli_message(cart_bin, option, text):
    """MSG of `cart: OPTION TEXT: MSG`, the error of `cart run OPTION TEXT`."""
    run = subprocess.run([cart_bin, "run", option, text], capture_output=True, text=True)
    assert run.returncode == 2, run.stdout
    prefix = "cart: %s %s: " % (option, text)
    line = run.stderr.strip()
    assert line.startswith(prefix), line
    return line[len(prefix):]


def _scenario_message(tmp_path, key, text):
    """MSG of `<text>:4: [dosing] KEY = TEXT: MSG`, the error of a scenario's dose."""
    scenario = "[trial]\nmodel = cart\n[dosing]\n%s = %s\n" % (key, text)
    with pytest.raises(libcart.LibcartError) as caught:
        libcart.trial(scenario, output=tmp_path / "never.h5")
    prefix = "<text>:4: [dosing] %s = %s: " % (key, text.strip())
    assert caught.value.message.startswith(prefix), caught.value.message
    return caught.value.code, caught.value.message[len(prefix):]


def _python_message(what, text):
    with pytest.raises(libcart.LibcartError) as caught:
        libcart.solve(times=[0, 1], **{what: [text]})
    prefix = "%s %s: " % (what, text)
    assert caught.value.message.startswith(prefix), caught.value.message
    return caught.value.code, caught.value.message[len(prefix):]


@pytest.mark.parametrize("key, text, expected", [
    ("cart", "5", "expected TIME:CELLS[:FMEM]"),
    ("cart", "14:lots", "'lots' is not a number (expected TIME:CELLS[:FMEM])"),
    ("cart", "nan:1e8", "'nan' is not a finite number"),
    ("cart", "14::1e8", "expected TIME:CELLS[:FMEM]"),
    ("cart", "1:2:0.5:4", "expected TIME:CELLS[:FMEM]"),
    ("cart", "7:1e8:-1", "f_mem -1 is outside [0, 1]"),
    ("toci", "3", "expected TIME:MG_PER_KG[:HOURS[:CAP_MG]]"),
    ("toci", "3:8:x", "'x' is not a number (expected TIME:MG_PER_KG[:HOURS[:CAP_MG]])"),
])
def test_bad_dose_same_message(cart_bin, tmp_path, key, text, expected):
    option, what = ("--dose", "doses") if key == "cart" else ("--toci", "toci")
    cli = _cli_message(cart_bin, option, text)
    code, scenario = _scenario_message(tmp_path, key, text)
    python_code, python = _python_message(what, text)
    assert cli == scenario == python == expected
    assert code == python_code


def test_bad_times_and_rule_same_message(cart_bin):
    for option, what, text in (("--times", "times", "0,x"), ("--times", "times", "0:10:-1"),
                               ("--toci-rule", "toci_rule", "200:8:2.5"),
                               ("--toci-rule", "toci_rule", "soon")):
        cli = _cli_message(cart_bin, option, text)
        with pytest.raises(libcart.LibcartError) as caught:
            libcart.solve(**{what: text})
        assert caught.value.message == "%s %s: %s" % (what, text, cli)


@pytest.mark.parametrize("dose, as_tuple, cells0", [
    ("14:1e8", (14, 1e8), 1.4e8),           # a later dose: the parameter dose stays
    ("0:3e8", (0, 3e8), 3e8),               # the t = 0 rule: it is the initial infusion
    ("0:2e8:0.25", (0, 2e8, 0.25), 2e8),
    ("7:2e8:0.5", (7, 2e8, 0.5), 1.4e8),
])
def test_same_dose_everywhere(cart_bin, tmp_path, dose, as_tuple, cells0):
    """The same dose text through cart run, solve() (text and tuple) and a scenario gives the same
    patient; E + M at t = 0 is the expected initial infusion."""
    header, rows = _cli_rows(cart_bin, ["--dose", dose, "--times", TIMES])
    for given in (dose, as_tuple):
        columns, values = _python_rows(libcart.solve(doses=[given], times=TIMES))
        assert (columns, values) == (header, rows)
    sol = libcart.solve(doses=[as_tuple], times=TIMES)
    assert sol["E"][0] + sol["M"][0] == pytest.approx(cells0)
    scenario = ("[trial]\nmodel = cart\nn_patients = 1\n[times]\nlist = %s\n[dosing]\n"
                "cart = %s\n[outputs]\ntrajectories = E, M\n" % (TIMES, dose))
    result = libcart.trial(scenario, output=tmp_path / "one.h5")
    for name in ("E", "M"):
        np.testing.assert_allclose(result.trajectories[name][0], sol[name], rtol=1e-6)


@pytest.mark.parametrize("toci, as_tuple", [("5:8", (5, 8)), ("4:8:2:600", (4, 8, 2, 600)),
                                            ("3:4:0", (3, 4, 0))])
def test_same_toci_dose_everywhere(cart_bin, tmp_path, toci, as_tuple):
    header, rows = _cli_rows(cart_bin, ["--toci", toci, "--times", TIMES])
    for given in (toci, as_tuple):
        assert _python_rows(libcart.solve(toci=[given], times=TIMES)) == (header, rows)
    sol = libcart.solve(toci=[as_tuple], times=TIMES)
    scenario = ("[trial]\nmodel = cart\nn_patients = 1\n[times]\nlist = %s\n[dosing]\n"
                "toci = %s\n[outputs]\ntrajectories = D1, D2\n" % (TIMES, toci))
    result = libcart.trial(scenario, output=tmp_path / "one.h5")
    for name in ("D1", "D2"):
        np.testing.assert_allclose(result.trajectories[name][0], sol[name], rtol=1e-5,
                                   atol=1e-9)


def test_same_times_and_rule_everywhere(cart_bin):
    args = ["--set", "T0=3e11", "--set", "p_amp=9000", "--toci-rule", "150:6:3:4:2",
            "--times", "0:30:0.5"]
    header, rows = _cli_rows(cart_bin, args)
    text = libcart.solve(params={"T0": 3e11, "p_amp": 9000}, toci_rule="150:6:3:4:2",
                         times="0:30:0.5")
    fields = libcart.solve(params={"T0": 3e11, "p_amp": 9000},
                           toci_rule={"trigger": 150, "interval_h": 6, "max_doses": 3,
                                      "mg_per_kg": 4, "delay_h": 2},
                           times=np.arange(0, 30.25, 0.5))
    assert _python_rows(text) == (header, rows) == _python_rows(fields)
    assert len(text.toci_times) >= 1


def test_il6s_is_the_library_signal(tmp_path):
    """Solution.signals["IL6s"] is the trial's IL6s trajectory (one formula, in the model)."""
    sol = libcart.solve(times=TIMES, params={"KD_toci": 0.8}, toci=[(1, 8)])
    scenario = ("[trial]\nmodel = cart\nn_patients = 1\n[times]\nlist = %s\n[parameters]\n"
                "KD_toci = 0.8\n[dosing]\ntoci = 1:8\n[outputs]\ntrajectories = IL6s\n" % TIMES)
    result = libcart.trial(scenario, output=tmp_path / "one.h5")
    np.testing.assert_allclose(result.trajectories["IL6s"][0], sol.signals["IL6s"], rtol=1e-5)
    assert sol.units["IL6s"] == "pg/mL"
