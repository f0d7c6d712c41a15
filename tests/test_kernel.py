"""The kernel manager and client every report uses: IPC sockets, and a ready check that
means what jupyter_client's means (kernel answered, IOPub live and drained)."""

from __future__ import annotations

import asyncio
import os
import signal
from queue import Empty

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
            assert not await kc.shell_channel.msg_ready()
            # the hand-shake's messages are consumed; only ipykernel's greeting may come after them
            while await kc.iopub_channel.msg_ready():
                left = await kc.iopub_channel.get_msg(timeout=1)
                assert (left["msg_type"], left["parent_header"]) == ("iopub_welcome", {})
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


class _Channel:
    """A scripted channel: each get_msg returns the next message, or raises Empty for None."""

    def __init__(self, script: list[dict | None]) -> None:
        self.script = script

    async def get_msg(self, timeout: float | None = None) -> dict:
        if not self.script:
            raise Empty
        msg = self.script.pop(0)
        if msg is None:
            raise Empty
        return msg


class _Scripted(PromptClient):
    def __init__(self, shell: list, iopub: list) -> None:
        self.sent: list[str] = []
        self.shell, self.iopub = _Channel(shell), _Channel(iopub)
        self.handled: dict | None = None

    # the channels are properties on jupyter_client's client; the script stands in for them
    shell_channel = property(lambda self: self.shell)  # type: ignore[assignment]
    iopub_channel = property(lambda self: self.iopub)  # type: ignore[assignment]

    def kernel_info(self) -> str:
        self.sent.append(f"ki{len(self.sent) + 1}")
        return self.sent[-1]

    async def _async_is_alive(self) -> bool:
        return True

    def _handle_kernel_info_reply(self, msg: dict) -> None:
        self.handled = msg


def _reply(to: str) -> dict:
    return {"msg_type": "kernel_info_reply", "parent_header": {"msg_id": to}, "content": {}}


def _status(to: str, state: str) -> dict:
    return {"msg_type": "status", "parent_header": {"msg_id": to}, "content": {"execution_state": state}}


def test_a_slow_reply_is_waited_for_not_asked_for_twice():
    kc = _Scripted(shell=[None, None, _reply("ki1")], iopub=[_status("ki1", "busy"), _status("ki1", "idle")])
    asyncio.run(kc.wait_for_ready(timeout=10))
    assert kc.sent == ["ki1"]  # a second request would have left its reply on the shell channel
    assert kc.handled == _reply("ki1")


def test_a_request_whose_status_went_unheard_is_asked_again_and_its_own_idle_awaited():
    # IOPub not subscribed when ki1 ran: its status is lost; ki1's late idle must not count for ki2
    kc = _Scripted(shell=[_reply("ki1"), _reply("ki2")],
                   iopub=[None, _status("ki1", "idle"), _status("ki2", "busy"), _status("ki2", "idle")])
    asyncio.run(kc.wait_for_ready(timeout=10))
    assert kc.sent == ["ki1", "ki2"]
    assert kc.handled == _reply("ki2") and kc.iopub.script == []


def test_replies_to_no_request_of_ours_are_dropped():
    kc = _Scripted(shell=[_reply("someone-else"), _reply("ki1")], iopub=[_status("ki1", "idle")])
    asyncio.run(kc.wait_for_ready(timeout=10))
    assert kc.sent == ["ki1"] and kc.handled == _reply("ki1")
