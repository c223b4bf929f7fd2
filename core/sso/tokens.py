"""Discovery, the realm's JWKS (cached), and validation of the JWTs a realm issues.

Tokens are validated locally: RS256 only (``alg: none`` and HMAC are refused before anything
else), the signature against the realm's cached JWKS, exact ``iss``, ``aud`` containing the
client, ``exp`` with a small leeway, and the ``nonce`` of the login for ID tokens. An unknown
``kid`` refreshes the JWKS once (key rotation), at most once per realm every few seconds so
that tokens with invented key ids cannot make us hammer the identity provider. A back-channel
logout token also needs the logout event, ``sid`` or ``sub``, no ``nonce``, a ``jti`` not seen
before and, without ``exp``, an ``iat`` of the last few minutes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from core.sso.config import RealmConfig, internal_url

ALGORITHM = "RS256"
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# A logout token without ``exp`` is accepted this long after its ``iat`` (and its ``jti`` is
# remembered as long: the same token twice is refused).
LOGOUT_TOKEN_MAX_AGE = 300
_REFRESH_PAUSE = 10  # seconds between two forced JWKS refreshes of one realm


class TokenError(Exception):
    """A token that must not be accepted. ``reason`` is a short code for logs and responses."""

    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or reason)
        self.reason = reason


class ProviderUnavailable(Exception):
    """The identity provider did not answer (discovery, JWKS or token endpoint)."""


def _cache_key(kind: str, realm: RealmConfig) -> str:
    # the issuer includes KEYCLOAK_URL: a changed identity provider never reuses old keys
    return f"sso:{kind}:{hashlib.sha256(realm.issuer.encode()).hexdigest()[:32]}"


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(internal_url(url), timeout=settings.SSO_HTTP_TIMEOUT)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(
            _("Сервер входа не ответил: %(error)s") % {"error": exc.__class__.__name__}
        ) from exc
    if not isinstance(data, dict):
        raise ProviderUnavailable(_("Сервер входа ответил не JSON-объектом"))
    return data


def discovery(realm: RealmConfig) -> dict[str, Any]:
    key = _cache_key("discovery", realm)
    data = cache.get(key)
    if data is None:
        data = _get_json(f"{realm.issuer}/.well-known/openid-configuration")
        if data.get("issuer") != realm.issuer:
            raise ProviderUnavailable(_("Сервер входа назвал другой issuer, чем ожидалось"))
        cache.set(key, data, settings.SSO_JWKS_TTL)
    return data


def _jwks(realm: RealmConfig, *, refresh: bool = False) -> dict[str, Any]:
    key = _cache_key("jwks", realm)
    data = None if refresh else cache.get(key)
    if data is None:
        data = _get_json(discovery(realm)["jwks_uri"])
        cache.set(key, data, settings.SSO_JWKS_TTL)
    return data


def _key_set(realm: RealmConfig, kid: str) -> KeySet:
    data = _jwks(realm)
    if not any(k.get("kid") == kid for k in data.get("keys", [])) and cache.add(
        _cache_key("jwks-refreshed", realm), 1, _REFRESH_PAUSE
    ):
        data = _jwks(realm, refresh=True)
    keys = [k for k in data.get("keys", []) if k.get("kid") == kid and k.get("kty") == "RSA"]
    if not keys:
        raise TokenError("unknown_key", _("Ключ подписи токена неизвестен серверу входа"))
    return KeySet.import_key_set({"keys": keys})


def _segment(raw: str, index: int) -> dict[str, Any]:
    parts = raw.split(".")
    if len(parts) != 3:
        raise TokenError("malformed", _("Токен не является JWT"))
    try:
        padded = parts[index] + "=" * (-len(parts[index]) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError) as exc:
        raise TokenError("malformed", _("Токен не читается")) from exc
    if not isinstance(value, dict):
        raise TokenError("malformed", _("Токен не читается"))
    return value


def validate_jwt(
    raw: str,
    *,
    realm: RealmConfig,
    audience: str,
    kind: str,
    nonce: str | None = None,
) -> dict[str, Any]:
    """The claims of a token that passed every check; :class:`TokenError` otherwise.

    ``kind``: ``access`` (API bearer token), ``id`` (ID token of a login; ``nonce`` required)
    or ``logout`` (back-channel logout token)."""
    header = _segment(raw, 0)
    if header.get("alg") != ALGORITHM:
        raise TokenError(
            "algorithm",
            _("Алгоритм подписи %(value)s не принимается") % {"value": repr(str(header.get("alg"))[:16])},
        )
    # A token of another realm is refused before any key lookup: its key id must not make us
    # refresh our realm's JWKS. (The issuer is checked again after the signature.)
    if _segment(raw, 1).get("iss") != realm.issuer:
        raise TokenError("wrong_issuer", _("Токен выпущен другим сервером входа или для другого региона"))
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenError("no_kid", _("В токене нет идентификатора ключа (kid)"))
    key_set = _key_set(realm, kid)
    try:
        token = jwt.decode(raw, key_set, algorithms=[ALGORITHM])
    except JoseError as exc:
        raise TokenError("signature", _("Подпись токена неверна")) from exc
    claims: dict[str, Any] = dict(token.claims)

    options: dict[str, Any] = {
        "iss": {"essential": True, "value": realm.issuer},
        "aud": {"essential": True, "value": audience},
        "sub": {"essential": kind != "logout"},
        "exp": {"essential": kind != "logout"},
        "iat": {"essential": True},
    }
    if kind == "id":
        options["nonce"] = {"essential": True, "value": nonce}
    registry = jwt.JWTClaimsRegistry(leeway=settings.SSO_LEEWAY, **options)
    # which claim failed decides the reason: a foreign realm and a foreign client are told apart
    for claim in ("iss", "aud"):
        value = claims.get(claim)
        if value is None:
            raise TokenError(f"no_{claim}", _("В токене нет %(claim)s") % {"claim": claim})
    if claims["iss"] != realm.issuer:
        raise TokenError("wrong_issuer", _("Токен выпущен другим сервером входа или для другого региона"))
    try:
        registry.validate(claims)
    except JoseError as exc:
        error = getattr(exc, "error", "")
        claim = getattr(exc, "claim", "") or str(exc)
        if error == "expired_token" or claim == "exp":
            raise TokenError("expired", _("Срок действия токена истёк")) from exc
        if "aud" in claim:
            raise TokenError("wrong_audience", _("Токен выпущен для другого приложения")) from exc
        if claim == "nonce":
            raise TokenError("wrong_nonce", _("ID-токен выпущен не для этого входа (nonce)")) from exc
        raise TokenError(
            "invalid_claims", _("Токен не прошёл проверку (%(claim)s)") % {"claim": claim[:40]}
        ) from exc

    typ = claims.get("typ")
    if kind == "access" and typ not in (None, "Bearer"):
        raise TokenError("wrong_type", _("Это не токен доступа"))
    if kind == "id":
        if typ not in (None, "ID"):
            raise TokenError("wrong_type", _("Это не ID-токен"))
        azp = claims.get("azp")
        if azp is not None and azp != audience:
            raise TokenError("wrong_audience", _("ID-токен выпущен для другого приложения"))
    if kind == "logout":
        events = claims.get("events")
        if not isinstance(events, dict) or LOGOUT_EVENT not in events:
            raise TokenError("not_logout_token", _("В токене нет события выхода"))
        if "nonce" in claims:
            raise TokenError("not_logout_token", _("Токен выхода не должен содержать nonce"))
        if not claims.get("sid") and not claims.get("sub"):
            raise TokenError("not_logout_token", _("В токене выхода нет ни sid, ни sub"))
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise TokenError("not_logout_token", _("В токене выхода нет jti"))
        if "exp" not in claims and claims["iat"] < time.time() - LOGOUT_TOKEN_MAX_AGE - settings.SSO_LEEWAY:
            raise TokenError("expired", _("Срок действия токена истёк"))
        # a replayed logout token (with only ``sub``, it would end the person's later sessions)
        seen = f"{_cache_key('logout-jti', realm)}:{hashlib.sha256(jti.encode()).hexdigest()[:32]}"
        if not cache.add(seen, 1, LOGOUT_TOKEN_MAX_AGE + 2 * settings.SSO_LEEWAY):
            raise TokenError("replayed", _("Этот токен выхода уже был принят"))
    return claims
