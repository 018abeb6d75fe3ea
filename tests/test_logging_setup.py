"""Logging: every line carries the request id; the access log redacts one-time secrets."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from kubevision.api.middleware import request_id_middleware
from kubevision.logging_setup import LOG_FILE_NAME, AccessLogger, configure_logging, redact_query


@pytest.mark.parametrize(("path_qs", "expected"), [
    ("/api/v1/ws?ticket=abc.def.ghi", "/api/v1/ws?ticket=REDACTED"),
    ("/?bootstrap=s3cret&x=1", "/?bootstrap=REDACTED&x=1"),
    ("/x?a=1&TOKEN=t&b=2", "/x?a=1&TOKEN=REDACTED&b=2"),
    ("/x?notoken=keep", "/x?notoken=keep"),
    ("/pods?labelSelector=app%3Dweb", "/pods?labelSelector=app%3Dweb"),
])
def test_redact_query(path_qs: str, expected: str) -> None:
    assert redact_query(path_qs) == expected


@pytest.fixture
def restore_logging():
    """configure_logging replaces the root handlers; put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    access_level = logging.getLogger("aiohttp.access").level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(access_level)


async def test_log_lines_and_access_log_carry_the_request_id(tmp_path, aiohttp_client,
                                                             restore_logging) -> None:
    configure_logging("info", tmp_path)
    handler_log = logging.getLogger("kubevision.test")

    async def handler(_request: web.Request) -> web.Response:
        handler_log.info("inside the handler")
        return web.Response(text="ok")

    app = web.Application(middlewares=[request_id_middleware])
    app.router.add_get("/work", handler)
    server = TestServer(app)
    await server.start_server(access_log_class=AccessLogger)  # as `kubevision.server` runs it
    client = await aiohttp_client(server)
    response = await client.get("/work?ticket=very-secret", headers={"X-Request-ID": "trace-77"})
    assert response.status == 200
    handler_log.info("outside any request")
    await client.close()

    lines = (tmp_path / LOG_FILE_NAME).read_text().splitlines()
    inside = next(line for line in lines if "inside the handler" in line)
    assert "[trace-77]" in inside
    access = next(line for line in lines if '"GET /work' in line)
    assert "[trace-77]" in access and "ticket=REDACTED" in access and " 200 " in access
    assert "very-secret" not in "\n".join(lines)
    outside = next(line for line in lines if "outside any request" in line)
    assert "[-]" in outside
