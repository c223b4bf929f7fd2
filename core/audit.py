"""Recording audit events: the single entry point every service uses."""

from __future__ import annotations

from typing import Any

from core.models import AuditEvent


def audit_record(
    *,
    actor: Any | None,
    action: str,
    entity: str,
    entity_id: object = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event in the current schema. ``changes`` maps field → [old, new]."""
    actor_id = getattr(actor, "pk", None)
    label = getattr(actor, "username", "") if actor is not None else ""
    if isinstance(actor, str):
        actor_id, label = None, actor
    return AuditEvent.objects.create(
        actor_id=actor_id,
        actor_label=label or "system",
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        changes=changes or {},
    )
