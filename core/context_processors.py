from django.conf import settings

from core.db import db


def platform(request):
    tenant = getattr(request, "tenant", None)
    is_region = tenant is not None and db.schema_name != settings.PUBLIC_SCHEMA_NAME
    return {"region": tenant if is_region else None, "platform_domain": settings.PLATFORM_DOMAIN}
