"""``kit verify``: rebuild a published report from the inputs its record names, and compare.

Nothing in the report folder is a recipe: no code cell and no parameter value is taken
from it. The record names the parameter file (and last year's) with their hashes; the
master notebook and the kit's code are those of the installed kit, checked against the
recorded hashes. Verify rebuilds the report from these — the same functions as
``kit run`` — and compares every published file with the record, byte for byte, times
aside (the recorded times and kernel start are adopted; they are no input's product).
"""

from __future__ import annotations

import ast
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

from kit import inputs, paths, provenance, record
from kit.api import INJECTED_ID, WRITERS, RunOptions, build, plan, report_files
from kit.exceptions import KitError
from kit.htmltext import data_cells
from kit.model import label_for, schema_for
from kit.params import read
from kit.record import HTML_NAME, NOTEBOOK_NAME, PDF_NAME, RECORD_NAME
from kit.render import labelled_cells
from kit.report import load_report

REPRODUCED, DIFFERS, INPUTS_CHANGED, OTHER_VERSION = "reproduced", "differs", "inputs-changed", "other-version"
EXIT_CODES = {REPRODUCED: 0, DIFFERS: 1, INPUTS_CHANGED: 2, OTHER_VERSION: 2}
TIME_KEYS = ("start_time", "end_time", "duration")  # papermill's, in the notebook's and each cell's metadata
MISSING = "（无）"


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

    @property
    def status(self) -> str:
        if self.parts or self.cells or not self.html_identical:
            return DIFFERS
        if self.versions:
            return OTHER_VERSION
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


def _differing(old: Any, new: Any) -> list[tuple[tuple, Any, Any]]:
    """Every leaf that differs between two JSON-like values: (location, old, new), in order."""
    a, b = flatten(old), flatten(new)
    return [(loc, a.get(loc, MISSING), b.get(loc, MISSING)) for loc in dict.fromkeys([*a, *b])
            if a.get(loc, MISSING) != b.get(loc, MISSING)]


def _where(loc: tuple, version: str | None) -> str:
    """A field's path, with its Chinese label when it is a field of the parameter file."""
    label = label_for(schema_for(version), loc) if version else ""
    return ".".join(str(x) for x in loc) + (f"（{label}）" if label else "")


def field_changes(old: dict, new: dict, version: str) -> list[str]:
    """Every field that differs between two parameter files' data, with its Chinese label."""
    changes = sorted(_differing(old, new), key=lambda c: [str(x) for x in c[0]])
    return [f"{_where(loc, version)}：{a!r} → {b!r}" for loc, a, b in changes]


def verify(report_dir: Path | str) -> Verification:
    """Rebuild the report in ``report_dir`` from the inputs its record names and compare every file."""
    folder = Path(report_dir)
    result = Verification(report=str(report_dir))
    published = _notebook(folder / NOTEBOOK_NAME)
    try:
        run = _recorded(folder, published)
    except record.RecordError as exc:
        (result.versions if isinstance(exc, record.OtherSchema) else result.parts).append(str(exc))
        return result
    result.versions = version_changes(run)
    result.inputs = [] if result.versions else input_changes(run, published)
    result.parts = [f"{RECORD_NAME}：字段 files 列出本 kit 不生成的文件 {name}" for name in run.files
                    if name not in WRITERS]
    if result.status != REPRODUCED:
        return result
    rebuilt = rebuild(run)
    if isinstance(rebuilt, str):
        result.inputs = [rebuilt]
        return result
    nb, again = rebuilt
    if published is not None:
        adopt_times(nb, published)
        result.cells = changed_outputs(published, nb)
    compare(folder, report_files(nb, again), result, run)
    return result


def rebuild(run: record.Record) -> tuple[nbformat.NotebookNode, record.Record] | str:
    """The executed notebook and record the inputs ``run`` names produce with the installed kit,
    its times and kernel start taken from ``run``; or why the inputs are no longer those."""
    _check_kernel(run.kernel)
    with tempfile.TemporaryDirectory(prefix="kit-verify-") as tmp:  # a failed rebuild's notebook goes there
        options = RunOptions(output=Path(tmp), kernel_name=run.kernel, generated_on=run.generated_on,
                             pdf=PDF_NAME in run.files)
        p = plan(paths.recorded_path(run.params_file), options)
        now = paths.recorded_name(p.previous_file) if p.previous_file is not None else None
        if now != run.previous_file:
            return f"上年参数文件：记录 {run.previous_file or '无'}，现在 {now or '无'}"
        return build(p, options, run.circumstances())


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
    if run.git_commit != provenance.git_commit():
        out.append(f"git 提交：记录 {run.git_commit}，已安装 {provenance.git_commit()}")
    out += [f"{name}：记录 {a}，已安装 {b}"
            for (name,), a, b in _differing(run.libraries, provenance.library_versions())]
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
    result.parts += [f"{p.name}：记录的输入不生成此文件" for p in sorted(folder.iterdir()) if p.name not in expected]


def explain(name: str, actual: bytes, expected: bytes, version: str) -> str:
    """The first difference between a published file and the rebuilt one, in words."""
    if name.endswith((".ipynb", ".json")):
        try:
            a = json.loads(actual)
        except (UnicodeDecodeError, ValueError):
            return "不是有效的 JSON"
        b = json.loads(expected)
        return notebook_difference(a, b, version) if name.endswith(".ipynb") else json_difference(a, b, "字段 ")
    try:
        return text_difference(actual.decode(), expected.decode())
    except UnicodeDecodeError:
        return byte_difference(actual, expected)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "…"


def json_difference(a: Any, b: Any, prefix: str, version: str | None = None) -> str:
    loc, old, new = _differing(a, b)[0]
    return f"{prefix}{_where(loc, version)}：记录 {_short(old)}，重算 {_short(new)}"


def notebook_difference(a: dict, b: dict, version: str) -> str:
    meta_a, meta_b = a.get("metadata", {}), b.get("metadata", {})
    if meta_a != meta_b:
        for key in dict.fromkeys([*meta_a, *meta_b]):
            if meta_a.get(key) != meta_b.get(key):
                if key == "papermill" and isinstance(meta_a.get(key), dict):
                    return _papermill_difference(meta_a[key], meta_b[key], version)
                return json_difference({key: meta_a.get(key, MISSING)}, {key: meta_b[key]} if key in meta_b else {},
                                       "元数据 ")
    cells_a, cells_b = a.get("cells", []), b.get("cells", [])
    ids_a, ids_b = [c.get("id") for c in cells_a], [c.get("id") for c in cells_b]
    if ids_a != ids_b:
        return f"单元格不同：记录 {ids_a}，重算 {ids_b}"
    for ca, cb in zip(cells_a, cells_b, strict=True):
        if ca != cb:
            return cell_difference(ca, cb, version)
    return json_difference({k: v for k, v in a.items() if k not in ("cells", "metadata")},
                           {k: v for k, v in b.items() if k not in ("cells", "metadata")}, "")


def _papermill_difference(a: dict, b: dict, version: str) -> str:
    pa, pb = a.get("parameters"), b.get("parameters")
    if isinstance(pa, dict) and isinstance(pb, dict) and _params_differ(pa, pb):
        return _params_difference(pa, pb, "元数据 papermill.parameters 的参数 ", version)
    return json_difference(a, b, "元数据 papermill.")


def _params_differ(a: dict, b: dict) -> bool:
    return isinstance(a.get("params"), dict) and isinstance(b.get("params"), dict) and a["params"] != b["params"]


def _params_difference(a: dict, b: dict, prefix: str, version: str) -> str:
    """A parameter file's field that differs, with its Chinese label."""
    return json_difference(a["params"], b["params"], f"{prefix}params.", version)


def cell_difference(a: dict, b: dict, version: str) -> str:
    cid = b.get("id")
    if a.get("source") != b.get("source"):
        if cid == INJECTED_ID:
            pa, pb = injected(a.get("source", "")), injected(b["source"])
            if pa is not None and _params_differ(pa, pb):
                return _params_difference(pa, pb, f"单元格 {cid} 的参数 ", version)
        what = "源代码" if b.get("cell_type") == "code" else "内容"
        return f"单元格 {cid} 的{what}{text_difference(_text(a.get('source', '')), _text(b['source']))}"
    if a.get("outputs") != b.get("outputs"):
        return f"单元格 {cid} 的输出不同：{json_difference(a.get('outputs'), b.get('outputs'), 'outputs.')}"
    return json_difference(a, b, f"单元格 {cid} 的 ")


def _text(source: str | list) -> str:
    return "".join(source) if isinstance(source, list) else source


def injected(source: str | list) -> dict[str, Any] | None:
    """The values of papermill's injected cell, read as literals (never executed); None if it is not literals."""
    try:
        tree = ast.parse(_text(source))
        return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}
    except (SyntaxError, ValueError, TypeError):
        return None


def text_difference(a: str, b: str) -> str:
    lines_a, lines_b = a.splitlines(), b.splitlines()
    for i in range(max(len(lines_a), len(lines_b))):
        la = lines_a[i] if i < len(lines_a) else MISSING
        lb = lines_b[i] if i < len(lines_b) else MISSING
        if la != lb:
            return f"第 {i + 1} 行：记录 {_short(la.strip())}，重算 {_short(lb.strip())}"
    return "行尾或空白不同"


def byte_difference(a: bytes, b: bytes) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"自第 {at} 字节起不同（记录 {len(a)} 字节，重算 {len(b)} 字节）"


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
