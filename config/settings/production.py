"""Production: everything from the environment; a missing or malformed setting stops the start."""

from django.core.exceptions import ImproperlyConfigured

from config.embedded_db import database_settings_from_url
from config.env import env_bool, env_int, env_list, env_str

from .base import *  # noqa: F403
from .base import PLATFORM_DOMAIN

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only"):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a random string of at least 50 characters")

DATABASES = {"default": database_settings_from_url(env_str("DATABASE_URL"))}

ALLOWED_HOSTS = [PLATFORM_DOMAIN, f".{PLATFORM_DOMAIN}", *env_list("ALLOWED_HOSTS")]
CSRF_TRUSTED_ORIGINS = [f"https://{PLATFORM_DOMAIN}", f"https://*.{PLATFORM_DOMAIN}"]

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
# Lax, not Strict: the identity provider's redirect to /accounts/callback/ is a cross-site
# navigation, and it needs the session that holds the login's state, nonce and PKCE verifier.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# "__Host-": the browser keeps these cookies to the exact host (Secure, Path=/, no Domain), so
# no other site under the platform's domain — another region's — can set or overwrite them
# (cookie tossing: a planted session or CSRF cookie).
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
X_FRAME_OPTIONS = "DENY"

# The identity provider is required in production; so is the key client secrets derive from.
KEYCLOAK_URL = env_str("KEYCLOAK_URL").rstrip("/")
SSO_CLIENT_SECRET_KEY = env_str("SSO_CLIENT_SECRET_KEY")
if len(SSO_CLIENT_SECRET_KEY) < 32:
    raise ImproperlyConfigured("SSO_CLIENT_SECRET_KEY must be a random string of at least 32 characters")
SITE_SCHEME = "https"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"noreply@{PLATFORM_DOMAIN}")
