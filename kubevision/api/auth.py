"""Sign-in, tokens, 2FA, bootstrap, API keys and WebSocket tickets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from kubevision.api.context import REQUEST_ID, context_of, principal_of
from kubevision.api.envelope import envelope_response
from kubevision.api.params import field, path_id, read_json
from kubevision.api.routing import Access, ApiRoutes
from kubevision.api.schemas import BOOLEAN, INTEGER, SESSION, STRING, obj
from kubevision.auth.permissions import Principal
from kubevision.auth.service import AUTH, Session, describe_user
from kubevision.config import SETTINGS
from kubevision.errors import ApiError, ErrorCode
from kubevision.services.accounts import ACCOUNTS
from kubevision.store.apikeys import ApiKeyRecord

routes = ApiRoutes("auth")

REFRESH_COOKIE = "kv_refresh"
REFRESH_COOKIE_PATH = "/api/v1/auth"


async def authenticate(request: web.Request) -> Principal:
    """The caller from `Authorization: Bearer <access token>` or `X-API-Key`; 40100 when neither."""
    auth = request.app[AUTH]
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(ErrorCode.NOT_LOGGED_IN, "Authorization header must be 'Bearer <token>'")
        return await auth.authenticate_access_token(token.strip())
    api_key = request.headers.get("X-API-Key")
    if api_key:
        return await auth.authenticate_api_key(api_key.strip())
    raise ApiError(ErrorCode.NOT_LOGGED_IN, "not logged in")


def _session_response(request: web.Request, session: Session) -> web.Response | dict[str, Any]:
    """Session data; the refresh token also goes into an HttpOnly, SameSite=Strict cookie."""
    settings = request.app[SETTINGS]
    data = {
        "accessToken": session.access.token,
        "refreshToken": session.refresh.token if session.refresh else None,
        "expiresIn": settings.access_token_ttl_s,
        "user": describe_user(session.user),
    }
    return _with_cookie(request, data, session)


def _with_cookie(request: web.Request, data: dict[str, Any] | None, session: Session | None) -> Any:
    """An envelope that sets the refresh cookie (or clears it when `session` is None)."""
    response = envelope_response(request_id=request[REQUEST_ID], data=data)
    settings = request.app[SETTINGS]
    if session is None:
        response.del_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH)
    elif session.refresh is not None:
        response.set_cookie(
            REFRESH_COOKIE, session.refresh.token, path=REFRESH_COOKIE_PATH, httponly=True,
            samesite="Strict", secure=bool(settings.tls_cert), max_age=settings.refresh_token_ttl_s,
        )
    return response


def _refresh_token_from(request: web.Request, body: dict[str, Any]) -> str:
    token = body.get("refreshToken") or request.cookies.get(REFRESH_COOKIE)
    if not token:
        raise ApiError(ErrorCode.PARAM_MISSING, "refreshToken is required (body or cookie)")
    if not isinstance(token, str):
        raise ApiError(ErrorCode.PARAM_INVALID, "refreshToken must be a string")
    return token


async def _optional_json(request: web.Request) -> dict[str, Any]:
    return await read_json(request) if request.body_exists else {}


@routes.post("/auth/login", access=Access.PUBLIC, read_only_safe=True, summary="Sign in",
             body=obj(["username", "password"], username=STRING, password=STRING), data=SESSION)
async def login(request: web.Request) -> Any:
    """Step one of sign-in; answers 40102 with a 2FA session token when 2FA is on."""
    body = await read_json(request)
    username = field(body, "username", str)
    password = field(body, "password", str)
    outcome = await request.app[AUTH].login(context_of(request), username, password)
    if isinstance(outcome, str):
        raise ApiError(ErrorCode.TWO_FACTOR_REQUIRED, data={"requires2fa": True, "sessionToken": outcome})
    return _session_response(request, outcome)


@routes.post("/auth/2fa/verify", access=Access.PUBLIC, read_only_safe=True,
             summary="Second sign-in step with a TOTP or recovery code",
             body=obj(["sessionToken", "code"], sessionToken=STRING, code=STRING), data=SESSION)
async def verify_two_factor(request: web.Request) -> Any:
    """Exchange the 2FA session token and a code for a session."""
    body = await read_json(request)
    session = await request.app[AUTH].verify_two_factor(context_of(request), field(body, "sessionToken", str),
                                                        field(body, "code", str))
    return _session_response(request, session)


@routes.post("/auth/refresh", access=Access.PUBLIC, read_only_safe=True,
             summary="New access token from a refresh token (body or cookie)",
             body=obj(refreshToken=STRING), data=SESSION)
async def refresh(request: web.Request) -> Any:
    """Rotate the refresh token only when it is within 24 h of expiry."""
    token = _refresh_token_from(request, await _optional_json(request))
    session = await request.app[AUTH].refresh(context_of(request), token)
    return _session_response(request, session)


@routes.post("/auth/logout", access=Access.PUBLIC, read_only_safe=True,
             summary="Revoke the presented refresh token", body=obj(refreshToken=STRING))
async def logout(request: web.Request) -> Any:
    """Revoke the refresh token and clear the cookie."""
    token = _refresh_token_from(request, await _optional_json(request))
    await request.app[AUTH].logout(context_of(request), token)
    return _with_cookie(request, None, None)


# Re-authentication fields of the sensitive credential changes (see `AuthService.confirm_identity`).
CURRENT_PASSWORD = {**STRING, "description": "the caller's current password"}
CONFIRMATION = dict(currentPassword=CURRENT_PASSWORD,
                    code={**STRING, "description": "with 2FA on: a fresh authenticator code instead of "
                                                   "currentPassword"})


@routes.post("/auth/logout-all", access=Access.USER, read_only_safe=True, session_only=True,
             before_password_change=True,
             summary="Revoke every token of the current user (API keys too with revokeApiKeys)",
             body=obj(revokeApiKeys={**BOOLEAN, "description": "also delete every API key of the user"}),
             data=obj(apiKeysRevoked=INTEGER))
async def logout_all(request: web.Request) -> Any:
    """Bump the token version of the caller; optionally delete their API keys."""
    body = await _optional_json(request)
    revoke_keys = field(body, "revokeApiKeys", bool, required=False, default=False)
    revoked = await request.app[AUTH].logout_everywhere(context_of(request), revoke_api_keys=revoke_keys)
    return _with_cookie(request, {"apiKeysRevoked": revoked}, None)


@routes.post("/auth/bootstrap", access=Access.PUBLIC, read_only_safe=True,
             summary="Exchange the one-time first-run link token for an admin session",
             body=obj(["token"], token=STRING), data=SESSION)
async def bootstrap(request: web.Request) -> Any:
    """Sign in through the bootstrap link printed at first run."""
    body = await read_json(request)
    session = await request.app[AUTH].bootstrap(context_of(request), field(body, "token", str))
    return _session_response(request, session)


@routes.post("/auth/2fa/setup", access=Access.USER, read_only_safe=True, session_only=True,
             summary="Start 2FA: secret, otpauth URL, QR code and 10 recovery codes (shown once)",
             data=obj(otpauthUrl=STRING, secret=STRING, recoveryCodes={"type": "array", "items": STRING},
                      qrSvg=STRING))
async def setup_two_factor(request: web.Request) -> Any:
    """Create a pending TOTP secret for the caller."""
    return await request.app[ACCOUNTS].setup_two_factor(context_of(request))


@routes.post("/auth/2fa/enable", access=Access.USER, read_only_safe=True, session_only=True,
             summary="Activate 2FA with a code from the authenticator (asks for the current password again)",
             body=obj(["code", "currentPassword"], code=STRING, currentPassword=CURRENT_PASSWORD))
async def enable_two_factor(request: web.Request) -> Any:
    """Turn on 2FA."""
    body = await read_json(request)
    await request.app[ACCOUNTS].enable_two_factor(context_of(request), code=field(body, "code", str),
                                                  password=field(body, "currentPassword", str))
    return {"enabled": True}


@routes.post("/auth/2fa/disable", access=Access.USER, read_only_safe=True, session_only=True,
             summary="Turn 2FA off (needs the current password and a current or recovery code; signs out "
                     "everywhere)",
             body=obj(["code", "currentPassword"], code=STRING, currentPassword=CURRENT_PASSWORD))
async def disable_two_factor(request: web.Request) -> Any:
    """Turn off 2FA."""
    body = await read_json(request)
    await request.app[ACCOUNTS].disable_two_factor(context_of(request), code=field(body, "code", str),
                                                   password=field(body, "currentPassword", str))
    return {"enabled": False}


@routes.get("/auth/2fa/status", access=Access.USER, summary="Whether 2FA is on; recovery codes left",
            data=obj(enabled=BOOLEAN, recoveryCodesRemaining=INTEGER))
async def two_factor_status(request: web.Request) -> Any:
    """2FA state of the caller."""
    return await request.app[AUTH].two_factor_status(principal_of(request).user_id)


@routes.post("/ws/ticket", access=Access.USER, read_only_safe=True,
             summary="A 30-second, single-use ticket for one WebSocket connection",
             data=obj(ticket=STRING, expiresIn=INTEGER))
async def ws_ticket(request: web.Request) -> Any:
    """Tickets keep long-lived tokens out of WebSocket URLs."""
    issued = request.app[AUTH].issue_ws_ticket(principal_of(request))
    return {"ticket": issued.token, "expiresIn": 30}


API_KEY = obj(id=INTEGER, name=STRING, prefix=STRING, expiresAt={"type": ["string", "null"]},
              createdAt=STRING, lastUsedAt={"type": ["string", "null"]})


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _describe_key(record: ApiKeyRecord) -> dict[str, Any]:
    return {"id": record.id, "name": record.name, "prefix": record.prefix,
            "expiresAt": _iso(record.expires_at), "createdAt": _iso(record.created_at),
            "lastUsedAt": _iso(record.last_used_at)}


@routes.get("/api-keys", access=Access.USER, session_only=True,
            summary="The caller's API keys (without the keys)",
            data={"type": "array", "items": API_KEY})
async def list_api_keys(request: web.Request) -> Any:
    """List own API keys."""
    return [_describe_key(r) for r in await request.app[AUTH].list_api_keys(principal_of(request).user_id)]


@routes.post("/api-keys", access=Access.USER, read_only_safe=True, session_only=True,
             summary="Create an API key for scripts (the key is shown only in this answer; asks for the current "
                     "password, or with 2FA on an authenticator code, again)",
             body=obj(["name"], name=STRING, expiresInDays=INTEGER, **CONFIRMATION),
             data=obj(key=STRING, **API_KEY["properties"]))
async def create_api_key(request: web.Request) -> Any:
    """Mint a key with the caller's role; optional expiry in days."""
    body = await read_json(request)
    # Empty confirmation fields count as not given.
    record, key = await request.app[ACCOUNTS].create_api_key(
        context_of(request), name=field(body, "name", str),
        expires_in_days=field(body, "expiresInDays", int, required=False),
        password=field(body, "currentPassword", str, required=False) or None,
        code=field(body, "code", str, required=False) or None)
    return {"key": key, **_describe_key(record)}


@routes.delete("/api-keys/{id}", access=Access.USER, read_only_safe=True, session_only=True,
                summary="Delete one of the caller's API keys")
async def delete_api_key(request: web.Request) -> Any:
    """Revoke a key at once."""
    await request.app[ACCOUNTS].delete_api_key(context_of(request), path_id(request))
    return None
