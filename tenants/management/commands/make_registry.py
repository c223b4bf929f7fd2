"""``manage.py make_registry``: a deterministic synthetic registry in the bundle format
(``docs/registry-bundle.md``), of any size; its next versions; a version with bad rows."""

from __future__ import annotations

import resource
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.registry_gen import Dialect, Options, generate


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the address space this program's
    exec made; getrusage's maxrss would also count a large parent that started it (Linux carries
    maxrss across exec)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = (
        "Синтетический реестр региона в формате пакета msh-registry-1: школы, люди, классы, "
        "родители. Одни и те же аргументы дают побайтно тот же результат."
    )
    requires_system_checks: list[str] = []  # no database, no apps: a file generator

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", metavar="OUT", help="папка пакета или путь .zip")
        parser.add_argument("--schools", type=int, required=True, help="число школ")
        parser.add_argument("--students", type=int, required=True, help="число учеников")
        parser.add_argument("--teachers", type=int, required=True, help="число учителей")
        parser.add_argument(
            "--seed",
            "--from-seed",
            dest="seed",
            type=int,
            default=1,
            help="зерно реестра; --from-seed — то же, читается лучше для следующей версии",
        )
        parser.add_argument("--region", default="05", help="двузначный код региона (имена, муниципалитеты)")
        parser.add_argument(
            "--parents-per-student",
            type=float,
            default=1.7,
            help="в среднем родителей (законных представителей) на ученика, 0–2; по умолчанию 1,7",
        )
        parser.add_argument(
            "--changes",
            type=float,
            default=0.0,
            help="записать следующую версию: изменить столько процентов людей",
        )
        # Our --version (of the registry) replaces Django's (of Django) for this command.
        parser.conflict_handler = parser._optionals.conflict_handler = "resolve"
        parser.add_argument(
            "--version",
            dest="from_version",
            type=int,
            default=1,
            help="с --changes: от какой версии считать следующую (по умолчанию 1 → пишется версия 2)",
        )
        parser.add_argument(
            "--errors", type=float, default=0.0, help="добавить столько процентов ошибочных строк"
        )
        parser.add_argument(
            "--expected-errors",
            help="куда записать список ошибок (по умолчанию expected_errors.csv рядом с пакетом)",
        )
        parser.add_argument("--encoding", choices=["utf-8", "cp1251"], default="utf-8")
        parser.add_argument("--delimiter", choices=[",", ";"], default=",")
        parser.add_argument("--crlf", action="store_true", help="концы строк CRLF")
        parser.add_argument("--bom", action="store_true", help="UTF-8 с BOM")

    def handle(self, *args, **o) -> None:
        if o["from_version"] != 1 and not o["changes"]:
            raise CommandError("--version задаёт, от какой версии строить следующую: нужен и --changes")
        version = o["from_version"] + 1 if o["changes"] else 1
        try:
            options = Options(
                schools=o["schools"],
                students=o["students"],
                teachers=o["teachers"],
                seed=o["seed"],
                region=o["region"],
                parents_per_student=o["parents_per_student"],
                version=version,
                changes=o["changes"],
                errors=o["errors"],
                dialect=Dialect(
                    encoding=o["encoding"], delimiter=o["delimiter"], crlf=o["crlf"], bom=o["bom"]
                ),
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        expected = Path(o["expected_errors"]) if o["expected_errors"] else None
        try:
            result = generate(options, Path(o["out"]), expected)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        total = sum(n for name, n in result.rows.items() if name != "manifest.csv")
        files = ", ".join(f"{name} {n}" for name, n in result.rows.items() if name != "manifest.csv")
        peak_mb = peak_rss_mb()
        people = result.people
        rate = f"{total / max(result.seconds, 1e-9):,.0f}".replace(",", " ")
        self.stdout.write(
            f"Версия {version}: {files} (всего {total} строк) за {result.seconds:.1f} с, "
            f"{rate} строк/с, пик памяти {peak_mb:.0f} МБ"
        )
        self.stdout.write(
            f"Ученики {people['students']}, учителя {people['teachers']}, администраторы "
            f"{people['school_admins']}, сотрудники {people['staff']}, родители {people['parents']}"
        )
        if result.expected_errors_path is not None:
            self.stdout.write(f"Ошибочных строк: {result.expected_errors} → {result.expected_errors_path}")
