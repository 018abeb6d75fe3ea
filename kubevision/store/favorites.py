"""Per-user favorites (starred objects and list views)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from kubevision.store.models import favorites, fit_to_columns
from kubevision.store.users import as_utc, utcnow


def _describe(row: sa.Row) -> dict[str, Any]:
    values = dict(row._mapping)
    return {"id": values["id"], "path": values["path"], "title": values["title"],
            "cluster": values["cluster_id"], "resource": values["resource"], "namespace": values["namespace"],
            "name": values["name"], "createdAt": as_utc(values["created_at"]).isoformat()}


async def list_favorites(conn: AsyncConnection, user_id: int) -> list[dict[str, Any]]:
    """A user's favorites, oldest first (the order they were starred)."""
    rows = await conn.execute(sa.select(favorites).where(favorites.c.user_id == user_id).order_by(favorites.c.id))
    return [_describe(row) for row in rows]


async def find_favorite(conn: AsyncConnection, user_id: int, path: str) -> dict[str, Any] | None:
    """The user's favorite for a path, if starred."""
    row = (await conn.execute(
        sa.select(favorites).where(favorites.c.user_id == user_id, favorites.c.path == path))).first()
    return _describe(row) if row else None


async def insert_favorite(conn: AsyncConnection, *, user_id: int, path: str, title: str, cluster_id: int | None,
                          resource: str | None, namespace: str | None, name: str | None) -> dict[str, Any]:
    """Star something (the descriptive strings are cut to their columns; `path` must fit)."""
    await conn.execute(favorites.insert().values(fit_to_columns(favorites, dict(
        user_id=user_id, path=path, title=title, cluster_id=cluster_id, resource=resource, namespace=namespace,
        name=name, created_at=utcnow()))))
    found = await find_favorite(conn, user_id, path)
    assert found is not None
    return found


async def delete_favorite(conn: AsyncConnection, *, user_id: int, favorite_id: int) -> bool:
    """Unstar; False when the user has no such favorite."""
    result = await conn.execute(
        favorites.delete().where(favorites.c.id == favorite_id, favorites.c.user_id == user_id))
    return result.rowcount == 1
