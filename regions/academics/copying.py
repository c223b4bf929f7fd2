"""Copy settings between levels: from one school to many (with a preview), and a school taking
a private copy of the region's defaults («настроить по-своему») or going back to them.

One engine does all three: *make the target school's own rows of a kind equal to a desired
set*, matched by a natural key —

| kind           | key                         | compared                                 |
|----------------|-----------------------------|------------------------------------------|
| calendar       | year name                   | dates, division, periods, holidays        |
| grading        | scale code                  | name, kind, range, conversion, default    |
| control_forms  | form code                   | name, short name, weight, active          |
| bells          | schedule name               | shift and bells                           |
| curriculum     | year name + parallel        | hours of every subject                    |

Copying school A to B sets B's own rows to A's own rows (what A overrides, B overrides the
same way; what A inherits, B inherits too). The preview lists per target what would be
created, changed or removed, and — from a dry run inside a rolled-back savepoint — what would
be refused and why. Applying is one transaction through the ordinary services (each change
audited), and refuses everything if any target fails.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from regions.academics.calendar import HolidayDraft, PeriodDraft
from regions.academics.models import AcademicYear, BellSchedule, ControlForm, GradingScale
from regions.academics.selectors import KIND_LABELS, KINDS
from regions.schools.models import School

Snapshot = dict[Any, dict[str, Any]]


@dataclass(frozen=True)
class Change:
    kind: str
    # create | change | remove; override: an own row where the school inherited the region's
    # (detail: region's value → new); inherit: an own row goes, the region's applies again
    action: str
    key: str
    detail: str = ""

    @property
    def action_label(self) -> str:
        return {
            "create": _("будет создано"),
            "change": _("будет изменено"),
            "remove": _("будет удалено"),
            "override": _("заменит настройку региона"),
            "inherit": _("вернётся к настройке региона"),
        }[self.action]


@dataclass
class TargetPlan:
    school: School
    changes: list[Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _DryRun(Exception):
    pass


def _levels(school_ids: list[int | None]) -> tuple[list[int], bool]:
    ids = [s for s in school_ids if s is not None]
    return ids, None in school_ids


def snapshots(kind: str, school_ids: list[int | None]) -> dict[int | None, Snapshot]:
    """The own rows of ``kind`` at each level (``None``: the region), comparable as plain data.
    A fixed number of queries whatever the number of levels."""
    ids, region = _levels(school_ids)
    out: dict[int | None, Snapshot] = {sid: {} for sid in school_ids}

    def level_q(model: Any) -> Any:
        qs = model.objects.filter(school_id__in=ids)
        if region:
            qs = qs | model.objects.filter(school__isnull=True)
        return qs

    if kind == "calendar":
        for year in level_q(AcademicYear).prefetch_related("periods", "holidays"):
            out.setdefault(year.school_id, {})[year.name] = {
                "starts_on": year.starts_on,
                "ends_on": year.ends_on,
                "period_kind": year.period_kind,
                "periods": tuple(
                    (p.number, p.name, p.starts_on, p.ends_on, p.closes_on)
                    for p in sorted(year.periods.all(), key=lambda p: p.number)
                ),
                "holidays": tuple(
                    sorted(
                        (h.name, h.kind, h.starts_on, h.ends_on, tuple(h.parallels))
                        for h in year.holidays.all()
                    )
                ),
            }
    elif kind == "grading":
        for scale in level_q(GradingScale):
            out.setdefault(scale.school_id, {})[scale.code] = {
                "name": scale.name,
                "kind": scale.kind,
                "min_value": scale.min_value,
                "max_value": scale.max_value,
                "conversion": [list(row) for row in scale.conversion],
                "is_default": scale.is_default,
            }
    elif kind == "control_forms":
        for form in level_q(ControlForm):
            out.setdefault(form.school_id, {})[form.code] = {
                "name": form.name,
                "short_name": form.short_name,
                "weight": form.weight,
                "is_active": form.is_active,
            }
    elif kind == "bells":
        for schedule in level_q(BellSchedule).prefetch_related("bells"):
            out.setdefault(schedule.school_id, {})[schedule.name] = {
                "shift": schedule.shift,
                "bells": tuple(
                    (b.lesson_number, b.starts_at, b.ends_at)
                    for b in sorted(schedule.bells.all(), key=lambda b: b.lesson_number)
                ),
            }
    elif kind == "curriculum":
        from regions.teaching.models import CurriculumLine

        for line in level_q(CurriculumLine).select_related("academic_year", "subject"):
            key = (line.academic_year.name, line.parallel)
            out.setdefault(line.school_id, {}).setdefault(key, {"hours": {}})["hours"][line.subject.code] = (
                line.hours_per_week
            )
    else:
        raise ValidationError(_("Неизвестный вид настроек «%(kind)s»") % {"kind": kind})
    return out


def _d(value: datetime.date) -> str:
    return f"{value:%d.%m.%Y}"


def _label(kind: str, key: Any) -> str:
    if kind == "curriculum":
        return _("%(key)s, %(key2)s параллель") % {"key": key[0], "key2": key[1]}
    return str(key)


def _detail(kind: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> str:
    if kind == "calendar":
        value = new or old or {}
        text = _(
            "%(starts_on)s–%(ends_on)s, периодов: %(periods_count)s, каникул и праздников: %(holidays_count)s"
        ) % {
            "starts_on": _d(value["starts_on"]),
            "ends_on": _d(value["ends_on"]),
            "periods_count": len(value["periods"]),
            "holidays_count": len(value["holidays"]),
        }
        if old and new:
            diffs = [
                k for k in ("starts_on", "ends_on", "period_kind", "periods", "holidays") if old[k] != new[k]
            ]
            names = {
                "starts_on": _("начало"),
                "ends_on": _("окончание"),
                "period_kind": _("деление"),
                "periods": _("периоды"),
                "holidays": _("каникулы"),
            }
            text = _("меняются: %(fields)s") % {"fields": ", ".join(names[k] for k in diffs)}
        return text
    if kind == "grading":
        value = new or old or {}
        return f"{value['name']} ({value['min_value']}…{value['max_value']})"
    if kind == "control_forms":
        if old and new and old["weight"] != new["weight"]:
            return _("%(name)s: вес %(weight)s → %(weight2)s") % {
                "name": new["name"],
                "weight": old["weight"],
                "weight2": new["weight"],
            }
        value = new or old or {}
        return _("%(name)s, вес %(weight)s") % {"name": value["name"], "weight": value["weight"]}
    if kind == "bells":
        value = new or old or {}
        bells = value["bells"]
        span = f"{bells[0][1]:%H:%M}–{bells[-1][2]:%H:%M}" if bells else "—"
        return _("%(shift)s смена, уроков: %(bells_count)s, %(span)s") % {
            "shift": value["shift"],
            "bells_count": len(bells),
            "span": span,
        }
    if kind == "curriculum":
        old_hours = (old or {}).get("hours", {})
        new_hours = (new or {}).get("hours", {})
        if old and new:
            from regions.teaching.selectors import hours_text

            diffs = [
                f"{code}: {hours_text(old_hours.get(code, 0))} → {hours_text(new_hours.get(code, 0))}"
                for code in sorted(set(old_hours) | set(new_hours))
                if old_hours.get(code) != new_hours.get(code)
            ]
            return "; ".join(diffs)
        hours = new_hours or old_hours
        return _("предметов: %(hours_count)s, часов в неделю: %(sum)s") % {
            "hours_count": len(hours),
            "sum": sum(hours.values(), Decimal(0)),
        }
    return ""


def diff(kind: str, current: Snapshot, desired: Snapshot, inherited: Snapshot | None = None) -> list[Change]:
    """Changes of a school's own rows, told as the school will feel them: a new own row where
    the region's applied so far is compared with the region's value, not with nothing."""
    inherited = inherited or {}
    changes = []
    for key in sorted(set(current) | set(desired), key=str):
        old, new = current.get(key), desired.get(key)
        if old == new:
            continue
        action = "create" if old is None else "remove" if new is None else "change"
        base = inherited.get(key)
        if action == "create" and base is not None:
            action, old = "override", base
        elif action == "remove" and base is not None:
            action, new = "inherit", base
        detail = _("как в регионе") if old == new else _detail(kind, old, new)
        changes.append(Change(kind=kind, action=action, key=_label(kind, key), detail=detail))
    return changes


def _apply(kind: str, school: School, current: Snapshot, desired: Snapshot, actor: Any) -> None:
    """Make ``school``'s own rows of ``kind`` equal ``desired`` through the services."""
    from regions.academics import services as academics
    from regions.teaching import services as teaching

    if kind == "calendar":
        for name in sorted(set(current) - set(desired)):
            academics.academic_year_delete(
                year=AcademicYear.objects.get(school=school, name=name), actor=actor
            )
        for name, value in sorted(desired.items()):
            if current.get(name) == value:
                continue
            periods = [PeriodDraft(*p) for p in value["periods"]]
            holidays = [HolidayDraft(h[0], h[1], h[2], h[3], list(h[4])) for h in value["holidays"]]
            existing = AcademicYear.objects.filter(school=school, name=name).first()
            if existing is None:
                academics.academic_year_create(
                    school=school,
                    name=name,
                    starts_on=value["starts_on"],
                    ends_on=value["ends_on"],
                    period_kind=value["period_kind"],
                    periods=periods,
                    holidays=holidays,
                    actor=actor,
                )
            else:
                academics.academic_year_update(
                    year=existing,
                    starts_on=value["starts_on"],
                    ends_on=value["ends_on"],
                    period_kind=value["period_kind"],
                    periods=periods,
                    holidays=holidays,
                    actor=actor,
                )
    elif kind == "grading":
        for code in sorted(set(current) - set(desired)):
            academics.grading_scale_delete(
                scale=GradingScale.objects.get(school=school, code=code), actor=actor
            )
        for code, value in sorted(desired.items()):
            if current.get(code) == value:
                continue
            scale = GradingScale.objects.filter(school=school, code=code).first()
            if scale is None:
                academics.grading_scale_create(school=school, code=code, actor=actor, **value)
            else:
                academics.grading_scale_update(scale=scale, actor=actor, **value)
    elif kind == "control_forms":
        for code in sorted(set(current) - set(desired)):
            academics.control_form_delete(form=ControlForm.objects.get(school=school, code=code), actor=actor)
        for code, value in sorted(desired.items()):
            if current.get(code) == value:
                continue
            form = ControlForm.objects.filter(school=school, code=code).first()
            if form is None:
                academics.control_form_create(school=school, code=code, actor=actor, **value)
            else:
                academics.control_form_update(form=form, actor=actor, **value)
    elif kind == "bells":
        for name, value in sorted(desired.items()):
            if current.get(name) == value:
                continue
            schedule = BellSchedule.objects.filter(school=school, name=name).first()
            if schedule is None:
                academics.bell_schedule_create(
                    school=school, name=name, shift=value["shift"], bells=list(value["bells"]), actor=actor
                )
            elif schedule.shift != value["shift"]:
                academics.bell_schedule_delete(schedule=schedule, actor=actor)
                academics.bell_schedule_create(
                    school=school, name=name, shift=value["shift"], bells=list(value["bells"]), actor=actor
                )
            else:
                academics.bell_schedule_update(
                    schedule=schedule, name=name, bells=list(value["bells"]), actor=actor
                )
        for name in sorted(set(current) - set(desired)):
            academics.bell_schedule_delete(
                schedule=BellSchedule.objects.get(school=school, name=name), actor=actor
            )
    elif kind == "curriculum":
        from regions.teaching.models import Subject

        codes = {code for value in [*desired.values(), *current.values()] for code in value["hours"]}
        subjects = dict(Subject.objects.filter(code__in=codes).values_list("code", "pk"))
        for year_name, parallel in sorted(set(current) - set(desired)):
            teaching.curriculum_reset(
                school=school, academic_year=_school_year(school, year_name), parallel=parallel, actor=actor
            )
        for (year_name, parallel), value in sorted(desired.items()):
            if current.get((year_name, parallel)) == value:
                continue
            missing = sorted(set(value["hours"]) - set(subjects))
            if missing:
                raise ValidationError(
                    _("Нет предметов с кодами %(missing)s") % {"missing": ", ".join(missing)}
                )
            teaching.curriculum_set(
                school=school,
                academic_year=_school_year(school, year_name),
                parallel=parallel,
                hours={subjects[code]: h for code, h in value["hours"].items()},
                actor=actor,
            )


def _school_year(school: School, name: str) -> AcademicYear:
    year = (
        AcademicYear.objects.filter(school=school, name=name).first()
        or AcademicYear.objects.filter(school__isnull=True, name=name).first()
    )
    if year is None:
        raise ValidationError(_("Нет учебного года %(name)s: ни у школы, ни в регионе") % {"name": name})
    return year


def _check_kinds(kinds: Iterable[str]) -> list[str]:
    kinds = list(dict.fromkeys(kinds))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise ValidationError(
            {
                "kinds": [
                    _("Выберите, что копировать: %(value)s")
                    % {"value": ", ".join(str(KIND_LABELS[k]) for k in KINDS)}
                ]
            }
        )
    # calendar before curriculum: the curriculum is bound to the year
    return [k for k in KINDS if k in kinds]


def _plan(
    *, desired_of: dict[str, Snapshot], targets: Sequence[School], kinds: list[str], actor: Any, apply: bool
) -> list[TargetPlan]:
    plans = []
    levels: list[int | None] = [None, *(t.pk for t in targets)]
    currents = {kind: snapshots(kind, levels) for kind in kinds}
    for target in targets:
        plan = TargetPlan(school=target)
        for kind in kinds:
            plan.changes.extend(
                diff(kind, currents[kind].get(target.pk, {}), desired_of[kind], currents[kind][None])
            )
        plans.append(plan)
    for plan in plans:
        if not plan.changes:
            continue
        try:
            with transaction.atomic():
                for kind in kinds:
                    _apply(kind, plan.school, currents[kind].get(plan.school.pk, {}), desired_of[kind], actor)
                if not apply:
                    raise _DryRun
        except _DryRun:
            pass
        except ValidationError as exc:
            plan.errors.extend(exc.messages)
    return plans


def settings_copy_preview(
    *, source: School, targets: Sequence[School], kinds: Iterable[str]
) -> list[TargetPlan]:
    """What copying ``kinds`` from ``source`` would do to each target: changes and refusals.
    Nothing is saved (a dry run in a savepoint that is rolled back)."""
    kinds = _check_kinds(kinds)
    targets = [t for t in targets if t.pk != source.pk]
    desired_of = {kind: snapshots(kind, [source.pk])[source.pk] for kind in kinds}
    with transaction.atomic():
        return _plan(desired_of=desired_of, targets=targets, kinds=kinds, actor=None, apply=False)


def school_settings_copy(
    *, source: School, targets: Sequence[School], kinds: Iterable[str], actor: Any = None
) -> list[TargetPlan]:
    """Copy ``kinds`` of settings from ``source`` to every target school in one transaction;
    if any target cannot take them, nothing is changed and the error names the school."""
    kinds = _check_kinds(kinds)
    targets = [t for t in targets if t.pk != source.pk]
    if not targets:
        raise ValidationError({"targets": [_("Выберите школы, в которые копировать")]})
    desired_of = {kind: snapshots(kind, [source.pk])[source.pk] for kind in kinds}
    with transaction.atomic():
        plans = _plan(desired_of=desired_of, targets=targets, kinds=kinds, actor=actor, apply=True)
        failed = [p for p in plans if p.errors]
        if failed:
            raise ValidationError(
                [f"{p.school.short_name}: {message}" for p in failed for message in p.errors]
            )
        audit_record(
            actor=actor,
            action="settings_copy",
            entity="school",
            entity_id=source.pk,
            changes={
                "kinds": [None, kinds],
                "targets": [None, {p.school.pk: len(p.changes) for p in plans}],
            },
        )
    return plans


def school_settings_override(*, school: School, kinds: Iterable[str], actor: Any = None) -> TargetPlan:
    """The school takes its own copy of the region's defaults of these kinds (then edits it)."""
    kinds = _check_kinds(kinds)
    desired_of = {kind: snapshots(kind, [None]).get(None, {}) for kind in kinds}
    return _single(school, kinds, desired_of, actor, "settings_override")


def school_settings_revert(*, school: School, kinds: Iterable[str], actor: Any = None) -> TargetPlan:
    """The school drops its own settings of these kinds and inherits the region's again."""
    kinds = _check_kinds(kinds)
    desired_of: dict[str, Snapshot] = {kind: {} for kind in kinds}
    return _single(school, kinds, desired_of, actor, "settings_revert")


def _single(
    school: School, kinds: list[str], desired_of: dict[str, Snapshot], actor: Any, action: str
) -> TargetPlan:
    with transaction.atomic():
        (plan,) = _plan(desired_of=desired_of, targets=[school], kinds=kinds, actor=actor, apply=True)
        if plan.errors:
            raise ValidationError(plan.errors)
        audit_record(
            actor=actor,
            action=action,
            entity="school",
            entity_id=school.pk,
            changes={"kinds": [None, kinds], "changes": [None, len(plan.changes)]},
        )
    return plan


def changes_by_kind(plan: TargetPlan) -> dict[str, list[Change]]:
    grouped: dict[str, list[Change]] = defaultdict(list)
    for change in plan.changes:
        grouped[change.kind].append(change)
    return dict(grouped)
