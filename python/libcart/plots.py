"""Plots of libcart results (matplotlib, no pyplot: works with any backend, Agg included).

Every function returns a matplotlib Figure. It draws into the Figure or SubFigure given as
`fig`, or into the Axes given as `ax`/`axes`, or else into a new Figure (constrained layout):

    patient_course(solution)            one patient's course from libcart.solve(): CAR-T in
                                        blood, tumour, B cells, IL-6 and tocilizumab doses
    percentile_bands(trial)             5-50-95% bands over the solved patients of a trial
    endpoint_histograms(trial)          histograms of endpoints (cmax, tmax, auc28), median marked
    response_crs(trial)                 response (NR, PR, CR) and CRS grades 0-4, % of solved
    report(trial)                       all of the above for a trial on one Figure

`trial` is what libcart.read_trial() returns. Only patients with status 0 (solved) are shown.
The CRS grade is the model convention of MODEL.md section 4 (the peak of the model's CRS signal,
IL6s or IL6s plus cart's q_ifn term, against thresholds), not ASTCT clinical grading, and the
plots say so.
"""

import math
import warnings

import numpy as np
from matplotlib.figure import Figure

__all__ = ["patient_course", "percentile_bands", "endpoint_histograms", "response_crs", "report"]

# What the trajectories and endpoints of a trial file are (cart(1) TRIAL FILES).
TRAJECTORY_TITLES = {
    "Cblood": "CAR-T cells in blood",
    "tumour": "Tumour burden",
    "B": "Normal B cells",
    "IL6": "Serum IL-6",
    "IL6s": "Signalling IL-6 (IL6s)",
    "Tesc": "Tumour its CAR cannot target",
}
# Shown first, in this order; other trajectories follow in the file's order.
TRAJECTORY_ORDER = ("Cblood", "tumour", "B", "IL6", "IL6s", "Tesc")
# Cell counts and concentrations that span decades: always on a log axis when positive.
# Other quantities go on a log axis when their band spans two decades or more.
LOG_TRAJECTORIES = frozenset({"Cblood", "tumour", "B", "Tesc", "E", "M", "X", "Tp", "Tn",
                              "Tab", "Ta", "Tb", "T0n"})
ENDPOINT_TITLES = {
    "cmax": "Peak CAR-T in blood",
    "tmax": "Day of the CAR-T peak",
    "auc28": "CAR-T exposure, days 0-28",
    "tumour_nadir": "Tumour nadir",
    "relapse_day": "Day of relapse",
    "aplasia_days": "B-cell aplasia",
    "il6_peak": "Peak serum IL-6",
    "il6s_peak": "Peak signalling IL-6",
    "crs_onset": "CRS onset",
    "toci_doses": "Tocilizumab doses",
}
# Endpoints drawn with logarithmic bins when every value is positive.
LOG_ENDPOINTS = frozenset({"cmax", "auc28", "tumour_nadir", "il6_peak", "il6s_peak"})

RESPONSE_LABELS = ("NR", "PR", "CR")  # codes 0, 1, 2
CRS_GRADES = (0, 1, 2, 3, 4)
CRS_CAPTION = ("CRS grade: peak CRS signal (IL6s, plus cart's q_ifn term) against the model's "
               "thresholds (MODEL.md 4),\na model convention, not ASTCT clinical grading (fever, "
               "hypotension, hypoxia).")

# The status of a row that an incomplete trial file has not written (cart(1) TRIAL FILES).
INT32_FILL = -2147483648

BAND_COLOR = "tab:blue"
TOCI_COLOR = "tab:purple"


# ---- helpers ----

def _new_figure(fig, figsize):
    """The Figure or SubFigure to draw in: `fig`, or a new constrained-layout Figure."""
    if fig is None:
        fig = Figure(figsize=figsize, layout="constrained")
    return fig


def _root(artist_parent):
    """The top-level Figure of a Figure, SubFigure or Axes."""
    return artist_parent.figure.figure if hasattr(artist_parent, "figure") else artist_parent


def _unit_label(quantity, unit):
    """'quantity (unit)', leaving out dimensionless units ('1' or empty)."""
    unit = "" if unit is None else str(unit)
    return quantity if unit in ("", "1") else f"{quantity} ({unit})"


def _units(trial_result, kind):
    """{name: unit} of a trial's trajectories or endpoints: its `<kind>_units`, else the
    units keyed by dataset path ('/trajectories/Cblood'); {} when it has neither."""
    units = getattr(trial_result, f"{kind}_units", None)
    if isinstance(units, dict):
        return units
    prefix = f"/{kind}s/"
    by_path = getattr(trial_result, "units", None) or {}
    return {key[len(prefix):]: value for key, value in by_path.items()
            if isinstance(key, str) and key.startswith(prefix)}


def _solved(trial_result):
    """Boolean mask of the patients with status 0."""
    return np.asarray(trial_result.status) == 0


def _column(trial_result, name):
    """An endpoint column as float64, NaN where missing (nullable Int32 included)."""
    col = trial_result.endpoints[name]
    to_numpy = getattr(col, "to_numpy", None)
    if to_numpy is not None:
        return to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(col, dtype=float)


def _positive_or_nan(values):
    """Values with those <= 0 (or not finite) set to NaN, so that a log axis can draw them."""
    values = np.array(values, dtype=float)
    values[~(values > 0)] = np.nan
    return values


def _spans_decades(values, decades=2.0):
    positive = np.asarray(values, dtype=float)
    positive = positive[np.isfinite(positive) & (positive > 0)]
    return positive.size > 1 and positive.max() >= 10.0 ** decades * positive.min()


def _empty_panel(ax, message):
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", color="0.4")


def _format_number(value):
    if not np.isfinite(value):
        return "nan"
    return f"{value:.3g}" if abs(value) < 1e4 else f"{value:.2e}"


def _trajectory_names(trial_result):
    names = list(trial_result.trajectories)
    return [n for n in TRAJECTORY_ORDER if n in names] + \
        [n for n in names if n not in TRAJECTORY_ORDER]


def _attr(trial_result, key, default=None):
    attrs = getattr(trial_result, "attrs", None) or {}
    value = attrs.get(key, default)
    if isinstance(value, bytes):
        value = value.decode()
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    return value


# ---- one patient ----

def _is_toci_event(kind):
    if isinstance(kind, str):
        return "toci" in kind.lower()
    return kind == 1  # CART_EVENT_TOCI_RULE


def _il6s(solution, states):
    """IL6s as libcart computed it: the Solution's signals (libcart.solve() fills them from the
    model's own formula, cart_params_signals), or a column of that name; None when there is
    none (the model has no IL6s, or the solution does not come from libcart)."""
    for source in (getattr(solution, "signals", None) or {}, states,
                   getattr(solution, "outputs", None) or {}):
        if "IL6s" in source:
            return np.asarray(source["IL6s"], dtype=float)
    value = getattr(solution, "IL6s", None)
    return None if value is None else np.asarray(value, dtype=float)


def _toci_doses(solution, toci_times):
    """[(day, amount in mg or None, 'rule' or 'fixed')] of the tocilizumab doses known."""
    doses = []
    for event in getattr(solution, "events", None) or ():
        get = event.get if isinstance(event, dict) else (lambda k, e=event: getattr(e, k, None))
        if _is_toci_event(get("kind")):
            doses.append((float(get("time")), get("amount_mg"), "rule"))
    fixed = toci_times
    if fixed is None:
        fixed = getattr(solution, "toci_times", None)
    for time in (fixed if fixed is not None else ()):
        time = float(time)
        if np.isfinite(time) and not any(abs(time - d[0]) < 1e-9 for d in doses):
            doses.append((time, None, "fixed"))
    return sorted(doses, key=lambda d: d[0])


def _mark_toci(ax, doses):
    """Vertical lines (gid 'toci') at the doses, labelled with the amount."""
    seen = set()
    for i, (time, amount_mg, how) in enumerate(doses):
        label = f"tocilizumab ({how})" if how not in seen else None
        seen.add(how)
        ax.axvline(time, color=TOCI_COLOR, linestyle="--" if how == "rule" else ":",
                   linewidth=1.2, label=label, gid="toci")
        text = "toci" if amount_mg is None else f"toci {float(amount_mg):.0f} mg"
        ax.annotate(text, xy=(time, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, -4 - 10 * (i % 3)), textcoords="offset points",
                    ha="left", va="top", fontsize=7, color=TOCI_COLOR)


def patient_course(solution, fig=None, axes=None, toci_times=None, title=None, xlim=None):
    """One patient's course from libcart.solve(), in four panels (x = day).

    1 CAR-T in blood (Cblood, cells/uL, log); 2 tumour, Tp + Tn and Tn (cells, log); 3 normal
    B cells (cells, log); 4 IL-6 and IL6s (pg/mL, log) with tocilizumab doses marked: the rule's
    doses from solution.events and fixed doses from `toci_times` (days) or solution.toci_times.
    `xlim`: (first, last) day shown, e.g. (0, 60) for the first two months (default: all).
    IL6s is the one libcart computed (solution.signals), drawn only when there is one. Zeros (an extinct tumour) are
    not drawn on the log axes. `axes`: four Axes to draw into instead of a new 2 x 2 grid."""
    t = np.asarray(solution.t, dtype=float)
    states = solution.states
    if axes is None:
        fig = _new_figure(fig, (11, 8))
        axes = fig.subplots(2, 2, sharex=True).ravel()
    axes = list(axes)
    if len(axes) != 4:
        raise ValueError("patient_course needs 4 axes")
    ax_car, ax_tum, ax_b, ax_il6 = axes

    if "Cblood" in states:
        ax_car.plot(t, _positive_or_nan(states["Cblood"]), color="tab:green", label="Cblood")
        ax_car.set_yscale("log")
    else:
        _empty_panel(ax_car, "no Cblood in this solution")
    ax_car.set_title("CAR-T cells in blood")
    ax_car.set_ylabel(_unit_label("Cblood", "cells/uL"))

    if "Tp" in states and "Tn" in states:
        parts, negative, neg_label = ("Tp", "Tn"), "Tn", "Tn (antigen-negative)"
    else:  # cart2: the four phenotypes
        parts = tuple(n for n in ("Tab", "Ta", "Tb", "T0n") if n in states)
        negative, neg_label = "T0n", "T0n (neither antigen)"
    if parts:
        total = sum(np.asarray(states[n], dtype=float) for n in parts)
        ax_tum.plot(t, _positive_or_nan(total), color="tab:red", label=" + ".join(parts))
        if negative in states:
            ax_tum.plot(t, _positive_or_nan(states[negative]), color="tab:orange",
                        linestyle="--", label=neg_label)
        ax_tum.set_yscale("log")
        extinct = [e for e in getattr(solution, "events", None) or ()
                   if isinstance(e, dict) and e.get("kind") == "extinction"]
        for i, event in enumerate(extinct):
            ax_tum.axvline(event["time"], color="0.5", linestyle=":", linewidth=1, gid="extinction",
                           label="extinction" if i == 0 else None)
            ax_tum.annotate(f"{event.get('state') or 'tumour'} extinct", fontsize=7, color="0.35",
                            xy=(event["time"], 0.0), xycoords=("data", "axes fraction"),
                            xytext=(3, 4 + 10 * (i % 3)), textcoords="offset points")
        ax_tum.legend(fontsize=8, loc="best")
    else:
        _empty_panel(ax_tum, "no tumour states in this solution")
    ax_tum.set_title("Tumour (0 = extinct, not drawn)")
    ax_tum.set_ylabel(_unit_label("tumour", "cells"))

    if "B" in states:
        ax_b.plot(t, _positive_or_nan(states["B"]), color="tab:blue", label="B")
        ax_b.set_yscale("log")
    else:
        _empty_panel(ax_b, "no B cells in this solution")
    ax_b.set_title("Normal B cells")
    ax_b.set_ylabel(_unit_label("B", "cells"))

    il6s = _il6s(solution, states)
    if "IL6" in states:
        ax_il6.plot(t, _positive_or_nan(states["IL6"]), color="tab:brown", label="IL6 (serum)")
    if il6s is not None:
        ax_il6.plot(t, _positive_or_nan(il6s), color="tab:olive", label="IL6s (signalling)")
    if "IL6" in states or il6s is not None:
        ax_il6.set_yscale("log")
        low, high = ax_il6.get_ylim()
        ax_il6.set_ylim(low, high * 5)  # room above the peak for the dose labels
    else:
        _empty_panel(ax_il6, "no IL-6 in this solution")
    _mark_toci(ax_il6, _toci_doses(solution, toci_times))
    ax_il6.set_title("IL-6 and tocilizumab")
    ax_il6.set_ylabel(_unit_label("IL-6", "pg/mL"))
    if ax_il6.get_legend_handles_labels()[0]:
        ax_il6.legend(fontsize=8, loc="best")

    for ax in axes:
        ax.set_xlabel("time (day)")
        ax.tick_params(labelbottom=True)  # shared x: keep the day ticks on every panel
        ax.grid(True, which="major", alpha=0.3)
    if xlim is not None:
        ax_car.set_xlim(*xlim)  # the x axis is shared
    root = _root(ax_car)
    if title is None:
        model = getattr(solution, "model", None)
        title = "Patient course" + (f" (model {model})" if isinstance(model, str) else "")
    if fig is not None:
        fig.suptitle(title)
    return root


# ---- a trial ----

def _band_axes(fig, n, ncols):
    nrows = max(1, math.ceil(n / ncols))
    axes = list(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for ax in axes[n:]:
        ax.remove()
    return axes[:n]


def percentile_bands(trial_result, names=None, fig=None, axes=None, ncols=3):
    """5-50-95% bands over the solved patients of each trajectory against time.

    One panel per name (default: every trajectory, Cblood, tumour, B, IL6, IL6s first): the
    median line and the 5-95% band (numpy.nanpercentile over patients with status 0). Cell
    counts and concentrations that span decades go on a log axis, where values <= 0 (an
    extinct tumour) cannot be drawn and are left out (the panel says so)."""
    names = _trajectory_names(trial_result) if names is None else list(names)
    units = _units(trial_result, "trajectory")
    time = np.asarray(trial_result.time, dtype=float)
    solved = _solved(trial_result)
    if axes is None:
        fig = _new_figure(fig, (5.5 * min(ncols, max(len(names), 1)),
                                3.8 * max(1, math.ceil(len(names) / ncols))))
        axes = _band_axes(fig, len(names), min(ncols, max(len(names), 1)))
    axes = list(axes)
    if len(axes) < len(names):
        raise ValueError(f"percentile_bands needs {len(names)} axes, got {len(axes)}")
    for ax, name in zip(axes, names):
        data = np.asarray(trial_result.trajectories[name], dtype=float)[solved]
        unit = units.get(name, "")
        ax.set_title(TRAJECTORY_TITLES.get(name, name))
        ax.set_xlabel("time (day)")
        ax.set_ylabel(_unit_label(name, unit))
        ax.grid(True, alpha=0.3)
        if data.shape[0] == 0 or not np.isfinite(data).any():
            _empty_panel(ax, "no solved patients")
            continue
        with warnings.catch_warnings():  # all-NaN columns (unwritten rows) give NaN, quietly
            warnings.simplefilter("ignore", RuntimeWarning)
            p5, p50, p95 = np.nanpercentile(data, [5, 50, 95], axis=0)
        log = (name in LOG_TRAJECTORIES and np.nanmax(p95) > 0) or \
            _spans_decades(np.concatenate([p5, p95]))
        ylim = None
        if log:
            hidden = bool(np.any(np.concatenate([p5, p50, p95]) <= 0))
            p5, p50, p95 = (_positive_or_nan(p) for p in (p5, p50, p95))
            shown = np.concatenate([p5, p50, p95])
            shown = shown[np.isfinite(shown)]
            if shown.size:
                # A 5th percentile of 0 (extinct tumour in over 5% of patients) cannot be drawn:
                # the band then reaches down to the bottom of the axis instead.
                bottom = shown.min() / 3
                p5 = np.where(np.isnan(p5) & np.isfinite(p95), bottom, p5)
                ylim = (bottom, shown.max() * 2)
            ax.set_yscale("log")
            if hidden:
                ax.text(0.99, 0.02, "values of 0 lie below the log axis", transform=ax.transAxes,
                        ha="right", va="bottom", fontsize=7, color="0.35")
        ax.fill_between(time, p5, p95, color=BAND_COLOR, alpha=0.25, linewidth=0, label="5-95%")
        ax.plot(time, p50, color=BAND_COLOR, linewidth=1.8, label="median")
        if ylim is not None:
            ax.set_ylim(*ylim)
        ax.legend(fontsize=8, loc="best")
    return _root(axes[0]) if axes else _root(fig)


def endpoint_histograms(trial_result, names=("cmax", "tmax", "auc28"), fig=None, axes=None,
                        bins=None):
    """Histograms of endpoints over the solved patients, the median marked.

    cmax and auc28 (and other concentrations) get logarithmic bins and x axis when every
    value is positive. `bins`: the number of bins (default about sqrt(N), 5 to 40)."""
    names = list(names)
    units = _units(trial_result, "endpoint")
    solved = _solved(trial_result)
    if axes is None:
        fig = _new_figure(fig, (5.5 * max(len(names), 1), 3.8))
        axes = _band_axes(fig, len(names), max(len(names), 1))
    axes = list(axes)
    if len(axes) < len(names):
        raise ValueError(f"endpoint_histograms needs {len(names)} axes, got {len(axes)}")
    for ax, name in zip(axes, names):
        unit = units.get(name, "")
        values = _column(trial_result, name)[solved]
        values = values[np.isfinite(values)]
        ax.set_title(ENDPOINT_TITLES.get(name, name))
        ax.set_xlabel(_unit_label(name, unit))
        ax.set_ylabel("patients")
        if values.size == 0:
            _empty_panel(ax, "no values")
            continue
        n_bins = bins or int(np.clip(round(math.sqrt(values.size)), 5, 40))
        low, high = values.min(), values.max()
        if name in LOG_ENDPOINTS and low > 0:
            if high <= low:
                low, high = low / 1.5, high * 1.5
            edges = np.logspace(math.log10(low), math.log10(high), n_bins + 1)
            edges[0], edges[-1] = low, high  # 10**log10(x) may miss x: keep every value in
            ax.set_xscale("log")
        else:
            if high <= low:
                low, high = low - 0.5, high + 0.5
            edges = np.linspace(low, high, n_bins + 1)
        ax.hist(values, bins=edges, color="tab:cyan", edgecolor="white", linewidth=0.5)
        median = float(np.median(values))
        ax.axvline(median, color="tab:red", linewidth=1.5,
                   label=f"median {_format_number(median)}" + ("" if unit in ("", "1")
                                                               else f" {unit}"))
        ax.set_ylim(0, ax.get_ylim()[1] * 1.2)  # room for the legend above the bars
        ax.legend(fontsize=8, loc="upper right")
        ax.grid(True, axis="y", alpha=0.3)
    return _root(axes[0]) if axes else _root(fig)


def _percent(codes, categories):
    codes = codes[np.isfinite(codes)]
    if codes.size == 0:
        return np.zeros(len(categories))
    return np.array([100.0 * np.count_nonzero(codes == c) / codes.size for c in categories])


def response_crs(trial_result, ax=None, fig=None):
    """Bars of the response (NR, PR, CR) and CRS grades 0-4, in % of solved patients.

    Two bar groups on one Axes (containers labelled 'response' and 'CRS grade'); each group
    sums to 100 over the solved patients that have the endpoint. A caption says that the CRS
    grade is a model convention on the CRS signal, not ASTCT clinical grading."""
    if ax is None:
        fig = _new_figure(fig, (7, 4.5))
        ax = fig.subplots()
    solved = _solved(trial_result)
    n_solved = int(np.count_nonzero(solved))
    response = _percent(_column(trial_result, "response")[solved], (0, 1, 2))
    crs = _percent(_column(trial_result, "crs_grade")[solved], CRS_GRADES)
    x_response = np.arange(3)
    x_crs = np.arange(len(CRS_GRADES)) + 4
    bars_r = ax.bar(x_response, response, color="tab:green", label="response")
    bars_c = ax.bar(x_crs, crs, color="tab:red", alpha=0.8, label="CRS grade")
    for bars in (bars_r, bars_c):
        ax.bar_label(bars, fmt="%.0f%%", fontsize=8, padding=1)
    ax.set_xticks(np.concatenate([x_response, x_crs]),
                  list(RESPONSE_LABELS) + [f"G{g}" for g in CRS_GRADES])
    ax.set_ylim(0, 115)
    ax.set_ylabel("% of solved patients")
    ax.set_xlabel("response (NR, PR, CR) | CRS grade (G0-G4, model convention)")
    ax.set_title(f"Response and CRS grade ({n_solved} solved)")
    ax.legend(fontsize=8, loc="upper center")
    ax.grid(True, axis="y", alpha=0.3)
    ax.annotate(CRS_CAPTION, xy=(0.5, 0.0), xycoords=ax.xaxis.label, xytext=(0, -4),
                textcoords="offset points", ha="center", va="top", fontsize=8, color="0.3")
    return _root(ax)


def report(trial_result, fig=None, ncols=3):
    """One Figure: the percentile bands of every trajectory, response and CRS bars (when the
    model has those endpoints), and histograms of cmax, tmax and auc28 (else of the model's first
    three real-valued endpoints), under a title naming the model, N, the seed and whether
    the file is complete."""
    names = _trajectory_names(trial_result)
    hist_names = [n for n in ("cmax", "tmax", "auc28") if n in trial_result.endpoints]
    if not hist_names:  # a model with endpoints of its own: its first real-valued ones
        hist_names = [n for n in trial_result.endpoints
                      if str(trial_result.endpoints[n].dtype) == "float64"][:3]
    # the response and CRS bars need the oncology endpoints (a model without them: stein)
    bars = int("response" in trial_result.endpoints and "crs_grade" in trial_result.endpoints)
    n_panels = len(names) + bars + len(hist_names)
    nrows = math.ceil(n_panels / ncols)
    if fig is None:
        fig = Figure(figsize=(6.0 * ncols, 4.4 * nrows + 0.6), layout="constrained")
    axes = _band_axes(fig, n_panels, ncols)
    percentile_bands(trial_result, names, axes=axes[:len(names)])
    if bars:
        response_crs(trial_result, ax=axes[len(names)])
    endpoint_histograms(trial_result, hist_names, axes=axes[len(names) + bars:])

    status = np.asarray(trial_result.status)
    solved = int(np.count_nonzero(status == 0))
    unwritten = int(np.count_nonzero(status == INT32_FILL))
    failed = status.size - solved - unwritten
    counts = f"{solved} solved" + (f", {failed} failed" if failed else "") + \
        (f", {unwritten} not written" if unwritten else "")
    n_patients = _attr(trial_result, "n_patients", status.size)
    complete = _attr(trial_result, "complete", None)
    state = {1: "file complete", 0: "file INCOMPLETE (complete = 0)"}.get(
        None if complete is None else int(complete), "completeness unknown")
    fig.suptitle(f"libcart virtual trial: model {_attr(trial_result, 'model', '?')}, "
                 f"N = {n_patients} ({counts}), seed {_attr(trial_result, 'seed', '?')}, "
                 f"{state}", fontsize=15)
    return _root(fig)
