"""Pod log sockets, downloads and aggregated workload logs through the real API server and the kubelet
stand-in (log line `i` of a container is `line {i} from {pod}/{container}`; 20 historic lines, 60 s apart)."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest

from kubevision.auth.service import AUTH
from kubevision.auth.tokens import TokenType
from kubevision.kube import logs as logs_module
from kubevision.kube.logs import LogBuffer, workload_selector
from tests.envtest.kubelet import KubeletStandIn
from tests.helpers import ApiSession, wait_until
from tests.kube.conftest import make_user
from tests.kube.streaming import (
    NODE,
    assert_closed,
    connect,
    frames_until,
    next_frame,
    pod_manifest,
    running_pod,
    ticket,
)

STAMP_RE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z"


def logs_path(cid: int, namespace: str, pod: str) -> str:
    return f"/clusters/{cid}/namespaces/{namespace}/pods/{pod}/logs"


async def lines_until(ws: aiohttp.ClientWebSocketResponse, count: int) -> list:
    """At least `count` lines from `log` frames."""
    lines: list = []
    while len(lines) < count:
        frame = await next_frame(ws)
        assert frame["type"] == "log", frame
        lines.extend(frame["lines"])
    return lines


async def test_tail_then_follow(admin: ApiSession, cid: int, namespace: str, kubelet: KubeletStandIn) -> None:
    await running_pod(admin, cid, namespace, "follow")
    ws = await connect(admin, logs_path(cid, namespace, "follow"), {"tailLines": 3})
    try:
        n = kubelet.log_lines
        lines = await lines_until(ws, 6)
        assert lines[:6] == [f"line {i} from follow/main" for i in range(n - 2, n + 4)]
    finally:
        await ws.close()


async def test_without_follow_ends(admin: ApiSession, cid: int, namespace: str, kubelet: KubeletStandIn) -> None:
    await running_pod(admin, cid, namespace, "once")
    ws = await connect(admin, logs_path(cid, namespace, "once"), {"tailLines": 2, "follow": "false"})
    frames = await frames_until(ws, lambda f: f["type"] == "end")
    lines = [line for f in frames if f["type"] == "log" for line in f["lines"]]
    n = kubelet.log_lines
    assert lines == [f"line {n - 1} from once/main", f"line {n} from once/main"]
    await assert_closed(ws)


async def test_timestamps_previous_since(admin: ApiSession, cid: int, namespace: str,
                                         kubelet: KubeletStandIn) -> None:
    await running_pod(admin, cid, namespace, "opts")
    n = kubelet.log_lines
    ws = await connect(admin, logs_path(cid, namespace, "opts"),
                       {"tailLines": 1, "timestamps": "true", "follow": "false"})
    [line] = await lines_until(ws, 1)
    assert re.fullmatch(rf"{STAMP_RE} line {n} from opts/main", line)
    assert (await next_frame(ws))["type"] == "end"

    ws = await connect(admin, logs_path(cid, namespace, "opts"), {"tailLines": 1, "previous": "true"})
    assert await lines_until(ws, 1) == [f"previous line {n} from opts/main"]
    assert (await next_frame(ws))["type"] == "end"  # a previous instance's log never follows

    ws = await connect(admin, logs_path(cid, namespace, "opts"), {"sinceSeconds": 90, "follow": "false"})
    frames = await frames_until(ws, lambda f: f["type"] == "end")
    assert [line for f in frames if f["type"] == "log" for line in f["lines"]] == [
        f"line {n - 1} from opts/main", f"line {n} from opts/main"]


async def test_download_is_an_attachment(admin: ApiSession, cid: int, namespace: str, client,
                                         kubelet: KubeletStandIn) -> None:
    await running_pod(admin, cid, namespace, "dl")
    path = f"/api/v1{logs_path(cid, namespace, 'dl')}/download"
    response = await client.get(path, params={"ticket": await ticket(admin), "tailLines": "3",
                                              "follow": "true"})
    assert response.status == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="dl-main.log"'
    assert response.content_type == "text/plain"
    n = kubelet.log_lines
    assert (await response.text()).splitlines() == [f"line {i} from dl/main" for i in range(n - 2, n + 1)]

    refused = await client.get(path)
    assert refused.status == 401
    missing = await client.get(f"/api/v1{logs_path(cid, namespace, 'nope')}/download",
                               params={"ticket": await ticket(admin)})
    assert (await missing.json())["code"] == 40400


async def test_container_choice(admin: ApiSession, cid: int, namespace: str, kubelet: KubeletStandIn) -> None:
    await running_pod(admin, cid, namespace, "two", containers=("app", "sidecar"))
    ws = await connect(admin, logs_path(cid, namespace, "two"))
    error = await next_frame(ws)
    assert error["type"] == "error" and error["code"] == 40001
    assert error["data"]["containers"] == ["app", "sidecar"] and "app, sidecar" in error["message"]
    await assert_closed(ws)

    ws = await connect(admin, logs_path(cid, namespace, "two"), {"container": "nope"})
    assert (await next_frame(ws))["code"] == 40400

    ws = await connect(admin, logs_path(cid, namespace, "two"),
                       {"container": "sidecar", "tailLines": 1, "follow": "false"})
    assert await lines_until(ws, 1) == [f"line {kubelet.log_lines} from two/sidecar"]

    await running_pod(admin, cid, namespace, "annotated", containers=("app", "sidecar"),
                      annotations={"kubectl.kubernetes.io/default-container": "sidecar"})
    ws = await connect(admin, logs_path(cid, namespace, "annotated"), {"tailLines": 1, "follow": "false"})
    assert await lines_until(ws, 1) == [f"line {kubelet.log_lines} from annotated/sidecar"]

    ws = await connect(admin, logs_path(cid, namespace, "ghost"))
    assert (await next_frame(ws))["code"] == 40400
    ws = await connect(admin, logs_path(cid, namespace, "two"), {"tailLines": "-1"})
    assert (await next_frame(ws))["code"] == 40002


async def test_upgrade_refusals(admin: ApiSession, cid: int, namespace: str, client) -> None:
    url = f"/api/v1{logs_path(cid, namespace, 'any')}"
    for query, status in (("", 401), ("?ticket=forged", 401)):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect(url + query)
        assert refused.value.status == status
    used = await ticket(admin)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(f"{url}?ticket={used}", headers={"Origin": "https://evil.example"})
    assert refused.value.status == 403
    ws = await client.ws_connect(f"{url}?ticket={used}")
    await ws.close()
    with pytest.raises(aiohttp.WSServerHandshakeError) as reused:
        await client.ws_connect(f"{url}?ticket={used}")
    assert reused.value.status == 401
    admin_id = (await admin.ok("GET", "/users/me"))["id"]
    expired = client.app[AUTH].codec.issue(TokenType.WEBSOCKET, user_id=admin_id, version=1, ttl_s=-60).token
    with pytest.raises(aiohttp.WSServerHandshakeError) as late:
        await client.ws_connect(f"{url}?ticket={expired}")
    assert late.value.status == 401


async def test_permissions(admin: ApiSession, cid: int, namespace: str, kubelet: KubeletStandIn) -> None:
    await running_pod(admin, cid, namespace, "guarded")
    no_logs = await make_user(admin, "nologs", "custom", permissions=["pods:read"])
    ws = await connect(no_logs, logs_path(cid, namespace, "guarded"))
    assert (await next_frame(ws))["code"] == 40300
    await assert_closed(ws)
    elsewhere = await make_user(admin, "elsewhere", "readonly", namespaces=["default"])
    ws = await connect(elsewhere, logs_path(cid, namespace, "guarded"))
    assert (await next_frame(ws))["code"] == 40302
    ws = await connect(elsewhere, f"/clusters/{cid}/namespaces/{namespace}/deployments/x/logs")
    assert (await next_frame(ws))["code"] == 40302
    reader = await make_user(admin, "reader", "readonly", namespaces=[namespace])
    ws = await connect(reader, logs_path(cid, namespace, "guarded"), {"tailLines": 1, "follow": "false"})
    assert await lines_until(ws, 1) == [f"line {kubelet.log_lines} from guarded/main"]


def deployment(name: str, replicas: int) -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"nodeName": NODE, "containers": [{"name": "main", "image": "busybox"}]}}}}


async def test_aggregated_deployment_logs(admin: ApiSession, cid: int, namespace: str,
                                          kubelet: KubeletStandIn) -> None:
    base = f"/clusters/{cid}/resources"
    await admin.ok("POST", f"{base}/deployments?namespace={namespace}", json=deployment("web", 2))

    async def two_running() -> list[str] | None:
        pods = await admin.ok("GET", f"{base}/pods?namespace={namespace}&labelSelector=app=web")
        running = [p["metadata"]["name"] for p in pods if (p.get("status") or {}).get("phase") == "Running"]
        return running if len(running) == 2 else None

    first = await wait_until(two_running, timeout_s=45, what="2 running web pods")
    ws = await connect(admin, f"/clusters/{cid}/namespaces/{namespace}/deployments/web/logs", {"tailLines": 1})
    try:
        seen_lines: dict[str, list[str]] = {}

        def record(frame: dict) -> None:
            for entry in frame.get("lines", []):
                assert entry["container"] == "main"
                assert entry["line"].endswith(f" from {entry['pod']}/main")
                seen_lines.setdefault(entry["pod"], []).append(entry["line"])

        frames = await frames_until(ws, lambda f: (record(f), set(first) <= {p for p, v in seen_lines.items()
                                                                              if len(v) >= 2})[1])
        started = {f["pod"] for f in frames if f["type"] == "pod-start"}
        assert started == set(first)

        await admin.ok("PATCH", f"{base}/deployments/web?namespace={namespace}",
                       json={"type": "merge", "patch": {"spec": {"replicas": 3}}})
        joined = await frames_until(ws, lambda f: (record(f), f["type"] == "pod-start")[1])
        newcomer = joined[-1]["pod"]
        assert newcomer not in first
        await frames_until(ws, lambda f: (record(f), len(seen_lines.get(newcomer, [])) >= 2)[1])

        await admin.ok("DELETE", f"{base}/pods/{first[0]}?namespace={namespace}&gracePeriodSeconds=0")
        ended = await frames_until(ws, lambda f: (record(f), f["type"] == "pod-end" and f["pod"] == first[0])[1])
        assert ended[-1]["reason"] == "deleted"
    finally:
        await ws.close()


async def test_selector_logs_without_follow(admin: ApiSession, cid: int, namespace: str,
                                            kubelet: KubeletStandIn) -> None:
    for name in ("sel-a", "sel-b"):
        await running_pod(admin, cid, namespace, name, labels={"tier": "api"})
    await running_pod(admin, cid, namespace, "other", labels={"tier": "db"})
    ws = await connect(admin, f"/clusters/{cid}/namespaces/{namespace}/logs",
                       {"labelSelector": "tier=api", "follow": "false", "tailLines": 2})
    frames = await frames_until(ws, lambda f: f["type"] == "end")
    entries = [entry for f in frames if f["type"] == "log" for entry in f["lines"]]
    assert {e["pod"] for e in entries} == {"sel-a", "sel-b"}
    assert len(entries) == 4
    assert {f["pod"] for f in frames if f["type"] == "pod-end"} == {"sel-a", "sel-b"}
    for pod in ("sel-a", "sel-b"):  # each pod's end follows its lines
        last_line = max(i for i, f in enumerate(frames)
                        if f["type"] == "log" and any(e["pod"] == pod for e in f["lines"]))
        end_at = next(i for i, f in enumerate(frames) if f["type"] == "pod-end" and f["pod"] == pod)
        assert end_at > last_line

    ws = await connect(admin, f"/clusters/{cid}/namespaces/{namespace}/logs")
    assert (await next_frame(ws))["code"] == 40001
    ws = await connect(admin, f"/clusters/{cid}/namespaces/{namespace}/services/kubernetes/logs")
    assert (await next_frame(ws))["code"] == 40002
    ws = await connect(admin, f"/clusters/{cid}/namespaces/{namespace}/deployments/missing/logs")
    assert (await next_frame(ws))["code"] == 40400


async def test_pending_pod_joins_when_it_starts(admin: ApiSession, cid: int, namespace: str,
                                                kubelet: KubeletStandIn) -> None:
    ws = await connect(admin, f"/clusters/{cid}/namespaces/{namespace}/logs",
                       {"labelSelector": "late=yes", "tailLines": 1})
    try:
        await asyncio.sleep(0.5)
        await running_pod(admin, cid, namespace, "latecomer", labels={"late": "yes"})
        frames = await frames_until(ws, lambda f: f["type"] == "log")
        assert frames[0] == {"type": "pod-start", "pod": "latecomer", "containers": ["main"]}
    finally:
        await ws.close()



async def restart(admin: ApiSession, cid: int, namespace: str, pod: str, count: int) -> None:
    """Make the kubelet stand-in restart the pod's containers (restartCount becomes `count`)."""
    annotations = {"kubevision.test/restarts": str(count)}
    await admin.ok("PATCH", f"/clusters/{cid}/resources/pods/{pod}?namespace={namespace}",
                   json={"type": "merge", "patch": {"metadata": {"annotations": annotations}}})


async def test_aggregated_logs_follow_a_restarted_container(admin: ApiSession, cid: int, namespace: str,
                                                            kubelet: KubeletStandIn) -> None:
    """A container restart ends its stream; the socket follows the new instance from its first line."""
    await running_pod(admin, cid, namespace, "crashy", labels={"app": "crashy"})
    ws = await connect(admin, f"/clusters/{cid}/namespaces/{namespace}/logs",
                       {"labelSelector": "app=crashy", "tailLines": 1})
    try:
        await frames_until(ws, lambda f: f["type"] == "log")
        await restart(admin, cid, namespace, "crashy", 1)
        frames = await frames_until(ws, lambda f: f["type"] == "container-restart")
        assert frames[-1] == {"type": "container-restart", "pod": "crashy", "container": "main", "restartCount": 1}
        assert not any(f["type"] == "pod-end" for f in frames)
        after = await frames_until(ws, lambda f: f["type"] == "log" and any(
            e["line"] == f"line {kubelet.log_lines + 1} from crashy/main after restart 1" for e in f["lines"]))
        lines = [e["line"] for f in after if f["type"] == "log" for e in f["lines"]]
        # The whole log of the new instance, then its followed lines; nothing from the old one.
        assert lines[0] == "line 1 from crashy/main after restart 1"
        assert all(line.endswith("after restart 1") for line in lines)

        # The next restart is followed as well.
        await restart(admin, cid, namespace, "crashy", 2)
        await frames_until(ws, lambda f: f["type"] == "container-restart" and f["restartCount"] == 2)
    finally:
        await ws.close()


async def test_pod_logs_follow_restarts_when_asked(admin: ApiSession, cid: int, namespace: str,
                                                  kubelet: KubeletStandIn) -> None:
    """`followRestarts=true` keeps the socket through a restart; without it a restart ends the stream."""
    for name in ("phoenix", "plain"):
        await running_pod(admin, cid, namespace, name)
    plain = await connect(admin, logs_path(cid, namespace, "plain"), {"tailLines": 1})
    phoenix = await connect(admin, logs_path(cid, namespace, "phoenix"), {"tailLines": 1, "followRestarts": "true"})
    try:
        for ws in (plain, phoenix):
            await lines_until(ws, 1)
        await restart(admin, cid, namespace, "plain", 1)
        assert (await frames_until(plain, lambda f: f["type"] != "log"))[-1] == {"type": "end"}

        await restart(admin, cid, namespace, "phoenix", 1)
        frames = await frames_until(phoenix, lambda f: f["type"] != "log")
        assert frames[-1] == {"type": "container-restart", "container": "main", "restartCount": 1}
        assert (await lines_until(phoenix, 1))[0] == "line 1 from phoenix/main after restart 1"
        await admin.ok("DELETE", f"/clusters/{cid}/resources/pods/phoenix?namespace={namespace}&gracePeriodSeconds=0")
        assert (await frames_until(phoenix, lambda f: f["type"] != "log"))[-1] == {"type": "end"}
    finally:
        await plain.close()
        await phoenix.close()

# -- units -------------------------------------------------------------------------------------------------
def test_workload_selector_renders_expressions() -> None:
    workload = {"spec": {"selector": {"matchLabels": {"app": "web"}, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["a", "b"]},
        {"key": "canary", "operator": "DoesNotExist"}]}}}
    assert workload_selector(workload) == "app=web,tier in (a,b),!canary"


async def test_buffer_applies_back_pressure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs_module, "BATCH_WINDOW_S", 0)
    buffer = LogBuffer(max_bytes=10)
    await buffer.put_lines(["0123456789"], 10)
    blocked = asyncio.ensure_future(buffer.put_lines(["more"], 4))
    await asyncio.sleep(0.05)
    assert not blocked.done() and buffer.buffered_bytes == 10  # the reader waits; nothing grows
    frames = buffer.next_frames()
    assert await anext(frames) == {"type": "log", "lines": ["0123456789"]}
    await asyncio.wait_for(blocked, 1)
    buffer.put_frame({"type": "end"})
    assert await anext(frames) == {"type": "log", "lines": ["more"]}
    assert await anext(frames) == {"type": "end"}
    await frames.aclose()


async def test_a_pending_pod_says_why_then_streams_once_it_runs(admin: ApiSession, cid: int, namespace: str,
                                                                 kubelet: KubeletStandIn, control_plane) -> None:
    """An unschedulable pod: `waiting` with the scheduler's reason instead of the API server's error; once the
    pod is bound to a node and its container runs, `started` and the log follow on the same socket."""
    manifest = pod_manifest("stuck")
    del manifest["spec"]["nodeName"]
    manifest["spec"]["nodeSelector"] = {"kubevision.test/no-such-label": "x"}
    await admin.ok("POST", f"/clusters/{cid}/resources/pods?namespace={namespace}", json=manifest)

    async def unschedulable() -> bool:
        pod = await admin.ok("GET", f"/clusters/{cid}/resources/pods/stuck?namespace={namespace}")
        return any(c["type"] == "PodScheduled" and c["status"] == "False" for c in pod["status"].get("conditions", []))
    await wait_until(unschedulable, timeout_s=30, what="the scheduler to give up on the pod")

    once = await connect(admin, logs_path(cid, namespace, "stuck"), {"follow": "false"})
    frames = await frames_until(once, lambda f: f["type"] in ("end", "error"))
    assert [f["type"] for f in frames] == ["waiting", "end"], frames
    assert frames[0]["reason"] == "Unschedulable" and "node" in frames[0]["message"], frames
    await assert_closed(once)

    ws = await connect(admin, logs_path(cid, namespace, "stuck"), {"tailLines": 2})
    try:
        waiting = await next_frame(ws)
        assert waiting["type"] == "waiting" and waiting["container"] == "main", waiting
        status, body = await asyncio.to_thread(
            control_plane.request, "POST", f"/api/v1/namespaces/{namespace}/pods/stuck/binding",
            {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "stuck"},
             "target": {"apiVersion": "v1", "kind": "Node", "name": kubelet.node_name}})
        assert status == 201, body
        frames = await frames_until(ws, lambda f: f["type"] == "log")
        assert frames[-2] == {"type": "started", "container": "main"}, frames
        assert "error" not in [f["type"] for f in frames]
        assert frames[-1]["lines"][0] == f"line {kubelet.log_lines - 1} from stuck/main"
    finally:
        await ws.close()
