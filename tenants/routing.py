"""Host name → region, remembered in each process.

Every request of a region's site needs its region; reading ``tenants_domain`` for each was a
query per request, hello-world pages included. Each process keeps the regions it has routed to,
and trusts them only while

* the *routing version* in the shared cache (Redis) is the one it saw when it read them — every
  change of a region or a domain (create, add or remove a domain, suspend, resume, archive, time
  zone …) sets a new version when it is made and again once its transaction commits; the
  changing process drops its copies at once, every other one when it next reads the version,
  which it does at most once per ``VERSION_CHECK_INTERVAL`` (1 s: a change reaches every
  process within a second, and a busy process asks the shared cache once a second, not once a
  request); and
* they are younger than ``ROUTES_TTL`` seconds — a backstop for a change that bypassed the
  signals (a raw SQL ``UPDATE``), or a process killed between its commit and the new version.

The version is read *before* the database, and set *after* the commit: a process that read the
old version and then old rows stores them under the old version, which the next request no
longer accepts. Unknown hosts are not remembered (they would be an unbounded set).
"""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_tenants.utils import schema_context

from tenants.models import Domain, Region, RegionStatus

VERSION_KEY = "tenants:routing-version"
ROUTES_TTL = 60.0
# how long a process trusts the version it last read before asking the shared cache again
VERSION_CHECK_INTERVAL = 1.0


class _Routes:
    def __init__(self) -> None:
        self.version: str | None = None
        self.loaded_at = 0.0
        self.checked_at = 0.0
        self.hosts: dict[str, Region] = {}

    def reset(self, version: str) -> None:
        self.version, self.loaded_at, self.hosts = version, time.monotonic(), {}


_routes = _Routes()


def _current_version() -> str:
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        version = cache.get(VERSION_KEY)
        if version is None:
            # lost (a flushed or restarted cache): agree on a new one, so nothing is trusted
            cache.add(VERSION_KEY, secrets.token_hex(8), timeout=None)
            version = cache.get(VERSION_KEY)
    return str(version)


def region_for_host(hostname: str) -> Region | None:
    """The live (not archived) region that owns ``hostname``, else ``None``. A copy per call:
    a view may change its request's region (its time zone) without touching the cached one."""
    now = time.monotonic()
    if now - _routes.checked_at >= VERSION_CHECK_INTERVAL or now - _routes.loaded_at > ROUTES_TTL:
        version = _current_version()
        _routes.checked_at = now
        if version != _routes.version or now - _routes.loaded_at > ROUTES_TTL:
            _routes.reset(version)
    region = _routes.hosts.get(hostname)
    if region is None:
        domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
        if domain is None or domain.tenant.status == RegionStatus.ARCHIVED:
            return None
        region = _routes.hosts[hostname] = domain.tenant
    return copy.copy(region)


def forget_routes() -> None:
    """Drop this process's copies (and a rolled-back test's regions with them)."""
    _routes.reset("")
    _routes.checked_at = 0.0


def _bump() -> None:
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        cache.set(VERSION_KEY, secrets.token_hex(8), timeout=None)
    forget_routes()  # this process at once; the others at their next check


def routing_changed() -> None:
    """A new routing version now — the changing transaction itself (and a test, which never
    commits) routes by its own rows — and again once it commits: whatever another process read
    in between was the old rows."""
    _bump()
    transaction.on_commit(_bump)


@receiver(post_save, sender=Region)
@receiver(post_delete, sender=Region)
@receiver(post_save, sender=Domain)
@receiver(post_delete, sender=Domain)
def _region_or_domain_changed(sender: Any, **kwargs: Any) -> None:
    routing_changed()
