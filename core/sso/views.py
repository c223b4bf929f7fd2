"""Browser login through the host's realm: authorization code flow with PKCE (authlib).

``/accounts/login/`` → the realm's login page → ``/accounts/callback/`` (state, ``iss``, code
exchange, ID token validated: signature, ``iss``, ``aud``, ``exp``, ``nonce``) → a platform
session bound to the realm session (``sid``). ``/accounts/logout/`` (POST) ends both;
``/accounts/backchannel-logout/`` lets the identity provider end platform sessions.
"""

from __future__ import annotations

import re
import secrets
from importlib import import_module
from typing import Any

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from requests import RequestException

from core.db import db
from core.models import SsoSession
from core.sso.config import (
    CALLBACK_PATH,
    IdentityNotConfigured,
    RealmConfig,
    identity_configured,
    internal_url,
    realm_for_tenant,
)
from core.sso.events import auth_event
from core.sso.linking import LinkError, user_for_claims
from core.sso.tokens import ProviderUnavailable, TokenError, discovery, validate_jwt

FLOW_KEY = "sso_flow"
SESSION_KEY = "sso"
BACKEND = "core.sso.backends.AccountBackend"
_REGION_REALM = re.compile(r"/realms/region-(\d{2})$")


def _realm(request: HttpRequest) -> RealmConfig:
    return realm_for_tenant(getattr(request, "tenant", None))


def _problem(request: HttpRequest, title: str, message: str, status: int, **extra: Any) -> HttpResponse:
    return render(
        request, "core/sso_problem.html", {"title": title, "message": message, **extra}, status=status
    )


def _unavailable(request: HttpRequest, realm: RealmConfig, reason: str) -> HttpResponse:
    auth_event("login_failed", realm=realm.name, reason=reason)
    return _problem(
        request,
        _("Вход временно недоступен"),
        _(
            "Сервер входа не отвечает или не настроен. Попробуйте позже; если ошибка повторяется, сообщите в службу поддержки."
        ),
        503,
    )


def _oauth(realm: RealmConfig, request: HttpRequest) -> OAuth2Session:
    session = OAuth2Session(
        client_id=realm.client_id,
        client_secret=realm.client_secret,
        scope="openid profile",
        redirect_uri=request.build_absolute_uri(CALLBACK_PATH),
        code_challenge_method="S256",
    )
    session.timeout = settings.SSO_HTTP_TIMEOUT
    return session


@never_cache
@require_GET
def login(request: HttpRequest) -> HttpResponse:
    realm = _realm(request)
    next_url = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    if not identity_configured():
        return _unavailable(request, realm, "not_configured")
    try:
        metadata = discovery(realm)
    except (ProviderUnavailable, IdentityNotConfigured):
        return _unavailable(request, realm, "provider_unavailable")
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    # ui_locales: the sign-in page speaks the language the visitor reads the platform in
    url, _state = _oauth(realm, request).create_authorization_url(
        metadata["authorization_endpoint"],
        state=state,
        nonce=nonce,
        code_verifier=verifier,
        ui_locales=translation.get_language(),
    )
    request.session[FLOW_KEY] = {
        "state": state,
        "nonce": nonce,
        "verifier": verifier,
        "next": next_url,
        "realm": realm.name,
    }
    return HttpResponseRedirect(url)


def _wrong_region(request: HttpRequest, realm: RealmConfig, issuer: str) -> HttpResponse:
    """A user of another region (or of the federal console) came to this site."""
    from tenants.models import Region, RegionStatus

    auth_event("login_failed", realm=realm.name, reason="wrong_realm")
    match = _REGION_REALM.search(issuer or "")
    home_region, home_url = None, None
    if match:
        home_region = (
            Region.objects.exclude(status=RegionStatus.ARCHIVED)
            .filter(code=match.group(1))
            .prefetch_related("domains")
            .first()
        )
        if home_region is not None:
            primary = next((d for d in home_region.domains.all() if d.is_primary), None)
            if primary is not None:
                from core.sso.config import site_url

                home_url = site_url(primary.domain) + "/"
    return _problem(
        request,
        _("Учётная запись другого региона"),
        _(
            "Вы вошли учётной записью, которая не относится к этому сайту. Каждый регион обслуживает свой сайт: войдите на сайте своего региона."
        ),
        403,
        home_region=home_region,
        home_url=home_url,
    )


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    realm = _realm(request)
    flow = request.session.pop(FLOW_KEY, None)
    if (
        not flow
        or flow.get("realm") != realm.name
        or not secrets.compare_digest(str(flow.get("state", "")), request.GET.get("state", ""))
    ):
        auth_event("login_failed", realm=realm.name, reason="state_mismatch")
        return _problem(
            request,
            _("Вход не завершён"),
            _("Ссылка входа устарела или открыта в другом браузере. Начните вход заново."),
            400,
            retry=True,
        )
    if request.GET.get("error"):
        auth_event("login_failed", realm=realm.name, reason=f"idp_{request.GET['error'][:40]}")
        return _problem(request, _("Вход отменён"), _("Сервер входа не подтвердил вход."), 400, retry=True)
    issuer = request.GET.get("iss")
    if issuer is not None and issuer != realm.issuer:
        return _wrong_region(request, realm, issuer)
    try:
        metadata = discovery(realm)
        token = _oauth(realm, request).fetch_token(
            internal_url(metadata["token_endpoint"]),
            code=request.GET.get("code", ""),
            code_verifier=flow["verifier"],
        )
        id_token = token.get("id_token")
        if not id_token:
            raise TokenError("no_id_token", _("Сервер входа не выдал ID-токен"))
        claims = validate_jwt(id_token, realm=realm, audience=realm.client_id, kind="id", nonce=flow["nonce"])
    except TokenError as exc:
        if exc.reason == "wrong_issuer":
            return _wrong_region(request, realm, "")
        auth_event("login_failed", realm=realm.name, reason=exc.reason)
        return _problem(
            request, _("Вход не выполнен"), _("Сервер входа выдал токен, который не прошёл проверку."), 400
        )
    except OAuthError as exc:
        auth_event("login_failed", realm=realm.name, reason=f"token_{exc.error}"[:60])
        return _problem(
            request, _("Вход не выполнен"), _("Код входа устарел или уже использован."), 400, retry=True
        )
    except (ProviderUnavailable, IdentityNotConfigured, RequestException):
        return _unavailable(request, realm, "provider_unavailable")
    try:
        user = user_for_claims(claims, realm)
    except LinkError as exc:
        auth_event("login_failed", realm=realm.name, reason=exc.reason)
        return _problem(request, _("Вход невозможен"), str(exc), 403)

    auth.login(request, user, backend=BACKEND)
    sid = str(claims.get("sid") or "")
    request.session[SESSION_KEY] = {"realm": realm.name, "id_token": id_token, "sid": sid}
    request.session.save()
    if sid and request.session.session_key:
        SsoSession.objects.update_or_create(
            session_key=request.session.session_key, defaults={"sid": sid, "user": user}
        )
    auth_event("login", realm=realm.name, user_id=user.pk)
    return HttpResponseRedirect(flow.get("next") or "/")


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    realm = _realm(request)
    data = request.session.get(SESSION_KEY) or {}
    user_id = request.user.pk if request.user.is_authenticated else None
    if request.session.session_key:
        SsoSession.objects.filter(session_key=request.session.session_key).delete()
    auth.logout(request)
    auth_event("logout", realm=realm.name, user_id=user_id)
    home = request.build_absolute_uri("/")
    if not data.get("id_token") or not identity_configured():
        return HttpResponseRedirect("/")
    try:
        end_session = discovery(realm)["end_session_endpoint"]
    except (ProviderUnavailable, IdentityNotConfigured, KeyError):
        return HttpResponseRedirect("/")
    query = urlencode(
        {"id_token_hint": data["id_token"], "post_logout_redirect_uri": home, "client_id": realm.client_id}
    )
    return HttpResponseRedirect(f"{end_session}?{query}")


def end_sessions(*, sid: str = "", user_ids: list[int] | None = None) -> int:
    """End every platform session of a realm session (or of these users); returns how many."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    rows = SsoSession.objects.all()
    rows = rows.filter(sid=sid) if sid else rows.filter(user_id__in=user_ids or [])
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    rows.delete()
    return len(keys)


@csrf_exempt
@require_POST
@never_cache
def backchannel_logout(request: HttpRequest) -> HttpResponse:
    realm = _realm(request)
    raw = request.POST.get("logout_token", "")
    try:
        if not raw:
            raise TokenError("no_token", _("logout_token отсутствует"))
        claims = validate_jwt(raw, realm=realm, audience=realm.client_id, kind="logout")
    except TokenError as exc:
        auth_event("backchannel_rejected", realm=realm.name, reason=exc.reason)
        return JsonResponse({"error": "invalid_request", "error_description": str(exc)}, status=400)
    except (ProviderUnavailable, IdentityNotConfigured):
        auth_event("backchannel_rejected", realm=realm.name, reason="provider_unavailable")
        return JsonResponse({"error": "temporarily_unavailable"}, status=503)
    from core.models import User

    with transaction.atomic():
        if claims.get("sid"):
            ended = end_sessions(sid=str(claims["sid"]))
        else:
            ids = list(User.objects.filter(sso_subject=str(claims["sub"])).values_list("pk", flat=True))
            ended = end_sessions(user_ids=ids)
    auth_event("backchannel_logout", realm=realm.name, reason=f"sessions={ended}")
    return HttpResponse(status=200, headers={"Cache-Control": "no-store"})


class SuperuserOnlyForm(AuthenticationForm):
    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not user.is_superuser:
            raise ValidationError(
                _("Вход по паролю разрешён только аварийной учётной записи"), code="not_allowed"
            )


def password_login(request: HttpRequest) -> HttpResponseBase:
    """Break-glass: the federal console's superuser when the identity provider is down.
    Off unless SSO_PASSWORD_LOGIN is set; never on a region's site."""
    if not settings.SSO_PASSWORD_LOGIN or db.schema_name != settings.PUBLIC_SCHEMA_NAME:
        raise Http404
    response = auth_views.LoginView.as_view(
        template_name="core/login.html", authentication_form=SuperuserOnlyForm
    )(request)
    if request.method == "POST" and request.user.is_authenticated:
        auth_event("login", realm="password", user_id=request.user.pk, reason="break_glass")
    elif request.method == "POST":
        auth_event("login_failed", realm="password", reason="break_glass_refused")
    return response
