"""``manage.py check --deploy`` is clean with production settings."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 20 + "-prod-secret-for-the-check-only-" + "y" * 20,
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
        "PLATFORM_DOMAIN": "school.example.ru",
        "KEYCLOAK_URL": "https://id.school.example.ru",
        "SSO_CLIENT_SECRET_KEY": "z" * 40,
    }
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
