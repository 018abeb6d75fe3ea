"""Changes are audited ahead: the intent row is committed before a change goes to Kubernetes. While the
database refuses audit rows (a real trigger, see `tests/audit_faults.py`) a change waits and is not sent; the
writer retries until the database takes the rows; a change whose row cannot be written in time is refused."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

import kubevision.services.audit
from kubevision.store import STORE
from tests.audit_faults import failing_audit_inserts
from tests.helpers import ApiSession
from tests.kube.conftest import configmap

# Long enough for several failed attempts of the writer (50, 100, 200, 400 ms apart).
FAULT_DURATION_S = 1.0


async def labels_of(admin: ApiSession, path: str) -> dict[str, str]:
    return (await admin.ok("GET", path))["metadata"].get("labels") or {}


async def test_a_change_waits_for_its_audit_row_and_is_sent_once_the_row_is_written(
        app: web.Application, admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/resources/configmaps"
    path = f"{base}/ahead?namespace={namespace}"
    await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap("ahead", namespace))
    async with failing_audit_inserts(app[STORE]):
        patch = asyncio.create_task(admin.call(
            "PATCH", path, json={"type": "merge", "patch": {"metadata": {"labels": {"step": "one"}}}},
            headers={"X-Request-ID": "ahead-1"}))
        await asyncio.sleep(FAULT_DURATION_S)
        assert not patch.done()
        assert "step" not in await labels_of(admin, path)  # not sent while its row is not durable
    answer = await patch
    assert answer["code"] == 0 and answer["data"]["metadata"]["labels"] == {"step": "one"}
    [entry] = await admin.ok("GET", "/audit-logs?action=resource.patch")
    assert (entry["requestId"], entry["name"], entry["code"]) == ("ahead-1", "ahead", 0)
    assert entry["detail"] == {"patchType": "merge"}


async def test_a_change_whose_audit_row_cannot_be_written_in_time_is_refused_and_still_recorded(
        app: web.Application, admin: ApiSession, cid: int, namespace: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kubevision.services.audit, "INTENT_TIMEOUT_S", FAULT_DURATION_S / 2)
    base = f"/clusters/{cid}/resources/configmaps"
    path = f"{base}/refused?namespace={namespace}"
    await admin.ok("POST", f"{base}?namespace={namespace}", json=configmap("refused", namespace))
    async with failing_audit_inserts(app[STORE]):
        refusal = await admin.fails("PATCH", path, 50000, json={
            "type": "merge", "patch": {"metadata": {"labels": {"step": "one"}}}})
        assert refusal["message"] == kubevision.services.audit.NOT_SENT_MESSAGE
        await asyncio.sleep(FAULT_DURATION_S / 2)
    assert "step" not in await labels_of(admin, path)
    [entry] = await admin.ok("GET", "/audit-logs?action=resource.patch")  # written once the database took it
    assert (entry["name"], entry["code"]) == ("refused", 50000)
    assert entry["detail"] == {"patchType": "merge", "notSent": True}
