"""The Keycloak admin adapter sends exactly the recorded Keycloak 26 requests (see
tests/fixtures/keycloak26/README.md): a new realm in one POST, an unchanged realm with reads
only, a removed domain as one client update, accounts in a partialImport batch."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import override_settings

from core.sso.config import region_realm
from tenants.identity.keycloak import (
    AccountSpec,
    IdentityError,
    SchoolGroup,
    accounts_apply,
    client_apply,
    realm_apply,
)
from tests.keycloak_replay import KeycloakReplay, load_exchanges

DOMAINS = ["edu.mos.example.ru", "moscow.example.ru"]
SCHOOLS = [SchoolGroup(ogrn="1027700000001", school_id=1, name="ГБОУ Школа № 1", active=True)]


@pytest.fixture
def replay(request):
    server = KeycloakReplay(load_exchanges(request.param))
    with override_settings(
        KEYCLOAK_URL=server.url,
        KEYCLOAK_INTERNAL_URL="",
        KEYCLOAK_ADMIN_USER="admin",
        KEYCLOAK_ADMIN_PASSWORD="admin",
        KEYCLOAK_ADMIN_CLIENT_SECRET="",
        SSO_CLIENT_SECRET_KEY="recorded-exchanges-key",
        SITE_SCHEME="https",
        SITE_PORT="",
    ):
        yield server
    server.close()


def realm_77():
    return region_realm(SimpleNamespace(code="77", schema_name="region_77"))


@pytest.mark.parametrize("replay", ["realm_new"], indirect=True)
def test_new_realm_is_created_in_one_request(replay):
    report = realm_apply(
        realm_77(), display_name="Москва", domains=DOMAINS, primary=DOMAINS[1], schools=SCHOOLS
    )
    replay.assert_complete()
    assert report.created and report.writes == [
        "realm region-77 created",
        "user profile: msh_person_id declared",
    ]


@pytest.mark.parametrize("replay", ["realm_unchanged"], indirect=True)
def test_unchanged_realm_is_only_read(replay):
    report = realm_apply(
        realm_77(), display_name="Москва", domains=DOMAINS, primary=DOMAINS[1], schools=SCHOOLS
    )
    replay.assert_complete()
    assert report.writes == [] and not report.created


@pytest.mark.parametrize("replay", ["client_domain_removed"], indirect=True)
def test_removed_domain_updates_the_client_once(replay):
    report = client_apply(realm_77(), domains=["moscow.example.ru"], primary="moscow.example.ru")
    replay.assert_complete()
    assert report.writes == ["client msh-region-77 updated"]


@pytest.mark.parametrize("replay", ["accounts_partial_import"], indirect=True)
def test_accounts_in_a_partial_import_batch(replay):
    specs = [
        AccountSpec(10, "demo-77-teacher-1", True, ("teacher",), ("1027700000001",), 501, None, ""),
        AccountSpec(11, "demo-77-student-1", True, ("student",), ("1027700000001",), 502, None, ""),
    ]
    report, synced = accounts_apply(realm_77(), specs, passwords={"demo-77-teacher-1": "demo"})
    replay.assert_complete()
    assert (report.added, report.skipped, report.updated) == (1, 1, 0)
    assert synced[10][0] == "6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e01"
    assert synced[11] == ("6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e02", specs[1].state_hash)


@pytest.mark.parametrize("replay", ["realm_unchanged"], indirect=True)
def test_a_different_request_is_caught(replay):
    """The replay itself fails when the adapter would send something else."""
    with pytest.raises(IdentityError):  # the replay answered the PUT with the next recorded GET
        realm_apply(
            realm_77(), display_name="Другое имя", domains=DOMAINS, primary=DOMAINS[1], schools=SCHOOLS
        )
    with pytest.raises(AssertionError, match="PUT /admin/realms/region-77"):
        replay.assert_complete()


def test_realm_templates_in_deploy_match_what_the_adapter_provisions():
    import json
    from pathlib import Path

    from core.sso.config import federal_realm
    from tenants.identity.keycloak import realm_representation

    root = Path(__file__).resolve().parent.parent / "deploy" / "keycloak"
    with override_settings(KEYCLOAK_URL="https://id.example.ru", SITE_SCHEME="https", SITE_PORT=""):
        cases = [
            (
                "realm-region-XX.json",
                region_realm(SimpleNamespace(code="XX", schema_name="region_XX")),
                "<Название региона>",
                "<region>.school.example.ru",
            ),
            ("realm-federal.json", federal_realm(), "Моя школа — федеральные операторы", "school.example.ru"),
        ]
        for name, realm, title, domain in cases:
            wanted = realm_representation(
                realm, display_name=title, domains=[domain], primary=domain, schools=[]
            )
            wanted["clients"][0]["secret"] = "${MSH_CLIENT_SECRET}"
            assert json.loads((root / name).read_text(encoding="utf-8")) == wanted, name
