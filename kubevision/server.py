"""Running the server as a person would: pick a port, print the banner, open the browser, stop on a
signal. Everything here is about the process; the application itself is `app.create_app`."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import signal
import ssl
import sys
import webbrowser

from aiohttp import web

from kubevision import __version__
from kubevision.app import FIRST_RUN, create_app
from kubevision.auth.users import INITIAL_PASSWORD_FILE
from kubevision.config import Settings
from kubevision.logging_setup import AccessLogger

log = logging.getLogger(__name__)

# How many ports above the requested one are tried when it is busy.
PORT_SEARCH_SPAN = 20
MAX_PORT = 65535
SHUTDOWN_TIMEOUT_S = 5.0
# A connection must deliver a complete request head within this long of connecting or of its previous
# response: one that sends nothing, one that trickles its head, and an idle keep-alive connection are closed
# then (aiohttp's `keepalive_timeout` starts when the connection is made and is not extended by partial data).
# Behind a reverse proxy, keep the proxy's upstream keep-alive shorter than this.
IDLE_TIMEOUT_S = 15.0
# After a response, an unread request body is read and discarded for at most this long before the
# connection is closed (so a client still sending can read the answer).
LINGERING_TIME_S = 5.0
# Longest request line and header line, and most header lines (aiohttp's defaults, answered 400 past them).
MAX_LINE_BYTES = 8190
MAX_FIELD_BYTES = 8190
MAX_HEADERS = 128


def _display_available() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


async def _bind(runner: web.AppRunner, settings: Settings) -> tuple[web.TCPSite, int]:
    ssl_context = None
    if settings.tls_cert:
        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_context.load_cert_chain(settings.tls_cert, settings.tls_key)
    span = PORT_SEARCH_SPAN if settings.port_search and settings.port != 0 else 1
    last_port = min(settings.port + span - 1, MAX_PORT)
    for port in range(settings.port, last_port + 1):
        site = web.TCPSite(runner, settings.host, port, ssl_context=ssl_context,
                           shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        try:
            await site.start()
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            if port < last_port:
                log.warning("port %d is busy, trying %d", port, port + 1)
            continue
        bound_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return site, bound_port
    busy = f"ports {settings.port}-{last_port} are" if last_port > settings.port else f"port {settings.port} is"
    raise OSError(errno.EADDRINUSE, f"{busy} busy; choose another with --port")


def _banner(settings: Settings, url: str, password: str | None, bootstrap_url: str | None) -> str:
    lines = [
        "",
        f"  KubeVision {__version__}",
        f"  Open:      {url}",
        f"  Data dir:  {settings.data_dir}",
    ]
    if password:
        lines += [
            "  First run: user 'admin', password (shown once):",
            f"             {password}",
            f"             (also in {settings.data_dir / INITIAL_PASSWORD_FILE})",
        ]
    if bootstrap_url:
        lines.append(f"  Sign in:   {bootstrap_url}  (one-time link, 10 minutes)")
    lines += ["  Stop:      Ctrl+C", ""]
    return "\n".join(lines)


def make_runner(app: web.Application, *, idle_timeout_s: float = IDLE_TIMEOUT_S) -> web.AppRunner:
    """The runner with the connection limits above (tests pass a short `idle_timeout_s`)."""
    return web.AppRunner(app, access_log_class=AccessLogger, handle_signals=False, keepalive_timeout=idle_timeout_s,
                         lingering_time=LINGERING_TIME_S, max_line_size=MAX_LINE_BYTES,
                         max_field_size=MAX_FIELD_BYTES, max_headers=MAX_HEADERS)


async def serve(settings: Settings) -> None:
    """Start, print the banner, open the browser, and run until SIGINT/SIGTERM."""
    # Handlers first: a signal sent as soon as the banner appears must stop us cleanly, not kill us.
    stop = _stop_on_signals()
    app = create_app(settings)
    runner = make_runner(app)
    await runner.setup()
    try:
        _site, port = await _bind(runner, settings)
        scheme = "https" if settings.tls_cert else "http"
        host = settings.host if settings.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        url = f"{scheme}://{'[' + host + ']' if ':' in host else host}:{port}/"
        first_run = app[FIRST_RUN]
        bootstrap_url = f"{url}?bootstrap={first_run.bootstrap_token}" if first_run.bootstrap_token else None
        print(_banner(settings, url, first_run.admin_password, bootstrap_url), flush=True)
        if settings.host not in ("127.0.0.1", "localhost", "::1") and not settings.tls_cert:
            log.warning("listening on %s without TLS: use --tls-cert/--tls-key on shared networks",
                        settings.host)
        if not settings.no_browser and _display_available():
            webbrowser.open(bootstrap_url or url)
        log.info("serving on %s", url)
        await stop.wait()
        log.info("stopping")
    finally:
        await runner.cleanup()


def _stop_on_signals() -> asyncio.Event:
    """An event that SIGINT, SIGTERM or SIGHUP sets from now on."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            # Windows has no loop signal handlers: there Ctrl+C raises KeyboardInterrupt instead.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
    return stop
