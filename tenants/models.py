"""Region tenants and their domains. These tables live in ``public``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy
from django_tenants.models import DomainMixin, TenantMixin


class RegionStatus(models.TextChoices):
    ACTIVE = "active", gettext_lazy("Работает")
    SUSPENDED = "suspended", gettext_lazy("Приостановлен")
    ARCHIVED = "archived", gettext_lazy("В архиве")


class IdentityStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("Ожидает настройки")
    READY = "ready", gettext_lazy("Настроен")
    FAILED = "failed", gettext_lazy("Ошибка")


class Region(TenantMixin):
    """A federal subject of Russia served by the platform: one PostgreSQL schema.

    The ``public`` schema is a row too (django-tenants needs it); it has no ``code``.
    """

    # NULL only for the public row: "no region", distinct from any code.
    code = models.CharField(max_length=2, null=True, blank=True)  # noqa: DJ001
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="Europe/Moscow")
    status = models.CharField(max_length=16, choices=RegionStatus.choices, default=RegionStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    archive_path = models.CharField(max_length=500, blank=True)
    archived_domains = models.JSONField(default=list, blank=True)
    # The region's realm in the identity provider: provisioned after the region is created
    # (a Celery task), so a missing or unreachable identity provider never blocks creation.
    identity_status = models.CharField(
        max_length=16, choices=IdentityStatus.choices, default=IdentityStatus.PENDING
    )
    identity_detail = models.CharField(max_length=500, blank=True)
    identity_synced_at = models.DateTimeField(null=True, blank=True)

    # Region creation runs the schema's migrations explicitly inside one transaction
    # (tenants.services.region_create), so a failure leaves nothing behind.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["code"]
        constraints = [
            # An archived region keeps its row; the code is free to be created again.
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(status="archived"), name="region_code_unique_live"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}" if self.code else self.name

    @property
    def is_public(self) -> bool:
        return self.code is None

    @property
    def is_suspended(self) -> bool:
        return self.status == RegionStatus.SUSPENDED


class Domain(DomainMixin):
    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


def schema_name_for(code: str) -> str:
    return f"region_{code}"
