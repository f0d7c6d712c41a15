"""What the master notebook displays: one HTML fragment per report section.

A :class:`Fragment` has an HTML representation (what the published page shows)
and a plain-text one (what a reviewer reading the raw notebook sees).
"""

from __future__ import annotations

import re
from html import unescape

from kit.content import render
from kit.content.report import Report


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
