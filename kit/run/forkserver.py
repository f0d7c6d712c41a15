"""Forked kernels: a fresh kernel per report without paying Python's start-up and imports.

A fork server, one per batch, imports the passive modules every report needs
(ipykernel, IPython, numpy, pandas, matplotlib, the kit) and then forks one child
per kernel. The child — not the server — builds the kernel (zmq context, sockets,
IPython shell) from the connection file jupyter_client wrote, so nothing that runs
threads or holds sockets crosses the fork. Each report still gets a process of its
own: no state crosses reports.

Guards keep a forked kernel as fresh as a stock one; where one can't be met the
stock kernel is used and the reason recorded:

* numpy's and ``random``'s global state are reseeded in the child;
* a ``matplotlibrc`` or a module in the kernel's working directory that would shadow
  a preloaded package → stock kernel;
* environment variables read at import time (PYTHON*, MPL*, thread counts, locale, …)
  that differ from the server's → stock kernel;
* the kernel watches the fork server as its parent (it dies with the batch), is
  interrupted and shut down by signals like a stock kernel, and leaves through normal
  interpreter shutdown (files flushed);
* the server's listening socket is closed through its Python object in the child;
  stdin is a closed pipe, as for a stock kernel; ``PYTHONHASHSEED`` is pinned to 0 for
  both kinds of kernel; matplotlib's inline backend is not preloaded (only
  ``matplotlib`` itself, never ``pyplot``).

After its imports the server moves every object it holds into the garbage collector's
permanent generation (``gc.freeze``), as CPython advises for a pre-fork server: a child's
collections then never walk — and so never copy — the pages it shares with the server. (An
object of the preloaded modules that becomes cyclic garbage in the child is not collected;
the child lives for one report.)

The server is a jupyter_client kernel *provisioner* on the worker side
(:class:`ForkProvisioner`), so papermill and nbclient run unchanged; the kernelspec
stays ``python3``.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit.run import lifetime

HASH_SEED = "0"
ADDRESS_ENV = "KIT_FORK_SERVER"
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "IPython", "numpy", "pandas", "matplotlib",
           "matplotlib.figure", "matplotlib.backends.backend_svg", "pydantic", "jinja2", "markdown_it", "yaml",
           "kit", "kit.show", "kit.content.charts", "kit.content.render", "kit.content.report",
           # what a kernel imports as it initialises (the debugger's debugpy alone is ~0.1 s a kernel)
           "ipykernel.debugger", "IPython.core.completerlib", "IPython.core.logger", "IPython.core.oinspect",
           "IPython.extensions.storemagic", "IPython.core.debugger", "faulthandler", "runpy", "sqlite3",
           "tornado.platform.asyncio", "tornado.queues")


def shadowable(modules: Iterable[str]) -> frozenset[str]:
    """The top-level names a file or folder in a kernel's working directory must not shadow, given the
    modules a fork server has loaded: every preloaded module's package and every package outside the
    standard library that their imports brought in (a stock kernel would import those from the folder)."""
    tops = {name.partition(".")[0] for name in modules}
    return frozenset({name.partition(".")[0] for name in PRELOAD}
                     | {top for top in tops if top not in sys.stdlib_module_names and not top.startswith("_")})


# Before the server has imported anything: the preloaded modules' own packages.
SHADOWED = shadowable(PRELOAD)
IMPORT_TIME_ENV = ("PYTHON", "MPL", "OMP_", "OPENBLAS", "MKL_", "NUMEXPR", "NUMPY", "PANDAS", "LANG", "LC_", "TZ",
                   "HOME", "XDG_", "JUPYTER", "IPYTHON", "VIRTUAL_ENV", "PATH",
                   "PYDEVD", "DEBUGPY", "GEVENT_SUPPORT")  # read by the debugger (debugpy) as it is imported


def _import_time_env(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(IMPORT_TIME_ENV)}


def refusal(cwd: str, env: dict[str, str], server_env: dict[str, str],
            shadowed: Collection[str] = SHADOWED) -> str | None:
    """Why a kernel for ``cwd``/``env`` must not be forked from this server (None: it may); ``shadowed``:
    the names the server's modules have (:func:`shadowable`)."""
    folder = Path(cwd)
    if (folder / "matplotlibrc").exists():
        return f"工作目录 {cwd} 含有 matplotlibrc"
    for name in sorted(shadowed):
        if (folder / f"{name}.py").exists() or (folder / name).is_dir():
            return f"工作目录 {cwd} 含有会遮蔽已预载模块的 {name}"
    mine, theirs = _import_time_env(server_env), _import_time_env(env)
    if mine != theirs:
        changed = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
        return f"环境变量与 fork 服务器不同：{', '.join(changed)}"
    return None


# --------------------------------------------------------------------------- server


class _ChildDone(BaseException):
    """Unwinds a forked child out of the server's loop to a normal interpreter exit."""

    def __init__(self, code: int) -> None:
        self.code = code


def _reap(exit_codes: dict[int, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        exit_codes[pid] = os.waitstatus_to_exitcode(status)


def _run_child(request: dict, server_pid: int, set_by_imports: dict[str, str]) -> int:
    """In the forked child: become a fresh kernel process, run the kernel, return its exit code."""
    lifetime.die_with_parent(server_pid)  # at once, not at the kernel's next poll of its parent
    os.setsid()  # a process group of its own, like a stock kernel (interrupts go to it alone)
    for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ.update(set_by_imports)
    read, write = os.pipe()  # stdin: a closed pipe
    os.close(write)
    os.dup2(read, 0)
    os.close(read)
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()  # numpy's global state: fresh, as in a new process
    sys.path[0:0] = [request["cwd"]] if request["cwd"] not in sys.path else []
    argv = request["argv"]
    sys.argv = [argv[0], *argv[argv.index("ipykernel_launcher") + 1:]] if "ipykernel_launcher" in argv else argv
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize([*sys.argv[1:], f"--IPKernelApp.parent_handle={server_pid}"])
    # ipykernel picks matplotlib's inline backend by setting MPLBACKEND, which matplotlib reads once,
    # at import — in the server, before the kernel existed. Give the preloaded matplotlib the same
    # default a fresh import would read now (pyplot is never preloaded, so nothing is drawn yet).
    mpl = sys.modules.get("matplotlib")
    if mpl is not None and os.environ.get("MPLBACKEND") and "matplotlib.pyplot" not in sys.modules:
        mpl.rcParams["backend"] = os.environ["MPLBACKEND"]
    try:
        app.start()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _warm_up() -> None:
    """Work every kernel would repeat, done once here, leaving only passive objects: the charts'
    font family resolved (matplotlib caches a path, no open file), the parameter models built
    (pydantic), the templates compiled (Jinja)."""
    from matplotlib import font_manager

    from kit.content.charts import CJK_SANS
    from kit.content.render import precompile
    from kit.spec import formats, model

    font_manager.findfont(font_manager.FontProperties(family=CJK_SANS), fallback_to_default=True)
    for version in formats.versions():
        model.schema_for(version)
    precompile()


def serve(address: str, parent: int) -> None:
    """The fork server's loop: one JSON request per connection; it dies with ``parent``, the batch."""
    lifetime.die_with_parent(parent)
    server_env = dict(os.environ)  # what the preloaded modules read as they were imported
    for name in PRELOAD:
        __import__(name)
    _warm_up()
    shadowed = shadowable(sys.modules)
    # what they set as they were imported (debugpy: PYDEVD_USE_FRAME_EVAL): a stock kernel has it
    # once it has imported them, so each child gets it back after taking its kernel's environment
    set_by_imports = {k: v for k, v in os.environ.items() if server_env.get(k) != v}
    gc.collect()
    gc.freeze()  # children's collections skip the shared pages (no copy-on-write, no walk)
    exit_codes: dict[int, int] = {}
    signal.signal(signal.SIGCHLD, lambda *_: _reap(exit_codes))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(16)
    listener.settimeout(0.5)
    print("ready", flush=True)
    while os.getppid() == parent:
        try:
            conn, _ = listener.accept()
        except (TimeoutError, InterruptedError):
            continue
        with conn:
            conn.settimeout(30)
            request = json.loads(conn.makefile("r", encoding="utf-8").readline())
            op = request.get("op")
            if op == "status":
                reply: dict[str, Any] = {"returncode": exit_codes.get(request["pid"])}
            elif op == "spawn":
                reason = refusal(request["cwd"], request["env"], server_env, shadowed)
                if reason:
                    reply = {"refused": reason}
                else:
                    server_pid = os.getpid()
                    pid = os.fork()
                    if pid == 0:
                        conn.close()  # through their Python objects, not raw descriptors
                        listener.close()
                        raise _ChildDone(_run_child(request, server_pid, set_by_imports))
                    reply = {"pid": pid}
            else:
                reply = {"pong": os.getpid()}
            conn.sendall((json.dumps(reply) + "\n").encode())


def main() -> None:
    """``python -m kit.run.forkserver ADDRESS PARENT_PID``: serve until the parent is gone."""
    try:
        serve(sys.argv[1], int(sys.argv[2]))
    except _ChildDone as done:  # the forked kernel finished: leave like any Python program
        sys.exit(done.code)


# --------------------------------------------------------------------------- client


def request(address: str, message: dict, timeout: float = 30) -> dict:
    """Send one JSON request to the fork server at ``address``; its JSON reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(address)
        sock.sendall((json.dumps(message) + "\n").encode())
        line = sock.makefile("r", encoding="utf-8").readline()
    if not line:  # the server died after it accepted the request
        raise ConnectionResetError("fork 服务器没有回复")
    return json.loads(line)


def swap_address(address: str | None) -> str | None:
    """Set the fork server address that workers inherit (None: no server); return the one replaced."""
    outer = os.environ.pop(ADDRESS_ENV, None)
    if address is not None:
        os.environ[ADDRESS_ENV] = address
    return outer


class ForkServer:
    """Owned by a batch: started before the workers, stopped (with its kernels) after them."""

    def __init__(self) -> None:
        self.folder = lifetime.temp_folder("fork")
        self.address = os.path.join(self.folder, "server.sock")
        env = {**os.environ, "PYTHONHASHSEED": HASH_SEED}
        cmd = [sys.executable, "-m", "kit.run.forkserver", self.address, str(os.getpid())]
        # the server keeps its own copy of the log; in a process group of its own, it doesn't get the
        # terminal's Ctrl-C (the batch stops it)
        with open(os.path.join(self.folder, "server.log"), "ab") as log:
            self.process = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                            stderr=log, process_group=0)
        try:
            line = self.process.stdout.readline() if self.process.stdout is not None else b""
        except BaseException:  # Ctrl-C while it starts: not left running
            self.stop()
            raise
        if line.strip() != b"ready":
            self.stop()
            raise RuntimeError("fork 服务器未能启动")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> ForkServer:
        self._outer = swap_address(self.address)  # the workers (spawned after this) find it there
        return self

    def __exit__(self, *exc: object) -> None:
        swap_address(self._outer)  # the address of a server this one was nested in, if any
        self.stop()


class ForkedProcess:
    """What jupyter_client's LocalProvisioner expects of a Popen, for a kernel forked by the server."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, address: str) -> None:
        self.pid, self.address = pid, address
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
                return None
            except ProcessLookupError:
                pass
            try:
                self.returncode = request(self.address, {"op": "status", "pid": self.pid}).get("returncode")
            except OSError:
                self.returncode = -signal.SIGKILL  # the server is gone, and its kernels with it
            if self.returncode is None:
                self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if timeout is not None and deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("forked kernel", timeout)
            time.sleep(0.05)
        return code

    def send_signal(self, signum: int) -> None:
        if self.poll() is not None:  # like Popen: a process that has exited is not signalled
            return
        with contextlib.suppress(ProcessLookupError):  # exited since the poll
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


@dataclass(frozen=True)
class Launch:
    """How a report's kernel started, for its record: forked by the batch's server or a stock process
    (``reason``: why not forked, or what happened to it), and whether it was started ahead."""

    forked: bool = False
    reason: str | None = None
    ahead: bool = False


UNKNOWN = Launch()  # nothing said: a record made without running a kernel
STANDALONE = Launch(reason="单独运行（没有 fork 服务器）")  # a kernel manager's until a provisioner says otherwise


def launch(cmd: list[str], env: dict[str, str], cwd: str, log: str) -> ForkedProcess | str:
    """Ask the batch's fork server for a kernel: a process, or the reason to use a stock one."""
    address = os.environ.get(ADDRESS_ENV)
    if not address:
        return "没有 fork 服务器"
    try:
        reply = request(address, {"op": "spawn", "argv": cmd, "env": env, "cwd": cwd, "log": log})
    except OSError as exc:
        return f"fork 服务器不可用（{type(exc).__name__}）"
    if "refused" in reply:
        return reply["refused"]
    return ForkedProcess(reply["pid"], address)


if __name__ == "__main__":
    main()
