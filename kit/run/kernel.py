"""The kernel each report runs in: a fresh ipykernel of the project's environment.

It talks over IPC (Unix sockets) in a socket directory of its own, so parallel
starts never race for TCP ports and nothing listens on the network. The kernel
process's own stdout/stderr (not the cells' output, which goes to the notebook)
is written to ``kernel.log`` there rather than to the batch's terminal: jupyter_client
interrupts a kernel before shutting it down, and ipykernel logs that on stderr.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import uuid
import weakref
from collections.abc import Awaitable
from queue import Empty
from typing import Any, TypeVar

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Type

from kit.run import forkserver, lifetime

T = TypeVar("T")


def wait_for(awaitable: Awaitable[T]) -> T:
    """Run one of jupyter_client's awaitables to its end from synchronous code (a loop of its own)."""

    async def waited() -> T:
        return await awaitable

    return asyncio.run(waited())


class ForkProvisioner(LocalProvisioner):
    """A jupyter_client provisioner that asks the batch's fork server for the kernel process,
    and launches a stock one where the server can't serve (recording why)."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        manager = self.parent
        assert isinstance(manager, IPCKernelManager)  # the only manager that makes this provisioner
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        got = forkserver.launch(cmd, env, cwd, os.path.join(manager.socket_dir, "kernel.log"))
        if isinstance(got, str):
            manager.launch = forkserver.Launch(forked=False, reason=got)
            return await super().launch_kernel(cmd, **kwargs)
        manager.launch = forkserver.Launch(forked=True)
        self.process = got  # type: ignore[assignment]  # duck-types the Popen that LocalProvisioner polls and signals
        self.pid = self.pgid = got.pid  # the child calls setsid(): its own process group
        self.cwd = cwd
        return self.connection_info


class KernelDiedBeforeReady(RuntimeError):
    """The kernel died before it answered ``kernel_info``: nothing of the notebook ran on it."""


class PromptClient(AsyncKernelClient):
    """A kernel client whose ``wait_for_ready`` takes milliseconds where jupyter_client's takes 0.2 s.

    Ready means what it means to jupyter_client: the kernel answered ``kernel_info`` and IOPub
    (a ZMQ subscription, lossy until it reaches the kernel) delivers. jupyter_client then
    flushes IOPub until it has been silent for 0.2 s, which every report paid. This client
    instead reads IOPub up to the ``idle`` status of its own ``kernel_info`` request: the
    subscription is live and the hand-shake's messages are drained, with no silence to wait for.
    One message may still follow: ipykernel 7 greets each new subscriber with an ``iopub_welcome``
    (no parent), sent when its IOPub thread gets to the subscription, which can be after the
    ``idle``; nbclient, like every client, ignores messages that answer none of its requests."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        msg_id = self.kernel_info()
        while True:
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            # The shell channel is reliable: a slow reply is waited for, never asked for twice
            # (a second request would leave its reply behind). Replies to no request of ours are dropped.
            if reply is not None and reply["parent_header"].get("msg_id") == msg_id:
                if await self._iopub_idle(msg_id, deadline):
                    self._handle_kernel_info_reply(reply)
                    return
                msg_id = self.kernel_info()  # IOPub was not subscribed yet: its status went nowhere
            elif not await self._async_is_alive():
                raise KernelDiedBeforeReady("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    async def _iopub_idle(self, msg_id: str, deadline: float) -> bool:
        """Whether IOPub delivers the ``idle`` status of request ``msg_id`` (False: not subscribed yet)."""
        while time.monotonic() < deadline:
            try:
                msg = await self.iopub_channel.get_msg(timeout=0.05)
            except Empty:
                return False
            if (msg["msg_type"] == "status" and msg["parent_header"].get("msg_id") == msg_id
                    and msg["content"].get("execution_state") == "idle"):
                return True
        return False


class IPCKernelManager(AsyncKernelManager):
    """An AsyncKernelManager on IPC transport with a private socket directory; ``launch`` says how
    its kernel started (set by the :class:`ForkProvisioner`; a stock kernel without a fork server
    keeps :data:`~kit.run.forkserver.STANDALONE`)."""

    client_factory = Type(klass=PromptClient)  # (not client_class: AsyncKernelManager's own factory wins)

    def __init__(self, **kwargs: Any) -> None:
        self.socket_dir = lifetime.temp_folder("kernel")
        # removed at cleanup; also when a dead kernel's manager is dropped without one
        weakref.finalize(self, shutil.rmtree, self.socket_dir, True)
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("connection_file", os.path.join(self.socket_dir, "kernel.json"))
        kwargs.setdefault("ip", os.path.join(self.socket_dir, "kernel-ipc"))
        super().__init__(**kwargs)
        self._clients: list[PromptClient] = []
        self.launch = forkserver.STANDALONE

    # jupyter_client types client() as blocking for every manager; an async manager's are async
    def client(self, **kwargs: Any) -> PromptClient:  # type: ignore[override]
        kc = super().client(**kwargs)
        assert isinstance(kc, PromptClient)  # client_factory
        self._clients.append(kc)
        return kc

    def close_clients(self) -> None:
        """Stop the channels (sockets, heartbeat thread, zmq context) of the clients made for this
        kernel. nbclient leaves them running when it was handed a kernel it didn't start."""
        while self._clients:
            kc = self._clients.pop()
            if kc.channels_running:
                kc.stop_channels()

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        if self.provisioner is None and os.environ.get(forkserver.ADDRESS_ENV):
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = ForkProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        # the same hash seed for stock and forked kernels (a fork shares its server's)
        kw["env"] = {**(kw.get("env") or os.environ), "PYTHONHASHSEED": forkserver.HASH_SEED}
        with open(os.path.join(self.socket_dir, "kernel.log"), "ab") as log:  # the child keeps its own copy
            kw.setdefault("stdout", log)
            kw.setdefault("stderr", log)
            await super()._async_launch_kernel(kernel_cmd, **kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    async def release(self) -> None:
        """Shut the kernel down as nbclient does the kernels it starts (gracefully), then close
        the clients and remove the socket directory: for a manager the caller made and handed over."""
        try:
            if await self.is_alive():
                await self.shutdown_kernel(now=False)
        except RuntimeError as exc:
            if "No kernel is running!" not in str(exc):
                raise
        finally:
            await self.cleanup_resources()
            self.close_clients()
