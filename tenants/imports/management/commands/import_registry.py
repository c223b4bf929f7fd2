"""``manage.py import_registry --region 05 [--format bundle|oneroster] [--mode full|delta]
[--dry-run] [--sync] [--no-progress] PATH``

Copies PATH (a ZIP or a folder) to the job's storage and runs the import: by default as a
Celery task whose progress this command shows by polling the job; with ``--sync`` in this
process. Ends with the report table; exits non-zero when the job failed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.imports import services
from tenants.imports.models import ImportFormat, ImportJob, ImportMode, ImportStatus
from tenants.imports.selectors import KIND_LABELS, changed_anything, report_rows, stage_label
from tenants.services import RegionError

POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = "Импорт школ и людей региона из реестра (пакет msh-registry-1 или OneRoster 1.2 CSV)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="ZIP-архив или папка с CSV-файлами")
        parser.add_argument("--region", required=True, help="код региона, например 05")
        parser.add_argument("--format", choices=ImportFormat.values, default=ImportFormat.BUNDLE)
        parser.add_argument(
            "--mode",
            choices=ImportMode.values,
            help="заменить режим из манифеста (full — деактивировать отсутствующих; delta — нет)",
        )
        parser.add_argument("--dry-run", action="store_true", help="показать, что изменится, ничего не меняя")
        parser.add_argument(
            "--full-compare",
            action="store_true",
            help="сравнить все строки, даже если файлы и данные региона не менялись с прошлого импорта",
        )
        parser.add_argument("--sync", action="store_true", help="выполнить в этом процессе, без Celery")
        parser.add_argument("--no-progress", action="store_true", help="без индикатора выполнения")
        parser.add_argument("--rejections", metavar="FILE", help="записать отклонённые строки в CSV-файл")

    def handle(self, *args, **options) -> None:
        try:
            job = services.import_job_create(
                region_code=options["region"],
                source=Path(options["path"]),
                fmt=options["format"],
                dry_run=options["dry_run"],
                mode=options["mode"],
                full_compare=options["full_compare"],
                actor_label="cli",
            )
        except RegionError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Задание импорта #{job.pk}, регион {job.region_code}{' (пробный запуск)' if job.dry_run else ''}"
        )
        self.stdout.flush()
        show = not options["no_progress"] and sys.stderr.isatty()
        bar = _Bar(job.pk) if show else None
        try:
            if options["sync"]:
                job = services.import_job_run(job_id=job.pk, on_progress=bar.update if bar else None)
            else:
                services.import_job_enqueue(job=job)  # autocommit: queued at once
                job = self._wait(job, bar)
        finally:
            if bar:
                bar.close()
        self._report(job)
        if options["rejections"] and job.counts:
            from tenants.imports.selectors import rejections_csv

            with open(options["rejections"], "w", encoding="utf-8", newline="") as out:
                for chunk in rejections_csv(job):
                    out.write(chunk)
            self.stdout.write(f"Отклонённые строки: {options['rejections']}")
        if job.status != ImportStatus.SUCCEEDED:
            raise CommandError(job.error or f"Импорт завершился со статусом {job.get_status_display()}")

    def _wait(self, job: ImportJob, bar: _Bar | None) -> ImportJob:
        warned = False
        started = time.monotonic()
        while True:
            services.import_jobs_reap()
            job.refresh_from_db()
            if bar:
                bar.update(job.stage or "queued", job.rows_done, job.rows_total)
            if job.is_finished:
                return job
            if job.status == ImportStatus.QUEUED and not warned and time.monotonic() - started > 30:
                self.stderr.write(
                    "Задание всё ещё в очереди: запущен ли воркер Celery (make run / celery -A config worker)?"
                )
                warned = True
            time.sleep(POLL_SECONDS)

    def _report(self, job: ImportJob) -> None:
        w = self.stdout.write
        if job.status != ImportStatus.SUCCEEDED:
            w(f"Статус: {job.get_status_display()}")
            return
        kinds = list(KIND_LABELS.values())
        w(f"Режим: {job.get_mode_display()}{', пробный запуск — ничего не изменено' if job.dry_run else ''}")
        header = f"{'':<26}" + "".join(f"{k:>16}" for k in kinds)
        w(header)
        for label, values in report_rows(job):
            w(f"{label:<26}" + "".join(f"{v:>16,}".replace(",", " ") for v in values))
        if job.unknown_columns:
            for name, columns in job.unknown_columns.items():
                w(f"Неизвестные столбцы {name} (пропущены): {', '.join(columns)}")
        if job.same_as_id:
            w(
                f"Файлы и данные региона не менялись после задания #{job.same_as_id}: "
                "результат известен без сравнения строк (--full-compare, чтобы сравнить)."
            )
        if not changed_anything(job):
            w("Изменений нет: данные региона уже совпадают с реестром.")
        shown = list(job.rejections.order_by("file", "line")[:20])
        if shown:
            w("Отклонённые строки (первые 20):")
            for r in shown:
                w(f"  {r.file}, строка {r.line}, поле {r.field or '—'}: {r.reason}")


class _Bar:
    """A tqdm bar of rows, its description the stage."""

    def __init__(self, job_id: int) -> None:
        import shutil

        from tqdm import tqdm

        # A terminal that reports its size as 0×0 (some ptys) would hide the bar altogether.
        size = shutil.get_terminal_size((100, 20))
        self.bar = tqdm(
            total=0,
            unit=" строк",
            unit_scale=True,
            desc=f"#{job_id}",
            ncols=min(size.columns, 120),
            nrows=size.lines,
        )

    def update(self, stage: str, done: int, total: int) -> None:
        if total and self.bar.total != total:
            self.bar.total = total
        self.bar.set_description_str(stage_label(stage), refresh=False)
        self.bar.n = min(done, total) if total else done
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()
