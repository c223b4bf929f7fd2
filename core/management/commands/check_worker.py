import secrets

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from core.tasks import worker_heartbeat
from tenants.services import RegionError, region_get


class Command(BaseCommand):
    help = "Проверить, что воркер Celery жив и выполняет задачу в схеме своего региона"

    def add_arguments(self, parser):
        parser.add_argument("--region", help="код региона; по умолчанию — public")
        parser.add_argument("--timeout", type=float, default=30)

    def handle(self, *args, **options):
        schema = "public"
        if options["region"]:
            try:
                schema = region_get(code=options["region"]).schema_name
            except RegionError as exc:
                raise CommandError(str(exc)) from exc
        token = secrets.token_hex(8)
        with schema_context(schema):
            result = worker_heartbeat.delay(token)
        try:
            answer = result.get(timeout=options["timeout"])
        except Exception as exc:
            raise CommandError(f"Воркер не ответил за {options['timeout']} с: {exc}") from exc
        if answer != {"schema": schema, "token": token}:
            raise CommandError(f"Задача выполнилась не в той схеме: ожидали {schema}, получили {answer}")
        self.stdout.write(self.style.SUCCESS(f"Воркер ответил из схемы {schema}"))
