"""The OpenAPI 3.1 document, generated from the `RouteSpec`s of the registered routes."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from kubevision import __version__
from kubevision.api.routing import API_PREFIX, Access, ApiRoutes, RouteSpec, spec_of
from kubevision.config import SETTINGS
from kubevision.errors import ErrorCode

routes = ApiRoutes("meta")

_PATH_PARAM_RE = re.compile(r"{([^}:]+)(?::[^}]*)?}")
_INTEGER_PARAMS = {"id", "cluster"}

ENVELOPE = {
    "type": "object",
    "required": ["code", "message", "data", "meta"],
    "properties": {
        "code": {"type": "integer", "description": "0 = success; see x-error-codes"},
        "message": {"type": "string"},
        "data": {},
        "meta": {
            "type": "object",
            "required": ["requestId"],
            "properties": {
                "requestId": {"type": "string"},
                "total": {"type": "integer"},
                "source": {"type": "string", "enum": ["cache", "apiserver"]},
                "stale": {"type": "boolean",
                          "description": "cached answer not confirmed in sync with the API server for the cache TTL"},
                "confirmedAt": {"type": "string", "format": "date-time",
                                "description": "cached answers: when the cache was last confirmed in sync"},
                "continue": {"type": ["string", "null"], "description": "null on the last chunk"},
            },
        },
    },
}


JSON_RPC_MESSAGE = {"type": "object", "required": ["jsonrpc"],
                    "properties": {"jsonrpc": {"const": "2.0"}, "id": {"type": ["string", "integer", "null"]},
                                   "method": {"type": "string"}, "params": {"type": "object"},
                                   "result": {"type": "object"},
                                   "error": {"type": "object", "required": ["code", "message"],
                                             "properties": {"code": {"type": "integer"},
                                                            "message": {"type": "string"}, "data": {}}}}}
_JSON_RPC_BODY = {"application/json": {"schema": JSON_RPC_MESSAGE}}
JSON_RPC_RESPONSES = {
    "200": {"description": "The JSON-RPC response to a request", "content": _JSON_RPC_BODY},
    "202": {"description": "Accepted: the message was a notification or a response (no body)"},
    "400": {"description": "Malformed JSON-RPC, or an unsupported MCP-Protocol-Version", "content": _JSON_RPC_BODY},
    "401": {"description": "Missing or invalid credentials (WWW-Authenticate: Bearer; X-API-Key works too)",
            "content": _JSON_RPC_BODY},
    "403": {"description": "Foreign Origin, or refused by the route's policy", "content": _JSON_RPC_BODY},
    "405": {"description": "No server-sent event stream (GET) and no sessions to end (DELETE)",
            "content": _JSON_RPC_BODY},
}


def _operation(spec: RouteSpec) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True,
         "schema": {"type": "integer" if name in _INTEGER_PARAMS else "string"}}
        for name in _PATH_PARAM_RE.findall(spec.path)
    ]
    parameters += [
        {"name": q.name, "in": "query", "required": q.required, "description": q.description,
         "schema": q.schema}
        for q in spec.query
    ]
    # `data` has the documented shape only on success; errors carry null or details (causes, 2FA token).
    envelope = {"allOf": [{"$ref": "#/components/schemas/Envelope"},
                          {"if": {"properties": {"code": {"const": 0}}},
                           "then": {"properties": {"data": spec.data or {}}}}]}
    operation: dict[str, Any] = {
        "summary": spec.summary,
        "tags": [spec.tag],
        "operationId": f"{spec.method.lower()}_{re.sub(r'[^A-Za-z0-9]+', '_', spec.path).strip('_')}",
        "parameters": parameters,
        "responses": {"200": {"description": "Envelope (business outcome in `code`)",
                              "content": {"application/json": {"schema": envelope}}}},
        "x-access": spec.access.value,
    }
    if spec.json_rpc:
        operation["responses"] = JSON_RPC_RESPONSES
        operation["x-json-rpc"] = True
        operation["description"] = ("Model Context Protocol, Streamable HTTP transport: JSON-RPC 2.0 messages, "
                                    "a deliberate exception to the envelope (like /healthz). Refusals are "
                                    "JSON-RPC errors with their HTTP status; `error.data.code` is the business "
                                    "code. See docs/mcp.md.")
    if spec.websocket:
        operation["responses"]["101"] = {"description": "WebSocket upgrade"}
    if spec.roles:
        operation["x-roles"] = sorted(spec.roles)
    if spec.description:
        operation["description"] = spec.description
    if spec.passthrough:
        operation["responses"]["default"] = {"description": "The proxied server's own answer, relayed"}
        operation["x-passthrough"] = True
    if spec.access in (Access.PUBLIC, Access.TICKET, Access.LINK):
        operation["security"] = []
    elif spec.session_only:
        operation["security"] = [{"bearer": []}]  # an access token from a sign-in; API keys get 40300
        operation["x-session-only"] = True
    if spec.before_password_change:
        operation["x-before-password-change"] = True
    if spec.body is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": spec.body}}}
    return operation


def build_openapi(app: web.Application) -> dict[str, Any]:
    """Describe every `/api/v1` route registered on the app."""
    paths: dict[str, dict[str, Any]] = {}
    for route in app.router.routes():
        spec = spec_of(route.handler)
        if spec is None or route.method == "HEAD":
            continue
        canonical = _PATH_PARAM_RE.sub(r"{\1}", spec.path)  # `{path:regex}` is documented as `{path}`
        paths.setdefault(API_PREFIX + canonical, {})[spec.method.lower()] = _operation(spec)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "KubeVision API",
            "version": __version__,
            "description": "Every response is an envelope {code, message, data, meta} with HTTP 200; "
                           "the outcome is in `code` (see x-error-codes).",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Envelope": ENVELOPE},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
        "security": [{"bearer": []}, {"apiKey": []}],
        "x-error-codes": [{"code": int(code), "message": code.message} for code in ErrorCode],
    }


@routes.get("/info", access=Access.USER, before_password_change=True,
            summary="Server facts the UI adapts to (version, read-only mode, when resource tables are windowed)",
            data={"type": "object", "properties": {
                "version": {"type": "string"}, "readOnly": {"type": "boolean"},
                "tableWindowRows": {"type": "integer", "description": "resource tables longer than this are "
                                    "windowed: sorted and filtered by the server, read page by page around the view"},
            }})
async def server_info(request: web.Request) -> dict[str, Any]:
    """`readOnly` lets the UI hide every write action when the server refuses them anyway; `tableWindowRows` is
    the `table_window_rows` setting."""
    settings = request.app[SETTINGS]
    return {"version": __version__, "readOnly": settings.read_only, "tableWindowRows": settings.table_window_rows}


@routes.get("/openapi.json", access=Access.PUBLIC, summary="This OpenAPI document")
async def openapi_document(request: web.Request) -> web.Response:
    """Served as the plain document (not enveloped) so client generators can read it."""
    return web.json_response(build_openapi(request.app))
