"""Reading back the audit rows of one request (shared by the account and cluster audit tests)."""

from __future__ import annotations

import itertools
from typing import Any

from tests.helpers import ApiSession

_request_ids = itertools.count(1)


def request_id(label: str) -> dict[str, str]:
    """Headers that give the next request its own id (`X-Request-ID`), to find its audit rows afterwards."""
    return {"X-Request-ID": f"{label}-{next(_request_ids)}"}


async def audited_once(admin: ApiSession, headers: dict[str, str], action: str, code: int) -> dict[str, Any]:
    """The one audit row of the request sent with `headers`, checked to be `action` with outcome `code` (every
    action of that request is read, so a second row of any kind fails)."""
    wanted = headers["X-Request-ID"]
    entries = await admin.ok("GET", "/audit-logs?pageSize=500")
    rows = [entry for entry in entries if entry["requestId"] == wanted]
    assert [(row["action"], row["code"]) for row in rows] == [(action, code)], rows
    return rows[0]
