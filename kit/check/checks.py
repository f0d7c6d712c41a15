"""Stage 3: the format's arithmetic rules (勾稽关系) over a validated model.

Each rule is a small function returning :class:`~kit.exceptions.Problem` rows;
``check`` runs them all. Totals a user typed are compared with computed ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from kit.check import textcheck
from kit.content import tables
from kit.exceptions import Problem
from kit.spec import formats
from kit.spec.formats import FormatSpec
from kit.spec.model import ReportParams, label_for, spec_of


class Context:
    """What the rules look at: the model, its spec, the file name, last year's model."""

    def __init__(self, params: ReportParams, spec: FormatSpec, file: str, previous: ReportParams | None = None,
                 lines: Callable[[tuple], int | str | None] | None = None) -> None:
        self.params, self.spec, self.file, self.previous = params, spec, file, previous
        self.t3 = tables.table3_frame(params, spec)
        self._lines = lines

    def problem(self, rule: str, loc: tuple, message: str, expected: Any = None, actual: Any = None,
                severity: str = "error") -> Problem:
        return Problem(
            rule=rule,
            severity=severity,
            file=self.file,
            path=".".join(str(p) for p in loc),
            label=label_for(type(self.params), loc),
            message=message,
            expected=None if expected is None else str(expected),
            actual=None if actual is None else str(actual),
            line=self._lines(loc) if self._lines else None,
        )


def r3_row_totals(ctx: Context) -> Iterator[Problem]:
    """R3: per row of 表三, a typed 总计 equals 自然人 + the five organisation columns.

    The （七）总计 row's 总计 cell is the sum of every outcome row's 总计 (its columns may be
    left out); the message says which sum it was checked against.
    """
    for row in ctx.spec.table3:
        cells = tables.get_path(ctx.params.table3, row.path)
        if cells is None or cells.total is None:
            continue
        computed = tables.count_at(ctx.t3, row.key, tables.TOTAL)  # the frame's 总计 column: the row's sum
        if cells.total != computed:
            message = ("（七）总计行的总计应等于（一）至（六）各项办理结果的总计之和" if row.computed
                       else "总计应等于自然人与五类法人或其他组织之和")
            yield ctx.problem("R3", ("table3", *row.path, "total"), message, computed, cells.total)


def r2_outcome_total(ctx: Context) -> Iterator[Problem]:
    """R2: a typed （七）总计 row equals, per column, the sum of the outcome rows; only the
    cells that were typed are checked."""
    typed = ctx.params.table3.outcomes.total
    if typed is None:
        return
    for col in tables.COLUMN_KEYS:
        if col not in typed.model_fields_set:
            continue
        computed = tables.count_at(ctx.t3, "outcomes.total", col)
        if getattr(typed, col) != computed:
            yield ctx.problem("R2", ("table3", "outcomes", "total", col),
                              "（七）总计应等于（一）至（六）各项办理结果之和", computed, getattr(typed, col))


R1_RULE = "一、本年新收 + 二、上年结转应等于（七）总计 + 四、结转下年度"


def r1_balance(ctx: Context) -> Iterator[Problem]:
    """R1: per column, 一 + 二 = 三（七）总计 + 四. The cell blamed is 四 when the other three
    leave a non-negative carry-out; else the outcomes exceed the requests, and it says so."""
    for col in tables.COLUMN_KEYS:
        new, carry_in, done, carry_out = (tables.count_at(ctx.t3, k, col) for k in
                                          ("new", "carry_in", "outcomes.total", "carry_out"))
        if new + carry_in == done + carry_out:
            continue
        figures = f"{new} + {carry_in} ≠ {done} + {carry_out}"
        if new + carry_in >= done:
            yield ctx.problem("R1", ("table3", "carry_out", col), f"{R1_RULE}：{figures}",
                              new + carry_in - done, carry_out)
        else:
            yield ctx.problem(
                "R1", ("table3", "outcomes", "total", col),
                f"{R1_RULE}：{figures}；（七）总计 {done} 已超过一、本年新收与二、上年结转之和 {new + carry_in}，"
                "办理结果不能多于申请：请核对（一）至（六）各项办理结果和一、二两行",
                f"≤ {new + carry_in}", done)


def r4_table4_totals(ctx: Context) -> Iterator[Problem]:
    """R4: a typed 表四 总计 equals 维持 + 纠正 + 其他 + 尚未审结."""
    t4 = tables.table4_frame(ctx.params)
    for key, _ in formats.TABLE4_GROUPS:
        typed = getattr(ctx.params.table4, key).total
        if typed is not None and typed != tables.count_at(t4, key, tables.TOTAL):
            yield ctx.problem("R4", ("table4", key, "total"), "总计应等于结果维持、结果纠正、其他结果、尚未审结之和",
                              tables.count_at(t4, key, tables.TOTAL), typed)


def p1_proactive_total(ctx: Context) -> Iterator[Problem]:
    """P1: a typed 主动公开 total equals the sum of its categories; an approximate one ("5500余")
    is not more than that sum."""
    proactive = ctx.params.overview.proactive
    computed = tables.proactive_total(ctx.params)
    if proactive.total is None or not proactive.categories:
        return
    if isinstance(proactive.total, str):
        base = tables.approximate_base(proactive.total)
        if computed < base:
            yield ctx.problem("P1", ("overview", "proactive", "total"),
                              f"主动公开信息总条数写作“{proactive.total}条”，各类别条数之和应不少于 {base}",
                              f"≥ {base}", computed)
    elif proactive.total != computed:
        yield ctx.problem("P1", ("overview", "proactive", "total"), "主动公开信息总条数应等于各类别条数之和",
                          computed, proactive.total)


def x1_carry_over(ctx: Context) -> Iterator[Problem]:
    """X1: this year's 二、上年结转 equals last year's 四、结转下年度继续办理, per column."""
    if ctx.previous is None:
        return
    last = tables.table3_frame(ctx.previous, spec_of(ctx.previous))
    for col in tables.COLUMN_KEYS:
        expected, actual = tables.count_at(last, "carry_out", col), tables.count_at(ctx.t3, "carry_in", col)
        if expected != actual:
            yield ctx.problem("X1", ("table3", "carry_in", col),
                              f"本年上年结转应等于{ctx.previous.year}年报告的结转下年度继续办理", expected, actual)


def x2_documents_in_force(ctx: Context) -> Iterator[Problem]:
    """X2 (warning): 现行有效件数 = last year's + 本年制发件数 − 本年废止件数 (2021 format both years)."""
    prev = ctx.previous
    if prev is None or ctx.spec.version != "2021" or spec_of(prev).version != "2021":
        return
    for row in ("regulations", "normative_documents"):
        now, before = getattr(ctx.params.table2, row), getattr(prev.table2, row)
        expected = before.in_force + now.issued - now.repealed
        if now.in_force != expected:
            yield ctx.problem("X2", ("table2", row, "in_force"),
                              f"现行有效件数一般应等于{prev.year}年的现行有效件数加本年制发件数减本年废止件数",
                              expected, now.in_force, severity="warning")


RULES: tuple[Callable[[Context], Iterator[Problem]], ...] = (
    r1_balance,
    r2_outcome_total,
    r3_row_totals,
    r4_table4_totals,
    p1_proactive_total,
    x1_carry_over,
    x2_documents_in_force,
    textcheck.n1_free_text,
)


def check(ctx: Context, rules: tuple[Callable[[Context], Iterator[Problem]], ...] = RULES) -> list[Problem]:
    """Every rule's problems, in rule order."""
    return [p for rule in rules for p in rule(ctx)]
