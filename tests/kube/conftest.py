"""Fixtures for tests against the real control plane: the app sees two contexts (admin and a user
with no Kubernetes RBAC rights) through a merged KUBECONFIG path list."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.helpers import ApiSession
from tests.kube.forwarding import EchoServer


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest, admin_kubeconfig: str,
                       nobody_kubeconfig: str) -> dict[str, Any]:
    """Both kubeconfigs, plus whatever the test parametrizes."""
    return {"kubeconfig": f"{admin_kubeconfig}{os.pathsep}{nobody_kubeconfig}", **getattr(request, "param", {})}


async def cluster_id(session: ApiSession, name: str) -> int:
    """The id of the cluster imported from the named context."""
    clusters = await session.ok("GET", "/clusters")
    return next(c["id"] for c in clusters if c["name"] == name)


@pytest.fixture
async def cid(admin: ApiSession) -> int:
    """Id of the admin context's cluster."""
    return await cluster_id(admin, "envtest-admin")


@pytest.fixture
async def nobody_cid(admin: ApiSession) -> int:
    """Id of the no-rights context's cluster."""
    return await cluster_id(admin, "envtest-nobody")


async def make_user(admin: ApiSession, username: str, role: str, **grants: Any) -> ApiSession:
    """Create a user with a role and grants and sign in as them."""
    await admin.ok("POST", "/users", json={"username": username, "password": "password-123", "role": role,
                                           **grants})
    return await admin.login(username, "password-123")


def configmap(name: str, namespace: str, **data: str) -> dict[str, Any]:
    """A ConfigMap manifest."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": data}


@pytest.fixture
async def echo() -> AsyncIterator[EchoServer]:
    """A TCP echo server for forwarded pod ports (see `tests/kube/forwarding.py`)."""
    server = EchoServer()
    await server.start()
    try:
        yield server
    finally:
        await server.aclose()
