"""The import as it really runs: a Celery worker in another process, and a worker killed with
SIGKILL at named stages — the region stays exactly as it was, the job shows as interrupted, and
running the import again completes it. These tests commit (other processes must see the data),
so they use a region of their own (40) and remove it afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import tenant_context

from core.db import db as tenant_db
from regions.people.models import Membership, Person
from tenants.imports.models import ImportJob
from tenants.imports.services import import_job_create, import_job_enqueue, import_jobs_reap
from tests.conftest import database_url_for_subprocess
from tests.importing import OGRN_1, Bundle, class_of, member, person, region_state, run_import

CODE = "40"


@pytest.fixture(scope="module")
def committed_region(django_db_setup, django_db_blocker):
    from tenants.models import Region
    from tenants.services import region_create

    with django_db_blocker.unblock():
        leftover = Region.objects.filter(code=CODE).first()
        if leftover is not None:
            _drop(leftover)
        region = region_create(code=CODE, domains=["r40.localhost"])
        try:
            yield region
        finally:
            _drop(region)


def _drop(region) -> None:
    tenant_db.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{region.schema_name}" CASCADE')
    ImportJob.objects.filter(region_code=CODE).delete()
    region.domains.all().delete()
    type(region).objects.filter(pk=region.pk).delete()


def bundles(tmp: Path) -> tuple[Path, Path]:
    v1 = Bundle.sample()
    v1.region = CODE
    v2 = Bundle.sample()
    v2.region = CODE
    v2.people[0]["surname"] = "Иванова"
    v2.people.append(person("S-3", 6, "Гаджиева", "Патимат", sex="Ж"))
    v2.memberships.append(member("S-3", OGRN_1, "student", "5А"))
    v2.memberships[0]["class"] = "6А"
    return v1.write(tmp / "v1"), v2.write(tmp / "v2")


def start_import(path: Path, pause_at: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "IMPORT_PAUSE_AT": pause_at,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "import_registry",
            "--region",
            CODE,
            "--sync",
            "--no-progress",
            str(path),
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_for(predicate, timeout: float = 60, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def paused_job(proc: subprocess.Popen, stage: str) -> ImportJob:
    def check():
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        return (
            ImportJob.objects.filter(region_code=CODE, status="running", stage=stage).order_by("-pk").first()
        )

    return wait_for(check, what=f"the import to pause at {stage}")


@pytest.mark.parametrize("stage", ["read:people.csv", "check", "apply_memberships", "apply_accounts"])
def test_killed_import_leaves_the_region_as_it_was(committed_region, django_db_blocker, tmp_path, stage):
    v1, v2 = bundles(tmp_path)
    with django_db_blocker.unblock():
        first = run_import(v1, region=CODE)
        assert first.status == "succeeded", first.error
        before = region_state(committed_region)

        proc = start_import(v2, stage)
        try:
            job = paused_job(proc, stage)
            # a second import of the same region while the first holds the lock: refused
            if stage == "check":
                other = run_import(v2, region=CODE)
                assert other.status == "failed" and "уже выполняется" in other.error
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()

        def interrupted():
            import_jobs_reap()
            job.refresh_from_db()
            return job.status == "interrupted"

        wait_for(interrupted, what="the killed job to show as interrupted")
        assert "прерван" in job.error
        assert region_state(committed_region) == before

        again = run_import(v2, region=CODE)
        assert again.status == "succeeded", again.error
        with tenant_context(committed_region):
            assert Person.objects.get(registry_id="S-3").is_active
            assert Person.objects.get(registry_id="S-1").surname == "Иванова"
            assert class_of(Membership.objects.get(person__registry_id="S-1")) == "6А"
        # back to v1 for the next parameter
        assert run_import(v1, region=CODE).status == "succeeded"


@pytest.mark.services
def test_import_through_a_real_celery_worker(
    committed_region, celery_worker_process, django_db_blocker, tmp_path
):
    v1, _ = bundles(tmp_path)
    with django_db_blocker.unblock():
        job = import_job_create(region_code=CODE, source=v1, actor_label="test")
        import_job_enqueue(job=job)  # autocommit: sent at once

        def finished():
            job.refresh_from_db()
            return job.is_finished

        wait_for(finished, timeout=120, what="the worker to run the import")
        assert job.status == "succeeded", job.error
        assert job.rows_total > 0 and job.rows_done == job.rows_total
        with tenant_context(committed_region):
            assert Person.objects.filter(registry_id__in=["S-1", "S-2", "T-1", "A-1", "P-1"]).count() == 5
