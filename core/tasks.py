"""Operational tasks of the shared kernel."""

from __future__ import annotations

from config.celery import app
from core.audit import audit_record
from core.db import db


@app.task(name="core.worker_heartbeat")
def worker_heartbeat(token: str) -> dict[str, str]:
    """Proves a worker is alive and runs in the schema the task was queued from: it leaves an
    audit event there and answers with the schema it ran in (``manage.py check_worker``)."""
    audit_record(actor="worker", action="worker_heartbeat", entity="worker", entity_id=token)
    return {"schema": db.schema_name, "token": token}
