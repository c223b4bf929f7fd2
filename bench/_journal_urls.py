"""The region's URLs plus ``/bench-hello/``: the baseline view of ``bench_journal.py``."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls_region import urlpatterns as region_urlpatterns


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello, world", content_type="text/plain")


urlpatterns = [path("bench-hello/", hello), *region_urlpatterns]
