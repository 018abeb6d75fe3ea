"""`/api/v1/port-forwards`: forwards from a local port of this machine to a pod, service or workload port."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubevision.api.context import context_of
from kubevision.api.forward_proxy import serve_proxy
from kubevision.api.params import field, read_json
from kubevision.api.routing import API_PREFIX, Access, ApiRoutes
from kubevision.api.schemas import BOOLEAN, INTEGER, NULLABLE_INT, NULLABLE_STRING, STRING, obj
from kubevision.errors import ApiError, ErrorCode
from kubevision.kube.portforward import DEFAULT_HOST, TARGET_KINDS
from kubevision.services.port_forwards import PORT_FORWARDS, ForwardRequest
from kubevision.services.portforward import ForwardState

routes = ApiRoutes("port-forwards")

PORT = {"oneOf": [INTEGER, STRING], "description": "a port number, or a port name"}
FORWARD = obj(
    id=STRING, owner=obj(id=INTEGER, username=STRING), saved=BOOLEAN, createdAt=STRING, clusterId=INTEGER,
    kind={"type": "string", "enum": list(TARGET_KINDS)}, namespace=STRING, name=STRING, port=PORT,
    state={"type": "string", "enum": [state.value for state in ForwardState]}, reason=NULLABLE_STRING,
    bindAddress=STRING, localPort=INTEGER, listening=BOOLEAN, pod=NULLABLE_STRING, podPort=NULLABLE_INT,
    reconnects=INTEGER, connections=INTEGER, connectionsTotal=INTEGER, bytesToPod=INTEGER, bytesFromPod=INTEGER,
    errors=INTEGER, lastError=NULLABLE_STRING,
    scheme={"type": ["string", "null"], "enum": ["http", "https", None],
            "description": "set when the port looks like a web server's: the local address can be opened"},
)
CREATE = obj(
    ["cluster", "namespace", "kind", "name", "port"], cluster=INTEGER, namespace=STRING,
    kind={"type": "string", "enum": list(TARGET_KINDS)}, name=STRING, port=PORT,
    localPort={"type": "integer", "minimum": 0, "maximum": 65535, "description": "0 or absent: a free port"},
    bindAddress={"type": "string", "description": f"default {DEFAULT_HOST}; anything but loopback: admins only"},
    saved={"type": "boolean", "description": "start it again when the server starts"},
)


def _forward_id(request: web.Request) -> str:
    return request.match_info["forward"]


def _port(body: dict[str, Any]) -> int | str:
    value = body.get("port")
    if value is None or value == "":
        raise ApiError(ErrorCode.PARAM_MISSING, "port is required")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ApiError(ErrorCode.PARAM_INVALID, "port must be a port number or a port name")
    return value


def _kind(body: dict[str, Any]) -> str:
    kind = field(body, "kind", str)
    if kind not in TARGET_KINDS:
        raise ApiError(ErrorCode.PARAM_INVALID, f"kind must be one of {', '.join(TARGET_KINDS)}")
    return kind


@routes.get("/port-forwards", access=Access.USER, summary="The caller's port-forwards (an admin's: everyone's)",
            data={"type": "array", "items": FORWARD})
async def list_forwards(request: web.Request) -> Any:
    """Oldest first; live changes come over the watch socket (`resource: port-forwards`)."""
    return request.app[PORT_FORWARDS].list(context_of(request))


@routes.post("/port-forwards", access=Access.USER, summary="Forward a local port to a pod, service or workload port",
             body=CREATE, data=FORWARD)
async def create_forward(request: web.Request) -> Any:
    """Needs `read` on the kind and `portforward` on pods in the namespace. 40900 when the local port is in use."""
    body = await read_json(request)
    forward = ForwardRequest(
        cluster_id=field(body, "cluster", int), namespace=field(body, "namespace", str), kind=_kind(body),
        name=field(body, "name", str), port=_port(body), local_port=field(body, "localPort", int, required=False,
                                                                          default=0),
        bind_address=field(body, "bindAddress", str, required=False, default=DEFAULT_HOST) or DEFAULT_HOST,
        saved=field(body, "saved", bool, required=False, default=False))
    return await request.app[PORT_FORWARDS].create(context_of(request), forward)


@routes.get("/port-forwards/{forward}", access=Access.USER, summary="One port-forward", data=FORWARD)
async def get_forward(request: web.Request) -> Any:
    """40400 unknown, 40300 another user's (unless admin)."""
    return request.app[PORT_FORWARDS].get(context_of(request), _forward_id(request))


@routes.patch("/port-forwards/{forward}", access=Access.USER, read_only_safe=True,
              summary="Save a port-forward (it starts again with the server) or stop saving it",
              body=obj(["saved"], saved=BOOLEAN), data=FORWARD)
async def update_forward(request: web.Request) -> Any:
    """Only `saved` can change."""
    body = await read_json(request)
    return await request.app[PORT_FORWARDS].set_saved(context_of(request), _forward_id(request),
                                                      field(body, "saved", bool))


@routes.delete("/port-forwards/{forward}", access=Access.USER, read_only_safe=True,
               summary="Stop a port-forward (and forget it if saved)")
async def delete_forward(request: web.Request) -> Any:
    """data is null."""
    await request.app[PORT_FORWARDS].stop(context_of(request), _forward_id(request))
    return None


PROXY_LINK = obj(token=STRING, path={"type": "string", "description": "open this path in the browser"},
                 idleTimeoutS=INTEGER, expiresAt=STRING)
PROXY_PATH = "/port-forwards/{forward}/proxy/{token}{path:(?:/.*)?}"
PROXY_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
PROXY_DESCRIPTION = (
    "The forwarded port's HTTP server, relayed through the forward's tunnel for a browser tab (WebSocket upgrades "
    "included). `token` comes from POST /port-forwards/{forward}/proxy-links and is the only credential. Answers are "
    "sandboxed (CSP `sandbox`, no same-origin); the upstream's cookies stay on the server; redirects to the "
    "upstream itself are rewritten under the proxy path; `--read-only` passes GET, HEAD and OPTIONS only. "
    "Refusals are envelopes: 40100 unknown or expired link, 40300 no longer allowed or another origin, 40400 "
    "no such forward, 50200 no pod serves the forward right now or the pod port did not answer.")


@routes.post("/port-forwards/{forward}/proxy-links", access=Access.USER, read_only_safe=True,
             summary="A link that opens the forward's HTTP port in the browser, through KubeVision", data=PROXY_LINK)
async def create_proxy_link(request: web.Request) -> Any:
    """The link expires when unused for `idleTimeoutS`, at `expiresAt`, or with the forward; audited."""
    forward_id = _forward_id(request)
    link = await request.app[PORT_FORWARDS].create_proxy_link(context_of(request), forward_id)
    return {**link, "path": f"{API_PREFIX}/port-forwards/{forward_id}/proxy/{link['token']}/"}


def _declare_proxy(method: str) -> None:
    async def proxy(request: web.Request) -> web.StreamResponse:
        return await serve_proxy(request)
    proxy.__name__ = f"proxy_{method.lower()}"
    routes.route(method, PROXY_PATH, access=Access.LINK, passthrough=True, read_only_safe=True,
                 websocket=method == "GET", summary=f"{method} through a port-forward's HTTP proxy",
                 description=PROXY_DESCRIPTION)(proxy)


for _method in PROXY_METHODS:
    _declare_proxy(_method)
