"""Event tables (NONMEM/rxode2 layout) in solve() and trial(): the same doses as the existing
arguments, `cart run --dose/--toci` and a scenario's [dosing] lines give, bit for bit, and a
message naming the row and the column for each table libcart refuses."""

import subprocess
import warnings

import h5py
import numpy as np
import pandas as pd
import pytest

import libcart

TIMES = list(range(0, 31))

# CAR-T: the initial infusion at t = 0 and a second dose on day 14 (cmt given as a name and as
# the number of E); tocilizumab 8 mg/kg on day 3 repeated twice every 12 h (ii/addl), and on
# day 5 over 2 h (dur in days), with a 600 mg cap.
EVENTS = pd.DataFrame({
    "ID": [1, 1, 1, 1],
    "TIME": [0.0, 14.0, 3.0, 5.0],
    "AMT": [2e8, 1e8, 8.0, 8.0],
    "CMT": ["cart", 1, "tocilizumab", 8],
    "EVID": [1, 1, 1, 1],
    "DUR": [np.nan, np.nan, np.nan, 2 / 24],
    "II": [0.0, 0.0, 0.5, 0.0],
    "ADDL": [0, 0, 2, 0],
    "CAP_MG": [np.nan, np.nan, np.nan, 600.0],
    "WT": [70.0, 70.0, 70.0, 70.0],  # a covariate column: ignored
})
DOSES = [(0, 2e8), (14, 1e8)]
TOCI = [(3, 8), (3.5, 8), (4, 8), (5, 8, 2, 600)]
CLI = ["--dose", "0:2e8", "--dose", "14:1e8", "--toci", "3:8", "--toci", "3.5:8", "--toci", "4:8",
       "--toci", "5:8:2:600"]


def same(a, b):
    assert list(a.keys()) == list(b.keys())
    for key in b.keys():
        assert np.array_equal(a[key], b[key]), key
    assert a.signals.keys() == b.signals.keys()
    for key in b.signals:
        assert np.array_equal(a.signals[key], b.signals[key]), key
    assert np.array_equal(a.toci_times, b.toci_times)


@pytest.fixture(scope="module")
def by_arguments():
    return libcart.solve(doses=DOSES, toci=TOCI, times=TIMES)


def test_frame_is_the_arguments(by_arguments):
    same(libcart.solve(events=EVENTS, times=TIMES), by_arguments)
    # the doses changed the solution (the test would not see a table ignored)
    plain = libcart.solve(times=TIMES)
    assert not np.array_equal(plain["D1"], by_arguments["D1"])
    assert not np.array_equal(plain["E"], by_arguments["E"])


def test_csv_is_the_arguments(by_arguments, tmp_path):
    path = tmp_path / "events.csv"
    EVENTS.to_csv(path, index=False)
    same(libcart.solve(events=str(path), times=TIMES), by_arguments)
    same(libcart.solve(events=path, times=TIMES), by_arguments)


def test_frame_is_cart_run(cart_bin):
    """`cart run` prints %.10g: the solve's numbers printed so are the same text."""
    out = subprocess.run([cart_bin, "run", "--times", "0:30:1"] + CLI, check=True,
                         capture_output=True, text=True).stdout.splitlines()
    sol = libcart.solve(events=EVENTS, times=TIMES)
    assert out[0].split("\t") == sol.keys()
    assert len(out) == len(TIMES) + 1
    for k, line in enumerate(out[1:]):
        assert line.split("\t") == ["%.10g" % sol[key][k] for key in sol.keys()], k


def test_rate_fmem_and_observation_rows():
    # rate 96 mg/kg per day of 8 mg/kg: dur = 1/12 day = 2 h; fmem; evid 0 rows are the times
    table = pd.DataFrame({"time": [0.0, 2.0, 5.0, 0.0, 1.5, 10.0],
                          "amt": [1e8, 5e7, 8.0, 0.0, 0.0, 0.0],
                          "cmt": ["car-t", "E", "D1", np.nan, np.nan, np.nan],
                          "evid": [1, 1, 1, 0, 0, 0],
                          "rate": [np.nan, 0.0, 96.0, np.nan, np.nan, np.nan],
                          "fmem": [0.5, np.nan, np.nan, np.nan, np.nan, np.nan]})
    same(libcart.solve(events=table),
         libcart.solve(doses=[(0, 1e8, 0.5), (2, 5e7)], toci=[(5, 8, 2)], times=[0, 1.5, 10]))
    with pytest.raises(ValueError, match="times is given"):
        libcart.solve(events=table, times=[0, 1])


def test_cart2_numbers_its_compartments():
    d1 = libcart.model_info("cart2").states.index(
        next(s for s in libcart.model_info("cart2").states if s[0] == "D1")) + 1
    assert d1 == 10
    table = pd.DataFrame({"time": [2.0], "amt": [8.0], "cmt": [d1]})
    same(libcart.solve(model="cart2", events=table, times=[0, 2, 4]),
         libcart.solve(model="cart2", toci=[(2, 8)], times=[0, 2, 4]))
    with pytest.raises(ValueError, match="column cmt: compartment 11 \\(D2\\) of model cart2 takes "
                                         "no doses"):
        libcart.solve(model="cart2", events=table.assign(cmt=[11]), times=[0, 1])


def test_events_after_the_arguments_keep_the_initial_rule():
    # a second t = 0 CAR-T dose is refused by the library's rule, whichever gives it
    with pytest.raises(libcart.LibcartError, match="events row 0: doses 0:200000000: .*t = 0"):
        libcart.solve(doses=[(0, 1e8)], events=EVENTS, times=[0, 1])


# (change to the table, the column the message must name, a pattern of the rest)
BAD = [
    (lambda t: t.drop(columns="CMT"), "no column 'cmt'", ""),
    (lambda t: t.assign(EVID=[1, 2, 1, 1]), "events row 1, column evid", "evid 2 is not supported"),
    (lambda t: t.assign(CMT=["cart", 4, "toci", 8]), "events row 1, column cmt", "Tp.*takes no"),
    (lambda t: t.assign(CMT=["cart", "liver", "toci", 8]), "events row 1, column cmt",
     "unknown target 'liver'"),
    (lambda t: t.assign(CMT=["cart", 99, "toci", 8]), "events row 1, column cmt",
     "not a compartment"),
    (lambda t: t.assign(AMT=[2e8, "lots", 8, 8]), "events row 1, column amt", "not a number"),
    (lambda t: t.assign(AMT=[2e8, np.nan, 8, 8]), "events row 1, column amt", "empty"),
    (lambda t: t.assign(AMT=[2e8, -1e8, 8, 8]), "events row 1, column amt", "below 0"),
    (lambda t: t.assign(TIME=[0, -14, 3, 5]), "events row 1, column time", "below 0"),
    (lambda t: t.assign(TIME=[0, np.inf, 3, 5]), "events row 1, column time", "not a finite"),
    (lambda t: t.assign(RATE=[0, 0, -2, 0]), "events row 2, column rate", "not supported"),
    (lambda t: t.assign(RATE=[0, 0, 0, 96]), "events row 3, column dur, rate", "both"),
    (lambda t: t.assign(DUR=[1, np.nan, np.nan, np.nan]), "events row 0, column dur",
     "CAR-T cells are given at once"),
    (lambda t: t.assign(DUR=[np.nan, np.nan, -1, np.nan]), "events row 2, column dur", "below 0"),
    (lambda t: t.assign(SS=[0, 1, 0, 0]), "events row 1, column ss", "steady-state"),
    (lambda t: t.assign(ADDL=[0, 0, 1.5, 0]), "events row 2, column addl", "whole number"),
    (lambda t: t.assign(II=[0, 0, 0, 0]), "events row 2, column ii", "repeats need ii > 0"),
    (lambda t: t.assign(ID=[1, 1, 2, 2]), "events row 2, column id", "a second subject"),
    (lambda t: t.assign(FMEM=[np.nan, np.nan, 0.5, np.nan]), "events row 2, column fmem",
     "CAR-T setting"),
    (lambda t: t.assign(time=t["TIME"]), "columns 'TIME' and 'time'", ""),
]


@pytest.mark.parametrize("change, where, rest", BAD)
def test_bad_table_names_its_column(change, where, rest):
    with pytest.raises(ValueError, match="(?s)%s.*%s" % (where.replace("(", "\\(").replace(")", "\\)"), rest)):
        libcart.solve(events=change(EVENTS), times=[0, 1])


def test_library_refusal_names_its_row():
    # the value's range is the library's rule (cart_grammar.h): its message, after the row
    with pytest.raises(libcart.LibcartError, match="events row 0: doses 0:200000000:1.5: "
                                                   "f_mem 1.5 is outside"):
        libcart.solve(events=EVENTS.assign(FMEM=[1.5, np.nan, np.nan, np.nan]), times=[0, 1])


def test_bad_csv_names_its_line(tmp_path):
    path = tmp_path / "events.csv"
    EVENTS.assign(AMT=[2e8, 1e8, "x", 8]).to_csv(path, index=False)
    with pytest.raises(ValueError, match="events.csv line 4, column amt: 'x' is not a number"):
        libcart.solve(events=str(path), times=[0, 1])
    with pytest.raises(ValueError, match="events file .*nope.csv"):
        libcart.solve(events=str(tmp_path / "nope.csv"))
    with pytest.raises(TypeError, match="DataFrame or the path"):
        libcart.solve(events=[(0, 1e8)])


def test_trial_events_are_the_scenarios_dosing(tmp_path):
    """trial(events=) gives the file a trial of the scenario with the same [dosing] lines
    gives, bit for bit, and stores the lines in its scenario."""
    scenario = libcart.default_scenario() + "\n[dosing]\n" + "".join(
        "cart = %s\n" % line for line in ("0:2e8", "14:1e8")) + "".join(
        "toci = %s\n" % line for line in ("3:8", "3.5:8", "4:8", "5:8:2:600"))
    by_text = libcart.trial(scenario, n=6, seed=4, output=tmp_path / "text.h5")
    by_events = libcart.trial(n=6, seed=4, output=tmp_path / "events.h5", events=EVENTS)
    plain = libcart.trial(n=6, seed=4, output=tmp_path / "plain.h5")
    assert "toci = 5:8:2:600" in by_events.attrs["scenario"]
    with h5py.File(tmp_path / "text.h5") as a, h5py.File(tmp_path / "events.h5") as b, \
            h5py.File(tmp_path / "plain.h5") as c:
        names = ["params", "status", "events/toci_times"] + \
            ["trajectories/" + n for n in a["trajectories"]] + \
            ["endpoints/" + n for n in a["endpoints"]]
        for name in names:
            assert np.array_equal(a[name][()], b[name][()], equal_nan=True), name
        assert not np.array_equal(a["trajectories/Cblood"][()], c["trajectories/Cblood"][()])


def test_trial_refuses_observations_and_names_rows(tmp_path):
    with pytest.raises(ValueError, match="events row 3: observation rows"):
        libcart.trial(n=2, output=tmp_path / "x.h5",
                      events=EVENTS.assign(EVID=[1, 1, 1, 0]))
    with pytest.raises(libcart.LibcartError, match="events row 0: doses 0:200000000:.*f_mem"):
        libcart.trial(n=2, output=tmp_path / "x.h5", events=EVENTS.assign(FMEM=[2, np.nan,
                                                                              np.nan, np.nan]))
    assert not (tmp_path / "x.h5").exists()


def test_trial_events_reach_every_arm(tmp_path):
    """With [arm] sections every arm gets the table's doses (libcart's
    cart_scenario_add_event_table): an arm with its own dosing.cart lines as more of them."""
    scenario = ("[trial]\nmodel = cart\nn_patients = 3\n[times]\nlist = 7,28\n"
                "[dosing]\ncart = 0:1e8\n[arm own]\ndosing.cart = 0:3e8\n[arm base]\n")
    events = pd.DataFrame({"time": [14.0], "amt": [1e8], "cmt": ["cart"]})
    result = libcart.trial(scenario, output=tmp_path / "arms.h5", events=events)
    assert sorted(result.arms) == ["base", "own"]
    assert "cart = 14:100000000" in result.attrs["scenario"]
    assert "[arm own]\ndosing.cart = 14:100000000" in result.attrs["scenario"]


def test_trial_to_frame_long(tmp_path):
    """TrialResult.to_frame(long=True): a row a written patient, trajectory and time, with the
    values h5py reads."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", libcart.IncompleteTrialWarning)
        result = libcart.trial(n=7, seed=2, block=3, output=tmp_path / "t.h5",
                               progress=lambda done, total: done >= 6)
    frame = result.to_frame(long=True)
    with h5py.File(tmp_path / "t.h5") as f:
        written = np.flatnonzero(f["status"][()] != np.iinfo(np.int32).min)
        assert list(written) == list(range(6))
        names = sorted(f["trajectories"])
        time = f["time"][()]
        assert list(frame.columns) == ["patient", "arm", "time", "name", "value", "unit"]
        assert len(frame) == len(written) * len(names) * len(time)
        for row in (0, 1, len(time), len(frame) - 1):
            p, rest = divmod(row, len(names) * len(time))
            j, k = divmod(rest, len(time))
            assert frame["patient"][row] == written[p]
            assert frame["name"][row] == names[j] and frame["time"][row] == time[k]
            assert frame["value"][row] == f["trajectories/" + names[j]][written[p], k]
    wide = result.to_frame(long=False)
    assert list(wide["patient"]) == list(written)
    assert list(wide.columns[:3]) == ["patient", "arm", "status"]


def test_csv_through_c_python_and_the_command_line(tmp_path, cart_bin):
    """One CSV, three readers, one reading (libcart's cart_parse_event_table): `cart run
    --event-table` prints what solve(events=path) solves, and what the same doses given as
    arguments give; R's cart_solve(events=path) is checked against `cart run --event-table` in
    r/tests/testthat/test-events.R."""
    path = tmp_path / "events.csv"
    EVENTS.to_csv(path, index=False)
    by_table = subprocess.run([cart_bin, "run", "--times", "0:30:1", "--event-table", str(path)],
                              check=True, capture_output=True, text=True).stdout
    by_options = subprocess.run([cart_bin, "run", "--times", "0:30:1"] + CLI, check=True,
                                capture_output=True, text=True).stdout
    assert by_table == by_options
    sol = libcart.solve(events=path, times=TIMES)
    for k, line in enumerate(by_table.splitlines()[1:]):
        assert line.split("\t") == ["%.10g" % sol[key][k] for key in sol.keys()], k
    # the same refusal, with the line, from the command line and from Python
    EVENTS.assign(AMT=[2e8, 1e8, "x", 8]).to_csv(path, index=False)
    run = subprocess.run([cart_bin, "run", "--event-table", str(path)], capture_output=True,
                         text=True)
    assert run.returncode == 2
    with pytest.raises(ValueError) as python:
        libcart.solve(events=str(path), times=[0, 1])
    assert run.stderr.splitlines()[0] == "cart: --event-table: %s" % python.value.message
    assert "events.csv line 4, column amt: 'x' is not a number" in python.value.message
