"""Cluster records: stable ids for kubeconfig contexts and uploaded kubeconfigs (stored encrypted)."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from kubevision.store.models import clusters, insert_on_conflict
from kubevision.store.users import utcnow


@dataclasses.dataclass(frozen=True, kw_only=True)
class ClusterRecord:
    """One row of `clusters`."""

    id: int
    name: str
    source: str
    context: str | None
    server: str | None
    kubeconfig: bytes | None


def _record(row: sa.Row) -> ClusterRecord:
    values = dict(row._mapping)
    values.pop("created_at", None)
    return ClusterRecord(**values)


async def list_cluster_records(conn: AsyncConnection) -> list[ClusterRecord]:
    """Every stored cluster by id."""
    return [_record(row) for row in await conn.execute(sa.select(clusters).order_by(clusters.c.id))]


async def upsert_cluster(conn: AsyncConnection, *, name: str, source: str, context: str | None,
                         server: str | None, kubeconfig: bytes | None = None) -> ClusterRecord:
    """Insert the cluster, or update the row of the same name (so its id stays stable); atomic, so instances
    starting together on one database may import the same contexts."""
    values = {"source": source, "context": context, "server": server, "kubeconfig": kubeconfig}
    await conn.execute(insert_on_conflict(conn, clusters).values(name=name, created_at=utcnow(), **values)
                       .on_conflict_do_update(index_elements=[clusters.c.name], set_=values))
    row = (await conn.execute(sa.select(clusters).where(clusters.c.name == name))).one()
    return _record(row)


async def cluster_name_taken(conn: AsyncConnection, name: str) -> bool:
    """True when a cluster of that name exists."""
    return (await conn.execute(sa.select(clusters.c.id).where(clusters.c.name == name))).first() is not None


async def delete_cluster_record(conn: AsyncConnection, cluster_id: int) -> None:
    """Remove a cluster row."""
    await conn.execute(clusters.delete().where(clusters.c.id == cluster_id))
