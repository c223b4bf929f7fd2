# mypy: disable-error-code="misc"
# (factory_boy factories are typed as the factory classes, not the models they build)
"""Back-channel logout tokens, rule by rule: each way a logout token must be refused leaves the
platform session alive; the valid one ends it, once.

The tokens are signed here with a key of the test, put in the realm's cached JWKS (the identity
provider is never asked: ``KEYCLOAK_URL`` points at a closed port), so that tokens the
development identity provider would never issue — with a ``nonce``, without the event — can be
built."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import tenant_context
from joserfc import jwt
from joserfc.jwk import RSAKey

from core.models import SsoSession
from core.roles import Role
from core.sso import tokens as token_module
from core.sso.config import region_realm
from core.sso.tokens import LOGOUT_EVENT
from tests.factories import UserFactory

KID = "test-logout-key"


@pytest.fixture
def signer(region_a, settings):
    settings.KEYCLOAK_URL = "http://127.0.0.1:9"  # nothing answers: keys come from the cache only
    realm = region_realm(region_a)
    key = RSAKey.generate_key(2048, parameters={"kid": KID})
    other = RSAKey.generate_key(2048, parameters={"kid": KID})  # same kid, not the realm's key
    with tenant_context(region_a):
        cache.set(
            token_module._cache_key("discovery", realm),
            {"issuer": realm.issuer, "jwks_uri": f"{realm.issuer}/protocol/openid-connect/certs"},
            300,
        )
        cache.set(token_module._cache_key("jwks", realm), {"keys": [key.as_dict(private=False)]}, 300)

    def sign(claims: dict[str, Any], *, with_key: RSAKey | None = None, header: dict | None = None) -> str:
        return jwt.encode({"alg": "RS256", "kid": KID, **(header or {})}, claims, with_key or key)

    sign.realm = realm  # type: ignore[attr-defined]
    sign.other_key = other  # type: ignore[attr-defined]
    return sign


@pytest.fixture
def signed_in(region_a, client_a):
    """A platform session of region A bound to the realm session ``sid-1``."""
    with tenant_context(region_a):
        user = UserFactory(roles=[Role.TEACHER], sso_subject="subject-1")
        client_a.force_login(user)
        SsoSession.objects.create(session_key=client_a.session.session_key, sid="sid-1", user=user)
    return client_a


def claims_for(realm, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": realm.issuer,
        "aud": realm.client_id,
        "iat": now,
        "exp": now + 120,
        "jti": str(uuid.uuid4()),
        "sub": "subject-1",
        "sid": "sid-1",
        "events": {LOGOUT_EVENT: {}},
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def post(token: str) -> Any:
    return Client(HTTP_HOST="r05.localhost").post("/accounts/backchannel-logout/", {"logout_token": token})


def signed_in_still(client: Client) -> bool:
    return client.get("/api/v1/me/").status_code == 200


REFUSALS: dict[str, tuple[dict[str, Any], str]] = {
    "nonce": ({"nonce": "abc"}, "not_logout_token"),
    "no_event": ({"events": {"http://schemas.openid.net/event/other": {}}}, "not_logout_token"),
    "events_not_object": ({"events": [LOGOUT_EVENT]}, "not_logout_token"),
    "neither_sid_nor_sub": ({"sid": None, "sub": None}, "not_logout_token"),
    "no_jti": ({"jti": None}, "not_logout_token"),
    "wrong_audience": ({"aud": "another-client"}, "wrong_audience"),
    "wrong_issuer": ({"iss": "http://127.0.0.1:9/realms/region-16"}, "wrong_issuer"),
    "expired": ({"iat": int(time.time()) - 900, "exp": int(time.time()) - 600}, "expired"),
    "old_without_exp": ({"iat": int(time.time()) - 900, "exp": None}, "expired"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_logout_token_is_refused(case, signer, signed_in, caplog):
    changes, reason = REFUSALS[case]
    response = post(signer(claims_for(signer.realm, **changes)))
    assert response.status_code == 400, response.content
    assert signed_in_still(signed_in)
    events = [r.getMessage() for r in caplog.records if r.name == "msh.auth"]
    assert any(e.startswith("auth backchannel_rejected") and f"reason={reason}" in e for e in events), events


def test_logout_token_signed_by_another_key_is_refused(signer, signed_in):
    assert post(signer(claims_for(signer.realm), with_key=signer.other_key)).status_code == 400
    assert signed_in_still(signed_in)


def test_tampered_logout_token_is_refused(signer, signed_in):
    from tests.sso_support import b64, decode_unverified

    genuine = signer(claims_for(signer.realm, sid="another-sid"))
    header, _payload, signature = genuine.split(".")
    claims = {**decode_unverified(genuine)[1], "sid": "sid-1"}
    assert post(f"{header}.{b64(claims)}.{signature}").status_code == 400
    assert signed_in_still(signed_in)


def test_hmac_logout_token_is_refused(signer, signed_in):
    from joserfc.jwk import OctKey

    token = jwt.encode({"alg": "HS256", "kid": KID}, claims_for(signer.realm), OctKey.import_key(b"k" * 32))
    assert post(token).status_code == 400
    assert signed_in_still(signed_in)


def test_valid_logout_token_ends_the_session_once(signer, signed_in, region_a):
    token = signer(claims_for(signer.realm))
    assert post(token).status_code == 200
    assert not signed_in_still(signed_in)
    with tenant_context(region_a):
        assert not SsoSession.objects.filter(sid="sid-1").exists()
    assert post(token).status_code == 400  # the same token again: replayed


def test_logout_token_with_only_sub_ends_every_session_of_the_person(signer, signed_in):
    assert post(signer(claims_for(signer.realm, sid=None, exp=None))).status_code == 200
    assert not signed_in_still(signed_in)
