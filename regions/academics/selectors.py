"""Reads of the school year and assessment settings: what a school actually uses.

Inheritance: a row with ``school = NULL`` is the region's default; a school's own rows
override the default *of the same kind and key*:

| kind            | key of the override                 |
|-----------------|-------------------------------------|
| calendar        | academic year name («2026/2027»)    |
| grading scales  | code                                |
| control forms   | code                                |
| bell schedules  | shift (a school's own «1 смена» hides all region schedules of shift 1) |
| curriculum      | (year, parallel): see ``regions.teaching.selectors.curriculum_for`` |

``school_settings`` resolves all of them in a constant number of queries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy

from regions.academics.models import (
    AcademicYear,
    Bell,
    BellSchedule,
    ControlForm,
    GradingScale,
    Holiday,
    StudyPeriod,
)

KINDS = ("calendar", "grading", "control_forms", "bells", "curriculum")
KIND_LABELS = {
    "calendar": gettext_lazy("Календарь (учебный год, периоды, каникулы)"),
    "grading": gettext_lazy("Шкалы оценивания"),
    "control_forms": gettext_lazy("Формы контроля"),
    "bells": gettext_lazy("Расписание звонков"),
    "curriculum": gettext_lazy("Учебный план"),
}


def _level(school_id: int | None) -> Q:
    return Q(school__isnull=True) if school_id is None else Q(school_id=school_id)


def year_queryset() -> QuerySet[AcademicYear]:
    return AcademicYear.objects.select_related("school").prefetch_related(
        Prefetch("periods", queryset=StudyPeriod.objects.order_by("number")),
        Prefetch("holidays", queryset=Holiday.objects.order_by("starts_on", "id")),
    )


def year_list(*, school_id: int | None) -> list[AcademicYear]:
    """The years stored at one level (region defaults when ``school_id`` is None)."""
    return list(year_queryset().filter(_level(school_id)).order_by("-starts_on"))


def bell_schedule_list(*, school_id: int | None) -> list[BellSchedule]:
    return list(
        BellSchedule.objects.filter(_level(school_id))
        .prefetch_related(Prefetch("bells", queryset=Bell.objects.order_by("lesson_number")))
        .order_by("shift", "name")
    )


def grading_scale_list(*, school_id: int | None) -> list[GradingScale]:
    return list(GradingScale.objects.filter(_level(school_id)).order_by("code"))


def control_form_list(*, school_id: int | None) -> list[ControlForm]:
    return list(ControlForm.objects.filter(_level(school_id)).order_by("-weight", "name"))


@dataclass
class EffectiveSettings:
    """What one school uses; each object carries ``is_own`` (True: the school's own row)."""

    school_id: int
    years: list[AcademicYear]
    grading_scales: list[GradingScale]
    control_forms: list[ControlForm]
    bell_schedules: list[BellSchedule]
    own: dict[str, bool] = field(default_factory=dict)

    def year_named(self, name: str) -> AcademicYear | None:
        return next((y for y in self.years if y.name == name), None)

    def year_on(self, day: datetime.date) -> AcademicYear | None:
        """The year containing ``day``; else the next one to start; else the latest."""
        for year in self.years:
            if year.starts_on <= day <= year.ends_on:
                return year
        upcoming = sorted((y for y in self.years if y.starts_on > day), key=lambda y: y.starts_on)
        if upcoming:
            return upcoming[0]
        return self.years[0] if self.years else None

    def schedule_for_shift(self, shift: int) -> BellSchedule | None:
        return next((s for s in self.bell_schedules if s.shift == shift), None)

    @property
    def default_scale(self) -> GradingScale | None:
        return next((s for s in self.grading_scales if s.is_default), None) or next(
            iter(self.grading_scales), None
        )


def _resolve(rows: list, school_id: int, key) -> list:
    own = {key(r) for r in rows if r.school_id == school_id}
    out = []
    for row in rows:
        row.is_own = row.school_id == school_id
        if row.is_own or key(row) not in own:
            out.append(row)
    return out


def school_grading_scale(*, school_id: int) -> GradingScale | None:
    """The scale a school's everyday marks are written in (one query): its own default scale,
    else the region's default; the journal checks every mark against it."""
    rows = _resolve(
        list(GradingScale.objects.filter(Q(school__isnull=True) | Q(school_id=school_id)).order_by("code")),
        school_id,
        lambda s: s.code,
    )
    rows.sort(key=lambda s: (not s.is_default, not s.is_own, s.code))
    return rows[0] if rows else None


def school_control_forms(*, school_id: int) -> list[ControlForm]:
    """The active control forms of a school (one query): the region's, each replaced by the
    school's own row of the same code (an inactive own row hides the region's form), plus the
    school's own. Lightest first; among equal weights in the order they were defined, so the
    region's first form of weight 1 («Ответ на уроке») is the journal's default."""
    rows = _resolve(
        list(ControlForm.objects.filter(Q(school__isnull=True) | Q(school_id=school_id))),
        school_id,
        lambda f: f.code,
    )
    forms = [f for f in rows if f.is_active]
    forms.sort(key=lambda f: (f.weight, f.pk))
    return forms


def school_settings(*, school_id: int) -> EffectiveSettings:
    """The effective calendar, scales, control forms and bells of a school: 7 queries."""
    both = Q(school__isnull=True) | Q(school_id=school_id)
    years = list(year_queryset().filter(both).order_by("-starts_on", "school_id"))
    scales = list(GradingScale.objects.filter(both).order_by("code"))
    forms = list(ControlForm.objects.filter(both).order_by("-weight", "name"))
    schedules = list(
        BellSchedule.objects.filter(both)
        .prefetch_related(Prefetch("bells", queryset=Bell.objects.order_by("lesson_number")))
        .order_by("shift", "name")
    )
    # bell schedules are overridden per shift, the rest per key
    own_shifts = {s.shift for s in schedules if s.school_id == school_id}
    effective_schedules = []
    for schedule in schedules:
        schedule.is_own = schedule.school_id == school_id
        if schedule.is_own or schedule.shift not in own_shifts:
            effective_schedules.append(schedule)
    settings = EffectiveSettings(
        school_id=school_id,
        years=_resolve(years, school_id, lambda y: y.name),
        grading_scales=[s for s in _resolve(scales, school_id, lambda s: s.code)],
        control_forms=_resolve(forms, school_id, lambda f: f.code),
        bell_schedules=effective_schedules,
    )
    settings.own = {
        "calendar": any(y.is_own for y in settings.years),
        "grading": any(s.is_own for s in settings.grading_scales),
        "control_forms": any(f.is_own for f in settings.control_forms),
        "bells": bool(own_shifts),
    }
    return settings


def region_settings() -> EffectiveSettings:
    """The region defaults alone, shaped like a school's effective settings."""
    years = year_list(school_id=None)
    for row in years:
        row.is_own = False
    scales, forms, schedules = (
        grading_scale_list(school_id=None),
        control_form_list(school_id=None),
        bell_schedule_list(school_id=None),
    )
    for scale in scales:
        scale.is_own = False
    for form in forms:
        form.is_own = False
    for schedule in schedules:
        schedule.is_own = False
    return EffectiveSettings(
        school_id=0, years=years, grading_scales=scales, control_forms=forms, bell_schedules=schedules
    )


def schools_own_settings(school_ids: list[int]) -> dict[int, set[str]]:
    """For a list of schools, which kinds each overrides — one query."""
    if not school_ids:
        return {}
    sql = """
SELECT school_id, 'calendar' FROM academics_academicyear WHERE school_id = ANY(%(ids)s)
UNION SELECT school_id, 'grading' FROM academics_gradingscale WHERE school_id = ANY(%(ids)s)
UNION SELECT school_id, 'control_forms' FROM academics_controlform WHERE school_id = ANY(%(ids)s)
UNION SELECT school_id, 'bells' FROM academics_bellschedule WHERE school_id = ANY(%(ids)s)
UNION SELECT school_id, 'curriculum' FROM teaching_curriculumline WHERE school_id = ANY(%(ids)s)
"""
    out: dict[int, set[str]] = {sid: set() for sid in school_ids}
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": school_ids})
        for sid, kind in cursor.fetchall():
            out[sid].add(kind)
    return out


def period_for(*, year: AcademicYear, day: datetime.date) -> StudyPeriod | None:
    return year.periods.filter(starts_on__lte=day, ends_on__gte=day).first()
