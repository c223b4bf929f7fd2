"""Region lifecycle: services and the ``manage.py region`` command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context

from core.models import AuditEvent
from regions.schools.models import School
from tenants import services
from tenants.models import Domain, Region, RegionStatus
from tenants.services import RegionError


def schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def region_tables(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


def run(*args: str) -> str:
    out = StringIO()
    call_command("region", *args, stdout=out)
    return out.getvalue()


def test_create_makes_schema_tables_and_domains(db):
    output = run("create", "--code", "40", "--domain", "kaluga.localhost", "--domain", "kaluga2.localhost")
    assert "Калужская область" in output
    region = Region.objects.get(code="40")
    assert region.schema_name == "region_40"
    assert region.timezone == "Europe/Moscow"
    assert {
        "schools_school",
        "people_person",
        "people_membership",
        "core_user",
        "core_auditevent",
        "django_migrations",
    } <= region_tables("region_40")
    assert [d.domain for d in region.domains.order_by("-is_primary")] == [
        "kaluga.localhost",
        "kaluga2.localhost",
    ]
    assert AuditEvent.objects.filter(action="region_create", entity_id="40").exists()
    with schema_context("region_40"):
        assert School.objects.count() == 0


def test_create_takes_timezone_of_the_subject(db):
    region = services.region_create(code="72", domains=["tyumen.localhost"])
    assert region.timezone == "Asia/Yekaterinburg"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--code", "99", "--domain", "x.localhost"], "не входит в перечень"),
        (["--code", "ab", "--domain", "x.localhost"], "не входит в перечень"),
        (["--code", "05", "--domain", "x.localhost"], "уже создан"),
        (["--code", "40", "--domain", "r05.localhost"], "уже занят регионом 05"),
        (["--code", "40", "--domain", "http://bad host"], "Некорректный домен"),
        (["--code", "40", "--domain", "kaluga.localhost:8000"], "Некорректный домен"),
        (["--code", "40", "--domain", "localhost"], "Некорректный домен"),
        (["--code", "40", "--domain", "a.localhost", "--domain", "a.localhost"], "дважды"),
    ],
)
def test_bad_input_creates_nothing(db, args, message):
    before = set(Region.objects.values_list("schema_name", flat=True))
    with pytest.raises(CommandError, match=message):
        run("create", *args)
    assert set(Region.objects.values_list("schema_name", flat=True)) == before
    assert not schema_exists("region_40")
    assert not schema_exists("region_99")


def test_failure_in_the_middle_leaves_nothing_and_rerun_succeeds(db, monkeypatch):
    original = Domain.objects.create
    calls = {"n": 0}

    def flaky_create(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("диск переполнен")
        return original(**kwargs)

    monkeypatch.setattr(Domain.objects, "create", flaky_create)
    with pytest.raises(RuntimeError):
        services.region_create(code="40", domains=["k1.localhost", "k2.localhost"])
    assert not Region.objects.filter(code="40").exists()
    assert not Domain.objects.filter(domain="k1.localhost").exists()
    assert not schema_exists("region_40")

    monkeypatch.setattr(Domain.objects, "create", original)
    region = services.region_create(code="40", domains=["k1.localhost", "k2.localhost"])
    assert schema_exists(region.schema_name)


def test_stray_schema_is_reported_not_touched(db):
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA region_40")
        cursor.execute("CREATE TABLE region_40.keep_me (id int)")
    with pytest.raises(RegionError, match="уже существует"):
        services.region_create(code="40", domains=["kaluga.localhost"])
    assert "keep_me" in region_tables("region_40")


def test_list_shows_counts_status_domains(db, region_a, in_region):
    with in_region(region_a):
        School.objects.create(
            ogrn="1020500000001", inn="0500000001", full_name="МБОУ СОШ №1", short_name="СОШ №1"
        )
    output = run("list")
    line = next(ln for ln in output.splitlines() if ln.startswith("05 "))
    assert "Республика Дагестан" in line and "active" in line and "r05.localhost" in line
    assert line.split()[-3:-1] == ["1", "0"]


def test_rename_and_domains(db, region_a):
    run("rename", "--code", "05", "--name", "Дагестан")
    run("add-domain", "--code", "05", "--domain", "dag.localhost")
    assert set(Domain.objects.filter(tenant=region_a).values_list("domain", flat=True)) == {
        "r05.localhost",
        "dag.localhost",
    }
    run("remove-domain", "--code", "05", "--domain", "r05.localhost")
    remaining = Domain.objects.get(tenant=region_a)
    assert remaining.domain == "dag.localhost" and remaining.is_primary
    with pytest.raises(CommandError, match="последний домен"):
        run("remove-domain", "--code", "05", "--domain", "dag.localhost")
    with pytest.raises(CommandError, match="уже занят регионом 05"):
        run("add-domain", "--code", "16", "--domain", "dag.localhost")
    assert Region.objects.get(code="05").name == "Дагестан"


def test_suspend_and_resume(db, region_a):
    run("suspend", "--code", "05")
    assert Region.objects.get(code="05").status == RegionStatus.SUSPENDED
    with pytest.raises(CommandError, match="уже приостановлен"):
        run("suspend", "--code", "05")
    run("resume", "--code", "05")
    assert Region.objects.get(code="05").status == RegionStatus.ACTIVE


def test_archive_needs_confirmation_then_dumps_and_detaches(db, region_a, in_region, tmp_path, settings):
    settings.REGION_ARCHIVE_DIR = tmp_path
    with in_region(region_a):
        School.objects.create(
            ogrn="1020500000001", inn="0500000001", full_name="МБОУ СОШ №1", short_name="СОШ №1"
        )
    with pytest.raises(CommandError, match="Подтвердите"):
        run("archive", "--code", "05")
    with pytest.raises(CommandError, match="не подтверждено"):
        run("archive", "--code", "05", "--confirm", "16")
    assert Region.objects.get(pk=region_a.pk).status == RegionStatus.ACTIVE

    run("archive", "--code", "05", "--confirm", "05")
    archived = Region.objects.get(pk=region_a.pk)
    assert archived.status == RegionStatus.ARCHIVED
    assert archived.schema_name.startswith("archived_05_")
    assert not Domain.objects.filter(tenant=archived).exists()
    assert archived.archived_domains == ["r05.localhost"]
    dump = tmp_path / archived.archive_path.rsplit("/", 1)[-1]
    assert dump.exists() and dump.stat().st_size > 0
    # the schema is renamed and kept with its data, never dropped
    with schema_context(archived.schema_name):
        assert School.objects.filter(ogrn="1020500000001").exists()
    # the code is free again
    services.region_create(code="05", domains=["r05-new.localhost"])
