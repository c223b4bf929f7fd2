"""manage.py import_registry: the report table, the rejections file, a non-zero exit on failure."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tests.importing import Bundle, person

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_registry", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_sync_import_prints_the_report_and_writes_rejections(region_a, tmp_path):
    b = Bundle.sample()
    b.people.append(person("X-1", 20, "Smith", "John"))
    path = b.write(tmp_path / "b")
    report = tmp_path / "rejected.csv"
    out = run("--region", "05", "--sync", "--no-progress", "--rejections", str(report), str(path))
    assert "люди" in out and "создано" in out
    assert "people.csv, строка 7, поле surname" in out
    assert report.read_text(encoding="utf-8-sig").splitlines()[1].startswith("people.csv;7;surname;")
    again = run("--region", "05", "--sync", "--no-progress", str(path))
    assert "Изменений нет" in again


def test_dry_run_says_so(region_a, tmp_path):
    out = run(
        "--region", "05", "--sync", "--no-progress", "--dry-run", str(Bundle.sample().write(tmp_path / "b"))
    )
    assert "пробный запуск" in out


def test_failure_exits_non_zero_with_the_message(region_a, tmp_path):
    path = Bundle.sample().write(tmp_path / "b", drop_columns={"people.csv": ["surname"]})
    with pytest.raises(CommandError, match=r"people\.csv: нет обязательного столбца surname"):
        run("--region", "05", "--sync", "--no-progress", str(path))
    with pytest.raises(CommandError, match="не входит в перечень"):
        run("--region", "99", "--sync", str(path))
