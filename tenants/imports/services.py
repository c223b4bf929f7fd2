"""Registry import jobs: create (copy the input to the job's storage), queue, run, reap.

``import_job_run`` is the one path every entry point takes (CLI ``--sync``, the Celery task
behind the CLI and the API, the demo): read and validate streaming → COPY into staging → checks
and apply in SQL (tenants/imports/apply.py) in one transaction → report.
"""

from __future__ import annotations

import datetime
import logging
import re
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tenants.utils import tenant_context

from core.validators import echo
from tenants.identity.services import identity_queue
from tenants.imports import apply, fast
from tenants.imports.bundle import BundleAdapter
from tenants.imports.models import ImportFormat, ImportJob, ImportMode, ImportStatus
from tenants.imports.oneroster import OneRosterAdapter
from tenants.imports.progress import ProgressWriter
from tenants.imports.reading import BundleRefused
from tenants.imports.records import STAGING_TABLE, Record, RegistryAdapter, Rejection
from tenants.models import Region
from tenants.services import RegionError, region_get

logger = logging.getLogger(__name__)

# pg_advisory_lock(IMPORT_LOCK_CLASS, <region code>): one import per region at a time. A
# session-level lock: a killed worker's session ends and PostgreSQL releases it.
IMPORT_LOCK_CLASS = 0x4D534849  # "MSHI"
COPY_BATCH = 10_000
INTERRUPTED_MESSAGE = gettext_lazy(
    "Обработчик задания остановился, не завершив импорт (процесс прерван). "
    "Данные региона не изменены; запустите импорт снова."
)


class ImportJobError(RegionError):
    """A request to import that cannot be accepted; the message says why, in Russian."""


# --- create and queue ------------------------------------------------------------------------------


def _check_format(fmt: str) -> str:
    if fmt not in ImportFormat.values:
        raise ImportJobError(
            _("Неизвестный формат «%(fmt)s»: ожидается %(values)s")
            % {"fmt": fmt, "values": " или ".join(ImportFormat.values)}
        )
    return fmt


def import_job_create(
    *,
    region_code: str,
    source: Path | UploadedFile,
    fmt: str = ImportFormat.BUNDLE,
    dry_run: bool = False,
    mode: str | None = None,
    full_compare: bool = False,
    actor_label: str = "",
) -> ImportJob:
    """A queued job with its input copied under ``IMPORT_DIR/<job id>/`` (a worker on another
    machine reads it from there; the original may be gone by then)."""
    region = region_get(code=region_code)
    _check_format(fmt)
    if mode not in (None, "", *ImportMode.values):
        raise ImportJobError(_("Неизвестный режим «%(mode)s»: ожидается full или delta") % {"mode": mode})
    if isinstance(source, Path) and not source.exists():
        raise ImportJobError(_("%(source)s: нет такого файла или папки") % {"source": source})
    job = ImportJob.objects.create(
        region_code=region.code,
        format=fmt,
        mode=mode or "",
        mode_override=bool(mode),
        dry_run=dry_run,
        full_compare=full_compare,
        actor_label=actor_label[:150],
    )
    target_dir = Path(settings.IMPORT_DIR) / str(job.pk)
    # A folder already there is a leftover of a database whose job ids started again.
    shutil.rmtree(target_dir, ignore_errors=True)
    target_dir.mkdir(parents=True)
    if isinstance(source, Path):
        target = target_dir / (source.name or "bundle")
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copyfile(source, target)
    else:
        target = target_dir / "upload.zip"
        with target.open("wb") as out:
            for chunk in source.chunks():
                out.write(chunk)
    job.upload_path = str(target)
    job.save(update_fields=["upload_path"])
    return job


def import_job_enqueue(*, job: ImportJob) -> None:
    """Queue the job once the transaction that created it commits. A broker that does not
    answer fails the job with a message instead of the request."""
    from tenants.imports.tasks import run_import

    def send() -> None:
        try:
            run_import.delay(job.pk)
        except Exception as exc:  # kombu/redis raise their own connection errors
            logger.error("import job %s not queued: %s", job.pk, type(exc).__name__)
            _finish_failed(
                job,
                _("Очередь задач недоступна (%(error)s): импорт не поставлен в очередь")
                % {"error": type(exc).__name__},
            )

    transaction.on_commit(send)


# --- liveness ----------------------------------------------------------------------------------------


def _in_platform_language(text: Any) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def import_jobs_reap() -> int:
    """Mark as interrupted every running job whose worker is gone: its database session no
    longer holds the region's import lock (a killed worker's session ends with it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE public.imports_importjob j
               SET status = 'interrupted', finished_at = now(), error = %(message)s
             WHERE j.status = 'running'
               AND NOT EXISTS (
                   SELECT 1 FROM pg_locks l
                    WHERE l.locktype = 'advisory' AND l.classid = %(cls)s AND l.objsubid = 2
                      AND l.objid = j.region_code::int AND l.pid = j.db_pid AND l.granted)
               AND (j.db_pid IS NOT NULL OR j.heartbeat_at IS NULL OR j.heartbeat_at < now() - interval '10 minutes')
            """,
            # stored for every reader: in the platform's language, not the caller's
            {"message": _in_platform_language(INTERRUPTED_MESSAGE), "cls": IMPORT_LOCK_CLASS},
        )
        return cursor.rowcount


# --- run ----------------------------------------------------------------------------------------------


def make_adapter(job: ImportJob, *, today: datetime.date) -> RegistryAdapter:
    if job.format == ImportFormat.ONEROSTER:
        return OneRosterAdapter(job.upload_path, today=today)
    return BundleAdapter(job.upload_path, today=today)


_LONG_NUMBER = re.compile(r"\d{9,}")


def _safe_db_message(exc: DatabaseError) -> str:
    """A database error without its DETAIL (which quotes key values, e.g. a SNILS)."""
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    primary = getattr(diag, "message_primary", None) or type(exc).__name__
    state = getattr(diag, "sqlstate", None) or ""
    return (
        _("Ошибка базы данных %(state)s: %(message)s")
        % {"state": state, "message": _LONG_NUMBER.sub("…", primary)}
    ).strip()


def import_job_run(*, job_id: int, on_progress: Callable[[str, int, int], None] | None = None) -> ImportJob:
    """Run a queued job to the end. Never raises for a bad input: the job records the failure.
    Any other job is left as it is — in particular an interrupted one, which a broker may
    deliver again much later: by then a newer import may have run, and its older input must not
    be applied over it. Running the import again means a new job."""
    # The report (rejection reasons, the job's error) is stored and read by every operator
    # later: it is written in the platform's language, whoever started the job.
    with translation.override(settings.LANGUAGE_CODE):
        return _import_job_run(job_id=job_id, on_progress=on_progress)


def _import_job_run(*, job_id: int, on_progress: Callable[[str, int, int], None] | None) -> ImportJob:
    import_jobs_reap()
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportStatus.QUEUED:
        return job
    try:
        region = region_get(code=job.region_code)
    except RegionError as exc:
        _finish_failed(job, str(exc))
        return job
    progress = ProgressWriter(job.pk, on_progress)
    locked = False
    try:
        with tenant_context(region):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_try_advisory_lock(%s, %s), pg_backend_pid()",
                    [IMPORT_LOCK_CLASS, int(region.code)],
                )
                locked, pid = cursor.fetchone()
            if not locked:
                other = (
                    ImportJob.objects.filter(region_code=region.code, status=ImportStatus.RUNNING)
                    .exclude(pk=job.pk)
                    .values_list("pk", flat=True)
                    .first()
                )
                _finish_failed(
                    job,
                    (
                        _(
                            "Импорт региона %(code)s уже выполняется (задание №%(job)s): дождитесь его окончания"
                        )
                        if other
                        else _("Импорт региона %(code)s уже выполняется: дождитесь его окончания")
                    )
                    % {"code": region.code, "job": other},
                )
                return job
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportStatus.RUNNING,
                started_at=timezone.now(),
                heartbeat_at=timezone.now(),
                finished_at=None,
                db_pid=pid,
                stage="open",
                error="",
                counts={},
                rows_done=0,
            )
            job.refresh_from_db()
            _run(job, region, progress)
    except BundleRefused as exc:
        _finish_failed(job, _("%(error)s. Ничего не изменено.") % {"error": exc})
    except DatabaseError as exc:
        message = _safe_db_message(exc)
        logger.error("import job %s failed: %s", job.pk, message)  # no exc_info: DETAIL quotes values
        _finish_failed(job, _("%(error)s. Ничего не изменено.") % {"error": message})
    except Exception as exc:
        logger.exception("import job %s failed", job.pk)
        _finish_failed(
            job,
            _("Внутренняя ошибка импорта (%(error)s). Ничего не изменено.") % {"error": type(exc).__name__},
        )
    finally:
        progress.close()
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [IMPORT_LOCK_CLASS, int(region.code)])
                if not connection.in_atomic_block:
                    # A worker's connection outlives the job: free the staging tables now.
                    cursor.execute("DISCARD TEMP")
        connection.set_schema_to_public()  # type: ignore[attr-defined]
    job.refresh_from_db()
    return job


def _finish_failed(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED, error=message, finished_at=timezone.now()
    )
    job.refresh_from_db()


def _run(job: ImportJob, region: Region, progress: ProgressWriter) -> None:
    today = datetime.datetime.now(ZoneInfo(region.timezone)).date()
    adapter = make_adapter(job, today=today)
    try:
        adapter.open()
        if adapter.region_code != region.code:
            raise BundleRefused(
                _("Пакет выгружен для региона %(bundle)s, а импорт запущен для региона %(region)s")
                % {"bundle": echo(adapter.region_code, 10), "region": region.code}
            )
        mode = job.mode if job.mode_override else adapter.mode
        full = mode == ImportMode.FULL
        progress.rows_total = adapter.rows_total
        with connection.cursor() as cursor:
            same_as = _unchanged_since(cursor, job, adapter, mode=mode, today=today)
        if same_as is not None:
            _repeat(job, same_as, adapter, mode=mode, today=today, progress=progress)
            return
        counts = apply.Counts()
        _temp_buffers()
        with transaction.atomic(), connection.cursor() as cursor:
            # Hash joins over 600,000-row staging tables stay in memory, and so do index builds.
            cursor.execute("SET LOCAL work_mem = '128MB'")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            numbered = apply.create_staging(cursor)
            _stage_rows(cursor, adapter, progress)
            progress.enter("check")
            apply.check(
                cursor, full=full, today=today, has_details=adapter.has_person_details, numbered=numbered
            )
            savepoint = transaction.savepoint()
            apply.apply(
                cursor,
                full=full,
                today=today,
                has_details=adapter.has_person_details,
                counts=counts,
                stage=progress.enter,
            )
            region_digest = ""
            if job.dry_run:
                transaction.savepoint_rollback(savepoint)
            else:
                apply.audit(cursor, job_id=job.pk, actor_label=job.actor_label, counts=counts, mode=mode)
                transaction.savepoint_commit(savepoint)
                region_digest = apply.region_fingerprint(cursor)
            progress.enter("report")
            reporting = time.monotonic()
            apply.save_rejections(cursor, job_id=job.pk, counts=counts)
            progress.rows_done = progress.rows_total
            progress.close()  # its last write must not wait for this transaction's row lock
            logger.info("import job %s: report took %.2f s", job.pk, time.monotonic() - reporting)
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportStatus.SUCCEEDED,
                stage="done",
                mode=mode,
                counts=counts.data,
                unknown_columns=adapter.unknown_columns,
                rows_done=progress.rows_total,
                rows_total=progress.rows_total,
                input_digest=adapter.input_digest,
                region_digest=region_digest,
                local_date=today,
                finished_at=timezone.now(),
            )
            if not job.dry_run:
                # Accounts the import created, changed or deactivated reach the region's realm
                # (partial import in batches; only what changed since the last sync).
                identity_queue(action="accounts_provision", region_id=region.pk)
            committing = time.monotonic()
        # The deferred foreign-key checks of every inserted row run here.
        logger.info("import job %s: commit took %.2f s", job.pk, time.monotonic() - committing)
    finally:
        adapter.close()


def _temp_buffers() -> None:
    """Room for the staging tables in the session's own buffers (8 MB by default: 600,000 staging
    rows would be written out and read back again and again). PostgreSQL accepts this only
    before the session's first temporary table: a reused connection keeps what it has."""
    if connection.in_atomic_block:
        return  # inside a caller's transaction (tests): a failed SET would abort it
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET temp_buffers = '256MB'")
    except DatabaseError:
        logger.info("temp_buffers already fixed for this database session")


def _unchanged_since(
    cursor: Any, job: ImportJob, adapter: RegistryAdapter, *, mode: str, today: datetime.date
) -> ImportJob | None:
    """The last applied import of the region, if its outcome is provably this one's: the same
    files read under the same rules, mode and date, and the region's registry tables exactly as
    that import left them (no one changed a row since). Comparing 1.2 million rows again would
    find nothing to change; the operator can still ask for it (``full_compare``)."""
    if job.full_compare or not adapter.input_digest:
        return None
    last = (
        ImportJob.objects.filter(region_code=job.region_code, status=ImportStatus.SUCCEEDED, dry_run=False)
        .exclude(pk=job.pk)
        .order_by("-finished_at", "-pk")
        .first()
    )
    if (
        last is None
        or not last.region_digest
        or (last.input_digest, last.format, last.mode, last.local_date)
        != (adapter.input_digest, job.format, mode, today)
    ):
        return None
    return last if apply.region_fingerprint(cursor) == last.region_digest else None


def _repeat(
    job: ImportJob,
    last: ImportJob,
    adapter: RegistryAdapter,
    *,
    mode: str,
    today: datetime.date,
    progress: ProgressWriter,
) -> None:
    """Report what a row-by-row run would: every row it would stage unchanged, the same
    rejections; write nothing to the region."""
    counts: dict[str, dict[str, int]] = {}
    for entity, c in last.counts.items():
        unchanged = c["created"] + c["updated"] + c["unchanged"]
        if entity == "accounts":  # every linked account is compared, deactivated ones too
            unchanged += c["deactivated"]
        counts[entity] = {
            "created": 0,
            "updated": 0,
            "deactivated": 0,
            "unchanged": unchanged,
            "rejected": c["rejected"],
        }
    progress.enter("report")
    progress.rows_done = progress.rows_total
    progress.close()
    with transaction.atomic(), connection.cursor() as cursor:
        apply.copy_rejections(cursor, job_id=job.pk, from_job_id=last.pk)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.SUCCEEDED,
            stage="done",
            mode=mode,
            counts=counts,
            unknown_columns=adapter.unknown_columns,
            rows_done=progress.rows_total,
            rows_total=progress.rows_total,
            input_digest=adapter.input_digest,
            region_digest="" if job.dry_run else last.region_digest,
            local_date=today,
            same_as=last,
            finished_at=timezone.now(),
        )
    logger.info("import job %s: same input and region as job %s, nothing to compare", job.pk, last.pk)


def _lines_done(progress: ProgressWriter, before: int, line: int) -> None:
    progress.rows_done = before + line - 1


def _stage_rows(cursor: Any, adapter: RegistryAdapter, progress: ProgressWriter) -> None:
    """COPY every record into its staging table, streaming. Each input file keeps one COPY open
    for its main record type; other record types and rejections are buffered and COPYed in
    batches (a COPY must be closed before another starts on the same connection)."""
    pending: dict[str, list[tuple]] = defaultdict(list)
    done = 0  # records staged (a OneRoster user row also gives its agent links: several records)
    rows_before = 0  # progress counts lines, as ``rows_total`` does: records would overshoot it

    def copy_rows(table: str, rows: list[tuple]) -> None:
        with cursor.copy(f"COPY {table} ({apply.COPY_COLUMNS[table]}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        rows.clear()

    def copy_items(items: Iterator[Record | Rejection]) -> None:
        by_table: dict[str, list[tuple]] = defaultdict(list)
        for item in items:
            by_table["st_rejection" if item.__class__ is Rejection else STAGING_TABLE[item.__class__]].append(
                item
            )
        for table, rows in by_table.items():
            copy_rows(table, rows)

    for file_name, stream in adapter.streams():
        progress.enter(f"read:{file_name}"[:32])
        if isinstance(adapter, BundleAdapter) and fast.copy_file(
            adapter,
            file_name,
            cursor,
            write_records=copy_items,
            on_line=partial(_lines_done, progress, rows_before),
        ):
            rows_before += adapter.files[file_name].rows_estimate
            progress.rows_done = rows_before
            continue
        item = None
        main_table = None
        copy_cm = copy = None
        try:
            for item in stream:
                done += 1
                cls = item.__class__
                table = "st_rejection" if cls is Rejection else STAGING_TABLE[cls]
                if main_table is None and cls is not Rejection:
                    main_table = table
                if table == main_table:
                    if copy is None:
                        copy_cm = cursor.copy(f"COPY {table} ({apply.COPY_COLUMNS[table]}) FROM STDIN")
                        copy = copy_cm.__enter__()
                    copy.write_row(item)
                else:
                    buffer = pending[table]
                    buffer.append(item)
                    if len(buffer) >= COPY_BATCH:
                        if copy_cm is not None:  # reopened lazily by the next main row
                            copy_cm.__exit__(None, None, None)
                            copy_cm = copy = None
                        copy_rows(table, buffer)
                if not done & 1023:
                    progress.rows_done = rows_before + item.line - 1
        except BaseException:
            if copy_cm is not None:
                copy_cm.__exit__(*sys.exc_info())
            raise
        if copy_cm is not None:
            copy_cm.__exit__(None, None, None)
        for table, buffer in pending.items():
            if buffer:
                copy_rows(table, buffer)
        if item is not None:  # the file's last record: its line is how far the file went
            rows_before += item.line - 1
        progress.rows_done = rows_before
