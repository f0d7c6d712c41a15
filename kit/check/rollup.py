"""A government's report summed from its units' parameter files (issue 15).

A unit names its government (``agency.parent``); a government's file with a ``rollup`` section
sums its units (every unit whose parent it is, unless it lists them) and, when it says so, its own
office's figures. Its 表二, 表三, 表四 and 主动公开 total become the sums; figures it also types are
checked against them (U1). Units that are invalid or missing refuse the report (U2) unless the
office publishes without them (``rollup.publish_without``). The tree's own faults (a cycle, a
parent without a file, a unit of another year) are U3.

Pure functions over files: nothing is kept between calls.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kit import paths
from kit.content import tables
from kit.exceptions import KitError, Problem
from kit.read import base
from kit.spec import formats
from kit.spec.model import Rollup, _unwrap, schema_for

TABLES = ("table2", "table3", "table4")
MAX_NAMED = 8  # contributing units named in a U1 message


@dataclass(frozen=True)
class Unit:
    """One unit of a government's report: its file and how it stands."""

    id: str
    file: Path
    status: str  # "ok" | "invalid" | "missing" | "warnings"
    name: str = ""
    model: Params = None
    first_error: str = ""
    warnings: tuple[str, ...] = ()
    sources: tuple[Path, ...] = ()  # the unit's file and, for a government, its own units' files
    level: int = 0  # 0: sums nobody; a government: one above its highest unit

    @property
    def usable(self) -> bool:
        return self.model is not None


@dataclass
class RolledUp:
    """The government's data with its tables summed, and what went into them."""

    data: dict[str, Any]
    units: list[Unit]
    problems: list[Problem] = field(default_factory=list)
    sources: list[Path] = field(default_factory=list)  # every unit file summed, at every level

    @property
    def level(self) -> int:
        return 1 + max((u.level for u in self.units), default=0)


Params = Any  # a parameter model, built at run time (kit.spec.model.schema_for): attributes typed by the schema
Validate = Callable[[Path, tuple[str, ...]], Any]  # (unit file, chain of governments) → Validated


def agency_of(data: dict[str, Any]) -> dict[str, Any]:
    """A file's ``agency`` mapping as read (empty when it is missing or not a mapping)."""
    agency = data.get("agency")
    return agency if isinstance(agency, dict) else {}


def rollup_settings(data: dict[str, Any]) -> Rollup | None:
    """The file's roll-up settings, when it is a government that declares them and they are valid
    (invalid settings are the schema's to report)."""
    if agency_of(data).get("kind") != "government" or "rollup" not in data:
        return None
    try:
        return Rollup.model_validate(data["rollup"] or {})
    except ValidationError:
        return None


def _parent_of(path: Path) -> str | None:
    """The parent a unit's file names (None: none, or the file can't be read; its own validation says why)."""
    agency = _agency_read(path)
    parent = agency.get("parent") if agency is not None else None
    return parent if isinstance(parent, str) else None


def _agency_read(path: Path) -> dict[str, Any] | None:
    """A file's ``agency`` mapping, or None when the file can't be read."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _agency_in(str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)


@lru_cache(maxsize=8192)
def _agency_in(path: str, mtime_ns: int, size: int, inode: int) -> dict[str, Any] | None:
    """``_agency_read`` for one version of a file (its identity in the arguments: a changed file is read
    again): every government scans its siblings' files and every unit its parent's, each parsed once."""
    try:
        return agency_of(base.read(Path(path), path).data)
    except KitError:
        return None


def year_file(root: Path, agency: str, year: int) -> Path:
    return root / agency / f"{year}.yaml"


def children(root: Path, government: str, year: int) -> list[str]:
    """The ids of the agencies whose ``<year>.yaml`` under ``root`` names ``government`` as parent."""
    return sorted(d.name for d in root.iterdir()
                  if d.is_dir() and year_file(root, d.name, year).is_file()
                  and _parent_of(year_file(root, d.name, year)) == government)


def expected_units(root: Path, government: str, year: int, settings: Rollup) -> list[str]:
    """The units the report sums: those listed, or every unit naming the government as parent this
    year or last year (a unit that reported last year and has no file now is missing)."""
    if settings.units is not None:
        return list(dict.fromkeys(settings.units))
    return sorted(set(children(root, government, year)) | {
        d for d in children(root, government, year - 1) if not year_file(root, d, year).exists()})


def unit_state(root: Path, unit: str, year: int, chain: tuple[str, ...], validate: Validate) -> Unit:
    path = year_file(root, unit, year)
    if not path.is_file():
        return Unit(unit, path, "missing", first_error=f"缺少参数文件 {paths.relative_to_root(path)}")
    try:
        result = validate(path, chain)
    except KitError as exc:
        return Unit(unit, path, "invalid", first_error=str(exc))
    name = str(agency_of(result.data).get("name") or unit)
    if result.errors:
        first = result.errors[0]
        return Unit(unit, path, "invalid", name, first_error=f"{first.path}：{first.message}" if first.path
                    else first.message)
    if result.model.year != year:
        return Unit(unit, path, "invalid", name, first_error=f"是 {result.model.year} 年度的参数文件，应为 {year} 年度")
    return Unit(unit, path, "warnings" if result.warnings else "ok", name, result.model,
                warnings=tuple(str(w) for w in result.warnings), sources=(path, *result.sources),
                level=result.level)


PARENT_LABEL = "单位 › 上级政府的单位标识（其报告汇总本单位）"


def parent_problems(path: Path, loaded: base.Loaded, file: str) -> list[Problem]:
    """U3: a unit's parent must be another agency with a government's file for the same year."""
    agency, year = agency_of(loaded.data), loaded.data.get("year")
    parent = agency.get("parent")
    if not isinstance(parent, str) or not isinstance(year, int):
        return []

    def problem(message: str, expected: str, actual: str) -> Problem:
        return Problem("U3", "error", file, "agency.parent", PARENT_LABEL, message, expected, actual,
                       loaded.line_of(("agency", "parent")))

    if parent == agency.get("id"):
        return [problem("单位不能以自己为上级", "另一个政府的单位标识", parent)]
    target = year_file(path.parent.parent, parent, year)
    if not target.is_file():
        return [problem(f"上级政府 {parent} 没有 {year} 年度的参数文件", paths.relative_to_root(target), "不存在")]
    parent_agency = _agency_read(target)
    if parent_agency is None:
        return []  # the parent's own validation names its fault
    kind = parent_agency.get("kind")
    if kind != "government":
        return [problem(f"上级单位 {parent} 不是政府（agency.kind 应为 government）", "government", str(kind))]
    return []


# --- sums --------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A summed figure as YAML would give it: integers as int, amounts as int or float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(str(value))
    return value


def sum_tables(model_cls: Any, dumps: list[dict[str, Any]]) -> dict[str, Any]:
    """The cell-by-cell sum of several dumps of one (nested) table model. Fields the kit computes
    (a default of None: the 总计 cells, the （七）总计 row) are left out, to be computed from the sums."""
    out: dict[str, Any] = {}
    for key, info in model_cls.model_fields.items():
        if info.default is None:
            continue
        values = [d[key] for d in dumps]
        sub = _unwrap(info.annotation)
        out[key] = sum_tables(sub, values) if sub is not None else _plain(sum(values, start=0))
    return out


def counts(model: Params) -> dict[str, int]:
    """The counts the annex and the status page show or divide, from a unit's tables (added up from
    the model: a status page of 400 units builds no frames; tests hold them to the frames' totals)."""
    spec = type(model).format_spec
    t3 = {r.key: sum(getattr(tables.get_path(model.table3, r.path), k) for k in tables.COLUMN_KEYS)
          for r in spec.table3 if not r.computed}
    t4 = {key: getattr(model.table4, key) for key, _ in formats.TABLE4_GROUPS}
    total4 = {key: sum(getattr(group, k) for k in tables.RESULT_KEYS) for key, group in t4.items()}
    outcomes = [r.key for r in spec.table3_outcomes()]
    return {
        "received": t3["new"],
        "carry_in": t3["carry_in"],
        "closed": sum(t3[k] for k in outcomes),
        "carried": t3["carry_out"],
        "review": total4["review"],
        "litigation": total4["litigation_direct"] + total4["litigation_after_review"],
        "proactive": tables.proactive_total(model),
        "disclosed": t3["outcomes.granted"] + t3["outcomes.partial"],
        "unavailable": sum(t3[k] for k in outcomes if k.startswith("outcomes.unavailable.")),
        "corrected": sum(group.corrected for group in t4.values()),
        "cases": sum(total4.values()),
    }


MAIN_FIGURES = ("received", "closed", "carried", "review", "litigation", "proactive")


def main_figures(model: Params) -> dict[str, int]:
    """A unit's main figures (the annex's and the status page's columns), from its tables."""
    found = counts(model)
    return {key: found[key] for key in MAIN_FIGURES}


def _proactive(models: list[Params]) -> int | str:
    total = sum(tables.proactive_total(m) for m in models)
    approximate = any(isinstance(m.overview.proactive.total, str) and not m.overview.proactive.categories
                      for m in models)
    return f"{total}余" if approximate else total


def _leaves(data: Any, loc: tuple[str, ...] = ()) -> Iterable[tuple[tuple[str, ...], Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, (*loc, str(key)))
    else:
        yield loc, data


def _at(data: Any, loc: tuple[str, ...]) -> Any:
    for key in loc:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _contributors(units: list[Unit], loc: tuple[str, ...]) -> str:
    named = []
    for u in units:
        value = (tables.proactive_total(u.model) if loc[0] == "overview"
                 else _at(u.model.model_dump(warnings=False), loc))
        if value:
            named.append(f"{u.name} {_plain(value)}")
    if not named:
        return "各单位均为 0"
    more = f" 等 {len(named)} 个单位" if len(named) > MAX_NAMED else ""
    return "、".join(named[:MAX_NAMED]) + more


def typed_figures(data: dict[str, Any], summed: dict[str, Any]) -> Iterable[tuple[tuple[str, ...], Any, Any]]:
    """Each figure the government's file types that differs from the sum: (path, sum, typed).
    Typed 总计 cells are left to the format's rules (R1–R4), which check them against the summed cells."""
    for table in TABLES:
        for loc, typed in _leaves(data.get(table) or {}, (table,)):
            if loc[-1] == tables.TOTAL or isinstance(typed, bool) or not isinstance(typed, (int, float)):
                continue
            expected = _at(summed, loc)
            if expected is not None and Decimal(str(typed)) != Decimal(str(expected)):
                yield loc, expected, typed
    typed = _at(data, ("overview", "proactive", "total"))
    expected = _at(summed, ("overview", "proactive", "total"))
    if typed is not None and str(typed) != str(expected):
        yield ("overview", "proactive", "total"), expected, typed


def _problem(rule: str, severity: str, file: str, path: str, label: str, message: str,
             expected: Any = None, actual: Any = None) -> Problem:
    return Problem(rule, severity, file, path, label, message,
                   None if expected is None else str(expected), None if actual is None else str(actual))


def left_out_message(units: list[Unit]) -> str:
    return "、".join(f"{u.name or u.id}（{u.id}，{'' if u.status == 'missing' else '参数无效：'}{u.first_error}）"
                     for u in units)


def roll_up(data: dict[str, Any], path: Path, file: str, validate: Validate,
            chain: tuple[str, ...] = ()) -> RolledUp | None:
    """The government file's data with its tables summed from its units; None when the file declares
    no roll-up. ``validate`` validates a unit's file (within the chain of governments above it)."""
    settings = rollup_settings(data)
    year = data.get("year")
    agency = agency_of(data)
    gov = agency.get("id")
    if settings is None or not isinstance(year, int) or not isinstance(gov, str):
        return None
    root = path.parent.parent
    if gov in chain:
        cycle = " → ".join((*chain[chain.index(gov):], gov))
        problem = _problem("U3", "error", file, "agency.parent", "上级政府的单位标识（其报告汇总本单位）",
                           f"汇总关系成环：{cycle}")
        return RolledUp(data, [], [problem])
    within = (*chain, gov)
    units = [unit_state(root, u, year, within, validate) for u in expected_units(root, gov, year, settings)
             if u != gov]
    problems: list[Problem] = []
    blocked = [u for u in units if not u.usable]
    refused = [u for u in blocked if u.id not in settings.publish_without]
    if refused:
        problems.append(_problem(
            "U2", "error", file, "rollup", "汇总（政府报告由所属单位汇总）",
            f"有 {len(refused)} 个单位未能汇总：{left_out_message(refused)}；请改正这些单位的参数文件，"
            "或在 rollup.publish_without 中列出它们，明确不待其报告而发布",
            "所属单位的参数文件齐全且有效", f"{len(refused)} 个单位未能汇总"))
    elif blocked:
        problems.append(_problem("U2", "warning", file, "rollup.publish_without", "明确不待其报告而发布",
                                 f"本报告未汇总 {len(blocked)} 个单位：{left_out_message(blocked)}"))
    used = [u for u in units if u.usable]
    model_cls = schema_for(type(used[0].model).format_spec.version) if used else None
    own = None
    if settings.include_own:
        try:
            own = model_cls.model_validate({**data, "rollup": None}) if model_cls else None
        except ValidationError:
            own = None  # the schema reports the file's own faults
    models = [u.model for u in used] + ([own] if own is not None else [])
    if not models or model_cls is None:
        return RolledUp(data, units, problems)
    summed: dict[str, Any] = {t: sum_tables(model_cls.model_fields[t].annotation,
                                            [m.model_dump(warnings=False)[t] for m in models]) for t in TABLES}
    summed["overview"] = {"proactive": {"total": _proactive(models)}}
    if not settings.include_own:
        for loc, expected, typed in typed_figures(data, summed):
            problems.append(_problem(
                "U1", "error", file, ".".join(loc), "",
                f"政府报告的数字应等于所属单位之和（{_contributors(used, loc)}）", expected, typed))
    merged = copy.deepcopy(data)
    for t in TABLES:
        typed_totals = {loc: v for loc, v in _leaves(data.get(t) or {}, (t,)) if loc[-1] == tables.TOTAL}
        merged[t] = summed[t] if settings.include_own else _with(summed[t], typed_totals)
    proactive = dict((merged.get("overview") or {}).get("proactive") or {})
    proactive.pop("categories", None)
    proactive["total"] = summed["overview"]["proactive"]["total"]
    merged["overview"] = {**(merged.get("overview") or {}), "proactive": proactive}
    figures = [{"id": u.id, "name": u.name, **main_figures(u.model)} for u in used]
    if own is not None:
        figures.append({"id": gov, "name": f"{agency.get('name', gov)}本级", **main_figures(own)})
    merged["rollup"] = {**(data.get("rollup") or {}), "summed": sort_figures(figures, settings.annex_order),
                        "left_out": [{"id": u.id, "name": u.name or u.id, "reason": u.first_error}
                                     for u in blocked]}
    sources = sorted({s for u in used for s in u.sources})
    return RolledUp(merged, units, problems, sources)


def _with(summed: dict[str, Any], typed_totals: dict[tuple[str, ...], Any]) -> dict[str, Any]:
    """The summed table with the government's typed 总计 cells kept (the rules check them)."""
    out = copy.deepcopy(summed)
    for loc, value in typed_totals.items():
        node = out
        for key in loc[1:-1]:
            node = node.setdefault(key, {})
        node[loc[-1]] = value
    return out


def sort_figures(figures: list[dict[str, Any]], order: str) -> list[dict[str, Any]]:
    if order == "received":
        return sorted(figures, key=lambda f: (-f["received"], f["id"]))
    return sorted(figures, key=lambda f: (f[order], f["id"]))
