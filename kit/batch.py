"""Regenerate every agency-year report under a folder: in parallel, incrementally, safely.

* each report in its own fresh kernel, several at once, on any
  ``concurrent.futures.Executor`` (a local process pool by default; a Dask cluster's
  executor with ``--scheduler``);
* a report whose inputs are unchanged since it was published is skipped without a kernel;
* one agency's failure never stops the others: every outcome is collected;
* one batch at a time per output folder (a lock), and an index page at the end.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path

from kit import narrative, paths, publish, render
from kit.api import Plan, RunOptions, execute_plan, plan, with_project
from kit.exceptions import KitError, ValidationFailed
from kit.forkserver import ForkServer, swap_address

STATUS_LABELS = {"published": "已发布", "unchanged": "未变化（未重新生成）", "failed": "失败", "invalid": "参数无效"}
LOCK_NAME = ".kit-batch.lock"
INDEX_NAME = "index.html"


class BatchLocked(KitError):
    exit_code = 6

    def __init__(self, lock: str, holder: str) -> None:
        self.lock, self.holder = lock, holder
        super().__init__(f"另一个批处理正在运行（进程 {holder or '未知'}，锁文件 {lock}）：请等它结束后再运行")

    def _args(self) -> tuple:
        return (self.lock, self.holder)


@dataclass(frozen=True)
class Outcome:
    """What became of one parameter file in a batch (picklable, crosses processes)."""

    params_file: str
    status: str  # published | unchanged | failed | invalid
    agency: str
    year: str
    title: str = ""
    message: str = ""
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    files: tuple[str, ...] = ()  # the report's files (not the audit record), as paths to show

    @property
    def file_names(self) -> list[str]:
        return [Path(f).name for f in self.files]

    @property
    def ok(self) -> bool:
        return self.status in {"published", "unchanged"}

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class BatchResult:
    outcomes: list[Outcome] = field(default_factory=list)
    index: Path | None = None

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)


def param_files(root: Path) -> list[Path]:
    """Every parameter file under ``root``, by agency then year."""
    files = [p for p in Path(root).rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file()]
    return sorted(files, key=lambda p: (p.parent.name, p.stem))


def _base(path: Path) -> dict[str, str]:
    return {"params_file": paths.relative_to_root(path), "agency": path.parent.name, "year": path.stem}


def _invalid(path: Path, exc: KitError) -> Outcome:
    """A file refused before any kernel: its problems, or the error that stopped reading it."""
    if isinstance(exc, ValidationFailed):
        return Outcome(**_base(path), status="invalid", message=f"参数文件有 {len(exc.errors)} 个错误",
                       errors=tuple(map(str, exc.errors)), warnings=tuple(map(str, exc.warnings)))
    return Outcome(**_base(path), status="invalid", message=str(exc), errors=(str(exc),))  # bad YAML, agency id …


def prepare(path: Path, options: RunOptions, force: bool = False) -> Plan | Outcome:
    """In the driver, without a kernel: validate and decide. An Outcome means nothing to run."""
    try:
        p = plan(path, options)
    except KitError as exc:
        return _invalid(path, exc)
    if not force and p.unchanged():
        return Outcome(**_described(p), status="unchanged", warnings=tuple(str(w) for w in p.validated.warnings),
                       files=tuple(paths.relative_to_root(p.dest / n) for n in p.file_names if n.startswith("report.")
                                   and not n.endswith(".ipynb")))
    return p


def _described(p: Plan) -> dict[str, str]:
    model = p.validated.model
    return {**_base(p.params_file), "agency": model.agency.id, "year": str(model.year),
            "title": narrative.title(model)}


def run_one(params_file: str, options: RunOptions) -> Outcome:
    """Execute one report (in a worker; it re-reads its file: models are not sent between
    processes); every failure becomes an Outcome."""
    path = Path(params_file)
    try:
        p = plan(path, options)
    except KitError as exc:  # changed on disk since the driver validated it
        return _invalid(path, exc)
    described, warnings = _described(p), tuple(str(w) for w in p.validated.warnings)
    try:
        result = execute_plan(p, options)
    except KitError as exc:
        return Outcome(**described, status="failed", message=str(exc), warnings=warnings)
    except Exception as exc:
        return Outcome(**described, status="failed", message=f"{type(exc).__name__}: {exc}", warnings=warnings)
    shown = tuple(paths.relative_to_root(f) for f in result.files if f.name not in {"report.ipynb", "run.json"})
    return Outcome(**described, status="published", warnings=warnings, seconds=result.seconds, files=shown)


@contextmanager
def batch_lock(output: Path) -> Iterator[None]:
    """One batch per output folder at a time; the second is told who holds the lock."""
    output.mkdir(parents=True, exist_ok=True)
    lock = output / LOCK_NAME
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            raise BatchLocked(paths.relative_to_root(lock), holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock, also when the process is killed


def default_executor(workers: int | None = None) -> Executor:
    """A process pool, one worker per core; workers are spawned (no inherited threads or sockets)."""
    return ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1, mp_context=get_context("spawn"))


def run_batch(root: Path | None = None, options: RunOptions | None = None, *, force: bool = False,
              executor: Executor | None = None, workers: int | None = None, kernel: str = "fork",
              ahead: bool = True,
              on_start: Callable[[int], None] | None = None,
              on_outcome: Callable[[Outcome], None] | None = None) -> BatchResult:
    """Run every report under ``root`` (default ``params/``) and write ``output/index.html``."""
    root = Path(root or paths.params_dir())
    options = with_project(options)
    output = (options.output or paths.output_dir()).resolve()
    options = replace(options, output=output)  # absolute: workers may run elsewhere
    files = param_files(root)
    result = BatchResult()
    with batch_lock(output):
        if on_start is not None:
            on_start(len(files))

        def done(outcome: Outcome) -> None:
            result.outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)

        todo: list[Plan] = []
        for f in files:
            prepared = prepare(f, options, force)
            if isinstance(prepared, Outcome):
                done(prepared)
            else:
                todo.append(prepared)
        if todo:
            own = executor is None
            stack = ExitStack()
            server = stack.enter_context(fork_server(kernel if own else "stock"))  # Dask workers are elsewhere
            if server is not None and ahead:
                options = replace(options, ahead=True)
            pool = executor or default_executor(min(workers or os.cpu_count() or 1, len(todo)))
            try:
                futures = {pool.submit(run_one, str(p.params_file.resolve()), options): p for p in todo}
                for future in as_completed(futures):
                    try:
                        outcome = future.result()
                    except Exception as exc:
                        outcome = Outcome(**_described(futures[future]), status="failed",
                                          message=f"执行进程异常退出：{type(exc).__name__}: {exc}")
                    done(outcome)
            finally:
                if own:
                    pool.shutdown(wait=True, cancel_futures=True)
                stack.close()  # the fork server and its kernels go after the workers
        result.outcomes.sort(key=lambda o: (o.agency, o.year, o.params_file))
        result.index = output / INDEX_NAME
        publish.write_atomic(result.index, render.index_html(result.outcomes).encode())
    return result


@contextmanager
def fork_server(kernel: str) -> Iterator[ForkServer | None]:
    """The batch's fork server, its address in the environment the workers inherit; None for
    stock kernels or when it can't start (the kernels are then stock)."""
    server = None
    if kernel == "fork":
        with suppress(OSError, RuntimeError):
            server = ForkServer()
    if server is not None:
        with server:
            yield server
        return
    outer = swap_address(None)  # stock means stock, also inside a caller's own server
    try:
        yield None
    finally:
        swap_address(outer)


@contextmanager
def dask_executor(address: str) -> Iterator[Executor]:
    """The executor of a Dask distributed cluster (needs the optional extra ``kit[dask]``)."""
    try:
        from distributed import Client
    except ImportError:
        raise KitError("使用 --scheduler 需要安装可选依赖 kit[dask]（distributed）") from None
    with Client(address) as client:
        yield client.get_executor(pure=False)
