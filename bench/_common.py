"""Helpers for benchmark scripts: a throw-away database and BENCH output."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bench(name: str, value: float, unit: str) -> None:
    print(f"BENCH {name} {value:.4g} {unit}", flush=True)


def setup_django(database: str) -> None:
    """Point Django at a fresh database ``database`` on the server of DATABASE_URL (or the
    embedded one), recreating it, then ``django.setup()``."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import psycopg

    from config.embedded_db import embedded_database_url

    base = os.environ.get("DATABASE_URL") or embedded_database_url()
    admin_url = _with_database(base, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    os.environ["DATABASE_URL"] = _with_database(base, database)
    import django

    django.setup()


def _with_database(url: str, database: str) -> str:
    from urllib.parse import urlparse, urlunparse

    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"/{database}"))


def drop_database(database: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    admin_url = _with_database(os.environ["DATABASE_URL"], "postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
