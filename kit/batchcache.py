"""What the last batch saw, so that a batch over an unchanged tree decides without validating.

Deciding that a report is unchanged normally means validating its file (a government's with all
its units) and hashing what it is made from: about 20–40 ms a file. When nothing under the
parameter folder has changed since the last batch, and neither has the kit, its dependencies or
the project's settings, that decision is already known: every report that was unchanged or
published then, and whose record still has the same inputs key, is unchanged now. This module
keeps that knowledge in ``output/.kit-batch.json`` and answers from it; anything else (a changed
byte anywhere in the tree, another kit, a missing file, ``--force``) goes the normal way.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from kit import paths
from kit.audit import approvals, inputs, record
from kit.exceptions import KitError
from kit.project import Project
from kit.write import publish

CACHE_NAME = ".kit-batch.json"
SCHEMA = 1


@dataclass
class Seen:
    """The state of one batch: the tree's and the kit's hashes, each report's inputs key, the status pages."""

    tree: str
    env: str
    day: str = ""
    reports: dict[str, str] = field(default_factory=dict)  # params file (as recorded) → inputs key
    approvals: str = ""  # one hash over the sign-off logs of those reports
    status_pages: list[str] = field(default_factory=list)  # relative to the output folder
    schema: int = SCHEMA


def tree_hash(files: list[Path]) -> str:
    """One hash over the parameter files' names and bytes (a file added, removed or edited changes it)."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda p: p.as_posix()):
        digest.update(paths.recorded_name(f).encode() + b"\0" + (inputs.sha256_file(f) or "-").encode() + b"\0")
    return digest.hexdigest()


def env_hash(project: Project) -> str:
    """The installed kit, notebook and locked dependencies, and the project settings that shape the files."""
    return inputs.inputs_key({**inputs.report_inputs(None, None), "project": project.key()})


def approvals_hash(output: Path, reports: list[tuple[str, int]]) -> str:
    """One hash over the sign-off logs of ``reports`` (agency, year): a sign-off changes the status pages."""
    digest = hashlib.sha256()
    for agency, year in sorted(reports):
        log = approvals.log_path(output / agency / str(year))
        digest.update(f"{agency}/{year}\0{inputs.sha256_file(log) or '-'}\0".encode())
    return digest.hexdigest()


def load(output: Path) -> Seen | None:
    """The last batch's state, or None (no batch yet, another schema, a file that isn't one)."""
    try:
        data = json.loads((output / CACHE_NAME).read_text(encoding="utf-8"))
        seen = Seen(**data)
    except (OSError, ValueError, TypeError):
        return None
    return seen if seen.schema == SCHEMA else None


def save(output: Path, seen: Seen) -> None:
    """Keep this batch's state for the next one (atomically; a batch that can't write it just goes slower)."""
    with contextlib.suppress(KitError):
        publish.write_atomic(output / CACHE_NAME, json.dumps(asdict(seen), ensure_ascii=False, indent=1,
                                                             sort_keys=True).encode())


def today() -> str:
    """The day status pages count their deadlines from."""
    return date.today().isoformat()


def unchanged_record(path: Path, output: Path, seen: Seen) -> record.Record | None:
    """The record of ``path``'s published report when the last batch left it unchanged or published and
    the record is still the one it saw, complete; None otherwise (decide the normal way)."""
    name = paths.recorded_name(path)
    if name not in seen.reports or not path.stem.isdigit():
        return None
    try:
        dest = paths.report_dir(path.parent.name, int(path.stem), output)
        run = record.read(dest)
    except (KitError, ValidationError, ValueError):
        return None
    if run is None or run.params_file != name or run.inputs_key != seen.reports[name]:
        return None
    if not all((dest / n).exists() for n in [*run.files, record.RECORD_NAME]):
        return None
    return run
