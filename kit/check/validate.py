"""Stage 2–3 orchestrated: parameter file → validated model + every problem at once.

``validate_file`` never raises for a bad file's content: it returns a
:class:`Validated` with the problems found; ``Validated.raise_for_errors`` raises.
"""

from __future__ import annotations

import difflib
import os
import pickle
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import ErrorDetails

from kit import paths
from kit.audit.inputs import sha256_file
from kit.check import checks, partchecks, rollup, salvage, textcheck
from kit.exceptions import HasProblems, KitError, ParamsError, Problem, UnknownFormatError, ValidationFailed
from kit.read import base, discover
from kit.read.base import Loaded
from kit.spec import formats
from kit.spec.formats import FormatSpec
from kit.spec.model import ReportParams, field_at, label_for, schema_for, unit_at

_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$|^0[xXoObB]")
# What forms copied from elsewhere carry in a cell where nothing happened.
_NOT_APPLICABLE = {"/", "／", "\\", "-", "－", "—", "——", "–", "不适用", "无", "空", "n/a", "N/A", "NA", "×", "x"}
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_WITH_UNIT = re.compile(rf"^\s*({_NUMBER})\s*(万元|万|元)\s*$")
_PLAIN_NUMBER = re.compile(rf"^\s*{_NUMBER}\s*$")
_SCIENTIFIC = re.compile(rf"^\s*{_NUMBER}[eE][-+]?\d+\s*$")
_NO_SPACE_AFTER_COLON = re.compile(r"^[A-Za-z_][\w-]*:\S")
_YAML11_BOOL = {"yes", "no", "on", "off", "y", "n", "Yes", "No", "On", "Off", "YES", "NO", "ON", "OFF"}


@dataclass
class Validated(HasProblems):
    """A parameter file after validation: its raw data, model (if valid), problems."""

    file: str
    data: dict[str, Any]
    model: ReportParams | None
    spec: FormatSpec | None
    problems: list[Problem] = field(default_factory=list)
    previous: Validated | None = None
    path: Path | None = None  # the file on disk, when it was read from one
    units: list[Any] = field(default_factory=list)  # a rolled-up government's units (kit.check.rollup.Unit)
    sources: list[Path] = field(default_factory=list)  # the unit files its tables are summed from
    level: int = 0  # 0 for a report summing nobody; a rolled-up government: one above its units

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise :class:`ValidationFailed` (every problem) when the file has errors."""
        if self.errors:
            raise ValidationFailed(self.file, self.problems)

    def valid_model(self) -> ReportParams:
        """The model of a file without errors; ValidationFailed (its problems) otherwise."""
        if self.errors or self.model is None:
            raise ValidationFailed(self.file, self.problems)
        return self.model


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"“{value}”（文本）"
    if isinstance(value, bool):
        return f"{str(value).lower()}（布尔值）"
    if isinstance(value, float):
        return f"{value!r}（小数）"
    if isinstance(value, dict):
        return "键值映射"
    if isinstance(value, list):
        return "列表"
    if value is None:
        return "空值"
    return repr(value)


def _not_applicable(value: Any) -> str | None:
    """The message for a cell written "/", "—" or "不适用"; None for any other value."""
    if isinstance(value, str) and value.strip() in _NOT_APPLICABLE:
        return f"“{value.strip()}”不是数字：格式要求没有发生的事项填 0（或删去该行），不能写“/”“—”或“不适用”"
    return None


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _money_message(value: Any, unit: str) -> str:
    """Why an amount is not a number, in the unit the field is written in (万元 or 元)."""
    if isinstance(value, str) and (m := _WITH_UNIT.match(value)):
        number, written = Decimal(m.group(1)), "万元" if m.group(2).startswith("万") else "元"
        if written == unit:
            return f"金额只写数字，不带单位：应写 {_plain(number)}（单位已是{unit}）"
        factor = Decimal(10000) if written == "万元" else Decimal(1) / 10000
        return f"这里的单位是{unit}：{m.group(1)}{written}应写成 {_plain(number * factor)}"
    if isinstance(value, str) and _PLAIN_NUMBER.match(value):
        return f"金额应写成数字，不要加引号：应写 {value.strip()}（单位：{unit}）"
    if isinstance(value, str) and _SCIENTIFIC.match(value):
        return f"金额请写成普通数字（如 {_plain(Decimal(value.strip()))}），不用科学计数法（单位：{unit}）"
    return f"金额应为数字（单位：{unit}），不要带单位或文字"


def _schema_problem(model: type[BaseModel], err: ErrorDetails, loaded: Loaded | None, file: str) -> Problem:
    loc = tuple(err["loc"])
    kind, value = err["type"], err.get("input")
    expected: str | None = None
    actual: str | None = _describe(value)
    if kind == "extra_forbidden":
        parent = field_at(model, loc[:-1])[1]
        valid = list(parent.model_fields) if parent else []
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.7)
        hint = f"，是不是想写 {close[0]!r}？" if close else ""
        message = f"未知的键 {loc[-1]!r}{hint}（可用的键：{', '.join(valid)}）"
        expected, actual = None, None
    elif kind == "missing":
        message, actual = "缺少必填字段", None
    elif kind in {"int_type", "int_parsing", "int_from_float"} and (not_applicable := _not_applicable(value)):
        message, expected = not_applicable, "整数（没有发生的填 0）"
    elif kind in {"int_type", "int_parsing", "int_from_float"}:
        expected = "整数"
        if isinstance(value, str) and _LEADING_ZERO.match(value):
            message = "数字不能带前导零或写成八进制/十六进制（YAML 会误读），请写成普通十进制整数"
        elif isinstance(value, str) and value in _YAML11_BOOL:
            message = f"“{value}”在这里不是数字；应填写整数"
        elif isinstance(value, float):
            message = "件数/条数应为整数，不能是小数"
        elif isinstance(value, str) and _PLAIN_NUMBER.match(value):
            message, expected = f"数字不要加引号：应写 {value.strip()}", "整数（不加引号）"
        else:
            message = "应为整数"
    elif kind in {"greater_than_equal", "greater_than"} and err.get("ctx", {}).get("ge", 0) == 0:
        message, expected = "不能为负数", "≥ 0"
    elif kind in {"greater_than_equal", "greater_than"}:
        message, expected = "超出允许的范围", f"≥ {err['ctx'].get('ge')}"
    elif kind in {"less_than_equal", "less_than"}:
        message, expected = "超出允许的范围", f"≤ {err.get('ctx', {}).get('le', err.get('ctx', {}).get('lt'))}"
    elif kind == "literal_error":
        message, expected = "取值不在允许范围内", err.get("ctx", {}).get("expected", "")
    elif kind in {"string_type"}:
        message, expected = "应为文本（数字形式的代码请加引号，如 \"0123\"）", "文本"
    elif kind == "string_pattern_mismatch":
        message, expected = "格式不符合要求", "小写字母、数字、- 或 _"
    elif kind == "string_too_short":
        message, expected = "不能为空", "非空文本"
    elif kind == "approximate":  # a count or an approximate figure ("5500余")
        message, expected = "应为整数，或照报告原文写约数", "整数，或“5500余”“18万余”这样的约数"
    elif kind in {"decimal_type", "decimal_parsing", "finite_number", "is_instance_of"} and (
            unit := unit_at(model, loc)):
        message, expected = _not_applicable(value) or _money_message(value, unit), f"数字（单位：{unit}）"
    elif kind in {"model_type", "model_attributes_type", "dict_type"}:
        message, expected = "应为键值映射", "键值映射"
        if isinstance(value, str) and _NO_SPACE_AFTER_COLON.match(value):
            message += f"；“{value}”像是冒号后缺少空格，应写成“{value.replace(':', ': ', 1)}”"
    elif kind == "too_long":
        message, expected = "项数太多", f"不超过 {err.get('ctx', {}).get('max_length')} 项"
        actual = f"{err.get('ctx', {}).get('actual_length')} 项"
    elif kind == "list_type":
        message, expected = "应为列表", "列表"
    elif kind == "bool_type":
        message, expected = "应为 true 或 false", "true/false"
    else:
        message = err.get("msg", kind)
    return Problem(
        rule="schema",
        severity="error",
        file=file,
        path=".".join(str(p) for p in loc),
        label=label_for(model, loc),
        message=message,
        expected=expected,
        actual=actual,
        line=loaded.line_of(loc) if loaded else None,
    )


def _blank_cells(model: type[BaseModel], blanks: list[ErrorDetails], loaded: Loaded | None,
                 file: str) -> list[Problem]:
    """Every ``null`` of a file (blank cells copied from a form) as one problem, not one per cell."""
    if not blanks:
        return []
    locs = [tuple(e["loc"]) for e in blanks]
    def place(loc: tuple) -> str:
        where = loaded.where(loc) if loaded else ""
        return ".".join(map(str, loc)) + (f"（{where}）" if where else "")

    where = "、".join(place(loc) for loc in locs)
    return [Problem("schema", "error", file, ".".join(map(str, locs[0])), label_for(model, locs[0]),
                    f"有 {len(locs)} 处空值（null，多为从表格复制来的空白单元格）：没有发生的事项请填 0，"
                    f"或删去该行；空值在：{where}", "0 或删去该行", "空值",
                    loaded.line_of(locs[0]) if loaded else None)]


# Characters a reader doesn't see: controls (other than tab and line breaks), format characters
# (bidi overrides and isolates, zero-width spaces and joiners), surrogates, private use.
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co"}


def _hidden_characters(model: type[BaseModel], data: Any, file: str, loaded: Loaded | None,
                       loc: tuple = ()) -> list[Problem]:
    """Refuse (never strip) invisible characters in any text: a bidi override can make the page
    read differently from the file the analyst checked."""
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _hidden_characters(model, v, file, loaded, (*loc, k))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _hidden_characters(model, v, file, loaded, (*loc, i))]
    if not isinstance(data, str):
        return []
    hidden = sorted({c for c in data if c not in "\t\n\r" and unicodedata.category(c) in _HIDDEN_CATEGORIES})
    if not hidden:
        return []
    names = "、".join(f"U+{ord(c):04X}（{unicodedata.name(c, '控制字符')}）" for c in hidden)
    return [Problem("schema", "error", file, ".".join(map(str, loc)), label_for(model, loc),
                    f"含有看不见的字符 {names}：它们会让页面显示的文字与文件不同，"
                    "已拒绝（不会自动删去），请删去后再校验",
                    None, None, loaded.line_of(loc) if loaded else None)]


def _choose_spec(data: dict[str, Any], file: str, loaded: Loaded | None) -> tuple[FormatSpec | None, list[Problem]]:
    """The format version: from the year, or the file's ``format`` if it fits the year."""
    problems: list[Problem] = []
    year, named = data.get("year"), data.get("format")

    def problem(loc: str, message: str, expected: Any = None, actual: Any = None) -> Problem:
        return Problem("format", "error", file, loc, "报告格式版本" if loc == "format" else "报告年度",
                       message, expected, actual, loaded.line_of((loc,)) if loaded else None)

    by_year = None
    if isinstance(year, int) and not isinstance(year, bool):
        try:
            by_year = formats.for_year(year)
        except UnknownFormatError:
            problems.append(problem("year", "没有适用于该年度的报告格式", "2019 年及以后", year))
    if named is None:
        return by_year, problems
    try:
        spec = formats.get(str(named))
    except UnknownFormatError as exc:
        problems.append(problem("format", "未知的报告格式版本", " / ".join(exc.known), _describe(named)))
        return by_year, problems
    if by_year is not None and spec.version != by_year.version:
        problems.append(problem("format", f"{year}年度的报告应使用 {by_year.version} 版格式",
                                by_year.version, spec.version))
        return by_year, problems
    return spec, problems


def validate_data(data: dict[str, Any], file: str, *, loaded: Loaded | None = None,
                  previous: Validated | None = None) -> Validated:
    """Validate already-loaded parameter data; collect every problem."""
    spec, problems = _choose_spec(data, file, loaded)
    spec = spec or formats.get(formats.versions()[-1])  # a year missing or not a number: the schema says so
    model_cls = schema_for(spec.version)
    problems += _hidden_characters(model_cls, data, file, loaded)
    candidate = {k: v for k, v in data.items() if k != "format" or not problems}
    model: ReportParams | None = None
    checked: ReportParams | None
    tainted: list[tuple] = []
    try:
        model = checked = model_cls.model_validate(candidate)
    except PydanticValidationError as exc:
        blanks = [e for e in exc.errors()
                  if e.get("input", "") is None and e["type"] not in {"missing", "extra_forbidden"}]
        problems += [_schema_problem(model_cls, e, loaded, file) for e in exc.errors() if e not in blanks]
        problems += _blank_cells(model_cls, blanks, loaded, file)
        checked, tainted = salvage.salvage(model_cls, candidate, exc.errors())
    result = Validated(file=file, data=data, model=model if not problems else None, spec=spec,
                       problems=problems, previous=previous)
    if checked is not None:  # every problem at once: the rules run on what did validate
        prev_model = previous.model if previous is not None and previous.ok else None
        ctx = checks.Context(checked, spec, file, prev_model, loaded.line_of if loaded else None)
        found = textcheck.acknowledge(ctx, checks.check(ctx) + checks.check(ctx, partchecks.RULES))
        result.problems += salvage.unaffected(found, tainted)
    return result


def previous_file(path: Path) -> Path | None:
    """Last year's file of the same agency: ``<year-1>.yaml`` beside ``<year>.yaml``."""
    path = Path(path)
    if not path.stem.isdigit():
        return None
    for suffix in discover.SUFFIXES:
        candidate = path.with_name(f"{int(path.stem) - 1}{suffix}")
        if candidate.exists():
            return candidate
    return None


INTERNAL_ERROR = "校验时发生内部错误（{}）：这是 kit 的缺陷，请把这个文件报告给维护者"


def validate_file(path: Path | str, *, with_previous: bool = True, within: tuple[str, ...] = ()) -> Validated:
    """Read and validate a parameter file (and, for X1/X2, last year's file if present).

    Raises :class:`ParamsError` only when the file can't be read as YAML at all, or, should
    the kit itself fail on it, naming that failure: one file never ends a caller in a traceback.
    A government that declares a roll-up is validated with its tables summed from its units
    (``within``: the governments above it, to find a cycle).
    """
    path = paths.input_path(path)
    name = paths.relative_to_root(path)
    cache, key = _MEMO.get(), (os.path.abspath(path), with_previous)
    if cache is not None:
        for known in (key, (*key, within)):
            if known in cache:
                return cache[known]
    try:
        result = _validate_file(path, name, with_previous, within)
    except KitError:
        raise
    except Exception as exc:  # the kit's own defect: this file is refused, the caller goes on
        raise ParamsError(name, INTERNAL_ERROR.format(f"{type(exc).__name__}: {exc}")) from exc
    if cache is not None:  # a government's result depends on the chain above it (a cycle), a unit's does not
        cache[key if rollup.rollup_settings(result.data) is None else (*key, within)] = result
    return result


_MEMO: ContextVar[dict[tuple[Any, ...], Validated] | None] = ContextVar("kit_validation_memo", default=None)


@contextmanager
def memo() -> Iterator[None]:
    """Inside the block each file is validated once: a batch validates every report, the governments
    sum the same units again, and the status pages read them once more. The files must not change
    inside the block. Nested blocks share the outer one's memo."""
    if _MEMO.get() is not None:
        yield
        return
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


@dataclass(frozen=True)
class Carried:
    """One validation the batch's driver did, as plain data a worker can take instead of doing it again
    (a rolled-up government's worker would otherwise sum all its units anew: the city all 400)."""

    key: tuple[Any, ...]  # the memo's key: (absolute path, with_previous[, chain of governments])
    hashes: tuple[str | None, ...]  # the sha256 of the file, its previous file and its units', as the driver read them
    file: str
    data: dict[str, Any]
    version: str | None  # the format version; None when the file named none that exists
    model: dict[str, Any] | None  # the model's data; None when the file had no valid model
    problems: list[Problem]
    path: str | None
    sources: list[str]
    level: int
    depends: list[str]  # the units' files this year and last (a government's X1 compares the sums)


def _hashes(path: Path, with_previous: bool, sources: list[str]) -> tuple[str | None, ...]:
    """What a validation depends on: the file, its previous file, and a government's units' files."""
    prev = previous_file(path) if with_previous else None
    return sha256_file(path), sha256_file(prev), *(sha256_file(Path(s)) for s in sources)


def carried_for(files: list[Path]) -> list[Carried]:
    """This block's validations of ``files`` (every chain they were validated in), to send to a worker."""
    cache, wanted = _MEMO.get() or {}, {os.path.abspath(f) for f in files}
    out = []
    for key, v in cache.items():
        if key[0] in wanted:
            depends = sorted({str(s) for s in (*v.sources, *(v.previous.sources if v.previous else ()))})
            out.append(Carried(key, _hashes(Path(key[0]), key[1], depends), v.file, v.data,
                               v.spec.version if v.spec else None,
                               v.model.model_dump(warnings=False) if v.model is not None else None,
                               list(v.problems), str(v.path) if v.path is not None else None,
                               [str(s) for s in v.sources], v.level, depends))
    return out


def seed(carried: list[Carried]) -> int:
    """Take the driver's validations into this block's memo, each only while its file, its previous file
    and (a government's) its units' files are byte for byte what the driver read (else the file is
    validated again); how many were taken."""
    cache = _MEMO.get()
    if cache is None:
        return 0
    taken = 0
    for c in carried:
        if _hashes(Path(c.key[0]), c.key[1], c.depends) != c.hashes:
            continue
        model = schema_for(c.version).model_validate(c.model) if c.version and c.model is not None else None
        cache[c.key] = Validated(c.file, c.data, model, formats.get(c.version) if c.version else None,
                                 list(c.problems), path=Path(c.path) if c.path else None,
                                 sources=[Path(s) for s in c.sources], level=c.level)
        taken += 1
    return taken


HANDOVER_NAME = "validations.pickle"  # in the kernel's socket folder, beside its connection file


def handover(carried: list[Carried]) -> bytes:
    """``carried`` as the file a report's worker leaves for the report's kernel (:func:`handed_over`)."""
    return pickle.dumps(carried, protocol=pickle.HIGHEST_PROTOCOL)


def handed_over() -> list[Carried]:
    """In a report's kernel: the validations its worker left beside the kernel's connection file
    (a rolled-up government's units, so the notebook does not sum them all again); [] anywhere else.
    They are taken by :func:`seed`, which checks each against the files as they are now."""
    try:
        from ipykernel.connect import get_connection_file

        found = Path(get_connection_file()).with_name(HANDOVER_NAME)
    except (ImportError, RuntimeError):  # not in a kernel
        return []
    if not found.is_file():
        return []
    # the worker's own file, in a folder only this user can enter (the kernel's private socket folder)
    carried = pickle.loads(found.read_bytes())
    return carried if isinstance(carried, list) and all(isinstance(c, Carried) for c in carried) else []


def _validate_file(path: Path, name: str, with_previous: bool, within: tuple[str, ...] = ()) -> Validated:
    loaded = base.read(path, name)
    previous: Validated | None = None
    unreadable: ParamsError | None = None
    prev_path = previous_file(path) if with_previous else None
    if prev_path is not None:
        try:
            previous = validate_file(prev_path, with_previous=False, within=within)  # sets previous.path
        except ParamsError as exc:
            unreadable = exc
    rolled = rollup.roll_up(loaded.data, path, name,
                            lambda unit, chain: validate_file(unit, within=chain), within)
    result = validate_data(rolled.data if rolled else loaded.data, name, loaded=loaded, previous=previous)
    result.path = path
    if rolled is not None:
        result.problems += rolled.problems
        result.units, result.sources, result.level = rolled.units, rolled.sources, rolled.level
    result.problems += _placement_problems(path, result, loaded) + rollup.parent_problems(path, loaded, name)
    if prev_path is not None and (unreadable is not None or (previous is not None and not previous.ok)):
        result.problems.append(previous_invalid(name, prev_path, previous, unreadable))
    return result


FIRST_ERRORS = 3  # how many of an invalid previous-year file's errors are quoted


def previous_invalid(file: str, prev_path: Path, previous: Validated | None,
                     unreadable: ParamsError | None) -> Problem:
    """A warning: last year's file is invalid (which, its first errors), so this report is made
    without the cross-year checks and the year-over-year sentences."""
    def at(line: int | str | None) -> str:
        return f"第 {line} 行 " if line else ""

    if unreadable is not None:
        first, count = [at(unreadable.line) + unreadable.message], 1
    else:
        errors = previous.errors if previous is not None else []
        first = [f"{at(e.line)}{e.path}：{e.message}" for e in errors[:FIRST_ERRORS]]
        count = len(errors)
    more = "；……" if count > len(first) else ""
    return Problem("X0", "warning", file, "", "",
                   f"上年参数文件 {paths.relative_to_root(prev_path)} 无效，"
                   f"有 {count} 个错误（{'；'.join(first)}{more}）："
                   "本报告不做跨年度检查（X1、X2），也不写与上年的比较")


@dataclass
class Checked:
    """Several files validated at once: each file's result (or why it couldn't be read), and the
    groups of files that claim the same agency-year (one error per group)."""

    results: dict[Path, Validated | ParamsError]
    clashes: list[list[Path]]

    @property
    def n_errors(self) -> int:
        return (sum(1 if isinstance(r, ParamsError) else len(r.errors) for r in self.results.values())
                + len(self.clashes))

    @property
    def n_warnings(self) -> int:
        return sum(len(r.warnings) for r in self.results.values() if isinstance(r, Validated))


def validate_files(files: list[Path]) -> Checked:
    """Validate each file; one file's failure is its result, never the end of the others."""
    results: dict[Path, Validated | ParamsError] = {}
    for f in files:
        try:
            results[f] = validate_file(f)
        except ParamsError as exc:
            results[f] = exc

    def claim(result: Validated | ParamsError) -> tuple | None:
        model = getattr(result, "model", None)
        return (model.agency.id, model.year) if model is not None else None

    return Checked(results, discover.clashes((f, claim(r)) for f, r in results.items()))


def _placement_problems(path: Path, result: Validated, loaded: Loaded) -> list[Problem]:
    """A file's place must match its content: ``params/<agency.id>/<year>.yaml``."""
    model, out = result.model, list[Problem]()
    if model is None:
        return out
    if path.stem != str(model.year):
        out.append(Problem("F1", "error", result.file, "year", "报告年度", "文件名应为报告年度",
                           f"{model.year}.yaml", path.name, loaded.line_of(("year",))))
    if path.parent.name != model.agency.id:
        out.append(Problem("F1", "error", result.file, "agency.id", "单位标识（输出目录名）",
                           "参数文件应放在以单位标识命名的目录中", f"params/{model.agency.id}/",
                           f"{path.parent.name}/", loaded.line_of(("agency", "id"))))
    return out
