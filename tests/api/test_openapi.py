"""The OpenAPI document covers every registered `/api/v1` route and the error-code catalogue."""

from __future__ import annotations

import re

import pytest
from aiohttp import web

from kubevision.api.routing import API_PREFIX, Access, ApiRoutes, check_policies, spec_of
from kubevision.errors import ErrorCode
from tests.helpers import ApiSession, documented_data, openapi_document, schema_problems

HTTP_METHODS = {"get", "post", "put", "patch", "delete", "options"}  # options: the port-forward proxy


def registered_api_routes(app: web.Application) -> set[tuple[str, str]]:
    routes = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if path.startswith(API_PREFIX + "/") and route.method != "HEAD":
            routes.add((route.method.lower(), path))
    return routes


async def test_every_registered_route_is_documented(app, client) -> None:
    document = await openapi_document(client)
    documented = {(method, path) for path, operations in document["paths"].items()
                  for method in operations if method in HTTP_METHODS}
    registered = registered_api_routes(app)
    assert len(registered) > 20
    assert registered == documented


async def test_document_is_valid_looking_openapi_31(client) -> None:
    document = await openapi_document(client)
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] and document["info"]["version"]
    assert {"bearer", "apiKey"} <= set(document["components"]["securitySchemes"])
    operation_ids = []
    for path, operations in document["paths"].items():
        assert path.startswith("/api/v1/")
        declared = set(re.findall(r"{(\w+)}", path))
        for method, operation in operations.items():
            assert method in HTTP_METHODS
            assert operation["summary"] and operation["tags"]
            assert "200" in operation["responses"]
            schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
            if operation.get("x-json-rpc"):  # the MCP endpoint: JSON-RPC, a deliberate exception to the envelope
                assert path == "/api/v1/mcp" and schema["properties"]["jsonrpc"] == {"const": "2.0"}
            else:
                assert {"$ref": "#/components/schemas/Envelope"} in schema["allOf"]
            path_params = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert path_params == declared, (method, path)
            if "requestBody" in operation:
                assert operation["requestBody"]["content"]["application/json"]["schema"]["type"] == "object"
            operation_ids.append(operation["operationId"])
    assert len(operation_ids) == len(set(operation_ids))
    envelope = document["components"]["schemas"]["Envelope"]
    assert set(envelope["required"]) == {"code", "message", "data", "meta"}
    assert envelope["properties"]["meta"]["required"] == ["requestId"]


async def test_public_routes_are_marked_and_protected_ones_are_not(client) -> None:
    document = await openapi_document(client)
    login = document["paths"]["/api/v1/auth/login"]["post"]
    assert login["security"] == [] and login["x-access"] == "public"
    users = document["paths"]["/api/v1/users"]["get"]
    assert "security" not in users and users["x-access"] == "admin"
    audit = document["paths"]["/api/v1/audit-logs"]["get"]
    assert audit["x-roles"] == ["admin", "ops"]
    assert {p["name"] for p in audit["parameters"]} >= {"user", "action", "page", "pageSize"}


async def test_data_schema_binds_successes_only(admin: ApiSession, client) -> None:
    document = await openapi_document(client)
    schema = documented_data(document, "GET", "/users/{id}")
    assert schema_problems(await admin.ok("GET", "/users/1"), schema) == []
    error = await admin.fails("GET", "/users/999", 40401)
    assert error["data"] is None and schema_problems(None, schema)


async def test_audit_entries_match_the_document(admin: ApiSession, anonymous: ApiSession, client) -> None:
    await anonymous.fails("POST", "/auth/login", 40100, json={"username": "ghost", "password": "nope-nope"})
    entries = await admin.ok("GET", "/audit-logs")
    assert any(e["userId"] is None and e["clusterId"] is None and e["namespace"] is None for e in entries)
    assert schema_problems(entries, documented_data(await openapi_document(client), "GET", "/audit-logs")) == []


async def test_every_error_code_is_listed(client) -> None:
    document = await openapi_document(client)
    listed = {entry["code"]: entry["message"] for entry in document["x-error-codes"]}
    assert listed == {int(code): code.message for code in ErrorCode}


async def test_document_needs_no_login(client) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert "paths" in await response.json()


def test_start_up_refuses_an_api_route_without_a_policy() -> None:
    async def undeclared(_request: web.Request) -> None:
        return None

    app = web.Application()
    app.router.add_get("/api/v1/sneaky", undeclared)
    with pytest.raises(RuntimeError, match="GET /api/v1/sneaky"):
        check_policies(app)


def test_declared_routes_carry_their_spec() -> None:
    routes = ApiRoutes("demo")

    @routes.post("/demo", access=Access.ADMIN, summary="Demo")
    async def demo(_request: web.Request) -> None:
        return None

    spec = spec_of(demo)
    assert spec is not None and spec.mutating and spec.access is Access.ADMIN
    app = web.Application()
    routes.add_to(app.router)
    check_policies(app)
    assert registered_api_routes(app) == {("post", "/api/v1/demo")}


async def test_credential_routes_are_documented_as_session_only(client) -> None:
    document = await openapi_document(client)
    session_only = {(method, path) for path, operations in document["paths"].items()
                    for method, operation in operations.items() if operation.get("x-session-only")}
    assert session_only == {
        ("get", "/api/v1/api-keys"), ("post", "/api/v1/api-keys"), ("delete", "/api/v1/api-keys/{id}"),
        ("post", "/api/v1/auth/2fa/setup"), ("post", "/api/v1/auth/2fa/enable"), ("post", "/api/v1/auth/2fa/disable"),
        ("put", "/api/v1/users/me/password"), ("post", "/api/v1/auth/logout-all"),
    }
    for method, path in session_only:
        assert document["paths"][path][method]["security"] == [{"bearer": []}]
    bodies = {path: document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
              for path in ("/api/v1/api-keys", "/api/v1/auth/2fa/enable", "/api/v1/auth/2fa/disable",
                           "/api/v1/auth/logout-all")}
    assert {"currentPassword", "code"} <= set(bodies["/api/v1/api-keys"]["properties"])
    assert "currentPassword" in bodies["/api/v1/auth/2fa/enable"]["required"]
    assert "currentPassword" in bodies["/api/v1/auth/2fa/disable"]["required"]
    assert bodies["/api/v1/auth/logout-all"]["properties"]["revokeApiKeys"]["type"] == "boolean"
    before_change = {(method, path) for path, operations in document["paths"].items()
                     for method, operation in operations.items() if operation.get("x-before-password-change")}
    assert before_change == {("get", "/api/v1/users/me"), ("put", "/api/v1/users/me/password"),
                             ("post", "/api/v1/auth/logout-all"), ("get", "/api/v1/info")}


async def test_the_mcp_endpoint_is_documented_as_json_rpc(client) -> None:
    document = await openapi_document(client)
    post = document["paths"]["/api/v1/mcp"]["post"]
    assert post["x-json-rpc"] is True and "JSON-RPC" in post["description"] and "envelope" in post["description"]
    assert {"200", "202", "401", "403"} <= set(post["responses"]) and post["x-access"] == "user"
    assert "security" not in post  # a bearer token or an API key, as every user route
