"""Stage 6: publish a report's files into ``output/`` atomically, as one unit.

``output/<agency>/<year>`` is a symbolic link to a complete version folder
(``output/<agency>/.<year>.<id>/``). A new version is written beside it, flushed
to disk, then the link is swapped with one ``rename``: a reader — or a batch
killed at any moment — sees the old report or the new one, never a mix or a half.
Version folders no link points to are leftovers of an interrupted run and are removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

PUBLISHED_MODE = 0o644


def write_atomic(path: Path, data: bytes) -> None:
    """Write one file so that it is either its old content or its new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, PUBLISHED_MODE)  # mkstemp makes 0600; a published page is world-readable
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def current_version(dest: Path) -> Path | None:
    """The version folder ``dest`` points to, if any."""
    if dest.is_symlink():
        return (dest.parent / os.readlink(dest)).resolve()
    return dest if dest.is_dir() else None


def publish(dest: Path, files: dict[str, bytes]) -> Path:
    """Publish ``files`` (name → bytes) as the new content of ``dest``; return the version folder."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    version = dest.parent / f".{dest.name}.{uuid.uuid4().hex[:12]}"
    version.mkdir()
    os.chmod(version, 0o755)
    for name, data in files.items():
        target = version / name
        with open(target, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(target, PUBLISHED_MODE)
    _fsync_dir(version)
    link = dest.parent / f".{dest.name}.link-{uuid.uuid4().hex[:12]}"
    os.symlink(version.name, link)
    if dest.exists() and not dest.is_symlink():  # a plain folder from an older kit: move it aside
        shutil.rmtree(dest)
    os.replace(link, dest)
    _fsync_dir(dest.parent)
    clean(dest)
    return version


def clean(dest: Path) -> None:
    """Remove version folders and links that ``dest`` does not point to (interrupted runs)."""
    keep = current_version(dest)
    for stale in dest.parent.glob(f".{dest.name}.*"):
        if stale.is_symlink():
            stale.unlink(missing_ok=True)
        elif stale.is_dir() and stale.resolve() != keep:
            shutil.rmtree(stale, ignore_errors=True)
