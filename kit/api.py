"""The orchestrator: parameter file → validated model → executed notebook → HTML → output/.

``run_report`` is the library function that ``kit run`` wraps.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from kit import __version__, execute, export, paths, publish
from kit.exceptions import ExecutionError, Problem
from kit.narrative import deadline, title
from kit.validate import validate_file

NOTEBOOK_NAME = "report.ipynb"
HTML_NAME = "report.html"
FAILED_NAME = "report.failed.ipynb"


@dataclass(frozen=True)
class RunOptions:
    """Options shared by the library call and the CLI (same names)."""

    output: Path | None = None
    kernel_name: str = execute.KERNEL_NAME
    timeout: int | None = 600


@dataclass
class RunResult:
    params_file: str
    html: Path
    notebook: Path
    seconds: float
    warnings: list[Problem] = field(default_factory=list)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run_report(params_file: Path | str, options: RunOptions | None = None) -> RunResult:
    """Validate, execute, export and publish one agency-year's report.

    Raises :class:`~kit.exceptions.ValidationFailed` before any kernel starts (and
    before ``output/`` is touched) when the file breaks a rule.
    """
    options = options or RunOptions()
    started = time.perf_counter()
    params_file = Path(params_file)
    validated = validate_file(params_file)
    validated.raise_for_errors()
    model, name = validated.model, validated.file
    dest = paths.report_dir(model.agency.id, model.year, options.output)
    prev = validated.previous
    parameters = {
        "params_file": name,
        "params": validated.data,
        "previous": prev.data if prev is not None else None,
        "previous_file": prev.file if prev is not None else None,
    }
    notebook = paths.master_notebook()
    with tempfile.TemporaryDirectory(prefix="kit-run-") as tmp:
        executed = Path(tmp) / NOTEBOOK_NAME
        try:
            nb = execute.execute(notebook, executed, parameters, file=name, kernel_name=options.kernel_name,
                                 cwd=notebook.parent, timeout=options.timeout)
        except ExecutionError as exc:
            if executed.exists():
                publish.write_atomic(dest / FAILED_NAME, executed.read_bytes())
                raise ExecutionError(exc.file, exc.message, paths.relative_to_root(dest / FAILED_NAME)) from None
            raise
    record(nb, validated, params_file, dest)
    html = export.to_html(nb)
    publish.publish(dest, {NOTEBOOK_NAME: nbformat.writes(nb).encode(), HTML_NAME: html.encode()})
    (dest / FAILED_NAME).unlink(missing_ok=True)
    return RunResult(name, dest / HTML_NAME, dest / NOTEBOOK_NAME, time.perf_counter() - started,
                     validated.warnings)


def record(nb: nbformat.NotebookNode, validated, params_file: Path, dest: Path) -> None:
    """What the executed notebook was made from, in its metadata; machine paths made relative."""
    model = validated.model
    nb.metadata["kit"] = {
        "title": title(model),
        "agency": model.agency.id,
        "year": model.year,
        "format": validated.spec.version,
        "deadline": deadline(model),
        "kit_version": __version__,
        "params_file": validated.file,
        "params_sha256": sha256(params_file),
        "notebook_sha256": sha256(paths.master_notebook()),
        "warnings": [str(p) for p in validated.warnings],
    }
    pm = nb.metadata.get("papermill", {})
    pm["input_path"] = paths.relative_to_root(paths.master_notebook())
    pm["output_path"] = paths.relative_to_root(dest / NOTEBOOK_NAME)
