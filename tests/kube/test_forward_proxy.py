"""The HTTP proxy through a port-forward (issue 16, item 5), on the real control plane: a real HTTP server stands
behind a pod port (the kubelet stand-in connects the forwarded port to it), a forward is made through the API,
and the browser-side requests go to `/api/v1/port-forwards/{forward}/proxy/{token}/…` of the real app: through the
forward's local listener, the API server's `pods/portforward` and the stand-in to the server, and back."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from kubevision.auth.service import principal_for
from kubevision.auth.users import USERS
from kubevision.kube.clusters import CLUSTERS
from kubevision.services.context import RequestContext
from kubevision.services.port_forwards import PORT_FORWARDS, ForwardRequest
from tests.envtest.kubelet import PORT_FORWARD_ANNOTATION, KubeletStandIn
from tests.helpers import ApiSession, documented_data, openapi_document, schema_problems, wait_until
from tests.kube.conftest import make_user
from tests.kube.forwarding import POD_PORT
from tests.kube.streaming import RECEIVE_TIMEOUT_S, pod_manifest, wait_running

UPLOAD_BYTES = 1024 * 1024
SESSION_COOKIE = "s3cret-session"


class WebServer:
    """The pod's HTTP server: pages, redirects, a cookie login, an echo, headers it saw, a WebSocket echo."""

    def __init__(self) -> None:
        self.seen_headers: list[dict[str, str]] = []
        app = web.Application()
        app.router.add_get("/", self.index)
        app.router.add_get("/headers", self.headers)
        app.router.add_post("/echo", self.echo)
        app.router.add_get("/redirect/{to}", self.redirect)
        app.router.add_get("/login", self.login)
        app.router.add_get("/whoami", self.whoami)
        app.router.add_get("/hostile", self.hostile)
        app.router.add_get("/ws", self.websocket)
        app.router.add_get("/raw/{rest:.*}", self.raw)
        self._runner = web.AppRunner(app)

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()

    @property
    def port(self) -> int:
        return int(self._runner.addresses[0][1])

    async def aclose(self) -> None:
        await self._runner.cleanup()

    async def index(self, _request: web.Request) -> web.Response:
        return web.Response(text='<a href="whoami">who</a><script src="app.js"></script>', content_type="text/html")

    async def headers(self, request: web.Request) -> web.Response:
        self.seen_headers.append(dict(request.headers))
        return web.json_response(dict(request.headers))

    async def raw(self, request: web.Request) -> web.Response:
        return web.Response(text=request.raw_path)

    async def echo(self, request: web.Request) -> web.Response:
        return web.Response(body=await request.read(), content_type=request.content_type)

    async def redirect(self, request: web.Request) -> web.Response:
        targets = {"path": "/landing?from=path", "self": f"http://{request.host}/landing?from=self",
                   "away": "https://example.com/elsewhere", "relative": "landing"}
        raise web.HTTPFound(targets[request.match_info["to"]])

    async def login(self, _request: web.Request) -> web.Response:
        response = web.Response(text="signed in")
        response.set_cookie("session", SESSION_COOKIE, path="/", httponly=True)
        return response

    async def whoami(self, request: web.Request) -> web.Response:
        return web.Response(text=request.cookies.get("session", "anonymous"))

    async def hostile(self, _request: web.Request) -> web.Response:
        return web.Response(text="hi", headers={
            "Clear-Site-Data": '"storage"', "Strict-Transport-Security": "max-age=31536000",
            "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"})

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("chat",))
        await ws.prepare(request)
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                await ws.send_str(f"echo: {message.data}")
            elif message.type == aiohttp.WSMsgType.BINARY:
                await ws.send_bytes(message.data)
        return ws


@pytest.fixture
async def web_server() -> AsyncIterator[WebServer]:
    server = WebServer()
    await server.start()
    try:
        yield server
    finally:
        await server.aclose()


async def web_pod(admin: ApiSession, cid: int, namespace: str, server: WebServer, name: str = "web") -> None:
    """A running pod whose port 8080 (`http`) reaches the web server (made straight on the API server, which a
    read-only KubeVision would refuse)."""
    manifest = pod_manifest(name, annotations={PORT_FORWARD_ANNOTATION: f"{POD_PORT}={server.port}"})
    manifest["spec"]["containers"][0]["ports"] = [{"name": "http", "containerPort": POD_PORT}]
    await admin.client.app[CLUSTERS].get(cid).request("POST", f"/api/v1/namespaces/{namespace}/pods", body=manifest)
    await wait_running(admin, cid, namespace, name)


async def active_forward(session: ApiSession, cid: int, namespace: str, name: str = "web") -> dict[str, Any]:
    created = await session.ok("POST", "/port-forwards", json={"cluster": cid, "namespace": namespace,
                                                              "kind": "pods", "name": name, "port": "http"})

    async def serving() -> dict[str, Any] | None:
        forward = await session.ok("GET", f"/port-forwards/{created['id']}")
        return forward if forward["state"] == "active" else None
    return await wait_until(serving, timeout_s=30, what="the forward to be active")


async def fetch(client: TestClient, method: str, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
    """A browser-tab request: no KubeVision credentials but the link's own path."""
    response = await client.request(method, path, allow_redirects=False, **kwargs)
    await response.read()
    return response


async def envelope_code(response: aiohttp.ClientResponse) -> int:
    return int((await response.json())["code"])


async def test_a_proxy_link_serves_the_pods_web_server_in_a_browser_tab(
        admin: ApiSession, cid: int, namespace: str, kubelet: KubeletStandIn, web_server: WebServer) -> None:
    await web_pod(admin, cid, namespace, web_server)
    dev = await make_user(admin, "proxy-dev", "dev", namespaces=[namespace])
    forward = await active_forward(dev, cid, namespace)
    link = await dev.ok("POST", f"/port-forwards/{forward['id']}/proxy-links")
    base = link["path"]
    assert base == f"/api/v1/port-forwards/{forward['id']}/proxy/{link['token']}/" and link["idleTimeoutS"] == 1800
    document = await openapi_document(dev.client)
    assert not schema_problems(link, documented_data(document, "POST", "/port-forwards/{forward}/proxy-links"))
    client = dev.client

    # Without the trailing slash, relative links would resolve above the prefix: redirected to it.
    bare = await fetch(client, "GET", base.rstrip("/") + "?q=1")
    assert bare.status == 308 and bare.headers["Location"] == base + "?q=1"
    page = await fetch(client, "GET", base)
    assert page.status == 200 and page.content_type == "text/html"
    assert (await page.text()).startswith('<a href="whoami">')
    policies = page.headers.getall("Content-Security-Policy")
    assert "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads" in policies
    assert not any("allow-same-origin" in policy for policy in policies)
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Referrer-Policy"] == "no-referrer"

    # KubeVision's credentials stay here; the proxied app's own Basic auth passes; it learns where it is served.
    seen = json.loads(await (await fetch(client, "GET", base + "headers", headers={
        "X-API-Key": "kv_secret", "Cookie": "kv_refresh=abc", "Authorization": "Basic dXNlcjpwdw==",
        "Origin": "null"})).text())
    assert "X-API-Key" not in seen and "Cookie" not in seen and seen["Authorization"] == "Basic dXNlcjpwdw=="
    upstream = f"127.0.0.1:{forward['localPort']}"  # the forward's listener, as a local client reaches it
    assert seen["Host"] == upstream and seen["Origin"] == f"http://{upstream}"
    assert seen["X-Forwarded-Prefix"] == base.rstrip("/") and seen["X-Forwarded-Proto"] == "http"
    bearer = json.loads(await (await fetch(client, "GET", base + "headers",
                                           headers={"Authorization": f"Bearer {dev.token}"})).text())
    assert "Authorization" not in bearer

    encoded = await fetch(client, "GET", base + "raw/a%2Fb%20c?q=x%26y")  # passed on as the browser encoded it
    assert await encoded.text() == "/raw/a%2Fb%20c?q=x%26y"

    payload = os.urandom(UPLOAD_BYTES)
    echoed = await fetch(client, "POST", base + "echo", data=payload,
                         headers={"Content-Type": "application/octet-stream"})
    assert echoed.status == 200 and await echoed.read() == payload

    for to, location in (("path", base + "landing?from=path"), ("self", base + "landing?from=self"),
                         ("away", "https://example.com/elsewhere"), ("relative", "landing")):
        redirected = await fetch(client, "GET", base + f"redirect/{to}")
        assert redirected.status == 302 and redirected.headers["Location"] == location, to

    # The app's cookies stay on the server, for this link: its login works, the browser holds nothing.
    assert await (await fetch(client, "GET", base + "whoami")).text() == "anonymous"
    login = await fetch(client, "GET", base + "login")
    assert login.status == 200 and "Set-Cookie" not in login.headers
    assert await (await fetch(client, "GET", base + "whoami")).text() == SESSION_COOKIE
    other_link = await dev.ok("POST", f"/port-forwards/{forward['id']}/proxy-links")
    assert await (await fetch(client, "GET", other_link["path"] + "whoami")).text() == "anonymous"

    hostile = await fetch(client, "GET", base + "hostile", headers={"Origin": "null"})
    for dropped in ("Clear-Site-Data", "Strict-Transport-Security", "Access-Control-Allow-Credentials"):
        assert dropped not in hostile.headers
    assert hostile.headers["Access-Control-Allow-Origin"] == "null"  # the sandboxed page may read its own answers
    preflight = await fetch(client, "OPTIONS", base + "echo", headers={
        "Origin": "null", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-thing"})
    assert preflight.status == 204 and preflight.headers["Access-Control-Allow-Methods"] == "POST"
    assert preflight.headers["Access-Control-Allow-Headers"] == "x-thing"
    foreign = await fetch(client, "POST", base + "echo", data=b"x", headers={"Origin": "https://evil.example"})
    assert await envelope_code(foreign) == 40300

    async with client.ws_connect(base + "ws", protocols=("chat",), headers={"Origin": "null"}) as ws:
        assert ws.protocol == "chat"
        await ws.send_str("hello")
        assert (await ws.receive(RECEIVE_TIMEOUT_S)).data == "echo: hello"
        blob = os.urandom(200_000)
        await ws.send_bytes(blob)
        assert (await ws.receive(RECEIVE_TIMEOUT_S)).data == blob

    counted = await dev.ok("GET", f"/port-forwards/{forward['id']}")
    assert counted["connectionsTotal"] >= 1 and counted["bytesToPod"] > UPLOAD_BYTES  # through the forward
    rows = [row for row in await admin.ok("GET", "/audit-logs?action=portforward.proxy&pageSize=50")
            if row["namespace"] == namespace]
    assert [(row["username"], row["code"], row["detail"]["id"]) for row in rows] == [
        ("proxy-dev", 0, forward["id"])] * 2


async def test_every_proxied_request_is_checked_as_of_now(
        admin: ApiSession, cid: int, namespace: str, kubelet: KubeletStandIn, web_server: WebServer) -> None:
    await web_pod(admin, cid, namespace, web_server)
    await web_pod(admin, cid, namespace, web_server, name="web2")
    dev = await make_user(admin, "proxy-owner", "dev", namespaces=[namespace])
    other = await make_user(admin, "proxy-other", "dev", namespaces=[namespace])
    forward = await active_forward(dev, cid, namespace)
    second = await active_forward(dev, cid, namespace, "web2")
    client = dev.client

    refused = await other.fails("POST", f"/port-forwards/{forward['id']}/proxy-links", 40300)
    assert "belongs to another user" in refused["message"]
    link = await dev.ok("POST", f"/port-forwards/{forward['id']}/proxy-links")
    assert (await fetch(client, "GET", link["path"])).status == 200
    admins = await admin.ok("POST", f"/port-forwards/{forward['id']}/proxy-links")  # admins may use anyone's
    assert (await fetch(client, "GET", admins["path"])).status == 200

    wrong_forward = link["path"].replace(forward["id"], second["id"])
    for path in (link["path"].replace(link["token"], "not-a-link"), wrong_forward):
        answer = await fetch(client, "GET", path + "whoami")
        body = await answer.json()
        assert body["code"] == 40100 and "unknown or expired" in body["message"]

    # The owner loses the portforward verb: the very next request is refused, before the next access recheck.
    await admin.ok("PUT", f"/users/{forward['owner']['id']}", json={"role": "readonly"})
    demoted = await (await fetch(client, "GET", link["path"])).json()
    assert demoted["code"] == 40300 and demoted["message"] == "role readonly may not portforward pods"
    assert (await fetch(client, "GET", admins["path"])).status == 200

    await admin.ok("DELETE", f"/port-forwards/{forward['id']}")  # the link goes with the forward
    assert await envelope_code(await fetch(client, "GET", admins["path"])) == 40100
    await admin.ok("DELETE", f"/port-forwards/{second['id']}")


@pytest.mark.parametrize("settings_overrides", [{"read_only": True}], indirect=True)
async def test_a_read_only_server_proxies_only_safe_methods(
        admin: ApiSession, client: TestClient, cid: int, namespace: str, kubelet: KubeletStandIn,
        web_server: WebServer) -> None:
    await web_pod(admin, cid, namespace, web_server)
    me = await admin.ok("GET", "/users/me")
    principal = principal_for(await client.app[USERS].find(me["id"]))
    context = RequestContext(request_id="test", principal=principal, client_ip="127.0.0.1")
    # Forwards cannot be made on a read-only server; this one stands for a saved forward started with it.
    made = await client.app[PORT_FORWARDS].create(context, ForwardRequest(
        cluster_id=cid, kind="pods", namespace=namespace, name="web", port="http"))

    async def serving() -> bool:
        return (await admin.ok("GET", f"/port-forwards/{made['id']}"))["state"] == "active"
    await wait_until(serving, timeout_s=30, what="the forward to be active")
    link = await admin.ok("POST", f"/port-forwards/{made['id']}/proxy-links")
    assert (await fetch(client, "GET", link["path"] + "whoami")).status == 200
    assert (await fetch(client, "HEAD", link["path"] + "whoami")).status == 200
    posted = await (await fetch(client, "POST", link["path"] + "echo", data=b"change")).json()
    assert posted["code"] == 40300 and posted["message"].startswith("the server runs in read-only mode")
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await client.ws_connect(link["path"] + "ws")
    await admin.ok("DELETE", f"/port-forwards/{made['id']}")
