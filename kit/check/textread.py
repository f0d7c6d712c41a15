"""Stage 3: reading the analyst's text for rule N1 — which table figure each number states.

Text is read sentence by sentence, with the whitespace a PDF's text layer leaves
between words and numbers removed. Each number with a unit is a :class:`Mention`;
the words just before it (back to the previous number or clause mark) — for a few
phrasings the words just after — name the figure it states: of the cues found
there, the one nearest the number wins. A mention whose words name nothing the
tables hold is left alone, so a figure is compared only when the sentence really
states it. Approximate figures ("5500余条", "100多件", "N件以上") are read as
at-least; "近百件", "约N", "1.5万条" are not read at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from kit.check.textfigures import (
    DECISION_UNITS,
    DOC_UNITS,
    MONEY_UNITS,
    ORGANISATIONS,
    T3_ROWS,
    T3_UNITS,
    T4_UNITS,
    Target,
    category_target,
    proactive_target,
    processing_fee_target,
    table2_target,
    table3_target,
    table4_target,
)
from kit.spec.model import ReportParams, spec_of

_FULL_WIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")
_BREAKS = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*+]\s|\d+[.、)]\s|#))")
_SPACE_NEAR_CJK = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")
_SENTENCE_END = re.compile(r"(?<=[。；;！？!?])")
_THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")
_CLAUSE_MARKS = "，,：:（）()“”\"「」【】《》"
_NUMBER = re.compile(
    r"(?P<pre>近|约|将近|接近|超过|逾|多于|不到|不足)?(?<![\d.])(?P<num>\d+(?:\.\d+)?)(?P<wan>万)?(?P<approx>余|多)?"
    r"(?P<unit>万元|元|件|条|起|宗|项|个|次|份|部|%)?(?P<post>以上|多)?")
_NOT_A_FIGURE = re.compile(r"年|月|日|号|时|周|天|季度|\d")


def sentences(text: str) -> Iterator[str]:
    """The text's sentences, whitespace a PDF's text layer leaves between words and numbers removed."""
    for block in _BREAKS.split((text or "").translate(_FULL_WIDTH)):
        block = _THOUSANDS.sub("", _SPACE_NEAR_CJK.sub("", block)).strip()
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
        found.append(Mention(number, unit or "", approx, start, m.end(), prefix, suffix, sentence[start:m.end()]))
        floor = m.end()
    return found


# --- cues: which figure the words before a number name -----------------------------------------------

_CUES: tuple[tuple[str, re.Pattern], ...] = tuple((name, re.compile(pattern)) for name, pattern in (
    ("exclude", r"来信|来访|诉求|咨询|留言|建议|提案|议案|投诉|举报|信访|热线|来电|工单|意见|事项|清单"),
    ("carry_in", r"上一?年度?(?:结转|遗留|未办结)|含[^，]{0,4}结转"),
    ("carry_out", r"结转(?:至|到)?下一?年度?|转(?:入|至|到)?下一?年度?|顺延(?:至|到)?下一?年度?"
                  r"|下一?年度?继续办理|结转"),
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
    ("t4", r"(?:行政)?复议后(?:提起)?(?:行政)?(?:诉讼|起诉)|(?:行政)?复议(?:、|和|及|与)(?:行政)?诉讼"
           r"|行政复议|行政诉讼|直接起诉|未经复议"),
    ("t4_result", r"结果维持|维持|结果纠正|纠正|纠错|其他结果|尚未审结|未审结|未结案|正在审理|审理中"),
    ("t2_row", r"规章|规范性文件"),
    ("t2_column", r"制发|印发|出台|制定|新增|新制作|发布|废止|失效|现行有效|新公开|对外公开总数"),
    ("decision", r"行政许可|行政处罚|行政强制"),
    ("fee", r"行政事业性收费|收费金额"),
    ("processing_fee", r"信息处理费"),
    ("proactive", r"主动公开(?!类|目录|指南|专栏|栏目|平台|工作)"
                  r"|(?:全年|共)(?:累计)?(?:主动)?(?:公开|公布|发布)(?:各类)?(?:政府)?信息"),
    ("share", r"占"),
    ("yoy", r"(?:同比|较上年度?|比上年度?|较去年|比去年|与上年相比|与去年相比|较\d{4}年度?)"
            r"[^，]{0,4}?(?:增加|增长|上升|减少|下降)了?"),
))
_APPLICATION = re.compile(r"申请")
_CHANNEL = re.compile(r"专栏|栏目|微博|微信|公众号|抖音|头条|客户端")
_CHANGE = re.compile(r"增加|增长|上升|减少|下降")
_COLUMN_KEYS = {"自然人": "natural", "商业企业": "commercial", "科研机构": "research",
                "社会公益组织": "public_interest", "法律服务机构": "legal_services"}
_T4_RESULT_KEYS = (("其他结果", "other"), ("维持", "upheld"), ("纠", "corrected"), ("审", "pending"),
                   ("结案", "pending"))
_ISSUED = "制发|印发|出台|制定|新增|新制作|发布"
_T2_COLUMN_KEYS = {  # per format version: the words of a 第二十条第（一）项 column
    "2021": ((_ISSUED, "issued"), ("废止|失效", "repealed"), ("现行有效", "in_force")),
    "2019": (("新公开", "published"), ("对外公开总数", "total_public"), (_ISSUED, "made")),
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
class Sentence:
    """What a sentence has named so far: the 表三 row, 表四 group, 表二 row and figure last stated."""

    params: ReportParams
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


def _t3(state: Sentence, name: str, mention: Mention) -> Target | None:
    """A 表三 figure; it becomes the row later columns (其中自然人N件) belong to, except a carry-in
    given in parentheses (收到N件（含上年结转M件）), which leaves the row as it was."""
    if mention.unit not in T3_UNITS:
        return None
    if not (name == "carry_in" and "含" in mention.prefix):
        state.row = name
    return table3_target(name)


def _new(state: Sentence, mention: Mention, cue: re.Match) -> Target | None:
    """收到/受理 is 新收 only when what is received is 申请 (not letters, consultations …)."""
    said = cue.group(0) == "新收" or _APPLICATION.search(mention.prefix[cue.start():])
    if said or re.match(r"(?:政府)?(?:信息公开|依申请公开)?申请", mention.suffix):
        return _t3(state, "new", mention)
    return None


def _column(state: Sentence, mention: Mention, cue: re.Match) -> Target | None:
    if state.row is None or mention.unit not in T3_UNITS:
        return None
    return table3_target(state.row, _COLUMN_KEYS.get(cue.group(0), ORGANISATIONS))


def _t4_group(state: Sentence, mention: Mention, cue: re.Match) -> Target | None:
    word = cue.group(0)
    if mention.unit not in T4_UNITS or re.search(r"各|均|分别", mention.prefix[cue.end():]):
        return None
    group = ("litigation_after_review" if "复议后" in word else
             "review_litigation" if "诉讼" in word and "复议" in word else
             "litigation_direct" if "直接" in word or "未经" in word else
             "review" if "复议" in word else "litigation")
    state.t4 = group
    return table4_target(group)


def _t4_result(state: Sentence, mention: Mention, cue: re.Match) -> Target | None:
    if state.t4 is None or mention.unit not in T4_UNITS:
        return None
    return table4_target(state.t4, next(key for part, key in _T4_RESULT_KEYS if part in cue.group(0)))


def _t2_document(state: Sentence, mention: Mention, cue: re.Match) -> Target | None:
    """规章 / 规范性文件 with a column word (制发, 废止, 现行有效 …); the row may come from earlier in the sentence."""
    if mention.unit not in DOC_UNITS or re.match(r"的?解读", mention.suffix):
        return None
    row_cue = _nearest(mention.prefix, {"t2_row"})
    if row_cue is not None:
        state.t2 = "regulations" if row_cue[1].group(0) == "规章" else "normative_documents"
    column_cue = _nearest(mention.prefix, {"t2_column"})
    if state.t2 is None or column_cue is None:
        return None
    columns = _T2_COLUMN_KEYS[spec_of(state.params).version]
    column = next((key for words, key in columns if re.fullmatch(words, column_cue[1].group(0))), None)
    return table2_target(state.params, state.t2, column, DOC_UNITS) if column else None


def _decision(state: Sentence, mention: Mention, cue: re.Match) -> Target | None:
    if mention.unit not in DECISION_UNITS:
        return None
    return table2_target(state.params, _DECISIONS[cue.group(0)], "decisions", DECISION_UNITS)


def _fee(state: Sentence, mention: Mention, cue: re.Match) -> Target | None:
    return table2_target(state.params, "fees", "amount", MONEY_UNITS) if mention.unit in MONEY_UNITS else None


def _processing_fee(state: Sentence, mention: Mention, cue: re.Match) -> Target | None:
    if mention.unit in MONEY_UNITS and "processing_fee" in type(state.params).model_fields:
        return processing_fee_target()
    return None


def _proactive(state: Sentence, mention: Mention, cue: re.Match) -> Target | None:
    """The 主动公开 total — not a channel's or a column's count (专栏…), nor a part of it (其中…)."""
    counted = mention.unit == "条" or (mention.unit == "件" and "政府信息" in mention.prefix)
    if counted and not _CHANNEL.search(mention.prefix) and "其中" not in mention.prefix:
        return proactive_target()
    return None


def _row_reader(name: str) -> Callable[[Sentence, Mention, re.Match], Target | None]:
    """The reader of a figure named by one of 表三's rows."""
    def read(state: Sentence, mention: Mention, cue: re.Match) -> Target | None:
        return _t3(state, name, mention)

    return read


_READERS: dict[str, Callable[[Sentence, Mention, re.Match], Target | None]] = {
    **{name: _row_reader(name) for name in T3_ROWS},
    "new": _new,
    "column": _column,
    "t4": _t4_group,
    "t4_result": _t4_result,
    "t2_row": _t2_document,
    "t2_column": _t2_document,
    "decision": _decision,
    "fee": _fee,
    "processing_fee": _processing_fee,
    "proactive": _proactive,
}


def _category(sentence: str, mention: Mention, state: Sentence) -> Claim | None:
    """A 主动公开 category named before the number (the one named nearest it), counted in 条."""
    categories = state.params.overview.proactive.categories
    named = [(mention.prefix.rfind(c.name) + len(c.name), len(c.name), i)
             for i, c in enumerate(categories) if len(c.name) >= 2 and c.name in mention.prefix]
    if not named or mention.unit != "条":
        return None
    *_, i = max(named)
    cue = list(re.finditer(re.escape(categories[i].name), mention.prefix))[-1]
    return Claim("figure", category_target(i, categories[i].name), mention, _cue_text(sentence, mention, cue))


def _carried_out(sentence: str, mention: Mention, state: Sentence) -> Claim | None:
    """N件结转下年度继续办理; 另有N件顺延到下年度答复: named by the words after the number."""
    after = re.match(r"(?:结转|转入|转至|转到|顺延)[^，]{0,4}下一?年[^，。；]*", mention.suffix)
    target = _t3(state, "carry_out", mention) if after is not None else None
    if after is None or target is None:
        return None
    return Claim("figure", target, mention, sentence[mention.start - len(mention.prefix):mention.end] + after.group(0))


def _after_receiving(sentence: str, mention: Mention, state: Sentence) -> Claim | None:
    """收到群众来信N件和政府信息公开申请M件: 申请 named by the receive verb earlier in the sentence."""
    if not re.search(r"(?:政府信息公开|依申请公开)申请$", mention.prefix):
        return None
    before = _nearest(sentence[:mention.start - len(mention.prefix)], set(dict(_CUES)) - {"exclude"})
    target = _t3(state, "new", mention) if before is not None and before[0] == "new" else None
    return Claim("figure", target, mention, mention.prefix + mention.written) if target else None


def classify(sentence: str, mention: Mention, state: Sentence) -> Claim | None:
    """The claim a mention makes, or None when its words name nothing the tables hold."""
    if mention.unit == "%":
        return _percent_claim(sentence, mention, state)
    claim = _category(sentence, mention, state) or _carried_out(sentence, mention, state)
    if claim is not None:
        return claim
    found = _nearest(mention.prefix)
    if found is None:
        return _after_receiving(sentence, mention, state)
    name, cue = found
    if name == "yoy":
        return _yoy_claim(sentence, mention, state, cue)
    reader = _READERS.get(name)
    target = reader(state, mention, cue) if reader else None
    return Claim("figure", target, mention, _cue_text(sentence, mention, cue)) if target else None


def _percent_claim(sentence: str, mention: Mention, state: Sentence) -> Claim | None:
    found = _nearest(mention.prefix, {"share", "rate", "yoy"})
    if found is None:
        change = _CHANGE.search(mention.prefix)
        return _yoy_claim(sentence, mention, state, change) if state.yoy and change else None
    name, cue = found
    if name == "rate":
        return Claim("rate", table3_target("done"), mention, _cue_text(sentence, mention, cue))
    if name == "yoy":
        return _yoy_claim(sentence, mention, state, cue)
    if state.last is None:
        return None
    return Claim("share", state.last[0], mention, _cue_text(sentence, mention, cue), state.last)


def _yoy_claim(sentence: str, mention: Mention, state: Sentence, cue: re.Match) -> Claim | None:
    state.yoy = True
    if state.last is None:
        return None
    return Claim("yoy", state.last[0], mention, _cue_text(sentence, mention, cue), state.last)
