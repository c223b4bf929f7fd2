"""Routing a request to its region by host name.

The platform's own hosts (``PLATFORM_DOMAIN``) serve the federal console from ``public``.
Any other host must be a registered region domain; an unknown host gets a 404 page and the
connection stays on ``public`` — never another region's data. Which region a host belongs to is
remembered per process and checked against a shared version (``tenants.routing``).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import split_domain_port
from django.shortcuts import render
from django.urls import set_urlconf
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.db import db
from tenants.models import Region, RegionStatus
from tenants.routing import region_for_host

_public_tenant: Region | None = None


def public_tenant() -> Region:
    global _public_tenant
    if _public_tenant is None:
        _public_tenant = Region.objects.get(schema_name=settings.PUBLIC_SCHEMA_NAME)
    return _public_tenant


def _hostname(request: HttpRequest) -> str:
    host = request.META.get("HTTP_X_FORWARDED_HOST") if settings.USE_X_FORWARDED_HOST else None
    host = host or request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
    domain, _port = split_domain_port(host)
    return domain.rstrip(".").lower()


class RegionRoutingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        db.set_schema_to_public()
        hostname = _hostname(request)
        if hostname in settings.PLATFORM_HOSTS:
            tenant = public_tenant()
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF  # type: ignore[attr-defined]
        else:
            region = region_for_host(hostname)
            if region is None:
                # answered before LocaleMiddleware: the page picks the visitor's language itself
                with translation.override(translation.get_language_from_request(request)):
                    return render(request, "tenants/unknown_host.html", {"hostname": hostname}, status=404)
            tenant = region
            request.urlconf = settings.ROOT_URLCONF  # type: ignore[attr-defined]
        request.tenant = tenant  # type: ignore[attr-defined]
        db.set_tenant(tenant)
        set_urlconf(request.urlconf)  # type: ignore[attr-defined]
        try:
            tz = zoneinfo.ZoneInfo(tenant.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = zoneinfo.ZoneInfo("Europe/Moscow")
        try:
            with timezone.override(tz):
                return self.get_response(request)
        finally:
            db.set_schema_to_public()


class RegionStatusMiddleware:
    """A suspended region keeps its data but serves nobody: a clear page, 403 from the API."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is not None and tenant.status == RegionStatus.SUSPENDED and request.path != "/healthz":
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": _("Регион «%(name)s» временно приостановлен") % {"name": tenant.name},
                        "code": "region_suspended",
                    },
                    status=403,
                )
            return render(request, "tenants/suspended.html", {"tenant": tenant}, status=403)
        return self.get_response(request)
