"""Secrets are masked unless revealed by a role with `reveal`; reveals are audited; edits keep values."""

from __future__ import annotations

import pytest

from tests.helpers import ApiSession
from tests.kube.conftest import make_user

SECRET_VALUE = "c3VwZXJzZWNyZXQ="  # "supersecret"


async def test_mask_reveal_and_audit(admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/resources/secrets"
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s1"}, "data": {"password": SECRET_VALUE}}
    created = await admin.ok("POST", f"{base}?namespace={namespace}", json=secret)
    assert created["data"] == {"password": "********"}
    masked = await admin.ok("GET", f"{base}/s1?namespace={namespace}")
    assert masked["data"] == {"password": "********"}
    listed = await admin.ok("GET", f"{base}?namespace={namespace}")
    assert listed[0]["data"] == {"password": "********"}
    revealed = await admin.ok("GET", f"{base}/s1?namespace={namespace}&reveal=true")
    assert revealed["data"] == {"password": SECRET_VALUE}

    # Saving the masked object back must not overwrite the real value.
    masked["metadata"]["labels"] = {"edited": "yes"}
    await admin.ok("PUT", f"{base}/s1?namespace={namespace}", json=masked)
    again = await admin.ok("GET", f"{base}/s1?namespace={namespace}&reveal=true")
    assert again["data"] == {"password": SECRET_VALUE} and again["metadata"]["labels"] == {"edited": "yes"}

    entries = await admin.ok("GET", "/audit-logs?action=secret.reveal")
    assert len(entries) == 2 and entries[0]["name"] == "s1" and entries[0]["namespace"] == namespace


async def test_roles_without_reveal(admin: ApiSession, cid: int, namespace: str) -> None:
    base = f"/clusters/{cid}/resources/secrets"
    await admin.ok("POST", f"{base}?namespace={namespace}",
                   json={"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s2"}, "data": {"k": SECRET_VALUE}})
    for role in ("readonly", "dev"):
        user = await make_user(admin, f"user-{role}", role)
        await user.fails("GET", f"{base}/s2?namespace={namespace}&reveal=true", 40300)
        assert (await user.ok("GET", f"{base}/s2?namespace={namespace}"))["data"] == {"k": "********"}


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/configmaps/..%2Fsecrets%2Fs3?namespace={ns}"),
    ("GET", "/configmaps/x?namespace={ns}%2Fsecrets%2Fs3%23"),
    ("DELETE", "/configmaps/..%2Fsecrets%2Fs3?namespace={ns}"),
])
async def test_names_cannot_reach_another_url(admin: ApiSession, cid: int, namespace: str, method: str,
                                              path: str) -> None:
    base = f"/clusters/{cid}/resources"
    await admin.ok("POST", f"{base}/secrets?namespace={namespace}",
                   json={"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s3"}, "data": {"k": SECRET_VALUE}})
    reader = await make_user(admin, "cm-reader", "custom", permissions=["configmaps:*"])
    body = await reader.fails(method, base + path.format(ns=namespace), 40002)
    assert "must not be empty, '.' or '..' nor contain '/' or '%'" in body["message"]
    assert (await admin.ok("GET", f"{base}/secrets/s3?namespace={namespace}&reveal=true"))["data"] == {
        "k": SECRET_VALUE}


async def test_fragment_characters_stay_in_the_namespace(admin: ApiSession, cid: int) -> None:
    assert await admin.ok("GET", f"/clusters/{cid}/resources/configmaps?namespace=%23x") == []
    summary = await admin.ok("GET", f"/clusters/{cid}/quota-summary?namespace=%23x")
    assert summary == {"quotas": [], "limitRanges": []}
