"""The database connection as django-tenants extends it, typed for mypy.

django-tenants replaces the PostgreSQL backend with one that knows its schema; the stubs only
know Django's base wrapper, hence this Protocol and the single cast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, cast

from django.db import connection


class TenantConnection(Protocol):
    schema_name: str
    tenant: Any

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None: ...

    def set_schema(self, schema_name: str, include_public: bool = True) -> None: ...

    def set_schema_to_public(self) -> None: ...


db = cast(TenantConnection, connection)


def fetch_prepared(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` run as a server-side prepared statement on Django's connection
    (``core.postgresql_backend``).

    For the few statements every request runs (the versions read): Django binds parameters on
    the client, so PostgreSQL parses and plans each of them anew — longer than executing them.
    Prepared once per connection, a statement is only executed; PostgreSQL plans it again by
    itself when the search path (the region) or a table it reads changes. The statement shows in
    Django's query log (tests count it) like any other."""
    rows: list[tuple[Any, ...]] = cast(Any, connection).fetch_prepared(sql, params)
    return rows


def drop_pattern_indexes_sql(table: str, indexes: dict[str, str]) -> tuple[str, str]:
    """(forward, backward) SQL of a migration that drops Django's pattern ("_like",
    varchar_pattern_ops) indexes ``{name: column}`` of ``table`` in the schema being migrated
    only — ``current_schema()``: a region's search path also holds public — and recreates them."""
    forward = "\n".join(
        f"DO $$ BEGIN EXECUTE format('DROP INDEX IF EXISTS %I.{name}', current_schema()); END $$;"
        for name in indexes
    )
    backward = "\n".join(
        f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column} varchar_pattern_ops);"
        for name, column in indexes.items()
    )
    return forward, backward
