"""Roles, verbs and the `Principal` that every authorization decision is made about.

Effective access = role verbs ∩ cluster grants ∩ namespace grants (SPEC §2). Roles are read from the
database on every request, so a change applies at once.
"""

from __future__ import annotations

import dataclasses
import enum
import re

from kubevision.errors import ApiError, ErrorCode


class Role(enum.StrEnum):
    """The built-in roles."""

    ADMIN = "admin"
    OPS = "ops"
    DEV = "dev"
    READONLY = "readonly"
    CUSTOM = "custom"


class Verb(enum.StrEnum):
    """What can be done to a resource."""

    READ = "read"
    WRITE = "write"
    DELETE = "delete"
    EXEC = "exec"
    LOGS = "logs"
    REVEAL = "reveal"
    PORTFORWARD = "portforward"  # forward a local port to a pod port (checked on `pods`, like exec)


_ALL_VERBS = frozenset(Verb)
ROLE_VERBS: dict[Role, frozenset[Verb]] = {
    Role.ADMIN: _ALL_VERBS,
    Role.OPS: _ALL_VERBS,
    Role.DEV: frozenset({Verb.READ, Verb.WRITE, Verb.DELETE, Verb.EXEC, Verb.LOGS, Verb.PORTFORWARD}),
    Role.READONLY: frozenset({Verb.READ, Verb.LOGS}),
    Role.CUSTOM: frozenset(),
}

# dev works inside namespaces: it may read cluster-scoped kinds but not change them.
DEV_CLUSTER_SCOPED_VERBS = frozenset({Verb.READ})

_PERMISSION_RE = re.compile(r"^(\*|[a-z0-9][a-z0-9.-]*):(read|write|delete|exec|logs|reveal|portforward|\*)$")


def permission_problem(permissions: object) -> str | None:
    """Why a custom permission list is invalid, or None."""
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        return "permissions must be a list of 'resource:verb' strings"
    bad = [p for p in permissions if not _PERMISSION_RE.match(p)]
    if bad:
        return f"invalid permissions {bad}: use 'resource:verb' with verb one of {', '.join(Verb)} or *"
    return None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Principal:
    """An authenticated caller, as of this request."""

    user_id: int
    username: str
    role: Role
    permissions: frozenset[str] = frozenset()
    cluster_grants: frozenset[int] | None = None
    namespace_grants: frozenset[str] | None = None
    token_version: int = 0
    via_api_key: bool = False
    # Signed in through the first-run link: may set its first password without knowing the generated one.
    via_bootstrap: bool = False
    # Until the password is changed, only the routes marked `before_password_change` answer.
    must_change_password: bool = False

    @property
    def is_admin(self) -> bool:
        """True for the admin role."""
        return self.role is Role.ADMIN

    def allows(self, resource: str, verb: Verb, *, cluster_scoped: bool = False) -> bool:
        """Whether the role permits `verb` on `resource` (a lowercase plural)."""
        if self.role is Role.CUSTOM:
            return any(
                candidate in self.permissions
                for candidate in (f"{resource}:{verb}", f"*:{verb}", f"{resource}:*", "*:*")
            )
        if self.role is Role.DEV and cluster_scoped:
            return verb in DEV_CLUSTER_SCOPED_VERBS
        return verb in ROLE_VERBS[self.role]

    def can_see_cluster(self, cluster_id: int) -> bool:
        """Whether the cluster grants include this cluster."""
        return self.cluster_grants is None or cluster_id in self.cluster_grants

    def may_write_somewhere(self) -> bool:
        """Whether the role grants `write` on any kind and the grants leave any namespace (a cheap check
        made before expensive input, such as an apply's YAML, is parsed)."""
        if self.namespace_grants is not None and not self.namespace_grants:
            return False
        if self.role is Role.CUSTOM:
            return any(p.endswith((f":{Verb.WRITE}", ":*")) for p in self.permissions)
        return Verb.WRITE in ROLE_VERBS[self.role]

    def can_see_namespace(self, namespace: str | None) -> bool:
        """Whether the namespace grants include this namespace (None = cluster-scoped object)."""
        if self.namespace_grants is None:
            return True
        return namespace is not None and namespace in self.namespace_grants

    def require(self, resource: str, verb: Verb, *, cluster_id: int | None = None,
                namespace: str | None = None, cluster_scoped: bool = False) -> None:
        """Raise 40301 / 40302 / 40300 unless this principal may do `verb` on the target."""
        if cluster_id is not None and not self.can_see_cluster(cluster_id):
            raise ApiError(ErrorCode.CLUSTER_FORBIDDEN, f"no access to cluster {cluster_id}")
        if namespace and not self.can_see_namespace(namespace):
            raise ApiError(ErrorCode.NAMESPACE_FORBIDDEN, f"no access to namespace {namespace!r}")
        if not self.allows(resource, verb, cluster_scoped=cluster_scoped):
            raise ApiError(ErrorCode.FORBIDDEN, f"role {self.role} may not {verb} {resource}")
