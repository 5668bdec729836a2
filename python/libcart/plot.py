"""python3 -m libcart.plot FILE.h5 -o report.png [--dpi N]: a trial file's report as a PNG.

Reads a trial file written by `cart trial` (or libcart.trial) with libcart.read_trial and writes
libcart.plots.report(...) to the output: percentile bands of the trajectories, response and CRS
bars and endpoint histograms. Exit status 0, or 1 with one line "libcart.plot: ..." on standard
error (missing or unreadable file, not a trial file, output not writable); 2 for bad usage.
A file marked incomplete is plotted (its title says so) after a one-line warning.
Also callable from Python: `from libcart.plot import main; main(["trial.h5", "-o", "r.png"])`
returns the exit status.
"""

import argparse
import os
import sys
import warnings

PROG = "libcart.plot"


def _parser():
    parser = argparse.ArgumentParser(
        prog=f"python3 -m {PROG}",
        description="Write the report of a libcart trial file (cart trial) as a PNG image: "
                    "5-50-95% bands of the trajectories, response and CRS grade bars and "
                    "histograms of cmax, tmax and auc28.")
    parser.add_argument("file", metavar="FILE.h5", help="a trial file written by `cart trial`")
    parser.add_argument("-o", "--output", metavar="REPORT.png", default="report.png",
                        help="the PNG to write (default report.png)")
    parser.add_argument("--dpi", type=float, default=100.0, metavar="N",
                        help="resolution in dots per inch (default 100); the image is the "
                             "figure size (inches) times N pixels")
    return parser


def _fail(message):
    print(f"{PROG}: {message}", file=sys.stderr)
    return 1


def _one_line(error):
    text = str(error).strip() or type(error).__name__
    return " ".join(text.split())


def main(argv=None):
    """Runs the command with argv (default sys.argv[1:]); returns the exit status."""
    args = _parser().parse_args(argv)
    if not (args.dpi > 0 and args.dpi < 10000):
        return _fail(f"--dpi must be a positive number below 10000, not {args.dpi:g}")
    if not os.path.exists(args.file):
        return _fail(f"{args.file}: no such file")
    if os.path.isdir(args.file):
        return _fail(f"{args.file}: is a directory, not a trial file")
    try:
        import libcart
        from libcart import plots
    except Exception as error:  # the C library or numpy/matplotlib missing
        return _fail(f"cannot load libcart: {_one_line(error)}")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            trial = libcart.read_trial(args.file)
    except Exception as error:  # h5py's OSError, KeyError for missing datasets, ...
        return _fail(f"{args.file}: not a readable libcart trial file ({_one_line(error)})")
    for warning in caught:  # an incomplete file is plotted; say so in one line
        print(f"{PROG}: warning: {_one_line(warning.message)}", file=sys.stderr)
    try:
        figure = plots.report(trial)
    except Exception as error:
        return _fail(f"{args.file}: cannot plot the report ({_one_line(error)})")
    try:
        figure.savefig(args.output, dpi=args.dpi, format="png")
    except Exception as error:
        return _fail(f"{args.output}: cannot write ({_one_line(error)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
