"""`BatchService`: delete or restart up to `BATCH_LIMIT` objects in one call, each authorized, audited and
reported on its own (an item that fails does not stop the others), and `item_outcome`, the per-item result
shape that YAML apply's documents share.

Each item is one `ResourceWriter` change, so its access check and its audit row (refusals included) are the
same as for a single delete or restart. A malformed item list is refused whole (40001/40002) before any
item is looked at; it names no object, so it has no audit row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kubevision.errors import ApiError, CodedError, ErrorCode, api_error_for
from kubevision.services.context import ObjectRef, RequestContext

if TYPE_CHECKING:
    from kubevision.services.resource_writes import ResourceWriter

Obj = dict[str, Any]
BATCH_LIMIT = 100


def item_outcome(error: ApiError | CodedError, *, causes: bool = False) -> Obj:
    """`code` and `message` of a failed item (and, with `causes`, the API server's validation causes or None)."""
    translated = api_error_for(error)
    assert translated is not None  # coded errors always translate
    outcome: Obj = {"code": int(translated.code), "message": translated.message}
    if causes:
        data = translated.data
        outcome["causes"] = (data.get("causes") if isinstance(data, dict) else None) or None
    return outcome


def _checked_items(items: Any, key: str) -> list[Obj]:
    """40001/40002 unless `items` is a list of 1 to `BATCH_LIMIT` objects with string `key` and `name` (and
    `namespace`, if any)."""
    if not isinstance(items, list) or not items:
        raise ApiError(ErrorCode.PARAM_MISSING, "items must be a non-empty list")
    if len(items) > BATCH_LIMIT:
        raise ApiError(ErrorCode.PARAM_INVALID, f"at most {BATCH_LIMIT} items per batch")
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get(key), str) or not isinstance(
                item.get("name"), str) or not isinstance(item.get("namespace") or "", str):
            raise ApiError(ErrorCode.PARAM_INVALID,
                           f"each item needs string {key!r} and 'name' (and 'namespace', if any)")
    return items


class BatchService:
    """Per-item batch deletes and restarts."""

    def __init__(self, writer: ResourceWriter) -> None:
        self._writer = writer

    async def delete_each(self, context: RequestContext, cluster_id: int, *, items: Any) -> list[Obj]:
        """Delete each item (`resource`, `namespace`, `name`) on its own; per-item codes."""
        return await self._each(cluster_id, _checked_items(items, "resource"), "resource",
                                lambda ref: self._writer.delete_object(context, ref))

    async def restart_each(self, context: RequestContext, cluster_id: int, *, items: Any) -> list[Obj]:
        """Restart each workload (`kind`, `namespace`, `name`) on its own; per-item codes."""
        return await self._each(cluster_id, _checked_items(items, "kind"), "kind",
                                lambda ref: self._writer.restart_workload(context, ref))

    @staticmethod
    async def _each(cluster_id: int, items: list[Obj], key: str,
                    action: Callable[[ObjectRef], Awaitable[Any]]) -> list[Obj]:
        results = []
        for item in items:
            outcome = {key: item[key], "namespace": item.get("namespace"), "name": item["name"],
                       "code": 0, "message": "success"}
            ref = ObjectRef(cluster_id=cluster_id, resource=item[key], name=item["name"],
                            namespace=item.get("namespace") or None)
            try:
                await action(ref)
            except (ApiError, CodedError) as exc:
                outcome.update(item_outcome(exc))
            results.append(outcome)
        return results


BATCH_OPERATIONS = web.AppKey("batch_operations", BatchService)
