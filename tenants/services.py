"""Region lifecycle: every write to regions and their domains goes through here.

Creation runs ``CREATE SCHEMA`` and all the region's migrations inside one transaction:
PostgreSQL's DDL is transactional, so a failure at any point (or a killed process) leaves no
row, no schema and no domain behind, and running the command again succeeds.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.db import db
from core.federal_subjects import get_federal_subject
from tenants.identity.services import identity_queue
from tenants.models import Domain, Region, RegionStatus, schema_name_for

logger = logging.getLogger(__name__)

# RFC 1123 host names; lowercase; no port, no trailing dot, at least two labels.
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOSTNAME = re.compile(rf"^{_LABEL}(\.{_LABEL})+$")


class RegionError(Exception):
    """A request about regions that cannot be carried out; the message says why, in Russian."""


class RegionNotFound(RegionError):
    """The code is valid but no live region has it."""


def normalize_domain(domain: str) -> str:
    value = (domain or "").strip().lower()
    if not value:
        raise RegionError(_("Домен не указан"))
    if len(value) > 253 or not _HOSTNAME.match(value):
        raise RegionError(
            _(
                "Некорректный домен «%(domain)s»: ожидается имя хоста вида dagestan.example.ru (латинские буквы, цифры, дефис; без порта и схемы)"
            )
            % {"domain": domain}
        )
    if value in settings.PLATFORM_HOSTS:
        raise RegionError(_("Домен «%(value)s» принадлежит федеральной консоли платформы") % {"value": value})
    return value


def _check_code(code: str) -> str:
    code = (code or "").strip()
    if len(code) == 1 and code.isdigit():
        code = f"0{code}"
    if get_federal_subject(code) is None:
        raise RegionError(
            _(
                "Код региона «%(code)s» не входит в перечень субъектов Российской Федерации (см. core/data/federal_subjects.csv)"
            )
            % {"code": code}
        )
    return code


def _check_domains_free(domains: Iterable[str]) -> list[str]:
    cleaned = [normalize_domain(d) for d in domains]
    if len(set(cleaned)) != len(cleaned):
        raise RegionError(_("Домен указан дважды"))
    taken = dict(Domain.objects.filter(domain__in=cleaned).values_list("domain", "tenant__code"))
    for domain in cleaned:
        if domain in taken:
            raise RegionError(
                _("Домен «%(domain)s» уже занят регионом %(value)s")
                % {"domain": domain, "value": taken[domain] or "платформы"}
            )
    return cleaned


def _schema_exists(schema_name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema_name])
        return cursor.fetchone() is not None


def region_get(*, code: str) -> Region:
    code = _check_code(code)
    region = Region.objects.exclude(status=RegionStatus.ARCHIVED).filter(code=code).first()
    if region is None:
        raise RegionNotFound(_("Регион %(code)s не создан на платформе") % {"code": code})
    return region


def region_create(
    *,
    code: str,
    name: str | None = None,
    domains: Iterable[str],
    timezone_name: str | None = None,
    actor: Any = None,
) -> Region:
    """Create region ``code``: its schema with every region table, and its domains."""
    code = _check_code(code)
    subject = get_federal_subject(code)
    if subject is None:  # _check_code guarantees it; keeps the type checker honest
        raise RegionError(_("Код региона «%(code)s» не найден") % {"code": code})
    domains = list(domains)
    if not domains:
        raise RegionError(_("Укажите хотя бы один домен региона"))
    if Region.objects.filter(code=code).exclude(status=RegionStatus.ARCHIVED).exists():
        raise RegionError(_("Регион %(code)s уже создан") % {"code": code})
    cleaned = _check_domains_free(domains)
    schema_name = schema_name_for(code)
    if _schema_exists(schema_name):
        raise RegionError(
            _(
                "Схема %(schema_name)s уже существует в базе, но регион %(code)s не зарегистрирован; она не будет изменена — проверьте её и удалите вручную"
            )
            % {"schema_name": schema_name, "code": code}
        )
    name = (name or subject.name).strip()
    if not name:
        raise RegionError(_("Название региона не может быть пустым"))

    try:
        with transaction.atomic():
            region = Region(
                schema_name=schema_name,
                code=code,
                name=name,
                timezone=timezone_name or subject.timezone,
            )
            region.full_clean(exclude=["schema_name"])
            region.save()
            region.create_schema(check_if_exists=False, verbosity=0)
            for i, domain in enumerate(cleaned):
                Domain.objects.create(tenant=region, domain=domain, is_primary=(i == 0))
            audit_record(
                actor=actor,
                action="region_create",
                entity="region",
                entity_id=code,
                changes={"name": [None, name], "domains": [None, cleaned]},
            )
    except IntegrityError as exc:
        # Someone else created the same code or domain at the same moment.
        raise RegionError(
            _("Регион %(code)s или один из доменов уже занят: %(value)s")
            % {"code": code, "value": exc.__cause__ or exc}
        ) from exc
    finally:
        db.set_schema_to_public()
    logger.info("region created: %s (%s)", code, schema_name)
    identity_queue(action="realm_ensure", region_id=region.pk)
    return region


def region_rename(*, code: str, name: str, actor: Any = None) -> Region:
    region = region_get(code=code)
    name = (name or "").strip()
    if not name:
        raise RegionError(_("Название региона не может быть пустым"))
    old = region.name
    region.name = name
    region.save(update_fields=["name"])
    audit_record(
        actor=actor, action="region_rename", entity="region", entity_id=code, changes={"name": [old, name]}
    )
    return region


def region_add_domain(*, code: str, domain: str, actor: Any = None) -> Domain:
    region = region_get(code=code)
    (cleaned,) = _check_domains_free([domain])
    with transaction.atomic():
        has_primary = region.domains.filter(is_primary=True).exists()
        created = Domain.objects.create(tenant=region, domain=cleaned, is_primary=not has_primary)
        audit_record(
            actor=actor,
            action="region_add_domain",
            entity="region",
            entity_id=code,
            changes={"domains": [None, cleaned]},
        )
    identity_queue(action="realm_sync_domains", region_id=region.pk)
    return created


def region_remove_domain(*, code: str, domain: str, actor: Any = None) -> None:
    region = region_get(code=code)
    cleaned = (domain or "").strip().lower()
    with transaction.atomic():
        domains = list(region.domains.select_for_update().order_by("-is_primary", "domain"))
        target = next((d for d in domains if d.domain == cleaned), None)
        if target is None:
            raise RegionError(
                _("У региона %(code)s нет домена «%(cleaned)s»") % {"code": code, "cleaned": cleaned}
            )
        if len(domains) == 1:
            raise RegionError(
                _("Нельзя удалить последний домен региона %(code)s: регион станет недоступен")
                % {"code": code}
            )
        target.delete()
        if target.is_primary:
            successor = next(d for d in domains if d.pk != target.pk)
            successor.is_primary = True
            successor.save(update_fields=["is_primary"])
        audit_record(
            actor=actor,
            action="region_remove_domain",
            entity="region",
            entity_id=code,
            changes={"domains": [cleaned, None]},
        )
    identity_queue(action="realm_sync_domains", region_id=region.pk)


def _set_status(region: Region, status: str, actor: Any, action: str) -> Region:
    old = region.status
    region.status = status
    region.status_changed_at = timezone.now()
    region.save(update_fields=["status", "status_changed_at"])
    audit_record(
        actor=actor, action=action, entity="region", entity_id=region.code, changes={"status": [old, status]}
    )
    return region


def region_suspend(*, code: str, actor: Any = None) -> Region:
    region = region_get(code=code)
    if region.status == RegionStatus.SUSPENDED:
        raise RegionError(_("Регион %(code)s уже приостановлен") % {"code": code})
    return _set_status(region, RegionStatus.SUSPENDED, actor, "region_suspend")


def region_resume(*, code: str, actor: Any = None) -> Region:
    region = region_get(code=code)
    if region.status == RegionStatus.ACTIVE:
        raise RegionError(_("Регион %(code)s уже работает") % {"code": code})
    return _set_status(region, RegionStatus.ACTIVE, actor, "region_resume")


def pg_dump_binary() -> str:
    """pg_dump must not be older than the server: prefer an explicit PG_DUMP, then the one
    shipped with pgserver (16), then the system's."""
    import os

    explicit = os.environ.get("PG_DUMP")
    if explicit:
        return explicit
    from config.embedded_db import embedded_pg_bin_dir

    bundled = embedded_pg_bin_dir() / "pg_dump"
    if bundled.exists():
        return str(bundled)
    found = shutil.which("pg_dump")
    if not found:
        raise RegionError(_("pg_dump не найден: задайте переменную окружения PG_DUMP"))
    return found


def _dump_schema(schema_name: str, target: Path) -> None:
    db = settings.DATABASES["default"]
    cmd = [
        pg_dump_binary(),
        "--format=custom",
        f"--schema={schema_name}",
        f"--file={target}",
        "--no-owner",
        f"--dbname={db['NAME']}",
        f"--username={db['USER'] or 'postgres'}",
    ]
    if db.get("HOST"):
        cmd.append(f"--host={db['HOST']}")
    if db.get("PORT"):
        cmd.append(f"--port={db['PORT']}")
    env = {"PGPASSWORD": str(db.get("PASSWORD") or ""), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if result.returncode != 0 or not target.exists() or target.stat().st_size == 0:
        target.unlink(missing_ok=True)
        raise RegionError(
            _("Не удалось сохранить дамп схемы %(schema_name)s: %(stderr)s")
            % {"schema_name": schema_name, "stderr": result.stderr.strip()[:500]}
        )


def region_archive(*, code: str, confirm: str, actor: Any = None) -> Region:
    """Dump the region's schema to a file, then detach it: the region stops being served, its
    schema is renamed ``archived_<code>_<time>`` and kept. Nothing is dropped."""
    region = region_get(code=code)
    if confirm != region.code:
        raise RegionError(
            _("Архивирование не подтверждено: повторите код региона (%(code)s) в подтверждении")
            % {"code": region.code}
        )
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    archive_dir = Path(settings.REGION_ARCHIVE_DIR)
    archive_dir.mkdir(parents=True, exist_ok=True)
    target = archive_dir / f"{region.schema_name}-{stamp}.dump"
    _dump_schema(region.schema_name, target)
    new_schema = f"archived_{region.code}_{stamp.lower()}"
    with transaction.atomic():
        domains = list(region.domains.values_list("domain", flat=True))
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER SCHEMA "{region.schema_name}" RENAME TO "{new_schema}"')
        old_status = region.status
        region.domains.all().delete()
        Region.objects.filter(pk=region.pk).update(
            schema_name=new_schema,
            status=RegionStatus.ARCHIVED,
            status_changed_at=timezone.now(),
            archive_path=str(target),
            archived_domains=domains,
        )
        audit_record(
            actor=actor,
            action="region_archive",
            entity="region",
            entity_id=code,
            changes={
                "status": [old_status, RegionStatus.ARCHIVED],
                "domains": [domains, None],
                "archive": [None, str(target)],
            },
        )
    region.refresh_from_db()
    logger.info("region archived: %s → %s, dump %s", code, new_schema, target)
    return region


def region_set_timezone(*, region: Region, timezone_name: str, actor: Any = None) -> Region:
    """The region's own time zone (lesson times, dates of marks and deadlines are read in it).
    Called by the region's regional admin from inside the region: only for the region the
    connection serves."""
    import zoneinfo

    if region.is_public or db.schema_name != region.schema_name:
        raise RegionError(_("Часовой пояс меняется только для своего региона"))
    name = (timezone_name or "").strip()
    if name not in zoneinfo.available_timezones():
        raise RegionError(
            _("Неизвестный часовой пояс «%(name)s»: ожидается имя из базы IANA, например Europe/Moscow")
            % {"name": name[:64]}
        )
    old = region.timezone
    if old == name:
        return region
    region.timezone = name
    region.save(update_fields=["timezone"])
    audit_record(
        actor=actor,
        action="region_set_timezone",
        entity="region",
        entity_id=region.code,
        changes={"timezone": [old, name]},
    )
    return region
