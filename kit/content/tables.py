"""Stage 3a: the report's tables as pandas DataFrames, totals computed, never typed.

Pure functions of a validated parameter model; no kernel, no I/O.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from kit.spec import formats
from kit.spec.formats import FormatSpec
from kit.spec.model import APPROXIMATE, ReportParams

COLUMN_KEYS = [k for k, _ in formats.TABLE3_COLUMNS]
RESULT_KEYS = [k for k, _ in formats.TABLE4_RESULTS]
TOTAL = "total"


def get_path(model: ReportParams, path: tuple[str, ...]) -> Any:
    """The value at a key path of a model (``("outcomes", "refused", "state_secret")``)."""
    node: Any = model
    for key in path:
        node = getattr(node, key)
    return node


def table2_frame(params: ReportParams, spec: FormatSpec) -> pd.DataFrame:
    """表二 in long form: one row per cell, in print order (caption, item, column, value)."""
    records = []
    for block in spec.table2:
        for row_key, row_label in block.rows:
            row = getattr(params.table2, row_key)
            for col in block.columns:
                records.append(
                    {
                        "caption": block.caption,
                        "row": row_key,
                        "item": row_label,
                        "column": col.key,
                        "label": col.label,
                        "kind": col.kind,
                        "value": getattr(row, col.key),
                    }
                )
    return pd.DataFrame.from_records(records)


def table3_frame(params: ReportParams, spec: FormatSpec) -> pd.DataFrame:
    """表三: one row per printed row (keyed by path), applicant columns plus computed 总计.

    The （七）总计 row is the sum of the outcome rows; the 总计 column the sum of the six
    applicant columns. Typed totals are ignored here: :mod:`kit.check.checks` compares them.
    """
    data = {}
    for row in spec.table3:
        if row.computed:
            continue
        cells = get_path(params.table3, row.path)
        data[row.key] = [getattr(cells, k) for k in COLUMN_KEYS]
    frame = pd.DataFrame.from_dict(data, orient="index", columns=COLUMN_KEYS, dtype="int64")
    outcomes = [r.key for r in spec.table3_outcomes()]
    total_row = pd.DataFrame([frame.loc[outcomes].sum()], index=["outcomes.total"])
    frame = pd.concat([frame, total_row]).reindex([r.key for r in spec.table3])
    frame[TOTAL] = frame[COLUMN_KEYS].sum(axis=1)
    return frame.astype("int64")


def table4_frame(params: ReportParams) -> pd.DataFrame:
    """表四: one row per group (行政复议, 未经复议直接起诉, 复议后起诉), 总计 computed."""
    data = {key: [getattr(getattr(params.table4, key), k) for k in RESULT_KEYS] for key, _ in formats.TABLE4_GROUPS}
    frame = pd.DataFrame.from_dict(data, orient="index", columns=RESULT_KEYS, dtype="int64")
    frame[TOTAL] = frame[RESULT_KEYS].sum(axis=1)
    return frame


MONEY_PLACES = 2  # 万元 amounts are sensibly given to two decimals (FORMAT.md)


def count_at(frame: pd.DataFrame, row: str, column: str) -> int:
    """One count of a table's frame (表三, 表四), as an int."""
    return int(frame[column][row])


def decimal_places(value: Any) -> int:
    """How many decimals a figure is written with: 12.50 → 1, 3 → 0."""
    if not isinstance(value, Decimal):
        return 0
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0  # not int: nan or inf, which no model admits


def rounded_difference(now: Any, before: Any) -> Any:
    """now − before, rounded to the inputs' precision: the finer of the two, but not finer than
    the two decimals amounts are stated in (24252.311082 → 9116.36 is a change of 15135.95)."""
    diff = now - before
    if not isinstance(diff, Decimal):
        return diff
    places = min(MONEY_PLACES, max(decimal_places(now), decimal_places(before)))
    return diff.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_value(value: Any, suffix: str = "") -> str:
    """A cell as printed: integers plainly, money without trailing zeros, zeros as 0."""
    text = (format(value.normalize(), "f") if value else "0") if isinstance(value, Decimal) else str(int(value))
    return text + suffix


def approximate_base(figure: str) -> int:
    """The figure an approximate total starts from: 5500余 → 5500, 18万余 → 180000."""
    match = APPROXIMATE.match(figure)
    if match is None:
        raise ValueError(f"not an approximate figure: {figure!r}")
    number, wan = match.groups()
    return int(Decimal(number) * (10000 if wan else 1))


def proactive_total(params: ReportParams) -> int:
    """主动公开信息总条数: the sum of the categories, or the typed total when none are listed
    (for an approximate total, the figure it starts from)."""
    proactive = params.overview.proactive
    if not proactive.categories:
        total = proactive.total or 0
        return approximate_base(total) if isinstance(total, str) else total
    return sum(c.count for c in proactive.categories)


def proactive_figure(params: ReportParams) -> str | None:
    """主动公开信息总条数 as printed: an approximate total as written, else the exact total;
    None when neither a total nor categories are given."""
    proactive = params.overview.proactive
    if isinstance(proactive.total, str):
        return proactive.total
    if proactive.total is None and not proactive.categories:
        return None
    return str(proactive_total(params))
