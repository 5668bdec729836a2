"""doc/models.md against the library: the documented parameter and state tables must be the
library's own (names, units, defaults, bounds; states in order with units and tolerances).

The truth is read from libcart through its public API (libcart.model_info, which calls
cart_model_param_info and cart_model_state_info), never from a copy. Which markdown tables are
checked is said by an HTML comment on the line just above each table:

  <!-- param-table: MODEL [MODEL ...] -->   checked: every row must be a parameter of each model
                                            named, with the library's unit, default and bounds
  <!-- state-table: MODEL -->               checked: the model's states, in order
  <!-- param-table-pending: MODEL -->       parsed, not compared: parameters the library does not
                                            have yet (doc/models.md section 2.8); once it has them
                                            this test fails until the marker says param-table

Every parameter of every model must be in exactly one checked table of that model, and a table
whose header looks like a parameter table must carry a marker.
"""

import math
import os
import re

import pytest

import libcart

DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                   "doc", "models.md")

MARKER = re.compile(r"^<!--\s*(param-table|param-table-pending|state-table):\s*([^>]*?)\s*-->\s*$")
PARAM_HEADER = ["name", "unit", "default", "bounds"]
STATE_HEADER = ["#", "name", "unit", "atol"]
BOUNDS = re.compile(r"^([\[(])\s*([^,\s]+)\s*,\s*([^\])\s]+)\s*([\])])$")


def _cells(line):
    """The cells of a markdown table row, stripped of spaces and code backticks."""
    return [c.strip().strip("`").strip() for c in line.strip().strip("|").split("|")]


def parse_tables(text):
    """[(kind, models, header, rows, line number)] of the marked tables of `text`; kind None for
    an unmarked table. rows are (line number, cells)."""
    lines = text.splitlines()
    tables = []
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i])
        if m:
            kind, models = m.group(1), m.group(2).split()
            start = i + 1
            if start >= len(lines) or not lines[start].lstrip().startswith("|"):
                raise AssertionError("doc/models.md:%d: marker '%s' is not directly above a table"
                                     % (i + 1, lines[i].strip()))
            i = start
        elif lines[i].lstrip().startswith("|"):
            kind, models, start = None, [], i
        else:
            i += 1
            continue
        header = _cells(lines[i])
        rows = []
        i += 2  # header and the |---| line
        while i < len(lines) and lines[i].lstrip().startswith("|"):
            rows.append((i + 1, _cells(lines[i])))
            i += 1
        tables.append((kind, models, header, rows, start + 1))
    return tables


def parse_bounds(text):
    """'(0, inf)' -> (lower, upper, lower_open, upper_open)."""
    m = BOUNDS.match(text)
    if not m:
        raise ValueError("bounds '%s' are not written as (a, b), [a, b], (a, b] or [a, b)" % text)
    return float(m.group(2)), float(m.group(3)), m.group(1) == "(", m.group(4) == ")"


def library_bounds(row):
    """The library's bounds in the same form; an infinite side is always open."""
    return (row["lower"], row["upper"], bool(row["lower_open"]) or math.isinf(row["lower"]),
            bool(row["upper_open"]) or math.isinf(row["upper"]))


@pytest.fixture(scope="module")
def tables():
    if not os.path.isfile(DOC):
        pytest.fail("%s is missing (it is part of the distribution)" % DOC)
    with open(DOC, encoding="utf-8") as f:
        return parse_tables(f.read())


@pytest.fixture(scope="module")
def library():
    return {name: libcart.model_info(name) for name in libcart.models()}


def _param_rows(tables, kind):
    """{model: [(line, cells by column name)]} over the tables of this kind."""
    out = {}
    for k, models, header, rows, line in tables:
        if k != kind:
            continue
        assert header[:4] == PARAM_HEADER, (
            "doc/models.md:%d: a %s table must start with the columns %s, not %s"
            % (line, kind, PARAM_HEADER, header[:4]))
        for row_line, cells in rows:
            assert len(cells) == len(header), "doc/models.md:%d: %d cells, header has %d" % (
                row_line, len(cells), len(header))
            for model in models:
                out.setdefault(model, []).append((row_line, dict(zip(header, cells))))
    return out


def test_every_parameter_table_is_marked(tables):
    for kind, _, header, _, line in tables:
        if kind is None:
            assert header[:4] != PARAM_HEADER and header[:4] != STATE_HEADER, (
                "doc/models.md:%d: a parameter or state table without a marker comment "
                "(<!-- param-table: MODEL -->, <!-- state-table: MODEL --> or "
                "<!-- param-table-pending: MODEL -->) above it" % line)


def test_marked_models_exist(tables, library):
    for kind, models, _, _, line in tables:
        if kind is not None:
            assert models, "doc/models.md:%d: the marker names no model" % line
            for model in models:
                assert model in library, "doc/models.md:%d: the library has no model '%s'" % (
                    line, model)


def test_documented_parameters_match_the_library(tables, library):
    checked = _param_rows(tables, "param-table")
    pending = _param_rows(tables, "param-table-pending")
    problems = []
    for model, info in library.items():
        params = info.params
        seen = {}
        for line, row in checked.get(model, []):
            name = row["name"]
            where = "doc/models.md:%d: %s.%s" % (line, model, name)
            if name not in params.index:
                problems.append("%s: the library's model '%s' has no parameter '%s'"
                                % (where, model, name))
                continue
            if name in seen:
                problems.append("%s: documented again (first at line %d)" % (where, seen[name]))
            seen[name] = line
            lib = params.loc[name]
            if row["unit"] != lib["unit"]:
                problems.append("%s: unit '%s', library '%s'" % (where, row["unit"], lib["unit"]))
            try:
                default = float(row["default"])
            except ValueError:
                problems.append("%s: default '%s' is not a number" % (where, row["default"]))
            else:
                if default != lib["default"]:
                    problems.append("%s: default %r, library %r" % (where, default,
                                                                    lib["default"]))
            try:
                bounds = parse_bounds(row["bounds"])
            except ValueError as e:
                problems.append("%s: %s" % (where, e))
            else:
                if bounds != library_bounds(lib):
                    lo, hi, lo_open, hi_open = library_bounds(lib)
                    problems.append("%s: bounds %s, library %s%r, %r%s" % (
                        where, row["bounds"], "(" if lo_open else "[", lo, hi,
                        ")" if hi_open else "]"))
        pending_names = {row["name"] for _, row in pending.get(model, [])}
        for name in params.index:
            if name in seen:
                continue
            if name in pending_names:
                problems.append("%s.%s: the library has it now, but doc/models.md documents it "
                                "as pending: change its table's marker to "
                                "<!-- param-table: %s -->" % (model, name, model))
            else:
                problems.append("%s.%s: parameter of the library missing from doc/models.md's "
                                "checked tables" % (model, name))
    assert not problems, "doc/models.md and the library disagree:\n  " + "\n  ".join(problems)


def test_pending_rows_are_well_formed(tables, library):
    """Pending rows are not compared, but they must parse, so that switching them on is only a
    change of the marker."""
    for model, rows in _param_rows(tables, "param-table-pending").items():
        for line, row in rows:
            float(row["default"])
            lo, hi, _, _ = parse_bounds(row["bounds"])
            assert lo <= float(row["default"]) <= hi, "doc/models.md:%d: default outside" % line


def test_documented_states_match_the_library(tables, library):
    documented = {}
    for kind, models, header, rows, line in tables:
        if kind != "state-table":
            continue
        assert header[:4] == STATE_HEADER, "doc/models.md:%d: columns %s" % (line, header[:4])
        assert len(models) == 1, "doc/models.md:%d: a state table is of one model" % line
        assert models[0] not in documented, "doc/models.md:%d: second state table of %s" % (
            line, models[0])
        documented[models[0]] = rows
    for model, info in library.items():
        assert model in documented, "doc/models.md has no state table of model '%s'" % model
        rows = documented[model]
        doc = [(int(c[0]), c[1], c[2], float(c[3])) for _, c in rows]
        lib = [(i, name, unit, info.atol[name]) for i, (name, unit, _) in enumerate(info.states)]
        assert doc == lib, "doc/models.md: states of %s differ from the library's" % model


def test_parser_catches_a_wrong_row():
    """The checks above can fail: a table with a wrong default, a wrong bracket and an unknown
    parameter is parsed into rows that disagree with the library."""
    text = ("<!-- param-table: stein -->\n"
            "| name | unit | default | bounds | meaning | source |\n"
            "|---|---|---|---|---|---|\n"
            "| c0 | copies/ug | 6.16 | [0, 1e6] | x | y |\n"
            "| nonesuch | 1 | 1 | [0, 1] | x | y |\n")
    (kind, models, header, rows, _), = parse_tables(text)
    assert (kind, models) == ("param-table", ["stein"])
    lib = libcart.model_info("stein").params
    c0 = dict(zip(header, rows[0][1]))
    assert float(c0["default"]) != lib.loc["c0", "default"]
    assert parse_bounds(c0["bounds"]) != library_bounds(lib.loc["c0"])
    assert dict(zip(header, rows[1][1]))["name"] not in lib.index
