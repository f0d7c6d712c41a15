"""Stage 2–3 orchestrated: parameter file → validated model + every problem at once.

``validate_file`` never raises for a bad file's content: it returns a
:class:`Validated` with the problems found; ``Validated.raise_for_errors`` raises.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from kit import checks, formats, params, partchecks, paths, salvage
from kit.exceptions import HasProblems, ParamsError, Problem, UnknownFormatError, ValidationFailed
from kit.formats import FormatSpec
from kit.model import field_at, label_for, schema_for

_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$|^0[xXoObB]")
_YAML11_BOOL = {"yes", "no", "on", "off", "y", "n", "Yes", "No", "On", "Off", "YES", "NO", "ON", "OFF"}


@dataclass
class Validated(HasProblems):
    """A parameter file after validation: its raw data, model (if valid), problems."""

    file: str
    data: dict[str, Any]
    model: BaseModel | None
    spec: FormatSpec | None
    problems: list[Problem] = field(default_factory=list)
    previous: Validated | None = None
    path: Path | None = None  # the file on disk, when it was read from one

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        if self.errors:
            raise ValidationFailed(self.file, self.problems)


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


def _schema_problem(model: type[BaseModel], err: dict, loaded: params.Loaded | None, file: str) -> Problem:
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
    elif kind in {"int_type", "int_parsing", "int_from_float"}:
        if isinstance(value, str) and _LEADING_ZERO.match(value):
            message = "数字不能带前导零或写成八进制/十六进制（YAML 会误读），请写成普通十进制整数"
        elif isinstance(value, str) and value in _YAML11_BOOL:
            message = f"“{value}”在这里不是数字；应填写整数"
        elif isinstance(value, float):
            message = "件数/条数应为整数，不能是小数"
        else:
            message = "应为整数"
        expected = "整数"
    elif kind in {"greater_than_equal", "greater_than"}:
        message, expected = "不能为负数", "≥ 0"
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
    elif kind in {"decimal_type", "decimal_parsing", "finite_number"}:
        message, expected = "金额应为数字（单位：万元），不要带单位", "数字"
    elif kind in {"model_type", "model_attributes_type", "dict_type"}:
        message, expected = "应为键值映射", "键值映射"
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


def _choose_spec(data: dict[str, Any], file: str, loaded: params.Loaded | None) -> tuple[FormatSpec | None, list[Problem]]:
    """The format version: from the year, or the file's ``format`` if it fits the year."""
    problems: list[Problem] = []
    year, named = data.get("year"), data.get("format")

    def problem(loc: str, message: str, expected=None, actual=None) -> Problem:
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


def validate_data(data: dict[str, Any], file: str, *, loaded: params.Loaded | None = None,
                  previous: Validated | None = None) -> Validated:
    """Validate already-loaded parameter data; collect every problem."""
    spec, problems = _choose_spec(data, file, loaded)
    if spec is None:
        spec = formats.get(formats.versions()[-1])
        if not problems:
            problems.append(Problem("schema", "error", file, "year", "报告年度", "缺少必填字段或不是整数",
                                    "整数年度", _describe(data.get("year"))))
    model_cls = schema_for(spec.version)
    candidate = {k: v for k, v in data.items() if k != "format" or not problems}
    model, tainted = None, []
    try:
        model = checked = model_cls.model_validate(candidate)
    except PydanticValidationError as exc:
        problems += [_schema_problem(model_cls, e, loaded, file) for e in exc.errors()]
        checked, tainted = salvage.salvage(model_cls, candidate, exc.errors())
    result = Validated(file=file, data=data, model=model if not problems else None, spec=spec,
                       problems=problems, previous=previous)
    if checked is not None:  # every problem at once: the rules run on what did validate
        prev_model = previous.model if previous is not None and previous.ok else None
        ctx = checks.Context(checked, spec, file, prev_model, loaded.line_of if loaded else None)
        found = checks.check(ctx) + checks.check(ctx, partchecks.RULES)
        result.problems += salvage.unaffected(found, tainted)
    return result


def previous_file(path: Path) -> Path | None:
    """Last year's file of the same agency: ``<year-1>.yaml`` beside ``<year>.yaml``."""
    path = Path(path)
    if not path.stem.isdigit():
        return None
    for suffix in (".yaml", ".yml"):
        candidate = path.with_name(f"{int(path.stem) - 1}{suffix}")
        if candidate.exists():
            return candidate
    return None


def validate_file(path: Path | str, *, with_previous: bool = True) -> Validated:
    """Read and validate a parameter file (and, for X1/X2, last year's file if present).

    Raises :class:`ParamsError` only when the file can't be read as YAML at all.
    """
    path = Path(path)
    name = paths.relative_to_root(path)
    loaded = params.read(path, name)
    previous, unreadable = None, None
    prev_path = previous_file(path) if with_previous else None
    if prev_path is not None:
        try:
            previous = validate_file(prev_path, with_previous=False)  # sets previous.path
        except ParamsError as exc:
            unreadable = exc
    result = validate_data(loaded.data, name, loaded=loaded, previous=previous)
    result.path = path
    result.problems += _placement_problems(path, result, loaded)
    if unreadable is not None or (previous is not None and not previous.ok):
        result.problems.append(previous_invalid(name, prev_path, previous, unreadable))
    return result


FIRST_ERRORS = 3  # how many of an invalid previous-year file's errors are quoted


def previous_invalid(file: str, prev_path: Path, previous: Validated | None,
                     unreadable: ParamsError | None) -> Problem:
    """A warning: last year's file is invalid (which, its first errors), so this report is made
    without the cross-year checks and the year-over-year sentences."""
    def at(line: int | None) -> str:
        return f"第 {line} 行 " if line else ""

    if unreadable is not None:
        first, count = [at(unreadable.line) + unreadable.message], 1
    else:
        first = [f"{at(e.line)}{e.path}：{e.message}" for e in previous.errors[:FIRST_ERRORS]]
        count = len(previous.errors)
    more = "；……" if count > len(first) else ""
    return Problem("X0", "warning", file, "", "",
                   f"上年参数文件 {paths.relative_to_root(prev_path)} 无效，有 {count} 个错误（{'；'.join(first)}{more}）："
                   "本报告不做跨年度检查（X1、X2），也不写与上年的比较")


def _placement_problems(path: Path, result: Validated, loaded: params.Loaded) -> list[Problem]:
    """A file's place must match its content: ``params/<agency.id>/<year>.yaml``."""
    model, out = result.model, []
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
