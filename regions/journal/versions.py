"""Caches that can never serve what was true before a committed change.

PostgreSQL keeps a version per *scope* in ``journal_dataversion``: its triggers set a new one,
in the writing transaction, whenever a row that a page or a viewer's rights are read from
changes (``DataVersion``, migration ``journal.0002``). A request reads the versions it needs in
ONE query before anything else, and a cached value is used only if it was computed under exactly
those versions. Reading the versions before the data and writing them in the data's own
transaction is what makes it airtight: a value computed from rows older than a commit carries a
version older than that commit.

Two things are cached this way:

* the **account** of a session's user (``core.sso.backends``): the ``User`` row, its
  ``regions.access.Viewer`` and per-account data such as a parent's children or the unread
  count, under the versions of ``region`` and ``u:<user>``;
* **pages** (``cached_page``): the journal grid and the diary week as sent, per user and URL,
  under those versions plus the page's own scopes (``c:<class>``, ``g:<group>``).

Each process keeps recent values in memory (bounded, least recently used first out); pages also
go to the shared cache, keyed by the region's schema and row id (a region created anew under the
same code never sees the old one's pages).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.utils import timezone, translation

from core import sessions
from core.db import db, fetch_prepared
from core.memo import Memo

REGION = "region"


def user_scope(user_id: int) -> str:
    return f"u:{user_id}"


def class_scope(class_id: int) -> str:
    return f"c:{class_id}"


def group_scope(group_id: int) -> str:
    return f"g:{group_id}"


# the versions, and the check of a session taken from memory as a last row (its parameters follow)
_READ_WITH_SESSION = (
    "SELECT scope, n, NULL FROM journal_dataversion WHERE scope = ANY(%s) "  # noqa: S608 — constants only
    "UNION ALL SELECT NULL, NULL, (" + sessions.CHECK_SQL + ")"
)


def read(scopes: Iterable[str]) -> dict[str, int]:
    """The versions of ``scopes`` (0 for a scope never written), one query."""
    wanted = sorted(set(scopes))
    pending = sessions.pending_check()
    if pending is None:
        got = dict(fetch_prepared("SELECT scope, n FROM journal_dataversion WHERE scope = ANY(%s)", [wanted]))
    else:
        # the session this request took from memory is confirmed in the same round trip
        rows = fetch_prepared(_READ_WITH_SESSION, [wanted, *sessions.check_params(pending)])
        got = {scope: n for scope, n, _ in rows if scope is not None}
        sessions.settle(pending, next(stored for scope, _, stored in rows if scope is None))
    return {scope: got.get(scope, 0) for scope in wanted}


_accounts = Memo(getattr(settings, "JOURNAL_MEMO_ACCOUNTS", 4096))
_pages = Memo(getattr(settings, "JOURNAL_MEMO_PAGES", 256))
# URLs (with their query) of the pages in _pages, of any user: other URLs skip the lookup at once
_page_paths = Memo(getattr(settings, "JOURNAL_MEMO_PAGES", 256))


def clear_process_caches() -> None:
    """Forget what this process remembers (tests: a rolled-back test leaves nothing behind)."""
    _accounts.clear()
    _pages.clear()
    _page_paths.clear()


def _region_key() -> tuple[str, Any]:
    return (db.schema_name, getattr(db.tenant, "pk", None))


# --- accounts -------------------------------------------------------------------------------------


@dataclass
class Account:
    """What one user's requests reuse while ``stamp`` (region, u:<user>) holds."""

    stamp: tuple[int, int]
    user: Any
    viewer: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
    # the scopes this user's pages read last time: fetched with the stamp, in the same query
    scopes: frozenset[str] = frozenset()


def _clone(instance: Any) -> Any:
    """A copy of a model instance, as ``copy.copy`` makes it (``Model.__getstate__``: its own
    ``__dict__`` and field cache) without the pickling protocol's model lookup and checks."""
    clone = instance.__class__.__new__(instance.__class__)
    clone.__dict__.update(instance.__getstate__())
    return clone


def account_user(user_id: int, load: Callable[[int], Any]) -> Any:
    """The user ``user_id`` of the current region — from this process's memory when neither
    the region's roster nor the account changed since, else ``load(user_id)``. The user
    carries the versions read for this request (``_versions``) and its account (``_account``),
    and, when known, its viewer (``_region_viewer``, see ``regions.access.viewer_for``)."""
    key = (*_region_key(), user_id)
    entry: Account | None = _accounts.get(key)
    own = user_scope(user_id)
    versions = read({REGION, own} | (entry.scopes if entry is not None else frozenset()))
    stamp = (versions[REGION], versions[own])
    if entry is None or entry.stamp != stamp:
        loaded = load(user_id)
        if loaded is None:
            return None
        entry = Account(stamp=stamp, user=loaded, scopes=entry.scopes if entry is not None else frozenset())
        _accounts.set(key, entry)
    user = _clone(entry.user)
    user._versions = versions
    user._account = entry
    if entry.viewer is not None:
        user._region_viewer = entry.viewer
    return user


def account_value(user: Any, name: str, compute: Callable[[], Any]) -> Any:
    """A value derived from the account and the region's roster (a parent's children, the unread
    count), computed once per account version."""
    entry: Account | None = getattr(user, "_account", None)
    if entry is None:
        return compute()
    if name not in entry.extra:
        entry.extra[name] = compute()
    return entry.extra[name]


def remember_viewer(user: Any, viewer: Any) -> None:
    entry: Account | None = getattr(user, "_account", None)
    if entry is not None:
        entry.viewer = viewer


def versions_for(user: Any, scopes: Iterable[str]) -> dict[str, int]:
    """Versions of ``scopes`` for this request: those read with the account, the others in one
    more query (remembered for the account's next request, so that it needs none)."""
    have: dict[str, int] = getattr(user, "_versions", None) or {}
    wanted = set(scopes)
    missing = wanted - have.keys()
    if missing:
        have = {**have, **read(missing)}
        if getattr(user, "_versions", None) is not None:
            user._versions = have
        entry: Account | None = getattr(user, "_account", None)
        if entry is not None:
            entry.scopes = entry.scopes | missing
    return {scope: have[scope] for scope in wanted}


# --- pages ----------------------------------------------------------------------------------------

# every CSRF token a page carries, as Django's {% csrf_token %} and regions.journal.render write it
_CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
_CSRF_SLOT = "\x00csrf\x00"
_CSRF_SLOT_BYTES = _CSRF_SLOT.encode()


_CSRF_INDEX = {c: i for i, c in enumerate(CSRF_ALLOWED_CHARS)}
_CSRF_BASE = len(CSRF_ALLOWED_CHARS)
_CSRF_BYTE_LIMIT = 256 - 256 % _CSRF_BASE  # bytes at or over it are dropped: no modulo bias


def _csrf_token(request: HttpRequest) -> str:
    """``django.middleware.csrf.get_token``, with its per-response mask drawn from one
    ``os.urandom`` call instead of 32 ``secrets.choice`` calls (each a system call) — the same
    alphabet, uniform, and the same cipher, so Django's middleware unmasks it as its own.
    Without a CSRF cookie yet, Django's own function makes and sets one."""
    secret = request.META.get("CSRF_COOKIE")
    if not secret or len(secret) != CSRF_SECRET_LENGTH or not set(secret) <= _CSRF_INDEX.keys():
        return get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # as get_token: the cookie's expiry is renewed
    mask: list[int] = []
    while len(mask) < len(secret):
        mask.extend(b % _CSRF_BASE for b in os.urandom(2 * len(secret)) if b < _CSRF_BYTE_LIMIT)
    mask = mask[: len(secret)]
    chars = CSRF_ALLOWED_CHARS
    cipher = "".join(chars[(_CSRF_INDEX[c] + m) % _CSRF_BASE] for c, m in zip(secret, mask, strict=True))
    return "".join(chars[m] for m in mask) + cipher


def _page_key(request: HttpRequest, user: Any) -> tuple[Any, ...]:
    """Per region, user, URL (with its query), language, day and region name."""
    tenant = getattr(request, "tenant", None)
    return (
        *_region_key(),
        user.pk,
        request.get_full_path(),
        translation.get_language(),
        timezone.localdate().isoformat(),
        getattr(tenant, "name", ""),
    )


def _page_response(request: HttpRequest, hit: tuple[Any, str, bytes]) -> HttpResponse:
    _stamp, content_type, body = hit
    token = _csrf_token(request).encode()
    response = HttpResponse(body.replace(_CSRF_SLOT_BYTES, token), content_type=content_type)
    response["X-Page-Cache"] = "hit"
    return response


def _remember_page(request: HttpRequest, key: tuple[Any, ...], entry: tuple[Any, str, bytes]) -> None:
    _pages.set(key, entry)
    _page_paths.set(request.get_full_path(), True)


def _cacheable(request: HttpRequest, user: Any) -> bool:
    if not getattr(settings, "JOURNAL_PAGE_CACHE", True) or not user.is_authenticated:
        return False
    return not len(get_messages(request))  # a page showing a one-time message is rendered


def cached_page(
    request: HttpRequest, *, name: str, scopes: Iterable[str], render: Callable[[], HttpResponse]
) -> HttpResponse:
    """The page ``render()`` makes, from a cache while none of the versions of ``scopes`` (plus
    the region and the user's account) moved. Per user, URL, language, day and region name.

    Only a 200 is kept, never a page that shows a one-time message. A cached page gets the
    request's own CSRF token. ``JOURNAL_PAGE_CACHE = False`` turns the cache off (the benchmark
    measures both). ``name`` names the page in the shared cache's key."""
    user = request.user
    if not _cacheable(request, user) or user.pk is None:
        return render()
    versions = versions_for(user, {REGION, user_scope(user.pk), *scopes})
    stamp = tuple(sorted(versions.items()))
    key = _page_key(request, user)
    # (a digest: a path and a region's name make keys too long and spaced for a cache key)
    shared_key = f"journal:{name}:" + hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
    hit = _pages.get(key)
    if hit is None or hit[0] != stamp:
        hit = cache.get(shared_key)
        if hit is not None and hit[0] == stamp:
            _remember_page(request, key, hit)
    if hit is not None and hit[0] == stamp:
        return _page_response(request, hit)
    response = render()
    if response.status_code == 200 and not getattr(response, "streaming", False):
        text = _CSRF_INPUT.sub(rf"\g<1>{_CSRF_SLOT}\g<2>", response.content.decode(response.charset))
        entry = (stamp, response["Content-Type"], text.encode(response.charset))
        _remember_page(request, key, entry)
        cache.set(shared_key, entry, timeout=getattr(settings, "JOURNAL_PAGE_CACHE_TTL", 3600))
    return response


def remembered_page(request: HttpRequest) -> HttpResponse | None:
    """The page this process last sent this user for this URL, if every version it was made
    under still holds — checked before the URL is resolved and the view runs
    (``regions.journal.middleware.RememberedPageMiddleware``). The page's scopes are the keys of
    its stamp; the versions read with the account already carry them (``Account.scopes``), so
    this costs no query of its own. None: let the view answer (it caches what it renders)."""
    if (
        request.method != "GET"
        or db.schema_name == settings.PUBLIC_SCHEMA_NAME  # the journal's pages are a region's
        or _page_paths.get(request.get_full_path()) is None
    ):
        return None
    user = request.user
    if not _cacheable(request, user):
        return None
    hit = _pages.get(_page_key(request, user))
    if hit is None:
        return None
    stamp = hit[0]
    versions = versions_for(user, (scope for scope, _n in stamp))
    if tuple(sorted(versions.items())) != stamp:
        return None
    return _page_response(request, hit)
