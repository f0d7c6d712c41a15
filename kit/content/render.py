"""Stage 3c: HTML fragments of the report (Jinja2, autoescaped) and safe Markdown.

Free text from a parameter file goes through :func:`markdown` only: raw HTML is
escaped, and a link or an image prints as text (its words, then its address in
parentheses), so no markup or script from a parameter file reaches the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererProtocol
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup

from kit.content import charts, narrative, tables
from kit.paths import TEMPLATES_DIR
from kit.spec import formats
from kit.spec.formats import FormatSpec
from kit.spec.model import ProcessingFee

if TYPE_CHECKING:  # both import this module
    from kit.batch import Outcome
    from kit.content.report import Report


def _link_open(self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    env.setdefault("links", []).append((idx, tokens[idx].attrGet("href") or ""))
    return ""


def _link_close(self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    """A link prints as its text followed by its address in parentheses, as text (no <a>)."""
    start, href = env["links"].pop()
    text = "".join(t.content for t in tokens[start + 1:idx])
    return "" if text == href else f"（{escapeHtml(href)}）"


def _image(self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    """An image is not shown: its description and address print as text, like a link."""
    token = tokens[idx]
    return f"{escapeHtml(token.content)}（{escapeHtml(str(token.attrGet('src') or ''))}）"


@cache
def _markdown_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["autolink", "html_inline", "html_block", "reference"])
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("link_close", _link_close)
    md.add_render_rule("image", _image)
    return md


def markdown(text: str) -> Markup:
    """Analyst's free text (Markdown) → escaped HTML."""
    return Markup(_markdown_parser().render(text or ""))


@cache
def environment() -> Environment:
    """The Jinja2 environment of the fragments (autoescaped, the kit's filters), built once."""
    env = Environment(
        loader=FileSystemLoader([TEMPLATES_DIR / "fragments", TEMPLATES_DIR / "govreport"]),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )
    env.filters["markdown"] = markdown
    env.filters["cell"] = tables.format_value
    env.filters["chinese"] = narrative.chinese_number
    return env


def precompile() -> None:
    """Compile every fragment template and the Markdown parser now, not on first use (the fork
    server does this once, and every kernel forked from it starts with them ready)."""
    env = environment()
    for name in env.list_templates():
        if name.endswith(".j2"):
            env.get_template(name)
    _markdown_parser()


def render(template: str, **context: Any) -> str:
    """Render one fragment template with ``context``."""
    return environment().get_template(template).render(**context)


@dataclass(frozen=True)
class LabelCell:
    text: str
    rowspan: int = 1
    colspan: int = 1


def table3_label_cells(spec: FormatSpec) -> list[list[LabelCell]]:
    """The label cells of each 表三 data row, with the rowspans/colspans of the format.

    A group label (三、本年度办理结果, （三）不予公开 …) is printed once, on the first
    row of its group, spanning the group's rows; a leaf label spans the columns
    left of the three label columns.
    """
    out: list[list[LabelCell]] = []
    rows = spec.table3
    for i, row in enumerate(rows):
        cells = []
        for depth, label in enumerate(row.labels):
            prefix = row.labels[: depth + 1]
            if depth < len(row.labels) - 1:
                if i > 0 and rows[i - 1].labels[: depth + 1] == prefix:
                    continue  # printed on the group's first row
                span = sum(1 for r in rows if r.labels[: depth + 1] == prefix)
                cells.append(LabelCell(label, rowspan=span))
            else:
                cells.append(LabelCell(label, colspan=3 - depth))
        out.append(cells)
    return out


def table2_html(report: Report) -> str:
    values = {(r.row, r.column): r.value for r in report.table2.itertuples()}
    return render("table2.html.j2", spec=report.spec, values=values)


def table3_html(report: Report) -> str:
    frame = report.table3
    rows = [
        (labels, [frame.loc[row.key, c] for c in [*tables.COLUMN_KEYS, tables.TOTAL]])
        for row, labels in zip(report.spec.table3, table3_label_cells(report.spec), strict=True)
    ]
    return render("table3.html.j2", rows=rows, formats=formats)


def table4_html(report: Report) -> str:
    frame = report.table4
    values = [frame.loc[key, c] for key, _ in formats.TABLE4_GROUPS for c in [*tables.RESULT_KEYS, tables.TOTAL]]
    return render("table4.html.j2", values=values, formats=formats)


def title_html(report: Report) -> str:
    """The report's title and opening paragraph as HTML."""
    parts = report.parts
    return render("title.html.j2", title=report.title,
                  opening=narrative.opening(report.model, [p.title for p in parts], report.summed_from_units))


def signoff_html(report: Report) -> str:
    """The 落款 at the end: the name and the date, right-aligned."""
    name, date = narrative.signoff(report.model)
    return render("signoff.html.j2", name=name, date=date) + annex_html(report)


ANNEX_COLUMNS = (("received", "新收申请"), ("closed", "办结"), ("carried", "结转下年度"), ("review", "行政复议"),
                 ("litigation", "行政诉讼"), ("proactive", "主动公开"))


def annex_html(report: Report) -> str:
    """附表: each summed unit's main figures, with a total row equal to the report's figures."""
    rollup = report.model.rollup
    if rollup is None or not rollup.annex or not rollup.summed:
        return ""
    rows = [(u.name, [getattr(u, key) for key, _ in ANNEX_COLUMNS]) for u in rollup.summed]
    totals = [sum(values[i] for _, values in rows) for i in range(len(ANNEX_COLUMNS))]
    return render("annex.html.j2", columns=ANNEX_COLUMNS, rows=rows, totals=totals)


def part_html(report: Report, key: str) -> str:
    """One part (its heading, sentences, tables) followed by any extra part placed after it."""
    part = report.part(key)
    m = report.model
    ctx = {"part": part, "model": m, "sentence": "", "table": "", "fee": "",
           "charts": Markup("".join(c.html() for c in charts.part_charts(report, key)))}
    if key == "overview":
        ctx["figures"] = narrative.proactive(m, report.previous) + narrative.requests(m, report.table3,
                                                                                       report.last_table3)
    elif key == "proactive":
        ctx["sentence"] = narrative.proactive_table(m, report.table2, report.spec.version, report.last_table2)
        ctx["table"] = Markup(table2_html(report))
    elif key == "requests":
        ctx["sentence"] = narrative.outcomes(report.table3, report.last_table3)
        ctx["table"] = Markup(table3_html(report))
    elif key == "review":
        ctx["sentence"] = narrative.review(m, report.table4, report.last_table4)
        ctx["table"] = Markup(table4_html(report))
    elif key == "other" and isinstance(m, ProcessingFee):
        ctx["fee"] = narrative.processing_fee(m)
    html = render("part.html.j2", **ctx)
    for extra in report.extras_after(key):
        html += render("part.html.j2", part=extra, model=m, sentence="", table="", fee="", charts="")
    return html


def index_html(outcomes: Sequence[Outcome], status_pages: Sequence[str] = ()) -> str:
    """``output/index.html``: every agency-year of a batch, its status, problems and links."""
    counts = {key: sum(o.status == key for o in outcomes)
              for key in ("published", "unchanged", "failed", "invalid", "interrupted", "refused")}
    return render("index.html.j2", outcomes=outcomes, counts=counts, status_pages=list(status_pages))


def labelled_cells(report: Report) -> list[tuple[str, str]]:
    """Every data cell of 表二, 表三 and 表四 as printed, with its full Chinese label, in page order."""
    cells: list[tuple[str, str]] = []
    for row in report.table2.itertuples():
        block = next(b for b in report.spec.table2 if b.caption == row.caption)
        suffix = next(c.suffix for c in block.columns if c.key == row.column)
        cells.append((f"表二 › {row.caption} › {row.item} › {row.label}", tables.format_value(row.value, suffix)))
    column_labels = [label for _, label in formats.TABLE3_COLUMNS] + [formats.TOTAL_LABEL]
    for row3 in report.spec.table3:
        for key, label in zip([*tables.COLUMN_KEYS, tables.TOTAL], column_labels, strict=True):
            cells.append((f"表三 › {' › '.join(row3.labels)} › {label}",
                          tables.format_value(report.table3.loc[row3.key, key])))
    result_labels = [label for _, label in formats.TABLE4_RESULTS] + [formats.TOTAL_LABEL]
    for key, group in formats.TABLE4_GROUPS:
        path = group if key == "review" else f"{formats.TABLE4_LITIGATION} › {group}"
        for col, label in zip([*tables.RESULT_KEYS, tables.TOTAL], result_labels, strict=True):
            cells.append((f"表四 › {path} › {label}", tables.format_value(report.table4.loc[key, col])))
    return cells
