#!/usr/bin/python3
"""wp_scipy.py: the work-precision diagram's SciPy program (bench/work_precision.sh).

MODEL.md's `cart` as written in ../shared/anchors/reference.py (imported from ANCHORS, never
copied), solved with scipy.integrate.solve_ivp and a plain Python right-hand side, one patient
after another: the work of the SciPy baseline of ../shared/anchors/BASELINES.md (days 0..365,
output every day, t_eval) with the method and tolerances as arguments.

    wp_scipy.py ANCHORS PARAMS.csv N METHOD RTOL ATOL_SCALE [DUMP.csv]

METHOD is a solve_ivp method (LSODA, BDF, Radau); atol per state is MODEL.md's (1 cell, 1e-3 pg/mL,
1e-6 mg) times ATOL_SCALE. Prints one line in the baselines' format (wall seconds around the solve
loop only; checksum = sum over patients of E(365) + (Tp + Tn)(28); right-hand-side and Jacobian
evaluations per patient); DUMP.csv gets per patient E and Tp + Tn on days 14, 28, 90 and 365.
"""
import os
import sys
import time

import numpy as np
from scipy.integrate import solve_ivp

REPORT_DAYS = (14, 28, 90, 365)


def main(argv):
    if len(argv) not in (7, 8):
        sys.stderr.write(__doc__)
        return 2
    anchors, path, n, method, rtol, atol_scale = argv[1], argv[2], int(argv[3]), argv[4], \
        float(argv[5]), float(argv[6])
    sys.path.insert(0, os.path.abspath(anchors))
    from reference import CART, cart_rhs, cart_initial  # pylint: disable=import-outside-toplevel

    with open(path, encoding='ascii') as f:
        rows = [[float(v) for v in line.split(',')[:4]] for line in f
                if line.strip() and not line.startswith('#') and not line.startswith('rho,')][:n]
    days = np.arange(0.0, 366.0)
    atol = [atol_scale * a for a in [1.0] * 6 + [1e-3, 1e-6, 1e-6]]
    report = np.full((len(rows), 2 * len(REPORT_DAYS)), np.nan)
    failures = nfev = njev = 0
    start = time.perf_counter()
    for i, (rho, gamma, delta_E, T0) in enumerate(rows):
        p = dict(CART, rho=rho, gamma=gamma, delta_E=delta_E, T0=T0)
        s = solve_ivp(cart_rhs, (0, 365), cart_initial(p), args=(p,), method=method,
                      t_eval=days, rtol=rtol, atol=atol)
        nfev += s.nfev
        njev += s.njev
        if not s.success:
            failures += 1
            continue
        for k, d in enumerate(REPORT_DAYS):
            report[i, k] = s.y[0, d]
            report[i, len(REPORT_DAYS) + k] = s.y[3, d] + s.y[4, d]
    wall = time.perf_counter() - start
    n = len(rows)
    checksum = np.nansum(report[:, 3] + report[:, len(REPORT_DAYS) + 1])
    print('tool=scipy-%s N=%d threads=1 rtol=%g wall_s=%.4f patients_per_s=%.2f checksum=%.10e '
          'failures=%d rhs/patient=%.0f jac/patient=%.1f'
          % (method.lower(), n, rtol, wall, n / wall, checksum, failures, nfev / n, njev / n))
    if len(argv) == 8:
        with open(argv[7], 'w', encoding='ascii') as f:
            f.write('# wp_scipy: SciPy solve_ivp %s; rtol %g, atol %g x MODEL.md\'s\n'
                    % (method, rtol, atol_scale))
            f.write('patient,E14,E28,E90,E365,T14,T28,T90,T365\n')
            for i, r in enumerate(report):
                f.write('%d,%s\n' % (i, ','.join('%.17g' % v for v in r)))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
