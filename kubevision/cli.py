"""The command line: `serve` (the default) and user administration from the shell.

Exit codes: 0 success, 1 the command failed (message on stderr), 2 usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from kubevision import __version__
from kubevision.auth.permissions import Role
from kubevision.auth.users import UserService
from kubevision.config import Settings, SettingsError, load_settings
from kubevision.datadir import DataDirInUseError, exclusive_data_dir, make_private_dir
from kubevision.errors import ApiError
from kubevision.paths import restore_child_environment
from kubevision.store import Store

EXIT_FAILURE = 1
EXIT_USAGE = 2


def _add_storage_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="data directory (database, secrets, recordings, logs)")
    parser.add_argument("--database-url", help="postgresql://... instead of the embedded SQLite")
    parser.add_argument("--config", help="YAML settings file")


def _add_password_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--password", help="the password (visible in process lists; prefer the prompt)")
    group.add_argument("--password-stdin", action="store_true", help="read the password from stdin")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="kubevision", description="KubeVision Kubernetes dashboard")
    parser.add_argument("--version", action="version", version=f"kubevision {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the dashboard (default)")
    _add_serve_flags(serve)

    create = commands.add_parser("create-user", help="create a user")
    create.add_argument("username")
    create.add_argument("--role", default=Role.READONLY.value, choices=[r.value for r in Role])
    create.add_argument("--email")
    _add_password_flags(create)
    _add_storage_flags(create)

    reset = commands.add_parser("reset-password", help="set a user's password")
    reset.add_argument("username")
    _add_password_flags(reset)
    _add_storage_flags(reset)

    reset_2fa = commands.add_parser("reset-2fa", help="turn a user's 2FA off")
    reset_2fa.add_argument("username")
    _add_storage_flags(reset_2fa)

    list_users = commands.add_parser("list-users", help="list users")
    _add_storage_flags(list_users)

    set_role = commands.add_parser("set-role", help="change a user's role")
    set_role.add_argument("username")
    set_role.add_argument("role", choices=[r.value for r in Role])
    _add_storage_flags(set_role)

    commands.add_parser("version", help="print the version")
    return parser


def _add_serve_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8080; the next free one if busy)")
    parser.add_argument("--kubeconfig", help="kubeconfig file (default $KUBECONFIG or ~/.kube/config)")
    parser.add_argument("--no-browser", action="store_true", default=None, help="do not open a browser")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    parser.add_argument("--allowed-hosts", help="extra Host names to accept, comma separated")
    parser.add_argument("--allowed-origins", help="extra Origins to accept, comma separated")
    parser.add_argument("--tls-cert", help="TLS certificate (PEM)")
    parser.add_argument("--tls-key", help="TLS private key (PEM)")
    parser.add_argument("--read-only", action="store_true", default=None, help="refuse every change")
    _add_storage_flags(parser)


def _settings_from(args: argparse.Namespace) -> Settings:
    flags = {key: value for key, value in vars(args).items()
             if key not in ("command", "config", "username", "role", "email", "password", "password_stdin")}
    return load_settings(flags, config_file=args.config)


def _read_password(args: argparse.Namespace) -> str:
    if args.password:
        return args.password
    if args.password_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise PasswordMismatchError()
    return first


async def _with_users(settings: Settings, action: Callable[[UserService], Awaitable[Any]]) -> Any:
    store = Store(settings.effective_database_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    await store.start()
    try:
        return await action(UserService(store, settings.data_dir))
    finally:
        await store.aclose()


def _run_user_command(args: argparse.Namespace, settings: Settings) -> int:
    async def create(users: UserService) -> str:
        user = await users.create(username=args.username, password=_read_password(args),
                                  role=args.role, email=args.email)
        return f"created user {user.username} (id {user.id}, role {user.role})"

    async def reset(users: UserService) -> str:
        user = await users.get_by_name(args.username)
        await users.set_password(user.id, _read_password(args))
        return f"password of {user.username} changed; their sessions are signed out"

    async def reset_two_factor(users: UserService) -> str:
        user = await users.get_by_name(args.username)
        await users.reset_two_factor(user.id)
        return f"2FA of {user.username} turned off"

    async def set_role(users: UserService) -> str:
        user = await users.get_by_name(args.username)
        await users.update(user.id, {"role": args.role})
        return f"{user.username} is now {args.role}"

    async def list_all(users: UserService) -> str:
        rows = [f"{'ID':>4}  {'USERNAME':<24} {'ROLE':<9} {'ACTIVE':<6} 2FA"]
        rows += [f"{u.id:>4}  {u.username:<24} {u.role:<9} {'yes' if u.active else 'no':<6} "
                 f"{'on' if u.totp_enabled else 'off'}" for u in await users.list()]
        return "\n".join(rows)

    actions = {"create-user": create, "reset-password": reset, "reset-2fa": reset_two_factor,
               "set-role": set_role, "list-users": list_all}
    print(asyncio.run(_with_users(settings, actions[args.command])))
    return 0


COMMANDS = ("serve", "create-user", "reset-password", "reset-2fa", "list-users", "set-role", "version")
TOP_LEVEL_FLAGS = ("-h", "--help", "--version")


def _default_to_serve(argv: list[str]) -> list[str]:
    """Plain start / double-click (`kubevision`, `kubevision --port 9000`) means `serve`.

    argparse alone would take the first flag's value for a command name and fail.
    """
    if argv and (argv[0] in COMMANDS or argv[0] in TOP_LEVEL_FLAGS):
        return argv
    return ["serve", *argv]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    restore_child_environment()
    parser = build_parser()
    args = parser.parse_args(_default_to_serve(list(sys.argv[1:] if argv is None else argv)))
    if args.command == "version":
        print(f"kubevision {__version__}")
        return 0
    try:
        settings = _settings_from(args)
    except SettingsError as exc:
        print(f"kubevision: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "serve":
            from kubevision.logging_setup import configure_logging
            from kubevision.server import serve

            make_private_dir(settings.data_dir)
            # One server per SQLite data dir; PostgreSQL servers share their database, not a data dir lock.
            sqlite = settings.effective_database_url.startswith("sqlite")
            with exclusive_data_dir(settings.data_dir) if sqlite else contextlib.nullcontext():
                configure_logging(settings.log_level, settings.data_dir)
                asyncio.run(serve(settings))
            return 0
        return _run_user_command(args, settings)
    except ApiError as exc:
        print(f"kubevision: {exc.message}", file=sys.stderr)
        return EXIT_FAILURE
    except DataDirInUseError as exc:
        print(f"kubevision: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except PasswordMismatchError:
        print("kubevision: the passwords do not match", file=sys.stderr)
        return EXIT_FAILURE
    except OSError as exc:
        print(f"kubevision: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 0


class PasswordMismatchError(Exception):
    """The two prompted passwords differ."""
