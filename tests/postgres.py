"""A private PostgreSQL server for the tests (fixture `postgres`), registered in `tests/conftest.py`.

Started once per session on 127.0.0.1 and a free port, from a fresh directory that holds its data, its
socket and its log; trust auth, fsync off. Each test asks it for a new empty database. As root the server
runs as the `postgres` system user (initdb and postgres refuse root). Missing binaries fail the tests
(never skip), so a machine without PostgreSQL cannot pass CI silently.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "postgres"]

# The superuser initdb creates, and (as root) the system user the Debian package adds to run the server.
SUPERUSER = "postgres"
START_TIMEOUT_S = 60


def find_bindir() -> Path | None:
    """Where initdb and pg_ctl are: Debian's newest /usr/lib/postgresql/N/bin, else the PATH."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    found = str(debian[-1]) if debian else shutil.which("pg_ctl")
    bindir = Path(found).parent if found else None
    return bindir if bindir and (bindir / "initdb").exists() else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One PostgreSQL server in a temporary directory; `create_database()` hands out fresh databases."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="kubevision-pg-"))
        self.data_dir = self.root / "data"
        self.log_file = self.root / "server.log"
        self._names = itertools.count(1)
        self._as_user = SUPERUSER if os.geteuid() == 0 else None

    def _run(self, tool: str, *args: str) -> None:
        """Run one PostgreSQL program (as the server's user); a failure raises with its output and log."""
        result = subprocess.run(
            [str(self.bindir / tool), *args], cwd=self.root, capture_output=True, text=True,
            user=self._as_user, group=self._as_user, extra_groups=[] if self._as_user else None,
        )
        if result.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(f"{tool} failed ({result.returncode}):\n{result.stdout}{result.stderr}{log}")

    def start(self) -> None:
        """initdb, then start the server and wait until it accepts connections."""
        if self._as_user:
            shutil.chown(self.root, self._as_user, self._as_user)  # LookupError without that system user
        self._run("initdb", "--pgdata", str(self.data_dir), "--username", SUPERUSER, "--auth", "trust",
                  "--no-locale", "--encoding", "UTF8", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.root}"
                   " -c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "start", "--pgdata", str(self.data_dir), "--log", str(self.log_file),
                  "--options", options, "--wait", "--timeout", str(START_TIMEOUT_S))

    def create_database(self) -> str:
        """A new empty database; returns its `postgresql://` URL."""
        name = f"kubevision_{next(self._names)}"
        self._run("createdb", "--host", "127.0.0.1", "--port", str(self.port), "--username", SUPERUSER, name)
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        """Stop the server (if it runs) and remove its directory."""
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "--pgdata", str(self.data_dir), "--mode", "fast", "--wait")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server (started on first use, stopped and removed at the end)."""
    bindir = find_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or on "
                    "PATH: run `python3 build.py test`, which installs the Debian package `postgresql`",
                    pytrace=False)
    server = PostgresServer(bindir)
    error = None
    try:
        server.start()
    except (RuntimeError, LookupError) as exc:
        error = f"PostgreSQL failed to start: {exc}"
    if error:  # fail outside the except block so the message is not printed twice (chained)
        server.stop()
        pytest.fail(error, pytrace=False)
    try:
        yield server
    finally:
        server.stop()
