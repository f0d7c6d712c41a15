"""The orchestrator: parameter file → validated model → executed notebook → HTML → output/.

``run_report`` is the library function that ``kit run`` wraps; ``plan`` is the
cheap first step (read, validate, hash the inputs) that a batch uses to skip
reports whose inputs have not changed.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from kit import __version__, execute, export, forkserver, inputs, lifetime, paths, pdf, provenance, publish
from kit.exceptions import ExecutionError, Problem, WriteError
from kit.narrative import deadline, title
from kit.validate import Validated, validate_file

NOTEBOOK_NAME = "report.ipynb"
HTML_NAME = "report.html"
PDF_NAME = "report.pdf"


@dataclass(frozen=True)
class RunOptions:
    """Options shared by the library call and the CLI (same names)."""

    output: Path | None = None
    kernel_name: str = execute.KERNEL_NAME
    timeout: int | None = 600
    generated_on: str | None = None  # the report's generation date (an input: kit verify re-uses it)
    pdf: bool = False  # also report.pdf, printed by headless Chromium
    ahead: bool = False  # start the kernel for the worker's next report before running this one


@dataclass
class Plan:
    """One report before it runs: its validated parameters, where it goes, what it is made from."""

    params_file: Path
    validated: Validated
    dest: Path
    previous_file: Path | None
    inputs: dict[str, str | None]

    @property
    def key(self) -> str:
        return inputs.inputs_key(self.inputs)

    def unchanged(self, pdf: bool = False) -> bool:
        """Published already from exactly these inputs (and still complete, with its PDF if asked)."""
        record = publish.read_record(self.dest)
        names = [HTML_NAME, NOTEBOOK_NAME] + ([PDF_NAME] if pdf else [])
        return (record is not None and record.get("inputs_key") == self.key
                and all((self.dest / name).exists() for name in names))


@dataclass
class RunResult:
    params_file: str
    html: Path
    notebook: Path
    seconds: float
    warnings: list[Problem] = field(default_factory=list)


def failed_notebook_path(dest: Path) -> Path:
    """Where a failed run's notebook is kept: beside the published folder, never inside it."""
    return dest.parent / f"{dest.name}.failed.ipynb"


def plan(params_file: Path | str, options: RunOptions | None = None) -> Plan:
    """Read and validate the parameter file; raise ValidationFailed on any error."""
    options = options or RunOptions()
    params_file = Path(params_file)
    validated = validate_file(params_file)
    validated.raise_for_errors()
    model = validated.model
    prev = validated.previous.path if validated.previous is not None else None
    dest = paths.report_dir(model.agency.id, model.year, options.output)
    return Plan(params_file, validated, dest, prev, inputs.report_inputs(params_file, prev))


def run_report(params_file: Path | str, options: RunOptions | None = None) -> RunResult:
    """Validate, execute, export and publish one agency-year's report.

    Raises :class:`~kit.exceptions.ValidationFailed` before any kernel starts (and
    before ``output/`` is touched) when the file breaks a rule, and
    :class:`~kit.exceptions.OutputLocked` while a batch writes to the same output folder
    (other runs may: each report's publishing is locked on its own).
    """
    options = options or RunOptions()
    started = time.perf_counter()
    p = plan(params_file, options)
    lifetime.remove_orphaned_temp_folders()
    with publish.output_lock(options.output or paths.output_dir(), "kit run", shared=True):
        return execute_plan(p, options, started)


def execute_plan(p: Plan, options: RunOptions, started: float | None = None) -> RunResult:
    started = time.perf_counter() if started is None else started
    validated, dest = p.validated, p.dest
    prev = validated.previous
    parameters = {
        "params_file": validated.file,
        "params": validated.data,
        "previous": prev.data if prev is not None else None,
        "previous_file": prev.file if prev is not None else None,
    }
    notebook = paths.master_notebook()
    begin = datetime.now(UTC)
    with (publish.writing(Path(tempfile.gettempdir())),
          tempfile.TemporaryDirectory(prefix=lifetime.temp_prefix("run")) as tmp):
        executed = Path(tmp) / NOTEBOOK_NAME
        try:
            nb = execute.execute(notebook, executed, parameters, file=validated.file,
                                 kernel_name=options.kernel_name, cwd=notebook.parent, timeout=options.timeout,
                                 ahead=options.ahead)
        except ExecutionError as exc:
            if executed.exists():
                raise keep_failed(exc, dest, executed.read_bytes()) from None
            raise
    end = datetime.now(UTC)
    run = run_record(p, options, begin, end)
    annotate(nb, p.dest, run)
    html = export.to_html(nb)
    files = {
        NOTEBOOK_NAME: nbformat.writes(nb).encode(),
        HTML_NAME: html.encode(),
        publish.RECORD_NAME: json.dumps({**run, "status": "published"}, ensure_ascii=False, indent=1).encode(),
    }
    if options.pdf:
        files[PDF_NAME] = pdf.html_to_pdf(html)
    publish.publish(dest, files)
    failed_notebook_path(dest).unlink(missing_ok=True)
    return RunResult(validated.file, dest / HTML_NAME, dest / NOTEBOOK_NAME, time.perf_counter() - started,
                     validated.warnings)


def keep_failed(exc: ExecutionError, dest: Path, notebook: bytes) -> ExecutionError:
    """Keep a failed run's notebook beside ``dest`` for review; the error, naming it — or saying
    why it could not be kept (a full disk must not hide why the run failed)."""
    failed = failed_notebook_path(dest)
    try:
        with publish.writing(failed), publish.report_lock(dest):  # its temporary file: safe from a clean-up
            publish.write_atomic(failed, notebook)
    except WriteError as write:
        return ExecutionError(exc.file, f"{exc.message}；执行失败的笔记本未能保存：{write}")
    return ExecutionError(exc.file, exc.message, paths.relative_to_root(failed))


def run_record(p: Plan, options: RunOptions, begin: datetime, end: datetime) -> dict:
    """Everything the audit record says about one run (notebook metadata and run.json)."""
    model, validated = p.validated.model, p.validated
    run = {
        "title": title(model),
        "agency": model.agency.id,
        "year": model.year,
        "format": validated.spec.version,
        "deadline": deadline(model),
        "params_file": validated.file,
        "previous_file": validated.previous.file if validated.previous is not None else None,
        "notebook": paths.relative_to_root(paths.master_notebook()),
        "inputs": p.inputs,
        "inputs_key": p.key,
        "kit_version": __version__,
        "git_commit": provenance.git_commit(),
        "libraries": provenance.library_versions(),
        "kernel": options.kernel_name,
        "kernel_forked": bool(forkserver.LAST_LAUNCH.get("forked")),
        "kernel_note": forkserver.LAST_LAUNCH.get("reason"),
        "kernel_started_ahead": bool(forkserver.LAST_LAUNCH.get("ahead")),
        "started_utc": begin.isoformat(timespec="seconds"),
        "ended_utc": end.isoformat(timespec="seconds"),
        "generated_on": options.generated_on or provenance.generation_date(),
        "validation": {"errors": [str(e) for e in validated.errors],
                       "warnings": [str(w) for w in validated.warnings]},
    }
    run["version_line"] = provenance.version_line(run)
    return run


INJECTED_ID = "injected-parameters"
PROVENANCE_ID = "provenance"


def annotate(nb: nbformat.NotebookNode, dest: Path, run: dict) -> None:
    """Record the run in the notebook: metadata, a stable id for papermill's injected cell,
    a visible provenance section at the end; no machine paths."""
    nb.metadata["kit"] = run
    for cell in nb.cells:
        if INJECTED_ID in cell.metadata.get("tags", []):
            cell["id"] = INJECTED_ID  # papermill gives it a random id
    nb.cells = [c for c in nb.cells if c.get("id") != PROVENANCE_ID]
    nb.cells.append(nbformat.v4.new_markdown_cell(provenance.section(run), id=PROVENANCE_ID,
                                                  metadata={"tags": [PROVENANCE_ID]}))
    pm = nb.metadata.get("papermill", {})
    pm["input_path"] = paths.relative_to_root(paths.master_notebook())
    pm["output_path"] = f"{dest.parent.name}/{dest.name}/{NOTEBOOK_NAME}"  # relative to the output folder
