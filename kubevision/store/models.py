"""The schema as SQLAlchemy Core tables. Core, not the ORM: rows are plain records and no identity map
or lazy loading can surprise an async caller."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("email", sa.String(255)),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
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
)

recovery_codes = sa.Table(
    "recovery_codes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("code_hash", sa.String(128), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True)),
)

revoked_tokens = sa.Table(
    "revoked_tokens",
    metadata,
    sa.Column("jti", sa.String(64), primary_key=True),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False, unique=True),
    sa.Column("key_hash", sa.String(128), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_used_at", sa.DateTime(timezone=True)),
)

audit_logs = sa.Table(
    "audit_logs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("request_id", sa.String(64)),
    sa.Column("user_id", sa.Integer),
    sa.Column("username", sa.String(64)),
    sa.Column("action", sa.String(64), nullable=False, index=True),
    sa.Column("cluster_id", sa.Integer),
    sa.Column("namespace", sa.String(253)),
    sa.Column("resource", sa.String(253)),
    sa.Column("name", sa.String(253)),
    sa.Column("code", sa.Integer, nullable=False, default=0),
    sa.Column("client_ip", sa.String(64)),
    sa.Column("detail", sa.JSON),
)

clusters = sa.Table(
    "clusters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(253), nullable=False, unique=True),
    # kubeconfig (imported context), uploaded, in-cluster
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("context", sa.String(253)),
    sa.Column("server", sa.String(1024)),
    sa.Column("kubeconfig", sa.LargeBinary),  # AES-GCM encrypted, uploaded clusters only
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

favorites = sa.Table(
    "favorites",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    # The frontend route of the starred object or list view, e.g. /c/1/ns/default/pods/web-1.
    sa.Column("path", sa.String(1024), nullable=False),
    sa.Column("title", sa.String(253), nullable=False),
    sa.Column("cluster_id", sa.Integer),
    sa.Column("resource", sa.String(253)),
    sa.Column("namespace", sa.String(253)),
    sa.Column("name", sa.String(253)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("user_id", "path", name="uq_favorites_user_path"),
)

terminal_sessions = sa.Table(
    "terminal_sessions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # ULID: sortable, unguessable, the .cast file name
    sa.Column("user_id", sa.Integer, nullable=False, index=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("cluster_id", sa.Integer, nullable=False),
    sa.Column("cluster_name", sa.String(253)),
    sa.Column("namespace", sa.String(253), nullable=False),
    sa.Column("pod", sa.String(253), nullable=False),
    sa.Column("container", sa.String(253), nullable=False),
    sa.Column("command", sa.JSON, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    sa.Column("exit_status", sa.String(16)),  # Success, Failure, or None while running / when cut off
    sa.Column("exit_code", sa.Integer),
    sa.Column("bytes", sa.BigInteger, nullable=False, default=0),  # terminal output bytes
    sa.Column("file", sa.String(255)),  # file name under <data-dir>/recordings/, None = not recorded
)
