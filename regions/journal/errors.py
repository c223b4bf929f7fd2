"""Errors of the journal's services: a Russian message for the user, the field it concerns,
and the HTTP status an endpoint answers with."""

from __future__ import annotations


class JournalError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class JournalForbidden(JournalError):
    status = 403
    code = "forbidden"


class JournalNotFound(JournalError):
    status = 404
    code = "not_found"
