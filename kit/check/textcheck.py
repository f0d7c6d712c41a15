"""Stage 3: rule N1 — what the analyst's own text states about the tables is what they hold.

:mod:`kit.check.textread` reads each sentence's figures; here they are compared with
the tables: figures exactly (approximate ones as at-least), shares (占x%) and the
办结率 within one rounding step of what the text states, year-over-year changes
against last year's file, and statements without a number ("均获维持", "未发生
行政复议", "未收到政府信息公开申请") against the cells that would make them true.

Every finding is an error with a stable fingerprint (rule, field, the two
values); the analyst acknowledges a deliberate difference in the parameter
file's ``acknowledged`` list (:func:`acknowledge`), and it lapses by itself when
either value changes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from kit.check.textfigures import (
    MONEY_UNITS,
    OUTCOME_GROUPS,
    T4_GROUPS,
    T4_RESULTS,
    Target,
    Value,
    processing_fee_target,
    table3_target,
    table4_target,
)
from kit.check.textread import Claim, Sentence, classify, mentions, sentences
from kit.content import tables
from kit.exceptions import Problem
from kit.spec.model import ProcessingFee, ReportParams

if TYPE_CHECKING:
    from kit.check.checks import Context

RULE = "N1"


# --- comparing -----------------------------------------------------------------------------------------


def fingerprint(rule: str, field: str, stated: str, table: str) -> str:
    """A short, stable name for one finding: the same rule, field and two values give the same name."""
    digest = hashlib.sha256(f"{rule}|{field}|{stated}|{table}".encode()).hexdigest()
    return f"{rule}-{digest[:10]}"


def _in_unit(value: Value, target: Target, unit: str) -> Decimal:
    """A table value in the unit the text uses (money: 万元 ↔ 元)."""
    value = Decimal(value)
    if target.units == MONEY_UNITS and unit != target.unit:
        return value * 10000 if unit == "元" else value / 10000
    return value


def _show(value: Value) -> str:
    return tables.format_value(value)


def _one_step(stated: Decimal) -> Decimal:
    """One unit of the last digit the text gives (28.0% → 0.1; 28% → 1)."""
    exponent = stated.as_tuple().exponent
    return Decimal(1).scaleb(exponent if isinstance(exponent, int) else 0)


def _percent(part: Value, whole: Value) -> Decimal:
    return Decimal(part) * 100 / Decimal(whole)


def _as_written(table: Decimal, stated: Decimal, target: Target) -> Decimal:
    """Money the text gives with fewer decimals than the table: the table's amount rounded as the text rounds it."""
    step = _one_step(stated)
    if target.units == MONEY_UNITS and step > _one_step(table.normalize()):
        return table.quantize(step, rounding=ROUND_HALF_UP)
    return table


@dataclass(frozen=True)
class Finding:
    """A disagreement: its fingerprint, the message, expected (the tables) and actual (the text)."""

    fingerprint: str
    message: str
    expected: str | None = None
    actual: str | None = None


def _finding(field: str, stated: str, table: str, message: str, expected: str | None = None,
             actual: str | None = None) -> Finding:
    return Finding(fingerprint(RULE, field, stated, table), message, expected, actual)


def _figure(claim: Claim, where: str, params: ReportParams, previous: ReportParams | None) -> Finding | None:
    m, t = claim.mention, claim.target
    truth = t.value(params)
    if truth is None or m.approx == "skip":
        return None
    table = _in_unit(truth, t, m.unit)
    if m.approx == "at_least":
        if table >= m.number:
            return None
        return _finding(t.field, m.written, _show(truth), f"{where}{t.label}为{_show(truth)}，少于所写的{m.written}",
                       _show(table), m.written)
    if _as_written(table, m.number, t) == m.number:
        return None
    return _finding(t.field, _show(m.number), _show(table), f"{where}{t.label}为{_show(table)}", _show(table),
                   _show(m.number))


def _rate(claim: Claim, where: str, params: ReportParams, previous: ReportParams | None) -> Finding | None:
    m = claim.mention
    received, done = table3_target("received").value(params), claim.target.value(params)
    if not received or done is None:
        return None
    actual = _percent(done, received)
    if abs(actual - m.number) < _one_step(m.number):
        return None
    shown, written = f"{actual:.1f}%", f"{_show(m.number)}%"
    return _finding("table3.outcomes.total.rate", written, shown,
                   f"{where}按表格，办结率为（七）总计{done}除以新收与上年结转之和{received}，即{shown}",
                   shown, written)


def _share(claim: Claim, where: str, params: ReportParams, previous: ReportParams | None) -> Finding | None:
    if claim.base is None:
        return None
    m, (base, of) = claim.mention, claim.base
    whole_target = _share_whole(base)
    if whole_target is None:
        return None
    part, whole = base.value(params), whole_target.value(params)
    if of.approx is not None or not whole or part is None:
        return None
    actual = _percent(part, whole)
    if abs(actual - m.number) < _one_step(m.number):
        return None
    shown, written = f"{actual:.1f}%", f"{_show(m.number)}%"
    return _finding(base.field + ".share", written, shown,
                   f"{where}按表格，{base.short}{part}件占{whole_target.short}{whole}件的{shown}", shown, written)


def _change(claim: Claim, where: str, params: ReportParams, previous: ReportParams | None) -> Finding | None:
    if claim.base is None or previous is None:
        return None
    m, (base, of) = claim.mention, claim.base
    now, before = base.value(params), base.value(previous)
    if of.approx is not None or now is None or before is None:
        return None
    stated = -m.number if re.search(r"减少|下降", claim.cue) else m.number
    change = Decimal(now) - Decimal(before)
    if m.unit == "%":
        if not before:
            return None
        change = _percent(change, before)
        if abs(change - stated) < _one_step(m.number):
            return None
        shown = f"{'增长' if change >= 0 else '下降'}{abs(change):.1f}%"
    else:
        if change == stated:
            return None
        shown = f"{'增加' if change >= 0 else '减少'}{_show(abs(change))}{m.unit}"
    return _finding(base.field + ".change", f"{stated}{m.unit}", shown,
                   f"{where}按本年和{previous.year}年的表格，{base.label}由{_show(before)}变为{_show(now)}，"
                   f"较上年{shown}", f"较上年{shown}", claim.cue)


_COMPARE = {"figure": _figure, "rate": _rate, "share": _share, "yoy": _change}
QUOTE_LIMIT = 100


def quote(sentence: str, start: int, end: int) -> str:
    """The sentence as the message quotes it: whole, or around the words when it is long."""
    if len(sentence) <= QUOTE_LIMIT:
        return sentence
    left, right = max(0, start - 40), min(len(sentence), end + 40)
    return ("…" if left else "") + sentence[left:right] + ("…" if right < len(sentence) else "")


def compare(claim: Claim, sentence: str, params: ReportParams, previous: ReportParams | None) -> Finding | None:
    """A finding when the claim disagrees with the tables (or None)."""
    at = sentence.find(claim.cue)
    where = f"正文“{quote(sentence, at, at + len(claim.cue))}”中“{claim.cue}”与表格不一致："
    return _COMPARE[claim.kind](claim, where, params, previous)


def _share_whole(target: Target) -> Target | None:
    """What a share is taken of (N2): outcome groups of （七）总计, a column of its row's 总计."""
    if target.row is None:
        return None
    if target.column != tables.TOTAL:
        return table3_target(target.row)
    return table3_target("done") if target.row in OUTCOME_GROUPS else None


# --- statements without a number -----------------------------------------------------------------------

_UPHELD_ALL = re.compile(r"均(?:获|被|予以|得到)?维持|全部(?:获得?|被)?维持|均为(?:结果)?维持")
_CLOSED_ALL = re.compile(r"均已(?:审结|结案)|全部(?:审结|结案)|均已办结")
_NOT_CORRECTED = re.compile(r"(?:无|未|没有)(?:被)?(?:纠正|纠错)")
_NEGATION = r"(?:未发生|没有发生|未收到|没有收到|未接到|未受理|未出现|未有|没有|无)(?!论|法)"
_NONE_T4 = re.compile(r"(?<!无)" + _NEGATION + r"[^，。；\d]{0,12}?(?:行政复议|行政诉讼)"
                      r"(?:(?:、|和|及|与|或)(?:行政)?(?:复议|诉讼))?")
_NONE_NEW = re.compile(_NEGATION + r"[^，。；\d]{0,8}?(?:政府信息公开申请|依申请公开|信息公开申请)")
_ALL_DONE = re.compile(r"(?:已全部|全部|均已)办结")
_NO_FEE = re.compile(r"(?:未|没有|无|不)(?:收取|收)[^，。；\d]{0,8}?信息处理费")
_GROUP_WORDS = {"不予公开": "refused", "无法提供": "unavailable", "不予处理": "not_processed",
                "其他处理": "other_outcome", "部分公开": "partial", "上年结转": "carry_in", "结转下年度": "carry_out"}
_NONE_GROUP = re.compile(_NEGATION + r"[^，。；\d]{0,4}?(" + "|".join(_GROUP_WORDS) + r")"
                         r"(?:的)?(?:情况|情形|申请)?(?=[，。；]|$)")


def _t4_scope(sentence: str) -> list[str]:
    said = [g for g, word in (("review", "复议"), ("litigation", "诉讼")) if word in sentence]
    return said or ["review", "litigation"]


def statements(sentence: str, params: ReportParams) -> Iterator[tuple[str, Target, str]]:
    """Statements the tables contradict: (the words, the figure, what the tables hold instead)."""
    t4 = tables.table4_frame(params)

    def nonzero(group: str, results: tuple[str, ...]) -> str:
        rows = list(T4_GROUPS[group][0])
        bad = [f"{T4_RESULTS[r]}为{int(t4.loc[rows, r].sum())}" for r in results if int(t4.loc[rows, r].sum())]
        return f"表四{T4_GROUPS[group][1]}的{'、'.join(bad)}" if bad else ""

    said = [(_UPHELD_ALL, ("corrected", "other", "pending")), (_NOT_CORRECTED, ("corrected",)),
            (_NONE_T4, tuple(tables.RESULT_KEYS))]
    if "复议" in sentence or "诉讼" in sentence:
        said.append((_CLOSED_ALL, ("pending",)))
    for pattern, results in said:
        m = pattern.search(sentence)
        if m is None:
            continue
        for group in _t4_scope(m.group(0) if pattern is _NONE_T4 else sentence):
            detail = nonzero(group, results)
            if detail:
                yield m.group(0), table4_target(group), detail
    for pattern, name in ((_ALL_DONE, "carry_out"), (_NONE_NEW, "new")):
        m = pattern.search(sentence)
        target = table3_target(name)
        about_cases = "复议" in sentence or "诉讼" in sentence
        if m is not None and "申请" in sentence and not (pattern is _ALL_DONE and about_cases):
            value = target.value(params)
            if value:
                yield m.group(0), target, f"{target.label}为{value}"
    for m in _NONE_GROUP.finditer(sentence):  # 无不予公开情况; 无结转下年度的申请
        target = table3_target(_GROUP_WORDS[m.group(1)])
        if target.value(params):
            yield m.group(0), target, f"{target.label}为{target.value(params)}"
    m = _NO_FEE.search(sentence)
    if m is not None and isinstance(params, ProcessingFee) and params.processing_fee:
        target = processing_fee_target()
        yield m.group(0), target, f"{target.label}为{_show(params.processing_fee)}"


# --- the rule --------------------------------------------------------------------------------------------


def free_text(params: ReportParams) -> Iterator[tuple[tuple, str]]:
    """The analyst's own text fields, with their field paths."""
    yield ("overview", "intro"), params.overview.intro
    for i, sub in enumerate(params.overview.subsections):
        yield ("overview", "subsections", i, "text"), sub.text
    for i, extra in enumerate(params.extra_sections):
        yield ("extra_sections", i, "text"), extra.text
    yield ("problems",), params.problems
    yield ("other",), params.other


def findings(sentence: str, params: ReportParams, previous: ReportParams | None) -> Iterator[Finding]:
    """Every disagreement between one sentence and the tables."""
    state = Sentence(params)
    claims: list[Claim] = []
    for mention in mentions(sentence):
        claim = classify(sentence, mention, state)
        if claim is None:
            continue
        if claim.kind == "figure":
            if (claim.target.field.startswith("table3.carry_in.") and "含" in mention.prefix and claims
                    and claims[-1].kind == "figure" and claims[-1].target.field == "table3.new.total"):
                claims[-1] = replace(claims[-1], target=table3_target("received"))  # 收到N件（含上年结转M件）
                state.row = "received"
            state.last = (claim.target, mention)
        claims.append(claim)
    for claim in claims:
        found = compare(claim, sentence, params, previous)
        if found is not None:
            yield found
    for words, target, detail in statements(sentence, params):
        at = sentence.find(words)
        yield _finding(target.field, words, detail,
                      f"正文“{quote(sentence, at, at + len(words))}”中“{words}”与表格不一致：{detail}")


def n1_free_text(ctx: Context) -> Iterator[Problem]:
    """N1 (error): what the analyst's text states about the tables' figures is what the tables hold."""
    for loc, text in free_text(ctx.params):
        for sentence in sentences(text):
            for f in findings(sentence, ctx.params, ctx.previous):
                yield replace(ctx.problem(RULE, loc, f.message, f.expected, f.actual), fingerprint=f.fingerprint)


# --- acknowledgements -------------------------------------------------------------------------------------


def acknowledge(ctx: Context, problems: list[Problem]) -> list[Problem]:
    """Findings the parameter file acknowledges become 'acknowledged' (with the reason); an
    acknowledgement that matches no finding has lapsed and is a warning."""
    given: list[Any] = list(getattr(ctx.params, "acknowledged", []))
    reasons = {a.fingerprint: a.reason for a in given}
    out = [replace(p, severity="acknowledged", reason=reasons[p.fingerprint])
           if p.fingerprint in reasons and p.severity == "error" else p for p in problems]
    matched = {p.fingerprint for p in out if p.severity == "acknowledged"}
    for i, a in enumerate(given):
        if a.fingerprint not in matched:
            out.append(ctx.problem(RULE, ("acknowledged", i, "fingerprint"),
                                   f"确认 {a.fingerprint} 已失效：它不对应任何差异"
                                   "（正文或表格的数字已改变，或差异已改正）；"
                                   "请删除这条确认，或按 kit validate 给出的新指纹重新确认", severity="warning"))
    return out
