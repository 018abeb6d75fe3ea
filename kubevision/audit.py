"""The audit trail: requests queue entries and never wait; a background task writes them in batches.

`aclose()` drains the queue before the store closes, so nothing recorded is lost on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import logging
from typing import Any

from aiohttp import web

from kubevision.store import Store
from kubevision.store.audit import insert_audit_entries, query_audit_entries
from kubevision.store.users import utcnow
from kubevision.tasks import create_named_task, stop_tasks

log = logging.getLogger(__name__)

# Entries wait at most this long before they are written, so a crash loses little.
FLUSH_INTERVAL_S = 0.5
BATCH_SIZE = 200


@dataclasses.dataclass(frozen=True)
class RequestOrigin:
    """Where the request being served comes from."""

    request_id: str
    client_ip: str


# Set for each request by the middleware: log lines are stamped with its request id, and audit entries
# recorded deep in a service (a Kubernetes write) get the request id and client address without every call
# passing them down.
current_origin: contextvars.ContextVar[RequestOrigin | None] = contextvars.ContextVar("audit_origin", default=None)


class AuditLog:
    """Buffered writer of audit rows."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        # A flush that finds the queue empty must still wait for a batch another flush is writing.
        self._flush_lock = asyncio.Lock()

    def start(self) -> None:
        """Start the background writer."""
        self._task = create_named_task(self._run(), name="audit-writer")

    def record(self, action: str, *, request_id: str | None = None, user_id: int | None = None,
               username: str | None = None, cluster_id: int | None = None,
               namespace: str | None = None, resource: str | None = None, name: str | None = None,
               code: int = 0, client_ip: str | None = None, detail: dict[str, Any] | None = None) -> None:
        """Queue one entry (never blocks); the request id and client address default to the current request's."""
        if (origin := current_origin.get()) is not None:
            request_id = request_id or origin.request_id
            client_ip = client_ip or origin.client_ip
        self._queue.put_nowait({
            "created_at": utcnow(), "request_id": request_id, "user_id": user_id,
            "username": username, "action": action, "cluster_id": cluster_id,
            "namespace": namespace, "resource": resource, "name": name, "code": code,
            "client_ip": client_ip, "detail": detail,
        })

    async def flush(self) -> None:
        """Write everything queued so far (including a batch the background writer is writing now)."""
        async with self._flush_lock:
            await self._write_queued()

    async def _write_queued(self) -> None:
        while not self._queue.empty():
            batch = []
            while not self._queue.empty() and len(batch) < BATCH_SIZE:
                batch.append(self._queue.get_nowait())
            try:
                async with self._store.transaction() as conn:
                    await insert_audit_entries(conn, batch)
            except Exception:
                log.exception("could not write %d audit entries", len(batch))
                return

    async def query(self, **filters: Any) -> tuple[list[dict[str, Any]], int]:
        """Entries matching the filters of `store.audit.query_audit_entries`, and their total."""
        async with self._store.transaction() as conn:
            return await query_audit_entries(conn, **filters)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            await self.flush()

    async def aclose(self) -> None:
        """Stop the writer and write what is left (flushing first, so no batch is cut off mid-write)."""
        with contextlib.suppress(Exception):
            await self.flush()
        if self._task is not None:
            await stop_tasks([self._task])
            self._task = None
        with contextlib.suppress(Exception):
            await self.flush()


AUDIT = web.AppKey("audit", AuditLog)
