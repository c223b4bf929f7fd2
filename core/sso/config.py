"""Which realm, client and URLs belong to a region or to the federal console.

Everything is derived from settings and the region: realm ``region-<code>`` (federal operators:
``federal``), client ``msh-region-<code>`` (``msh-federal``), issuer
``<KEYCLOAK_URL>/realms/<realm>``, and the client secret HMAC(``SSO_CLIENT_SECRET_KEY``, client
id) — the platform sets that secret on the client it provisions, so no per-region secret is
stored in the database or the repository.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from core.db import db

CALLBACK_PATH = "/accounts/callback/"
BACKCHANNEL_PATH = "/accounts/backchannel-logout/"


class IdentityNotConfigured(Exception):
    """No identity provider is configured (``KEYCLOAK_URL`` is empty)."""


@dataclass(frozen=True)
class RealmConfig:
    name: str
    client_id: str
    # the schema whose users log in through this realm
    schema_name: str

    @property
    def issuer(self) -> str:
        return f"{keycloak_url()}/realms/{self.name}"

    @property
    def client_secret(self) -> str:
        key = settings.SSO_CLIENT_SECRET_KEY or settings.SECRET_KEY
        digest = hmac.new(key.encode(), f"oidc-client:{self.client_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    @property
    def is_federal(self) -> bool:
        return self.schema_name == settings.PUBLIC_SCHEMA_NAME


def identity_configured() -> bool:
    return bool(settings.KEYCLOAK_URL)


def keycloak_url() -> str:
    if not settings.KEYCLOAK_URL:
        raise IdentityNotConfigured(_("Сервер входа (KEYCLOAK_URL) не настроен"))
    return str(settings.KEYCLOAK_URL).rstrip("/")


def internal_url(url: str) -> str:
    """The URL a server-to-server call uses: KEYCLOAK_INTERNAL_URL replaces the public base."""
    public, internal = keycloak_url(), str(settings.KEYCLOAK_INTERNAL_URL or "").rstrip("/")
    if internal and url.startswith(public):
        return internal + url[len(public) :]
    return url


def region_realm(region: Any) -> RealmConfig:
    return RealmConfig(
        name=f"region-{region.code}",
        client_id=f"{settings.SSO_CLIENT_PREFIX}region-{region.code}",
        schema_name=region.schema_name,
    )


def federal_realm() -> RealmConfig:
    return RealmConfig(
        name=settings.SSO_FEDERAL_REALM,
        client_id=f"{settings.SSO_CLIENT_PREFIX}federal",
        schema_name=settings.PUBLIC_SCHEMA_NAME,
    )


def realm_for_tenant(tenant: Any) -> RealmConfig:
    """The realm whose users sign in on the host the request was routed to."""
    if tenant is None or getattr(tenant, "code", None) is None:
        return federal_realm()
    return region_realm(tenant)


def current_realm() -> RealmConfig:
    tenant = getattr(db, "tenant", None)
    if db.schema_name == settings.PUBLIC_SCHEMA_NAME:
        return federal_realm()
    return realm_for_tenant(tenant)


def site_url(domain: str) -> str:
    scheme = settings.SITE_SCHEME
    port = str(settings.SITE_PORT or "")
    default = {"http": "80", "https": "443"}.get(scheme)
    suffix = f":{port}" if port and port != default else ""
    return f"{scheme}://{domain}{suffix}"


def client_urls(domains: Iterable[str], primary: str) -> dict[str, Any]:
    """Redirect, post-logout and back-channel URLs of a client serving these host names."""
    sites = [site_url(d) for d in sorted(set(domains))]
    if not sites:
        raise ImproperlyConfigured("a client needs at least one domain")
    return {
        "redirect_uris": [f"{s}{CALLBACK_PATH}" for s in sites],
        "post_logout_redirect_uris": [f"{s}/" for s in sites],
        "backchannel_logout_url": f"{site_url(primary)}{BACKCHANNEL_PATH}",
        "web_origins": sites,
    }
