"""``manage.py region <action>``: the federal operator's command line for regions."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants import services
from tenants.selectors import region_counts, region_queryset


class Command(BaseCommand):
    help = "Регионы платформы: create, list, rename, add-domain, remove-domain, suspend, resume, archive"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=type(parser))

        create = sub.add_parser("create", help="создать регион: схему, все таблицы и домены")
        create.add_argument("--code", required=True, help="двузначный код субъекта РФ, например 05")
        create.add_argument("--name", help="название; по умолчанию — из перечня субъектов РФ")
        create.add_argument(
            "--domain",
            action="append",
            required=True,
            dest="domains",
            help="домен региона; можно указать несколько раз",
        )
        create.add_argument("--timezone", help="часовой пояс IANA; по умолчанию — из перечня")

        lst = sub.add_parser("list", help="регионы, домены, статус, число школ и людей")
        lst.add_argument("--all", action="store_true", help="включая архивные")

        rename = sub.add_parser("rename", help="переименовать регион")
        rename.add_argument("--code", required=True)
        rename.add_argument("--name", required=True)

        for action, text in (("add-domain", "добавить домен"), ("remove-domain", "удалить домен")):
            p = sub.add_parser(action, help=text)
            p.add_argument("--code", required=True)
            p.add_argument("--domain", required=True)

        for action, text in (("suspend", "приостановить (данные сохраняются)"), ("resume", "возобновить")):
            p = sub.add_parser(action, help=text)
            p.add_argument("--code", required=True)

        archive = sub.add_parser("archive", help="сохранить дамп схемы и отключить регион")
        archive.add_argument("--code", required=True)
        archive.add_argument("--confirm", default="", help="код региона ещё раз — подтверждение")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        try:
            getattr(self, "do_" + action.replace("-", "_"))(options)
        except services.RegionError as exc:
            raise CommandError(str(exc)) from exc

    def do_create(self, o) -> None:
        region = services.region_create(
            code=o["code"], name=o["name"], domains=o["domains"], timezone_name=o["timezone"], actor="cli"
        )
        domains = ", ".join(d.domain for d in region.domains.all())
        self.stdout.write(
            self.style.SUCCESS(
                f"Регион {region.code} «{region.name}» создан: схема {region.schema_name}, домены {domains}"
            )
        )

    def do_list(self, o) -> None:
        regions = list(region_queryset(include_archived=o["all"]))
        counts = region_counts(regions)
        header = f"{'код':<4} {'название':<45} {'статус':<12} {'школ':>6} {'людей':>8}  домены"
        self.stdout.write(header)
        for r in regions:
            c = counts.get(r.schema_name)
            domains = ", ".join(d.domain for d in r.domains.all()) or "—"
            schools = str(c.schools) if c else "—"
            people = str(c.people) if c else "—"
            self.stdout.write(
                f"{r.code:<4} {r.name[:45]:<45} {r.status:<12} {schools:>6} {people:>8}  {domains}"
            )

    def do_rename(self, o) -> None:
        region = services.region_rename(code=o["code"], name=o["name"], actor="cli")
        self.stdout.write(self.style.SUCCESS(f"Регион {region.code} переименован: «{region.name}»"))

    def do_add_domain(self, o) -> None:
        domain = services.region_add_domain(code=o["code"], domain=o["domain"], actor="cli")
        self.stdout.write(self.style.SUCCESS(f"Домен {domain.domain} добавлен региону {o['code']}"))

    def do_remove_domain(self, o) -> None:
        services.region_remove_domain(code=o["code"], domain=o["domain"], actor="cli")
        self.stdout.write(self.style.SUCCESS(f"Домен {o['domain']} удалён у региона {o['code']}"))

    def do_suspend(self, o) -> None:
        region = services.region_suspend(code=o["code"], actor="cli")
        self.stdout.write(self.style.WARNING(f"Регион {region.code} приостановлен; данные сохранены"))

    def do_resume(self, o) -> None:
        region = services.region_resume(code=o["code"], actor="cli")
        self.stdout.write(self.style.SUCCESS(f"Регион {region.code} снова работает"))

    def do_archive(self, o) -> None:
        if not o["confirm"]:
            raise CommandError(
                f"Архивирование отключит регион {o['code']}. Подтвердите: --confirm {o['code']}"
            )
        region = services.region_archive(code=o["code"], confirm=o["confirm"], actor="cli")
        self.stdout.write(
            self.style.SUCCESS(
                f"Регион {region.code} в архиве: дамп {region.archive_path}, "
                f"схема переименована в {region.schema_name}"
            )
        )
