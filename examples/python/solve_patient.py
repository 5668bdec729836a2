"""solve_patient.py: one virtual patient with libcart.solve(), and its course as a CSV table.

Solves the default `cart` patient (MODEL.md 2.2: 1.4e8 CAR-T cells, 2e6/kg at 70 kg, into a
tumour of 1e11 cells) on days 0..28 at MODEL.md 6's default tolerances (rtol 1e-6; atol 1 cell,
1e-3 pg/mL, 1e-6 mg), without tocilizumab (the single-patient default). It prints

  * the peak of CAR-T cells in blood (Cblood, cells/uL) and its day, read from a 0.01-day grid:
    the BDF solver reports grid points from its own interpolant, so a fine grid costs little and
    does not change the solution, while a daily grid would miss the peak by up to half a day
    (MODEL.md describes this patient: a peak of about 80 cells/uL near day 12);
  * the root-found events (the tumour's extinction, MODEL.md 3);
  * a CSV of weekly days (Cblood, tumour = Tp + Tn, B cells, serum IL-6), made with pandas.

Usage: python3 solve_patient.py [COURSE.csv]   (also writes the CSV there when given)
"""

import sys

import numpy as np

import libcart

T_END_DAY = 28          # day: expansion, contraction and the CRS window
GRID_STEP_DAY = 0.01    # day: resolution of the peak day
REPORT_DAYS = [0, 7, 14, 21, 28]


def main(argv):
    # k * step, not np.arange(0, 28, 0.01): no drift, so day 14 is exactly 14.0
    times = np.arange(round(T_END_DAY / GRID_STEP_DAY) + 1) * GRID_STEP_DAY
    solution = libcart.solve(model="cart", times=times)

    cblood = solution["Cblood"]
    peak = int(np.argmax(cblood))
    print(f"Cblood peak: {cblood[peak]:.1f} {solution.units['Cblood']} "
          f"on day {solution.t[peak]:.2f}")
    for event in solution.events:
        print(f"event: {event['kind']} of {event['state']} on day {event['time']:.2f}")

    frame = solution.to_frame()
    frame["tumour"] = frame["Tp"] + frame["Tn"]
    course = frame.loc[frame["t"].isin(REPORT_DAYS), ["t", "Cblood", "tumour", "B", "IL6"]]
    course = course.rename(columns={"t": "day", "Cblood": "Cblood_cells_per_uL",
                                    "tumour": "tumour_cells", "B": "B_cells",
                                    "IL6": "IL6_pg_per_mL"})
    print()
    course.to_csv(sys.stdout, index=False, float_format="%.6g")
    if len(argv) > 1:
        course.to_csv(argv[1], index=False, float_format="%.6g")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
