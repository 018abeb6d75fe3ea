"""Terminal sessions: their history rows, asciinema v2 recordings, and the retention purge.

Every exec session gets a row in `terminal_sessions` (who, where, which command, when, how it ended,
how much output) whether or not it is recorded, so an operator can always answer "who had a shell in
that pod". With `record_sessions` on (the default) the terminal output is also written to
`<data-dir>/recordings/<id>.cast` in asciinema v2 format (a JSON header line, then `[t, "o", text]`
output and `[t, "r", "COLSxROWS"]` resize events), playable with `asciinema play` or the UI.

Keystrokes (`"i"` events) are deliberately not recorded: they carry passwords typed at prompts that
echo nothing (sudo, mysql -p), which the output stream never shows. Files are created 0600 in a 0700
directory because output may contain secrets too, and each file is capped at `MAX_RECORDING_BYTES` so a
runaway `yes` cannot fill the disk (the session goes on; the row keeps counting bytes).

The purge deletes sessions (rows and files) older than `recording_retention_days`, at start and then
every `PURGE_INTERVAL_S`, plus stray `.cast` files of that age that no row points at.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

import orjson
from aiohttp import web
from ulid import ULID

from kubevision.auth.permissions import Principal
from kubevision.config import Settings
from kubevision.errors import ApiError, ErrorCode
from kubevision.store import Store
from kubevision.store.terminal_sessions import (
    TerminalSessionRecord,
    delete_terminal_sessions_before,
    finish_terminal_session,
    get_terminal_session,
    insert_terminal_session,
    list_terminal_sessions,
)
from kubevision.store.users import utcnow
from kubevision.tasks import create_named_task, stop_tasks

log = logging.getLogger(__name__)

RECORDINGS_DIR = "recordings"
CAST_SUFFIX = ".cast"
# The purge runs at start and then this often (retention is counted in days; hourly precision is moot).
PURGE_INTERVAL_S = 24 * 3600.0
# One recording stops growing past this size; the session itself continues.
MAX_RECORDING_BYTES = 64 * 1024 * 1024
TERM = "xterm-256color"
# Shutdown waits this long for ending sessions to complete their rows.
SHUTDOWN_WAIT_S = 5.0


class Recorder:
    """Writes one asciinema v2 file: the header at creation, then timestamped events."""

    def __init__(self, path: Path, *, width: int, height: int, title: str, shell: str) -> None:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file: IO[bytes] | None = os.fdopen(descriptor, "wb")
        self._start = time.monotonic()
        self._written = 0
        self.truncated = False
        self._write(orjson.dumps({"version": 2, "width": width, "height": height, "timestamp": int(time.time()),
                                  "title": title, "env": {"TERM": TERM, "SHELL": shell}}) + b"\n")

    def _write(self, line: bytes) -> None:
        if self._file is None:
            return
        if self._written + len(line) > MAX_RECORDING_BYTES:
            self.truncated = True
            self.close()
            return
        self._file.write(line)
        self._written += len(line)

    def event(self, kind: str, data: str) -> None:
        """Append `[seconds since start, kind, data]`."""
        self._write(orjson.dumps([round(time.monotonic() - self._start, 6), kind, data]) + b"\n")

    def close(self) -> None:
        """Flush and close the file (idempotent)."""
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None


@dataclasses.dataclass
class ActiveSession:
    """A session in progress: its id, the recorder (if recording) and the output byte count."""

    id: str
    recorder: Recorder | None
    bytes: int = 0

    def output(self, data: bytes, text: str) -> None:
        """Terminal output: `data` as received (counted), `text` as decoded (recorded)."""
        self.bytes += len(data)
        if self.recorder is not None and text:
            self.recorder.event("o", text)

    def resize(self, cols: int, rows: int) -> None:
        """A terminal resize."""
        if self.recorder is not None:
            self.recorder.event("r", f"{cols}x{rows}")


class TerminalSessions:
    """Session rows, recording files and their retention."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._purge_task: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def directory(self) -> Path:
        """`<data-dir>/recordings`."""
        return self._settings.data_dir / RECORDINGS_DIR

    async def begin(self, principal: Principal, *, cluster_id: int, cluster_name: str, namespace: str, pod: str,
                    container: str, command: list[str], width: int, height: int) -> ActiveSession:
        """Insert the row and (when recording is on) create the `.cast` file."""
        session_id = str(ULID())
        recorder = None
        if self._settings.record_sessions:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                recorder = Recorder(self.directory / f"{session_id}{CAST_SUFFIX}", width=width, height=height,
                                    title=f"{principal.username}@{cluster_name}: {namespace}/{pod}/{container}",
                                    shell=command[0] if command else "")
            except OSError:
                log.exception("cannot create the recording of session %s; continuing unrecorded", session_id)
        async with self._store.transaction() as conn:
            await insert_terminal_session(
                conn, id=session_id, user_id=principal.user_id, username=principal.username,
                cluster_id=cluster_id, cluster_name=cluster_name, namespace=namespace, pod=pod,
                container=container, command=command, started_at=utcnow(), bytes=0,
                file=f"{session_id}{CAST_SUFFIX}" if recorder else None)
        return ActiveSession(session_id, recorder)

    async def end(self, session: ActiveSession, *, exit_status: str | None, exit_code: int | None) -> None:
        """Close the recording and complete the row."""
        if session.recorder is not None:
            session.recorder.close()
        async with self._store.transaction() as conn:
            await finish_terminal_session(conn, session.id, ended_at=utcnow(), exit_status=exit_status,
                                          exit_code=exit_code, size=session.bytes)

    async def list(self, principal: Principal, *, page: int, page_size: int,
                   user_id: int | None = None) -> tuple[list[TerminalSessionRecord], int]:
        """The caller's sessions (an admin sees everyone's, optionally one user's), newest first."""
        if not principal.is_admin:
            user_id = principal.user_id
        async with self._store.transaction() as conn:
            return await list_terminal_sessions(conn, user_id=user_id, offset=(page - 1) * page_size,
                                                limit=page_size)

    async def get(self, principal: Principal, session_id: str) -> TerminalSessionRecord:
        """One session: 40400 if unknown, 40300 if someone else's (unless admin)."""
        async with self._store.transaction() as conn:
            record = await get_terminal_session(conn, session_id)
        if record is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"terminal session {session_id!r} not found")
        if record.user_id != principal.user_id and not principal.is_admin:
            raise ApiError(ErrorCode.FORBIDDEN, "this terminal session belongs to another user")
        return record

    async def recording_path(self, principal: Principal, session_id: str) -> Path:
        """The `.cast` file of a session the caller may see (40400 when not recorded or purged)."""
        record = await self.get(principal, session_id)
        path = self.directory / record.file if record.file else None
        if path is None or not path.is_file():
            raise ApiError(ErrorCode.NOT_FOUND, f"terminal session {session_id!r} has no recording")
        return path

    async def purge(self) -> int:
        """Delete sessions and recordings older than the retention; returns the number of rows deleted."""
        cutoff = utcnow() - dt.timedelta(days=self._settings.recording_retention_days)
        async with self._store.transaction() as conn:
            files = await delete_terminal_sessions_before(conn, cutoff)
        for name in files:
            if name:
                with contextlib.suppress(FileNotFoundError):
                    (self.directory / name).unlink()
        if self.directory.is_dir():
            for path in self.directory.glob(f"*{CAST_SUFFIX}"):
                with contextlib.suppress(FileNotFoundError):
                    if path.stat().st_mtime < cutoff.timestamp():
                        path.unlink()
        if files:
            log.info("purged %d terminal sessions older than %d days", len(files),
                     self._settings.recording_retention_days)
        return len(files)

    async def _purge_forever(self) -> None:
        while True:
            await asyncio.sleep(PURGE_INTERVAL_S)
            try:
                await self.purge()
            except Exception:
                log.exception("terminal session purge failed")

    def start(self) -> None:
        """Start the daily purge."""
        self._purge_task = create_named_task(self._purge_forever(), name="terminal-sessions-purge")

    def track(self, task: asyncio.Task[None]) -> None:
        """A task that completes a session; shutdown waits for it before the store closes."""
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def aclose(self) -> None:
        """Stop the daily purge; let sessions that are ending write their rows."""
        if self._closing:
            await asyncio.wait(list(self._closing), timeout=SHUTDOWN_WAIT_S)
        if self._purge_task is not None:
            await stop_tasks([self._purge_task])
            self._purge_task = None


TERMINAL_SESSIONS = web.AppKey("terminal_sessions", TerminalSessions)


async def terminal_sessions_lifetime(app: web.Application) -> AsyncIterator[None]:
    """`cleanup_ctx` (after the store): purge expired sessions now, then daily."""
    sessions = app[TERMINAL_SESSIONS]
    try:
        await sessions.purge()
    except Exception:
        log.exception("terminal session purge failed")
    sessions.start()
    yield
    await sessions.aclose()
