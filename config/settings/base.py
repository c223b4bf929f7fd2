"""Settings shared by every environment. Everything configurable comes from the environment
(see docs/settings.md for the table of variables)."""

from __future__ import annotations

from pathlib import Path

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = False

# The federal operator's console answers on the platform's own host names; every region
# answers on its own domains (``<region>.<platform domain>``).
PLATFORM_DOMAIN = env_str("PLATFORM_DOMAIN", "localhost")
PLATFORM_HOSTS = [PLATFORM_DOMAIN, *env_list("PLATFORM_EXTRA_HOSTS")]
ALLOWED_HOSTS = [PLATFORM_DOMAIN, f".{PLATFORM_DOMAIN}", *env_list("ALLOWED_HOSTS")]

# --- Tenancy (django-tenants) -------------------------------------------------------------
# public: only what is truly federal. Region schema: schools, people and teaching.
SHARED_APPS = [
    "django_tenants",
    "core",
    "tenants",
    "tenants.imports",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "core",
    "regions.schools",
    "regions.people",
    "regions.academics",
    "regions.teaching",
    "regions.timetable",
    "regions.journal",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Region"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_region"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
TENANT_CREATION_FAKES_MIGRATIONS = False
# ``SET search_path`` once per request (set_tenant, a rollback or a closed connection resets
# it) instead of before every query: it halves the round trips of a page (see make bench).
TENANT_LIMIT_SET_CALLS = True

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tenants.middleware.RegionRoutingMiddleware",
    "core.sessions.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "core.sessions.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenants.middleware.RegionStatusMiddleware",
    # innermost: sees every 403 of a served region (a suspended region's page is not a denial)
    "core.sso.middleware.DeniedAccessLogMiddleware",
    # innermost of all: a journal page this process already holds, before URL resolution
    "regions.journal.middleware.RememberedPageMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.platform",
                "regions.journal.context_processors.journal_nav",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "core.User"
# ModelBackend whose get_user reuses the account while its data versions hold (core.sso.backends)
AUTHENTICATION_BACKENDS = ["core.sso.backends.AccountBackend"]
# Sessions in each schema's django_session, remembered per process and confirmed in the request's
# first query (core.sessions): a signed-in page costs no extra round trip for its session.
SESSION_ENGINE = "core.sessions"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Database ------------------------------------------------------------------------------
# Set by each environment module: production demands DATABASE_URL; development and tests fall
# back to the embedded PostgreSQL under var/.
DATABASES: dict[str, dict[str, object]] = {}
# (persistent connections, DB_CONN_MAX_AGE, are part of each DATABASES entry: config.embedded_db)

# --- Language, time ------------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский"), ("en", "English")]
# Russian msgids in the code; locale/en holds the English, locale/ru only the three Russian
# plural forms (see ARCHITECTURE.md "Languages"; refresh with `make messages`).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Dates are DD.MM.YYYY in every language (config/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True
# Stored in UTC; each request runs in its region's own time zone (Region.timezone).
TIME_ZONE = "UTC"
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]

# --- Static and media ----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Files are stored per region schema: MEDIA_ROOT/<schema>/...
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Cache: keys always carry the schema ------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "core.cache.RedisCache",
        "LOCATION": env_str("CACHE_URL", REDIS_URL),
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "msh"),
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}

# --- Celery (tenant-aware: every task carries its schema) -----------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "msh")
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- REST API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.sso.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Моя школа API",
    "DESCRIPTION": "API региональной школьной платформы. Федеральный API отвечает на домене платформы, "
    "API региона — на доменах региона.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # several models have a field named "kind" with different choices
    "ENUM_NAME_OVERRIDES": {
        "HolidayKindEnum": "regions.academics.models.HolidayKind",
        "ScaleKindEnum": "regions.academics.models.ScaleKind",
        "GroupKindEnum": "regions.teaching.models.GroupKind",
        "AttendanceKindEnum": "regions.journal.models.AttendanceKind",
        "NotificationKindEnum": "regions.journal.models.NotificationKind",
    },
}

# --- Identity provider (Keycloak): one realm per region, one federal realm ----------------------
# Unset KEYCLOAK_URL = no identity provider: regions are still created, their realms stay
# "pending" until one is configured (see docs/settings.md and ARCHITECTURE.md "Identity and SSO").
KEYCLOAK_URL = env_str("KEYCLOAK_URL", "").rstrip("/")
# Server-to-server calls (discovery, token, JWKS, admin API) go here when set; browsers use
# KEYCLOAK_URL. Tokens keep KEYCLOAK_URL's issuer.
KEYCLOAK_INTERNAL_URL = env_str("KEYCLOAK_INTERNAL_URL", "").rstrip("/")
KEYCLOAK_ADMIN_REALM = env_str("KEYCLOAK_ADMIN_REALM", "master")
KEYCLOAK_ADMIN_CLIENT_ID = env_str("KEYCLOAK_ADMIN_CLIENT_ID", "admin-cli")
KEYCLOAK_ADMIN_CLIENT_SECRET = env_str("KEYCLOAK_ADMIN_CLIENT_SECRET", "")
KEYCLOAK_ADMIN_USER = env_str("KEYCLOAK_ADMIN_USER", "")
KEYCLOAK_ADMIN_PASSWORD = env_str("KEYCLOAK_ADMIN_PASSWORD", "")
# Each realm's OIDC client secret is HMAC(SSO_CLIENT_SECRET_KEY, client id): the platform sets
# it on the client it provisions, so no per-region secret is stored anywhere.
SSO_CLIENT_SECRET_KEY = env_str("SSO_CLIENT_SECRET_KEY", "")
SSO_FEDERAL_REALM = env_str("SSO_FEDERAL_REALM", "federal")
SSO_CLIENT_PREFIX = env_str("SSO_CLIENT_PREFIX", "msh-")
# How the platform's own sites are reached by browsers: redirect URIs registered in the realms.
SITE_SCHEME = env_str("SITE_SCHEME", "https")
SITE_PORT = env_str("SITE_PORT", "")
SSO_JWKS_TTL = env_int("SSO_JWKS_TTL", 3600)
SSO_LEEWAY = env_int("SSO_LEEWAY", 30)
SSO_HTTP_TIMEOUT = env_int("SSO_HTTP_TIMEOUT", 10)
SSO_PROVISION_BATCH = env_int("SSO_PROVISION_BATCH", 500)
# Break-glass: Django's own password login for superusers on the federal console only.
SSO_PASSWORD_LOGIN = env_bool("SSO_PASSWORD_LOGIN", False)
LOGIN_URL = "login"

# --- Registry import: uploaded and copied bundles, one folder per job ---------------------------
IMPORT_DIR = Path(env_str("IMPORT_DIR", str(VAR_DIR / "imports")))
# Files with at least this many rows are read in batches (tenants/imports/fast.py); smaller ones
# row by row, where loading pyarrow would cost more than it saves.
IMPORT_FAST_READ_MIN_ROWS = env_int("IMPORT_FAST_READ_MIN_ROWS", 20_000)

# --- Links in e-mails: <scheme>://<region's primary domain>[:<port>]/... ----------------------
PUBLIC_URL_SCHEME = env_str("PUBLIC_URL_SCHEME", "https")
PUBLIC_URL_PORT = env_str("PUBLIC_URL_PORT", "")

# --- Regions: archives are schema dumps written before a region is detached ------------------
REGION_ARCHIVE_DIR = Path(env_str("REGION_ARCHIVE_DIR", str(VAR_DIR / "archives")))

# --- Logging: structured enough to grep; never personal data ---------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"tenant": {"()": "django_tenants.log.TenantContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(schema_name)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["tenant"], "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # login, logout, rejected tokens, denied access: user id, realm and reason only
        "msh.auth": {"level": "INFO"},
    },
}
