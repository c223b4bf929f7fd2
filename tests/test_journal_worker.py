"""The notification e-mail goes through a real Celery worker (a separate process on the
machine's Redis) and runs in the schema of the region that queued it."""

from __future__ import annotations

import secrets
import time

import pytest
from django.db import transaction
from django_tenants.utils import schema_context, tenant_context

from core.models import User
from core.roles import Role
from regions.journal import services
from regions.journal.models import Notification, NotificationKind
from regions.people.models import GuardianLink, Person


@pytest.mark.services
def test_notification_email_is_sent_by_the_worker_in_the_regions_schema(
    celery_worker_process, django_db_blocker, django_db_setup
):
    from tenants.models import Region

    token = secrets.token_hex(6)
    with django_db_blocker.unblock():
        region = Region.objects.get(code="05", status="active")
        with tenant_context(region):
            user = User.objects.create_user(
                username=f"worker-parent-{token}", email="parent@example.ru", roles=[Role.PARENT]
            )
            parent = Person.objects.create(
                registry_id=f"wp-{token}", surname="Родитель", name="Тест", user=user
            )
            child = Person.objects.create(registry_id=f"wc-{token}", surname="Ребёнок", name="Тест")
            link = GuardianLink.objects.create(parent=parent, child=child)
        try:
            with tenant_context(region), transaction.atomic():
                [note] = services.notifications_create(
                    student_id=child.pk,
                    kind=NotificationKind.MARK_NEW,
                    text=f"Ребёнок Тест: новая оценка 5 ({token})",
                    link=services.diary_link(child.pk, parent.created_at.date()),
                    in_app_field="marks_in_app",
                    email_field="marks_email",
                )
            # queued on commit; the worker marks it sent in region 05's schema
            deadline = time.monotonic() + 90
            emailed = None
            while time.monotonic() < deadline:
                with tenant_context(region):
                    emailed = Notification.objects.get(pk=note.pk).emailed_at
                if emailed is not None:
                    break
                time.sleep(0.5)
            assert emailed is not None, "the worker did not send the e-mail within 90 s"
            with schema_context("region_16"):
                assert not Notification.objects.filter(text__contains=token).exists()
        finally:
            with tenant_context(region):
                Notification.objects.filter(recipient=user).delete()
                link.delete()
                child.delete()
                parent.delete()
                user.delete()
