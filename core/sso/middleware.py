"""Every refused request is an authentication event: 403 from any page or endpoint, whichever
check refused it (service rules, DRF permissions, ``PermissionDenied`` in a view)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core.sso.config import realm_for_tenant
from core.sso.events import auth_event


class DeniedAccessLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 403:
            user = getattr(request, "user", None)
            tenant = getattr(request, "tenant", None)
            auth_event(
                "access_denied",
                realm=realm_for_tenant(tenant).name if tenant is not None else "",
                user_id=user.pk if user is not None and user.is_authenticated else None,
                reason="forbidden",
                path=request.path,
            )
        return response
