"""Smoke test of the one-file executable `dist/kubevision`, run as a user would run it.

Why: the frozen binary fails in ways the source tree never shows — a module PyInstaller did not see,
a file not bundled, signals lost between the bootloader and the app. So this starts the real binary
with an empty environment and no Python on PATH and walks the first-run path end to end. It builds
the binary itself (`python3 build.py dist`, reused when its inputs did not change): never skipped.

Tests against a real control plane can override the `kubeconfig` fixture; it reaches the binary as
`--kubeconfig`.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.binary.launcher import NO_PYTHON_PATH, RunningBinary, build_binary, clean_env, launch, run_cli

pytestmark = pytest.mark.binary

ADMIN_PASSWORD = "binary-admin-password-1"
ALICE_PASSWORD = "binary-alice-password-1"


@pytest.fixture(scope="module")
def binary() -> Path:
    """The executable, built (or found up to date) by `build.py dist`."""
    return build_binary()


@pytest.fixture
def kubeconfig() -> Path | None:
    """No clusters by default; override with a real control plane's kubeconfig."""
    return None


@pytest.fixture
def scratch_tmp(tmp_path: Path) -> Path:
    """TMPDIR for the binary: where it unpacks itself, checked for leftovers after it stopped."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    return directory


@pytest.fixture
def server(binary: Path, tmp_path: Path, kubeconfig: Path | None,
           scratch_tmp: Path) -> Iterator[RunningBinary]:
    """The binary serving a fresh data dir with a known admin password, healthy."""
    with launch(tmp_path / "data", log_path=tmp_path / "console.log", kubeconfig=kubeconfig,
                admin_password=ADMIN_PASSWORD, extra_env={"TMPDIR": str(scratch_tmp)}) as running:
        running.wait_healthy()
        yield running


def test_no_python_in_the_environment() -> None:
    """The binary runs under `env -i` with a PATH holding no interpreter to fall back on."""
    env = clean_env()
    assert not any(name.startswith(("PYTHON", "VIRTUAL_ENV")) for name in env)
    assert shutil.which("python3", path=env["PATH"]) is None
    assert shutil.which("python", path=NO_PYTHON_PATH) is None


def test_version_and_help(binary: Path, tmp_path: Path) -> None:
    """`--version`, `version`, `--help` and a usage error work without Python."""
    for args in (["--version"], ["version"]):
        result = run_cli(*args)
        assert result.returncode == 0, result.stderr
        assert re.fullmatch(r"kubevision \d+\.\d+\.\d+\S*\n", result.stdout), result.stdout
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    for command in ("serve", "create-user", "reset-password", "list-users", "set-role"):
        assert command in result.stdout
    result = run_cli("--port", "99999", data_dir=tmp_path)
    assert result.returncode == 2
    assert "out of range" in result.stderr


def test_serves_signs_in_and_stops(server: RunningBinary, tmp_path: Path, scratch_tmp: Path) -> None:
    """Healthy, sign in, the shell page and its stylesheet, CLI on the same data dir, clean SIGTERM."""
    data_dir = tmp_path / "data"
    assert f"Open:      {server.url}/" in server.output
    assert "First run" not in server.output  # the password came from KUBEVISION_ADMIN_PASSWORD

    token = server.api("POST", "/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})["accessToken"]
    me = server.api("GET", "/users/me", token=token)
    assert (me["username"], me["role"]) == ("admin", "admin")

    status, headers, body = server.request("GET", "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    stylesheet = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]+)"', body.decode())
    assert stylesheet, body[:500]
    status, headers, css = server.request("GET", stylesheet.group(1))
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert "immutable" in headers["Cache-Control"]
    assert css == (Path(__file__).parents[1] / "static" / "css" / "app.css").read_bytes()

    created = run_cli("create-user", "alice", "--role", "dev", "--password-stdin",
                      data_dir=data_dir, stdin=ALICE_PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    assert "created user alice" in created.stdout
    listed = run_cli("list-users", data_dir=data_dir)
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"\badmin\s+admin\b", listed.stdout), listed.stdout
    assert re.search(r"\balice\s+dev\b", listed.stdout), listed.stdout
    alice = server.api("POST", "/auth/login", {"username": "alice", "password": ALICE_PASSWORD})
    assert server.api("GET", "/users/me", token=alice["accessToken"])["username"] == "alice"

    assert server.stop(signal.SIGTERM) == 0
    assert "stopping" in server.output
    assert "serving on" in (data_dir / "kubevision.log").read_text()
    assert list(scratch_tmp.iterdir()) == []  # the bootloader removed what it unpacked


def test_first_run_opens_bootstrap_link_then_plain_url(binary: Path, tmp_path: Path) -> None:
    """Busy port → next one; first run prints a password once and opens the one-time link; the second
    start opens the plain URL. SIGINT (Ctrl+C) and SIGHUP stop with exit code 0."""
    opened = tmp_path / "opened"
    fake_browser = tmp_path / "browser.sh"
    # Records the URL and the library path the browser would inherit (must not be the bundle's).
    fake_browser.write_text(f'#!/bin/sh\necho "$1 ${{LD_LIBRARY_PATH:-unset}}" >> {opened}\n')
    fake_browser.chmod(0o755)
    browser_env = {"DISPLAY": ":0", "BROWSER": str(fake_browser)}
    data_dir = tmp_path / "data"

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        busy_port = busy.getsockname()[1]
        with launch(data_dir, log_path=tmp_path / "first.log", port=busy_port, no_browser=False,
                    extra_env=browser_env) as first:
            url = first.wait_for(r"Open:\s+(http://127\.0\.0\.1:(\d+)/)")
            assert int(url.group(2)) > busy_port
            first.url = url.group(1).rstrip("/")
            first.wait_healthy()
            password = first.wait_for(r"password \(shown once\):\s+(\S+)").group(1)
            bootstrap = first.wait_for(r"Sign in:\s+(\S+\?bootstrap=\S+)").group(1)
            first.wait_for("serving on")
            assert first.stop(signal.SIGINT) == 0

    password_file = data_dir / "initial-admin-password"
    assert password_file.read_text().strip() == password
    if os.name == "posix":
        assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert opened.read_text().splitlines() == [f"{bootstrap} unset"]

    with launch(data_dir, log_path=tmp_path / "second.log", no_browser=False,
                extra_env=browser_env) as second:
        second.wait_healthy()
        second.wait_for("serving on")
        assert "First run" not in second.output
        assert "?bootstrap=" not in second.output
        assert second.stop(signal.SIGHUP) == 0
    assert opened.read_text().splitlines()[1] == f"{second.url}/ unset"



def test_lists_clusters_and_pods_of_a_real_cluster(binary: Path, tmp_path: Path, scratch_tmp: Path,
                                                   control_plane, admin_kubeconfig: str, namespace: str) -> None:
    """The frozen binary loads kubeconfig credentials (kubernetes-asyncio inside it) and reads pods."""
    from tests.envtest.controlplane import api_request

    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "frozen-pod"},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    status, _ = api_request(control_plane.server_url, control_plane.admin_token, "POST",
                            f"/api/v1/namespaces/{namespace}/pods", pod)
    assert status == 201
    with launch(tmp_path / "data", log_path=tmp_path / "console.log", kubeconfig=Path(admin_kubeconfig),
                admin_password=ADMIN_PASSWORD, extra_env={"TMPDIR": str(scratch_tmp)}) as running:
        running.wait_healthy()
        token = running.api("POST", "/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})["accessToken"]
        clusters = running.api("GET", "/clusters", token=token)
        assert [c["name"] for c in clusters] == ["envtest-admin"]
        pods = running.api("GET", f"/clusters/{clusters[0]['id']}/resources/pods?namespace={namespace}",
                           token=token)
        assert [p["metadata"]["name"] for p in pods] == ["frozen-pod"]
        assert running.stop(signal.SIGTERM) == 0
