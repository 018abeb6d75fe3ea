"""The envelope: request ids, meta on every outcome, HTTP 200 for business errors, 50000 without leaks."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web

from kubevision.api.envelope import Reply
from kubevision.api.middleware import add_security_headers, envelope_middleware, request_id_middleware
from kubevision.errors import ApiError, ErrorCode
from tests.accounts import user_session
from tests.helpers import REQUEST_ID_RE, ApiSession, assert_envelope

SECRET_DETAIL = "db password is hunter2"


def tiny_app() -> web.Application:
    """Only the request-id and envelope middleware around handlers that fail on purpose."""

    async def boom(_request: web.Request) -> None:
        raise RuntimeError(SECRET_DETAIL)

    async def business(_request: web.Request) -> None:
        raise ApiError(ErrorCode.CONFLICT, data={"hint": "re-fetch"})

    async def paged(_request: web.Request) -> Reply:
        return Reply([1, 2], total=7)

    async def nothing(_request: web.Request) -> None:
        return None

    app = web.Application(middlewares=[request_id_middleware, envelope_middleware])
    app.router.add_get("/api/v1/boom", boom)
    app.router.add_get("/page/boom", boom)
    app.router.add_get("/api/v1/business", business)
    app.router.add_get("/api/v1/paged", paged)
    app.router.add_delete("/api/v1/nothing", nothing)
    app.on_response_prepare.append(add_security_headers)
    return app


async def test_generated_request_id_is_req_ulid_and_echoed(client) -> None:
    response = await client.get("/api/v1/users/me")
    body = await response.json()
    request_id = body["meta"]["requestId"]
    assert REQUEST_ID_RE.match(request_id), request_id
    assert response.headers["X-Request-ID"] == request_id
    second = await (await client.get("/api/v1/users/me")).json()
    assert second["meta"]["requestId"] != request_id


@pytest.mark.parametrize("incoming", ["abc-123_X.y", "a", "Z" * 64])
async def test_valid_incoming_request_id_is_kept(client, incoming: str) -> None:
    response = await client.get("/api/v1/users/me", headers={"X-Request-ID": incoming})
    assert (await response.json())["meta"]["requestId"] == incoming
    assert response.headers["X-Request-ID"] == incoming


@pytest.mark.parametrize("incoming", ["has space", "Z" * 65, "semi;colon", "<script>", "ünicode"])
async def test_invalid_incoming_request_id_is_replaced(client, incoming: str) -> None:
    response = await client.get("/api/v1/users/me", headers={"X-Request-ID": incoming})
    request_id = (await response.json())["meta"]["requestId"]
    assert request_id != incoming
    assert REQUEST_ID_RE.match(request_id)
    assert response.headers["X-Request-ID"] == request_id


async def test_success_envelope_shape_and_content_type(admin: ApiSession) -> None:
    response = await admin.client.get("/api/v1/users/me", headers=admin.headers())
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = await response.json()
    assert body["code"] == 0 and body["message"] == "success"
    assert body["meta"] == {"requestId": response.headers["X-Request-ID"]}


async def test_every_error_class_is_http_200_with_request_id(
    client, anonymous: ApiSession, admin: ApiSession
) -> None:
    readonly = await user_session(admin, anonymous, "viewer")
    cases = [
        (anonymous, "POST", "/auth/login", {"username": "admin"}, 40001),
        (anonymous, "POST", "/auth/login", {"username": 5, "password": "x"}, 40002),
        (anonymous, "GET", "/users/me", None, 40100),
        (readonly, "GET", "/users", None, 40300),
        (admin, "GET", "/users/999", None, 40401),
        (admin, "POST", "/users", {"username": "viewer", "password": "long-enough-1", "role": "dev"},
         40900),
        (anonymous, "GET", "/no/such/route", None, 40400),
    ]
    for session, method, path, json, code in cases:
        response = await client.request(method, f"/api/v1{path}", json=json, headers=session.headers())
        assert response.status == 200, (path, await response.text())
        body = await response.json()
        assert_envelope(body, code)
        assert body["data"] is None
        assert body["meta"]["requestId"] == response.headers["X-Request-ID"]


async def test_unexpected_exception_is_50000_without_traceback(aiohttp_client, caplog) -> None:
    client = await aiohttp_client(tiny_app())
    with caplog.at_level(logging.ERROR, logger="kubevision.api.middleware"):
        response = await client.get("/api/v1/boom", headers={"X-Request-ID": "trace-me-1"})
    assert response.status == 200
    text = await response.text()
    body = await response.json()
    assert_envelope(body, 50000)
    assert body["message"] == "internal error"
    assert body["meta"]["requestId"] == "trace-me-1"
    assert SECRET_DETAIL not in text and "Traceback" not in text and "RuntimeError" not in text
    # The traceback goes to the log instead, which the request id ties to the response.
    logged = [r for r in caplog.records if r.exc_info and SECRET_DETAIL in str(r.exc_info[1])]
    assert logged, "the exception was not logged"
    assert response.headers["X-Frame-Options"] == "DENY"


async def test_unexpected_exception_on_a_page_is_plain_500(aiohttp_client) -> None:
    client = await aiohttp_client(tiny_app())
    response = await client.get("/page/boom")
    assert response.status == 500
    text = await response.text()
    assert SECRET_DETAIL not in text and "Traceback" not in text
    assert response.headers["X-Request-ID"] in text


async def test_api_error_carries_data_and_default_message(aiohttp_client) -> None:
    client = await aiohttp_client(tiny_app())
    body = await (await client.get("/api/v1/business")).json()
    assert_envelope(body, 40901)
    assert body["message"] == ErrorCode.CONFLICT.message
    assert body["data"] == {"hint": "re-fetch"}


async def test_reply_meta_merges_with_request_id(aiohttp_client) -> None:
    client = await aiohttp_client(tiny_app())
    body = await (await client.get("/api/v1/paged")).json()
    assert body["data"] == [1, 2]
    assert body["meta"]["total"] == 7 and REQUEST_ID_RE.match(body["meta"]["requestId"])


async def test_operation_without_output_has_null_data(aiohttp_client) -> None:
    client = await aiohttp_client(tiny_app())
    body = await (await client.delete("/api/v1/nothing")).json()
    assert assert_envelope(body, 0) is None
    assert "data" in body


def test_error_codes_are_unique_and_have_messages() -> None:
    values = [int(code) for code in ErrorCode]
    assert len(values) == len(set(values))
    assert all(code.message for code in ErrorCode)
    assert ErrorCode.SUCCESS.message == "success"
