"""Forked kernels are as fresh as stock ones: every guard has a test that fails without it."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import stat
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from kit.api import RunOptions
from kit.batch import run_batch
from kit.run import forkserver
from kit.run.forkserver import ForkServer, refusal
from kit.run.kernel import IPCKernelManager
from tests.helpers import ROOT

pytestmark = pytest.mark.slow
NOTEBOOKS = str(ROOT / "notebooks")


# ----------------------------------------------------------------- guards as pure functions


def test_refusal_for_matplotlibrc_and_shadowing_modules(tmp_path):
    env = dict(os.environ)
    assert refusal(str(tmp_path), env, env) is None
    (tmp_path / "matplotlibrc").write_text("backend: agg\n")
    assert refusal(str(tmp_path), env, env) == f"工作目录 {tmp_path} 含有 matplotlibrc"
    (tmp_path / "matplotlibrc").unlink()
    (tmp_path / "pandas.py").write_text("x = 1\n")
    assert refusal(str(tmp_path), env, env) == f"工作目录 {tmp_path} 含有会遮蔽已预载模块的 pandas"
    (tmp_path / "pandas.py").unlink()
    (tmp_path / "numpy").mkdir()
    assert "numpy" in refusal(str(tmp_path), env, env)


def test_refusal_for_import_time_environment(tmp_path):
    server = {"HOME": "/root", "PATH": "/bin", "JPY_PARENT_PID": "1"}
    assert refusal(str(tmp_path), {**server, "JPY_PARENT_PID": "2", "KIT_X": "y"}, server) is None
    assert refusal(str(tmp_path), {**server, "MPLBACKEND": "agg", "OMP_NUM_THREADS": "1"}, server) == \
        "环境变量与 fork 服务器不同：MPLBACKEND, OMP_NUM_THREADS"
    assert refusal(str(tmp_path), {**server, "PYDEVD_USE_CYTHON": "NO"}, server) == \
        "环境变量与 fork 服务器不同：PYDEVD_USE_CYTHON"  # read by debugpy, preloaded with the debugger


def test_server_dying_after_it_accepted_a_request_means_unavailable(tmp_path, monkeypatch):
    address = str(tmp_path / "server.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(1)

    def accept_and_die():
        conn, _ = listener.accept()
        with conn.makefile("rb") as request:
            request.readline()  # the whole request, so that closing sends EOF, not a reset
        conn.close()  # no reply: what a server killed mid-request leaves

    thread = threading.Thread(target=accept_and_die)
    thread.start()
    monkeypatch.setenv(forkserver.ADDRESS_ENV, address)
    got = forkserver.launch(["python"], dict(os.environ), str(tmp_path), str(tmp_path / "kernel.log"))
    thread.join()
    listener.close()
    assert got == "fork 服务器不可用（ConnectionResetError）"


# ----------------------------------------------------------------- a real fork server, real kernels


async def _run(code: list[str], cwd: str = NOTEBOOKS, env: dict | None = None) -> tuple[list, dict, IPCKernelManager]:
    km = IPCKernelManager(kernel_name="python3")
    await km.start_kernel(cwd=cwd, env=env or dict(os.environ))
    launch = {"forked": km.launch.forked, "reason": km.launch.reason}  # how the manager says it started
    kc = km.client()
    kc.start_channels()
    results = []
    try:
        await kc.wait_for_ready(timeout=60)
        for source in code:
            msg_id = kc.execute(source)
            outputs = []
            while True:
                msg = await kc.get_iopub_msg(timeout=60)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] in {"stream", "display_data", "execute_result", "error"}:
                    outputs.append((msg["msg_type"], msg["content"]))
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
            results.append(outputs)
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=False)
    return results, launch, km


def run(code: list[str], **kw):
    return asyncio.run(_run(code, **kw))


def text(outputs) -> str:
    return "".join(c.get("text", "") for kind, c in outputs if kind == "stream")


@pytest.fixture(scope="module")
def server():
    with ForkServer() as fs:
        yield fs


def test_kernels_are_forked_and_preloaded(server):
    results, launch, _ = run(["import sys; print('pandas' in sys.modules, sys.flags.hash_randomization)"])
    assert launch == {"forked": True, "reason": None}
    assert text(results[0]) == "True 0\n"


def test_numpy_random_state_is_reseeded_in_each_child(server):
    code = ["import numpy; print(numpy.random.rand(), numpy.random.get_state()[1][0])"]
    first, second = (text(run(code)[0][0]) for _ in range(2))
    assert first != second  # without the reseed every forked kernel draws the server's sequence


def test_hash_seed_is_pinned_for_both_kinds(server, monkeypatch):
    code = ["import sys; print(sys.flags.hash_randomization, hash('政府信息公开'))"]
    forked = text(run(code)[0][0])
    monkeypatch.delenv(forkserver.ADDRESS_ENV)
    stock, launch, _ = run(code)
    assert launch.get("forked") is not True
    assert text(stock[0]) == forked and forked.startswith("0 ")


def test_environment_set_by_preloaded_imports_is_as_in_a_stock_kernel(server, monkeypatch):
    code = ["import os; print(os.environ.get('PYDEVD_USE_FRAME_EVAL'), 'KIT_FORK_SERVER' in os.environ)"]
    forked, launch, _ = run(code)  # debugpy sets PYDEVD_USE_FRAME_EVAL as it is imported
    assert launch["forked"] is True
    monkeypatch.delenv(forkserver.ADDRESS_ENV)
    stock, launch, _ = run(code)
    assert launch.get("forked") is not True
    assert text(forked[0]) == "NO True\n" and text(stock[0]) == "NO False\n"


def test_stdin_is_a_closed_pipe_as_for_a_stock_kernel(server):
    code = ["import os, stat; s = os.fstat(0); print(stat.S_ISFIFO(s.st_mode), os.read(0, 1))"]
    assert text(run(code)[0][0]) == "True b''\n"


def test_inline_backend_works_figures_do_not_vanish(server):
    results, launch, _ = run(["import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()"])
    assert launch["forked"]
    assert any(kind == "display_data" and "image/png" in c["data"] for kind, c in results[0])


def test_child_leaves_through_interpreter_shutdown_files_flushed(server, tmp_path):
    target = tmp_path / "unflushed.txt"
    run([f"f = open({str(target)!r}, 'w'); f.write('刷新了')"])  # never closed, never flushed by the cell
    deadline = time.monotonic() + 10
    while not target.read_text(encoding="utf-8") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert target.read_text(encoding="utf-8") == "刷新了"


def test_interrupt_reaches_a_forked_kernel(server):
    km = IPCKernelManager(kernel_name="python3")

    async def interrupted():
        await km.start_kernel(cwd=NOTEBOOKS)
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            msg_id = kc.execute("import time; time.sleep(30)")
            await asyncio.sleep(1.0)
            await km.interrupt_kernel()
            while True:
                msg = await kc.get_iopub_msg(timeout=20)
                if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "error":
                    return msg["content"]["ename"]
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    assert asyncio.run(interrupted()) == "KeyboardInterrupt"
    assert km.launch.forked


def test_shadowing_working_directory_gets_a_stock_kernel(server, tmp_path):
    (tmp_path / "matplotlibrc").write_text("figure.dpi: 50\n")
    results, launch, _ = run(["import matplotlib; print(matplotlib.rcParams['figure.dpi'])"], cwd=str(tmp_path))
    assert launch == {"forked": False, "reason": f"工作目录 {tmp_path} 含有 matplotlibrc"}
    assert text(results[0]) == "50.0\n"  # the stock kernel reads it, as it should


def test_different_import_time_environment_gets_a_stock_kernel(server):
    env = {**os.environ, "MPLBACKEND": "svg"}
    results, launch, _ = run(["import matplotlib; print(matplotlib.get_backend())"], env=env)
    assert launch["forked"] is False and "MPLBACKEND" in launch["reason"]
    assert text(results[0]) == "svg\n"


def test_kernels_die_with_the_fork_server(tmp_path):
    async def orphaned():
        with ForkServer() as fs:
            km = IPCKernelManager(kernel_name="python3")
            await km.start_kernel(cwd=NOTEBOOKS)
            kc = km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=60)
            pid = km.provisioner.pid
            fs.process.kill()  # the batch's fork server dies
            fs.process.wait()
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                await asyncio.sleep(0.2)
            kc.stop_channels()
            gone = not await km.is_alive()
            await km.shutdown_kernel(now=True)
            return gone

    assert asyncio.run(orphaned())


def test_used_kernel_is_killed_at_once_and_cleaned_up_at_the_next_report(server, tmp_path):
    from kit.api import run_report
    from kit.run import ahead

    options = RunOptions(output=tmp_path, ahead=True)
    seed = ROOT / "params" / "ninghai-commerce" / "2020.yaml"
    threads = threading.active_count()
    run_report(seed, options)  # starts its own kernel, and one ahead for the next report
    run_report(seed, options)  # runs on the kernel started ahead, then retires it
    used = ahead._retired[-1]
    pid = used.provisioner.pid
    # its client's channels are closed (nbclient leaves them open on a kernel it didn't start):
    # no heartbeat thread pinging a dead kernel, no sockets left to the garbage collector
    assert threading.active_count() == threads
    socket_dir = used.socket_dir
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left to idle
        os.kill(pid, 0)
    assert used.provisioner.process is None  # forgotten: the later clean-up signals no (reused) pid
    assert os.path.isdir(socket_dir)  # the rest of its clean-up waits: the report did not
    run_report(seed, options)
    assert not os.path.exists(socket_dir)  # done when the next report took its kernel
    assert used not in ahead._retired


def test_kernel_started_ahead_keeps_history_in_memory_as_nbclient_does(server):
    from kit.run import ahead

    earlier = ahead._next.pop("km", None)  # one an earlier test left waiting: shut down, not dropped
    if earlier is not None:
        ahead.shutdown(earlier)
    ahead._start("python3", Path(NOTEBOOKS))
    km = ahead._next.pop("km")
    ahead._next.clear()

    async def history_file():
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            out = []
            await kc.execute_interactive(
                "print(get_ipython().history_manager.hist_file)", timeout=30,
                output_hook=lambda m: out.append(m["content"]["text"]) if m["msg_type"] == "stream" else None)
            return "".join(out)
        finally:
            kc.stop_channels()

    try:
        assert asyncio.run(history_file()) == ":memory:\n"  # not ~/.ipython's history.sqlite
    finally:
        ahead.retire(km)
        ahead._clean_up_retired()


def test_kernel_started_ahead_that_died_is_replaced_not_a_failure(server, tmp_path):
    from kit.api import run_report
    from kit.run import ahead

    options = RunOptions(output=tmp_path, ahead=True)
    seed = ROOT / "params" / "ninghai-commerce" / "2020.yaml"
    run_report(seed, options)  # leaves a kernel started ahead
    waiting = ahead._next["km"]
    waiting.provisioner.process.kill()  # it dies before the next report can use it
    waiting.is_alive = lambda: asyncio.sleep(0, result=True)  # ...after take() found it alive
    result = run_report(seed, options)
    record = json.loads((result.html.parent / "run.json").read_text())
    assert record["kernel_forked"] is True and record["kernel_started_ahead"] is False
    assert record["kernel_note"] == "预先启动的内核在使用前已退出，改用新启动的内核"


# ----------------------------------------------------------------- batches


def normalised(nb_path: Path) -> list:
    nb = nbformat.read(nb_path, as_version=4)
    return [(c.get("id"), c.cell_type, c.source, c.get("outputs")) for c in nb.cells if c.get("id") != "provenance"]


def test_forked_and_stock_batches_give_identical_reports(tmp_path):
    fork = run_batch(options=RunOptions(output=tmp_path / "fork"), kernel="fork")
    stock = run_batch(options=RunOptions(output=tmp_path / "stock"), kernel="stock")
    assert fork.ok and stock.ok
    links = sorted(p.relative_to(tmp_path / "fork") for p in (tmp_path / "fork").glob("*/*") if p.is_symlink())
    assert len(links) == len(list((ROOT / "params").glob("*/*.yaml"))) == 15
    ahead = [json.loads((tmp_path / "fork" / link / "run.json").read_text())["kernel_started_ahead"] for link in links]
    assert ahead.count(True) >= 1  # 15 reports on 2 workers: a worker's next report had its kernel ready
    for link in links:
        a, b = tmp_path / "fork" / link, tmp_path / "stock" / link
        assert (a / "report.html").read_bytes() == (b / "report.html").read_bytes()
        assert normalised(a / "report.ipynb") == normalised(b / "report.ipynb")
        assert json.loads((a / "run.json").read_text())["kernel_forked"] is True
        assert json.loads((b / "run.json").read_text())["kernel_forked"] is False


def test_batch_falls_back_to_stock_when_the_server_cannot_serve(tmp_path, monkeypatch):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "notebooks", project / "notebooks")
    shutil.copy(ROOT / "requirements.lock", project)
    shutil.copytree(ROOT / "params" / "pingtan", project / "params" / "pingtan")
    (project / "notebooks" / "matplotlibrc").write_text("figure.dpi: 80\n")
    monkeypatch.setenv("KIT_ROOT", str(project))
    result = run_batch(kernel="fork")
    assert result.ok
    record = json.loads((project / "output" / "pingtan" / "2022" / "run.json").read_text())
    assert record["kernel_forked"] is False and "matplotlibrc" in record["kernel_note"]


def batch_servers(monkeypatch, killed_at_once: bool = False) -> list[ForkServer]:
    """The fork servers the next batches start (killed as soon as started, if asked)."""
    from kit import batch as batch_module

    servers: list[ForkServer] = []
    real = batch_module.fork_server

    @contextmanager
    def recorded(kernel):
        with real(kernel) as fs:
            servers.append(fs)
            if killed_at_once:
                os.kill(fs.process.pid, signal.SIGKILL)
            yield fs

    monkeypatch.setattr(batch_module, "fork_server", recorded)
    return servers


def test_fork_server_killed_before_any_kernel_falls_back_to_stock(tmp_path, monkeypatch):
    batch_servers(monkeypatch, killed_at_once=True)
    result = run_batch(options=RunOptions(output=tmp_path), kernel="fork")
    assert result.ok  # every report ran on a stock kernel instead
    for link in (p for p in tmp_path.glob("*/*") if p.is_symlink()):
        record = json.loads((link / "run.json").read_text())
        assert record["kernel_forked"] is False and record["kernel_note"].startswith("fork 服务器不可用")
        assert stat.S_ISREG((link / "report.html").stat().st_mode)


def test_fork_server_killed_in_the_middle_of_a_batch(tmp_path, monkeypatch):
    """Killed while reports run on its kernels: each report is published whole (on a forked
    kernel, or on a stock one after the fall-back) or reported as failed, never half-published."""
    from tests.test_batch import make_project, published_state

    root = make_project(tmp_path, good=4, invalid=False, boom=False)  # 6 reports
    monkeypatch.setenv("KIT_ROOT", str(root))
    servers = batch_servers(monkeypatch)

    def kill_after_first(outcome):
        if servers and servers[0].alive():
            os.kill(servers[0].process.pid, signal.SIGKILL)

    result = run_batch(kernel="fork", workers=2, on_outcome=kill_after_first)
    assert not servers[0].alive()
    assert len(result.outcomes) == 6
    for outcome in result.outcomes:
        assert outcome.status in {"published", "failed"}, outcome
        if outcome.status == "failed":  # a kernel that died with its server, said so
            assert "报告笔记本执行失败：内核意外退出（DeadKernelError）" in outcome.message, outcome.message
            assert (root / "output" / outcome.agency / f"{outcome.year}.failed.ipynb").exists()
    published = published_state(root / "output")  # every link: complete files of one run
    assert len(published) == [o.status for o in result.outcomes].count("published")
    records = [json.loads((root / "output" / link / "run.json").read_text()) for link in published]
    assert any(r["kernel_forked"] is False and r["kernel_note"].startswith("fork 服务器不可用") for r in records)
    again = run_batch(kernel="fork", workers=2)  # the next batch has its own server: what failed is re-run
    assert again.ok


@pytest.mark.parametrize(
    ("cell", "message"),
    [("import os\nos._exit(1)", "报告笔记本执行失败：内核意外退出（DeadKernelError）"),
     ("import time\ntime.sleep(60)", "报告笔记本执行失败：单元格执行超时（上限 5 秒）")],
    ids=["crash", "timeout"],
)
def test_forked_kernel_crashing_or_timing_out_in_a_batch_is_reported(tmp_path, monkeypatch, cell, message):
    from tests.test_batch import make_project, published_state

    root = make_project(tmp_path, good=1, invalid=False)  # agency-0, boom, pingtan 2021 and 2022
    nb_path = root / "notebooks" / "report.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    boom = next(c for c in nb.cells if c.get("id") == "boom")
    boom.source = "if report.model.agency.id == 'boom':\n" + "\n".join("    " + line for line in cell.splitlines())
    nbformat.write(nb, nb_path)
    monkeypatch.setenv("KIT_ROOT", str(root))
    result = run_batch(options=RunOptions(timeout=5), kernel="fork", workers=2)
    by_file = {o.params_file: o for o in result.outcomes}
    assert by_file.pop("params/boom/2020.yaml").message.startswith(f"params/boom/2020.yaml: {message}")
    assert {o.status for o in by_file.values()} == {"published"}
    out = root / "output"
    assert (out / "boom" / "2020.failed.ipynb").exists() and not (out / "boom" / "2020").exists()
    published = published_state(out)
    assert len(published) == 3
    assert all(json.loads((out / link / "run.json").read_text())["kernel_forked"] for link in published)
