"""Stage 3b: the report's generated sentences. Every figure comes from the tables (N1).

Pure functions: a validated parameter model (and its computed frames) in, text out.
"""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel

from kit import formats, tables

LEGAL_BASIS = "《中华人民共和国政府信息公开条例》"
_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (for part numbers and counts up to 99)."""
    if not 0 < n < 100:
        raise ValueError(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


def title(params: BaseModel) -> str:
    return f"{params.agency.name}{params.year}年政府信息公开工作年度报告"


def deadline(params: BaseModel) -> str:
    """条例第四十九条: departments publish by 1月31日, governments by 3月31日 of the next year."""
    day = "1月31日" if params.agency.kind == "department" else "3月31日"
    return f"{params.year + 1}年{day}"


def opening(params: BaseModel, part_titles: list[str]) -> str:
    """The opening paragraph: legal basis, the parts, the statistical period."""
    y = params.year
    return (
        f"本年报根据{LEGAL_BASIS}（以下简称《条例》）的要求，按照{y}年{params.agency.name}信息公开工作实际编制而成。"
        f"本年报由{'、'.join(part_titles)}等{chinese_number(len(part_titles))}个部分组成。"
        f"本年报中所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。"
    )


def proactive(params: BaseModel) -> str:
    """主动公开: the total and each category's count."""
    p, me = params.overview.proactive, params.agency.self_name
    total = tables.proactive_total(params)
    text = f"{params.year}年，{me}{p.channel}主动公开信息{total}条"
    if p.categories:
        text += "，涉及公开内容包括：" + "、".join(f"{c.name}{c.count}条" for c in p.categories)
    return text + "。"


def requests(params: BaseModel, t3: pd.DataFrame) -> str:
    """依申请公开 in one sentence: received (by applicant), carried in, handled, carried out."""
    me = params.agency.self_name
    new, carry_in = int(t3.loc["new", tables.TOTAL]), int(t3.loc["carry_in", tables.TOTAL])
    done, carry_out = int(t3.loc["outcomes.total", tables.TOTAL]), int(t3.loc["carry_out", tables.TOTAL])
    if new == 0 and carry_in == 0:
        return f"本年度{me}未收到政府信息公开申请。"
    natural = int(t3.loc["new", "natural"])
    text = f"本年度{me}共收到政府信息公开申请{new}件"
    if new:
        text += f"（其中自然人{natural}件，法人或其他组织{new - natural}件）"
    if carry_in:
        text += f"，上年结转{carry_in}件"
    return text + f"；办结{done}件，结转下年度继续办理{carry_out}件。"


OUTCOME_GROUPS = (
    ("granted", "予以公开"),
    ("partial", "部分公开"),
    ("refused", "不予公开"),
    ("unavailable", "无法提供"),
    ("not_processed", "不予处理"),
    ("other", "其他处理"),
)


def outcome_counts(t3: pd.DataFrame) -> dict[str, int]:
    """Sub-totals the table doesn't print: 不予公开, 无法提供, 不予处理 … (总计 column)."""
    keys = pd.Series(t3.index, index=t3.index)
    group = keys.str.split(".").str[1].where(keys.str.startswith("outcomes."))
    sums = t3[tables.TOTAL].groupby(group).sum()
    return {key: int(sums.get(key, 0)) for key, _ in OUTCOME_GROUPS}


def outcomes(t3: pd.DataFrame) -> str:
    """How the handled requests ended; empty when none was handled."""
    done = int(t3.loc["outcomes.total", tables.TOTAL])
    if done == 0:
        return ""
    counts = outcome_counts(t3)
    parts = [f"{label}{counts[key]}件" for key, label in OUTCOME_GROUPS if counts[key]]
    return f"本年度办结的{done}件申请中，" + "，".join(parts) + "。"


def review(params: BaseModel, t4: pd.DataFrame) -> str:
    """行政复议 and 行政诉讼 in one sentence; 诉讼 = the two 起诉 totals added (FORMAT.md)."""
    me = params.agency.self_name
    reviews = int(t4.loc["review", tables.TOTAL])
    suits = int(t4.loc["litigation_direct", tables.TOTAL] + t4.loc["litigation_after_review", tables.TOTAL])
    if reviews == 0 and suits == 0:
        return f"本年度{me}未发生因政府信息公开引起的行政复议、行政诉讼案件。"

    def detail(rows: list[str]) -> str:
        sums = t4.loc[rows, tables.RESULT_KEYS].sum()
        items = [f"{label}{int(sums[key])}件" for key, label in formats.TABLE4_RESULTS if sums[key]]
        return f"（{'，'.join(items)}）" if items else ""

    return (
        f"本年度{me}发生因政府信息公开引起的行政复议{reviews}件{detail(['review'])}，"
        f"行政诉讼{suits}件{detail(['litigation_direct', 'litigation_after_review'])}。"
    )
