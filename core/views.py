import datetime
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import cache_control
from django.views.decorators.http import last_modified
from django.views.i18n import JavaScriptCatalog

from core.db import db


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "schema": db.schema_name})


def _catalog_changed(request: HttpRequest, *args: object, **kwargs: object) -> datetime.datetime | None:
    """The newest compiled JavaScript catalog: a browser's copy stays valid (304) until a deploy
    brings new translations."""
    times = [
        path.stat().st_mtime
        for root in settings.LOCALE_PATHS
        for path in Path(root).glob("*/LC_MESSAGES/djangojs.mo")
    ]
    return datetime.datetime.fromtimestamp(max(times), tz=datetime.UTC) if times else None


# The words of the pages' scripts (journal grid, diary) in the request's language. Only
# LOCALE_PATHS (the project's own catalogs) are read, not every installed app's. The URL
# carries the language (?l=…) so that a browser never reuses one language's catalog for
# another; no-cache + Last-Modified: it asks each time and gets a 304 until a deploy.
@method_decorator(cache_control(private=True, no_cache=True), name="get")
@method_decorator(last_modified(_catalog_changed), name="get")
class JavaScriptCatalogView(JavaScriptCatalog):
    packages = ["core"]
