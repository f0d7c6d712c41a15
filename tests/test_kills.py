"""Kills, interrupts, races and full disks (issue 12 §3): real processes, real signals.

A batch's processes are found by a marker in their environment, which every one of them
inherits (workers, fork server, kernels, multiprocessing's resource tracker)."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
import psutil
import pytest
from click.testing import CliRunner

from kit import cli
from kit.api import RunOptions, run_report
from kit.batch import batch_lock, run_batch
from kit.exceptions import Orphaned, OutputLocked, WriteError
from kit.run import lifetime
from kit.run.forkserver import ForkServer
from kit.run.kernel import IPCKernelManager
from kit.write import publish
from tests.helpers import SEED_PARAMS
from tests.test_batch import SEED, make_project, published_state, write_params

TAG = "KIT_TEST_BATCH"
SLOW_CELL = """import os, pathlib, time
if report.model.agency.id == 'slow':
    pathlib.Path(os.environ['KIT_TEST_MARK']).write_text('running')
    time.sleep({seconds})"""


# ----------------------------------------------------------------- helpers


def slow_project(base: Path, seconds: int) -> Path:
    """agency-0, pingtan 2021 and 2022, and ``slow``, whose report sleeps ``seconds`` in a cell
    (after writing the file $KIT_TEST_MARK: it is running)."""
    root = make_project(base, good=1, invalid=False, boom=False)
    nb_path = root / "notebooks" / "report.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    next(c for c in nb.cells if c.get("id") == "boom").source = SLOW_CELL.format(seconds=seconds)
    nbformat.write(nb, nb_path)
    write_params(root, "slow", SEED)
    return root


class Batch:
    """``kit batch`` in a process group of its own (as a terminal runs it), its output collected."""

    def __init__(self, root: Path, base: Path, tmp: Path, *args: str) -> None:
        self.tag, self.mark, self.tmp = uuid.uuid4().hex, base / "mark", tmp
        self.env = {**os.environ, "KIT_ROOT": str(root), TAG: self.tag, "KIT_TEST_MARK": str(self.mark),
                    "TMPDIR": str(self.tmp)}
        self.args = ["batch", "--workers", "2", *args]
        self.lines: list[str] = []
        self.proc = subprocess.Popen([sys.executable, "-m", "kit.cli", *self.args], env=self.env, cwd=root,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     start_new_session=True)
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True)
        self._reader.start()

    def wait_for(self, condition, what: str, seconds: float = 300) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert self.proc.poll() is None, f"the batch ended before {what}: {self.proc.stderr.read()}"
            assert time.monotonic() < deadline, f"no {what} after {seconds} s"
            time.sleep(0.05)

    def wait_for_the_slow_one_alone(self) -> None:
        """Until the three other reports are published (the driver said so) and the slow one runs."""
        self.wait_for(lambda: self.mark.exists() and sum("已发布" in line for line in self.lines) == 3,
                      "three reports published and the slow one running")

    def finish(self) -> tuple[int, str, str]:
        err = self.proc.stderr.read()
        code = self.proc.wait(timeout=300)
        self._reader.join(60)
        return code, "".join(self.lines), err

    def processes(self) -> list[psutil.Process]:
        """Every live process of this batch (zombies are dead: only not yet reaped)."""
        found = []
        for p in psutil.process_iter():
            try:
                if p.environ().get(TAG) == self.tag and p.status() != psutil.STATUS_ZOMBIE:
                    found.append(p)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        return found

    def left_after(self, seconds: float) -> list[str]:
        """The batch's processes still alive after waiting up to ``seconds`` for them to go."""
        deadline = time.monotonic() + seconds
        while (left := self.processes()) and time.monotonic() < deadline:
            time.sleep(0.1)
        return [f"{p.pid} {' '.join(p.cmdline()[:4])}" for p in left if p.is_running()]

    def kill_all(self) -> None:
        """Whatever the test's outcome: nothing of it runs into the next test."""
        with_children = self.processes()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        for p in with_children:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                continue
        self._reader.join(60)
        self.proc.stdout.close()
        self.proc.stderr.close()


def leftovers(out: Path) -> list[str]:
    """Dot entries beside the published reports that no link points to (partial or stale versions)."""
    linked = {link.resolve() for link in out.glob("*/*") if link.is_symlink()}
    return sorted(str(p.relative_to(out)) for p in out.glob("*/.*") if p.resolve() not in linked)


# ----------------------------------------------------------------- the driver dies


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """The batch's TMPDIR: short, as /tmp is (a kernel's IPC socket path must fit in 107 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="kt", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def slow_batch(base: Path, tmp: Path, seconds: int) -> Iterator[tuple[Path, Batch]]:
    """``kit batch`` of :func:`slow_project`, from when the slow report alone runs; killed whatever happens."""
    root = slow_project(base, seconds)
    batch = Batch(root, base, tmp)
    try:
        batch.wait_for_the_slow_one_alone()
        yield root, batch
    finally:
        batch.kill_all()


@pytest.mark.slow
def test_driver_killed_alone_takes_its_processes_with_it_and_publishes_nothing(tmp_path, short_tmp):
    with slow_batch(tmp_path, short_tmp, seconds=8) as (root, batch):
        roles = {" ".join(p.cmdline()[1:3]) for p in batch.processes()}
        assert {"-m kit.cli", "-m kit.run.forkserver"} <= roles, roles  # and workers, kernels, the tracker
        os.kill(batch.proc.pid, signal.SIGKILL)  # the driver only, not its group
        batch.proc.wait()
        assert batch.left_after(10) == []  # workers, kernels, fork server, resource tracker: all gone
        out = root / "output"
        assert not (out / "slow" / "2020").exists()  # its worker did not finish it: nothing published
        assert leftovers(out) == []
    # the next run removes the temporary folders the killed one left, and only those
    left = sorted(p.name.split("-")[1] for p in batch.tmp.iterdir() if p.name.startswith("kit-"))
    assert {"fork", "kernel", "run"} <= set(left), left
    live = batch.tmp / f"kit-run-{os.getpid()}-running"  # one of a process still running: kept
    live.mkdir()
    (root / "params" / "slow" / "2020.yaml").unlink()  # the rest are published: no kernel needed
    again = subprocess.run([sys.executable, "-m", "kit.cli", "batch"], env=batch.env, capture_output=True, text=True,
                           timeout=300, cwd=root)
    assert again.returncode == 0, again.stderr
    assert "共 3 个报告：已发布 0，未变化 3，失败 0，参数无效 0，警告 1；总览 output/index.html" in again.stdout
    assert sorted(p.name for p in batch.tmp.iterdir()) == [live.name]


def test_fork_server_dies_with_a_parent_gone_before_it_watched(tmp_path):
    """The server asks to die with the batch, then checks the batch is still there: a batch
    killed before the request was made would otherwise leave it serving forever."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with subprocess.Popen([sys.executable, "-m", "kit.run.forkserver", str(tmp_path / "s.sock"), str(gone.pid)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as server:
        try:
            out, _ = server.communicate(timeout=30)
        finally:
            server.kill()
    assert (server.returncode, out) == (-signal.SIGKILL, b"")  # killed before it ever served


def test_a_worker_whose_driver_is_gone_publishes_nothing(tmp_path, monkeypatch):
    dest = tmp_path / "agency" / "2020"
    old = publish.publish(dest, {"report.html": b"old"})
    monkeypatch.setattr(lifetime, "_parent", os.getppid() + 100_000)  # not this process's parent: gone
    assert lifetime.orphaned()
    with pytest.raises(Orphaned) as info:
        publish.publish(dest, {"report.html": b"new"})
    assert str(info.value) == f"批处理的主进程已退出：不再发布 {dest}"
    assert (dest / "report.html").read_bytes() == b"old"
    assert sorted(p.name for p in dest.parent.iterdir()) == sorted(["2020", old.name])


# ----------------------------------------------------------------- Ctrl-C


@pytest.mark.slow
def test_ctrl_c_stops_the_batch_says_what_finished_and_exits_130(tmp_path, short_tmp):
    with slow_batch(tmp_path, short_tmp, seconds=300) as (root, batch):
        os.killpg(batch.proc.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C: the whole group
        code, out, err = batch.finish()
        assert code == 130, err
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
        assert out.splitlines()[-2:] == [
            "已中断（未完成） params/slow/2020.yaml",
            "共 4 个报告：已发布 3，未变化 0，失败 0，参数无效 0，警告 1；总览 output/index.html",
        ]
        assert err.splitlines()[-2:] == [
            "— 已中断（未完成） params/slow/2020.yaml：批处理被中断（Ctrl-C）："
            "此报告未完成，已发布的版本（如有）保持不变",
            "批处理已中断（Ctrl-C）：3 个报告已完成，1 个未完成",
        ]
        index = (root / "output" / "index.html").read_text(encoding="utf-8")
        assert ("共 4 个报告：已发布 3，未变化 0，失败 0，参数无效 0，"
                "已中断 1（批处理被中断，这些报告未完成）。") in index
        assert '<td class="status-interrupted">已中断（未完成）</td>' in index
        assert batch.left_after(10) == []
        assert sorted(published_state(root / "output")) == ["agency-0/2020", "pingtan/2021", "pingtan/2022"]
        assert leftovers(root / "output") == []


def test_workers_ignore_ctrl_c_from_their_first_instruction_the_fork_server_never_gets_it(tmp_path):
    code = "import signal; print(signal.getsignal(signal.SIGINT) == signal.SIG_IGN)"
    with lifetime.children_ignore_sigint():
        child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert child.stdout == "True\n"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the driver's own is back
    with ForkServer() as server:  # not in the terminal's foreground process group
        assert os.getpgid(server.process.pid) == server.process.pid != os.getpgid(0)


def test_a_second_ctrl_c_does_not_cut_the_wind_down_short():
    main = threading.main_thread().ident
    with lifetime.interrupt_once():
        with pytest.raises(KeyboardInterrupt):
            signal.pthread_kill(main, signal.SIGINT)  # handled before the next statement
            raise AssertionError("not interrupted")
        signal.pthread_kill(main, signal.SIGINT)  # ignored: the wind-down goes on
        wound_down = True
    assert wound_down
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# ----------------------------------------------------------------- locks


def test_kit_run_is_refused_while_a_batch_writes_to_the_same_output(tmp_path, monkeypatch):
    out, temp = tmp_path / "output", tmp_path / "tmp"
    orphan = temp / "kit-kernel-999999999.1-x"  # no such pid: a killed run's
    orphan.mkdir(parents=True)
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    message = (f"另一个 kit batch 正在写入同一输出目录（进程 {os.getpid()}，锁文件 {out / '.kit-batch.lock'}）："
               "请等它结束后再运行")
    with batch_lock(out):
        with pytest.raises(OutputLocked) as info:
            run_report(SEED_PARAMS, RunOptions(output=out))
        assert str(info.value) == message
        result = CliRunner().invoke(cli.main, ["run", str(SEED_PARAMS), "--output", str(out)])
        assert (result.exit_code, result.output) == (6, message + "\n")
    assert sorted(p.name for p in out.iterdir()) == [".kit-batch.lock"]  # nothing ran
    assert list(temp.iterdir()) == []  # but a killed run's temporary folder is removed


def test_a_batch_is_refused_while_a_kit_run_writes_there_and_runs_share(tmp_path):
    out, params = tmp_path / "output", tmp_path / "params"
    params.mkdir()
    # two kit runs at once: each report locked apart
    with (publish.output_lock(out, "kit run", shared=True), publish.output_lock(out, "kit run", shared=True),
          pytest.raises(OutputLocked) as info):
        run_batch(params, RunOptions(output=out))
    assert str(info.value) == (f"另一个 kit run 正在写入同一输出目录（进程 {os.getpid()}，"
                               f"锁文件 {out / '.kit-batch.lock'}）：请等它结束后再运行")


def _waiting_for_lock(inode: int) -> bool:
    """Whether some process waits for a lock on the file ``inode`` (Linux: /proc/locks)."""
    lines = Path("/proc/locks").read_text().splitlines()
    return any(" -> " in f" {line} " and line.split()[6].endswith(f":{inode}") for line in lines)


def test_a_publisher_never_removes_the_version_another_is_writing(tmp_path, monkeypatch):
    dest = tmp_path / "agency" / "2020"
    publish.publish(dest, {"report.html": b"old"})
    b_writing, b_may_go_on = threading.Event(), threading.Event()
    real_fsync_dir = publish._fsync_dir

    def paused(path: Path) -> None:  # B stops while its version folder is written, not yet linked
        if threading.current_thread().name == "B" and path.name.startswith(".2020.") and not b_writing.is_set():
            b_writing.set()
            b_may_go_on.wait(60)
        real_fsync_dir(path)

    monkeypatch.setattr(publish, "_fsync_dir", paused)
    errors: list[BaseException] = []

    def publisher(content: bytes) -> None:
        try:
            publish.publish(dest, {"report.html": content})
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    b = threading.Thread(target=publisher, args=(b"B",), name="B")
    b.start()
    assert b_writing.wait(60)
    a = threading.Thread(target=publisher, args=(b"A",), name="A")
    a.start()
    inode = os.stat(dest.parent).st_ino
    while a.is_alive() and not _waiting_for_lock(inode):  # A waits for B (before the fix: it ran, and cleaned)
        time.sleep(0.01)
    b_may_go_on.set()
    a.join(60)
    b.join(60)
    assert errors == []
    assert (dest / "report.html").read_bytes() == b"A"
    assert [p.name for p in dest.parent.iterdir() if p.name != "2020"] == [os.readlink(dest)]


# ----------------------------------------------------------------- temporary folders


def test_temporary_folders_name_their_owner_and_only_orphans_are_removed(tmp_path, monkeypatch):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    me = lifetime.temp_prefix("run").removeprefix("kit-run-").rstrip("-")  # <pid>.<start time>
    pid, start = me.split(".")
    assert pid == str(os.getpid()) and start == Path("/proc/self/stat").read_text().rpartition(")")[2].split()[19]
    with subprocess.Popen([sys.executable, "-c", "pass"]) as zombie:  # exited, not yet reaped: dead all the same
        while lifetime._stat(zombie.pid)[0] != "Z":
            time.sleep(0.01)
        names = [f"kit-run-{gone.pid}-a", f"kit-kernel-{gone.pid}.123-b", f"kit-fork-{gone.pid}-c",  # owner gone
                 f"kit-run-{zombie.pid}-z",
                 f"kit-run-{pid}.{int(start) + 1}-r",  # the pid now of another process than the owner's
                 f"kit-run-{me}-d", f"kit-kernel-{pid}-e",  # owner running
                 "kit-run-x8a7sd", f"kit-verify-{gone.pid}-f", f"other-{gone.pid}-g"]  # not the kit's, or no owner
        for name in names:
            (tmp_path / name).mkdir()
            (tmp_path / name / "kernel.json").write_text("{}")
        removed = lifetime.remove_orphaned_temp_folders(tmp_path)
    assert sorted(p.name for p in removed) == sorted(names[:5])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[5:])
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    km = IPCKernelManager(kernel_name="python3")
    assert Path(km.socket_dir).name.startswith(f"kit-kernel-{me}-")


# ----------------------------------------------------------------- full disks, read-only output


def test_disk_full_while_publishing_leaves_the_old_version_and_nothing_partial(tmp_path, monkeypatch):
    dest = tmp_path / "agency" / "2020"
    old = publish.publish(dest, {"report.html": b"old"})
    real_fsync, calls = os.fsync, []

    def full_at_the_second_file(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_at_the_second_file)
    with pytest.raises(WriteError) as info:
        publish.publish(dest, {"report.html": b"new", "report.ipynb": b"{}"})
    assert str(info.value) == f"无法写入 {dest}：磁盘空间已满（ENOSPC）"
    assert (dest / "report.html").read_bytes() == b"old"
    assert sorted(p.name for p in dest.parent.iterdir()) == sorted(["2020", old.name])


@pytest.mark.parametrize(("code", "message"), [
    (errno.EROFS, "无法写入 output：文件系统是只读的（EROFS）"),
    (errno.EDQUOT, "无法写入 output：超出磁盘配额（EDQUOT）"),
    (errno.EACCES, "无法写入 output：没有写入权限（EACCES）"),
])
def test_write_errors_say_why_in_chinese(code, message):
    with pytest.raises(WriteError) as info, publish.writing(Path("output")):
        raise OSError(code, os.strerror(code))
    assert str(info.value) == message
    assert info.value.exit_code == 7


def unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


needs_mounts = pytest.mark.skipif(not unshare_works(),
                                  reason="needs `unshare -m` (root) for a private tmpfs / read-only bind mount")


def in_private_mounts(script: str, root: Path) -> subprocess.CompletedProcess:
    """Run ``script`` (sh) for the project ``root`` in a mount namespace of its own: its mounts vanish with it."""
    return subprocess.run(["unshare", "-m", "sh", "-c", script], env={**os.environ, "KIT_ROOT": str(root)}, cwd=root,
                          capture_output=True, text=True, timeout=600)


def project_to_mount_on(base: Path, good: int) -> tuple[Path, Path]:
    """A project and its output folder, made beforehand to be a mount point."""
    root = make_project(base, good=good, invalid=False, boom=False)
    (root / "output").mkdir()
    return root, root / "output"


@pytest.mark.slow
@needs_mounts
def test_disk_full_mid_batch_then_room_again(tmp_path):
    root, out = project_to_mount_on(tmp_path, good=2)
    kit = f"{sys.executable} -m kit.cli batch --workers 1"
    logs = tmp_path / "logs"
    logs.mkdir()
    script = (f"set -e; mount -t tmpfs -o size=400k tmpfs {out}; "  # room for one report (~270 KB), not two
              f"{kit} >{logs}/1.out 2>{logs}/1.err || echo $? >{logs}/1.rc; "
              f"find {out} -name '.20*' -printf '%P\\n' >{logs}/1.versions; "
              f"mount -o remount,size=64m {out}; "
              f"{kit} >{logs}/2.out 2>{logs}/2.err || echo $? >{logs}/2.rc; "
              f"find {out} -mindepth 1 -printf '%P %y\\n' >{logs}/2.tree")
    done = in_private_mounts(script, root)
    assert done.returncode == 0, done.stderr

    def log(name: str) -> str:
        path = logs / name
        return path.read_text(encoding="utf-8") if path.exists() else ""

    first_out, first_err = log("1.out"), log("1.err")
    assert log("1.rc").strip() == "1" and "Traceback" not in first_err, first_err
    failed = [line for line in first_err.splitlines() if line.startswith("— 失败 ")]
    assert failed and len(failed) < 4, first_err  # one report had room
    for line in failed:  # each report's reason, in Chinese
        agency, year = line.removeprefix("— 失败 params/").split(".yaml：")[0].split("/")
        assert line.endswith(f"：无法写入 output/{agency}/{year}：磁盘空间已满（ENOSPC）"), line
    summary = first_out.splitlines()[-1]
    assert summary.startswith(f"共 4 个报告：已发布 {4 - len(failed)}，未变化 0，失败 {len(failed)}，"
                              "参数无效 0，警告 1；总览")
    assert len(log("1.versions").split()) == 4 - len(failed)  # the published ones': no partial version
    assert log("2.rc") == "" and "Traceback" not in log("2.err"), log("2.err")
    assert log("2.out").splitlines()[-1] == (f"共 4 个报告：已发布 {len(failed)}，未变化 {4 - len(failed)}，失败 0，"
                                             "参数无效 0，警告 1；总览 output/index.html")
    tree = dict(line.rsplit(" ", 1) for line in log("2.tree").splitlines())
    versions = sorted(path for path, kind in tree.items() if path.split("/")[-1].startswith(".20") and kind == "d")
    links = sorted(path for path, kind in tree.items() if kind == "l")
    assert len(versions) == len(links) == 4  # one version per report: nothing partial, nothing stale


@pytest.mark.slow
@needs_mounts
def test_read_only_output_is_one_clear_message_before_anything_runs(tmp_path):
    root, out = project_to_mount_on(tmp_path, good=1)
    kit = f"{sys.executable} -m kit.cli"
    script = (f"mount --bind {out} {out} && mount -o remount,bind,ro {out} && "
              f"{{ {kit} batch; echo \"batch $?\"; {kit} run params/pingtan/2022.yaml; echo \"run $?\"; }}")
    done = in_private_mounts(script, root)
    assert done.stdout.splitlines()[-2:] == ["batch 7", "run 7"], done.stderr
    assert done.stderr.splitlines() == ["无法写入 output：文件系统是只读的（EROFS）"] * 2
    assert list(out.iterdir()) == []
