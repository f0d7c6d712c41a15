"""Stage 4: execute the master notebook with papermill in a fresh kernel."""

from __future__ import annotations

import asyncio
import pprint
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import nbformat
import papermill
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.engines import NBClientEngine, papermill_engines
from papermill.exceptions import PapermillExecutionError
from papermill.iorw import write_ipynb
from papermill.translators import PythonTranslator, papermill_translators

from kit.check.validate import HANDOVER_NAME
from kit.exceptions import ExecutionError
from kit.run import KERNEL_NAME
from kit.run.forkserver import Launch
from kit.run.kernel import IPCKernelManager, KernelDiedBeforeReady

ENGINE_NAME = "kit"


class SaveOnceEngine(NBClientEngine):
    """papermill's nbclient engine, saving the executed notebook once instead of at every cell's
    start and end (25 writes, each a deep copy, a validation and a JSON dump, for a report that
    runs in under a second): papermill writes it after execution; this engine writes it when an
    exception (dead kernel, time-out) ends execution early, so the failed record is still kept."""

    @classmethod
    def execute_notebook(cls, nb: nbformat.NotebookNode, kernel_name: str, *, record_path: str,
                         **kwargs: Any) -> nbformat.NotebookNode:
        try:
            return super().execute_notebook(nb, kernel_name, **kwargs)
        except Exception:
            write_ipynb(nb, record_path)
            raise


class ReadableTranslator(PythonTranslator):
    """Injects parameters as readable Python literals: Chinese text as text (not \\u escapes),
    nested mappings one key per line, so a reviewer can read the values in the record."""

    @classmethod
    def translate_str(cls, val: str) -> str:
        return repr(val)

    @classmethod
    def translate_dict(cls, val: dict) -> str:
        return pprint.pformat(val, width=100, sort_dicts=False)

    translate_list = translate_dict


class _PapermillHooks:
    """The kit's engine and parameter translator in papermill's registries while at least one
    :func:`kit_papermill` block runs (threads may run reports at once); what was there before is
    put back when the last one ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._saved: tuple[Any, Any] = (None, None)

    def enter(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._saved = (papermill_engines._engines.get(ENGINE_NAME),
                               papermill_translators._translators.get("python"))
                papermill_engines.register(ENGINE_NAME, SaveOnceEngine)
                papermill_translators.register("python", ReadableTranslator)
            self._depth += 1

    def leave(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                pairs = ((papermill_engines._engines, ENGINE_NAME, self._saved[0]),
                         (papermill_translators._translators, "python", self._saved[1]))
                for registry, key, value in pairs:
                    if value is None:
                        registry.pop(key, None)
                    else:
                        registry[key] = value


_HOOKS = _PapermillHooks()


@contextmanager
def kit_papermill() -> Iterator[None]:
    """papermill with the kit's engine and readable parameters, for the calls made inside only."""
    _HOOKS.enter()
    try:
        yield
    finally:
        _HOOKS.leave()


REPLACED = "预先启动的内核在使用前已退出，改用新启动的内核"


def _papermill(notebook: Path, output_path: Path, parameters: dict[str, Any], kernel_name: str, cwd: Path | None,
               timeout: int | None, km: IPCKernelManager) -> nbformat.NotebookNode:
    with kit_papermill():
        return papermill.execute_notebook(
            str(notebook),
            str(output_path),
            parameters=parameters,
            engine_name=ENGINE_NAME,
            request_save_on_cell_execute=False,
            record_path=str(output_path),
            kernel_name=kernel_name,
            cwd=str(cwd) if cwd else None,
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
            km=km,
        )


def _on_new_kernel(run_on: Callable[[IPCKernelManager], nbformat.NotebookNode], kernel_name: str,
                   handover: bytes) -> tuple[nbformat.NotebookNode, Launch]:
    """papermill on a kernel started now, shut down after as nbclient shuts down its own."""
    km = IPCKernelManager(kernel_name=kernel_name)
    try:
        return run_on(_handed(km, handover)), km.launch
    finally:
        asyncio.run(km.release())


def _handed(km: IPCKernelManager, handover: bytes) -> IPCKernelManager:
    """``km``, with ``handover`` left in its socket folder for the kernel to find
    (:func:`kit.check.validate.handed_over`)."""
    if handover:
        (Path(km.socket_dir) / HANDOVER_NAME).write_bytes(handover)
    return km


def _run(notebook: Path, output_path: Path, parameters: dict[str, Any], kernel_name: str, cwd: Path | None,
         timeout: int | None, ahead: bool, handover: bytes) -> tuple[nbformat.NotebookNode, Launch]:
    """papermill on the kernel this worker started ahead, if it has one; on a kernel started now
    if that one died before it answered (nothing ran on it: the report is not a failure)."""
    from kit.run import ahead as ahead_kernels

    run_on = partial(_papermill, notebook, output_path, parameters, kernel_name, cwd, timeout)
    km = ahead_kernels.take(kernel_name, cwd) if ahead and cwd is not None else None
    if km is None:
        return _on_new_kernel(run_on, kernel_name, handover)
    try:
        return run_on(_handed(km, handover)), km.launch
    except KernelDiedBeforeReady:
        pass
    finally:
        ahead_kernels.retire(km)  # nbclient shuts down only the kernels it started
    nb, launch = _on_new_kernel(run_on, kernel_name, handover)
    return nb, replace(launch, reason=REPLACED + (f"；{launch.reason}" if launch.reason else ""))


def execute(notebook: Path, output_path: Path, parameters: dict[str, Any], *, file: str,
            kernel_name: str = KERNEL_NAME, cwd: Path | None = None,
            timeout: int | None = None, ahead: bool = False, handover: bytes = b""
            ) -> tuple[nbformat.NotebookNode, Launch]:
    """Run ``notebook`` with ``parameters`` injected; the executed notebook (also written to
    ``output_path``) and how its kernel started. ``handover`` is left for the kernel in its
    socket folder (the validations of a government's units, which its notebook then takes
    instead of summing them again); it changes no output.

    A failing cell raises :class:`ExecutionError`; the failed notebook (with the error
    marked by papermill) is left at ``output_path`` for a reviewer to open.
    """
    try:
        nb, launch = _run(notebook, output_path, parameters, kernel_name, cwd, timeout, ahead, handover)
    except PapermillExecutionError as exc:
        raise ExecutionError(file, f"第 {exc.exec_count} 个单元格出错：{exc.ename}: {exc.evalue}",
                             str(output_path)) from None
    except DeadKernelError as exc:
        raise ExecutionError(file, f"内核意外退出（DeadKernelError）：{exc}", str(output_path)) from None
    except CellTimeoutError:
        raise ExecutionError(file, f"单元格执行超时（上限 {timeout} 秒）", str(output_path)) from None
    except (RuntimeError, TimeoutError) as exc:  # kernel failed to start, or another nbclient failure
        raise ExecutionError(file, f"{type(exc).__name__}: {exc}", str(output_path)) from None
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    if errors:
        raise ExecutionError(file, f"笔记本含有错误输出：{errors[0].get('ename')}", str(output_path))
    stderr = [o for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    if stderr:  # a warning or a kernel's own traceback must not ride along in a published report
        text = "".join(o.get("text", "") for o in stderr).strip().splitlines()
        raise ExecutionError(file, f"执行时向 stderr 输出：{text[0] if text else ''}", str(output_path))
    return nb, launch
