"""The kernel each report runs in: a fresh ipykernel of the project's environment.

It talks over IPC (Unix sockets) in a socket directory of its own, so parallel
starts never race for TCP ports and nothing listens on the network.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from jupyter_client.manager import AsyncKernelManager


class IPCKernelManager(AsyncKernelManager):
    """An AsyncKernelManager on IPC transport with a private socket directory."""

    def __init__(self, **kwargs: Any) -> None:
        self.socket_dir = tempfile.mkdtemp(prefix="kit-kernel-")
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("connection_file", os.path.join(self.socket_dir, "kernel.json"))
        kwargs.setdefault("ip", os.path.join(self.socket_dir, "kernel-ipc"))
        super().__init__(**kwargs)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self.socket_dir, ignore_errors=True)
