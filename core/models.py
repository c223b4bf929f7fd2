"""The shared kernel's tables. They exist in ``public`` (federal operators) and in every
region schema (that region's users and its audit trail)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models

from core.roles import Role


class User(AbstractUser):
    """An account of the schema it lives in: federal operators in ``public``, a region's
    teachers, students, parents and admins in that region's schema.

    ``sso_subject`` links the account to the identity provider's user (Keycloak ``sub``);
    ``roles`` mirrors the realm roles of the last login.
    """

    # Django's own field, compared byte by byte ("C"): the same equality (every PostgreSQL
    # collation here is deterministic), an index built and searched with memcmp instead of
    # strcoll — 1,000,000 accounts of a region's first import: 1.7 → 0.4 s.
    username = models.CharField(
        **{**AbstractUser._meta.get_field("username").deconstruct()[3], "db_collation": "C"}
    )
    # Unique where set (as unique=True was: NULLs never clash), indexed only where set: an
    # account gets its subject at the first login, and a region's first import made a million
    # accounts whose NULLs went into the index for nothing (0.24-0.44 s of the import).
    sso_subject = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 - NULL: none yet
    roles = ArrayField(models.CharField(max_length=32, choices=Role.choices), default=list, blank=True)
    # What the identity provider last received for this account (hash of username, enabled,
    # roles, groups, person): an unchanged re-provisioning makes no write to Keycloak.
    sso_sync_hash = models.CharField(max_length=64, blank=True)

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]  # django-stubs do not declare it
        constraints = [
            models.UniqueConstraint(
                fields=["sso_subject"],
                condition=models.Q(sso_subject__isnull=False),
                name="core_user_sso_subject_set",
            )
        ]

    def has_role(self, role: Role | str) -> bool:
        return self.is_superuser or str(role) in self.roles


class AuditEvent(models.Model):
    """Who changed what, when, from which value to which. Append-only."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    entity = models.CharField(max_length=64)
    entity_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["entity", "entity_id"])]

    def __str__(self) -> str:
        return f"{self.at:%d.%m.%Y %H:%M} {self.actor_label or 'system'} {self.action} {self.entity}"


class SsoSession(models.Model):
    """One platform session opened by a login through the identity provider: the realm's
    session id (``sid`` of the ID token) ↔ the Django session, so that a back-channel logout
    from the identity provider can end every platform session of that realm session."""

    sid = models.CharField(max_length=128, db_index=True)
    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sso_sessions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%d.%m.%Y %H:%M}"
