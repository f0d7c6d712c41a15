"""``kit diff A B``: what changed between two agency-years (typically last year and this year).

Every table figure that changed, with its Chinese label and both values; and, for
each narrative part, how similar this year's text is to last year's — assessments
deduct points for copying more than half of last year's report.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from kit.audit import record
from kit.content.render import labelled_cells
from kit.content.report import Report, load_report

SIMILARITY_LIMIT = 0.5


@dataclass
class PartSimilarity:
    title: str
    ratio: float

    @property
    def flagged(self) -> bool:
        return self.ratio > SIMILARITY_LIMIT


@dataclass
class Difference:
    """What ``kit diff`` prints: figures that changed by label, figures only one side has, each part's
    text similarity."""

    a: str
    b: str
    figures: list[tuple[str, str, str]] = field(default_factory=list)  # label, value in A, value in B
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)
    parts: list[PartSimilarity] = field(default_factory=list)


def load(path: Path | str) -> Report:
    """A parameter file, or a published report folder (its recorded parameters)."""
    path = Path(path)
    if path.is_dir() and record.load_run_json(path) is not None:
        nb = nbformat.read(path / record.NOTEBOOK_NAME, as_version=4)
        p = nb.metadata["papermill"]["parameters"]
        return load_report(p["params_file"], p["params"], p.get("previous"), p.get("previous_file"))
    return load_report(path)


def part_texts(report: Report) -> dict[str, str]:
    """The analyst's own text of each part, keyed by its title (numbers aside)."""
    m = report.model
    overview = "\n".join([m.overview.intro, *(f"{s.title}\n{s.text}" for s in m.overview.subsections)])
    texts = {"总体情况": overview, "存在的主要问题及改进情况": m.problems, "其他需要报告的事项": m.other}
    texts.update({e.title: e.text for e in m.extra_sections})
    return texts


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() if a and b else 0.0


def diff(a: Path | str, b: Path | str) -> Difference:
    """What changed from agency-year ``a`` to ``b`` (parameter files or published report folders): figures and text
    similarity."""
    return compare(load(a), load(b), str(a), str(b))


def compare(ra: Report, rb: Report, a: str, b: str) -> Difference:
    """What changed from report ``ra`` (named ``a``) to ``rb``: figures by label, text similarity per part."""
    result = Difference(a, b)
    cells_a, cells_b = dict(labelled_cells(ra)), dict(labelled_cells(rb))
    for label, value in cells_b.items():
        if label not in cells_a:
            result.only_b.append(label)
        elif cells_a[label] != value:
            result.figures.append((label, cells_a[label], value))
    result.only_a = [label for label in cells_a if label not in cells_b]
    texts_a, texts_b = part_texts(ra), part_texts(rb)
    result.parts = [PartSimilarity(title, similarity(texts_a[title], text))
                    for title, text in texts_b.items() if title in texts_a]
    return result
