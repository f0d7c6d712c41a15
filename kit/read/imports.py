"""``kit import``: a source — an Excel workbook or a published report (web page, Word file) — read into
``params/<agency>/<year>.yaml``, the one way in for every type.

The source is read by the reader for its suffix, its data validated with the source's places (a
workbook's cell 表三!D12, a page's 表1第7行) and last year's file beside the target (rules X1, X2), and
written as an analyst writes a parameter file (:func:`kit.read.new.render`): fields in the schema's
order, each with its Chinese label, what could not be read listed at its top. Data that does not fit
the schema is not written; an existing file is not overwritten without ``force``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kit import paths
from kit.check.validate import Validated, validate_data
from kit.exceptions import ParamsError, PathError, Problem
from kit.read import base, new, params
from kit.spec.model import schema_for
from kit.write import publish

NO_AGENCY = "请用 --agency 给出单位标识（输出目录名，如 pingtan）：{}"


@dataclass
class ImportResult:
    """What ``kit import`` did with one source: the file's text, what could not be read (left blank,
    listed at the text's top), the validation (places are the source's) and where the file was written
    (None: printed, or not written because the data does not fit the schema)."""

    source: str
    text: str
    validated: Validated
    unread: list[Problem] = field(default_factory=list)
    target: Path | None = None

    @property
    def readable(self) -> bool:
        """Whether the data fits the schema, so that a parameter file can hold it (rule errors may remain)."""
        return not any(p.rule == "schema" and p.severity == "error" for p in self.validated.problems)


def import_source(source: Path | str, *, agency: str | None = None, year: int | None = None,
                  output: Path | str | None = None, params_dir: Path | None = None,
                  force: bool = False) -> ImportResult:
    """Read ``source`` (a workbook or a published report) into ``params/<agency>/<year>.yaml``, or
    ``output`` (``"-"``: not written, only the text returned), and validate it.

    ``agency`` names the agency when the source does not (a published report), and must agree with it
    when it does (a workbook); ``year``, when given, must be the source's. Refused (ParamsError) when
    either disagrees or the source is a parameter file; NewFileError when the target exists and not
    ``force``. The result's ``target`` is None when the data does not fit the schema: nothing is written.
    """
    name = paths.relative_to_root(Path(source))
    reader = base.for_path(source, name)
    if reader.name == params.YamlReader.name:
        readable = "、".join(s for s in base.suffixes() if s not in reader.suffixes)
        raise ParamsError(name, f"这已是参数文件：kit import 读取的是工作簿或已发布的报告（{readable}）；"
                                "参数文件请直接用 kit validate 校验")
    if agency is not None:
        paths.report_dir(agency, 0)  # the same check of the agency id as for outputs
    loaded = base.read(source, name)
    data = loaded.data
    source_year = data.get("year")
    if year is not None and isinstance(source_year, int) and source_year != year:
        raise ParamsError(name, f"这是{source_year}年度的报告，不是要导入的{year}年度（--year {year}）")
    agency_id = _agency_id(loaded, agency)
    home = _home(agency_id, source_year, params_dir)
    target = None if output == "-" else Path(output) if output else home
    beside = target or home
    previous = new.last_year(beside) if beside is not None else None  # X1, X2 against last year's file
    validated = validate_data(data, name, loaded=loaded, previous=previous)
    result = ImportResult(name, new.render(data, name, loaded.unread), validated, list(loaded.unread))
    _check_reads_back(result, data)
    if target is None or not result.readable:
        return result
    if target.exists() and not force:
        raise new.NewFileError(f"{paths.relative_to_root(target)} 已存在；如需覆盖请加 --force")
    publish.write_atomic(target, result.text.encode("utf-8"))
    result.target = target
    return result


def _agency_id(loaded: base.Loaded, agency: str | None) -> str:
    """The agency id the data holds after ``--agency``: the source's own, or ``agency`` put in."""
    held = loaded.data.get("agency")
    held = held if isinstance(held, dict) else {}
    own = held.get("id")
    if own not in (None, ""):
        if agency is not None and agency != own:
            where = loaded.where(("agency", "id"))
            raise ParamsError(loaded.file, f"单位标识是 {own}" + (f"（{where}）" if where else "")
                                           + f"，不是 --agency 给出的 {agency}：请改正其中之一，或不加 --agency")
        return str(own)
    if not agency:
        why = "已发布的报告里没有它" if "id" not in held else f"{loaded.where(('agency', 'id')) or '单位标识'} 是空的"
        raise ParamsError(loaded.file, NO_AGENCY.format(why))
    loaded.data["agency"] = {**held, "id": agency}
    return agency


def _home(agency_id: str, year: Any, params_dir: Path | None) -> Path | None:
    """``params/<agency>/<year>.yaml``; None when the year is not a number or the id can't name a
    folder (the schema says why)."""
    if not isinstance(year, int):
        return None
    try:
        paths.report_dir(agency_id, year)
    except PathError:
        return None
    return (params_dir or paths.params_dir()) / agency_id / f"{year}.yaml"


def _check_reads_back(result: ImportResult, data: dict[str, Any]) -> None:
    """The written text must read back as the same data (a kit defect otherwise, never the analyst's)."""
    spec = result.validated.spec
    if result.validated.model is None or spec is None:
        return
    schema = schema_for(spec.version)
    same = [schema.model_validate(d).model_dump(warnings=False)
            for d in (params.parse(result.text, result.source).data, data)]
    if same[0] != same[1]:
        raise new.NewFileError(f"{result.source}：写出的参数文件读回后与原数据不同：这是 kit 的缺陷，请报告给维护者")
