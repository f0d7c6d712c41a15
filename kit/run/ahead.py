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
import time
from dataclasses import replace
from pathlib import Path
from typing import TypedDict

from nbclient import NotebookClient

from kit.run.kernel import IPCKernelManager, wait_for

MEMORY = NotebookClient.ipython_hist_file.default_value  # ":memory:"


class _Waiting(TypedDict, total=False):
    km: IPCKernelManager
    key: tuple[str, str]  # the kernel name and working folder it was started for


_next: _Waiting = {}
_retired: list[IPCKernelManager] = []


def _start(kernel_name: str, cwd: Path) -> None:
    km = IPCKernelManager(kernel_name=kernel_name)
    atexit.unregister(_discard)  # registered once, by the first kernel started ahead, not at import
    atexit.register(_discard)
    # as nbclient starts its kernels: IPython's history in memory, not in ~/.ipython (kernels
    # running at once contend for that SQLite file, and it would keep every report's parameters)
    wait_for(km.start_kernel(cwd=str(cwd), extra_arguments=[f"--HistoryManager.hist_file={MEMORY}"]))
    _next["km"], _next["key"] = km, (kernel_name, str(cwd))


def take(kernel_name: str, cwd: Path) -> IPCKernelManager | None:
    """The kernel started ahead for this report, if there is a live one that fits; then start
    the next one. The caller hands the returned kernel to :func:`retire` after use."""
    _clean_up_retired()
    km, key = _next.pop("km", None), _next.pop("key", None)
    if km is not None and (key != (kernel_name, str(cwd)) or not wait_for(km.is_alive())):
        shutdown(km)
        km = None
    try:
        _start(kernel_name, cwd)
    except (OSError, RuntimeError):  # no kernel ahead this time: the next report starts its own
        _next.pop("km", None)
        _next.pop("key", None)
    if km is not None:  # what this report's kernel is
        km.launch = replace(km.launch, ahead=True)
    return km


# Clean-up is best effort: whatever goes wrong in shutting down a kernel whose report is over
# (a zmq error, a process already gone) must not fail the report, nor the worker's next one.
_CLEAN_UP_ERRORS = Exception


def shutdown(km: IPCKernelManager) -> None:
    """Shut a kernel down now, best effort (a report whose kernel fails to stop is not failed by it)."""
    with contextlib.suppress(_CLEAN_UP_ERRORS):
        wait_for(km.shutdown_kernel(now=True))


async def _kill(km: IPCKernelManager) -> None:
    """Kill the kernel and wait (milliseconds) until it is gone and forgotten: the deferred
    clean-up then signals no process, so no later process that reuses its pid."""
    provisioner = km.provisioner
    if provisioner is None or not provisioner.has_process:
        return
    await provisioner.kill()
    deadline = time.monotonic() + 5
    while await provisioner.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    await provisioner.wait()  # returns at once now; sets the process to None


def retire(km: IPCKernelManager) -> None:
    """Kill a used kernel now; the rest of its clean-up waits for the next :func:`take` (or exit)."""
    with contextlib.suppress(_CLEAN_UP_ERRORS):
        km.close_clients()
        asyncio.run(_kill(km))
    _retired.append(km)


def _clean_up_retired() -> None:
    while _retired:
        shutdown(_retired.pop())


def _discard() -> None:
    _clean_up_retired()
    km = _next.pop("km", None)
    if km is not None:
        shutdown(km)
