"""The orchestrator: parameter file → validated model → executed notebook → HTML → output/.

``run_report`` is the library function that ``kit run`` wraps; ``plan`` is the
cheap first step (read, validate, hash the inputs) that a batch uses to skip
reports whose inputs have not changed.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat

from kit import paths, project
from kit.audit import approvals, inputs, provenance, record
from kit.audit.record import HTML_NAME, NOTEBOOK_NAME
from kit.check import validate
from kit.check.validate import Validated, validate_file
from kit.content.report import Report
from kit.exceptions import ApprovedReport, ExecutionError, Problem, WriteError
from kit.run import KERNEL_NAME, lifetime
from kit.write import publish

if TYPE_CHECKING:
    from kit.write import writers


@dataclass(frozen=True)
class RunOptions:
    """Options shared by the library call and the CLI (same names)."""

    output: Path | None = None
    kernel_name: str = KERNEL_NAME
    timeout: int | None = 600
    generated_on: str | None = None  # the report's generation date (an input: kit verify re-uses it)
    project: project.Project | None = None  # the formats and page settings; None: the project's own (kit.toml)
    ahead: bool = False  # start the kernel for the worker's next report before running this one
    replace_approved: bool = False  # publish over a version whose bytes are approved (kit approve)


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
        """Every file this report publishes (run.json last)."""
        return [*record.published_files(self.project), record.RECORD_NAME]

    def unchanged(self) -> bool:
        """Published already from exactly these inputs and settings (and still complete)."""
        run = record.read(self.dest)
        return (run is not None and run.inputs_key == self.key
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


def project_of(options: RunOptions) -> project.Project:
    """The options' project settings, or the project's own (kit.toml) when they name none."""
    return options.project if options.project is not None else project.load()


def with_project(options: RunOptions | None) -> RunOptions:
    """The options with the project's settings read (once, in the driver: workers get them resolved)."""
    options = options or RunOptions()
    return options if options.project is not None else replace(options, project=project_of(options))


def rolled_up_from(validated: Validated) -> list[Path]:
    """The unit files a rolled-up report's tables (and last year's, for X1) are summed from."""
    prev = validated.previous
    return sorted({*validated.sources, *(prev.sources if prev is not None else [])})


def plan(params_file: Path | str, options: RunOptions | None = None) -> Plan:
    """Read and validate the parameter file; raise ValidationFailed on any error."""
    options = with_project(options)
    params_file = paths.input_path(params_file)
    validated = validate_file(params_file)
    model = validated.valid_model()
    prev = validated.previous.path if validated.previous is not None else None
    dest = paths.report_dir(model.agency.id, model.year, options.output)
    return Plan(params_file, validated, dest, prev, inputs.report_inputs(params_file, prev, rolled_up_from(validated)),
                project_of(options))


def run_report(params_file: Path | str, options: RunOptions | None = None) -> RunResult:
    """Validate, execute, export and publish one agency-year's report.

    Raises :class:`~kit.exceptions.ValidationFailed` before any kernel starts (and
    before ``output/`` is touched) when the file breaks a rule, and
    :class:`~kit.exceptions.OutputLocked` while a batch writes to the same output folder
    (other runs may: each report's publishing is locked on its own).
    """
    options = with_project(options)
    started = time.perf_counter()
    with validate.memo():  # a government's units validated once, here; its kernel is handed them
        p = plan(params_file, options)
        refuse_approved(p, options)
        lifetime.remove_orphaned_temp_folders()
        with publish.output_lock(options.output or paths.output_dir(), "kit run", shared=True):
            return execute_plan(p, options, started)


def refuse_approved(p: Plan, options: RunOptions) -> None:
    """ApprovedReport when publishing ``p`` would replace a version whose bytes are approved,
    unless the options say to (``--replace-approved``)."""
    if options.replace_approved:
        return
    state = approvals.approval_state(p.dest)
    if state.approved:
        raise ApprovedReport(paths.relative_to_root(p.dest), state.label)


def execute_plan(p: Plan, options: RunOptions, started: float | None = None) -> RunResult:
    """Run a planned report (validated, not unchanged): execute, write every file the project publishes, publish
    them."""
    from kit.write import writers  # nbconvert and Chromium's driver: only where a report is written

    started = time.perf_counter() if started is None else started
    refuse_approved(p, options)
    nb, run = build(p, options)
    files = report_files(writers.Executed(nb, Report(p.validated), run, p.project))
    publish.publish(p.dest, files)
    failed_notebook_path(p.dest).unlink(missing_ok=True)
    return RunResult(p.validated.file, p.dest / HTML_NAME, p.dest / NOTEBOOK_NAME, time.perf_counter() - started,
                     p.validated.warnings, [p.dest / name for name in files])


def notebook_parameters(p: Plan) -> dict[str, Any]:
    """What papermill injects: the files' content, and their names as the record gives them."""
    prev = p.validated.previous
    return {
        "params_file": paths.recorded_name(p.params_file),
        "params": p.validated.data,
        "previous": prev.data if prev is not None else None,
        "previous_file": paths.recorded_name(p.previous_file) if prev is not None and p.previous_file else None,
    }


def build(p: Plan, options: RunOptions, circumstances: dict[str, Any] | None = None
          ) -> tuple[nbformat.NotebookNode, record.Record]:
    """Execute the master notebook for plan ``p``; the executed notebook with its record.

    ``circumstances`` (times, how the kernel started) replace this run's own: ``kit verify``
    gives the recorded ones, so that only what the inputs produce can differ."""
    from kit.run import execute  # papermill and jupyter_client: only where a report runs (not an unchanged batch)

    validated, dest = p.validated, p.dest
    notebook = paths.master_notebook()
    begin = datetime.now(UTC)
    with (publish.writing(Path(tempfile.gettempdir())),
          tempfile.TemporaryDirectory(prefix=lifetime.temp_prefix("run")) as tmp):
        executed = Path(tmp) / NOTEBOOK_NAME
        try:
            nb, launch = execute.execute(notebook, executed, notebook_parameters(p), file=validated.file,
                                         kernel_name=options.kernel_name, cwd=notebook.parent,
                                         timeout=options.timeout, ahead=options.ahead, handover=handover(p))
        except ExecutionError as exc:
            if executed.exists():
                raise keep_failed(exc, dest, executed.read_bytes()) from None
            raise
    run = record.make(p, options, begin, datetime.now(UTC), launch)
    if circumstances:
        run = run.model_copy(update=circumstances)
    annotate(nb, dest, run)
    return nb, run


def carried(p: Plan) -> list[validate.Carried]:
    """This memo block's validations of a rolled-up report's units (:func:`kit.check.validate.memo`), as
    plain data for the process that runs the report, so that it does not sum them all again; none for a
    unit's report, or outside a memo block."""
    return validate.carried_for(rolled_up_from(p.validated)) if p.validated.sources else []


def handover(p: Plan) -> bytes:
    """What the report's kernel is handed: :func:`carried`, as the file its notebook reads; nothing
    when there is none."""
    units = carried(p)
    return validate.handover(units) if units else b""


def report_files(executed: writers.Executed) -> dict[str, bytes]:
    """Every file of the published report (name → bytes), as the record lists them, and run.json:
    the executed notebook, then each of the project's writers in turn (a writer may read the
    files written before it: the PDF and the .docx are made from the page)."""
    from kit.write import writers

    files: dict[str, bytes] = {}
    for name in executed.run.files:
        files[name] = (nbformat.writes(executed.nb).encode() if name == NOTEBOOK_NAME
                       else writers.for_file(name).write(executed, files))
    files[record.RECORD_NAME] = executed.run.run_json()
    return files


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


INJECTED_ID = "injected-parameters"
PROVENANCE_ID = "provenance"


def annotate(nb: nbformat.NotebookNode, dest: Path, run: record.Record) -> None:
    """Record the run in the notebook: metadata, a stable id for papermill's injected cell,
    a visible provenance section at the end; no machine paths."""
    record.to_notebook(nb, run)
    for cell in nb.cells:
        if INJECTED_ID in cell.metadata.get("tags", []):
            cell["id"] = INJECTED_ID  # papermill gives it a random id
    nb.cells = [c for c in nb.cells if c.get("id") != PROVENANCE_ID]
    nb.cells.append(nbformat.v4.new_markdown_cell(provenance.section(run), id=PROVENANCE_ID,
                                                  metadata={"tags": [PROVENANCE_ID]}))
    pm = nb.metadata.get("papermill", {})
    pm["input_path"] = paths.recorded_name(paths.master_notebook())
    pm["output_path"] = f"{dest.parent.name}/{dest.name}/{NOTEBOOK_NAME}"  # relative to the output folder
