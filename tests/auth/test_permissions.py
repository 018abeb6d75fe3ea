"""Authorization: role verbs ∩ cluster grants ∩ namespace grants, as a truth table."""

from __future__ import annotations

import pytest

from kubevision.auth.permissions import Principal, Role, Verb, permission_problem
from kubevision.errors import ApiError

ALL = set(Verb)


def principal(role: Role, **kwargs) -> Principal:
    return Principal(user_id=1, username="u", role=role, **kwargs)


@pytest.mark.parametrize(("role", "allowed"), [
    (Role.ADMIN, ALL),
    (Role.OPS, ALL),
    (Role.DEV, ALL - {Verb.REVEAL}),
    (Role.READONLY, {Verb.READ, Verb.LOGS}),
    (Role.CUSTOM, set()),
])
def test_role_verbs_on_namespaced_resources(role: Role, allowed: set[Verb]) -> None:
    who = principal(role)
    assert {verb for verb in Verb if who.allows("pods", verb)} == allowed


def test_dev_only_reads_cluster_scoped_kinds() -> None:
    dev = principal(Role.DEV)
    assert {verb for verb in Verb if dev.allows("nodes", verb, cluster_scoped=True)} == {Verb.READ}
    assert principal(Role.OPS).allows("nodes", Verb.DELETE, cluster_scoped=True)


def test_custom_permissions_with_wildcards() -> None:
    custom = principal(Role.CUSTOM, permissions=frozenset({"pods:read", "*:logs", "secrets:*"}))
    assert custom.allows("pods", Verb.READ)
    assert not custom.allows("pods", Verb.WRITE)
    assert custom.allows("deployments", Verb.LOGS)
    assert custom.allows("secrets", Verb.REVEAL)
    assert not custom.allows("deployments", Verb.READ)
    assert principal(Role.CUSTOM, permissions=frozenset({"*:*"})).allows("anything", Verb.EXEC)


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"cluster_id": 2}, 40301),
    ({"cluster_id": 1, "namespace": "team-b"}, 40302),
    ({"cluster_id": 1, "namespace": "team-a", "verb": Verb.REVEAL}, 40300),
    ({"cluster_id": 1, "namespace": None, "cluster_scoped": True, "verb": Verb.WRITE}, 40300),
])
def test_require_reports_the_narrowest_refusal(kwargs: dict, code: int) -> None:
    dev = principal(Role.DEV, cluster_grants=frozenset({1}), namespace_grants=frozenset({"team-a"}))
    verb = kwargs.pop("verb", Verb.READ)
    with pytest.raises(ApiError) as refused:
        dev.require("secrets", verb, **kwargs)
    assert int(refused.value.code) == code


def test_require_passes_inside_the_grants() -> None:
    dev = principal(Role.DEV, cluster_grants=frozenset({1}), namespace_grants=frozenset({"team-a"}))
    dev.require("pods", Verb.EXEC, cluster_id=1, namespace="team-a")
    assert dev.can_see_namespace("team-a") and not dev.can_see_namespace(None)
    unrestricted = principal(Role.READONLY)
    assert unrestricted.can_see_cluster(99) and unrestricted.can_see_namespace(None)


@pytest.mark.parametrize(("permissions", "ok"), [
    (["pods:read"], True),
    (["*:*", "certificates.cert-manager.io:write"], True),
    (["pods:fly"], False),
    (["pods"], False),
    ("pods:read", False),
    ([1], False),
    (["Pods:read"], False),
])
def test_permission_syntax(permissions: object, ok: bool) -> None:
    assert (permission_problem(permissions) is None) is ok
