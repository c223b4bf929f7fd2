"""Reads about regions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from tenants.models import Region, RegionStatus


def region_queryset(*, include_archived: bool = False) -> QuerySet[Region]:
    qs = Region.objects.exclude(code__isnull=True).prefetch_related("domains").order_by("code", "pk")
    if not include_archived:
        qs = qs.exclude(status=RegionStatus.ARCHIVED)
    return qs


@dataclass(frozen=True)
class RegionCounts:
    schools: int
    people: int


def region_counts(regions: list[Region]) -> dict[str, RegionCounts]:
    """Schools and people of every live region, in one query across their schemas."""
    live = [r for r in regions if r.status != RegionStatus.ARCHIVED]
    if not live:
        return {}
    parts = []
    for region in live:
        schema = connection.ops.quote_name(region.schema_name)
        # schema names come from Region rows and are quoted; values are parameters
        schools = f"(SELECT count(*) FROM {schema}.schools_school WHERE is_active)"  # noqa: S608
        people = f"(SELECT count(*) FROM {schema}.people_person WHERE is_active)"  # noqa: S608
        parts.append(f"SELECT %s, {schools}, {people}")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), [r.schema_name for r in live])
        return {row[0]: RegionCounts(schools=row[1], people=row[2]) for row in cursor.fetchall()}
