"""Regenerate every agency-year report under a folder: in parallel, incrementally, safely.

* each report in its own fresh kernel, several at once, on any
  ``concurrent.futures.Executor`` (a local process pool by default; a Dask cluster's
  executor with ``--scheduler``);
* a report whose inputs are unchanged since it was published is skipped without a kernel;
* one agency's failure never stops the others: every outcome is collected;
* one batch at a time per output folder (a lock), and an index page at the end.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import NotRequired, TypedDict

from kit import batchcache, paths
from kit.api import Plan, RunOptions, carried, execute_plan, plan, project_of, refuse_approved, with_project
from kit.audit import approvals, record
from kit.check import rollup, validate
from kit.content import narrative, render
from kit.exceptions import ApprovedReport, KitError, ValidationFailed, WriteError
from kit.read import base, discover
from kit.run import lifetime
from kit.run.forkserver import ForkServer, swap_address
from kit.write import publish, status

STATUS_LABELS = {"published": "已发布", "unchanged": "未变化（未重新生成）", "failed": "失败", "invalid": "参数无效",
                 "interrupted": "已中断（未完成）", "refused": "已审核，未覆盖"}
LOCK_NAME = publish.LOCK_NAME
INDEX_NAME = "index.html"
CUT_OFF = "批处理被中断（Ctrl-C）：此报告未完成，已发布的版本（如有）保持不变"


@dataclass(frozen=True)
class Outcome:
    """What became of one parameter file in a batch (picklable, crosses processes)."""

    params_file: str
    status: str  # published | unchanged | failed | invalid | interrupted | refused (approved, not replaced)
    agency: str
    year: str
    title: str = ""
    message: str = ""
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    files: tuple[str, ...] = ()  # the files its run publishes (not the notebook), as paths to show
    approval: str = ""  # the sign-off state of the published version (index.html)

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
    index: Path | None = None  # None: not written (index_error says why)
    index_error: str = ""
    interrupted: bool = False  # Ctrl-C: the reports not finished are "interrupted"

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)


class _Named(TypedDict):
    """The fields of an Outcome that name its report (``Outcome(**named, status=…)``)."""

    params_file: str
    agency: str
    year: str
    title: NotRequired[str]


def _base(path: Path) -> _Named:
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
                       files=_published(p))
    try:
        refuse_approved(p, options)
    except ApprovedReport as exc:
        return Outcome(**_described(p), status="refused", message=str(exc),
                       warnings=tuple(str(w) for w in p.validated.warnings), files=_published(p))
    return p


def _published(p: Plan) -> tuple[str, ...]:
    """The files a run of ``p`` publishes (the executed notebook aside), as paths to show: the
    same list for a report just published and for one left unchanged."""
    return _shown(p.dest, record.published_files(p.project))


def _shown(dest: Path, names: list[str]) -> tuple[str, ...]:
    """A report's published files as an outcome lists them: every one but the executed notebook."""
    return tuple(paths.relative_to_root(dest / n) for n in names if n != record.NOTEBOOK_NAME)


def prepare_each(files: list[Path], options: RunOptions, force: bool = False) -> dict[Path, Plan | Outcome]:
    """``prepare`` for every file; files that claim the same agency-year are all refused, naming each other."""
    prepared = {f: prepare(f, options, force) for f in files}

    def claim(item: Plan | Outcome) -> tuple | None:
        if isinstance(item, Plan):
            model = item.validated.valid_model()
            return model.agency.id, model.year
        return (item.agency, item.year) if item.status in {"unchanged", "refused"} else None

    for group in discover.clashes((f, claim(item)) for f, item in prepared.items()):
        message = discover.clash_message(group)
        for f in group:
            prepared[f] = Outcome(**_base(f), status="invalid", message=message, errors=(message,))
    return prepared


def _described(p: Plan) -> _Named:
    model = p.validated.valid_model()
    return {**_base(p.params_file), "agency": model.agency.id, "year": str(model.year),
            "title": narrative.title(model)}


def run_one(params_file: str, options: RunOptions, units: Sequence[validate.Carried] = ()) -> Outcome:
    """Execute one report (in a worker; it re-reads its file: models are not sent between
    processes; a government takes the validations of its ``units`` the driver carried over, where
    their files are unchanged); every failure becomes an Outcome."""
    path = Path(params_file)
    with validate.memo():  # also while the report runs: its kernel is handed the units' validations
        validate.seed(list(units))
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
    return Outcome(**described, status="published", warnings=warnings, seconds=result.seconds, files=_published(p))


def batch_lock(output: Path) -> contextlib.AbstractContextManager[None]:
    """One batch per output folder at a time, and no ``kit run`` meanwhile; the next is told who holds it."""
    return publish.output_lock(output, "kit batch")


def default_executor(workers: int | None = None) -> ProcessPoolExecutor:
    """A process pool, one worker per core; workers are spawned (no inherited threads or sockets),
    ignore Ctrl-C (the driver stops them) and die with the driver."""
    return ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1, mp_context=get_context("spawn"),
                               initializer=lifetime.worker_started, initargs=(os.getpid(),))


def run_batch(root: Path | None = None, options: RunOptions | None = None, *, force: bool = False,
              executor: Executor | None = None, workers: int | None = None, kernel: str = "fork",
              ahead: bool = True,
              on_start: Callable[[int], None] | None = None,
              on_outcome: Callable[[Outcome], None] | None = None) -> BatchResult:
    """Run every report under ``root`` (default ``params/``) and write ``output/index.html``.

    Ctrl-C stops it: no report starts, the running ones are cut off (their workers and kernels
    stopped, nothing half-published), and the result and the index say which finished and
    which were interrupted (``result.interrupted``)."""
    root = Path(root or paths.params_dir())
    options = with_project(options)
    output = (options.output or paths.output_dir()).resolve()
    options = replace(options, output=output)  # absolute: workers may run elsewhere
    files = discover.param_files(root)
    result = BatchResult()
    lifetime.remove_orphaned_temp_folders()  # a killed run's
    with batch_lock(output), lifetime.interrupt_once(), validate.memo():  # the files as the batch read them
        publish.clean_interrupted(output)  # a killed batch's, beside reports now up to date
        if on_start is not None:
            on_start(len(files))
        finished: list[tuple[Path, Outcome]] = []  # one append per outcome: a Ctrl-C can't split it
        plans: dict[Path, Plan] = {}

        def done(f: Path, outcome: Outcome) -> None:
            finished.append((f, outcome))
            if on_outcome is not None:
                on_outcome(outcome)

        seen = None if force else batchcache.load(output)
        now = batchcache.Seen(batchcache.tree_hash(files), batchcache.env_hash(project_of(options)),
                              batchcache.today())
        known = seen if seen is not None and (seen.tree, seen.env) == (now.tree, now.env) else None
        try:
            rest = []
            for f in files:  # nothing changed since the last batch: its decisions stand, without validating
                run = batchcache.unchanged_record(f, output, known) if known is not None else None
                if run is None:
                    rest.append(f)
                else:
                    done(f, _unchanged(f, run, output))
            for f, prepared in prepare_each(rest, options, force).items():
                if isinstance(prepared, Outcome):
                    done(f, prepared)
                else:
                    plans[f] = prepared
            if plans:
                _execute(plans, options, executor, workers, kernel, ahead, done)
        except KeyboardInterrupt:
            result.interrupted = True
            ended = {f for f, _ in finished}
            for f in files:
                if f not in ended:
                    done(f, cut_off(plans.get(f) or f))
            lifetime.remove_orphaned_temp_folders()  # the stopped workers'
        result.outcomes = sorted((with_approval(output, o) for _, o in finished),
                                 key=lambda o: (o.agency, o.year, o.params_file))
        if not result.interrupted:
            now.status_pages = _status_pages(files, output, result.outcomes, now, known)
            now.reports = {paths.recorded_name(f): run.inputs_key for f, o in finished
                           if o.status in {"published", "unchanged"}
                           and (run := record.read(output / o.agency / o.year)) is not None}
            batchcache.save(output, now)
        result.index, result.index_error = write_index(output, result.outcomes, now.status_pages)
    return result


def _unchanged(path: Path, run: record.Record, output: Path) -> Outcome:
    """The outcome of a report the last batch's state shows unchanged, told from its record."""
    return Outcome(params_file=paths.relative_to_root(path), status="unchanged", agency=run.agency,
                   year=str(run.year), title=run.title, warnings=tuple(run.validation.warnings),
                   files=_shown(output / run.agency / str(run.year), run.files))


def _status_pages(files: list[Path], output: Path, outcomes: list[Outcome], now: batchcache.Seen,
                  known: batchcache.Seen | None) -> list[str]:
    """The status pages: the last batch's when nothing they show can have changed (the same tree, kit,
    day, reports and sign-offs), else written anew."""
    now.approvals = batchcache.approvals_hash(output, [(o.agency, int(o.year)) for o in outcomes
                                                       if o.status in {"published", "unchanged"}])
    same = (known is not None and not any(o.status == "published" for o in outcomes) and known.day == now.day
            and known.approvals == now.approvals and all((output / p).is_file() for p in known.status_pages))
    return list(known.status_pages) if same and known is not None else write_status_pages(files, output)


def with_approval(output: Path, outcome: Outcome) -> Outcome:
    """The outcome with the sign-off state of the version published under its agency-year, if any."""
    folder = output / outcome.agency / outcome.year
    if record.read(folder) is None:
        return outcome
    return replace(outcome, approval=approvals.approval_state(folder).label)


def cut_off(item: Plan | Path) -> Outcome:
    """A report a Ctrl-C stopped before it finished (or started)."""
    base = _described(item) if isinstance(item, Plan) else _base(item)
    return Outcome(**base, status="interrupted", message=CUT_OFF)


def write_status_pages(files: list[Path], output: Path) -> list[str]:
    """Each rolled-up government's status page (``<government>/<year>/status.html``, relative to
    ``output``); a page that can't be written is left out (the batch's outcomes say why)."""
    with validate.memo():
        return [page for f in files if (page := _status_page(f, output)) is not None]


def _status_page(f: Path, output: Path) -> str | None:
    try:
        if rollup.rollup_settings(base.read(f, str(f)).data) is None:
            return None
        return status.write_status(f, output).relative_to(output).as_posix()
    except KitError:
        return None


def write_index(output: Path, outcomes: list[Outcome], status_pages: list[str] | None = None
                ) -> tuple[Path | None, str]:
    """``output/index.html``, or why it could not be written (the outcomes are known all the same)."""
    index = output / INDEX_NAME
    for stale in output.glob(f".{INDEX_NAME}.*.tmp"):  # a killed batch's (this one holds the lock)
        stale.unlink(missing_ok=True)
    try:
        publish.write_atomic(index, render.index_html(outcomes, status_pages or []).encode())
    except WriteError as exc:
        return None, str(exc)
    return index, ""


def _execute(plans: dict[Path, Plan], options: RunOptions, executor: Executor | None, workers: int | None,
             kernel: str, ahead: bool, done: Callable[[Path, Outcome], None]) -> None:
    """Run the planned reports on the executor (a process pool of the batch's own by default)."""
    own = executor is None
    futures: dict[Future, tuple[Path, Plan]] = {}
    with ExitStack() as stack:
        server = stack.enter_context(fork_server(kernel if own else "stock"))  # Dask workers are elsewhere
        if server is not None and ahead:
            options = replace(options, ahead=True)
        own_pool: ProcessPoolExecutor | None = None
        if executor is None:
            own_pool = executor = default_executor(min(workers or os.cpu_count() or 1, len(plans)))
            # the workers go before the fork server and its kernels
            stack.callback(own_pool.shutdown, wait=True, cancel_futures=True)
        pool = executor
        collected: set[Future] = set()
        try:
            with lifetime.children_ignore_sigint():  # workers start here: Ctrl-C is the driver's alone
                for f, p in units_first(plans):
                    # absolute, but a link stays a link: the worker reads the file as the driver did
                    futures[pool.submit(run_one, os.path.abspath(p.params_file), options, carried(p))] = (f, p)
            for future in as_completed(futures):
                collected.add(future)
                done(futures[future][0], _collect(future, futures[future][1]))
        except KeyboardInterrupt:
            for future in futures:  # no report starts now (on any executor: a Dask cluster's too)
                future.cancel()
            for future, (f, p) in futures.items():  # finished, not yet collected
                if future not in collected and future.done() and not future.cancelled():
                    done(f, _collect(future, p))
            if own_pool is not None:
                _kill_workers(own_pool)  # the running reports are cut off
            raise


def units_first(plans: dict[Path, Plan]) -> list[tuple[Path, Plan]]:
    """The plans in the order they start: units before their government, a city after its counties."""
    return sorted(plans.items(), key=lambda item: item[1].validated.level)


def _collect(future: Future, p: Plan) -> Outcome:
    try:
        return future.result()
    except Exception as exc:
        return Outcome(**_described(p), status="failed", message=f"执行进程异常退出：{type(exc).__name__}: {exc}")


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    """SIGKILL the pool's workers (what Python 3.14's ``kill_workers`` does); their kernels follow
    them (they watch their parent), and nothing they were writing is published half."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()


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
