"""Which platform account a validated token belongs to.

In the schema of the host (a region, or ``public`` for the federal console): first the account
whose ``sso_subject`` is the token's ``sub``; else, in a region, the account of the person named
by the ``msh_person_id`` claim (the identity provider's user attribute that the platform itself
provisioned: the person's id) — created on first login if the registry import has not created it
yet. Never by name or e-mail. Users without a person (regional admins, federal operators) are
found or created by ``sso_subject`` alone. ``User.roles`` follows the token's realm roles.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.models import User
from core.roles import Role
from core.sso.config import RealmConfig

ROLE_VALUES = frozenset(Role.values)


class LinkError(Exception):
    """The token is valid but names no usable account here; the message is for the user."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def roles_of(claims: dict[str, Any]) -> list[str]:
    realm_access = claims.get("realm_access")
    roles = realm_access.get("roles", []) if isinstance(realm_access, dict) else []
    return sorted({r for r in roles if isinstance(r, str) and r in ROLE_VALUES})


def _person_user(person_id: Any, sub: str) -> User:
    from regions.people.models import Person

    if not str(person_id).isdigit():
        raise LinkError(
            "bad_person_claim", _("Учётная запись сервера входа настроена неверно: обратитесь в РЦК")
        )
    person = Person.objects.select_related("user").select_for_update().filter(pk=int(person_id)).first()
    if person is None or not person.is_active:
        raise LinkError(
            "person_not_found",
            _("Ваша учётная запись не связана ни с одним действующим человеком в реестре этого региона"),
        )
    user = person.user
    if user is None:
        user = User.objects.create(username=f"p{person.pk}", sso_subject=sub)
        person.user = user
        person.save(update_fields=["user", "updated_at"])
        return user
    if user.sso_subject and user.sso_subject != sub:
        raise LinkError(
            "person_linked_elsewhere", _("Этот человек уже связан с другой учётной записью входа")
        )
    return user


def user_for_claims(claims: dict[str, Any], realm: RealmConfig) -> User:
    """The account of these (already validated) claims in the current schema, roles refreshed.
    Writes only when something changed, so a bearer request usually costs one read."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise LinkError("no_subject", _("В токене нет идентификатора пользователя"))
    roles = roles_of(claims)
    user = User.objects.filter(sso_subject=sub).first()
    if user is None:
        with transaction.atomic():
            person_id = claims.get("msh_person_id")
            if person_id not in (None, "") and not realm.is_federal:
                user = _person_user(person_id, sub)
            else:
                user = User.objects.filter(sso_subject=sub).first() or User(
                    username=f"sso-{sub}"[:150], sso_subject=sub
                )
            user.sso_subject = sub
            user.roles = roles
            if user.pk is None:
                user.set_unusable_password()
            user.save()
    if not user.is_active:
        raise LinkError("account_inactive", _("Учётная запись отключена"))
    if sorted(user.roles or []) != roles:
        user.roles = roles
        user.save(update_fields=["roles"])
    return user
