"""The audited account changes: user administration (admins), and the caller's own password, 2FA and API keys.

Each change is one audit row, written here, with its outcome: 0, or the code it was refused with — validation
40001/40002, a wrong current password 40002, a wrong authenticator code 40103, the last admin 40300, an unknown
user 40401 or API key 40400, a taken username 40900, too many wrong confirmations 42900. `UserService` and
`AuthService` below it do the work without auditing (the CLI uses `UserService` directly). Passwords, codes and
keys never go into a row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from typing import Any, TypeVar

from aiohttp import web

from kubevision.auth.service import AuthService
from kubevision.auth.users import UserService
from kubevision.errors import ApiError, ErrorCode
from kubevision.services.audit import AuditLog
from kubevision.services.context import RequestContext
from kubevision.store.apikeys import ApiKeyRecord
from kubevision.store.users import UserRecord

T = TypeVar("T")

API_KEY_NAME_MAX_CHARS = 100
# An API key expires after 1 to 3650 days (ten years), or never when no expiry is asked for.
API_KEY_MAX_DAYS = 3650
USERS_RESOURCE = "users"


class AccountService:
    """User administration and own-account changes, each audited once with its outcome."""

    def __init__(self, *, users: UserService, auth: AuthService, audit: AuditLog) -> None:
        self._users = users
        self._auth = auth
        self._audit = audit

    # -- user administration (the routes are admin-only) ---------------------------------------
    async def create_user(self, context: RequestContext, *, username: str, password: str, role: str,
                          **fields: Any) -> UserRecord:
        """Create a user (audited `user.create`); `fields`: email, clusters, namespaces, permissions."""
        return await self._audit.record_outcome(
            "user.create", self._users.create(username=username, password=password, role=role, **fields),
            resource=USERS_RESOURCE, name=username, detail={"role": role}, **context.audit_fields())

    async def update_user(self, context: RequestContext, user_id: int, changes: dict[str, Any]) -> UserRecord:
        """Change role, grants, email, permissions or the active flag (audited `user.update` with the names of
        the fields sent)."""
        return await self._about_user(context, "user.update", user_id, self._users.update(user_id, changes),
                                      fields=sorted(changes))

    async def delete_user(self, context: RequestContext, user_id: int) -> None:
        """Delete a user, never the last active admin (audited `user.delete`)."""
        await self._about_user(context, "user.delete", user_id, self._users.delete(user_id))

    async def reset_password(self, context: RequestContext, user_id: int, password: str) -> None:
        """Set a user's password, to be changed at next sign-in; revokes their tokens (audited
        `user.reset-password`)."""
        await self._about_user(context, "user.reset-password", user_id,
                               self._users.set_password(user_id, password, must_change=True))

    async def reset_two_factor(self, context: RequestContext, user_id: int) -> None:
        """Turn a user's 2FA off, for a lost authenticator (audited `user.reset-2fa`)."""
        await self._about_user(context, "user.reset-2fa", user_id, self._users.reset_two_factor(user_id))

    async def _about_user(self, context: RequestContext, action: str, user_id: int, operation: Awaitable[T],
                          **detail: Any) -> T:
        """Audit a change of one user, named by username (by id in `detail` when there is no such user)."""
        user = await self._users.find(user_id)
        if user is None:
            detail["userId"] = user_id
        return await self._audit.record_outcome(action, operation, resource=USERS_RESOURCE,
                                                name=user.username if user else None, detail=detail or None,
                                                **context.audit_fields())

    # -- the caller's own account ---------------------------------------------------------------
    async def change_password(self, context: RequestContext, *, old_password: str | None,
                              new_password: str) -> None:
        """Change the caller's password (audited `user.password`); a wrong old one is 40002 and counts against
        the sign-in throttle."""
        caller = context.caller
        await self._audit.record_outcome(
            "user.password", self._users.change_own_password(caller.user_id, old_password, new_password,
                                                             via_bootstrap=caller.via_bootstrap),
            resource=USERS_RESOURCE, name=caller.username, **context.audit_fields())

    async def setup_two_factor(self, context: RequestContext) -> dict[str, Any]:
        """A new pending authenticator secret and recovery codes (audited `2fa.setup`)."""
        return await self._audit.record_outcome("2fa.setup", self._auth.setup_two_factor(context.caller.user_id),
                                                **context.audit_fields())

    async def enable_two_factor(self, context: RequestContext, *, code: str, password: str) -> None:
        """Turn 2FA on with the current password and a first code (audited `2fa.enable`)."""
        await self._audit.record_outcome("2fa.enable", self._enable_two_factor(context, code, password),
                                         **context.audit_fields())

    async def _enable_two_factor(self, context: RequestContext, code: str, password: str) -> None:
        await self._auth.confirm_identity(context.caller.user_id, password=password)
        await self._auth.enable_two_factor(context.caller.user_id, code)

    async def disable_two_factor(self, context: RequestContext, *, code: str, password: str) -> None:
        """Turn 2FA off with the current password and a current or recovery code; signs out everywhere
        (audited `2fa.disable`)."""
        await self._audit.record_outcome(
            "2fa.disable", self._auth.disable_two_factor(context.caller.user_id, password=password, code=code),
            **context.audit_fields())

    async def create_api_key(self, context: RequestContext, *, name: str, expires_in_days: int | None,
                             password: str | None, code: str | None) -> tuple[ApiKeyRecord, str]:
        """A new API key with the caller's role, confirmed by the current password or (2FA on) a code; the key
        itself is returned only here (audited `apikey.create` with the key's id)."""
        return await self._audit.record_outcome(
            "apikey.create", self._create_api_key(context, name, expires_in_days, password, code), name=name,
            result_fields=lambda created: {"detail": {"keyId": created[0].id}}, **context.audit_fields())

    async def _create_api_key(self, context: RequestContext, name: str, expires_in_days: int | None,
                              password: str | None, code: str | None) -> tuple[ApiKeyRecord, str]:
        if not name or len(name) > API_KEY_NAME_MAX_CHARS:
            raise ApiError(ErrorCode.PARAM_INVALID, f"name must be 1-{API_KEY_NAME_MAX_CHARS} characters")
        if expires_in_days is not None and not 1 <= expires_in_days <= API_KEY_MAX_DAYS:
            raise ApiError(ErrorCode.PARAM_INVALID, f"expiresInDays must be between 1 and {API_KEY_MAX_DAYS}")
        await self._auth.confirm_identity(context.caller.user_id, password=password, code=code)
        expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=expires_in_days) if expires_in_days else None
        return await self._auth.create_api_key(context.caller.user_id, name, expires_at)

    async def delete_api_key(self, context: RequestContext, key_id: int) -> None:
        """Revoke one of the caller's API keys at once; 40400 when they have no such key (audited
        `apikey.delete`)."""
        await self._audit.record_outcome("apikey.delete", self._delete_api_key(context, key_id),
                                         detail={"keyId": key_id}, **context.audit_fields())

    async def _delete_api_key(self, context: RequestContext, key_id: int) -> None:
        if not await self._auth.delete_api_key(context.caller.user_id, key_id):
            raise ApiError(ErrorCode.NOT_FOUND, "API key not found")


ACCOUNTS = web.AppKey("accounts", AccountService)
