"""relapse_curve.py: the five-year relapse curve of complete responders, with libcart.trial().

Runs examples/zuma1-5y.ini (the built-in default trial, calibrated to ZUMA-1, with a horizon of
five years) for 2000 patients with seed 1 and prints, for each year, the share of complete
responders who have relapsed by then (relapse_day: the first time after the complete response
that the tumour returns above the detection limit) and the share of all patients in complete
remission without relapse. With immune control of small tumours on (k_imm, doc/models.md 2.8)
the curve flattens after the first year or two into a plateau of lasting remissions, as in
ZUMA-1's five-year follow-up (Neelapu SS et al., Blood 2023;141:2307-15).

Usage: python3 relapse_curve.py [PLOT.png]
(with PLOT.png, also draws the curve there with matplotlib)
"""

import os
import sys
import tempfile

import numpy as np

import libcart

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.join(HERE, "..", "zuma1-5y.ini")
YEARS = [0.5, 1, 2, 3, 4, 5]


def main(plot=None):
    with tempfile.TemporaryDirectory() as tmp:
        result = libcart.trial(SCENARIO, n=2000, seed=1, output=os.path.join(tmp, "t.h5"))
    ep = result.endpoints[result.status == 0]
    cr = (ep["response"] == 2).to_numpy()
    relapse = ep["relapse_day"].to_numpy()
    n_cr = int(cr.sum())
    print(f"{len(ep)} patients, {n_cr} complete responders ({100 * n_cr / len(ep):.1f} %)")
    print(" year   CR relapsed by then   in CR without relapse (all patients)")
    for year in YEARS:
        day = 365 * year
        relapsed = cr & np.isfinite(relapse) & (relapse <= day)
        print(f"{year:5.1f}   {100 * relapsed.sum() / n_cr:17.1f} %   "
              f"{100 * (n_cr - relapsed.sum()) / len(ep):28.1f} %")
    if plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        days = np.linspace(0, 1825, 366)
        curve = [100 * np.sum(cr & np.isfinite(relapse) & (relapse <= d)) / n_cr for d in days]
        fig, ax = plt.subplots(figsize=(7, 4.5))
        ax.step(days / 365, curve, where="post")
        ax.set_xlabel("years after infusion")
        ax.set_ylabel("complete responders relapsed (%)")
        ax.set_title("Default trial (calibrated to ZUMA-1), 2000 patients, seed 1")
        ax.set_xlim(0, 5)
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(plot, dpi=100)
        print(f"plot written to {plot}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
