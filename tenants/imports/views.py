"""Federal console: one import job's status, progress and report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from core.roles import Role
from tenants.imports.models import ImportJob
from tenants.imports.selectors import KIND_LABELS, changed_anything, report_rows, stage_label
from tenants.imports.services import import_jobs_reap


@login_required
def import_job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_role(Role.FEDERAL_OPERATOR):  # type: ignore[union-attr]
        raise PermissionDenied(_("Отчёты об импорте доступны только федеральному оператору"))
    import_jobs_reap()
    job = get_object_or_404(ImportJob, pk=pk)
    return render(
        request,
        "imports/job.html",
        {
            "job": job,
            "stage": stage_label(job.stage),
            "report": report_rows(job) if job.counts else None,
            "kinds": list(KIND_LABELS.values()),
            "changed": changed_anything(job),
        },
    )
