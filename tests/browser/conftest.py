"""Browser tests: the real server as a subprocess on a free port, driven by headless Chromium.

The server runs exactly as a user starts it (`python -m kubevision serve`), so these tests see the
real middleware, CSP and static files. Playwright's sync API is used from plain `def` tests (no
event loop runs in the test thread). Every page fails its test on a console error or an uncaught
exception, unless the test declares the message as expected.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ADMIN_PASSWORD = "browser-admin-pass-1"
# Start-up includes opening SQLite and hashing the first admin's password (bcrypt).
READY_TIMEOUT_S = 60
BOOTSTRAP_LINK_RE = re.compile(r"Sign in:\s+(\S+\?bootstrap=\S+)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningServer:
    """A `kubevision serve` subprocess and its captured console output."""

    url: str
    data_dir: Path
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    def text(self) -> str:
        """Everything the server printed so far."""
        return "".join(self.output)

    def wait_for_output(self, pattern: re.Pattern[str], timeout_s: float = 10) -> re.Match[str]:
        """The first match of `pattern` in the output, waiting for it to be printed."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            match = pattern.search(self.text())
            if match:
                return match
            time.sleep(0.05)
        raise AssertionError(f"{pattern.pattern!r} not printed; output:\n{self.text()}")

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> dict[str, Any]:
        """Call `/api/v1` directly (test set-up); returns the envelope."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(f"{self.url}/api/v1{path}", data=data, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def ok(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """An API call that must succeed; returns `data`."""
        envelope = self.api(method, path, body, token)
        assert envelope["code"] == 0, envelope
        return envelope["data"]


def start_server(tmp_path: Path, *, admin_password: str | None, kubeconfig: str | None = None,
                 settings_env: dict[str, str] | None = None) -> RunningServer:
    """Run the server like a user would (plus `KUBEVISION_*` settings from `settings_env`); wait for /readyz."""
    port = _free_port()
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBEVISION_")}
    env["PYTHONUNBUFFERED"] = "1"
    if admin_password is not None:
        env["KUBEVISION_ADMIN_PASSWORD"] = admin_password
    # Without a kubeconfig the server must not pick up the developer's ~/.kube/config.
    env["KUBECONFIG"] = kubeconfig or str(tmp_path / "no-kubeconfig")
    env.update(settings_env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "kubevision", "serve", "--no-browser", "--port", str(port),
         "--data-dir", str(data_dir)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    server = RunningServer(url=f"http://127.0.0.1:{port}", data_dir=data_dir, process=process)
    threading.Thread(target=_collect_output, args=(server,), daemon=True).start()
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{server.url}/readyz", timeout=1) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.1)
    stop_server(server)
    pytest.fail(f"server did not become ready; output:\n{server.text()}")


def _collect_output(server: RunningServer) -> None:
    for line in server.process.stdout:
        server.output.append(line)


def stop_server(server: RunningServer) -> None:
    """SIGTERM, then SIGKILL if it does not stop."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture(autouse=True)
def no_leaked_tasks() -> None:
    """Replaces the suite-wide async leak check: sync Playwright keeps its own event loop running in
    this thread, so no pytest-asyncio fixture may run here (and these tests start no tasks)."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Remember whether the test body failed, so fixtures can print the server's output."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_FAILED] = report.failed


_FAILED = pytest.StashKey[bool]()


def _server_fixture(request: pytest.FixtureRequest, tmp_path: Path, admin_password: str | None,
                    kubeconfig: str | None = None):
    server = start_server(tmp_path, admin_password=admin_password, kubeconfig=kubeconfig)
    yield server
    stop_server(server)
    if request.node.stash.get(_FAILED, False):
        print(f"\n----- server output -----\n{server.text()}", file=sys.stderr)


@pytest.fixture
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningServer]:
    """A fresh server whose first admin is `admin` / ADMIN_PASSWORD."""
    yield from _server_fixture(request, tmp_path, ADMIN_PASSWORD)


@pytest.fixture
def first_run_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningServer]:
    """A fresh server started without KUBEVISION_ADMIN_PASSWORD (generated password, bootstrap link)."""
    yield from _server_fixture(request, tmp_path, None)


@pytest.fixture
def cluster_server(request: pytest.FixtureRequest, tmp_path: Path, admin_kubeconfig: str) -> Iterator[RunningServer]:
    """A fresh server that sees the real test control plane as cluster `envtest-admin`."""
    yield from _server_fixture(request, tmp_path, ADMIN_PASSWORD, admin_kubeconfig)


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for the browser tests (closed after them: sync Playwright keeps an event loop
    running in the main thread while it is open, which the async tests elsewhere cannot share)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `python3 build.py test`, which installs it", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class ConsoleWatch:
    """Console errors and page exceptions seen by a page; some may be declared expected."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.expected: list[re.Pattern[str]] = []

    def expect(self, pattern: str) -> None:
        """Allow console errors matching `pattern` (e.g. a WebSocket route the server lacks)."""
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        """Errors not declared expected."""
        return [e for e in self.errors if not any(p.search(e) for p in self.expected)]


@pytest.fixture
def console() -> ConsoleWatch:
    """The console watch of this test's page."""
    return ConsoleWatch()


@pytest.fixture
def context(browser):
    """A fresh browser profile (cookies, localStorage) per test."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(20_000)
    yield context
    context.close()


@pytest.fixture
def page(context, console: ConsoleWatch):
    """A page that fails the test on console errors and uncaught exceptions."""
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and console.errors.append(
        f"console: {msg.text} ({msg.location.get('url', '')})"))
    page.on("pageerror", lambda exc: console.errors.append(f"pageerror: {exc}"))
    yield page
    unexpected = console.unexpected()
    if unexpected:
        pytest.fail("browser console errors:\n" + "\n".join(unexpected))


def screenshot(page, name: str) -> Path:
    """Save a screenshot to test-output/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def sign_in(page, server: RunningServer, username: str = "admin", password: str = ADMIN_PASSWORD) -> None:
    """Sign in through the login form and wait for the app shell."""
    page.goto(f"{server.url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.locator(".topbar").wait_for()
