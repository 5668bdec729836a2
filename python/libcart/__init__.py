"""libcart: simulation of CAR-T cell therapy (MODEL.md), from Python.

A thin ctypes wrapper of the C library libcart (no compiled code, no model logic of its own):
models and parameters come from the library's own tables, and every failure is the library's
status code and message, raised as LibcartError.

    import libcart
    sol = libcart.solve(params={"rho": 0.7}, doses=[(14, 1e8)], times=range(0, 61))
    sol["Cblood"]                       # cells/uL at each output time (day)
    result = libcart.trial(n=200, seed=1, output="run.h5", force=True)
    result.endpoints["response"].value_counts()

Functions: models(), model_info(name), solve(...), trial(...), read_trial(path),
default_scenario(), calibrate(scenario, targets, ...), sensitivity(params, statistic=...). Units: time in days, cells in cells, IL-6 in pg/mL, tocilizumab in mg
(states D1, D2) and mg/kg (doses), Cblood in cells/uL; MODEL.md and `cart models` list them all.

Thread safety: solve() makes and frees its own C handles, and ctypes releases the GIL during C
calls, so several Python threads may solve at once. trial() and read_trial() use HDF5, which is
not thread-safe: run one of them at a time in a process.

The shared library is found as described in libcart._clib (LIBCART_LIBRARY first).
"""

import ctypes
import numbers
import os
import warnings

import numpy as np

from . import _clib
from ._clib import LibcartError, LibcartParseError
from ._fit import FitProblem, FitResult, fit, fit_all

__all__ = ["LibcartError", "LibcartParseError", "IncompleteTrialWarning", "ModelInfo", "Solution", "TrialResult",
           "CalibrationResult", "SensitivityResult", "models", "model_info", "solve", "trial",
           "read_trial", "default_scenario", "calibrate", "fit", "fit_all", "FitProblem",
           "FitResult", "__version__"]

__version__ = _clib.text(_clib.lib.cart_version())

_lib = _clib.lib


class IncompleteTrialWarning(UserWarning):
    """read_trial() read a file marked incomplete (complete = 0): a run that was stopped, failed
    or is still running; rows of patients not written read as NaN or NA."""


def _pandas():
    import pandas  # imported on first use: solve() without frames does not need it
    return pandas


# The ranges of the C integer types that arguments are passed as.
_SIZE_MAX = 2**(8 * ctypes.sizeof(ctypes.c_size_t)) - 1
_ULONG_MAX = 2**(8 * ctypes.sizeof(ctypes.c_ulong)) - 1
_UINT64_MAX = 2**64 - 1
_MAX_THREADS = 1024  # as cart trial --threads

# ---- models ------------------------------------------------------------------------------


def _model_by_index(i):
    return _lib.cart_model_get(i)


def models():
    """Names of the models compiled into libcart, in registry order (e.g. cart, stein, cart2)."""
    return [_clib.text(_lib.cart_model_name(_model_by_index(i)))
            for i in range(_lib.cart_model_count())]


def _state_infos(model, count, getter, row=_clib.StateInfo):
    """Rows 0..count-1 of one of the model's tables, each read by getter into a `row`."""
    infos = []
    for i in range(count):
        info = row()
        _clib.check(getter(model, i, ctypes.byref(info)))
        infos.append(info)
    return infos


def _state_names(model):
    return [_clib.text(s.name) for s in
            _state_infos(model, _lib.cart_model_n_states(model), _lib.cart_model_state_info)]


def _output_names(model):
    return [_clib.text(s.name) for s in
            _state_infos(model, _lib.cart_model_n_outputs(model), _lib.cart_model_output_info)]


def _endpoint_infos(model):
    return _state_infos(model, _lib.cart_model_n_endpoints(model), _lib.cart_model_endpoint_info,
                        _clib.EndpointInfo)


def _param_infos(model):
    return _state_infos(model, _lib.cart_model_n_params(model), _lib.cart_model_param_info,
                        _clib.ParamInfo)


_PARAM_COLUMNS = ["name", "unit", "default", "lower", "upper", "lower_open", "upper_open",
                  "meaning"]


def _param_row(p):
    """A cart_param_info as a row of _PARAM_COLUMNS."""
    return (_clib.text(p.name), _clib.text(p.unit), p.default_value, p.lower, p.upper,
            bool(p.lower_open), bool(p.upper_open), _clib.text(p.meaning))


def _endpoint_levels(model):
    """{endpoint: [(setting, scale, param)]} (ModelInfo.endpoint_levels)."""
    levels = {}
    for i, info in enumerate(_endpoint_infos(model)):
        rows = []
        for j in range(_lib.cart_model_endpoint_n_levels(model, i)):
            level = _clib.EndpointLevel()
            _clib.check(_lib.cart_model_endpoint_level(model, i, j, ctypes.byref(level)))
            rows.append((_clib.text(level.setting), _clib.LEVEL_SCALES[level.scale],
                         _clib.text(level.param) if level.param else None))
        levels[_clib.text(info.name)] = rows
    return levels


def _endpoint_settings(model):
    """The settings the model's levels read (ModelInfo.endpoint_settings)."""
    pd = _pandas()
    n = _lib.cart_model_n_endpoint_settings(model)
    rows = [_param_row(p) + (bool(_lib.cart_model_endpoint_setting_is_own(model, i)),)
            for i, p in enumerate(_state_infos(model, n, _lib.cart_model_endpoint_setting_info,
                                               _clib.ParamInfo))]
    return pd.DataFrame(rows, columns=_PARAM_COLUMNS + ["own"]).set_index("name")


class ModelInfo:
    """A model's table as libcart holds it (read through the C API, never copied by hand).

    Attributes:
      name, description   str
      states    [(name, unit, meaning)] in model order (the columns of a solve)
      outputs   [(name, unit, meaning)] of the derived outputs (cart: Cblood, cells/uL)
      atol      {state: default absolute tolerance} (MODEL.md section 6), in the state's unit
      params    pandas DataFrame indexed by parameter name, columns unit, default, lower, upper,
                lower_open, upper_open (bool: the bound itself is excluded), meaning; an
                unbounded side is +-inf
      endpoints [(name, unit, is_integer, meaning)] that a trial computes per patient, in the
                order of a trial file's /endpoints (cart: MODEL.md 4; stein: cmax, tmax, auc28)
      endpoint_levels  {endpoint: [(setting, scale, param)]}: the levels each endpoint compares
                its input with, in its reducer's order; scale is "absolute" (the setting),
                "param" (the setting times parameter `param`) or "initial" (times the input at
                t = 0); [] for an endpoint without levels (cart's aplasia_days:
                [("f_aplasia", "param", "B0")])
      endpoint_settings  pandas DataFrame indexed by the settings the levels read (a scenario's
                [endpoints] keys), columns as params plus own (bool: the model's own setting,
                not a trial-wide one of cart_endpoint_settings)
    """

    def __init__(self, name, description, states, outputs, atol, params, endpoints=(),
                 endpoint_levels=None, endpoint_settings=None):
        self.name = name
        self.description = description
        self.states = states
        self.outputs = outputs
        self.atol = atol
        self.params = params
        self.endpoints = list(endpoints)
        self.endpoint_levels = dict(endpoint_levels or {})
        self.endpoint_settings = endpoint_settings

    @property
    def units(self):
        """{name: unit} of every state, output and parameter."""
        units = {n: u for n, u, _ in self.states + self.outputs}
        units.update(self.params["unit"].to_dict())
        return units

    def __repr__(self):
        return "<libcart.ModelInfo %s: %d states, %d outputs, %d parameters>" % (
            self.name, len(self.states), len(self.outputs), len(self.params))


def model_info(name="cart"):
    """The states, derived outputs and parameter table (units, defaults, bounds, meanings) of
    model `name`, as a ModelInfo. LibcartError (CART_EUNKNOWN_MODEL) for an unknown name."""
    pd = _pandas()
    model = _clib.find_model(name)
    states = _state_infos(model, _lib.cart_model_n_states(model), _lib.cart_model_state_info)
    outputs = _state_infos(model, _lib.cart_model_n_outputs(model), _lib.cart_model_output_info)
    rows = [_param_row(p) for p in _param_infos(model)]
    params = pd.DataFrame(rows, columns=_PARAM_COLUMNS).set_index("name")
    return ModelInfo(
        name=_clib.text(_lib.cart_model_name(model)),
        description=_clib.text(_lib.cart_model_description(model)),
        states=[(_clib.text(s.name), _clib.text(s.unit), _clib.text(s.meaning)) for s in states],
        outputs=[(_clib.text(s.name), _clib.text(s.unit), _clib.text(s.meaning))
                 for s in outputs],
        atol={_clib.text(s.name): s.abs_tol for s in states},
        params=params,
        endpoints=[(_clib.text(e.name), _clib.text(e.unit), bool(e.is_integer),
                    _clib.text(e.meaning)) for e in _endpoint_infos(model)],
        endpoint_levels=_endpoint_levels(model),
        endpoint_settings=_endpoint_settings(model))


def default_scenario():
    """The built-in default trial scenario (INI text, cart-scenario(5)), as `cart scenario`
    prints it; trial() runs it when given no scenario."""
    return _clib.text(_lib.cart_scenario_default())


# ---- one patient -------------------------------------------------------------------------


class Solution:
    """One patient's solution from solve().

    Attributes:
      model     model name
      t         output times (day), numpy float64
      states    {name: numpy float64 array}: every state in model order, then the derived
                outputs (cart: Cblood in cells/uL); sol["E"] is sol.states["E"]
      signals   {name: numpy float64 array}: the model's derived signals at each output time,
                computed by libcart (cart: Cblood, tumour, IL6s, CRS; MODEL.md 2.2 and 4), the
                names a trial's trajectories use
      units     {name: unit} of those columns and signals
      params    {name: value} of every parameter as solved (defaults plus `params`)
      events    root-found events, in time order, as dicts: time (day), kind ("extinction" or
                "toci_rule"), state (the extinct phenotype's name, else None), amount_mg (the
                rule's dose, else 0.0); at most 64 are logged
      toci_times  numpy array of the days of every tocilizumab dose given (fixed ones starting
                within the horizon, and the rule's), sorted
      endpoints {name: float}: the patient's endpoints over [0, t[-1]] in the model's order
                (ModelInfo.endpoints), computed by the trial's code (cart_solver_solve_endpoints),
                so a trial's patient solved alone gets its /endpoints row bit for bit; integer
                endpoints (codes, grades, counts) as whole floats, NaN for none
      endpoint_units  {name: unit} of the endpoints
      stats     {steps, failed_steps, events, rejected_invalid} of the solver
    """

    def __init__(self, model, t, states, units, params, events, toci_times, stats, signals=None,
                 endpoints=None, endpoint_units=None):
        self.model = model
        self.t = t
        self.states = states
        self.signals = signals if signals is not None else {}
        self.units = units
        self.params = params
        self.events = events
        self.toci_times = toci_times
        self.stats = stats
        self.endpoints = endpoints if endpoints is not None else {}
        self.endpoint_units = endpoint_units if endpoint_units is not None else {}

    def __getitem__(self, name):
        if name == "t":
            return self.t
        return self.states[name]

    def __contains__(self, name):
        return name == "t" or name in self.states

    def keys(self):
        """Column names: t, then the states and outputs."""
        return ["t"] + list(self.states)

    def to_frame(self):
        """A pandas DataFrame with columns t, every state (model order), then the outputs."""
        pd = _pandas()
        columns = {"t": self.t}
        columns.update(self.states)
        return pd.DataFrame(columns)

    def __repr__(self):
        return "<libcart.Solution %s: %d times, %g..%g day, %d events>" % (
            self.model, len(self.t), self.t[0] if len(self.t) else float("nan"),
            self.t[-1] if len(self.t) else float("nan"), len(self.events))


_RULE_FIELDS = {  # Python name: (cart_toci_rule field, unit: "hours", "count" or None)
    "trigger": ("trigger", None),  # pg/mL of the CRS signal (IL6s)
    "interval_h": ("interval_day", "hours"),
    "max_doses": ("max_doses", "count"),
    "mg_per_kg": ("mg_per_kg", None),
    "cap_mg": ("cap_mg", None),
    "infusion_h": ("duration_day", "hours"),
    "delay_h": ("delay_day", "hours"),
}


def _parsed(function, text, out, what):
    """`out` filled by libcart's reader `function` (cart_grammar.h) from `text`: the grammar of
    `cart run` and the scenario, read by the same C code. LibcartError (a LibcartParseError,
    also a ValueError, for a malformed text) with libcart's message after "WHAT TEXT: "."""
    err = _clib.new_error()
    status = function(text.encode("utf-8"), ctypes.byref(out), ctypes.byref(err))
    if status != _clib.CART_OK:
        raise _clib.error(status, "%s %s: %s" % (what, text, _clib.text(err.message)))
    return out


def _text_form(value, what):
    """A dose as libcart's text form: a str as it is ("14:1e8", as `cart run --dose` takes it),
    a tuple of numbers joined with ':' (repr keeps every float exactly), so that libcart reads
    and checks both alike."""
    if isinstance(value, str):
        return value
    try:
        return ":".join(repr(float(x)) for x in value)
    except (TypeError, ValueError):
        raise TypeError("%s: each dose must be a str such as '14:1e8' or a tuple of numbers, "
                        "got %r" % (what, value)) from None


def _toci_rule(spec):
    """A cart_toci_rule from None/False (off), True (the defaults), a str (`cart run
    --toci-rule`'s grammar, read by libcart) or a dict of fields."""
    rule = _clib.TociRule()
    _lib.cart_toci_rule_default(ctypes.byref(rule))
    if spec is None or spec is False:
        rule.enabled = 0
        return rule
    if spec is True:
        return rule
    if isinstance(spec, str):
        return _parsed(_lib.cart_parse_toci_rule, spec, rule, "toci_rule")
    if not hasattr(spec, "items"):
        raise TypeError("toci_rule must be None, False, True, a str or a dict of %s, not %s"
                        % (", ".join(_RULE_FIELDS), type(spec).__name__))
    for key, value in spec.items():
        if key == "enabled":
            rule.enabled = 1 if value else 0
            continue
        if key not in _RULE_FIELDS:
            raise ValueError("toci_rule: unknown field %r (fields: enabled, %s)"
                             % (key, ", ".join(_RULE_FIELDS)))
        field, unit = _RULE_FIELDS[key]
        if unit == "count":
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                if not (isinstance(value, numbers.Real) and float(value).is_integer()):
                    raise ValueError("toci_rule: max_doses must be a whole number, not %r"
                                     % (value,))
            value = int(value)
            if not -2**31 <= value < 2**31:  # a C int; libcart checks 1..16 (CART_EDOSE)
                raise ValueError("toci_rule: max_doses must be in %d..%d, got %d"
                                 % (-2**31, 2**31 - 1, value))
            setattr(rule, field, value)
        elif unit == "hours":
            setattr(rule, field, _lib.cart_days_from_hours(float(value)))
        else:
            setattr(rule, field, float(value))
    return rule


def _times_array(times):
    if times is None:
        return np.arange(0, 366, dtype=np.float64)
    if isinstance(times, str):  # "A:B:STEP" or "T1,T2,...", as `cart run --times`
        err = _clib.new_error()
        count = ctypes.c_size_t()
        status = _lib.cart_parse_times(times.encode("utf-8"), None, 0, ctypes.byref(count),
                                       ctypes.byref(err))
        if status != _clib.CART_OK:
            raise _clib.error(status, "times %s: %s" % (times, _clib.text(err.message)))
        array = np.zeros(count.value, dtype=np.float64)
        _clib.check(_lib.cart_parse_times(times.encode("utf-8"), _clib.as_double_p(array),
                                          array.size, ctypes.byref(count), None))
        return array
    array = np.ascontiguousarray(np.asarray(times, dtype=np.float64).reshape(-1))
    if np.ndim(times) > 1:
        raise ValueError("times must be one-dimensional")
    return array


def _atol_array(model, atol):
    """The absolute tolerances as an array of n_states values (None: the model's)."""
    if atol is None:
        return None
    states = _state_infos(model, _lib.cart_model_n_states(model), _lib.cart_model_state_info)
    names = [_clib.text(s.name) for s in states]
    values = np.array([s.abs_tol for s in states], dtype=np.float64)
    if hasattr(atol, "items"):
        for name, value in atol.items():
            if name not in names:
                raise ValueError("atol: model '%s' has no state %r (states: %s)"
                                 % (_clib.text(_lib.cart_model_name(model)), name,
                                    ", ".join(names)))
            values[names.index(name)] = float(value)
    elif np.ndim(atol) == 0:
        values[:] = float(atol)
    else:
        given = np.asarray(atol, dtype=np.float64).reshape(-1)
        if given.size != len(names):
            raise ValueError("atol: expected %d values (%s), got %d"
                             % (len(names), ", ".join(names), given.size))
        values[:] = given
    return np.ascontiguousarray(values)


def _signals(model_p, params_p, states, units):
    """{name: array} of the model's derived signals at each row of `states` (times x n_states),
    computed by libcart (cart_params_signals); adds their units to `units`."""
    infos = _state_infos(model_p, _lib.cart_model_n_signals(model_p), _lib.cart_model_signal_info)
    values = np.zeros((states.shape[0], len(infos)), dtype=np.float64)
    row = np.zeros(len(infos), dtype=np.float64)
    for k in range(states.shape[0]):
        y = np.ascontiguousarray(states[k])
        _clib.check(_lib.cart_params_signals(params_p, _clib.as_double_p(y),
                                             _clib.as_double_p(row)))
        values[k] = row
    signals = {}
    for i, info in enumerate(infos):
        signals[_clib.text(info.name)] = values[:, i].copy()
        units.setdefault(_clib.text(info.name), _clib.text(info.unit))
    return signals


def _endpoint_plan(model_p, settings):
    """A cart_endpoint_plan of the model with `settings` ({name: value}) set by name; None (the
    C defaults) for no settings. The caller frees it."""
    if not settings:
        return None
    err = _clib.new_error()
    plan_p = _lib.cart_endpoint_plan_new(model_p, ctypes.byref(err))
    if not plan_p:
        raise _clib.error_from(err.code, err)
    try:
        for name, value in settings.items():
            if not isinstance(name, str):
                raise TypeError("endpoint setting names must be str, got %r" % (name,))
            _clib.check(_lib.cart_endpoint_plan_set_setting(plan_p, name.encode(), float(value)),
                        _lib.cart_endpoint_plan_last_error, plan_p)
    except BaseException:
        _lib.cart_endpoint_plan_free(plan_p)
        raise
    return plan_p


def _event_doses(events, model_p):
    """([(text, what)] CAR-T, [(text, what)] tocilizumab, [observation times]) of an event table
    (libcart._events), `what` naming its row for messages ("events row 3: doses"); all empty
    for None."""
    if events is None:
        return [], [], []
    from ._events import event_doses
    cart, toci, observations = event_doses(events, model_p)
    return ([(text, "%s: doses" % row) for text, row in cart],
            [(text, "%s: toci" % row) for text, row in toci], observations)


def _with_events(text, source, events):
    """(text, source) of a scenario with an event table's doses added by libcart
    (cart_scenario_add_event_table, as `cart trial --event-table` adds them): a [dosing] section
    (and the same lines in each arm that gives its own), so that libcart's scenario reader gives
    them exactly as it gives its own, and the scenario stored in the trial file holds them."""
    from ._events import table_text
    table, table_source, first_row = table_text(events)
    err = _clib.new_error()
    out = ctypes.c_void_p()
    status = _lib.cart_scenario_add_event_table(text.encode("utf-8"), source.encode("utf-8"),
                                                table, table_source.encode("utf-8"), first_row,
                                                ctypes.byref(out), ctypes.byref(err))
    if status != _clib.CART_OK:
        raise _clib.error_from(status, err)
    return _clib.take_text(out), source + " + events"


def solve(model="cart", params=None, times=None, doses=(), toci=(), method="rodas5p", rtol=None,
          atol=None, max_steps=None, n_ext=None, toci_rule=None, as_frame=False, events=None,
          endpoint_settings=None):
    """Solves one virtual patient and computes its endpoints (the C cart_solver_solve_endpoints;
    `cart run --endpoints` does the same).

    model     model name (see models()); default "cart"
    params    {name: value} overriding the model's defaults, in the parameter's unit (see
              model_info(model).params); an unknown name, NaN or out-of-bounds value raises
              LibcartError with libcart's message (CART_EUNKNOWN_PARAM, CART_ENOTFINITE,
              CART_ERANGE), and a set breaking a model rule raises CART_ERULE at solve time
    times     output times in days, finite, >= 0, non-decreasing (default numpy.arange(0, 366):
              every day to day 365); the solve runs from 0 to the last one. Or a str as
              `cart run --times` takes it: "A:B:STEP" or "T1,T2,..."
    doses     CAR-T infusions, each (time, cells) or (time, cells, f_mem): day, cells, memory
              fraction (default: the parameter f_mem), or the same as a str "TIME:CELLS[:FMEM]"
              as `cart run --dose` takes it. A dose at t = 0 is the patient's initial infusion,
              as in `cart run --dose 0:X` and a scenario's [dosing] cart = 0:X: it sets the
              parameter dose (and f_mem when given), after `params`; at most one dose at t = 0.
    toci      fixed tocilizumab infusions, each (time, mg_per_kg[, hours[, cap_mg]]) or a str
              "TIME:MG_PER_KG[:HOURS[:CAP_MG]]" as `cart run --toci` takes it: day, mg/kg of
              body weight WT, infusion hours (default 1; 0 is a bolus), cap in mg (default 800)
    method    "rodas5p" (libcart's Rosenbrock method Rodas5P with the analytic Jacobian,
              default), "gsl-bdf" (GSL msbdf; also "bdf") or "rk8pd"
    rtol      relative tolerance, 0 < rtol <= 0.1 (default 1e-6)
    atol      absolute tolerances: None (the model's: 1 cell, 1e-3 pg/mL, 1e-6 mg), one number
              for every state, a sequence of n_states numbers, or {state: value}
    max_steps step limit of the solve (default 100000); reaching it raises CART_EMAXSTEPS
    n_ext     extinction threshold in cells (default 1; 0 turns extinction off)
    toci_rule tocilizumab by rule: None or False (off, default), a str as `cart run
              --toci-rule` takes it ("on", "off" or "TRIGGER[:INTERVAL_H[:...]]"), True (MODEL.md 3 defaults:
              8 mg/kg, capped at 800 mg, over 1 h, when IL6s rises through 200 pg/mL, again
              every 8 h while above, at most 4 doses), or a dict of fields to change from the
              defaults: trigger (pg/mL), interval_h (hours), max_doses, mg_per_kg, cap_mg,
              infusion_h (hours; 0 is a bolus), delay_h (hours from the rise through the
              trigger to the first dose, given only if still above then; default 0)
    as_frame  return Solution.to_frame() (a pandas DataFrame) instead of the Solution
    events    an event table in the NONMEM/rxode2 layout: a pandas DataFrame or the path of a
              CSV file with columns time (day), amt, cmt and optionally evid, dur or rate, ii,
              addl, fmem, cap_mg (EVENT TABLES below). Its doses are given after `doses` and
              `toci`, exactly as those arguments give them; its observation rows (evid 0), if
              any, are the output times (then `times` must be None)
    endpoint_settings  {name: value} of the endpoint settings (n_detect, t_resp, f_aplasia,
              crs_g1 .. crs_g4, auc_end and the model's own; see model_info(model)), as a
              scenario's [endpoints] sets them; None: the defaults. An unknown name raises
              CART_EUNKNOWN_PARAM, a value outside its bounds CART_ERANGE, thresholds out of
              order (crs_g1 < crs_g2 < crs_g3 < crs_g4) CART_ERANGE at solve time

    EVENT TABLES: one row a dose. amt is in the target's unit: cells for CAR-T (cmt "cart",
    or the number or name of the state E) and mg/kg of the weight WT for tocilizumab (cmt
    "toci", or the state D1: cmt 8 in cart, 10 in cart2), capped at cap_mg mg (default 800),
    as the scenario's toci = TIME:MG_PER_KG[:HOURS[:CAP_MG]]. dur is the infusion's length in
    days, as time (0 a bolus), or rate the amt per day (dur = amt / rate); with neither,
    tocilizumab takes the library's default 1 h infusion, not a bolus. CAR-T cells are given
    at once (no dur or rate). ii/addl repeat a dose addl more times every ii days. A CAR-T dose
    at t = 0 is the initial infusion, as in `doses`. evid other than 0 and 1, ss != 0, rate < 0
    and rows of more than one id are refused; every error names the row (by position, 0-based;
    the line of a CSV) and the column. Other columns are ignored. The table is read by libcart
    (cart_parse_event_table, libcart(3)), as R's events= and `cart run --event-table` read it.

    Returns a Solution (see its docstring). Raises LibcartError (code, name, message from C)
    for every failure libcart reports, TypeError/ValueError for arguments of the wrong shape.
    """
    model_p = _clib.find_model(model)
    n_states = _lib.cart_model_n_states(model_p)
    n_outputs = _lib.cart_model_n_outputs(model_p)
    event_cart, event_toci, observations = _event_doses(events, model_p)
    if observations and times is not None:
        raise ValueError("events has observation rows (evid 0) and times is given: give the "
                         "output times once")
    times_array = _times_array(observations if observations else times)
    atol_array = _atol_array(model_p, atol)
    rule = _toci_rule(toci_rule)
    method_code = ctypes.c_int(0)
    if not isinstance(method, str):
        raise TypeError("method must be a str ('rodas5p', 'gsl-bdf' or 'rk8pd')")
    status = _lib.cart_method_from_name(method.encode(), ctypes.byref(method_code))
    if status != _clib.CART_OK:
        raise _clib.error(status, "unknown method '%s': expected rodas5p, gsl-bdf (bdf) or rk8pd" % method)

    err = _clib.new_error()
    params_p = dosing_p = solver_p = plan_p = None
    try:
        params_p = _lib.cart_params_new(model_p, ctypes.byref(err))
        if not params_p:
            raise _clib.error_from(err.code, err)
        for name, value in (params or {}).items():
            if not isinstance(name, str):
                raise TypeError("parameter names must be str, got %r" % (name,))
            _clib.check(_lib.cart_params_set(params_p, name.encode(), float(value)),
                        _lib.cart_params_last_error, params_p)

        dosing_p = _lib.cart_dosing_new(ctypes.byref(err))
        if not dosing_p:
            raise _clib.error_from(err.code, err)
        initial_given = ctypes.c_int(0)
        # the arguments' doses, then the event table's (what: where a message says it came from)
        for text, what in [(_text_form(d, "doses"), "doses") for d in doses] + event_cart:
            parsed = _parsed(_lib.cart_parse_cart_dose, text, _clib.CartDose(), what)
            status = _lib.cart_dose_give_cart(params_p, dosing_p, ctypes.byref(parsed),
                                              ctypes.byref(initial_given), ctypes.byref(err))
            if status != _clib.CART_OK:
                raise _clib.error(status, "%s %s: %s" % (what, text, _clib.text(err.message)))
        toci_starts = []
        for text, what in [(_text_form(d, "toci"), "toci") for d in toci] + event_toci:
            parsed = _parsed(_lib.cart_parse_toci_dose, text, _clib.TociDose(), what)
            if _lib.cart_dosing_add_toci(dosing_p, parsed.time, parsed.mg_per_kg,
                                         parsed.duration_day, parsed.cap_mg) != _clib.CART_OK:
                last_error = _lib.cart_dosing_last_error(dosing_p).contents
                raise _clib.error(last_error.code, "%s %s: %s"
                                  % (what, text, _clib.text(last_error.message)))
            toci_starts.append(parsed.time)
        if rule.enabled:
            _clib.check(_lib.cart_dosing_set_toci_rule(dosing_p, ctypes.byref(rule)),
                        _lib.cart_dosing_last_error, dosing_p)

        solver_p = _lib.cart_solver_new(model_p, ctypes.byref(err))
        if not solver_p:
            raise _clib.error_from(err.code, err)
        last = _lib.cart_solver_last_error
        _clib.check(_lib.cart_solver_set_method(solver_p, method_code.value), last, solver_p)
        if rtol is not None or atol_array is not None:
            _clib.check(_lib.cart_solver_set_tolerances(
                solver_p, _clib.CART_RTOL_DEFAULT if rtol is None else float(rtol),
                _clib.as_double_p(atol_array)), last, solver_p)
        if max_steps is not None:
            if isinstance(max_steps, bool) or not isinstance(max_steps, numbers.Integral):
                raise ValueError("max_steps must be a positive integer, not %r" % (max_steps,))
            max_steps = _count(max_steps, "max_steps", 1, _ULONG_MAX)
            _clib.check(_lib.cart_solver_set_max_steps(solver_p, max_steps), last, solver_p)
        if n_ext is not None:
            _clib.check(_lib.cart_solver_set_extinction(solver_p, float(n_ext)), last, solver_p)

        plan_p = _endpoint_plan(model_p, endpoint_settings)
        n_times = times_array.size
        states = np.zeros((n_times, n_states), dtype=np.float64)
        outputs = np.zeros((n_times, n_outputs), dtype=np.float64) if n_outputs else None
        endpoint_infos = _endpoint_infos(model_p)
        endpoint_values = np.zeros(max(len(endpoint_infos), 1), dtype=np.float64)
        _clib.check(_lib.cart_solver_solve_endpoints(solver_p, params_p, dosing_p, plan_p,
                                                     _clib.as_double_p(times_array), n_times,
                                                     _clib.as_double_p(states),
                                                     _clib.as_double_p(outputs),
                                                     _clib.as_double_p(endpoint_values)),
                    last, solver_p)
        endpoints = {_clib.text(info.name): float(endpoint_values[i])
                     for i, info in enumerate(endpoint_infos)}
        endpoint_units = {_clib.text(info.name): _clib.text(info.unit) for info in endpoint_infos}

        state_infos = _state_infos(model_p, n_states, _lib.cart_model_state_info)
        output_infos = _state_infos(model_p, n_outputs, _lib.cart_model_output_info)
        columns, units = {}, {}
        for i, info in enumerate(state_infos):
            columns[_clib.text(info.name)] = states[:, i].copy()
            units[_clib.text(info.name)] = _clib.text(info.unit)
        for i, info in enumerate(output_infos):
            columns[_clib.text(info.name)] = outputs[:, i].copy()
            units[_clib.text(info.name)] = _clib.text(info.unit)
        state_names = [_clib.text(s.name) for s in state_infos]
        signals = _signals(model_p, params_p, states, units)

        events = []
        for i in range(_lib.cart_solver_n_events(solver_p)):
            record = _clib.EventRecord()
            _clib.check(_lib.cart_solver_get_event(solver_p, i, ctypes.byref(record)),
                        last, solver_p)
            kind = {_clib.CART_EVENT_EXTINCTION: "extinction",
                    _clib.CART_EVENT_TOCI_RULE: "toci_rule"}.get(record.kind, record.kind)
            events.append({"time": record.time, "kind": kind,
                           "state": state_names[record.state]
                           if 0 <= record.state < n_states else None,
                           "amount_mg": record.amount_mg})
        stats = _clib.SolverStats()
        _lib.cart_solver_get_stats(solver_p, ctypes.byref(stats))

        values = {}
        value = ctypes.c_double()
        for info in _param_infos(model_p):
            _clib.check(_lib.cart_params_get(params_p, info.name, ctypes.byref(value)))
            values[_clib.text(info.name)] = value.value
    finally:
        _lib.cart_endpoint_plan_free(plan_p)
        _lib.cart_solver_free(solver_p)
        _lib.cart_dosing_free(dosing_p)
        _lib.cart_params_free(params_p)

    horizon = times_array[-1] if times_array.size else 0.0
    toci_times = sorted([start for start in toci_starts if start <= horizon]
                        + [e["time"] for e in events if e["kind"] == "toci_rule"])
    solution = Solution(model=_clib.text(_lib.cart_model_name(model_p)), t=times_array.copy(),
                        states=columns, units=units, params=values, events=events,
                        signals=signals, endpoints=endpoints, endpoint_units=endpoint_units,
                        toci_times=np.array(toci_times, dtype=np.float64),
                        stats={name: getattr(stats, name) for name, _ in stats._fields_})
    return solution.to_frame() if as_frame else solution


# ---- trials ------------------------------------------------------------------------------


def _text_checked(text, source):
    """(text, source), refusing a NUL byte: the library reads C strings, so the text after it
    would be silently ignored (cart(1) refuses such files the same way)."""
    at = text.find("\0")
    if at >= 0:
        raise ValueError("%s: NUL byte at offset %d" % (source, at))
    return text, source


def _text_or_path(value, what, text_source, missing_hint=""):
    """(text, source) of an argument that is a file's path or the text itself (bytes, str or
    os.PathLike); a text has at least one newline, so a single line is a path that must exist."""
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise TypeError("%s must be a path or the %s text, not %s"
                        % (what, what, type(value).__name__))
    if os.path.isfile(value):
        with open(value, encoding="utf-8") as f:
            return _text_checked(f.read(), value)
    if "\n" not in value:
        raise FileNotFoundError("%s file '%s' does not exist%s" % (what, value, missing_hint))
    return _text_checked(value, text_source)


def _scenario_text(scenario):
    """(text, source) of a scenario argument: None (the default), a path or the text."""
    if scenario is None:
        return _text_checked(default_scenario(), "<default scenario>")
    # a scenario needs at least "[trial]" and "model = ..." on two lines
    return _text_or_path(scenario, "scenario", "<text>",
                         " (scenario text must have a [trial] section and its model on "
                         "separate lines)")


def _count(value, what, least, most):
    """value as an int in least..most (the range of the C type it goes to, or tighter): ctypes
    would silently wrap an integer outside it modulo 2**bits."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError("%s must be an integer, not %r" % (what, value))
    value = int(value)
    if not least <= value <= most:
        raise ValueError("%s must be in %d..%d, got %d" % (what, least, most, value))
    return value


def _patients_table(patients):
    """(names, values as a C-contiguous float64 array rows x columns) of a patients argument: a
    pandas DataFrame (columns named after parameters; a column `id`, any case, is left out) or
    the path of a CSV file, read by libcart's own grammar (cart_parse_table, as a scenario's
    [patients] file is)."""
    if hasattr(patients, "columns") and hasattr(patients, "to_numpy"):
        names = [str(c) for c in patients.columns if str(c).lower() != "id"]
        if not names:
            raise ValueError("patients: the DataFrame has no columns besides id")
        try:
            values = patients[names].to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError("patients: every column but id must be numeric (%s)" % exc) \
                from None
        if values.shape[0] == 0:
            raise ValueError("patients: the DataFrame has no rows")
        bad = ~np.isfinite(values)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError("patients: row %d, column '%s': %r is not a finite number"
                             % (row + 1, names[col], values[row, col]))
        return names, np.ascontiguousarray(values)
    path = os.fspath(patients)
    with open(path, "rb") as f:
        data = f.read()
    if b"\0" in data:
        raise ValueError("patients file '%s': a NUL byte at offset %d" % (path, data.index(b"\0")))
    table_p = ctypes.POINTER(_clib.Table)()
    err = _clib.new_error()
    status = _lib.cart_parse_table(data, os.fsencode(path), ctypes.byref(table_p),
                                   ctypes.byref(err))
    if status != _clib.CART_OK:
        raise _clib.error_from(status, err)
    try:
        table = table_p.contents
        names = [_clib.text(table.names[c]) for c in range(table.n_columns)]
        values = np.ctypeslib.as_array(table.values, shape=(table.n_rows, table.n_columns)).copy()
    finally:
        _lib.cart_table_free(table_p)
    return names, values


def _c_progress(progress, prototype, caught):
    """A ctypes callback of `prototype` that calls progress(...) with the C arguments but the
    last (the data pointer); a NULL one (no callback) when progress is None. A truthy return
    stops the C loop; so does an exception, appended to `caught` for the caller to raise again
    (it must never cross the C boundary). Keep the callback referenced while C may call it."""
    if progress is None:
        return prototype()  # a NULL function pointer

    def call(*args):
        try:
            return 1 if progress(*args[:-1]) else 0
        except BaseException as exc:
            caught.append(exc)
            return 1

    return prototype(call)


def trial(scenario=None, n=None, seed=None, threads=0, output=None, force=False, block=4096,
          progress=None, events=None, patients=None):
    """Runs a virtual trial into one HDF5 file, as `cart trial` does, and returns
    read_trial(output).

    scenario  None (the built-in default scenario, see default_scenario()), the path of a
              scenario file (cart-scenario(5)), or the scenario text itself; libcart's messages
              name the file, or "<text>" for text
    n, seed   override the scenario's number of patients (>= 1) and seed (0 <= seed < 2**64);
              the scenario stored in the file gets a last line
              "# python trial(): n_patients = N, seed = S" with the values run
    threads   OpenMP threads (0: OpenMP's default); results do not depend on it
    output    the HDF5 file to write (default "cart-trial.h5" in the current directory); an
              existing file raises LibcartError CART_EEXIST unless force=True
    block     patients per block (memory is proportional to it); each block is written and
              flushed before the next
    progress  optional callable(done, total) called after every block with the patients done;
              a truthy return stops the run after that block, leaving the file marked
              incomplete, and trial() then returns what was written (read_trial warns with
              IncompleteTrialWarning). An exception raised by progress also stops the run; it
              is raised again from trial() once the file is closed.
    events    an event table (a DataFrame or a CSV path; see solve()), the doses every patient
              of every arm gets in addition to the scenario's: appended to the scenario as a
              [dosing] section (kept in the file's scenario) by libcart
              (cart_scenario_add_event_table, as `cart trial --event-table` appends them), so
              that they are given exactly as the scenario's cart = and toci = lines; an arm
              with its own dosing.cart (dosing.toci) lines gets them as more of those.
              Observation rows (evid 0) are refused: the scenario's [times] are the output
              times
    patients  a table of real patients instead of the scenario's [patients] file, if any: a
              pandas DataFrame or the path of a CSV file (cart-scenario(5) [patients]); one row
              a patient, columns named after parameters in the units of `cart models`, a column
              `id` left out. Patient i < rows takes row i, later patients rows drawn with
              replacement (seeded: patient i's row depends only on the seed and i); parameters
              the table leaves out are drawn from the scenario's variability; a column that also
              has a cv is an error. Results are those of the same table given as [patients]
              file, bit for bit.

    A scenario with [arm NAME] sections (cart-scenario(5), ARMS) runs every arm on the same
    patients into one file, as `cart trial` does: n, seed and patients apply to every arm, and
    progress counts the patients of all arms. The result then has .arms ({name: TrialResult}).

    Returns a TrialResult. Raises LibcartError for scenario errors (CART_EPARSE etc., with the
    line), CART_EEXIST, CART_EIO and the plan's errors.
    """
    text, source = _scenario_text(scenario)
    if events is not None:
        text, source = _with_events(text, source, events)
    table = _patients_table(patients) if patients is not None else None
    threads = _count(threads, "threads", 0, _MAX_THREADS)
    block = _count(block, "block", 1, _SIZE_MAX)
    if n is not None:
        n = _count(n, "n", 1, _SIZE_MAX)
    if seed is not None:
        seed = _count(seed, "seed", 0, _UINT64_MAX)
    path = os.fspath(output) if output is not None else "cart-trial.h5"

    err = _clib.new_error()
    # a scenario's arms ([arm NAME] sections; one unnamed arm without them), run as cart trial
    # runs them
    arms_p = _lib.cart_arms_new_from_scenario(text.encode("utf-8"), source.encode("utf-8"),
                                              ctypes.byref(err))
    if not arms_p:
        raise _clib.error_from(err.code, err)
    n_arms = _lib.cart_arms_count(arms_p)
    caught = []
    try:
        if n is not None:
            _clib.check(_lib.cart_arms_set_n_patients(arms_p, n), _lib.cart_arms_last_error,
                        arms_p)
        if seed is not None:
            _lib.cart_arms_set_seed(arms_p, seed)
        first_p = _lib.cart_arms_trial(arms_p, 0)
        separator = "\n" if text and not text.endswith("\n") else ""
        as_run = "%s%s# python trial(): n_patients = %d, seed = %d\n" % (
            text, separator, _lib.cart_trial_n_patients(first_p), _lib.cart_trial_seed(first_p))
        if table is not None:
            names, values = table
            c_names = (ctypes.c_char_p * len(names))(*[n.encode("utf-8") for n in names])
            for a in range(n_arms):  # the same patients in every arm
                population = _lib.cart_trial_edit_population(_lib.cart_arms_trial(arms_p, a))
                _clib.check(_lib.cart_population_set_patients(
                    population, c_names, len(names),
                    values.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), values.shape[0]),
                    _lib.cart_population_last_error, population)
            as_run += "# python trial(): patients table of %d rows (%s)\n" % (
                values.shape[0], ", ".join(names))
        _clib.check(_lib.cart_arms_prepare(arms_p), _lib.cart_arms_last_error, arms_p)
        callback = _c_progress(progress, _clib.PROGRESS_FN, caught)
        summaries = (_clib.TrialSummary * n_arms)()
        options = _clib.TrialRunOptions()
        _lib.cart_trial_run_options_default(ctypes.byref(options))
        options.scenario_text = as_run.encode("utf-8")
        options.force = 1 if force else 0
        options.block_size = block
        options.n_threads = threads
        options.progress = callback
        status = _lib.cart_arms_run_file(arms_p, os.fsencode(path), ctypes.byref(options),
                                         summaries, ctypes.byref(err))
    finally:
        _lib.cart_arms_free(arms_p)
    if caught:
        raise caught[0]
    if status != _clib.CART_OK and not (status == _clib.CART_ESTOPPED and progress is not None):
        raise _clib.error_from(status, err)
    return _read_trial(path, stacklevel=3)


# ---- calibration -------------------------------------------------------------------------


def _targets_text(targets):
    """(text, source) of a targets argument: a path or the text itself."""
    return _text_or_path(targets, "targets", "<targets>")


class CalibrationResult:
    """The result of calibrate().

    Attributes:
      targets      DataFrame indexed by target name (e.g. "median(cmax)"): observed, lower,
                   upper (the observed 95 % interval), se_observed, simulated, mc_se (Monte-Carlo
                   SE of the simulated statistic), in_range (bool)
      params       DataFrame indexed by "rho" or "cv.rho": value, se (NaN when not identified
                   or stopped), identified (bool), lower, upper (search bounds), start
      fitted       {name: value}, the same values as a dict
      scenario     the calibrated scenario text (cart-scenario(5)), with the comment block
      objective, evaluations, wall_seconds, converged, complete, n_patients, seed,
      variance_factor (1 + 1/R), condition (of G'WG), trial_name
    """

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __repr__(self):
        return "<libcart.CalibrationResult %s: objective %.4g, %d evaluations%s>" % (
            self.trial_name or "unnamed trial", self.objective, self.evaluations,
            "" if self.complete else ", STOPPED")


def calibrate(scenario, targets, threads=0, progress=None, n=None, seed=None,
              max_evaluations=None):
    """Calibrates a scenario's free typical values and CVs to a trial's summary statistics,
    as `cart calibrate` does (simulated method of moments with common random numbers; see
    cart(1) and cart-targets(5)), and returns a CalibrationResult.

    scenario   a scenario path or text (as for trial(); None: the built-in default)
    targets    a targets file path or text (cart-targets(5)): [trial], [targets], [free],
               [calibrate]
    threads    OpenMP threads per evaluation (0: OpenMP's default); the result does not depend
               on it, bit for bit
    n, seed, max_evaluations   override the targets' [calibrate] n_patients, seed and
               max_evaluations
    progress   optional callable(evaluations, max_evaluations, best_objective) called after
               every evaluation; a truthy return stops the fit, and the result holds the best
               point so far with complete = False and no SEs. An exception raised by progress
               stops the fit too and is raised again.

    Raises LibcartError for bad scenarios or targets (the message names file and line),
    and for a trial that does not run.
    """
    text, source = _scenario_text(scenario)
    targets_text, targets_source = _targets_text(targets)
    threads = _count(threads, "threads", 0, _MAX_THREADS)
    err = _clib.new_error()
    trial_p = _lib.cart_trial_new_from_scenario(text.encode("utf-8"), source.encode("utf-8"),
                                                ctypes.byref(err))
    if not trial_p:
        raise _clib.error_from(err.code, err)
    targets_p = _lib.cart_targets_new(targets_text.encode("utf-8"),
                                      targets_source.encode("utf-8"), ctypes.byref(err))
    if not targets_p:
        _lib.cart_trial_free(trial_p)
        raise _clib.error_from(err.code, err)
    caught = []
    cal_p = _clib.CalibrationP()
    try:
        settings = _clib.CalibrateSettings()
        _lib.cart_calibrate_settings_default(ctypes.byref(settings))
        _lib.cart_targets_settings(targets_p, ctypes.byref(settings))
        if n is not None:
            settings.n_patients = _count(n, "n", 1, _SIZE_MAX)
        if seed is not None:
            settings.seed = _count(seed, "seed", 0, _UINT64_MAX)
            settings.use_seed = 1
        if max_evaluations is not None:
            settings.max_evaluations = _count(max_evaluations, "max_evaluations", 1, _SIZE_MAX)
        settings.n_threads = threads
        callback = _c_progress(progress, _clib.CALIBRATE_PROGRESS_FN, caught)
        status = _lib.cart_calibration_new(trial_p, targets_p, ctypes.byref(settings), callback,
                                           None, ctypes.byref(cal_p), ctypes.byref(err))
        if caught:
            raise caught[0]
        if status != _clib.CART_OK and status != _clib.CART_ESTOPPED:
            raise _clib.error_from(status, err)
        return _calibration_result(cal_p, text, _clib.text(_lib.cart_targets_trial_name(targets_p)))
    finally:
        if cal_p:
            _lib.cart_calibration_free(cal_p)
        _lib.cart_targets_free(targets_p)
        _lib.cart_trial_free(trial_p)


def _calibration_result(cal_p, scenario_text, trial_name):
    pd = _pandas()
    summary = _clib.CalibrationSummary()
    _lib.cart_calibration_get_summary(cal_p, ctypes.byref(summary))
    rows = []
    for i in range(summary.n_targets):
        t = _clib.CalibrationTarget()
        _lib.cart_calibration_get_target(cal_p, i, ctypes.byref(t))
        rows.append({"name": _clib.text(t.name), "observed": t.observed, "lower": t.lower,
                     "upper": t.upper, "se_observed": t.se_observed, "simulated": t.simulated,
                     "mc_se": t.mc_se, "in_range": bool(t.in_range)})
    targets = pd.DataFrame(rows).set_index("name")
    rows = []
    for k in range(summary.n_free):
        q = _clib.CalibrationParam()
        _lib.cart_calibration_get_param(cal_p, k, ctypes.byref(q))
        rows.append({"name": ("cv." if q.is_cv else "") + _clib.text(q.name), "value": q.value,
                     "se": q.se, "identified": bool(q.identified), "lower": q.lower,
                     "upper": q.upper, "start": q.start})
    params = pd.DataFrame(rows).set_index("name")
    encoded = scenario_text.encode("utf-8")
    length = ctypes.c_size_t()
    _lib.cart_calibration_scenario(cal_p, encoded, None, 0, ctypes.byref(length))
    buffer = ctypes.create_string_buffer(length.value + 1)
    _clib.check(_lib.cart_calibration_scenario(cal_p, encoded, buffer, length.value + 1,
                                               ctypes.byref(length)))
    return CalibrationResult(
        targets=targets, params=params, fitted=dict(params["value"].items()),
        scenario=buffer.value.decode("utf-8"), objective=summary.objective,
        evaluations=summary.evaluations, wall_seconds=summary.wall_seconds,
        converged=bool(summary.converged), complete=bool(summary.complete),
        n_patients=summary.n_patients, seed=summary.seed,
        variance_factor=summary.variance_factor, condition=summary.condition,
        trial_name=trial_name)


# ---- global sensitivity analysis ---------------------------------------------------------


class SensitivityResult:
    """The result of sensitivity().

    Attributes:
      indices      DataFrame indexed by parameter name: first, first_lower, first_upper (Sobol
                   S_i and its bootstrap interval), total, total_lower, total_upper (ST_i), mu,
                   mu_star, sigma, mu_star_lower, mu_star_upper (Morris); NaN for the other
                   method's columns
      design       DataFrame of the parameter values, a row per design point (Sobol: A's N
                   rows, B's, then AB_1 ... AB_p; Morris: r trajectories of p + 1 points)
      unit         the same points in the unit cube (ndarray rows x p)
      outputs      the output at each point (ndarray; NaN where undefined)
      params       DataFrame indexed by name: distribution, lower, upper, typical, cv
      method ("sobol" or "morris"), n, levels, seed, n_bootstrap, confidence, statistic (or
      None for a function), n_valid (base rows or trajectories used), mean, variance,
      wall_seconds, n_refused (trials whose values the model refused, left out) and refusal
      (why the first was: "design row R: MESSAGE", or None)
    """

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __repr__(self):
        return "<libcart.SensitivityResult %s of %s: %d parameters, %d points>" % (
            self.method, self.statistic or "a function", len(self.indices), len(self.outputs))


def _range_text(name, spec):
    """`cart sensitivity --param`'s NAME=RANGE of a sensitivity() parameter."""
    if isinstance(spec, str):
        return "%s=%s" % (name, spec)
    spec = tuple(spec)
    if len(spec) == 3 and spec[2] == "log":
        return "%s=%r:%r:log" % (name, float(spec[0]), float(spec[1]))
    if len(spec) == 2:
        return "%s=%r:%r" % (name, float(spec[0]), float(spec[1]))
    raise ValueError("%s: a range is 'LOWER:UPPER', 'LOWER:UPPER:log', 'scenario', "
                     "(lower, upper) or (lower, upper, 'log'), not %r" % (name, spec))


def sensitivity(params, statistic=None, function=None, scenario=None, method="sobol", n=None,
                levels=4, seed=1, bootstrap=1000, confidence=0.95, patients=None, threads=0,
                output=None, force=False, progress=None, typical_patient=False):
    """Global sensitivity analysis, as `cart sensitivity` does (cart(1), cart_sensitivity.h):
    Sobol first-order and total indices (Saltelli's design on the Sobol sequence, the Saltelli
    2010 and Jansen 1999 estimators, percentile-bootstrap intervals) or Morris elementary
    effects, of a trial's summary statistic or of a Python function. Returns a
    SensitivityResult.

    params     {name: range}, range one of "LOWER:UPPER" (uniform), "LOWER:UPPER:log"
               (log-uniform), "scenario" (the scenario's log- or logit-normal distribution of
               a varied parameter, truncated to its bounds; a statistic only), (lower, upper) or
               (lower, upper, "log")
    statistic  a statistic of cart-targets(5) ("cr", "crs_grade3", "median(cmax)", ..., a
               state or signal at a day as "median(Cblood@28)"): one trial of the scenario
               per design point, the point's values as typical values
    function   instead of statistic: f(x) -> float for x a 1-D array of the parameters' values
               (in params' order), called once per design point
    scenario   a scenario path or text (None: the built-in default); its seed gives every
               trial the same patients
    method     "sobol" or "morris"; n: Sobol's N base rows (default 1024, a power of two) or
               Morris's r trajectories (default 20); levels: Morris grid levels (even)
    seed       of the Morris design and the bootstrap; bootstrap: resamples (0: no intervals);
               confidence: the intervals' level
    patients   virtual patients per trial (default: the scenario's); threads: OpenMP threads
               per trial (the result does not depend on them)
    typical_patient  one patient at the typical values without variability: the statistic is
               its endpoint, e.g. "mean(cmax)" (not with patients)
    output     an HDF5 file to write (cart(1) SENSITIVITY FILES); force: replace it
    progress   optional callable(done, total) after each trial; a truthy return stops
               (LibcartError CART_ESTOPPED)

    Raises LibcartError (LibcartParseError for a malformed range or statistic) with libcart's
    message, e.g. an unknown parameter (listing the model's), a range outside a parameter's
    bounds, an unknown statistic.
    """
    pd = _pandas()
    if (statistic is None) == (function is None):
        raise ValueError("give either statistic (a trial's) or function, not both or neither")
    if method not in _clib.SENSITIVITY_METHODS:
        raise ValueError("method must be 'sobol' or 'morris', not %r" % (method,))
    if not params:
        raise ValueError("params: at least one parameter and its range")
    threads = _count(threads, "threads", 0, _MAX_THREADS)
    err = _clib.new_error()
    trial_p = None
    if statistic is not None:
        text, source = _scenario_text(scenario)
        trial_p = _lib.cart_trial_new_from_scenario(text.encode("utf-8"), source.encode("utf-8"),
                                                    ctypes.byref(err))
        if not trial_p:
            raise _clib.error_from(err.code, err)
    s_p = None
    try:
        if patients is not None:
            _clib.check(_lib.cart_trial_set_n_patients(
                trial_p, _count(patients, "patients", 1, _SIZE_MAX)),
                _lib.cart_trial_last_error, trial_p)
        names = list(params)
        c_params = (_clib.SensitivityParam * len(names))()
        buffers = [ctypes.create_string_buffer(_clib.CART_RANGE_NAME_SIZE) for _ in names]
        for k, name in enumerate(names):
            from_scenario = ctypes.c_int()
            _clib.check(_lib.cart_parse_sensitivity_range(
                _range_text(name, params[name]).encode("utf-8"), buffers[k],
                ctypes.byref(c_params[k]), ctypes.byref(from_scenario), ctypes.byref(err)),
                err=err)
            if from_scenario.value:
                if trial_p is None:
                    raise ValueError("%s: 'scenario' ranges need a statistic (a trial)" % name)
                _clib.check(_lib.cart_sensitivity_scenario_param(
                    trial_p, buffers[k].value, ctypes.byref(c_params[k]), ctypes.byref(err)),
                    err=err)
        if typical_patient:
            if trial_p is None or patients is not None:
                raise ValueError("typical_patient is one patient of a trial: give a statistic "
                                 "and no patients")
            _clib.check(_lib.cart_sensitivity_typical_patient(trial_p))
        settings = _clib.SensitivitySettings()
        _lib.cart_sensitivity_settings_default(ctypes.byref(settings))
        settings.method = _clib.SENSITIVITY_METHODS.index(method)
        settings.n = _count(n, "n", 1, _SIZE_MAX) if n is not None else \
            (1024 if method == "sobol" else 20)
        settings.levels = _count(levels, "levels", 0, _SIZE_MAX)
        settings.seed = _count(seed, "seed", 0, _UINT64_MAX)
        settings.n_bootstrap = _count(bootstrap, "bootstrap", 0, _SIZE_MAX)
        settings.confidence = float(confidence)
        s_p = _lib.cart_sensitivity_new(c_params, len(names), ctypes.byref(settings),
                                        ctypes.byref(err))
        if not s_p:
            raise _clib.error_from(err.code, err)
        rows = _lib.cart_sensitivity_n_rows(s_p)
        p = len(names)
        values = np.ctypeslib.as_array(_lib.cart_sensitivity_design(s_p), (rows, p)).copy()
        if statistic is not None:
            caught = []
            callback = _c_progress(progress, _clib.PROGRESS_FN, caught)
            status = _lib.cart_sensitivity_run_trial(s_p, trial_p, statistic.encode("utf-8"),
                                                     threads, callback, None)
            if caught:
                raise caught[0]
            _clib.check(status, _lib.cart_sensitivity_last_error, s_p)
        else:
            outputs = np.ascontiguousarray([float(function(row)) for row in values],
                                           dtype=np.float64)
            _clib.check(_lib.cart_sensitivity_set_outputs(s_p, _clib.as_double_p(outputs)),
                        _lib.cart_sensitivity_last_error, s_p)
        if output is not None:
            _clib.check(_lib.cart_sensitivity_write(s_p, os.fspath(output).encode(),
                                                    1 if force else 0, ctypes.byref(err)),
                        err=err)
        return _sensitivity_result(s_p, names, values, statistic, pd)
    finally:
        if s_p:
            _lib.cart_sensitivity_free(s_p)
        if trial_p:
            _lib.cart_trial_free(trial_p)


def _sensitivity_result(s_p, names, values, statistic, pd):
    rows, p = values.shape
    rows_index, param_rows = [], []
    for i in range(p):
        x = _clib.SensitivityIndex()
        _lib.cart_sensitivity_get_index(s_p, i, ctypes.byref(x))
        rows_index.append({f: getattr(x, f) for f in _clib.SENSITIVITY_INDEX_FIELDS})
        q = _clib.SensitivityParam()
        _lib.cart_sensitivity_get_param(s_p, i, ctypes.byref(q))
        param_rows.append({"distribution": _clib.SENSITIVITY_DISTRIBUTIONS[q.distribution],
                           "lower": q.lower, "upper": q.upper, "typical": q.typical, "cv": q.cv})
    settings = _clib.SensitivitySettings()
    _lib.cart_sensitivity_get_settings(s_p, ctypes.byref(settings))
    summary = _clib.SensitivitySummary()
    _lib.cart_sensitivity_get_summary(s_p, ctypes.byref(summary))
    unit = np.ctypeslib.as_array(_lib.cart_sensitivity_design_unit(s_p), (rows, p)).copy()
    outputs = np.ctypeslib.as_array(_lib.cart_sensitivity_outputs(s_p), (rows,)).copy()
    return SensitivityResult(
        method=_clib.SENSITIVITY_METHODS[settings.method], n=settings.n, levels=settings.levels,
        seed=settings.seed, n_bootstrap=settings.n_bootstrap, confidence=settings.confidence,
        indices=pd.DataFrame(rows_index, index=pd.Index(names, name="parameter")),
        design=pd.DataFrame(values, columns=names), unit=unit, outputs=outputs,
        params=pd.DataFrame(param_rows, index=pd.Index(names, name="parameter")),
        statistic=_clib.text(_lib.cart_sensitivity_statistic(s_p)) if statistic else None,
        n_valid=summary.n_valid, mean=summary.mean, variance=summary.variance,
        wall_seconds=summary.wall_seconds, n_refused=summary.n_refused,
        refusal=_clib.text(_lib.cart_sensitivity_refusal(s_p)) or None)


class TrialResult:
    """A trial file read into memory by read_trial() (numpy arrays and pandas frames; the file
    is closed). Rows are patients 0..N-1.

    Attributes:
      path          the file read
      attrs         {libcart_version, model, scenario (text as run), seed, n_patients,
                    complete (bool), created (ISO 8601)}
      complete      attrs["complete"]
      time          output times (day), numpy float64
      params        DataFrame, one column per parameter (each patient's values);
                    param_units {name: unit}
      trajectories  {name: numpy array patients x times} (float32 as stored; NaN for rows not
                    written and failed patients); trajectory_units {name: unit}
      endpoints     DataFrame, one column per endpoint in the model's order
                    (ModelInfo.endpoints): float64 ones with NaN kept, int32 ones (codes,
                    counts) as pandas "Int32" with the fill value -2147483648 (failed or
                    unwritten patients) as NA; endpoint_units {name: unit}
      status        numpy int32: 0 solved, CART_ENOTINFUSED (-19) for a patient who dropped
                    out during the vein-to-vein time (never infused: NaN/NA endpoints), else the
                    libcart code of the failed draw or solve (-2147483648 for rows not written)
      tumour_at_infusion  numpy float64 per patient: the tumour (cells) at infusion after the
                    vein-to-vein time (at its end for a patient who dropped out); None for a
                    trial without a wait
      toci_times    numpy float64 patients x doses: days of each tocilizumab dose, NaN after the
                    last
      summary       {field: value} of /summary: the oncology statistics ({} when the file has
                    none)
      endpoint_summary  DataFrame indexed by endpoint name, in the model's order, of
                    /summary/endpoints: unit, n_number (solved patients with a number), mean,
                    p5, p25, p50, p75, p95 (exact, numpy's linear rule), and for integer
                    endpoints n_0 .. n_8, n_above: solved patients at each value (NA for the
                    other endpoints); e.g. the CRS grade >= 3 rate is
                    endpoint_summary.loc["crs_grade", "n_3":"n_above"].sum()
                    / summary["n_solved"]. Empty when the file has no summary.
                    The rates are as treated (of the patients infused and solved);
                    summary["cr_rate_itt"] and ["orr_rate_itt"] are intention to treat (of
                    n_solved + n_dropout, a patient not infused counting as a non-responder),
                    and cost_per_patient, cost_per_infused, cost_per_cr the scenario's [cost]
                    unit costs applied (NaN without them)
      units         {dataset path ("/time", "/trajectories/Cblood", ...): unit}; "/params" maps
                    to the list of its columns' units
      arms          {} for a trial without arms; for a file of arms (scenario [arm NAME]
                    sections, cart(1) TRIAL FILES) {name: TrialResult} in the arms' order, each
                    the arm's datasets and summary with the fields above (and its own units,
                    keyed as in a plain file), while this result's per-patient fields (params,
                    trajectories, endpoints, status, toci_times, summary, endpoint_summary) are
                    None: patient i of every arm is the same virtual patient
      arm, label    the arm's name and label for a result in .arms; None and "" otherwise
    """

    def __init__(self, **fields):
        self.__dict__.update(fields)

    @property
    def n_patients(self):
        """Number of patients of the trial."""
        if "n_patients" in self.attrs:
            return self.attrs["n_patients"]
        return len(self.status if self.status is not None else self.written)

    @property
    def model(self):
        """Model name."""
        return self.attrs.get("model")

    @property
    def written(self):
        """numpy bool per patient: its row was written (False only in an incomplete file); for
        a file of arms, of the first arm."""
        if self.arms:
            return next(iter(self.arms.values())).written
        return self.status != _clib.INT32_FILL

    def to_frame(self, long=True):
        """The trial as one pandas DataFrame, of the patients whose row was written (all of
        them unless the file is incomplete), as `cart export FILE --csv DIR` writes it:

        long=True   DIR/trajectories.csv: columns patient, arm, time, name, value, unit, a row
                    a patient, trajectory and output time (patients in order, then the
                    trajectories in name order, then times); value is the float32 stored,
                    widened to float64 (NaN for a failed patient); arm is the arm's name (a
                    file of arms: every arm's rows, arm by arm), NaN for a trial without arms
        long=False  DIR/endpoints.csv: a row a patient, columns patient, arm, status and the
                    endpoints (pandas "Int32" for the integer ones, NA for no value)
        """
        pd = _pandas()
        if self.arms:  # every arm's rows, arm by arm, as cart export writes them
            return pd.concat([arm.to_frame(long) for arm in self.arms.values()],
                             ignore_index=True)
        arm = self.arm if self.arm is not None else np.nan
        patients = np.flatnonzero(self.written)
        if not long:
            frame = self.endpoints.iloc[patients].copy()
            frame.insert(0, "status", self.status[patients].astype(np.int64))
            frame.insert(0, "arm", arm)
            frame.insert(0, "patient", patients.astype(np.int64))
            return frame.reset_index(drop=True)
        names = sorted(self.trajectories)  # the file's order (HDF5 name order)
        n_times = len(self.time)
        if names:
            values = np.stack([self.trajectories[n][patients] for n in names], axis=1)
        else:
            values = np.zeros((len(patients), 0, n_times), dtype=np.float32)
        rows_per_patient = len(names) * n_times
        units = [self.trajectory_units.get(n) or "" for n in names]
        return pd.DataFrame({
            "patient": np.repeat(patients.astype(np.int64), rows_per_patient),
            "arm": np.full(len(patients) * rows_per_patient, arm,
                           dtype=object if self.arm is not None else float),
            "time": np.tile(np.asarray(self.time, dtype=np.float64), len(patients) * len(names)),
            "name": np.tile(np.repeat(np.array(names, dtype=object), n_times), len(patients)),
            "value": values.astype(np.float64).reshape(-1),
            "unit": np.tile(np.repeat(np.array(units, dtype=object), n_times), len(patients)),
        })

    def __repr__(self):
        arms = ""
        if self.arms:
            arms = ", arms %s" % ", ".join(self.arms)
        elif self.arm is not None:
            arms = ", arm %s" % self.arm
        return "<libcart.TrialResult %s: model %s, %s patients, %d times%s%s>" % (
            self.path, self.model, self.n_patients, len(self.time), arms,
            "" if self.complete else ", INCOMPLETE")


def _plain(value):
    """An HDF5 attribute value as a plain Python value."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "OSU":
            return [_plain(v) for v in value.tolist()]
        return value
    if isinstance(value, np.generic):
        return value.item()
    return value


# The root attributes of a trial file, in the order of cart(1).
_ROOT_ATTRS = ("libcart_version", "model", "scenario", "seed", "n_patients", "complete",
               "created")


def _endpoint_order(model_name):
    """The endpoint names of model `model_name` in its order (the file's /endpoints); [] for a
    model this libcart does not have."""
    try:
        model = _clib.find_model(model_name)
    except (LibcartError, TypeError, ValueError):
        return []
    return [_clib.text(e.name) for e in _endpoint_infos(model)]


# The columns of TrialResult.endpoint_summary: /summary/endpoints/<name>'s attributes, the level
# counts spread over n_0 .. n_8 (cart_trial.h's CART_SUMMARY_MAX_LEVEL).
_ENDPOINT_SUMMARY_COLUMNS = (["unit", "n_number", "mean", "p5", "p25", "p50", "p75", "p95"]
                             + ["n_%d" % v for v in range(_clib.CART_SUMMARY_MAX_LEVEL + 1)]
                             + ["n_above"])


def _endpoint_summary(f, pd):
    """/summary/endpoints as a DataFrame indexed by endpoint name, in the model's order (empty
    when the file has none)."""
    rows, names = [], []
    group = f.get("summary/endpoints")
    if group is not None:
        names = [_plain(n) for n in group.attrs["names"]] if "names" in group.attrs \
            else sorted(group)
        for name in names:
            attrs = group[name].attrs
            levels = attrs.get("n_level")
            row = {"unit": _plain(attrs.get("unit")), "n_number": int(attrs["n_number"])}
            for key in ("mean", "p5", "p25", "p50", "p75", "p95"):
                row[key] = float(attrs[key])
            for v in range(_clib.CART_SUMMARY_MAX_LEVEL + 1):
                row["n_%d" % v] = int(levels[v]) if levels is not None else None
            row["n_above"] = int(attrs["n_above"]) if "n_above" in attrs else None
            rows.append(row)
    frame = pd.DataFrame(rows, index=pd.Index(names, name="endpoint"),
                         columns=_ENDPOINT_SUMMARY_COLUMNS)
    counts = ["n_%d" % v for v in range(_clib.CART_SUMMARY_MAX_LEVEL + 1)] + ["n_above"]
    return frame.astype({"n_number": "int64", **{c: "Int64" for c in counts}})


def _read_datasets(g, attrs, pd):
    """The datasets of one trial in HDF5 group g (the file's root, or an arm's /arms/NAME) as
    TrialResult fields."""
    params_set = g["params"]
    names = [_plain(n) for n in params_set.attrs["names"]]
    param_units = dict(zip(names, [_plain(u) for u in params_set.attrs["units"]]))
    params = pd.DataFrame(params_set[()], columns=names)

    trajectories, trajectory_units = {}, {}
    for name, item in g["trajectories"].items():
        trajectories[name] = item[()]
        trajectory_units[name] = _plain(item.attrs.get("unit"))

    group = g["endpoints"]
    order = [n for n in _endpoint_order(attrs.get("model")) if n in group]
    order += sorted(n for n in group if n not in order)
    columns, endpoint_units = {}, {}
    for name in order:
        data = group[name][()]
        if data.dtype.kind in "iu":
            data = data.astype(np.int32)
            columns[name] = pd.arrays.IntegerArray(data, data == _clib.INT32_FILL)
        else:
            columns[name] = data
        endpoint_units[name] = _plain(group[name].attrs.get("unit"))
    endpoints = pd.DataFrame(columns, index=pd.RangeIndex(len(params)))

    status = g["status"][()].astype(np.int32)
    # the burden at infusion, kept for a trial (arm) with a vein-to-vein time only
    tumour_at_infusion = g["tumour_at_infusion"][()] if "tumour_at_infusion" in g else None
    toci_times = g["events/toci_times"][()] if "events/toci_times" in g \
        else np.full((len(status), 0), np.nan)
    summary = {}
    if "summary" in g:
        found = {key: _plain(value) for key, value in g["summary"].attrs.items()}
        for field in _clib.TrialSummary.ONCOLOGY_FIELDS:
            if field in found:
                summary[field] = found.pop(field)
        summary.update(found)
    return dict(params=params, param_units=param_units, trajectories=trajectories,
                trajectory_units=trajectory_units, endpoints=endpoints,
                endpoint_units=endpoint_units, status=status, toci_times=toci_times,
                tumour_at_infusion=tumour_at_infusion,
                summary=summary, endpoint_summary=_endpoint_summary(g, pd))


def read_trial(path):
    """Reads a trial file written by trial() or `cart trial` (layout: cart(1), TRIAL FILES)
    into a TrialResult, with h5py; the file is closed on return. A file marked incomplete
    (complete = 0: stopped, failed or still running) is read too, with an
    IncompleteTrialWarning."""
    return _read_trial(path, stacklevel=3)


def _beyond_eoa(path):
    """Whether the file is longer than the end of allocation its superblock records (versions 2
    and 3 with 8-byte addresses, what libcart writes; HDF5 file format specification,
    "Superblock"): a run killed inside the flush that ends a block wrote the new chunk index but
    not the superblock, which HDF5 writes last (cart(1), TRIAL FILES). R's cart_read_trial()
    tells such a file the same way."""
    try:
        with open(path, "rb") as f:
            head = f.read(36)
        size = os.path.getsize(path)
    except OSError:
        return False
    if len(head) < 36 or head[:8] != b"\x89HDF\r\n\x1a\n" or head[8] not in (2, 3) or head[9] != 8:
        return False
    return size > int.from_bytes(head[28:36], "little")


def _read_trial(path, stacklevel):
    try:
        return _read_trial_file(path, stacklevel + 1)
    except OSError as error:
        if not _beyond_eoa(path):
            raise
        raise OSError("trial file '%s': HDF5 cannot read some of its chunks (%s): its run was "
                      "killed while it flushed a block; `h5clear --increment=0 %s` (hdf5-tools) "
                      "repairs it, then every finished block reads back"
                      % (os.fspath(path), error, os.fspath(path))) from error


def _read_trial_file(path, stacklevel):
    import h5py
    pd = _pandas()
    path = os.fspath(path)
    units = {}
    with h5py.File(path, "r") as f:
        found = {key: _plain(value) for key, value in f.attrs.items()}
        attrs = {key: found.pop(key) for key in _ROOT_ATTRS if key in found}
        attrs.update(found)
        complete = bool(attrs.get("complete", 0))
        attrs["complete"] = complete

        def visit(name, item):
            if isinstance(item, h5py.Dataset):
                unit = item.attrs.get("unit", item.attrs.get("units"))
                units["/" + name] = _plain(unit) if unit is not None else None
        f.visititems(visit)

        time = f["time"][()]
        arm_names = [str(a) for a in attrs.get("arms", [])] if "arms" in f else []
        arms = {}
        for name in arm_names:
            group = f["arms"][name]
            prefix = "/arms/%s" % name
            arm_units = {key[len(prefix):]: value for key, value in units.items()
                         if key.startswith(prefix + "/")}
            arms[name] = TrialResult(path=path, attrs=attrs, complete=complete, time=time,
                                     arm=name, label=_plain(group.attrs.get("label", "")),
                                     arms={}, units=arm_units,
                                     **_read_datasets(group, attrs, pd))
        if arms:
            fields = dict.fromkeys(("params", "param_units", "trajectories", "trajectory_units",
                                    "endpoints", "endpoint_units", "status", "toci_times",
                                    "tumour_at_infusion",
                                    "summary", "endpoint_summary"))
        else:
            fields = _read_datasets(f, attrs, pd)
    if not complete:
        warnings.warn("trial file '%s' is marked incomplete (complete = 0): its run was stopped, "
                      "failed or is still running; patients not written read as NaN/NA"
                      % path, IncompleteTrialWarning, stacklevel=stacklevel)
    return TrialResult(path=path, attrs=attrs, complete=complete, time=time, arm=None, label="",
                       arms=arms, units=units, **fields)
