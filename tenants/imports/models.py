"""Import jobs and their reports. Federal: they live in ``public`` and name their region by
code (no foreign key into a region schema, none from one)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class ImportFormat(models.TextChoices):
    BUNDLE = "bundle", gettext_lazy("Пакет реестра (msh-registry-1)")
    ONEROSTER = "oneroster", "OneRoster 1.2 CSV"


class ImportMode(models.TextChoices):
    FULL = "full", gettext_lazy("Полный")
    DELTA = "delta", gettext_lazy("Изменения")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", gettext_lazy("В очереди")
    RUNNING = "running", gettext_lazy("Выполняется")
    SUCCEEDED = "succeeded", gettext_lazy("Выполнен")
    FAILED = "failed", gettext_lazy("Ошибка")
    INTERRUPTED = "interrupted", gettext_lazy("Прерван")


class ImportJob(models.Model):
    """One run of the registry import for one region.

    ``stage``, ``rows_done``, ``rows_total`` and ``heartbeat_at`` are written by the import's
    progress writer on its own autocommit connection, so other processes see them while the
    import's transaction is still open. ``status``, ``counts`` and the rejections are written in
    that transaction: they appear together with the data, or not at all.
    """

    region_code = models.CharField(max_length=2, db_index=True)
    format = models.CharField(max_length=16, choices=ImportFormat.choices, default=ImportFormat.BUNDLE)
    # Empty until the manifest is read, unless the operator forced it.
    mode = models.CharField(max_length=8, choices=ImportMode.choices, blank=True)
    mode_override = models.BooleanField(default=False)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    stage = models.CharField(max_length=32, blank=True)
    rows_done = models.BigIntegerField(default=0)
    rows_total = models.BigIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    unknown_columns = models.JSONField(default=dict, blank=True)
    # Who started it: a label (operator's username, "cli", "demo"), never personal data.
    actor_label = models.CharField(max_length=150, blank=True)
    error = models.TextField(blank=True)
    upload_path = models.CharField(max_length=500, blank=True)
    # Compare every row even when the input and the region are provably as the last import
    # left them (see services._unchanged_since).
    full_compare = models.BooleanField(default=False)
    # What the import read (files and rules), what it left (a digest of the region's registry
    # tables after its commit) and the region's date it ran on: equal on the next import means
    # the outcome is known without comparing rows.
    input_digest = models.CharField(max_length=64, blank=True)
    region_digest = models.CharField(max_length=64, blank=True)
    local_date = models.DateField(null=True, blank=True)
    # The job whose result this one repeated without comparing rows, if any.
    same_as = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The PostgreSQL backend that holds the region's import lock while the job runs: a job
    # whose backend no longer holds it has lost its worker (interrupted).
    db_pid = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["region_code", "-created_at"])]
        verbose_name = gettext_lazy("задание импорта")
        verbose_name_plural = gettext_lazy("задания импорта")

    def __str__(self) -> str:
        return _("импорт #%(pk)s региона %(region_code)s (%(status)s)") % {
            "pk": self.pk,
            "region_code": self.region_code,
            "status": self.status,
        }

    @property
    def stage_label(self) -> str:
        from tenants.imports.selectors import stage_label

        return stage_label(self.stage)

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED, ImportStatus.INTERRUPTED)


class ImportRejection(models.Model):
    """A row the import refused: where it is and why. Never the row's content (it may hold a
    SNILS)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rejections")
    entity = models.CharField(max_length=32)
    file = models.CharField(max_length=100)
    line = models.IntegerField()
    field = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["job_id", "file", "line", "id"]
        indexes = [models.Index(fields=["job", "file", "line"])]

    def __str__(self) -> str:
        return f"{self.file}:{self.line} {self.field} {self.reason}"
