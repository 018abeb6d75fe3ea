"""Who asks and about what: the per-request context every service call takes, and the reference to one object.

`RequestContext` replaces the `principal` and `request_id` parameters that used to be threaded through every
signature: the HTTP layer builds one per request (`api/context.context_of`), WebSocket handlers and
background jobs pass theirs on, and services read the caller, the request id and the client address from
it (authorization, audit rows, logs). `ObjectRef` names one Kubernetes object without positional lists.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kubevision.auth.permissions import Principal


@dataclasses.dataclass(frozen=True, kw_only=True)
class RequestContext:
    """One request (or WebSocket, or job): its id, the authenticated caller (None before sign-in) and the
    client's address."""

    request_id: str
    principal: Principal | None
    client_ip: str = "unknown"

    @property
    def caller(self) -> Principal:
        """The authenticated caller; only services behind authentication ask for it."""
        if self.principal is None:
            raise RuntimeError("this request has no authenticated caller")
        return self.principal

    def audit_fields(self) -> dict[str, Any]:
        """The columns of an audit row that describe who asked (request id, user, address)."""
        principal = self.principal
        return {"request_id": self.request_id, "client_ip": self.client_ip,
                "user_id": principal.user_id if principal else None,
                "username": principal.username if principal else None}


@dataclasses.dataclass(frozen=True, kw_only=True)
class ObjectRef:
    """One object: cluster, resource (a registry name such as `deployments` or `widgets.example.com`),
    namespace (None for cluster-scoped kinds) and name."""

    cluster_id: int
    resource: str
    name: str
    namespace: str | None = None
