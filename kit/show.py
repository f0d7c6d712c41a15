"""What the master notebook displays: one HTML fragment per report section.

A :class:`Fragment` has an HTML representation (what the published page shows)
and a plain-text one (what a reviewer reading the raw notebook sees). For the analyst
the notebook also shows what the page does not: the validation list (:func:`validation`),
the frames behind the tables with the computed figures marked (:func:`figures`, outputs
tagged ``analyst-only``) and the page's preview (:func:`preview`, in a cell the export removes).
"""

from __future__ import annotations

import re
from html import escape, unescape

import pandas as pd

from kit import paths
from kit.content import render, tables
from kit.content.report import Report
from kit.exceptions import HasProblems
from kit.spec import formats


class Fragment:
    def __init__(self, html: str) -> None:
        self.html = html

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        text = re.sub(r"<(?:/p|/h\d|/tr|br)>", "\n", self.html.replace("\n", ""))
        text = re.sub(r"</t[dh]>", "\t", text)
        text = unescape(re.sub(r"<[^>]+>", "", text))
        return re.sub(r"\n\s*\n+", "\n", text).strip()


def title(report: Report) -> Fragment:
    """The report's title and opening paragraph."""
    return Fragment(render.title_html(report))


def part(report: Report, key: str) -> Fragment:
    """One mandated part (overview, proactive, requests, review, problems, other)
    and the agency's own parts placed after it."""
    return Fragment(render.part_html(report, key))


def signoff(report: Report) -> Fragment:
    """The 落款: the agency's (or office's) name and the publication date."""
    return Fragment(render.signoff_html(report))


# An output tag: shown in the notebook (to the analyst), removed from the published page.
ANALYST_ONLY = "analyst-only"
COMPUTED_MARK = "＊"
_TABLE_OF_PART = {"proactive": "table2", "requests": "table3", "review": "table4"}


class Validation:
    """The validation result as the notebook shows it: the lines ``kit validate`` prints, as a list."""

    def __init__(self, validated: HasProblems) -> None:
        self.problems = validated.problems
        self.lines = validated.lines()

    def _repr_html_(self) -> str:
        items = "".join(f'<li class="kit-{p.severity}">{escape(str(p))}</li>' for p in self.problems)
        return (f'<div class="kit-validation"><p>{escape(self.lines[-1])}</p>'
                + (f"<ul>{items}</ul>" if items else "") + "</div>")

    def __repr__(self) -> str:
        return "\n".join(self.lines)


def validation(report: Report) -> Validation:
    """The report's validation result: every warning (and acknowledged difference), as ``kit validate`` prints it."""
    return Validation(report.validated)


def marked_frame(report: Report, key: str) -> pd.DataFrame | None:
    """The frame behind a part's table with each figure the kit computes (never typed) marked ＊;
    None for a part without a table. Rows and columns are named by the printed labels."""
    table = _TABLE_OF_PART.get(key)
    if table is None:
        return None
    frame: pd.DataFrame = getattr(report, table)
    if table == "table2":
        return frame[["caption", "item", "label", "value"]]
    marked = frame.astype(object)
    marked[tables.TOTAL] = [f"{v}{COMPUTED_MARK}" for v in frame[tables.TOTAL]]
    if table == "table3":
        for row in report.spec.table3:
            if row.computed:
                marked.loc[row.key] = [f"{v}{COMPUTED_MARK}" for v in frame.loc[row.key]]
        marked.index = [" › ".join(row.labels) for row in report.spec.table3]
        marked.columns = [label for _, label in formats.TABLE3_COLUMNS] + [formats.TOTAL_LABEL]
    else:
        marked.index = [label for _, label in formats.TABLE4_GROUPS]
        marked.columns = [label for _, label in formats.TABLE4_RESULTS] + [formats.TOTAL_LABEL]
    return marked


class Figures:
    """A part's frame as the analyst sees it (HTML and text), with a note on the marks."""

    NOTE = f"{COMPUTED_MARK} 由 kit 计算的数字（参数文件中不填）；其余数字取自参数文件。此表只在笔记本中显示，不发布。"

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def _repr_html_(self) -> str:
        return f'<div class="kit-figures">{self.frame.to_html()}<p>{escape(self.NOTE)}</p></div>'

    def __repr__(self) -> str:
        return f"{self.frame.to_string()}\n{self.NOTE}"


def figures(report: Report, key: str) -> None:
    """Display the frame behind the part's table (see :func:`marked_frame`), tagged so that the
    published page leaves it out; nothing for a part without a table."""
    frame = marked_frame(report, key)
    if frame is not None:
        from IPython.display import display

        display(Figures(frame), metadata={"tags": [ANALYST_ONLY]})


def page_body(report: Report) -> str:
    """The published page's ``<main>`` content: what the title, part and signoff cells display, in order."""
    parts = [render.part_html(report, key) for key, _ in formats.SECTION_TITLES]
    return "".join([render.title_html(report), *parts, render.signoff_html(report)])


class Preview:
    """The page ``kit run`` publishes, inline (an ``<iframe srcdoc>``: its style sheet stays inside),
    with the command that publishes it."""

    def __init__(self, report: Report) -> None:
        self.body = page_body(report)
        self.command = f".venv/bin/kit run {report.validated.file}"

    def document(self) -> str:
        css = (paths.TEMPLATES_DIR / "govreport" / "report.css").read_text(encoding="utf-8")
        return (f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n<style>\n{css}\n</style>\n'
                f'</head>\n<body>\n<main class="report">{self.body}\n</main>\n</body>\n</html>\n')

    def _repr_html_(self) -> str:
        return (f'<div class="kit-preview"><p>{escape(self.note())}</p>'
                f'<iframe title="发布页面预览" style="width:100%;height:80vh;border:1px solid #999" '
                f'srcdoc="{escape(self.document(), quote=True)}"></iframe></div>')

    def note(self) -> str:
        return f"预览：kit 将发布的页面（report.html），不含在页面中。发布命令（在项目根目录）：{self.command}"

    def __repr__(self) -> str:
        return f"{self.note()}\n\n{Fragment(self.body)!r}"


def preview(report: Report) -> Preview:
    """The last cell: the published page previewed, and the command that publishes it."""
    return Preview(report)
