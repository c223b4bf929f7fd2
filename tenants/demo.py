"""The demo that ``make run`` loads: two regions and a federal operator.

Idempotent: running it again changes nothing. Later stages (registry import, identity
provider accounts, school configuration) add to it in ``demo_setup``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.db import db
from core.models import User
from core.roles import Role
from tenants.imports.models import ImportJob, ImportStatus
from tenants.imports.services import import_job_create, import_job_run
from tenants.models import Region, RegionStatus
from tenants.services import region_create

DEMO_REGIONS = [
    ("05", "dagestan.localhost"),
    ("16", "tatarstan.localhost"),
]
DEMO_OPERATOR = ("operator", "operator")

# Sample registry bundles (msh-registry-1) of the demo regions, imported through the same
# service as any registry. Stable, memorable person ids to build demo logins on
# (XX = 05 Дагестан, 16 Татарстан):
#   DEMO-XX-STUDENT-1  student of 5А in the first school
#   DEMO-XX-STUDENT-2  student of the second school
#   DEMO-XX-TEACHER-1  teacher in the first school, also the parent of a student there
#   DEMO-XX-TEACHER-2  teacher in the second school
#   DEMO-XX-ADMIN-1    school admin of the first school
#   DEMO-XX-PARENT-1   parent of STUDENT-1 and STUDENT-2: children in two schools
# The first school of each region has classes 1–11.
DEMO_REGISTRY = Path(__file__).resolve().parent / "demo_data"


@dataclass(frozen=True)
class DemoLogin:
    where: str
    role: str
    username: str
    password: str


def demo_regions() -> list[Region]:
    regions = []
    for code, domain in DEMO_REGIONS:
        region = Region.objects.filter(code=code).exclude(status=RegionStatus.ARCHIVED).first()
        if region is None:
            region = region_create(code=code, domains=[domain], actor="demo")
        regions.append(region)
    return regions


def demo_operator() -> DemoLogin:
    db.set_schema_to_public()
    username, password = DEMO_OPERATOR
    user, created = User.objects.get_or_create(username=username, defaults={"roles": [Role.FEDERAL_OPERATOR]})
    if created:
        user.set_password(password)
        user.first_name, user.last_name = "Федеральный", "оператор"
        user.save()
    return DemoLogin("консоль", "федеральный оператор", username, password)


def demo_registry(regions: list[Region]) -> list[ImportJob]:
    """Import each demo region's sample registry; a re-run finds nothing to change."""
    jobs = []
    for region in regions:
        folder = DEMO_REGISTRY / f"region_{region.code}"
        if not folder.is_dir():
            continue
        job = import_job_run(
            job_id=import_job_create(region_code=str(region.code), source=folder, actor_label="demo").pk
        )
        if job.status != ImportStatus.SUCCEEDED:
            raise RuntimeError(f"Демо-реестр региона {region.code} не импортирован: {job.error}")
        jobs.append(job)
    return jobs


def demo_setup() -> tuple[list[Region], list[DemoLogin]]:
    regions = demo_regions()
    logins = [demo_operator()]
    demo_registry(regions)
    return regions, logins
