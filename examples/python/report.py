"""report.py: the one-page report of a virtual trial, as a PNG, with libcart.plots.report().

Runs 100 patients of the built-in default scenario (the `cart` model of MODEL.md 2.2, the LBCL
population of MODEL.md 5, tocilizumab by rule, days 0..365) with seed 1 into a trial file, and
draws libcart.plots.report() of it: 5-50-95% bands of every trajectory kept (blood CAR-T,
tumour, B cells, serum and signalling IL-6), bars of response (NR, PR, CR) and CRS grade, and
histograms of cmax, tmax and auc28 (MODEL.md 4). The CRS grade is MODEL.md's IL-6 convention,
not ASTCT clinical grading, and the figure says so.

The plots use matplotlib's Figure directly (no pyplot), so this runs without a display. For a
trial file that exists already, the command line does the same:

    python3 -m libcart.plot trial.h5 -o report.png

Usage: python3 report.py [REPORT.png [TRIAL.h5]]
(defaults: report.png in the current directory; the trial file in a temporary directory,
removed at the end; existing files are overwritten)
"""

import os
import sys
import tempfile

import libcart
import libcart.plots

N_PATIENTS = 100
SEED = 1
DPI = 100  # the image is the figure size in inches times DPI pixels


def write_report(png_path, trial_path):
    result = libcart.trial(n=N_PATIENTS, seed=SEED, output=trial_path, force=True)
    figure = libcart.plots.report(result)
    figure.savefig(png_path, dpi=DPI, format="png")
    width, height = figure.get_size_inches() * DPI
    print(f"wrote {png_path} ({width:.0f} x {height:.0f} px): {result.n_patients} patients, "
          f"{int((result.status == 0).sum())} solved, median cmax "
          f"{result.summary['cmax_p50']:.4g} cells/uL")
    return 0


def main(argv):
    png_path = argv[1] if len(argv) > 1 else "report.png"
    if len(argv) > 2:
        return write_report(png_path, argv[2])
    with tempfile.TemporaryDirectory() as directory:
        return write_report(png_path, os.path.join(directory, "report_trial.h5"))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
