"""``manage.py migrate_regions``: migrate ``public`` and every live region, skipping schemas
that already have every migration.

django-tenants' ``migrate_schemas`` runs Django's full ``migrate`` (graph load, checks,
post-migrate signals) in every schema even when nothing is pending, so a no-op deploy grows
linearly with the number of regions. Here one query reads ``django_migrations`` of every
schema at once; only schemas with something to apply are handed to ``migrate_schemas``.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from core.db import db
from tenants.models import Region, RegionStatus


def _labels(app_names: list[str]) -> set[str]:
    from django.apps import apps

    return {config.label for config in apps.get_app_configs() if config.name in app_names}


def expected_migrations() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(shared, tenant) migration keys known on disk."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    nodes = set(loader.graph.nodes)
    shared = {n for n in nodes if n[0] in _labels(settings.SHARED_APPS)}
    tenant = {n for n in nodes if n[0] in _labels(settings.TENANT_APPS)}
    return shared, tenant


def applied_migrations(schemas: list[str]) -> dict[str, set[tuple[str, str]]]:
    applied: dict[str, set[tuple[str, str]]] = {s: set() for s in schemas}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'django_migrations' AND table_schema = ANY(%s)",
            [schemas],
        )
        present = [row[0] for row in cursor.fetchall()]
        if not present:
            return applied
        union = " UNION ALL ".join(
            f"SELECT %s, app, name FROM {connection.ops.quote_name(s)}.django_migrations"  # noqa: S608
            for s in present
        )
        cursor.execute(union, present)
        for schema, app, name in cursor.fetchall():
            applied[schema].add((app, name))
    return applied


class Command(BaseCommand):
    help = "Применить миграции к public и ко всем регионам, пропуская схемы без новых миграций"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="только показать, что будет сделано")

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            connection.ensure_connection()
        except OperationalError as exc:
            name = connection.settings_dict.get("NAME")
            host = connection.settings_dict.get("HOST") or "localhost"
            raise CommandError(
                _("Нет соединения с базой данных %(name)s на %(host)s: %(error)s")
                % {"name": name, "host": host, "error": str(exc).strip().splitlines()[-1]}
                + "\n"
                + _(
                    "Создайте её (createdb) или уберите DATABASE_URL, чтобы работать со встроенной PostgreSQL."
                )
            ) from None
        db.set_schema_to_public()
        shared, tenant = expected_migrations()
        public = settings.PUBLIC_SCHEMA_NAME
        verbosity = options["verbosity"]
        # public first: the list of regions lives there (and may not exist yet on a new database)
        pending_public = shared - applied_migrations([public])[public]
        if options["dry_run"]:
            self.stdout.write(f"public: {len(pending_public)} миграций к применению")
            if pending_public:
                return
        elif pending_public:
            call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        regions = list(
            Region.objects.exclude(schema_name=public)
            .exclude(status=RegionStatus.ARCHIVED)
            .order_by("schema_name")
            .values_list("schema_name", flat=True)
        )
        applied = applied_migrations(regions) if regions else {}
        pending_regions = [s for s in regions if tenant - applied.get(s, set())]
        if options["dry_run"]:
            for schema in pending_regions:
                self.stdout.write(f"{schema}: {len(tenant - applied[schema])} миграций к применению")
            return
        for schema in pending_regions:
            call_command("migrate_schemas", schema_name=schema, interactive=False, verbosity=verbosity)
        db.set_schema_to_public()
        skipped = len(regions) - len(pending_regions)
        self.stdout.write(
            f"Миграции: public {'обновлена' if pending_public else 'без изменений'}, "
            f"регионов обновлено {len(pending_regions)}, пропущено {skipped} "
            f"({time.perf_counter() - started:.2f} с)"
        )
