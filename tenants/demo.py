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

from django.db.models import Q
from django_tenants.utils import tenant_context

from core.db import db
from core.models import User
from core.roles import Role
from core.sso.config import federal_realm, identity_configured, region_realm
from tenants.identity.keycloak import IdentityError, account_ensure
from tenants.identity.services import (
    accounts_provision,
    federal_realm_ensure,
    keycloak_username,
    realm_ensure,
)
from tenants.models import Region, RegionStatus
from tenants.services import region_create

logger = logging.getLogger(__name__)

DEMO_REGIONS = [
    ("05", "dagestan.localhost"),
    ("16", "tatarstan.localhost"),
]
DEMO_OPERATOR = ("operator", "operator")
DEMO_PREFIX = "DEMO-"


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


def demo_setup() -> tuple[list[Region], list[DemoLogin]]:
    regions = demo_regions()
    if not identity_configured():
        return regions, []
    try:
        logins = demo_identity(regions)
    except (IdentityError, OSError) as exc:
        logger.warning("identity provider not provisioned: %s", exc)
        return regions, []
    return regions, logins
