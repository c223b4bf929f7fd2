"""The project's PostgreSQL backend (core.postgresql_backend): the search path is sent only when
it changes and is sent again whenever PostgreSQL may have dropped it; the health check of a
persistent connection tells a dead connection from a live one without a query."""

from __future__ import annotations

import contextlib
import time

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.postgresql_backend.base import DatabaseWrapper


def _sets(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SET search_path")]


@pytest.mark.django_db
def test_the_search_path_is_sent_once_while_the_schema_stays(region_a, region_b):
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(3):  # as requests do: the region, then public again
            with schema_context(region_a.schema_name), connection.cursor() as cursor:
                cursor.execute("SELECT current_schema()")
                assert cursor.fetchone()[0] == region_a.schema_name
    assert len(_sets(ctx)) == 1
    with CaptureQueriesContext(connection) as ctx:
        with schema_context(region_b.schema_name), connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            assert cursor.fetchone()[0] == region_b.schema_name
        with schema_context(region_a.schema_name), connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            assert cursor.fetchone()[0] == region_a.schema_name
    assert len(_sets(ctx)) == 2


@pytest.mark.django_db
def test_a_rolled_back_search_path_is_sent_again(region_a, region_b):
    with schema_context(region_a.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    # a SET inside a savepoint that is rolled back is undone by PostgreSQL
    try:
        with transaction.atomic(), schema_context(region_b.schema_name):
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_schema()")
                assert cursor.fetchone()[0] == region_b.schema_name
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    with schema_context(region_b.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        assert cursor.fetchone()[0] == region_b.schema_name  # not the path PostgreSQL dropped


def _own_connection() -> DatabaseWrapper:
    wrapper = DatabaseWrapper({**connections["default"].settings_dict}, alias="health-check-test")
    wrapper.ensure_connection()
    return wrapper


@pytest.mark.django_db
def test_the_health_check_sees_a_terminated_connection_without_a_query():
    other = _own_connection()
    try:
        assert other.is_usable() is True
        pid = other.connection.info.backend_pid
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0] is True
        deadline = time.monotonic() + 5
        while other.is_usable() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert other.is_usable() is False
    finally:
        other.close()


@pytest.mark.django_db
def test_the_health_check_sends_no_query_on_a_live_idle_connection():
    other = _own_connection()
    try:
        opened: list[object] = []
        original = other.connection.cursor

        def counting_cursor(*args: object, **kwargs: object) -> object:
            opened.append(args)
            return original(*args, **kwargs)

        other.connection.cursor = counting_cursor  # psycopg's own: what Django's SELECT 1 uses
        assert other.is_usable() is True
        assert opened == []
    finally:
        other.connection.cursor = original
        other.close()


@pytest.mark.django_db
def test_a_prepared_statement_reads_the_schema_of_each_request(region_a, region_b):
    """``core.db.fetch_prepared``: prepared once per connection, it still reads the table of the
    region the search path names at each execution, never the one it was prepared in."""
    from core.db import fetch_prepared
    from regions.journal.models import DataVersion

    sql = "SELECT n FROM journal_dataversion WHERE scope = %s"
    for region, n in ((region_a, 101), (region_b, 202)):
        with schema_context(region.schema_name):
            DataVersion.objects.update_or_create(scope="test:prepared", defaults={"n": n})
    with CaptureQueriesContext(connection) as ctx:
        for region, n in ((region_a, 101), (region_b, 202), (region_a, 101), (region_b, 202)):
            with schema_context(region.schema_name):
                assert fetch_prepared(sql, ["test:prepared"]) == [(n,)]
    assert [q["sql"] for q in ctx.captured_queries].count(sql) == 4  # visible to query counts
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement = %s", [sql.replace("%s", "$1")]
        )
        assert cursor.fetchone()[0] == 1


def _current_schema() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        return str(cursor.fetchone()[0])


def test_a_search_path_undone_by_an_aborted_commit_is_sent_again(django_db_setup, django_db_blocker):
    """An error caught inside atomic() without a savepoint aborts the transaction; Django's
    COMMIT is then a ROLLBACK in PostgreSQL, which undoes a SET issued in it, without an error.
    (Outside the test transaction: the test's own atomic would make this a savepoint.)"""
    from django.db import DatabaseError

    from tenants.models import Region

    with django_db_blocker.unblock():
        try:
            a = Region.objects.get(code="05")
            b = Region.objects.get(code="16")
            with schema_context(a.schema_name):
                assert _current_schema() == a.schema_name
            with transaction.atomic(), schema_context(b.schema_name), connection.cursor() as cursor:
                cursor.execute("SELECT 1")  # SET search_path to b, inside the transaction
                with contextlib.suppress(DatabaseError):  # caught inside atomic: the anti-pattern
                    cursor.execute("SELECT 1/0")
            with schema_context(b.schema_name):
                assert _current_schema() == b.schema_name
        finally:
            connection.close()
