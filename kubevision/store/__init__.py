"""Persistence: the database engine, schema, migrations and repositories.

SQLite (embedded, the default) and PostgreSQL run through the same SQLAlchemy Core layer. Repositories are
functions that take an `AsyncConnection` first; services own the transactions (`Store.transaction()`).
"""

from kubevision.store.db import STORE, Store

__all__ = ["STORE", "Store"]
