"""Property-based: every generated valid file passes; every single-cell change to 表三 is caught."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kit.check.validate import validate_data
from kit.content.tables import COLUMN_KEYS
from kit.spec import formats
from tests.factories import minimal

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def set_path(data: dict, path: tuple, value) -> None:
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def get_path(data: dict, path: tuple):
    for key in path:
        data = data[key]
    return data


@st.composite
def valid_files(draw, version: str = "2021"):
    """A balanced file with every total typed in (as when copied from a filled form)."""
    spec = formats.get(version)
    year = draw(st.sampled_from([2019, 2020] if version == "2019" else [2021, 2022, 2024]))
    small = st.integers(min_value=0, max_value=40)
    data = minimal(year)
    outcome_rows = [r.path for r in spec.table3_outcomes()]
    totals = {"outcomes": dict.fromkeys(COLUMN_KEYS, 0)}
    per_row = {}
    for path in outcome_rows:
        cells = {c: draw(small) for c in COLUMN_KEYS}
        per_row[path] = cells
        for c in COLUMN_KEYS:
            totals["outcomes"][c] += cells[c]
    carry_out = {c: draw(small) for c in COLUMN_KEYS}
    carry_in = {c: draw(st.integers(0, totals["outcomes"][c] + carry_out[c])) for c in COLUMN_KEYS}
    new = {c: totals["outcomes"][c] + carry_out[c] - carry_in[c] for c in COLUMN_KEYS}
    per_row[("new",)], per_row[("carry_in",)], per_row[("carry_out",)] = new, carry_in, carry_out
    for path, cells in per_row.items():
        set_path(data, ("table3", *path), {**cells, "total": sum(cells.values())})
    grand = totals["outcomes"]
    set_path(data, ("table3", "outcomes", "total"), {**grand, "total": sum(grand.values())})
    for group, _ in formats.TABLE4_GROUPS:
        cells = {k: draw(small) for k, _ in formats.TABLE4_RESULTS}
        set_path(data, ("table4", group), {**cells, "total": sum(cells.values())})
    return data


@SETTINGS
@given(valid_files("2021"))
def test_generated_valid_2021_files_pass(data):
    assert validate_data(data, "f.yaml").problems == []


@SETTINGS
@given(valid_files("2019"))
def test_generated_valid_2019_files_pass(data):
    assert validate_data(data, "f.yaml").problems == []


ROWS = [r for r in formats.FORMAT_2021.table3]


@SETTINGS
@given(valid_files("2021"), st.sampled_from(ROWS), st.sampled_from([*COLUMN_KEYS, "total"]),
       st.integers(min_value=1, max_value=5), st.booleans())
def test_any_single_cell_change_is_caught_by_the_rule_it_breaks(data, row, col, delta, up):
    data = copy.deepcopy(data)
    path = ("table3", *row.path, col)
    old = get_path(data, path)
    new = old + delta if up or old < delta else old - delta
    set_path(data, path, new)
    problems = validate_data(data, "f.yaml").errors
    rules = {p.rule for p in problems}
    if col == "total":
        expected = {"R3"}  # a typed row total against its row
    elif row.computed:
        expected = {"R2"}  # a typed （七）总计 cell against the outcome rows
    elif row.path[0] == "outcomes":
        expected = {"R1", "R2", "R3"}  # its row total, the （七）总计 column, the balance
    else:
        expected = {"R1", "R3"}
    assert rules == expected
    assert any(p.path in {".".join(path), f"table3.carry_out.{col}", f"table3.outcomes.total.{col}",
                          ".".join(("table3", *row.path, "total"))} for p in problems)
    if "R1" in expected:  # it names the cell's column, and proposes no impossible (negative) value
        [r1] = [p for p in problems if p.rule == "R1"]
        assert r1.path in {f"table3.carry_out.{col}", f"table3.outcomes.total.{col}"}
        assert int(r1.expected.removeprefix("≤ ")) >= 0
