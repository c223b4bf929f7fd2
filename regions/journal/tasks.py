"""Background work of the journal. Tasks are thin: load by id, call a service. The app is
tenant-aware, so a task runs in the schema of the region that queued it."""

from __future__ import annotations

from config.celery import app
from regions.journal.services import notification_emails_send


@app.task(
    name="journal.send_notification_emails", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_notification_emails(notification_ids: list[int]) -> int:
    return notification_emails_send(notification_ids=notification_ids)
