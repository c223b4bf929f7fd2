"""API bearer tokens: real RS256 access tokens of the development identity provider, validated
locally against the realm's cached JWKS. One test per way a token must be refused."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import tenant_context

from core.models import User
from core.roles import Role
from core.sso import tokens as token_module
from core.sso.config import federal_realm, region_realm
from tenants.identity.keycloak import account_ensure
from tests.sso_support import b64, decode_unverified

PASSWORD = "admin-pw"


def realm_tokens(idp, realm, username: str, host: str) -> dict:
    return idp.tokens(
        realm.name,
        realm.client_id,
        realm.client_secret,
        f"http://{host}/accounts/callback/",
        username,
        PASSWORD,
    )


@pytest.fixture
def admin_a(dev_idp, region_a, sso_client_a):
    realm = region_realm(region_a)
    account_ensure(realm, username="api-admin-a", roles=[Role.REGIONAL_ADMIN], password=PASSWORD)
    return realm_tokens(dev_idp, realm, "api-admin-a", sso_client_a.defaults["HTTP_HOST"])


def bearer(client: Client, token: str, path: str = "/api/v1/me/"):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def refused(caplog):
    """``refused(response, reason)``: 401, the bearer challenge, and the logged reason."""

    def check(response, reason: str) -> None:
        assert response.status_code == 401, response.content[:300]
        assert 'error="invalid_token"' in response["WWW-Authenticate"]
        assert response.json()["code"] == "invalid_token"
        events = [r.getMessage() for r in caplog.records if r.name == "msh.auth"]
        assert events and f"reason={reason}" in events[-1], events

    return check


def test_valid_access_token_is_accepted_and_linked(admin_a, sso_client_a, region_a):
    header, claims = decode_unverified(admin_a["access_token"])
    assert header["alg"] == "RS256" and header["kid"]
    assert claims["aud"] == "msh-region-05" and claims["realm_access"]["roles"] == ["regional_admin"]
    response = bearer(sso_client_a, admin_a["access_token"])
    assert response.status_code == 200
    with tenant_context(region_a):
        user = User.objects.get(sso_subject=claims["sub"])
    assert response.json()["user_id"] == user.pk and response.json()["roles"] == ["regional_admin"]
    assert bearer(sso_client_a, admin_a["access_token"], "/api/v1/schools/").status_code == 200


def test_expired_token_is_refused(dev_idp, region_a, sso_client_a, settings, refused):
    realm = region_realm(region_a)
    account_ensure(realm, username="api-short", roles=[Role.REGIONAL_ADMIN], password=PASSWORD)
    dev_idp.admin("PUT", realm.name, json={"accessTokenLifespan": 1}).raise_for_status()
    try:
        token = realm_tokens(dev_idp, realm, "api-short", sso_client_a.defaults["HTTP_HOST"])["access_token"]
    finally:
        dev_idp.admin("PUT", realm.name, json={"accessTokenLifespan": 300}).raise_for_status()
    settings.SSO_LEEWAY = 0
    _, claims = decode_unverified(token)
    time.sleep(max(0.0, claims["exp"] - time.time()) + 1.1)
    refused(bearer(sso_client_a, token), "expired")


def test_token_of_another_region_is_refused(dev_idp, region_b, sso_client_a, sso_client_b, refused):
    realm_b = region_realm(region_b)
    account_ensure(realm_b, username="api-admin-b", roles=[Role.REGIONAL_ADMIN], password=PASSWORD)
    token_b = realm_tokens(dev_idp, realm_b, "api-admin-b", sso_client_b.defaults["HTTP_HOST"])[
        "access_token"
    ]
    assert bearer(sso_client_b, token_b).status_code == 200
    refused(bearer(sso_client_a, token_b), "wrong_issuer")


def test_region_token_is_refused_by_the_federal_api(admin_a, sso_public_client, refused):
    refused(bearer(sso_public_client, admin_a["access_token"], "/api/v1/regions/"), "wrong_issuer")


def test_federal_operator_token_works_on_the_federal_api_only(
    dev_idp, sso_public_client, sso_client_a, refused
):
    realm = federal_realm()
    account_ensure(realm, username="api-fed", roles=[Role.FEDERAL_OPERATOR], password=PASSWORD)
    token = realm_tokens(dev_idp, realm, "api-fed", sso_public_client.defaults["HTTP_HOST"])["access_token"]
    assert bearer(sso_public_client, token, "/api/v1/regions/").status_code == 200
    refused(bearer(sso_client_a, token, "/api/v1/schools/"), "wrong_issuer")


def test_token_for_another_client_is_refused(dev_idp, region_a, sso_client_a, refused):
    realm = region_realm(region_a)
    dev_idp.admin(
        "POST",
        f"{realm.name}/clients",
        json={
            "clientId": "other-app",
            "secret": "other-secret",
            "redirectUris": ["http://other.localhost/cb"],
        },
    )
    account_ensure(realm, username="api-other", roles=[Role.REGIONAL_ADMIN], password=PASSWORD)
    token = dev_idp.tokens(
        realm.name, "other-app", "other-secret", "http://other.localhost/cb", "api-other", PASSWORD
    )["access_token"]
    assert decode_unverified(token)[1]["aud"] == "other-app"
    refused(bearer(sso_client_a, token), "wrong_audience")


def test_tampered_token_is_refused(admin_a, sso_client_a, refused):
    header, _payload, signature = admin_a["access_token"].split(".")
    _, claims = decode_unverified(admin_a["access_token"])
    claims["realm_access"] = {"roles": ["regional_admin", "federal_operator"]}
    refused(bearer(sso_client_a, f"{header}.{b64(claims)}.{signature}"), "signature")


def test_alg_none_token_is_refused(admin_a, sso_client_a, refused):
    header, claims = decode_unverified(admin_a["access_token"])
    unsigned = f"{b64({**header, 'alg': 'none'})}.{b64(claims)}."
    refused(bearer(sso_client_a, unsigned), "algorithm")


def test_garbage_and_missing_tokens(dev_idp, sso_client_a, refused):
    refused(bearer(sso_client_a, "not-a-jwt"), "malformed")
    anonymous = sso_client_a.get("/api/v1/me/")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"].startswith("Bearer")
    assert "invalid_token" not in anonymous["WWW-Authenticate"]


def test_key_rotation_refreshes_the_jwks_once(dev_idp, region_a, sso_client_a, monkeypatch, refused):
    realm = region_realm(region_a)
    account_ensure(realm, username="api-rotate", roles=[Role.REGIONAL_ADMIN], password=PASSWORD)
    host = sso_client_a.defaults["HTTP_HOST"]
    old = realm_tokens(dev_idp, realm, "api-rotate", host)["access_token"]
    assert bearer(sso_client_a, old).status_code == 200  # JWKS now cached
    fetches: list[str] = []
    real_get_json = token_module._get_json

    def counting_get_json(url: str) -> dict:
        fetches.append(url)
        return real_get_json(url)

    monkeypatch.setattr(token_module, "_get_json", counting_get_json)
    with tenant_context(region_a):
        cache.delete(token_module._cache_key("jwks-refreshed", realm))
    new_kid = dev_idp.rotate_keys(realm.name)
    new = realm_tokens(dev_idp, realm, "api-rotate", host)["access_token"]
    assert decode_unverified(new)[0]["kid"] == new_kid != decode_unverified(old)[0]["kid"]
    assert bearer(sso_client_a, new).status_code == 200
    assert [u.endswith("/certs") for u in fetches] == [True]  # one refresh
    assert bearer(sso_client_a, new).status_code == 200 and len(fetches) == 1  # cached again
    assert bearer(sso_client_a, old).status_code == 200  # the previous key still verifies
    # an invented kid right after: refused, and no second refresh within the pause
    _header, payload, signature = new.split(".")
    forged = f"{b64({**decode_unverified(new)[0], 'kid': 'invented'})}.{payload}.{signature}"
    refused(bearer(sso_client_a, forged), "unknown_key")
    assert len(fetches) == 1


def test_openapi_declares_the_bearer_scheme(client_a):
    schema = client_a.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    scheme = schema["components"]["securitySchemes"]["bearerAuth"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert {"bearerAuth": []} in schema["paths"]["/api/v1/schools/"]["get"]["security"]


def test_id_token_is_not_an_access_token(admin_a, sso_client_a, refused):
    """An ID token names the client in ``aud`` too, and travels through browsers (the logout's
    ``id_token_hint``); Keycloak marks it ``typ: ID`` — the API takes only access tokens."""
    _header, claims = decode_unverified(admin_a["id_token"])
    assert claims.get("typ") == "ID" and claims["aud"] == "msh-region-05"
    refused(bearer(sso_client_a, admin_a["id_token"]), "wrong_type")


def test_hmac_token_signed_with_the_public_key_is_refused(admin_a, region_a, sso_client_a, refused):
    """Algorithm confusion: HS256 with the realm's public key (anyone can fetch it) as the secret."""
    import base64
    import hashlib
    import hmac

    import requests
    from joserfc.jwk import RSAKey

    realm = region_realm(region_a)
    header, claims = decode_unverified(admin_a["access_token"])
    jwks = requests.get(f"{realm.issuer}/protocol/openid-connect/certs", timeout=10).json()
    public = RSAKey.import_key(next(k for k in jwks["keys"] if k["kid"] == header["kid"]))
    signing_input = f"{b64({'alg': 'HS256', 'kid': header['kid'], 'typ': 'JWT'})}.{b64(claims)}"
    mac = hmac.new(public.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    refused(bearer(sso_client_a, forged), "algorithm")
