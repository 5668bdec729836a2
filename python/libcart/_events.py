"""Event tables (NONMEM / rxode2 layout) as libcart doses.

An event table is read here into the text forms of libcart's dose grammar (cart_grammar.h):
"TIME:CELLS[:FMEM]" for CAR-T cells, "TIME:MG_PER_KG[:HOURS[:CAP_MG]]" for tocilizumab, the
forms solve()'s doses= and toci= and a scenario's [dosing] take. So a table gives exactly the
doses those arguments give, read and checked by the same C code (the t = 0 CAR-T dose is the
initial infusion, as everywhere). This module checks the table's own form: columns, numbers,
compartments, evid, ii/addl; every message names the row and the column.

Columns (names in any case):
  time   day of the event (>= 0)
  amt    the dose: cells for CAR-T; mg per kg of body weight (the parameter WT) for tocilizumab
  cmt    the dosing target: a name, "cart" (also "car-t", "cart_cells") or "toci" (also
         "tocilizumab"), or the number (1-based, the model's state order of `cart models`) or
         name of the state the dose enters, cart_model_dose_state: E for CAR-T (its f_mem
         share goes to M), D1 for tocilizumab
  evid   1 a dose; 0 an observation row, whose time is an output time of solve() (not taken
         by trial(), whose times are the scenario's); anything else is refused. Without the
         column every row is a dose
  dur    infusion duration in days, as time (tocilizumab only; 0 a bolus); or
  rate   infusion rate in amt per day (dur = amt / rate); neither, or empty: the library's
         default, a 1 h infusion (not a bolus as in NONMEM). CAR-T cells are given at once:
         dur and rate must be empty or 0 on their rows
  ii, addl  repeat a dose addl more times every ii days (time + k ii, k = 1..addl)
  fmem   optional: the CAR-T dose's memory fraction (default the parameter f_mem)
  cap_mg optional: the tocilizumab dose's cap in mg (default 800)
  ss     only 0 or empty (steady state is not supported)
  id     one subject only (the schedule is every patient's)
Other columns (dv, mdv, covariates) are ignored.
"""

import math
import numbers
import os

from . import _clib

_lib = _clib.lib

_CART_NAMES = ("cart", "car-t", "cart_cells")
_TOCI_NAMES = ("toci", "tocilizumab")
_COLUMNS = ("time", "amt", "cmt", "evid", "dur", "rate", "ii", "addl", "fmem", "cap_mg", "ss", "id")


class _Table:
    """The table's columns by lower-case name, and how to name a row in a message."""

    def __init__(self, events):
        import pandas as pd
        if isinstance(events, (str, bytes, os.PathLike)):
            self.source = os.fsdecode(events)
            try:
                # round_trip: every number as the double its text names (the default parser
                # may be one unit in the last place off)
                frame = pd.read_csv(self.source, skipinitialspace=True,
                                    float_precision="round_trip")
            except (OSError, ValueError) as exc:
                raise ValueError("events file '%s': %s" % (self.source, exc)) from None
            # a CSV's data row i is line i + 2 (the header is line 1)
            self.row_name = lambda i, label: "%s line %d" % (self.source, i + 2)
        elif isinstance(events, pd.DataFrame):
            frame = events
            self.source = "events"
            self.row_name = lambda i, label: "events row %r" % (label,)
        else:
            raise TypeError("events must be a pandas DataFrame or the path of a CSV file, not %s"
                            % type(events).__name__)
        self.columns = {}
        for name in frame.columns:
            key = str(name).strip().lower()
            if key in self.columns:
                raise ValueError("%s: columns %r and %r are the same column %s"
                                 % (self.source, self.columns[key].name, name, key))
            self.columns[key] = frame[name]
        self.labels = list(frame.index)
        for required in ("time", "amt", "cmt"):
            if required not in self.columns:
                raise ValueError("%s: no column '%s' (columns: %s; expected time, amt, cmt and "
                                 "optionally evid, dur or rate, ii, addl)"
                                 % (self.source, required, ", ".join(map(str, frame.columns))))

    def __len__(self):
        return len(self.labels)

    def where(self, i, column):
        return "%s, column %s" % (self.row_name(i, self.labels[i]), column)

    def value(self, i, column):
        """The cell as it is (None when the column is absent or the cell empty)."""
        series = self.columns.get(column)
        if series is None:
            return None
        value = series.iloc[i]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        if isinstance(value, str) and value.strip() in ("", ".", "NA", "nan", "NaN"):
            return None  # NONMEM writes '.' for an empty cell
        return value

    def number(self, i, column, default=None, least=None, integer=False):
        """The cell as a finite float (default when empty); ValueError naming row and column."""
        value = self.value(i, column)
        if value is None:
            if default is None:
                raise ValueError("%s: empty; a number is needed" % self.where(i, column))
            return default
        try:
            number = float(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            raise ValueError("%s: %r is not a number" % (self.where(i, column), value)) from None
        if isinstance(value, bool) or not math.isfinite(number):
            raise ValueError("%s: %r is not a finite number" % (self.where(i, column), value))
        if least is not None and number < least:
            raise ValueError("%s: %r is below %g" % (self.where(i, column), value, least))
        if integer and not number.is_integer():
            raise ValueError("%s: %r is not a whole number" % (self.where(i, column), value))
        return number


def _target(table, i, model_p, states):
    """'cart' or 'toci' for the row's cmt (states: the model's state names, in order)."""
    value = table.value(i, "cmt")
    if value is None:
        raise ValueError("%s: empty; expected cart, toci or a compartment number"
                         % table.where(i, "cmt"))
    cart_state = _lib.cart_model_dose_state(model_p, _clib.CART_DOSE_CART)
    toci_state = _lib.cart_model_dose_state(model_p, _clib.CART_DOSE_TOCI)
    text = value.strip() if isinstance(value, str) else value
    number = None
    if isinstance(text, numbers.Real) and not isinstance(text, bool):
        number = float(text)
    elif isinstance(text, str):
        try:
            number = float(text)
        except ValueError:
            number = None
    if number is not None:
        if not (number.is_integer() and 1 <= number <= len(states)):
            raise ValueError("%s: %r is not a compartment of model %s (1..%d)"
                             % (table.where(i, "cmt"), value,
                                _clib.text(_lib.cart_model_name(model_p)), len(states)))
        index = int(number) - 1
    elif text.lower() in _CART_NAMES:
        return "cart"
    elif text.lower() in _TOCI_NAMES:
        return "toci"
    elif text in states:
        index = states.index(text)
    else:
        raise ValueError("%s: unknown target %r (expected cart, toci, or a state of model %s: %s)"
                         % (table.where(i, "cmt"), value,
                            _clib.text(_lib.cart_model_name(model_p)), ", ".join(states)))
    if index == cart_state:
        return "cart"
    if index == toci_state:
        return "toci"
    targets = ["%d (%s) CAR-T cells" % (cart_state + 1, states[cart_state])] if cart_state >= 0 \
        else []
    targets += ["%d (%s) tocilizumab" % (toci_state + 1, states[toci_state])] \
        if toci_state >= 0 else []
    raise ValueError("%s: compartment %d (%s) of model %s takes no doses (dosing targets: %s)"
                     % (table.where(i, "cmt"), index + 1, states[index],
                        _clib.text(_lib.cart_model_name(model_p)),
                        ", ".join(targets) if targets else "none"))


def _field(x):
    """A number in the text form: repr keeps every double exactly."""
    return repr(float(x))


def event_doses(events, model_p, states):
    """(cart, toci, observations) of an event table for model model_p (states: its state
    names): lists of (text form, row name) of CAR-T and tocilizumab doses, in row order (repeats
    after their row), and the times of the observation rows (evid 0)."""
    table = _Table(events)
    cart, toci, observations = [], [], []
    ids = set()
    for i in range(len(table)):
        row = table.row_name(i, table.labels[i])
        subject = table.value(i, "id")
        if subject is not None:
            ids.add(subject)
            if len(ids) > 1:
                raise ValueError("%s: a second subject (%r after %r): the schedule is every "
                                 "patient's, give one subject's rows"
                                 % (table.where(i, "id"), subject, sorted(ids - {subject},
                                                                          key=str)[0]))
        evid = table.number(i, "evid", default=1.0) if "evid" in table.columns \
            else 1.0
        time = table.number(i, "time", least=0)
        if evid == 0:
            observations.append(time)
            continue
        if evid != 1:
            raise ValueError("%s: evid %r is not supported (1: a dose, 0: an observation time; "
                             "resets and other events are not)" % (table.where(i, "evid"),
                                                                   table.value(i, "evid")))
        if table.number(i, "ss", default=0.0) != 0:
            raise ValueError("%s: steady-state doses (ss = %r) are not supported; give the doses "
                             "with ii and addl" % (table.where(i, "ss"), table.value(i, "ss")))
        amt = table.number(i, "amt", least=0)
        target = _target(table, i, model_p, states)
        dur = table.number(i, "dur", default=-1.0)
        rate = table.number(i, "rate", default=0.0)
        if dur < 0 and table.value(i, "dur") is not None:
            raise ValueError("%s: %r is below 0" % (table.where(i, "dur"), table.value(i, "dur")))
        if rate < 0:
            raise ValueError("%s: rate %r (a modelled rate or duration in NONMEM) is not "
                             "supported: give dur in days or rate in amt per day"
                             % (table.where(i, "rate"), table.value(i, "rate")))
        if rate > 0 and dur > 0:
            raise ValueError("%s: both dur and rate are given; give one"
                             % table.where(i, "dur, rate"))
        if rate > 0:
            dur = amt / rate
        ii = table.number(i, "ii", default=0.0, least=0)
        addl = table.number(i, "addl", default=0.0, least=0, integer=True)
        if addl > 0 and ii <= 0:
            raise ValueError("%s: addl = %r repeats need ii > 0" % (table.where(i, "ii"),
                                                                     table.value(i, "addl")))
        if target == "cart":
            if dur > 0:
                raise ValueError("%s: CAR-T cells are given at once (no infusion duration); "
                                 "leave dur and rate empty or 0"
                                 % table.where(i, "dur" if rate == 0 else "rate"))
            if table.value(i, "cap_mg") is not None:
                raise ValueError("%s: cap_mg is a tocilizumab setting" % table.where(i, "cap_mg"))
            tail = ":" + _field(table.number(i, "fmem")) if table.value(i, "fmem") is not None \
                else ""
            form = lambda t: "%s:%s%s" % (_field(t), _field(amt), tail)
            out = cart
        else:
            if table.value(i, "fmem") is not None:
                raise ValueError("%s: fmem is a CAR-T setting" % table.where(i, "fmem"))
            cap = table.value(i, "cap_mg")
            # the grammar's HOURS: dur days in hours (cart_days_from_hours divides it back)
            hours = _field(dur * _clib.CART_HOURS_PER_DAY) if dur >= 0 else None
            if cap is not None and hours is None:
                hours = _field(_clib.CART_TOCI_DURATION_DAY_DEFAULT * _clib.CART_HOURS_PER_DAY)
            tail = (":" + hours if hours is not None else "") + \
                (":" + _field(table.number(i, "cap_mg", least=0)) if cap is not None else "")
            form = lambda t: "%s:%s%s" % (_field(t), _field(amt), tail)
            out = toci
        for k in range(int(addl) + 1):
            out.append((form(time + k * ii), row))
    return cart, toci, observations
