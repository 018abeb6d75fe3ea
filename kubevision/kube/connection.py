"""`KubeConnection`: the HTTP transport to one API server.

kubernetes-asyncio is used only to *load* credentials (kubeconfig contexts with tokens, client
certificates, CA data/files, insecure-skip-tls-verify, proxy-url, exec plugins such as aws,
gke-gcloud-auth-plugin or kubelogin, OIDC; or the in-cluster service account). Requests go through our
own aiohttp session so that lists, watches and logs are parsed as raw JSON with orjson and streamed
line by line — the generated models would cost memory and time at 10k+ objects. On a 401 the
credentials are loaded again once (exec plugin tokens expire) and the request is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import orjson

from kubevision.kube.errors import KubeError, UnavailableError, error_from_status
from kubevision.tasks import SharedRun

log = logging.getLogger(__name__)

# A single API call (not a watch or a log stream) gives up after this long.
REQUEST_TIMEOUT_S = 30.0
# Connecting (TCP + TLS) to an API server that does not answer fails after this long.
CONNECT_TIMEOUT_S = 10.0
# Parallel requests per cluster; watches hold one each, so leave room for reads.
CONNECTION_LIMIT = 200
# Loading credentials (an exec plugin such as aws or kubelogin may hang on a prompt) gives up after this long.
CREDENTIALS_TIMEOUT_S = 30.0

# A kubernetes-asyncio `Configuration` (host, api_key, ssl_ca_cert, cert_file, key_file, verify_ssl,
# proxy). The library is imported on first connect, not at start: its generated client package alone
# costs ~60 MB of memory, which an idle server (or one whose clusters are never opened) need not pay.
Credentials = Any
CredentialLoader = Callable[[], Awaitable[Credentials]]


class CredentialsError(ValueError):
    """The kubeconfig context or service account cannot produce credentials."""


def kubeconfig_loader(config: dict[str, Any], context: str, base_path: str = "") -> CredentialLoader:
    """Credentials from one context of a parsed kubeconfig (exec plugins run from PATH)."""

    async def load() -> Credentials:
        from kubernetes_asyncio.client import Configuration
        from kubernetes_asyncio.config.config_exception import ConfigException
        from kubernetes_asyncio.config.kube_config import KubeConfigLoader

        configuration = Configuration()
        try:
            loader = KubeConfigLoader(config_dict=config, active_context=context, config_base_path=base_path)
            await loader.load_and_set(configuration)
        except ConfigException as exc:
            raise CredentialsError(str(exc)) from exc
        return configuration

    return load


def in_cluster_loader() -> CredentialLoader:
    """Credentials of the pod's service account."""

    async def load() -> Credentials:
        from kubernetes_asyncio.client import Configuration
        from kubernetes_asyncio.config.config_exception import ConfigException
        from kubernetes_asyncio.config.incluster_config import (
            SERVICE_CERT_FILENAME,
            SERVICE_TOKEN_FILENAME,
            InClusterConfigLoader,
        )

        configuration = Configuration()
        try:
            InClusterConfigLoader(token_filename=SERVICE_TOKEN_FILENAME,
                                  cert_filename=SERVICE_CERT_FILENAME).load_and_set(configuration)
        except ConfigException as exc:
            raise CredentialsError(str(exc)) from exc
        return configuration

    return load


def _ssl_context(configuration: Credentials) -> ssl.SSLContext | bool:
    if not configuration.host.startswith("https"):
        return False
    context = ssl.create_default_context(cafile=configuration.ssl_ca_cert)
    if configuration.cert_file:
        context.load_cert_chain(configuration.cert_file, keyfile=configuration.key_file)
    if not configuration.verify_ssl:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class KubeConnection:
    """An authenticated session to one API server, created on first use."""

    def __init__(self, cluster_name: str, load_credentials: CredentialLoader) -> None:
        self.cluster_name = cluster_name
        self._load_credentials = load_credentials
        self._session: aiohttp.ClientSession | None = None
        self._configuration: Credentials | None = None
        self._connecting = SharedRun(f"connect-{cluster_name}")

    @property
    def server(self) -> str | None:
        """The API server URL once credentials were loaded."""
        return self._configuration.host if self._configuration else None

    async def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            await self._connecting(self._connect)
        assert self._session is not None
        return self._session

    async def _connect(self) -> None:
        try:
            async with asyncio.timeout(CREDENTIALS_TIMEOUT_S):
                configuration = await self._load_credentials()
            ssl_context = _ssl_context(configuration)
        except TimeoutError:
            raise UnavailableError(f"cluster {self.cluster_name!r}: loading credentials took longer than "
                                   f"{CREDENTIALS_TIMEOUT_S:.0f} s", cluster=self.cluster_name) from None
        except (CredentialsError, OSError, ssl.SSLError, ValueError, KeyError) as exc:
            raise UnavailableError(
                f"cluster {self.cluster_name!r}: cannot load credentials: {exc}", cluster=self.cluster_name
            ) from exc
        headers = {"Accept": "application/json", "User-Agent": "kubevision"}
        token = configuration.api_key.get("BearerToken") or configuration.api_key.get("authorization")
        if token:
            headers["Authorization"] = token
        old = self._session
        self._configuration = configuration
        self._session = aiohttp.ClientSession(
            base_url=configuration.host.rstrip("/") + "/",
            headers=headers,
            connector=aiohttp.TCPConnector(ssl=ssl_context, limit=CONNECTION_LIMIT),
            proxy=configuration.proxy or None,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT_S),
        )
        if old is not None:
            await old.close()

    async def reload_credentials(self) -> None:
        """Load credentials again (expired exec-plugin or service-account token); concurrent 401s share it."""
        await self._connecting(self._connect)

    async def aclose(self) -> None:
        """Close the HTTP session."""
        await self._connecting.stop()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _unreachable(self, exc: BaseException) -> UnavailableError:
        detail = str(exc) or type(exc).__name__
        if isinstance(exc, asyncio.TimeoutError):
            detail = "timed out"
        return UnavailableError(f"cluster {self.cluster_name!r} is unreachable: {detail}",
                                cluster=self.cluster_name)

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                      body: Any = None, content_type: str = "application/json",
                      timeout_s: float = REQUEST_TIMEOUT_S, decode: Callable[[bytes], Any] | None = None) -> Any:
        """One API call; returns the decoded JSON body (or what `decode` makes of a successful body) or raises a
        `KubeError`."""
        data = None if body is None else (body if isinstance(body, bytes) else orjson.dumps(body))
        for attempt in (1, 2):
            session = await self._ensure_session()
            try:
                async with session.request(
                    method, path.lstrip("/"), params=_clean(params), data=data,
                    headers={"Content-Type": content_type} if data is not None else None,
                    timeout=aiohttp.ClientTimeout(total=timeout_s, sock_connect=CONNECT_TIMEOUT_S),
                ) as response:
                    raw = await response.read()
                    if response.status == 401 and attempt == 1:
                        await self.reload_credentials()
                        continue
                    if decode is not None and response.status < 400:
                        return decode(raw)
                    return self._decode(response.status, raw)
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                raise self._unreachable(exc) from exc
        raise AssertionError("unreachable")

    def _decode(self, status: int, raw: bytes) -> Any:
        try:
            decoded = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            decoded = None
        if status >= 400:
            fallback = raw[:500].decode("utf-8", "replace") if decoded is None else ""
            raise error_from_status(status, decoded, cluster=self.cluster_name, fallback=fallback)
        return decoded

    @contextlib.asynccontextmanager
    async def stream(self, path: str, *, params: dict[str, Any] | None = None,
                     read_timeout_s: float | None = None) -> AsyncIterator[aiohttp.ClientResponse]:
        """An open streaming response (watch, logs) after its status was checked."""
        for attempt in (1, 2):
            session = await self._ensure_session()
            try:
                response = await session.get(
                    path.lstrip("/"), params=_clean(params),
                    timeout=aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT_S,
                                                  sock_read=read_timeout_s),
                )
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                raise self._unreachable(exc) from exc
            if response.status == 401 and attempt == 1:
                response.release()
                await self.reload_credentials()
                continue
            if response.status >= 400:
                raw = await response.read()
                response.release()
                self._decode(response.status, raw)
            try:
                yield response
            finally:
                response.release()
            return

    async def ws_connect(self, path: str, *, params: list[tuple[str, str]],
                         protocols: tuple[str, ...]) -> aiohttp.ClientWebSocketResponse:
        """A WebSocket to the API server (pod exec); HTTP errors become `KubeError`s."""
        session = await self._ensure_session()
        try:
            return await session.ws_connect(path.lstrip("/"), params=params, protocols=protocols,
                                            heartbeat=None, max_msg_size=0)
        except aiohttp.WSServerHandshakeError as exc:
            raise error_from_status(exc.status, {"message": exc.message}, cluster=self.cluster_name) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise self._unreachable(exc) from exc


def _clean(params: dict[str, Any] | None) -> dict[str, str] | None:
    """Drop None values and render booleans the way the API server expects."""
    if not params:
        return None
    return {k: ("true" if v is True else "false" if v is False else str(v))
            for k, v in params.items() if v is not None}


__all__ = ["KubeConnection", "KubeError", "in_cluster_loader", "kubeconfig_loader"]
