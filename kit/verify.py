"""``kit verify``: re-execute a published report from its recorded inputs and compare.

The executed notebook is its own recipe: its code cells and the parameter values
papermill recorded. Re-running them in a fresh kernel must give the same outputs
and byte-identical HTML. Separately, the files the report was made from are
compared with what is on disk now.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from kit import execute, export, inputs, paths, publish, writers
from kit.api import HTML_NAME, INJECTED_ID, NOTEBOOK_NAME, PROVENANCE_ID, annotate
from kit.exceptions import KitError
from kit.htmltext import data_cells
from kit.model import label_for, schema_for
from kit.params import read
from kit.project import Project
from kit.render import labelled_cells
from kit.report import load_report

REPRODUCED, DIFFERS, INPUTS_CHANGED = "reproduced", "differs", "inputs-changed"
EXIT_CODES = {REPRODUCED: 0, DIFFERS: 1, INPUTS_CHANGED: 2}


class NotAReport(KitError):
    exit_code = 2


@dataclass
class Verification:
    report: str
    html_identical: bool = True
    cells: list[str] = field(default_factory=list)  # ids of cells whose outputs differ
    figures: list[str] = field(default_factory=list)  # table figures that differ, labelled
    inputs: list[str] = field(default_factory=list)  # what changed on disk since publication
    files: list[str] = field(default_factory=list)  # other published files (report.docx …) that differ

    @property
    def status(self) -> str:
        if not self.html_identical or self.cells or self.files:
            return DIFFERS
        return INPUTS_CHANGED if self.inputs else REPRODUCED

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


def flatten(data: Any, prefix: tuple = ()) -> dict[tuple, Any]:
    """Nested mappings and lists as {(key, index, …): leaf}."""
    if isinstance(data, dict):
        out: dict[tuple, Any] = {}
        for k, v in data.items():
            out.update(flatten(v, (*prefix, k)))
        return out or {prefix: {}}
    if isinstance(data, list):
        out = {}
        for i, v in enumerate(data):
            out.update(flatten(v, (*prefix, i)))
        return out or {prefix: []}
    return {prefix: data}


def field_changes(old: dict, new: dict, version: str) -> list[str]:
    """Every field that differs between two parameter files' data, with its Chinese label."""
    a, b = flatten(old), flatten(new)
    model = schema_for(version)
    changes = []
    for loc in sorted(set(a) | set(b), key=lambda t: [str(x) for x in t]):
        if a.get(loc, "（无）") != b.get(loc, "（无）"):
            label = label_for(model, loc)
            where = ".".join(str(x) for x in loc) + (f"（{label}）" if label else "")
            changes.append(f"{where}：{a.get(loc, '（无）')!r} → {b.get(loc, '（无）')!r}")
    return changes


def _outputs(nb: nbformat.NotebookNode) -> dict[str, list]:
    return {c.get("id"): c.get("outputs", []) for c in nb.cells if c.cell_type == "code" and c.get("id") != INJECTED_ID}


def recipe(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The executed notebook as it was before execution: no injected cell, no outputs, no record."""
    clean = nbformat.reads(nbformat.writes(nb), as_version=4)  # a copy
    clean.cells = [c for c in clean.cells if c.get("id") not in {INJECTED_ID, PROVENANCE_ID}]
    for cell in clean.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    clean.metadata.pop("papermill", None)
    clean.metadata.pop("kit", None)
    return clean


def verify(report_dir: Path | str) -> Verification:
    report_dir = Path(report_dir)
    record = publish.read_record(report_dir)
    if record is None or not (report_dir / NOTEBOOK_NAME).exists():
        raise NotAReport(f"{report_dir} 不是已发布的报告目录（缺少 run.json 或 report.ipynb）")
    published = nbformat.read(report_dir / NOTEBOOK_NAME, as_version=4)
    html = (report_dir / HTML_NAME).read_text(encoding="utf-8")
    parameters = dict(published.metadata["papermill"]["parameters"])
    result = Verification(report=str(report_dir))
    with tempfile.TemporaryDirectory(prefix="kit-verify-") as tmp:
        source, executed = Path(tmp) / "recipe.ipynb", Path(tmp) / NOTEBOOK_NAME
        nbformat.write(recipe(published), source)
        again = execute.execute(source, executed, parameters, file=record["params_file"],
                                kernel_name=record["kernel"], cwd=paths.master_notebook().parent)
    run = {k: v for k, v in record.items() if k != "status"}
    annotate(again, report_dir, run)
    saved = record.get("settings", {})
    settings = Project(**{**saved, "formats": tuple(saved.get("formats", ("html",)))})
    html_again = export.to_html(again, show_version=settings.show_version)
    result.html_identical = html_again == html
    before, after = _outputs(published), _outputs(again)
    result.cells = [cid for cid in dict.fromkeys([*before, *after]) if before.get(cid) != after.get(cid)]
    report = load_report(parameters["params_file"], parameters["params"], parameters.get("previous"),
                         parameters.get("previous_file"))
    result.files = changed_files(report_dir, writers.Executed(again, report, run, settings), html_again)
    labels = [label for label, _ in labelled_cells(report)]
    shown, recomputed = data_cells(html), data_cells(html_again)
    for i, (a, b) in enumerate(zip(shown, recomputed, strict=False)):
        if a != b:
            result.figures.append(f"{labels[i] if i < len(labels) else f'第{i + 1}格'}：发布 {a}，重算 {b}")
    if len(shown) != len(recomputed):
        result.figures.append(f"表格单元格数不同：发布 {len(shown)}，重算 {len(recomputed)}")
    result.inputs = input_changes(record, parameters, report.spec.version)
    return result


def changed_files(report_dir: Path, executed: writers.Executed, html: str) -> list[str]:
    """The published files besides the HTML (report.pdf, report.docx) that the re-run does not reproduce."""
    written = {HTML_NAME: html.encode()}
    changed = []
    for name in executed.project.formats:
        writer = writers.get(name)
        if writer.filename not in written:
            written[writer.filename] = writer.write(executed, written)
            published = report_dir / writer.filename
            if not published.exists() or published.read_bytes() != written[writer.filename]:
                changed.append(writer.filename)
    return changed


def input_changes(record: dict, parameters: dict, version: str) -> list[str]:
    """What the report was made from, against what is on disk now."""
    root, changes = paths.project_root(), []
    recorded = record["inputs"]
    for key, name, data in (("params", record["params_file"], parameters["params"]),
                            ("previous_params", record.get("previous_file"), parameters.get("previous"))):
        if name is None:
            continue
        path = root / name
        if not path.exists():
            changes.append(f"{name} 已不存在")
        elif inputs.sha256_file(path) != recorded[key]:
            changes.append(f"{name} 已修改：")
            changes += [f"  {c}" for c in field_changes(data, read(path).data, version)]
    current = inputs.report_inputs(root / record["params_file"], None)
    for key, what in (("notebook", "主笔记本 notebooks/report.ipynb"), ("kit_code", "kit 的代码或模板"),
                      ("lock", "依赖锁定文件 requirements.lock"), ("kit_version", "kit 版本")):
        if current[key] != recorded[key]:
            changes.append(f"{what}已改变")
    return changes
