"""The kernel each report runs in: a fresh ipykernel of the project's environment.

It talks over IPC (Unix sockets) in a socket directory of its own, so parallel
starts never race for TCP ports and nothing listens on the network. The kernel
process's own stdout/stderr (not the cells' output, which goes to the notebook)
is written to ``kernel.log`` there rather than to the batch's terminal: jupyter_client
interrupts a kernel before shutting it down, and ipykernel logs that on stderr.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
import weakref
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import DottedObjectName

from kit import forkserver


class ForkProvisioner(LocalProvisioner):
    """A jupyter_client provisioner that asks the batch's fork server for the kernel process,
    and launches a stock one where the server can't serve (recording why)."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        got = forkserver.launch(cmd, env, cwd, os.path.join(self.parent.socket_dir, "kernel.log"))
        if isinstance(got, str):
            forkserver.LAST_LAUNCH.update(forked=False, reason=got)
            return await super().launch_kernel(cmd, **kwargs)
        forkserver.LAST_LAUNCH.update(forked=True, reason=None)
        self.process = got
        self.pid = self.pgid = got.pid  # the child calls setsid(): its own process group
        self.cwd = cwd
        return self.connection_info


class PromptClient(AsyncKernelClient):
    """A kernel client that learns its IOPub subscription is live in milliseconds, not 0.2 s.

    IOPub is a ZMQ subscription: until it reaches the kernel, what the kernel publishes is
    lost. jupyter_client's ``wait_for_ready`` asks for ``kernel_info`` and, when the status
    message that goes with the reply doesn't arrive within 0.2 s, asks again. A kernel that
    is already up (one started ahead) answers before a fresh subscription reaches it, so every
    report paid that 0.2 s. This client first asks at 10 ms intervals until an IOPub message
    arrives, then lets jupyter_client's own check run (it now passes at once)."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout if timeout is not None else 60)
        while time.monotonic() < deadline:
            self.kernel_info()
            try:
                await self.shell_channel.get_msg(timeout=1)
                await self.iopub_channel.get_msg(timeout=0.01)
                break
            except Empty:
                if not await self._async_is_alive():
                    break  # jupyter_client's check says the kernel died
        await super().wait_for_ready(timeout=max(deadline - time.monotonic(), 1))


class IPCKernelManager(AsyncKernelManager):
    """An AsyncKernelManager on IPC transport with a private socket directory."""

    client_class = DottedObjectName("kit.kernel.PromptClient")

    def __init__(self, **kwargs: Any) -> None:
        self.socket_dir = tempfile.mkdtemp(prefix="kit-kernel-")
        # removed at cleanup; also when a dead kernel's manager is dropped without one
        weakref.finalize(self, shutil.rmtree, self.socket_dir, True)
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("connection_file", os.path.join(self.socket_dir, "kernel.json"))
        kwargs.setdefault("ip", os.path.join(self.socket_dir, "kernel-ipc"))
        super().__init__(**kwargs)

    async def _async_pre_start_kernel(self, **kw: Any):
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
