"""`AuthService`: turns credentials into sessions and requests into `Principal`s.

Owns sign-in (with the 2FA step and the rate limiter), refresh-token rotation and revocation, token
versions, the first-run bootstrap link, WebSocket tickets, TOTP life cycle and API keys. Sign-in and sign-out
(`login`, `login.failed`, `refresh`, `logout`, `logout-all`) are audited here, once each with its outcome; the
other account changes are audited by `services.accounts.AccountService`, which calls the methods below.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import hmac
import secrets
import time
from typing import Any

import segno
from aiohttp import web

from kubevision.auth import totp
from kubevision.auth.passwords import (
    hash_password_sync,
    hash_secret,
    secret_matches,
    verify_password,
)
from kubevision.auth.permissions import Principal, Role
from kubevision.auth.ratelimit import LoginThrottle, RateLimiter, client_key, rate_limited
from kubevision.auth.secrets import AppSecrets
from kubevision.auth.tokens import IssuedToken, TokenCodec, TokenType
from kubevision.config import Settings
from kubevision.errors import ApiError, ErrorCode
from kubevision.services.audit import AuditLog
from kubevision.services.context import RequestContext
from kubevision.store import Store
from kubevision.store import apikeys as key_repo
from kubevision.store import users as user_repo
from kubevision.store.users import UserRecord, utcnow

TWO_FACTOR_TOKEN_TTL_S = 5 * 60
WS_TICKET_TTL_S = 30
BOOTSTRAP_TOKEN_TTL_S = 10 * 60
# A refresh token this close to expiry is replaced by a new one on refresh.
REFRESH_ROTATION_WINDOW_S = 24 * 3600
# Refreshes per user per minute with a valid refresh token. The browser shares one access token between its
# tabs and renews it once per lifetime, so this only stops a runaway client; an unreadable refresh token still
# counts against the client's sign-in limit (`login_rate_per_minute`).
REFRESH_RATE_PER_MINUTE = 120
API_KEY_PREFIX = "kv_"
BOOTSTRAP_AMR = "bootstrap"

@functools.cache
def _dummy_hash() -> str:
    """Checked when the user does not exist, so timing does not reveal valid usernames.

    Made on first use, not at import: bcrypt costs ~0.25 s, which every start and CLI call would pay.
    """
    return hash_password_sync("timing-equaliser-password")


@dataclasses.dataclass(frozen=True)
class Session:
    """Tokens handed to a client after sign-in, bootstrap, 2FA or refresh."""

    access: IssuedToken
    refresh: IssuedToken | None
    user: UserRecord


def describe_user(user: UserRecord) -> dict[str, Any]:
    """The public JSON shape of a user (never hashes or secrets)."""
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "role": user.role,
        "permissions": user.permissions,
        "clusters": user.cluster_grants,
        "namespaces": user.namespace_grants,
        "active": user.active,
        "totpEnabled": user.totp_enabled,
        "mustChangePassword": user.must_change_password,
        "createdAt": user.created_at.isoformat(),
        "lastLoginAt": user.last_login_at.isoformat() if user.last_login_at else None,
    }


def principal_for(user: UserRecord, *, via_api_key: bool = False, via_bootstrap: bool = False) -> Principal:
    """The authorization view of a user."""
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        permissions=frozenset(user.permissions),
        cluster_grants=None if user.cluster_grants is None else frozenset(user.cluster_grants),
        namespace_grants=None if user.namespace_grants is None else frozenset(user.namespace_grants),
        token_version=user.token_version,
        via_api_key=via_api_key,
        via_bootstrap=via_bootstrap,
        must_change_password=user.must_change_password,
    )


class AuthService:
    """Authentication flows on top of the store."""

    def __init__(self, *, settings: Settings, store: Store, audit: AuditLog) -> None:
        self._settings = settings
        self._store = store
        self._audit = audit
        self._secrets: AppSecrets | None = None
        self._codec: TokenCodec | None = None
        self.limiter = RateLimiter(settings.login_rate_per_minute)
        self.refresh_limiter = RateLimiter(REFRESH_RATE_PER_MINUTE)
        self.throttle = LoginThrottle(store)
        self._bootstrap: tuple[str, float] | None = None

    def start(self) -> None:
        """Load (or create at first run) the secrets file in the data dir."""
        self._settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._secrets = AppSecrets.load_or_create(self._settings.data_dir)
        self._codec = TokenCodec(self._secrets.jwt_key)

    @property
    def secrets(self) -> AppSecrets:
        """Keys for signing and for encryption at rest (valid after `start()`)."""
        if self._secrets is None:
            raise RuntimeError("auth service is not started")
        return self._secrets

    @property
    def codec(self) -> TokenCodec:
        """The JWT codec (valid after `start()`)."""
        if self._codec is None:
            raise RuntimeError("auth service is not started")
        return self._codec

    # -- rate limiting -------------------------------------------------------------------------
    def check_rate(self, action: str, client_ip: str, user: str | None = None) -> None:
        """Raise HTTP 429 / 42900 when this client (see `client_key`) or user went over the per-minute limit."""
        keys = [(f"{action}-ip", client_key(client_ip))]
        if user:
            keys.append((f"{action}-user", user.lower()))
        wait = self.limiter.hit(*keys)
        if wait is not None:
            raise rate_limited(f"too many {action} attempts from this client", wait)

    # -- sessions -------------------------------------------------------------------------------
    def _issue_session(self, user: UserRecord, *, with_refresh: bool = True, bootstrap: bool = False) -> Session:
        # "amr" marks a session that came from the first-run link: it may set a password without the old one.
        extra = {"amr": BOOTSTRAP_AMR} if bootstrap else {}
        access = self.codec.issue(TokenType.ACCESS, user_id=user.id, version=user.token_version,
                                  ttl_s=self._settings.access_token_ttl_s, **extra)
        refresh = None
        if with_refresh:
            refresh = self.codec.issue(TokenType.REFRESH, user_id=user.id, version=user.token_version,
                                       ttl_s=self._settings.refresh_token_ttl_s)
        return Session(access, refresh, user)

    async def _signed_in(self, user: UserRecord, *, bootstrap: bool = False) -> Session:
        async with self._store.transaction() as conn:
            await user_repo.update_user(conn, user.id, last_login_at=utcnow())
            fresh = await user_repo.get_user(conn, user.id)
        assert fresh is not None
        return self._issue_session(fresh, bootstrap=bootstrap)

    async def login(self, context: RequestContext, username: str, password: str) -> Session | str:
        """Check credentials. Returns a `Session` (audited `login`), or a 2FA session token when 2FA is on (the
        second step is audited). Wrong credentials are audited `login.failed` with a reason.

        Limited per client (in memory) and per username (the database throttle); with 2FA on, the right password
        neither counts as a failure nor clears earlier ones: only the second step's success does. Attempts
        refused by these limits are not audited (anyone could fill the log with them).
        """
        self.check_rate("login", context.client_ip)
        await self.throttle.claim(username)
        async with self._store.transaction() as conn:
            user = await user_repo.get_user_by_name(conn, username)
        stored = user.password_hash if user else await asyncio.to_thread(_dummy_hash)
        valid = await verify_password(password, stored)
        if user is None or not valid or not user.active:
            reason = "unknown user" if user is None else ("bad password" if not valid else "inactive")
            self._audit.record("login.failed", **{**context.audit_fields(), "username": username,
                                                  "user_id": user.id if user else None},
                               code=int(ErrorCode.NOT_LOGGED_IN), detail={"reason": reason})
            raise ApiError(ErrorCode.NOT_LOGGED_IN, "invalid username or password")
        if user.totp_enabled:
            issued = self.codec.issue(TokenType.TWO_FACTOR, user_id=user.id, version=user.token_version,
                                      ttl_s=TWO_FACTOR_TOKEN_TTL_S)
            await self.throttle.uncount(username)
            return issued.token
        await self.throttle.clear(username)
        self._audit.record("login", **_as_user(context, user))
        return await self._signed_in(user)

    async def verify_two_factor(self, context: RequestContext, session_token: str, code: str) -> Session:
        """Second sign-in step: a TOTP or recovery code for the 2FA session token (audited `login`, or
        `login.failed` for a wrong code)."""
        claims = self.codec.decode(session_token, TokenType.TWO_FACTOR)
        self.check_rate("2fa", context.client_ip)
        if await self._was_used(claims["jti"]):
            raise ApiError(ErrorCode.NOT_LOGGED_IN, "2FA session token already used")
        user = await self._current_user(claims)
        await self.throttle.claim(user.username)
        if not await self._accept_second_factor(user, code):
            self._audit.record("login.failed", **_as_user(context, user), code=int(ErrorCode.TWO_FACTOR_FAILED),
                               detail={"reason": "bad 2FA code"})
            raise ApiError(ErrorCode.TWO_FACTOR_FAILED, "wrong, reused or expired 2FA code")
        await self._use_once(claims, "2FA session token")
        await self.throttle.clear(user.username)
        self._audit.record("login", **_as_user(context, user), detail={"twoFactor": True})
        return await self._signed_in(user)

    async def refresh(self, context: RequestContext, refresh_token: str) -> Session:
        """A new access token; a new refresh token too when the old one is within 24 h of expiry (audited
        `refresh`, with `detail.rotated`, or with the code it was refused with)."""
        try:
            claims = self.codec.decode(refresh_token, TokenType.REFRESH)
        except ApiError as exc:
            self.check_rate("refresh", context.client_ip)  # garbage still counts against the IP
            self._audit.record("refresh", code=int(exc.code), **context.audit_fields())
            raise
        return await self._audit.record_outcome(
            "refresh", self._renew(claims), **{**context.audit_fields(), "user_id": claims["user_id"]},
            result_fields=lambda session: {"username": session.user.username,
                                           "detail": {"rotated": session.refresh is not None}})

    async def _renew(self, claims: dict[str, Any]) -> Session:
        wait = self.refresh_limiter.hit(("refresh-user", str(claims["sub"])))
        if wait is not None:
            raise rate_limited("too many session renewals for this account", wait)
        async with self._store.transaction() as conn:
            revoked = await user_repo.is_token_revoked(conn, claims["jti"])
        if revoked:
            raise ApiError(ErrorCode.TOKEN_EXPIRED, "refresh token revoked")
        user = await self._current_user(claims)
        rotate = claims["exp"] - time.time() < REFRESH_ROTATION_WINDOW_S
        session = self._issue_session(user, with_refresh=rotate)
        if rotate:
            await self._revoke(claims)
        return session

    async def logout(self, context: RequestContext, refresh_token: str) -> None:
        """Revoke one refresh token (audited `logout`). An already invalid one is fine — the result is the same —
        and is not audited: it ends no session."""
        try:
            claims = self.codec.decode(refresh_token, TokenType.REFRESH)
        except ApiError:
            return
        await self._audit.record_outcome("logout", self._revoke(claims),
                                         **{**context.audit_fields(), "user_id": claims["user_id"]})

    async def _revoke(self, claims: dict[str, Any]) -> None:
        async with self._store.transaction() as conn:
            expires_at = dt.datetime.fromtimestamp(claims["exp"], dt.UTC)
            await user_repo.revoke_token(conn, claims["jti"], expires_at)

    async def logout_everywhere(self, context: RequestContext, *, revoke_api_keys: bool = False) -> int:
        """Bump the caller's token version: every token issued so far stops working. API keys survive unless
        `revoke_api_keys`; returns how many keys were deleted (audited `logout-all`, with `detail.apiKeysRevoked`
        when keys were revoked)."""
        return await self._audit.record_outcome(
            "logout-all", self._logout_everywhere(context.caller.user_id, revoke_api_keys=revoke_api_keys),
            result_fields=lambda revoked: {"detail": {"apiKeysRevoked": revoked}} if revoke_api_keys else {},
            **context.audit_fields())

    async def _logout_everywhere(self, user_id: int, *, revoke_api_keys: bool) -> int:
        async with self._store.transaction() as conn:
            await user_repo.bump_token_version(conn, user_id)
            return await key_repo.delete_user_api_keys(conn, user_id) if revoke_api_keys else 0

    async def _current_user(self, claims: dict[str, Any]) -> UserRecord:
        """The token's user, checked to be active and at the token's version."""
        async with self._store.transaction() as conn:
            user = await user_repo.get_user(conn, claims["user_id"])
        if user is None:
            raise ApiError(ErrorCode.NOT_LOGGED_IN, "user no longer exists")
        if not user.active:
            raise ApiError(ErrorCode.NOT_LOGGED_IN, "account is deactivated")
        if claims.get("ver") != user.token_version:
            raise ApiError(ErrorCode.TOKEN_EXPIRED, "token revoked, sign in again")
        return user

    async def revalidate(self, principal: Principal) -> Principal:
        """The principal as of now (role and grants re-read); fails once its tokens were revoked."""
        claims = {"user_id": principal.user_id, "ver": principal.token_version}
        return principal_for(await self._current_user(claims), via_api_key=principal.via_api_key,
                             via_bootstrap=principal.via_bootstrap)

    async def authenticate_access_token(self, token: str) -> Principal:
        """The principal behind an `Authorization: Bearer` access token."""
        claims = self.codec.decode(token, TokenType.ACCESS)
        return principal_for(await self._current_user(claims), via_bootstrap=claims.get("amr") == BOOTSTRAP_AMR)

    # -- one-time tokens ------------------------------------------------------------------------
    async def _was_used(self, jti: str) -> bool:
        async with self._store.transaction() as conn:
            return await user_repo.is_token_revoked(conn, jti)

    async def _use_once(self, claims: dict[str, Any], what: str) -> None:
        """Spend a single-use token (in the database, so every instance sharing it agrees); 40100 if spent."""
        expires_at = dt.datetime.fromtimestamp(claims["exp"], dt.UTC)
        async with self._store.transaction() as conn:
            if not await user_repo.use_token_once(conn, claims["jti"], expires_at):
                raise ApiError(ErrorCode.NOT_LOGGED_IN, f"{what} already used")

    def issue_ws_ticket(self, principal: Principal) -> IssuedToken:
        """A 30-second, single-use WebSocket ticket."""
        return self.codec.issue(TokenType.WEBSOCKET, user_id=principal.user_id,
                                version=principal.token_version,
                                ttl_s=WS_TICKET_TTL_S)

    async def consume_ws_ticket(self, ticket: str) -> Principal:
        """Validate and burn a WebSocket ticket."""
        claims = self.codec.decode(ticket, TokenType.WEBSOCKET)
        await self._use_once(claims, "ticket")
        return principal_for(await self._current_user(claims))

    def mint_bootstrap_token(self) -> str:
        """A one-time, 10-minute sign-in link token for the first-run admin (kept only in memory)."""
        token = secrets.token_urlsafe(32)
        self._bootstrap = (hash_secret(token), time.time() + BOOTSTRAP_TOKEN_TTL_S)
        return token

    async def bootstrap(self, context: RequestContext, token: str) -> Session:
        """Exchange the bootstrap token for an admin session; it works once (audited `login` with
        `detail.bootstrap`, or `login.failed`)."""
        self.check_rate("login", context.client_ip)
        pending = self._bootstrap
        if pending is None or time.time() > pending[1] or not hmac.compare_digest(
            hash_secret(token), pending[0]
        ):
            self._audit.record("login.failed", code=int(ErrorCode.NOT_LOGGED_IN), **context.audit_fields(),
                               detail={"reason": "bad bootstrap link"})
            raise ApiError(ErrorCode.NOT_LOGGED_IN, "bootstrap link is invalid, used or expired")
        self._bootstrap = None
        async with self._store.transaction() as conn:
            admins = [u for u in await user_repo.list_users(conn) if u.role == Role.ADMIN and u.active]
        if not admins:
            raise ApiError(ErrorCode.USER_NOT_FOUND, "no active admin to sign in as")
        self._audit.record("login", **_as_user(context, admins[0]), detail={"bootstrap": True})
        return await self._signed_in(admins[0], bootstrap=True)

    # -- two-factor life cycle ------------------------------------------------------------------
    async def _accept_second_factor(self, user: UserRecord, code: str) -> bool:
        """True for a fresh TOTP code (its step is then burnt) or an unused recovery code (burnt)."""
        if user.totp_secret is None:
            return False
        step = self._matching_step(user, code)
        async with self._store.transaction() as conn:
            if step is not None:
                return await user_repo.claim_totp_step(conn, user.id, step)
            candidate = totp.normalise_recovery_code(code)
            for code_id, code_hash in await user_repo.unused_recovery_codes(conn, user.id):
                if secret_matches(candidate, code_hash):
                    return await user_repo.mark_recovery_code_used(conn, code_id)
        return False

    def _matching_step(self, user: UserRecord, code: str) -> int | None:
        """The 30 s step (within ±1) that `code` is the TOTP code of, for a user with a secret."""
        if user.totp_secret is None:
            return None
        return totp.matching_step(self.secrets.decrypt(user.totp_secret).decode(), code)

    async def _accept_totp(self, user: UserRecord, code: str) -> bool:
        """True for a fresh code of the active authenticator (its step is then burnt); recovery codes are kept
        for a lost device."""
        step = self._matching_step(user, code) if user.totp_enabled else None
        if step is None:
            return False
        async with self._store.transaction() as conn:
            return await user_repo.claim_totp_step(conn, user.id, step)

    async def confirm_identity(self, user_id: int, *, password: str | None, code: str | None = None) -> None:
        """Re-authentication before a sensitive change: the current password, or (2FA on) a fresh authenticator
        code instead. 40001 when neither is given, 40002 for a wrong password, 40103 for a wrong code (never
        40100, which would sign the session out); failures count against the user's sign-in throttle (42900), and
        the change asked for is audited with them (`services.accounts`)."""
        user = await self._load(user_id)
        if password is None and (code is None or not user.totp_enabled):
            alternative = " or a code from your authenticator app (code)" if user.totp_enabled else ""
            raise ApiError(ErrorCode.PARAM_MISSING,
                           f"confirm this change with your current password (currentPassword){alternative}")
        async with self.throttle.attempt(user.username):
            if password is not None:
                await self._require_password(user, password)
            elif not await self._accept_totp(user, code or ""):
                raise ApiError(ErrorCode.TWO_FACTOR_FAILED, "wrong, reused or expired 2FA code")

    async def _require_password(self, user: UserRecord, password: str) -> None:
        if not await verify_password(password, user.password_hash):
            raise ApiError(ErrorCode.PARAM_INVALID, "current password is incorrect")

    async def setup_two_factor(self, user_id: int) -> dict[str, Any]:
        """Create a pending TOTP secret and 10 recovery codes (shown once)."""
        async with self._store.transaction() as conn:
            user = await user_repo.get_user(conn, user_id)
            assert user is not None
            if user.totp_enabled:
                raise ApiError(ErrorCode.PARAM_INVALID, "2FA is already enabled; disable it first")
            secret = totp.new_secret()
            codes = totp.new_recovery_codes()
            await user_repo.update_user(conn, user_id, totp_secret=self.secrets.encrypt(secret.encode()),
                                        totp_last_step=None)
            await user_repo.replace_recovery_codes(conn, user_id, [hash_secret(c) for c in codes])
        url = totp.provisioning_uri(secret, user.username)
        return {
            "otpauthUrl": url,
            "secret": secret,
            "recoveryCodes": codes,
            "qrSvg": segno.make(url, error="m").svg_data_uri(scale=4),
        }

    async def enable_two_factor(self, user_id: int, code: str) -> None:
        """Turn 2FA on after the user proves the authenticator works."""
        user = await self._load(user_id)
        if user.totp_enabled:
            raise ApiError(ErrorCode.PARAM_INVALID, "2FA is already enabled")
        if user.totp_secret is None:
            raise ApiError(ErrorCode.PARAM_INVALID, "call /auth/2fa/setup first")
        secret = self.secrets.decrypt(user.totp_secret).decode()
        step = totp.matching_step(secret, code)
        async with self._store.transaction() as conn:
            if step is None or not await user_repo.claim_totp_step(conn, user_id, step):
                raise ApiError(ErrorCode.TWO_FACTOR_FAILED, "wrong, reused or expired 2FA code")
            await user_repo.update_user(conn, user_id, totp_enabled=True)

    async def disable_two_factor(self, user_id: int, *, password: str, code: str) -> None:
        """Turn 2FA off with the current password and a current TOTP or recovery code (both factors, checked
        as one throttled attempt); kills every outstanding token."""
        user = await self._load(user_id)
        if not user.totp_enabled:
            raise ApiError(ErrorCode.PARAM_INVALID, "2FA is not enabled")
        async with self.throttle.attempt(user.username):
            await self._require_password(user, password)
            if not await self._accept_second_factor(user, code):
                raise ApiError(ErrorCode.TWO_FACTOR_FAILED, "wrong, reused or expired 2FA code")
        async with self._store.transaction() as conn:
            await clear_two_factor(conn, user_id)

    async def two_factor_status(self, user_id: int) -> dict[str, Any]:
        """Whether 2FA is on and how many recovery codes remain."""
        user = await self._load(user_id)
        async with self._store.transaction() as conn:
            remaining = len(await user_repo.unused_recovery_codes(conn, user_id)) if user.totp_enabled else 0
        return {"enabled": user.totp_enabled, "recoveryCodesRemaining": remaining}

    async def _load(self, user_id: int) -> UserRecord:
        async with self._store.transaction() as conn:
            user = await user_repo.get_user(conn, user_id)
        if user is None:
            raise ApiError(ErrorCode.USER_NOT_FOUND, f"user {user_id} not found")
        return user

    # -- API keys -------------------------------------------------------------------------------
    async def create_api_key(self, user_id: int, name: str,
                             expires_at: dt.datetime | None) -> tuple[key_repo.ApiKeyRecord, str]:
        """A new key for the user; the plain key is returned only here."""
        prefix = secrets.token_hex(6)
        key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        async with self._store.transaction() as conn:
            record = await key_repo.insert_api_key(conn, user_id=user_id, name=name, prefix=prefix,
                                                   key_hash=hash_secret(key), expires_at=expires_at)
        return record, key

    async def list_api_keys(self, user_id: int) -> list[key_repo.ApiKeyRecord]:
        """A user's keys (hashes only)."""
        async with self._store.transaction() as conn:
            return await key_repo.list_api_keys(conn, user_id)

    async def delete_api_key(self, user_id: int, key_id: int) -> bool:
        """Delete one of the user's keys; False when it does not exist."""
        async with self._store.transaction() as conn:
            return await key_repo.delete_api_key(conn, key_id=key_id, user_id=user_id)

    async def authenticate_api_key(self, key: str) -> Principal:
        """The principal behind an `X-API-Key`."""
        parts = key.split("_")
        if len(parts) < 3 or not key.startswith(API_KEY_PREFIX):
            raise ApiError(ErrorCode.NOT_LOGGED_IN, "invalid API key")
        async with self._store.transaction() as conn:
            record = await key_repo.get_api_key_by_prefix(conn, parts[1])
            if record is None or not secret_matches(key, record.key_hash):
                raise ApiError(ErrorCode.NOT_LOGGED_IN, "invalid API key")
            if record.expires_at is not None and record.expires_at < utcnow():
                raise ApiError(ErrorCode.TOKEN_EXPIRED, "API key expired")
            user = await user_repo.get_user(conn, record.user_id)
            if user is None or not user.active:
                raise ApiError(ErrorCode.NOT_LOGGED_IN, "API key owner is missing or deactivated")
            await key_repo.touch_api_key(conn, record.id)
        return principal_for(user, via_api_key=True)


def _as_user(context: RequestContext, user: UserRecord) -> dict[str, Any]:
    """The audit columns of a sign-in event: the request's, with the user signing in (not yet its principal)."""
    return {**context.audit_fields(), "user_id": user.id, "username": user.username}


async def clear_two_factor(conn: Any, user_id: int) -> None:
    """Remove a user's TOTP secret and recovery codes and revoke their tokens."""
    await user_repo.update_user(conn, user_id, totp_enabled=False, totp_secret=None, totp_last_step=None)
    await user_repo.replace_recovery_codes(conn, user_id, [])
    await user_repo.bump_token_version(conn, user_id)


AUTH = web.AppKey("auth", AuthService)
