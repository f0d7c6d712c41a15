"""``kit new AGENCY YEAR``: a parameter file with every field present, each labelled in Chinese.

When the agency's previous-year file exists, its details (the agency, the compiling office and its
contact details, the 落款's name) carry over and this
year's 二、上年结转 is set from last year's 四、结转下年度继续办理 (rule X1).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from kit import paths
from kit.check.validate import Validated, previous_file, validate_file
from kit.content import tables
from kit.exceptions import KitError, Problem
from kit.read import base, params
from kit.spec import formats
from kit.spec.model import field_at, schema_for, spec_of
from kit.spec.schema_doc import walk


class NewFileError(KitError):
    """A parameter file or workbook not written: it exists (``--force`` overwrites it), or its text
    would not read back as the data (a kit defect)."""

    exit_code = 2


def _scalar(value: Any) -> str:
    if value is None:
        return "~"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def carried(agency_id: str, year: int, previous: Validated | None = None) -> dict[tuple[str, ...], Any]:
    """The values a new file for ``agency_id`` and ``year`` starts with, by field path: the format, the
    agency, and from last year's valid file its details and 二、上年结转 (its 四、结转下年度)."""
    spec = formats.for_year(year)
    prev: Any = previous.model if previous is not None and previous.ok else None  # the year's Params model
    values: dict[tuple[str, ...], Any] = {
        ("format",): spec.version,
        ("year",): year,
        ("agency", "id"): agency_id,
        ("agency", "name"): prev.agency.name if prev else "",
        ("agency", "kind"): prev.agency.kind if prev else "department",
        ("agency", "self_name"): prev.agency.self_name if prev else "我单位",
        ("agency", "parent"): prev.agency.parent if prev else None,
    }
    rolled_up = prev is not None and prev.rollup is not None
    if rolled_up:  # the roll-up settings stay; the units it summed and left out are the kit's to fill in
        for key in ("units", "include_own", "annex", "annex_order"):
            values[("rollup", key)] = getattr(prev.rollup, key)
    if prev is not None:  # who compiles the report, whom to ask and the 落款 stay; the date is this year's
        for key in type(prev.contact).model_fields:
            values[("contact", key)] = getattr(prev.contact, key)
        values[("signoff", "name")] = prev.signoff.name
        carry_out = tables.table3_frame(prev, spec_of(prev)).loc["carry_out"].to_dict()
        for col in tables.COLUMN_KEYS:
            values[("table3", "carry_in", col)] = int(carry_out[col])
    return values


def nested(values: dict[tuple[str, ...], Any]) -> dict[str, Any]:
    """Field paths and values → the plain nested data a parameter file holds."""
    data: dict[str, Any] = {}
    for path, value in values.items():
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return data


def template(agency_id: str, year: int, previous: Validated | None = None) -> str:
    """The text of a new parameter file for ``agency_id`` and ``year``."""
    spec = formats.for_year(year)
    values = carried(agency_id, year, previous)
    rolled_up = ("rollup", "include_own") in values  # last year's file was a government's roll-up
    lines = [
        f"# {year}年政府信息公开工作年度报告参数文件（{spec.version} 版格式，{spec.document}）",
        "# 每个字段后的注释是它在报告中的中文标签。为 0 的格子可以删去；",
        "# 总计（表三的总计列和（七）总计行、表四的总计）由工具计算，不必填写。",
    ]
    if previous is not None and previous.ok:
        lines.append(f"# 单位信息和“二、上年结转”取自 {previous.file}（上年的“四、结转下年度继续办理”）。")
    for doc in walk(schema_for(spec.version)):
        if "[]" in doc.path or ("total" in doc.path[1:] and doc.path[0] in {"table3", "table4"}):
            continue
        if (doc.path in {("agency", "parent"), ("rollup", "units")} and values.get(doc.path) is None) or (
                doc.path[0] == "rollup" and (not rolled_up or doc.path[1:] in {("summed",), ("left_out",),
                                                                                 ("publish_without",)})):
            continue  # a unit's parent and a government's roll-up only where last year's file had them
        indent = "  " * (len(doc.path) - 1)
        key = doc.path[-1]
        if doc.model is not None and not doc.is_list:
            lines.append(f"{indent}{key}:  # {doc.title}")
        elif doc.is_list and doc.path in values:
            lines.append(f"{indent}{key}: [{', '.join(map(_scalar, values[doc.path]))}]  # {doc.title}")
        elif doc.is_list:
            item = "、".join(f"{d.path[-1]}（{d.title}）" for d in walk(doc.model)) if doc.model else ""
            lines.append(f"{indent}{key}: []  # {doc.title}；每项：{item}")
        else:
            value = values.get(doc.path, doc.default)
            lines.append(f"{indent}{key}: {_scalar(value)}  # {doc.title}")
    return "\n".join(lines) + "\n"


def last_year(target: Path) -> Validated | None:
    """Last year's file beside ``target`` (``<year-1>.yaml`` beside ``<year>.yaml``), validated on its
    own; None when there is none."""
    found = previous_file(target)
    return validate_file(found, with_previous=False) if found is not None else None


def new_params(agency_id: str, year: int, params_dir: Path | None = None, force: bool = False) -> Path:
    """Write ``params/<agency>/<year>.yaml``; refuse to overwrite unless ``force``."""
    folder = (params_dir or paths.params_dir()) / agency_id
    paths.report_dir(agency_id, year)  # the same check of the agency id as for outputs
    target = folder / f"{year}.yaml"
    if target.exists() and not force:
        raise NewFileError(f"{paths.relative_to_root(target)} 已存在；如需覆盖请加 --force")
    previous = last_year(target)
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(template(agency_id, year, previous), encoding="utf-8")
    return target


def new_workbook(agency_id: str, year: int, target: Path, params_dir: Path | None = None,
                 force: bool = False) -> Path:
    """Write the workbook of a new agency-year to ``target`` (``kit new --xlsx``), carrying last year's
    details and 结转 as :func:`new_params` does; refuse to overwrite unless ``force``."""
    from kit.read import workbook

    paths.report_dir(agency_id, year)
    if target.exists() and not force:
        raise NewFileError(f"{paths.shown(target)} 已存在；如需覆盖请加 --force")
    previous = last_year((params_dir or paths.params_dir()) / agency_id / f"{year}.yaml")
    return workbook.write(nested(carried(agency_id, year, previous)), target)


# ---------------------------------------------------------------------------------- data → YAML text

BLOCK_FROM = 60  # characters: a longer text is written as a block, as analysts write the parts


def _text(value: str, pad: str) -> list[str]:
    """A string as YAML: a literal block for long or multi-line text when it reads back the same,
    else a double-quoted scalar (which any string survives)."""
    quoted = json.dumps(value, ensure_ascii=False)
    if "\n" not in value and len(value) <= BLOCK_FROM and _reads_back(value, value):
        return [value]  # plain, as analysts write a name: only when no YAML reader could take it for else
    if ("\n" in value or len(value) > BLOCK_FROM) and value.strip() and not value[0].isspace():
        chomp = "+" if value.endswith("\n\n") else "" if value.endswith("\n") else "-"
        block = [f"|{chomp}", *(f"{pad}  {line}" if line else "" for line in value.split("\n"))]
        if chomp != "-":
            block = block[:-1]
        if _reads_back("\n".join(block), value):
            return block
    return [quoted]


def _reads_back(text: str, value: str) -> bool:
    """Whether ``k: text`` is read as ``value`` by the kit's reader and by YAML 1.1's."""
    try:
        return all(yaml.load("k: " + text, Loader=loader) == {"k": value}
                   for loader in (params.KitLoader, yaml.SafeLoader))
    except yaml.YAMLError:
        return False


def _value(value: Any, pad: str) -> list[str]:
    if isinstance(value, str):
        return _text(value, pad)
    if isinstance(value, Decimal):
        return [format(value, "f")]
    return [_scalar(value)]


def _is_default(info: FieldInfo, value: Any) -> bool:
    return not info.is_required() and info.default is not PydanticUndefined and value == info.default


def _fields(model: type[BaseModel], data: dict[str, Any], depth: int, comments: bool) -> list[str]:
    """The lines of ``data``'s fields, in the schema's order, each with its label; defaults (0, "")
    and mappings left with nothing are not written."""
    pad, lines = "  " * depth, []
    for key, info in model.model_fields.items():
        if key not in data:
            continue
        value, sub = data[key], field_at(model, (key,))[1]
        note = f"  # {info.title}" if comments and info.title else ""
        if isinstance(value, dict) and sub is not None:
            inner = _fields(sub, value, depth + 1, comments)
            if inner:
                lines += [f"{pad}{key}:{note}", *inner]
            elif info.default is None:  # an optional mapping's presence is its meaning (a roll-up by default)
                lines.append(f"{pad}{key}: {{}}{note}")
        elif isinstance(value, list):
            if not value:
                continue
            lines.append(f"{pad}{key}:{note}")
            for item in value:
                if isinstance(item, dict) and sub is not None:
                    inner = _fields(sub, item, depth + 2, False) or [f"{pad}    {{}}"]
                    lines += [f"{pad}  - {inner[0].lstrip()}", *inner[1:]]
                else:
                    lines.append(f"{pad}  - {_value(item, pad + '  ')[0]}")
        elif not _is_default(info, value):
            first, *rest = _value(value, pad)
            lines += [f"{pad}{key}: {first}{note}", *rest]
    return lines


def render(data: dict[str, Any], source: str = "", unread: Sequence[Problem] = ()) -> str:
    """Plain parameter data as the text of a parameter file, written as analysts write one: fields in
    the schema's order with their Chinese labels, only the cells that are not 0 (the workbook and the
    report show the zeros; a file listing 150 zeros hides the figures an analyst reads it for).
    ``unread``: the fields the source could not give with certainty, listed at the top to fill in."""
    version = data.get("format")
    spec = formats.get(str(version)) if version else formats.for_year(int(data["year"]))
    lines = [
        f"# {data.get('year')}年政府信息公开工作年度报告参数文件（{spec.version} 版格式，{spec.document}）",
        *([f"# 由 {source} 导入（kit import）。"] if source else []),
        "# 每个字段后的注释是它在报告中的中文标签。为 0 的格子没有写出；总计由工具计算。",
        *(["# 以下字段未能确定地读取，已留空，请对照原报告填写："] if unread else []),
        *(f"#   {p.path}（{p.label}）：{p.message.removeprefix(base.UNREAD)}" for p in unread),
        *_fields(schema_for(spec.version), data, 0, True),
    ]
    return "\n".join(lines) + "\n"
