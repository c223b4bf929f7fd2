"""The demo that ``make run`` loads: two regions and a federal operator.

Idempotent: running it again changes nothing. Later stages (registry import, identity
provider accounts, school configuration) add to it in ``demo_setup``.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.db import db
from core.models import User
from core.roles import Role
from tenants.models import Region, RegionStatus
from tenants.services import region_create

DEMO_REGIONS = [
    ("05", "dagestan.localhost"),
    ("16", "tatarstan.localhost"),
]
DEMO_OPERATOR = ("operator", "operator")


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


def demo_setup() -> tuple[list[Region], list[DemoLogin]]:
    regions = demo_regions()
    logins = [demo_operator()]
    return regions, logins
