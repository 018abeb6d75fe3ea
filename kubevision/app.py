"""`create_app(settings)`: wires services, middleware and routes. No I/O here; every start-up and
shutdown step lives in `cleanup_ctx`, in dependency order (store → auth/audit/users → clusters)."""

from __future__ import annotations

import dataclasses
import logging
import weakref
from collections.abc import AsyncIterator

from aiohttp import web

from kubevision.api import approvals as approvals_api
from kubevision.api import audit as audit_api
from kubevision.api import auth as auth_api
from kubevision.api import clusters as clusters_api
from kubevision.api import favorites as favorites_api
from kubevision.api import fleet as fleet_api
from kubevision.api import helm as helm_api
from kubevision.api import mcp as mcp_api
from kubevision.api import metrics as metrics_api
from kubevision.api import openapi as openapi_api
from kubevision.api import operations as operations_api
from kubevision.api import portforwards as portforwards_api
from kubevision.api import resources as resources_api
from kubevision.api import streams as streams_api
from kubevision.api import users as users_api
from kubevision.api import views as views_api
from kubevision.api import watch as watch_api
from kubevision.api.forward_proxy import FORWARD_PROXY, ForwardProxy, close_forward_proxy
from kubevision.api.health import add_health_routes
from kubevision.api.middleware import (
    add_security_headers,
    auth_middleware,
    envelope_middleware,
    host_guard_middleware,
    request_checks_middleware,
    request_id_middleware,
)
from kubevision.api.params import MAX_BODY_BYTES
from kubevision.api.routing import check_policies
from kubevision.api.websocket import OPEN_SOCKETS, close_open_sockets
from kubevision.auth.service import AUTH, AuthService
from kubevision.auth.users import USERS, UserService
from kubevision.config import SETTINGS, Settings
from kubevision.kube.clusters import CLUSTERS, CacheSettings, ClusterManager
from kubevision.kube.metrics import MetricsOptions
from kubevision.services.accounts import ACCOUNTS, AccountService
from kubevision.services.approvals import APPROVALS, ApprovalService
from kubevision.services.audit import AUDIT, AuditLog
from kubevision.services.clusters import CLUSTER_SERVICE, ClusterService
from kubevision.services.favorites import FAVORITES, FavoritesService
from kubevision.services.fleet import FLEET, FleetService
from kubevision.services.helm import HELM, HelmService
from kubevision.services.metrics import METRICS, MetricsService
from kubevision.services.pod_environment import POD_ENVIRONMENT, PodEnvironment
from kubevision.services.port_forwards import PORT_FORWARDS, PortForwardService
from kubevision.services.recordings import TERMINAL_SESSIONS, TerminalSessions, terminal_sessions_lifetime
from kubevision.services.resource_batch import BATCH_OPERATIONS, BatchService
from kubevision.services.resource_reads import RESOURCE_READER, ResourceReader
from kubevision.services.resource_writes import RESOURCE_WRITER, ResourceWriter
from kubevision.services.streams import STREAMS, StreamService
from kubevision.services.views import VIEWS, ViewService
from kubevision.services.workloads import WORKLOADS, WorkloadService
from kubevision.store import STORE, Store
from kubevision.web.spa import setup_frontend

log = logging.getLogger(__name__)

API_MODULES = (
    auth_api, users_api, audit_api, clusters_api, resources_api, operations_api, views_api, watch_api,
    streams_api, favorites_api, portforwards_api, helm_api, mcp_api, approvals_api, fleet_api, metrics_api,
    openapi_api,
)


@dataclasses.dataclass
class FirstRun:
    """What start-up learnt that the console banner must say once."""

    admin_password: str | None = None
    bootstrap_token: str | None = None


FIRST_RUN = web.AppKey("first_run", FirstRun)


def create_app(settings: Settings) -> web.Application:
    """Build the application for these settings."""
    app = web.Application(
        middlewares=[
            request_id_middleware,  # request id for the envelope, headers and every log line
            envelope_middleware,  # results and exceptions → envelope (API) or plain errors (pages)
            host_guard_middleware(settings),  # DNS-rebinding guard on the Host header
            request_checks_middleware(settings),  # Origin on writes, JSON bodies, 2 MiB limit
            auth_middleware(settings, auth_api.authenticate),  # who is calling, route access policy
        ],
        client_max_size=MAX_BODY_BYTES + 1,
    )
    store = Store(settings.effective_database_url)
    audit = AuditLog(store)
    app[SETTINGS] = settings
    app[STORE] = store
    app[AUDIT] = audit
    app[AUTH] = AuthService(settings=settings, store=store, audit=audit)
    app[USERS] = UserService(store, settings.data_dir)
    app[ACCOUNTS] = AccountService(users=app[USERS], auth=app[AUTH], audit=audit)
    app[FAVORITES] = FavoritesService(store)
    app[FIRST_RUN] = FirstRun()
    app[OPEN_SOCKETS] = weakref.WeakSet()
    metrics_options = MetricsOptions(interval_s=settings.metrics_interval_s, bucket_s=settings.metrics_bucket_s,
                                     retention_s=settings.metrics_retention_days * 86400, store=store)
    clusters = ClusterManager(store, settings.kubeconfig,
                              CacheSettings(cached_kinds=settings.cached_kinds, ttl_s=settings.cache_ttl_s),
                              metrics_options=metrics_options)
    app[CLUSTERS] = clusters
    app[CLUSTER_SERVICE] = ClusterService(clusters, audit)
    writer = ResourceWriter(clusters, audit)
    app[RESOURCE_READER] = ResourceReader(clusters, audit)
    app[RESOURCE_WRITER] = writer
    app[BATCH_OPERATIONS] = BatchService(writer)
    app[WORKLOADS] = WorkloadService(clusters, audit, writer)
    app[POD_ENVIRONMENT] = PodEnvironment(clusters, audit)
    app[HELM] = HelmService(clusters, audit)
    app[VIEWS] = ViewService(clusters)
    app[METRICS] = MetricsService(clusters)
    app[FLEET] = FleetService(clusters=clusters, reader=app[RESOURCE_READER], views=app[VIEWS])
    app[APPROVALS] = ApprovalService(store=store, clusters=clusters, audit=audit, auth=app[AUTH],
                                     reader=app[RESOURCE_READER], writer=writer, workloads=app[WORKLOADS],
                                     read_only=settings.read_only, second_person=settings.approval_second_person)
    app[TERMINAL_SESSIONS] = TerminalSessions(store, settings)
    app[STREAMS] = StreamService(clusters, audit, app[TERMINAL_SESSIONS])
    app[PORT_FORWARDS] = PortForwardService(clusters=clusters, audit=audit, store=store, users=app[USERS])
    app[FORWARD_PROXY] = ForwardProxy()

    add_health_routes(app.router)
    for module in API_MODULES:
        module.routes.add_to(app.router)
    setup_frontend(app)
    check_policies(app)

    app.on_response_prepare.append(add_security_headers)
    app.on_shutdown.append(close_open_sockets)
    app.on_cleanup.append(close_forward_proxy)
    app.cleanup_ctx.append(_store_lifetime)
    app.cleanup_ctx.append(_auth_lifetime)
    app.cleanup_ctx.append(_clusters_lifetime)
    app.cleanup_ctx.append(_port_forwards_lifetime)  # saved forwards start (and connect their clusters)
    app.cleanup_ctx.append(terminal_sessions_lifetime)  # retention purge of terminal recordings
    return app


async def _store_lifetime(app: web.Application) -> AsyncIterator[None]:
    app[SETTINGS].data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    await app[STORE].start()
    yield
    await app[STORE].aclose()


async def _auth_lifetime(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    auth = app[AUTH]
    auth.start()
    app[AUDIT].start()
    first_run = app[FIRST_RUN]
    created, first_run.admin_password = await app[USERS].ensure_first_admin(admin_password=settings.admin_password)
    if created:
        first_run.bootstrap_token = auth.mint_bootstrap_token()
    yield
    await app[AUDIT].aclose()


async def _clusters_lifetime(app: web.Application) -> AsyncIterator[None]:
    await app[CLUSTERS].start(app[AUTH].secrets)
    yield
    await app[CLUSTERS].aclose()


async def _port_forwards_lifetime(app: web.Application) -> AsyncIterator[None]:
    await app[PORT_FORWARDS].start()
    yield
    await app[PORT_FORWARDS].aclose()
