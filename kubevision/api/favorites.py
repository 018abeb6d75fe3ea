"""The caller's favorites."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubevision.api.context import context_of
from kubevision.api.params import field, path_id, read_json
from kubevision.api.routing import Access, ApiRoutes
from kubevision.api.schemas import INTEGER, STRING, obj
from kubevision.services.favorites import FAVORITES

routes = ApiRoutes("favorites")

FAVORITE = obj(id=INTEGER, path=STRING, title=STRING, cluster={"type": ["integer", "null"]},
               resource={"type": ["string", "null"]}, namespace={"type": ["string", "null"]},
               name={"type": ["string", "null"]}, createdAt=STRING)


@routes.get("/favorites", access=Access.USER, summary="The caller's favorites",
            data={"type": "array", "items": FAVORITE})
async def list_favorites(request: web.Request) -> Any:
    """Oldest first."""
    return await request.app[FAVORITES].list(context_of(request))


@routes.post("/favorites", access=Access.USER, read_only_safe=True,
             summary="Star an object or list view by its app route",
             body=obj(["path"], path=STRING, title=STRING, cluster=INTEGER, resource=STRING, namespace=STRING,
                      name=STRING),
             data=FAVORITE)
async def add_favorite(request: web.Request) -> Any:
    """40900 when the path is already a favorite."""
    body = await read_json(request)
    return await request.app[FAVORITES].add(
        context_of(request), path=field(body, "path", str), title=field(body, "title", str, required=False),
        cluster=field(body, "cluster", int, required=False), resource=field(body, "resource", str, required=False),
        namespace=field(body, "namespace", str, required=False), name=field(body, "name", str, required=False))


@routes.delete("/favorites/{id}", access=Access.USER, read_only_safe=True, summary="Remove a favorite")
async def remove_favorite(request: web.Request) -> Any:
    """data is null."""
    await request.app[FAVORITES].remove(context_of(request), path_id(request))
    return None
