"""Reads across several clusters at once: one list, search or overview with a part per cluster.

The syntax is the namespaces' one: several clusters are a comma-separated list of ids (`clusters=1,4`), none
means every cluster the caller may see. Each cluster is asked concurrently, under the caller's grants for
that cluster, with its own deadline: a cluster that fails or does not answer in time is its own error in the
answer (never a failed page), and one already known unreachable gets a short deadline, so it holds the others
up once at most (a cluster that does not answer in time counts as unreachable until its health check sees it
answer). Merged lists keep each cluster's order (the same sort key on every
cluster; a `metrics.*` sort keys each cluster's rows by that cluster's metrics) and break ties by cluster name.
"""

from __future__ import annotations

import asyncio
import dataclasses
import heapq
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from aiohttp import web

from kubevision.errors import ApiError, ErrorCode, api_error_for, error_fields
from kubevision.kube.clusters import Cluster, ClusterManager, ClusterStatus
from kubevision.kube.tables import row_order, table_spec
from kubevision.services.access import require_cluster, visible_clusters
from kubevision.services.context import RequestContext
from kubevision.services.resource_reads import Listed, ListQuery, ResourceReader, Selection
from kubevision.services.views import ViewService

log = logging.getLogger(__name__)

T = TypeVar("T")
Obj = dict[str, Any]

# How long one cluster may take to answer its part; one known to be unreachable (it failed or did not answer
# last time, and its health check has not seen it answer since) gets the short one.
CLUSTER_PART_TIMEOUT_S = 10.0
UNREACHABLE_CLUSTER_TIMEOUT_S = 2.0
# The parts of each cluster's overview that the answer across clusters adds up.
SUMMED_OVERVIEW_PARTS = ("counts", "workloads", "nodes", "resources", "podPhases")
# At most this many clusters in one request.
MAX_CLUSTERS = 50
# The Cluster column of a table across clusters.
CLUSTER_COLUMN = {"id": "cluster", "name": "Cluster", "type": "text", "priority": 0}
CLUSTER_SORTS = ("cluster", "-cluster")


def parse_cluster_ids(text: str | None) -> list[int] | None:
    """The cluster ids of a `clusters` parameter (None: every visible cluster); 40002 when malformed."""
    names = [part.strip() for part in (text or "").split(",") if part.strip()]
    if not names:
        return None
    if not all(name.isascii() and name.isdigit() and len(name) < 10 for name in names):
        raise ApiError(ErrorCode.PARAM_INVALID, "clusters must be comma-separated cluster ids, e.g. 1,4")
    ids = sorted({int(name) for name in names})
    if len(ids) > MAX_CLUSTERS:
        raise ApiError(ErrorCode.PARAM_INVALID, f"at most {MAX_CLUSTERS} clusters at once ({len(ids)} given)")
    return ids


@dataclasses.dataclass
class ClusterPart(Generic[T]):
    """One cluster's part of an answer: its value, or the error it answered with."""

    cluster: Cluster
    value: T | None = None
    error: ApiError | None = None

    def describe(self, **figures: Any) -> Obj:
        """`{id, name, code, message, …figures}`: code 0 when the cluster answered."""
        described: Obj = {"id": self.cluster.id, "name": self.cluster.name, "code": 0, "message": "success"}
        if self.error is not None:
            described.update(error_fields(self.error))
        return {**described, **figures}


class FleetService:
    """Lists, searches and overviews of several clusters."""

    def __init__(self, *, clusters: ClusterManager, reader: ResourceReader, views: ViewService) -> None:
        self.clusters = clusters
        self.reader = reader
        self.views = views

    def selected(self, context: RequestContext, cluster_ids: Sequence[int] | None) -> list[Cluster]:
        """The clusters asked for, by name (40301 for one outside the grants, 40402 for an unknown id); all the
        caller may see when none are named."""
        if cluster_ids is None:
            return sorted(visible_clusters(context.caller, self.clusters.list()), key=lambda c: c.name)
        for cluster_id in cluster_ids:
            require_cluster(context.caller, cluster_id)
        return sorted((self.clusters.get(cluster_id) for cluster_id in cluster_ids), key=lambda c: c.name)

    async def list_objects(self, context: RequestContext, cluster_ids: Sequence[int] | None, *, resource: str,
                           namespace: str | None, query: ListQuery) -> tuple[Obj, int]:
        """One page of a kind across clusters, and how many match in all. Table rows carry `cluster` (the id)
        and a Cluster cell first; objects come as `{cluster, object}`. `clusters` says each one's total or
        error."""
        if query.chunked:
            raise ApiError(ErrorCode.PARAM_INVALID, "limit and continue read one cluster; page across clusters")
        window = query.window
        # Each cluster selects the rows up to the end of the page; the merge then cuts the page.
        by_cluster = query.sort in CLUSTER_SORTS
        per_cluster = dataclasses.replace(query, page=1, page_size=window.stop, sort=None if by_cluster else query.sort)
        parts = await ask_each(self.selected(context, cluster_ids), lambda cluster: self.reader.select(
            context, cluster.id, resource=resource, namespace=namespace, query=per_cluster))
        answered: list[Selection] = [part.value for part in parts if part.value is not None]
        page = list(_merged(answered, query.sort))[window]
        total = sum(selection.total for selection in answered)
        clusters = [part.describe(total=part.value.total if part.value is not None else None,
                                  source=part.value.source if part.value is not None else None)
                    for part in parts]
        if query.table:
            columns = answered[0].render([], table=True)["columns"] if answered else []
            rows = [{**row.row, "cluster": selection.scope.cluster.id,
                     "cells": [selection.scope.cluster.name, *row.row["cells"]]} for selection, row in page]
            return {"columns": [CLUSTER_COLUMN, *columns], "rows": rows, "clusters": clusters}, total
        items = [{"cluster": selection.scope.cluster.id, "object": selection.render([row], table=False)[0]}
                 for selection, row in page]
        return {"items": items, "clusters": clusters}, total

    async def search(self, context: RequestContext, cluster_ids: Sequence[int] | None, *, text: str,
                     kinds: list[str] | None, limit: int) -> Obj:
        """Search results of each cluster, best first across clusters (each result carries `cluster`)."""
        parts = await ask_each(self.selected(context, cluster_ids), lambda cluster: self.views.search(
            context, cluster.id, text, kinds=kinds, limit=limit))
        results = [{**result, "cluster": part.cluster.id, "clusterName": part.cluster.name}
                   for part in parts if part.value is not None for result in part.value[0]]
        results.sort(key=lambda result: -result["score"])  # stable: each cluster's order, clusters by name
        return {"results": results, "clusters": [part.describe(total=part.value[1]["total"] if part.value else None)
                                                 for part in parts]}

    async def overview(self, context: RequestContext, cluster_ids: Sequence[int] | None) -> Obj:
        """Each cluster's overview, and the `SUMMED_OVERVIEW_PARTS` summed over the clusters that answered."""
        parts = await ask_each(self.selected(context, cluster_ids),
                               lambda cluster: self.views.overview(context, cluster.id))
        overviews = [part.describe(overview=part.value[0] if part.value is not None else None) for part in parts]
        answered = [part.value[0] for part in parts if part.value is not None]
        totals = {name: summed([overview.get(name) for overview in answered]) for name in SUMMED_OVERVIEW_PARTS}
        return {"clusters": overviews, "totals": {**totals, "counts": totals["counts"] or {}}}


def summed(values: Sequence[Any]) -> Any:
    """The numbers of same-shaped JSON values added up key by key; None where no value has a number (a cluster
    that cannot see its nodes adds nothing to their totals); strings kept when all agree (units)."""
    present = [value for value in values if value is not None]
    if not present:
        return None
    if all(isinstance(value, dict) for value in present):
        keys = dict.fromkeys(key for value in present for key in value)
        return {key: summed([value.get(key) for value in present]) for key in keys}
    if all(isinstance(value, int | float) and not isinstance(value, bool) for value in present):
        return sum(present)
    return present[0] if all(value == present[0] for value in present) else None


async def ask_each(clusters: Iterable[Cluster], ask: Callable[[Cluster], Awaitable[T]]) -> list[ClusterPart[T]]:
    """`ask` every cluster concurrently, each under its deadline; failures become the cluster's error."""
    async def one(cluster: Cluster) -> ClusterPart[T]:
        timeout_s = (UNREACHABLE_CLUSTER_TIMEOUT_S if cluster.status is ClusterStatus.UNREACHABLE
                     else CLUSTER_PART_TIMEOUT_S)
        try:
            async with asyncio.timeout(timeout_s):
                return ClusterPart(cluster, value=await ask(cluster))
        except TimeoutError:
            message = f"cluster {cluster.name} did not answer within {timeout_s:.0f} s"
            cluster.mark_unanswered(message)
            return ClusterPart(cluster, error=ApiError(ErrorCode.CLUSTER_UNAVAILABLE, message))
        except Exception as exc:  # any failure is this cluster's error, not the request's
            error = api_error_for(exc)
            if error is None:
                log.exception("cluster %s failed its part of a read across clusters", cluster.name)
                error = ApiError(ErrorCode.INTERNAL)
            return ClusterPart(cluster, error=error)

    parts = list(await asyncio.gather(*(one(cluster) for cluster in clusters)))
    refused = {part.error.code for part in parts if part.error is not None}
    if parts and all(part.error is not None for part in parts) and len(refused) == 1 and min(refused) < 50000:
        raise parts[0].error  # every cluster refused the request itself (bad input, no right): that is the answer
    return parts


def _merged(selections: Sequence[Selection], sort: str | None) -> Iterable[tuple[Selection, Listed]]:
    """(selection, row) pairs of every cluster in one order: by cluster name for `cluster`, else each cluster's
    own order (the sort column, ties by name) merged, ties between clusters by cluster name."""
    pairs = [[(selection, row) for row in selection.rows] for selection in selections]
    if sort in CLUSTER_SORTS:
        ordered = [pair for rows in pairs for pair in rows]
        return reversed(ordered) if sort == "-cluster" else ordered
    if not selections:
        return []
    kind = selections[0].scope.kind

    def order_of(selection: Selection) -> tuple[Callable[[Obj], Any], bool]:
        """A `metrics.*` sort orders each cluster's rows by that cluster's values; any other by the column."""
        if selection.by_values is not None:
            return selection.by_values.row_key()
        return row_order(sort, table_spec(kind), namespaced=kind.namespaced)

    orders = {id(selection): order_of(selection) for selection in selections}
    descending = orders[id(selections[0])][1]
    return heapq.merge(*pairs, key=lambda pair: orders[id(pair[0])][0](pair[1].row), reverse=descending)


FLEET = web.AppKey("fleet", FleetService)
