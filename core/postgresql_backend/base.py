"""django-tenants' PostgreSQL backend, minus two round trips that every request paid.

1. **The search path is set only when it changes.** django-tenants forgets the connection's
   search path whenever a tenant is set — twice per request (the routing middleware sets the
   region, and ``public`` again afterwards) — so the first query of every request was preceded
   by a ``SET search_path``. Here the path last *issued* on this physical connection is kept
   (``_issued_search_path``) and a ``SET`` is sent only when the wanted path differs. It is
   forgotten whenever PostgreSQL may have dropped it: a new connection, ``close()``, a rollback,
   a rollback to a savepoint, and a failed ``SET`` — the cases where django-tenants itself
   forgets it — and a COMMIT of a transaction an error aborted (PostgreSQL rolls it back).
   Nothing in the project sets the search path by hand (functions carry their own
   ``SET search_path FROM CURRENT``).

2. **A statement every request runs can be prepared** (``fetch_prepared``, used through
   ``core.db.fetch_prepared``): see there.

3. **The health check of a persistent connection asks the socket before the server.** With
   ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the first query of every request. An
   idle, healthy connection has nothing to read; one that the server closed (a restart, an
   idle timeout, ``pg_terminate_backend``) is readable — PostgreSQL sends an error message and
   the end of the stream. So the socket is polled without waiting: nothing readable and an idle
   connection means usable; anything readable falls back to Django's ``SELECT 1``, which then
   decides.
"""

from __future__ import annotations

import select
import time
from collections.abc import Sequence
from typing import Any

import psycopg
from django_tenants.postgresql_backend import base as tenants_base
from psycopg import pq

# Django turns psycopg's automatic preparing off (prepare_threshold None, for poolers that
# cannot keep prepared statements); an explicit prepare needs a threshold: one no statement
# ever reaches by count, set only while a prepared statement runs
_NEVER_BY_COUNT = 2**31


class DatabaseWrapper(tenants_base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._issued_search_path: list[str] | None = None
        self._prepared_cursor: tuple[Any, psycopg.Cursor[Any]] | None = None
        super().__init__(*args, **kwargs)

    # --- the search path ------------------------------------------------------------------------

    def _forget_search_path(self) -> None:
        self._issued_search_path = None

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        self._forget_search_path()
        return super().get_new_connection(conn_params)

    def close(self) -> None:
        self._forget_search_path()
        self._prepared_cursor = None
        super().close()

    def rollback(self) -> None:
        self._forget_search_path()
        super().rollback()

    def _commit(self) -> None:
        # COMMIT of a transaction that an error aborted (one caught inside atomic() without a
        # savepoint) is a ROLLBACK in PostgreSQL, without an error: a SET in it is undone too
        conn = self.connection
        if conn is not None and conn.info.transaction_status == pq.TransactionStatus.INERROR:
            self._forget_search_path()
        super()._commit()

    def savepoint_rollback(self, sid: str) -> None:
        try:
            super().savepoint_rollback(sid)
        finally:
            self._forget_search_path()

    def _handle_search_path(self, cursor: Any = None) -> None:
        if self._setting_search_path:
            return
        if self.connection is not None and self.schema_name:
            wanted = self._get_cursor_search_paths()
            if wanted == self._issued_search_path:
                self.search_path_set_schemas = wanted
                return
        super()._handle_search_path(cursor)
        # django-tenants records the path only when the SET succeeded
        self._issued_search_path = self.search_path_set_schemas

    # --- the health check -----------------------------------------------------------------------

    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed:
            return False
        if conn.pgconn.transaction_status == pq.TransactionStatus.IDLE:
            poller = select.poll()  # not select(): descriptors over 1024 are fine
            try:
                poller.register(conn.fileno(), select.POLLIN)
                ready = poller.poll(0)
            except (OSError, ValueError):
                return False
            if not ready:
                return True
        return bool(super().is_usable())

    # --- prepared statements --------------------------------------------------------------------

    def fetch_prepared(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Rows of ``sql``, run as a server-side prepared statement: what ``cursor()`` does
        before a query (health check, connection, thread and broken-transaction checks, the
        search path, database errors as Django's), then psycopg's own cursor — kept per
        connection — instead of Django's client-side binding cursor and its wrapper."""
        started = time.monotonic()
        self.close_if_health_check_failed()
        self.ensure_connection()
        self.validate_thread_sharing()
        self.validate_no_broken_transaction()
        with self.wrap_database_errors:
            self._handle_search_path()
            conn = self.connection
            kept = self._prepared_cursor
            if kept is None or kept[0] is not conn or kept[1].closed:
                kept = self._prepared_cursor = (conn, psycopg.Cursor(conn))
            cursor = kept[1]
            threshold = conn.prepare_threshold
            conn.prepare_threshold = _NEVER_BY_COUNT
            try:
                cursor.execute(sql, params, prepare=True)
                rows = cursor.fetchall()
            finally:
                conn.prepare_threshold = threshold
        if self.queries_logged:
            self.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
        return rows
