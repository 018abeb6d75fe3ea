"""The MCP server at `/api/v1/mcp`: the Model Context Protocol's Streamable HTTP transport, written on aiohttp
with the official SDK's wire types (`mcp-types`, pydantic models).

JSON-RPC 2.0, a deliberate exception to the envelope (`RouteSpec.json_rpc`; the OpenAPI document says so).
Stateless: no `Mcp-Session-Id` is issued, every POST is authenticated on its own (Bearer access token or
`X-API-Key`, by the auth middleware like any route) and each tool runs with that request's `RequestContext`,
so the caller's roles, grants, masking and `--read-only` apply. Requests are answered with one
`application/json` body (the transport's JSON mode); notifications and responses with 202. There is no
server-sent event stream: GET and DELETE answer 405 (the specification allows both).

Checks the specification asks of a server: Origin on every request (403, DNS rebinding; the Host guard runs
before), `MCP-Protocol-Version` (400 when unsupported), `Accept` (406 without application/json).
"""

from __future__ import annotations

import logging
from typing import Any

import mcp_types as mcp
from aiohttp import web
from mcp_types.jsonrpc import INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR
from pydantic import ValidationError

from kubevision import __version__
from kubevision.api.context import REQUEST_ID, context_of
from kubevision.api.envelope import dumps
from kubevision.api.mcp_tools import TOOLS, TOOLS_BY_NAME, Arguments, ToolCall
from kubevision.api.middleware import origin_allowed
from kubevision.api.openapi import JSON_RPC_MESSAGE
from kubevision.api.params import read_body
from kubevision.api.routing import Access, ApiRoutes
from kubevision.config import SETTINGS
from kubevision.errors import ApiError, ErrorCode, api_error_for
from kubevision.services.audit import AUDIT

log = logging.getLogger(__name__)

routes = ApiRoutes("mcp")

# Handshake-era revisions served (the `initialize` handshake); a client asking for another gets the newest.
SUPPORTED_PROTOCOL_VERSIONS = ("2025-03-26", "2025-06-18", "2025-11-25")
LATEST_PROTOCOL_VERSION = SUPPORTED_PROTOCOL_VERSIONS[-1]
PROTOCOL_VERSION_HEADER = "MCP-Protocol-Version"
# What the specification says to assume when a request has no MCP-Protocol-Version header.
ASSUMED_PROTOCOL_VERSION = "2025-03-26"
SERVER_NAME = "kubevision"
MAX_CLIENT_CHARS = 200
# Names a read tool's audit row copies from its arguments are cut to this length (Kubernetes names are ≤ 253).
MAX_AUDITED_CHARS = 253
INSTRUCTIONS = ("KubeVision: read Kubernetes clusters with your dashboard user's permissions. Start with "
                "list_clusters; every other tool takes its `cluster` id. Secret values are masked.")


def _rpc_error(message_id: Any, code: int, message: str, *, status: int = 200, data: Any = None) -> web.Response:
    error = mcp.JSONRPCError(jsonrpc="2.0", id=message_id, error=mcp.ErrorData(code=code, message=message, data=data))
    return _json(error.model_dump(mode="json", by_alias=True, exclude_none=True) | {"id": message_id}, status=status)


def _json(body: dict[str, Any], *, status: int = 200) -> web.Response:
    return web.Response(body=dumps(body), status=status, content_type="application/json", charset="utf-8")


def _result(message_id: Any, result: Any) -> web.Response:
    payload = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    return _json(mcp.JSONRPCResponse(jsonrpc="2.0", id=message_id, result=payload).model_dump(
        mode="json", by_alias=True))


def _transport_refusal(request: web.Request) -> web.Response | None:
    """Origin (403), Accept (406) and MCP-Protocol-Version (400) as the transport specification requires."""
    allowed = {origin.rstrip("/").lower() for origin in request.app[SETTINGS].allowed_origins}
    if not origin_allowed(request, allowed):
        log.warning("MCP: refused Origin %r (allow it with --allowed-origins)", request.headers.get("Origin"))
        return _rpc_error(None, INVALID_REQUEST, "cross-origin request refused", status=403)
    accept = request.headers.get("Accept", "")
    if request.method == "POST" and accept and "application/json" not in accept and "*/*" not in accept:
        return _rpc_error(None, INVALID_REQUEST, "Accept must include application/json", status=406)
    version = request.headers.get(PROTOCOL_VERSION_HEADER)
    if version is not None and version not in SUPPORTED_PROTOCOL_VERSIONS:
        return _rpc_error(None, INVALID_REQUEST, f"unsupported {PROTOCOL_VERSION_HEADER} {version!r}; supported: "
                          f"{', '.join(SUPPORTED_PROTOCOL_VERSIONS)}", status=400)
    return None


@routes.post("/mcp", access=Access.USER, json_rpc=True, read_only_safe=True, body=JSON_RPC_MESSAGE,
             summary="MCP server (Model Context Protocol, Streamable HTTP): tools acting as the caller; "
                     "changes wait for a person's approval")
async def mcp_post(request: web.Request) -> web.StreamResponse:
    """One JSON-RPC message per POST (batches were removed in 2025-06-18)."""
    refused = _transport_refusal(request)
    if refused is not None:
        return refused
    raw = await read_body(request)
    try:
        message = mcp.jsonrpc_message_adapter.validate_json(raw)
    except ValidationError as exc:
        malformed = any(error["type"] == "json_invalid" for error in exc.errors())
        return _rpc_error(None, PARSE_ERROR if malformed else INVALID_REQUEST,
                          "malformed JSON" if malformed else "not a JSON-RPC 2.0 message", status=400)
    if not isinstance(message, mcp.JSONRPCRequest):
        return web.Response(status=202)  # notifications (initialized, cancelled) and responses: nothing to say
    return await _dispatch(request, message)


async def _dispatch(request: web.Request, message: mcp.JSONRPCRequest) -> web.Response:
    params = message.params or {}
    try:
        if message.method == "initialize":
            return _result(message.id, _initialize(mcp.InitializeRequestParams.model_validate(params)))
        if message.method == "ping":
            return _result(message.id, mcp.EmptyResult())
        if message.method == "tools/list":
            return _result(message.id, mcp.ListToolsResult(tools=[_describe(tool) for tool in TOOLS]))
        if message.method == "tools/call":
            return await _call_tool(request, message.id, mcp.CallToolRequestParams.model_validate(params))
    except ValidationError as exc:
        return _rpc_error(message.id, INVALID_PARAMS, f"invalid params for {message.method}: "
                          f"{exc.errors()[0].get('msg', 'invalid')}")
    return _rpc_error(message.id, METHOD_NOT_FOUND, f"method {message.method!r} not found")


def _initialize(params: mcp.InitializeRequestParams) -> mcp.InitializeResult:
    wanted = params.protocol_version
    version = wanted if wanted in SUPPORTED_PROTOCOL_VERSIONS else LATEST_PROTOCOL_VERSION
    return mcp.InitializeResult(protocol_version=version,
                                capabilities=mcp.ServerCapabilities(tools=mcp.ToolsCapability(list_changed=False)),
                                server_info=mcp.Implementation(name=SERVER_NAME, version=__version__),
                                instructions=INSTRUCTIONS)


def _describe(tool: Any) -> mcp.Tool:
    return mcp.Tool(name=tool.name, title=tool.title, description=tool.description, input_schema=tool.input_schema,
                    annotations=mcp.ToolAnnotations(title=tool.title, read_only_hint=tool.read_only,
                                                    destructive_hint=tool.destructive, open_world_hint=False))


async def _call_tool(request: web.Request, message_id: Any, params: mcp.CallToolRequestParams) -> web.Response:
    """Run a tool; its refusals and failures are tool errors (isError) carrying the business code and message."""
    tool = TOOLS_BY_NAME.get(params.name)
    if tool is None:
        return _rpc_error(message_id, INVALID_PARAMS, f"unknown tool {params.name!r}")
    call = ToolCall(app=request.app, context=context_of(request), arguments=Arguments(params.arguments),
                    client=request.headers.get("User-Agent", "unknown")[:MAX_CLIENT_CHARS])
    try:
        output = await tool.run(call)
    except Exception as exc:
        error = api_error_for(exc)
        if error is None:
            log.exception("MCP tool %s failed", tool.name)
            error = ApiError(ErrorCode.INTERNAL, f"internal error (request {request[REQUEST_ID]})")
        _audit_read(call, tool, int(error.code))
        detail = {"code": int(error.code), "message": error.message}
        if error.data is not None:
            detail["data"] = error.data
        return _result(message_id, mcp.CallToolResult(
            content=[mcp.TextContent(type="text", text=f"error {int(error.code)}: {error.message}")],
            structured_content=detail, is_error=True))
    _audit_read(call, tool, 0)
    return _result(message_id, mcp.CallToolResult(content=[mcp.TextContent(type="text", text=output.text())],
                                                  structured_content=output.data))


def _audit_read(call: ToolCall, tool: Any, code: int) -> None:
    """One `mcp.read` row per read tool call, "via MCP" with the client's name and what it named (change tools
    leave their `change.request` row instead, in services/approvals.py)."""
    if not tool.read_only:
        return
    values = call.arguments.raw

    def named(key: str) -> str | None:
        value = values.get(key)
        return value[:MAX_AUDITED_CHARS] if isinstance(value, str) else None

    cluster = values.get("cluster")
    call.app[AUDIT].record(
        "mcp.read", code=code, **call.context.audit_fields(),
        cluster_id=cluster if isinstance(cluster, int) and not isinstance(cluster, bool) else None,
        namespace=named("namespace"), resource=named("resource"), name=named("name") or named("pod"),
        detail={"via": "MCP", "client": call.client, "tool": tool.name})


async def _no_stream(request: web.Request) -> web.Response:
    refused = _transport_refusal(request)
    if refused is not None:
        return refused
    response = _rpc_error(None, INVALID_REQUEST, "this server has no event stream and no sessions; POST messages",
                          status=405)
    response.headers["Allow"] = "POST"
    return response


@routes.get("/mcp", access=Access.USER, json_rpc=True,
            summary="MCP: no server-sent event stream (405, as the transport allows)")
async def mcp_get(request: web.Request) -> web.Response:
    """405 with `Allow: POST`."""
    return await _no_stream(request)


@routes.delete("/mcp", access=Access.USER, json_rpc=True, read_only_safe=True,
               summary="MCP: no sessions to end (405, as the transport allows)")
async def mcp_delete(request: web.Request) -> web.Response:
    """405 with `Allow: POST`."""
    return await _no_stream(request)
