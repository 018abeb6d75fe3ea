"""User administration (admins) and the caller's own account."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubevision.api.context import audit, principal_of
from kubevision.api.params import field, path_id, read_json
from kubevision.api.routing import Access, ApiRoutes
from kubevision.api.schemas import (
    BOOLEAN,
    NULLABLE_INT_LIST,
    NULLABLE_STR_LIST,
    ROLE,
    STRING,
    USER,
    obj,
)
from kubevision.auth.service import describe_user
from kubevision.auth.users import USERS

routes = ApiRoutes("users")

_EDITABLE = dict(role=ROLE, email={"type": ["string", "null"]}, clusters=NULLABLE_INT_LIST,
                 namespaces=NULLABLE_STR_LIST, permissions={"type": "array", "items": STRING})


def _audit(request: web.Request, action: str, target: str | None = None, **detail: Any) -> None:
    audit(request, action, resource="users", name=target, detail=detail or None)


@routes.get("/users", access=Access.ADMIN, summary="List users", data={"type": "array", "items": USER})
async def list_users(request: web.Request) -> Any:
    """Every user."""
    return [describe_user(user) for user in await request.app[USERS].list()]


@routes.post("/users", access=Access.ADMIN, summary="Create a user (omitted grants = all)",
             body=obj(["username", "password", "role"], username=STRING, password=STRING, **_EDITABLE),
             data=USER)
async def create_user(request: web.Request) -> Any:
    """Create a user with a role and optional cluster/namespace grants."""
    body = await read_json(request)
    field(body, "username", str)
    field(body, "password", str)
    field(body, "role", str)
    user = await request.app[USERS].create(
        username=body["username"], password=body["password"], role=body["role"],
        email=body.get("email"), clusters=body.get("clusters"), namespaces=body.get("namespaces"),
        permissions=body.get("permissions"),
    )
    _audit(request, "user.create", user.username, role=user.role)
    return describe_user(user)


@routes.get("/users/me", access=Access.USER, before_password_change=True, summary="The signed-in user", data=USER)
async def get_me(request: web.Request) -> Any:
    """The caller's own record."""
    return describe_user(await request.app[USERS].get(principal_of(request).user_id))


@routes.put("/users/me/password", access=Access.USER, read_only_safe=True, session_only=True,
            before_password_change=True,
            summary="Change the caller's password (signs out everywhere; oldPassword may be omitted only "
                    "by a first-run bootstrap session; wrong old passwords count against the sign-in throttle)",
            body=obj(["newPassword"], oldPassword=STRING, newPassword=STRING))
async def change_my_password(request: web.Request) -> Any:
    """Check the old password, set the new one, revoke all tokens."""
    body = await read_json(request)
    principal = principal_of(request)
    await request.app[USERS].change_own_password(
        principal.user_id, field(body, "oldPassword", str, required=False), field(body, "newPassword", str),
        via_bootstrap=principal.via_bootstrap,
    )
    _audit(request, "user.password", principal.username)
    return None


@routes.get("/users/{id}", access=Access.ADMIN, summary="One user", data=USER)
async def get_user(request: web.Request) -> Any:
    """One user by id."""
    return describe_user(await request.app[USERS].get(path_id(request)))


@routes.put("/users/{id}", access=Access.ADMIN,
            summary="Update role, grants, email, permissions or active flag",
            body=obj(active=BOOLEAN, **_EDITABLE), data=USER)
async def update_user(request: web.Request) -> Any:
    """Partial update: only the fields present change."""
    body = await read_json(request)
    user = await request.app[USERS].update(path_id(request), body)
    _audit(request, "user.update", user.username, fields=sorted(body))
    return describe_user(user)


@routes.delete("/users/{id}", access=Access.ADMIN, summary="Delete a user (never the last admin)")
async def delete_user(request: web.Request) -> Any:
    """Delete one user."""
    users = request.app[USERS]
    user = await users.get(path_id(request))
    await users.delete(user.id)
    _audit(request, "user.delete", user.username)
    return None


@routes.post("/users/{id}/reset-password", access=Access.ADMIN,
             summary="Set a user's password (revokes their tokens)",
             body=obj(["password"], password=STRING))
async def reset_password(request: web.Request) -> Any:
    """Admin password reset; the user is asked to change it at next sign-in."""
    body = await read_json(request)
    users = request.app[USERS]
    user = await users.get(path_id(request))
    await users.set_password(user.id, field(body, "password", str), must_change=True)
    _audit(request, "user.reset-password", user.username)
    return None


@routes.post("/users/{id}/reset-2fa", access=Access.ADMIN, summary="Turn a user's 2FA off")
async def reset_two_factor(request: web.Request) -> Any:
    """For a lost authenticator."""
    users = request.app[USERS]
    user = await users.get(path_id(request))
    await users.reset_two_factor(user.id)
    _audit(request, "user.reset-2fa", user.username)
    return None
