"""Plots of libcart results (matplotlib, no pyplot: works with any backend, Agg included).

Every function returns a matplotlib Figure. It draws into the Figure or SubFigure given as
`fig`, or into the Axes given as `ax`/`axes`, or else into a new Figure (constrained layout):

    patient_course(solution)            one patient's course from libcart.solve(): a panel per
                                        signal of the model, then its states by unit, with the
                                        doses and extinctions
    percentile_bands(trial)             5-50-95% bands over the solved patients of a trial
    endpoint_histograms(trial)          histograms of endpoints (cmax, tmax, auc28), median marked
    response_crs(trial)                 response (NR, PR, CR) and CRS grades 0-4, % of solved
    report(trial)                       all of the above for a trial on one Figure
    sobol_indices(result)               Sobol first-order and total indices as bars with
                                        their bootstrap intervals (libcart.sensitivity)
    morris_screening(result)            Morris mu* against sigma, a point per parameter

A trial of arms (read_trial(...).arms, scenario [arm NAME] sections) is drawn by arm by each of
the trial functions: a colour per arm (ARM_COLORS), the arm's name in the legends.

`trial` is what libcart.read_trial() returns. Only patients with status 0 (solved) are shown.
The CRS grade is the model convention of MODEL.md section 4 (the peak of the model's CRS signal,
IL6s or IL6s plus cart's q_ifn term, against thresholds), not ASTCT clinical grading, and the
plots say so.

Time axes: when the horizon is more than twice EARLY_DAYS (28), days 0-28 (expansion, CRS,
tocilizumab) fill the left half of every time axis and the rest of the horizon the right half
(a piecewise-linear scale; a grey line marks day 28). The trial bands carry what a CAR-T reader
looks for, from the scenario stored in the file: the CAR-T infusion and any further doses, the
tocilizumab doses given (a tick per dose at the foot of the IL-6 and CRS panels), the
thresholds of the endpoints (n_detect on the tumour, the aplasia level f_aplasia x B0 on B
cells, the CRS grades and the tocilizumab rule's trigger on the CRS signal), and the endpoints'
median cmax at the median tmax on the blood CAR-T panel (a band of medians per day lies below
the median of each patient's own peak, which the endpoints find between output times).
"""

import ctypes
import math
import warnings

import numpy as np
from matplotlib.figure import Figure

__all__ = ["patient_course", "percentile_bands", "endpoint_histograms", "response_crs", "report",
           "sobol_indices", "morris_screening"]

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
# One colour per arm of a trial of arms, in the arms' order (then again from the first).
ARM_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
              "tab:pink", "tab:olive", "tab:cyan", "tab:gray")
TOCI_COLOR = "tab:purple"
DOSE_COLOR = "tab:green"
THRESHOLD_COLOR = "0.35"

# Days 0..EARLY_DAYS take the left half of a time axis whose horizon is over twice as long.
EARLY_DAYS = 28.0
# The lowest value a log axis shows, by unit: a cell (MODEL.md 3: below one cell a phenotype is
# extinct), a cell per mL of blood, 0.01 pg/mL (a tenth of the lowest IL-6 assays quantify), a
# microgram of tocilizumab, a transgene copy per ug of DNA (qPCR quantifies from about 10).
LOG_FLOOR = {"cells": 1.0, "cells/uL": 1e-3, "pg/mL": 1e-2, "mg": 1e-3, "copies/ug": 1.0}
# Panels that show the tocilizumab doses given (ticks at their foot).
TOCI_PANELS = frozenset({"IL6", "IL6s", "CRS"})


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


def _arms(trial_result):
    """[(name, label, TrialResult, colour)] of a trial of arms (read_trial's .arms), [] for a
    trial without arms."""
    arms = getattr(trial_result, "arms", None) or {}
    return [(name, getattr(arm, "label", "") or "", arm, ARM_COLORS[k % len(ARM_COLORS)])
            for k, (name, arm) in enumerate(arms.items())]


def _arm_legend(name, label):
    return f"{name} ({label})" if label else name


def _trajectory_names(trial_result):
    arms = _arms(trial_result)
    if arms:
        return _trajectory_names(arms[0][2])
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


def _late_ticks(early, horizon):
    """Round days in (early, horizon], about four, ending at the horizon."""
    span = horizon - early
    step = next((d for d in (7, 14, 30, 60, 90, 180, 365, 730) if span / d <= 4.5), 365 * 5)
    ticks = [d for d in np.arange(step, horizon, step) if d > early + 0.15 * span and
             d < horizon - 0.15 * span]
    return [float(d) for d in ticks] + [float(horizon)]


def _time_axis(ax, horizon, early=EARLY_DAYS):
    """The piecewise-linear time scale of the module docstring on ax, when horizon > 2 early.
    Returns whether it was set."""
    if not (np.isfinite(horizon) and horizon > 2.0 * early):
        return False
    late = horizon - early

    def forward(t):
        t = np.asarray(t, dtype=float)
        return np.where(t <= early, 0.5 * t / early, 0.5 + 0.5 * (t - early) / late)

    def inverse(u):
        u = np.asarray(u, dtype=float)
        return np.where(u <= 0.5, 2.0 * u * early, early + (2.0 * u - 1.0) * late)

    ax.set_xscale("function", functions=(forward, inverse))
    ax.set_xticks([0.0, 7.0, 14.0, 21.0, early] + _late_ticks(early, horizon))
    ax.set_xticklabels([f"{d:g}" for d in ax.get_xticks()])
    ax.axvline(early, color="0.6", linewidth=0.8, gid="early_split")
    ax.set_xlim(-0.01 * early, horizon)  # day 0 (the infusion) off the frame, so it shows
    return True


def _scenario_marks(trial_result):
    """What the scenario stored in a trial file says about its doses and thresholds, read by
    libcart itself: {n_detect, f_aplasia, crs_g (4), toci_trigger (None: no rule), cart_doses
    (days of the infusions after the t = 0 one), toci_fixed (days)}; {} when the file has no
    scenario this libcart reads."""
    text = _attr(trial_result, "scenario")
    if not isinstance(text, str) or not text:
        return {}
    try:
        from . import _clib
    except ImportError:
        return {}
    lib = _clib.lib
    err = _clib.CartError()
    # The marks do not depend on a patients table, whose file (a path relative to where the
    # scenario was) need not be here: its section is left out (the file keeps the table).
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        header = line.strip()
        if header.startswith("[") and "]" in header:
            skipping = header[1:header.index("]")].strip() == "patients"
        if not skipping:
            kept.append(line)
    text = "".join(kept)
    # the scenario's arms (one unnamed arm without [arm] sections); the marks of this result's
    # arm, or of the first
    arms_p = lib.cart_arms_new_from_scenario(text.encode("utf-8"), b"<trial file>",
                                             ctypes.byref(err))
    if not arms_p:
        return {}
    arm = getattr(trial_result, "arm", None)
    index = lib.cart_arms_index(arms_p, arm.encode("utf-8")) if arm is not None else 0
    trial_p = lib.cart_arms_trial(arms_p, max(index, 0))
    try:
        settings = lib.cart_trial_endpoint_settings(trial_p).contents
        marks = {"n_detect": settings.n_detect, "f_aplasia": settings.f_aplasia,
                 "crs_g": [float(g) for g in settings.crs_g]}
        dosing = lib.cart_trial_dosing(trial_p)
        rule = _clib.TociRule()
        lib.cart_dosing_get_toci_rule(dosing, ctypes.byref(rule))
        marks["toci_trigger"] = float(rule.trigger) if rule.enabled else None
        cart, toci = _clib.CartDose(), _clib.TociDose()
        marks["cart_doses"] = [cart.time for i in range(lib.cart_dosing_n_cart(dosing))
                               if lib.cart_dosing_get_cart(dosing, i, ctypes.byref(cart)) == 0]
        marks["toci_fixed"] = [toci.time for i in range(lib.cart_dosing_n_toci(dosing))
                               if lib.cart_dosing_get_toci(dosing, i, ctypes.byref(toci)) == 0]
    finally:
        lib.cart_arms_free(arms_p)
    return marks


def _thresholds(name, trial_result, marks):
    """[(value, label)] of the thresholds drawn on trajectory `name`'s panel."""
    if not marks:
        return []
    names = set(trial_result.trajectories)
    crs_panel = "CRS" if "CRS" in names else "IL6s"  # the CRS signal is IL6s where q_ifn = 0
    lines = []
    if name == "tumour":
        lines.append((marks["n_detect"], "n_detect (CR below)"))
    elif name == "B":
        params = getattr(trial_result, "params", None)
        if params is not None and "B0" in getattr(params, "columns", ()):
            b0 = float(np.nanmedian(np.asarray(params["B0"], dtype=float)[_solved(trial_result)]))
            if np.isfinite(b0):
                lines.append((marks["f_aplasia"] * b0, "aplasia: f_aplasia x B0"))
    elif name == crs_panel:
        lines += [(g, f"CRS G{i + 1}") for i, g in enumerate(marks["crs_g"])]
        if marks.get("toci_trigger") is not None and \
                not any(abs(marks["toci_trigger"] - g) <= 1e-9 * g for g in marks["crs_g"]):
            lines.append((marks["toci_trigger"], "tocilizumab trigger"))
    return lines


def _draw_thresholds(ax, lines, toci_trigger=None):
    """Dashed lines at the thresholds, labelled at the right; a log axis grows to show them
    all (a CRS grade no patient reaches is worth seeing)."""
    values = [v for v, _ in lines if np.isfinite(v) and v > 0]
    if values and ax.get_yscale() == "log":
        low, high = ax.get_ylim()
        ax.set_ylim(min(low, min(values) / 3), max(high, max(values) * 3))
    for value, label in lines:
        if not (np.isfinite(value) and value > 0):
            continue
        ax.axhline(value, color=THRESHOLD_COLOR, linestyle=(0, (4, 3)), linewidth=0.8,
                   gid="threshold")
        if toci_trigger is not None and abs(value - toci_trigger) <= 1e-9 * value:
            label += " = toci trigger"
        ax.annotate(label, xy=(1.0, value), xycoords=("axes fraction", "data"), xytext=(-3, 2),
                    textcoords="offset points", ha="right", va="bottom", fontsize=7,
                    color=THRESHOLD_COLOR, annotation_clip=False)


def _draw_doses(ax, marks, first=True):
    """The CAR-T infusions: day 0 (the initial one) and the scenario's further doses."""
    if not marks and not first:
        return
    times = [0.0] + [t for t in marks.get("cart_doses", ()) if t > 0]
    for i, time in enumerate(times):
        ax.axvline(time, color=DOSE_COLOR, linestyle=":", linewidth=1.4, gid="cart_dose",
                   label="CAR-T infusion" if i == 0 else None)


def _draw_toci_given(ax, trial_result):
    """A tick at the foot of ax for every tocilizumab dose given to a solved patient."""
    toci = getattr(trial_result, "toci_times", None)
    if toci is None:
        return 0
    times = np.asarray(toci, dtype=float)
    if times.ndim != 2 or times.shape[0] != len(trial_result.status):
        return 0
    times = times[_solved(trial_result)]
    patients = int(np.count_nonzero(np.isfinite(times).any(axis=1)))
    times = times[np.isfinite(times)]
    if times.size == 0:
        return 0
    ax.plot(times, np.full(times.size, 0.03), linestyle="none", marker="|", markersize=9,
            color=TOCI_COLOR, alpha=max(0.08, min(0.8, 20.0 / times.size)),
            transform=ax.get_xaxis_transform(), gid="toci_given")
    ax.plot([], [], linestyle="none", marker="|", markersize=9, color=TOCI_COLOR,
            label=f"tocilizumab doses ({patients} patients)")  # the legend's, opaque
    return patients


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


def _course_panels(solution):
    """[(title, [(name, values, unit)])] of one patient: a panel per signal of the model, then
    one per unit for the states (and outputs that are not signals), in model order."""
    units = getattr(solution, "units", None) or {}
    signals = getattr(solution, "signals", None) or {}
    panels = [(TRAJECTORY_TITLES.get(name, name), [(name, values, units.get(name, ""))])
              for name, values in signals.items()]
    groups = {}
    for name, values in solution.states.items():
        if name in signals:
            continue
        groups.setdefault(units.get(name, ""), []).append((name, values, units.get(name, "")))
    panels += [(f"States in {unit}" if unit else "States", members)
               for unit, members in groups.items()]
    return panels


def patient_course(solution, fig=None, axes=None, toci_times=None, title=None, xlim=None,
                   ncols=3):
    """One patient's course from libcart.solve(), from the model's own lists (x = day).

    A panel per signal of the model (cart: Cblood, tumour, IL6s, CRS), then one per unit for the
    states (cart: the cells E, M, X, Tp, Tn, B; IL6 in pg/mL; tocilizumab D1, D2 in mg), so a
    new model plots without changes here. Positive quantities that span decades (and cell
    counts and concentrations) go on a log axis from LOG_FLOOR up; zeros (an extinct tumour) are
    not drawn there. Tocilizumab doses are marked on the panels in pg/mL and mg: the rule's from
    solution.events, fixed ones from `toci_times` (days) or solution.toci_times; extinctions on
    the panels in cells; the CAR-T infusion at day 0 on every panel. Days 0-28 take half of
    each time axis when the horizon is longer than 56 days. `xlim`: (first, last) day shown
    (then a plain time axis). `axes`: Axes to draw into, one per panel (len(_course_panels))."""
    t = np.asarray(solution.t, dtype=float)
    panels = _course_panels(solution)
    if axes is None:
        cols = min(ncols, max(len(panels), 1))
        fig = _new_figure(fig, (5.2 * cols, 3.8 * max(1, math.ceil(len(panels) / cols))))
        axes = _band_axes(fig, len(panels), cols)
    axes = list(axes)
    if len(axes) < len(panels):
        raise ValueError(f"patient_course needs {len(panels)} axes, got {len(axes)}")
    doses = _toci_doses(solution, toci_times)
    extinct = [e for e in getattr(solution, "events", None) or ()
               if isinstance(e, dict) and e.get("kind") == "extinction"]
    horizon = float(t[-1]) if t.size else float("nan")
    for ax, (panel_title, members) in zip(axes, panels):
        unit = members[0][2]
        values = [np.asarray(v, dtype=float) for _, v, _ in members]
        every = np.concatenate(values) if values else np.array([])
        log = unit in LOG_FLOOR or _spans_decades(every)
        for (name, _, _), v in zip(members, values):
            ax.plot(t, _positive_or_nan(v) if log else v, linewidth=1.5, label=name)
        if log and np.nanmax(_positive_or_nan(every), initial=0.0) > 0:
            ax.set_yscale("log")
            floor = LOG_FLOOR.get(unit, 0.0)
            top = np.nanmax(_positive_or_nan(every))
            bottom = np.nanmin(_positive_or_nan(every))
            if top > floor:
                ax.set_ylim(max(bottom / 3, floor), top * 5)  # room for the dose labels
        if xlim is None:
            _time_axis(ax, horizon)
        else:
            ax.set_xlim(*xlim)
        ax.axvline(0.0, color=DOSE_COLOR, linestyle=":", linewidth=1.4, gid="cart_dose",
                   label="CAR-T infusion")
        if unit in ("pg/mL", "mg"):
            _mark_toci(ax, doses)
        if unit == "cells":
            for i, event in enumerate(extinct):
                ax.axvline(event["time"], color="0.5", linestyle=":", linewidth=1,
                           gid="extinction", label="extinction" if i == 0 else None)
        ax.set_title(panel_title)
        ax.set_ylabel(_unit_label(members[0][0] if len(members) == 1 else "value", unit))
        ax.set_xlabel("time (day)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    root = _root(axes[0]) if axes else _root(fig)
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


def percentile_bands(trial_result, names=None, fig=None, axes=None, ncols=3, marks=True,
                     color=BAND_COLOR, label=None):
    """5-50-95% bands over the solved patients of each trajectory against time.

    A trial of arms (read_trial's .arms) gets one band per arm on every panel, in ARM_COLORS,
    labelled with the arm's name (the marks are those of the first arm). `color` and `label`
    (a prefix of the legend's entries) are those of a single trial's band.

    One panel per name (default: every trajectory, Cblood, tumour, B, IL6, IL6s first): the
    median line and the 5-95% band (numpy.nanpercentile over patients with status 0). Cell
    counts and concentrations that span decades go on a log axis, from LOG_FLOOR of their unit
    up (values <= 0, an extinct tumour, cannot be drawn there: the panel says so). Days 0-28
    get half of each time axis (module docstring). With `marks` (default), the doses,
    thresholds, tocilizumab doses given and the cmax/tmax medians of the module docstring."""
    names = _trajectory_names(trial_result) if names is None else list(names)
    arms = _arms(trial_result)
    if arms:
        if axes is None:
            fig = _new_figure(fig, (5.5 * min(ncols, max(len(names), 1)),
                                    3.8 * max(1, math.ceil(len(names) / ncols))))
            axes = _band_axes(fig, len(names), min(ncols, max(len(names), 1)))
        for k, (name, arm_label, arm, arm_color) in enumerate(arms):
            percentile_bands(arm, names, axes=axes, marks=marks and k == 0, color=arm_color,
                             label=_arm_legend(name, arm_label))
        return _root(axes[0]) if len(axes) else _root(fig)
    units = _units(trial_result, "trajectory")
    time = np.asarray(trial_result.time, dtype=float)
    solved = _solved(trial_result)
    scenario = _scenario_marks(trial_result) if marks else {}
    if axes is None:
        fig = _new_figure(fig, (5.5 * min(ncols, max(len(names), 1)),
                                3.8 * max(1, math.ceil(len(names) / ncols))))
        axes = _band_axes(fig, len(names), min(ncols, max(len(names), 1)))
    axes = list(axes)
    if len(axes) < len(names):
        raise ValueError(f"percentile_bands needs {len(names)} axes, got {len(axes)}")
    horizon = float(time[-1]) if time.size else float("nan")
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
        _time_axis(ax, horizon)
        with warnings.catch_warnings():  # all-NaN columns (unwritten rows) give NaN, quietly
            warnings.simplefilter("ignore", RuntimeWarning)
            p5, p50, p95 = np.nanpercentile(data, [5, 50, 95], axis=0)
        log = (name in LOG_TRAJECTORIES and np.nanmax(p95) > 0) or \
            _spans_decades(np.concatenate([p5, p95]))
        ylim = None
        if log:
            floor = LOG_FLOOR.get(unit, 0.0)
            hidden = bool(np.any(np.concatenate([p5, p50, p95]) <= floor))
            p5, p50, p95 = (_positive_or_nan(p) for p in (p5, p50, p95))
            shown = np.concatenate([p5, p50, p95])
            shown = shown[np.isfinite(shown)]
            if shown.size:
                # A 5th percentile of 0 (extinct tumour in over 5% of patients) cannot be drawn:
                # the band then reaches down to the bottom of the axis instead, which is never
                # below the unit's floor (a tumour of 1e-20 cells means nothing).
                bottom = max(shown.min() / 3, floor) if shown.max() > floor else shown.min() / 3
                p5 = np.where(np.isnan(p5) & np.isfinite(p95), bottom, p5)
                ylim = (bottom, shown.max() * 3)
            ax.set_yscale("log")
            if hidden:
                below = "values of 0" if floor == 0 else f"values below {floor:g} {unit}"
                ax.text(0.99, 0.02, f"{below} lie below the axis", transform=ax.transAxes,
                        ha="right", va="bottom", fontsize=7, color="0.35")
        prefix = f"{label} " if label else ""
        ax.fill_between(time, p5, p95, color=color, alpha=0.25 if label is None else 0.18,
                        linewidth=0, label=prefix + "5-95%")
        ax.plot(time, p50, color=color, linewidth=1.8, label=prefix + "median")
        if ylim is not None:
            # the arms of a trial share the panel: its limits take in every arm's band
            shared = getattr(ax, "_libcart_ylim", None) if label is not None else None
            if shared is not None:
                ylim = (min(shared[0], ylim[0]), max(shared[1], ylim[1]))
            ax._libcart_ylim = ylim
            ax.set_ylim(*ylim)
        if marks:
            _draw_doses(ax, scenario)
            _draw_thresholds(ax, _thresholds(name, trial_result, scenario),
                             scenario.get("toci_trigger"))
            if name in TOCI_PANELS:
                _draw_toci_given(ax, trial_result)
            if name == "Cblood" and {"cmax", "tmax"} <= set(trial_result.endpoints):
                cmax = _column(trial_result, "cmax")[solved]
                tmax = _column(trial_result, "tmax")[solved]
                if np.isfinite(cmax).any() and np.isfinite(tmax).any():
                    ax.plot([np.nanmedian(tmax)], [np.nanmedian(cmax)], marker="D",
                            markersize=5, color="tab:red", linestyle="none", gid="cmax_median",
                            label="median cmax at median tmax")
        if label is not None and not marks and name == "Cblood" and \
                {"cmax", "tmax"} <= set(trial_result.endpoints):
            cmax = _column(trial_result, "cmax")[solved]
            tmax = _column(trial_result, "tmax")[solved]
            if np.isfinite(cmax).any() and np.isfinite(tmax).any():
                ax.plot([np.nanmedian(tmax)], [np.nanmedian(cmax)], marker="D", markersize=5,
                        color=color, linestyle="none", gid="cmax_median")
        ax.legend(fontsize=7, loc="best")
    return _root(axes[0]) if axes else _root(fig)


def _default_histograms(trial_result):
    """cmax, tmax and auc28 where the model has them, else its first three real-valued endpoints
    (a model with endpoints of its own: lupus); the first arm's for a trial of arms."""
    arms = _arms(trial_result)
    first = arms[0][2] if arms else trial_result  # whose endpoints name the panels
    names = [n for n in ("cmax", "tmax", "auc28") if n in first.endpoints]
    if len(names) < 3:
        names += [n for n in first.endpoints if n not in names and
                  str(first.endpoints[n].dtype) == "float64"][:3 - len(names)]
    return names


def endpoint_histograms(trial_result, names=None, fig=None, axes=None, bins=None):
    """Histograms of endpoints over the solved patients, the median marked.

    names: default cmax, tmax and auc28, or as many of them as the model has and then its first
    other real-valued endpoints (lupus: cmax, tmax, bcell_return_day). cmax and auc28 (and
    other concentrations) get logarithmic bins and x axis when every value is positive.
    `bins`: the number of bins (default about sqrt(N), 5 to 40)."""
    names = _default_histograms(trial_result) if names is None else list(names)
    if axes is None:
        fig = _new_figure(fig, (5.5 * max(len(names), 1), 3.8))
        axes = _band_axes(fig, len(names), max(len(names), 1))
    axes = list(axes)
    if len(axes) < len(names):
        raise ValueError(f"endpoint_histograms needs {len(names)} axes, got {len(axes)}")
    if _arms(trial_result):
        _histograms_by_arm(trial_result, names, axes, bins)
        return _root(axes[0]) if axes else _root(fig)
    units = _units(trial_result, "endpoint")
    solved = _solved(trial_result)
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
        ax.set_xlim(edges[0], edges[-1])  # the axis spans the data, no empty margins
        median = float(np.median(values))
        ax.axvline(median, color="tab:red", linewidth=1.5,
                   label=f"median {_format_number(median)}" + ("" if unit in ("", "1")
                                                               else f" {unit}"))
        ax.set_ylim(0, ax.get_ylim()[1] * 1.2)  # room for the legend above the bars
        ax.legend(fontsize=8, loc="upper right")
        ax.grid(True, axis="y", alpha=0.3)
    return _root(axes[0]) if axes else _root(fig)


def _histograms_by_arm(trial_result, names, axes, bins):
    """endpoint_histograms of a trial of arms: on each panel an outline histogram per arm over
    the same bins, each arm's median a dashed line of its colour."""
    arms = _arms(trial_result)
    units = _units(arms[0][2], "endpoint")
    for ax, name in zip(axes, names):
        unit = units.get(name, "")
        ax.set_title(ENDPOINT_TITLES.get(name, name) + " by arm")
        ax.set_xlabel(_unit_label(name, unit))
        ax.set_ylabel("patients")
        per_arm = []
        for arm_name, arm_label, arm, color in arms:
            values = _column(arm, name)[_solved(arm)]
            per_arm.append((arm_name, color, values[np.isfinite(values)]))
        every = np.concatenate([v for _, _, v in per_arm]) if per_arm else np.zeros(0)
        if every.size == 0:
            _empty_panel(ax, "no values")
            continue
        n_bins = bins or int(np.clip(round(math.sqrt(every.size / len(arms))), 5, 40))
        low, high = every.min(), every.max()
        if name in LOG_ENDPOINTS and low > 0:
            if high <= low:
                low, high = low / 1.5, high * 1.5
            edges = np.logspace(math.log10(low), math.log10(high), n_bins + 1)
            edges[0], edges[-1] = low, high
            ax.set_xscale("log")
        else:
            if high <= low:
                low, high = low - 0.5, high + 0.5
            edges = np.linspace(low, high, n_bins + 1)
        for arm_name, color, values in per_arm:
            if values.size == 0:
                continue
            median = float(np.median(values))
            ax.hist(values, bins=edges, histtype="step", color=color, linewidth=1.8,
                    label=f"{arm_name}: median {_format_number(median)}")
            ax.axvline(median, color=color, linewidth=1.2, linestyle="--")
        ax.set_xlim(edges[0], edges[-1])
        ax.set_ylim(0, ax.get_ylim()[1] * 1.25)
        ax.legend(fontsize=8, loc="upper right")
        ax.grid(True, axis="y", alpha=0.3)


def _percent(codes, categories):
    codes = codes[np.isfinite(codes)]
    if codes.size == 0:
        return np.zeros(len(categories))
    return np.array([100.0 * np.count_nonzero(codes == c) / codes.size for c in categories])


def response_crs(trial_result, ax=None, fig=None):
    """Bars of the response (NR, PR, CR) and CRS grades 0-4, in % of solved patients.

    Two bar groups on one Axes (containers labelled 'response' and 'CRS grade'); each group
    sums to 100 over the solved patients that have the endpoint. A caption says that the CRS
    grade is a model convention on the CRS signal, not ASTCT clinical grading. A trial of arms
    gets grouped bars, one per arm at each category, in ARM_COLORS (containers labelled with the
    arms' names)."""
    if ax is None:
        fig = _new_figure(fig, (7, 4.5))
        ax = fig.subplots()
    arms = _arms(trial_result)
    first = arms[0][2] if arms else trial_result
    # the groups the model has (lupus: CRS grade only; a group left out takes no room)
    groups = [g for g in ("response", "crs_grade") if g in first.endpoints]
    if not groups:
        _empty_panel(ax, "the model has no response or CRS grade")
        return _root(ax)
    x_response = np.arange(3) if "response" in groups else np.zeros(0)
    x_crs = np.arange(len(CRS_GRADES)) + (4 if "response" in groups else 0)
    if "crs_grade" not in groups:
        x_crs = np.zeros(0)
    what = {2: "Response and CRS grade"}.get(
        len(groups), "Response" if "response" in groups else "CRS grade")
    if arms:
        # grouped bars: one bar per arm at every category, the arm's colour, labelled with its
        # name (the containers' labels)
        width = 0.8 / len(arms)
        solved_counts = []
        for k, (name, arm_label, arm, color) in enumerate(arms):
            solved = _solved(arm)
            solved_counts.append(int(np.count_nonzero(solved)))
            values = np.concatenate([
                _percent(_column(arm, "response")[solved], (0, 1, 2)) if x_response.size
                else np.zeros(0),
                _percent(_column(arm, "crs_grade")[solved], CRS_GRADES) if x_crs.size
                else np.zeros(0)])
            x = np.concatenate([x_response, x_crs]) + (k - (len(arms) - 1) / 2) * width
            bars = ax.bar(x, values, width=width, color=color, label=_arm_legend(name, arm_label))
            if len(arms) <= 3:
                ax.bar_label(bars, fmt="%.0f", fontsize=6, padding=1)
        n_solved = "/".join(str(c) for c in solved_counts)
        title = f"{what} by arm ({n_solved} solved)"
    else:
        solved = _solved(trial_result)
        n_solved = int(np.count_nonzero(solved))
        drawn = []
        if x_response.size:
            response = _percent(_column(trial_result, "response")[solved], (0, 1, 2))
            drawn.append(ax.bar(x_response, response, color="tab:green", label="response"))
        if x_crs.size:
            crs = _percent(_column(trial_result, "crs_grade")[solved], CRS_GRADES)
            drawn.append(ax.bar(x_crs, crs, color="tab:red", alpha=0.8, label="CRS grade"))
        for bars in drawn:
            ax.bar_label(bars, fmt="%.0f%%", fontsize=8, padding=1)
        title = f"{what} ({n_solved} solved)"
    ax.set_xticks(np.concatenate([x_response, x_crs]),
                  (list(RESPONSE_LABELS) if x_response.size else []) +
                  ([f"G{g}" for g in CRS_GRADES] if x_crs.size else []))
    ax.set_ylim(0, 115)
    ax.set_ylabel("% of solved patients")
    ax.set_xlabel(" | ".join(({"response": "response (NR, PR, CR)",
                               "crs_grade": "CRS grade (G0-G4, model convention)"})[g]
                             for g in groups))
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper center")
    ax.grid(True, axis="y", alpha=0.3)
    if x_crs.size:
        ax.annotate(CRS_CAPTION, xy=(0.5, 0.0), xycoords=ax.xaxis.label, xytext=(0, -4),
                    textcoords="offset points", ha="center", va="top", fontsize=8, color="0.3")
    return _root(ax)


def report(trial_result, fig=None, ncols=3):
    """One Figure: the percentile bands of every trajectory, response and CRS bars (when the
    model has those endpoints), and histograms of cmax, tmax and auc28 (else of the model's first
    three real-valued endpoints), under a title naming the model, N, the seed and whether
    the file is complete. A trial of arms is drawn by arm: a band per arm on every trajectory
    panel, grouped response and CRS bars and a histogram outline per arm, each arm in its
    colour of ARM_COLORS with its name in the legends."""
    names = _trajectory_names(trial_result)
    arms = _arms(trial_result)
    first = arms[0][2] if arms else trial_result  # whose endpoints name the panels
    hist_names = _default_histograms(trial_result)
    # the response and CRS bars need one of those endpoints (stein has neither, lupus no response)
    bars = int("response" in first.endpoints or "crs_grade" in first.endpoints)
    n_panels = len(names) + bars + len(hist_names)
    nrows = math.ceil(n_panels / ncols)
    if fig is None:
        fig = Figure(figsize=(6.0 * ncols, 4.4 * nrows + 0.6), layout="constrained")
    axes = _band_axes(fig, n_panels, ncols)
    percentile_bands(trial_result, names, axes=axes[:len(names)])
    if bars:
        response_crs(trial_result, ax=axes[len(names)])
    endpoint_histograms(trial_result, hist_names, axes=axes[len(names) + bars:])

    complete = _attr(trial_result, "complete", None)
    state = {1: "file complete", 0: "file INCOMPLETE (complete = 0)"}.get(
        None if complete is None else int(complete), "completeness unknown")
    if arms:
        n_patients = _attr(trial_result, "n_patients", len(first.status))
        solved = "/".join(str(int(np.count_nonzero(np.asarray(a.status) == 0)))
                          for _, _, a, _ in arms)
        fig.suptitle(f"libcart virtual trial: model {_attr(trial_result, 'model', '?')}, "
                     f"{len(arms)} arms ({', '.join(name for name, _, _, _ in arms)}) on the "
                     f"same N = {n_patients} patients ({solved} solved), seed "
                     f"{_attr(trial_result, 'seed', '?')}, {state}", fontsize=15)
        return _root(fig)
    status = np.asarray(trial_result.status)
    solved = int(np.count_nonzero(status == 0))
    unwritten = int(np.count_nonzero(status == INT32_FILL))
    failed = status.size - solved - unwritten
    counts = f"{solved} solved" + (f", {failed} failed" if failed else "") + \
        (f", {unwritten} not written" if unwritten else "")
    n_patients = _attr(trial_result, "n_patients", status.size)
    fig.suptitle(f"libcart virtual trial: model {_attr(trial_result, 'model', '?')}, "
                 f"N = {n_patients} ({counts}), seed {_attr(trial_result, 'seed', '?')}, "
                 f"{state}", fontsize=15)
    return _root(fig)


# ---- sensitivity (libcart.sensitivity) ----

def _sensitivity_title(result, what):
    statistic = getattr(result, "statistic", None) or "the function"
    return f"{what} of {statistic}"


def sobol_indices(result, ax=None, fig=None, sort=True):
    """Bars of the Sobol first-order (S1) and total (ST) indices of each parameter, with their
    bootstrap intervals as whiskers (result: what libcart.sensitivity(method="sobol") returns).

    Parameters sorted by total index, largest first, unless sort=False. Two bar containers,
    labelled 'first order S1' and 'total ST'. A total well above the first order marks a
    parameter that acts through interactions; estimates may fall slightly below 0 (sampling
    error), and the axis shows it."""
    if ax is None:
        fig = _new_figure(fig, (max(5.0, 0.8 * len(result.indices) + 2.5), 4.2))
        ax = fig.subplots()
    table = result.indices.sort_values("total", ascending=False) if sort else result.indices
    x = np.arange(len(table))
    width = 0.38
    for offset, column, label, color in ((-width / 2, "first", "first order S1", "tab:blue"),
                                         (width / 2, "total", "total ST", "tab:orange")):
        values = table[column].to_numpy(dtype=float)
        lower = table[f"{column}_lower"].to_numpy(dtype=float)
        upper = table[f"{column}_upper"].to_numpy(dtype=float)
        errors = np.vstack([np.maximum(values - lower, 0), np.maximum(upper - values, 0)])
        has_interval = np.all(np.isfinite(errors))
        ax.bar(x + offset, values, width=width, color=color, label=label,
               yerr=errors if has_interval else None, capsize=3,
               error_kw={"elinewidth": 1, "ecolor": "0.2"})
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xticks(x, list(table.index), rotation=30 if len(table) > 6 else 0, ha="right"
                  if len(table) > 6 else "center")
    ax.set_ylabel("Sobol index (share of the variance)")
    confidence = getattr(result, "confidence", 0.95)
    n = getattr(result, "n", None)
    ax.set_title(_sensitivity_title(result, "Sobol indices") +
                 (f" (N = {n}, {100 * confidence:g}% bootstrap intervals)" if n else ""))
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    return _root(ax)


def morris_screening(result, ax=None, fig=None):
    """Morris screening: mu* (mean absolute elementary effect) against sigma (their standard
    deviation), a labelled point per parameter, with mu*'s bootstrap interval as a horizontal
    whisker (result: what libcart.sensitivity(method="morris") returns). Parameters near the
    origin are inert; a sigma comparable to mu* marks a non-linear effect or interactions (the
    line sigma = mu* is drawn)."""
    if ax is None:
        fig = _new_figure(fig, (6, 4.8))
        ax = fig.subplots()
    table = result.indices
    mu_star = table["mu_star"].to_numpy(dtype=float)
    sigma = table["sigma"].to_numpy(dtype=float)
    lower = table["mu_star_lower"].to_numpy(dtype=float)
    upper = table["mu_star_upper"].to_numpy(dtype=float)
    errors = np.vstack([np.maximum(mu_star - lower, 0), np.maximum(upper - mu_star, 0)])
    ax.errorbar(mu_star, sigma, xerr=errors if np.all(np.isfinite(errors)) else None,
                fmt="o", color="tab:blue", ecolor="0.5", capsize=3, label="parameters")
    for name, xv, yv in zip(table.index, mu_star, sigma):
        ax.annotate(str(name), (xv, yv), xytext=(4, 4), textcoords="offset points", fontsize=8)
    top = np.nanmax(np.concatenate([mu_star, sigma, upper, [0.0]]))  # whiskers inside too
    top = top if top > 0 else 1.0
    ax.plot([0, 1.05 * top], [0, 1.05 * top], color="0.6", linestyle="--", linewidth=0.8,
            label="sigma = mu*")
    ax.set_xlim(0, 1.1 * top)
    ax.set_ylim(0, 1.1 * top)
    ax.set_xlabel("mu* (mean |elementary effect|, per unit of the range)")
    ax.set_ylabel("sigma (SD of the elementary effects)")
    r = getattr(result, "n", None)
    ax.set_title(_sensitivity_title(result, "Morris screening") + (f" (r = {r})" if r else ""))
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    return _root(ax)
