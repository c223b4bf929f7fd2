"""Development: ``make run``. Works with no configuration at all."""

import os

from config.embedded_db import database_settings_from_url, embedded_database_url
from config.env import env_bool

from .base import *  # noqa: F403

DEBUG = env_bool("DJANGO_DEBUG", True)
DATABASES = {
    "default": database_settings_from_url(os.environ.get("DATABASE_URL") or embedded_database_url()),
}
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
PUBLIC_URL_SCHEME = os.environ.get("PUBLIC_URL_SCHEME", "http")
PUBLIC_URL_PORT = os.environ.get("PUBLIC_URL_PORT", os.environ.get("PORT", "8000"))
