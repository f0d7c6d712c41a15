"""How long the kit's processes and temporary folders live: no longer than the run that made them.

* A batch's workers and its fork server die with the driver, also when it is SIGKILLed:
  Linux sends them SIGKILL when it exits (``PR_SET_PDEATHSIG``), and a worker whose driver
  is gone publishes nothing (:func:`orphaned`, checked just before a report is swapped in).
  Forked kernels die with the fork server the same way; a stock kernel leaves within a second
  of its worker (ipykernel polls its parent).
* Ctrl-C is the driver's to handle: the workers it starts ignore SIGINT (the terminal sends it
  to the whole process group), the fork server has a process group of its own, so they print
  no traceback and are stopped by the driver.
* Temporary folders carry their owner's pid and start time in their name (``kit-run-<pid>.<start>-…``):
  the next run removes those whose owner is gone (or a zombie), whatever killed it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

TEMP_KINDS = ("run", "kernel", "fork")
# kit-<kind>-<owner pid>[.<owner's start time>]-<random>: the start time tells a reused pid apart
_TEMP_NAME = re.compile(rf"^kit-(?:{'|'.join(TEMP_KINDS)})-(\d+)(?:\.(\d+))?-")
PR_SET_PDEATHSIG = 1

_parent: int | None = None  # the batch driver this worker belongs to (None: not a batch worker)


# --------------------------------------------------------------------------- dying with the parent


def die_with_parent(parent: int) -> None:
    """SIGKILL this process as soon as ``parent`` (the process that started it) dies — at once if
    it is already gone. Linux only; elsewhere :func:`orphaned` still keeps it from publishing."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before the request: no signal will come
        os.kill(os.getpid(), signal.SIGKILL)


def worker_started(driver: int) -> None:
    """A batch worker's initializer: ignore the terminal's Ctrl-C, die with the driver."""
    global _parent
    ignore_sigint()
    _parent = driver
    die_with_parent(driver)


def orphaned() -> bool:
    """Whether this is a batch worker whose driver is gone (it must not publish: the driver's
    lock on ``output/`` went with it)."""
    return _parent is not None and os.getppid() != _parent


# --------------------------------------------------------------------------- Ctrl-C


def ignore_sigint() -> None:
    """In a process the driver started: leave Ctrl-C to the driver."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def children_ignore_sigint() -> Iterator[None]:
    """Start processes that ignore Ctrl-C from their first instruction: they inherit an ignored
    disposition (a handler would be reset by exec). Meanwhile the driver ignores it too: keep the
    block to the spawning itself (milliseconds)."""
    if threading.current_thread() is not threading.main_thread():  # signals are the main thread's
        yield
        return
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)


@contextmanager
def interrupt_once() -> Iterator[None]:
    """The driver's Ctrl-C: the first raises KeyboardInterrupt, as usual; later ones are ignored, so
    a second Ctrl-C can't cut short the wind-down the first one started (stopping the workers,
    writing the index)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    interrupted = False

    def handler(signum: int, frame: object) -> None:
        nonlocal interrupted
        if not interrupted:
            interrupted = True
            raise KeyboardInterrupt

    outer = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, outer)


# --------------------------------------------------------------------------- temporary folders


def temp_prefix(kind: str) -> str:
    """The name prefix of a temporary folder of ``kind`` owned by this process."""
    assert kind in TEMP_KINDS, kind
    stat = _stat(os.getpid())
    start = f".{stat[STARTTIME]}" if stat else ""
    return f"kit-{kind}-{os.getpid()}{start}-"


def temp_folder(kind: str) -> str:
    """A new temporary folder whose name carries this process's pid (removed later if its owner dies)."""
    return tempfile.mkdtemp(prefix=temp_prefix(kind))


STARTTIME = 19  # field 22 of /proc/<pid>/stat, counted after the command name (field 3 is STATE, 0)


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name: [] for no such process, None
    where there is no /proc to ask."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return [] if os.path.exists("/proc/self/stat") else None
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def running(pid: int, start: str | None = None) -> bool:
    """Whether process ``pid`` runs — not a zombie, and (if ``start`` is known) the very process that
    started then, not a later one that got its pid."""
    stat = _stat(pid)
    if stat is None:  # no /proc: whether something has the pid
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # another user's process
            return True
        return True
    return bool(stat) and stat[0] != "Z" and start in (None, stat[STARTTIME])


def remove_orphaned_temp_folders(base: Path | None = None) -> list[Path]:
    """Remove the kit's temporary folders whose owner process is gone (a killed run's); return them."""
    base = Path(base or tempfile.gettempdir())
    removed = []
    with suppress(OSError):
        for entry in os.scandir(base):
            match = _TEMP_NAME.match(entry.name)
            if match and entry.is_dir(follow_symlinks=False) and not running(int(match.group(1)), match.group(2)):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
    return removed
