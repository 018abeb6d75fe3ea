"""Downsampled metrics history (`metrics_history`): one row per series (kind, namespace, name) per bucket."""

from __future__ import annotations

from itertools import groupby

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from kubevision.store.models import insert_on_conflict, metrics_history

SeriesKey = tuple[str, str, str]
# Rows per INSERT statement (SQLite allows 32,766 bound parameters; a row binds 7).
INSERT_BATCH_ROWS = 1000


async def save_bucket(conn: AsyncConnection, *, cluster_id: int, bucket_start: int,
                      values: dict[SeriesKey, tuple[float, float]]) -> None:
    """Store one closed bucket's averages (CPU millicores, memory bytes); a bucket saved before is kept."""
    rows = [{"cluster_id": cluster_id, "kind": kind, "namespace": namespace, "name": name,
             "bucket_start": bucket_start, "cpu": cpu, "memory": memory}
            for (kind, namespace, name), (cpu, memory) in values.items()]
    for start in range(0, len(rows), INSERT_BATCH_ROWS):
        statement = insert_on_conflict(conn, metrics_history).values(rows[start:start + INSERT_BATCH_ROWS])
        await conn.execute(statement.on_conflict_do_nothing())


async def load_buckets(conn: AsyncConnection, *, cluster_id: int,
                       since: int) -> list[tuple[int, dict[SeriesKey, tuple[float, float]]]]:
    """The cluster's buckets from `since` (epoch seconds) on, oldest first, each with its series' averages."""
    table = metrics_history.c
    rows = await conn.execute(
        sa.select(table.bucket_start, table.kind, table.namespace, table.name, table.cpu, table.memory)
        .where(table.cluster_id == cluster_id, table.bucket_start >= since).order_by(table.bucket_start))
    return [(bucket, {(row.kind, row.namespace, row.name): (row.cpu, row.memory) for row in bucket_rows})
            for bucket, bucket_rows in groupby(rows, key=lambda row: row.bucket_start)]


async def delete_before(conn: AsyncConnection, cutoff: int) -> None:
    """Forget buckets that started before `cutoff` (epoch seconds): the retention."""
    await conn.execute(sa.delete(metrics_history).where(metrics_history.c.bucket_start < cutoff))


async def delete_cluster(conn: AsyncConnection, cluster_id: int) -> None:
    """Forget a deleted cluster's history."""
    await conn.execute(sa.delete(metrics_history).where(metrics_history.c.cluster_id == cluster_id))
