"""`PortForwardService`: the port-forwards of every user — who may make them, saved ones, audit, live state.

The machinery of one forward (listener, pod choice, reconnects) is `services/portforward.ManagedForward`; this
module decides who may forward what and keeps the list:

- Access: the `read` verb on the target's kind and the `portforward` verb on `pods`, both in the target's
  namespace (`AccessScope`, so namespace and cluster grants apply); Kubernetes RBAC then answers for the
  cluster credentials (`get` and `create` on `pods/portforward`). Binding anything but a loopback address is
  for admins only.
- Each forward belongs to the user who made it; admins see and stop everyone's. Every `ACCESS_RECHECK_S` the
  owners are read again: a forward whose owner was deactivated or deleted, or lost either verb or the grants,
  is stopped (and forgotten if saved).
- Saved forwards are rows in `port_forwards`; they start again when the server starts, each on the local port it
  had, connecting its cluster then (a deliberate exception to lazy connect). A cluster that does not answer yet
  leaves the forward `waiting` and is retried with backoff; a local port that is taken then leaves it `failed` with
  the reason, and it binds the port as soon as it is free (audited again then).
- Audit: `portforward.start` and `portforward.stop` once each, with their outcome (refusals included), as well as
  `portforward.save` / `portforward.unsave` and `portforward.reconnect` (the forward moved to another pod).
- Live state: `subscribe()` hands every change (state, reason, pod; a forward added or removed) to the watch
  socket as `ADDED` / `MODIFIED` / `DELETED` events.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import errno
import ipaddress
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from ulid import ULID

from kubevision.auth.permissions import Principal, Verb
from kubevision.auth.service import principal_for
from kubevision.auth.users import UserService
from kubevision.errors import ApiError, CodedError, ErrorCode
from kubevision.kube.clusters import ClusterManager
from kubevision.kube.errors import KubeError
from kubevision.kube.portforward import DEFAULT_HOST, ForwardTarget, NoReadyPodError, resolve_target
from kubevision.services.access import AccessScope
from kubevision.services.audit import AuditLog
from kubevision.services.context import RequestContext
from kubevision.services.portforward import ForwardDefinition, ManagedForward
from kubevision.store import Store
from kubevision.store import port_forwards as repo
from kubevision.store.users import utcnow
from kubevision.tasks import create_named_task, stop_tasks

log = logging.getLogger(__name__)

# Forwards one user may have running at once, and the whole server.
MAX_FORWARDS_PER_USER = 20
MAX_FORWARDS = 200
# Owners' role, grants and active flag are read again this often; a forward whose owner lost access stops.
ACCESS_RECHECK_S = 15.0
# Ports (by number or name) answered with an "Open" link: the usual HTTP ports, and port names saying http/web.
HTTP_PORT_NUMBERS = frozenset({80, 3000, 5000, 8000, 8008, 8080, 8081, 8888, 9090})
HTTPS_PORT_NUMBERS = frozenset({443, 8443})
HTTP_PORT_NAME_PARTS = ("http", "web", "ui")
SYSTEM_REQUEST_ID = "port-forwards"  # the request id of audit rows and checks made by the server itself
# Proxy links (the HTTP proxy through a forward, for a browser tab): the secret in the link's path expires after
# this long unused, and at the latest this long after it was made; each user keeps at most this many.
PROXY_LINK_IDLE_S = 30 * 60.0
PROXY_LINK_MAX_AGE_S = 8 * 3600.0
MAX_PROXY_LINKS_PER_USER = 50
PROXY_LINK_TOKEN_BYTES = 32
PROXY_LINK_REFUSED = "this proxy link is unknown or expired: open the forward again from KubeVision"


def url_scheme(target_port: int | str, pod_port: int | None) -> str | None:
    """`http` / `https` when the forwarded port looks like a web server's, else None."""
    if isinstance(target_port, str):
        if "https" in target_port:
            return "https"
        if any(part in target_port for part in HTTP_PORT_NAME_PARTS):
            return "http"
    numbers = {number for number in (target_port, pod_port) if isinstance(number, int)}
    if numbers & HTTPS_PORT_NUMBERS:
        return "https"
    return "http" if numbers & HTTP_PORT_NUMBERS else None


def check_bind_address(principal: Principal, address: str) -> str:
    """The bind address as an IP address (40002 otherwise); anything but loopback is for admins (40300)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        raise ApiError(ErrorCode.PARAM_INVALID, f"bindAddress {address!r} is not an IP address") from None
    if not parsed.is_loopback and not principal.is_admin:
        raise ApiError(ErrorCode.FORBIDDEN, f"only admins may bind {address}: use a loopback address such as "
                                            f"{DEFAULT_HOST}")
    return str(parsed)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ForwardRequest:
    """What a caller asks to forward."""

    cluster_id: int
    kind: str
    namespace: str
    name: str
    port: int | str
    local_port: int = 0
    bind_address: str = DEFAULT_HOST
    saved: bool = False


@dataclasses.dataclass(eq=False, kw_only=True)
class OwnedForward:
    """A running forward, its owner and whether it is saved."""

    id: str
    owner_id: int
    owner_name: str
    saved: bool
    created_at: dt.datetime
    forward: ManagedForward
    reconnects_audited: int = 0
    awaiting_port: bool = False  # restarted with its local port taken: audited again once it binds

    def describe(self) -> dict[str, Any]:
        """The API shape."""
        described = self.forward.describe()
        scheme = url_scheme(described["port"], described["podPort"])
        return {"id": self.id, "owner": {"id": self.owner_id, "username": self.owner_name}, "saved": self.saved,
                "createdAt": self.created_at.isoformat(), **described, "scheme": scheme}


@dataclasses.dataclass(eq=False)
class ForwardSubscription:
    """One watch-socket subscription to the caller's forwards; `cancel()` ends it."""

    principal: Principal
    deliver: Callable[[dict[str, Any]], None]
    _subscribers: set[ForwardSubscription]

    def sees(self, owned: OwnedForward) -> bool:
        """Owners see their forwards; admins see all."""
        return self.principal.is_admin or owned.owner_id == self.principal.user_id

    def cancel(self) -> None:
        """Stop receiving events."""
        self._subscribers.discard(self)


@dataclasses.dataclass(eq=False, kw_only=True)
class ProxyLink:
    """A secret that opens one forward's HTTP proxy in a browser tab, for the user who asked for it."""

    token: str
    forward_id: str
    user_id: int
    made_at: float  # monotonic
    used_at: float
    # The proxied server's cookies: kept here, for this link's requests, and never handed to the browser.
    cookies: aiohttp.CookieJar = dataclasses.field(default_factory=lambda: aiohttp.CookieJar(unsafe=True))

    def expired(self, now: float) -> bool:
        """Unused for `PROXY_LINK_IDLE_S`, or older than `PROXY_LINK_MAX_AGE_S`."""
        return now - self.used_at > PROXY_LINK_IDLE_S or now - self.made_at > PROXY_LINK_MAX_AGE_S


@dataclasses.dataclass(frozen=True)
class ProxyUpstream:
    """Where a proxied request goes: the forward's own local listener (so it rides the forward's tunnel)."""

    host: str
    port: int
    cookies: aiohttp.CookieJar


class PortForwardService:
    """Every running forward of this server."""

    def __init__(self, *, clusters: ClusterManager, audit: AuditLog, store: Store, users: UserService) -> None:
        self._clusters = clusters
        self._audit = audit
        self._store = store
        self._users = users
        self._forwards: dict[str, OwnedForward] = {}
        self._subscribers: set[ForwardSubscription] = set()
        self._recheck: asyncio.Task[None] | None = None
        self._proxy_links: dict[str, ProxyLink] = {}

    # -- lifetime ------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the saved forwards (each connects its cluster) and the access re-check."""
        async with self._store.transaction() as conn:
            saved = await repo.list_saved_forwards(conn)
        for record in saved:
            await self._restart_saved(record)
        self._recheck = create_named_task(self._recheck_loop(), name="port-forward-access")

    async def aclose(self) -> None:
        """Stop every forward (saved ones start again with the server)."""
        if self._recheck is not None:
            await stop_tasks([self._recheck])
        forwards, self._forwards = list(self._forwards.values()), {}
        await asyncio.gather(*(owned.forward.aclose() for owned in forwards))

    # -- reads ---------------------------------------------------------------------------------------
    def list(self, context: RequestContext) -> list[dict[str, Any]]:
        """The caller's forwards (an admin's: everyone's), oldest first."""
        caller = context.caller
        return [owned.describe() for owned in self._forwards.values()
                if caller.is_admin or owned.owner_id == caller.user_id]

    def get(self, context: RequestContext, forward_id: str) -> dict[str, Any]:
        """One forward (40400 unknown, 40300 someone else's)."""
        return self._owned(context, forward_id).describe()

    def subscribe(self, context: RequestContext, deliver: Callable[[dict[str, Any]], None]) -> ForwardSubscription:
        """Changes of the forwards the caller sees, as watch events, until `cancel()`."""
        subscription = ForwardSubscription(context.caller, deliver, self._subscribers)
        self._subscribers.add(subscription)
        return subscription

    # -- changes -------------------------------------------------------------------------------------
    async def create(self, context: RequestContext, request: ForwardRequest) -> dict[str, Any]:
        """Check access, bind the local port, start following the target, save it if asked; audited with its
        outcome. 40002 bad port or bind address, 40300/40301/40302 no access, 40400 no such target, 40900 the
        local port is in use."""
        fields = {**context.audit_fields(), "cluster_id": request.cluster_id, "namespace": request.namespace,
                  "resource": request.kind, "name": request.name}
        detail = {"port": request.port, "bindAddress": request.bind_address, "localPort": request.local_port,
                  "saved": request.saved}
        return await self._audit.record_outcome(
            "portforward.start", self._create(context, request), detail=detail, **fields,
            result_fields=lambda described: {"detail": {**detail, "id": described["id"],
                                                        "localPort": described["localPort"]}})

    async def _create(self, context: RequestContext, request: ForwardRequest) -> dict[str, Any]:
        caller = context.caller
        target = ForwardTarget(request.kind, request.namespace, request.name, request.port)
        bind_address = check_bind_address(caller, request.bind_address)
        if not 0 <= request.local_port <= 65535:
            raise ApiError(ErrorCode.PARAM_INVALID, "localPort must be from 0 (any free port) to 65535")
        await self._authorize(context, request.cluster_id, target, check_target=True)
        if sum(owned.owner_id == caller.user_id for owned in self._forwards.values()) >= MAX_FORWARDS_PER_USER:
            raise ApiError(ErrorCode.PARAM_INVALID, f"at most {MAX_FORWARDS_PER_USER} forwards per user")
        if len(self._forwards) >= MAX_FORWARDS:
            raise ApiError(ErrorCode.PARAM_INVALID, f"at most {MAX_FORWARDS} forwards on this server")
        definition = ForwardDefinition(request.cluster_id, target, local_host=bind_address,
                                       local_port=request.local_port)
        owned = self._new(str(ULID()), caller, definition, saved=request.saved, created_at=utcnow())
        try:
            await owned.forward.start()
        except OSError as error:
            raise _bind_error(bind_address, request.local_port, error) from None
        if request.saved:
            try:
                await self._save(owned, caller.user_id)
            except BaseException:
                await owned.forward.aclose()
                raise
        self._forwards[owned.id] = owned
        self._publish("ADDED", owned)
        return owned.describe()

    async def stop(self, context: RequestContext, forward_id: str) -> None:
        """Stop a forward and forget it if saved (40400 unknown, 40300 someone else's); audited with its outcome."""
        fields = {**context.audit_fields(), "detail": {"id": forward_id}}
        found = self._forwards.get(forward_id)
        if found is not None:
            fields |= self._target_fields(found)
        await self._audit.record_outcome("portforward.stop", self._stop(context, forward_id), **fields)

    async def _stop(self, context: RequestContext, forward_id: str) -> None:
        await self._remove(self._owned(context, forward_id))

    async def set_saved(self, context: RequestContext, forward_id: str, saved: bool) -> dict[str, Any]:
        """Save a running forward (it starts again with the server) or stop saving it; audited."""
        owned = self._owned(context, forward_id)
        if owned.saved != saved:
            operation = self._save(owned, owned.owner_id) if saved else self._unsave(owned)
            await self._audit.record_outcome("portforward.save" if saved else "portforward.unsave", operation,
                                             **context.audit_fields(), **self._target_fields(owned),
                                             detail={"id": owned.id})
            self._publish("MODIFIED", owned)
        return owned.describe()

    # -- the HTTP proxy ------------------------------------------------------------------------------
    async def create_proxy_link(self, context: RequestContext, forward_id: str) -> dict[str, Any]:
        """A secret for the forward's HTTP proxy (the caller must still be allowed to forward its target);
        audited as `portforward.proxy`. Returns `token`, `idleTimeoutS` and `expiresAt`."""
        owned = self._owned(context, forward_id)
        return await self._audit.record_outcome(
            "portforward.proxy", self._create_proxy_link(context, owned), **context.audit_fields(),
            **self._target_fields(owned), detail={"id": owned.id, "localPort": owned.forward.describe()["localPort"]})

    async def _create_proxy_link(self, context: RequestContext, owned: OwnedForward) -> dict[str, Any]:
        definition = owned.forward.definition
        await self._authorize(context, definition.cluster_id, definition.target)
        now = time.monotonic()
        user_id = context.caller.user_id
        for token, link in list(self._proxy_links.items()):
            if link.expired(now):
                del self._proxy_links[token]
        mine = sorted((link for link in self._proxy_links.values() if link.user_id == user_id),
                      key=lambda link: link.used_at)
        for oldest in mine[:max(0, len(mine) - MAX_PROXY_LINKS_PER_USER + 1)]:
            del self._proxy_links[oldest.token]
        token = secrets.token_urlsafe(PROXY_LINK_TOKEN_BYTES)
        self._proxy_links[token] = ProxyLink(token=token, forward_id=owned.id, user_id=user_id, made_at=now,
                                             used_at=now)
        expires = utcnow() + dt.timedelta(seconds=PROXY_LINK_MAX_AGE_S)
        return {"token": token, "idleTimeoutS": int(PROXY_LINK_IDLE_S), "expiresAt": expires.isoformat()}

    async def open_proxy(self, forward_id: str, token: str) -> ProxyUpstream:
        """The upstream of one proxied request, checked as of now: the link is known and unexpired, its user is
        active, owns the forward (or is an admin) and may still forward its target (40100 bad link, 40300 /
        40301 / 40302 no longer allowed, 40400 no such forward, 50200 the forward has no pod right now)."""
        now = time.monotonic()
        link = self._proxy_links.get(token)
        if link is None or link.forward_id != forward_id or link.expired(now):
            if link is not None and link.expired(now):
                del self._proxy_links[token]
            raise ApiError(ErrorCode.NOT_LOGGED_IN, PROXY_LINK_REFUSED, http_status=401)
        owned = self._forwards.get(forward_id)
        if owned is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"port-forward {forward_id} not found")
        principal = await self._current_principal(link.user_id)
        if principal is None or not (principal.is_admin or owned.owner_id == principal.user_id):
            del self._proxy_links[token]
            raise ApiError(ErrorCode.FORBIDDEN, "the user of this proxy link may no longer use this forward")
        definition = owned.forward.definition
        await self._authorize(self._system_context(principal), definition.cluster_id, definition.target)
        forward = owned.forward
        if forward.current is None or not forward.forwarder.listening:
            state = forward.state.value + (f": {forward.reason}" if forward.reason else "")
            raise ApiError(ErrorCode.CLUSTER_UNAVAILABLE,
                           f"port-forward {forward_id} has no pod to serve right now ({state})")
        link.used_at = now
        host, port = forward.address
        return ProxyUpstream(_connectable(host), port, link.cookies)

    # -- internals -----------------------------------------------------------------------------------
    def _owned(self, context: RequestContext, forward_id: str) -> OwnedForward:
        owned = self._forwards.get(forward_id)
        if owned is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"port-forward {forward_id} not found")
        caller = context.caller
        if not caller.is_admin and owned.owner_id != caller.user_id:
            raise ApiError(ErrorCode.FORBIDDEN, f"port-forward {forward_id} belongs to another user")
        return owned

    def _new(self, forward_id: str, owner: Principal, definition: ForwardDefinition, *, saved: bool,
             created_at: dt.datetime,
             authorize: Callable[[], Awaitable[None]] | None = None) -> OwnedForward:
        cluster = self._clusters.get(definition.cluster_id)
        forward = ManagedForward(definition, cluster, on_change=lambda _: self._changed(forward_id),
                                 authorize=authorize)
        return OwnedForward(id=forward_id, owner_id=owner.user_id, owner_name=owner.username, saved=saved,
                            created_at=created_at, forward=forward)

    async def _authorize(self, context: RequestContext, cluster_id: int, target: ForwardTarget, *,
                         check_target: bool = False) -> None:
        """`read` on the target's kind and `portforward` on pods in its namespace; with `check_target`, the target
        is read (40400, or Kubernetes' Forbidden as 40300) and its port checked where that needs no pods."""
        scope = await AccessScope.open(context, self._clusters, cluster_id, target.kind, namespace=target.namespace,
                                       verb=Verb.READ)
        pods = scope if target.kind == "pods" else scope.for_kind((await scope.cluster.registry()).lookup("pods"))
        pods.require(Verb.PORTFORWARD)
        if check_target:
            obj = await scope.cluster.request("GET", scope.kind.object_path(target.name, target.namespace))
            with contextlib.suppress(NoReadyPodError):  # no pod yet: the forward waits for one
                resolve_target(target, obj)

    def _owner_authorizer(self, owner_id: int, cluster_id: int,
                          target: ForwardTarget) -> Callable[[], Awaitable[None]]:
        """Checks the owner's access as of now (a saved forward's, before it serves after a restart)."""
        async def authorize() -> None:
            principal = await self._current_principal(owner_id)
            if principal is None:
                raise ApiError(ErrorCode.FORBIDDEN, "the owner of this forward is deactivated or deleted")
            await self._authorize(self._system_context(principal), cluster_id, target)
        return authorize

    async def _current_principal(self, user_id: int) -> Principal | None:
        user = await self._users.find(user_id)
        return principal_for(user) if user is not None and user.active else None

    @staticmethod
    def _system_context(principal: Principal) -> RequestContext:
        return RequestContext(request_id=SYSTEM_REQUEST_ID, principal=principal, client_ip="server")

    async def _restart_saved(self, record: repo.SavedForward) -> None:
        """Start one saved forward on its local port: it checks its owner's access once its cluster answers."""
        user = await self._users.find(record.user_id)
        if user is None:
            return  # its row went with the user (ON DELETE CASCADE); nothing to start
        target = ForwardTarget(record.kind, record.namespace, record.name, record.port)
        definition = ForwardDefinition(record.cluster_id, target, local_host=record.bind_address,
                                       local_port=record.local_port)
        try:
            owned = self._new(record.id, principal_for(user), definition, saved=True, created_at=record.created_at,
                              authorize=self._owner_authorizer(record.user_id, record.cluster_id, target))
        except CodedError as error:  # the cluster was forgotten
            log.warning("saved port-forward %s not started: %s", record.id, error.message)
            return
        self._forwards[owned.id] = owned
        refusal: ApiError | None = None
        bind_failure = await owned.forward.start_retrying_bind(
            lambda error: _bind_error(record.bind_address, record.local_port, error).message)
        if bind_failure is not None:
            refusal = _bind_error(record.bind_address, record.local_port, bind_failure)
            owned.awaiting_port = True
        self._audit.record("portforward.start", request_id=SYSTEM_REQUEST_ID, user_id=owned.owner_id,
                           username=owned.owner_name, **self._target_fields(owned),
                           code=int(refusal.code) if refusal else 0,
                           detail={"id": owned.id, "saved": True, "restarted": True,
                                   "localPort": record.local_port, "reason": refusal.message if refusal else None})

    async def _save(self, owned: OwnedForward, user_id: int) -> None:
        host, port = owned.forward.address
        target = owned.forward.definition.target
        async with self._store.transaction() as conn:
            await repo.insert_saved_forward(conn, repo.SavedForward(
                id=owned.id, user_id=user_id, cluster_id=owned.forward.definition.cluster_id, kind=target.kind,
                namespace=target.namespace, name=target.name, port=target.port, bind_address=host, local_port=port,
                created_at=owned.created_at))
        owned.saved = True

    async def _unsave(self, owned: OwnedForward) -> None:
        async with self._store.transaction() as conn:
            await repo.delete_saved_forward(conn, owned.id)
        owned.saved = False

    async def _remove(self, owned: OwnedForward) -> None:
        if self._forwards.pop(owned.id, None) is None:
            return
        if owned.saved:
            await self._unsave(owned)
        for token, link in list(self._proxy_links.items()):
            if link.forward_id == owned.id:
                del self._proxy_links[token]
        await owned.forward.aclose()
        self._publish("DELETED", owned)

    @staticmethod
    def _target_fields(owned: OwnedForward) -> dict[str, Any]:
        target = owned.forward.definition.target
        return {"cluster_id": owned.forward.definition.cluster_id, "namespace": target.namespace,
                "resource": target.kind, "name": target.name}

    def _changed(self, forward_id: str) -> None:
        owned = self._forwards.get(forward_id)
        if owned is None:
            return  # starting (not listed yet) or stopped
        forward = owned.forward
        if owned.awaiting_port and forward.forwarder.listening:
            owned.awaiting_port = False
            self._audit.record("portforward.start", request_id=SYSTEM_REQUEST_ID, user_id=owned.owner_id,
                               username=owned.owner_name, **self._target_fields(owned),
                               detail={"id": owned.id, "saved": True, "restarted": True, "retried": True,
                                       "localPort": forward.definition.local_port})
        if forward.reconnects > owned.reconnects_audited:
            owned.reconnects_audited = forward.reconnects
            self._audit.record("portforward.reconnect", request_id=SYSTEM_REQUEST_ID, user_id=owned.owner_id,
                               username=owned.owner_name, **self._target_fields(owned),
                               detail={"id": owned.id, "pod": forward.current.pod if forward.current else None,
                                       "reconnects": forward.reconnects})
        self._publish("MODIFIED", owned)

    def _publish(self, event_type: str, owned: OwnedForward) -> None:
        described = owned.describe()
        for subscription in list(self._subscribers):
            if subscription.sees(owned):
                subscription.deliver({"type": event_type, "name": owned.id, "object": described})

    async def _recheck_loop(self) -> None:
        while True:
            await asyncio.sleep(ACCESS_RECHECK_S)
            await self.recheck_access()

    async def recheck_access(self) -> None:
        """Stop the forwards whose owners lost access (deactivated, deleted, role or grants changed); audited.
        A cluster that does not answer is asked again next time."""
        principals: dict[int, Principal | None] = {}
        for owned in list(self._forwards.values()):
            if owned.owner_id not in principals:
                principals[owned.owner_id] = await self._current_principal(owned.owner_id)
            principal = principals[owned.owner_id]
            definition = owned.forward.definition
            try:
                if principal is None:
                    raise ApiError(ErrorCode.FORBIDDEN, "the owner of this forward is deactivated or deleted")
                await self._authorize(self._system_context(principal), definition.cluster_id, definition.target)
            except KubeError:
                continue
            except (ApiError, CodedError) as refused:
                self._audit.record("portforward.stop", request_id=SYSTEM_REQUEST_ID, user_id=owned.owner_id,
                                   username=owned.owner_name, **self._target_fields(owned),
                                   detail={"id": owned.id, "reason": f"no longer allowed: {refused.message}"})
                log.info("port-forward %s stopped: no longer allowed (%s)", owned.id, refused.message)
                await self._remove(owned)


def _connectable(bind_address: str) -> str:
    """The address a local client reaches a listener on: loopback for a wildcard bind."""
    parsed = ipaddress.ip_address(bind_address)
    if parsed.is_unspecified:
        return "::1" if parsed.version == 6 else "127.0.0.1"
    return bind_address


def _bind_error(host: str, port: int, error: OSError) -> ApiError:
    """A local port that could not be bound, as a clear error naming it."""
    if error.errno == errno.EADDRINUSE:
        return ApiError(ErrorCode.ALREADY_EXISTS, f"local port {port} on {host} is in use: choose another, or 0 "
                                                  f"for a free one")
    return ApiError(ErrorCode.PARAM_INVALID, f"cannot listen on {host}:{port}: {error.strerror or error}")


PORT_FORWARDS = web.AppKey("port_forwards", PortForwardService)
