"""What a school actually uses: its grading scale, its control forms, its academic year and
periods — a school's own row overrides the region's default (``school = NULL``) of the same
kind. Each function is one query; pages call each once."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Q

from regions.academics.models import ControlForm, GradingScale, StudyPeriod


def effective_scale(school_id: int) -> GradingScale | None:
    """The school's own default scale, else the region's default scale."""
    rows = list(GradingScale.objects.filter(Q(school_id=school_id) | Q(school__isnull=True), is_default=True))
    rows.sort(key=lambda s: (s.school_id is None, s.code))
    return rows[0] if rows else None


def effective_control_forms(school_id: int) -> list[ControlForm]:
    """Active control forms of the school: the region's, each replaced by the school's own row
    of the same code (a school's inactive row hides the region's form), plus the school's own."""
    by_code: dict[str, ControlForm] = {}
    rows = ControlForm.objects.filter(Q(school_id=school_id) | Q(school__isnull=True))
    for form in sorted(rows, key=lambda f: f.school_id is not None):
        by_code[form.code] = form
    forms = [f for f in by_code.values() if f.is_active]
    forms.sort(key=lambda f: (f.weight, f.name))
    return forms


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
