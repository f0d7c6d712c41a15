"""``kit import``: a published report (web page or Word file) read back into ``params/<agency>/<year>.yaml``,
written with what could not be read listed at its top, then validated like a typed file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kit import paths
from kit.check.validate import Validated, validate_data, validate_file
from kit.exceptions import ParamsError, Problem
from kit.read import base
from kit.read.params import parse as yaml_parse
from kit.read.published import Imported
from kit.spec import formats
from kit.spec.formats import FormatSpec
from kit.spec.model import schema_for


def _ordered(data: dict[str, Any], spec: FormatSpec) -> dict[str, Any]:
    """The data in the order of the parameter file's fields."""
    order = list(schema_for(spec.version).model_fields)
    return {k: data[k] for k in sorted(data, key=lambda k: order.index(k) if k in order else len(order))}


def to_yaml(imported: Imported, source: str) -> str:
    """The parameter file's text: where it came from, what could not be read (as comments), the data."""
    year = imported.data.get("year")
    spec = formats.for_year(year) if isinstance(year, int) else formats.get(formats.versions()[-1])
    lines = [f"# {imported.data.get('agency', {}).get('name', '')}{year}年政府信息公开工作年度报告"
             f"（{spec.version} 版格式），由 kit import 读自已发布的报告 {source}"]
    if imported.unread:
        lines.append("# 以下字段未能确定地读取，已留空，请对照原报告填写：")
        lines += [f"#   {p.path}（{p.label}）：{p.message.removeprefix('未能确定地读取，已留空：')}"
                  for p in imported.unread]
    body = yaml.safe_dump(_ordered(imported.data, spec), allow_unicode=True, sort_keys=False, width=10**6)
    return "\n".join(lines) + "\n" + body


@dataclass
class ImportResult:
    """What ``kit import`` did: the file written (None when printed), its text, its validation."""

    target: Path | None
    text: str
    unread: list[Problem]
    validated: Validated


def import_report(source: Path | str, *, agency: str | None = None, year: int | None = None,
                  output: Path | str | None = None, params_dir: Path | None = None,
                  force: bool = False) -> ImportResult:
    """Read a published report (page or Word file) into ``params/<agency>/<year>.yaml`` (or ``output``;
    ``"-"``: not written) and validate it."""
    name = paths.relative_to_root(Path(source))
    loaded = base.read(source, name)
    if not isinstance(loaded, Imported):
        raise ParamsError(name, "kit import 读取的是已发布的报告（网页 .html/.htm 或 Word .docx）")
    if year is not None and loaded.year != year:
        raise ParamsError(name, f"这是{loaded.year}年度的报告，不是要导入的{year}年度（--year {year}）")
    if not agency:
        raise ParamsError(name, "请用 --agency 给出单位标识（输出目录名，如 pingtan）：已发布的报告里没有它")
    loaded.data["agency"] = {"id": agency, **loaded.data.get("agency", {})}
    text = to_yaml(loaded, name)
    if output == "-":
        reread = yaml_parse(text, name)
        return ImportResult(None, text, loaded.unread, validate_data(reread.data, name, loaded=reread))
    target = Path(output) if output else (params_dir or paths.params_dir()) / agency / f"{loaded.year}.yaml"
    paths.report_dir(agency, loaded.year or 0)  # the same check of the agency id as for outputs
    if target.exists() and not force:
        raise ParamsError(paths.relative_to_root(target), "已存在；如需覆盖请加 --force")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return ImportResult(target, text, loaded.unread, validate_file(target))
