"""Sessions in PostgreSQL, remembered per process, checked in the request's first query.

Django's ``cached_db`` engine reads the session from Redis on every request: a round trip
(and a Redis command's client overhead) before the page's own first query. Here:

* the session lives in ``django_session`` (``db`` engine, one table per region schema);
* each process remembers recent sessions as stored (the signed ``session_data``) and as decoded,
  keyed by schema and session key (``_memo``, least recently used first out);
* a session served from that memory is **pending** until the database confirms that its row
  still holds exactly that ``session_data`` and has not expired. In a region the confirmation
  rides on the request's first query — the versions read of ``regions.journal.versions.read``,
  which every signed-in page does first — so a cached journal page or diary week costs one
  round trip in all. The memory is used only for that lookup of the user in a region; any
  other first access to a session (a page that writes it without asking for the user, the
  federal console) reads the row, as Django's engine does.
* a row that is gone (logout here or in another process, a back-channel logout from the
  identity provider), changed (any save re-signs the data) or expired fails the check: the
  memory is dropped, the session is read anew, and the user decided again from it.

A process remembers what it writes itself and forgets what it deletes. Nothing is ever taken
from the memory without the database confirming it in the same request, so a revoked session
is refused from its very next request, in every process.
"""

from __future__ import annotations

import copy
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import middleware as auth_middleware
from django.contrib.sessions.backends import db as db_sessions
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from core.db import db
from core.memo import Memo

_memo = Memo(getattr(settings, "SESSION_MEMO_SIZE", 8192))


@dataclass(frozen=True)
class Pending:
    """A session taken from memory, not yet confirmed by the database in this request."""

    schema: str
    session_key: str
    session_data: str


_pending: ContextVar[Pending | None] = ContextVar("session_pending", default=None)
# Memory is used only while this is set: inside AuthenticationMiddleware's user lookup in a
# region, where the backend's first query (the versions read) confirms the session before
# Django's auth does anything with it. Every other first access reads the row: a page that
# writes the session without asking for the user never builds on unconfirmed data.
_from_memory: ContextVar[bool] = ContextVar("session_from_memory", default=False)


class SessionChanged(Exception):
    """The database no longer holds the remembered session: decide again from a fresh read."""


def forget_all() -> None:
    """Forget every remembered session (tests: a rolled-back test leaves nothing behind)."""
    _memo.clear()
    _pending.set(None)


def pending_check() -> Pending | None:
    """The check the current request still owes, if it is due in the connection's schema."""
    pending = _pending.get()
    if pending is None or pending.schema != db.schema_name:
        return None
    return pending


def settle(pending: Pending, stored: str | None) -> None:
    """Record the database's answer for ``pending`` (``stored``: the row's ``session_data``, or
    None if there is no such unexpired row). Raises ``SessionChanged`` if it differs."""
    if _pending.get() is pending:
        _pending.set(None)
    if stored != pending.session_data:
        _memo.pop((pending.schema, pending.session_key))
        raise SessionChanged(pending.session_key)


# The check: the row's data if it has not expired (regions.journal.versions.read runs the same
# subquery beside the versions, with the same parameters).
CHECK_SQL = "SELECT session_data FROM django_session WHERE session_key = %s AND expire_date > %s"


def check_params(pending: Pending) -> list[Any]:
    return [pending.session_key, timezone.now()]


def confirm_pending() -> None:
    """Confirm the pending session with a query of its own (where no versions read carried it);
    raises ``SessionChanged`` if the database disagrees."""
    pending = _pending.get()
    if pending is None:
        return
    if pending.schema != db.schema_name:
        # the request moved to another schema since (never the case for a page): forget it
        _pending.set(None)
        _memo.pop((pending.schema, pending.session_key))
        raise SessionChanged(pending.session_key)
    with connection.cursor() as cursor:
        cursor.execute(CHECK_SQL, check_params(pending))
        row = cursor.fetchone()
    settle(pending, row[0] if row else None)


_IMMUTABLE = (str, int, float, bool, type(None))


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    """A copy the request may change without touching the memory: shallow when every value is
    immutable (the usual session: ids, hashes, the messages as one JSON string), else deep."""
    if all(isinstance(v, _IMMUTABLE) for v in data.values()):
        return dict(data)
    return copy.deepcopy(data)


class SessionStore(db_sessions.SessionStore):
    _written: tuple[str, dict[str, Any]] | None = None  # what save() wrote (create_model_instance)

    def load(self) -> dict[str, Any]:
        key = self.session_key
        if not key:
            return {}
        memo_key = (db.schema_name, key)
        hit = _memo.get(memo_key) if _from_memory.get() else None
        if hit is not None:
            stored, decoded = hit
            _pending.set(Pending(db.schema_name, key, stored))
            return _copy(decoded)
        return self.load_fresh()

    def load_fresh(self) -> dict[str, Any]:
        """Read the row (one query), remember it, and owe nothing: it came from the database."""
        key = self.session_key
        pending = _pending.get()
        if pending is not None and pending.session_key == key:
            _pending.set(None)
        row = cast(Any, self)._get_session_from_db()  # Django's, unknown to the type stubs
        if row is None:
            return {}
        decoded = self.decode(row.session_data)
        _memo.set((db.schema_name, key), (row.session_data, decoded))
        return _copy(decoded)

    def reload(self) -> None:
        """Drop what this object read and read the row again."""
        self._session_cache = self.load_fresh()

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        instance = super().create_model_instance(data)
        self._written = (instance.session_data, data)
        return instance

    def save(self, must_create: bool = False) -> None:
        """Save, and remember what was written: the next request confirms it like any other (a
        save whose transaction rolls back fails that check and is read anew)."""
        if self.session_key:
            _memo.pop((db.schema_name, self.session_key))
        self._written = None
        super().save(must_create=must_create)
        if self._written is not None and self.session_key:
            stored, data = self._written
            _memo.set((db.schema_name, self.session_key), (stored, _copy(data)))

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        if key:
            _memo.pop((db.schema_name, key))
        super().delete(session_key)


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, plus: a request starts owing nothing; a session still unconfirmed at the end
    (only when the user lookup failed between reading and confirming it) is neither trusted nor
    saved."""

    def process_request(self, request: HttpRequest) -> None:
        _pending.set(None)
        _from_memory.set(False)
        super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        try:
            confirm_pending()
        except SessionChanged:
            request.session.modified = False  # nothing built on unconfirmed data is written
        finally:
            _pending.set(None)
            _from_memory.set(False)
        return super().process_response(request, response)


def _user(request: HttpRequest) -> Any:
    """``auth.get_user``, with a remembered session confirmed by the database before the user
    is used: in a region by the backend's first query, else (the federal console) by reading
    the row, as Django's own engine does."""
    in_region = db.schema_name != settings.PUBLIC_SCHEMA_NAME
    token = _from_memory.set(in_region)
    try:
        user = auth.get_user(request)
        confirm_pending()  # the backend returned before its versions read (an unusable id)
        return user
    except SessionChanged:
        _from_memory.set(False)
        session = request.session
        if isinstance(session, SessionStore):
            session.reload()
        return auth.get_user(request)
    finally:
        _from_memory.reset(token)


def get_user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        request._cached_user = _user(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_user(request))  # type: ignore[assignment]
