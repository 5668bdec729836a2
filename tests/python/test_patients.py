"""A trial from a table of real patients: trial(patients=DataFrame), trial(patients=CSV path)
and the scenario's [patients] file run by `cart trial` give the same patients, bit for bit;
patient i < rows takes row i, later patients resampled rows; the parameters the table leaves out
keep their variability; dose_per_kg gives each patient min(dose_per_kg x WT, dose_cap).
"""

import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import libcart

REPO = Path(__file__).resolve().parents[2]
CART_BIN = os.environ.get("CART_BIN", str(REPO / "src" / "cart"))
TABLE = pd.DataFrame({"id": ["P01", "P02", "P03"], "WT": [62.0, 85.0, 71.0],
                      "T0": [5e10, 2e11, 1e11]})
SCENARIO = """[trial]
model = cart
n_patients = 12
seed = 11
[times]
list = 0, 7, 14, 28
[variability]
rho = 0.3
gamma = 0.5
[dosing]
dose_per_kg = 2e6
dose_cap = 1.5e8
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("patients")
    (d / "patients.csv").write_text("# weight (kg), tumour (cells)\nid,WT,T0\n" + "".join(
        f"{r.id},{r.WT!r},{r.T0!r}\n" for r in TABLE.itertuples()))
    (d / "plain.ini").write_text(SCENARIO)
    (d / "with_file.ini").write_text(SCENARIO + "[patients]\nfile = patients.csv\n")
    return d


def test_three_routes_same_patients(files):
    by_frame = libcart.trial(str(files / "plain.ini"), output=files / "a.h5", force=True,
                             patients=TABLE)
    by_path = libcart.trial(str(files / "plain.ini"), output=files / "b.h5", force=True,
                            patients=files / "patients.csv")
    run = subprocess.run([CART_BIN, "trial", str(files / "with_file.ini"), "-o",
                          str(files / "c.h5"), "--force"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    by_scenario = libcart.read_trial(str(files / "c.h5"))
    # the report's thresholds come from the stored scenario, whose [patients] file need not be
    # where the report is drawn (run from elsewhere: the relative path does not resolve)
    from libcart import plots
    here = os.getcwd()
    try:
        os.chdir("/")
        assert plots._scenario_marks(by_scenario)["n_detect"] == 1e9
    finally:
        os.chdir(here)
    for other in (by_path, by_scenario):
        np.testing.assert_array_equal(by_frame.params.to_numpy(), other.params.to_numpy())
        assert by_frame.endpoints.equals(other.endpoints)
        for name in by_frame.trajectories:
            np.testing.assert_array_equal(by_frame.trajectories[name], other.trajectories[name])


def test_rows_resampling_and_variability(files):
    res = libcart.trial(str(files / "plain.ini"), output=files / "d.h5", force=True,
                        patients=TABLE)
    plain = libcart.trial(str(files / "plain.ini"), output=files / "e.h5", force=True)
    wt, t0 = res.params["WT"].to_numpy(), res.params["T0"].to_numpy()
    np.testing.assert_array_equal(wt[:3], TABLE.WT)  # patient i < 3: row i
    np.testing.assert_array_equal(t0[:3], TABLE.T0)
    rows = [list(TABLE.WT).index(w) for w in wt]  # every later patient: some row, whole
    np.testing.assert_array_equal(t0, TABLE.T0.to_numpy()[rows])
    assert len(set(rows[3:])) > 1
    # rho and gamma are drawn exactly as without a table (the same stream)
    np.testing.assert_array_equal(res.params["rho"], plain.params["rho"])
    np.testing.assert_array_equal(res.params["gamma"], plain.params["gamma"])
    np.testing.assert_array_equal(res.params["dose"], np.minimum(2e6 * wt, 1.5e8))


def test_table_stored_in_the_file(files):
    """/patients/table is the table as given, /patients/row each patient's row, and /params
    holds that row's values."""
    h5py = pytest.importorskip("h5py")
    libcart.trial(str(files / "plain.ini"), output=files / "g.h5", force=True, patients=TABLE)
    with h5py.File(files / "g.h5", "r") as f:
        table = f["patients/table"][()]
        names = [n.decode() if isinstance(n, bytes) else n
                 for n in f["patients/table"].attrs["names"]]
        units = [u.decode() if isinstance(u, bytes) else u
                 for u in f["patients/table"].attrs["units"]]
        rows = f["patients/row"][()]
        param_names = [n.decode() if isinstance(n, bytes) else n for n in f["params"].attrs["names"]]
        params = f["params"][()]
    assert names == ["WT", "T0"] and units == ["kg", "cells"]
    np.testing.assert_array_equal(table, TABLE[["WT", "T0"]].to_numpy())
    np.testing.assert_array_equal(rows[:3], [0, 1, 2])
    for c, name in enumerate(names):
        np.testing.assert_array_equal(params[:, param_names.index(name)], table[rows, c])
    plain = libcart.trial(str(files / "plain.ini"), output=files / "h.h5", force=True)
    with h5py.File(files / "h.h5", "r") as f:
        assert "patients" not in f  # no table, no group


def test_table_errors(files):
    with pytest.raises(libcart.LibcartError, match="'weight' is not a parameter"):
        libcart.trial(str(files / "plain.ini"), output=files / "f.h5", force=True,
                      patients=pd.DataFrame({"weight": [70.0]}))
    with pytest.raises(libcart.LibcartError, match="'rho' is a column of the patients table"):
        libcart.trial(str(files / "plain.ini"), output=files / "f.h5", force=True,
                      patients=pd.DataFrame({"rho": [0.5]}))
    with pytest.raises(ValueError, match="row 2, column 'WT'"):
        libcart.trial(str(files / "plain.ini"), output=files / "f.h5", force=True,
                      patients=pd.DataFrame({"WT": [70.0, np.inf]}))
    with pytest.raises(libcart.LibcartError, match="row 1, column 'WT'.*outside its bounds"):
        libcart.trial(str(files / "plain.ini"), output=files / "f.h5", force=True,
                      patients=pd.DataFrame({"WT": [-3.0]}))
    bad = files / "bad.csv"
    bad.write_text("WT,T0\n70,1e11\n80\n")
    with pytest.raises(libcart.LibcartError, match="bad.csv:3: a different number of fields"):
        libcart.trial(str(files / "plain.ini"), output=files / "f.h5", force=True, patients=bad)
