"""The data directory: private modes for what it holds, and the lock one `kubevision serve` takes on it.

Everything in the data dir is for the server's user only: the directory is 0700, the database, its WAL and
journal files and the log are 0600 — created so, and tightened at start when an older version (or a hand)
left them readable by others. SQLite creates its `-wal`, `-shm` and `-journal` files with the mode of the
database file, so a 0600 database keeps them 0600 too.

Two servers on one SQLite data dir would share the database file (SQLite allows it, but each server's caches,
rate limits and retention purges would not know of the other) and the log file: `serve` takes an exclusive
lock on `kubevision.lock` and a second one exits with a clear message. The lock is an advisory `flock` on
POSIX and a byte-range lock (`msvcrt.locking`) on Windows; the operating system releases it when the process
ends, however it ends. CLI commands (`reset-password`, …) do not take it: they work on a running server's
data dir on purpose.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
LOCK_FILE_NAME = "kubevision.lock"
# Files SQLite keeps beside its database.
SQLITE_COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")


class DataDirInUseError(Exception):
    """Another `kubevision serve` holds the data dir's lock."""


def private_opener(path: str, flags: int) -> int:
    """An `opener` for `open()` that creates files 0600."""
    return os.open(path, flags, PRIVATE_FILE_MODE)


def tighten(path: Path, mode: int = PRIVATE_FILE_MODE) -> None:
    """Take group and other permissions off an existing file or directory (a warning if that is refused)."""
    if os.name == "nt":  # modes are not how Windows protects files; the user profile's ACLs do
        return
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if current & ~mode & 0o077:
        try:
            os.chmod(path, current & mode)
        except OSError as exc:
            log.warning("could not restrict %s to mode %o (it is %o): %s", path, mode, current, exc)
        else:
            log.info("restricted %s from mode %o to %o", path, current, current & mode)


def make_private_dir(path: Path) -> None:
    """Create the directory 0700, or tighten an existing one."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    tighten(path, PRIVATE_DIR_MODE)


def prepare_sqlite_file(database: Path) -> None:
    """Create the SQLite database file 0600 (before SQLite would create it with the umask's mode) and tighten
    the database and its companion files if they exist already."""
    os.close(os.open(database, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE))
    for path in (database, *(database.with_name(database.name + suffix) for suffix in SQLITE_COMPANION_SUFFIXES)):
        tighten(path)


@contextlib.contextmanager
def exclusive_data_dir(data_dir: Path) -> Iterator[None]:
    """Hold the data dir's lock for the block; `DataDirInUseError` when another process holds it."""
    descriptor = os.open(data_dir / LOCK_FILE_NAME, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        try:
            _lock(descriptor)
        except OSError:
            raise DataDirInUseError(
                f"another kubevision serve ({_holder(descriptor)}) is using the data dir {data_dir}; stop it, "
                "or start this one with its own --data-dir") from None
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _lock(descriptor: int) -> None:
    """Lock the file without waiting; OSError when another process holds it."""
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _holder(descriptor: int) -> str:
    """'pid N' of the lock's holder as it wrote it, or 'pid unknown'."""
    with contextlib.suppress(OSError, ValueError):
        os.lseek(descriptor, 0, os.SEEK_SET)
        return f"pid {int(os.read(descriptor, 32).decode().strip())}"
    return "pid unknown"
