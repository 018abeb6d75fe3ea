"""The audit trail. Changes to Kubernetes objects are written ahead: `begin()` commits an intent row (code NULL,
"attempted") before the change is sent, `finish()` records its outcome after, and the caller answers only then.
Other events (sign-ins, user changes) are queued with `record()` and never make a request wait.

One writer task commits rows in groups: every row queued while a commit runs goes into the next one, so
concurrent requests share commits and a lone request waits for one commit only. A failed write is retried with
a growing delay until it succeeds; rows are never dropped (past `MAX_PENDING_ROWS` new changes are refused and
other events are written to the log instead). `aclose()` drains what is queued before the store closes.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
from aiohttp import web

from kubevision.errors import ApiError, CodedError, ErrorCode, code_for
from kubevision.store import Store
from kubevision.store.audit import insert_audit_entries, query_audit_entries, update_audit_outcomes
from kubevision.store.users import utcnow
from kubevision.tasks import create_named_task, stop_tasks

log = logging.getLogger(__name__)
T = TypeVar("T")

# Rows (inserts, and outcome updates) per commit.
BATCH_SIZE = 200
# A failed commit is retried after RETRY_INITIAL_S, the delay doubling up to RETRY_MAX_S, for as long as it fails.
RETRY_INITIAL_S = 0.05
RETRY_MAX_S = 5.0
# A change whose intent row is not committed within this time is refused, and not sent to Kubernetes.
INTENT_TIMEOUT_S = 10.0
# How long a finished change waits for its outcome to be committed before it is answered anyway (its intent row
# is on record already; the outcome stays queued).
OUTCOME_TIMEOUT_S = 10.0
# Rows waiting for the database at most; past it changes are refused and other events go to the log only.
MAX_PENDING_ROWS = 10_000
# At shutdown the writer gets this long to commit what is queued; rows still unwritten then go to the log.
DRAIN_TIMEOUT_S = 10.0
# `flush()` (before the audit log is read) waits at most this long.
FLUSH_TIMEOUT_S = 5.0
NOT_SENT_MESSAGE = "the audit log cannot be written (database unavailable); the change was not sent"


@dataclasses.dataclass(frozen=True)
class RequestOrigin:
    """Where the request being served comes from."""

    request_id: str
    client_ip: str


# Set for each request by the middleware: log lines are stamped with its request id, and audit entries
# recorded deep in a service (a Kubernetes write) get the request id and client address without every call
# passing them down.
current_origin: contextvars.ContextVar[RequestOrigin | None] = contextvars.ContextVar("audit_origin", default=None)


class AuditEntry:
    """One row on its way to the database. `written` resolves when the row as it is now is committed."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row
        self.id: int | None = None  # known once the insert is committed
        self.inserting = False  # an insert of this row is in flight
        self.written: asyncio.Future[None] = asyncio.get_running_loop().create_future()


class AuditLog:
    """Write-ahead and queued audit rows, committed in groups by one writer task."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._uninserted: list[AuditEntry] = []  # oldest first
        self._outcomes: list[AuditEntry] = []  # inserted rows whose outcome is still to be written
        self._work = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the background writer."""
        self._task = create_named_task(self._run(), name="audit-writer")

    @property
    def pending(self) -> int:
        """Rows (and outcomes) not committed yet."""
        return len(self._uninserted) + len(self._outcomes)

    def _waiting(self) -> list[AuditEntry]:
        """The entries whose row or outcome is not committed yet, oldest rows first."""
        return [*self._uninserted, *self._outcomes]

    def record(self, action: str, *, request_id: str | None = None, user_id: int | None = None,
               username: str | None = None, cluster_id: int | None = None,
               namespace: str | None = None, resource: str | None = None, name: str | None = None,
               code: int = 0, client_ip: str | None = None, detail: dict[str, Any] | None = None) -> None:
        """Queue one finished event (never blocks); the request id and client address default to the current
        request's."""
        row = self._new_row(action, code=code, request_id=request_id, user_id=user_id, username=username,
                            cluster_id=cluster_id, namespace=namespace, resource=resource, name=name,
                            client_ip=client_ip, detail=detail)
        if self.pending >= MAX_PENDING_ROWS:
            log.error("audit backlog is full (%d rows wait for the database); logged instead: %s",
                      self.pending, orjson.dumps(row, default=str).decode())
            return
        self._enqueue(row)

    async def begin(self, action: str, **fields: Any) -> AuditEntry:
        """Commit an intent row (code NULL) for a change about to be sent; `fields` as for `record()`.

        50000 when it cannot be committed within `INTENT_TIMEOUT_S`: the caller must then not send the change
        (the row is still written, later, with code 50000 and `notSent`)."""
        if self.pending >= MAX_PENDING_ROWS:
            raise ApiError(ErrorCode.INTERNAL, NOT_SENT_MESSAGE)
        entry = self._enqueue(self._new_row(action, code=None, **fields))
        try:
            async with asyncio.timeout(INTENT_TIMEOUT_S):
                await asyncio.shield(entry.written)
        except BaseException as exc:  # timed out or cancelled: the change is not sent
            self._set_outcome(entry, int(ErrorCode.INTERNAL), {"notSent": True})
            if isinstance(exc, TimeoutError):
                raise ApiError(ErrorCode.INTERNAL, NOT_SENT_MESSAGE) from None
            raise
        return entry

    async def finish(self, entry: AuditEntry, code: int, **detail: Any) -> None:
        """Record the outcome of an intent row (merging `detail` into its own) and wait until it is committed
        (at most `OUTCOME_TIMEOUT_S`; then it stays queued)."""
        self._set_outcome(entry, code, detail)
        done, _ = await asyncio.wait([entry.written], timeout=OUTCOME_TIMEOUT_S)
        if not done:
            log.warning("the outcome of audit row %s (%s) is not committed yet; it stays queued",
                        entry.id, entry.row["action"])

    async def change(self, action: str, operation: Awaitable[T], *, name: str | None = None,
                     detail: dict[str, Any] | None = None, **fields: Any) -> T:
        """Audit one change written ahead (`begin`, then `operation` — a not yet started request — then
        `finish`): the outcome is 0, or the business code of the error it raised (`kubevision.errors.code_for`);
        an unexpected error leaves the row as attempted (outcome unknown). `fields` as for `record()`."""
        try:
            entry = await self.begin(action, name=name, detail=detail or None, **fields)
        except BaseException:
            if inspect.iscoroutine(operation):
                operation.close()  # never sent
            raise
        try:
            result = await operation
        except (CodedError, ApiError) as exc:
            await self.finish(entry, int(code_for(exc)))
            raise
        await self.finish(entry, 0)
        return result

    async def record_outcome(self, action: str, operation: Awaitable[T], *,
                             result_fields: Callable[[T], dict[str, Any]] | None = None, **fields: Any) -> T:
        """Run one change of this server's own state (users, sessions, API keys, clusters: nothing is sent
        elsewhere, so no intent row is written ahead) and queue one row with its outcome: 0, with the columns
        `result_fields` picks from the result (such as the id of what was made), or the business code of the
        error it raised (`kubevision.errors.code_for`; unexpected errors are 50000). `fields` as for `record()`."""
        try:
            result = await operation
        except Exception as exc:
            self.record(action, code=int(code_for(exc)), **fields)
            raise
        self.record(action, **{**fields, **(result_fields(result) if result_fields else {})})
        return result

    async def flush(self) -> None:
        """Wait until everything queued so far is committed (at most `FLUSH_TIMEOUT_S`)."""
        waiting = [entry.written for entry in self._waiting()]
        if waiting:
            await asyncio.wait(waiting, timeout=FLUSH_TIMEOUT_S)

    async def query(self, **filters: Any) -> tuple[list[dict[str, Any]], int]:
        """Entries matching the filters of `store.audit.query_audit_entries`, and their total."""
        async with self._store.transaction() as conn:
            return await query_audit_entries(conn, **filters)

    async def aclose(self) -> None:
        """Commit what is queued (at most `DRAIN_TIMEOUT_S`), stop the writer, and log any row left unwritten."""
        waiting = [entry.written for entry in self._waiting()]
        if waiting and self._task is not None:
            await asyncio.wait(waiting, timeout=DRAIN_TIMEOUT_S)
        if self._task is not None:
            await stop_tasks([self._task])
            self._task = None
        for entry in self._waiting():
            log.error("audit row not written before shutdown: %s", orjson.dumps(entry.row, default=str).decode())

    @staticmethod
    def _new_row(action: str, *, code: int | None, request_id: str | None = None, user_id: int | None = None,
                 username: str | None = None, cluster_id: int | None = None, namespace: str | None = None,
                 resource: str | None = None, name: str | None = None, client_ip: str | None = None,
                 detail: dict[str, Any] | None = None) -> dict[str, Any]:
        if (origin := current_origin.get()) is not None:
            request_id = request_id or origin.request_id
            client_ip = client_ip or origin.client_ip
        return {
            "created_at": utcnow(), "request_id": request_id, "user_id": user_id,
            "username": username, "action": action, "cluster_id": cluster_id,
            "namespace": namespace, "resource": resource, "name": name, "code": code,
            "client_ip": client_ip, "detail": _plain_json(detail),
        }

    def _enqueue(self, row: dict[str, Any]) -> AuditEntry:
        entry = AuditEntry(row)
        self._uninserted.append(entry)
        self._work.set()
        return entry

    def _set_outcome(self, entry: AuditEntry, code: int, detail: dict[str, Any]) -> None:
        entry.row["code"] = code
        if detail:
            entry.row["detail"] = _plain_json({**(entry.row["detail"] or {}), **detail})
        if entry.id is None and not entry.inserting:
            return  # not inserted yet: the insert carries the outcome
        entry.written = asyncio.get_running_loop().create_future()
        self._outcomes.append(entry)
        self._work.set()

    async def _run(self) -> None:
        delay = RETRY_INITIAL_S
        while True:
            await self._work.wait()
            self._work.clear()
            while self._uninserted or self._outcomes:
                try:
                    await self._commit_some()
                except Exception:
                    log.warning("could not write %d audit rows; retrying in %.2f s", self.pending, delay,
                                exc_info=True)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX_S)
                else:
                    delay = RETRY_INITIAL_S

    async def _commit_some(self) -> None:
        """One commit: the oldest uninserted rows and the outcomes of inserted ones (up to `BATCH_SIZE` each)."""
        inserts = self._uninserted[:BATCH_SIZE]
        updates = [entry for entry in self._outcomes[:BATCH_SIZE] if entry.id is not None]
        # Captured now: an outcome set while its insert is in flight gets a future of its own.
        futures = [entry.written for entry in (*inserts, *updates)]
        for entry in inserts:
            entry.inserting = True
        try:
            async with self._store.transaction() as conn:
                ids = await insert_audit_entries(conn, [entry.row for entry in inserts])
                await update_audit_outcomes(conn, [(entry.id, entry.row["code"], entry.row["detail"])
                                                   for entry in updates if entry.id is not None])
        finally:
            for entry in inserts:
                entry.inserting = False
        for entry, row_id in zip(inserts, ids, strict=True):
            entry.id = row_id
        del self._uninserted[:len(inserts)]
        updated = set(updates)
        self._outcomes = [entry for entry in self._outcomes if entry not in updated]
        for future in futures:
            if not future.done():
                future.set_result(None)


def _plain_json(detail: dict[str, Any] | None) -> dict[str, Any] | None:
    """`detail` as plain JSON values (anything else as its string), so that no row can fail to serialize and
    be retried forever."""
    if detail is None:
        return None
    return orjson.loads(orjson.dumps(detail, default=str, option=orjson.OPT_NON_STR_KEYS))


AUDIT = web.AppKey("audit", AuditLog)
