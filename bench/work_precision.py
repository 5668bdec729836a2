#!/usr/bin/python3
"""work_precision.py: errors, table and plot of bench/work_precision.sh.

    work_precision.py report --log RESULTS.txt --dumps DIR --reference REF.csv --csv OUT.csv
                             [--png OUT.png]
    work_precision.py reference --out REF.csv --reference CSV --source TEXT
                                [--check LABEL CSV ...]

report: reads the key=TOOL.RTOL tool= lines of RESULTS.txt (one per run), takes per key the
minimum wall time over its runs divided by N (time per patient, as SciMLBenchmarks), and the errors
of its dump DIR/KEY.csv against REF.csv over the patients it solved:
  checksum error  |C - C_ref| / C_ref with C = sum over patients of E(365) + (Tp + Tn)(28)
  max rel. error  max over patients and the 8 values (E and Tp + Tn on days 14, 28, 90, 365) of
                  |x - x_ref| / max(|x_ref|, 1 cell)
  median          the median over patients of each patient's largest error of the 8
Prints the markdown table, writes it as CSV, and draws error against time per patient (log-log,
one line per method; panels: checksum error, max rel. error).

reference: writes REF.csv (CSV, patient and the 8 values, %.12e) with a provenance header that
gives each --check's agreement with it, in the same two measures.
"""
import argparse
import math
import os
import sys

import numpy as np

COLUMNS = 'patient,E14,E28,E90,E365,T14,T28,T90,T365'
FLOOR = 1.0  # cells: MODEL.md 3's n_ext; below it errors are absolute
LABELS = {  # tool (the key's prefix) -> legend
    'libcart-bdf': 'libcart bdf (GSL msbdf)',
    'libcart-gsl-bdf': 'libcart gsl-bdf (GSL msbdf)',
    'libcart-rk8pd': 'libcart rk8pd (GSL)',
    'libcart-rodas5p': 'libcart rodas5p (one patient at a time)',
    'libcart-rodas5p-lanes': 'libcart rodas5p, 8 patients per SIMD vector',
    'cvode-bdf': 'CVODE BDF (C)',
    'desolve-lsoda': 'deSolve lsoda (R, compiled model)',
    'scipy-lsoda': 'SciPy LSODA',
    'scipy-bdf': 'SciPy BDF',
    'scipy-radau': 'SciPy Radau',
}


def load(path):
    """Rows of a dump or reference file: an (n, 8) array, in patient order."""
    with open(path, encoding='ascii') as f:
        rows = [line.split(',')[1:] for line in f
                if line.strip() and not line.startswith('#') and not line.startswith('patient')]
    return np.array(rows, dtype=float).reshape(-1, 8)


def errors(x, ref):
    """(checksum error, max rel. error, median over patients of the per-patient max)."""
    ref = ref[:len(x)]
    c = x[:, 3] + x[:, 5]
    c_ref = ref[:, 3] + ref[:, 5]
    checksum = abs(c.sum() - c_ref.sum()) / abs(c_ref.sum())
    rel = np.abs(x - ref) / np.maximum(np.abs(ref), FLOOR)
    per_patient = rel.max(axis=1)
    return checksum, float(np.max(per_patient)), float(np.median(per_patient))


def parse_log(path):
    """key -> dict(tool, rtol, n, walls, steps, failures) from the key= lines."""
    runs = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            if not line.startswith('key='):
                continue
            fields = dict(item.split('=', 1) for item in line.split() if '=' in item)
            key = fields['key']
            tool = key.split('.', 1)[0]
            r = runs.setdefault(key, dict(tool=tool, rtol=float(fields['rtol']),
                                          n=int(fields['N']), walls=[],
                                          steps=fields.get('steps/patient', '-'), failures=0))
            r['walls'].append(float(fields['wall_s']))
            r['failures'] = max(r['failures'], int(fields.get('failures', '0')))
    return runs


def fmt_time(seconds):
    us = seconds * 1e6
    return '%.0f' % us if us >= 100 else '%.3g' % us


def report(args):
    ref = load(args.reference)
    runs = parse_log(args.log)
    if not runs:
        print('no runs in %s' % args.log, file=sys.stderr)
        return 1
    order = []
    for key, r in runs.items():
        dump = os.path.join(args.dumps, key + '.csv')
        r['time'] = min(r['walls']) / r['n']
        if os.path.exists(dump):
            r['checksum'], r['max'], r['median'] = errors(load(dump), ref)
        else:
            r['checksum'] = r['max'] = r['median'] = math.nan
        order.append(key)
    tools = []
    for key in order:
        if runs[key]['tool'] not in tools:
            tools.append(runs[key]['tool'])
    order.sort(key=lambda k: (tools.index(runs[k]['tool']), -runs[k]['rtol']))

    print('| method | rtol | N | time/patient (us), min of runs | runs | checksum error | '
          'max rel. error | median rel. error | steps/patient |')
    print('|---|---|---|---|---|---|---|---|---|')
    with open(args.csv, 'w', encoding='ascii') as f:
        f.write('tool,rtol,N,time_per_patient_s,runs,checksum_error,max_rel_error,'
                'median_rel_error,steps_per_patient,failures\n')
        for key in order:
            r = runs[key]
            fail = ' (%d failed)' % r['failures'] if r['failures'] else ''
            print('| %s%s | %g | %d | %s | %d | %.1e | %.1e | %.1e | %s |'
                  % (LABELS.get(r['tool'], r['tool']), fail, r['rtol'], r['n'],
                     fmt_time(r['time']), len(r['walls']), r['checksum'], r['max'],
                     r['median'], r['steps']))
            f.write('%s,%g,%d,%.6e,%d,%.3e,%.3e,%.3e,%s,%d\n'
                    % (r['tool'], r['rtol'], r['n'], r['time'], len(r['walls']), r['checksum'],
                       r['max'], r['median'], r['steps'], r['failures']))
    if args.png:
        plot(args.png, tools, runs, order, resolution(args.reference))
    return 0


def resolution(path):
    """(checksum, max rel.) agreement of the reference with its closest cross-check: errors below
    these are not resolved. From the reference's header; None where it has none."""
    best = None
    with open(path, encoding='ascii') as f:
        for line in f:
            if not line.startswith('#   ') or ':' not in line:
                continue
            try:
                c, rest = line.rsplit(':', 1)[1].split(';')
                m = float(rest.split(',')[0])
                c = float(c)
            except ValueError:
                continue
            best = (c, m) if best is None else (min(best[0], c), min(best[1], m))
    return best


def plot(path, tools, runs, order, floor):
    try:
        import matplotlib  # pylint: disable=import-outside-toplevel
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    except ImportError:
        print('matplotlib not found: no plot', file=sys.stderr)
        return
    fig, axes = plt.subplots(1, 2, figsize=(13, 6.2))
    markers = 'osD^v<>ph*'
    for panel, (ax, what, title) in enumerate(zip(
            axes, ('checksum', 'max'),
            ('checksum error: sum of E(365) + (Tp + Tn)(28)',
             'max rel. error of E, Tp + Tn on days 14, 28, 90, 365'))):
        for i, tool in enumerate(tools):
            keys = [k for k in order if runs[k]['tool'] == tool]
            err = np.array([runs[k][what] for k in keys])
            t = np.array([runs[k]['time'] * 1e3 for k in keys])
            n = runs[keys[0]]['n']
            label = '%s, %d patients' % (LABELS.get(tool, tool), n)
            style = '--' if tool.startswith('scipy') else '-'
            ax.loglog(np.maximum(err, 1e-16), t, style, marker=markers[i % len(markers)],
                      label=label)
            if panel == 1 or i == 0:
                for k, e, tt in zip(keys, err, t):
                    if i == 0:
                        ax.annotate('%g' % runs[k]['rtol'], (max(e, 1e-16), tt), fontsize=7,
                                    textcoords='offset points', xytext=(4, -9))
        if floor is not None:
            ax.axvline(floor[panel], color='grey', linestyle=':', linewidth=1)
            ax.text(floor[panel], ax.get_ylim()[0], ' reference agreement', color='grey',
                    fontsize=7, va='bottom', rotation=90)
        ax.set_xlabel(title)
        ax.set_ylabel('time per patient (ms), min of runs, 1 thread')
        ax.grid(True, which='both', alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc='lower center', ncol=4, fontsize=8, frameon=False)
    fig.suptitle('libcart work-precision: 365 days, daily output, rtol 1e-3 .. 1e-10, '
                 'atol = MODEL.md\'s x rtol / 1e-6 (labels: rtol of the first line)', fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=110)


def reference(args):
    ref = load(args.reference)
    lines = ['# work-precision reference (bench/work_precision.sh): E and Tp + Tn (cells) on days '
             '14, 28, 90, 365 of the first %d patients of anchors/bench_params.csv' % len(ref),
             '# source: ' + args.source,
             '# agreement (checksum error; max and median rel. error, floor 1 cell):']
    for label, path in args.check or []:
        c, m, med = errors(load(path), ref)
        lines.append('#   %s, %d patients: %.1e; %.1e, %.1e' % (label, len(load(path)), c, m, med))
    with open(args.out, 'w', encoding='ascii') as f:
        f.write('\n'.join(lines) + '\n' + COLUMNS + '\n')
        for i, r in enumerate(ref):
            f.write('%d,%s\n' % (i, ','.join('%.12e' % v for v in r)))
    print('\n'.join(lines))
    return 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    p = sub.add_parser('report')
    p.add_argument('--log', required=True)
    p.add_argument('--dumps', required=True)
    p.add_argument('--reference', required=True)
    p.add_argument('--csv', required=True)
    p.add_argument('--png')
    p = sub.add_parser('reference')
    p.add_argument('--out', required=True)
    p.add_argument('--reference', required=True)
    p.add_argument('--source', required=True)
    p.add_argument('--check', nargs=2, action='append', metavar=('LABEL', 'CSV'))
    args = parser.parse_args(argv[1:])
    return report(args) if args.command == 'report' else reference(args)


if __name__ == '__main__':
    sys.exit(main(sys.argv))
