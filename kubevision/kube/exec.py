"""`PodExec`: one interactive exec into a container over the API server's channel.k8s.io WebSocket.

Protocol `v4.channel.k8s.io`: every binary message starts with a channel byte — 0 stdin, 1 stdout,
2 stderr, 3 the final `Status` (JSON), 4 resize (`{"Width", "Height"}`). With a TTY stdout and stderr
are merged, so `stderr=false` is asked for (as kubectl does).

Shell fallback: without an explicit command we try `bash`, then `sh`. A missing binary is not an HTTP
error: the exec starts, the runtime prints "executable file not found" and the status channel reports a
Failure (exit code 126/127, or only a message, depending on the runtime). So a fallback attempt is
*probed*: its output is held back (and keystrokes are queued) until the first output that is not such
an error message, a status, or `PROBE_TIMEOUT_S` — then it is either adopted (held output released) or
closed silently and the next shell is tried. The browser never sees the failed attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator

import aiohttp
import orjson

from kubevision.kube.clusters import Cluster
from kubevision.kube.errors import KubeError, UnavailableError
from kubevision.kube.registry import path_segment

log = logging.getLogger(__name__)

EXEC_PROTOCOL = "v4.channel.k8s.io"
CH_STDIN, CH_STDOUT, CH_STDERR, CH_STATUS, CH_RESIZE = 0, 1, 2, 3, 4
SHELL_FALLBACKS: tuple[tuple[str, ...], ...] = (("bash",), ("sh",))
# A probed shell is adopted after this long without a verdict (a shell that prints no prompt).
PROBE_TIMEOUT_S = 1.5
# Exit codes of "command cannot execute" / "command not found" (POSIX shells and OCI runtimes).
MISSING_EXIT_CODES = frozenset({126, 127})
_MISSING_MARKERS = (b"executable file not found", b"no such file or directory", b"not found in $path")


@dataclasses.dataclass(frozen=True)
class ExecStatus:
    """How the remote command ended (from channel 3)."""

    status: str  # Success | Failure
    exit_code: int | None
    message: str
    reason: str = ""

    @classmethod
    def parse(cls, payload: bytes) -> ExecStatus:
        """Decode a `metav1.Status` from the status channel."""
        try:
            body = orjson.loads(payload)
        except orjson.JSONDecodeError:
            body = {}
        body = body if isinstance(body, dict) else {}
        status = "Success" if body.get("status") == "Success" else "Failure"
        exit_code: int | None = 0 if status == "Success" else None
        for cause in (body.get("details") or {}).get("causes") or []:
            if cause.get("reason") == "ExitCode":
                with contextlib.suppress(TypeError, ValueError):
                    exit_code = int(cause.get("message"))
        return cls(status, exit_code, str(body.get("message") or ""), str(body.get("reason") or ""))

    @property
    def missing_executable(self) -> bool:
        """True when the command could not be started at all (binary missing)."""
        if self.status == "Success":
            return False
        if self.exit_code in MISSING_EXIT_CODES:
            return True
        return any(marker.decode() in self.message.lower() for marker in _MISSING_MARKERS)


def exec_params(container: str, command: list[str], *, tty: bool = True) -> list[tuple[str, str]]:
    """Query of `pods/exec`: one `command` per argv item."""
    params = [("container", container), ("stdin", "true"), ("stdout", "true"),
              ("stderr", "false" if tty else "true"), ("tty", "true" if tty else "false")]
    return params + [("command", part) for part in command]


class PodExec:
    """A connected exec: write keystrokes and resizes, read output until the status arrives."""

    def __init__(self, cluster: Cluster, namespace: str, pod: str, container: str) -> None:
        self.cluster = cluster
        self.namespace = namespace
        self.pod = pod
        self.container = container
        self.command: list[str] = []
        self.status: ExecStatus | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._held: list[bytes] = []

    @property
    def path(self) -> str:
        """The `pods/exec` URL."""
        namespace, pod = path_segment(self.namespace, "namespace"), path_segment(self.pod, "pod")
        return f"/api/v1/namespaces/{namespace}/pods/{pod}/exec"

    async def _open(self, command: list[str]) -> aiohttp.ClientWebSocketResponse:
        self.cluster.touch()
        return await self.cluster.connection.ws_connect(self.path, params=exec_params(self.container, command),
                                                        protocols=(EXEC_PROTOCOL,))

    async def connect(self, command: list[str] | None) -> None:
        """Start `command`, or the first shell of `SHELL_FALLBACKS` that exists."""
        if command:
            self.command, self._ws = list(command), await self._open(list(command))
            return
        for index, shell in enumerate(SHELL_FALLBACKS):
            ws = await self._open(list(shell))
            last = index == len(SHELL_FALLBACKS) - 1
            if last or await self._probe(ws):
                self.command, self._ws = list(shell), ws
                return
            log.info("exec %s/%s/%s: %s is missing, trying %s", self.namespace, self.pod, self.container,
                     shell[0], SHELL_FALLBACKS[index + 1][0])
            self._held.clear()
            self.status = None
            await ws.close()

    async def _probe(self, ws: aiohttp.ClientWebSocketResponse) -> bool:
        """True to adopt this attempt (output held in `_held`), False when its binary is missing."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PROBE_TIMEOUT_S
        suspicious = False
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return True
            try:
                message = await ws.receive(timeout=remaining)
            except TimeoutError:
                return True
            if message.type != aiohttp.WSMsgType.BINARY:
                return True  # closed: let `output()` report it
            channel, payload = message.data[:1], message.data[1:]
            if channel == bytes([CH_STATUS]):
                self.status = ExecStatus.parse(payload)
                return not self.status.missing_executable
            if not payload:
                continue  # the kubelet's "connected" frame
            self._held.append(payload)
            if any(marker in payload.lower() for marker in _MISSING_MARKERS):
                suspicious = True  # wait for the status that confirms it
            elif not suspicious:
                return True

    async def output(self) -> AsyncIterator[bytes]:
        """Terminal output until the command ends (then `status` is set) or the connection drops."""
        for payload in self._held:
            yield payload
        self._held.clear()
        if self.status is not None:
            return
        ws = self._require()
        async for message in ws:
            if message.type == aiohttp.WSMsgType.BINARY and message.data:
                channel, payload = message.data[0], message.data[1:]
                if channel == CH_STATUS:
                    self.status = ExecStatus.parse(payload)
                    return
                if channel in (CH_STDOUT, CH_STDERR) and payload:
                    yield payload
            elif message.type == aiohttp.WSMsgType.ERROR:
                raise UnavailableError(f"exec stream broke: {ws.exception()}", cluster=self.cluster.name)

    async def write(self, data: bytes) -> None:
        """Keystrokes to stdin."""
        await self._send(CH_STDIN, data)

    async def resize(self, cols: int, rows: int) -> None:
        """Tell the TTY its new size."""
        await self._send(CH_RESIZE, orjson.dumps({"Width": cols, "Height": rows}))

    async def ping(self) -> None:
        """A WebSocket ping on the Kubernetes side, so idle terminals survive proxies' idle timeouts."""
        ws = self._require()
        if not ws.closed:
            with contextlib.suppress(ConnectionError, aiohttp.ClientError):
                await ws.ping()

    async def _send(self, channel: int, data: bytes) -> None:
        ws = self._require()
        if ws.closed:
            return
        with contextlib.suppress(ConnectionError, aiohttp.ClientError):
            await ws.send_bytes(bytes([channel]) + data)

    def _require(self) -> aiohttp.ClientWebSocketResponse:
        if self._ws is None:
            raise KubeError("exec is not connected")
        return self._ws

    async def aclose(self) -> None:
        """Close the Kubernetes side (ends the remote shell's session)."""
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(Exception):
                await self._ws.close()


__all__ = ["EXEC_PROTOCOL", "ExecStatus", "PodExec", "exec_params"]
