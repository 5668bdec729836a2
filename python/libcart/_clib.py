"""The C library libcart through ctypes: loading it, its structures and every prototype.

This is the one module that declares argtypes and restype (STYLE.md, section 5: "a ctypes
package that declares argtypes/restype for every function in one module"). The structures
mirror the public headers in include/cart/ field by field; change them together.

The library is loaded once, at import, from the first of:

1. the environment variable LIBCART_LIBRARY (a path to libcart.so.1; no fallback if it fails);
2. the build tree's lib/.libs/libcart.so.1, when this package is imported from inside that
   build tree (python/libcart of the tree configure ran in);
3. the installed library, libdir/libcart.so.1 (libdir as configured);
4. ctypes.util.find_library("cart").

Nothing here keeps mutable state besides the loaded library itself: every handle is made and
freed by its caller, so threads may call libcart at once (ctypes releases the GIL in calls).
"""

import ctypes
import ctypes.util
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_double, c_int, c_size_t,
                    c_uint64, c_ulong, c_void_p)

try:
    from . import _paths
except ImportError:  # a source tree that configure has not processed
    _paths = None

# ---- errors ------------------------------------------------------------------------------

CART_ERROR_MESSAGE_SIZE = 256  # cart_errno.h


class LibcartError(Exception):
    """A libcart function failed.

    Attributes: ``code`` (the negative CART_E... status, an int), ``name`` (its C name, e.g.
    ``"CART_ERANGE"``) and ``message`` (libcart's own message, verbatim: it names the parameter,
    value, time or line that was wrong). ``str()`` of the exception is the message.
    """

    def __init__(self, code, name, message):
        super().__init__(code, name, message)
        self.code = code
        self.name = name
        self.message = message

    def __str__(self):
        return self.message

    def __repr__(self):
        return "%s(%d, %r, %r)" % (type(self).__name__, self.code, self.name, self.message)


class LibcartParseError(LibcartError, ValueError):
    """A LibcartError with code CART_EPARSE (a malformed scenario, targets file or text form
    such as a dose "TIME:CELLS[:FMEM]"); also a ValueError, as a malformed argument is in
    Python."""


# ---- loading -----------------------------------------------------------------------------

LIBRARY_NAME = "libcart.so.1"  # the ABI these prototypes declare (configure.ac)


def _expand_libdir(libdir, prefix, exec_prefix):
    """libdir as configure wrote it, with ${exec_prefix} and ${prefix} expanded."""
    if not prefix or prefix == "NONE" or prefix.startswith("@"):
        prefix = "/usr/local"
    if not exec_prefix or exec_prefix == "NONE" or exec_prefix.startswith("@"):
        exec_prefix = prefix
    exec_prefix = exec_prefix.replace("${prefix}", prefix).replace("$(prefix)", prefix)
    for _ in range(4):  # nested references, e.g. libdir=${exec_prefix}/lib, exec_prefix=${prefix}
        libdir = (libdir.replace("${exec_prefix}", exec_prefix)
                  .replace("$(exec_prefix)", exec_prefix)
                  .replace("${prefix}", prefix).replace("$(prefix)", prefix))
    return libdir


def _inside(path, directory):
    """Whether `path` lies under `directory` (both made real first)."""
    path, directory = os.path.realpath(path), os.path.realpath(directory)
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _candidates():
    """(description, path) of each place to try, in order, after LIBCART_LIBRARY."""
    places = []
    if _paths is not None:
        build = getattr(_paths, "BUILD_LIBRARY", "")
        if build and not build.startswith("@"):
            # BUILD_LIBRARY is <builddir>/lib/.libs/libcart.so.1
            builddir = os.path.dirname(os.path.dirname(os.path.dirname(build)))
            package = os.path.dirname(os.path.abspath(__file__))
            if _inside(package, os.path.join(builddir, "python")):
                places.append(("the build tree", build))
        libdir = getattr(_paths, "INSTALLED_LIBDIR", "")
        if libdir and not libdir.startswith("@"):
            libdir = _expand_libdir(libdir, getattr(_paths, "PREFIX", ""),
                                    getattr(_paths, "EXEC_PREFIX", ""))
            places.append(("the installed libdir", os.path.join(libdir, LIBRARY_NAME)))
    return places


def _load():
    explicit = os.environ.get("LIBCART_LIBRARY")
    if explicit:
        try:
            return ctypes.CDLL(explicit)
        except OSError as exc:
            raise ImportError("libcart: cannot load LIBCART_LIBRARY=%s: %s" % (explicit, exc)) \
                from exc
    tried = []
    for what, path in _candidates():
        if not os.path.exists(path):
            tried.append("%s (%s): not found" % (path, what))
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as exc:
            tried.append("%s (%s): %s" % (path, what, exc))
    found = ctypes.util.find_library("cart")
    if found:
        try:
            return ctypes.CDLL(found)
        except OSError as exc:
            tried.append("%s (ctypes.util.find_library): %s" % (found, exc))
    else:
        tried.append("ctypes.util.find_library('cart'): nothing found")
    if _paths is None:
        tried.insert(0, "python/libcart/_paths.py: missing (run configure)")
    raise ImportError("libcart: cannot find the shared library libcart.so.1; set LIBCART_LIBRARY "
                      "to its path. Tried: LIBCART_LIBRARY (not set); " + "; ".join(tried))


lib = _load()

# ---- structures (field by field as in include/cart/*.h) ----------------------------------


class CartError(Structure):
    """cart_error (cart_errno.h)."""
    _fields_ = [("code", c_int), ("message", c_char * CART_ERROR_MESSAGE_SIZE)]


class ParamInfo(Structure):
    """cart_param_info (cart_model.h)."""
    _fields_ = [("name", c_char_p), ("unit", c_char_p), ("default_value", c_double),
                ("lower", c_double), ("upper", c_double), ("lower_open", c_int),
                ("upper_open", c_int), ("meaning", c_char_p)]


class StateInfo(Structure):
    """cart_state_info (cart_model.h): a state or a derived output."""
    _fields_ = [("name", c_char_p), ("unit", c_char_p), ("abs_tol", c_double),
                ("meaning", c_char_p)]


class TociRule(Structure):
    """cart_toci_rule (cart_dosing.h): interval, duration and delay in days."""
    _fields_ = [("enabled", c_int), ("trigger", c_double), ("interval_day", c_double),
                ("max_doses", c_int), ("mg_per_kg", c_double), ("cap_mg", c_double),
                ("duration_day", c_double), ("delay_day", c_double)]


class CartDose(Structure):
    """cart_cart_dose (cart_dosing.h): time in days."""
    _fields_ = [("time", c_double), ("cells", c_double), ("f_mem", c_double)]


class TociDose(Structure):
    """cart_toci_dose (cart_dosing.h): time and duration in days."""
    _fields_ = [("time", c_double), ("mg_per_kg", c_double), ("duration_day", c_double),
                ("cap_mg", c_double)]


class EventRecord(Structure):
    """cart_event_record (cart_solver.h); kind is the enum cart_event_kind (an int)."""
    _fields_ = [("time", c_double), ("kind", c_int), ("state", c_int), ("amount_mg", c_double)]


class SolverStats(Structure):
    """cart_solver_stats (cart_solver.h)."""
    _fields_ = [("steps", c_ulong), ("failed_steps", c_ulong), ("events", c_ulong),
                ("rejected_invalid", c_ulong)]


class EndpointInfo(Structure):
    """cart_endpoint_info (cart_model.h)."""
    _fields_ = [("name", c_char_p), ("unit", c_char_p), ("is_integer", c_int),
                ("meaning", c_char_p)]


class EndpointLevel(Structure):
    """cart_endpoint_level (cart_model.h); scale is the enum cart_level_scale (an int)."""
    _fields_ = [("setting", c_char_p), ("scale", c_int), ("param", c_char_p)]


# cart_level_scale (cart_model.h), by value
LEVEL_SCALES = ("absolute", "param", "initial")


class EndpointSettings(Structure):
    """cart_endpoint_settings (cart_trial.h)."""
    _fields_ = [("n_detect", c_double), ("t_resp", c_double), ("f_aplasia", c_double),
                ("crs_g", c_double * 4), ("auc_end", c_double)]


CART_SUMMARY_MAX_LEVEL = 8  # cart_trial.h
CART_SUMMARY_MAX_ENDPOINTS = 32


class EndpointSummary(Structure):
    """cart_endpoint_summary (cart_trial.h)."""
    _fields_ = [("n_number", c_size_t), ("mean", c_double), ("p5", c_double), ("p25", c_double),
                ("p50", c_double), ("p75", c_double), ("p95", c_double),
                ("n_level", c_size_t * (CART_SUMMARY_MAX_LEVEL + 1)), ("n_above", c_size_t)]


class TrialSummary(Structure):
    """cart_trial_summary (cart_trial.h)."""
    _fields_ = [("n_patients", c_size_t), ("n_solved", c_size_t),
                ("cr_rate", c_double), ("orr_rate", c_double),
                ("crs_any_rate", c_double), ("crs_grade3_rate", c_double),
                ("toci_rate", c_double), ("toci_doses_mean", c_double),
                ("cmax_p5", c_double), ("cmax_p50", c_double), ("cmax_p95", c_double),
                ("tmax_p5", c_double), ("tmax_p50", c_double), ("tmax_p95", c_double),
                ("auc28_p5", c_double), ("auc28_p50", c_double), ("auc28_p95", c_double),
                ("aplasia_days_p50", c_double),
                ("relapse_rate", c_double), ("relapse_negative_rate", c_double),
                ("n_endpoints", c_size_t),
                ("endpoints", EndpointSummary * CART_SUMMARY_MAX_ENDPOINTS),
                ("n_dropout", c_size_t), ("cr_rate_itt", c_double), ("orr_rate_itt", c_double),
                ("cost_per_patient", c_double), ("cost_per_infused", c_double),
                ("cost_per_cr", c_double)]

    # the fields written as attributes of /summary (the endpoints are /summary/endpoints)
    ONCOLOGY_FIELDS = ("n_patients", "n_solved", "cr_rate", "orr_rate", "crs_any_rate",
                       "crs_grade3_rate", "toci_rate", "toci_doses_mean", "cmax_p5", "cmax_p50",
                       "cmax_p95", "tmax_p5", "tmax_p50", "tmax_p95", "auc28_p5", "auc28_p50",
                       "auc28_p95", "aplasia_days_p50", "relapse_rate", "relapse_negative_rate",
                       "n_dropout", "cr_rate_itt", "orr_rate_itt", "cost_per_patient",
                       "cost_per_infused", "cost_per_cr")


class CalibrateSettings(Structure):
    """cart_calibrate_settings (cart_calibrate.h)."""
    _fields_ = [("n_patients", c_size_t), ("seed", c_uint64), ("use_seed", c_int),
                ("max_evaluations", c_size_t), ("initial_step", c_double),
                ("size_tolerance", c_double), ("fd_step", c_double), ("n_observed", c_size_t),
                ("n_threads", c_int)]


class CalibrationSummary(Structure):
    """cart_calibration_summary (cart_calibrate.h)."""
    _fields_ = [("complete", c_int), ("converged", c_int), ("objective", c_double),
                ("evaluations", c_size_t), ("wall_seconds", c_double), ("n_patients", c_size_t),
                ("seed", c_uint64), ("variance_factor", c_double), ("condition", c_double),
                ("n_targets", c_size_t), ("n_free", c_size_t)]


class CalibrationTarget(Structure):
    """cart_calibration_target (cart_calibrate.h)."""
    _fields_ = [("name", c_char_p), ("observed", c_double), ("lower", c_double),
                ("upper", c_double), ("se_observed", c_double), ("simulated", c_double),
                ("mc_se", c_double), ("in_range", c_int)]


class CalibrationParam(Structure):
    """cart_calibration_param (cart_calibrate.h)."""
    _fields_ = [("name", c_char_p), ("is_cv", c_int), ("lower", c_double), ("upper", c_double),
                ("start", c_double), ("value", c_double), ("se", c_double),
                ("identified", c_int)]


class SensitivityParam(Structure):
    """cart_sensitivity_param (cart_sensitivity.h); distribution is a
    cart_sensitivity_distribution (SENSITIVITY_DISTRIBUTIONS)."""
    _fields_ = [("name", c_char_p), ("distribution", c_int), ("lower", c_double),
                ("upper", c_double), ("typical", c_double), ("cv", c_double)]


class SensitivitySettings(Structure):
    """cart_sensitivity_settings (cart_sensitivity.h)."""
    _fields_ = [("method", c_int), ("n", c_size_t), ("levels", c_size_t), ("seed", c_uint64),
                ("n_bootstrap", c_size_t), ("confidence", c_double)]


class SensitivitySummary(Structure):
    """cart_sensitivity_summary (cart_sensitivity.h)."""
    _fields_ = [("analysed", c_int), ("n_rows", c_size_t), ("n_valid", c_size_t),
                ("mean", c_double), ("variance", c_double), ("wall_seconds", c_double),
                ("n_refused", c_size_t)]


SENSITIVITY_INDEX_FIELDS = ("first", "first_lower", "first_upper", "total", "total_lower",
                            "total_upper", "mu", "mu_star", "sigma", "mu_star_lower",
                            "mu_star_upper")


class SensitivityIndex(Structure):
    """cart_sensitivity_index (cart_sensitivity.h)."""
    _fields_ = [("name", c_char_p)] + [(f, c_double) for f in SENSITIVITY_INDEX_FIELDS]


# cart_sensitivity_method and cart_sensitivity_distribution, in the headers' order
SENSITIVITY_METHODS = ("sobol", "morris")
SENSITIVITY_DISTRIBUTIONS = ("uniform", "log-uniform", "log-normal", "logit-normal")
CART_RANGE_NAME_SIZE = 64  # cart_grammar.h


# Opaque handles: distinct pointer types, so that ctypes refuses a params where a solver is due.
class _Model(Structure):
    pass


class _Params(Structure):
    pass


class _Dosing(Structure):
    pass


class _Solver(Structure):
    pass


class _Arms(Structure):
    """cart_arms (opaque)."""


class _Trial(Structure):
    pass


class _Targets(Structure):
    pass


class _Calibration(Structure):
    pass


class _Population(Structure):
    pass


class _EndpointPlan(Structure):
    pass


class _Sensitivity(Structure):
    """cart_sensitivity (opaque)."""


class Table(Structure):
    """cart_table (cart_grammar.h)."""
    _fields_ = [("n_rows", c_size_t), ("n_columns", c_size_t), ("names", POINTER(c_char_p)),
                ("values", POINTER(c_double)), ("n_label_columns", c_size_t),
                ("label_names", POINTER(c_char_p)), ("labels", POINTER(c_char_p)),
                ("lines", POINTER(c_int)), ("header_line", c_int)]


CART_EVENT_TEXT_SIZE = 128  # cart_grammar.h
CART_EVENT_WHERE_SIZE = 192


class EventDose(Structure):
    """cart_event_dose (cart_grammar.h): a dose of an event table, its text form and its row."""
    _fields_ = [("kind", c_int), ("cart", CartDose), ("toci", TociDose),
                ("text", ctypes.c_char * CART_EVENT_TEXT_SIZE),
                ("where", ctypes.c_char * CART_EVENT_WHERE_SIZE), ("line", c_int),
                ("row", c_size_t)]


class EventTable(Structure):
    """cart_event_table (cart_grammar.h)."""
    _fields_ = [("n_doses", c_size_t), ("doses", POINTER(EventDose)),
                ("n_observations", c_size_t), ("observations", POINTER(c_double)),
                ("first_observation", ctypes.c_char * CART_EVENT_WHERE_SIZE)]


class _FitData(Structure):
    pass


class _Fit(Structure):
    pass


class FitEstimate(Structure):
    """cart_fit_estimate (cart_fit.h)."""
    _fields_ = [("name", c_char_p), ("value", c_double), ("se", c_double),
                ("ci_lower", c_double), ("ci_upper", c_double), ("theta", c_double),
                ("se_theta", c_double), ("flags", c_int)]


class FitResult(Structure):
    """cart_fit_result (cart_fit.h)."""
    _fields_ = [("objective", c_double), ("n_theta", c_size_t), ("n_observations", c_size_t),
                ("n_blq", c_size_t), ("identifiable", c_int), ("iterations", c_int),
                ("optimiser", c_char_p), ("gradient_method", c_char_p)]


CART_FIT_NOT_IDENTIFIABLE = 1


ModelP = POINTER(_Model)
ParamsP = POINTER(_Params)
DosingP = POINTER(_Dosing)
SolverP = POINTER(_Solver)
TrialP = POINTER(_Trial)
ArmsP = POINTER(_Arms)
TargetsP = POINTER(_Targets)
CalibrationP = POINTER(_Calibration)
PopulationP = POINTER(_Population)
EndpointPlanP = POINTER(_EndpointPlan)
SensitivityP = POINTER(_Sensitivity)
ErrorP = POINTER(CartError)
DoubleP = POINTER(c_double)
FitDataP = POINTER(_FitData)
FitP = POINTER(_Fit)

# int (*cart_progress_fn)(size_t done, size_t total, void *data)
PROGRESS_FN = CFUNCTYPE(c_int, c_size_t, c_size_t, c_void_p)


class TrialRunOptions(Structure):
    """cart_trial_run_options (cart_trial.h); fill it with cart_trial_run_options_default."""
    _fields_ = [("scenario_text", c_char_p), ("force", c_int), ("block_size", c_size_t),
                ("n_threads", c_int), ("progress", PROGRESS_FN), ("progress_data", c_void_p)]


# int (*cart_calibrate_progress_fn)(size_t evaluations, size_t max, double best, void *data)
CALIBRATE_PROGRESS_FN = CFUNCTYPE(c_int, c_size_t, c_size_t, c_double, c_void_p)

# int (*cart_sensitivity_progress_fn)(size_t done, size_t total, void *data): PROGRESS_FN

# ---- constants of the headers ------------------------------------------------------------

CART_OK = 0
CART_EPARSE = -17
CART_ESTOPPED = -18
CART_ENOTINFUSED = -19  # a patient's status: dropped out during the vein-to-vein time
CART_FMEM_FROM_PARAMS = float("nan")  # cart_dosing.h: NaN, "the parameter f_mem"
CART_TOCI_RULE_MAX_DOSES = 16
CART_RTOL_DEFAULT = 1e-6
CART_EVENT_EXTINCTION = 0
CART_EVENT_TOCI_RULE = 1
CART_DOSE_CART = 0  # cart_model.h: the kinds of cart_model_dose_state
CART_DOSE_TOCI = 1
CART_HOURS_PER_DAY = 24.0  # cart_dosing.h: hours of the text forms to the library's days
CART_TOCI_DURATION_DAY_DEFAULT = 1.0 / CART_HOURS_PER_DAY  # cart_dosing.h: 1 h
INT32_FILL = -2147483648  # cart_hdf5.h: int32 fill value

# ---- prototypes --------------------------------------------------------------------------

_PROTOTYPES = {
    # cart_version.h, cart_errno.h
    "cart_version": (c_char_p, []),
    "cart_strerror": (c_char_p, [c_int]),
    "cart_status_name": (c_char_p, [c_int]),
    "cart_error_clear": (None, [ErrorP]),
    # cart_model.h
    "cart_model_count": (c_size_t, []),
    "cart_model_get": (ModelP, [c_size_t]),
    "cart_model_find": (ModelP, [c_char_p, ErrorP]),
    "cart_model_name": (c_char_p, [ModelP]),
    "cart_model_description": (c_char_p, [ModelP]),
    "cart_model_n_states": (c_size_t, [ModelP]),
    "cart_model_n_params": (c_size_t, [ModelP]),
    "cart_model_n_outputs": (c_size_t, [ModelP]),
    "cart_model_state_info": (c_int, [ModelP, c_size_t, POINTER(StateInfo)]),
    "cart_model_param_info": (c_int, [ModelP, c_size_t, POINTER(ParamInfo)]),
    "cart_model_output_info": (c_int, [ModelP, c_size_t, POINTER(StateInfo)]),
    "cart_model_n_signals": (c_size_t, [ModelP]),
    "cart_model_signal_info": (c_int, [ModelP, c_size_t, POINTER(StateInfo)]),
    "cart_model_state_index": (c_int, [ModelP, c_char_p]),
    "cart_model_dose_state": (c_int, [ModelP, c_int]),
    "cart_model_param_index": (c_int, [ModelP, c_char_p]),
    "cart_model_n_endpoints": (c_size_t, [ModelP]),
    "cart_model_endpoint_info": (c_int, [ModelP, c_size_t, POINTER(EndpointInfo)]),
    "cart_model_endpoint_index": (c_int, [ModelP, c_char_p]),
    "cart_model_endpoint_n_levels": (c_size_t, [ModelP, c_size_t]),
    "cart_model_endpoint_level": (c_int, [ModelP, c_size_t, c_size_t, POINTER(EndpointLevel)]),
    "cart_model_n_endpoint_settings": (c_size_t, [ModelP]),
    "cart_model_endpoint_setting_info": (c_int, [ModelP, c_size_t, POINTER(ParamInfo)]),
    "cart_model_endpoint_setting_is_own": (c_int, [ModelP, c_size_t]),
    # cart_params.h
    "cart_params_new": (ParamsP, [ModelP, ErrorP]),
    "cart_params_free": (None, [ParamsP]),
    "cart_params_set": (c_int, [ParamsP, c_char_p, c_double]),
    "cart_params_get": (c_int, [ParamsP, c_char_p, DoubleP]),
    "cart_params_check": (c_int, [ParamsP, ErrorP]),
    "cart_params_last_error": (ErrorP, [ParamsP]),
    "cart_params_signals": (c_int, [ParamsP, DoubleP, DoubleP]),
    # cart_dosing.h
    "cart_dosing_new": (DosingP, [ErrorP]),
    "cart_dosing_free": (None, [DosingP]),
    "cart_dosing_add_cart": (c_int, [DosingP, c_double, c_double, c_double]),
    "cart_dosing_add_toci": (c_int, [DosingP, c_double, c_double, c_double, c_double]),
    "cart_toci_rule_default": (None, [POINTER(TociRule)]),
    "cart_dosing_set_toci_rule": (c_int, [DosingP, POINTER(TociRule)]),
    "cart_dosing_get_toci_rule": (None, [DosingP, POINTER(TociRule)]),
    "cart_dosing_n_cart": (c_size_t, [DosingP]),
    "cart_dosing_get_cart": (c_int, [DosingP, c_size_t, POINTER(CartDose)]),
    "cart_dosing_n_toci": (c_size_t, [DosingP]),
    "cart_dosing_get_toci": (c_int, [DosingP, c_size_t, POINTER(TociDose)]),
    "cart_dosing_last_error": (ErrorP, [DosingP]),
    # cart_grammar.h
    "cart_days_from_hours": (c_double, [c_double]),
    "cart_parse_cart_dose": (c_int, [c_char_p, POINTER(CartDose), ErrorP]),
    "cart_parse_toci_dose": (c_int, [c_char_p, POINTER(TociDose), ErrorP]),
    "cart_parse_toci_rule": (c_int, [c_char_p, POINTER(TociRule), ErrorP]),
    "cart_parse_time_list": (c_int, [c_char_p, DoubleP, c_size_t, POINTER(c_size_t), ErrorP]),
    "cart_parse_times": (c_int, [c_char_p, DoubleP, c_size_t, POINTER(c_size_t), ErrorP]),
    "cart_cart_dose_is_initial": (c_int, [ModelP, c_double]),
    "cart_dose_give_cart": (c_int, [ParamsP, DosingP, POINTER(CartDose), POINTER(c_int),
                                    ErrorP]),
    # cart_solver.h
    "cart_solver_new": (SolverP, [ModelP, ErrorP]),
    "cart_solver_free": (None, [SolverP]),
    "cart_method_from_name": (c_int, [c_char_p, POINTER(c_int)]),
    "cart_solver_set_method": (c_int, [SolverP, c_int]),
    "cart_solver_set_tolerances": (c_int, [SolverP, c_double, DoubleP]),
    "cart_solver_set_max_steps": (c_int, [SolverP, c_ulong]),
    "cart_solver_set_extinction": (c_int, [SolverP, c_double]),
    "cart_solver_solve": (c_int, [SolverP, ParamsP, DosingP, DoubleP, c_size_t, DoubleP,
                                  DoubleP]),
    "cart_solver_last_error": (ErrorP, [SolverP]),
    "cart_solver_time_reached": (c_double, [SolverP]),
    "cart_solver_get_stats": (None, [SolverP, POINTER(SolverStats)]),
    "cart_solver_n_events": (c_size_t, [SolverP]),
    "cart_solver_get_event": (c_int, [SolverP, c_size_t, POINTER(EventRecord)]),
    # cart_trial.h
    "cart_endpoint_get_info": (c_int, [c_size_t, POINTER(EndpointInfo)]),
    "cart_endpoint_settings_default": (None, [POINTER(EndpointSettings)]),
    "cart_endpoint_plan_new": (EndpointPlanP, [ModelP, ErrorP]),
    "cart_endpoint_plan_free": (None, [EndpointPlanP]),
    "cart_endpoint_plan_set_setting": (c_int, [EndpointPlanP, c_char_p, c_double]),
    "cart_endpoint_plan_last_error": (ErrorP, [EndpointPlanP]),
    "cart_solver_solve_endpoints": (c_int, [SolverP, ParamsP, DosingP, EndpointPlanP, DoubleP,
                                            c_size_t, DoubleP, DoubleP, DoubleP]),
    "cart_trial_free": (None, [TrialP]),
    "cart_trial_endpoint_settings": (POINTER(EndpointSettings), [TrialP]),
    "cart_trial_edit_population": (PopulationP, [TrialP]),
    "cart_trial_prepare": (c_int, [TrialP]),
    "cart_population_set_patients": (c_int, [PopulationP, POINTER(c_char_p), c_size_t, DoubleP,
                                             c_size_t]),
    "cart_population_last_error": (ErrorP, [PopulationP]),
    "cart_parse_table": (c_int, [c_char_p, c_char_p, POINTER(POINTER(Table)), ErrorP]),
    "cart_table_free": (None, [POINTER(Table)]),
    "cart_parse_event_table": (c_int, [c_char_p, c_char_p, ModelP, ctypes.c_long,
                                       POINTER(POINTER(EventTable)), ErrorP]),
    "cart_event_table_free": (None, [POINTER(EventTable)]),
    "cart_trial_dosing": (DosingP, [TrialP]),
    "cart_trial_set_n_patients": (c_int, [TrialP, c_size_t]),
    "cart_trial_n_patients": (c_size_t, [TrialP]),
    "cart_trial_set_seed": (None, [TrialP, c_uint64]),
    "cart_trial_seed": (c_uint64, [TrialP]),
    "cart_trial_last_error": (ErrorP, [TrialP]),
    "cart_trial_run_options_default": (None, [POINTER(TrialRunOptions)]),
    # cart_hdf5.h
    "cart_trial_run_file": (c_int, [TrialP, c_char_p, POINTER(TrialRunOptions),
                                    POINTER(TrialSummary), ErrorP]),
    "cart_arms_run_file": (c_int, [ArmsP, c_char_p, POINTER(TrialRunOptions),
                                   POINTER(TrialSummary), ErrorP]),
    # cart_arms.h
    "cart_arms_free": (None, [ArmsP]),
    "cart_arms_count": (c_size_t, [ArmsP]),
    "cart_arms_name": (c_char_p, [ArmsP, c_size_t]),
    "cart_arms_index": (c_int, [ArmsP, c_char_p]),
    "cart_arms_trial": (TrialP, [ArmsP, c_size_t]),
    "cart_arms_set_n_patients": (c_int, [ArmsP, c_size_t]),
    "cart_arms_set_seed": (None, [ArmsP, c_uint64]),
    "cart_arms_prepare": (c_int, [ArmsP]),
    "cart_arms_last_error": (ErrorP, [ArmsP]),
    # cart_scenario.h
    "cart_scenario_default": (c_char_p, []),
    "cart_arms_new_from_scenario": (ArmsP, [c_char_p, c_char_p, ErrorP]),
    "cart_scenario_add_event_table": (c_int, [c_char_p, c_char_p, c_char_p, c_char_p,
                                              ctypes.c_long, POINTER(c_void_p), ErrorP]),
    "cart_trial_new_from_scenario": (TrialP, [c_char_p, c_char_p, ErrorP]),
    "cart_trial_model": (ModelP, [TrialP]),
    # cart_calibrate.h
    "cart_calibrate_settings_default": (None, [POINTER(CalibrateSettings)]),
    "cart_targets_new": (TargetsP, [c_char_p, c_char_p, ErrorP]),
    "cart_targets_free": (None, [TargetsP]),
    "cart_targets_trial_name": (c_char_p, [TargetsP]),
    "cart_targets_n_targets": (c_size_t, [TargetsP]),
    "cart_targets_n_free": (c_size_t, [TargetsP]),
    "cart_targets_settings": (None, [TargetsP, POINTER(CalibrateSettings)]),
    "cart_targets_check": (c_int, [TargetsP, TrialP, ErrorP]),
    "cart_calibration_new": (c_int, [TrialP, TargetsP, POINTER(CalibrateSettings),
                               CALIBRATE_PROGRESS_FN, c_void_p, POINTER(CalibrationP), ErrorP]),
    "cart_calibration_free": (None, [CalibrationP]),
    "cart_calibration_get_summary": (c_int, [CalibrationP, POINTER(CalibrationSummary)]),
    "cart_calibration_get_target": (c_int, [CalibrationP, c_size_t, POINTER(CalibrationTarget)]),
    "cart_calibration_get_param": (c_int, [CalibrationP, c_size_t, POINTER(CalibrationParam)]),
    "cart_calibration_scenario": (c_int, [CalibrationP, c_char_p, c_char_p, c_size_t,
                                          POINTER(c_size_t)]),
    # cart_fit.h
    "cart_fit_n_observables": (c_size_t, [ModelP]),
    "cart_fit_observable_name": (c_char_p, [ModelP, c_size_t]),
    "cart_fit_observable_index": (c_int, [ModelP, c_char_p]),
    "cart_fit_data_new": (FitDataP, [ModelP, ErrorP]),
    "cart_fit_data_free": (None, [FitDataP]),
    "cart_fit_data_add": (c_int, [FitDataP, c_double, c_int, c_double, c_int, c_double, ErrorP]),
    "cart_fit_data_parse": (c_int, [ModelP, c_char_p, c_char_p, POINTER(FitDataP), ErrorP]),
    "cart_fit_data_read_nonmem": (c_int, [ModelP, c_char_p, POINTER(POINTER(FitDataP)),
                                          POINTER(c_size_t), ErrorP]),
    "cart_fit_data_read_petab": (c_int, [ModelP, c_char_p, POINTER(POINTER(FitDataP)),
                                         POINTER(c_size_t), ErrorP]),
    "cart_fit_data_free_all": (None, [POINTER(FitDataP), c_size_t]),
    "cart_fit_data_id": (c_char_p, [FitDataP]),
    "cart_fit_data_dosing": (DosingP, [FitDataP]),
    "cart_fit_run_all": (c_int, [POINTER(FitP), c_size_t, c_int, POINTER(c_int)]),
    "cart_fit_data_size": (c_size_t, [FitDataP]),
    "cart_fit_data_get": (c_int, [FitDataP, c_size_t, DoubleP, POINTER(c_int), DoubleP,
                                  POINTER(c_int), DoubleP]),
    "cart_fit_error_kind_from_name": (c_int, [c_char_p, POINTER(c_int)]),
    "cart_fit_new": (FitP, [ParamsP, DosingP, FitDataP, ErrorP]),
    "cart_fit_free": (None, [FitP]),
    "cart_fit_add_param": (c_int, [FitP, c_char_p, c_double, c_double, c_double]),
    "cart_fit_set_error_model": (c_int, [FitP, c_int, c_int, c_double, c_double, c_int]),
    "cart_fit_set_prior": (c_int, [FitP, c_char_p, c_double, c_double]),
    "cart_fit_set_finite_differences": (None, [FitP, c_int]),
    "cart_fit_n_theta": (c_size_t, [FitP]),
    "cart_fit_theta_name": (c_char_p, [FitP, c_size_t]),
    "cart_fit_initial_theta": (c_int, [FitP, DoubleP]),
    "cart_fit_theta_to_values": (c_int, [FitP, DoubleP, DoubleP]),
    "cart_fit_objective": (c_int, [FitP, DoubleP, DoubleP, DoubleP]),
    "cart_fit_predict": (c_int, [FitP, DoubleP, DoubleP, DoubleP]),
    "cart_fit_run": (c_int, [FitP]),
    "cart_fit_get_result": (c_int, [FitP, POINTER(FitResult)]),
    "cart_fit_get_estimate": (c_int, [FitP, c_size_t, POINTER(FitEstimate)]),
    "cart_fit_correlation": (c_int, [FitP, DoubleP]),
    "cart_fit_identifiability_report": (c_char_p, [FitP]),
    "cart_fit_profile": (c_int, [FitP, c_size_t, c_size_t, c_double, DoubleP, DoubleP]),
    "cart_fit_curve": (c_int, [FitP, c_int, DoubleP, c_size_t, DoubleP]),
    "cart_fit_last_error": (ErrorP, [FitP]),
    # cart_sensitivity.h
    "cart_sensitivity_settings_default": (None, [POINTER(SensitivitySettings)]),
    "cart_sensitivity_new": (SensitivityP, [POINTER(SensitivityParam), c_size_t,
                                            POINTER(SensitivitySettings), ErrorP]),
    "cart_sensitivity_free": (None, [SensitivityP]),
    "cart_sensitivity_scenario_param": (c_int, [TrialP, c_char_p, POINTER(SensitivityParam),
                                                ErrorP]),
    "cart_sensitivity_typical_patient": (c_int, [TrialP]),
    "cart_sensitivity_get_settings": (None, [SensitivityP, POINTER(SensitivitySettings)]),
    "cart_sensitivity_n_params": (c_size_t, [SensitivityP]),
    "cart_sensitivity_get_param": (c_int, [SensitivityP, c_size_t, POINTER(SensitivityParam)]),
    "cart_sensitivity_n_rows": (c_size_t, [SensitivityP]),
    "cart_sensitivity_design_unit": (DoubleP, [SensitivityP]),
    "cart_sensitivity_design": (DoubleP, [SensitivityP]),
    "cart_sensitivity_outputs": (DoubleP, [SensitivityP]),
    "cart_sensitivity_set_outputs": (c_int, [SensitivityP, DoubleP]),
    "cart_sensitivity_run_trial": (c_int, [SensitivityP, TrialP, c_char_p, c_int, PROGRESS_FN,
                                           c_void_p]),
    "cart_sensitivity_statistic": (c_char_p, [SensitivityP]),
    "cart_sensitivity_refusal": (c_char_p, [SensitivityP]),
    "cart_sensitivity_get_summary": (None, [SensitivityP, POINTER(SensitivitySummary)]),
    "cart_sensitivity_get_index": (c_int, [SensitivityP, c_size_t, POINTER(SensitivityIndex)]),
    "cart_sensitivity_last_error": (ErrorP, [SensitivityP]),
    "cart_sensitivity_write": (c_int, [SensitivityP, c_char_p, c_int, ErrorP]),
    # cart_grammar.h: the --param form
    "cart_parse_sensitivity_range": (c_int, [c_char_p, c_char_p, POINTER(SensitivityParam),
                                             POINTER(c_int), ErrorP]),
}

for _name, (_restype, _argtypes) in _PROTOTYPES.items():
    _function = getattr(lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes
del _name, _restype, _argtypes, _function

# ---- helpers -----------------------------------------------------------------------------


def text(value):
    """A C string (bytes or None) as str."""
    return None if value is None else value.decode("utf-8", errors="replace")


def status_name(code):
    """The C name of a status code, e.g. "CART_ERANGE"."""
    return text(lib.cart_status_name(code))


def error(code, message=None):
    """A LibcartError for `code`, with the C message, or cart_strerror when there is none."""
    if not message:
        message = text(lib.cart_strerror(code))
    kind = LibcartParseError if code == CART_EPARSE else LibcartError
    return kind(code, status_name(code), message)


def error_from(code, err):
    """A LibcartError from a cart_error (a structure, or a pointer to one; NULL allowed)."""
    if isinstance(err, ErrorP):
        err = err.contents if err else None
    message = text(err.message) if err is not None else None
    return error(code, message)


def check(code, last_error=None, handle=None, err=None):
    """Raises LibcartError for a negative code, with the message of handle's last error
    (last_error(handle)) or of the cart_error `err`; returns the code otherwise."""
    if code >= 0:
        return code
    if last_error is not None and handle:
        raise error_from(code, last_error(handle))
    if err is not None:
        raise error_from(code, err)
    raise error(code)


# free() of the C library libcart allocates with (the process's), for the strings it returns
_libc = ctypes.CDLL(None)
_libc.free.restype = None
_libc.free.argtypes = [c_void_p]


def take_text(pointer):
    """The str of a C string that libcart allocated for the caller (a c_void_p), then freed."""
    try:
        return ctypes.string_at(pointer.value).decode("utf-8")
    finally:
        _libc.free(pointer)


def new_error():
    """A cleared cart_error."""
    err = CartError()
    lib.cart_error_clear(ctypes.byref(err))
    return err


def find_model(name):
    """The model pointer for `name`; LibcartError (CART_EUNKNOWN_MODEL) when there is none."""
    if not isinstance(name, str):
        raise TypeError("model name must be a str, not %s" % type(name).__name__)
    err = new_error()
    model = lib.cart_model_find(name.encode(), ctypes.byref(err))
    if not model:
        raise error_from(err.code or -3, err)
    return model


def as_double_p(array):
    """A double * to the data of a C-contiguous float64 numpy array (None: NULL)."""
    return None if array is None else array.ctypes.data_as(DoubleP)
