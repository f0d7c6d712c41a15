"""Stage 3b: the report's generated sentences. Every figure comes from the tables (N1).

Pure functions: a validated parameter model (and its computed frames) in, text out.
"""

from __future__ import annotations

import pandas as pd

from kit.content import tables
from kit.spec import formats
from kit.spec.model import Contact, ProcessingFee, ReportParams

LEGAL_BASIS = "《中华人民共和国政府信息公开条例》"
_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (for part numbers and counts up to 99)."""
    if not 0 < n < 100:
        raise ValueError(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


def title(params: ReportParams) -> str:
    """The report's title: 〈单位〉〈年度〉年政府信息公开工作年度报告."""
    return f"{params.agency.name}{params.year}年政府信息公开工作年度报告"


def deadline(params: ReportParams) -> str:
    """条例第四十九条: departments publish by 1月31日, governments by 3月31日 of the next year."""
    day = "1月31日" if params.agency.kind == "department" else "3月31日"
    return f"{params.year + 1}年{day}"


def opening(params: ReportParams, part_titles: list[str], summed_from_units: bool = False) -> str:
    """The opening paragraph: legal basis and format notice, the parts, the statistical period,
    where the report is published and whom to ask. Each sentence can be the analyst's own (``opening``).

    A government's report says it was compiled by summing its units' work only when its tables are
    summed from them (``summed_from_units``, for the roll-up); otherwise it reads like a department's.
    """
    y, name, own = params.year, params.agency.name, params.opening
    contact, spec = params.contact, type(params).format_spec
    by = f"由{contact.office}" if contact.office else ""
    rolled_up = summed_from_units and params.agency.kind == "government"
    how = (f"汇总{name}各有关单位{units_counted(params)}政府信息公开工作情况编制而成" if rolled_up
           else f"按照{y}年{name}政府信息公开工作实际编制而成")
    sentences = [
        own.basis
        or f"本报告根据{LEGAL_BASIS}（以下简称《条例》）、{spec.notice}（{spec.document}）等文件要求，{by}{how}。",
        own.parts or f"本报告由{'、'.join(part_titles)}等{chinese_number(len(part_titles))}个部分组成。",
        own.period or f"本报告中所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。",
        left_out_sentence(params) if rolled_up else "",
        own.contact or contact_sentence(contact),
    ]
    return "".join(sentences)


def units_counted(params: ReportParams) -> str:
    """“（共31个，含本级）”: how many units the roll-up summed; empty when the report names none."""
    rollup = params.rollup
    if rollup is None or not rollup.summed:
        return ""
    own = "，含本级" if rollup.include_own else ""
    return f"（共{len(rollup.summed)}个{own}）"


def left_out_sentence(params: ReportParams) -> str:
    """Which units the roll-up leaves out (the office published without them)."""
    rollup = params.rollup
    if rollup is None or not rollup.left_out:
        return ""
    names = "、".join(u.name or u.id for u in rollup.left_out)
    return f"{names}共{len(rollup.left_out)}个单位的数据未能汇总，未计入本报告。"


def contact_sentence(contact: Contact) -> str:
    """本报告的电子版可在…下载。对本报告如有疑问，请与…联系（地址：…，邮编：…，电话：…，电子邮箱：…）。"""
    text = f"本报告的电子版可在{contact.website}下载。" if contact.website else ""
    details = [f"{label}：{value}" for label, value in (("地址", contact.address), ("邮编", contact.postcode),
                                                       ("电话", contact.phone), ("电子邮箱", contact.email)) if value]
    if contact.office:
        text += f"对本报告如有疑问，请与{contact.office}联系" + (f"（{'，'.join(details)}）" if details else "") + "。"
    elif details:
        text += f"对本报告如有疑问，请联系（{'，'.join(details)}）。"
    return text


def chinese_date(iso: str) -> str:
    """2025-01-20 → 2025年1月20日 (the 落款's date)."""
    year, month, day = (int(x) for x in iso.split("-"))
    return f"{year}年{month}月{day}日"


def signoff(params: ReportParams) -> tuple[str, str]:
    """The 落款: the name (the agency's unless given) and the publication date ('' when not given)."""
    s = params.signoff
    return s.name or params.agency.name, chinese_date(s.date) if s.date else ""


def proactive(params: ReportParams, last: ReportParams | None = None) -> str:
    """主动公开: the total (against last year's, when both are exact) and each category's count;
    empty when no total is given (P2 warns)."""
    p, me = params.overview.proactive, params.agency.self_name
    figure = tables.proactive_figure(params)
    if figure is None:
        return ""
    text = f"{params.year}年，{me}{p.channel}主动公开信息{figure}条"
    before = None if last is None else tables.proactive_figure(last)
    if figure.isdigit() and before is not None and before.isdigit():  # never on an approximate figure
        text += change(int(figure), int(before), "条")
    if p.categories:
        text += "，涉及公开内容包括：" + "、".join(f"{c.name}{c.count}条" for c in p.categories)
    return text + "。"


def change(now: float, before: float | None, unit: str = "件") -> str:
    """N3: the change against last year on the same definition, e.g. ，较上年增加3件，增长25.0%."""
    if before is None:
        return ""
    if now == before:
        return "，与上年持平"
    if before == 0:
        return f"，上年为0{unit}"
    diff = tables.rounded_difference(now, before)
    word, verb = ("增加", "增长") if diff > 0 else ("减少", "下降")
    return f"，较上年{word}{tables.format_value(abs(diff))}{unit}，{verb}{abs(diff) / before * 100:.1f}%"


def share(n: int, total: int) -> str:
    """N2: a share of （七）总计."""
    return f"占{n / total * 100:.1f}%"


def _total(frame: pd.DataFrame | None, row: str, col: str = tables.TOTAL) -> int | None:
    return None if frame is None else tables.count_at(frame, row, col)


def requests(params: ReportParams, t3: pd.DataFrame, last: pd.DataFrame | None = None) -> str:
    """依申请公开 in one sentence: received (by applicant), carried in, handled, carried out."""
    me = params.agency.self_name
    new, carry_in = tables.count_at(t3, "new", tables.TOTAL), tables.count_at(t3, "carry_in", tables.TOTAL)
    done = tables.count_at(t3, "outcomes.total", tables.TOTAL)
    carry_out = tables.count_at(t3, "carry_out", tables.TOTAL)
    if new == 0 and carry_in == 0:
        return f"本年度{me}未收到政府信息公开申请{change(0, _total(last, 'new'))}。"
    natural = tables.count_at(t3, "new", "natural")
    text = f"本年度{me}共收到政府信息公开申请{new}件"
    if new:
        text += f"（其中自然人{natural}件，法人或其他组织{new - natural}件）"
    text += change(new, _total(last, "new"))
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


def outcomes(t3: pd.DataFrame, last: pd.DataFrame | None = None) -> str:
    """How the handled requests ended, with shares of （七）总计; empty when none was handled."""
    done = tables.count_at(t3, "outcomes.total", tables.TOTAL)
    if done == 0:
        return ""
    counts = outcome_counts(t3)
    parts = [f"{label}{counts[key]}件，{share(counts[key], done)}" for key, label in OUTCOME_GROUPS if counts[key]]
    return f"本年度办结申请{done}件{change(done, _total(last, 'outcomes.total'))}。其中，" + "；".join(parts) + "。"


def review(params: ReportParams, t4: pd.DataFrame, last: pd.DataFrame | None = None) -> str:
    """行政复议 and 行政诉讼 in one sentence; 诉讼 = the two 起诉 totals added (FORMAT.md)."""
    me = params.agency.self_name

    def suits_of(frame: pd.DataFrame) -> int:
        return int(frame.loc[["litigation_direct", "litigation_after_review"], tables.TOTAL].sum())

    reviews, suits = tables.count_at(t4, "review", tables.TOTAL), suits_of(t4)
    last_reviews, last_suits = _total(last, "review"), None if last is None else suits_of(last)
    if reviews == 0 and suits == 0:
        text = f"本年度{me}未发生因政府信息公开引起的行政复议、行政诉讼案件"
        if last_reviews or last_suits:
            text += f"（上年行政复议{last_reviews}件，行政诉讼{last_suits}件）"
        return text + "。"

    def detail(rows: list[str]) -> str:
        sums = t4.loc[rows, tables.RESULT_KEYS].sum()
        items = [f"{label}{int(sums[key])}件" for key, label in formats.TABLE4_RESULTS if sums[key]]
        return f"（{'，'.join(items)}）" if items else ""

    return (
        f"本年度{me}发生因政府信息公开引起的行政复议{reviews}件{detail(['review'])}{change(reviews, last_reviews)}；"
        f"行政诉讼{suits}件{detail(['litigation_direct', 'litigation_after_review'])}{change(suits, last_suits)}。"
    )


# 表二 in words: one clause per non-zero row, by the kind of block.
_TABLE2_CLAUSES = {
    ("2019", "made"): "{row}新制作{made}件、新公开{published}件，对外公开总数{total_public}件",
    ("2021", "issued"): "{row}制发{issued}件、废止{repealed}件，现行有效{in_force}件",
    ("2019", "previous"): "{row}上一年项目{previous}项，本年增/减{change}项",
    ("2019", "decisions"): "{row}处理决定{decisions}件",
    ("2021", "decisions"): "{row}处理决定{decisions}件",
    ("2021", "amount"): "{row}{amount}万元",
    ("2019", "projects"): "{row}项目{projects}个，采购总金额{amount}万元",
}


def proactive_table(params: ReportParams, frame: pd.DataFrame, version: str,
                    last: pd.DataFrame | None = None) -> str:
    """表二 in one sentence: every non-zero row; 处理决定 and 收费 compared with last year."""
    clauses = []
    for (row, label), cells in frame.groupby(["row", "item"], sort=False):
        values = dict(zip(cells["column"], cells["value"], strict=True))
        if not any(values.values()):
            continue
        text_values = {k: tables.format_value(v) for k, v in values.items()}
        parts = []
        if "made" in values or "issued" in values:
            parts.append(_TABLE2_CLAUSES[(version, "made" if "made" in values else "issued")])
        if "previous" in values:
            parts.append(_TABLE2_CLAUSES[("2019", "previous")])
        if "projects" in values:
            parts.append(_TABLE2_CLAUSES[("2019", "projects")])
        elif "decisions" in values or "amount" in values:
            parts.append(_TABLE2_CLAUSES[(version, "decisions" if "decisions" in values else "amount")])
        clause = "，".join(p.format(row=label if i == 0 else "", **text_values) for i, p in enumerate(parts))
        for col, unit in (("decisions", "件"), ("amount", "万元")):
            if col in values and last is not None and "projects" not in values:
                before = last[(last["row"] == row) & (last["column"] == col)]["value"]
                if len(before):
                    clause += change(values[col], before.iloc[0], unit)
        clauses.append(clause)
    if not clauses:
        return "本年度表二各项均为0。"
    return "本年度" + "；".join(clauses) + "。"


def processing_fee(params: ProcessingFee) -> str:
    """2021 format, part 六: the 信息处理费 line, stated even when nothing was collected."""
    fee = params.processing_fee
    me = params.agency.self_name
    if not fee:
        return f"{params.year}年，{me}未收取政府信息公开信息处理费。"
    return f"{params.year}年，{me}依据《政府信息公开信息处理费管理办法》收取信息处理费{tables.format_value(fee)}元。"
