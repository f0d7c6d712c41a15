"""The kernel manager and client every report uses: IPC sockets, and a ready check that
means what jupyter_client's means (kernel answered, IOPub live and drained)."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from kit.run.kernel import IPCKernelManager, KernelDiedBeforeReady, PromptClient

pytestmark = pytest.mark.slow


async def _started() -> tuple[IPCKernelManager, PromptClient]:
    km = IPCKernelManager(kernel_name="python3")
    await km.start_kernel()
    kc = km.client()
    kc.start_channels()
    return km, kc


async def _stop(km: IPCKernelManager, kc: PromptClient) -> None:
    kc.stop_channels()
    await km.shutdown_kernel(now=True)


def test_ready_means_answered_and_iopub_live_and_drained():
    async def scenario():
        km, kc = await _started()
        try:
            assert isinstance(kc, PromptClient)
            assert km.transport == "ipc" and km.connection_file.startswith(km.socket_dir)
            await kc.wait_for_ready(timeout=60)
            assert not await kc.iopub_channel.msg_ready()  # the hand-shake's messages are consumed
            assert not await kc.shell_channel.msg_ready()
            streams: list[str] = []
            reply = await kc.execute_interactive(
                "print(6 * 7)", timeout=30,
                output_hook=lambda m: streams.append(m["content"]["text"]) if m["msg_type"] == "stream" else None)
            assert reply["content"]["status"] == "ok"
            assert streams == ["42\n"]  # IOPub delivered the very first output
        finally:
            await _stop(km, kc)

    asyncio.run(scenario())


def test_ready_check_reports_a_dead_kernel():
    async def scenario():
        km, kc = await _started()
        try:
            os.kill(km.provisioner.pid, signal.SIGKILL)
            await km.provisioner.wait()
            with pytest.raises(KernelDiedBeforeReady, match="Kernel died before replying to kernel_info"):
                await kc.wait_for_ready(timeout=10)
        finally:
            await _stop(km, kc)

    asyncio.run(scenario())
