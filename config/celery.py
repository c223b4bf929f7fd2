"""The Celery app. It is tenant-aware (tenant-schemas-celery): a task queued inside a region's
schema carries that schema in its headers and the worker runs it there. A plain Celery app
would run every task in ``public``."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")

app = CeleryApp("moya_shkola")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
