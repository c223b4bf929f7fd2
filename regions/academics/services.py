"""Writes of the school year and assessment settings: academic years with periods and
holidays, grading scales, control forms, bell schedules, and the region's defaults.

Every service validates the whole input first and reports every problem at once (a
``ValidationError`` with Russian messages, keyed by field), then writes in one transaction and
records an audit event. ``school=None`` writes the region's default; a school's row overrides
it (see ``regions.academics.selectors``). Who may call what is decided by the caller with
``regions.access`` (region defaults: regional admin; a school's rows: its admin too).
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from regions.academics.calendar import PERIOD_COUNT, HolidayDraft, PeriodDraft
from regions.academics.defaults import seed_region_defaults
from regions.academics.models import (
    AcademicYear,
    Bell,
    BellSchedule,
    ControlForm,
    GradingScale,
    Holiday,
    HolidayKind,
    PeriodKind,
    ScaleKind,
    StudyPeriod,
)
from regions.schools.models import School

_YEAR_NAME = re.compile(r"^(\d{4})/(\d{4})$")
_CODE = re.compile(r"^[a-z0-9_]{1,32}$")


def d(value: datetime.date) -> str:
    return f"{value:%d.%m.%Y}"


def jsonable(value: Any) -> Any:
    """Audit values: dates and times as ISO strings, decimals as strings."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def level_label(school: School | None) -> str:
    return _("регион") if school is None else school.short_name


# --- academic years ------------------------------------------------------------------------------


def _check_calendar(
    *,
    name: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    period_kind: str,
    periods: Sequence[PeriodDraft],
    holidays: Sequence[HolidayDraft],
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    match = _YEAR_NAME.match(name or "")
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        add("name", _("Название учебного года «%(name)s» должно быть вида 2026/2027") % {"name": name})
    elif starts_on.year != int(match.group(1)):
        add(
            "name",
            _("Учебный год %(name)s должен начинаться в %(group)s году, а не %(starts_on)s")
            % {"name": name, "group": match.group(1), "starts_on": d(starts_on)},
        )
    if ends_on <= starts_on:
        add(
            "ends_on",
            _("Учебный год заканчивается (%(ends_on)s) раньше, чем начинается (%(starts_on)s)")
            % {"ends_on": d(ends_on), "starts_on": d(starts_on)},
        )
    elif (ends_on - starts_on).days > 366:
        add(
            "ends_on",
            _("Учебный год %(starts_on)s–%(ends_on)s длиннее календарного года")
            % {"starts_on": d(starts_on), "ends_on": d(ends_on)},
        )
    if period_kind not in PeriodKind.values:
        add(
            "period_kind",
            _("Неизвестное деление на периоды «%(period_kind)s»") % {"period_kind": period_kind},
        )
        return errors
    expected = PERIOD_COUNT[PeriodKind(period_kind)]
    if len(periods) != expected:
        add(
            "periods",
            _("Для деления «%(label)s» нужно периодов: %(expected)s, указано: %(periods_count)s")
            % {"label": PeriodKind(period_kind).label, "expected": expected, "periods_count": len(periods)},
        )
    numbers = [p.number for p in periods]
    if sorted(numbers) != list(range(1, len(periods) + 1)):
        add(
            "periods",
            _("Периоды должны быть пронумерованы 1…%(periods_count)s без пропусков и повторов")
            % {"periods_count": len(periods)},
        )
    for p in periods:
        label = _("Период «%(value)s» (%(starts_on)s–%(ends_on)s)") % {
            "value": p.name or p.number,
            "starts_on": d(p.starts_on),
            "ends_on": d(p.ends_on),
        }
        if not (p.name or "").strip():
            add("periods", _("У периода %(number)s нет названия") % {"number": p.number})
        if p.ends_on < p.starts_on:
            add("periods", _("%(label)s: окончание раньше начала") % {"label": label})
        if p.starts_on < starts_on or p.ends_on > ends_on:
            add(
                "periods",
                _("%(label)s выходит за границы учебного года %(starts_on)s–%(ends_on)s")
                % {"label": label, "starts_on": d(starts_on), "ends_on": d(ends_on)},
            )
        if p.closes_on < p.ends_on:
            add(
                "periods",
                _("%(label)s: дата закрытия %(closes_on)s раньше окончания периода")
                % {"label": label, "closes_on": d(p.closes_on)},
            )
    ordered = sorted(periods, key=lambda p: p.starts_on)
    for a, b in itertools.pairwise(ordered):
        if b.starts_on <= a.ends_on:
            add(
                "periods",
                _(
                    "Периоды «%(name)s» (%(starts_on)s–%(ends_on)s) и «%(b_name)s» (%(b_starts_on)s–%(b_ends_on)s) пересекаются"
                )
                % {
                    "name": a.name,
                    "starts_on": d(a.starts_on),
                    "ends_on": d(a.ends_on),
                    "b_name": b.name,
                    "b_starts_on": d(b.starts_on),
                    "b_ends_on": d(b.ends_on),
                },
            )
    if [p.number for p in ordered] != sorted(numbers):
        add("periods", _("Номера периодов должны идти в порядке дат"))
    for h in holidays:
        label = f"«{h.name}» ({d(h.starts_on)}–{d(h.ends_on)})"
        if not (h.name or "").strip():
            add(
                "holidays",
                _("У каникул %(starts_on)s–%(ends_on)s нет названия")
                % {"starts_on": d(h.starts_on), "ends_on": d(h.ends_on)},
            )
        if h.ends_on < h.starts_on:
            add("holidays", _("Каникулы %(label)s: окончание раньше начала") % {"label": label})
        if h.starts_on < starts_on or h.ends_on > ends_on:
            add(
                "holidays",
                _("Каникулы %(label)s вне учебного года %(starts_on)s–%(ends_on)s")
                % {"label": label, "starts_on": d(starts_on), "ends_on": d(ends_on)},
            )
        if h.kind not in HolidayKind.values:
            add(
                "holidays",
                _("Каникулы %(label)s: неизвестный вид «%(kind)s»") % {"label": label, "kind": h.kind},
            )
        bad = [p for p in h.parallels if not 1 <= p <= 11]
        if bad:
            add(
                "holidays", _("Каникулы %(label)s: параллели %(bad)s вне 1–11") % {"label": label, "bad": bad}
            )
    return errors


def _calendar_snapshot(year: AcademicYear) -> dict[str, Any]:
    return jsonable(
        {
            "name": year.name,
            "starts_on": year.starts_on,
            "ends_on": year.ends_on,
            "period_kind": year.period_kind,
            "periods": [
                [p.number, p.name, p.starts_on, p.ends_on, p.closes_on]
                for p in year.periods.order_by("number")
            ],
            "holidays": [
                [h.name, h.kind, h.starts_on, h.ends_on, h.parallels]
                for h in year.holidays.order_by("starts_on", "id")
            ],
        }
    )


def _check_periods_now() -> None:
    """The period exclusion constraint is deferred (periods are rewritten in place); check it
    before leaving the service so a violation is an error here, not at some later commit."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS period_no_overlap IMMEDIATE")
        cursor.execute("SET CONSTRAINTS period_no_overlap DEFERRED")


def _write_periods(year: AcademicYear, periods: Sequence[PeriodDraft]) -> None:
    existing = {p.number: p for p in year.periods.all()}
    wanted = {p.number for p in periods}
    stale = [p for n, p in existing.items() if n not in wanted]
    for period in stale:
        try:
            with transaction.atomic():
                period.delete()
        except ProtectedError as exc:
            raise ValidationError(
                {
                    "periods": [
                        _("Период «%(name)s» нельзя удалить: в нём уже есть уроки") % {"name": period.name}
                    ]
                }
            ) from exc
    for draft in periods:
        period = existing.get(draft.number) or StudyPeriod(academic_year=year, number=draft.number)
        period.name = draft.name.strip()
        period.starts_on, period.ends_on, period.closes_on = draft.starts_on, draft.ends_on, draft.closes_on
        period.full_clean(exclude=["academic_year"], validate_constraints=False)
        period.save()
    _check_periods_now()


def _write_holidays(year: AcademicYear, holidays: Sequence[HolidayDraft]) -> None:
    year.holidays.all().delete()
    Holiday.objects.bulk_create(
        Holiday(
            academic_year=year,
            name=h.name.strip(),
            kind=h.kind,
            starts_on=h.starts_on,
            ends_on=h.ends_on,
            parallels=sorted(set(h.parallels)),
        )
        for h in holidays
    )


def academic_year_create(
    *,
    school: School | None = None,
    name: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    period_kind: str,
    periods: Sequence[PeriodDraft],
    holidays: Sequence[HolidayDraft] = (),
    actor: Any = None,
) -> AcademicYear:
    """Create a year with its periods and holidays. A school's own year with the name of a
    region year replaces it for that school: the school's curriculum, timetable and lessons
    move to the new year (lessons by date into its periods)."""
    name = (name or "").strip()
    errors = _check_calendar(
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        period_kind=period_kind,
        periods=periods,
        holidays=holidays,
    )
    school_id = school.pk if school else None
    if AcademicYear.objects.filter(school=school, name=name).exists():
        errors.setdefault("name", []).append(
            _("Учебный год %(name)s уже есть (%(level_label)s): измените его, а не создавайте заново")
            % {"name": name, "level_label": level_label(school)}
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        year = AcademicYear(
            school=school, name=name, starts_on=starts_on, ends_on=ends_on, period_kind=period_kind
        )
        year.full_clean()
        year.save()
        _write_periods(year, periods)
        _write_holidays(year, holidays)
        if school is not None:
            region_year = AcademicYear.objects.filter(school__isnull=True, name=name).first()
            if region_year is not None:
                repoint_school_year(school_id=school.pk, from_year=region_year, to_year=year)
        audit_record(
            actor=actor,
            action="academic_year_create",
            entity="academic_year",
            entity_id=year.pk,
            changes={"school": [None, school_id], "year": [None, _calendar_snapshot(year)]},
        )
    return year


def academic_year_update(
    *,
    year: AcademicYear,
    starts_on: datetime.date,
    ends_on: datetime.date,
    period_kind: str,
    periods: Sequence[PeriodDraft],
    holidays: Sequence[HolidayDraft] = (),
    actor: Any = None,
) -> AcademicYear:
    """Rewrite a year's dates, periods (in place, by number: lessons keep their period) and
    holidays. Generated lessons follow on the next generation."""
    errors = _check_calendar(
        name=year.name,
        starts_on=starts_on,
        ends_on=ends_on,
        period_kind=period_kind,
        periods=periods,
        holidays=holidays,
    )
    if errors:
        raise ValidationError(errors)
    old = _calendar_snapshot(year)
    with transaction.atomic():
        year.starts_on, year.ends_on, year.period_kind = starts_on, ends_on, period_kind
        year.full_clean()
        year.save()
        _write_periods(year, periods)
        _write_holidays(year, holidays)
        new = _calendar_snapshot(year)
        if new != old:
            audit_record(
                actor=actor,
                action="academic_year_update",
                entity="academic_year",
                entity_id=year.pk,
                changes={"year": [old, new]},
            )
    return year


def academic_year_delete(*, year: AcademicYear, actor: Any = None) -> None:
    """Delete a year. A school's own year gives way to the region's year of the same name
    (its curriculum, timetable and lessons move back); a year still in use is refused."""
    old = _calendar_snapshot(year)
    with transaction.atomic():
        if year.school_id is not None:
            region_year = AcademicYear.objects.filter(school__isnull=True, name=year.name).first()
            if region_year is not None:
                repoint_school_year(school_id=year.school_id, from_year=year, to_year=region_year)
        try:
            with transaction.atomic():
                year.delete()
        except ProtectedError as exc:
            raise ValidationError(
                _(
                    "Учебный год %(name)s нельзя удалить: по нему уже составлены расписание, учебный план или уроки"
                )
                % {"name": year.name}
            ) from exc
        audit_record(
            actor=actor,
            action="academic_year_delete",
            entity="academic_year",
            entity_id=year.pk,
            changes={"school": [year.school_id, None], "year": [old, None]},
        )


def repoint_school_year(*, school_id: int, from_year: AcademicYear, to_year: AcademicYear) -> None:
    """Move a school's year-bound rows from one year to another of the same name: curriculum
    lines and timetable entries (validity clamped to the new year), and lessons into the new
    year's period that contains their date. A lesson that falls in no new period is deleted if
    it has no journal content, else the whole change is refused."""
    from regions.teaching.models import CurriculumLine
    from regions.timetable.content import has_content_sql
    from regions.timetable.models import TimetableEntry

    CurriculumLine.objects.filter(school_id=school_id, academic_year=from_year).update(academic_year=to_year)
    TimetableEntry.objects.filter(school_id=school_id, academic_year=from_year).update(academic_year=to_year)
    with connection.cursor() as cursor:
        cursor.execute(
            """
UPDATE timetable_timetableentry
   SET valid_from = GREATEST(valid_from, %(start)s),
       valid_to = LEAST(COALESCE(valid_to, %(end)s), %(end)s)
 WHERE school_id = %(school)s AND academic_year_id = %(year)s
""",
            {"school": school_id, "year": to_year.pk, "start": to_year.starts_on, "end": to_year.ends_on},
        )
        cursor.execute(
            """
UPDATE timetable_lesson l SET period_id = p.id
  FROM academics_studyperiod p
 WHERE p.academic_year_id = %(to)s AND l.date BETWEEN p.starts_on AND p.ends_on
   AND l.school_id = %(school)s
   AND l.period_id IN (SELECT id FROM academics_studyperiod WHERE academic_year_id = %(from)s)
""",
            {"to": to_year.pk, "from": from_year.pk, "school": school_id},
        )
        left = """
FROM timetable_lesson l
WHERE l.school_id = %(school)s
  AND l.period_id IN (SELECT id FROM academics_studyperiod WHERE academic_year_id = %(from)s)
"""
        cursor.execute(
            f"SELECT l.date, l.lesson_number {left} AND {has_content_sql('l')} ORDER BY 1 LIMIT 5",
            {"school": school_id, "from": from_year.pk},
        )
        kept = cursor.fetchall()
        if kept:
            dates = ", ".join(_("%(day)s (%(n)s урок)") % {"day": d(day), "n": n} for day, n in kept)
            raise ValidationError(
                _("Уроки с записями журнала не попадают ни в один период учебного года %(name)s: %(dates)s")
                % {"name": to_year.name, "dates": dates}
            )
        cursor.execute(
            f"DELETE FROM timetable_lesson WHERE id IN (SELECT l.id {left})",  # noqa: S608
            {"school": school_id, "from": from_year.pk},
        )


# --- grading scales --------------------------------------------------------------------------------


def _check_scale(
    *, code: str, name: str, kind: str, min_value: int, max_value: int, conversion: list
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if not _CODE.match(code or ""):
        add(
            "code",
            _("Код шкалы «%(code)s»: латинские строчные буквы, цифры и _, до 32 знаков") % {"code": code},
        )
    if not (name or "").strip():
        add("name", _("Укажите название шкалы"))
    if kind not in ScaleKind.values:
        add("kind", _("Неизвестный вид шкалы «%(kind)s»") % {"kind": kind})
        return errors
    if kind == ScaleKind.FIVE_POINT and not (min_value in (1, 2) and max_value == 5):
        add("max_value", _("Пятибалльная шкала: от 1 (или 2) до 5"))
    if kind == ScaleKind.PASS_FAIL and (min_value, max_value) != (0, 1):
        add("max_value", _("Шкала «зачёт / незачёт» хранится как 0…1"))
    if kind == ScaleKind.HUNDRED_POINT:
        if not (0 <= min_value < max_value <= 100):
            add(
                "max_value",
                _("Стобалльная шкала: границы %(min_value)s…%(max_value)s вне 0…100")
                % {"min_value": min_value, "max_value": max_value},
            )
        if not conversion:
            add("conversion", _("Для стобалльной шкалы нужна таблица перевода в пятибалльную"))
        previous_threshold, previous_five = None, None
        for item in conversion:
            try:
                threshold, five = int(item[0]), int(item[1])
            except (TypeError, ValueError, IndexError):
                add(
                    "conversion",
                    _("Строка перевода %(item)s: ожидается [порог, оценка]") % {"item": repr(item)},
                )
                continue
            if not (min_value <= threshold <= max_value):
                add(
                    "conversion",
                    _("Порог %(threshold)s вне шкалы %(min_value)s…%(max_value)s")
                    % {"threshold": threshold, "min_value": min_value, "max_value": max_value},
                )
            if five not in (2, 3, 4, 5):
                add(
                    "conversion",
                    _("Порог %(threshold)s: оценка %(five)s не из 2…5")
                    % {"threshold": threshold, "five": five},
                )
            if previous_threshold is not None and threshold >= previous_threshold:
                add(
                    "conversion",
                    _("Пороги должны убывать: %(threshold)s после %(previous_threshold)s")
                    % {"threshold": threshold, "previous_threshold": previous_threshold},
                )
            if previous_five is not None and five > previous_five:
                add(
                    "conversion",
                    _("Оценки должны не возрастать: %(five)s после %(previous_five)s")
                    % {"five": five, "previous_five": previous_five},
                )
            previous_threshold, previous_five = threshold, five
    elif conversion:
        add("conversion", _("Таблица перевода нужна только стобалльной шкале"))
    return errors


def _scale_snapshot(scale: GradingScale) -> dict[str, Any]:
    return {
        "code": scale.code,
        "name": scale.name,
        "kind": scale.kind,
        "min_value": scale.min_value,
        "max_value": scale.max_value,
        "conversion": scale.conversion,
        "is_default": scale.is_default,
    }


def _only_default(scale: GradingScale) -> None:
    if scale.is_default:
        GradingScale.objects.filter(school=scale.school, is_default=True).exclude(pk=scale.pk).update(
            is_default=False
        )


def grading_scale_create(
    *,
    school: School | None = None,
    code: str,
    name: str,
    kind: str,
    min_value: int,
    max_value: int,
    conversion: list | None = None,
    is_default: bool = False,
    actor: Any = None,
) -> GradingScale:
    conversion = [list(map(int, row)) if isinstance(row, list | tuple) else row for row in conversion or []]
    errors = _check_scale(
        code=code, name=name, kind=kind, min_value=min_value, max_value=max_value, conversion=conversion
    )
    if GradingScale.objects.filter(school=school, code=code).exists():
        errors.setdefault("code", []).append(
            _("Шкала с кодом «%(code)s» уже есть (%(level_label)s)")
            % {"code": code, "level_label": level_label(school)}
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        scale = GradingScale(
            school=school,
            code=code,
            name=name.strip(),
            kind=kind,
            min_value=min_value,
            max_value=max_value,
            conversion=conversion,
            is_default=is_default,
        )
        scale.full_clean()
        scale.save()
        _only_default(scale)
        audit_record(
            actor=actor,
            action="grading_scale_create",
            entity="grading_scale",
            entity_id=scale.pk,
            changes={k: [None, v] for k, v in _scale_snapshot(scale).items()}
            | {"school": [None, scale.school_id]},
        )
    return scale


def grading_scale_update(*, scale: GradingScale, actor: Any = None, **fields: Any) -> GradingScale:
    allowed = {"name", "kind", "min_value", "max_value", "conversion", "is_default"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(
            _("Эти поля шкалы нельзя менять: %(unknown)s") % {"unknown": ", ".join(sorted(unknown))}
        )
    old = _scale_snapshot(scale)
    new = old | fields
    if "conversion" in fields:
        new["conversion"] = [
            list(map(int, r)) if isinstance(r, list | tuple) else r for r in fields["conversion"] or []
        ]
    errors = _check_scale(
        code=scale.code,
        name=new["name"],
        kind=new["kind"],
        min_value=new["min_value"],
        max_value=new["max_value"],
        conversion=new["conversion"],
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for key, value in new.items():
            setattr(scale, key, value)
        scale.full_clean()
        scale.save()
        _only_default(scale)
        changes = {k: [old[k], new[k]] for k in new if old[k] != new[k]}
        if changes:
            audit_record(
                actor=actor,
                action="grading_scale_update",
                entity="grading_scale",
                entity_id=scale.pk,
                changes=changes,
            )
    return scale


def grading_scale_delete(*, scale: GradingScale, actor: Any = None) -> None:
    old = _scale_snapshot(scale)
    with transaction.atomic():
        try:
            with transaction.atomic():
                scale.delete()
        except ProtectedError as exc:
            raise ValidationError(
                _("Шкалу «%(name)s» нельзя удалить: по ней уже выставлены оценки") % {"name": scale.name}
            ) from exc
        audit_record(
            actor=actor,
            action="grading_scale_delete",
            entity="grading_scale",
            entity_id=scale.pk,
            changes={k: [v, None] for k, v in old.items()},
        )


# --- control forms ----------------------------------------------------------------------------------


def _check_form(*, code: str, name: str, weight: int) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not _CODE.match(code or ""):
        errors["code"] = [
            _("Код формы контроля «%(code)s»: латинские строчные буквы, цифры и _, до 32 знаков")
            % {"code": code}
        ]
    if not (name or "").strip():
        errors["name"] = [_("Укажите название формы контроля")]
    if not isinstance(weight, int) or not 1 <= weight <= 10:
        errors["weight"] = [
            _("Вес формы контроля «%(name)s» должен быть от 1 до 10, указано %(weight)s")
            % {"name": name, "weight": weight}
        ]
    return errors


def _form_snapshot(form: ControlForm) -> dict[str, Any]:
    return {
        "code": form.code,
        "name": form.name,
        "short_name": form.short_name,
        "weight": form.weight,
        "is_active": form.is_active,
    }


def control_form_create(
    *,
    school: School | None = None,
    code: str,
    name: str,
    weight: int,
    short_name: str = "",
    is_active: bool = True,
    actor: Any = None,
) -> ControlForm:
    errors = _check_form(code=code, name=name, weight=weight)
    if ControlForm.objects.filter(school=school, code=code).exists():
        errors.setdefault("code", []).append(
            _("Форма контроля с кодом «%(code)s» уже есть (%(level_label)s)")
            % {"code": code, "level_label": level_label(school)}
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        form = ControlForm(
            school=school,
            code=code,
            name=name.strip(),
            short_name=(short_name or "").strip(),
            weight=weight,
            is_active=is_active,
        )
        form.full_clean()
        form.save()
        audit_record(
            actor=actor,
            action="control_form_create",
            entity="control_form",
            entity_id=form.pk,
            changes={k: [None, v] for k, v in _form_snapshot(form).items()}
            | {"school": [None, form.school_id]},
        )
    return form


def control_form_update(*, form: ControlForm, actor: Any = None, **fields: Any) -> ControlForm:
    allowed = {"name", "short_name", "weight", "is_active"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(
            _("Эти поля формы контроля нельзя менять: %(unknown)s") % {"unknown": ", ".join(sorted(unknown))}
        )
    old = _form_snapshot(form)
    new = old | fields
    errors = _check_form(code=form.code, name=new["name"], weight=new["weight"])
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for key, value in new.items():
            setattr(form, key, value.strip() if isinstance(value, str) else value)
        form.full_clean()
        form.save()
        changes = {k: [old[k], new[k]] for k in new if old[k] != new[k]}
        if changes:
            audit_record(
                actor=actor,
                action="control_form_update",
                entity="control_form",
                entity_id=form.pk,
                changes=changes,
            )
    return form


def control_form_delete(*, form: ControlForm, actor: Any = None) -> None:
    old = _form_snapshot(form)
    with transaction.atomic():
        try:
            with transaction.atomic():
                form.delete()
        except ProtectedError as exc:
            raise ValidationError(
                _("Форму контроля «%(name)s» нельзя удалить: по ней уже есть оценки; сделайте её неактивной")
                % {"name": form.name}
            ) from exc
        audit_record(
            actor=actor,
            action="control_form_delete",
            entity="control_form",
            entity_id=form.pk,
            changes={k: [v, None] for k, v in old.items()},
        )


# --- bell schedules ------------------------------------------------------------------------------------


BellInput = tuple[int, datetime.time, datetime.time]


def _check_bells(*, name: str, shift: int, bells: Sequence[BellInput]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if not (name or "").strip():
        add("name", _("Укажите название расписания звонков"))
    if not isinstance(shift, int) or not 1 <= shift <= 3:
        add("shift", _("Смена должна быть 1, 2 или 3, указано %(shift)s") % {"shift": shift})
    if not bells:
        add("bells", _("В расписании звонков нет ни одного урока"))
    numbers = [b[0] for b in bells]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        add(
            "bells",
            _("Номер урока повторяется: %(duplicates)s") % {"duplicates": ", ".join(map(str, duplicates))},
        )
    for number, starts, ends in bells:
        if not 0 <= number <= 12:
            add("bells", _("Номер урока %(number)s вне 0…12") % {"number": number})
        if ends <= starts:
            add(
                "bells",
                _("Урок %(number)s: конец %(ends)s не позже начала %(starts)s")
                % {"number": number, "ends": format(ends, "%H:%M"), "starts": format(starts, "%H:%M")},
            )
    ordered = sorted(bells)
    for (n1, s1, e1), (n2, s2, e2) in itertools.pairwise(ordered):
        if s2 < e1:
            add(
                "bells",
                _(
                    "Урок %(n2)s (%(s2)s–%(e2)s) пересекается с уроком %(n1)s (%(s1)s–%(e1)s) или начинается раньше него"
                )
                % {
                    "n2": n2,
                    "s2": format(s2, "%H:%M"),
                    "e2": format(e2, "%H:%M"),
                    "n1": n1,
                    "s1": format(s1, "%H:%M"),
                    "e1": format(e1, "%H:%M"),
                },
            )
    return errors


def _bells_snapshot(schedule: BellSchedule) -> dict[str, Any]:
    return jsonable(
        {
            "name": schedule.name,
            "shift": schedule.shift,
            "bells": [
                [b.lesson_number, b.starts_at, b.ends_at] for b in schedule.bells.order_by("lesson_number")
            ],
        }
    )


def _entries_using(
    schedule_ids: list[int], numbers: set[int] | None = None, school_id: int | None = None
) -> list:
    from regions.timetable.models import TimetableEntry

    qs = TimetableEntry.objects.filter(bell_schedule_id__in=schedule_ids)
    if numbers is not None:
        qs = qs.filter(lesson_number__in=numbers)
    if school_id is not None:
        qs = qs.filter(school_id=school_id)
    return list(qs.select_related("school_class", "group").order_by("lesson_number", "weekday")[:5])


def _describe_entries(entries: list) -> str:
    from regions.timetable.conflicts import weekday_in_sentence

    return "; ".join(
        _("%(name)s, %(weekday)s, %(lesson_number)s урок")
        % {
            "name": (e.school_class or e.group).name,
            "weekday": weekday_in_sentence(e.weekday),
            "lesson_number": e.lesson_number,
        }
        for e in entries
    )


def _repoint_schedule(*, school_id: int, shift: int, to: BellSchedule, exclude_id: int | None = None) -> None:
    """A school's timetable entries of a shift move to another bell schedule; refused when a
    lesson number they use is not in it («урок вне расписания звонков»)."""
    from regions.timetable.models import TimetableEntry

    entries = TimetableEntry.objects.filter(school_id=school_id, bell_schedule__shift=shift).exclude(
        bell_schedule=to
    )
    if exclude_id is not None:
        entries = entries.filter(bell_schedule_id=exclude_id)
    numbers = set(to.bells.values_list("lesson_number", flat=True))
    outside = list(entries.exclude(lesson_number__in=numbers).select_related("school_class", "group")[:5])
    if outside:
        raise ValidationError(
            {
                "bells": [
                    _(
                        "В расписании звонков «%(name)s» нет уроков, которые уже стоят в расписании: %(entries)s"
                    )
                    % {"name": to.name, "entries": _describe_entries(outside)}
                ]
            }
        )
    entries.update(bell_schedule=to)


def bell_schedule_create(
    *, school: School | None = None, name: str, shift: int, bells: Sequence[BellInput], actor: Any = None
) -> BellSchedule:
    """A school's first own schedule of a shift takes over that shift: the school's timetable
    entries move to it."""
    name = (name or "").strip()
    errors = _check_bells(name=name, shift=shift, bells=bells)
    if BellSchedule.objects.filter(school=school, name=name).exists():
        errors.setdefault("name", []).append(
            _("Расписание звонков «%(name)s» уже есть (%(level_label)s)")
            % {"name": name, "level_label": level_label(school)}
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        schedule = BellSchedule(school=school, name=name, shift=shift)
        schedule.full_clean()
        schedule.save()
        Bell.objects.bulk_create(
            Bell(schedule=schedule, lesson_number=n, starts_at=s, ends_at=e) for n, s, e in sorted(bells)
        )
        if (
            school is not None
            and not BellSchedule.objects.filter(school=school, shift=shift).exclude(pk=schedule.pk).exists()
        ):
            _repoint_schedule(school_id=school.pk, shift=shift, to=schedule)
        audit_record(
            actor=actor,
            action="bell_schedule_create",
            entity="bell_schedule",
            entity_id=schedule.pk,
            changes={"school": [None, schedule.school_id], "schedule": [None, _bells_snapshot(schedule)]},
        )
    return schedule


def bell_schedule_update(
    *, schedule: BellSchedule, name: str, bells: Sequence[BellInput], actor: Any = None
) -> BellSchedule:
    """New times and lessons of a schedule. A lesson number still used by the timetable cannot
    be removed. Dated lessons from today on take the new times at once."""
    from regions.timetable.services import lessons_follow_bells

    name = (name or "").strip()
    errors = _check_bells(name=name, shift=schedule.shift, bells=bells)
    if BellSchedule.objects.filter(school=schedule.school, name=name).exclude(pk=schedule.pk).exists():
        errors.setdefault("name", []).append(_("Расписание звонков «%(name)s» уже есть") % {"name": name})
    removed = set(schedule.bells.values_list("lesson_number", flat=True)) - {b[0] for b in bells}
    if removed:
        used = _entries_using([schedule.pk], removed)
        if used:
            errors.setdefault("bells", []).append(
                _("Уроки %(removed)s нельзя убрать: они стоят в расписании (%(entries)s)")
                % {"removed": ", ".join(map(str, sorted(removed))), "entries": _describe_entries(used)}
            )
    if errors:
        raise ValidationError(errors)
    old = _bells_snapshot(schedule)
    with transaction.atomic():
        schedule.name = name
        schedule.full_clean()
        schedule.save()
        schedule.bells.all().delete()
        Bell.objects.bulk_create(
            Bell(schedule=schedule, lesson_number=n, starts_at=s, ends_at=e) for n, s, e in sorted(bells)
        )
        new = _bells_snapshot(schedule)
        if new != old:
            lessons_follow_bells(schedule_id=schedule.pk, since=timezone.localdate())
            audit_record(
                actor=actor,
                action="bell_schedule_update",
                entity="bell_schedule",
                entity_id=schedule.pk,
                changes={"schedule": [old, new]},
            )
    return schedule


def bell_schedule_delete(*, schedule: BellSchedule, actor: Any = None) -> None:
    """Delete a schedule. A school's last own schedule of a shift hands its timetable back to
    the region's schedule of that shift; a region schedule still in use is refused."""
    old = _bells_snapshot(schedule)
    with transaction.atomic():
        if schedule.school_id is not None:
            others = BellSchedule.objects.filter(school_id=schedule.school_id, shift=schedule.shift).exclude(
                pk=schedule.pk
            )
            successor = others.order_by("name").first() or (
                BellSchedule.objects.filter(school__isnull=True, shift=schedule.shift)
                .order_by("name")
                .first()
            )
            if successor is not None:
                _repoint_schedule(
                    school_id=schedule.school_id, shift=schedule.shift, to=successor, exclude_id=schedule.pk
                )
        used = _entries_using([schedule.pk])
        if used:
            raise ValidationError(
                _("Расписание звонков «%(name)s» используется в расписании уроков: %(entries)s")
                % {"name": schedule.name, "entries": _describe_entries(used)}
            )
        schedule.delete()
        audit_record(
            actor=actor,
            action="bell_schedule_delete",
            entity="bell_schedule",
            entity_id=schedule.pk,
            changes={"school": [schedule.school_id, None], "schedule": [old, None]},
        )


# --- region defaults ------------------------------------------------------------------------------------


def region_defaults_ensure(*, actor: Any = None) -> dict[str, int]:
    """Add the platform's defaults a region lacks: the federal subject list, grading scales,
    control forms, bells of two shifts. Idempotent; never overwrites a region's changes."""
    from regions.teaching.defaults import load_federal_subjects
    from regions.teaching.models import Subject

    with transaction.atomic():
        counts = seed_region_defaults(
            scale_model=GradingScale, form_model=ControlForm, schedule_model=BellSchedule, bell_model=Bell
        )
        counts["subjects"] = load_federal_subjects(Subject)
        if any(counts.values()):
            audit_record(
                actor=actor,
                action="region_defaults_ensure",
                entity="region_defaults",
                changes={k: [None, v] for k, v in counts.items() if v},
            )
    return counts
