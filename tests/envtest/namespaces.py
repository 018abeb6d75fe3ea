"""Create and delete throw-away namespaces (``kv-test-<random>``) for tests.

Async helpers use aiohttp (for async tests and fixtures); the ``*_sync`` twins use the stdlib
client in ``controlplane.api_request`` so sync fixtures of any scope need no event loop. Deletion
does not wait by default: the namespace controller finishes it in the background, and the kubelet
stand-in confirms pod deletions so it does not hang.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import aiohttp

from .controlplane import ControlPlaneError, api_request

NAMESPACE_PREFIX = "kv-test-"
DELETE_WAIT_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.2
REQUEST_TIMEOUT_S = 30.0


def unique_namespace_name(prefix: str = NAMESPACE_PREFIX) -> str:
    """Return ``<prefix><8 random hex chars>`` (a valid DNS-1123 label for short prefixes)."""
    return f"{prefix}{secrets.token_hex(4)}"


def _namespace_body(name: str, labels: dict[str, str] | None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubevision.test/owner": "pytest", **(labels or {})}},
    }


async def create_namespace(
    server_url: str, token: str, *, prefix: str = NAMESPACE_PREFIX, labels: dict[str, str] | None = None
) -> str:
    """Create a uniquely named namespace and return its name."""
    name = unique_namespace_name(prefix)
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as session,
        session.post(
            f"{server_url}/api/v1/namespaces",
            json=_namespace_body(name, labels),
            headers={"Authorization": f"Bearer {token}"},
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
        ) as resp,
    ):
        if resp.status != 201:
            raise ControlPlaneError(f"creating namespace {name}: HTTP {resp.status} {await resp.text()}")
    return name


async def delete_namespace(server_url: str, token: str, name: str, *, wait: bool = False) -> None:
    """Delete a namespace (404 is fine); with ``wait`` poll until it is gone."""
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    url = f"{server_url}/api/v1/namespaces/{name}"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as session:
        async with session.delete(url, headers=headers, timeout=timeout) as resp:
            if resp.status not in (200, 202, 404):
                raise ControlPlaneError(f"deleting namespace {name}: HTTP {resp.status} {await resp.text()}")
        if not wait:
            return
        deadline = time.monotonic() + DELETE_WAIT_TIMEOUT_S
        while time.monotonic() < deadline:
            async with session.get(url, headers=headers, timeout=timeout) as resp:
                if resp.status == 404:
                    return
            await asyncio.sleep(POLL_INTERVAL_S)
        raise ControlPlaneError(f"namespace {name} still exists after {DELETE_WAIT_TIMEOUT_S:.0f} s")


def create_namespace_sync(
    server_url: str, token: str, *, prefix: str = NAMESPACE_PREFIX, labels: dict[str, str] | None = None
) -> str:
    """Blocking twin of ``create_namespace``."""
    name = unique_namespace_name(prefix)
    status, body = api_request(server_url, token, "POST", "/api/v1/namespaces", _namespace_body(name, labels))
    if status != 201:
        raise ControlPlaneError(f"creating namespace {name}: HTTP {status} {body}")
    return name


def delete_namespace_sync(server_url: str, token: str, name: str, *, wait: bool = False) -> None:
    """Blocking twin of ``delete_namespace``."""
    status, body = api_request(server_url, token, "DELETE", f"/api/v1/namespaces/{name}")
    if status not in (200, 202, 404):
        raise ControlPlaneError(f"deleting namespace {name}: HTTP {status} {body}")
    deadline = time.monotonic() + DELETE_WAIT_TIMEOUT_S
    while wait and time.monotonic() < deadline:
        if api_request(server_url, token, "GET", f"/api/v1/namespaces/{name}")[0] == 404:
            return
        time.sleep(POLL_INTERVAL_S)
    if wait:
        raise ControlPlaneError(f"namespace {name} still exists after {DELETE_WAIT_TIMEOUT_S:.0f} s")
