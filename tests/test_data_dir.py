"""The data dir as real `kubevision serve` processes leave it: private modes (also tightened on files an older
start left readable), and one server per SQLite data dir while the CLI keeps working beside it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.test_serve import REPO_ROOT, START_TIMEOUT_S, running

ENV = {"KUBEVISION_ADMIN_PASSWORD": "data-dir-password-1", "KUBECONFIG": "/nonexistent/kubeconfig"}
PRIVATE_FILES = ("kubevision.db", "kubevision.db-wal", "kubevision.db-shm", "kubevision.log", "kubevision.lock",
                 "secrets.json")


def serve_args(data_dir: Path) -> list[str]:
    return ["serve", "--no-browser", "--port", "0", "--data-dir", str(data_dir)]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_log_and_data_dir_are_private_and_loose_modes_are_tightened(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with running(serve_args(data_dir), ENV) as server:
        server.wait_for_banner()
        assert mode_of(data_dir) == 0o700
        assert {name: mode_of(data_dir / name) for name in PRIVATE_FILES} == dict.fromkeys(PRIVATE_FILES, 0o600)
        assert server.stop() == 0

    os.chmod(data_dir, 0o755)
    for name in ("kubevision.db", "kubevision.log"):
        os.chmod(data_dir / name, 0o644)
    (data_dir / "kubevision.log.1").write_text("an older rotated log\n")
    os.chmod(data_dir / "kubevision.log.1", 0o644)
    with running(serve_args(data_dir), ENV) as server:
        server.wait_for_banner()
        assert mode_of(data_dir) == 0o700
        assert {name: mode_of(data_dir / name) for name in (*PRIVATE_FILES, "kubevision.log.1")} == dict.fromkeys(
            (*PRIVATE_FILES, "kubevision.log.1"), 0o600)
        assert server.stop() == 0


def test_a_second_server_on_one_sqlite_data_dir_exits_and_the_cli_still_works(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with running(serve_args(data_dir), ENV) as first:
        first.wait_for_banner()
        with running(serve_args(data_dir), ENV) as second:
            assert second.process.wait(timeout=START_TIMEOUT_S) == 1
            message = "".join(second.stderr)
            assert message.startswith(f"kubevision: another kubevision serve (pid {first.process.pid}) is using "
                                      f"the data dir {data_dir}")
            assert "Traceback" not in message and "Open:" not in "".join(second.stdout)

        reset = subprocess.run(
            [sys.executable, "-m", "kubevision", "reset-password", "admin", "--password-stdin", "--data-dir",
             str(data_dir)], input="changed-password-1\n", capture_output=True, text=True, cwd=REPO_ROOT,
            timeout=START_TIMEOUT_S, check=False)
        assert reset.returncode == 0, reset.stderr
        assert first.process.poll() is None  # the first server runs on
        assert first.stop() == 0

    with running(serve_args(data_dir), ENV) as third:  # the lock went with the first server
        third.wait_for_banner()
        assert third.stop() == 0
