"""The command line, run as a real process: user administration against a data dir, exit codes, errors."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import bcrypt
import pyotp
import pytest

from kubevision import __version__
from kubevision.app import create_app
from tests.helpers import ADMIN_PASSWORD, ApiSession

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m kubevision ARGS` with no KUBEVISION_* settings from the outer environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBEVISION_")}
    return subprocess.run([sys.executable, "-m", "kubevision", *args], input=stdin, capture_output=True,
                          text=True, cwd=REPO_ROOT, env=env, timeout=60, check=False)


async def run_cli_async(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(run_cli, *args, stdin=stdin)


@pytest.fixture
def data_dir(tmp_path: Path) -> str:
    return str(tmp_path / "data")


@pytest.mark.parametrize("argv", [["version"], ["--version"]])
def test_version(argv: list[str]) -> None:
    result = run_cli(*argv)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"kubevision {__version__}"


def test_user_administration_round_trip(data_dir: str) -> None:
    created = run_cli("create-user", "alice", "--role", "dev", "--email", "alice@example.com",
                      "--password-stdin", "--data-dir", data_dir, stdin="alice-password-1\n")
    assert created.returncode == 0, created.stderr
    assert "created user alice" in created.stdout and "role dev" in created.stdout
    assert run_cli("create-user", "bob", "--password", "bob-password-1", "--data-dir", data_dir).returncode == 0

    listed = run_cli("list-users", "--data-dir", data_dir)
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.strip().splitlines()]
    assert rows[0] == ["ID", "USERNAME", "ROLE", "ACTIVE", "2FA"]
    assert rows[1:] == [["1", "alice", "dev", "yes", "off"], ["2", "bob", "readonly", "yes", "off"]]

    promoted = run_cli("set-role", "bob", "ops", "--data-dir", data_dir)
    assert promoted.returncode == 0 and "bob is now ops" in promoted.stdout
    assert "ops" in run_cli("list-users", "--data-dir", data_dir).stdout.splitlines()[2]

    reset = run_cli("reset-password", "bob", "--password-stdin", "--data-dir", data_dir,
                    stdin="bob-password-2\n")
    assert reset.returncode == 0, reset.stderr
    with contextlib.closing(sqlite3.connect(Path(data_dir) / "kubevision.db")) as db:
        hashes = dict(db.execute("SELECT username, password_hash FROM users"))
    # bcrypt at the production cost (12), salted, and the new password replaced the old one.
    assert all(h.startswith("$2b$12$") for h in hashes.values())
    assert bcrypt.checkpw(b"bob-password-2", hashes["bob"].encode())
    assert bcrypt.checkpw(b"alice-password-1", hashes["alice"].encode())
    assert run_cli("reset-2fa", "alice", "--data-dir", data_dir).returncode == 0


@pytest.mark.parametrize(("argv", "stdin", "message"), [
    (["create-user", "carol", "--password", "short"], None, "at least 8 characters"),
    (["create-user", "bad name", "--password", "long-enough-1"], None, "username must be"),
    (["create-user", "carol", "--password-stdin"], "\n", "at least 8 characters"),
    (["reset-password", "ghost", "--password", "long-enough-1"], None, "'ghost' not found"),
    (["reset-2fa", "ghost"], None, "'ghost' not found"),
    (["set-role", "ghost", "ops"], None, "'ghost' not found"),
])
def test_failures_exit_1_with_a_message(data_dir: str, argv: list[str], stdin: str | None,
                                        message: str) -> None:
    result = run_cli(*argv, "--data-dir", data_dir, stdin=stdin)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("kubevision: ") and message in result.stderr
    assert "Traceback" not in result.stderr


def test_duplicate_user_and_last_admin_exit_1(data_dir: str) -> None:
    assert run_cli("create-user", "root", "--role", "admin", "--password", "long-enough-1",
                   "--data-dir", data_dir).returncode == 0
    duplicate = run_cli("create-user", "root", "--password", "long-enough-1", "--data-dir", data_dir)
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    demote = run_cli("set-role", "root", "ops", "--data-dir", data_dir)
    assert demote.returncode == 1 and "last active admin" in demote.stderr
    custom = run_cli("set-role", "root", "custom", "--data-dir", data_dir)
    assert custom.returncode == 1 and "permissions" in custom.stderr
    assert "admin" in run_cli("list-users", "--data-dir", data_dir).stdout


@pytest.mark.parametrize(("argv", "message"), [
    (["create-user"], "the following arguments are required: username"),
    (["create-user", "dave", "--role", "wizard"], "invalid choice: 'wizard'"),
    (["set-role", "dave"], "required"),
    (["create-user", "dave", "--password", "x", "--password-stdin"], "not allowed with argument"),
    (["frobnicate"], "unrecognized arguments"),
    (["serve", "--port", "eighty"], "invalid int value"),
])
def test_usage_errors_exit_2(data_dir: str, argv: list[str], message: str) -> None:
    result = run_cli(*argv, "--data-dir", data_dir)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr


def test_bad_settings_exit_2(tmp_path: Path, data_dir: str) -> None:
    missing = run_cli("list-users", "--data-dir", data_dir, "--config", str(tmp_path / "absent.yaml"))
    assert missing.returncode == 2 and "cannot read config file" in missing.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("no_such_setting: 1\n")
    unknown = run_cli("list-users", "--config", str(bad), "--data-dir", data_dir)
    assert unknown.returncode == 2 and "unknown settings: no_such_setting" in unknown.stderr


def test_unusable_data_dir_exits_1(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run_cli("list-users", "--data-dir", str(blocker / "data"))
    assert result.returncode == 1 and result.stderr.startswith("kubevision: ")
    assert "Traceback" not in result.stderr


async def test_commands_act_on_a_running_servers_database(settings, anonymous: ApiSession) -> None:
    """The CLI is the way back in for a locked-out admin; its changes apply to the running server."""
    data_dir = str(settings.data_dir)
    admin = await anonymous.login("admin", ADMIN_PASSWORD)
    setup = await admin.ok("POST", "/auth/2fa/setup")
    await admin.ok("POST", "/auth/2fa/enable",
                   json={"code": pyotp.TOTP(setup["secret"]).now(), "currentPassword": ADMIN_PASSWORD})
    await anonymous.fails("POST", "/auth/login", 40102, json={"username": "admin", "password": ADMIN_PASSWORD})
    assert "on" in (await run_cli_async("list-users", "--data-dir", data_dir)).stdout.splitlines()[1]

    assert (await run_cli_async("reset-2fa", "admin", "--data-dir", data_dir)).returncode == 0
    admin = await anonymous.login("admin", ADMIN_PASSWORD)  # no second step any more

    result = await run_cli_async("reset-password", "admin", "--password-stdin", "--data-dir", data_dir,
                                 stdin="recovered-password\n")
    assert result.returncode == 0, result.stderr
    await admin.fails("GET", "/users/me", 40101)  # the server's old sessions are revoked
    await anonymous.fails("POST", "/auth/login", 40100, json={"username": "admin", "password": ADMIN_PASSWORD})
    admin = await anonymous.login("admin", "recovered-password")

    created = await run_cli_async("create-user", "eve", "--role", "readonly", "--password", "eve-password-1",
                                  "--data-dir", data_dir)
    assert created.returncode == 0, created.stderr
    eve = await anonymous.login("eve", "eve-password-1")
    await eve.fails("GET", "/users", 40300)
    assert (await run_cli_async("set-role", "eve", "admin", "--data-dir", data_dir)).returncode == 0
    await eve.fails("GET", "/users", 40101)  # role change revoked her token
    eve = await anonymous.login("eve", "eve-password-1")
    assert [u["username"] for u in await eve.ok("GET", "/users")] == ["admin", "eve"]


async def test_users_created_before_the_first_start_do_not_lock_out_the_admin(settings, aiohttp_client) -> None:
    """`create-user` on a new data dir, then the first start: `admin` is still created (no admin existed)."""
    created = await run_cli_async("create-user", "alice", "--role", "dev", "--password", "alice-password-1",
                                  "--data-dir", str(settings.data_dir))
    assert created.returncode == 0, created.stderr
    anonymous = ApiSession(await aiohttp_client(create_app(settings)))
    admin = await anonymous.login("admin", ADMIN_PASSWORD)
    assert [(u["username"], u["role"]) for u in await admin.ok("GET", "/users")] == [("alice", "dev"),
                                                                                     ("admin", "admin")]
