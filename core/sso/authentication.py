"""API authentication: ``Authorization: Bearer <access token>`` of the host's realm.

The token is an RS256 JWT validated locally against the realm's cached JWKS (no call to the
identity provider per request): exact ``iss`` (the realm of this host — a token of another
region is refused), ``aud`` containing this realm's client, ``exp``. Refusals are 401 with
``WWW-Authenticate: Bearer error="invalid_token"``.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from core.sso.config import IdentityNotConfigured, identity_configured, realm_for_tenant
from core.sso.events import auth_event
from core.sso.linking import LinkError, user_for_claims
from core.sso.tokens import ProviderUnavailable, TokenError, validate_jwt


class InvalidToken(AuthenticationFailed):
    default_code = "invalid_token"


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Any) -> tuple[Any, dict[str, Any]] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        realm = realm_for_tenant(getattr(request._request, "tenant", None))
        if len(header) != 2:
            self._reject(request, realm.name, "malformed", _("Заголовок Authorization: Bearer <токен>"))
        if not identity_configured():
            self._reject(request, realm.name, "not_configured", _("Сервер входа не настроен"))
        raw = header[1].decode("latin-1")
        try:
            claims = validate_jwt(raw, realm=realm, audience=realm.client_id, kind="access")
            user = user_for_claims(claims, realm)
        except TokenError as exc:
            self._reject(
                request, realm.name, exc.reason, _("Токен доступа не принят: %(exc)s") % {"exc": exc}
            )
        except LinkError as exc:
            self._reject(request, realm.name, exc.reason, str(exc))
        except (ProviderUnavailable, IdentityNotConfigured) as exc:
            self._reject(request, realm.name, "provider_unavailable", str(exc))
        return user, claims

    def _reject(self, request: Any, realm: str, reason: str, message: str) -> NoReturn:
        auth_event("token_rejected", realm=realm, reason=reason, path=request.path)
        request._request.bearer_error = reason
        raise InvalidToken(message)

    def authenticate_header(self, request: Any) -> str:
        if getattr(request._request, "bearer_error", None):
            return 'Bearer realm="msh", error="invalid_token"'
        return 'Bearer realm="msh"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Declares the bearer scheme in the OpenAPI description (drf-spectacular)."""

    target_class = "core.sso.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": _(
                "Токен доступа (RS256) из realm региона в Keycloak; для федерального API — из realm федеральных операторов."
            ),
        }
