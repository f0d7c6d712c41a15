"""Stage 3: the table figures an analyst's text can state (rule N1), read from a parameter model.

A :class:`Target` is one such figure: its field path (part of an N1 fingerprint),
its printed name for messages, how to read it from this year's or last year's
model, and the units a text counts it in. Groups the format has no row for
(（三）不予公开 as a whole, 行政诉讼 as both kinds, 新收 + 上年结转) are sums.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from kit.content import tables
from kit.spec import formats
from kit.spec.model import ProcessingFee, ReportParams, label_for, spec_of

Value = int | Decimal


@dataclass(frozen=True)
class Target:
    """A table figure: where it is (the fingerprint's field), what it is called, how to read it."""

    field: str
    label: str
    read: Callable[[ReportParams], Value | None]
    units: frozenset[str]
    row: str | None = None  # for 表三 figures: the row name and column (what a share is taken of)
    column: str | None = None
    short: str = ""  # the figure's printed name, for sentences about two figures
    unit: str = ""  # the unit the table holds it in, where a text may use another (money)

    def value(self, params: ReportParams | None) -> Value | None:
        if params is None:
            return None
        try:
            return self.read(params)
        except (AttributeError, KeyError):  # last year's file in the other format lacks the field
            return None


T3_UNITS = frozenset("件宗个份")
T4_UNITS = frozenset("件起宗项个次")
DOC_UNITS = frozenset("件部个份")
DECISION_UNITS = frozenset("件宗起次个")
MONEY_UNITS = frozenset({"万元", "元"})

# 表三 rows as the text names them: name → (field path, "+" joining the rows summed; printed name)
T3_ROWS: dict[str, tuple[str, str]] = {
    "new": ("new", "一、本年新收政府信息公开申请数量"),
    "carry_in": ("carry_in", "二、上年结转政府信息公开申请数量"),
    "received": ("new+carry_in", "一、本年新收与二、上年结转之和"),
    "done": ("outcomes.total", "三、本年度办理结果（七）总计"),
    "carry_out": ("carry_out", "四、结转下年度继续办理"),
    "granted": ("outcomes.granted", "（一）予以公开"),
    "partial": ("outcomes.partial", "（二）部分公开"),
    "granted_partial": ("outcomes.granted+outcomes.partial", "（一）予以公开与（二）部分公开之和"),
    "refused": ("outcomes.refused", "（三）不予公开"),
    "unavailable": ("outcomes.unavailable", "（四）无法提供"),
    "not_processed": ("outcomes.not_processed", "（五）不予处理"),
    "other_outcome": ("outcomes.other", "（六）其他处理"),
}
OUTCOME_GROUPS = {"granted", "partial", "granted_partial", "refused", "unavailable", "not_processed", "other_outcome"}
ORGANISATIONS = "organisations"
_COLUMNS = {**dict(formats.TABLE3_COLUMNS), tables.TOTAL: formats.TOTAL_LABEL, ORGANISATIONS: "法人或其他组织"}
T4_GROUPS: dict[str, tuple[tuple[str, ...], str]] = {
    "review": (("review",), "行政复议"),
    "litigation": (("litigation_direct", "litigation_after_review"), "行政诉讼"),
    "litigation_direct": (("litigation_direct",), "行政诉讼（未经复议直接起诉）"),
    "litigation_after_review": (("litigation_after_review",), "行政诉讼（复议后起诉）"),
    "review_litigation": (("review", "litigation_direct", "litigation_after_review"), "行政复议与行政诉讼"),
}
T4_RESULTS = {**dict(formats.TABLE4_RESULTS), tables.TOTAL: formats.TOTAL_LABEL}


def _frame_rows(spec: formats.FormatSpec, name: str) -> list[str]:
    path = T3_ROWS[name][0]
    keys = []
    for part in path.split("+"):
        keys += [r.key for r in spec.table3 if r.key == part or r.key.startswith(part + ".")]
    return keys


def table3_target(name: str, column: str = tables.TOTAL) -> Target:
    """A 表三 figure a text can state: row group ``name`` in ``column`` (总计, 自然人, or the organisations summed)."""
    def read(params: ReportParams) -> int:
        frame = tables.table3_frame(params, spec_of(params))
        columns = [k for k, _ in formats.TABLE3_COLUMNS[1:]] if column == ORGANISATIONS else [column]
        return int(frame.loc[_frame_rows(spec_of(params), name), columns].to_numpy().sum())

    path, printed = T3_ROWS[name]
    short = printed if column == tables.TOTAL else f"{printed}中的{_COLUMNS[column]}"
    return Target(f"table3.{path}.{column}", f"表三“{printed}”的{_COLUMNS[column]}", read, T3_UNITS, name, column,
                  short)


def table4_target(group: str, result: str = tables.TOTAL) -> Target:
    """A 表四 figure: the cases of ``group`` (复议, 诉讼 …) with ``result`` (维持, 纠正 … or 总计)."""
    groups, printed = T4_GROUPS[group]

    def read(params: ReportParams) -> int:
        return int(tables.table4_frame(params).loc[list(groups), result].sum())

    what = f"{printed}总数" if result == tables.TOTAL else f"{printed}的{T4_RESULTS[result]}"
    return Target(f"table4.{group}.{result}", f"表四{what}", read, T4_UNITS)


def table2_target(params: ReportParams, row: str, column: str, units: frozenset[str]) -> Target | None:
    """A 表二 cell, counted in ``units``; None when this format has no such cell."""
    loc = ("table2", row, column)
    try:
        getattr(getattr(params.table2, row), column)
    except AttributeError:
        return None
    return Target(".".join(loc), label_for(type(params), loc).replace(" › ", " "),
                  lambda p: getattr(getattr(p.table2, row), column), units, unit="万元" if units == MONEY_UNITS else "")


def proactive_target() -> Target:
    """The 主动公开 total (None when the file gives neither a total nor categories)."""
    def read(params: ReportParams) -> int | None:
        proactive = params.overview.proactive
        if proactive.total is None and not proactive.categories:
            return None  # not given at all: nothing to compare with
        return tables.proactive_total(params)

    return Target("overview.proactive.total", "主动公开信息总条数", read, frozenset("条件"))


def category_target(index: int, name: str) -> Target:
    """The count of the ``index``-th 主动公开 category, named ``name``."""
    return Target(f"overview.proactive.categories.{index}.count", f"主动公开类别“{name}”的条数",
                  lambda p: p.overview.proactive.categories[index].count, frozenset("条"))


def _processing_fee(params: ReportParams) -> Value | None:
    return params.processing_fee if isinstance(params, ProcessingFee) else None  # a 2021-format field


def processing_fee_target() -> Target:
    """The 信息处理费 in 元 (the 2021 format's field)."""
    return Target("processing_fee", "本年收取的信息处理费（元）", _processing_fee, MONEY_UNITS, unit="元")
