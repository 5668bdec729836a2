"""Event tables (NONMEM / rxode2 layout) as libcart doses, read by the library.

The table's grammar (columns time, amt, cmt, evid, dur or rate, ii/addl, fmem, cap_mg, ss, id;
what each means and every check) is libcart's, cart_parse_event_table (cart_grammar.h,
libcart(3)); R's events= and `cart run --event-table` read it there too, so one table gives the
same doses and a bad one the same message everywhere. This module only hands it the table's
text: a CSV file as it is (rows named "PATH line N"), a DataFrame written as CSV (rows named
"events row K" by position, 0-based). Each dose comes back in the text form of libcart's dose
grammar, "TIME:CELLS[:FMEM]" or "TIME:MG_PER_KG[:HOURS[:CAP_MG]]", the forms solve()'s doses= and
toci= and a scenario's [dosing] take.
"""

import ctypes
import os

from . import _clib

_lib = _clib.lib


def table_text(events):
    """(CSV text, source, first_row) of an event table: a path or a pandas DataFrame."""
    import pandas as pd
    if isinstance(events, (str, bytes, os.PathLike)):
        source = os.fsdecode(events)
        try:
            with open(source, "rb") as f:
                data = f.read()
        except OSError as exc:
            raise ValueError("events file '%s': %s" % (source, exc)) from None
        return data, source, -1
    if isinstance(events, pd.DataFrame):
        # repr of every float (pandas' default): each number as the double the frame holds
        return events.to_csv(index=False).encode("utf-8"), "events", 0
    raise TypeError("events must be a pandas DataFrame or the path of a CSV file, not %s"
                    % type(events).__name__)


def event_doses(events, model_p):
    """(cart, toci, observations) of an event table for model model_p: lists of (text form,
    row name) of CAR-T and tocilizumab doses, in row order (repeats after their row), and the
    times of the observation rows (evid 0)."""
    text, source, first_row = table_text(events)
    err = _clib.new_error()
    table_p = ctypes.POINTER(_clib.EventTable)()
    status = _lib.cart_parse_event_table(text, source.encode("utf-8"), model_p, first_row,
                                         ctypes.byref(table_p), ctypes.byref(err))
    if status != _clib.CART_OK:
        raise _clib.error_from(status, err)
    try:
        table = table_p.contents
        cart, toci = [], []
        for i in range(table.n_doses):
            dose = table.doses[i]
            out = cart if dose.kind == _clib.CART_DOSE_CART else toci
            out.append((_clib.text(dose.text), _clib.text(dose.where)))
        observations = [table.observations[i] for i in range(table.n_observations)]
    finally:
        _lib.cart_event_table_free(table_p)
    return cart, toci, observations
