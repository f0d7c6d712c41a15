"""``kit verify``: rebuild a published report from the inputs its record names, and compare.

Nothing in the report folder is a recipe: no code cell and no parameter value is taken
from it. The record names the parameter file (and last year's) with their hashes; the
master notebook and the kit's code are those of the installed kit, checked against the
recorded hashes. Verify rebuilds the report from these — the same functions as
``kit run`` — and compares every published file with the record, byte for byte, times
aside (the recorded times and kernel start are adopted; they are no input's product).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

from kit import paths
from kit.api import INJECTED_ID, RunOptions, build, plan, report_files
from kit.audit import approvals, inputs, provenance, record
from kit.audit.differences import differing, explain, field_changes
from kit.audit.htmltext import data_cells
from kit.audit.record import HTML_NAME, NOTEBOOK_NAME, RECORD_NAME, STATUS_NAME
from kit.content.render import labelled_cells
from kit.content.report import Report, load_report
from kit.exceptions import KitError
from kit.project import Project
from kit.read.base import read
from kit.write import writers

REPRODUCED, DIFFERS, INPUTS_CHANGED, OTHER_VERSION = "reproduced", "differs", "inputs-changed", "other-version"
EXIT_CODES = {REPRODUCED: 0, DIFFERS: 1, INPUTS_CHANGED: 2, OTHER_VERSION: 2}
TIME_KEYS = ("start_time", "end_time", "duration")  # papermill's, in the notebook's and each cell's metadata


class NotAReport(KitError):
    exit_code = 2


class UnknownKernel(KitError):
    exit_code = 2


@dataclass
class Verification:
    report: str
    html_identical: bool = True
    cells: list[str] = field(default_factory=list)  # ids of cells whose outputs differ
    figures: list[str] = field(default_factory=list)  # table figures that differ, labelled
    inputs: list[str] = field(default_factory=list)  # what changed on disk since publication
    versions: list[str] = field(default_factory=list)  # where the installed kit differs from the recorded one
    parts: list[str] = field(default_factory=list)  # each part of the record that differs: its first difference
    chain: list[str] = field(default_factory=list)  # what is wrong with the approvals log (edited, removed, moved)
    approval: list[str] = field(default_factory=list)  # the sign-off state: are the approved bytes the published ones

    @property
    def status(self) -> str:
        if self.parts or self.cells or self.chain or not self.html_identical:
            return DIFFERS
        if self.versions:
            return OTHER_VERSION
        return INPUTS_CHANGED if self.inputs else REPRODUCED

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


def verify(report_dir: Path | str) -> Verification:
    """Rebuild the report in ``report_dir`` from the inputs its record names and compare every file."""
    folder = Path(report_dir)
    result = Verification(report=str(report_dir))
    result.chain, result.approval = approvals.verify_lines(folder)
    published = _notebook(folder / NOTEBOOK_NAME)
    try:
        run = _recorded(folder, published)
    except record.RecordError as exc:
        (result.versions if isinstance(exc, record.OtherSchema) else result.parts).append(str(exc))
        return result
    result.versions = version_changes(run)
    result.inputs = [] if result.versions else input_changes(run, published)
    result.parts = [f"{RECORD_NAME}：字段 files 列出本 kit 不生成的文件 {name}" for name in run.files
                    if name != NOTEBOOK_NAME and name not in writers.filenames()]
    if result.status != REPRODUCED:
        return result
    rebuilt = rebuild(run)
    if isinstance(rebuilt, str):
        result.inputs = [rebuilt]
        return result
    nb = rebuilt.nb
    if published is not None:
        adopt_times(nb, published)
        result.cells = changed_outputs(published, nb)
    compare(folder, report_files(rebuilt), result, run)
    return result


def rebuild(run: record.Record) -> writers.Executed | str:
    """The executed report (notebook, record, settings) the inputs ``run`` names produce with the
    installed kit and the recorded project settings, its times and kernel start taken from ``run``;
    or why the inputs are no longer those."""
    _check_kernel(run.kernel)
    with tempfile.TemporaryDirectory(prefix="kit-verify-") as tmp:  # a failed rebuild's notebook goes there
        settings = Project(**{**run.settings, "formats": tuple(run.settings.get("formats", ("html",)))})
        options = RunOptions(output=Path(tmp), kernel_name=run.kernel, generated_on=run.generated_on,
                             project=settings)
        p = plan(paths.recorded_path(run.params_file), options)
        now = paths.recorded_name(p.previous_file) if p.previous_file is not None else None
        if now != run.previous_file:
            return f"上年参数文件：记录 {run.previous_file or '无'}，现在 {now or '无'}"
        nb, again = build(p, options, run.circumstances())
        return writers.Executed(nb, Report(p.validated), again, settings)


def _notebook(path: Path) -> nbformat.NotebookNode | None:
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError, KeyError, AttributeError):  # missing, not JSON, not a notebook
        return None


def _recorded(folder: Path, published: nbformat.NotebookNode | None) -> record.Record:
    """The record: run.json, or the notebook's metadata when run.json is gone."""
    data = record.load_run_json(folder)
    if data is not None:
        return record.parse(data, RECORD_NAME)
    if published is not None:
        return record.from_notebook(published)
    raise NotAReport(f"{folder} 不是已发布的报告目录（缺少 {RECORD_NAME} 和 {NOTEBOOK_NAME}）")


def version_changes(run: record.Record) -> list[str]:
    """Where the installed kit is not the one that made the record: verify can't compare then."""
    now = inputs.report_inputs(None, None)
    out = [f"{what}：记录 {str(run.inputs.get(key))[:16]}，已安装 {str(now[key])[:16]}"
           for key, what in (("notebook", f"主笔记本 {paths.recorded_name(paths.master_notebook())} 的 sha256"),
                             ("kit_code", "kit 代码和模板的 sha256"), ("kit_version", "kit 版本"),
                             ("lock", "依赖锁定文件 requirements.lock 的 sha256"))
           if run.inputs.get(key) != now[key]]
    out += [f"{name}：记录 {a}，已安装 {b}"
            for (name,), a, b in differing(run.libraries, provenance.library_versions())]
    return out


def input_changes(run: record.Record, published: nbformat.NotebookNode | None) -> list[str]:
    """The parameter files the record names, against their recorded hashes."""
    recorded = published.metadata.get("papermill", {}).get("parameters", {}) if published is not None else {}
    changes = []
    for key, name, data in (("params", run.params_file, recorded.get("params")),
                            ("previous_params", run.previous_file, recorded.get("previous"))):
        if name is None:
            continue
        path = paths.recorded_path(name)
        if not path.is_file():
            changes.append(f"{name} 已不存在")
        elif inputs.sha256_file(path) != run.inputs.get(key):
            changes.append(f"{name} 已修改：")
            changes += [f"  {c}" for c in _field_changes_on_disk(data, path, run.format)]
    return changes


def _field_changes_on_disk(recorded: Any, path: Path, version: str) -> list[str]:
    try:
        return field_changes(recorded, read(path).data, version) if isinstance(recorded, dict) else []
    except KitError:  # no longer readable: its hash already says it changed
        return []


def _check_kernel(name: str) -> None:
    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise UnknownKernel(f"{RECORD_NAME} 记录的内核 {name!r} 在本机不存在，无法重新生成报告") from None


def adopt_times(nb: nbformat.NotebookNode, published: nbformat.NotebookNode) -> None:
    """Give the rebuilt notebook the published one's execution times (they are no input's product)."""
    _adopt(nb.metadata.get("papermill"), published.metadata.get("papermill"), TIME_KEYS)
    old = {c.get("id"): c for c in published.cells}
    for cell in nb.cells:
        before = old.get(cell.get("id"))
        if before is not None:
            _adopt(cell.metadata.get("papermill"), before.metadata.get("papermill"), TIME_KEYS)
            _adopt(cell.metadata.get("execution"), before.metadata.get("execution"), None)


def _adopt(target: dict | None, source: dict | None, keys: tuple[str, ...] | None) -> None:
    if isinstance(target, dict) and isinstance(source, dict):
        for key in keys or tuple(target):
            if key in target and key in source:
                target[key] = source[key]


def compare(folder: Path, expected: dict[str, bytes], result: Verification, run: record.Record) -> None:
    """Each published file against what the inputs produce, byte for byte; a file too many is a difference."""
    for name, data in expected.items():
        path = folder / name
        if not path.is_file():
            result.parts.append(f"{name}：文件缺失")
            continue
        actual = path.read_bytes()
        if actual != data:
            result.parts.append(f"{name}：{explain(name, actual, data, run.format)}")
            if name == HTML_NAME:
                result.html_identical = False
                result.figures = changed_figures(actual.decode(errors="replace"), data.decode(), run)
    result.parts += [f"{p.name}：记录的输入不生成此文件" for p in sorted(folder.iterdir())
                     if p.name not in expected and p.name != STATUS_NAME]  # the batch's page beside the report


def changed_outputs(published: nbformat.NotebookNode, nb: nbformat.NotebookNode) -> list[str]:
    """Ids of the code cells whose outputs differ."""
    def outputs(n: nbformat.NotebookNode) -> dict[str, list]:
        return {c.get("id"): c.get("outputs", []) for c in n.cells
                if c.cell_type == "code" and c.get("id") != INJECTED_ID}
    before, after = outputs(published), outputs(nb)
    return [cid for cid in dict.fromkeys([*before, *after]) if before.get(cid) != after.get(cid)]


def changed_figures(shown_html: str, rebuilt_html: str, run: record.Record) -> list[str]:
    """The table figures the published page shows differently, by their Chinese labels."""
    shown, rebuilt = data_cells(shown_html), data_cells(rebuilt_html)
    labels = [label for label, _ in labelled_cells(load_report(paths.recorded_path(run.params_file)))]
    out = [f"{labels[i] if i < len(labels) else f'第{i + 1}格'}：发布 {a}，重算 {b}"
           for i, (a, b) in enumerate(zip(shown, rebuilt, strict=False)) if a != b]
    if len(shown) != len(rebuilt):
        out.append(f"表格单元格数不同：发布 {len(shown)}，重算 {len(rebuilt)}")
    return out
