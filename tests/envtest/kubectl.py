"""``kubectl port-forward`` as a subprocess, for tests and benchmarks that compare against it.

Only flags kubectl 1.20 already has are used (``--kubeconfig``, ``-n``, ``--address``, the ``:PORT`` form that picks a
free local port), so the same code works with Debian's kubectl 1.20 (plain SPDY) and 1.30+ (which first tries
SPDY tunnelled over WebSocket and falls back to plain SPDY when the upgrade is refused).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
from collections.abc import AsyncIterator

KUBECTL = shutil.which("kubectl") or "kubectl"
KUBECTL_START_TIMEOUT_S = 30.0  # until kubectl prints its "Forwarding from" line
KUBECTL_STOP_TIMEOUT_S = 10.0  # after SIGTERM, before SIGKILL
_FORWARDING = re.compile(rb"Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)")


class KubectlPortForward:
    """A running ``kubectl port-forward``: `local_port`, what it printed so far (`stdout`, `stderr`), and whether
    it is still running (`returncode`)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.local_port = 0
        self.stdout = bytearray()
        self.stderr = bytearray()
        self._printed = asyncio.Event()
        self._readers = [asyncio.create_task(self._collect(process.stdout, self.stdout), name="kubectl-stdout"),
                         asyncio.create_task(self._collect(process.stderr, self.stderr), name="kubectl-stderr")]

    async def _collect(self, pipe: asyncio.StreamReader | None, into: bytearray) -> None:
        assert pipe is not None
        while chunk := await pipe.read(4096):
            into += chunk
            self._printed.set()

    @property
    def returncode(self) -> int | None:
        """None while kubectl runs."""
        return self.process.returncode

    @property
    def stderr_text(self) -> str:
        """What kubectl wrote to stderr so far."""
        return self.stderr.decode(errors="replace")

    async def wait_for_output(self, pattern: str | re.Pattern[bytes], *, stream: str = "stderr",
                              timeout_s: float = KUBECTL_START_TIMEOUT_S) -> re.Match[bytes]:
        """The first match of `pattern` in kubectl's stdout or stderr, waiting for it up to `timeout_s`."""
        regex = re.compile(pattern.encode()) if isinstance(pattern, str) else pattern
        buffer = self.stdout if stream == "stdout" else self.stderr
        async with asyncio.timeout(timeout_s):
            while (match := regex.search(buffer)) is None:
                if self.returncode is not None and all(task.done() for task in self._readers):
                    raise RuntimeError(f"kubectl exited ({self.returncode}) without printing {regex.pattern!r}: "
                                       f"{self.stdout.decode(errors='replace')} {self.stderr_text}")
                self._printed.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.5):
                        await self._printed.wait()
            return match

    async def wait_exit(self, timeout_s: float) -> int:
        """kubectl's exit code, waiting up to `timeout_s` for it to exit by itself."""
        async with asyncio.timeout(timeout_s):
            return await self.process.wait()

    async def stop(self) -> None:
        """Terminate kubectl (kill it if it does not exit in `KUBECTL_STOP_TIMEOUT_S`)."""
        if self.returncode is None:
            self.process.terminate()
            try:
                await self.wait_exit(KUBECTL_STOP_TIMEOUT_S)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        await asyncio.gather(*self._readers, return_exceptions=True)


@contextlib.asynccontextmanager
async def kubectl_port_forward(kubeconfig: str, namespace: str, target: str,
                               pod_port: int) -> AsyncIterator[KubectlPortForward]:
    """``kubectl port-forward TARGET :POD_PORT`` on 127.0.0.1 (a free local port), stopped afterwards.
    `target` is ``pod/NAME``, ``deployment/NAME``, ``service/NAME``..."""
    process = await asyncio.create_subprocess_exec(
        KUBECTL, "--kubeconfig", kubeconfig, "-n", namespace, "port-forward", "--address", "127.0.0.1", target,
        f":{pod_port}", stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    forward = KubectlPortForward(process)
    try:
        match = await forward.wait_for_output(_FORWARDING, stream="stdout")
        forward.local_port = int(match.group(1))
        yield forward
    finally:
        await forward.stop()
