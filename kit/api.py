"""The orchestrator: parameter file → validated model → executed notebook → HTML → output/.

``run_report`` is the library function that ``kit run`` wraps; ``plan`` is the
cheap first step (read, validate, hash the inputs) that a batch uses to skip
reports whose inputs have not changed.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from kit import __version__, execute, forkserver, inputs, paths, project, provenance, publish, writers
from kit.exceptions import ExecutionError, Problem
from kit.narrative import deadline, title
from kit.report import Report
from kit.validate import Validated, validate_file

NOTEBOOK_NAME = "report.ipynb"
HTML_NAME = writers.HtmlWriter.filename
PDF_NAME = writers.PdfWriter.filename
DOCX_NAME = writers.DocxWriter.filename


@dataclass(frozen=True)
class RunOptions:
    """Options shared by the library call and the CLI (same names)."""

    output: Path | None = None
    kernel_name: str = execute.KERNEL_NAME
    timeout: int | None = 600
    generated_on: str | None = None  # the report's generation date (an input: kit verify re-uses it)
    project: project.Project | None = None  # the formats and page settings; None: the project's own (kit.toml)
    ahead: bool = False  # start the kernel for the worker's next report before running this one


@dataclass
class Plan:
    """One report before it runs: its validated parameters, where it goes, what it is made from."""

    params_file: Path
    validated: Validated
    dest: Path
    previous_file: Path | None
    inputs: dict[str, str | None]
    project: project.Project = field(default_factory=project.Project)

    @property
    def key(self) -> str:
        """The hash of the inputs and of the project settings that shape the files (formats …)."""
        return inputs.inputs_key({**self.inputs, "project": self.project.key()})

    @property
    def file_names(self) -> list[str]:
        """Every file this report publishes."""
        return [writers.get(name).filename for name in self.project.formats] + [NOTEBOOK_NAME, publish.RECORD_NAME]

    def unchanged(self) -> bool:
        """Published already from exactly these inputs and settings (and still complete)."""
        record = publish.read_record(self.dest)
        return (record is not None and record.get("inputs_key") == self.key
                and all((self.dest / name).exists() for name in self.file_names))


@dataclass
class RunResult:
    params_file: str
    html: Path
    notebook: Path
    seconds: float
    warnings: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # every published file, the HTML first


def failed_notebook_path(dest: Path) -> Path:
    """Where a failed run's notebook is kept: beside the published folder, never inside it."""
    return dest.parent / f"{dest.name}.failed.ipynb"


def with_project(options: RunOptions | None) -> RunOptions:
    """The options with the project's settings read (once, in the driver: workers get them resolved)."""
    options = options or RunOptions()
    return options if options.project is not None else replace(options, project=project.load())


def plan(params_file: Path | str, options: RunOptions | None = None) -> Plan:
    """Read and validate the parameter file; raise ValidationFailed on any error."""
    options = with_project(options)
    params_file = Path(params_file)
    validated = validate_file(params_file)
    validated.raise_for_errors()
    model = validated.model
    prev = validated.previous.path if validated.previous is not None else None
    dest = paths.report_dir(model.agency.id, model.year, options.output)
    return Plan(params_file, validated, dest, prev, inputs.report_inputs(params_file, prev), options.project)


def run_report(params_file: Path | str, options: RunOptions | None = None) -> RunResult:
    """Validate, execute, export and publish one agency-year's report.

    Raises :class:`~kit.exceptions.ValidationFailed` before any kernel starts (and
    before ``output/`` is touched) when the file breaks a rule.
    """
    options = with_project(options)
    started = time.perf_counter()
    p = plan(params_file, options)
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
    with tempfile.TemporaryDirectory(prefix="kit-run-") as tmp:
        executed = Path(tmp) / NOTEBOOK_NAME
        try:
            nb = execute.execute(notebook, executed, parameters, file=validated.file,
                                 kernel_name=options.kernel_name, cwd=notebook.parent, timeout=options.timeout,
                                 ahead=options.ahead)
        except ExecutionError as exc:
            if executed.exists():
                failed = failed_notebook_path(dest)
                publish.write_atomic(failed, executed.read_bytes())
                raise ExecutionError(exc.file, exc.message, paths.relative_to_root(failed)) from None
            raise
    end = datetime.now(UTC)
    run = run_record(p, options, begin, end)
    annotate(nb, p.dest, run)
    executed_report = writers.Executed(nb, Report(validated), run, p.project)
    files: dict[str, bytes] = {}
    for name in p.project.formats:
        writer = writers.get(name)
        files[writer.filename] = writer.write(executed_report, files)
    files[NOTEBOOK_NAME] = nbformat.writes(nb).encode()
    files[publish.RECORD_NAME] = json.dumps({**run, "status": "published"}, ensure_ascii=False, indent=1).encode()
    publish.publish(dest, files)
    failed_notebook_path(dest).unlink(missing_ok=True)
    return RunResult(validated.file, dest / HTML_NAME, dest / NOTEBOOK_NAME, time.perf_counter() - started,
                     validated.warnings, [dest / name for name in files])


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
        "files": p.file_names,
        "settings": dataclasses.asdict(p.project),  # the project's settings the files were made with
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
