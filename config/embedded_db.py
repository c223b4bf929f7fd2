"""An embedded PostgreSQL for development and tests when ``DATABASE_URL`` is unset.

The ``pgserver`` package ships PostgreSQL 16 binaries; the cluster lives under
``var/pgdata`` and keeps running between commands (``cleanup_mode=None``), so
``make run`` and ``make test`` start it once and reuse it.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from config.env import env_int

BASE_DIR = Path(__file__).resolve().parent.parent


def embedded_pg_bin_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("pgserver")  # located without importing it (no side effects)
    if spec is None or spec.origin is None:
        raise RuntimeError("the pgserver package is not installed")
    return Path(spec.origin).parent / "pginstall" / "bin"


def embedded_database_url(database: str = "postgres") -> str:
    """Start (or reuse) the embedded cluster and return a libpq URL for it."""
    import logging

    # pgserver logs every process exit at INFO; its cluster outlives us on purpose.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(BASE_DIR / "var" / "run"))
    (BASE_DIR / "var" / "run").mkdir(mode=0o700, parents=True, exist_ok=True)
    (BASE_DIR / "var" / "run").chmod(0o700)
    import pgserver

    pgdata = Path(os.environ.get("EMBEDDED_PGDATA", BASE_DIR / "var" / "pgdata"))
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # pgserver keeps the pids of its users in a JSON file it rewrites without a lock: make run
    # starts the site, a worker and the server's child at once, and a reader that met the file
    # truncated (or a process killed mid-write) left it empty, failing every later start with
    # a JSONDecodeError. Our processes take turns, and a broken list is started afresh.
    with open(pgdata.parent / ".pgserver.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        repair_handle_list(pgdata / ".handle_pids.json")
        server = pgserver.get_server(pgdata, cleanup_mode=None)
    return server.get_uri(database)


def repair_handle_list(path: Path) -> bool:
    """Reset pgserver's list of user pids when it is not a JSON list; returns whether it did.
    The list only decides whether the last user may stop the cluster, which we never ask for."""
    try:
        values = json.loads(path.read_text())
    except FileNotFoundError:
        return False
    except ValueError:
        values = None
    if isinstance(values, list) and all(isinstance(v, int) for v in values):
        return False
    path.write_text("[]")
    return True


def database_settings_from_url(url: str) -> dict[str, object]:
    """Turn ``postgresql://user:pass@host:port/name?host=/socket`` into Django's DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL must be a postgresql:// URL, got scheme {parsed.scheme!r}")
    query = parse_qs(parsed.query)
    host = query.get("host", [parsed.hostname or ""])[0]
    name = (parsed.path or "/").lstrip("/")
    if not name:
        raise ValueError("DATABASE_URL names no database")
    return {
        "ENGINE": "core.postgresql_backend",
        "NAME": name,
        "USER": parsed.username or "postgres",
        "PASSWORD": parsed.password or "",
        "HOST": host,
        "PORT": str(parsed.port or ""),
        # persistent connections (Django reads this per database, not as a top-level setting):
        # a new PostgreSQL connection per request costs more than most pages
        "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        # No JIT: a page's queries take milliseconds, and at region scale the planner's estimates
        # crossed jit_above_cost — compiling took 150 ms of a 180 ms journal page (make bench)
        "OPTIONS": {"options": "-c jit=off"},
    }
