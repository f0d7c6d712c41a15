"""What a report is made from, as hashes: the key of incremental runs and of the audit record.

A report depends on its parameter file, the previous-year file it reads, the
master notebook, the kit's own code and templates, and the locked dependency
versions. Its *inputs key* is the hash of all of these: a report whose key is
unchanged since it was published is skipped without starting a kernel.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from kit import __version__, paths


def sha256_bytes(data: bytes) -> str:
    """The sha256 of ``data``, in hex."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path | None) -> str | None:
    """The sha256 of a file's bytes, or None when there is no such file."""
    if path is None or not Path(path).exists():
        return None
    return sha256_bytes(Path(path).read_bytes())


@cache
def kit_code_sha256() -> str:
    """One hash over the kit's source and templates (not its caches)."""
    digest = hashlib.sha256()
    for path in sorted(paths.PACKAGE_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(paths.PACKAGE_DIR).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def report_inputs(params_file: Path | None, previous_file: Path | None,
                  units: list[Path] | None = None) -> dict[str, str | None]:
    """The hashes of everything one report is made from (no file: the installed kit's alone); a rolled-up
    government's include its units' files (at every level below it), so it re-runs when any of them
    changes, and only then."""
    summed = {"units": sha256_bytes(json.dumps({paths.recorded_name(u): sha256_file(u) for u in units},
                                               sort_keys=True).encode())} if units else {}
    return {
        **summed,
        "params": sha256_file(params_file),
        "previous_params": sha256_file(previous_file),
        "notebook": sha256_file(paths.master_notebook()),
        "kit_code": kit_code_sha256(),
        "kit_version": __version__,
        "lock": sha256_file(paths.lock_file()),
    }


def inputs_key(inputs: dict[str, str | None]) -> str:
    """One hash of a report's inputs (name → hash): equal keys, equal reports."""
    return sha256_bytes(json.dumps(inputs, sort_keys=True).encode())
