"""``manage.py check --deploy`` is clean with production settings."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# what production requires to start (placeholders: nothing here is contacted)
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x" * 20 + "-prod-secret-for-the-check-only-" + "y" * 20,
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
    "PLATFORM_DOMAIN": "school.example.ru",
    "KEYCLOAK_URL": "https://id.school.example.ru",
    "SSO_CLIENT_SECRET_KEY": "z" * 40,
}


def test_check_deploy_is_clean_with_production_settings():
    env = {**os.environ, **PRODUCTION}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_cookies_are_host_only_secure_and_lax():
    """The session and CSRF cookies in production: Secure, HttpOnly (session), SameSite=Lax (the
    identity provider's redirect back is cross-site and needs the session), and the ``__Host-``
    prefix (no Domain attribute: another site under the platform's domain cannot plant them)."""
    env = {**os.environ, **PRODUCTION}
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ("
        "'SESSION_COOKIE_NAME', 'SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
        "'SESSION_COOKIE_SAMESITE', 'SESSION_COOKIE_DOMAIN', 'SESSION_COOKIE_PATH', "
        "'CSRF_COOKIE_NAME', 'CSRF_COOKIE_SECURE', 'CSRF_COOKIE_SAMESITE', 'CSRF_COOKIE_DOMAIN', "
        "'CSRF_COOKIE_PATH')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    cookies = json.loads(result.stdout.strip().splitlines()[-1])
    assert cookies == {
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_PATH": "/",
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_DOMAIN": None,
        "CSRF_COOKIE_PATH": "/",
    }
