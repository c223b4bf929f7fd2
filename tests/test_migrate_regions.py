from io import StringIO

from django.core.management import call_command
from django.db import connection


def run(*args: str) -> str:
    out = StringIO()
    call_command("migrate_regions", *args, stdout=out)
    return out.getvalue()


def test_noop_skips_every_up_to_date_region(region_a, region_b):
    output = run()
    assert "public без изменений" in output
    assert "регионов обновлено 0" in output
    assert "пропущено 2" in output


def test_dry_run_finds_exactly_the_schema_behind(region_a, region_b):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM region_16.django_migrations WHERE app = 'timetable'")
        behind = cursor.rowcount
    output = run("--dry-run")
    assert behind >= 1
    assert f"region_16: {behind} миграций к применению" in output
    assert "region_05" not in output


def test_a_missing_database_is_named_not_a_traceback(django_db_setup):
    import os
    import subprocess
    import sys

    from django.conf import settings

    from tests.conftest import database_url_for_subprocess

    name = connection.settings_dict["NAME"]
    url = database_url_for_subprocess().replace(f"/{name}", "/msh_no_such_database_here", 1)
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate_regions"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Нет соединения с базой данных msh_no_such_database_here" in result.stderr
    assert "createdb" in result.stderr
    assert "Traceback" not in result.stderr
