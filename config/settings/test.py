"""Tests: the real PostgreSQL (DATABASE_URL) or the embedded one; the real Redis."""

import os

from config.embedded_db import database_settings_from_url, embedded_database_url

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-key"  # noqa: S105
DATABASES = {
    "default": database_settings_from_url(os.environ.get("DATABASE_URL") or embedded_database_url()),
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PLATFORM_DOMAIN = "localhost"

# One queue and one cache prefix per test process: parallel runs on the same Redis never
# consume each other's tasks or read each other's keys. A worker started by the tests gets
# the same queue through CELERY_QUEUE.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE") or f"msh-test-{os.getpid()}"
CACHES["default"]["KEY_PREFIX"] = os.environ.get("CACHE_KEY_PREFIX") or f"msh-test-{os.getpid()}"  # noqa: F405
# A server process started by the end-to-end test runs tasks inline (it has no worker).
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER") == "1"
MEDIA_ROOT = VAR_DIR / "test-media" / str(os.getpid())  # noqa: F405
REGION_ARCHIVE_DIR = VAR_DIR / "test-archives"  # noqa: F405

# No identity provider unless a test starts the development one (tests/sso_support.py).
# A server process started by the end-to-end test is pointed at the test's identity provider
# through MSH_TEST_IDP_URL (never KEYCLOAK_URL: that one names a real Keycloak for the live test).
KEYCLOAK_URL = os.environ.get("MSH_TEST_IDP_URL", "")
SSO_CLIENT_SECRET_KEY = "test-only-sso-client-secret-key"  # noqa: S105
SITE_SCHEME = "http"
SITE_PORT = ""

IMPORT_DIR = VAR_DIR / "test-imports" / str(os.getpid())  # noqa: F405
