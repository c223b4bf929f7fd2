"""The academic years and periods a school follows — a school's own year overrides the region's
default (``school = NULL``). Scales and control forms are resolved by
``regions.academics.selectors`` (``school_grading_scale``, ``school_control_forms``). Each
function is one query; pages call each once."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Q

from regions.academics.models import StudyPeriod


def school_periods(school_id: int) -> list[StudyPeriod]:
    """Periods of the academic years the school follows (its own year overrides the region's
    year of the same name), oldest first."""
    rows = list(
        StudyPeriod.objects.filter(
            Q(academic_year__school_id=school_id) | Q(academic_year__school__isnull=True)
        ).select_related("academic_year")
    )
    own_years = {p.academic_year.name for p in rows if p.academic_year.school_id is not None}
    periods = [
        p for p in rows if p.academic_year.school_id is not None or p.academic_year.name not in own_years
    ]
    periods.sort(key=lambda p: (p.academic_year.starts_on, p.number))
    return periods


def pick_period(
    periods: Iterable[StudyPeriod], today: datetime.date, wanted: int | None = None
) -> StudyPeriod | None:
    """The period asked for, else the one containing ``today``, else the last one begun,
    else the first."""
    periods = list(periods)
    if wanted is not None:
        return next((p for p in periods if p.pk == wanted), None)
    for period in periods:
        if period.starts_on <= today <= period.ends_on:
            return period
    begun = [p for p in periods if p.starts_on <= today]
    if begun:
        return begun[-1]
    return periods[0] if periods else None


def year_periods(periods: Iterable[StudyPeriod], academic_year_id: int) -> list[StudyPeriod]:
    return [p for p in periods if p.academic_year_id == academic_year_id]
