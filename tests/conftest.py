"""The fixed cast of every test: two regions (A = 05, B = 16), created once per session.

Tests run inside a transaction that is rolled back (the ``db`` fixture); schema DDL is
transactional in PostgreSQL, so even a test that creates a region leaves nothing behind.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context, tenant_context

from core.db import db as tenant_db

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}

REGION_A = ("05", "r05.localhost")
REGION_B = ("16", "r16.localhost")


def require_service(name: str, host: str, port: int) -> None:
    """A test that needs a real service: a failure in CI, a skip on a developer's machine."""
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        message = f"{name} недоступен на {host}:{port} ({exc})"
        if IN_CI:
            pytest.fail(f"{message}: в CI сервис обязателен")
        pytest.skip(message)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request):
    from django.db.backends.base.creation import TEST_DATABASE_PREFIX
    from django.test.utils import setup_databases, teardown_databases

    from tenants.models import Region, RegionStatus
    from tenants.services import region_create

    # pytest-django creates the test database only when a collected test asks for `db`,
    # `transactional_db` or the django_db mark. Tests that commit on purpose (a real worker, a
    # server process) ask for django_db_setup alone; run on their own, they would otherwise
    # land on the developer's database.
    keepdb = bool(request.config.getoption("reuse_db", False))
    own_databases = None
    if not str(connection.settings_dict["NAME"]).startswith(TEST_DATABASE_PREFIX):
        with django_db_blocker.unblock():
            own_databases = setup_databases(
                verbosity=0, interactive=False, aliases={"default": False}, keepdb=keepdb
            )

    with django_db_blocker.unblock():
        for code, domain in (REGION_A, REGION_B):
            region = Region.objects.filter(code=code).exclude(status=RegionStatus.ARCHIVED).first()
            if region is None:
                region_create(code=code, domains=[domain])
            elif region.status != RegionStatus.ACTIVE:
                Region.objects.filter(pk=region.pk).update(status=RegionStatus.ACTIVE)
        tenant_db.set_schema_to_public()
    yield
    if own_databases is not None and not keepdb:
        with django_db_blocker.unblock():
            teardown_databases(own_databases, verbosity=0)


@pytest.fixture
def region_a(db):
    from tenants.models import Region

    return Region.objects.get(code=REGION_A[0], status__in=["active", "suspended"])


@pytest.fixture
def region_b(db):
    from tenants.models import Region

    return Region.objects.get(code=REGION_B[0], status__in=["active", "suspended"])


@pytest.fixture
def in_region():
    """``with in_region(region): ...`` runs ORM code inside the region's schema."""
    return tenant_context


@pytest.fixture(autouse=True)
def _back_to_public() -> Iterator[None]:
    yield
    tenant_db.set_schema_to_public()
    # A test's transaction is rolled back, never committed: what this process remembered from
    # it (a region created in the test, say) would outlive the rows (tenants.routing).
    from core.sessions import forget_all as forget_sessions
    from regions.journal.versions import clear_process_caches
    from tenants.routing import forget_routes

    forget_routes()
    clear_process_caches()
    forget_sessions()


@pytest.fixture(autouse=True)
def _back_to_russian() -> Iterator[None]:
    """LocaleMiddleware activates a request's language for the whole thread: a test that asked
    for English must not leave the next one (which may call services directly) in English."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def public_client() -> Client:
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def client_a(region_a) -> Client:
    return Client(HTTP_HOST=REGION_A[1])


@pytest.fixture
def client_b(region_b) -> Client:
    return Client(HTTP_HOST=REGION_B[1])


@pytest.fixture
def federal_operator(db):
    from core.models import User
    from core.roles import Role

    with schema_context("public"):
        return User.objects.create_user(
            username="operator", password="operator-pass", roles=[Role.FEDERAL_OPERATOR]
        )


@pytest.fixture
def operator_client(public_client, federal_operator) -> Client:
    public_client.force_login(federal_operator)
    return public_client


# --- Real services ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_service() -> str:
    from urllib.parse import urlparse

    from django.conf import settings

    url = urlparse(settings.REDIS_URL)
    require_service("Redis", url.hostname or "127.0.0.1", url.port or 6379)
    return settings.REDIS_URL


def database_url_for_subprocess() -> str:
    """The test database as a URL, for a worker process started by the tests."""
    s = connection.settings_dict
    user = quote(s["USER"] or "postgres")
    password = f":{quote(str(s['PASSWORD']))}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or ""
    if host.startswith("/"):
        return f"postgresql://{user}{password}@/{s['NAME']}?host={quote(host)}"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgresql://{user}{password}@{host or '127.0.0.1'}{port}/{s['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, redis_service):
    """A real Celery worker (separate process) on the machine's Redis, reading the test DB."""
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from django.conf import settings

    with django_db_blocker.unblock():
        db_url = database_url_for_subprocess()
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": db_url,
        "CELERY_QUEUE": queue,
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
    }
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queue,
            "--pool=solo",
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


# --- Query counts ------------------------------------------------------------------------------


@pytest.fixture
def assert_queries():
    """``with assert_queries(n): ...`` — exactly ``n`` SQL queries, not counting the
    ``SET search_path`` that django-tenants issues when a cursor changes schema."""
    from contextlib import contextmanager

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    @contextmanager
    def check(expected: int):
        with CaptureQueriesContext(connection) as ctx:
            yield ctx
        real = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith("SET search_path")]
        assert len(real) == expected, f"{len(real)} queries instead of {expected}:\n" + "\n\n".join(real)

    return check


# --- Identity provider -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dev_idp(django_db_setup, django_db_blocker, redis_service):
    """The development identity provider (a real Node process on loopback) with the realms of
    both test regions and the federal realm, provisioned through the platform's adapter.
    Sites are addressed as ``r05.localhost:<port>`` (see ``sso_support.BackchannelInbox``)."""
    from django.test import override_settings

    from tests.sso_support import start_dev_idp, stop_dev_idp

    idp = start_dev_idp()
    overrides = override_settings(
        KEYCLOAK_URL=idp.url,
        KEYCLOAK_ADMIN_USER="admin",
        KEYCLOAK_ADMIN_PASSWORD="admin",
        SITE_PORT=str(idp.inbox.port),
    )
    overrides.enable()
    try:
        from tenants.identity.services import federal_realm_ensure, realm_ensure
        from tenants.models import Region

        with django_db_blocker.unblock():
            for code, _domain in (REGION_A, REGION_B):
                realm_ensure(region=Region.objects.get(code=code, status="active"))
            federal_realm_ensure()
            tenant_db.set_schema_to_public()
        yield idp
    finally:
        overrides.disable()
        stop_dev_idp(idp)


@pytest.fixture
def sso_client_a(dev_idp, region_a) -> Client:
    return Client(HTTP_HOST=f"{REGION_A[1]}:{dev_idp.inbox.port}")


@pytest.fixture
def sso_client_b(dev_idp, region_b) -> Client:
    return Client(HTTP_HOST=f"{REGION_B[1]}:{dev_idp.inbox.port}")


@pytest.fixture
def sso_public_client(dev_idp, db) -> Client:
    return Client(HTTP_HOST=f"localhost:{dev_idp.inbox.port}")


@pytest.fixture
def browser_login(dev_idp):
    """``browser_login(client, username, password)``: the whole authorization code flow — the
    site's /accounts/login/, the identity provider's login form, the site's callback."""
    import requests

    def login(client: Client, username: str, password: str, browser: requests.Session | None = None):
        from urllib.parse import urlparse

        start = client.get("/accounts/login/")
        assert start.status_code == 302, start.content[:500]
        callback = dev_idp.sign_in(browser or requests.Session(), start["Location"], username, password)
        parsed = urlparse(callback)
        return client.get(f"{parsed.path}?{parsed.query}")

    return login


# --- The journal's cast ----------------------------------------------------------------------


@pytest.fixture
def journal_world(region_a):
    """Schools, classes, people, a school year and lessons in region A (tests/journal_world.py)."""
    from tests.journal_world import build_journal_world

    with tenant_context(region_a):
        return build_journal_world()


@pytest.fixture
def celery_eager():
    """Tasks run inline (``task.delay`` → ``apply``), still through the tenant-aware task class."""
    from config.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = old
