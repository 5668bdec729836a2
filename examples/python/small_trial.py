"""small_trial.py: a small virtual trial with libcart.trial(), and its endpoints with pandas.

Runs 100 patients of the built-in default scenario (libcart.default_scenario(): the `cart` model
with its opt-in mechanisms, a population calibrated to ZUMA-1 (see the README), tocilizumab by
rule, days 0..365 at MODEL.md 6's tolerances) with seed 1, into one HDF5
trial file (layout: cart(1)), the same file `cart trial -n 100 --seed 1` writes. Patient i's
parameters depend only on (seed, i), so the numbers are the same on every run and thread count.

It prints
  * the trial's summary (the /summary of the file: response and CRS rates, percentiles of
    cmax, tmax and auc28; rates are fractions of the patients solved);
  * the number of patients and the median peak CAR-T in blood (cmax, cells/uL) in each response
    category (NR, PR, CR: MODEL.md 4), with a pandas groupby over result.endpoints.

Usage: python3 small_trial.py [TRIAL.h5]
(without an argument the file goes to a temporary directory, removed at the end; an existing
TRIAL.h5 is overwritten)
"""

import os
import sys
import tempfile

import pandas as pd

import libcart

N_PATIENTS = 100
SEED = 1
RESPONSE_LABELS = {0: "NR", 1: "PR", 2: "CR"}  # MODEL.md 4 codes


def report(path):
    result = libcart.trial(n=N_PATIENTS, seed=SEED, output=path, force=True)
    print(f"trial file: {os.path.basename(result.path)} "
          f"({result.n_patients} patients, model {result.model}, seed {result.attrs['seed']})")
    print("summary:")
    for field, value in result.summary.items():
        text = str(value) if isinstance(value, int) else f"{value:.4g}"
        print(f"  {field:22s} {text}")

    endpoints = result.endpoints[result.status == 0]  # solved patients only
    # an ordered category, so the table reads NR, PR, CR and shows an empty category too
    response = pd.Categorical(endpoints["response"].map(RESPONSE_LABELS),
                              categories=list(RESPONSE_LABELS.values()), ordered=True)
    by_response = endpoints.groupby(response, observed=False)["cmax"].agg(["count", "median"])
    by_response.index.name = "response"
    by_response = by_response.rename(columns={"count": "patients",
                                              "median": "median_cmax_cells_per_uL"})
    print("\nmedian cmax by response:")
    print(by_response.to_string(float_format=lambda x: f"{x:.4g}"))
    return 0


def main(argv):
    if len(argv) > 1:
        return report(argv[1])
    with tempfile.TemporaryDirectory() as directory:
        return report(os.path.join(directory, "small_trial.h5"))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
