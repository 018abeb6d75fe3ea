"""`StreamService`: authorized log streams, log downloads and terminal sessions.

Authorization is the same as everywhere (role verbs ∩ cluster grants ∩ namespace grants, through an
`AccessScope`, services/access.py): pod logs need the `logs` verb on `pods`, aggregated workload logs also
`read` on the workload kind, exec needs `exec` on `pods`. Kubernetes RBAC answers on top (Forbidden →
40300). The WebSocket plumbing (frames, writer, heartbeats) stays in `api/streams.py`; this module knows
Kubernetes and the session records.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from kubevision.auth.permissions import Verb
from kubevision.errors import ApiError, ErrorCode, code_for
from kubevision.kube.clusters import ClusterManager
from kubevision.kube.errors import KubeError
from kubevision.kube.exec import ExecStatus, PodExec
from kubevision.kube.logs import (
    AggregatedLogs,
    Frame,
    LogBuffer,
    LogOptions,
    choose_container,
    container_waiting,
    open_log,
    pump_pod_log,
    restart_counts,
    selector_predicate,
    workload_selector,
)
from kubevision.kube.registry import Capability, builtin_plurals
from kubevision.services.access import AccessScope
from kubevision.services.audit import AuditLog
from kubevision.services.context import RequestContext
from kubevision.services.recordings import ActiveSession, TerminalSessions

# Terminal size assumed until the browser says otherwise (also the recording's header).
DEFAULT_COLS, DEFAULT_ROWS = 80, 24
MAX_TERMINAL_DIMENSION = 1000


@dataclasses.dataclass(frozen=True, kw_only=True)
class PodLogTarget:
    """An authorized single-container log source."""

    target: AccessScope
    namespace: str
    pod: str
    container: str
    options: LogOptions
    restarts: int = 0  # the container's restartCount when the target was made
    waiting: Frame | None = None  # why the container has not started, when the target was made (`container_waiting`)

    @property
    def filename(self) -> str:
        """Download name: `<pod>-<container>[-previous].log`."""
        suffix = "-previous" if self.options.previous else ""
        return f"{self.pod}-{self.container}{suffix}.log"


class Terminal:
    """A running exec session: the Kubernetes side, its record, and the output decoder."""

    def __init__(self, execution: PodExec, session: ActiveSession, sessions: TerminalSessions,
                 audit: AuditLog, audit_fields: dict[str, Any]) -> None:
        self.execution = execution
        self.session = session
        self._sessions = sessions
        self._audit = audit
        self._audit_fields = audit_fields
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._finished = False

    @property
    def status(self) -> ExecStatus | None:
        """The exit status once the command ended."""
        return self.execution.status

    async def output(self) -> AsyncIterator[str]:
        """Decoded terminal output (recorded as it passes)."""
        async for data in self.execution.output():
            text = self._decoder.decode(data)
            self.session.output(data, text)
            if text:
                yield text

    async def write(self, data: bytes) -> None:
        """Keystrokes."""
        await self.execution.write(data)

    async def resize(self, cols: int, rows: int) -> None:
        """New terminal size (validated: 1..1000 each)."""
        if not (1 <= cols <= MAX_TERMINAL_DIMENSION and 1 <= rows <= MAX_TERMINAL_DIMENSION):
            raise ApiError(ErrorCode.PARAM_INVALID, f"cols and rows must be between 1 and {MAX_TERMINAL_DIMENSION}")
        self.session.resize(cols, rows)
        await self.execution.resize(cols, rows)

    async def finish(self) -> None:
        """Close the Kubernetes side and complete the session row (idempotent)."""
        if self._finished:
            return
        self._finished = True
        await self.execution.aclose()
        status = self.execution.status
        await self._sessions.end(self.session, exit_status=status.status if status else None,
                                 exit_code=status.exit_code if status else None)
        self._audit.record("pod.exec.end", **self._audit_fields,
                           detail={"sessionId": self.session.id, "bytes": self.session.bytes,
                                   "exitStatus": status.status if status else None,
                                   "exitCode": status.exit_code if status else None})


class StreamService:
    """Opens log streams and terminals for a caller."""

    def __init__(self, clusters: ClusterManager, audit: AuditLog, sessions: TerminalSessions) -> None:
        self._clusters = clusters
        self._audit = audit
        self._sessions = sessions

    async def authorize_pods(self, context: RequestContext, cluster_id: int, namespace: str,
                             verb: Verb) -> AccessScope:
        """The `pods` scope in a namespace if `verb` is allowed there (also used to re-check live sockets)."""
        if not namespace:
            raise ApiError(ErrorCode.PARAM_MISSING, "namespace is required")
        return await AccessScope.open(context, self._clusters, cluster_id, "pods", namespace=namespace, verb=verb)

    @staticmethod
    async def _pod(target: AccessScope, name: str) -> dict[str, Any]:
        assert target.namespace is not None
        return await target.cluster.request("GET", target.kind.object_path(name, target.namespace))

    async def pod_log_target(self, context: RequestContext, cluster_id: int, namespace: str, pod: str,
                             options: LogOptions) -> PodLogTarget:
        """Authorize, find the pod (40400) and choose its container (40400 / 40001)."""
        target = await self.authorize_pods(context, cluster_id, namespace, Verb.LOGS)
        pod_object = await self._pod(target, pod)
        container = choose_container(pod_object, options.container)
        return PodLogTarget(target=target, namespace=namespace, pod=pod, container=container, options=options,
                            restarts=restart_counts(pod_object).get(container, 0),
                            waiting=None if options.previous else container_waiting(pod_object, container))

    async def pump_pod_log(self, source: PodLogTarget, buffer: LogBuffer) -> None:
        """Copy the log into `buffer` until it ends (`end`) or fails (`error`); with `follow_restarts`, through
        restarts of the container (the pod informer says when). A container not started yet is announced
        (`waiting`) and, when following, streamed once it starts."""
        options = source.options
        follows_restarts = options.follow and options.follow_restarts and not options.previous
        cluster = source.target.cluster
        pod_cache = cluster.caches.cache_for(source.target.kind) if options.follow else None
        await pump_pod_log(cluster, source.namespace, source.pod, source.container, options, buffer,
                           pod_cache=pod_cache if follows_restarts else None, restarts=source.restarts,
                           waiting=source.waiting, start_cache=pod_cache)

    @contextlib.asynccontextmanager
    async def open_download(self, source: PodLogTarget) -> AsyncIterator[aiohttp.ClientResponse]:
        """The open (non-follow) log response for a download."""
        options = dataclasses.replace(source.options, follow=False)
        async with open_log(source.target.cluster, source.namespace, source.pod, source.container,
                            options) as response:
            yield response

    async def workload_logs(self, context: RequestContext, cluster_id: int, namespace: str, resource: str,
                            name: str, options: LogOptions, buffer: LogBuffer) -> AggregatedLogs:
        """Merged logs of a Deployment's / StatefulSet's / DaemonSet's / Job's pods (by its selector)."""
        workload_target = await AccessScope.open(context, self._clusters, cluster_id, resource, namespace=namespace,
                                                 verb=Verb.READ)
        if Capability.AGGREGATED_LOGS not in workload_target.kind.capabilities:
            aggregatable = ", ".join(builtin_plurals(Capability.AGGREGATED_LOGS))
            raise ApiError(ErrorCode.PARAM_INVALID, f"aggregated logs exist for {aggregatable}; "
                                                    f"not for {workload_target.kind.name}")
        pods = await self.authorize_pods(context, cluster_id, namespace, Verb.LOGS)
        workload = await workload_target.cluster.request(
            "GET", workload_target.kind.object_path(name, namespace))
        return self._aggregate(pods, workload_selector(workload), options, buffer)

    async def selector_logs(self, context: RequestContext, cluster_id: int, namespace: str, selector: str | None,
                            options: LogOptions, buffer: LogBuffer) -> AggregatedLogs:
        """Merged logs of the pods matching a label selector."""
        selector_predicate(selector or "")  # 40001 / 40002 before anything else is asked
        pods = await self.authorize_pods(context, cluster_id, namespace, Verb.LOGS)
        return self._aggregate(pods, selector or "", options, buffer)

    @staticmethod
    def _aggregate(pods: AccessScope, selector: str, options: LogOptions, buffer: LogBuffer) -> AggregatedLogs:
        assert pods.namespace is not None
        cache = pods.cluster.caches.cache_for(pods.kind)
        return AggregatedLogs(pods.cluster, cache, namespace=pods.namespace, selector=selector, options=options,
                              buffer=buffer)

    async def start_terminal(self, context: RequestContext, cluster_id: int, namespace: str, pod: str, *,
                             container: str | None, command: list[str], cols: int | None,
                             rows: int | None) -> Terminal:
        """Authorize (`exec`), choose the container, connect (with the bash → sh fallback), start the
        session record and recording, and audit it."""
        target = await self.authorize_pods(context, cluster_id, namespace, Verb.EXEC)
        chosen = choose_container(await self._pod(target, pod), container)
        audit_fields = {"name": pod, **target.audit_fields()}
        execution = PodExec(target.cluster, namespace, pod, chosen)
        # Written ahead, like every change: the intent is on record before the exec request is sent.
        entry = await self._audit.begin("pod.exec", detail={"container": chosen, "command": command},
                                        **audit_fields)
        try:
            await execution.connect(command or None)
        except KubeError as exc:
            await self._audit.finish(entry, int(code_for(exc)))
            raise
        try:
            session = await self._sessions.begin(
                context.caller, cluster_id=target.cluster.id, cluster_name=target.cluster.name, namespace=namespace,
                pod=pod, container=chosen, command=execution.command, width=cols or DEFAULT_COLS,
                height=rows or DEFAULT_ROWS)
        except BaseException:
            await execution.aclose()
            raise
        await self._audit.finish(entry, 0, command=execution.command, sessionId=session.id)
        terminal = Terminal(execution, session, self._sessions, self._audit, audit_fields)
        if cols and rows:
            await terminal.resize(cols, rows)
        return terminal


STREAMS = web.AppKey("streams", StreamService)
