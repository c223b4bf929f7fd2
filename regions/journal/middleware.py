"""The journal's pages that a process already holds, served before URL resolution and the view."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from regions.journal.versions import remembered_page


class RememberedPageMiddleware:
    """Innermost: every other middleware has seen the request (session, language, CSRF, the
    region's status) and sees the response. A journal grid or diary week that this process sent
    the same user for the same URL, language, day and region, with every version it was made
    under unchanged, is sent again at once; anything else goes to the view, which renders or
    serves it through ``versions.cached_page`` (and so fills what this reads)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return remembered_page(request) or self.get_response(request)
