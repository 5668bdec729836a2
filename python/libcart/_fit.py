"""Fitting one patient's data (the C cart_fit.h): libcart.fit() and libcart.FitProblem.

FitProblem holds a fit's data, parameters and error model and exposes the objective (-2
log-likelihood plus priors) and its gradient from the forward sensitivity equations, for
external optimisers (scipy.optimize.minimize(problem.objective, problem.theta0,
jac=problem.gradient)). fit() runs libcart's own optimiser and returns a FitResult.
"""

import ctypes
import math

import numpy as np

from . import _clib

_lib = _clib.lib

_DATA_COLUMNS = ("time", "observable", "value")


def _data_rows(data):
    """(time, observable, value, blq, lloq) rows from a DataFrame, a dict of columns or a list of
    dicts; None for a path (the C reader reads it)."""
    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        return None
    if hasattr(data, "to_dict"):  # a pandas DataFrame
        data = data.to_dict(orient="list")
    if isinstance(data, dict):
        missing = [c for c in _DATA_COLUMNS if c not in data]
        if missing:
            raise ValueError("data: no column %s" % missing[0])
        n = len(data["time"])
        blq = data.get("blq", [0] * n)
        lloq = data.get("lloq", [math.nan] * n)
        return [(float(data["time"][i]), str(data["observable"][i]), float(data["value"][i]),
                 int(blq[i]), float(lloq[i])) for i in range(n)]
    return [(float(r["time"]), str(r["observable"]), float(r["value"]), int(r.get("blq", 0)),
             float(r.get("lloq", math.nan))) for r in data]


def _new_data(model_p, data):
    err = _clib.new_error()
    rows = _data_rows(data)
    if rows is None:
        path = data if isinstance(data, bytes) else str(data).encode()
        with open(path, "rb") as f:
            text = f.read()
        data_p = _clib.FitDataP()
        _clib.check(_lib.cart_fit_data_parse(model_p, text, path, ctypes.byref(data_p),
                                             ctypes.byref(err)), err=err)
        return data_p
    data_p = _lib.cart_fit_data_new(model_p, ctypes.byref(err))
    if not data_p:
        raise _clib.error_from(err.code, err)
    for k, (t, name, value, blq, lloq) in enumerate(rows):
        o = _lib.cart_fit_observable_index(model_p, name.encode())
        if o < 0:
            _lib.cart_fit_data_free(data_p)
            names = [_clib.text(_lib.cart_fit_observable_name(model_p, i))
                     for i in range(_lib.cart_fit_n_observables(model_p))]
            raise ValueError("data row %d: unknown observable %r (the model's: %s)"
                             % (k + 1, name, ", ".join(names)))
        if blq and math.isnan(lloq):
            lloq = value
        status = _lib.cart_fit_data_add(data_p, t, o, value, blq, lloq, ctypes.byref(err))
        if status != _clib.CART_OK:
            _lib.cart_fit_data_free(data_p)
            raise _clib.error(status, "data row %d: %s" % (k + 1, _clib.text(err.message)))
    return data_p


class FitProblem:
    """A fit of `params` (names to fit: a list, or {name: initial} or {name: (initial, lower,
    upper)}) of `model` to one patient's `data` (a long CSV path, a DataFrame or dict of columns
    time, observable, value[, blq, lloq]) with CAR-T `doses` ("TIME:CELLS[:FMEM]" or tuples, as
    solve() takes them) and fixed parameter values `values` ({name: value}).

    error: "additive", "proportional" or "combined"; log: the error model on the log scale;
    sigma_add, sigma_prop: initial (or with estimate_sigma=False fixed) sigmas; priors:
    {name: (typical, cv)} log-normal priors; finite_differences: gradients by differences.

    objective(theta), gradient(theta), predict(theta): the C cart_fit_objective and
    cart_fit_predict at theta (fitted parameters on their log/logit scale, then log sigmas);
    theta0, theta_names. Use as a context manager or call close().
    """

    def __init__(self, data, model="cart", params=(), values=None, doses=(), error="additive",
                 log=False, sigma_add=None, sigma_prop=None, estimate_sigma=True, priors=None,
                 finite_differences=False):
        from . import _text_form, _parsed  # the grammar helpers of solve()
        self._fit_p = None
        self._data_p = None
        self._params_p = None
        self._dosing_p = None
        self.model_p = _clib.find_model(model)
        self.model = model
        err = _clib.new_error()
        try:
            self._data_p = data if isinstance(data, _clib.FitDataP) else _new_data(self.model_p,
                                                                                   data)
            if doses and _lib.cart_fit_data_dosing(self._data_p):
                raise ValueError("data set %r carries its own doses (a NONMEM table's dose "
                                 "records): give no doses= with it"
                                 % _clib.text(_lib.cart_fit_data_id(self._data_p)))
            self._params_p = _lib.cart_params_new(self.model_p, ctypes.byref(err))
            for name, value in (values or {}).items():
                _clib.check(_lib.cart_params_set(self._params_p, name.encode(), float(value)),
                            _lib.cart_params_last_error, self._params_p)
            self._dosing_p = _lib.cart_dosing_new(ctypes.byref(err))
            initial_given = ctypes.c_int(0)
            for d in doses:
                text = _text_form(d, "doses")
                parsed = _parsed(_lib.cart_parse_cart_dose, text, _clib.CartDose(), "doses")
                _clib.check(_lib.cart_dose_give_cart(self._params_p, self._dosing_p,
                                                     ctypes.byref(parsed),
                                                     ctypes.byref(initial_given),
                                                     ctypes.byref(err)), err=err)
            self._fit_p = _lib.cart_fit_new(self._params_p, self._dosing_p, self._data_p,
                                            ctypes.byref(err))
            if not self._fit_p:
                raise _clib.error_from(err.code, err)
            last = _lib.cart_fit_last_error
            specs = params.items() if isinstance(params, dict) else [(p, None) for p in params]
            for name, spec in specs:
                initial, lower, upper = math.nan, math.nan, math.nan
                if isinstance(spec, (tuple, list)):
                    initial, lower, upper = (float(x) for x in spec)
                elif spec is not None:
                    initial = float(spec)
                _clib.check(_lib.cart_fit_add_param(self._fit_p, name.encode(), initial, lower,
                                                    upper), last, self._fit_p)
            kind = ctypes.c_int()
            if _lib.cart_fit_error_kind_from_name(str(error).encode(),
                                                  ctypes.byref(kind)) != _clib.CART_OK:
                raise ValueError("error must be additive, proportional or combined, not %r"
                                 % (error,))
            if sigma_add is None:
                sigma_add = 0.3 if log else 1.0
            if sigma_prop is None:
                sigma_prop = 0.1
            _clib.check(_lib.cart_fit_set_error_model(self._fit_p, kind.value, int(bool(log)),
                                                      float(sigma_add), float(sigma_prop),
                                                      int(bool(estimate_sigma))),
                        last, self._fit_p)
            for name, (typical, cv) in (priors or {}).items():
                _clib.check(_lib.cart_fit_set_prior(self._fit_p, name.encode(), float(typical),
                                                    float(cv)), last, self._fit_p)
            _lib.cart_fit_set_finite_differences(self._fit_p, int(bool(finite_differences)))
        except BaseException:
            self.close()
            raise
        n = _lib.cart_fit_n_theta(self._fit_p)
        self.theta_names = [_clib.text(_lib.cart_fit_theta_name(self._fit_p, k))
                            for k in range(n)]
        self.theta0 = np.zeros(n)
        _lib.cart_fit_initial_theta(self._fit_p, _clib.as_double_p(self.theta0))

    def close(self):
        """Frees the C objects (the problem cannot be used after)."""
        _lib.cart_fit_free(self._fit_p)
        _lib.cart_fit_data_free(self._data_p)
        _lib.cart_dosing_free(self._dosing_p)
        _lib.cart_params_free(self._params_p)
        self._fit_p = self._data_p = self._dosing_p = self._params_p = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_fit_p", None):
            self.close()

    def _theta(self, theta):
        theta = np.ascontiguousarray(theta, dtype=np.float64)
        if theta.shape != self.theta0.shape:
            raise ValueError("theta must have %d entries" % self.theta0.size)
        return theta

    def objective(self, theta):
        """-2 log-likelihood (+ priors) at theta."""
        theta = self._theta(theta)
        value = ctypes.c_double()
        _clib.check(_lib.cart_fit_objective(self._fit_p, _clib.as_double_p(theta),
                                            ctypes.byref(value), None),
                    _lib.cart_fit_last_error, self._fit_p)
        return value.value

    def gradient(self, theta):
        """d objective / d theta (forward sensitivities)."""
        theta = self._theta(theta)
        value = ctypes.c_double()
        grad = np.zeros_like(theta)
        _clib.check(_lib.cart_fit_objective(self._fit_p, _clib.as_double_p(theta),
                                            ctypes.byref(value), _clib.as_double_p(grad)),
                    _lib.cart_fit_last_error, self._fit_p)
        return grad

    def predict(self, theta, sensitivities=False):
        """The predictions at the observations, and with sensitivities=True their derivatives
        d f_i / d theta_k (an n x n_theta array) too."""
        theta = self._theta(theta)
        n = _lib.cart_fit_data_size(self._data_p)
        pred = np.zeros(n)
        sens = np.zeros((n, theta.size)) if sensitivities else None
        _clib.check(_lib.cart_fit_predict(self._fit_p, _clib.as_double_p(theta),
                                          _clib.as_double_p(pred), _clib.as_double_p(sens)),
                    _lib.cart_fit_last_error, self._fit_p)
        return (pred, sens) if sensitivities else pred

    def values(self, theta):
        """{name: natural value} of theta."""
        theta = self._theta(theta)
        out = np.zeros_like(theta)
        _lib.cart_fit_theta_to_values(self._fit_p, _clib.as_double_p(theta),
                                      _clib.as_double_p(out))
        return dict(zip(self.theta_names, out.tolist()))

    def observations(self):
        """The data as a dict of arrays: time, observable, value, blq, lloq."""
        n = _lib.cart_fit_data_size(self._data_p)
        t, v, lloq = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
        o, blq = ctypes.c_int(), ctypes.c_int()
        rows = {"time": [], "observable": [], "value": [], "blq": [], "lloq": []}
        for i in range(n):
            _lib.cart_fit_data_get(self._data_p, i, ctypes.byref(t), ctypes.byref(o),
                                   ctypes.byref(v), ctypes.byref(blq), ctypes.byref(lloq))
            rows["time"].append(t.value)
            rows["observable"].append(_clib.text(_lib.cart_fit_observable_name(self.model_p,
                                                                                o.value)))
            rows["value"].append(v.value)
            rows["blq"].append(bool(blq.value))
            rows["lloq"].append(lloq.value)
        return {k: np.array(x) for k, x in rows.items()}

    def run(self, curve_times=None, profile=(), profile_points=11):
        """Runs libcart's fit; returns a FitResult."""
        _clib.check(_lib.cart_fit_run(self._fit_p), _lib.cart_fit_last_error, self._fit_p)
        return self._result(curve_times, profile, profile_points)

    def _result(self, curve_times=None, profile=(), profile_points=11):
        """The FitResult of a fit that ran."""
        last = _lib.cart_fit_last_error
        r = _clib.FitResult()
        _clib.check(_lib.cart_fit_get_result(self._fit_p, ctypes.byref(r)))
        estimates = {}
        for k in range(r.n_theta):
            e = _clib.FitEstimate()
            _clib.check(_lib.cart_fit_get_estimate(self._fit_p, k, ctypes.byref(e)))
            estimates[_clib.text(e.name)] = {
                "estimate": e.value, "se": e.se, "ci_lower": e.ci_lower, "ci_upper": e.ci_upper,
                "theta": e.theta, "se_theta": e.se_theta,
                "identifiable": not (e.flags & _clib.CART_FIT_NOT_IDENTIFIABLE)}
        corr = np.zeros((r.n_theta, r.n_theta))
        _clib.check(_lib.cart_fit_correlation(self._fit_p, _clib.as_double_p(corr)))
        data = self.observations()
        if curve_times is None:
            last_time = float(data["time"][-1]) if data["time"].size else 1.0
            curve_times = np.linspace(0.0, last_time, 201)
        curve_times = np.ascontiguousarray(curve_times, dtype=np.float64)
        curves = {}
        for name in dict.fromkeys(data["observable"].tolist()):
            o = _lib.cart_fit_observable_index(self.model_p, name.encode())
            values = np.zeros(curve_times.size)
            _clib.check(_lib.cart_fit_curve(self._fit_p, o, _clib.as_double_p(curve_times),
                                            curve_times.size, _clib.as_double_p(values)),
                        last, self._fit_p)
            curves[name] = values
        profiles = {}
        for name in profile:
            if name not in self.theta_names:
                raise ValueError("profile: %r is not fitted (%s)" % (name,
                                                                     ", ".join(self.theta_names)))
            xs, ys = np.zeros(profile_points), np.zeros(profile_points)
            _clib.check(_lib.cart_fit_profile(self._fit_p, self.theta_names.index(name),
                                              profile_points, 3.0, _clib.as_double_p(xs),
                                              _clib.as_double_p(ys)), last, self._fit_p)
            profiles[name] = (xs, ys)
        return FitResult(model=self.model, id=_clib.text(_lib.cart_fit_data_id(self._data_p)),
                         estimates=estimates, correlation=corr,
                         names=list(self.theta_names), objective=r.objective,
                         identifiable=bool(r.identifiable),
                         report=_clib.text(_lib.cart_fit_identifiability_report(self._fit_p)),
                         optimiser=_clib.text(r.optimiser),
                         gradient_method=_clib.text(r.gradient_method), data=data,
                         curve_times=curve_times, curves=curves, profiles=profiles)


class FitResult:
    """What fit() returns.

    estimates    {name: {estimate, se, ci_lower, ci_upper (95 % Wald), theta, se_theta,
                 identifiable}} for each fitted parameter, then sigma_add / sigma_prop
    correlation  n x n numpy array, in the order of `names`
    objective    -2 log-likelihood (+ priors) at the estimate
    identifiable False when some estimate is flagged; report says which and why
    data         the observations (time, observable, value, blq, lloq arrays)
    curve_times, curves  the fitted curve of each observable in the data ({name: array})
    profiles     {name: (values, objective)} when asked
    """

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __repr__(self):
        parts = ", ".join("%s=%.4g" % (k, v["estimate"]) for k, v in self.estimates.items())
        return "FitResult(%s, objective=%.6g)" % (parts, self.objective)


def fit(data, model="cart", params=(), curve_times=None, profile=(), profile_points=11,
        **options):
    """Fits parameters of `model` to one patient's observations (cart fit): see FitProblem for
    data, params and the options (values, doses, error, log, sigma_add, sigma_prop,
    estimate_sigma, priors, finite_differences). Returns a FitResult with estimates, standard
    errors, 95 % intervals, the correlation matrix, the identifiability report and the fitted
    curve (plot it with libcart.plots.fit_plot). Raises LibcartError with libcart's message
    (a bad data file names its line)."""
    with FitProblem(data, model=model, params=params, **options) as problem:
        return problem.run(curve_times=curve_times, profile=profile,
                           profile_points=profile_points)


def fit_all(path, model="cart", params=(), format="nonmem", threads=0, curve_times=None,
            **options):
    """Fits every patient of a NONMEM-style table (format "nonmem": ID, TIME, DV, OBS or CMT,
    BLQ, LLOQ, MDV, EVID) or of a PEtab measurement table (format "petab": each
    simulationConditionId a patient), in parallel on `threads` threads (0: OpenMP's default; the
    results do not depend on it), as `cart fit --nonmem` does. params and options as fit().
    A NONMEM table with an AMT column carries each ID's doses (EVID 1 records: AMT in cells for
    CAR-T, mg/kg for tocilizumab; CMT cart or toci, or the state dosed; RATE or DUR, II, ADDL;
    cart_fit.h): they are that patient's doses, and doses= is then refused (ValueError).
    Returns {id: FitResult or LibcartError (a fit that failed)} in the order of the file."""
    readers = {"nonmem": _lib.cart_fit_data_read_nonmem, "petab": _lib.cart_fit_data_read_petab}
    if format not in readers:
        raise ValueError("format must be 'nonmem' or 'petab', not %r" % (format,))
    model_p = _clib.find_model(model)
    err = _clib.new_error()
    sets = ctypes.POINTER(_clib.FitDataP)()
    n = ctypes.c_size_t()
    path = path if isinstance(path, bytes) else str(path).encode()
    _clib.check(readers[format](model_p, path, ctypes.byref(sets), ctypes.byref(n),
                                ctypes.byref(err)), err=err)
    problems = []
    try:
        for i in range(n.value):  # each problem owns its data set from here on
            data_p = _clib.FitDataP(sets[i].contents)
            sets[i] = _clib.FitDataP()
            problems.append(FitProblem(data_p, model=model, params=params, **options))
        fits = (_clib.FitP * len(problems))(*[p._fit_p for p in problems])
        statuses = (ctypes.c_int * len(problems))()
        _clib.check(_lib.cart_fit_run_all(fits, len(problems), int(threads), statuses))
        results = {}
        for p, status in zip(problems, statuses):
            key = _clib.text(_lib.cart_fit_data_id(p._data_p))
            if status != _clib.CART_OK:
                results[key] = _clib.error_from(status, _lib.cart_fit_last_error(p._fit_p).contents)
            else:
                results[key] = p._result(curve_times=curve_times)
        return results
    finally:
        for i in range(len(problems), n.value):
            _lib.cart_fit_data_free(sets[i])
        _lib.cart_fit_data_free_all(sets, 0)  # the array alone
        for p in problems:
            p.close()
