"""Writes of the timetable: the weekly template (with conflict detection), generation of dated
lessons, and changes on a date (substitution, cancellation, move, remote lesson).

Every template write goes through :func:`timetable_entries_save`, which validates a batch of
drafts in a constant number of queries — bells, teacher load and hours, then one set-based
conflict query — and saves all of them or none. Template writes of a school are serialised
by a row lock on the school and advisory locks on the teachers involved (a teacher may work in
two schools), so two admins cannot create a clash between them.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from regions.academics.models import AcademicYear, Bell, BellSchedule, Holiday, StudyPeriod
from regions.academics.selectors import EffectiveSettings, school_settings
from regions.people.models import Membership, MembershipRole, Person
from regions.schools.models import School, SchoolClass
from regions.teaching.models import GroupKind, Room, StudyGroup, Subject, TeachingAssignment
from regions.teaching.selectors import hours_text
from regions.timetable.conflicts import (
    Clash,
    Slot,
    find_lesson_clashes,
    find_template_clashes,
    short_person_name,
    weekday_in_sentence,
)
from regions.timetable.content import has_content_sql, lessons_with_content
from regions.timetable.models import Lesson, LessonStatus, TimetableEntry, WeekParity

PARITY_WEIGHT = {
    WeekParity.EVERY: Decimal(1),
    WeekParity.ODD: Decimal("0.5"),
    WeekParity.EVEN: Decimal("0.5"),
}


@dataclass(frozen=True)
class EntryDraft:
    """A template entry to save. With ``entry_id``: an update of that entry in place (its
    dated lessons keep their link); without: a new entry."""

    weekday: int
    lesson_number: int
    subject_id: int
    teacher_id: int
    school_class_id: int | None = None
    group_id: int | None = None
    room_id: int | None = None
    parity: str = WeekParity.EVERY
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    bell_schedule_id: int | None = None
    entry_id: int | None = None

    @classmethod
    def of(cls, entry: TimetableEntry, **changes: Any) -> EntryDraft:
        base = cls(
            weekday=entry.weekday,
            lesson_number=entry.lesson_number,
            subject_id=entry.subject_id,
            teacher_id=entry.teacher_id,
            school_class_id=entry.school_class_id,
            group_id=entry.group_id,
            room_id=entry.room_id,
            parity=entry.parity,
            valid_from=entry.valid_from,
            valid_to=entry.valid_to,
            bell_schedule_id=entry.bell_schedule_id,
            entry_id=entry.pk,
        )
        return replace(base, **changes)


@dataclass
class SchoolContext:
    """Everything a batch of template writes needs about a school, read in a fixed number of
    queries."""

    school: School
    year: AcademicYear
    settings: EffectiveSettings
    classes: dict[int, SchoolClass]
    groups: dict[int, StudyGroup]
    rooms: dict[int, Room]
    subjects: dict[int, Subject]
    teachers: dict[int, Person]
    assignments: dict[tuple[int, int, int | None, int | None], TeachingAssignment]
    bells: dict[int, dict[int, Bell]] = field(default_factory=dict)  # schedule → number → bell
    room_subjects: dict[int, set[int]] = field(default_factory=dict)  # what a special room is for

    def target(self, class_id: int | None, group_id: int | None) -> str:
        if class_id is not None:
            school_class = self.classes.get(class_id)
            return school_class.name if school_class else _("класс %(class_id)s") % {"class_id": class_id}
        group = self.groups.get(group_id or 0)
        return group.name if group else _("группа %(group_id)s") % {"group_id": group_id}

    def class_of(self, class_id: int | None, group_id: int | None) -> SchoolClass | None:
        if class_id is not None:
            return self.classes.get(class_id)
        group = self.groups.get(group_id or 0)
        return group.school_class if group and group.school_class_id else None

    def schedule_for(self, class_id: int | None, group_id: int | None) -> BellSchedule | None:
        school_class = self.class_of(class_id, group_id)
        return self.settings.schedule_for_shift(school_class.shift if school_class else 1)

    def teacher_name(self, teacher_id: int) -> str:
        person = self.teachers.get(teacher_id)
        return (
            short_person_name(person.surname, person.name, person.patronymic)
            if person
            else _("учитель %(teacher_id)s") % {"teacher_id": teacher_id}
        )


def school_context(*, school: School, year: AcademicYear) -> SchoolContext:
    settings = school_settings(school_id=school.pk)
    classes = {c.pk: c for c in SchoolClass.objects.filter(school=school)}
    groups = {
        g.pk: g for g in StudyGroup.objects.filter(school=school).select_related("school_class", "subject")
    }
    rooms = {r.pk: r for r in Room.objects.filter(school=school).prefetch_related("subjects")}
    room_subjects = {r.pk: {s.pk for s in r.subjects.all()} for r in rooms.values()}
    assignments = {
        (a.teacher_id, a.subject_id, a.school_class_id, a.group_id): a
        for a in TeachingAssignment.objects.filter(school=school, is_active=True)
    }
    subjects = {s.pk: s for s in Subject.objects.all()}
    teacher_ids = {a.teacher_id for a in assignments.values()}
    teachers = {
        p.pk: p
        for p in Person.objects.filter(
            Q(pk__in=teacher_ids)
            | Q(
                memberships__school=school,
                memberships__role=MembershipRole.TEACHER,
                memberships__is_active=True,
            )
        ).distinct()
    }
    bells: dict[int, dict[int, Bell]] = {}
    for schedule in settings.bell_schedules:
        bells[schedule.pk] = {b.lesson_number: b for b in schedule.bells.all()}
    return SchoolContext(
        school=school,
        year=year,
        settings=settings,
        classes=classes,
        groups=groups,
        rooms=rooms,
        subjects=subjects,
        teachers=teachers,
        assignments=assignments,
        bells=bells,
        room_subjects=room_subjects,
    )


def effective_year_for(school: School, year: AcademicYear) -> AcademicYear:
    """A school works in its own year of that name if it has one."""
    if year.school_id == school.pk:
        return year
    if year.school_id is not None:
        raise ValidationError(_("Учебный год другой школы"))
    return AcademicYear.objects.filter(school=school, name=year.name).first() or year


def _where(ctx: SchoolContext, d: EntryDraft) -> str:
    return _("%(target)s, %(value)s, %(lesson_number)s урок") % {
        "target": ctx.target(d.school_class_id, d.group_id),
        "value": weekday_in_sentence(d.weekday),
        "lesson_number": d.lesson_number,
    }


def _weekly_peak(items: list[tuple[datetime.date, datetime.date, str]]) -> Decimal:
    """Lessons a week at the busiest moment of the year, for entries with validity ranges."""
    peak = Decimal(0)
    for start, _end, _parity in items:
        total = sum((PARITY_WEIGHT[WeekParity(p)] for s, e, p in items if s <= start <= e), Decimal(0))
        peak = max(peak, total)
    return peak


def _lock(school: School, teacher_ids: Iterable[int]) -> None:
    School.objects.select_for_update().filter(pk=school.pk).first()
    with connection.cursor() as cursor:
        for teacher_id in sorted(set(teacher_ids)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7201, teacher_id])


def _slot(
    ctx: SchoolContext,
    key: int,
    d: EntryDraft,
    bell: Bell,
    valid_from: datetime.date,
    valid_to: datetime.date,
) -> Slot:
    room = ctx.rooms.get(d.room_id or 0)
    subject = ctx.subjects.get(d.subject_id)
    return Slot(
        key=key,
        weekday=d.weekday,
        starts_at=bell.starts_at,
        ends_at=bell.ends_at,
        teacher_id=d.teacher_id,
        school_id=ctx.school.pk,
        lesson_number=d.lesson_number,
        parity=d.parity,
        valid_from=valid_from,
        valid_to=valid_to,
        room_id=d.room_id,
        class_id=d.school_class_id,
        group_id=d.group_id,
        target=ctx.target(d.school_class_id, d.group_id),
        subject=subject.name if subject else "",
        teacher=ctx.teacher_name(d.teacher_id),
        room=room.name if room else "",
        school=ctx.school.short_name,
    )


def validate_drafts(
    ctx: SchoolContext, drafts: Sequence[EntryDraft], *, remove_ids: Iterable[int] = ()
) -> tuple[list[str], list[Slot], list[Clash]]:
    """Every problem of a batch of drafts, as messages naming the place: bells, load, hours,
    validity, then conflicts (one query). Returns (messages, slots, clashes)."""
    errors: list[str] = []
    year = ctx.year
    removed = set(remove_ids) | {d.entry_id for d in drafts if d.entry_id}
    slots: list[Slot] = []
    keyed: dict[tuple, list[tuple[datetime.date, datetime.date, str]]] = defaultdict(list)
    seen_numbers: dict[tuple, int] = {}
    for i, d in enumerate(drafts):
        where = _where(ctx, d)
        problems: list[str] = []
        if not 1 <= d.weekday <= 6:
            problems.append(_("уроки ставятся с понедельника по субботу"))
        if (d.school_class_id is None) == (d.group_id is None):
            problems.append(_("нужен либо класс, либо группа"))
        school_class = ctx.classes.get(d.school_class_id or 0)
        group = ctx.groups.get(d.group_id or 0)
        if d.school_class_id is not None and (school_class is None or not school_class.is_active):
            problems.append(_("класса нет в этой школе (или он выбыл по данным реестра)"))
        if d.group_id is not None and (group is None or not group.is_active):
            problems.append(_("группы нет в этой школе (или она неактивна)"))
        if d.room_id is not None and (d.room_id not in ctx.rooms or not ctx.rooms[d.room_id].is_active):
            problems.append(_("кабинета нет в этой школе (или он неактивен)"))
        if d.parity not in WeekParity.values:
            problems.append(_("неизвестная чётность недели «%(parity)s»") % {"parity": d.parity})
        assignment = ctx.assignments.get((d.teacher_id, d.subject_id, d.school_class_id, d.group_id))
        subject = ctx.subjects.get(d.subject_id)
        if assignment is None and not problems:
            problems.append(
                _(
                    "у учителя %(teacher_name)s нет нагрузки «%(name)s» в %(target)s — сначала назначьте нагрузку"
                )
                % {
                    "teacher_name": ctx.teacher_name(d.teacher_id),
                    "name": subject.name if subject else d.subject_id,
                    "target": ctx.target(d.school_class_id, d.group_id),
                }
            )
        schedule = (
            next((s for s in ctx.settings.bell_schedules if s.pk == d.bell_schedule_id), None)
            if d.bell_schedule_id
            else ctx.schedule_for(d.school_class_id, d.group_id)
        )
        bell = None
        if schedule is None:
            problems.append(_("для смены класса нет расписания звонков"))
        else:
            bell = ctx.bells.get(schedule.pk, {}).get(d.lesson_number)
            if bell is None:
                numbers = sorted(ctx.bells.get(schedule.pk, {}))
                span = (
                    _("уроки %(numbers)s–%(numbers2)s") % {"numbers": numbers[0], "numbers2": numbers[-1]}
                    if numbers
                    else _("нет уроков")
                )
                problems.append(
                    _("урок %(lesson_number)s вне расписания звонков «%(name)s» (%(span)s)")
                    % {"lesson_number": d.lesson_number, "name": schedule.name, "span": span}
                )
        valid_from = d.valid_from or year.starts_on
        valid_to = d.valid_to or year.ends_on
        if valid_from > valid_to:
            problems.append(
                _("действует с %(valid_from)s позже, чем по %(valid_to)s")
                % {"valid_from": format(valid_from, "%d.%m.%Y"), "valid_to": format(valid_to, "%d.%m.%Y")}
            )
        if valid_from < year.starts_on or valid_to > year.ends_on:
            problems.append(
                _("срок действия %(valid_from)s–%(valid_to)s вне учебного года %(name)s")
                % {
                    "valid_from": format(valid_from, "%d.%m.%Y"),
                    "valid_to": format(valid_to, "%d.%m.%Y"),
                    "name": year.name,
                }
            )
        same_cell = (d.weekday, d.lesson_number, d.school_class_id, d.group_id, d.parity, valid_from)
        if same_cell in seen_numbers:
            problems.append(_("в этой клетке уже стоит урок этого класса"))
        seen_numbers[same_cell] = i
        if problems:
            errors.extend(f"{where}: {p}" for p in problems)
            continue
        if bell is None or schedule is None:  # reported above; keeps the type checker honest
            continue
        keyed[(d.teacher_id, d.subject_id, d.school_class_id, d.group_id)].append(
            (valid_from, valid_to, d.parity)
        )
        slots.append(_slot(ctx, i, replace(d, bell_schedule_id=schedule.pk), bell, valid_from, valid_to))
    # hours: the template may not hold more lessons a week than the teacher load
    if keyed:
        q = Q()
        for teacher_id, subject_id, class_id, group_id in keyed:
            q |= Q(teacher_id=teacher_id, subject_id=subject_id, school_class_id=class_id, group_id=group_id)
        stored = (
            TimetableEntry.objects.filter(q, academic_year=year)
            .exclude(pk__in=removed)
            .values_list(
                "teacher_id", "subject_id", "school_class_id", "group_id", "valid_from", "valid_to", "parity"
            )
        )
        for teacher_id, subject_id, class_id, group_id, vf, vt, parity in stored:
            key = (teacher_id, subject_id, class_id, group_id)
            if key in keyed:
                keyed[key].append((vf, vt or year.ends_on, parity))
        for key, items in keyed.items():
            assignment = ctx.assignments[key]
            peak = _weekly_peak(items)
            if peak > assignment.hours_per_week:
                subject = ctx.subjects[key[1]]
                errors.append(
                    _(
                        "%(target)s, %(name)s (%(teacher_name)s): уроков в неделю в расписании — %(hours_text)s, а по нагрузке — %(assignment_hours_per_week)s ч"
                    )
                    % {
                        "target": ctx.target(key[2], key[3]),
                        "name": subject.name,
                        "teacher_name": ctx.teacher_name(key[0]),
                        "hours_text": hours_text(peak),
                        "assignment_hours_per_week": hours_text(assignment.hours_per_week),
                    }
                )
    clashes: list[Clash] = []
    if slots and not errors:
        clashes = find_template_clashes(slots, exclude_entry_ids=removed)
        errors.extend(f"{_where(ctx, drafts[clash.key])}: {clash.message}" for clash in clashes)
    return errors, slots, clashes


def _affected_sync(school: School, year: AcademicYear, entry_ids: set[int], actor: Any) -> None:
    """Template changes reach the dated lessons from today on, in periods already generated."""
    if not entry_ids:
        return
    today = timezone.localdate()
    periods = StudyPeriod.objects.filter(academic_year=year, ends_on__gte=today).filter(
        pk__in=Lesson.objects.filter(school=school).values("period_id")
    )
    for period in periods:
        lessons_generate(
            school=school,
            period=period,
            date_from=max(today, period.starts_on),
            entry_ids=entry_ids,
            actor=actor,
            audit=False,
        )


def timetable_entries_save(
    *,
    school: School,
    academic_year: AcademicYear,
    drafts: Sequence[EntryDraft] = (),
    remove_ids: Iterable[int] = (),
    actor: Any = None,
    action: str = "timetable_save",
) -> list[TimetableEntry]:
    """Save a batch of template changes atomically: new entries, updates in place, removals.
    Anything wrong — a lesson outside the bells, no teacher load, more lessons than the load's
    hours, a teacher/room/class in two places — refuses the whole batch with every message."""
    year = effective_year_for(school, academic_year)
    remove_ids = set(remove_ids)
    with transaction.atomic():
        _lock(school, [d.teacher_id for d in drafts])
        ctx = school_context(school=school, year=year)
        updating = {d.entry_id for d in drafts if d.entry_id}
        known = set(
            TimetableEntry.objects.filter(school=school, pk__in=remove_ids | updating).values_list(
                "pk", flat=True
            )
        )
        missing = (remove_ids | updating) - known
        if missing:
            raise ValidationError(
                {
                    "entries": [
                        _("Нет строк расписания %(missing)s в этой школе") % {"missing": sorted(missing)}
                    ]
                }
            )
        errors, slots, _clashes = validate_drafts(ctx, drafts, remove_ids=remove_ids)
        if errors:
            raise ValidationError({"entries": errors})
        # lessons generated from removed entries: the future ones without journal content go
        past_kept = _drop_future_lessons(remove_ids)
        removed_rows = list(
            TimetableEntry.objects.filter(pk__in=remove_ids).values(
                "pk",
                "weekday",
                "lesson_number",
                "school_class_id",
                "group_id",
                "subject_id",
                "teacher_id",
                "room_id",
            )
        )
        TimetableEntry.objects.filter(pk__in=remove_ids).delete()
        saved: list[TimetableEntry] = []
        by_id = {e.pk: e for e in TimetableEntry.objects.filter(pk__in=updating)}
        new_entries = []
        for slot in slots:
            d = drafts[slot.key]
            school_class = ctx.class_of(d.school_class_id, d.group_id)
            schedule = (
                d.bell_schedule_id
                if d.bell_schedule_id
                else ctx.settings.schedule_for_shift(school_class.shift if school_class else 1).pk  # type: ignore[union-attr]
            )
            values = {
                "weekday": d.weekday,
                "lesson_number": d.lesson_number,
                "subject_id": d.subject_id,
                "teacher_id": d.teacher_id,
                "school_class_id": d.school_class_id,
                "group_id": d.group_id,
                "room_id": d.room_id,
                "parity": d.parity,
                "valid_from": slot.valid_from,
                "valid_to": slot.valid_to,
                "bell_schedule_id": schedule,
            }
            if d.entry_id:
                entry = by_id[d.entry_id]
                for key, value in values.items():
                    setattr(entry, key, value)
                entry.save()
                saved.append(entry)
            else:
                new_entries.append(TimetableEntry(school=school, academic_year=year, **values))
        TimetableEntry.objects.bulk_create(new_entries)
        saved.extend(new_entries)
        _affected_sync(school, year, {e.pk for e in saved}, actor)
        audit_record(
            actor=actor,
            action=action,
            entity="timetable",
            entity_id=f"{school.pk}:{year.name}",
            changes={
                "added": [None, len(new_entries)],
                "updated": [None, sorted(updating)],
                "removed": [removed_rows or None, None],
                "past_lessons_kept": [None, past_kept] if past_kept else [None, 0],
            },
        )
    return saved


def _drop_future_lessons(entry_ids: set[int]) -> int:
    """Before template entries go: delete their lessons from today on that have no journal
    content. Past lessons stay (they happened); returns how many lessons stay."""
    if not entry_ids:
        return 0
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
DELETE FROM timetable_lesson l
 WHERE l.template_entry_id = ANY(%(ids)s) AND COALESCE(l.moved_from_date, l.date) >= %(today)s
   AND NOT {has_content_sql("l")}
""",  # noqa: S608 - identifiers from the catalog, quoted
            {"ids": list(entry_ids), "today": today},
        )
        cursor.execute(
            "SELECT count(*) FROM timetable_lesson WHERE template_entry_id = ANY(%s)", [list(entry_ids)]
        )
        return int(cursor.fetchone()[0])


def timetable_entry_create(
    *, school: School, academic_year: AcademicYear, draft: EntryDraft, actor: Any = None
) -> TimetableEntry:
    return timetable_entries_save(
        school=school,
        academic_year=academic_year,
        drafts=[draft],
        actor=actor,
        action="timetable_entry_create",
    )[0]


def timetable_entry_update(*, entry: TimetableEntry, actor: Any = None, **changes: Any) -> TimetableEntry:
    draft = EntryDraft.of(entry, **changes)
    return timetable_entries_save(
        school=entry.school,
        academic_year=entry.academic_year,
        drafts=[draft],
        actor=actor,
        action="timetable_entry_update",
    )[0]


def timetable_entry_delete(*, entry: TimetableEntry, actor: Any = None) -> None:
    timetable_entries_save(
        school=entry.school,
        academic_year=entry.academic_year,
        remove_ids=[entry.pk],
        actor=actor,
        action="timetable_entry_delete",
    )


def class_week_entries(*, school_class: SchoolClass, year: AcademicYear) -> list[TimetableEntry]:
    return list(
        TimetableEntry.objects.filter(academic_year=year)
        .filter(
            Q(school_class=school_class) | Q(group__school_class=school_class, group__kind=GroupKind.SUBGROUP)
        )
        .order_by("weekday", "lesson_number", "group_id", "id")
    )


def _identity(d: EntryDraft | TimetableEntry) -> tuple:
    return (d.weekday, d.lesson_number, d.subject_id, d.teacher_id, d.school_class_id, d.group_id, d.parity)


def timetable_class_week_save(
    *, school_class: SchoolClass, academic_year: AcademicYear, drafts: Sequence[EntryDraft], actor: Any = None
) -> list[TimetableEntry]:
    """Replace a class's week (its own and its subgroups' entries) by ``drafts`` — what the grid
    editor sends. Unchanged lessons keep their entries (and their dated lessons); a lesson whose
    room or parity changed is updated in place."""
    school = school_class.school
    year = effective_year_for(school, academic_year)
    existing = class_week_entries(school_class=school_class, year=year)
    pool: dict[tuple, list[TimetableEntry]] = defaultdict(list)
    for entry in existing:
        pool[_identity(entry)].append(entry)
    final: list[EntryDraft] = []
    for d in drafts:
        if d.school_class_id not in (None, school_class.pk):
            raise ValidationError(
                {
                    "entries": [
                        _("Строка расписания другого класса в неделе %(name)s") % {"name": school_class.name}
                    ]
                }
            )
        matches = pool.get(_identity(d))
        if matches:
            entry = matches.pop(0)
            if (entry.room_id, entry.valid_from, entry.valid_to) == (
                d.room_id,
                d.valid_from or entry.valid_from,
                d.valid_to or entry.valid_to,
            ):
                continue  # untouched
            final.append(replace(d, entry_id=entry.pk))
        else:
            final.append(d)
    remove = [e.pk for entries in pool.values() for e in entries]
    if not final and not remove:
        return existing
    return timetable_entries_save(
        school=school,
        academic_year=year,
        drafts=final,
        remove_ids=remove,
        actor=actor,
        action="timetable_class_week_save",
    )


def timetable_copy_week(
    *, source: SchoolClass, target: SchoolClass, academic_year: AcademicYear, actor: Any = None
) -> list[TimetableEntry]:
    """Copy a class's week to another class of the school: the same subjects at the same
    times, taught by the target class's own teachers (its load); subgroups matched by subject
    and order. Replaces the target's week; refused with every clash named."""
    if source.school_id != target.school_id:
        raise ValidationError(_("Неделю можно копировать только в класс той же школы"))
    if source.pk == target.pk:
        raise ValidationError(_("Выберите другой класс"))
    school = source.school
    year = effective_year_for(school, academic_year)
    entries = class_week_entries(school_class=source, year=year)
    if not entries:
        raise ValidationError(
            _("У %(name)s нет расписания на %(year_name)s") % {"name": source.name, "year_name": year.name}
        )
    loads = list(
        TeachingAssignment.objects.filter(school=school, is_active=True)
        .filter(Q(school_class=target) | Q(group__school_class=target, group__kind=GroupKind.SUBGROUP))
        .select_related("group", "room")
        .order_by("group__name", "id")
    )
    whole = {load.subject_id: load for load in loads if load.school_class_id}
    groups_by_subject: dict[int, list[TeachingAssignment]] = defaultdict(list)
    for load in loads:
        if load.group_id:
            groups_by_subject[load.subject_id].append(load)
    source_groups: dict[int, list[int]] = defaultdict(list)
    for e in entries:
        if e.group_id and e.group_id not in source_groups[e.subject_id]:
            source_groups[e.subject_id].append(e.group_id)
    subjects = {s.pk: s.name for s in Subject.objects.filter(pk__in={e.subject_id for e in entries})}
    drafts: list[EntryDraft] = []
    missing: set[str] = set()
    for e in entries:
        a: TeachingAssignment | None
        if e.school_class_id or e.group_id is None:
            a = whole.get(e.subject_id)
        else:
            index = source_groups[e.subject_id].index(e.group_id)
            options = groups_by_subject.get(e.subject_id, [])
            a = options[index] if index < len(options) else None
        if a is None:
            missing.add(
                subjects.get(e.subject_id, str(e.subject_id))
                + ("" if e.school_class_id else _(" (подгруппы)"))
            )
            continue
        drafts.append(
            EntryDraft(
                weekday=e.weekday,
                lesson_number=e.lesson_number,
                subject_id=e.subject_id,
                teacher_id=a.teacher_id,
                school_class_id=target.pk if a.school_class_id else None,
                group_id=a.group_id,
                room_id=a.room_id,
                parity=e.parity,
                valid_from=e.valid_from,
                valid_to=e.valid_to,
            )
        )
    if missing:
        raise ValidationError(
            {
                "entries": [
                    _("У %(name)s нет нагрузки по предметам: %(missing)s — назначьте учителей")
                    % {"name": target.name, "missing": ", ".join(sorted(missing))}
                ]
            }
        )
    return timetable_class_week_save(school_class=target, academic_year=year, drafts=drafts, actor=actor)


def timetable_entries_reassign(*, assignment: TeachingAssignment, teacher: Person, actor: Any = None) -> int:
    """A load changes hands: its template entries get the new teacher (conflict-checked)."""
    entries = list(
        TimetableEntry.objects.filter(
            school_id=assignment.school_id,
            teacher_id=assignment.teacher_id,
            subject_id=assignment.subject_id,
            school_class_id=assignment.school_class_id,
            group_id=assignment.group_id,
        ).select_related("academic_year")
    )
    if not entries:
        return 0
    # the new teacher's load row must exist for validation: move the assignment first
    original = assignment.teacher_id
    TeachingAssignment.objects.filter(pk=assignment.pk).update(teacher=teacher)
    by_year: dict[int, list[TimetableEntry]] = defaultdict(list)
    for e in entries:
        by_year[e.academic_year_id].append(e)
    try:
        for year_entries in by_year.values():
            timetable_entries_save(
                school=assignment.school,
                academic_year=year_entries[0].academic_year,
                drafts=[EntryDraft.of(e, teacher_id=teacher.pk) for e in year_entries],
                actor=actor,
                action="timetable_reassign",
            )
    finally:
        TeachingAssignment.objects.filter(pk=assignment.pk).update(teacher_id=original)
    return len(entries)


def lessons_follow_bells(*, schedule_id: int, since: datetime.date) -> int:
    """Dated lessons from ``since`` on take the current times of their bell schedule. A bell
    schedule is edited once for a whole region (its default) or a school: waiting for each
    school's next generation left the diary and the journal showing the old times. Times are
    not journal content, so lessons with marks or homework follow too. One statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE timetable_lesson l
               SET starts_at = b.starts_at, ends_at = b.ends_at, updated_at = now()
              FROM timetable_timetableentry e
              JOIN academics_bell b ON b.schedule_id = e.bell_schedule_id
             WHERE e.bell_schedule_id = %s AND l.template_entry_id = e.id
               AND b.lesson_number = l.lesson_number AND l.date >= %s
               AND (l.starts_at <> b.starts_at OR l.ends_at <> b.ends_at)
            """,
            [schedule_id, since],
        )
        return cursor.rowcount


def school_timetable_check(*, school: School, academic_year: AcademicYear) -> list[Clash]:
    """Every clash in a school's stored template (e.g. after a teacher's other school changed
    its timetable), then what the registry changed under it: lessons of a teacher who no
    longer works in the school, lessons of a closed class. Five queries at most."""
    from regions.timetable.conflicts import find_school_clashes

    year = effective_year_for(school, academic_year)
    return (
        find_school_clashes(school_id=school.pk, academic_year_id=year.pk)
        + departed_teacher_entries(school=school, year=year)
        + closed_class_entries(school=school, year=year)
    )


def _entry_place(e: TimetableEntry) -> dict[str, Any]:
    """Where a template lesson stands, for a message: «5А, понедельник, 2 урок (Математика)»."""
    return {
        "target": e.school_class.name if e.school_class else e.group.name,  # type: ignore[union-attr]
        "weekday": weekday_in_sentence(e.weekday),
        "lesson_number": e.lesson_number,
        "subject": e.subject.name,
    }


def closed_class_entries(*, school: School, year: AcademicYear) -> list[Clash]:
    """Template lessons of a class the registry closed (or of its subgroups). They produce no
    dated lessons, yet the clash check still counts them: the teacher and the room look busy,
    and the message names a class nobody can pick. Listed so the school clears that week (the
    grid opens a closed class that still has lessons)."""
    entries = (
        TimetableEntry.objects.filter(school=school, academic_year=year)
        .filter(
            Q(school_class__is_active=False)
            | Q(group__kind=GroupKind.SUBGROUP, group__school_class__is_active=False)
        )
        .select_related("subject", "school_class", "group__school_class")
        .order_by("weekday", "lesson_number", "id")
    )
    clashes = []
    for e in entries:
        closed: SchoolClass = e.school_class or e.group.school_class  # type: ignore[union-attr,assignment]
        clashes.append(
            Clash(
                kind="class_closed",
                key=e.pk,
                other={"class": closed.pk},
                message=_(
                    "%(target)s, %(weekday)s, %(lesson_number)s урок (%(subject)s): класса %(name)s нет в "
                    "реестре — урок не проводится, но занимает учителя и кабинет; очистите неделю класса"
                )
                % {**_entry_place(e), "name": closed.name},
                class_id=closed.pk,
            )
        )
    return clashes


def departed_teacher_entries(*, school: School, year: AcademicYear) -> list[Clash]:
    """Template lessons of a teacher the registry no longer lists as a teacher of the school
    (a re-import deactivated the membership). The import leaves configuration alone, so the
    load, the template and the dated lessons still name that teacher; without this list nobody
    would notice until the lesson is not held. The cure is a new teacher for the load
    (``teaching_assignment_update`` moves the template entries along)."""
    works = Membership.objects.filter(
        person_id=OuterRef("teacher_id"), school_id=school.pk, role=MembershipRole.TEACHER, is_active=True
    )
    entries = (
        TimetableEntry.objects.filter(school=school, academic_year=year)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=timezone.localdate()))
        .exclude(Exists(works))
        .select_related("teacher", "subject", "school_class", "group")
        .order_by("teacher__surname", "teacher_id", "weekday", "lesson_number")
    )
    return [
        Clash(
            kind="teacher_left",
            key=e.pk,
            other={"teacher": e.teacher_id},
            message=_(
                "%(target)s, %(weekday)s, %(lesson_number)s урок (%(subject)s): учитель %(teacher)s "
                "больше не работает в школе по данным реестра — назначьте другого учителя в нагрузке"
            )
            % {**_entry_place(e), "teacher": _person_name(e.teacher)},
            class_id=e.school_class_id or (e.group.school_class_id if e.group else None),
        )
        for e in entries
    ]


# --- generation of dated lessons ----------------------------------------------------------------------


@dataclass
class GenerationReport:
    created: int = 0
    updated: int = 0
    removed: int = 0
    kept_with_content: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "removed": self.removed,
            "kept_with_content": self.kept_with_content,
        }


# An entry "produces" a lesson on a day: its weekday, inside its validity and week parity, its
# class or group active, and no holiday of that day for its parallel. Written once, used two
# ways: over all days of the range (what must exist) and for one lesson's planned date (is it
# still wanted?) — the second is a primary-key lookup per lesson, so it never depends on the
# planner guessing the size of a freshly generated set.
_PRODUCES = """
       e.school_id = %(school)s AND e.academic_year_id = %(year)s
   AND EXTRACT(ISODOW FROM {day}) = e.weekday
   AND {day} BETWEEN e.valid_from AND COALESCE(e.valid_to, %(year_end)s)
   AND (e.parity = 'every' OR (e.parity = 'odd') = ((({day} - %(week1)s::date) / 7) %% 2 = 0))
   AND COALESCE(c.is_active, g.is_active AND COALESCE(gc.is_active, TRUE))
   AND NOT EXISTS (
       SELECT 1 FROM academics_holiday h
        WHERE h.academic_year_id = %(year)s AND {day} BETWEEN h.starts_on AND h.ends_on
          AND (cardinality(h.parallels) = 0 OR COALESCE(c.parallel, gc.parallel) = ANY(h.parallels)))
"""

_ENTRY_JOINS = """
  JOIN academics_bell b ON b.schedule_id = e.bell_schedule_id AND b.lesson_number = e.lesson_number
  LEFT JOIN schools_schoolclass c ON c.id = e.school_class_id
  LEFT JOIN teaching_studygroup g ON g.id = e.group_id
  LEFT JOIN schools_schoolclass gc ON gc.id = g.school_class_id
"""

# joined, not concatenated: only the constant fragments above go into these statements
_DESIRED = "".join(
    [
        """
WITH days AS (
    SELECT d::date AS day FROM generate_series(%(from)s::date, %(to)s::date, interval '1 day') AS d
),
desired AS MATERIALIZED (
    SELECT e.id AS entry_id, days.day, e.lesson_number, b.starts_at, b.ends_at,
           e.school_class_id, e.group_id, e.subject_id, e.teacher_id, e.room_id
      FROM timetable_timetableentry e
      JOIN days ON EXTRACT(ISODOW FROM days.day) = e.weekday
""",
        _ENTRY_JOINS,
        " WHERE ",
        _PRODUCES.format(day="days.day"),
        """
       {entry_filter}
)
""",
    ]
)

_STILL_WANTED = "".join(
    [
        "EXISTS (SELECT 1 FROM timetable_timetableentry e",
        _ENTRY_JOINS,
        " WHERE e.id = l.template_entry_id AND ",
        _PRODUCES.format(day="COALESCE(l.moved_from_date, l.date)"),
        ")",
    ]
)


def week_one_monday(year: AcademicYear) -> datetime.date:
    """Week parity counts from the week of the year's first day: that week is odd (1st)."""
    return year.starts_on - datetime.timedelta(days=year.starts_on.isoweekday() - 1)


def lessons_generate(
    *,
    school: School,
    period: StudyPeriod,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    entry_ids: Iterable[int] | None = None,
    actor: Any = None,
    audit: bool = True,
) -> GenerationReport:
    """Turn the weekly template into dated lessons for a period (or part of it): one lesson
    per entry and school day — weekdays of the template, no holidays (a holiday may concern
    some parallels only), only inside each entry's validity and week parity.

    Idempotent, set-based, three statements: lessons no longer in the template are deleted
    unless they have journal content (any row pointing at them); lessons that stay but whose
    template changed (teacher, room, bells…) are updated unless they have content or were
    moved; missing ones are inserted. A moved lesson counts at its planned date."""
    year = period.academic_year
    if year.school_id not in (None, school.pk):
        raise ValidationError(_("Период из календаря другой школы"))
    effective = effective_year_for(school, year)
    if effective.pk != year.pk:
        raise ValidationError(
            _("У школы свой календарь %(name)s: генерируйте уроки по его периодам") % {"name": effective.name}
        )
    start = max(period.starts_on, date_from or period.starts_on)
    end = min(period.ends_on, date_to or period.ends_on)
    report = GenerationReport()
    if start > end:
        return report
    ids = list(entry_ids) if entry_ids is not None else None
    params: dict[str, Any] = {
        "from": start,
        "to": end,
        "school": school.pk,
        "year": year.pk,
        "year_end": year.ends_on,
        "week1": week_one_monday(year),
        "period": period.pk,
        "ids": ids or [],
    }
    entry_filter = "AND e.id = ANY(%(ids)s)" if ids is not None else ""
    lesson_filter = "AND l.template_entry_id = ANY(%(ids)s)" if ids is not None else ""
    desired = _DESIRED.format(entry_filter=entry_filter)
    content = has_content_sql("l")
    with transaction.atomic(), connection.cursor() as cursor:
        # constant fragments and catalog identifiers only; values are parameters
        stale = f"""
  FROM timetable_lesson l
 WHERE l.school_id = %(school)s AND l.template_entry_id IS NOT NULL
   AND COALESCE(l.moved_from_date, l.date) BETWEEN %(from)s AND %(to)s {lesson_filter}
   AND NOT {_STILL_WANTED}
"""
        cursor.execute(f"SELECT count(*) {stale} AND {content}", params)
        report.kept_with_content = int(cursor.fetchone()[0])
        cursor.execute(
            f"DELETE FROM timetable_lesson WHERE id IN (SELECT l.id {stale} AND NOT {content})",  # noqa: S608
            params,
        )
        report.removed = cursor.rowcount
        cursor.execute(
            desired
            + f"""
UPDATE timetable_lesson l
   SET lesson_number = d.lesson_number, starts_at = d.starts_at, ends_at = d.ends_at,
       school_class_id = d.school_class_id, group_id = d.group_id, subject_id = d.subject_id,
       teacher_id = d.teacher_id, room_id = d.room_id, period_id = %(period)s, updated_at = now()
  FROM desired d
 WHERE l.template_entry_id = d.entry_id AND COALESCE(l.moved_from_date, l.date) = d.day
   AND l.moved_from_date IS NULL
   AND (l.lesson_number, l.starts_at, l.ends_at, l.school_class_id, l.group_id, l.subject_id,
        l.teacher_id, l.room_id, l.period_id)
       IS DISTINCT FROM
       (d.lesson_number, d.starts_at, d.ends_at, d.school_class_id, d.group_id, d.subject_id,
        d.teacher_id, d.room_id, %(period)s::bigint)
   AND NOT {content}
""",  # noqa: S608
            params,
        )
        report.updated = cursor.rowcount
        cursor.execute(
            desired
            + """
INSERT INTO timetable_lesson
       (school_id, period_id, date, lesson_number, starts_at, ends_at, school_class_id, group_id,
        subject_id, teacher_id, room_id, template_entry_id, status, is_remote, video_url,
        change_note, created_at, updated_at)
SELECT %(school)s, %(period)s, d.day, d.lesson_number, d.starts_at, d.ends_at, d.school_class_id,
       d.group_id, d.subject_id, d.teacher_id, d.room_id, d.entry_id, 'scheduled', FALSE, '', '',
       now(), now()
  FROM desired d
ON CONFLICT DO NOTHING
""",
            params,
        )
        report.created = cursor.rowcount
        if audit:
            audit_record(
                actor=actor,
                action="lessons_generate",
                entity="lessons",
                entity_id=f"{school.pk}:{period.pk}",
                changes={"period": [None, period.name], "dates": [None, [start.isoformat(), end.isoformat()]]}
                | {k: [None, v] for k, v in report.as_dict().items()},
            )
    return report


def lessons_generate_many(
    *, schools: Iterable[School], period: StudyPeriod, actor: Any = None
) -> dict[int, GenerationReport]:
    """Generation for many schools that share a region period (a school with its own calendar
    of that year is generated by its own periods and skipped here)."""
    own = set(
        AcademicYear.objects.filter(school__isnull=False, name=period.academic_year.name).values_list(
            "school_id", flat=True
        )
    )
    reports = {}
    for school in schools:
        if school.pk in own and period.academic_year.school_id is None:
            continue
        reports[school.pk] = lessons_generate(school=school, period=period, actor=actor)
    return reports


# --- changes on a date ------------------------------------------------------------------------------


def _lesson_slot(
    lesson: Lesson,
    *,
    date: datetime.date,
    starts: datetime.time,
    ends: datetime.time,
    number: int,
    teacher_id: int,
    room_id: int | None,
) -> Slot:
    return Slot.dated(
        key=0,
        date=date,
        starts_at=starts,
        ends_at=ends,
        teacher_id=teacher_id,
        school_id=lesson.school_id,
        lesson_number=number,
        room_id=room_id,
        class_id=lesson.school_class_id,
        group_id=lesson.group_id,
    )


def _person_name(person: Person) -> str:
    return short_person_name(person.surname, person.name, person.patronymic)


def _lesson_label(lesson: Lesson) -> str:
    target = lesson.school_class.name if lesson.school_class else lesson.group.name  # type: ignore[union-attr]
    return _("%(target)s, %(date)s, %(lesson_number)s урок") % {
        "target": target,
        "date": format(lesson.date, "%d.%m.%Y"),
        "lesson_number": lesson.lesson_number,
    }


def _lesson_snapshot(lesson: Lesson) -> dict[str, Any]:
    return {
        "date": lesson.date.isoformat(),
        "lesson_number": lesson.lesson_number,
        "substitute": lesson.substitute_id,
        "room": lesson.room_id,
        "status": lesson.status,
        "is_remote": lesson.is_remote,
        "video_url": lesson.video_url,
        "change_note": lesson.change_note,
        "moved_from_date": lesson.moved_from_date.isoformat() if lesson.moved_from_date else None,
        "moved_from_number": lesson.moved_from_number,
    }


def _audit_lesson(lesson: Lesson, old: dict[str, Any], action: str, actor: Any) -> None:
    new = _lesson_snapshot(lesson)
    audit_record(
        actor=actor,
        action=action,
        entity="lesson",
        entity_id=lesson.pk,
        changes={k: [old[k], new[k]] for k in new if old[k] != new[k]},
    )


def _locked(lesson: Lesson) -> Lesson:
    return (
        Lesson.objects.select_for_update(of=("self",))
        .select_related("school_class", "group", "school", "teacher", "substitute", "subject")
        .get(pk=lesson.pk)
    )


def lesson_substitute(
    *, lesson: Lesson, substitute: Person | None, note: str = "", actor: Any = None
) -> Lesson:
    """Another teacher takes the lesson (``None``: the planned teacher again). The substitute
    must work in the school and be free at that time."""
    with transaction.atomic():
        lesson = _locked(lesson)
        if lesson.status == LessonStatus.CANCELLED:
            raise ValidationError(
                _("%(lesson)s: урок отменён — сначала верните его") % {"lesson": _lesson_label(lesson)}
            )
        if substitute is not None:
            if substitute.pk == lesson.teacher_id:
                substitute = None
            elif not Membership.objects.filter(
                person=substitute, school_id=lesson.school_id, role=MembershipRole.TEACHER, is_active=True
            ).exists():
                raise ValidationError(
                    {
                        "substitute": [
                            _("%(substitute)s не работает учителем в этой школе")
                            % {"substitute": _person_name(substitute)}
                        ]
                    }
                )
        if substitute is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7201, substitute.pk])
            clashes = [
                c
                for c in find_lesson_clashes(
                    [
                        replace(
                            _lesson_slot(
                                lesson,
                                date=lesson.date,
                                starts=lesson.starts_at,
                                ends=lesson.ends_at,
                                number=lesson.lesson_number,
                                teacher_id=substitute.pk,
                                room_id=None,
                            ),
                            class_id=None,
                            group_id=None,
                            teacher=_person_name(substitute),
                        )
                    ],
                    exclude_lesson_ids=[lesson.pk],
                )
                if c.kind == "teacher"
            ]
            if clashes:
                raise ValidationError({"substitute": [c.message for c in clashes]})
        old = _lesson_snapshot(lesson)
        lesson.substitute = substitute
        lesson.change_note = (note or "").strip()[:300] if substitute else ""
        lesson.save(update_fields=["substitute", "change_note", "updated_at"])
        _audit_lesson(lesson, old, "lesson_substitute", actor)
    return lesson


def lesson_cancel(*, lesson: Lesson, reason: str, actor: Any = None) -> Lesson:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Укажите причину отмены урока")]})
    with transaction.atomic():
        lesson = _locked(lesson)
        if lesson.status == LessonStatus.CANCELLED:
            raise ValidationError(_("%(lesson)s: урок уже отменён") % {"lesson": _lesson_label(lesson)})
        old = _lesson_snapshot(lesson)
        lesson.status = LessonStatus.CANCELLED
        lesson.change_note = reason[:300]
        lesson.save(update_fields=["status", "change_note", "updated_at"])
        _audit_lesson(lesson, old, "lesson_cancel", actor)
    return lesson


def _check_free(
    lesson: Lesson,
    *,
    date: datetime.date,
    starts: datetime.time,
    ends: datetime.time,
    number: int,
    room_id: int | None,
) -> list[str]:
    teacher_id = lesson.substitute_id or lesson.teacher_id
    teacher = lesson.substitute or lesson.teacher
    slot = replace(
        _lesson_slot(
            lesson, date=date, starts=starts, ends=ends, number=number, teacher_id=teacher_id, room_id=room_id
        ),
        teacher=_person_name(teacher),
    )
    if room_id:
        slot = replace(
            slot, room=Room.objects.filter(pk=room_id).values_list("name", flat=True).first() or ""
        )
    return [c.message for c in find_lesson_clashes([slot], exclude_lesson_ids=[lesson.pk])]


def lesson_restore(*, lesson: Lesson, actor: Any = None) -> Lesson:
    """A cancelled lesson takes place after all — if its teacher, room and class are still free."""
    with transaction.atomic():
        lesson = _locked(lesson)
        if lesson.status != LessonStatus.CANCELLED:
            raise ValidationError(_("%(lesson)s: урок не отменён") % {"lesson": _lesson_label(lesson)})
        clashes = _check_free(
            lesson,
            date=lesson.date,
            starts=lesson.starts_at,
            ends=lesson.ends_at,
            number=lesson.lesson_number,
            room_id=lesson.room_id,
        )
        if clashes:
            raise ValidationError(clashes)
        old = _lesson_snapshot(lesson)
        lesson.status = LessonStatus.SCHEDULED
        lesson.change_note = ""
        lesson.save(update_fields=["status", "change_note", "updated_at"])
        _audit_lesson(lesson, old, "lesson_restore", actor)
    return lesson


def _bell_schedule_of(lesson: Lesson, settings: EffectiveSettings) -> BellSchedule | None:
    if lesson.template_entry_id:
        schedule_id = (
            TimetableEntry.objects.filter(pk=lesson.template_entry_id)
            .values_list("bell_schedule_id", flat=True)
            .first()
        )
        found = next((s for s in settings.bell_schedules if s.pk == schedule_id), None)
        if found is not None:
            return found
        if schedule_id:
            return BellSchedule.objects.filter(pk=schedule_id).first()
    school_class = lesson.school_class or (lesson.group.school_class if lesson.group else None)
    return settings.schedule_for_shift(school_class.shift if school_class else 1)


def lesson_move(
    *,
    lesson: Lesson,
    date: datetime.date,
    lesson_number: int,
    room: Room | str | None = "keep",
    note: str = "",
    actor: Any = None,
) -> Lesson:
    """Move a lesson to another date and/or lesson number (and room). The lesson keeps where it
    was planned (``moved_from_*``), its journal content moves with it. The new place must be a
    school day of the same academic year, inside the bell schedule, and free."""
    with transaction.atomic():
        lesson = _locked(lesson)
        if lesson.status == LessonStatus.CANCELLED:
            raise ValidationError(
                _("%(lesson)s: урок отменён — сначала верните его") % {"lesson": _lesson_label(lesson)}
            )
        settings = school_settings(school_id=lesson.school_id)
        year = StudyPeriod.objects.select_related("academic_year").get(pk=lesson.period_id).academic_year
        errors: list[str] = []
        period = StudyPeriod.objects.filter(
            academic_year=year, starts_on__lte=date, ends_on__gte=date
        ).first()
        if period is None:
            errors.append(
                _("%(date)s не входит ни в один учебный период %(name)s")
                % {"date": format(date, "%d.%m.%Y"), "name": year.name}
            )
        school_class = lesson.school_class or (lesson.group.school_class if lesson.group else None)
        holiday = (
            Holiday.objects.filter(academic_year=year, starts_on__lte=date, ends_on__gte=date)
            .filter(Q(parallels=[]) | Q(parallels__contains=[school_class.parallel] if school_class else []))
            .first()
        )
        if holiday is not None:
            errors.append(f"{date:%d.%m.%Y} — {holiday.name}")
        if date.isoweekday() == 7:
            errors.append(_("%(date)s — воскресенье") % {"date": format(date, "%d.%m.%Y")})
        schedule = _bell_schedule_of(lesson, settings)
        bell = schedule.bells.filter(lesson_number=lesson_number).first() if schedule else None
        if bell is None:
            errors.append(
                _("урок %(lesson_number)s вне расписания звонков «%(name)s»")
                % {"lesson_number": lesson_number, "name": schedule.name if schedule else "—"}
            )
        room_id = lesson.room_id if room == "keep" else (room.pk if isinstance(room, Room) else None)
        if isinstance(room, Room) and room.school_id != lesson.school_id:
            errors.append(_("кабинет «%(name)s» из другой школы") % {"name": room.name})
        if errors:
            raise ValidationError(
                [_("%(lesson)s → перенос: %(e)s") % {"lesson": _lesson_label(lesson), "e": e} for e in errors]
            )
        if bell is None or period is None:  # reported above
            raise ValidationError(_("%(lesson)s: перенос невозможен") % {"lesson": _lesson_label(lesson)})
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [7201, lesson.substitute_id or lesson.teacher_id]
            )
        clashes = _check_free(
            lesson, date=date, starts=bell.starts_at, ends=bell.ends_at, number=lesson_number, room_id=room_id
        )
        if clashes:
            raise ValidationError(clashes)
        old = _lesson_snapshot(lesson)
        if lesson.moved_from_date is None:
            lesson.moved_from_date, lesson.moved_from_number = lesson.date, lesson.lesson_number
        if (lesson.moved_from_date, lesson.moved_from_number) == (date, lesson_number):
            lesson.moved_from_date, lesson.moved_from_number = None, None  # back where planned
        lesson.date, lesson.lesson_number = date, lesson_number
        lesson.starts_at, lesson.ends_at = bell.starts_at, bell.ends_at
        lesson.room_id = room_id
        lesson.period = period
        lesson.change_note = (note or "").strip()[:300]
        lesson.save()
        _audit_lesson(lesson, old, "lesson_move", actor)
    return lesson


def lesson_set_remote(*, lesson: Lesson, is_remote: bool, video_url: str = "", actor: Any = None) -> Lesson:
    """A lesson held remotely, with the link to the video lesson (required)."""
    video_url = (video_url or "").strip()
    if is_remote:
        if not video_url:
            raise ValidationError({"video_url": [_("Для дистанционного урока нужна ссылка на видеоурок")]})
        try:
            URLValidator(schemes=["http", "https"])(video_url)
        except ValidationError as exc:
            raise ValidationError(
                {"video_url": [_("«%(video_url)s» — не ссылка http(s)") % {"video_url": video_url[:100]}]}
            ) from exc
    else:
        video_url = ""
    with transaction.atomic():
        lesson = _locked(lesson)
        old = _lesson_snapshot(lesson)
        lesson.is_remote, lesson.video_url = is_remote, video_url
        lesson.save(update_fields=["is_remote", "video_url", "updated_at"])
        _audit_lesson(lesson, old, "lesson_set_remote", actor)
    return lesson


__all__ = [
    "EntryDraft",
    "GenerationReport",
    "lesson_cancel",
    "lesson_move",
    "lesson_restore",
    "lesson_set_remote",
    "lesson_substitute",
    "lessons_generate",
    "lessons_generate_many",
    "lessons_with_content",
    "school_timetable_check",
    "timetable_class_week_save",
    "timetable_copy_week",
    "timetable_entries_save",
    "timetable_entry_create",
    "timetable_entry_delete",
    "timetable_entry_update",
]
