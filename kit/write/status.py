"""The office's status page: where every unit of a rolled-up government stands (issue 15 §3).

``output/<government>/<year>/status.html``: each unit's status (published / invalid with its first
error / missing / warnings), its deadline against the generation date, its main figures and the
indicators an office watches, with the change from last year. Offline, no script.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kit import paths
from kit.audit import approvals, record
from kit.audit.record import AUDIT_NAME, HTML_NAME, STATUS_NAME
from kit.check import rollup
from kit.check.validate import Validated, validate_file
from kit.content import render
from kit.write import publish

MIN_BASE = 30  # a share of fewer requests (or cases) is shown but never coloured good or bad
STATUS_LABELS = {"published": "已发布", "ok": "有效，未发布", "warnings": "有警告", "invalid": "参数无效",
                 "missing": "缺少参数文件"}


@dataclass(frozen=True)
class Indicator:
    """One share an office watches: its label, how it is computed, when it is good or bad."""

    key: str
    label: str
    good_above: float | None = None  # ≥ this is good
    bad_above: float | None = None  # > this is bad
    bad_below: float | None = None  # < this is bad


INDICATORS = (
    Indicator("disclosed", "实质公开率", good_above=0.5, bad_below=0.3),
    Indicator("unavailable", "无法提供占比", bad_above=0.3),
    Indicator("corrected", "纠正率", bad_above=0.1),
    Indicator("carried", "结转率", bad_above=0.2),
)


def shares(c: dict[str, int]) -> dict[str, tuple[float | None, int]]:
    """Each indicator as (share, base) from a unit's counts (:func:`kit.check.rollup.counts`); None when the
    base is 0."""

    def share(part: int, base: int) -> tuple[float | None, int]:
        return (part / base if base else None, base)

    return {
        "disclosed": share(c["disclosed"], c["closed"]),
        "unavailable": share(c["unavailable"], c["closed"]),
        "corrected": share(c["corrected"], c["cases"]),
        "carried": share(c["carried"], c["received"] + c["carry_in"]),
    }


def judge(indicator: Indicator, value: float | None, base: int) -> str:
    """"good", "bad" or "" (neutral: no value, or fewer than MIN_BASE requests)."""
    if value is None or base < MIN_BASE:
        return ""
    if (indicator.bad_above is not None and value > indicator.bad_above) or (
            indicator.bad_below is not None and value < indicator.bad_below):
        return "bad"
    if indicator.good_above is not None and value >= indicator.good_above:
        return "good"
    return ""


@dataclass(frozen=True)
class Cell:
    """An indicator as the status page shows it: the share, its change from last year, good/bad/''."""

    text: str
    change: str = ""
    judged: str = ""


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def indicator_cells(counts: dict[str, int] | None, previous: rollup.Params) -> list[Cell]:
    if counts is None:
        return [Cell("—") for _ in INDICATORS]
    now, before = shares(counts), shares(rollup.counts(previous)) if previous is not None else {}
    cells = []
    for ind in INDICATORS:
        value, base = now[ind.key]
        last = before.get(ind.key, (None, 0))[0]
        change = "" if value is None or last is None else f"{(value - last) * 100:+.1f} 个百分点"
        cells.append(Cell(percent(value), change, judge(ind, value, base)))
    return cells


def deadline(kind: str, year: int) -> date:
    """条例第四十九条: departments by 1月31日, governments by 3月31日 of the next year."""
    return date(year + 1, 1, 31) if kind == "department" else date(year + 1, 3, 31)


def deadline_state(due: date, today: date, published: bool) -> str:
    if published:
        return "已发布"
    days = (due - today).days
    return f"未到期（还有 {days} 天）" if days >= 0 else f"已逾期 {-days} 天"


@dataclass
class Row:
    id: str
    name: str
    status: str
    label: str
    detail: str
    deadline: str
    deadline_state: str
    late: bool
    figures: list[int | str]
    indicators: list[Cell]
    report: str = ""
    audit: str = ""
    approval: str = ""  # the sign-off state of the published version (kit approve)


@dataclass
class Status:
    government: str
    name: str
    year: int
    today: date
    rows: list[Row] = field(default_factory=list)


def _row(unit: rollup.Unit, year: int, output: Path, today: date, government: str) -> Row:
    validated: Validated | None = None
    if unit.file.is_file():
        validated = validate_file(unit.file)
    model = validated.model if validated is not None and validated.ok else None
    previous = validated.previous.model if validated is not None and validated.previous is not None else None
    kind = str(rollup.agency_of(validated.data).get("kind")) if validated is not None else "department"
    dest = paths.report_dir(unit.id, year, output)
    published = model is not None and record.read(dest) is not None
    status = "published" if published else unit.status
    detail = unit.first_error or ("；".join(unit.warnings[:1]))
    due = deadline(kind, year)
    state = deadline_state(due, today, published)
    counts = rollup.counts(model) if model is not None else None
    figures: list[int | str] = ([counts[key] for key in rollup.MAIN_FIGURES] if counts is not None
                                else ["—"] * len(rollup.MAIN_FIGURES))
    link = f"../../{unit.id}/{year}/"
    return Row(unit.id, unit.name or unit.id, status, STATUS_LABELS[status], detail, f"{due.month}月{due.day}日",
               state, state.startswith("已逾期"), figures, indicator_cells(counts, previous),
               link + HTML_NAME if published else "", link + AUDIT_NAME if published else "",
               approvals.approval_state(dest).label if published else "")



def status_of(government_file: Path, output: Path | None = None, today: date | None = None) -> Status:
    """Every unit of the government's roll-up (and the government itself, last) as a status row."""
    output = output or paths.output_dir()
    today = today or date.today()
    gov = validate_file(government_file)
    agency = rollup.agency_of(gov.data)
    year = int(gov.data["year"])
    result = Status(str(agency["id"]), str(agency.get("name", "")), year, today)
    result.rows = [_row(u, year, output, today, result.government) for u in gov.units]
    first = gov.errors[0] if gov.errors else None
    own = rollup.Unit(result.government, government_file, "invalid" if first else
                      ("warnings" if gov.warnings else "ok"), result.name, gov.model,
                      first.message if first else "", tuple(str(w) for w in gov.warnings))
    result.rows.append(_row(own, year, output, today, result.government))
    return result


def status_html(status: Status) -> str:
    return render.render("status.html.j2", s=status, columns=render.ANNEX_COLUMNS, indicators=INDICATORS,
                         min_base=MIN_BASE, zip=zip)


def write_status(government_file: Path, output: Path | None = None, today: date | None = None) -> Path:
    """Write ``output/<government>/<year>/status.html``: into the published report's folder, or,
    when the government's report is not published, as a folder of its own (a later report replaces it)."""
    output = output or paths.output_dir()
    status = status_of(government_file, output, today)
    dest = paths.report_dir(status.government, status.year, output)
    page = status_html(status).encode()
    version = publish.current_version(dest)
    if version is None:
        publish.publish(dest, {STATUS_NAME: page})
    else:
        with publish.report_lock(dest):
            publish.write_atomic(version / STATUS_NAME, page)
    return dest / STATUS_NAME
