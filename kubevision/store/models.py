"""The schema as SQLAlchemy Core tables. Core, not the ORM: rows are plain records and no identity map
or lazy loading can surprise an async caller. Also the few helpers that let one statement serve SQLite and
PostgreSQL alike."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


class String(sa.types.TypeDecorator[str]):
    """VARCHAR(n) that PostgreSQL accepts any Python string for: it cannot store NUL characters in text, so
    they become U+FFFD there (in comparisons too, so a lookup finds nothing instead of failing). SQLite is
    unchanged."""

    impl = sa.String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        """The value as sent to the database."""
        if value is not None and dialect.name == "postgresql":
            return value.replace("\x00", "\ufffd")
        return value


def fit_to_columns(table: sa.Table, values: dict[str, Any]) -> dict[str, Any]:
    """`values` with strings cut to their column's length (PostgreSQL rejects longer ones, SQLite kept them)."""
    fitted = dict(values)
    for key, value in values.items():
        column_type = table.c[key].type
        if isinstance(value, str) and isinstance(column_type, String):
            fitted[key] = value[:column_type.length]
    return fitted


def insert_on_conflict(conn: AsyncConnection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for this connection's database, with `on_conflict_do_nothing()` / `on_conflict_do_update()`
    (an atomic upsert: a select-then-insert lets concurrent writers collide on a unique key)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


metadata = sa.MetaData()

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", String(64), nullable=False, unique=True),
    sa.Column("email", String(255)),
    sa.Column("password_hash", String(255), nullable=False),
    sa.Column("role", String(16), nullable=False),
    # Explicit `resource:verb` grants for the custom role.
    sa.Column("permissions", sa.JSON, nullable=False, default=list),
    # None = every cluster / namespace; a list = only those.
    sa.Column("cluster_grants", sa.JSON),
    sa.Column("namespace_grants", sa.JSON),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("token_version", sa.Integer, nullable=False, default=1),
    sa.Column("must_change_password", sa.Boolean, nullable=False, default=False),
    sa.Column("totp_secret", sa.LargeBinary),  # AES-GCM encrypted
    sa.Column("totp_enabled", sa.Boolean, nullable=False, default=False),
    sa.Column("totp_last_step", sa.BigInteger),  # replay guard: newest accepted 30 s step
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_login_at", sa.DateTime(timezone=True)),
    # Change-request actions (services/approvals.py) this user's MCP calls run without waiting for approval.
    sa.Column("auto_approved_actions", sa.JSON),
)

recovery_codes = sa.Table(
    "recovery_codes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("code_hash", String(128), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True)),
)

revoked_tokens = sa.Table(
    "revoked_tokens",
    metadata,
    sa.Column("jti", String(64), primary_key=True),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("name", String(100), nullable=False),
    sa.Column("prefix", String(16), nullable=False, unique=True),
    sa.Column("key_hash", String(128), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_used_at", sa.DateTime(timezone=True)),
)

# Failed sign-in attempts per username (the per-user throttle; shared by every instance on the database).
login_failures = sa.Table(
    "login_failures",
    metadata,
    # Lower-cased as typed: unknown names are counted too, so a refusal does not reveal which names exist.
    sa.Column("username", String(255), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_attempt_at", sa.Float, nullable=False, index=True),  # Unix seconds
)

audit_logs = sa.Table(
    "audit_logs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("request_id", String(64)),
    sa.Column("user_id", sa.Integer),
    sa.Column("username", String(64)),
    sa.Column("action", String(64), nullable=False, index=True),
    sa.Column("cluster_id", sa.Integer),
    sa.Column("namespace", String(253)),
    sa.Column("resource", String(253)),
    sa.Column("name", String(253)),
    # The outcome: 0 or an error code; NULL while a change is only attempted (its intent row is written before
    # the change is sent, and a crash between sending and recording the outcome leaves it NULL).
    sa.Column("code", sa.Integer),
    sa.Column("client_ip", String(64)),
    sa.Column("detail", sa.JSON),
)

clusters = sa.Table(
    "clusters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", String(253), nullable=False, unique=True),
    # kubeconfig (imported context), uploaded, in-cluster
    sa.Column("source", String(16), nullable=False),
    sa.Column("context", String(253)),
    sa.Column("server", String(1024)),
    sa.Column("kubeconfig", sa.LargeBinary),  # AES-GCM encrypted, uploaded clusters only
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

favorites = sa.Table(
    "favorites",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    # The frontend route of the starred object or list view, e.g. /c/1/ns/default/pods/web-1.
    sa.Column("path", String(1024), nullable=False),
    sa.Column("title", String(253), nullable=False),
    sa.Column("cluster_id", sa.Integer),
    sa.Column("resource", String(253)),
    sa.Column("namespace", String(253)),
    sa.Column("name", String(253)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("user_id", "path", name="uq_favorites_user_path"),
)

terminal_sessions = sa.Table(
    "terminal_sessions",
    metadata,
    sa.Column("id", String(32), primary_key=True),  # ULID: sortable, unguessable, the .cast file name
    sa.Column("user_id", sa.Integer, nullable=False, index=True),
    sa.Column("username", String(64), nullable=False),
    sa.Column("cluster_id", sa.Integer, nullable=False),
    sa.Column("cluster_name", String(253)),
    sa.Column("namespace", String(253), nullable=False),
    sa.Column("pod", String(253), nullable=False),
    sa.Column("container", String(253), nullable=False),
    sa.Column("command", sa.JSON, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    sa.Column("exit_status", String(16)),  # Success, Failure, or None while running / when cut off
    sa.Column("exit_code", sa.Integer),
    sa.Column("bytes", sa.BigInteger, nullable=False, default=0),  # terminal output bytes
    sa.Column("file", String(255)),  # file name under <data-dir>/recordings/, None = not recorded
)

port_forwards = sa.Table(
    "port_forwards",
    metadata,
    sa.Column("id", String(32), primary_key=True),  # ULID, the forward's id in the API
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("cluster_id", sa.Integer, nullable=False),
    sa.Column("kind", String(32), nullable=False),  # pods, services, deployments, statefulsets, daemonsets, ...
    sa.Column("namespace", String(253), nullable=False),
    sa.Column("name", String(253), nullable=False),
    sa.Column("port", String(15), nullable=False),  # a port number or name, as asked
    sa.Column("bind_address", String(64), nullable=False),
    sa.Column("local_port", sa.Integer, nullable=False),  # the port it listened on (kept across restarts)
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# Changes an AI agent asked for through MCP, waiting for a person's approval (services/approvals.py).
change_requests = sa.Table(
    "change_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("username", String(64), nullable=False),
    sa.Column("token_version", sa.Integer, nullable=False),  # the requester's, to re-check them at approval
    sa.Column("via_api_key", sa.Boolean, nullable=False),
    sa.Column("client", String(200), nullable=False),  # the agent's User-Agent
    sa.Column("client_ip", String(64), nullable=False),
    sa.Column("action", String(16), nullable=False),  # apply, scale, restart, delete
    sa.Column("cluster_id", sa.Integer, nullable=False),
    sa.Column("resource", String(253), nullable=False),
    sa.Column("namespace", String(253), nullable=True),
    sa.Column("name", String(253), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),  # JSON: the manifest, or {"replicas": n}
    sa.Column("diff", sa.Text, nullable=False),  # what the dry run showed the requester
    sa.Column("status", String(16), nullable=False, index=True),  # pending, approved, denied, expired, done, failed
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_by", String(64), nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("comment", String(1000), nullable=True),
    sa.Column("outcome_code", sa.Integer, nullable=True),
    sa.Column("outcome_message", String(1000), nullable=True),
)

# Downsampled CPU and memory of nodes, workloads and namespaces (kube/metrics.py): one row per series per closed
# bucket, kept for the metrics retention, loaded when a cluster's sampler starts.
metrics_history = sa.Table(
    "metrics_history",
    metadata,
    sa.Column("cluster_id", sa.Integer, primary_key=True),
    sa.Column("kind", String(253), primary_key=True),  # nodes, namespaces, or a workload kind's plural
    sa.Column("namespace", String(253), primary_key=True),  # "" for nodes and namespaces
    sa.Column("name", String(253), primary_key=True),
    sa.Column("bucket_start", sa.BigInteger, primary_key=True),  # epoch seconds
    sa.Column("cpu", sa.Float, nullable=False),  # millicores, the bucket's average
    sa.Column("memory", sa.Float, nullable=False),  # bytes, the bucket's average
    sa.Index("ix_metrics_history_bucket", "bucket_start"),
)
