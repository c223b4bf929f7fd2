"""Two-region isolation: what is written in one region is invisible from the other — through
the ORM, the API, background tasks, the cache and stored files."""

from __future__ import annotations

import secrets

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_tenants.utils import schema_context, tenant_context

from core.models import AuditEvent, User
from core.roles import Role
from regions.schools.models import School


def make_school(ogrn: str, name: str) -> School:
    return School.objects.create(ogrn=ogrn, inn="0500000001", full_name=name, short_name=name)


def test_orm_isolation(region_a, region_b):
    with tenant_context(region_a):
        make_school("1020500000001", "Школа региона А")
    with tenant_context(region_b):
        assert not School.objects.filter(ogrn="1020500000001").exists()
        make_school("1021600000001", "Школа региона Б")
    with tenant_context(region_a):
        assert list(School.objects.values_list("short_name", flat=True)) == ["Школа региона А"]


def test_api_isolation(region_a, region_b, client_a, client_b):
    for region, client, name in ((region_a, client_a, "Школа А"), (region_b, client_b, "Школа Б")):
        with tenant_context(region):
            make_school("1020500000001" if region is region_a else "1021600000001", name)
            admin = User.objects.create_user(username="rca", password="x", roles=[Role.REGIONAL_ADMIN])
            client.force_login(admin)  # the session lives in the region's schema
    names_a = [s["short_name"] for s in client_a.get("/api/v1/schools/").json()["results"]]
    names_b = [s["short_name"] for s in client_b.get("/api/v1/schools/").json()["results"]]
    assert names_a == ["Школа А"]
    assert names_b == ["Школа Б"]


def test_session_of_one_region_is_not_valid_in_the_other(region_a, region_b, client_a):
    with tenant_context(region_a):
        admin = User.objects.create_user(username="rca", password="x", roles=[Role.REGIONAL_ADMIN])
        client_a.force_login(admin)
    assert client_a.get("/api/v1/schools/").status_code == 200
    # the same cookie presented to region B's host: B has no such session
    client_a.defaults["HTTP_HOST"] = "r16.localhost"
    assert client_a.get("/api/v1/schools/").status_code == 401  # anonymous there


def test_cache_keys_are_per_region(region_a, region_b, redis_service):
    key = f"isolation-{secrets.token_hex(4)}"
    with tenant_context(region_a):
        cache.set(key, "A", 30)
    with tenant_context(region_b):
        assert cache.get(key) is None
        cache.set(key, "B", 30)
    with tenant_context(region_a):
        assert cache.get(key) == "A"
        cache.delete(key)
    with tenant_context(region_b):
        assert cache.get(key) == "B"
        cache.delete(key)


def test_files_are_stored_per_region(region_a, region_b):
    with tenant_context(region_a):
        name = default_storage.save("homework/task.txt", ContentFile("задание региона А".encode()))
        path_a = default_storage.path(name)
        assert "/region_05/" in path_a
    with tenant_context(region_b):
        assert not default_storage.exists(name)
        assert "/region_16/" in default_storage.path(name)
    with tenant_context(region_a):
        assert default_storage.open(name).read().decode() == "задание региона А"
        default_storage.delete(name)


@pytest.mark.services
def test_celery_task_runs_in_the_schema_it_was_queued_from(
    celery_worker_process, django_db_blocker, django_db_setup
):
    """A real worker on the machine's Redis: eager mode alone proves nothing about headers."""
    from core.tasks import worker_heartbeat
    from tenants.models import Region

    token = secrets.token_hex(8)
    with django_db_blocker.unblock():
        region_a = Region.objects.get(code="05", status="active")
        try:
            with tenant_context(region_a):
                result = worker_heartbeat.delay(token)
            answer = result.get(timeout=90)
            assert answer == {"schema": "region_05", "token": token}
            with tenant_context(region_a):
                assert AuditEvent.objects.filter(action="worker_heartbeat", entity_id=token).exists()
            with schema_context("region_16"):
                assert not AuditEvent.objects.filter(entity_id=token).exists()
            with schema_context("public"):
                assert not AuditEvent.objects.filter(entity_id=token).exists()

            # and from region B, into region B
            token_b = secrets.token_hex(8)
            with schema_context("region_16"):
                assert worker_heartbeat.delay(token_b).get(timeout=60)["schema"] == "region_16"
        finally:
            for schema in ("region_05", "region_16"):
                with schema_context(schema):
                    AuditEvent.objects.filter(action="worker_heartbeat").delete()
