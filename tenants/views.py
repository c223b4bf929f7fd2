from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.roles import Role
from tenants.imports.selectors import import_last_jobs
from tenants.imports.services import import_jobs_reap
from tenants.selectors import region_counts, region_queryset


@login_required
def console(request: HttpRequest) -> HttpResponse:
    if not request.user.has_role(Role.FEDERAL_OPERATOR):  # type: ignore[union-attr]
        raise PermissionDenied(_("Консоль доступна только федеральному оператору"))
    regions = list(region_queryset())
    counts = region_counts(regions)
    import_jobs_reap()
    imports = import_last_jobs(region_codes=[r.code for r in regions if r.code])
    port = request.get_port()
    rows = [
        {"region": r, "counts": counts.get(r.schema_name), "last_import": imports.get(r.code)}
        for r in regions
    ]
    return render(
        request,
        "tenants/console.html",
        {"regions": rows, "port_suffix": "" if port in ("80", "443") else f":{port}"},
    )
