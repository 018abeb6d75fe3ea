"""Schema migrations, applied in order at start and recorded in `schema_migrations`.

The baseline creates every table that is missing from the current models (so a fresh database gets
today's schema in one step). Each later step must be idempotent (check before it alters), because on a
fresh database the baseline already produced its result. Steps use alembic's `Operations`, which emit
the right DDL for SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

from kubevision.store.models import (
    change_requests,
    favorites,
    login_failures,
    metadata,
    metrics_history,
    port_forwards,
    terminal_sessions,
)

schema_migrations = sa.Table(
    "schema_migrations",
    sa.MetaData(),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)


def _baseline(op: Operations) -> None:
    metadata.create_all(op.get_bind(), checkfirst=True)


def _terminal_sessions(op: Operations) -> None:
    terminal_sessions.create(op.get_bind(), checkfirst=True)


def _audit_outcome_nullable(op: Operations) -> None:
    """`audit_logs.code` may be NULL: an intent row is written before its change is sent, the outcome after."""
    columns = {column["name"]: column for column in sa.inspect(op.get_bind()).get_columns("audit_logs")}
    if columns["code"]["nullable"]:
        return
    # SQLite cannot alter a column: batch mode copies the table (indexes included); PostgreSQL gets an ALTER.
    with op.batch_alter_table("audit_logs") as batch:
        batch.alter_column("code", existing_type=sa.Integer(), nullable=True)


def _auto_approved_actions(op: Operations) -> None:
    """`users.auto_approved_actions`: the change-request actions a user lets their MCP calls run unapproved."""
    if "auto_approved_actions" in {column["name"] for column in sa.inspect(op.get_bind()).get_columns("users")}:
        return
    op.add_column("users", sa.Column("auto_approved_actions", sa.JSON, nullable=True))


# The PostgreSQL advisory lock held while migrating (released at commit); any fixed number works.
MIGRATION_LOCK_ID = 0x6B76_6D69  # "kvmi"

# Ordered (name, step). Append only; never rename or reorder.
MIGRATIONS: list[tuple[str, Callable[[Operations], None]]] = [
    ("0001_baseline", _baseline),
    ("0002_favorites", lambda op: favorites.create(op.get_bind(), checkfirst=True)),
    ("0003_terminal_sessions", _terminal_sessions),
    ("0004_login_failures", lambda op: login_failures.create(op.get_bind(), checkfirst=True)),
    ("0005_audit_outcome_nullable", _audit_outcome_nullable),
    ("0006_port_forwards", lambda op: port_forwards.create(op.get_bind(), checkfirst=True)),
    ("0007_change_requests", lambda op: change_requests.create(op.get_bind(), checkfirst=True)),
    ("0008_auto_approved_actions", _auto_approved_actions),
    ("0009_metrics_history", lambda op: metrics_history.create(op.get_bind(), checkfirst=True)),
]


def apply_migrations(connection: sa.Connection) -> list[str]:
    """Apply the steps this database has not seen; returns their names. Runs inside one transaction; on
    PostgreSQL instances starting together take turns (the later ones then find nothing to do)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK_ID)))
    schema_migrations.create(connection, checkfirst=True)
    done = set(connection.execute(sa.select(schema_migrations.c.name)).scalars())
    operations = Operations(MigrationContext.configure(connection))
    applied = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        step(operations)
        connection.execute(
            schema_migrations.insert().values(name=name, applied_at=dt.datetime.now(dt.UTC))
        )
        applied.append(name)
    return applied
