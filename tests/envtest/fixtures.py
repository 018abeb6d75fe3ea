"""Pytest fixtures for the real-Kubernetes test environment.

Import them in ``tests/conftest.py`` (``from tests.envtest.fixtures import *`` or
``pytest_plugins = ["tests.envtest.fixtures"]``) or load as a plugin:
``pytest -p tests.envtest.fixtures tests/envtest``.

All fixtures are synchronous on purpose: the control plane is subprocesses, the kubelet stand-in
runs on its own event loop in a thread, and namespaces are made with the stdlib client. That keeps
them usable from sync and async tests under any pytest-asyncio loop scope. Missing binaries make
tests *fail* (never skip) so a machine without the control plane cannot pass CI silently.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from .controlplane import BinariesMissingError, ControlPlane, ControlPlaneError
from .kubelet import KubeletStandIn, KubeletThread
from .namespaces import create_namespace_sync, delete_namespace_sync

__all__ = ["admin_kubeconfig", "control_plane", "kubelet", "namespace", "nobody_kubeconfig"]

KUBELET_NODE_NAME = "node1"


@pytest.fixture(scope="session")
def control_plane() -> Iterator[ControlPlane]:
    """etcd + kube-apiserver + controller-manager + scheduler, once per test session."""
    cp = ControlPlane()
    error = None
    try:
        cp.start()
    except BinariesMissingError as exc:  # message names scripts/build_control_plane.sh
        error = str(exc)
    except ControlPlaneError as exc:
        error = f"control plane failed to start: {exc}"
    if error:  # fail outside the except block so the message is not printed twice (chained)
        pytest.fail(error, pytrace=False)
    try:
        yield cp
    finally:
        cp.stop()


@pytest.fixture(scope="session")
def admin_kubeconfig(control_plane: ControlPlane) -> str:
    """Path of a kubeconfig for ``admin`` (group ``system:masters``)."""
    return control_plane.admin_kubeconfig


@pytest.fixture(scope="session")
def nobody_kubeconfig(control_plane: ControlPlane) -> str:
    """Path of a kubeconfig for ``nobody`` (authenticated, no RBAC rights)."""
    return control_plane.nobody_kubeconfig


@pytest.fixture(scope="session")
def kubelet(control_plane: ControlPlane) -> Iterator[KubeletStandIn]:
    """Kubelet stand-in registered as Node ``node1``, running in its own thread and event loop.

    Pods scheduled to ``node1`` become Running; logs and exec through the API server reach it.
    Its ``missing_commands`` set and ``exec_sessions``/``resize_events`` lists are shared by the
    whole session: prefer the per-pod annotation ``kubevision.test/missing-commands``.
    """
    runner = KubeletThread(
        KubeletStandIn(control_plane.server_url, control_plane.admin_token, node_name=KUBELET_NODE_NAME)
    )
    error = None
    try:
        stand_in = runner.start()
    except Exception as exc:
        error = f"kubelet stand-in failed to start: {exc!r}"
    if error:
        pytest.fail(error, pytrace=False)
    try:
        yield stand_in
    finally:
        runner.stop()


@pytest.fixture
def namespace(control_plane: ControlPlane) -> Iterator[str]:
    """A fresh ``kv-test-<random>`` namespace, deleted (without waiting) after the test."""
    name = create_namespace_sync(control_plane.server_url, control_plane.admin_token)
    try:
        yield name
    finally:
        delete_namespace_sync(control_plane.server_url, control_plane.admin_token, name)


@pytest.fixture
def spare_node(control_plane: ControlPlane) -> Iterator[str]:
    """A node of the test's own (a second kubelet stand-in, its name returned), gone afterwards with whatever
    ran on it: for tests that cordon, drain or fill a node."""
    name = f"spare-{secrets.token_hex(3)}"
    runner = KubeletThread(KubeletStandIn(control_plane.server_url, control_plane.admin_token, node_name=name))
    runner.start()
    try:
        yield name
    finally:
        runner.stop()
