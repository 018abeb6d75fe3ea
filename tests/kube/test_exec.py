"""Pod terminals through the real API server and the kubelet stand-in (which echoes stdin, answers a
resize with `resize COLSxROWS`, ends on `exit`, and fails commands named in the pod annotation
`kubevision.test/missing-commands`), plus recordings and the terminal-sessions API."""

from __future__ import annotations

import asyncio
import datetime as dt
import os

import aiohttp
import orjson
import pytest
import sqlalchemy as sa

from kubevision.api import websocket as websocket_module
from kubevision.services.recordings import TERMINAL_SESSIONS
from kubevision.store import STORE
from kubevision.store.models import terminal_sessions
from tests.envtest.kubelet import MISSING_COMMANDS_ANNOTATION, KubeletStandIn
from tests.helpers import ADMIN_PASSWORD, ApiSession, wait_until
from tests.kube.conftest import make_user
from tests.kube.streaming import RECEIVE_TIMEOUT_S, assert_closed, connect, next_frame, running_pod


def exec_path(cid: int, namespace: str, pod: str) -> str:
    return f"/clusters/{cid}/namespaces/{namespace}/pods/{pod}/exec"


async def output_until(ws: aiohttp.ClientWebSocketResponse, needle: str) -> str:
    """Terminal output (text frames that are not control frames) until it contains `needle`."""
    async def read() -> str:
        seen = ""
        while needle not in seen:
            message = await ws.receive()
            assert message.type == aiohttp.WSMsgType.TEXT, f"socket ended; output so far {seen!r}"
            assert not message.data.startswith('{"type":'), message.data
            seen += message.data
        return seen
    return await asyncio.wait_for(read(), RECEIVE_TIMEOUT_S)


async def control_frame(ws: aiohttp.ClientWebSocketResponse, wanted: str) -> dict:
    """Skip output until the control frame `wanted`."""
    async def read() -> dict:
        while True:
            message = await ws.receive()
            assert message.type == aiohttp.WSMsgType.TEXT, message
            if message.data.startswith('{"type":'):
                frame = orjson.loads(message.data)
                if frame["type"] == wanted:
                    return frame
    return await asyncio.wait_for(read(), RECEIVE_TIMEOUT_S)


async def test_round_trip_resize_exit_and_recording(admin: ApiSession, cid: int, namespace: str,
                                                    kubelet: KubeletStandIn) -> None:
    await running_pod(admin, cid, namespace, "term")
    ws = await connect(admin, exec_path(cid, namespace, "term"), {"cols": 90, "rows": 20})
    started = await next_frame(ws, "started")
    assert started["command"] == ["bash"] and started["container"] == "main" and started["recorded"] is True
    await ws.send_str("echo hello\r")
    assert "echo hello" in await output_until(ws, "echo hello")
    await ws.send_bytes(b"binary keys\r")
    await output_until(ws, "binary keys")
    await ws.send_str('{"type":"resize","cols":120,"rows":40}')
    await output_until(ws, "resize 120x40")
    await ws.send_str("{not a control frame")
    await output_until(ws, "not a control frame")
    await ws.send_str("exit\r")
    exit_frame = await control_frame(ws, "exit")
    assert exit_frame["status"] == "Success" and exit_frame["exitCode"] == 0
    await assert_closed(ws)

    seen = next(s for s in kubelet.exec_sessions if s.namespace == namespace and s.pod == "term")
    assert seen.tty and seen.command == ["bash"] and seen.resizes == [(90, 20), (120, 40)]

    session_id = started["sessionId"]

    async def ended() -> dict | None:
        session = await admin.ok("GET", f"/terminal-sessions/{session_id}")
        return session if session["endedAt"] else None

    session = await wait_until(ended, what="the session row to be completed")
    assert session["exitStatus"] == "Success" and session["exitCode"] == 0 and session["recorded"]
    assert session["pod"] == "term" and session["namespace"] == namespace and session["command"] == ["bash"]
    assert session["username"] == "admin" and session["bytes"] > 0

    response = await admin.client.get(f"/api/v1/terminal-sessions/{session_id}/recording",
                                      headers=admin.headers())
    assert response.status == 200 and response.content_type == "application/x-asciicast"
    header, *events = [orjson.loads(line) for line in (await response.text()).splitlines()]
    assert header["version"] == 2 and (header["width"], header["height"]) == (90, 20)
    assert isinstance(header["timestamp"], int) and "term" in header["title"]
    output = "".join(data for _, kind, data in events if kind == "o")
    assert "echo hello" in output and "resize 120x40" in output
    assert [data for _, kind, data in events if kind == "r"] == ["90x20", "120x40"]
    assert all(kind in ("o", "r") for _, kind, _ in events)  # keystrokes are not recorded
    times = [t for t, _, _ in events]
    assert times == sorted(times)

    audit = await admin.ok("GET", "/audit-logs?action=pod.exec")
    entry = next(e for e in audit if e["namespace"] == namespace)
    assert entry["name"] == "term" and entry["username"] == "admin"
    assert entry["detail"]["container"] == "main" and entry["detail"]["sessionId"] == session_id


async def test_bash_falls_back_to_sh(admin: ApiSession, cid: int, namespace: str, kubelet: KubeletStandIn) -> None:
    await running_pod(admin, cid, namespace, "nobash", annotations={MISSING_COMMANDS_ANNOTATION: "bash"})
    ws = await connect(admin, exec_path(cid, namespace, "nobash"))
    started = await next_frame(ws, "started")
    assert started["command"] == ["sh"]
    await ws.send_str("whoami\r")
    output = await output_until(ws, "whoami")
    assert "executable file not found" not in output  # the failed bash attempt stays invisible
    await ws.send_str("exit\r")
    assert (await control_frame(ws, "exit"))["status"] == "Success"
    commands = [s.command for s in kubelet.exec_sessions if s.namespace == namespace and s.pod == "nobash"]
    assert commands == [["bash"], ["sh"]]

    # An explicit command gets no fallback: its failure is the exit status.
    ws = await connect(admin, exec_path(cid, namespace, "nobash"), [("command", "bash"), ("command", "-l")])
    assert (await next_frame(ws, "started"))["command"] == ["bash", "-l"]
    exit_frame = await control_frame(ws, "exit")
    assert exit_frame["status"] == "Failure" and exit_frame["exitCode"] == 126
    assert exit_frame["reason"] == "NonZeroExitCode"
    await assert_closed(ws)


async def test_browser_leaving_ends_the_session(admin: ApiSession, cid: int, namespace: str,
                                                kubelet: KubeletStandIn) -> None:
    await running_pod(admin, cid, namespace, "leaver")
    ws = await connect(admin, exec_path(cid, namespace, "leaver"), [("command", "/bin/sh")])
    session_id = (await next_frame(ws, "started"))["sessionId"]
    await ws.send_str("still here\r")
    await output_until(ws, "still here")
    await ws.close()

    async def ended() -> dict | None:
        session = await admin.ok("GET", f"/terminal-sessions/{session_id}")
        return session if session["endedAt"] else None

    session = await wait_until(ended, what="the session to end with the browser")
    assert session["exitStatus"] is None and session["command"] == ["/bin/sh"]


async def test_refusals(admin: ApiSession, cid: int, namespace: str, client, kubelet: KubeletStandIn) -> None:
    await running_pod(admin, cid, namespace, "locked")
    url = f"/api/v1{exec_path(cid, namespace, 'locked')}"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(url)
    assert refused.value.status == 401
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(f"{url}?ticket=forged")
    assert refused.value.status == 401
    ticket = (await admin.ok("POST", "/ws/ticket"))["ticket"]
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(f"{url}?ticket={ticket}", headers={"Origin": "http://evil.example"})
    assert refused.value.status == 403

    reader = await make_user(admin, "peek", "readonly")
    ws = await connect(reader, exec_path(cid, namespace, "locked"))
    assert (await next_frame(ws))["code"] == 40300
    await assert_closed(ws)
    confined = await make_user(admin, "confined", "dev", namespaces=["default"])
    ws = await connect(confined, exec_path(cid, namespace, "locked"))
    assert (await next_frame(ws))["code"] == 40302
    ws = await connect(admin, exec_path(cid, namespace, "ghost"))
    assert (await next_frame(ws))["code"] == 40400
    ws = await connect(admin, exec_path(cid, namespace, "locked"), {"container": "nope"})
    assert (await next_frame(ws))["code"] == 40400
    assert not [s for s in kubelet.exec_sessions if s.namespace == namespace]


async def test_sessions_api_own_and_admin(admin: ApiSession, cid: int, namespace: str,
                                          kubelet: KubeletStandIn) -> None:
    await running_pod(admin, cid, namespace, "shared")
    alice = await make_user(admin, "alice", "dev")
    bob = await make_user(admin, "bob", "dev")
    ids = {}
    for name, session in (("alice", alice), ("bob", bob)):
        ws = await connect(session, exec_path(cid, namespace, "shared"), [("command", "sh")])
        ids[name] = (await next_frame(ws, "started"))["sessionId"]
        await ws.send_str("exit\r")
        await control_frame(ws, "exit")
        await ws.close()

    body = await alice.call("GET", "/terminal-sessions")
    assert [s["id"] for s in body["data"]] == [ids["alice"]] and body["meta"]["total"] == 1
    await alice.fails("GET", f"/terminal-sessions/{ids['bob']}", 40300)
    await alice.fails("GET", f"/terminal-sessions/{ids['bob']}/recording", 40300)
    await alice.fails("GET", "/terminal-sessions/01NOSUCHSESSION", 40400)
    response = await alice.client.get(f"/api/v1/terminal-sessions/{ids['alice']}/recording",
                                      headers=alice.headers())
    assert response.status == 200

    everyone = await admin.call("GET", "/terminal-sessions?pageSize=1")
    assert everyone["meta"]["total"] >= 2 and len(everyone["data"]) == 1
    assert everyone["data"][0]["id"] == ids["bob"]  # newest first
    assert (await admin.ok("GET", f"/terminal-sessions/{ids['alice']}"))["username"] == "alice"
    bob_id = (await bob.ok("GET", "/users/me"))["id"]
    only_bob = await admin.ok("GET", f"/terminal-sessions?user={bob_id}")
    assert [s["id"] for s in only_bob] == [ids["bob"]]


@pytest.mark.parametrize("settings_overrides", [{"record_sessions": False}], indirect=True)
async def test_recording_can_be_switched_off(admin: ApiSession, cid: int, namespace: str,
                                             kubelet: KubeletStandIn, app) -> None:
    await running_pod(admin, cid, namespace, "quiet")
    ws = await connect(admin, exec_path(cid, namespace, "quiet"), [("command", "sh")])
    started = await next_frame(ws, "started")
    assert started["recorded"] is False
    await ws.close()
    await admin.fails("GET", f"/terminal-sessions/{started['sessionId']}/recording", 40400)
    assert not (app[TERMINAL_SESSIONS].directory).exists()


async def test_retention_purge(admin: ApiSession, cid: int, namespace: str, kubelet: KubeletStandIn,
                               app) -> None:
    await running_pod(admin, cid, namespace, "old")
    ws = await connect(admin, exec_path(cid, namespace, "old"), [("command", "sh")])
    session_id = (await next_frame(ws, "started"))["sessionId"]
    await ws.send_str("exit\r")
    await control_frame(ws, "exit")
    await ws.close()
    sessions = app[TERMINAL_SESSIONS]
    recording = sessions.directory / f"{session_id}.cast"
    assert recording.is_file() and oct(recording.stat().st_mode & 0o777) == "0o600"
    stray = sessions.directory / "stray.cast"
    stray.write_text("{}\n")
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    async with app[STORE].transaction() as conn:
        await conn.execute(sa.update(terminal_sessions).where(terminal_sessions.c.id == session_id)
                           .values(started_at=long_ago))
    os.utime(stray, (long_ago.timestamp(), long_ago.timestamp()))
    assert await sessions.purge() == 1
    assert not recording.exists() and not stray.exists()
    await admin.fails("GET", f"/terminal-sessions/{session_id}", 40400)


async def test_revoked_user_loses_the_terminal(admin: ApiSession, cid: int, namespace: str,
                                               kubelet: KubeletStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(websocket_module, "REVALIDATE_INTERVAL_S", 0.2)
    await running_pod(admin, cid, namespace, "revoked")
    ws = await connect(admin, exec_path(cid, namespace, "revoked"), [("command", "sh")])
    session_id = (await next_frame(ws, "started"))["sessionId"]
    await admin.ok("POST", "/auth/logout-all")
    message = await asyncio.wait_for(ws.receive(), RECEIVE_TIMEOUT_S)
    assert message.type == aiohttp.WSMsgType.CLOSE and ws.close_code == websocket_module.CloseCode.REVOKED == 4001
    again = await ApiSession(admin.client).login("admin", ADMIN_PASSWORD)

    async def ended() -> dict | None:
        session = await again.ok("GET", f"/terminal-sessions/{session_id}")
        return session if session["endedAt"] else None

    await wait_until(ended, what="the revoked session to be completed")
