"""The session's user, from this process's memory while nothing about the account changed.

Django's ``ModelBackend`` reads the ``User`` row on every request. In a region's site this
backend asks ``regions.journal.versions`` instead: one query reads the versions of the region's
roster and of the account (kept by PostgreSQL triggers), and the user — with its permission
viewer, when a request already built it — comes from memory if both are unchanged. Django still
checks the session's hash against the user's password hash, so a changed password (which
changes the account's version too) still ends the session. The federal console (``public``)
reads the row as before.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from core.db import db


class AccountBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        if db.schema_name == settings.PUBLIC_SCHEMA_NAME:
            return super().get_user(user_id)
        from regions.journal.versions import account_user

        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        return account_user(pk, super().get_user)
