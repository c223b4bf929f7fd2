"""Reads about import jobs: lists, the last job of every region, the report as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.imports.apply import COUNT_KINDS, ENTITIES
from tenants.imports.models import ImportJob, ImportRejection
from tenants.imports.progress import STAGE_LABELS

ENTITY_LABELS = {
    "schools": gettext_lazy("школы"),
    "people": gettext_lazy("люди"),
    "classes": gettext_lazy("классы"),
    "memberships": gettext_lazy("членства"),
    "guardian_links": gettext_lazy("связи родитель — ребёнок"),
    "accounts": gettext_lazy("учётные записи"),
}
KIND_LABELS = {
    "created": gettext_lazy("создано"),
    "updated": gettext_lazy("изменено"),
    "deactivated": gettext_lazy("деактивировано"),
    "unchanged": gettext_lazy("без изменений"),
    "rejected": gettext_lazy("отклонено"),
}


def import_job_list(*, region_code: str | None = None) -> QuerySet[ImportJob]:
    qs = ImportJob.objects.order_by("-created_at", "-id")
    if region_code is not None:
        qs = qs.filter(region_code=region_code)
    return qs


def import_last_jobs(*, region_codes: list[str]) -> dict[str, ImportJob]:
    """The latest job of each region, in one query."""
    jobs = ImportJob.objects.filter(region_code__in=region_codes).order_by(
        "region_code", "-created_at", "-id"
    )
    return {job.region_code: job for job in jobs.distinct("region_code")}


def stage_label(stage: str) -> str:
    if stage.startswith("read:"):
        return _("чтение %(stage)s") % {"stage": stage[5:]}
    return str(STAGE_LABELS.get(stage, stage))


def report_rows(job: ImportJob) -> list[tuple[str, list[int]]]:
    """(entity label, [created, updated, deactivated, unchanged, rejected]) per entity."""
    counts = job.counts or {}
    return [
        (str(ENTITY_LABELS[e]), [int(counts.get(e, {}).get(k, 0)) for k in COUNT_KINDS]) for e in ENTITIES
    ]


def changed_anything(job: ImportJob) -> bool:
    counts = job.counts or {}
    return any(counts.get(e, {}).get(k, 0) for e in ENTITIES for k in ("created", "updated", "deactivated"))


def rejections_csv(job: ImportJob) -> Iterator[str]:
    """The rejected rows as CSV (file, line, field, reason), UTF-8 with BOM so that Excel opens
    it; streamed in chunks, never the row's content (it may hold a SNILS)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    buffer.write("\ufeff")
    writer.writerow(["файл", "строка", "поле", "причина", "сущность"])
    rows = (
        ImportRejection.objects.filter(job=job)
        .order_by("file", "line", "id")
        .values_list("file", "line", "field", "reason", "entity")
    )
    for n, row in enumerate(rows.iterator(chunk_size=5000), start=1):
        writer.writerow([row[0], row[1], row[2], row[3], ENTITY_LABELS.get(row[4], row[4])])
        if n % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
