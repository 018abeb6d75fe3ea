"""Request checks of the middleware stack: bodies, content type, size, routes, Host, Origin, headers."""

from __future__ import annotations

import pytest

from kubevision.api.params import MAX_BODY_BYTES
from tests.helpers import ADMIN_PASSWORD, ApiSession, assert_envelope

LOGIN = "/api/v1/auth/login"


async def envelope_of(response) -> dict:
    assert response.status == 200, await response.text()
    return await response.json()


async def test_malformed_json_is_40002(client) -> None:
    response = await client.post(LOGIN, data=b'{"username": "admin", ',
                                 headers={"Content-Type": "application/json"})
    body = await envelope_of(response)
    assert_envelope(body, 40002)
    assert "malformed JSON" in body["message"]


@pytest.mark.parametrize("payload", [b"[]", b'"admin"', b"null", b"42"])
async def test_json_that_is_not_an_object_is_40002(client, payload: bytes) -> None:
    response = await client.post(LOGIN, data=payload, headers={"Content-Type": "application/json"})
    assert_envelope(await envelope_of(response), 40002)


async def test_empty_json_body_is_40001(client) -> None:
    response = await client.post(LOGIN, data=b"", headers={"Content-Type": "application/json"})
    assert_envelope(await envelope_of(response), 40001)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
async def test_wrong_content_type_is_40002(client, content_type: str) -> None:
    body = b'{"username": "admin", "password": "admin-password-1"}'
    response = await client.post(LOGIN, data=body, headers={"Content-Type": content_type})
    envelope = await envelope_of(response)
    assert_envelope(envelope, 40002)
    assert envelope["message"] == "Content-Type must be application/json"


async def test_json_with_charset_parameter_is_accepted(client) -> None:
    body = b'{"username": "admin", "password": "admin-password-1"}'
    response = await client.post(LOGIN, data=body,
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    assert assert_envelope(await envelope_of(response), 0)["accessToken"]


async def test_body_over_2_mib_is_40002(client) -> None:
    oversized = b'{"username": "' + b"a" * MAX_BODY_BYTES + b'", "password": "x"}'
    response = await client.post(LOGIN, data=oversized, headers={"Content-Type": "application/json"})
    body = await envelope_of(response)
    assert_envelope(body, 40002)
    assert "2 MiB" in body["message"]


async def test_chunked_body_over_2_mib_is_40002(client) -> None:
    async def chunks():
        yield b'{"username": "'
        for _ in range(3):
            yield b"a" * (1024 * 1024)
        yield b'", "password": "x"}'

    response = await client.post(LOGIN, data=chunks(), headers={"Content-Type": "application/json"})
    body = await envelope_of(response)
    assert_envelope(body, 40002)
    assert "2 MiB" in body["message"]


async def test_body_just_under_2_mib_is_read(client) -> None:
    # The limit is on the body, not a smaller internal buffer: this one is parsed (and then refused
    # for its content, not its size).
    padding = MAX_BODY_BYTES - 100
    body = b'{"username": "' + b"a" * padding + b'", "password": "admin-password-1"}'
    response = await client.post(LOGIN, data=body, headers={"Content-Type": "application/json"})
    assert_envelope(await envelope_of(response), 40100)


async def test_missing_field_is_40001(anonymous: ApiSession) -> None:
    body = await anonymous.fails("POST", "/auth/login", 40001, json={"username": "admin"})
    assert "password" in body["message"]


@pytest.mark.parametrize("payload", [{"username": ["admin"], "password": "x"},
                                     {"username": "admin", "password": 12345678},
                                     {"username": "admin", "password": True}])
async def test_wrong_type_is_40002(anonymous: ApiSession, payload: dict) -> None:
    await anonymous.fails("POST", "/auth/login", 40002, json=payload)


@pytest.mark.parametrize(("method", "path", "message"), [
    ("DELETE", "/favorites/411398981273256198144", "id must be between 1 and 2147483647"),
    ("GET", "/users/2147483648", "id must be between 1 and 2147483647"),
    ("GET", "/terminal-sessions?user=99999999999999999999", "user must be between 1 and 2147483647"),
    ("GET", "/terminal-sessions?page=2147483648", "page must be between 1 and 2147483647"),
    ("GET", "/audit-logs?cluster=" + "9" * 5000, "cluster must be between 1 and 2147483647"),
    ("GET", "/audit-logs?page=\u0663", "page must be an integer"),
    ("GET", "/audit-logs?pageSize=+5", "pageSize must be an integer"),
])
async def test_out_of_range_or_non_ascii_integer_parameter_is_40002(admin: ApiSession, method: str, path: str,
                                                                     message: str) -> None:
    body = await admin.fails(method, path, 40002)
    assert body["message"] == message


@pytest.mark.parametrize("cluster", [2**31, -(2**63), 2**64 - 1])
async def test_out_of_range_integer_field_is_40002(admin: ApiSession, cluster: int) -> None:
    body = await admin.fails("POST", "/favorites", 40002, json={"path": "/c/1/overview", "cluster": cluster})
    assert body["message"] == "cluster must be between -2147483647 and 2147483647"
    assert await admin.ok("GET", "/favorites") == []


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/v1/nope"), ("POST", "/api/v1/nope"),
                                              ("PATCH", "/api/v1/users/me"), ("GET", "/api/v1"),
                                              ("GET", "/api/v2/users")])
async def test_unknown_api_route_is_40400(client, method: str, path: str) -> None:
    response = await client.request(method, path)
    assert_envelope(await envelope_of(response), 40400)


async def test_unknown_page_path_serves_the_shell(client) -> None:
    response = await client.get("/clusters/1/pods")
    assert response.status == 200
    assert response.content_type == "text/html"
    assert "<div id=\"app\">" in await response.text()


@pytest.mark.parametrize("host", ["evil.example.com", "evil.example.com:8080", "10.0.0.5",
                                  "localhost.evil.com", "127.0.0.1.nip.io"])
async def test_foreign_host_is_refused_on_the_api(client, host: str) -> None:
    response = await client.get("/api/v1/users/me", headers={"Host": host})
    body = await envelope_of(response)
    assert_envelope(body, 40300)
    assert "allowed-hosts" in body["message"]


async def test_foreign_host_is_refused_on_pages(client) -> None:
    response = await client.get("/", headers={"Host": "evil.example.com"})
    assert response.status == 403
    assert "<html" not in await response.text()


@pytest.mark.parametrize("host", ["localhost", "localhost:8080", "127.0.0.1:9", "[::1]:8080", "[::1]",
                                  "127.5.5.5", "app.localhost"])
async def test_loopback_hosts_are_allowed(client, host: str) -> None:
    response = await client.get("/api/v1/users/me", headers={"Host": host})
    assert_envelope(await envelope_of(response), 40100)


@pytest.mark.parametrize("settings_overrides", [{"allowed_hosts": "dash.example.com"}], indirect=True)
async def test_allowed_hosts_setting_admits_a_name(client) -> None:
    response = await client.get("/api/v1/users/me", headers={"Host": "Dash.Example.com:443"})
    assert_envelope(await envelope_of(response), 40100)
    refused = await client.get("/api/v1/users/me", headers={"Host": "other.example.com"})
    assert_envelope(await envelope_of(refused), 40300)


async def test_probes_answer_any_host(client) -> None:
    # kubelet probes send the pod IP as Host; they must not be refused by the rebinding guard.
    for path in ("/healthz", "/readyz"):
        response = await client.get(path, headers={"Host": "10.244.0.17:8080"})
        assert response.status == 200, path


def credentials() -> dict[str, str]:
    return {"username": "admin", "password": ADMIN_PASSWORD}


@pytest.mark.parametrize("origin", ["http://evil.example.com", "null", "http://127.0.0.1:1",
                                    "https://localhost"])
async def test_foreign_origin_on_post_is_refused(client, origin: str) -> None:
    response = await client.post(LOGIN, json=credentials(), headers={"Origin": origin})
    body = await envelope_of(response)
    assert_envelope(body, 40300)
    assert "cross-origin" in body["message"]


async def test_foreign_origin_on_put_and_delete_is_refused(admin: ApiSession) -> None:
    evil = {"Origin": "http://evil.example.com"}
    await admin.fails("PUT", "/users/1", 40300, json={"email": "a@b.c"}, headers=evil)
    await admin.fails("DELETE", "/api-keys/1", 40300, headers=evil)
    # The refused write did not happen.
    assert (await admin.ok("GET", "/users/1"))["email"] is None


async def test_same_origin_post_is_allowed(client) -> None:
    origin = f"http://{client.host}:{client.port}"
    response = await client.post(LOGIN, json=credentials(), headers={"Origin": origin})
    assert assert_envelope(await envelope_of(response), 0)["accessToken"]


async def test_foreign_origin_on_get_is_not_a_write(admin: ApiSession) -> None:
    me = await admin.ok("GET", "/users/me", headers={"Origin": "http://evil.example.com"})
    assert me["username"] == "admin"


@pytest.mark.parametrize("settings_overrides", [{"allowed_origins": "https://portal.example.com/"}],
                         indirect=True)
async def test_allowed_origins_setting_admits_an_origin(client) -> None:
    response = await client.post(LOGIN, json=credentials(),
                                 headers={"Origin": "https://portal.example.com"})
    assert assert_envelope(await envelope_of(response), 0)["accessToken"]


def assert_security_headers(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Request-ID"]


async def test_security_headers_on_api_success(admin: ApiSession) -> None:
    response = await admin.client.get("/api/v1/users/me", headers=admin.headers())
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


async def test_security_headers_on_api_errors(client) -> None:
    for response in (await client.get("/api/v1/nope"),
                     await client.get("/api/v1/users/me"),
                     await client.get("/api/v1/users/me", headers={"Host": "evil.example.com"})):
        assert_security_headers(response)


async def test_security_headers_on_pages_and_page_errors(client) -> None:
    page = await client.get("/")
    assert_security_headers(page)
    # The shell's one inline script (the import map) is allowed by this request's nonce only.
    nonce = page.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in await page.text()
    assert_security_headers(await client.get("/", headers={"Host": "evil.example.com"}))


async def test_security_headers_on_static_files_and_probes(client) -> None:
    static = await client.get("/static/css/app.css")
    assert static.status == 200
    assert_security_headers(static)
    assert_security_headers(await client.get("/healthz"))


def padded_login(size: int) -> bytes:
    """A valid login body of exactly `size` bytes (JSON whitespace as padding)."""
    body = b'{"username": "admin", "password": "wrong-password"}'
    return body[:-1] + b" " * (size - len(body)) + b"}"


@pytest.mark.parametrize("chunked", [False, True])
async def test_limit_is_exactly_2_mib(client, chunked: bool) -> None:
    async def stream(payload: bytes):
        for start in range(0, len(payload), 256 * 1024):
            yield payload[start:start + 256 * 1024]

    for size, code in ((MAX_BODY_BYTES, 40100), (MAX_BODY_BYTES + 1, 40002)):
        payload = padded_login(size)
        assert len(payload) == size
        data = stream(payload) if chunked else payload
        response = await client.post(LOGIN, data=data, headers={"Content-Type": "application/json"})
        assert_envelope(await envelope_of(response), code)
