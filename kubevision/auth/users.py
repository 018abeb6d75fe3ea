"""`UserService`: user administration shared by the users API and the CLI.

Guards the invariants: usernames unique, passwords strong enough, roles known, and never zero active
admins (deleting, demoting or deactivating the last one is refused).
"""

from __future__ import annotations

import logging
import re
import secrets
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from kubevision.auth.passwords import hash_password, password_problem, verify_password
from kubevision.auth.permissions import Role, permission_problem
from kubevision.auth.ratelimit import LoginThrottle
from kubevision.auth.secrets import write_private_file
from kubevision.auth.service import clear_two_factor
from kubevision.errors import ApiError, ErrorCode
from kubevision.store import Store
from kubevision.store import users as user_repo
from kubevision.store.users import UserRecord

log = logging.getLogger(__name__)

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
INITIAL_PASSWORD_FILE = "initial-admin-password"
DEFAULT_ADMIN = "admin"


def _check_username(username: object) -> str:
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        raise ApiError(ErrorCode.PARAM_INVALID,
                       "username must be 1-64 characters of letters, digits, '.', '_', '@' or '-'")
    return username


def _check_password(password: object) -> str:
    problem = password_problem(password)
    if problem:
        raise ApiError(ErrorCode.PARAM_INVALID, problem)
    assert isinstance(password, str)
    return password


def _check_role(role: object) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ApiError(ErrorCode.PARAM_INVALID,
                       f"role must be one of {', '.join(r.value for r in Role)}") from None


def _check_grants(value: object, *, item_type: type, field: str) -> list | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, item_type) and not isinstance(v, bool)
                                              for v in value):
        raise ApiError(ErrorCode.PARAM_INVALID,
                       f"{field} must be null (all) or a list of {item_type.__name__}")
    return list(dict.fromkeys(value))


class UserService:
    """Administration of users."""

    def __init__(self, store: Store, data_dir: Path) -> None:
        self._store = store
        self._initial_password_file = data_dir / INITIAL_PASSWORD_FILE
        self._throttle = LoginThrottle(store)

    async def list(self) -> list[UserRecord]:
        """Every user."""
        async with self._store.transaction() as conn:
            return await user_repo.list_users(conn)

    async def get(self, user_id: int) -> UserRecord:
        """One user, or 40401."""
        async with self._store.transaction() as conn:
            return await self._require(conn, user_id)

    async def find(self, user_id: int) -> UserRecord | None:
        """One user, or None."""
        async with self._store.transaction() as conn:
            return await user_repo.get_user(conn, user_id)

    async def get_by_name(self, username: str) -> UserRecord:
        """One user by name, or 40401."""
        async with self._store.transaction() as conn:
            user = await user_repo.get_user_by_name(conn, username)
        if user is None:
            raise ApiError(ErrorCode.USER_NOT_FOUND, f"user {username!r} not found")
        return user

    @staticmethod
    async def _require(conn: AsyncConnection, user_id: int) -> UserRecord:
        user = await user_repo.get_user(conn, user_id)
        if user is None:
            raise ApiError(ErrorCode.USER_NOT_FOUND, f"user {user_id} not found")
        return user

    async def create(self, *, username: object, password: object, role: object = Role.READONLY,
                     email: object = None, clusters: object = None, namespaces: object = None,
                     permissions: object = None, must_change_password: bool = False) -> UserRecord:
        """Create a user after validating every field."""
        values = self._validated_fields(role=role, email=email, clusters=clusters,
                                        namespaces=namespaces, permissions=permissions)
        self._require_custom_permissions(values["role"], values["permissions"])
        username = _check_username(username)
        password_hash = await hash_password(_check_password(password))
        async with self._store.transaction() as conn:
            if await user_repo.get_user_by_name(conn, username) is not None:
                raise ApiError(ErrorCode.ALREADY_EXISTS, f"user {username!r} already exists")
            return await user_repo.insert_user(
                conn, username=username, password_hash=password_hash, active=True, token_version=1,
                must_change_password=must_change_password, totp_enabled=False, **values,
            )

    @staticmethod
    def _validated_fields(**fields: Any) -> dict[str, Any]:
        """Validate the editable fields that are present; map API names to columns."""
        values: dict[str, Any] = {}
        if "role" in fields:
            values["role"] = _check_role(fields["role"]).value
        if "email" in fields:
            email = fields["email"]
            if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > 255):
                raise ApiError(ErrorCode.PARAM_INVALID, "email must be an address or null")
            values["email"] = email
        if "clusters" in fields:
            values["cluster_grants"] = _check_grants(fields["clusters"], item_type=int, field="clusters")
        if "namespaces" in fields:
            values["namespace_grants"] = _check_grants(fields["namespaces"], item_type=str,
                                                       field="namespaces")
        if "permissions" in fields:
            permissions = fields["permissions"] or []
            problem = permission_problem(permissions)
            if problem:
                raise ApiError(ErrorCode.PARAM_INVALID, problem)
            values["permissions"] = permissions
        if "active" in fields:
            if not isinstance(fields["active"], bool):
                raise ApiError(ErrorCode.PARAM_INVALID, "active must be true or false")
            values["active"] = fields["active"]
        return values

    @staticmethod
    def _require_custom_permissions(role: str, permissions: list[str]) -> None:
        if role == Role.CUSTOM and not permissions:
            raise ApiError(ErrorCode.PARAM_MISSING, "the custom role needs a permissions list")

    async def update(self, user_id: int, changes: dict[str, Any]) -> UserRecord:
        """Change role, grants, email, permissions or active flag. Role or active changes revoke tokens."""
        allowed = {"role", "email", "clusters", "namespaces", "permissions", "active"}
        unknown = sorted(set(changes) - allowed - {"username", "id"})
        if unknown:
            raise ApiError(ErrorCode.PARAM_INVALID, f"unknown fields: {', '.join(unknown)}")
        values = self._validated_fields(**{k: v for k, v in changes.items() if k in allowed})
        async with self._store.transaction() as conn:
            user = await self._require(conn, user_id)
            # Checked on the result, so restating `custom` keeps the stored list and emptying it fails.
            self._require_custom_permissions(values.get("role", user.role),
                                             values.get("permissions", user.permissions))
            loses_admin = user.role == Role.ADMIN and user.active and (
                values.get("role", Role.ADMIN) != Role.ADMIN or values.get("active") is False
            )
            if loses_admin:
                await self._refuse_if_last_admin(conn)
            if values:
                await user_repo.update_user(conn, user_id, **values)
            if ("role" in values and values["role"] != user.role) or values.get("active") is False:
                await user_repo.bump_token_version(conn, user_id)
            return await self._require(conn, user_id)

    async def delete(self, user_id: int) -> None:
        """Delete a user; refuses to delete the last active admin."""
        async with self._store.transaction() as conn:
            user = await self._require(conn, user_id)
            if user.role == Role.ADMIN and user.active:
                await self._refuse_if_last_admin(conn)
            await user_repo.delete_user(conn, user_id)

    @staticmethod
    async def _refuse_if_last_admin(conn: AsyncConnection) -> None:
        if await user_repo.count_users(conn, role=Role.ADMIN, active_only=True) <= 1:
            raise ApiError(ErrorCode.FORBIDDEN, "refusing to remove the last active admin")

    async def set_password(self, user_id: int, password: object, *, must_change: bool = False) -> None:
        """Set a new password and revoke every token of the user."""
        password_hash = await hash_password(_check_password(password))
        async with self._store.transaction() as conn:
            user = await self._require(conn, user_id)
            await user_repo.update_user(conn, user_id, password_hash=password_hash,
                                        must_change_password=must_change)
            await user_repo.bump_token_version(conn, user_id)
        if user.username == DEFAULT_ADMIN:
            # The generated first-run password is no longer valid: do not leave it lying around.
            self._initial_password_file.unlink(missing_ok=True)

    async def change_own_password(self, user_id: int, old_password: object, new_password: object, *,
                                  via_bootstrap: bool = False) -> None:
        """A user's own password change; the old password must be right.

        The one exception: a bootstrap-link session of a user who must still change the generated
        password may set it without the old one (the link itself proved who they are).
        """
        user = await self.get(user_id)
        if old_password is None and via_bootstrap and user.must_change_password:
            await self.set_password(user_id, new_password)
            return
        if not isinstance(old_password, str):
            raise ApiError(ErrorCode.PARAM_MISSING, "oldPassword is required")
        async with self._throttle.attempt(user.username):  # a stolen session must not guess passwords freely
            if not await verify_password(old_password, user.password_hash):
                raise ApiError(ErrorCode.PARAM_INVALID, "old password is incorrect")
        if old_password == new_password:
            raise ApiError(ErrorCode.PARAM_INVALID, "new password must differ from the old one")
        await self.set_password(user_id, new_password)

    async def reset_two_factor(self, user_id: int) -> None:
        """Turn a user's 2FA off (admin action for a lost authenticator)."""
        async with self._store.transaction() as conn:
            await self._require(conn, user_id)
            await clear_two_factor(conn, user_id)

    async def ensure_first_admin(self, *, admin_password: str | None) -> tuple[bool, str | None]:
        """Without an active admin (a new database, or only users made by `create-user` before the first
        start) create `admin`. Returns (created, generated password or None).

        A generated password is also written to `<data-dir>/initial-admin-password` (0600).
        """
        async with self._store.transaction() as conn:
            if await user_repo.count_users(conn, role=Role.ADMIN, active_only=True) > 0:
                return False, None
            if await user_repo.get_user_by_name(conn, DEFAULT_ADMIN) is not None:
                log.warning("no active admin, and the user %r exists with another role or is inactive: give "
                            "someone the admin role with `kubevision set-role USER admin`", DEFAULT_ADMIN)
                return False, None
        generated = admin_password is None
        password = admin_password or secrets.token_urlsafe(15)
        await self.create(username=DEFAULT_ADMIN, password=password, role=Role.ADMIN,
                          must_change_password=generated)
        if generated:
            write_private_file(self._initial_password_file, password + "\n")
            return True, password
        return True, None


USERS = web.AppKey("users", UserService)
