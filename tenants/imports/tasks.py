"""Celery interface of the registry import: load the job by id, call the service."""

from __future__ import annotations

from config.celery import app
from tenants.imports.services import import_job_run


# acks_late: a worker lost before it started the job leaves the message to be delivered again.
# A job the worker had started is found interrupted instead and is not run again (a new job is).
@app.task(name="imports.run_import", acks_late=True)
def run_import(job_id: int) -> str:
    return import_job_run(job_id=job_id).status
