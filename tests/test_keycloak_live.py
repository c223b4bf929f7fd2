"""Against a real Keycloak (26): runs only when KEYCLOAK_URL is set in the environment (with
KEYCLOAK_ADMIN_USER / KEYCLOAK_ADMIN_PASSWORD of its master realm). Keycloak cannot run on the
project's machines, so this is skipped there — in CI too. It provisions a throw-away realm with
the adapter twice (the second run must write nothing) and checks its OpenID discovery.

The test itself can be exercised against the development identity provider, which answers the
same Admin REST calls (realm deletion included): start ``deploy/dev-idp`` (``node server.js``)
and run it with ``KEYCLOAK_URL=http://127.0.0.1:8180 KEYCLOAK_ADMIN_USER=admin
KEYCLOAK_ADMIN_PASSWORD=admin``."""

from __future__ import annotations

import contextlib
import os
import secrets
from types import SimpleNamespace

import pytest
import requests
from django.test import override_settings

from core.sso.config import region_realm
from tenants.identity.keycloak import AccountSpec, SchoolGroup, accounts_apply, admin_client, realm_apply

LIVE_URL = os.environ.get("KEYCLOAK_URL", "")
pytestmark = pytest.mark.skipif(not LIVE_URL, reason="KEYCLOAK_URL не задан: нет настоящего Keycloak")


def test_adapter_against_a_real_keycloak():
    code = f"9{secrets.randbelow(10)}"
    with override_settings(
        KEYCLOAK_URL=LIVE_URL.rstrip("/"),
        KEYCLOAK_ADMIN_USER=os.environ.get("KEYCLOAK_ADMIN_USER", "admin"),
        KEYCLOAK_ADMIN_PASSWORD=os.environ.get("KEYCLOAK_ADMIN_PASSWORD", "admin"),
    ):
        realm = region_realm(SimpleNamespace(code=code, schema_name=f"region_{code}"))
        schools = [SchoolGroup(ogrn="1027700000001", school_id=1, name="Школа", active=True)]
        admin = admin_client(realm)
        with contextlib.suppress(Exception):  # absent is fine
            admin.delete_realm(realm.name)
        try:
            first = realm_apply(
                realm,
                display_name="Live test",
                domains=["live.example.ru"],
                primary="live.example.ru",
                schools=schools,
            )
            assert first.created
            second = realm_apply(
                realm,
                display_name="Live test",
                domains=["live.example.ru"],
                primary="live.example.ru",
                schools=schools,
            )
            assert second.writes == []
            spec = AccountSpec(1, "live-user-1", True, ("teacher",), ("1027700000001",), 1, None, "")
            report, synced = accounts_apply(realm, [spec])
            assert report.added == 1 and synced[1][0]
            user = admin.get_user(synced[1][0])
            assert user["attributes"]["msh_person_id"] == ["1"]
            issuer = requests.get(f"{realm.issuer}/.well-known/openid-configuration", timeout=10).json()[
                "issuer"
            ]
            assert issuer == realm.issuer
        finally:
            admin.delete_realm(realm.name)
