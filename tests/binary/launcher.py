"""Start the frozen `dist/kubevision` the way a user would, for the smoke test and the benchmark.

Why a separate module: the smoke test (tests/test_binary.py) and `benchmarks/binary.py` must launch
the binary identically — no Python on PATH, no inherited environment, a fresh data dir, a free port —
so their figures and failures describe the same thing. Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / "dist" / ("kubevision.exe" if os.name == "nt" else "kubevision")
# A PATH holding no interpreter: proves the binary does not need a Python installed.
NO_PYTHON_PATH = "/nonexistent-kubevision-path"
HEALTH_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


def build_binary() -> Path:
    """`python3 build.py dist`: builds dist/kubevision, or says it is up to date (seconds)."""
    subprocess.run([sys.executable, str(ROOT / "build.py"), "dist"], cwd=ROOT, check=True)
    if not BINARY.is_file():
        raise RuntimeError(f"build.py dist did not produce {BINARY}")
    return BINARY


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of `env -i`: nothing inherited, no Python reachable through PATH."""
    env = {"PATH": NO_PYTHON_PATH, "HOME": os.environ.get("HOME", "/root")}
    if os.name == "nt":  # Windows cannot start a process without these
        env = {**env, **{k: os.environ[k] for k in ("SYSTEMROOT", "TEMP", "TMP") if k in os.environ}}
    return {**env, **extra}


def run_cli(*args: str, data_dir: Path | None = None, stdin: str | None = None,
            env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """One CLI command of the binary (`create-user`, `list-users`, ...), against `data_dir` if given."""
    command = [str(BINARY), *args, *(["--data-dir", str(data_dir)] if data_dir is not None else [])]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, env=env or clean_env(),
                          timeout=timeout)


class RunningBinary:
    """A started `kubevision` server process; `url` is set once `/healthz` answered."""

    def __init__(self, process: subprocess.Popen[str], port: int, log_path: Path, started: float) -> None:
        self.process = process
        self.started = started
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path

    @property
    def output(self) -> str:
        """Console output so far (banner and log lines)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, pattern: str, timeout: float = HEALTH_TIMEOUT_S) -> re.Match[str]:
        """Wait until the console output matches `pattern` (a regex); returns the match."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.output)
            if match:
                return match
            if self.process.poll() is not None:
                raise RuntimeError(f"kubevision exited with {self.process.returncode}:\n{self.output}")
            time.sleep(0.05)
        raise TimeoutError(f"no {pattern!r} in the output within {timeout}s:\n{self.output}")

    def wait_healthy(self, timeout: float = HEALTH_TIMEOUT_S) -> float:
        """Poll `/healthz` until it answers 200; returns seconds since the process started."""
        deadline = self.started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kubevision exited with {self.process.returncode}:\n{self.output}")
            with contextlib.suppress(OSError), \
                    urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return time.monotonic() - self.started
            time.sleep(0.01)
        raise TimeoutError(f"/healthz did not answer within {timeout}s:\n{self.output}")

    def request(self, method: str, path: str, body: Any = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request; returns (status, headers, body) without raising on 4xx/5xx."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                         headers={**({"Content-Type": "application/json"} if data else {}),
                                                  **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """A `/api/v1` call that must succeed (envelope code 0); returns `data`."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        status, _headers, raw = self.request(method, f"/api/v1{path}", body, headers)
        envelope = json.loads(raw)
        if status != 200 or envelope.get("code") != 0:
            raise AssertionError(f"{method} {path}: HTTP {status} {envelope}")
        return envelope["data"]

    def app_pids(self) -> list[int]:
        """The bootloader process and its children (one-file binaries unpack, then run a child)."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(pid) for pid in children.read_text().split()]
        return pids

    def stop(self, signum: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT_S) -> int:
        """Send `signum` and wait for the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # the bootloader and the app
            self.process.wait()
            raise


@contextlib.contextmanager
def launch(data_dir: Path, *, log_path: Path, port: int | None = None, kubeconfig: Path | None = None,
           admin_password: str | None = None, extra_args: Sequence[str] = (),
           extra_env: dict[str, str] | None = None, binary: Path = BINARY,
           no_browser: bool = True) -> Iterator[RunningBinary]:
    """Plain start of the binary (`kubevision --no-browser ...`, no `serve`) as a user would.

    `kubeconfig` is passed as `--kubeconfig` when given (for tests against a real control plane).
    The process runs in its own session. If it is still running when the block ends (a failed test) it
    gets SIGTERM, then its whole group SIGKILL: SIGKILL on the bootloader alone would orphan the unpacked
    child and leave its temporary directory behind. `stop()` checks the exit code.
    """
    port = port or free_port()
    args = [str(binary), *(["--no-browser"] if no_browser else []), "--port", str(port),
            "--data-dir", str(data_dir), *extra_args]
    if kubeconfig is not None:
        args += ["--kubeconfig", str(kubeconfig)]
    env = clean_env(**(extra_env or {}))
    if admin_password is not None:
        env["KUBEVISION_ADMIN_PASSWORD"] = admin_password
    with open(log_path, "w", encoding="utf-8") as log:
        started = time.monotonic()
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=env, text=True, start_new_session=True)
    try:
        yield RunningBinary(process, port, log_path, started)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def rss_bytes(pid: int) -> int:
    """Resident set size of one process (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process used so far (Linux /proc): start cost independent of load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
