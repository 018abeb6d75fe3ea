"""User administration (admins) and the caller's own account."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubevision.api.context import context_of, principal_of
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
from kubevision.services.accounts import ACCOUNTS

routes = ApiRoutes("users")

_EDITABLE = dict(role=ROLE, email={"type": ["string", "null"]}, clusters=NULLABLE_INT_LIST,
                 namespaces=NULLABLE_STR_LIST, permissions={"type": "array", "items": STRING})


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
    user = await request.app[ACCOUNTS].create_user(
        context_of(request), username=field(body, "username", str), password=field(body, "password", str),
        role=field(body, "role", str), email=body.get("email"), clusters=body.get("clusters"),
        namespaces=body.get("namespaces"), permissions=body.get("permissions"),
    )
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
    await request.app[ACCOUNTS].change_password(
        context_of(request), old_password=field(body, "oldPassword", str, required=False),
        new_password=field(body, "newPassword", str),
    )
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
    return describe_user(await request.app[ACCOUNTS].update_user(context_of(request), path_id(request), body))


@routes.delete("/users/{id}", access=Access.ADMIN, summary="Delete a user (never the last admin)")
async def delete_user(request: web.Request) -> Any:
    """Delete one user."""
    await request.app[ACCOUNTS].delete_user(context_of(request), path_id(request))
    return None


@routes.post("/users/{id}/reset-password", access=Access.ADMIN,
             summary="Set a user's password (revokes their tokens)",
             body=obj(["password"], password=STRING))
async def reset_password(request: web.Request) -> Any:
    """Admin password reset; the user is asked to change it at next sign-in."""
    body = await read_json(request)
    await request.app[ACCOUNTS].reset_password(context_of(request), path_id(request), field(body, "password", str))
    return None


@routes.post("/users/{id}/reset-2fa", access=Access.ADMIN, summary="Turn a user's 2FA off")
async def reset_two_factor(request: web.Request) -> Any:
    """For a lost authenticator."""
    await request.app[ACCOUNTS].reset_two_factor(context_of(request), path_id(request))
    return None
