"""`kubevision serve` as a real process: banner, first-run files, bootstrap link, probes, port search,
access log with request ids and redacted secrets, clean stop on SIGTERM."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


class ServerProcess:
    """A running `python -m kubevision …` with its console output collected line by line."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith("KUBEVISION_")}
        base.pop("DISPLAY", None)
        base.pop("WAYLAND_DISPLAY", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kubevision", *args], cwd=REPO_ROOT, env={**base, **(env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(self.process.stdout, self.stdout, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.process.stderr, self.stderr, False), daemon=True).start()

    def _pump(self, stream, sink: list[str], announce: bool) -> None:
        for line in stream:
            sink.append(line)
            if announce:
                self._lines.put(line)
        if announce:
            self._lines.put(None)

    def wait_for_banner(self) -> dict[str, str]:
        """Read stdout until the banner's `Stop:` line; returns its `Label: value` lines."""
        banner: dict[str, str] = {}
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            label, _, value = line.strip().partition(":")
            if value and label in ("Open", "Data dir", "Sign in", "Stop", "First run"):
                banner[label] = value.strip()
            elif line.startswith(" " * 13) and "First run" in banner and "password" not in banner:
                banner["password"] = line.strip()
            if label == "Stop":
                return banner
        raise AssertionError(f"no banner within {START_TIMEOUT_S} s\n{self.output()}")

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"server did not stop on signal {signum}\n{self.output()}") from None

    def output(self) -> str:
        return f"--- stdout\n{''.join(self.stdout)}--- stderr\n{''.join(self.stderr)}"


@contextlib.contextmanager
def running(args: list[str], env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    server = ServerProcess(args, env)
    try:
        yield server
    except BaseException:
        print(server.output())  # shown by pytest on failure
        raise
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


def http(method: str, url: str, body: dict | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        **({"Content-Type": "application/json"} if data else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def port_of(url: str) -> int:
    match = re.match(r"^http://127\.0\.0\.1:(\d+)/$", url)
    assert match, url
    return int(match.group(1))


def test_first_run_serve_and_sigterm(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with running(["serve", "--no-browser", "--port", "0", "--data-dir", str(data_dir)]) as server:
        banner = server.wait_for_banner()
        url = banner["Open"]
        assert port_of(url) > 0
        assert banner["Data dir"] == str(data_dir)

        status, headers, body = http("GET", url + "healthz", headers={"X-Request-ID": "probe-42"})
        assert status == 200 and json.loads(body)["status"] == "ok"
        assert headers["X-Request-ID"] == "probe-42"
        assert http("GET", url + "readyz")[0] == 200

        # The random first-run password: printed once, written to a 0600 file, and it signs in.
        password_file = data_dir / "initial-admin-password"
        password = password_file.read_text().strip()
        assert banner["password"] == password
        assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
        assert stat.S_IMODE((data_dir / "secrets.json").stat().st_mode) == 0o600
        status, _, body = http("POST", url + "api/v1/auth/login", {"username": "admin", "password": password})
        assert json.loads(body)["code"] == 0

        # The bootstrap link signs in once.
        link = banner["Sign in"].split()[0]
        assert link.startswith(url + "?bootstrap=")
        token = link.split("bootstrap=", 1)[1]
        page_status, page_headers, _ = http("GET", link)
        assert page_status == 200 and page_headers["Content-Type"].startswith("text/html")
        first = json.loads(http("POST", url + "api/v1/auth/bootstrap", {"token": token})[2])
        assert first["code"] == 0 and first["data"]["user"]["username"] == "admin"
        second = json.loads(http("POST", url + "api/v1/auth/bootstrap", {"token": token})[2])
        assert second["code"] == 40100

        assert server.stop() == 0
        assert "Traceback" not in server.output()

    log = (data_dir / "kubevision.log").read_text()
    assert re.search(r"\[probe-42\] .*GET /healthz", log), log
    assert token not in log and password not in log
    assert "bootstrap=REDACTED" in log


def test_no_command_means_serve_and_sigint_stops(tmp_path: Path) -> None:
    args = ["--no-browser", "--port", "0", "--data-dir", str(tmp_path / "data")]
    with running(args, env={"KUBEVISION_ADMIN_PASSWORD": "chosen-password-1"}) as server:
        banner = server.wait_for_banner()
        assert "First run" not in banner  # the password was chosen, so it is not printed
        assert not (tmp_path / "data" / "initial-admin-password").exists()
        status, _, body = http("POST", banner["Open"] + "api/v1/auth/login",
                               {"username": "admin", "password": "chosen-password-1"})
        assert status == 200 and json.loads(body)["code"] == 0
        assert server.stop(signal.SIGINT) == 0


def test_second_start_prints_no_password_or_link(tmp_path: Path) -> None:
    args = ["serve", "--no-browser", "--port", "0", "--data-dir", str(tmp_path / "data")]
    with running(args) as server:
        server.wait_for_banner()
        assert server.stop() == 0
    with running(args) as server:
        banner = server.wait_for_banner()
        assert "First run" not in banner and "Sign in" not in banner
        assert server.stop() == 0


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port with a listener on 127.0.0.1."""
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        yield blocker.getsockname()[1]


def test_busy_port_moves_to_the_next_free_one(tmp_path: Path, busy_port: int) -> None:
    args = ["serve", "--no-browser", "--port", str(busy_port), "--data-dir", str(tmp_path / "data")]
    with running(args) as server:
        banner = server.wait_for_banner()
        port = port_of(banner["Open"])
        assert busy_port < port < busy_port + 20
        assert http("GET", banner["Open"] + "healthz")[0] == 200
        assert server.stop() == 0
    assert f"port {busy_port} is busy" in "".join(server.stderr)


def test_busy_port_without_port_search_fails_clearly(tmp_path: Path, busy_port: int) -> None:
    args = ["serve", "--no-browser", "--port", str(busy_port), "--data-dir", str(tmp_path / "data")]
    with running(args, env={"KUBEVISION_PORT_SEARCH": "false"}) as server:
        code = server.process.wait(timeout=START_TIMEOUT_S)
        assert code == 1, server.output()
        assert "kubevision: " in "".join(server.stderr)
        assert "Traceback" not in server.output()


def test_bad_settings_refuse_to_start(tmp_path: Path) -> None:
    args = ["serve", "--no-browser", "--data-dir", str(tmp_path / "data")]
    with running(args, env={"KUBEVISION_PORT": "not-a-port"}) as server:
        assert server.process.wait(timeout=START_TIMEOUT_S) == 2
        assert "'port'" in "".join(server.stderr)
