"""A registry import provisions the region's accounts in its identity realm: the task queued
when the import commits creates new users and disables the ones the registry deactivated."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from regions.people.models import Person
from tests.importing import Bundle, run_import


def realm_user(idp, username: str) -> dict | None:
    found = idp.admin("GET", "region-05/users", params={"username": username, "exact": "true"}).json()
    return found[0] if found else None


def test_import_provisions_and_disables_accounts(
    dev_idp, region_a, tmp_path, celery_eager, django_capture_on_commit_callbacks
):
    # the task runs in this process (celery_eager); the real-worker path of a task queued from a
    # region is proven in test_isolation and test_import_worker
    bundle = Bundle.sample()
    with django_capture_on_commit_callbacks(execute=True):
        assert run_import(bundle.write(tmp_path / "v1")).status == "succeeded"
    teacher = realm_user(dev_idp, "t-1")
    assert teacher is not None and teacher["enabled"]
    with tenant_context(region_a):
        person_id = Person.objects.get(registry_id="T-1").pk
    assert teacher["attributes"]["msh_person_id"] == [str(person_id)]
    assert realm_user(dev_idp, "p-1") is not None  # the parent, from guardian links

    # the teacher leaves the registry: deactivated on the platform, disabled in the realm
    bundle.people = [p for p in bundle.people if p["person_id"] != "T-1"]
    bundle.memberships = [m for m in bundle.memberships if m["person_id"] != "T-1"]
    with django_capture_on_commit_callbacks(execute=True):
        assert run_import(bundle.write(tmp_path / "v2")).status == "succeeded"
    left = realm_user(dev_idp, "t-1")
    assert left is not None and left["enabled"] is False
