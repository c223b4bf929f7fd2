"""Development: ``make run``. Works with no configuration at all."""

import hashlib
import os

from config.embedded_db import database_settings_from_url, embedded_database_url
from config.env import env_bool, env_str

from .base import *  # noqa: F403

DEBUG = env_bool("DJANGO_DEBUG", True)
DATABASES = {
    "default": database_settings_from_url(os.environ.get("DATABASE_URL") or embedded_database_url()),
}
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# The development identity provider (deploy/dev-idp) that `make run` starts on loopback.
KEYCLOAK_URL = env_str("KEYCLOAK_URL", "http://127.0.0.1:8180").rstrip("/")
KEYCLOAK_ADMIN_USER = env_str("KEYCLOAK_ADMIN_USER", "admin")
KEYCLOAK_ADMIN_PASSWORD = env_str("KEYCLOAK_ADMIN_PASSWORD", "admin")
SSO_CLIENT_SECRET_KEY = env_str("SSO_CLIENT_SECRET_KEY", "dev-only-sso-client-secret-key")
SITE_SCHEME = env_str("SITE_SCHEME", "http")
SITE_PORT = env_str("SITE_PORT", os.environ.get("PORT", "8000"))
PUBLIC_URL_SCHEME = os.environ.get("PUBLIC_URL_SCHEME", "http")
PUBLIC_URL_PORT = os.environ.get("PUBLIC_URL_PORT", os.environ.get("PORT", "8000"))

# One queue per checkout: two `make run`s on one machine share Redis but not their databases,
# so a worker must never take the other checkout's tasks.
CELERY_TASK_DEFAULT_QUEUE = env_str(
    "CELERY_QUEUE",
    "msh-dev-" + hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:8],  # noqa: F405
)
