"""Stage 3: checks on the report's parts as a whole (not its arithmetic).

Money written with more precision than 万元 sensibly has, a 主动公开 total that is
missing, a report with nothing in it, a part 五 that says nothing, a part 六 that
repeats or contradicts the 信息处理费 line the kit generates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kit.check.checks import Context
from kit.content import tables
from kit.exceptions import Problem
from kit.spec.model import ProcessingFee, ReportParams

MIN_PROBLEMS_CHARS = 10  # part 五 shorter than this (letters and digits only) says nothing
_NOTHING = {"无", "暂无", "没有", "无其他", "不适用"}


def substance(text: str) -> str:
    """The letters and digits of a text: what is left without spaces and punctuation."""
    return re.sub(r"[\W_]", "", text or "")


def texts(params: ReportParams) -> Iterator[str]:
    """Every free text of the report: 一's intro and subsections, 五, 六, the agency's own parts."""
    yield params.overview.intro
    yield from (sub.text for sub in params.overview.subsections)
    yield from (extra.text for extra in params.extra_sections)
    yield params.problems
    yield params.other


def m1_money_decimals(ctx: Context) -> Iterator[Problem]:
    """M1 (warning): an amount in 万元 with more than two decimals (FORMAT.md: six-decimal amounts)."""
    for block in ctx.spec.table2:
        for col in block.columns:
            if col.kind != "money":
                continue
            for row, _ in block.rows:
                value = getattr(getattr(ctx.params.table2, row), col.key)
                if tables.decimal_places(value) > tables.MONEY_PLACES:
                    yield ctx.problem("M1", ("table2", row, col.key),
                                      "金额以万元为单位，一般保留两位小数；请核对是否把元当作万元或多抄了小数位",
                                      f"至多{tables.MONEY_PLACES}位小数", tables.format_value(value),
                                      severity="warning")


def p2_proactive_given(ctx: Context) -> Iterator[Problem]:
    """P2 (warning): neither a 主动公开 total nor its categories: the sentence is left out."""
    proactive = ctx.params.overview.proactive
    if proactive.total is None and not proactive.categories:
        yield ctx.problem("P2", ("overview", "proactive", "total"),
                          "未填写主动公开信息总条数，也未列出类别：报告不写主动公开信息条数这一句", severity="warning")


def _tables_empty(ctx: Context) -> bool:
    t2 = tables.table2_frame(ctx.params, ctx.spec)
    return (not any(t2["value"]) and not ctx.t3.to_numpy().any()
            and not tables.table4_frame(ctx.params).to_numpy().any() and not tables.proactive_total(ctx.params))


def e1_empty_report(ctx: Context) -> Iterator[Problem]:
    """E1 (warning): every table 0 and every text part empty."""
    if _tables_empty(ctx) and not any(substance(text) for text in texts(ctx.params)):
        yield ctx.problem("E1", (), "报告是空的：各表格数字均为 0，各部分正文均未填写；请确认参数文件填写完整",
                          severity="warning")


def s5_problems_part(ctx: Context) -> Iterator[Problem]:
    """S5: part 五 (problems and improvements) must say something: not empty, "无" or a few characters."""
    text = (ctx.params.problems or "").strip()
    if not text:
        message = "五、存在的主要问题及改进情况未填写：应写明本年度存在的主要问题和改进措施"
    elif len(substance(text)) < MIN_PROBLEMS_CHARS or substance(text) in _NOTHING:
        message = f"五、存在的主要问题及改进情况只写了“{text}”：应写明本年度存在的主要问题和改进措施"
    else:
        return
    yield ctx.problem("S5", ("problems",), message, f"至少 {MIN_PROBLEMS_CHARS} 个字的说明",
                      f"{len(substance(text))} 个字")


def s6_other_part(ctx: Context) -> Iterator[Problem]:
    """S6 (2021 format): part 六's text against the 信息处理费 line the kit generates from ``processing_fee``."""
    if not isinstance(ctx.params, ProcessingFee):
        return
    text, fee = ctx.params.other or "", ctx.params.processing_fee
    if "信息处理费" in text:
        yield ctx.problem("S6", ("other",),
                          "文字中已写信息处理费，而报告还会按 processing_fee 生成一句，六、其他需要报告的事项将写两遍："
                          "请从文字中删去这一句，只填 processing_fee", severity="warning")
    elif fee and substance(text) in _NOTHING:
        yield ctx.problem("S6", ("other",),
                          f"六、其他需要报告的事项写的是“{text.strip()}”，但本年收取了信息处理费"
                          f"{tables.format_value(fee)}元：请删去“{text.strip()}”或写明其他需要报告的事项",
                          "不写“无”", f"“{text.strip()}”")


RULES = (m1_money_decimals, p2_proactive_given, e1_empty_report, s5_problems_part, s6_other_part)
