"""Stage 6: publish a report's files into ``output/`` atomically, as one unit.

``output/<agency>/<year>`` is a symbolic link to a complete version folder
(``output/<agency>/.<year>.<id>/``). A new version is written beside it, flushed
to disk, then the link is swapped with one ``rename``: a reader — or a batch
killed at any moment — sees the old report or the new one, never a mix or a half.
Version folders no link points to are leftovers of an interrupted run and are removed.

Two locks keep publishers apart: a batch holds ``output/`` alone and ``kit run`` shares it
(:func:`output_lock`), and each report's publishing — writing its version, swapping the link,
removing leftovers — holds its agency folder (:func:`report_lock`), so one publisher's clean-up
never takes another's version folder, still being written, for a leftover.

A write that fails for want of space or permission is a :class:`~kit.exceptions.WriteError`
naming what could not be written; it leaves no partial version folder behind.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from kit import paths
from kit.exceptions import WRITE_FAILURES, Orphaned, OutputLocked, WriteError
from kit.run import lifetime

PUBLISHED_MODE = 0o644
LOCK_NAME = ".kit-batch.lock"


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn a failed write (disk full, read-only, no permission) into a WriteError naming ``path``."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in WRITE_FAILURES:
            raise
        raise WriteError(paths.relative_to_root(path), exc.errno) from exc


@contextmanager
def output_lock(output: Path, command: str, *, shared: bool = False) -> Iterator[None]:
    """Hold the output folder: alone (a batch), or shared with other ``kit run``s; a process that
    can't have it is told who holds it. Closing the file releases it, also when the holder is killed."""
    lock = output / LOCK_NAME
    with writing(output):
        output.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            raise OutputLocked(paths.relative_to_root(lock), holder) from None
        with writing(output):  # also a first test that anything can be written there
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {command}".encode(), 0)
        yield
    finally:
        os.close(fd)


@contextmanager
def report_lock(dest: Path) -> Iterator[None]:
    """Hold the publishing of ``dest`` (a lock on its agency folder; waits for another publisher)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(dest.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write one file so that it is either its old content or its new one."""
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            os.fchmod(fd, PUBLISHED_MODE)  # mkstemp makes 0600; a published page is world-readable
            with os.fdopen(fd, "wb") as fh:
                _write_synced(fh, data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _write_synced(fh: BinaryIO, data: bytes) -> None:
    """Write ``data`` to an open file and flush it to the disk."""
    fh.write(data)
    fh.flush()
    os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _points_to(dest: Path) -> str | None:
    """The name ``dest``'s link points to; None when it is not a link."""
    try:
        return os.readlink(dest)
    except OSError:
        return None


def current_version(dest: Path) -> Path | None:
    """The version folder ``dest`` points to, if any."""
    target = _points_to(dest)
    if target is not None:
        return (dest.parent / target).resolve()
    return dest if dest.is_dir() else None


def publish(dest: Path, files: dict[str, bytes]) -> Path:
    """Publish ``files`` (name → bytes) as the new content of ``dest``; return the version folder."""
    with writing(dest), report_lock(dest):
        clean(dest)  # an interrupted publisher's leftovers first: on a full disk, their space
        version = _write_version(dest, files)
        link = dest.parent / f".{dest.name}.link-{uuid.uuid4().hex[:12]}"
        try:
            if lifetime.orphaned():  # the driver's lock went with it: another batch may be publishing
                raise Orphaned(paths.relative_to_root(dest))
            os.symlink(version.name, link)
            if dest.exists() and not dest.is_symlink():  # a plain folder from an older kit: move it aside
                shutil.rmtree(dest)
            os.replace(link, dest)
        except BaseException:
            link.unlink(missing_ok=True)
            shutil.rmtree(version, ignore_errors=True)
            raise
        with suppress(OSError):  # published: what follows only tidies up
            _fsync_dir(dest.parent)
            clean(dest)
    return version


def _write_version(dest: Path, files: dict[str, bytes]) -> Path:
    """A complete, flushed version folder beside ``dest`` — or none at all."""
    version = dest.parent / f".{dest.name}.{uuid.uuid4().hex[:12]}"
    version.mkdir()
    try:
        os.chmod(version, 0o755)
        for name, data in files.items():
            target = version / name
            with open(target, "wb") as fh:
                _write_synced(fh, data)
            os.chmod(target, PUBLISHED_MODE)
        _fsync_dir(version)
    except BaseException:
        shutil.rmtree(version, ignore_errors=True)
        raise
    return version


def _stale(dest: Path) -> Iterator[Path]:
    """The version folders, links and temporary files beside ``dest`` that it does not point to."""
    keep = current_version(dest)
    for stale in dest.parent.glob(f".{dest.name}.*"):
        if (stale.is_symlink() or (stale.suffix == ".tmp" and stale.is_file())
                or (stale.is_dir() and stale.resolve() != keep)):
            yield stale


def clean(dest: Path) -> None:
    """Remove version folders, links and temporary files that ``dest`` does not point to
    (interrupted runs). Call it holding :func:`report_lock`: others' work in progress looks the same."""
    for stale in list(_stale(dest)):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def clean_interrupted(output: Path) -> list[Path]:
    """Tidy every report folder under ``output`` that an interrupted publisher left something beside;
    the folders tidied. A publisher killed after it switched a report's link, but before it removed
    the old version, leaves a report that is up to date: no later run publishes it, so none would
    clean there."""
    beside: dict[Path, list[str]] = {}
    for entry in output.glob("*/.*.*"):
        beside.setdefault(entry.with_name(entry.name[1:].split(".", 1)[0]), []).append(entry.name)
    tidied = []
    for dest, names in sorted(beside.items()):
        if names == [_points_to(dest)]:
            continue  # its current version alone, as after every completed publish: read without a lock
        if next(_stale(dest), None) is not None:
            with report_lock(dest):
                clean(dest)
            tidied.append(dest)
    return tidied
