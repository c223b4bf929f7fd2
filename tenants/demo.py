"""The demo that ``make run`` loads: two regions, their realms in the identity provider and
demo accounts for every role.

Idempotent: running it again changes nothing. Accounts:
- the federal operator (``federal`` realm) and one regional admin per region (no person);
- every person of a region who has a platform account (the registry import creates them) gets a
  Keycloak account through ``accounts_provision``; people of the sample registry whose
  ``registry_id`` starts with ``DEMO-`` get the memorable password ``demo<region code>``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from django.db.models import Q
from django_tenants.utils import tenant_context

from core.db import db
from core.models import User
from core.roles import Role
from core.sso.config import federal_realm, identity_configured, region_realm
from regions.journal.demo import journal_demo
from regions.timetable.demo import demo_configure_region
from tenants.identity.keycloak import IdentityError, account_ensure
from tenants.identity.services import (
    accounts_provision,
    federal_realm_ensure,
    keycloak_username,
    realm_ensure,
)
from tenants.imports.models import ImportJob, ImportStatus
from tenants.imports.services import import_job_create, import_job_run
from tenants.models import Region, RegionStatus
from tenants.services import region_create

logger = logging.getLogger(__name__)

DEMO_REGIONS = [
    ("05", "dagestan.localhost"),
    ("16", "tatarstan.localhost"),
]
DEMO_OPERATOR = ("operator", "operator")
DEMO_PREFIX = "DEMO-"

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


def _role_label(roles: list[str]) -> str:
    labels = dict(Role.choices)
    return ", ".join(str(labels.get(r, r)) for r in roles) or "без роли"


def demo_identity(regions: list[Region]) -> list[DemoLogin]:
    """Realms and demo accounts in the identity provider, through the production adapter."""
    db.set_schema_to_public()
    federal_realm_ensure()
    username, password = DEMO_OPERATOR
    account_ensure(federal_realm(), username=username, roles=[Role.FEDERAL_OPERATOR], password=password)
    logins = [DemoLogin("консоль", "федеральный оператор", username, password)]
    for region in regions:
        realm_ensure(region=region)
        admin = f"rca{region.code}"
        account_ensure(region_realm(region), username=admin, roles=[Role.REGIONAL_ADMIN], password=admin)
        logins.append(DemoLogin(region.name, "региональный администратор", admin, admin))
        demo_password = f"demo{region.code}"
        with tenant_context(region):
            demo_people = list(
                User.objects.filter(Q(person__registry_id__startswith=DEMO_PREFIX), person__is_active=True)
                .order_by("person__registry_id")
                .values_list("person__registry_id", "username", "roles")
            )
        passwords = {}
        for registry_id, platform_username, roles in demo_people:
            login = keycloak_username(registry_id=registry_id, username=platform_username)
            passwords[login] = demo_password
            logins.append(DemoLogin(region.name, _role_label(roles), login, demo_password))
        accounts_provision(region=region, passwords=passwords)
    return logins


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
    demo_registry(regions)
    for region in regions:
        demo_configure_region(region)
        journal_demo(region=region)  # a lived-in current period: marks, attendance, homework
    if not identity_configured():
        return regions, []
    try:
        logins = demo_identity(regions)
    except (IdentityError, OSError) as exc:
        logger.warning("identity provider not provisioned: %s", exc)
        return regions, []
    return regions, logins
