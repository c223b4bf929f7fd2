"""The header's links and unread count for region users. Lazy: a page that does not render
the header's count makes no query for it."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from core.db import db
from core.roles import Role


class JournalNav:
    def __init__(self, user: Any):
        self.user = user
        roles = set(user.roles or ())
        self.journal = user.is_superuser or bool(
            roles & {Role.TEACHER, Role.SCHOOL_ADMIN, Role.REGIONAL_ADMIN}
        )
        self.diary = bool(roles & {Role.STUDENT, Role.PARENT})
        self.audit = user.is_superuser or bool(roles & {Role.SCHOOL_ADMIN, Role.REGIONAL_ADMIN})

    @cached_property
    def unread(self) -> int:
        from regions.journal.selectors import unread_count
        from regions.journal.versions import account_value

        # notifications move the account's version (u:<user>): counted once per version
        return account_value(self.user, "unread", lambda: unread_count(self.user))


def journal_nav(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or db.schema_name == settings.PUBLIC_SCHEMA_NAME:
        return {}
    return {"journal_nav": JournalNav(user)}
