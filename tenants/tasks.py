"""Background jobs of regions: thin interfaces over services (load by id, call one service)."""

from __future__ import annotations

from typing import Any

from config.celery import app
from tenants.models import Region


@app.task(name="tenants.identity_realm_ensure", autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def identity_realm_ensure(region_id: int) -> dict[str, Any]:
    from tenants.identity.services import realm_ensure

    report = realm_ensure(region=Region.objects.get(pk=region_id))
    return {"realm": report.realm, "created": report.created, "writes": report.writes}


@app.task(
    name="tenants.identity_realm_sync_domains", autoretry_for=(OSError,), retry_backoff=30, max_retries=5
)
def identity_realm_sync_domains(region_id: int) -> dict[str, Any]:
    from tenants.identity.services import realm_sync_domains

    report = realm_sync_domains(region=Region.objects.get(pk=region_id))
    return {"realm": report.realm, "writes": report.writes}


@app.task(name="tenants.identity_accounts_provision")
def identity_accounts_provision(region_id: int) -> dict[str, Any]:
    from tenants.identity.services import accounts_provision

    def progress(done: int, total: int) -> None:
        if identity_accounts_provision.request.id:
            identity_accounts_provision.update_state(state="PROGRESS", meta={"done": done, "total": total})

    return accounts_provision(region=Region.objects.get(pk=region_id), progress=progress).as_dict()
