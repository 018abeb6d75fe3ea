"""The audit trail API: what sign-in records, filters, paging, and who may read it."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import pytest

from tests.accounts import create_user, user_session
from tests.helpers import ApiSession, assert_envelope


async def test_failed_and_successful_logins_are_recorded(admin: ApiSession, anonymous: ApiSession) -> None:
    await anonymous.fails("POST", "/auth/login", 40100, json={"username": "admin", "password": "nope-nope"},
                          headers={"X-Request-ID": "failed-login-1"})
    await anonymous.fails("POST", "/auth/login", 40100, json={"username": "ghost", "password": "nope-nope"})
    await anonymous.ok("POST", "/auth/login", json={"username": "admin", "password": "admin-password-1"},
                       headers={"X-Request-ID": "good-login-1"})

    failed = await admin.ok("GET", "/audit-logs?action=login.failed")
    assert [(e["username"], e["detail"]["reason"]) for e in failed] == [("ghost", "unknown user"),
                                                                        ("admin", "bad password")]
    bad_password = failed[1]
    assert bad_password["requestId"] == "failed-login-1"
    assert bad_password["code"] == 40100 and bad_password["clientIp"] == "127.0.0.1"
    assert bad_password["userId"] == 1
    assert failed[0]["userId"] is None

    logins = await admin.ok("GET", "/audit-logs?action=login")
    assert logins[0]["requestId"] == "good-login-1" and logins[0]["code"] == 0
    assert len(logins) == 2  # the admin fixture's own login too


async def test_admin_actions_are_recorded(admin: ApiSession) -> None:
    user = await create_user(admin, "newbie", role="dev")
    await admin.ok("PUT", f"/users/{user['id']}", json={"role": "ops"})
    await admin.ok("DELETE", f"/users/{user['id']}")
    await admin.ok("POST", "/api-keys", json={"name": "ci", "currentPassword": "admin-password-1"})
    entries = await admin.ok("GET", "/audit-logs?user=admin")
    actions = [e["action"] for e in entries]
    assert actions[:4] == ["apikey.create", "user.delete", "user.update", "user.create"]
    assert entries[2]["detail"] == {"fields": ["role"]} and entries[2]["name"] == "newbie"
    assert entries[3]["detail"] == {"role": "dev"}


async def test_filters(admin: ApiSession, anonymous: ApiSession) -> None:
    await user_session(admin, anonymous, "ops-one", role="ops")
    await anonymous.fails("POST", "/auth/login", 40100, json={"username": "ops-one", "password": "wrong-one"})
    by_user = await admin.ok("GET", "/audit-logs?user=ops-one")
    assert {e["action"] for e in by_user} == {"login", "login.failed"}
    assert all(e["username"] == "ops-one" for e in by_user)
    both = await admin.ok("GET", "/audit-logs?user=ops-one&action=login")
    assert len(both) == 1

    future = urllib.parse.quote((dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat())
    assert await admin.ok("GET", f"/audit-logs?since={future}") == []
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(await admin.ok("GET", f"/audit-logs?since={past}")) >= 3
    assert await admin.ok("GET", "/audit-logs?cluster=7") == []


async def test_paging_and_total(admin: ApiSession, anonymous: ApiSession) -> None:
    for attempt in range(5):
        await anonymous.fails("POST", "/auth/login", 40100,
                              json={"username": f"nobody{attempt}", "password": "whatever-1"})
    first = await admin.call("GET", "/audit-logs?action=login.failed&pageSize=2")
    assert_envelope(first)
    assert first["meta"]["total"] == 5 and first["meta"]["page"] == 1 and first["meta"]["pageSize"] == 2
    assert [e["username"] for e in first["data"]] == ["nobody4", "nobody3"]
    third = await admin.call("GET", "/audit-logs?action=login.failed&pageSize=2&page=3")
    assert third["meta"]["total"] == 5
    assert [e["username"] for e in third["data"]] == ["nobody0"]
    beyond = await admin.call("GET", "/audit-logs?action=login.failed&pageSize=2&page=9")
    assert beyond["data"] == [] and beyond["meta"]["total"] == 5


@pytest.mark.parametrize("query", ["page=0", "page=x", "pageSize=501", "pageSize=0", "since=yesterday",
                                   "cluster=abc"])
async def test_bad_query_parameters_are_40002(admin: ApiSession, query: str) -> None:
    await admin.fails("GET", f"/audit-logs?{query}", 40002)


async def test_ops_may_read_dev_and_readonly_may_not(admin: ApiSession, anonymous: ApiSession) -> None:
    ops = await user_session(admin, anonymous, "ops-user", role="ops")
    assert await ops.ok("GET", "/audit-logs")
    for role in ("dev", "readonly"):
        session = await user_session(admin, anonymous, f"{role}-user", role=role)
        body = await session.fails("GET", "/audit-logs", 40300)
        assert role in body["message"]
    await anonymous.fails("GET", "/audit-logs", 40100)
