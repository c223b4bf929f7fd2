"""Celery interface of the registry import: load the job by id, call the service."""

from __future__ import annotations

from config.celery import app
from tenants.imports.services import import_job_run


# acks_late: a worker killed mid-import leaves the message to be delivered again; the job is
# then found interrupted (its lock is gone) and runs again from the start.
@app.task(name="imports.run_import", acks_late=True, reject_on_worker_lost=True)
def run_import(job_id: int) -> str:
    return import_job_run(job_id=job_id).status
