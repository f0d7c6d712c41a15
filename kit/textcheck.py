"""Stage 3: rule N1 — the figures the analyst's own text states, against the tables.

Text is read sentence by sentence. Each number with a unit is a *mention*; the
words just before it (back to the previous number or clause mark) — for a few
phrasings the words just after — say which table figure it states ("cues", the
cue nearest the number wins). A mention that names nothing the tables hold is
left alone: a figure is compared only when the sentence really states it.
Approximate figures ("5500余条", "100多件", "N件以上") are compared as at-least;
"近百件", "约N", "1.5万条" not at all. Shares (占x%), the 办结率, year-over-year
changes and statements without a number ("均获维持", "未发生行政复议") are checked too.

Every finding is an error with a stable fingerprint (rule, field, the two
values); the analyst acknowledges a deliberate difference in the parameter
file's ``acknowledged`` list (:func:`acknowledge`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from kit import formats, tables
from kit.exceptions import Problem
from kit.model import label_for, spec_of

if TYPE_CHECKING:
    from kit.checks import Context

RULE = "N1"
Value = int | Decimal

# --- the figures a text can state ---------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A table figure: where it is (the fingerprint's field), what it is called, how to read it."""

    field: str
    label: str
    read: Callable[[BaseModel], Value | None]
    units: frozenset[str]
    row: str | None = None  # for 表三 figures: the row name and column (what a share is taken of)
    column: str | None = None
    short: str = ""  # the figure's printed name, for sentences about two figures

    def value(self, params: BaseModel | None) -> Value | None:
        if params is None:
            return None
        try:
            return self.read(params)
        except (AttributeError, KeyError):  # last year's file in the other format lacks the field
            return None


T3_UNITS = frozenset("件宗个份")
T4_UNITS = frozenset("件起宗个次")
DOC_UNITS = frozenset("件部个份")
DECISION_UNITS = frozenset("件宗起次个")
MONEY_UNITS = frozenset({"万元", "元"})

# 表三 rows as the text names them: name → (pseudo field path, printed name, frame rows)
_T3_ROWS: dict[str, tuple[str, str]] = {
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
_OUTCOME_GROUPS = {"granted", "partial", "granted_partial", "refused", "unavailable", "not_processed", "other_outcome"}
_ORGANISATIONS = "organisations"
_COLUMNS = {**dict(formats.TABLE3_COLUMNS), tables.TOTAL: formats.TOTAL_LABEL, _ORGANISATIONS: "法人或其他组织"}
_T4_GROUPS: dict[str, tuple[tuple[str, ...], str]] = {
    "review": (("review",), "行政复议"),
    "litigation": (("litigation_direct", "litigation_after_review"), "行政诉讼"),
    "litigation_direct": (("litigation_direct",), "行政诉讼（未经复议直接起诉）"),
    "litigation_after_review": (("litigation_after_review",), "行政诉讼（复议后起诉）"),
    "review_litigation": (("review", "litigation_direct", "litigation_after_review"), "行政复议与行政诉讼"),
}
_T4_RESULTS = {**dict(formats.TABLE4_RESULTS), tables.TOTAL: formats.TOTAL_LABEL}


def _frame_rows(spec: formats.FormatSpec, name: str) -> list[str]:
    path = _T3_ROWS[name][0]
    keys = []
    for part in path.split("+"):
        keys += [r.key for r in spec.table3 if r.key == part or r.key.startswith(part + ".")]
    return keys


def table3_target(name: str, column: str = tables.TOTAL) -> Target:
    def read(params: BaseModel) -> int:
        frame = tables.table3_frame(params, spec_of(params))
        columns = [k for k, _ in formats.TABLE3_COLUMNS[1:]] if column == _ORGANISATIONS else [column]
        return int(frame.loc[_frame_rows(spec_of(params), name), columns].to_numpy().sum())

    path, printed = _T3_ROWS[name]
    short = printed if column == tables.TOTAL else f"{printed}中的{_COLUMNS[column]}"
    return Target(f"table3.{path}.{column}", f"表三“{printed}”的{_COLUMNS[column]}", read, T3_UNITS, name, column,
                  short)


def table4_target(group: str, result: str = tables.TOTAL) -> Target:
    groups, printed = _T4_GROUPS[group]

    def read(params: BaseModel) -> int:
        return int(tables.table4_frame(params).loc[list(groups), result].sum())

    what = f"{printed}总数" if result == tables.TOTAL else f"{printed}的{_T4_RESULTS[result]}"
    return Target(f"table4.{group}.{result}", f"表四{what}", read, T4_UNITS)


def table2_target(params: BaseModel, row: str, column: str, units: frozenset[str]) -> Target | None:
    loc = ("table2", row, column)
    try:
        getattr(getattr(params.table2, row), column)
    except AttributeError:
        return None
    return Target(".".join(loc), label_for(type(params), loc).replace(" › ", " "),
                  lambda p: getattr(getattr(p.table2, row), column), units)


def proactive_target() -> Target:
    def read(params: BaseModel) -> int | None:
        proactive = params.overview.proactive
        if proactive.total is None and not proactive.categories:
            return None  # not given at all: nothing to compare with
        return tables.proactive_total(params)

    return Target("overview.proactive.total", "主动公开信息总条数", read, frozenset("条件"))


def category_target(index: int, name: str) -> Target:
    return Target(f"overview.proactive.categories.{index}.count", f"主动公开类别“{name}”的条数",
                  lambda p: p.overview.proactive.categories[index].count, frozenset("条"))


def processing_fee_target() -> Target:
    return Target("processing_fee", "本年收取的信息处理费（元）", lambda p: p.processing_fee, MONEY_UNITS)


# --- reading the text ------------------------------------------------------------------------------

_FULL_WIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")
_BREAKS = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*+]\s|\d+[.、)]\s|#))")
_SPACE_NEAR_CJK = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")
_SENTENCE_END = re.compile(r"(?<=[。；;！？!?])")
_CLAUSE_MARKS = "，,：:（）()“”\"「」【】《》"
_NUMBER = re.compile(
    r"(?P<pre>近|约|将近|接近|超过|逾|多于|不到|不足)?(?<![\d.])(?P<num>\d+(?:\.\d+)?)(?P<wan>万)?(?P<approx>余|多)?"
    r"(?P<unit>万元|元|件|条|起|宗|项|个|次|份|部|%)?(?P<post>以上|多)?")
_NOT_A_FIGURE = re.compile(r"年|月|日|号|时|周|天|季度|\d")


def sentences(text: str) -> Iterator[str]:
    """The text's sentences, whitespace a PDF's text layer leaves between words and numbers removed."""
    for block in _BREAKS.split((text or "").translate(_FULL_WIDTH)):
        block = _SPACE_NEAR_CJK.sub("", block).strip()
        for sentence in _SENTENCE_END.split(block):
            if sentence.strip():
                yield sentence.strip()


@dataclass(frozen=True)
class Mention:
    """A number with its unit in a sentence, and the words before and after it within its clause."""

    number: Decimal
    unit: str
    approx: str | None  # "at_least", "skip" or None (exact)
    start: int
    end: int
    prefix: str
    suffix: str
    written: str  # the number as written, unit included

    @property
    def stated(self) -> str:
        return self.written


def _clause_start(sentence: str, pos: int, floor: int) -> int:
    start = floor
    for mark in _CLAUSE_MARKS:
        start = max(start, sentence.rfind(mark, floor, pos) + 1)
    return start


def _clause_end(sentence: str, pos: int) -> int:
    ends = [i for i in (sentence.find(m, pos) for m in _CLAUSE_MARKS + "。；;！？!?") if i >= 0]
    return min(ends, default=len(sentence))


def mentions(sentence: str) -> list[Mention]:
    """Every number with a unit in the sentence; dates and bare numbers only bound the clauses."""
    found: list[Mention] = []
    floor = 0
    for m in _NUMBER.finditer(sentence):
        if m.group("unit") is None and (m.group("wan") is None or m.group("approx") is None):
            if not _NOT_A_FIGURE.match(sentence, m.end()):
                floor = m.end()
            continue
        number = Decimal(m.group("num"))
        unit = m.group("unit")
        approx = None
        if m.group("wan"):
            if unit == "元":
                unit = "万元"
            else:
                number *= 10000
                approx = "at_least" if m.group("approx") else "skip"
        if m.group("approx") or m.group("post") or m.group("pre") in {"超过", "逾", "多于"}:
            approx = approx or "at_least"
        if m.group("pre") in {"近", "约", "将近", "接近", "不到", "不足"}:
            approx = "skip"
        start = m.start("num")
        prefix = sentence[_clause_start(sentence, start, floor):start]
        suffix = sentence[m.end():_clause_end(sentence, m.end())]
        found.append(Mention(number, unit or "", approx, start, m.end(), prefix, suffix, m.group(0).lstrip(
            m.group("pre") or "")))
        floor = m.end()
    return found


# --- cues: which figure the words before a number name -----------------------------------------------

_CUES: tuple[tuple[str, re.Pattern], ...] = tuple((name, re.compile(pattern)) for name, pattern in (
    ("exclude", r"来信|来访|诉求|咨询|留言|建议|提案|议案|投诉|举报|信访|热线|来电|工单|意见|事项|清单"),
    ("carry_in", r"上一?年度?(?:结转|遗留|未办结)|含[^，]{0,4}结转"),
    ("carry_out", r"结转(?:至|到)?下一?年度?|转(?:入|至|到)?下一?年度?|顺延(?:至|到)?下一?年度?|下一?年度?继续办理|结转"),
    ("done", r"办结|答复|办理完毕"),
    ("rate", r"办结率"),
    ("granted_partial", r"予以公开(?:及|和|与|或|、)部分公开|全部或部分公开|全部公开(?:及|和|与|或|、)部分公开"),
    ("partial", r"部分公开"),
    ("granted", r"予以公开|同意公开|全部公开"),
    ("refused", r"不予公开"),
    ("unavailable", r"无法提供"),
    ("not_processed", r"不予处理"),
    ("other_outcome", r"其他处理"),
    ("new", r"收到|受理|新收|接收|接到"),
    ("received", r"收办"),
    ("column", r"自然人|法人(?:或|和|及)其他组织|商业企业|科研机构|社会公益组织|法律服务机构"),
    ("t4", r"(?:行政)?复议后(?:提起)?(?:行政)?(?:诉讼|起诉)|(?:行政)?复议(?:、|和|及|与)(?:行政)?诉讼|行政复议|行政诉讼|直接起诉|未经复议"),
    ("t4_result", r"结果维持|维持|结果纠正|纠正|纠错|其他结果|尚未审结|未审结|未结案|正在审理|审理中"),
    ("t2_row", r"规章|规范性文件"),
    ("t2_column", r"制发|印发|出台|制定|新增|新制作|发布|废止|宣布失效|失效|现行有效|新公开|对外公开总数"),
    ("decision", r"行政许可|行政处罚|行政强制"),
    ("fee", r"行政事业性收费|收费金额"),
    ("processing_fee", r"信息处理费"),
    ("proactive", r"主动公开(?!类|目录|指南|专栏|栏目|平台|工作)|(?:全年|共)(?:累计)?(?:主动)?(?:公开|公布|发布)(?:各类)?(?:政府)?信息"),
    ("share", r"占"),
    ("yoy", r"(?:同比|较上年度?|比上年度?|较去年|比去年|与上年相比|与去年相比|较\d{4}年度?)[^，]{0,4}?(?:增加|增长|上升|减少|下降)了?"),
))
_APPLICATION = re.compile(r"申请")
_CHANNEL = re.compile(r"专栏|栏目|微博|微信|公众号|抖音|头条|客户端")
_COLUMN_KEYS = {"自然人": "natural", "商业企业": "commercial", "科研机构": "research", "社会公益组织": "public_interest",
                "法律服务机构": "legal_services"}
_T4_RESULT_KEYS = (("其他结果", "other"), ("维持", "upheld"), ("纠", "corrected"), ("审", "pending"), ("结案", "pending"))
_T2_COLUMN_KEYS = {
    "2021": (("废止", "repealed"), ("失效", "repealed"), ("现行有效", "in_force"), ("", "issued")),
    "2019": (("新公开", "published"), ("对外公开总数", "total_public"), ("", "made")),
}
_DECISIONS = {"行政许可": "licensing", "行政处罚": "penalties", "行政强制": "enforcement"}


def _nearest(prefix: str, allowed: set[str] | None = None) -> tuple[str, re.Match] | None:
    best: tuple[str, re.Match] | None = None
    for name, pattern in _CUES:
        if allowed is not None and name not in allowed:
            continue
        for m in pattern.finditer(prefix):
            if best is None or (m.end(), len(m.group(0))) > (best[1].end(), len(best[1].group(0))):
                best = (name, m)
    return best


@dataclass
class _Sentence:
    """What a sentence has named so far: the 表三 row, 表四 group, 表二 row and figure last stated."""

    params: BaseModel
    row: str | None = None
    t4: str | None = None
    t2: str | None = None
    last: tuple[Target, Mention] | None = None
    yoy: bool = False


@dataclass(frozen=True)
class Claim:
    """A mention read as a statement about a table figure."""

    kind: str  # "figure", "share", "rate", "yoy"
    target: Target
    mention: Mention
    cue: str  # the words that name the figure, for the message
    base: tuple[Target, Mention] | None = None


def _cue_text(sentence: str, mention: Mention, cue: re.Match | None) -> str:
    start = mention.start - len(mention.prefix) + cue.start() if cue is not None else mention.start
    return sentence[start:mention.end]


def _t3_claim(state: _Sentence, name: str, mention: Mention) -> Target | None:
    if mention.unit not in T3_UNITS:
        return None
    state.row = name if name not in {"carry_in"} or "含" not in mention.prefix else state.row
    return table3_target(name)


def classify(sentence: str, mention: Mention, state: _Sentence) -> Claim | None:
    """The claim a mention makes, or None when its words name nothing the tables hold."""
    params, spec = state.params, spec_of(state.params)
    if mention.unit == "%":
        return _percent_claim(sentence, mention, state)
    for i, category in enumerate(params.overview.proactive.categories):
        if len(category.name) >= 2 and category.name in mention.prefix and mention.unit == "条":
            return Claim("figure", category_target(i, category.name), mention,
                         _cue_text(sentence, mention, re.search(re.escape(category.name), mention.prefix)))
    if re.match(r"(?:结转|转入|转至|转到|顺延)[^，]{0,4}下一?年", mention.suffix):
        target = _t3_claim(state, "carry_out", mention)
        return Claim("figure", target, mention, sentence[mention.start - len(mention.prefix):mention.end]
                     + re.match(r"[^，。；]*", mention.suffix).group(0)) if target else None
    found = _nearest(mention.prefix)
    if found is None and re.search(r"(?:政府信息公开|依申请公开)申请$", mention.prefix):
        before = _nearest(sentence[:mention.start - len(mention.prefix)], set(dict(_CUES)) - {"exclude"})
        if before is not None and before[0] == "new":  # 收到群众来信N件和政府信息公开申请M件
            target = _t3_claim(state, "new", mention)
            return Claim("figure", target, mention, mention.prefix + mention.written) if target else None
    if found is None:
        return None
    name, cue = found
    target: Target | None = None
    if name in _T3_ROWS and name not in {"new"}:
        target = _t3_claim(state, name, mention)
    elif name == "new":
        after = mention.prefix[cue.start():]
        if cue.group(0) == "新收" or _APPLICATION.search(after) or re.match(r"(?:政府)?(?:信息公开|依申请公开)?申请",
                                                                           mention.suffix):
            target = _t3_claim(state, "new", mention)
    elif name == "column" and state.row is not None and mention.unit in T3_UNITS:
        word = cue.group(0)
        column = _COLUMN_KEYS.get(word, _ORGANISATIONS)
        target = table3_target(state.row, column)
    elif name == "t4" and mention.unit in T4_UNITS:
        word = cue.group(0)
        if re.search(r"各|均|分别", mention.prefix[cue.end():]):
            return None
        group = ("litigation_after_review" if "复议后" in word else
                 "review_litigation" if "诉讼" in word and "复议" in word else
                 "litigation_direct" if "直接" in word or "未经" in word else
                 "review" if "复议" in word else "litigation")
        state.t4 = group
        target = table4_target(group)
    elif name == "t4_result" and state.t4 is not None and mention.unit in T4_UNITS:
        word = cue.group(0)
        result = next(key for part, key in _T4_RESULT_KEYS if part in word)
        target = table4_target(state.t4, result)
    elif name in {"t2_row", "t2_column"} and mention.unit in DOC_UNITS:
        target = _t2_document(mention, state, spec)
    elif name == "decision" and mention.unit in DECISION_UNITS:
        target = table2_target(params, _DECISIONS[cue.group(0)], "decisions", DECISION_UNITS)
    elif name == "fee" and mention.unit in MONEY_UNITS:
        target = table2_target(params, "fees", "amount", MONEY_UNITS)
    elif name == "processing_fee" and mention.unit in MONEY_UNITS and "processing_fee" in type(params).model_fields:
        target = processing_fee_target()
    elif name == "proactive" and (mention.unit == "条" or (mention.unit == "件" and "政府信息" in mention.prefix)):
        if not _CHANNEL.search(mention.prefix) and "其中" not in mention.prefix:
            target = proactive_target()
    elif name == "yoy":
        return _yoy_claim(sentence, mention, state, cue)
    if target is None:
        return None
    return Claim("figure", target, mention, _cue_text(sentence, mention, cue))


def _t2_document(mention: Mention, state: _Sentence, spec: formats.FormatSpec) -> Target | None:
    row_cue = _nearest(mention.prefix, {"t2_row"})
    if row_cue is not None:
        state.t2 = "regulations" if row_cue[1].group(0) == "规章" else "normative_documents"
    column_cue = _nearest(mention.prefix, {"t2_column"})
    if state.t2 is None or column_cue is None or re.match(r"的?解读", mention.suffix):
        return None
    word = column_cue[1].group(0)
    column = next(key for part, key in _T2_COLUMN_KEYS[spec.version] if part in word)
    return table2_target(state.params, state.t2, column, DOC_UNITS)


def _percent_claim(sentence: str, mention: Mention, state: _Sentence) -> Claim | None:
    found = _nearest(mention.prefix, {"share", "rate", "yoy"})
    if found is None:
        if state.yoy and re.search(r"增加|增长|上升|减少|下降", mention.prefix):
            return _yoy_claim(sentence, mention, state, re.search(r"增加|增长|上升|减少|下降", mention.prefix))
        return None
    name, cue = found
    if name == "rate":
        return Claim("rate", table3_target("done"), mention, _cue_text(sentence, mention, cue))
    if name == "yoy":
        return _yoy_claim(sentence, mention, state, cue)
    if state.last is None:
        return None
    return Claim("share", state.last[0], mention, _cue_text(sentence, mention, cue), state.last)


def _yoy_claim(sentence: str, mention: Mention, state: _Sentence, cue: re.Match) -> Claim | None:
    state.yoy = True
    if state.last is None:
        return None
    return Claim("yoy", state.last[0], mention, _cue_text(sentence, mention, cue), state.last)


# --- comparing -----------------------------------------------------------------------------------------


def fingerprint(rule: str, field: str, stated: str, table: str) -> str:
    """A short, stable name for one finding: the same rule, field and two values give the same name."""
    digest = hashlib.sha256(f"{rule}|{field}|{stated}|{table}".encode()).hexdigest()
    return f"{rule}-{digest[:10]}"


def _in_unit(value: Value, target: Target, unit: str) -> Decimal:
    """A table value in the unit the text uses (money: 万元 ↔ 元)."""
    value = Decimal(value)
    if target.units == MONEY_UNITS:
        native = "元" if target.field == "processing_fee" else "万元"
        if native == "万元" and unit == "元":
            return value * 10000
        if native == "元" and unit == "万元":
            return value / 10000
    return value


def _show(value: Decimal | Value) -> str:
    return tables.format_value(Decimal(value)) if isinstance(value, Decimal) else str(value)


def _one_step(stated: Decimal) -> Decimal:
    exponent = stated.as_tuple().exponent
    return Decimal(1).scaleb(exponent if isinstance(exponent, int) else 0)


def _percent(part: Value, whole: Value) -> Decimal:
    return Decimal(part) * 100 / Decimal(whole)


@dataclass(frozen=True)
class Finding:
    field: str
    stated: str
    table: str
    message: str
    expected: str | None
    actual: str | None


def compare(claim: Claim, sentence: str, params: BaseModel, previous: BaseModel | None) -> Finding | None:
    """A finding when the claim disagrees with the tables (or None)."""
    m, t = claim.mention, claim.target
    where = f"正文“{sentence}”中“{claim.cue}”与表格不一致："
    if claim.kind == "figure":
        truth = t.value(params)
        if truth is None or m.approx == "skip":
            return None
        table = _in_unit(truth, t, m.unit)
        if m.approx == "at_least":
            if table >= m.number:
                return None
            return Finding(t.field, m.stated, _show(truth), f"{where}{t.label}为{_show(truth)}，少于所写的{m.stated}",
                           _show(table), m.stated)
        if table == m.number:
            return None
        return Finding(t.field, _show(m.number), _show(table), f"{where}{t.label}为{_show(table)}",
                       _show(table), _show(m.number))
    if claim.kind == "rate":
        received = table3_target("received").value(params)
        done = t.value(params)
        if not received:
            return None
        actual = _percent(done, received)
        if abs(actual - m.number) < _one_step(m.number):
            return None
        shown = f"{actual:.1f}%"
        return Finding("table3.outcomes.total.rate", f"{_show(m.number)}%", shown,
                       f"{where}按表格，办结率为（七）总计{done}除以新收与上年结转之和{received}，即{shown}",
                       shown, f"{_show(m.number)}%")
    base_target, base = claim.base
    if base.approx is not None:
        return None
    if claim.kind == "share":
        part = base_target.value(params)
        whole_target = _share_whole(base_target)
        whole = whole_target.value(params) if whole_target else None
        if not whole or part is None:
            return None
        actual = _percent(part, whole)
        if abs(actual - m.number) < _one_step(m.number):
            return None
        shown = f"{actual:.1f}%"
        return Finding(base_target.field + ".share", f"{_show(m.number)}%", shown,
                       f"{where}按表格，{base_target.short}{part}件占{whole_target.short}{whole}件的{shown}",
                       shown, f"{_show(m.number)}%")
    now, before = base_target.value(params), base_target.value(previous)
    if previous is None or now is None or before is None:
        return None
    sign = -1 if re.search(r"减少|下降", claim.cue) else 1
    if m.unit == "%":
        if not before:
            return None
        actual = _percent(Decimal(now) - Decimal(before), before)
        if abs(actual - sign * m.number) < _one_step(m.number):
            return None
        shown = f"{'增长' if actual >= 0 else '下降'}{abs(actual):.1f}%"
    else:
        actual = Decimal(now) - Decimal(before)
        if actual == sign * m.number:
            return None
        shown = f"{'增加' if actual >= 0 else '减少'}{_show(abs(actual))}{m.unit}"
    return Finding(base_target.field + ".change", f"{sign * m.number}{m.unit}", shown,
                   f"{where}按本年和{previous.year}年的表格，{base_target.label}由{_show(before)}变为{_show(now)}，"
                   f"较上年{shown}", f"较上年{shown}", claim.cue)


def _share_whole(target: Target) -> Target | None:
    """What a share is taken of (N2): outcome groups of （七）总计, a column of its row's 总计."""
    if target.row is None:
        return None
    if target.column != tables.TOTAL:
        return table3_target(target.row)
    return table3_target("done") if target.row in _OUTCOME_GROUPS else None


# --- statements without a number -----------------------------------------------------------------------

_UPHELD_ALL = re.compile(r"均(?:获|被|予以|得到)?维持|全部(?:获得?|被)?维持|均为(?:结果)?维持")
_CLOSED_ALL = re.compile(r"均已(?:审结|结案)|全部(?:审结|结案)|均已办结")
_NOT_CORRECTED = re.compile(r"(?:无|未|没有)(?:被)?(?:纠正|纠错)")
_NONE_T4 = re.compile(r"(?<!无)(?:未发生|没有发生|未收到|没有收到|未出现|未有|无)(?!论|法)[^，。；\d]{0,12}?(?:行政复议|行政诉讼)"
                      r"(?:(?:、|和|及|与|或)(?:行政)?(?:复议|诉讼))?")
_NONE_NEW = re.compile(r"(?:未收到|没有收到|未接到|未受理|无)(?!论|法)[^，。；\d]{0,8}?(?:政府信息公开申请|依申请公开|信息公开申请)")
_ALL_DONE = re.compile(r"(?:已全部|全部|均已)办结")


def _t4_scope(sentence: str) -> list[str]:
    said = [g for g, word in (("review", "复议"), ("litigation", "诉讼")) if word in sentence]
    return said or ["review", "litigation"]


def statements(sentence: str, params: BaseModel) -> Iterator[tuple[str, Target, str]]:
    """Statements the tables contradict: (the words, the figure, what the tables hold instead)."""
    t4 = tables.table4_frame(params)

    def nonzero(group: str, results: tuple[str, ...]) -> str:
        rows = list(_T4_GROUPS[group][0])
        bad = [f"{_T4_RESULTS[r]}为{int(t4.loc[rows, r].sum())}" for r in results if int(t4.loc[rows, r].sum())]
        return f"表四{_T4_GROUPS[group][1]}的{'、'.join(bad)}" if bad else ""

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


# --- the rule --------------------------------------------------------------------------------------------


def free_text(params: BaseModel) -> Iterator[tuple[tuple, str]]:
    """The analyst's own text fields, with their field paths."""
    yield ("overview", "intro"), params.overview.intro
    for i, sub in enumerate(params.overview.subsections):
        yield ("overview", "subsections", i, "text"), sub.text
    for i, extra in enumerate(params.extra_sections):
        yield ("extra_sections", i, "text"), extra.text
    yield ("problems",), params.problems
    yield ("other",), params.other


def findings(sentence: str, params: BaseModel, previous: BaseModel | None) -> Iterator[Finding]:
    """Every disagreement between one sentence and the tables."""
    state = _Sentence(params)
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
        yield Finding(target.field, words, detail, f"正文“{sentence}”中“{words}”与表格不一致：{detail}", None, None)


def n1_free_text(ctx: Context) -> Iterator[Problem]:
    """N1 (error): what the analyst's text states about the tables' figures is what the tables hold."""
    for loc, text in free_text(ctx.params):
        for sentence in sentences(text):
            for f in findings(sentence, ctx.params, ctx.previous):
                problem = ctx.problem(RULE, loc, f.message, f.expected, f.actual)
                yield replace(problem, fingerprint=fingerprint(RULE, f.field, f.stated, f.table))


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
                                   f"确认 {a.fingerprint} 已失效：它不对应任何差异（正文或表格的数字已改变，或差异已改正）；"
                                   "请删除这条确认，或按 kit validate 给出的新指纹重新确认", severity="warning"))
    return out
