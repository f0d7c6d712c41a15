"""The audit record of one run: what a report was made from and how, as one typed object.

The record is written twice — into the executed notebook's metadata (``metadata.kit``)
and into ``run.json`` beside the report (with ``status``) — and read back by the batch
(is a report unchanged?), ``kit verify`` and ``kit diff``, always through this module.
``schema_version`` says which shape a record has; a record of another shape is refused
with a message rather than read half-way.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import nbformat
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from kit import __version__, paths
from kit.audit import provenance
from kit.content.narrative import deadline, title
from kit.exceptions import KitError
from kit.run import forkserver
from kit.spec.model import spec_of

if TYPE_CHECKING:  # the orchestrator's types; it imports this module
    from kit.api import Plan, RunOptions
    from kit.project import Project

SCHEMA_VERSION = 1
NOTEBOOK_NAME = "report.ipynb"
HTML_NAME = "report.html"
AUDIT_NAME = "audit.html"  # the audit view (kit.audit.view), named here: the batch driver never imports nbconvert
STATUS_NAME = "status.html"  # a government's status page: the batch writes it into the report's folder, not of it
RECORD_NAME = "run.json"
METADATA_KEY = "kit"
PUBLISHED = "published"
AUDIT = "audit"  # the audit view's writer: every report has one, whatever the project's formats

# Facts of the run itself, not of its inputs: a re-run from the same inputs differs in them. The git
# commit is one: the kit's code and templates are in the inputs by their hash, so a commit that only
# changed the docs or the tests still reproduces the report.
CIRCUMSTANCES = ("kernel_forked", "kernel_note", "kernel_started_ahead", "started_utc", "ended_utc", "git_commit")


class RecordError(KitError):
    """A run.json or notebook metadata that is not a record this kit can read."""


class OtherSchema(RecordError):
    """A record written by a kit whose record has another shape."""


class Acknowledged(BaseModel):
    """An N1 difference the parameter file acknowledges: the finding, its fingerprint, the reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fingerprint: str
    path: str
    finding: str
    table: str | None
    text: str | None
    reason: str


class Validation(BaseModel):
    """The validation result a record keeps: errors, warnings and acknowledged differences, as printed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    errors: list[str]
    warnings: list[str]
    acknowledged: list[Acknowledged] = []


class Record(BaseModel):
    """Everything the audit record says about one run (notebook metadata and run.json)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int
    title: str
    agency: str
    year: int
    format: str
    deadline: str
    params_file: str  # relative to the project root, absolute when outside it
    previous_file: str | None
    notebook: str
    inputs: dict[str, str | None]
    inputs_key: str
    kit_version: str
    git_commit: str | None
    libraries: dict[str, str]
    kernel: str
    kernel_forked: bool
    kernel_note: str | None
    kernel_started_ahead: bool
    started_utc: str
    ended_utc: str
    generated_on: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]  # an input of the run
    validation: Validation
    files: list[str]  # the published files besides run.json, in the order they are written
    settings: dict[str, Any]  # the project's settings the files were made with (formats, page options)
    version_line: str

    def as_dict(self) -> dict[str, Any]:
        """The record as JSON data: ``metadata.kit`` of the notebook, run.json without ``status``."""
        return self.model_dump(mode="json")

    def run_json(self) -> bytes:
        """The bytes of run.json."""
        return json.dumps({**self.as_dict(), "status": PUBLISHED}, ensure_ascii=False, indent=1).encode()

    def circumstances(self) -> dict[str, Any]:
        """The facts of the run that no input determines (times, how the kernel started)."""
        return {name: getattr(self, name) for name in CIRCUMSTANCES}


def published_files(project: Project) -> list[str]:
    """The names of the files a run publishes besides run.json, in the order they are made: one
    file per format of the project (the page first: the others are made from it), the audit view
    (always), then the executed notebook."""
    from kit.write import writers

    names = ["html", *(f for f in project.formats if f not in {"html", AUDIT}), AUDIT]
    return [*(writers.get(name).filename for name in names), NOTEBOOK_NAME]


def make(p: Plan, options: RunOptions, begin: datetime, end: datetime,
         launch: forkserver.Launch = forkserver.UNKNOWN) -> Record:
    """The record of one run of plan ``p`` whose kernel started as ``launch`` says."""
    model, validated = p.validated.valid_model(), p.validated
    params_file = paths.recorded_name(p.params_file)
    fields: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "title": title(model),
        "agency": model.agency.id,
        "year": model.year,
        "format": spec_of(model).version,
        "deadline": deadline(model),
        "params_file": params_file,
        "previous_file": paths.recorded_name(p.previous_file) if p.previous_file is not None else None,
        "notebook": paths.recorded_name(paths.master_notebook()),
        "inputs": p.inputs,
        "inputs_key": p.key,
        "kit_version": __version__,
        "git_commit": provenance.git_commit(),
        "libraries": provenance.library_versions(),
        "kernel": options.kernel_name,
        "kernel_forked": launch.forked,
        "kernel_note": launch.reason,
        "kernel_started_ahead": launch.ahead,
        "started_utc": begin.isoformat(timespec="seconds"),
        "ended_utc": end.isoformat(timespec="seconds"),
        "generated_on": options.generated_on or provenance.generation_date(),
        # named as the record names the file, wherever the command ran
        "validation": {"errors": [str(replace(e, file=params_file)) for e in validated.errors],
                       "warnings": [str(replace(w, file=params_file)) for w in validated.warnings],
                       "acknowledged": [{"fingerprint": a.fingerprint, "path": a.path, "finding": a.message,
                                         "table": a.expected, "text": a.actual, "reason": a.reason}
                                        for a in validated.acknowledged]},
        "files": published_files(p.project),
        "settings": dataclasses.asdict(p.project),  # the project's settings the files were made with
    }
    fields["version_line"] = provenance.version_line(fields)
    return Record.model_validate(fields)


def parse(data: Any, where: str) -> Record:
    """A record from its JSON form; RecordError naming the first field that is wrong."""
    if not isinstance(data, dict):
        raise RecordError(f"{where} 不是审计记录（应为 JSON 对象）")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise OtherSchema(f"{where} 的记录格式版本为 {version!r}，本 kit 的记录格式版本为 {SCHEMA_VERSION}")
    try:
        return Record.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        reason = {"missing": "缺少此字段", "extra_forbidden": "记录中不应有此字段"}.get(err["type"], err["msg"])
        raise RecordError(f"{where} 的字段 {loc} 无效：{reason}") from None


def load_run_json(folder: Path) -> dict[str, Any] | None:
    """run.json of a report folder as JSON (None when there is none); RecordError when it is not JSON."""
    path = Path(folder) / RECORD_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordError(f"{RECORD_NAME} 不是有效的 JSON：{exc}") from None
    if isinstance(data, dict):
        data.pop("status", None)
    return data


def read(folder: Path) -> Record | None:
    """The published report's record from its run.json, or None when it has no readable one."""
    try:
        data = load_run_json(folder)
        return parse(data, RECORD_NAME) if data is not None else None
    except RecordError:
        return None


def from_notebook(nb: nbformat.NotebookNode) -> Record:
    """The record an executed notebook carries in its metadata; RecordError if it carries none."""
    return parse(nb.metadata.get(METADATA_KEY), f"{NOTEBOOK_NAME} 的元数据 {METADATA_KEY}")


def to_notebook(nb: nbformat.NotebookNode, record: Record) -> None:
    """Write the record into the notebook's metadata."""
    nb.metadata[METADATA_KEY] = record.as_dict()
