"""Charts where a reader would rather look than read: matplotlib SVG inside the page.

Text stays text (``svg.fonttype: none``) so the reader's browser draws the Chinese
with its own fonts; ids are salted and the date left out, so the bytes are the same
on every run. Each chart is a ``<figure>`` with an alt text that carries its figures.
Matplotlib is imported on first use, through its object API (no pyplot, no backend
switching inside the kernel).
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

import pandas as pd

from kit.content import narrative, tables
from kit.spec.model import ReportParams

if TYPE_CHECKING:  # matplotlib is imported on first use; the report module imports this one
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

    from kit.content.report import Report

Draw = Callable[["Figure"], None]  # draws one chart into an empty figure

CJK_SANS = ["Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei",
            "Heiti SC", "DejaVu Sans"]
RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none", "svg.hashsalt": "kit-report", "font.family": "sans-serif", "font.sans-serif": CJK_SANS,
    "font.size": 10, "axes.spines.top": False, "axes.spines.right": False, "axes.unicode_minus": False,
}
INK, ACCENT, LIGHT = "#333333", "#8c1c13", "#c9a27e"


def _save(draw: Draw, fmt: str, **kwargs: Any) -> bytes:
    """Run ``draw(fig)`` under the kit's rc settings and return the figure saved as ``fmt``."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    with rc_context(RC), warnings.catch_warnings():
        # Glyph metrics may be missing where no CJK font is installed; the browser draws the text anyway.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
        warnings.filterwarnings("ignore", message=r"constrained_layout not applied")
        fig = Figure(layout="constrained")
        draw(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, **kwargs)
    return buf.getvalue()


@dataclass(frozen=True)
class Chart:
    """One chart: how to draw it, its text alternative (which carries its figures) and its caption."""

    draw: Draw
    alt: str
    caption: str

    def html(self) -> str:
        return _figure(_svg(self.draw), self.alt, self.caption)

    def png(self, dpi: int = 200) -> bytes:
        """The same figure as a PNG (for report.docx); no date or software stamp, the same bytes every run."""
        return _save(self.draw, "png", dpi=dpi, metadata={"Software": None})


def _html(chart: Chart | None) -> str:
    return "" if chart is None else chart.html()


def _svg(draw: Draw) -> str:
    """The figure as inline SVG markup."""
    svg = _save(draw, "svg", metadata={"Date": None}).decode()
    svg = svg[svg.index("<svg"):]  # drop the XML declaration and doctype: inline SVG
    # Inline SVG in HTML needs no namespace declarations, and the RDF metadata block only names
    # vocabularies by URL: neither belongs on a page that references no network address.
    svg = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", svg)
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    # matplotlib's one style rule (*{stroke-linejoin…}) would apply page-wide: the page's CSS scopes it instead.
    svg = re.sub(r"\s*<defs>\s*<style[^>]*>[^<]*</style>\s*</defs>", "", svg)
    return re.sub(r'<svg([^>]*?) width="[\d.]+pt" height="[\d.]+pt"', r'<svg\1 class="chart-svg"', svg, count=1)


def _figure(svg: str, alt: str, caption: str) -> str:
    return (f'<figure class="chart" role="img" aria-label="{escape(alt)}">{svg}'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def _short(label: str, limit: int = 14) -> str:
    """A category name short enough for an axis (the alt text keeps it whole)."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _literal(label: str) -> str:
    """A label matplotlib prints as written: ``$`` would start math text (``$\\frac$`` fails)."""
    return label.replace("$", r"\$")


def _barh(labels: list[str], values: list[int], unit: str, color: str = ACCENT) -> Draw:
    labels = [_literal(_short(label)) for label in labels]
    def draw(fig: Figure) -> None:
        fig.set_size_inches(6.4, 0.38 * len(labels) + 0.7)
        ax = fig.subplots()
        y = list(range(len(labels)))[::-1]
        ax.barh(y, values, color=color, height=0.6)
        ax.set_yticks(y, labels)
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(0, max(values) * 1.18)
        for yi, v in zip(y, values, strict=True):
            ax.text(v, yi, f" {v}{unit}", va="center", color=INK)
        ax.set_xticks([])
        ax.spines["bottom"].set_visible(False)

    return draw


def proactive_categories_chart(params: ReportParams) -> Chart | None:
    """主动公开 by category; None when no category has a figure."""
    cats = [c for c in params.overview.proactive.categories if c.count]
    if not cats:
        return None
    labels, values = [c.name for c in cats], [c.count for c in cats]
    alt = "主动公开信息类别：" + "，".join(f"{n}{v}条" for n, v in zip(labels, values, strict=True))
    return Chart(_barh(labels, values, "条"), alt, f"图：{params.year}年主动公开信息（按类别，共{sum(values)}条）")


def proactive_categories(params: ReportParams) -> str:
    return _html(proactive_categories_chart(params))


def outcome_mix_chart(t3: pd.DataFrame) -> Chart | None:
    """How handled requests ended (the sub-totals the table doesn't print); None when none."""
    counts = narrative.outcome_counts(t3)
    done = tables.count_at(t3, "outcomes.total", tables.TOTAL)
    if not done:
        return None
    pairs = [(label, counts[key]) for key, label in narrative.OUTCOME_GROUPS]
    alt = f"办理结果（共{done}件）：" + "，".join(f"{label}{v}件" for label, v in pairs)
    return Chart(_barh([p[0] for p in pairs], [p[1] for p in pairs], "件"), alt, f"图：本年度办理结果（共{done}件）")


def outcome_mix(t3: pd.DataFrame) -> str:
    return _html(outcome_mix_chart(t3))


def trend(years: list[int], series: dict[str, list[int]], caption: str) -> str:
    return _html(trend_chart(years, series, caption))


def trend_chart(years: list[int], series: dict[str, list[int]], caption: str) -> Chart | None:
    """Grouped bars of a few totals over the years known; None for a single year or all zeros."""
    if len(years) < 2 or not any(v for values in series.values() for v in values):
        return None

    def draw(fig: Figure) -> None:
        fig.set_size_inches(6.4, 2.6)
        ax = fig.subplots()
        width = 0.8 / len(years)
        names = list(series)
        for i, year in enumerate(years):
            xs = [j + (i - (len(years) - 1) / 2) * width for j in range(len(names))]
            values = [series[n][i] for n in names]
            ax.bar(xs, values, width=width * 0.92, color=[LIGHT, ACCENT][i % 2] if len(years) == 2 else None,
                   label=f"{year}年")
            for x, v in zip(xs, values, strict=True):
                ax.text(x, v, str(v), ha="center", va="bottom", color=INK, fontsize=9)
        ax.set_xticks(range(len(names)), names)
        ax.tick_params(axis="x", length=0)
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.set_ylim(0, max(max(v) for v in series.values()) * 1.2 or 1)
        ax.legend(frameon=False, ncols=len(years), loc="upper right")

    alt = caption + "：" + "；".join(
        f"{name}" + "，".join(f"{y}年{v}件" for y, v in zip(years, values, strict=True))
        for name, values in series.items())
    return Chart(draw, alt, caption)


def requests_trend(report: Report) -> str:
    return _html(requests_trend_chart(report))


def requests_trend_chart(report: Report) -> Chart | None:
    last = report.last_table3
    if report.previous is None or last is None:
        return None
    frames = [last, report.table3]
    return trend_chart([report.previous.year, report.model.year],
                 {"新收申请": [tables.count_at(f, "new", tables.TOTAL) for f in frames],
                  "办结": [tables.count_at(f, "outcomes.total", tables.TOTAL) for f in frames]},
                 "图：依申请公开与上年比较")


def review_trend(report: Report) -> str:
    return _html(review_trend_chart(report))


def review_trend_chart(report: Report) -> Chart | None:
    last = report.last_table4
    if report.previous is None or last is None:
        return None
    frames = [last, report.table4]
    suits = ["litigation_direct", "litigation_after_review"]
    return trend_chart([report.previous.year, report.model.year],
                 {"行政复议": [tables.count_at(f, "review", tables.TOTAL) for f in frames],
                  "行政诉讼": [int(f.loc[suits, tables.TOTAL].sum()) for f in frames]},
                 "图：行政复议、行政诉讼与上年比较")


def part_charts(report: Report, key: str) -> list[Chart]:
    """The charts of one part, in page order (the page and report.docx both use this list)."""
    found = {
        "proactive": lambda: [proactive_categories_chart(report.model)],
        "requests": lambda: [outcome_mix_chart(report.table3), requests_trend_chart(report)],
        "review": lambda: [review_trend_chart(report)],
    }.get(key, list)()
    return [c for c in found if c is not None]
