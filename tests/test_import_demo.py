"""The demo's sample registry: imports cleanly, idempotently, with the people demo logins use."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from regions.people.models import GuardianLink, Membership, Person
from regions.schools.models import SchoolClass
from tenants.demo import demo_registry
from tests.importing import account

pytestmark = pytest.mark.django_db


def test_demo_registry_imports_cleanly_and_idempotently(region_a, region_b):
    jobs = demo_registry([region_a, region_b])
    assert [j.status for j in jobs] == ["succeeded", "succeeded"]
    for job in jobs:
        assert not job.rejections.exists(), list(job.rejections.values_list("file", "line", "reason"))
        assert 100 <= job.counts["people"]["created"] <= 300
    again = demo_registry([region_a, region_b])
    for job in again:
        for entity, c in job.counts.items():
            assert c["created"] == c["updated"] == c["deactivated"] == 0, entity

    for region in (region_a, region_b):
        code = region.code
        with tenant_context(region):
            assert account(Person.objects.get(registry_id=f"DEMO-{code}-TEACHER-1")).roles == [
                "parent",
                "teacher",
            ]
            assert account(Person.objects.get(registry_id=f"DEMO-{code}-ADMIN-1")).roles == ["school_admin"]
            assert account(Person.objects.get(registry_id=f"DEMO-{code}-STUDENT-1")).roles == ["student"]
            parent = Person.objects.get(registry_id=f"DEMO-{code}-PARENT-1")
            assert account(parent).roles == ["parent"]
            children = GuardianLink.objects.filter(parent=parent).values_list("child_id", flat=True)
            assert Membership.objects.filter(person_id__in=children).values("school").distinct().count() == 2
            first_school = Membership.objects.get(person__registry_id=f"DEMO-{code}-STUDENT-1").school
            parallels = set(
                SchoolClass.objects.filter(school=first_school).values_list("parallel", flat=True)
            )
            assert parallels == set(range(1, 12))
            assert Person.objects.filter(surname__contains="ё").exists()
            assert Person.objects.get(registry_id=f"{code}-ST-1").user is None  # staff: no account
            assert Person.objects.get(registry_id=f"{code}-T-OLD").user is None  # left last year: no role
