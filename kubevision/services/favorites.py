"""`FavoritesService`: what each user starred (objects and list views), shown in their sidebar.

Favorites are the caller's own bookmarks (links, not access): they are not audited."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubevision.errors import ApiError, ErrorCode
from kubevision.services.context import RequestContext
from kubevision.store import Store
from kubevision.store import favorites as repo

MAX_FAVORITES = 200


class FavoritesService:
    """Per-user favorites."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def list(self, context: RequestContext) -> list[dict[str, Any]]:
        """The caller's favorites."""
        async with self._store.transaction() as conn:
            return await repo.list_favorites(conn, context.caller.user_id)

    async def add(self, context: RequestContext, *, path: str, title: str | None, cluster: int | None,
                  resource: str | None, namespace: str | None, name: str | None) -> dict[str, Any]:
        """Star a frontend path (an app route starting with '/'); 40900 when already starred."""
        user_id = context.caller.user_id
        if not path.startswith("/") or path.startswith("//") or len(path) > 1024:
            raise ApiError(ErrorCode.PARAM_INVALID, "path must be an app route starting with '/'")
        async with self._store.transaction() as conn:
            if await repo.find_favorite(conn, user_id, path) is not None:
                raise ApiError(ErrorCode.ALREADY_EXISTS, f"{path} is already a favorite")
            if len(await repo.list_favorites(conn, user_id)) >= MAX_FAVORITES:
                raise ApiError(ErrorCode.PARAM_INVALID, f"at most {MAX_FAVORITES} favorites")
            return await repo.insert_favorite(
                conn, user_id=user_id, path=path, title=(title or name or path)[:253], cluster_id=cluster,
                resource=resource, namespace=namespace, name=name)

    async def remove(self, context: RequestContext, favorite_id: int) -> None:
        """Unstar; 40400 when the caller has no such favorite."""
        async with self._store.transaction() as conn:
            if not await repo.delete_favorite(conn, user_id=context.caller.user_id, favorite_id=favorite_id):
                raise ApiError(ErrorCode.NOT_FOUND, f"favorite {favorite_id} not found")


FAVORITES = web.AppKey("favorites", FavoritesService)
