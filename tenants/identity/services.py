"""What the platform calls to keep the identity provider in step with regions and people.

- ``realm_ensure(region=…)``: the region's realm, its client (redirect URIs of every domain),
  the six realm roles and a group per school; marks ``Region.identity_status``.
- ``realm_sync_domains(region=…)``: the client's redirect URIs after a domain change.
- ``federal_realm_ensure()``: the federal operators' realm.
- ``accounts_provision(region=…)``: Keycloak accounts of the region's people (new ones in
  batches with partialImport/SKIP, then only the changed ones), linked by ``msh_person_id`` —
  after the groups of the region's schools (the registry brings schools after the realm exists).
- ``identity_queue(...)``: the same, as Celery tasks after the current transaction commits —
  region creation and domain changes never wait for, or fail because of, the identity provider.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.models import User
from core.sso.config import federal_realm, identity_configured, region_realm
from tenants.identity.keycloak import (
    AccountSpec,
    IdentityError,
    ProgressCallback,
    ProvisionReport,
    RealmReport,
    SchoolGroup,
    accounts_apply,
    admin_client,
    client_apply,
    groups_apply,
    realm_apply,
)
from tenants.models import IdentityStatus, Region

logger = logging.getLogger(__name__)

_CHUNK = 5000


def _mark(region: Region, status: str, detail: str = "") -> None:
    values: dict[str, Any] = {"identity_status": status, "identity_detail": detail[:500]}
    if status == IdentityStatus.READY:
        values["identity_synced_at"] = timezone.now()
    Region.objects.filter(pk=region.pk).update(**values)
    for key, value in values.items():
        setattr(region, key, value)


def _domains(region: Region) -> tuple[list[str], str]:
    domains = list(region.domains.order_by("-is_primary", "domain").values_list("domain", flat=True))
    if not domains:
        raise IdentityError(f"У региона {region.code} нет доменов")
    return domains, domains[0]


def _schools(region: Region) -> list[SchoolGroup]:
    from regions.schools.models import School

    with tenant_context(region):
        rows = School.objects.order_by("ogrn").values_list("ogrn", "pk", "short_name", "is_active")
        return [SchoolGroup(ogrn=o, school_id=pk, name=n, active=a) for o, pk, n, a in rows]


def realm_ensure(*, region: Region) -> RealmReport:
    if not identity_configured():
        _mark(region, IdentityStatus.PENDING, "Сервер входа (KEYCLOAK_URL) не настроен")
        raise IdentityError("Сервер входа (KEYCLOAK_URL) не настроен")
    domains, primary = _domains(region)
    try:
        report = realm_apply(
            region_realm(region),
            display_name=region.name,
            domains=domains,
            primary=primary,
            schools=_schools(region),
        )
    except (IdentityError, OSError) as exc:
        _mark(region, IdentityStatus.FAILED, str(exc))
        raise IdentityError(str(exc)) from exc
    if report.created:
        # A new realm holds no accounts: the Keycloak ids remembered for the region's users
        # belong to a realm that is gone (deleted in Keycloak, another Keycloak, the development
        # identity provider started afresh). Forgotten, the next provisioning creates every
        # account again and logins link by msh_person_id, not by a subject that no longer exists.
        with tenant_context(region):
            forgotten = User.objects.exclude(sso_subject=None, sso_sync_hash="").update(
                sso_subject=None, sso_sync_hash=""
            )
        if forgotten:
            report.writes.append(f"{forgotten} accounts to provision again")
    _mark(region, IdentityStatus.READY)
    logger.info("realm %s ensured: %d writes", report.realm, len(report.writes))
    return report


def realm_sync_domains(*, region: Region) -> RealmReport:
    if region.identity_status != IdentityStatus.READY:
        return realm_ensure(region=region)
    domains, primary = _domains(region)
    try:
        return client_apply(region_realm(region), domains=domains, primary=primary)
    except (IdentityError, OSError) as exc:
        _mark(region, IdentityStatus.FAILED, str(exc))
        raise IdentityError(str(exc)) from exc


def federal_realm_ensure() -> RealmReport:
    if not identity_configured():
        raise IdentityError("Сервер входа (KEYCLOAK_URL) не настроен")
    hosts = list(settings.PLATFORM_HOSTS)
    return realm_apply(
        federal_realm(),
        display_name="Моя школа — федеральные операторы",
        domains=hosts,
        primary=hosts[0],
        schools=[],
    )


# --- accounts ---------------------------------------------------------------------------------

_GROUPS_SQL = """
SELECT p.user_id, s.ogrn FROM people_membership m
  JOIN people_person p ON p.id = m.person_id JOIN schools_school s ON s.id = m.school_id
 WHERE m.is_active AND p.user_id = ANY(%(users)s)
UNION
SELECT p.user_id, s.ogrn FROM people_guardianlink g
  JOIN people_person p ON p.id = g.parent_id
  JOIN people_membership m ON m.person_id = g.child_id AND m.is_active
  JOIN schools_school s ON s.id = m.school_id
 WHERE g.is_active AND p.user_id = ANY(%(users)s)
"""


def keycloak_username(*, registry_id: str | None, username: str) -> str:
    """The login name in Keycloak: the registry's person id (what the school knows the person
    by), else the platform username. Never a name, an e-mail or a SNILS."""
    return (registry_id or username).strip().lower()


def _spec_chunks() -> Iterator[list[AccountSpec]]:
    """The accounts of the region's people, in chunks of bounded size (ordered by user id)."""
    last = 0
    while True:
        rows = list(
            User.objects.filter(person__isnull=False, pk__gt=last)
            .order_by("pk")
            .values_list(
                "pk",
                "username",
                "roles",
                "is_active",
                "sso_subject",
                "sso_sync_hash",
                "person__pk",
                "person__registry_id",
                "person__is_active",
            )[:_CHUNK]
        )
        if not rows:
            return
        last = rows[-1][0]
        groups: dict[int, set[str]] = {}
        with connection.cursor() as cursor:
            cursor.execute(_GROUPS_SQL, {"users": [r[0] for r in rows]})
            for user_id, ogrn in cursor.fetchall():
                groups.setdefault(user_id, set()).add(ogrn)
        yield [
            AccountSpec(
                user_id=pk,
                username=keycloak_username(registry_id=registry_id, username=username),
                enabled=bool(active and person_active),
                roles=tuple(sorted(set(roles or ()))),
                groups=tuple(sorted(groups.get(pk, ()))),
                person_id=person_pk,
                subject=subject,
                synced_hash=synced,
            )
            for pk, username, roles, active, subject, synced, person_pk, registry_id, person_active in rows
        ]


def accounts_provision(
    *,
    region: Region,
    progress: ProgressCallback | None = None,
    passwords: dict[str, str] | None = None,
    batch_size: int | None = None,
) -> ProvisionReport:
    """Keycloak accounts for every person of the region who has a platform account.

    Idempotent: an account whose state (username, enabled, roles, school groups, person) has not
    changed since the last run is not sent at all; people deactivated by the registry are
    disabled. ``passwords`` (Keycloak username → password) is used only for new accounts — the
    demo's memorable passwords; real people sign in through the realm's own means."""
    if not identity_configured():
        raise IdentityError("Сервер входа (KEYCLOAK_URL) не настроен")
    realm = region_realm(region)
    admin = admin_client(realm)
    # the schools' groups first: an account in a group Keycloak does not have fails its batch
    groups = groups_apply(realm, _schools(region), admin=admin)
    if groups.writes:
        logger.info("realm %s: %s", realm.name, ", ".join(groups.writes))
    total = ProvisionReport(realm=realm.name)
    with tenant_context(region):
        count = User.objects.filter(person__isnull=False).count()
        done = 0
        for specs in _spec_chunks():

            def chunk_progress(n: int, _total: int, base: int = done) -> None:
                if progress:
                    progress(base + n, count)

            report, synced = accounts_apply(
                realm,
                specs,
                passwords=passwords,
                batch_size=batch_size,
                progress=chunk_progress,
                admin=admin,
            )
            with transaction.atomic():
                users = User.objects.in_bulk(list(synced))
                for user_id, (subject, state_hash) in synced.items():
                    users[user_id].sso_subject = subject
                    users[user_id].sso_sync_hash = state_hash
                User.objects.bulk_update(users.values(), ["sso_subject", "sso_sync_hash"], batch_size=1000)
            done += len(specs)
            for key in ("total", "added", "skipped", "updated", "unchanged"):
                setattr(total, key, getattr(total, key) + getattr(report, key))
    logger.info("accounts of %s: %s", realm.name, total.as_dict())
    return total


# --- queueing after commit --------------------------------------------------------------------


def identity_queue(*, action: str, region_id: int) -> None:
    """Queue ``realm_ensure`` / ``realm_sync_domains`` / ``accounts_provision`` for a region
    once the current transaction commits. Without an identity provider nothing is queued: the
    region stays "pending" (shown in the console) until ``manage.py identity ensure`` runs."""
    if not identity_configured():
        return

    def send() -> None:
        from tenants import tasks

        task = {
            "realm_ensure": tasks.identity_realm_ensure,
            "realm_sync_domains": tasks.identity_realm_sync_domains,
            "accounts_provision": tasks.identity_accounts_provision,
        }[action]
        try:
            task.delay(region_id)
        except Exception as exc:  # a broker outage must not break the request that changed the region
            logger.warning("identity task %s for region %s not queued: %s", action, region_id, exc)

    transaction.on_commit(send)
