"""Every route and WebSocket of the route table, walked as a namespace-limited user and as a readonly user.

The routes come from the declarations the OpenAPI document is built from (`spec_of` on the app's routes), so a
new route is walked without touching this file; one that cannot be walked (a path parameter or a body this
walk does not know how to fill) fails the test until it is taught here or listed in `EXEMPT` with a reason.

World: two namespaces with objects of every walked kind (a pod running on the kubelet stand-in, configmaps,
secrets with known values, deployments, cronjobs, services, quotas, events) and an admin terminal session in
the second one. Then:

- the limited user (role dev, namespaces=[mine], clusters=[the admin cluster]) is walked with every path
  parameter filled with the other namespace, its objects and the other cluster: no answer and no frame holds a
  name of that namespace that the request did not itself name, nor a Secret value, nor the other cluster;
- the readonly user is walked the same way: every mutating route answers 40300/40301/40302 (or, for batches,
  only such per-item codes), no socket starts a terminal, and the objects of both namespaces and the node are
  unchanged, read straight from the API server;
- the admin's reads (no `reveal`) never hold a Secret value either, and do hold every name of the other
  namespace (so the walk reaches what it checks).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import datetime as dt
import re
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import orjson
import pytest
import yaml
from aiohttp import web

from kubevision.api.routing import API_PREFIX, RouteSpec, spec_of
from tests import helm_records
from tests.envtest.controlplane import ControlPlane
from tests.envtest.kubelet import KubeletStandIn
from tests.envtest.namespaces import create_namespace_sync, delete_namespace_sync
from tests.helpers import ApiSession
from tests.kube.conftest import configmap, make_user
from tests.kube.streaming import NODE, connect, next_frame, pod_manifest, wait_running

FORBIDDEN = frozenset({40300, 40301, 40302})
# A socket that stays open (a followed log) is read this long, then closed.
SOCKET_WINDOW_S = 3.0
# After the watch's own events arrived, this much longer for anything that should not come.
WATCH_DRAIN_S = 1.0
WATCH_EVENT_TIMEOUT_S = 15.0

_AUTH = "authentication of the caller itself: no cluster, namespace or object in it"
_USERS = "user administration (admin only): accounts and grants, not cluster objects"
_OWN = "the caller's own data (API keys, bookmarks), holding only what they stored themselves"
_MCP = ("MCP and its change requests: JSON-RPC tools over the same services, and approvals decided through the "
        "access scope of the change; walked as a namespace-limited, a readonly and a read-only-server caller in "
        "tests/api/test_mcp.py")
_FORWARD = ("one port-forward by id, owned by its creator (another user's answers 40300, refusals audited: "
            "tests/kube/test_port_forward_api.py); creating one names a cluster and namespace and is walked")
_PROXY = ("a port-forward's HTTP proxy, authenticated by its link's secret and checked as of each request (owner, "
          "role, grants, --read-only): tests/kube/test_forward_proxy.py")
EXEMPT: dict[tuple[str, str], str] = {
    ("POST", "/auth/login"): _AUTH, ("POST", "/auth/2fa/verify"): _AUTH, ("POST", "/auth/refresh"): _AUTH,
    ("POST", "/auth/logout"): _AUTH, ("POST", "/auth/logout-all"): _AUTH, ("POST", "/auth/bootstrap"): _AUTH,
    ("POST", "/auth/2fa/setup"): _AUTH, ("POST", "/auth/2fa/enable"): _AUTH, ("POST", "/auth/2fa/disable"): _AUTH,
    ("GET", "/auth/2fa/status"): _AUTH, ("POST", "/ws/ticket"): _AUTH, ("PUT", "/users/me/password"): _AUTH,
    ("GET", "/users/me"): _AUTH,
    ("GET", "/api-keys"): _OWN, ("POST", "/api-keys"): _OWN, ("DELETE", "/api-keys/{id}"): _OWN,
    ("GET", "/favorites"): _OWN, ("POST", "/favorites"): _OWN, ("DELETE", "/favorites/{id}"): _OWN,
    ("GET", "/users"): _USERS, ("POST", "/users"): _USERS, ("GET", "/users/{id}"): _USERS,
    ("PUT", "/users/{id}"): _USERS, ("DELETE", "/users/{id}"): _USERS,
    ("POST", "/users/{id}/reset-password"): _USERS, ("POST", "/users/{id}/reset-2fa"): _USERS,
    ("GET", "/info"): "server version and settings: nothing of any cluster",
    ("GET", "/openapi.json"): "the public API description: nothing of any cluster",
    ("POST", "/mcp"): _MCP, ("GET", "/mcp"): _MCP, ("DELETE", "/mcp"): _MCP,
    ("GET", "/approvals"): _MCP, ("GET", "/approvals/{id}"): _MCP, ("POST", "/approvals/{id}/approve"): _MCP,
    ("POST", "/approvals/{id}/deny"): _MCP,
    ("GET", "/approvals/settings"): _OWN, ("PUT", "/approvals/settings"): _OWN,
    ("GET", "/port-forwards/{forward}"): _FORWARD, ("PATCH", "/port-forwards/{forward}"): _FORWARD,
    ("DELETE", "/port-forwards/{forward}"): _FORWARD,
    ("POST", "/port-forwards/{forward}/proxy-links"): _FORWARD,
    **{(method, "/port-forwards/{forward}/proxy/{token}{path:(?:/.*)?}"): _PROXY
       for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")},
}

# The kinds a `{resource}` parameter is filled with; `SHORT` names the walk's object of each kind.
SHORT = {"configmaps": "cm", "secrets": "sec", "deployments": "dep", "pods": "pod", "cronjobs": "cron",
         "services": "svc", "resourcequotas": "quota", "events": "event"}
RESOURCES = (*SHORT, "namespaces", "nodes")
SECRET_VALUES = {"a": "walk-a-value-51d7c3", "b": "walk-b-value-9e04aa"}
# A Helm release in each namespace (records as Helm writes them), whose values and manifest hold a Secret value.
HELM_RELEASE = "walk-release"
PATH_PARAM = re.compile(r"{(\w+)(?::[^}]*)?}")


def object_name(side: str, resource: str) -> str:
    """The walk's object of a kind in namespace `side` ("a": the limited user's, "b": the other)."""
    return f"walk-{side}-{SHORT[resource]}"


def secret_markers() -> set[str]:
    """Every Secret value as stored and as shown in base64."""
    return {*SECRET_VALUES.values(), *(base64.b64encode(v.encode()).decode() for v in SECRET_VALUES.values())}


def manifest(resource: str, side: str, namespace: str) -> dict[str, Any]:
    """A manifest of one walked kind named after `side` (also "new" for objects a walk tries to create)."""
    name = object_name(side, resource) if resource in SHORT else f"walk-{side}-{resource}"
    labels = {"app": f"walk-{side}"}
    container = {"name": "main", "image": "busybox"}
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    bodies: dict[str, dict[str, Any]] = {
        "configmaps": configmap(name, namespace, note=f"{name} data"),
        "secrets": {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
                    "stringData": {"password": SECRET_VALUES.get(side, "walk-new-value")}},
        "deployments": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
                        "spec": {"replicas": 0, "selector": {"matchLabels": labels},
                                 "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}},
        "pods": pod_manifest(name, labels=labels),
        # CronJobs are batch/v1beta1 on the test control plane (1.20).
        "cronjobs": {"apiVersion": "batch/v1beta1", "kind": "CronJob", "metadata": {"name": name},
                     "spec": {"schedule": "0 0 1 1 *", "suspend": True, "jobTemplate": {"spec": {"template": {
                         "spec": {"restartPolicy": "Never", "containers": [container]}}}}}},
        "services": {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                     "spec": {"selector": labels, "ports": [{"port": 80}]}},
        "resourcequotas": {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": name},
                           "spec": {"hard": {"pods": "10"}}},
        "events": {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name}, "type": "Warning",
                   "reason": "Walk", "message": f"{name} happened", "firstTimestamp": now, "lastTimestamp": now,
                   "involvedObject": {"kind": "Pod", "name": object_name(side, "pods"), "namespace": namespace}},
        "namespaces": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        "nodes": {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}},
    }
    return bodies[resource]


@dataclasses.dataclass(frozen=True, kw_only=True)
class World:
    """What the walk fills path parameters with."""

    cid: int
    other_cid: int
    mine: str
    theirs: str
    session_id: str  # the admin's terminal session in `theirs`
    current: dict[str, Any]  # resource → the admin's view of the object in `theirs` (bodies of replaces)

    def name_of(self, resource: str) -> str:
        """The object a `{name}` of this kind names: in the other namespace (the namespace itself, the node)."""
        return {"namespaces": self.theirs, "nodes": NODE}.get(resource) or object_name("b", resource)


@dataclasses.dataclass(frozen=True)
class Call:
    """One request of the walk."""

    spec: RouteSpec
    path: str
    query: tuple[tuple[str, str], ...] = ()
    body: Any = None

    @property
    def text(self) -> str:
        """Everything the caller sent (what an answer may echo)."""
        return f"{self.path}?{urlencode(self.query)} {orjson.dumps(self.body).decode()}"


@dataclasses.dataclass
class Answer:
    """What came back: the envelope's code and data (HTTP), the frames (sockets), and all of it as text."""

    text: str
    code: int | None = None
    data: Any = None
    frames: list[Any] = dataclasses.field(default_factory=list)


def declared_routes(app: web.Application) -> list[RouteSpec]:
    """Every declared `/api/v1` route, as the OpenAPI document sees them."""
    seen: dict[tuple[str, str], RouteSpec] = {}
    for route in app.router.routes():
        spec = spec_of(route.handler)
        if spec is not None:
            seen.setdefault((spec.method, spec.path), spec)
    return list(seen.values())


# -- filling routes --------------------------------------------------------------------------------------
def _name_for(path: str, resource: str | None, world: World) -> str:
    if resource is not None:
        return world.name_of(resource)
    before = re.search(r"/([a-z]+|{kind})/{name}", path)
    kind = before.group(1) if before else None
    if kind == "{kind}":
        kind = "deployments"
    if kind == "releases":  # /helm/releases/{name}: the world's Helm release
        return HELM_RELEASE
    if kind not in (*SHORT, "nodes"):
        pytest.fail(f"cannot fill {{name}} of {path}: teach the walk which object it names")
    return world.name_of(kind)


def _body(spec: RouteSpec, resource: str | None, world: World) -> Any:
    """A valid body, so that a refusal is about access and not about the input."""
    theirs = world.theirs
    patch = {"type": "merge", "patch": {"metadata": {"labels": {"walk": "changed"}}}}
    if spec.path.endswith("/resources/{resource}") or spec.path.endswith("/resources/{resource}/dry-run"):
        return manifest(resource or "", "new", theirs)
    if spec.path.endswith("/resources/{resource}/{name}") or spec.path.endswith("/{name}/dry-run"):
        if spec.method == "PATCH":
            return patch
        current = world.current[resource or ""]
        return {**current, "metadata": {**current["metadata"], "labels": {"walk": "changed"}}}
    if spec.path == "/clusters/{id}/metrics/{resource}":  # the POST that reads: the other namespace's objects
        scope = "" if resource in ("namespaces", "nodes") else theirs
        return {"names": [f"{scope}/{world.name_of(resource or '')}"]}
    bodies: dict[str, Any] = {
        "/clusters/{id}/resources/batch-delete": {"items": [
            {"resource": r, "namespace": None if r == "namespaces" else theirs, "name": world.name_of(r)}
            for r in RESOURCES]},
        "/clusters/{id}/batch-restart": {"items": [
            {"kind": "deployments", "namespace": theirs, "name": world.name_of("deployments")}]},
        "/clusters/{id}/apply": {"namespace": theirs, "yaml": yaml.safe_dump(
            configmap(world.name_of("configmaps"), theirs, note="applied by the walk"))},
        "/clusters/{id}/namespaces/{ns}/{kind}/{name}/scale": {"replicas": 3},
        "/clusters/{id}/namespaces/{ns}/deployments/{name}/rollback": {"revision": 1},
        "/clusters/{id}/namespaces/{ns}/helm/releases/{name}/rollback": {"revision": 1},
        "/clusters": {"name": "walk-new-cluster", "kubeconfig": "apiVersion: v1\nkind: Config\n"},
        "/port-forwards": {"cluster": world.cid, "namespace": theirs, "kind": "deployments",
                           "name": world.name_of("deployments"), "port": 80},
    }
    if spec.path in bodies:
        return bodies[spec.path]
    if spec.body is not None and spec.body.get("required"):
        pytest.fail(f"no body for {spec.method} {spec.path}: give the walk a valid one")
    return None


def calls_of(spec: RouteSpec, world: World, *, clusters: tuple[int, ...]) -> Iterator[Call]:
    """Every request the walk makes of one route: each cluster, each walked kind, the other namespace (and no
    namespace, for reads), Secret reveals and table views where the route offers them."""
    params = PATH_PARAM.findall(spec.path)
    unknown = set(params) - {"id", "ns", "kind", "resource", "name", "session"}
    if unknown:
        pytest.fail(f"cannot fill {sorted(unknown)} of {spec.method} {spec.path}: teach the walk or exempt it")
    query_names = {q.name for q in spec.query}
    required = {q.name for q in spec.query if q.required} - {"ticket"}
    fixed = {"q": "walk", "labelSelector": "app=walk-b", "from": "1", "to": "1"}
    if required - fixed.keys():
        pytest.fail(f"cannot fill the query {sorted(required - fixed.keys())} of {spec.method} {spec.path}")
    base = [(name, fixed[name]) for name in sorted(required)]
    if "follow" in query_names:
        base.append(("follow", "false"))
    namespaces: list[str | None] = [world.theirs] if "namespace" in query_names else [None]
    if "namespace" in query_names and not spec.mutating:
        namespaces.append(None)
    extras: list[tuple[tuple[str, str], ...]] = [()]
    if "view" in query_names:
        extras.append((("view", "table"),))
    if "reveal" in query_names:
        extras.append((("reveal", "true"),))
    for cluster in clusters if "id" in params and spec.path.startswith("/clusters/") else (None,):
        for resource in RESOURCES if "resource" in params else (None,):
            values = {"id": str(cluster), "ns": world.theirs, "kind": "deployments", "resource": resource,
                      "session": world.session_id}
            if "name" in params:
                values["name"] = _name_for(spec.path, resource, world)
            path = PATH_PARAM.sub(lambda m, filled=values: str(filled[m.group(1)]), spec.path)
            body = _body(spec, resource, world) if spec.mutating or spec.body is not None else None
            for namespace in namespaces:
                for extra in extras:
                    query = (*base, *((("namespace", namespace),) if namespace else ()), *extra)
                    yield Call(spec, path, tuple(query), body)


# -- making calls ----------------------------------------------------------------------------------------
async def _ticket(session: ApiSession) -> str:
    return (await session.ok("POST", "/ws/ticket"))["ticket"]


async def http_answer(session: ApiSession, call: Call) -> Answer:
    query = list(call.query)
    if any(q.name == "ticket" for q in call.spec.query):
        query.append(("ticket", await _ticket(session)))
    response = await session.client.request(call.spec.method, API_PREFIX + call.path, params=query,
                                            json=call.body, headers=session.headers())
    text = await response.text()
    if response.content_type != "application/json":
        return Answer(text)
    body = orjson.loads(text)
    return Answer(text, body.get("code"), body.get("data"))


async def socket_answer(session: ApiSession, call: Call) -> Answer:
    """Frames until the server closes the socket, or for `SOCKET_WINDOW_S`."""
    try:
        ws = await connect(session, call.path, list(call.query))
    except aiohttp.WSServerHandshakeError as exc:
        return Answer(f"refused upgrade {exc.status} {exc.message}", code=exc.status)
    texts: list[str] = []
    frames: list[Any] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(SOCKET_WINDOW_S):
            while (message := await ws.receive()).type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                data = message.data if isinstance(message.data, str) else message.data.decode(errors="replace")
                texts.append(data)
                with contextlib.suppress(orjson.JSONDecodeError):
                    frames.append(orjson.loads(data))
    await ws.close()
    codes = [f.get("code") for f in frames if isinstance(f, dict) and f.get("type") == "error"]
    return Answer("\n".join(texts), code=codes[0] if codes else 0, frames=frames)


async def watch_answer(session: ApiSession, admin: ApiSession, world: World, *,
                       clusters: tuple[int, ...]) -> tuple[Answer, str]:
    """Subscribe to every walked kind (the other namespace and all, rows and objects, each cluster), then let
    the admin change an object of each namespace and collect what arrives; returns it and what was sent."""
    ws = await connect(session, "/ws/watch")
    subs = {}
    for cluster in clusters:
        for resource in RESOURCES:
            for namespace in (world.theirs, None):
                for view in ("table", "object"):
                    sub = f"{cluster}-{resource}-{namespace or 'all'}-{view}"
                    subs[sub] = {"op": "subscribe", "id": sub, "cluster": cluster, "resource": resource,
                                 "view": view, **({"namespace": namespace} if namespace else {})}
    texts: list[str] = []
    frames: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        message = await ws.receive()
        assert message.type is aiohttp.WSMsgType.TEXT, message
        texts.append(message.data)
        frames.append(orjson.loads(message.data))
        return frames[-1]

    try:
        for message in subs.values():
            await ws.send_json(message)
        answered: set[str] = set()
        async with asyncio.timeout(WATCH_EVENT_TIMEOUT_S):
            while answered != subs.keys():
                frame = await receive()
                if frame["type"] in ("subscribed", "error"):
                    answered.add(frame["sub"])
        # The other namespace first: its events would come before the limited user's own ones.
        touch = secrets.token_hex(4)  # a new label value each time, so that every patch is an event
        for side, namespace in (("b", world.theirs), ("a", world.mine)):
            for resource in ("configmaps", "secrets"):
                await admin.ok("PATCH", f"/clusters/{world.cid}/resources/{resource}/"
                               f"{object_name(side, resource)}?namespace={namespace}",
                               json={"type": "merge", "patch": {"metadata": {"labels": {"touched": touch}}}})
        own = {object_name("a", "configmaps"), object_name("a", "secrets")}
        async with asyncio.timeout(WATCH_EVENT_TIMEOUT_S):
            while own:
                frame = await receive()
                for event in frame.get("events") or []:
                    own.discard(event.get("name") or ((event.get("object") or {}).get("metadata") or {}).get("name"))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(WATCH_DRAIN_S):
                while True:
                    await receive()
    finally:
        await ws.close()
    return Answer("\n".join(texts), code=0, frames=frames), orjson.dumps(list(subs.values())).decode()


async def answer_of(session: ApiSession, call: Call) -> Answer:
    return await (socket_answer(session, call) if call.spec.websocket else http_answer(session, call))


def refused(answer: Answer) -> bool:
    """A 403-family code, or (batches, apply) only such codes per item."""
    if answer.code in FORBIDDEN:
        return True
    items = answer.data if isinstance(answer.data, list) else []
    return answer.code == 0 and bool(items) and all(
        isinstance(item, dict) and item.get("code") in FORBIDDEN for item in items)


def leaked(answer: Answer, call_text: str, markers: set[str]) -> set[str]:
    """The markers in an answer that the request did not name itself."""
    return {marker for marker in markers if marker in answer.text and marker not in call_text}


# -- the cluster, read straight from the API server --------------------------------------------------------
SNAPSHOT_PATHS = {
    "configmaps": "/api/v1/namespaces/{ns}/configmaps", "secrets": "/api/v1/namespaces/{ns}/secrets",
    "pods": "/api/v1/namespaces/{ns}/pods", "services": "/api/v1/namespaces/{ns}/services",
    "resourcequotas": "/api/v1/namespaces/{ns}/resourcequotas",
    "deployments": "/apis/apps/v1/namespaces/{ns}/deployments",
    "cronjobs": "/apis/batch/v1beta1/namespaces/{ns}/cronjobs",
    "jobs": "/apis/batch/v1/namespaces/{ns}/jobs",
}
# Written by controllers, not by callers.
CONTROLLER_ANNOTATIONS = ("deployment.kubernetes.io/revision",)


def _fingerprint(obj: dict[str, Any]) -> tuple[Any, ...]:
    metadata = obj.get("metadata") or {}
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k not in CONTROLLER_ANNOTATIONS}
    return (metadata.get("uid"), metadata.get("generation"), metadata.get("deletionTimestamp"),
            orjson.dumps(metadata.get("labels"), option=orjson.OPT_SORT_KEYS),
            orjson.dumps(annotations, option=orjson.OPT_SORT_KEYS),
            orjson.dumps(obj.get("data"), option=orjson.OPT_SORT_KEYS), (obj.get("spec") or {}).get("unschedulable"))


def snapshot(control_plane: ControlPlane, namespaces: tuple[str, ...]) -> dict[str, Any]:
    """Every object of the walked kinds in `namespaces`, those namespaces, and the nodes."""
    def listed(path: str) -> dict[str, tuple[Any, ...]]:
        status, body = control_plane.request("GET", path)
        assert status == 200, (path, status, body)
        return {item["metadata"]["name"]: _fingerprint(item) for item in body["items"]}

    state: dict[str, Any] = {f"{kind} in {ns}": listed(path.format(ns=ns))
                             for kind, path in SNAPSHOT_PATHS.items() for ns in namespaces}
    state["namespaces"] = {name: print_ for name, print_ in listed("/api/v1/namespaces").items()
                           if name in namespaces or name.startswith("walk-")}
    state["nodes"] = listed("/api/v1/nodes")
    return state


# -- the world ---------------------------------------------------------------------------------------------
@pytest.fixture
def theirs(control_plane: ControlPlane) -> Iterator[str]:
    """The namespace outside the limited user's grants."""
    name = create_namespace_sync(control_plane.server_url, control_plane.admin_token)
    yield name
    delete_namespace_sync(control_plane.server_url, control_plane.admin_token, name)


async def _admin_terminal(admin: ApiSession, cid: int, namespace: str) -> str:
    """An admin terminal session in `namespace`, ended; its id."""
    ws = await connect(admin, f"/clusters/{cid}/namespaces/{namespace}/pods/{object_name('b', 'pods')}/exec")
    started = await next_frame(ws, "started")
    await ws.send_str("exit\r")
    async with asyncio.timeout(WATCH_EVENT_TIMEOUT_S):  # echoed output, then the exit frame and the close
        while (await ws.receive()).type is aiohttp.WSMsgType.TEXT:
            pass
    await ws.close()
    return started["sessionId"]


@pytest.fixture
async def world(admin: ApiSession, cid: int, nobody_cid: int, namespace: str, theirs: str,
                kubelet: KubeletStandIn) -> World:
    for side, ns in (("a", namespace), ("b", theirs)):
        for resource in SHORT:
            await admin.ok("POST", f"/clusters/{cid}/resources/{resource}?namespace={ns}",
                           json=manifest(resource, side, ns))
        await wait_running(admin, cid, ns, object_name(side, "pods"))
        release = helm_records.release(HELM_RELEASE, ns, 1, config={"password": SECRET_VALUES[side]},
                                       manifest=helm_records.secret_doc("walk-release-db", SECRET_VALUES[side]))
        await admin.ok("POST", f"/clusters/{cid}/resources/secrets?namespace={ns}", json=helm_records.record(release))
    current = {}
    for resource in RESOURCES:
        name = {"namespaces": theirs, "nodes": NODE}.get(resource) or object_name("b", resource)
        suffix = "" if resource in ("namespaces", "nodes") else f"?namespace={theirs}"
        current[resource] = await admin.ok("GET", f"/clusters/{cid}/resources/{resource}/{name}{suffix}")
    return World(cid=cid, other_cid=nobody_cid, mine=namespace, theirs=theirs, current=current,
                 session_id=await _admin_terminal(admin, cid, theirs))


# -- the test ----------------------------------------------------------------------------------------------
async def test_every_route_keeps_to_the_grants(app: web.Application, admin: ApiSession, world: World,
                                               control_plane: ControlPlane) -> None:
    routes = declared_routes(app)
    declared = {(spec.method, spec.path) for spec in routes}
    assert set(EXEMPT) <= declared, f"exempt routes that no longer exist: {sorted(set(EXEMPT) - declared)}"
    walked = [spec for spec in routes if (spec.method, spec.path) not in EXEMPT]
    assert any(spec.websocket for spec in walked) and any(spec.mutating for spec in walked)

    limited = await make_user(admin, "walk-limited", "dev", namespaces=[world.mine], clusters=[world.cid])
    readonly = await make_user(admin, "walk-readonly", "readonly")
    theirs_names = {world.theirs, *(object_name("b", resource) for resource in SHORT)}
    values = secret_markers()
    problems: list[str] = []

    # Sockets first: the watch walk has the admin touch objects, which the snapshot below must come after.
    for spec in walked:
        if spec.path == "/ws/watch":
            for session, markers, clusters in ((limited, theirs_names | values | {"envtest-nobody"},
                                                (world.cid, world.other_cid)),
                                               (readonly, values, (world.cid,)), (admin, values, (world.cid,))):
                answer, sent = await watch_answer(session, admin, world, clusters=clusters)
                if found := leaked(answer, sent, markers):
                    problems.append(f"watch frames hold {sorted(found)}")
    before = snapshot(control_plane, (world.mine, world.theirs))

    admin_seen: list[str] = []
    limited_seen: list[str] = []
    for spec in walked:
        if spec.path == "/ws/watch":
            continue
        for call in calls_of(spec, world, clusters=(world.cid, world.other_cid)):
            answer = await answer_of(limited, call)
            limited_seen.append(answer.text)
            if found := leaked(answer, call.text, theirs_names | values | {"envtest-nobody"}):
                problems.append(f"limited: {spec.method} {call.path} {call.query} shows {sorted(found)}")
            if f"/clusters/{world.other_cid}" in call.path and not refused(answer):
                problems.append(f"limited: {spec.method} {call.path} answers {answer.code} on the other cluster")
            if any(isinstance(f, dict) and f.get("type") == "started" for f in answer.frames):
                problems.append(f"limited: {call.path} started a terminal")
        for call in calls_of(spec, world, clusters=(world.cid,)):
            answer = await answer_of(readonly, call)
            if found := leaked(answer, "", values):
                problems.append(f"readonly: {spec.method} {call.path} {call.query} shows Secret values")
            if spec.mutating and not refused(answer):
                problems.append(f"readonly: {spec.method} {call.path} answers {answer.code}: {answer.text[:200]}")
            if any(isinstance(f, dict) and f.get("type") == "started" for f in answer.frames):
                problems.append(f"readonly: {call.path} started a terminal")
            if not spec.mutating:
                admin_answer = await answer_of(admin, call)
                admin_seen.append(admin_answer.text)
                if ("reveal", "true") not in call.query and leaked(admin_answer, "", values):
                    problems.append(f"admin: {spec.method} {call.path} {call.query} shows Secret values unrevealed")

    assert problems == []
    assert snapshot(control_plane, (world.mine, world.theirs)) == before
    assert (await readonly.call("GET", "/terminal-sessions"))["meta"]["total"] == 0
    # The walk reaches what it checks: the admin saw every object of the other namespace, the limited user its own.
    assert {name for name in theirs_names if not any(name in text for text in admin_seen)} == set()
    assert any(object_name("a", "configmaps") in text for text in limited_seen)
