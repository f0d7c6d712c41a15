"""report.docx: the published page as a Word file in the layout of GB/T 9704-2012 (党政机关公文格式).

One source of truth: the file is built from the published page itself (report.html,
read back block by block by :mod:`kit.audit.htmltext`), so every sentence, label and merged
cell is the page's; charts are the same matplotlib figures as PNG. python-docx writes
it; raw WordprocessingML only where it has no API (the page-number field, the East
Asian font, repeated header rows, alt text).
The bytes depend on the inputs only: fixed zip entry times and order, and core
properties dated by the generation date.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_PARAGRAPH_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Length, Mm, Pt
from docx.table import _Cell, _Row
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

from kit.audit import htmltext
from kit.content import charts, render
from kit.content.report import Report

# GB/T 9704-2012: fonts as offices have them installed, sizes in points (2号 22 pt, 3号 16 pt, 4号 14 pt).
TITLE_FONT, HEADING_FONT, SUBHEADING_FONT, BODY_FONT, PAGE_NUMBER_FONT = (
    "方正小标宋简体", "黑体", "楷体_GB2312", "仿宋_GB2312", "宋体")
TITLE_SIZE, BODY_SIZE, PAGE_NUMBER_SIZE, TABLE_SIZE = Pt(22), Pt(16), Pt(14), Pt(10.5)
# A4; text block 156 × 225 mm from top 37 mm and left 28 mm; 22 lines of 28 characters.
PAGE = {"page_width": Mm(210), "page_height": Mm(297), "top_margin": Mm(37), "left_margin": Mm(28),
        "right_margin": Mm(210 - 28 - 156), "bottom_margin": Mm(297 - 37 - 225),
        "header_distance": Mm(15), "footer_distance": Mm(20)}
LINE_PITCH = Emu(Mm(225) // 22)  # the exact line spacing of 22 lines
INDENT = Length(BODY_SIZE * 2)  # 首行缩进两字
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
TABLE_LINE = Pt(13.5)
# Column widths (mm) filling the 156 mm text block: label columns wide enough for the format's labels.
COLUMN_WIDTHS = {"t2": [50.0] + [106 / 3] * 3, "t3": [15.0, 15.0, 50.0] + [76 / 7] * 7, "t4": [156 / 15] * 15}


def set_font(run: Run, name: str, size: Length) -> None:
    """A run's font for Latin and East Asian text alike (w:eastAsia), or Word shows Chinese in a Latin font."""
    run.font.name = name
    run.font.size = size
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    fonts.set(qn("w:hint"), "eastAsia")  # “ ” and … in the Chinese font, as Word does for Chinese text


def _paragraph(doc: DocumentObject, text: str, font: str = BODY_FONT, size: Length = BODY_SIZE, *,
               align: WD_PARAGRAPH_ALIGNMENT = WD_ALIGN_PARAGRAPH.JUSTIFY, indent: Length = INDENT,
               keep_with_next: bool = False, right_indent: Length | None = None) -> Paragraph:
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.alignment, fmt.first_line_indent, fmt.keep_with_next = align, indent, keep_with_next
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, LINE_PITCH
    if right_indent is not None:
        fmt.right_indent = right_indent
    if text:
        set_font(p.add_run(text), font, size)
    return p


def _layout(doc: DocumentObject) -> None:
    section = doc.sections[0]
    for attr, value in PAGE.items():
        setattr(section, attr, value)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = BODY_FONT, BODY_SIZE
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)  # odd pages: right, 空一字
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)  # even pages: left


def _field(paragraph: Paragraph, instruction: str, shown: str) -> None:
    """A field (PAGE …) as WordprocessingML: begin, instruction, separate, its last value, end."""
    def char(kind: str) -> None:
        run = paragraph.add_run()
        set_font(run, PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        run._element.append(el)

    char("begin")
    run = paragraph.add_run()
    set_font(run, PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._element.append(instr)
    char("separate")
    set_font(paragraph.add_run(shown), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    char("end")


def _page_number(paragraph: Paragraph, align: WD_PARAGRAPH_ALIGNMENT) -> None:
    """"— 1 —" in 4号宋体, one character in from the edge on its side."""
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        fmt.right_indent = PAGE_NUMBER_SIZE
    else:
        fmt.left_indent = PAGE_NUMBER_SIZE
    set_font(paragraph.add_run("— "), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    _field(paragraph, "PAGE", "1")
    set_font(paragraph.add_run(" —"), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)


def grid_positions(rows: list[list[htmltext.Cell]]) -> tuple[list[list[tuple[int, htmltext.Cell]]], int]:
    """Each cell's first grid column, as a browser lays out rowspan/colspan, and the grid's width."""
    taken: set[tuple[int, int]] = set()
    placed: list[list[tuple[int, htmltext.Cell]]] = []
    for r, row in enumerate(rows):
        col, out = 0, []
        for cell in row:
            while (r, col) in taken:
                col += 1
            out.append((col, cell))
            taken.update((r + dr, col + dc) for dr in range(cell.rowspan) for dc in range(cell.colspan))
            col += cell.colspan
        placed.append(out)
    return placed, 1 + max(c for _, c in taken)


def _off(tag: str) -> etree._Element:
    el = OxmlElement(tag)
    el.set(qn("w:val"), "0")
    return el


def _mark_row(row: _Row, *, header: bool) -> None:
    """A row never split across pages; a header row repeated on each page."""
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))


def _table(doc: DocumentObject, table: htmltext.Table) -> None:
    placed, width = grid_positions(table.rows)
    out = doc.add_table(rows=len(table.rows), cols=width)
    out.style = doc.styles["Table Grid"]
    out.alignment = WD_TABLE_ALIGNMENT.CENTER
    keep_whole = table.cls != "t3"  # 表二 and 表四 fit on a page: never split; 表三 breaks between rows
    # the unmerged grid's cells, taken once (table.cell() walks the whole table on every call); merges
    # never overlap, so a merge's corners are still in place when it is made
    grid = [[_Cell(tc, out) for tc in tr.tc_lst] for tr in out._tbl.tr_lst]
    for r, row in enumerate(placed):
        _mark_row(out.rows[r], header=r < table.head_rows)
        for col, cell in row:
            target = grid[r][col]
            if cell.rowspan > 1 or cell.colspan > 1:
                target = target.merge(grid[r + cell.rowspan - 1][col + cell.colspan - 1])
            p = target.paragraphs[0]
            fmt = p.paragraph_format
            left = cell.header and r >= table.head_rows and not (cell.colspan == 4 and table.cls == "t2")
            fmt.alignment = WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.CENTER
            set_font(p.add_run(cell.text), BODY_FONT, TABLE_SIZE)
    widths = COLUMN_WIDTHS.get(table.cls, [156 / width] * width)
    out.autofit = False
    for column, mm in zip(out.columns, widths, strict=True):
        column.width = Mm(mm)
    for r, tr in enumerate(out._tbl.tr_lst):  # every cell element, merged ones once
        col = 0
        for tc in tr.tc_lst:
            tc.width = Mm(sum(widths[col: col + tc.grid_span]))
            col += tc.grid_span
            for p in tc.p_lst:
                p_pr = p.get_or_add_pPr()
                p_pr.append(_off("w:snapToGrid"))  # table lines are not on the body's 22-line grid
                spacing = OxmlElement("w:spacing")
                for attr, value in (("w:before", "0"), ("w:after", "0"), ("w:line", str(round(TABLE_LINE.pt * 20))),
                                    ("w:lineRule", "exact")):
                    spacing.set(qn(attr), value)
                for old in p_pr.findall(qn("w:spacing")):
                    p_pr.remove(old)
                p_pr.append(spacing)
                if keep_whole and r < len(placed) - 1:
                    p_pr.append(OxmlElement("w:keepNext"))
                if not p.r_lst:
                    set_font(Paragraph(p, out).add_run(""), BODY_FONT, TABLE_SIZE)


def _picture(doc: DocumentObject, chart: charts.Chart, caption: str) -> None:
    p = _paragraph(doc, "", align=WD_ALIGN_PARAGRAPH.CENTER, indent=Pt(0), keep_with_next=True)
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    run = p.add_run()
    set_font(run, BODY_FONT, BODY_SIZE)
    run.add_picture(io.BytesIO(chart.png()), width=Mm(140))
    doc_pr = run._element.find(".//" + qn("wp:docPr"))
    if doc_pr is None:
        raise AssertionError("python-docx wrote a picture without wp:docPr")
    doc_pr.set("descr", chart.alt)  # the alt text, with the chart's figures
    doc_pr.set("title", chart.caption)
    _paragraph(doc, caption, SUBHEADING_FONT, Pt(14), align=WD_ALIGN_PARAGRAPH.CENTER, indent=Pt(0))


def page_html(report: Report) -> str:
    """The page's report fragments, in order: title and opening, every part, the 落款."""
    return (render.title_html(report) + "".join(render.part_html(report, key) for key in _part_keys(report))
            + render.signoff_html(report))


def _part_keys(report: Report) -> list[str]:
    return [p.key for p in report.parts if p.extra is None]


def build(report: Report, with_charts: bool = True, html: str | None = None) -> DocumentObject:
    """The python-docx Document of a report, from its published page (``html``; by default the page's
    fragments rendered again)."""
    doc = Document()
    _layout(doc)
    figures = [c for key in _part_keys(report) for c in charts.part_charts(report, key)]
    blocks = htmltext.blocks(page_html(report) if html is None else html)
    for i, block in enumerate(blocks):
        before_table = i + 1 < len(blocks) and blocks[i + 1].kind == "table"
        if block.kind == "h1":
            _paragraph(doc, block.text, TITLE_FONT, TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=Pt(0))
            _paragraph(doc, "")  # the blank line under the title
        elif block.kind == "h2":
            _paragraph(doc, block.text, HEADING_FONT, keep_with_next=True)
        elif block.kind == "h3":
            _paragraph(doc, block.text, SUBHEADING_FONT, keep_with_next=True)
        elif block.kind == "table" and block.table is not None:
            _table(doc, block.table)
        elif block.kind == "figure":
            chart = figures.pop(0) if figures else None  # the page's charts, in the order part_charts gives them
            if with_charts and chart is not None:
                _picture(doc, chart, block.text)
        elif block.cls == "signoff-name":
            _paragraph(doc, "")
            _paragraph(doc, block.text, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=Pt(0), right_indent=Length(INDENT * 2),
                       keep_with_next=True)
        elif block.cls == "signoff-date":
            _paragraph(doc, block.text, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=Pt(0), right_indent=Length(INDENT * 2))
        else:
            p = _paragraph(doc, block.text, keep_with_next=before_table)
            p.paragraph_format.keep_together = before_table
    return doc


def _core_properties(doc: DocumentObject, report: Report, generated_on: str) -> None:
    moment = datetime.combine(date.fromisoformat(generated_on), datetime.min.time(), UTC)
    props = doc.core_properties
    props.title = report.title
    props.author = props.last_modified_by = report.model.signoff.name or report.model.agency.name
    props.subject = props.keywords = props.comments = props.category = ""
    props.created = props.modified = props.last_printed = moment
    props.revision = 1


def deterministic_zip(data: bytes) -> bytes:
    """The same entries in a fixed order with a fixed time: the same document gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        names = src.namelist()
        order = ["[Content_Types].xml", *sorted(n for n in names if n != "[Content_Types].xml")]
        for name in order:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name))
    return out.getvalue()


def report_docx(report: Report, generated_on: str, with_charts: bool = True, html: str | None = None) -> bytes:
    """report.docx's bytes (from the published page ``html`` when given)."""
    doc = build(report, with_charts, html)
    _core_properties(doc, report, generated_on)
    buf = io.BytesIO()
    doc.save(buf)
    return deterministic_zip(buf.getvalue())
