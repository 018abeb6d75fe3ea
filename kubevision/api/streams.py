"""Pod logs, aggregated workload logs, log downloads and pod terminals (WebSockets), and the terminal
session history with its recordings. The frame formats are documented in docs/websockets.md.

Every socket is authenticated like `/ws/watch`: Origin and the single-use `?ticket=` are checked before
the upgrade (HTTP 403 / 401). Everything after that — bad parameters, missing pods, missing `logs` /
`exec` rights, grants — is reported as an `{"type": "error", "code", "message"}` frame followed by a
close, because a browser cannot read the body of a refused upgrade and the UI wants the code.

These are the protocols only; the plumbing (tickets, Origin, the bounded socket, close codes, error frames,
revalidation) is api/websocket.py. Each socket sends through its `BoundedSocket` (one writer, a bounded queue). Log
sockets use a bounded `LogBuffer` (readers stop reading the API server while it is full). A terminal's output
task waits on the socket's queue, so a slow browser slows the Kubernetes stream, which TCP then pushes back to
the container. Clients that flood a socket or stop reading are closed with 1008 (`*_SOCKET_LIMITS`).
Live sockets re-read their user (`websocket.revalidate`): revoked sessions are closed with 4001 and lost rights
end the stream with an error frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from kubevision.api.context import caller_context, principal_of
from kubevision.api.envelope import Reply
from kubevision.api.params import int_param
from kubevision.api.routing import Access, ApiRoutes, QueryParam
from kubevision.api.schemas import INTEGER, STRING, obj
from kubevision.api.websocket import (
    HEARTBEAT_S,
    BoundedSocket,
    SocketLimits,
    authorize_upgrade,
    error_frame,
    fail,
    open_websocket,
    revalidate,
)
from kubevision.auth.permissions import Principal, Verb
from kubevision.errors import ApiError, ErrorCode, api_error_for
from kubevision.kube.logs import STREAM_ERRORS, TERMINAL_FRAMES, LogBuffer, LogOptions, stream_error
from kubevision.services.recordings import TERMINAL_SESSIONS, TerminalSessionRecord
from kubevision.services.streams import STREAMS, Terminal
from kubevision.tasks import create_named_task, stop_tasks

log = logging.getLogger(__name__)
routes = ApiRoutes("streams")

# The browser sends nothing on a log socket; pings and stray messages are allowed at a trickle.
LOG_SOCKET_LIMITS = SocketLimits(max_message_bytes=4 * 1024, messages_per_second=5, message_burst=20)
# Keystrokes, pastes (one message each, up to 1 MiB) and resizes; mouse reporting in full-screen programs
# sends a message per mouse move.
TERMINAL_SOCKET_LIMITS = SocketLimits(max_message_bytes=1024 * 1024, messages_per_second=200, message_burst=1000)
# Browser → server control frames of a terminal (any other text frame is keystrokes).
TERMINAL_CONTROL_TYPES = frozenset({"resize"})
DOWNLOAD_CHUNK_BYTES = 64 * 1024
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 500

TICKET = QueryParam(name="ticket", description="from POST /ws/ticket (single use, 30 s)", required=True)
BOOLEAN_PARAM = {"type": "boolean"}
LOG_QUERY = (
    TICKET,
    QueryParam(name="container", description="container (default: the only one, or the "
                                             "kubectl.kubernetes.io/default-container annotation)"),
    QueryParam(name="tailLines", description="start this many lines from the end", schema=INTEGER),
    QueryParam(name="follow", description="keep streaming new lines (default true)", schema=BOOLEAN_PARAM),
    QueryParam(name="timestamps", description="prefix each line with its RFC 3339 timestamp",
               schema=BOOLEAN_PARAM),
    QueryParam(name="previous", description="the previous (crashed) container instance", schema=BOOLEAN_PARAM),
    QueryParam(name="sinceSeconds", description="only lines newer than this many seconds", schema=INTEGER),
    QueryParam(name="followRestarts", description="with follow: when the container restarts, send "
                                                  "`container-restart` and stream the new one (end when the pod "
                                                  "finishes or is deleted)", schema=BOOLEAN_PARAM),
)
AGGREGATED_QUERY = (  # aggregated sockets always follow restarts
    *(q for q in LOG_QUERY if q.name not in ("container", "followRestarts")),
    QueryParam(name="container", description="only this container of each pod (default: all containers)"),
)
SESSION = obj(id=STRING, userId=INTEGER, username=STRING, clusterId=INTEGER, clusterName=STRING,
              namespace=STRING, pod=STRING, container=STRING, command={"type": "array", "items": STRING},
              startedAt=STRING, endedAt=STRING, exitStatus=STRING, exitCode=INTEGER, bytes=INTEGER,
              recorded={"type": "boolean"})


# -- parameters ------------------------------------------------------------------------------------------
def _bool(request: web.Request, name: str, default: bool) -> bool:
    value = request.query.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise ApiError(ErrorCode.PARAM_INVALID, f"{name} must be true or false")


def _optional_int(request: web.Request, name: str, minimum: int) -> int | None:
    value = request.query.get(name)
    return None if value in (None, "") else int_param(value, name, default=0, minimum=minimum)


def _log_options(request: web.Request, *, follow_default: bool = True) -> LogOptions:
    return LogOptions(container=request.query.get("container") or None,
                      tail_lines=_optional_int(request, "tailLines", 0),
                      follow=_bool(request, "follow", follow_default),
                      timestamps=_bool(request, "timestamps", False),
                      previous=_bool(request, "previous", False),
                      since_seconds=_optional_int(request, "sinceSeconds", 1),
                      follow_restarts=_bool(request, "followRestarts", False))


def _cluster_id(request: web.Request) -> int:
    return int_param(request.match_info["id"], "id", default=0, minimum=1)


# -- shared by the log and terminal protocols ------------------------------------------------------------
async def _fail(socket: BoundedSocket, exc: Exception) -> None:
    """Report a stream's failure as its error frame and close (an unexpected one is logged, not described)."""
    if api_error_for(exc) is None:
        log.error("stream failed", exc_info=exc)
    await fail(socket, stream_error(exc))


async def _write_frames(socket: BoundedSocket, buffer: LogBuffer) -> None:
    """Frames from the buffer into the socket, as fast as the browser takes them; closes after end/error."""
    with contextlib.suppress(ConnectionError):
        async for frame in buffer.next_frames():
            await socket.send(frame)
            if frame["type"] in TERMINAL_FRAMES:
                await socket.close()
                return


async def _produce(buffer: LogBuffer, produce: Callable[[], Awaitable[None]]) -> None:
    """Run a producer; its refusal or failure becomes the terminal `error` frame."""
    try:
        await produce()
    except (ApiError, *STREAM_ERRORS) as exc:
        buffer.put_frame(error_frame(stream_error(exc)))
    except Exception as exc:
        log.exception("log stream failed")
        buffer.put_frame(error_frame(stream_error(exc)))


async def _serve_logs(request: web.Request, principal: Principal, produce: Callable[[LogBuffer], Awaitable[None]],
                      recheck: Callable[[Principal], Awaitable[Any]]) -> web.WebSocketResponse:
    async with open_websocket(request, LOG_SOCKET_LIMITS) as socket:
        buffer = LogBuffer()
        tasks = [create_named_task(_produce(buffer, lambda: produce(buffer)), name="logs-reader"),
                 create_named_task(_write_frames(socket, buffer), name="logs-writer"),
                 create_named_task(revalidate(socket, principal, on_change=recheck), name="logs-revalidate")]
        try:
            async for _message in socket.messages():  # nothing is expected from the browser; this notices it leaving
                pass
        finally:
            await stop_tasks(tasks)
    return socket.ws


def _log_socket(request: web.Request, principal: Principal, namespace: str,
                produce: Callable[[LogBuffer], Awaitable[None]]) -> Awaitable[web.WebSocketResponse]:
    streams = request.app[STREAMS]
    cluster_id = _cluster_id(request)

    async def recheck(current: Principal) -> None:
        await streams.authorize_pods(caller_context(request, current), cluster_id, namespace, Verb.LOGS)

    return _serve_logs(request, principal, produce, recheck)


# -- logs ------------------------------------------------------------------------------------------------
@routes.get("/clusters/{id}/namespaces/{ns}/pods/{name}/logs", access=Access.TICKET, websocket=True,
            summary="WebSocket: one container's log, batched (see docs/websockets.md)", query=LOG_QUERY)
async def pod_logs_socket(request: web.Request) -> web.StreamResponse:
    """`log` frames of lines, then `end`; refusals after the upgrade are `error` frames."""
    principal = await authorize_upgrade(request)
    streams = request.app[STREAMS]
    namespace, pod = request.match_info["ns"], request.match_info["name"]

    async def produce(buffer: LogBuffer) -> None:
        source = await streams.pod_log_target(caller_context(request, principal), _cluster_id(request), namespace,
                                              pod, _log_options(request))
        await streams.pump_pod_log(source, buffer)

    return await _log_socket(request, principal, namespace, produce)


@routes.get("/clusters/{id}/namespaces/{ns}/pods/{name}/logs/download", access=Access.TICKET,
            summary="A container's log as a text/plain attachment (not followed)",
            query=tuple(q for q in LOG_QUERY if q.name not in ("follow", "followRestarts")))
async def download_pod_logs(request: web.Request) -> web.StreamResponse:
    """Streams the log to the browser as `<pod>-<container>.log`; `?ticket=` because a download link
    cannot send headers. Errors before the first byte are envelopes."""
    principal = await authorize_upgrade(request)
    streams = request.app[STREAMS]
    source = await streams.pod_log_target(caller_context(request, principal), _cluster_id(request),
                                          request.match_info["ns"], request.match_info["name"],
                                          _log_options(request, follow_default=False))
    async with streams.open_download(source) as upstream:
        response = web.StreamResponse(headers={
            "Content-Type": "text/plain; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{source.filename}"',
            "Cache-Control": "no-store"})
        await response.prepare(request)
        try:
            async for chunk in upstream.content.iter_chunked(DOWNLOAD_CHUNK_BYTES):
                await response.write(chunk)
        except STREAM_ERRORS as exc:  # headers are sent: all we can do is end the file early
            log.warning("log download of %s/%s broke: %s", source.pod, source.container, exc)
            return response
        await response.write_eof()
    return response


@routes.get("/clusters/{id}/namespaces/{ns}/{kind}/{name}/logs", access=Access.TICKET, websocket=True,
            summary="WebSocket: merged logs of a deployment's, statefulset's, daemonset's or job's pods",
            query=AGGREGATED_QUERY)
async def workload_logs_socket(request: web.Request) -> web.StreamResponse:
    """Lines as `{pod, container, line}`; pods join (`pod-start`) and leave (`pod-end`) live."""
    principal = await authorize_upgrade(request)
    streams = request.app[STREAMS]
    namespace = request.match_info["ns"]

    async def produce(buffer: LogBuffer) -> None:
        source = await streams.workload_logs(caller_context(request, principal), _cluster_id(request), namespace,
                                             request.match_info["kind"], request.match_info["name"],
                                             _log_options(request), buffer)
        await source.run()

    return await _log_socket(request, principal, namespace, produce)


@routes.get("/clusters/{id}/namespaces/{ns}/logs", access=Access.TICKET, websocket=True,
            summary="WebSocket: merged logs of the pods matching a label selector",
            query=(*AGGREGATED_QUERY, QueryParam(name="labelSelector", description="Kubernetes label selector",
                                                 required=True)))
async def selector_logs_socket(request: web.Request) -> web.StreamResponse:
    """As the workload variant, for any label selector."""
    principal = await authorize_upgrade(request)
    streams = request.app[STREAMS]
    namespace = request.match_info["ns"]

    async def produce(buffer: LogBuffer) -> None:
        source = await streams.selector_logs(caller_context(request, principal), _cluster_id(request), namespace,
                                             request.query.get("labelSelector"), _log_options(request), buffer)
        await source.run()

    return await _log_socket(request, principal, namespace, produce)


# -- exec ------------------------------------------------------------------------------------------------
def _control(text: str) -> dict[str, Any] | None:
    """A browser control frame (JSON object whose `type` is known), or None for keystrokes."""
    if not text.startswith("{"):
        return None
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if isinstance(message, dict) and message.get("type") in TERMINAL_CONTROL_TYPES:
        return message
    return None


def _output_frames(text: str) -> list[str]:
    """Output never starts with `{` followed by more text, so it cannot be mistaken for a control frame."""
    if text.startswith("{") and len(text) > 1:
        return ["{", text[1:]]
    return [text]


async def _pump_output(socket: BoundedSocket, terminal: Terminal) -> None:
    """Kubernetes → browser, then the `exit` frame and close."""
    try:
        async for text in terminal.output():
            for part in _output_frames(text):
                await socket.send(part)
    except ConnectionError:
        return
    except STREAM_ERRORS as exc:
        await _fail(socket, exc)
        return
    status = terminal.status
    frame = {"type": "exit", "status": status.status if status else "Failure",
             "exitCode": status.exit_code if status else None,
             "message": (status.message if status else "the exec stream closed without a status"),
             "reason": status.reason if status else "StreamClosed"}
    with contextlib.suppress(ConnectionError):
        await socket.send(frame)
        await socket.close()


async def _handle_input(socket: BoundedSocket, terminal: Terminal, message: Any) -> None:
    if message.type == WSMsgType.BINARY:
        await terminal.write(message.data)
        return
    control = _control(message.data)
    if control is None:
        await terminal.write(message.data.encode())
        return
    try:
        cols, rows = control.get("cols"), control.get("rows")
        if not isinstance(cols, int) or not isinstance(rows, int):
            raise ApiError(ErrorCode.PARAM_INVALID, "resize needs integer cols and rows")
        await terminal.resize(cols, rows)
    except ApiError as exc:
        socket.reply(error_frame(exc, frame_type="warning"))


async def _keep_alive(terminal: Terminal) -> None:
    """Ping the Kubernetes side as often as the browser side is pinged (idle sessions stay open)."""
    while True:
        await asyncio.sleep(HEARTBEAT_S)
        await terminal.execution.ping()


async def _end_terminal(terminal: Terminal, tasks: list[asyncio.Task[Any]]) -> None:
    await stop_tasks(tasks)
    await terminal.finish()


@routes.get("/clusters/{id}/namespaces/{ns}/pods/{name}/exec", access=Access.TICKET, websocket=True,
            changes_state=True,
            summary="WebSocket: an interactive terminal in a container (recorded; see docs/websockets.md)",
            query=(TICKET,
                   QueryParam(name="container", description="container (default as for logs)"),
                   QueryParam(name="command", description="argv item, repeat for each; default bash, then sh"),
                   QueryParam(name="cols", description="initial terminal width", schema=INTEGER),
                   QueryParam(name="rows", description="initial terminal height", schema=INTEGER)))
async def exec_socket(request: web.Request) -> web.StreamResponse:
    """Keystrokes in, output out; `started` first, `exit` last."""
    principal = await authorize_upgrade(request)
    async with open_websocket(request, TERMINAL_SOCKET_LIMITS) as socket:
        await _serve_terminal(request, socket, principal)
    return socket.ws


async def _serve_terminal(request: web.Request, socket: BoundedSocket, principal: Principal) -> None:
    """Start the exec session (refusals become an `error` frame), then relay until either side ends."""
    streams = request.app[STREAMS]
    namespace, pod = request.match_info["ns"], request.match_info["name"]
    try:
        cluster_id = _cluster_id(request)
        terminal = await streams.start_terminal(
            caller_context(request, principal), cluster_id, namespace, pod,
            container=request.query.get("container") or None, command=request.query.getall("command", []),
            cols=_optional_int(request, "cols", 1), rows=_optional_int(request, "rows", 1))
    except Exception as exc:
        await _fail(socket, exc)
        return

    async def recheck(current: Principal) -> None:
        await streams.authorize_pods(caller_context(request, current), cluster_id, namespace, Verb.EXEC)

    tasks: list[asyncio.Task[Any]] = []
    try:
        await socket.send({"type": "started", "sessionId": terminal.session.id,
                           "container": terminal.execution.container, "command": terminal.execution.command,
                           "recorded": terminal.session.recorder is not None})
        tasks = [create_named_task(_pump_output(socket, terminal), name="exec-output"),
                 create_named_task(revalidate(socket, principal, on_change=recheck), name="exec-revalidate"),
                 create_named_task(_keep_alive(terminal), name="exec-keepalive")]
        async for message in socket.messages():
            await _handle_input(socket, terminal, message)
    except ConnectionError:
        pass
    finally:
        # The connection may already be gone (and this handler cancelled with it): the session row and the
        # recording must still be completed, so that runs in its own task, scheduled before any await.
        ending = create_named_task(_end_terminal(terminal, tasks), name="exec-finish")
        request.app[TERMINAL_SESSIONS].track(ending)
        await asyncio.shield(ending)


# -- terminal sessions -----------------------------------------------------------------------------------
def _session_json(record: TerminalSessionRecord) -> dict[str, Any]:
    return {"id": record.id, "userId": record.user_id, "username": record.username,
            "clusterId": record.cluster_id, "clusterName": record.cluster_name, "namespace": record.namespace,
            "pod": record.pod, "container": record.container, "command": record.command,
            "startedAt": record.started_at.isoformat(),
            "endedAt": record.ended_at.isoformat() if record.ended_at else None,
            "exitStatus": record.exit_status, "exitCode": record.exit_code, "bytes": record.bytes,
            "recorded": record.file is not None}


@routes.get("/terminal-sessions", access=Access.USER,
            summary="Terminal sessions, newest first: your own (an admin sees everyone's)",
            query=(QueryParam(name="user", description="admin only: one user's sessions (user id)", schema=INTEGER),
                   QueryParam(name="page", description="1-based page", schema=INTEGER),
                   QueryParam(name="pageSize", description=f"rows per page (default {DEFAULT_PAGE_SIZE}, "
                                                          f"max {MAX_PAGE_SIZE})", schema=INTEGER)),
            data={"type": "array", "items": SESSION})
async def list_terminal_sessions(request: web.Request) -> Any:
    """Paged, with `meta.total`."""
    page = int_param(request.query.get("page"), "page", default=1, minimum=1)
    page_size = int_param(request.query.get("pageSize"), "pageSize", default=DEFAULT_PAGE_SIZE, minimum=1,
                          maximum=MAX_PAGE_SIZE)
    user = request.query.get("user")
    records, total = await request.app[TERMINAL_SESSIONS].list(
        principal_of(request), page=page, page_size=page_size,
        user_id=int_param(user, "user", default=0, minimum=1) if user else None)
    return Reply([_session_json(r) for r in records], total=total, page=page, pageSize=page_size)


@routes.get("/terminal-sessions/{session}", access=Access.USER,
            summary="One terminal session (yours, or any for admin)", data=SESSION)
async def get_terminal_session(request: web.Request) -> Any:
    """40400 if unknown, 40300 if another user's."""
    return _session_json(await request.app[TERMINAL_SESSIONS].get(principal_of(request), request.match_info["session"]))


@routes.get("/terminal-sessions/{session}/recording", access=Access.USER,
            summary="The session's asciinema v2 recording (application/x-asciicast), not an envelope")
async def get_terminal_recording(request: web.Request) -> web.StreamResponse:
    """The `.cast` file; 40400 (envelope) when the session is unknown or was not recorded."""
    path = await request.app[TERMINAL_SESSIONS].recording_path(principal_of(request), request.match_info["session"])
    return web.FileResponse(path, headers={
        "Content-Type": "application/x-asciicast",
        "Content-Disposition": f'inline; filename="{path.name}"',
        "Cache-Control": "no-store"})
