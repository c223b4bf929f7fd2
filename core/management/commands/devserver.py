"""``make run``: everything a developer needs, with no configuration.

Embedded PostgreSQL (when DATABASE_URL is unset; started by the settings), migrations, the
demo, a Celery worker (when Redis answers), then the web server. Prints every URL it serves.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
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
                env={**os.environ, "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"]},
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
        lines.append("")
        lines.append("Демо-входы:")
        for login in logins:
            lines.append(f"  {login.where:<12} {login.role:<28} {login.username} / {login.password}")
        lines.append(f"\nФон: {worker_note}")
        self.stdout.write("\n".join(lines) + "\n")
        if options["no_serve"]:
            if worker:
                worker.terminate()
            return
        try:
            call_command("runserver", f"0.0.0.0:{port}", use_reloader=False)
        finally:
            if worker:
                worker.terminate()
