"""``kit new AGENCY YEAR``: a parameter file with every field present, each labelled in Chinese.

When the agency's previous-year file exists, its details (the agency, the compiling office and its
contact details, the 落款's name) carry over and this
year's 二、上年结转 is set from last year's 四、结转下年度继续办理 (rule X1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kit import paths
from kit.check.validate import Validated, previous_file, validate_file
from kit.content import tables
from kit.exceptions import KitError
from kit.spec import formats
from kit.spec.model import schema_for, spec_of
from kit.spec.schema_doc import walk


class NewFileError(KitError):
    exit_code = 2


def _scalar(value: Any) -> str:
    if value is None:
        return "~"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def template(agency_id: str, year: int, previous: Validated | None = None) -> str:
    """The text of a new parameter file for ``agency_id`` and ``year``."""
    spec = formats.for_year(year)
    prev = previous.model if previous is not None and previous.ok else None
    values: dict[tuple[str, ...], Any] = {
        ("format",): spec.version,
        ("year",): year,
        ("agency", "id"): agency_id,
        ("agency", "name"): prev.agency.name if prev else "",
        ("agency", "kind"): prev.agency.kind if prev else "department",
        ("agency", "self_name"): prev.agency.self_name if prev else "我单位",
    }
    if prev is not None:  # who compiles the report, whom to ask and the 落款 stay; the date is this year's
        for key in type(prev.contact).model_fields:
            values[("contact", key)] = getattr(prev.contact, key)
        values[("signoff", "name")] = prev.signoff.name
        carried = tables.table3_frame(prev, spec_of(prev)).loc["carry_out"].to_dict()
        for col in tables.COLUMN_KEYS:
            values[("table3", "carry_in", col)] = int(carried[col])
    lines = [
        f"# {year}年政府信息公开工作年度报告参数文件（{spec.version} 版格式，{spec.document}）",
        "# 每个字段后的注释是它在报告中的中文标签。为 0 的格子可以删去；",
        "# 总计（表三的总计列和（七）总计行、表四的总计）由工具计算，不必填写。",
    ]
    if prev is not None and previous is not None:
        lines.append(f"# 单位信息和“二、上年结转”取自 {previous.file}（上年的“四、结转下年度继续办理”）。")
    for doc in walk(schema_for(spec.version)):
        if "[]" in doc.path or ("total" in doc.path[1:] and doc.path[0] in {"table3", "table4"}):
            continue
        indent = "  " * (len(doc.path) - 1)
        key = doc.path[-1]
        if doc.model is not None and not doc.is_list:
            lines.append(f"{indent}{key}:  # {doc.title}")
        elif doc.is_list:
            item = "、".join(f"{d.path[-1]}（{d.title}）" for d in walk(doc.model)) if doc.model else ""
            lines.append(f"{indent}{key}: []  # {doc.title}；每项：{item}")
        else:
            value = values.get(doc.path, doc.default)
            lines.append(f"{indent}{key}: {_scalar(value)}  # {doc.title}")
    return "\n".join(lines) + "\n"


def new_params(agency_id: str, year: int, params_dir: Path | None = None, force: bool = False) -> Path:
    """Write ``params/<agency>/<year>.yaml``; refuse to overwrite unless ``force``."""
    folder = (params_dir or paths.params_dir()) / agency_id
    paths.report_dir(agency_id, year)  # the same check of the agency id as for outputs
    target = folder / f"{year}.yaml"
    if target.exists() and not force:
        raise NewFileError(f"{paths.relative_to_root(target)} 已存在；如需覆盖请加 --force")
    last_year = previous_file(target)
    previous = validate_file(last_year, with_previous=False) if last_year is not None else None
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(template(agency_id, year, previous), encoding="utf-8")
    return target
