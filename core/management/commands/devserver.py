"""``make run``: everything a developer needs, with no configuration.

Embedded PostgreSQL (when DATABASE_URL is unset; started by the settings), migrations, the
development identity provider (deploy/dev-idp, when KEYCLOAK_URL is on loopback and nothing
answers there yet), the demo with its realms and accounts, a Celery worker (when Redis
answers), then the web server. Prints every URL it serves and the demo logins.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from tenants.demo import demo_setup


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1
        ).close()
    except OSError:
        return False
    return True


IDP_DIR = Path(settings.BASE_DIR) / "deploy" / "dev-idp"


def start_dev_idp(stdout) -> subprocess.Popen | None:
    """Start the development identity provider on KEYCLOAK_URL's loopback port."""
    url = urlparse(settings.KEYCLOAK_URL or "")
    if not url.hostname or url.hostname not in ("127.0.0.1", "localhost"):
        return None
    port = url.port or 80
    if _reachable(settings.KEYCLOAK_URL, port):
        stdout.write(f"Сервер входа уже работает: {settings.KEYCLOAK_URL}")
        return None
    if not shutil.which("node") or not shutil.which("npm"):
        stdout.write("node/npm не найдены: сервер входа разработки не запущен, вход недоступен")
        return None
    if not (IDP_DIR / "node_modules" / "oidc-provider").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=IDP_DIR, check=True)  # noqa: S607
    state = Path(settings.VAR_DIR) / "dev-idp" / "state.json"
    process = subprocess.Popen(
        ["node", "server.js"],  # noqa: S607
        cwd=IDP_DIR,
        env={
            **os.environ,
            "DEV_IDP_PORT": str(port),
            "DEV_IDP_HOST": url.hostname,
            "DEV_IDP_STATE": str(state),
        },
    )
    for _ in range(100):
        if _reachable(settings.KEYCLOAK_URL, port):
            return process
        time.sleep(0.1)
    process.terminate()
    stdout.write("Сервер входа разработки не запустился")
    return None


class Command(BaseCommand):
    help = "Запустить платформу для разработки: БД, миграции, демо, воркер, веб-сервер"

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-serve", action="store_true", help="подготовить всё и выйти")

    def handle(self, *args, **options):
        port = options["port"]
        db = connection.settings_dict
        self.stdout.write(f"База данных: {db['NAME']} на {db['HOST'] or 'localhost'}")
        call_command("migrate_regions", verbosity=0, stdout=self.stdout)
        # the sites' port goes into the realms' redirect URIs
        settings.SITE_PORT = str(port)
        idp = start_dev_idp(self.stdout)
        regions, logins = demo_setup()

        worker = None
        if _reachable(settings.CELERY_BROKER_URL, 6379):
            worker = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool=solo",
                    "-l",
                    "warning",
                    "-Q",
                    settings.CELERY_TASK_DEFAULT_QUEUE,
                ],
                env={
                    **os.environ,
                    "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],
                    "SITE_PORT": str(port),
                },
            )
            worker_note = f"воркер Celery запущен (брокер {settings.CELERY_BROKER_URL})"
        else:
            worker_note = f"брокер {settings.CELERY_BROKER_URL} недоступен: фоновые задачи не выполняются"

        base = settings.PLATFORM_DOMAIN
        lines = [
            "",
            "Платформа «Моя школа» запущена:",
            f"  Федеральная консоль:  http://{base}:{port}/",
            f"  API регионов:         http://{base}:{port}/api/v1/regions/",
        ]
        for region in regions:
            for domain in region.domains.all():
                lines.append(f"  {region.name}: http://{domain.domain}:{port}/  (API: /api/v1/)")
        lines.append(f"  Сервер входа (Keycloak разработки): {settings.KEYCLOAK_URL or 'не настроен'}")
        lines.append("")
        lines.append("Демо-входы (вход через сервер входа региона):")
        for login in logins:
            lines.append(f"  {login.where:<26} {login.role:<28} {login.username} / {login.password}")
        if not logins:
            lines.append("  нет: сервер входа не настроен или недоступен")
        lines.append(f"\nФон: {worker_note}")
        self.stdout.write("\n".join(lines) + "\n")
        children = [p for p in (worker, idp) if p is not None]
        if options["no_serve"]:
            for child in children:
                child.terminate()
            return
        # `kill` (SIGTERM) must end the worker and the identity provider too, not orphan them:
        # turned into SystemExit, it runs the finally below like Ctrl+C does
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            call_command("runserver", f"0.0.0.0:{port}", use_reloader=False)
        finally:
            for child in children:
                child.terminate()
