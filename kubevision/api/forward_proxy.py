"""The HTTP proxy through a port-forward, for a browser that is not on the KubeVision machine (issue 16, item 5).

`/api/v1/port-forwards/{forward}/proxy/{token}/…` carries a request to the forward's own local listener, and so over
its tunnel to whichever pod it serves now. The token (from `POST /port-forwards/{forward}/proxy-links`) is the
credential: a browser tab cannot send the Bearer token, and a secret in the path stays in every relative link,
form and WebSocket URL of the proxied page, so no cookie is needed. Each request is checked as of now
(`PortForwardService.open_proxy`).

What the proxied server sends is someone else's content on KubeVision's origin, so:
- every answer carries `Content-Security-Policy: sandbox …` without `allow-same-origin`: the page gets an opaque
  origin and cannot read KubeVision's storage (the access token) or call its API with the user's credentials;
  the page's own requests then come from origin `null`, and are answered with `Access-Control-Allow-Origin:
  null` (preflights by the proxy itself), which grants nothing the path's secret did not already;
- the upstream's cookies never reach the browser: they are kept on the server, per proxy link, and sent with
  that link's requests (so logins into the proxied app work, and nothing lands in KubeVision's cookies);
- KubeVision's credentials never reach the upstream (`X-API-Key`, Bearer `Authorization`, the browser's
  cookies); `Origin` becomes the upstream's own, `X-Forwarded-Prefix/Host/Proto/For` say where it is served;
- headers that would act on KubeVision's origin are dropped (`Clear-Site-Data`, `Strict-Transport-Security`,
  `Alt-Svc`, CORS headers); redirects to an absolute path or to the upstream's own address are rewritten under
  the proxy path (others pass unchanged);
- requests from another origin are refused (40300), and `--read-only` lets through only GET, HEAD and OPTIONS
  (no WebSocket, which could change anything).
"""

from __future__ import annotations

import asyncio
import contextlib
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from kubevision.api.context import client_ip
from kubevision.api.routing import API_PREFIX, READ_ONLY_REFUSED
from kubevision.config import SETTINGS
from kubevision.errors import ApiError, ErrorCode
from kubevision.services.port_forwards import PORT_FORWARDS, ProxyUpstream
from kubevision.tasks import create_named_task

# Connecting to the forward's listener (the tunnel itself is already open or reconnecting).
PROXY_CONNECT_TIMEOUT_S = 10.0
# Connections from the proxy to all forwards' listeners at once (more wait for a free one).
PROXY_MAX_CONNECTIONS = 100
# Bytes read from one side before they are written to the other.
PROXY_CHUNK_BYTES = 64 * 1024
# Largest WebSocket message relayed either way.
PROXY_WS_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
# How long a browser may cache a preflight answer.
PREFLIGHT_MAX_AGE_S = 600
SANDBOX_POLICY = "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NULL_ORIGIN = "null"

_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
                         "te", "trailer", "transfer-encoding", "upgrade"})
_REQUEST_DROPPED = _HOP_BY_HOP | {"host", "cookie", "x-api-key", "origin", "referer", "forwarded", "x-forwarded-for",
                                  "x-forwarded-host", "x-forwarded-proto", "x-forwarded-prefix"}
_WEBSOCKET_DROPPED = _REQUEST_DROPPED | {"sec-websocket-key", "sec-websocket-version", "sec-websocket-protocol",
                                        "sec-websocket-extensions", "sec-websocket-accept"}
_RESPONSE_DROPPED = _HOP_BY_HOP | {"set-cookie", "clear-site-data", "strict-transport-security", "alt-svc",
                                   "access-control-allow-origin", "access-control-allow-credentials",
                                   "access-control-allow-methods", "access-control-allow-headers",
                                   "access-control-expose-headers", "access-control-max-age"}
_REWRITTEN_LOCATIONS = ("Location", "Content-Location")

class ForwardProxy:
    """The HTTP client the proxy reaches forwards' listeners with (one connection pool, no shared cookies)."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The client session (made on first use)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=PROXY_MAX_CONNECTIONS),
                cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False, trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None, connect=PROXY_CONNECT_TIMEOUT_S, sock_read=None))
        return self._session

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()


FORWARD_PROXY = web.AppKey("forward_proxy", ForwardProxy)


async def close_forward_proxy(app: web.Application) -> None:
    """`on_cleanup` hook: close the proxy's connection pool."""
    await app[FORWARD_PROXY].aclose()


def proxy_prefix(forward_id: str, token: str) -> str:
    """The path the proxied server's root is served under (no trailing slash)."""
    return f"{API_PREFIX}/port-forwards/{forward_id}/proxy/{token}"


async def serve_proxy(request: web.Request) -> web.StreamResponse:
    """Relay one request (or WebSocket) to the forward's listener; see the module docstring for the rules."""
    forward_id, token, path = (request.match_info[key] for key in ("forward", "token", "path"))
    prefix = proxy_prefix(forward_id, token)
    upstream = await request.app[PORT_FORWARDS].open_proxy(forward_id, token)
    origin = request.headers.get("Origin")
    if origin is not None and origin != NULL_ORIGIN and not _same_origin(request, origin):
        raise ApiError(ErrorCode.FORBIDDEN, f"proxy requests from {origin} are refused")
    websocket = request.headers.get("Upgrade", "").lower() == "websocket"
    if request.app[SETTINGS].read_only and (websocket or request.method not in SAFE_METHODS):
        raise ApiError(ErrorCode.FORBIDDEN, f"{READ_ONLY_REFUSED}: the proxy passes only GET, HEAD and OPTIONS")
    query = f"?{request.rel_url.raw_query_string}" if request.rel_url.raw_query_string else ""
    if not path:
        raise web.HTTPPermanentRedirect(f"{prefix}/{query}")  # relative links resolve under the prefix
    if request.method == "OPTIONS" and origin == NULL_ORIGIN and "Access-Control-Request-Method" in request.headers:
        return _preflight(request)
    raw_path = request.rel_url.raw_path  # as the browser encoded it (`%2F` stays `%2F`)
    url = URL(f"http://{_authority(upstream)}{raw_path[len(prefix):] if raw_path.startswith(prefix) else path}{query}",
              encoded=True)
    headers = _upstream_headers(request, upstream, prefix, dropped=_WEBSOCKET_DROPPED if websocket else
                                _REQUEST_DROPPED)
    headers.update(_cookie_header(upstream, url))
    if websocket:
        return await _relay_websocket(request, upstream, url, headers)
    return await _relay_http(request, upstream, url, headers, prefix)


def _authority(upstream: ProxyUpstream) -> str:
    host = f"[{upstream.host}]" if ":" in upstream.host else upstream.host
    return f"{host}:{upstream.port}"


def _same_origin(request: web.Request, origin: str) -> bool:
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == request.host.lower()


def _upstream_headers(request: web.Request, upstream: ProxyUpstream, prefix: str, *,
                      dropped: frozenset[str]) -> CIMultiDict[str]:
    """The browser's headers without hop-by-hop ones and KubeVision's credentials, plus where it is served."""
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in request.headers.items():
        if name.lower() in dropped:
            continue
        if name.lower() == "authorization" and value[:7].lower() == "bearer ":
            continue  # KubeVision's own scheme; the proxied app's Basic or Digest passes
        headers.add(name, value)
    if "Origin" in request.headers:
        headers["Origin"] = f"http://{_authority(upstream)}"
    headers["X-Forwarded-For"] = client_ip(request)
    headers["X-Forwarded-Host"] = request.host
    headers["X-Forwarded-Proto"] = request.scheme
    headers["X-Forwarded-Prefix"] = prefix
    return headers


def _cookie_header(upstream: ProxyUpstream, url: URL) -> dict[str, str]:
    """The upstream's cookies kept for this proxy link."""
    cookies = upstream.cookies.filter_cookies(url)
    rendered = "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())
    return {"Cookie": rendered} if rendered else {}


def _keep_cookies(upstream: ProxyUpstream, response_headers: CIMultiDictProxy[str], url: URL) -> None:
    for header in response_headers.getall("Set-Cookie", ()):
        parsed: SimpleCookie = SimpleCookie()
        with contextlib.suppress(Exception):
            parsed.load(header)
            upstream.cookies.update_cookies(parsed, url)


def _rewrite_location(value: str, upstream: ProxyUpstream, prefix: str) -> str:
    """Redirect targets on the upstream itself are served under the proxy path; others are left alone."""
    if value.startswith("/") and not value.startswith("//"):
        return prefix + value
    parts = urlsplit(value)
    local_names = {_authority(upstream), f"localhost:{upstream.port}"}
    if parts.scheme in ("http", "https") and parts.netloc.lower() in local_names:
        rest = parts.path or "/"
        return prefix + rest + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}"
                                                                            if parts.fragment else "")
    return value


def _response_headers(request: web.Request, upstream: ProxyUpstream, answered: CIMultiDictProxy[str],
                      prefix: str) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in answered.items():
        if name.lower() in _RESPONSE_DROPPED:
            continue
        if name.title() in _REWRITTEN_LOCATIONS:
            value = _rewrite_location(value, upstream, prefix)
        headers.add(name, value)
    headers.add("Content-Security-Policy", SANDBOX_POLICY)
    if request.headers.get("Origin") == NULL_ORIGIN:
        headers["Access-Control-Allow-Origin"] = NULL_ORIGIN
        headers["Vary"] = ", ".join(filter(None, (answered.get("Vary"), "Origin")))
    return headers


def _preflight(request: web.Request) -> web.Response:
    """The sandboxed page's preflights: its own requests are allowed (the path's secret is the credential)."""
    headers = {"Access-Control-Allow-Origin": NULL_ORIGIN, "Vary": "Origin",
               "Access-Control-Allow-Methods": request.headers["Access-Control-Request-Method"],
               "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S), "Content-Security-Policy": SANDBOX_POLICY}
    if requested := request.headers.get("Access-Control-Request-Headers"):
        headers["Access-Control-Allow-Headers"] = requested
    return web.Response(status=204, headers=headers)


def _unreachable(request: web.Request, error: Exception) -> ApiError:
    return ApiError(ErrorCode.CLUSTER_UNAVAILABLE,
                    f"port-forward {request.match_info['forward']}: the pod port did not answer ({error or 'closed'})")


async def _relay_http(request: web.Request, upstream: ProxyUpstream, url: URL, headers: CIMultiDict[str],
                      prefix: str) -> web.StreamResponse:
    body = request.content.iter_chunked(PROXY_CHUNK_BYTES) if request.body_exists else None
    try:
        answer = await request.app[FORWARD_PROXY].session.request(request.method, url, headers=headers, data=body,
                                                                 allow_redirects=False)
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise _unreachable(request, error) from None
    async with answer:
        _keep_cookies(upstream, answer.headers, url)
        response = web.StreamResponse(status=answer.status, reason=answer.reason,
                                      headers=_response_headers(request, upstream, answer.headers, prefix))
        await response.prepare(request)
        with contextlib.suppress(aiohttp.ClientError, ConnectionError):  # either side went away mid-answer
            async for chunk in answer.content.iter_chunked(PROXY_CHUNK_BYTES):
                await response.write(chunk)
        await response.write_eof()
    return response


async def _relay_websocket(request: web.Request, upstream: ProxyUpstream, url: URL,
                           headers: CIMultiDict[str]) -> web.StreamResponse:
    protocols = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
    try:
        remote = await request.app[FORWARD_PROXY].session.ws_connect(
            url, protocols=protocols, headers=headers, max_msg_size=PROXY_WS_MAX_MESSAGE_BYTES, autoclose=False)
    except aiohttp.WSServerHandshakeError as refused:
        raise ApiError(ErrorCode.CLUSTER_UNAVAILABLE, f"port-forward {request.match_info['forward']}: the pod refused "
                                                      f"the WebSocket upgrade (HTTP {refused.status})") from None
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise _unreachable(request, error) from None
    local = web.WebSocketResponse(protocols=(remote.protocol,) if remote.protocol else (),
                                  max_msg_size=PROXY_WS_MAX_MESSAGE_BYTES, autoclose=False)
    local.headers["Content-Security-Policy"] = SANDBOX_POLICY
    try:
        await local.prepare(request)
        name = f"forward-proxy-{request.match_info['forward']}"
        pumps = [create_named_task(_pump(local, remote), name=f"{name}-up"),
                 create_named_task(_pump(remote, local), name=f"{name}-down")]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
    finally:
        code = remote.close_code or local.close_code or aiohttp.WSCloseCode.OK
        with contextlib.suppress(Exception):
            await remote.close(code=code)
        with contextlib.suppress(Exception):
            await local.close(code=code)
    return local


async def _pump(source: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
                sink: web.WebSocketResponse | aiohttp.ClientWebSocketResponse) -> None:
    """Messages from one side to the other until a close or an error (either side going away ends it)."""
    with contextlib.suppress(ConnectionError, aiohttp.ClientError):
        async for message in source:
            if message.type == aiohttp.WSMsgType.TEXT:
                await sink.send_str(message.data)
            elif message.type == aiohttp.WSMsgType.BINARY:
                await sink.send_bytes(message.data)
            else:
                return
