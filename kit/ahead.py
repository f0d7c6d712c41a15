"""Forking one report ahead: a worker starts the kernel for its next report before it runs
this one, so the next kernel initialises while this report executes.

The kernel waiting for the next report has run nothing: it is as fresh as one started
on demand. It is used only for the same kernel name and working directory, only if
still alive, and is shut down when the worker exits.

A kernel whose report is done is killed at once (:func:`retire`) but cleaned up later
(reaped, sockets closed, files removed) at the worker's next report or exit: waiting for
it to be gone cost each report ~0.1 s of jupyter_client's polling for nothing.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
from pathlib import Path

from kit import forkserver
from kit.kernel import IPCKernelManager

_next: dict[str, object] = {}
_retired: list[IPCKernelManager] = []


def _start(kernel_name: str, cwd: Path) -> None:
    km = IPCKernelManager(kernel_name=kernel_name)
    forkserver.LAST_LAUNCH.clear()
    asyncio.run(km.start_kernel(cwd=str(cwd)))
    _next.update(km=km, key=(kernel_name, str(cwd)), launch=dict(forkserver.LAST_LAUNCH))


def take(kernel_name: str, cwd: Path) -> IPCKernelManager | None:
    """The kernel started ahead for this report, if there is a live one that fits; then start
    the next one. The caller hands the returned kernel to :func:`retire` after use."""
    _clean_up_retired()
    km, key, launch = _next.pop("km", None), _next.pop("key", None), _next.pop("launch", {})
    if km is not None and (key != (kernel_name, str(cwd)) or not asyncio.run(km.is_alive())):
        shutdown(km)
        km = None
    try:
        _start(kernel_name, cwd)
    except (OSError, RuntimeError):  # no kernel ahead this time: the next report starts its own
        _next.clear()
    if km is not None:  # what this report's kernel was (starting the next one overwrote it)
        forkserver.LAST_LAUNCH.clear()
        forkserver.LAST_LAUNCH.update(launch, ahead=True)
    return km


def shutdown(km: IPCKernelManager) -> None:
    with contextlib.suppress(OSError, RuntimeError):
        asyncio.run(km.shutdown_kernel(now=True))


def retire(km: IPCKernelManager) -> None:
    """Kill a used kernel now; its clean-up waits for the next :func:`take` (or exit)."""
    km.close_clients()
    with contextlib.suppress(OSError, RuntimeError, AttributeError):  # gone already, or never started
        asyncio.run(km.provisioner.kill())
    _retired.append(km)


def _clean_up_retired() -> None:
    while _retired:
        shutdown(_retired.pop())


@atexit.register
def _discard() -> None:
    _clean_up_retired()
    km = _next.pop("km", None)
    if km is not None:
        shutdown(km)
