# mypy: disable-error-code="attr-defined"
# (factory_boy factories are typed as the factory classes, not the models they build)
"""Realms and accounts provisioned through the Keycloak adapter, against the development
identity provider: idempotent, only what changed, deactivated people disabled."""

from __future__ import annotations

import pytest
import requests
from django_tenants.utils import tenant_context

from core.models import User
from core.roles import Role
from tenants import routing, services
from tenants.identity import services as identity
from tenants.models import IdentityStatus, Region
from tests.factories import MembershipFactory, PersonFactory, SchoolClassFactory, SchoolFactory, UserFactory


def kc_user(idp, realm: str, username: str) -> dict:
    found = idp.admin("GET", f"{realm}/users", params={"username": username, "exact": "true"}).json()
    assert len(found) == 1, found
    return found[0]


def test_realm_ensure_is_idempotent_and_creates_a_group_per_school(dev_idp, region_a):
    with tenant_context(region_a):
        school = SchoolFactory()
    first = identity.realm_ensure(region=region_a)
    assert f"group {school.ogrn} created" in first.writes
    assert identity.realm_ensure(region=region_a).writes == []  # unchanged: reads only
    roles = {r["name"] for r in dev_idp.admin("GET", "region-05/roles").json()}
    assert {str(r) for r in Role} <= roles
    groups = dev_idp.admin("GET", "region-05/groups", params={"briefRepresentation": "false"}).json()
    group = next(g for g in groups if g["name"] == school.ogrn)
    assert group["attributes"]["msh_school_id"] == [str(school.pk)]
    region_a.refresh_from_db()
    assert region_a.identity_status == IdentityStatus.READY


def test_adding_a_domain_updates_the_redirect_uris(dev_idp, region_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.region_add_domain(code="05", domain="edu05.localhost")
    # the realm update is queued after commit, not run inline (beside the new routing version)
    assert len([c for c in callbacks if c is not routing._bump]) == 1
    report = identity.realm_sync_domains(region=Region.objects.get(pk=region_a.pk))
    assert report.writes == ["client msh-region-05 updated"]
    client = dev_idp.admin("GET", "region-05/clients", params={"clientId": "msh-region-05"}).json()[0]
    port = dev_idp.inbox.port
    assert f"http://edu05.localhost:{port}/accounts/callback/" in client["redirectUris"]
    assert f"http://r05.localhost:{port}/accounts/callback/" in client["redirectUris"]
    assert client["attributes"]["pkce.code.challenge.method"] == "S256"
    assert identity.realm_sync_domains(region=Region.objects.get(pk=region_a.pk)).writes == []
    services.region_remove_domain(code="05", domain="edu05.localhost")
    identity.realm_sync_domains(region=Region.objects.get(pk=region_a.pk))


def test_region_creation_does_not_need_an_identity_provider(db, settings):
    settings.KEYCLOAK_URL = ""
    region = services.region_create(code="40", domains=["kaluga.localhost"])
    assert region.identity_status == IdentityStatus.PENDING
    with pytest.raises(identity.IdentityError, match="не настроен"):
        identity.realm_ensure(region=region)
    region.refresh_from_db()
    assert region.identity_status == IdentityStatus.PENDING and "не настроен" in region.identity_detail


def test_unreachable_identity_provider_marks_the_realm_failed(db, settings):
    region = services.region_create(code="40", domains=["kaluga.localhost"])
    settings.KEYCLOAK_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    settings.KEYCLOAK_ADMIN_USER, settings.KEYCLOAK_ADMIN_PASSWORD = "admin", "admin"
    with pytest.raises(identity.IdentityError):
        identity.realm_ensure(region=region)
    region.refresh_from_db()
    assert region.identity_status == IdentityStatus.FAILED


@pytest.fixture
def people_a(region_a):
    with tenant_context(region_a):
        school_class = SchoolClassFactory()
        teacher = PersonFactory(user=UserFactory(roles=[Role.TEACHER]))
        MembershipFactory(person=teacher, school=school_class.school, role="teacher")
        student = PersonFactory(user=UserFactory(roles=[Role.STUDENT]))
        MembershipFactory(person=student, school_class=school_class)
    return {"teacher": teacher, "student": student, "school": school_class.school}


def test_accounts_are_provisioned_once_and_linked_by_person_id(dev_idp, region_a, people_a):
    identity.realm_ensure(region=region_a)  # the school's group
    progress: list[tuple[int, int]] = []
    report = identity.accounts_provision(
        region=region_a, progress=lambda d, t: progress.append((d, t)), batch_size=1
    )
    assert report.added == 2 and report.updated == 0
    assert progress[-1] == (2, 2)
    teacher = people_a["teacher"]
    account = kc_user(dev_idp, "region-05", teacher.registry_id.lower())
    assert account["attributes"] == {"msh_person_id": [str(teacher.pk)]}
    assert account["enabled"] is True
    groups = dev_idp.admin("GET", f"region-05/users/{account['id']}/groups").json()
    assert [g["name"] for g in groups] == [people_a["school"].ogrn]
    with tenant_context(region_a):
        assert User.objects.get(pk=teacher.user_id).sso_subject == account["id"]
    again = identity.accounts_provision(region=region_a)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)


def test_accounts_of_a_school_the_realm_does_not_know_yet(dev_idp, region_a, people_a):
    """The registry brings schools after the region's realm was made: provisioning creates the
    school's group first (Keycloak refuses a whole import batch with an unknown group path)."""
    school = people_a["school"]
    groups = dev_idp.admin("GET", "region-05/groups", params={"search": school.ogrn}).json()
    assert not [g for g in groups if g["name"] == school.ogrn]  # the realm predates the school
    report = identity.accounts_provision(region=region_a)
    assert report.added == 2
    account = kc_user(dev_idp, "region-05", people_a["teacher"].registry_id.lower())
    groups = dev_idp.admin("GET", f"region-05/users/{account['id']}/groups").json()
    assert [g["name"] for g in groups] == [school.ogrn]


def test_deactivated_person_is_disabled_and_cannot_sign_in(
    dev_idp, region_a, people_a, sso_client_a, browser_login
):
    student = people_a["student"]
    username = student.registry_id.lower()
    identity.accounts_provision(region=region_a, passwords={username: "st-pw"})
    with tenant_context(region_a):
        student.is_active = False
        student.save()
        User.objects.filter(pk=student.user_id).update(roles=[Role.STUDENT, Role.PARENT])
    report = identity.accounts_provision(region=region_a)
    assert (report.updated, report.unchanged) == (1, 1)
    account = kc_user(dev_idp, "region-05", username)
    assert account["enabled"] is False
    roles = {
        r["name"] for r in dev_idp.admin("GET", f"region-05/users/{account['id']}/role-mappings/realm").json()
    }
    assert {"student", "parent"} <= roles
    with pytest.raises(AssertionError, match="отключена"):
        browser_login(sso_client_a, username, "st-pw")


def test_accounts_left_by_an_interrupted_run_are_adopted(dev_idp, region_a, people_a):
    identity.accounts_provision(region=region_a)
    with tenant_context(region_a):  # the platform forgot what it had sent (e.g. killed before saving)
        User.objects.filter(pk__in=[people_a["teacher"].user_id, people_a["student"].user_id]).update(
            sso_subject=None, sso_sync_hash=""
        )
    report = identity.accounts_provision(region=region_a)
    assert (report.added, report.skipped) == (0, 2)
    with tenant_context(region_a):
        assert User.objects.get(pk=people_a["teacher"].user_id).sso_subject


def test_two_regions_have_separate_realms(dev_idp, region_a, region_b):
    with tenant_context(region_b):
        person = PersonFactory(user=UserFactory(roles=[Role.TEACHER]))
    identity.accounts_provision(region=region_b)
    found = dev_idp.admin(
        "GET", "region-05/users", params={"username": person.registry_id.lower(), "exact": "true"}
    ).json()
    assert found == []
    assert kc_user(dev_idp, "region-16", person.registry_id.lower())["attributes"]["msh_person_id"] == [
        str(person.pk)
    ]
    assert (
        requests.get(f"{dev_idp.url}/realms/region-16/.well-known/openid-configuration", timeout=5)
        .json()["issuer"]
        .endswith("/realms/region-16")
    )


def test_identity_command(dev_idp, region_a):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("identity", "ensure", "--code", "05", stdout=out)
    call_command("identity", "provision", "--code", "05", stdout=out)
    call_command("identity", "status", stdout=out)
    call_command("identity", "secret", "--code", "05", stdout=out)
    text = out.getvalue()
    assert "region-05: без изменений" in text and "Настроен" in text
    from core.sso.config import region_realm

    assert region_realm(region_a).client_secret in text


def test_a_realm_made_again_gets_every_account_again(dev_idp, region_b, sso_client_b, browser_login):
    """The realm is gone (deleted in Keycloak, another Keycloak, the development identity
    provider's state deleted as the README allows) and made again: the accounts the platform
    remembered as provisioned are created again, and their people can sign in."""
    from django.core.cache import cache

    from core.sso import tokens as token_module
    from core.sso.config import region_realm

    with tenant_context(region_b):
        school_class = SchoolClassFactory()
        teacher = PersonFactory(user=UserFactory(roles=[Role.TEACHER]))
        MembershipFactory(person=teacher, school=school_class.school, role="teacher")
    username = teacher.registry_id.lower()
    assert identity.accounts_provision(region=region_b, passwords={username: "again-pw"}).added == 1
    assert dev_idp.admin("DELETE", "region-16").status_code == 204
    try:
        report = identity.realm_ensure(region=region_b)
        assert report.created and "1 accounts to provision again" in report.writes
        again = identity.accounts_provision(region=region_b, passwords={username: "again-pw"})
        assert (again.added, again.unchanged) == (1, 0)
        kc_user(dev_idp, "region-16", username)
        with tenant_context(region_b):  # the new realm signs with new keys
            realm = region_realm(region_b)
            cache.delete_many([token_module._cache_key(k, realm) for k in ("jwks", "jwks-refreshed")])
        assert browser_login(sso_client_b, username, "again-pw").status_code == 302
        assert sso_client_b.get("/api/v1/me/").json()["person_id"] == teacher.pk
    finally:
        identity.realm_ensure(region=region_b)  # whatever happened, the realm exists for others
