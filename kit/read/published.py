"""A published report read back (a saved web page or a Word file) into a parameter file's plain data.

The page and Word readers turn their file into one :data:`Document` — the paragraphs and tables in
reading order, each table a list of rows of cell texts — and :func:`from_document` does the rest
for both: the title gives the agency's name and the year; the tables are found by their printed
labels (wherever the site's template puts them) and each row's figures taken after its label; the
narrative is split at the 一、二、… headings and, in 一, at the （一）（二）… subheadings; the opening
paragraph gives the contact details.

What cannot be read with certainty is left out of the data and listed as a :class:`Problem`
(rule I1, a warning) naming the field, its Chinese label and why — never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from kit.exceptions import ParamsError, Problem
from kit.read.base import UNREAD, Loaded, Place
from kit.spec import formats
from kit.spec.formats import FormatSpec
from kit.spec.model import label_for, schema_for

Grid = list[list[str]]
Document = list[str | Grid]  # paragraphs (str) and tables (rows of cell texts), in reading order

NUMERALS = "一二三四五六七八九十"
TITLE = re.compile(r"^(?P<name>.+?)(?P<year>\d{4})年(?:度)?(?:政府信息公开工作)?年度报告$")
SUBHEADING = re.compile(r"^[（(](?P<n>[一二三四五六七八九十]+)[）)]\s*(?P<rest>.*)$", re.S)
_COLUMNS = (*(label for _, label in formats.TABLE3_COLUMNS), formats.TOTAL_LABEL)
_COLUMN_KEYS = (*(k for k, _ in formats.TABLE3_COLUMNS), "total")
_T4_KEYS = (*(k for k, _ in formats.TABLE4_RESULTS), "total")


def key(text: str) -> str:
    """A label or cell as compared: full-width folded (NFKC), no whitespace, 1、 written 1."""
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return re.sub(r"^(\d+)[、．]", r"\1.", folded)


def clean(text: str) -> str:
    """Narrative text as printed: &nbsp; and runs of spaces folded, no space between Chinese characters."""
    text = re.sub(r"[ \t\r\n\u00a0\u3000]+", " ", text).strip()
    return re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])", "", text)


class _Reading:
    """The state of one document being read: the data so far, the places, the unread fields."""

    def __init__(self, file: str, spec: FormatSpec) -> None:
        self.file, self.spec = file, spec
        self.model = schema_for(spec.version)
        self.data: dict[str, Any] = {}
        self.lines: dict[tuple, Place] = {}
        self.unread: list[Problem] = []

    def put(self, loc: tuple[str, ...], value: Any, place: str | None = None) -> None:
        node = self.data
        for part in loc[:-1]:
            node = node.setdefault(part, {})
        node[loc[-1]] = value
        if place:
            self.lines[loc] = place

    def miss(self, loc: tuple[str, ...], why: str, place: str | None = None) -> None:
        self.unread.append(Problem("I1", "warning", self.file, ".".join(loc), label_for(self.model, loc),
                                   f"{UNREAD}{why}", line=place))


def _number(text: str, kind: str) -> int | Decimal | None:
    """A cell's figure: whole numbers for counts (增/减 may be negative), up to any decimals for money."""
    t = key(text).replace(",", "")
    if kind == "money":
        t = re.sub(r"万元$", "", t)
        try:
            return Decimal(t) if re.fullmatch(r"\d+(?:\.\d+)?", t) else None
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            return None
    pattern = r"[-+]?\d+" if kind == "delta" else r"\d+"
    return int(t) if re.fullmatch(pattern, t) else None


def _plain(value: int | Decimal) -> int | float:
    """A figure as the YAML reader gives it: an int, or a float for money."""
    return value if isinstance(value, int) else float(value)


def _values(row: list[str], after: int, count: int) -> list[str] | None:
    """The ``count`` value cells after the label at ``after``; empty cells dropped when there are too many."""
    cells = row[after + 1:]
    if len(cells) != count:
        cells = [c for c in cells if key(c)]
    return cells if len(cells) == count else None


def _find_row(grid: Grid, label: str, start: int = 0) -> tuple[int, int] | None:
    """The (row, cell) of the first cell reading ``label`` at or after row ``start``."""
    want = key(label)
    for r in range(start, len(grid)):
        for c, cell in enumerate(grid[r]):
            if key(cell) == want:
                return r, c
    return None


def _grid_with(tables: list[Grid], *labels: str) -> tuple[int, Grid] | None:
    """The first table whose text holds every label."""
    for n, grid in enumerate(tables):
        text = "".join(key(c) for row in grid for c in row)
        if all(key(label) in text for label in labels):
            return n, grid
    return None


def _place(table: str, row: int) -> str:
    return f"{table}第{row + 1}行"


def _cells(reading: _Reading, prefix: tuple[str, ...], keys: tuple[str, ...], kinds: tuple[str, ...],
           cells: list[str] | None, place: str, count_of: str) -> int:
    """Put one row's figures under ``prefix``; each unreadable cell listed. The number of cells read."""
    if cells is None:
        for k in keys:
            reading.miss((*prefix, k), f"{place}的数字格不是 {count_of} 个，无法对应各列", place)
        return 0
    read = 0
    for k, kind, cell in zip(keys, kinds, cells, strict=True):
        value = _number(cell, kind)
        if value is None:
            shown = cell.strip() or "空白"
            reading.miss((*prefix, k), f"{place}该格为“{shown}”，不是数字", place)
            continue
        reading.put((*prefix, k), _plain(value), place)
        read += 1
    return read


def _table2(reading: _Reading, tables: list[Grid]) -> None:
    for block in reading.spec.table2:
        found = _grid_with(tables, block.caption)
        for row_key, label in block.rows:
            loc = ("table2", row_key)
            hit = None
            if found is not None:
                caption = _find_row(found[1], block.caption)
                hit = _find_row(found[1], label, caption[0] if caption else 0)
            if found is None or hit is None:
                for col in block.columns:
                    reading.miss((*loc, col.key), f"没有找到“{block.caption}”中“{label}”这一行")
                continue
            grid, (r, c) = found[1], hit
            keys = tuple(col.key for col in block.columns)
            kinds = tuple(col.kind for col in block.columns)
            _cells(reading, loc, keys, kinds, _values(grid[r], c, len(keys)), _place(f"表{found[0] + 1}", r),
                   str(len(keys)))


def _in_order(text: str, labels: tuple[str, ...]) -> bool:
    at = 0
    for label in labels:
        at = text.find(key(label), at)
        if at < 0:
            return False
        at += len(key(label))
    return True


def _table3(reading: _Reading, tables: list[Grid]) -> None:
    found = _grid_with(tables, reading.spec.table3[0].labels[-1])
    header = ""
    if found is not None:
        first = _find_row(found[1], reading.spec.table3[0].labels[-1])
        header = "".join(key(c) for row in found[1][:first[0] if first else 0] for c in row)
    ordered = found is not None and _in_order(header, _COLUMNS[1:-1]) and all(
        key(label) in header for label in (_COLUMNS[0], _COLUMNS[-1]))
    for row in reading.spec.table3:
        loc = ("table3", *row.path)
        hit = _find_row(found[1], row.labels[-1]) if found is not None and ordered else None
        if found is None or hit is None:
            why = ("表头的申请人列（自然人……总计）没有按格式的顺序排列" if found is not None and not ordered
                   else f"没有找到“{row.labels[-1]}”这一行")
            reading.miss(loc, why)
            continue
        r, c = hit
        _cells(reading, loc, _COLUMN_KEYS, ("count",) * len(_COLUMN_KEYS),
               _values(found[1][r], c, len(_COLUMN_KEYS)), _place(f"表{found[0] + 1}", r), str(len(_COLUMN_KEYS)))


def _table4(reading: _Reading, tables: list[Grid]) -> None:
    groups = tuple(k for k, _ in formats.TABLE4_GROUPS)
    found = _grid_with(tables, *(label for _, label in formats.TABLE4_GROUPS), formats.TABLE4_RESULTS[0][1])
    width = len(groups) * len(_T4_KEYS)
    rows = [] if found is None else [
        (r, cells) for r, row in enumerate(found[1])
        if (cells := [c for c in row if key(c)]) and len(cells) == width
        and all(_number(c, "count") is not None for c in cells)]
    header = "" if found is None else "".join(key(c) for row in found[1] for c in row)
    if found is None or len(rows) != 1 or not _in_order(header, tuple(lab for _, lab in formats.TABLE4_GROUPS)):
        why = (f"没有找到行政复议、行政诉讼情况表的数据行（应有 {width} 个数字格的一行）" if found is None or not rows
               else "行政复议、行政诉讼情况表的数据行不止一行或表头顺序与格式不同")
        for g in groups:
            reading.miss(("table4", g), why)
        return
    r, cells = rows[0]
    for i, g in enumerate(groups):
        part = cells[i * len(_T4_KEYS):(i + 1) * len(_T4_KEYS)]
        _cells(reading, ("table4", g), _T4_KEYS, ("count",) * len(_T4_KEYS), part,
               _place(f"表{found[0] + 1}", r), str(width))


# The opening paragraph's contact details, as reports write them.
_CONTACT = (
    ("office", re.compile(r"请与(.+?)联系")),
    ("address", re.compile(r"(?:联系)?地址[：:]\s*([^；;，,。）)]+)")),
    ("postcode", re.compile(r"邮(?:政)?编(?:码)?[：:]\s*(\d{6})(?!\d)")),
    ("phone", re.compile(r"(?:联系)?电话(?:/传真|、传真)?[：:]\s*([0-9][0-9\-－—、/ ]*[0-9])")),
    ("email", re.compile(r"(?:电子)?邮箱[：:]\s*([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")),
    ("website", re.compile(r"电子版可在(.+?)(?:查阅|下载|获取)")),
)


def _contact(reading: _Reading, opening: str) -> None:
    for name, pattern in _CONTACT:
        found = pattern.search(opening)
        if found:
            reading.put(("contact", name), found.group(1).strip(), "开头段落")


def _heading(paragraph: str, n: int) -> bool:
    """Is this paragraph part ``n``'s heading (一、总体情况 …)?"""
    text = key(paragraph)
    return text.startswith(f"{NUMERALS[n]}、") and len(text) <= 40


# A part's heading names it in words of its own on many sites: the words that tell which part it is.
PART_WORDS = (
    ("overview", ("总体情况",)),
    ("proactive", ("主动公开",)),
    ("requests", ("收到和处理", "依申请")),
    ("review", ("行政复议",)),
    ("problems", ("存在的主要问题", "问题及改进", "问题和改进")),
    ("other", ("其他需要报告",)),
)


def _part_key(title: str) -> str | None:
    """Which mandated part a heading's title (without 一、) names; None: an agency's own part."""
    return next((k for k, words in PART_WORDS if any(w in key(title) for w in words)), None)


def _split_parts(paragraphs: list[str]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The paragraphs before 一、 (title, opening) and each part's title and paragraphs, split at the
    headings 一、 二、 … in sequence."""
    starts: list[int] = []
    for i, p in enumerate(paragraphs):
        if len(starts) < len(NUMERALS) and _heading(p, len(starts)):
            starts.append(i)
    bounds = [*starts, len(paragraphs)]
    parts = [(re.sub(r"^[一二三四五六七八九十]+、", "", paragraphs[bounds[k]]).strip(),
              paragraphs[bounds[k] + 1:bounds[k + 1]]) for k in range(len(starts))]
    return paragraphs[:starts[0]] if starts else paragraphs, parts


DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
ANNEX = re.compile(r"^附(表|件)[\d一二三四五六七八九十]*[：:\s]")  # 附表：各单位政府信息公开主要数据


def _signoff(reading: _Reading, paragraphs: list[str], agency: str) -> list[str]:
    """The last part's paragraphs without the 落款 under it (a name, a date), which go to ``signoff``."""
    rest = list(paragraphs)
    if rest and (date := DATE.match(key(rest[-1]))):
        y, m, d = (int(g) for g in date.groups())
        reading.put(("signoff", "date"), f"{y:04d}-{m:02d}-{d:02d}", "落款")
        rest.pop()
    if rest and len(rest[-1]) <= 30 and not re.search(r"[。；;，,：:]", rest[-1]):
        if rest[-1] != agency:
            reading.put(("signoff", "name"), rest[-1], "落款")
        rest.pop()
    return rest


def _parts(reading: _Reading, parts: list[tuple[str, list[str]]]) -> dict[str, list[str]]:
    """Each mandated part's paragraphs by key; an agency's own parts into ``extra_sections``."""
    texts: dict[str, list[str]] = {}
    extras: list[dict[str, str]] = []
    after = None
    for title, paragraphs in parts:
        k = _part_key(title)
        if k is not None and k not in texts:
            texts[k], after = paragraphs, k
        elif after is not None:
            extras.append({"title": title, "after": after, "text": "\n\n".join(paragraphs)})
    if extras:
        reading.put(("extra_sections",), extras, "正文")
    for n, (k, title) in enumerate(formats.SECTION_TITLES):
        if k in {"overview", "problems", "other"} and k not in texts:
            reading.miss((k,), f"没有找到“{title}”这一部分的标题（如“{NUMERALS[n]}、{title}”）")
    return texts


def _subsections(paragraphs: list[str]) -> tuple[str, list[dict[str, str]]]:
    """Part 一: its introduction and its （一）（二）… subsections (title, text)."""
    intro: list[str] = []
    subs: list[dict[str, Any]] = []
    for p in paragraphs:
        found = SUBHEADING.match(p)
        if found:
            rest = found.group("rest")
            cut = re.search(r"[。：:]", rest)
            if cut and cut.start() <= 20:
                title, text = rest[:cut.start()], rest[cut.end():].strip()
            elif len(rest) <= 20:
                title, text = rest, ""
            else:
                title, text = "", rest
            if title:
                subs.append({"title": title.strip(), "text": [text] if text else []})
                continue
        (subs[-1]["text"] if subs else intro).append(p)
    return "\n\n".join(intro), [{"title": s["title"], "text": "\n\n".join(s["text"])} for s in subs]


def title_of(paragraphs: list[str]) -> tuple[int, str, int] | None:
    """(index, agency name, year) of the report's title paragraph."""
    for i, p in enumerate(paragraphs):
        found = TITLE.match(key(p))
        if found and "政府信息公开" in key(p):
            return i, found.group("name").removesuffix("关于"), int(found.group("year"))
    return None


_GOVERNMENT = re.compile(r"(人民政府|实验区|新区|[省市县区旗镇乡]|街道)$")
_DEPARTMENT = re.compile(r"(局|委员会|委|办公室|办|厅|中心|院|所|署|站|队)$")


def _kind(name: str) -> str | None:
    if _DEPARTMENT.search(name):
        return "department"
    return "government" if _GOVERNMENT.search(name) else None


NO_FEE = re.compile(r"^[^。]*(?:无|未|没有)(?:收取)?(?:任何)?(?:政府信息公开)?信息处理费[^。]*。?$")


def _fee(reading: _Reading, paragraphs: list[str]) -> None:
    """Part 六 of a 2021-format report: a paragraph saying no 信息处理费 was charged is ``processing_fee: 0``
    (the kit writes that sentence itself); any other mention of the fee is listed, the text kept."""
    kept = [p for p in paragraphs if not NO_FEE.match(p)]
    if len(kept) < len(paragraphs):
        reading.put(("processing_fee",), 0, "六、其他需要报告的事项")
    elif "信息处理费" in "".join(paragraphs):
        reading.miss(("processing_fee",), "六、其他需要报告的事项提到信息处理费，金额请核对后填写（正文照原文保留）")
    reading.put(("other",), "\n\n".join(kept), "六、其他需要报告的事项")


def from_document(doc: Document, file: str) -> Loaded:
    """A published report's paragraphs and tables → the parameter file's plain data."""
    paragraphs = [clean(p) for p in doc if isinstance(p, str) and clean(p)]
    tables = [[[c for c in row] for row in t] for t in doc if not isinstance(t, str)]
    titled = title_of(paragraphs)
    if titled is None:
        raise ParamsError(file, "没有找到报告标题（“××××年政府信息公开工作年度报告”），无法确定单位和年度")
    at, name, year = titled
    if not tables:
        raise ParamsError(file, "没有表格：这不像一份完整的政府信息公开工作年度报告（应有主动公开、依申请公开和"
                                "行政复议行政诉讼三张表）")
    spec = formats.for_year(year)
    reading = _Reading(file, spec)
    reading.put(("year",), year, "标题")
    reading.put(("agency", "name"), name, "标题")
    kind = _kind(name)
    if kind is None:
        reading.miss(("agency", "kind"), f"无法从单位名称“{name}”判断是政府还是部门，请填写 government 或 department")
    else:
        reading.put(("agency", "kind"), kind, "标题")
    _table2(reading, tables)
    _table3(reading, tables)
    _table4(reading, tables)
    body = paragraphs[at + 1:]
    annex = next((i for i, p in enumerate(body) if ANNEX.match(p)), len(body))  # after the 落款: not a part
    before, parts = _split_parts(body[:annex])
    if parts:
        parts[-1] = (parts[-1][0], _signoff(reading, parts[-1][1], name))
    _contact(reading, "".join(before))
    texts = _parts(reading, parts)
    if "overview" in texts:
        intro, subs = _subsections(texts["overview"])
        reading.put(("overview", "intro"), intro, "一、总体情况")
        if subs:
            reading.put(("overview", "subsections"), subs, "一、总体情况")
        reading.miss(("overview", "proactive", "total"), "正文里的条数未必是全年主动公开信息的总条数，请核对后填写")
    for k in ("problems",) if spec.version == "2021" else ("problems", "other"):
        if k in texts:
            reading.put((k,), "\n\n".join(texts[k]), dict(formats.SECTION_TITLES)[k])
    if spec.version == "2021":
        _fee(reading, texts.get("other", []))
    return Loaded(file=file, data=reading.data, lines=reading.lines, unread=reading.unread)


