"""The database connection as django-tenants extends it, typed for mypy.

django-tenants replaces the PostgreSQL backend with one that knows its schema; the stubs only
know Django's base wrapper, hence this Protocol and the single cast.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from django.db import connection


class TenantConnection(Protocol):
    schema_name: str
    tenant: Any

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None: ...

    def set_schema(self, schema_name: str, include_public: bool = True) -> None: ...

    def set_schema_to_public(self) -> None: ...


db = cast(TenantConnection, connection)
