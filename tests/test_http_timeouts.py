"""Slow and silent HTTP clients are disconnected: the runner `serve` uses (`server.make_runner`), on a real port,
driven by raw TCP clients. The idle timeout is shortened here; production values are in `kubevision.server`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
import pytest
from aiohttp import web

from kubevision.api import params
from kubevision.server import LINGERING_TIME_S, make_runner

IDLE_TIMEOUT_S = 1.0
# How long past a timeout the test waits for the server to act.
SLACK_S = 3.0
TRICKLE_INTERVAL_S = 0.2


@pytest.fixture
async def port(app: web.Application) -> AsyncIterator[int]:
    """The app served by `make_runner` on a free loopback port."""
    runner = make_runner(app, idle_timeout_s=IDLE_TIMEOUT_S)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def _open(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def _trickle(writer: asyncio.StreamWriter, data: bytes) -> None:
    """Send `data` a byte at a time until it is sent or the server hangs up."""
    try:
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(TRICKLE_INTERVAL_S)
    except ConnectionError:
        return


async def _read_until_closed(reader: asyncio.StreamReader, timeout_s: float) -> bytes:
    """Everything the server sends until it closes the connection (fails if it does not within `timeout_s`)."""
    return await asyncio.wait_for(reader.read(), timeout_s)


async def test_a_connection_that_sends_nothing_is_closed(port: int) -> None:
    reader, writer = await _open(port)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await _read_until_closed(reader, IDLE_TIMEOUT_S + SLACK_S) == b""
    assert loop.time() - started >= IDLE_TIMEOUT_S * 0.9  # closed by the idle timer, not at once
    writer.close()


async def test_a_request_head_sent_a_byte_at_a_time_is_cut_off(port: int) -> None:
    reader, writer = await _open(port)
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"x" * 100 + b"\r\n\r\n"
    sender = asyncio.create_task(_trickle(writer, head))
    try:
        answer = await _read_until_closed(reader, IDLE_TIMEOUT_S + SLACK_S)
        assert answer == b""  # no response: the head never completed
        assert not sender.done()  # ... and the server hung up while it was still arriving
    finally:
        sender.cancel()
        writer.close()


async def test_an_idle_keep_alive_connection_is_closed(port: int) -> None:
    reader, writer = await _open(port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    status = await asyncio.wait_for(reader.readline(), SLACK_S)
    assert status.startswith(b"HTTP/1.1 200")
    # The response is kept alive (no Connection: close), then the server ends the idle connection.
    rest = await _read_until_closed(reader, IDLE_TIMEOUT_S + SLACK_S)
    assert b"connection: close" not in rest.lower()
    writer.close()


async def test_a_request_body_sent_a_byte_at_a_time_is_refused(port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(params, "BODY_READ_TIMEOUT_S", IDLE_TIMEOUT_S)
    reader, writer = await _open(port)
    body = orjson.dumps({"username": "admin", "password": "x" * 200})
    writer.write(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body))
    sender = asyncio.create_task(_trickle(writer, body))
    try:
        answer = await _read_until_closed(reader, IDLE_TIMEOUT_S + LINGERING_TIME_S + SLACK_S)
        head, _, payload = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408")
        envelope = orjson.loads(payload)
        assert envelope["code"] == 40002 and "not received within" in envelope["message"]
        assert not sender.done()  # answered, and the connection closed, before the body was complete
    finally:
        sender.cancel()
        writer.close()

