"""The Excel workbook: the official tables as analysts keep them, written and read with openpyxl.

:func:`write` lays a parameter file's data out as a workbook: 表二, 表三 and 表四 exactly like the
official form (its labels and merged header cells), 基本信息 (the agency, the compiling office,
the 落款, 主动公开), 正文 (one cell per narrative part) and 校验 (R1–R4 per column, as formulas).
Input cells are unlocked and validated by Excel itself; totals are formulas, locked and shaded, in
protected sheets (no password).

:class:`WorkbookReader` reads it back into the plain data the YAML reader returns, every field's
place being its cell ("表三!D12"). Cells are found by their labels: a workbook whose labels moved
or changed, whose sheets were renamed, or whose total formulas were overwritten is refused with a
message naming the cell.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from kit.exceptions import ParamsError
from kit.read.base import Loaded
from kit.spec import formats
from kit.spec.formats import FormatSpec
from kit.spec.model import MAX_FIGURE, field_at, label_for, schema_for

if TYPE_CHECKING:  # openpyxl itself is imported when a workbook is written or read, not with the kit
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell, MergedCell
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.worksheet import Worksheet

Loc = tuple[str | int, ...]

TABLE2, TABLE3, TABLE4 = "表二", "表三", "表四"
INFO, TEXT, CHECKS = "基本信息", "正文", "校验"
SHEETS = (INFO, TABLE2, TABLE3, TABLE4, TEXT, CHECKS)

SHADE = "D9D9D9"  # locked, computed cells
TEXT_FORMAT = "@"

# 基本信息: one row per field, its schema label in A and its value in B.
INFO_FIELDS: tuple[Loc, ...] = (
    ("agency", "name"), ("agency", "id"), ("agency", "kind"), ("agency", "self_name"), ("year",),
    ("contact", "office"), ("contact", "address"), ("contact", "postcode"), ("contact", "phone"),
    ("contact", "email"), ("contact", "website"), ("signoff", "name"), ("signoff", "date"),
    ("overview", "proactive", "channel"), ("overview", "proactive", "total"),
)
FEE: Loc = ("processing_fee",)
# Who a unit reports to and, for a government, how its report is summed: rows after the categories.
PARENT: Loc = ("agency", "parent")
ROLLUP: Loc = ("rollup",)
ROLLUP_FIELDS: tuple[Loc, ...] = tuple(("rollup", k) for k in ("units", "include_own", "annex", "annex_order",
                                                                  "publish_without"))
ROLLUP_LISTS = {("rollup", "units"), ("rollup", "publish_without")}
YES, NO = "是", "否"
NUMBER_FIELDS = {("year",), ("overview", "proactive", "total"), FEE}
CATEGORY = ("overview", "proactive", "categories")
OPENING = tuple(("opening", k) for k in ("basis", "parts", "period", "contact"))
SUBSECTION = ("overview", "subsections")
EXTRA, ACKNOWLEDGED = ("extra_sections",), ("acknowledged",)
SPARE_ROWS = 3  # empty rows offered under each list (categories, subsections, …)
PART_TITLES = tuple(f"{n}、{title}" for n, (_, title) in zip("一二三四五六", formats.SECTION_TITLES, strict=True))


@dataclass(frozen=True)
class At:
    """A cell of a sheet."""

    sheet: str
    row: int
    col: int

    @property
    def address(self) -> str:
        return f"{self.sheet}!{_col(self.col)}{self.row}"


@dataclass(frozen=True)
class Input(At):
    """A cell the analyst types: the field it fills and what it holds."""

    loc: Loc
    kind: str  # count | delta | money


@dataclass(frozen=True)
class Formula(At):
    """A computed cell (a total): locked, shaded, never typed."""

    formula: str
    label: str


@dataclass(frozen=True)
class Label(At):
    """A printed label of the form; ``to`` is its merged range's bottom-right cell (row, col)."""

    text: str
    to: tuple[int, int] | None = None


@dataclass
class Layout:
    """Where everything of the three tables is: the same for writing and for reading."""

    spec: FormatSpec
    labels: list[Label] = field(default_factory=list)
    inputs: list[Input] = field(default_factory=list)
    formulas: list[Formula] = field(default_factory=list)
    merged_inputs: dict[tuple[str, int, int], int] = field(default_factory=dict)  # 表二's last columns

    def label(self, sheet: str, row: int, col: int, text: str, to: tuple[int, int] | None = None) -> None:
        self.labels.append(Label(sheet, row, col, text, to))


def _col(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def _table2(lay: Layout) -> None:
    width = 1 + max(len(b.columns) for b in lay.spec.table2)
    row = 1
    for block in lay.spec.table2:
        lay.label(TABLE2, row, 1, block.caption, (row, width))
        lay.label(TABLE2, row + 1, 1, "信息内容")
        last = 1 + len(block.columns)  # the last column spans to the table's width, as in the form
        for i, column in enumerate(block.columns):
            lay.label(TABLE2, row + 1, 2 + i, column.label, (row + 1, width) if 2 + i == last < width else None)
        for r, (key, text) in enumerate(block.rows, start=row + 2):
            lay.label(TABLE2, r, 1, text)
            for i, column in enumerate(block.columns):
                lay.inputs.append(Input(TABLE2, r, 2 + i, ("table2", key, column.key), column.kind))
            if last < width:
                lay.merged_inputs[(TABLE2, r, last)] = width
        row += 2 + len(block.rows)


T3_FIRST = 4  # the first data row of 表三, under three header rows
T3_VALUES = 4  # column D: 自然人
T3_TOTAL = T3_VALUES + len(formats.TABLE3_COLUMNS)  # column J: 总计


def _table3(lay: Layout) -> None:
    rows = lay.spec.table3
    last = T3_TOTAL
    lay.label(TABLE3, 1, 1, formats.TABLE3_CORNER, (3, 3))
    lay.label(TABLE3, 1, T3_VALUES, formats.TABLE3_TOP, (1, last))
    lay.label(TABLE3, 2, T3_VALUES, formats.TABLE3_COLUMNS[0][1], (3, T3_VALUES))
    lay.label(TABLE3, 2, T3_VALUES + 1, formats.TABLE3_ORG_GROUP, (2, last - 1))
    lay.label(TABLE3, 2, last, formats.TOTAL_LABEL, (3, last))
    for i, (_, text) in enumerate(formats.TABLE3_COLUMNS[1:], start=T3_VALUES + 1):
        lay.label(TABLE3, 3, i, text)
    outcome_rows = [T3_FIRST + i for i, r in enumerate(rows) if r.path[0] == "outcomes" and not r.computed]
    for i, r in enumerate(rows):
        n = T3_FIRST + i
        first = next(j for j, other in enumerate(rows) if other.labels[0] == r.labels[0])
        if len(r.labels) == 1:
            lay.label(TABLE3, n, 1, r.labels[0], (n, 3))
        elif i == first:
            span = sum(1 for other in rows if other.labels[0] == r.labels[0])
            lay.label(TABLE3, n, 1, r.labels[0], (n + span - 1, 1))
        if len(r.labels) == 2:
            lay.label(TABLE3, n, 2, r.labels[1], (n, 3))
        elif len(r.labels) == 3:
            group = [j for j, other in enumerate(rows) if other.labels[:2] == r.labels[:2]]
            if i == group[0]:
                lay.label(TABLE3, n, 2, r.labels[1], (T3_FIRST + group[-1], 2))
            lay.label(TABLE3, n, 3, r.labels[2])
        for c, (key, text) in enumerate(formats.TABLE3_COLUMNS, start=T3_VALUES):
            if r.computed:
                cells = "+".join(f"{_col(c)}{k}" for k in outcome_rows)
                lay.formulas.append(Formula(TABLE3, n, c, f"={cells}", _t3_label(r, text)))
            else:
                lay.inputs.append(Input(TABLE3, n, c, ("table3", *r.path, key), "count"))
        lay.formulas.append(Formula(TABLE3, n, last, f"=SUM({_col(T3_VALUES)}{n}:{_col(last - 1)}{n})",
                                    _t3_label(r, formats.TOTAL_LABEL)))


def _t3_label(row: formats.Row3, column: str) -> str:
    return " › ".join((TABLE3, *row.labels, column))


def _table4(lay: Layout) -> None:
    width = len(formats.TABLE4_RESULTS) + 1
    lay.label(TABLE4, 1, 1, formats.TABLE4_GROUPS[0][1], (1, width))
    lay.label(TABLE4, 1, width + 1, formats.TABLE4_LITIGATION, (1, 3 * width))
    for g, (key, group) in enumerate(formats.TABLE4_GROUPS):
        start = 1 + g * width
        heads = [*(text for _, text in formats.TABLE4_RESULTS), formats.TOTAL_LABEL]
        if g == 0:
            for i, text in enumerate(heads):
                lay.label(TABLE4, 2, start + i, text, (3, start + i))
        else:
            lay.label(TABLE4, 2, start, group, (2, start + width - 1))
            for i, text in enumerate(heads):
                lay.label(TABLE4, 3, start + i, text)
        for i, (result, _) in enumerate(formats.TABLE4_RESULTS):
            lay.inputs.append(Input(TABLE4, 4, start + i, ("table4", key, result), "count"))
        total = start + width - 1
        name = " › ".join((TABLE4, *([formats.TABLE4_LITIGATION] if g else []), group, formats.TOTAL_LABEL))
        lay.formulas.append(Formula(TABLE4, 4, total, f"=SUM({_col(start)}4:{_col(total - 1)}4)", name))


def layout(spec: FormatSpec) -> Layout:
    """The three tables of ``spec`` as cells."""
    lay = Layout(spec)
    _table2(lay)
    _table3(lay)
    _table4(lay)
    return lay


# ---------------------------------------------------------------------------------------- writing


def _get(data: dict[str, Any], loc: Loc, default: Any = None) -> Any:
    value: Any = data
    for part in loc:
        listed = isinstance(value, list) and isinstance(part, int) and part < len(value)
        if listed or (isinstance(value, dict) and part in value):
            value = value[part]
        else:
            return default
    return value


def _cell_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _validation(kind: str, cell: str = "") -> DataValidation:
    from openpyxl.worksheet.datavalidation import DataValidation
    if kind == "count":
        dv = DataValidation(type="whole", operator="between", formula1="0", formula2=str(MAX_FIGURE))
        dv.error = "请填写不小于 0 的整数（没有发生的填 0）"
    elif kind == "delta":
        dv = DataValidation(type="whole", operator="between", formula1=str(-MAX_FIGURE), formula2=str(MAX_FIGURE))
        dv.error = "请填写整数（减少时为负数）"
    else:  # money: at most two decimals, a rule of its own cell
        dv = DataValidation(type="custom", formula1=f"AND(ISNUMBER({cell}),{cell}>=0,ROUND({cell},2)={cell})")
        dv.error = "请填写不小于 0 的金额（单位：万元），至多两位小数"
    dv.errorTitle = "数值不符合要求"
    dv.showErrorMessage = True
    return dv


def _open(cell: Cell | MergedCell, value: Any = None, text: bool = False) -> None:
    """An input cell: unlocked, its value written (text cells keep what is typed as text)."""
    from openpyxl.styles import Protection
    if value is not None and value != "":
        cell.value = _cell_value(value)
    cell.protection = Protection(locked=False)
    if text:
        cell.number_format = TEXT_FORMAT
        cell.alignment = _style().wrap


@dataclass(frozen=True)
class _Style:
    head: Any
    wrap: Any
    center: Any
    shade: Any


def _style() -> _Style:
    from openpyxl.styles import Alignment, Font, PatternFill

    return _Style(Font(bold=True), Alignment(wrap_text=True, vertical="center"),
                  Alignment(horizontal="center", vertical="center", wrap_text=True),
                  PatternFill("solid", fgColor=SHADE))


def _write_tables(wb: Workbook, lay: Layout, data: dict[str, Any]) -> None:
    style = _style()
    validations: dict[tuple[str, str], DataValidation] = {}
    for lab in lay.labels:
        ws = wb[lab.sheet]
        cell = ws.cell(lab.row, lab.col, lab.text)
        cell.alignment = style.center if lab.sheet != TABLE3 or lab.row <= 3 else style.wrap
        cell.font = style.head
        if lab.to is not None and lab.to != (lab.row, lab.col):
            ws.merge_cells(start_row=lab.row, start_column=lab.col, end_row=lab.to[0], end_column=lab.to[1])
    for inp in lay.inputs:
        ws = wb[inp.sheet]
        _open(ws.cell(inp.row, inp.col), _get(data, inp.loc, 0) or 0)
        key = (inp.sheet, inp.kind if inp.kind != "money" else inp.address)
        dv = validations.get(key)
        if dv is None:
            dv = validations[key] = _validation(inp.kind, inp.address.split("!")[1])
            ws.add_data_validation(dv)
        dv.add(ws.cell(inp.row, inp.col))
        end = lay.merged_inputs.get((inp.sheet, inp.row, inp.col))
        if end is not None:
            ws.merge_cells(start_row=inp.row, start_column=inp.col, end_row=inp.row, end_column=end)
    for f in lay.formulas:
        cell = wb[f.sheet].cell(f.row, f.col, f.formula)
        cell.fill, cell.font = style.shade, style.head
    widths = {TABLE2: {"A": 24, "B": 18, "C": 18, "D": 18}, TABLE3: {"A": 10, "B": 16, "C": 40},
              TABLE4: {}}
    for sheet, cols in widths.items():
        for letter, width in cols.items():
            wb[sheet].column_dimensions[letter].width = width


def _info_label(model: type[BaseModel], loc: Loc) -> str:
    return label_for(model, loc)


def _default(model: type[BaseModel], loc: Loc) -> Any:
    parent = field_at(model, loc[:-1])[1] if len(loc) > 1 else model
    info = parent.model_fields[str(loc[-1])] if parent is not None else None
    return None if info is None or info.default is PydanticUndefined else info.default


def _write_info(ws: Worksheet, spec: FormatSpec, data: dict[str, Any]) -> None:
    model = schema_for(spec.version)
    ws.append(["项目", "内容", "条数"])
    ws.append(["报告格式版本", spec.version])
    for loc in (*INFO_FIELDS, *((FEE,) if FEE[0] in model.model_fields else ())):
        ws.append([_info_label(model, loc)])
        _open(ws.cell(ws.max_row, 2), _get(data, loc, _default(model, loc)), text=loc not in NUMBER_FIELDS)
    from openpyxl.worksheet.datavalidation import DataValidation

    kinds = DataValidation(type="list", formula1='"department,government"', allow_blank=False)
    ws.add_data_validation(kinds)
    kinds.add(f"B{3 + INFO_FIELDS.index(('agency', 'kind'))}")
    label = _info_label(model, CATEGORY)
    counts = _validation("count")
    ws.add_data_validation(counts)
    for item in [*(_get(data, CATEGORY) or []), *([{}] * SPARE_ROWS)]:
        ws.append([label])
        _open(ws.cell(ws.max_row, 2), item.get("name"), text=True)
        _open(ws.cell(ws.max_row, 3), item.get("count"))
        counts.add(ws.cell(ws.max_row, 3))
    _write_tree(ws, model, data)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 50, 50
    for cell in ws[1]:
        cell.font = _style().head


def _write_tree(ws: Worksheet, model: type[BaseModel], data: dict[str, Any]) -> None:
    """The unit's parent, and whether (and how) a government's report is summed from its units."""
    from openpyxl.worksheet.datavalidation import DataValidation

    ws.append([_info_label(model, PARENT)])
    _open(ws.cell(ws.max_row, 2), _get(data, PARENT), text=True)
    rollup = _get(data, ROLLUP)
    yes_no = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True)
    ws.add_data_validation(yes_no)
    ws.append([_info_label(model, ROLLUP)])
    _open(ws.cell(ws.max_row, 2), YES if rollup is not None else NO, text=True)
    yes_no.add(ws.cell(ws.max_row, 2))
    for loc in ROLLUP_FIELDS:
        value = _get(data, loc, _default(model, loc)) if rollup is not None else None
        if isinstance(value, bool):
            yes_no.add(ws.cell(ws.max_row + 1, 2))
            value = YES if value else NO
        elif loc in ROLLUP_LISTS:
            value = "、".join(value or [])
        ws.append([_info_label(model, loc)])
        _open(ws.cell(ws.max_row, 2), value, text=True)


def _read_tree(book: _Book, model: type[BaseModel], data: dict[str, Any], places: dict[tuple, str]) -> None:
    """The rows of :func:`_write_tree`: a parent when one is typed, the roll-up when it says 是."""
    fields = {_info_label(model, loc): loc for loc in (PARENT, ROLLUP, *ROLLUP_FIELDS)}
    values: dict[Loc, Any] = {}
    for n, label, rest in _labelled_rows(book.wb[INFO]):
        if label in fields:
            values[fields[label]] = _text(rest[0] if rest else None)
            places[fields[label]] = f"{INFO}!B{n}"
    if values.get(PARENT):
        _put(data, PARENT, values[PARENT].strip())
    if (values.get(ROLLUP) or "").strip() != YES:
        return
    rollup: dict[str, Any] = {}
    for loc in ROLLUP_FIELDS:
        text = (values.get(loc) or "").strip()
        if loc in ROLLUP_LISTS:
            ids = [part.strip() for part in re.split(r"[、，,；;\s]+", text) if part.strip()]
            if ids or loc != ("rollup", "units"):  # no units named: every unit whose parent it is
                rollup[str(loc[1])] = ids
        elif text:
            rollup[str(loc[1])] = {YES: True, NO: False}.get(text, text)  # anything else: validation names it
    _put(data, ROLLUP, rollup)


def _write_text(ws: Worksheet, spec: FormatSpec, data: dict[str, Any]) -> None:
    model = schema_for(spec.version)
    ws.append(["部分", "标题", "正文", "放在哪一部分之后"])

    def row(label: str, title: Any = None, text: Any = None, after: str | None = None) -> None:
        ws.append([label])
        n = ws.max_row
        ws.cell(n, 1).alignment = _style().wrap
        if title is not None:
            _open(ws.cell(n, 2), title, text=True)
        _open(ws.cell(n, 3), text or "", text=True)
        if after is not None:
            _open(ws.cell(n, 4), after, text=True)
            parts.add(ws.cell(n, 4))

    from openpyxl.worksheet.datavalidation import DataValidation

    parts = DataValidation(type="list", formula1='"' + ",".join(PART_TITLES) + '"')
    ws.add_data_validation(parts)
    for loc in OPENING:
        row(label_for(model, loc), text=_get(data, loc))
    row(label_for(model, ("overview", "intro")), text=_get(data, ("overview", "intro")))
    for item in [*(_get(data, SUBSECTION) or []), *([{}] * SPARE_ROWS)]:
        row(label_for(model, SUBSECTION), item.get("title", ""), item.get("text"))
    for key in ("problems", "other"):
        row(label_for(model, (key,)), text=data.get(key))
    keys = [k for k, _ in formats.SECTION_TITLES]
    for item in [*(_get(data, EXTRA) or []), *([{}] * SPARE_ROWS)]:
        after = PART_TITLES[keys.index(item["after"])] if item.get("after") in keys else ""
        row(label_for(model, EXTRA), item.get("title", ""), item.get("text"), after)
    for item in [*(_get(data, ACKNOWLEDGED) or []), {}]:
        row(label_for(model, ACKNOWLEDGED), item.get("fingerprint", ""), item.get("reason"))
    for letter, width in (("A", 36), ("B", 24), ("C", 100), ("D", 24)):
        ws.column_dimensions[letter].width = width
    for cell in ws[1]:
        cell.font = _style().head


def _write_checks(ws: Worksheet, lay: Layout) -> None:
    """R1–R4 per column, as formulas over the tables' cells: an imbalance shows while typing."""
    ws.append(["规则", "列", "左边", "右边", "结果"])
    rows = {r.path: T3_FIRST + i for i, r in enumerate(lay.spec.table3)}
    outcomes = [T3_FIRST + i for i, r in enumerate(lay.spec.table3) if r.path[0] == "outcomes" and not r.computed]
    total, carry_in, new, out = rows[("outcomes", "total")], rows[("carry_in",)], rows[("new",)], rows[("carry_out",)]
    columns = [*formats.TABLE3_COLUMNS, ("total", formats.TOTAL_LABEL)]

    def check(rule: str, name: str, left: str, right: str) -> None:
        n = ws.max_row + 1
        ws.append([rule, name, f"={left}", f"={right}", f'=IF(C{n}=D{n},"平衡","不平衡")'])

    for c, (_, name) in enumerate(columns, start=T3_VALUES):
        x = _col(c)
        check("R1 一+二=三（七）+四", f"表三 {name}", f"表三!{x}{new}+表三!{x}{carry_in}",
              f"表三!{x}{total}+表三!{x}{out}")
    for c, (_, name) in enumerate(columns, start=T3_VALUES):
        x = _col(c)
        check("R2 （七）总计=（一）至（六）之和", f"表三 {name}", f"表三!{x}{total}",
              "+".join(f"表三!{x}{k}" for k in outcomes))
    for n in (new, carry_in, total, out):
        label = lay.spec.table3[n - T3_FIRST].labels[-1]
        check("R3 总计=各申请人之和", f"表三 {label}", f"表三!{_col(T3_TOTAL)}{n}",
              f"SUM(表三!{_col(T3_VALUES)}{n}:{_col(T3_TOTAL - 1)}{n})")
    width = len(formats.TABLE4_RESULTS) + 1
    for g, (_, group) in enumerate(formats.TABLE4_GROUPS):
        start = 1 + g * width
        check("R4 总计=维持+纠正+其他+尚未审结", f"表四 {group}", f"表四!{_col(start + width - 1)}4",
              f"SUM(表四!{_col(start)}4:{_col(start + width - 2)}4)")
    for cell in ws[1]:
        cell.font = _style().head
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 34, 40


def build(data: dict[str, Any]) -> Workbook:
    """The workbook of one agency-year's data (a parameter file's plain data)."""
    from openpyxl import Workbook

    spec = formats.get(str(data["format"])) if data.get("format") else formats.for_year(int(data["year"]))
    wb = Workbook()
    for blank in list(wb.worksheets):
        wb.remove(blank)
    for name in SHEETS:
        wb.create_sheet(name)
    lay = layout(spec)
    _write_info(wb[INFO], spec, data)
    _write_tables(wb, lay, data)
    _write_text(wb[TEXT], spec, data)
    _write_checks(wb[CHECKS], lay)
    for name in SHEETS:
        wb[name].protection.sheet = True  # no password: a guard against typing over a total, not a lock
        wb[name].protection.formatColumns = False  # widening a column stays allowed
        wb[name].protection.formatRows = False
    return wb


def write(data: dict[str, Any], target: Path) -> Path:
    """Write the workbook of ``data`` to ``target``."""
    build(data).save(target)
    return target


# ---------------------------------------------------------------------------------------- reading


class _Book:
    """An opened workbook and the structural problems found in it."""

    def __init__(self, path: Path, file: str) -> None:
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        self.file = file
        try:
            self.wb = load_workbook(path, data_only=False)
        except (InvalidFileException, OSError, KeyError, ValueError) as exc:
            raise ParamsError(file, f"不是可读取的 Excel 工作簿（.xlsx）：{exc}") from None
        self.problems: list[str] = []
        missing = [name for name in SHEETS if name not in self.wb.sheetnames and name != CHECKS]
        if missing:
            names = "、".join(f"“{n}”" for n in missing)
            raise ParamsError(file, f"找不到工作表{names}（工作簿中的工作表：{'、'.join(self.wb.sheetnames)}）："
                                    "请不要重命名或删除工作表")

    def value(self, sheet: str, row: int, col: int) -> Any:
        return self.wb[sheet].cell(row, col).value

    def find(self, sheet: str, text: str) -> Iterator[str]:
        for line in self.wb[sheet].iter_rows():
            for cell in line:
                if isinstance(cell.value, str) and cell.value.strip() == text:
                    yield f"{sheet}!{cell.coordinate}"

    def expect_label(self, lab: Label, homes: set[str]) -> None:
        """The label at its place; else where it went (a cell not the home of the same label: 表二
        repeats 本年处理决定数量), or that it was changed. ``homes``: every label's own cell."""
        actual = self.value(lab.sheet, lab.row, lab.col)
        if isinstance(actual, str) and actual.strip() == lab.text:
            return
        where = lab.address
        elsewhere = [w for w in self.find(lab.sheet, lab.text) if w not in homes]
        shown = "空白" if actual in (None, "") else f"“{actual}”"
        if elsewhere:
            self.problems.append(f"{where} 应为“{lab.text}”，实际为{shown}；“{lab.text}”被移到了 {elsewhere[0]}"
                                 "（行或列被移动了）")
        else:
            self.problems.append(f"{where} 应为“{lab.text}”，实际为{shown}（标签被改动了）")

    def expect_formula(self, f: Formula) -> None:
        actual = self.value(f.sheet, f.row, f.col)
        if isinstance(actual, str) and actual.replace(" ", "").upper() == f.formula.upper():
            return
        if isinstance(actual, str) and actual.startswith("="):
            self.problems.append(f"{f.address}（{f.label}）的公式被改成了 {actual}，应为 {f.formula}")
        else:
            shown = "空白" if actual in (None, "") else str(actual)
            self.problems.append(f"{f.address}（{f.label}）应为公式 {f.formula}，被改成了 {shown}："
                                 "总计由公式计算，不要填写")


def _number(value: Any, kind: str) -> Any:
    """A cell's value as the schema expects it; anything else is passed on for validation to name."""
    if isinstance(value, str):
        stripped = value.strip()
        return stripped if stripped else None
    if isinstance(value, float) and kind != "money" and value.is_integer():
        return int(value)
    if isinstance(value, float) and kind == "money":
        return Decimal(repr(value))
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _put(data: dict[str, Any], loc: Loc, value: Any) -> None:
    node = data
    for part in loc[:-1]:
        node = node.setdefault(str(part), {})
    node[str(loc[-1])] = value


def _labelled_rows(ws: Worksheet) -> Iterator[tuple[int, str, list[Any]]]:
    for n, line in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if line and isinstance(line[0], str) and line[0].strip():
            yield n, line[0].strip(), list(line[1:])


def _read_info(book: _Book, spec: FormatSpec, data: dict[str, Any], places: dict[tuple, str]) -> None:
    model = schema_for(spec.version)
    fields = {_info_label(model, loc): loc for loc in (*INFO_FIELDS, *((FEE,) if FEE[0] in model.model_fields
                                                                         else ()))}
    seen: set[str] = set()
    categories: list[dict[str, Any]] = []
    category = _info_label(model, CATEGORY)
    for n, label, rest in _labelled_rows(book.wb[INFO]):
        value = rest[0] if rest else None
        if label in fields:
            loc = fields[label]
            seen.add(label)
            places[loc] = f"{INFO}!B{n}"
            read = _number(value, "number") if loc in NUMBER_FIELDS else _text(value) or ""
            if read is not None:  # an empty text cell is an empty text (no 主动公开渠道 sentence)
                _put(data, loc, read)
        elif label == category and (value not in (None, "") or (len(rest) > 1 and rest[1] not in (None, ""))):
            i = len(categories)
            places[(*CATEGORY, i)] = places[(*CATEGORY, i, "name")] = f"{INFO}!B{n}"
            places[(*CATEGORY, i, "count")] = f"{INFO}!C{n}"
            count = _number(rest[1], "count") if len(rest) > 1 else None
            categories.append({"name": _text(value) or "", "count": 0 if count is None else count})
    for label in fields:
        if label not in seen:
            book.problems.append(f"{INFO} 中找不到“{label}”这一行（标签被改动或删除了）")
    if categories:
        _put(data, CATEGORY, categories)


def _read_text(book: _Book, spec: FormatSpec, data: dict[str, Any], places: dict[tuple, str]) -> None:
    model = schema_for(spec.version)
    single = {label_for(model, loc): loc for loc in (*OPENING, ("overview", "intro"), ("problems",), ("other",))}
    lists = {label_for(model, loc): loc for loc in (SUBSECTION, EXTRA, ACKNOWLEDGED)}
    names = {SUBSECTION: ("title", "text"), EXTRA: ("title", "text"), ACKNOWLEDGED: ("fingerprint", "reason")}
    items: dict[Loc, list[dict[str, Any]]] = {loc: [] for loc in lists.values()}
    seen: set[str] = set()
    keys = [k for k, _ in formats.SECTION_TITLES]
    for n, label, rest in _labelled_rows(book.wb[TEXT]):
        rest = [*rest, None, None, None][:3]
        if label in single:
            seen.add(label)
            places[single[label]] = f"{TEXT}!C{n}"
            text = _text(rest[1])
            if text:
                _put(data, single[label], text)
        elif label in lists:
            seen.add(label)
            loc = lists[label]
            title, text = _text(rest[0]) or "", _text(rest[1]) or ""
            after = _text(rest[2]) or ""
            if not (title or text or (loc == EXTRA and after)):
                continue
            i = len(items[loc])
            a, b = names[loc]
            places[(*loc, i)] = places[(*loc, i, a)] = f"{TEXT}!B{n}"
            places[(*loc, i, b)] = f"{TEXT}!C{n}"
            item: dict[str, Any] = {a: title, b: text}
            if loc == EXTRA:
                places[(*loc, i, "after")] = f"{TEXT}!D{n}"
                item["after"] = keys[PART_TITLES.index(after)] if after in PART_TITLES else after
            items[loc].append(item)
    for label in [*single, *lists]:
        if label not in seen:
            book.problems.append(f"{TEXT} 中找不到“{label}”这一行（标签被改动或删除了）")
    for where, found in items.items():
        if found:
            _put(data, where, found)


def _spec_of(book: _Book) -> FormatSpec:
    """The format the workbook was made in: its 报告格式版本 row, else the year's."""
    for n, label, rest in _labelled_rows(book.wb[INFO]):
        if label == "报告格式版本" and rest and rest[0] is not None:
            try:
                return formats.get(str(rest[0]).strip())
            except formats.UnknownFormatError:
                raise ParamsError(book.file, f"{INFO}!B{n}：未知的报告格式版本“{rest[0]}”"
                                             f"（可用：{'、'.join(formats.versions())}）") from None
    raise ParamsError(book.file, f"{INFO} 中找不到“报告格式版本”这一行：请用 kit new --xlsx 生成的工作簿")


def read_workbook(path: Path | str, file: str | None = None) -> Loaded:
    """A workbook → the parameter file's plain data, every field's place its cell."""
    name = file or str(path)
    book = _Book(Path(path), name)
    spec = _spec_of(book)
    lay = layout(spec)
    data: dict[str, Any] = {"format": spec.version}
    places: dict[tuple, str] = {}
    homes = {lab.address for lab in lay.labels if book.value(lab.sheet, lab.row, lab.col) == lab.text}
    for lab in lay.labels:
        book.expect_label(lab, homes)
    for f in lay.formulas:
        book.expect_formula(f)
    _read_info(book, spec, data, places)
    _read_tree(book, schema_for(spec.version), data, places)
    _read_text(book, spec, data, places)
    if book.problems:
        raise ParamsError(name, "工作簿的格式被改动了，无法按标签找到格子：\n  " + "\n  ".join(book.problems)
                          + "\n请恢复原样，或用 kit new --xlsx 重新生成工作簿后再填写")
    for inp in lay.inputs:
        places[inp.loc] = inp.address
        value = _number(book.value(inp.sheet, inp.row, inp.col), inp.kind)
        if value is not None and value != 0:
            _put(data, inp.loc, value)
    return Loaded(file=name, data=data, lines=dict(places.items()))


@dataclass(frozen=True)
class WorkbookReader:
    """The official tables kept in Excel (written by ``kit new --xlsx``): every field's place is its cell."""

    name: str = "xlsx"
    suffixes: tuple[str, ...] = (".xlsx",)

    def read(self, path: Path, name: str) -> Loaded:
        return read_workbook(path, name)
