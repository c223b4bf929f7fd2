"""Federal API and console of the registry import: upload, list, status, report; only the
federal operator; other region / unknown job; constant query counts."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.models import User
from tenants.imports.models import ImportJob
from tests.importing import Bundle, run_import

pytestmark = pytest.mark.django_db


def zipped(tmp_path) -> bytes:
    folder = Bundle.sample().write(tmp_path / "b")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for f in folder.iterdir():
            z.write(f, f.name)
    return buffer.getvalue()


def upload(client, code, data: bytes, **extra):
    return client.post(
        f"/api/v1/regions/{code}/imports/",
        {"file": io.BytesIO(data), **extra},
        format="multipart",
    )


def test_operator_uploads_a_bundle_and_the_job_is_queued(
    operator_client, region_a, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(operator_client, "05", zipped(tmp_path), dry_run="true")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["dry_run"] is True and body["region_code"] == "05"
    assert body["actor_label"] == "operator"
    assert len(callbacks) == 1  # the Celery task goes out after the commit
    job = ImportJob.objects.get(pk=body["id"])
    assert zipfile.is_zipfile(job.upload_path)


def test_upload_that_is_not_a_zip_is_refused(operator_client, region_a):
    response = upload(operator_client, "05", b"plain text, not an archive")
    assert response.status_code == 400
    assert "ZIP" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_unknown_region_and_unknown_job_are_404(operator_client, region_a, tmp_path):
    assert upload(operator_client, "40", zipped(tmp_path)).status_code == 404
    assert operator_client.get("/api/v1/regions/99/imports/").status_code == 400
    missing = operator_client.get("/api/v1/imports/999999/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Задание импорта №999999 не найдено", "code": "not_found"}
    assert operator_client.get("/api/v1/imports/999999/rejections.csv").status_code == 404


def test_only_the_federal_operator(public_client, region_a, tmp_path):
    job = run_import(Bundle.sample().write(tmp_path / "b"))
    with schema_context("public"):
        nobody = User.objects.create_user(username="someone", password="x", roles=["regional_admin"])
    public_client.force_login(nobody)
    assert upload(public_client, "05", zipped(tmp_path)).status_code == 403
    assert public_client.get("/api/v1/regions/05/imports/").status_code == 403
    assert public_client.get(f"/api/v1/imports/{job.pk}/").status_code == 403
    assert public_client.get(f"/api/v1/imports/{job.pk}/rejections.csv").status_code == 403
    assert public_client.get(f"/imports/{job.pk}/").status_code == 403


def test_region_hosts_do_not_serve_the_federal_import_api(client_a, region_a):
    assert client_a.get("/api/v1/regions/05/imports/").status_code == 404


def test_status_report_and_rejections_csv(operator_client, region_a, tmp_path):
    b = Bundle.sample()
    b.people[0]["birth_date"] = "31.02.2012"
    job = run_import(b.write(tmp_path / "b"))
    body = operator_client.get(f"/api/v1/imports/{job.pk}/").json()
    assert body["status"] == "succeeded" and body["progress"] == 100
    assert body["counts"]["people"]["rejected"] == 1
    response = operator_client.get(body["rejections_url"], HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    assert "people.csv;2;birth_date;" in text


def test_list_of_a_region_has_constant_queries(operator_client, region_a, region_b, tmp_path):
    path = Bundle.sample().write(tmp_path / "b")
    run_import(path)
    operator_client.get("/api/v1/regions/05/imports/")  # warm the session
    with CaptureQueriesContext(connection) as one:
        body = operator_client.get("/api/v1/regions/05/imports/").json()
    assert body["count"] == 1
    run_import(path)
    run_import(path, dry_run=True)
    other = Bundle(region="16", schools=Bundle.sample().schools[:1])
    run_import(other.write(tmp_path / "c"), region="16")
    with CaptureQueriesContext(connection) as three:
        body = operator_client.get("/api/v1/regions/05/imports/").json()
    assert body["count"] == 3  # region 16's job is not listed
    assert {j["region_code"] for j in body["results"]} == {"05"}
    assert len(three.captured_queries) == len(one.captured_queries)


def test_console_shows_the_last_import_of_each_region(operator_client, region_a, tmp_path):
    job = run_import(Bundle.sample().write(tmp_path / "b"))
    page = operator_client.get("/").content.decode()
    assert f'href="/imports/{job.pk}/"' in page
    detail = operator_client.get(f"/imports/{job.pk}/").content.decode()
    assert "Итоги" in detail and "Выполнен" in detail
    assert f"/api/v1/imports/{job.pk}/rejections.csv" in detail
