"""«Заполнить по нагрузке»: put each class's teacher load into the weekly grid automatically.

How good it is, honestly: a greedy placement in one pass, without backtracking. It

* places exactly the hours of every load (1 h = a lesson every week, 0.5 h = a lesson on odd
  weeks), never more;
* never creates a clash: teachers (also their lessons in other schools), rooms and classes are
  tracked by time, and the result goes through the same validation as a hand-made entry;
* spreads a subject across the week (at most one lesson of a subject a day unless it has more
  hours than there are days), balances the number of lessons per day, fills each day from the
  first lesson so classes have few gaps, and keeps the daily maximum of the parallel;
* puts subgroups of one class and subject (English groups) at the same time;
* picks a room: the teacher's own room, then a room for that subject (Спортзал), then the
  class's room, then any free room without a speciality.

It does not optimise teachers' gaps or days off, the difficulty order of subjects in a day
(СанПиН's scale), or paired lessons; with a tight school (few rooms, teachers at full load in
two schools) some lessons may stay unplaced — they are listed with the reason, and the
administrator places them by hand in the grid. On the demo schools and the tests it places
every lesson.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from regions.academics.models import AcademicYear, Bell
from regions.people.models import Membership, MembershipRole
from regions.schools.models import School, SchoolClass
from regions.teaching.models import GroupKind, TeachingAssignment
from regions.timetable.models import TimetableEntry, WeekParity
from regions.timetable.services import (
    PARITY_WEIGHT,
    EntryDraft,
    SchoolContext,
    effective_year_for,
    school_context,
    timetable_entries_save,
)

# Lessons a day at most (СанПиН 1.2.3685-21: 1st grade 4, once a week 5; 2–4: 5; 5–6: 6; 7–11: 7).
MAX_PER_DAY = {1: 5, 2: 5, 3: 5, 4: 5, 5: 6, 6: 6, 7: 7, 8: 7, 9: 7, 10: 7, 11: 7}

Interval = tuple[datetime.time, datetime.time, str]  # start, end, parity


def _meets(a: Interval, b: Interval) -> bool:
    if {a[2], b[2]} == {WeekParity.ODD, WeekParity.EVEN}:
        return False
    return a[0] < b[1] and b[0] < a[1]


@dataclass(eq=False)
class _Unit:
    """What is placed at one time: one load, or the subgroups of one class and subject."""

    assignments: list[TeachingAssignment]
    classes: list[int]  # the class footprint
    parallel: int
    base_class: int | None  # for spreading and daily counts
    subject_id: int
    every: int  # lessons every week
    odd: int  # lessons on odd weeks (0 or 1)

    @property
    def teacher_ids(self) -> list[int]:
        return [a.teacher_id for a in self.assignments]

    @property
    def class_group(self) -> int | None:
        """The part of the class it takes: None for the whole class (also subgroups side by side)."""
        first = self.assignments[0]
        return None if (len(self.assignments) > 1 or first.school_class_id) else first.group_id


@dataclass(eq=False)
class _Placement:
    unit: _Unit | None  # None: a lesson that was already in the grid (never moved)
    day: int
    number: int
    slot: Interval
    teacher_ids: list[int]
    room_ids: list[int | None]
    classes: list[int]
    group_id: int | None
    base_class: int | None
    subject_id: int


@dataclass
class AutofillResult:
    entries: list[TimetableEntry] = field(default_factory=list)
    placed: int = 0
    unplaced: list[str] = field(default_factory=list)
    without_room: int = 0


class _Busy:
    """Who and what is taken when, with the placements that take them (so one can be moved)."""

    def __init__(self) -> None:
        self.teacher: dict[tuple[int, int], list[_Placement]] = defaultdict(list)
        self.room: dict[tuple[int, int], list[_Placement]] = defaultdict(list)
        self.klass: dict[tuple[int, int], list[_Placement]] = defaultdict(list)
        self.numbers: dict[tuple[int, int], Counter[int]] = defaultdict(Counter)
        self.per_subject: dict[tuple[int, int, int], int] = defaultdict(int)
        self.external: dict[tuple[int, int], list[Interval]] = defaultdict(list)  # other schools

    def add(self, p: _Placement) -> None:
        for t in p.teacher_ids:
            self.teacher[(t, p.day)].append(p)
        for r in p.room_ids:
            if r:
                self.room[(r, p.day)].append(p)
        for c in p.classes:
            self.klass[(c, p.day)].append(p)
        if p.base_class is not None:
            self.numbers[(p.base_class, p.day)][p.number] += 1
            self.per_subject[(p.base_class, p.subject_id, p.day)] += 1

    def remove(self, p: _Placement) -> None:
        for t in p.teacher_ids:
            self.teacher[(t, p.day)].remove(p)
        for r in p.room_ids:
            if r:
                self.room[(r, p.day)].remove(p)
        for c in p.classes:
            self.klass[(c, p.day)].remove(p)
        if p.base_class is not None:
            counter = self.numbers[(p.base_class, p.day)]
            counter[p.number] -= 1
            if counter[p.number] <= 0:
                del counter[p.number]
            self.per_subject[(p.base_class, p.subject_id, p.day)] -= 1

    def lessons_on(self, class_id: int, day: int) -> int:
        return len(self.numbers[(class_id, day)])

    def teacher_free(self, teacher_id: int, day: int, slot: Interval) -> bool:
        return not any(_meets(slot, p.slot) for p in self.teacher[(teacher_id, day)]) and not any(
            _meets(slot, other) for other in self.external[(teacher_id, day)]
        )

    def room_free(self, room_id: int, day: int, slot: Interval) -> bool:
        return not any(_meets(slot, p.slot) for p in self.room[(room_id, day)])

    def class_blockers(
        self, class_id: int, day: int, slot: Interval, group_id: int | None
    ) -> list[_Placement]:
        return [
            p
            for p in self.klass[(class_id, day)]
            if _meets(slot, p.slot) and (group_id is None or p.group_id is None or p.group_id == group_id)
        ]

    def class_free(self, class_id: int, day: int, slot: Interval, group_id: int | None) -> bool:
        return not self.class_blockers(class_id, day, slot, group_id)


def _bell_times(
    ctx: SchoolContext, class_id: int | None, group_id: int | None
) -> dict[int, tuple[datetime.time, datetime.time]]:
    schedule = ctx.schedule_for(class_id, group_id)
    if schedule is None:
        return {}
    return {n: (b.starts_at, b.ends_at) for n, b in ctx.bells.get(schedule.pk, {}).items()}


def timetable_autofill(
    *,
    school: School,
    academic_year: AcademicYear,
    classes: Sequence[SchoolClass] | None = None,
    days: int = 5,
    replace: bool = False,
    actor: Any = None,
) -> AutofillResult:
    """Place the load of ``classes`` (default: every active class, and the cross-class groups)
    into the free cells of the grid; with ``replace``, their weeks are cleared first. Saved in
    one batch through :func:`timetable_entries_save`."""
    year = effective_year_for(school, academic_year)
    ctx = school_context(school=school, year=year)
    targets = (
        {c.pk for c in classes}
        if classes is not None
        else {c.pk for c in ctx.classes.values() if c.is_active}
    )
    whole_school = classes is None
    day_range = range(1, min(max(days, 1), 6) + 1)

    stored = list(TimetableEntry.objects.filter(academic_year=year, school=school).select_related("group"))
    remove_ids: set[int] = set()
    if replace:
        for e in stored:
            base = e.school_class_id or (
                e.group.school_class_id if e.group and e.group.school_class_id else None
            )
            if base in targets or (base is None and whole_school):
                remove_ids.add(e.pk)
    kept = [e for e in stored if e.pk not in remove_ids]

    # cross-class groups: the classes of their members
    cross_ids = [g.pk for g in ctx.groups.values() if g.kind == GroupKind.CROSS_CLASS]
    footprint: dict[int, set[int]] = defaultdict(set)
    if cross_ids:
        for group_id, class_id in Membership.objects.filter(
            person__study_groups__in=cross_ids,
            school=school,
            role=MembershipRole.STUDENT,
            is_active=True,
            school_class__isnull=False,
        ).values_list("person__study_groups", "school_class_id"):
            if group_id in cross_ids:
                footprint[group_id].add(class_id)

    busy = _Busy()

    placed_weight: dict[tuple, Decimal] = defaultdict(Decimal)
    for e in kept:
        bell = ctx.bells.get(e.bell_schedule_id, {}).get(e.lesson_number)
        if bell is None:
            continue
        group = ctx.groups.get(e.group_id or 0)
        if e.school_class_id:
            member_classes, base = [e.school_class_id], e.school_class_id
        elif group and group.kind == GroupKind.SUBGROUP:
            member_classes, base = [group.school_class_id], group.school_class_id  # type: ignore[list-item]
        else:
            member_classes, base = sorted(footprint.get(e.group_id or 0, ())), None
        busy.add(
            _Placement(
                unit=None,
                day=e.weekday,
                number=e.lesson_number,
                slot=(bell.starts_at, bell.ends_at, e.parity),
                teacher_ids=[e.teacher_id],
                room_ids=[e.room_id],
                classes=member_classes,
                group_id=e.group_id,
                base_class=base,
                subject_id=e.subject_id,
            )
        )
        placed_weight[(e.teacher_id, e.subject_id, e.school_class_id, e.group_id)] += PARITY_WEIGHT[
            WeekParity(e.parity)
        ]

    # the teachers' lessons in other schools during this year
    teacher_ids = {a.teacher_id for a in ctx.assignments.values()}
    elsewhere = list(
        TimetableEntry.objects.filter(teacher_id__in=teacher_ids)
        .exclude(school=school)
        .filter(valid_from__lte=year.ends_on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=year.starts_on))
    )
    other_bells = {
        (b.schedule_id, b.lesson_number): (b.starts_at, b.ends_at)
        for b in Bell.objects.filter(schedule_id__in={e.bell_schedule_id for e in elsewhere})
    }
    for e in elsewhere:
        times = other_bells.get((e.bell_schedule_id, e.lesson_number))
        if times:
            busy.external[(e.teacher_id, e.weekday)].append((times[0], times[1], e.parity))

    # what is left to place
    units: list[_Unit] = []
    subgroup_bundles: dict[tuple[int, int], list[TeachingAssignment]] = defaultdict(list)
    left: dict[int, Decimal] = {}
    for key, a in ctx.assignments.items():
        rest = a.hours_per_week - placed_weight.get(key, Decimal(0))
        if rest <= 0:
            continue
        left[a.pk] = rest
        group = ctx.groups.get(a.group_id or 0)
        if a.school_class_id:
            if a.school_class_id in targets:
                school_class = ctx.classes[a.school_class_id]
                units.append(_unit([a], [school_class.pk], school_class.parallel, school_class.pk, rest))
        elif group and group.kind == GroupKind.SUBGROUP and group.school_class_id in targets:
            subgroup_bundles[(group.school_class_id, a.subject_id)].append(a)
        elif group and group.kind == GroupKind.CROSS_CLASS and whole_school and group.is_active:
            member_classes = sorted(footprint.get(group.pk, ()))
            parallels = [ctx.classes[c].parallel for c in member_classes if c in ctx.classes]
            units.append(_unit([a], member_classes, max(parallels, default=11), None, rest))
    for (class_id, _subject_id), items in subgroup_bundles.items():
        school_class = ctx.classes[class_id]
        common = min(left[a.pk] for a in items)
        units.append(_unit(items, [class_id], school_class.parallel, class_id, common))
        for a in items:
            if left[a.pk] > common:
                units.append(_unit([a], [class_id], school_class.parallel, class_id, left[a.pk] - common))

    teacher_load: dict[int, Decimal] = defaultdict(Decimal)
    for a in ctx.assignments.values():
        teacher_load[a.teacher_id] += a.hours_per_week

    # Subjects with many hours need nearly every day: they go first, whole; then the units of
    # the busiest teachers; within equals, the widest footprint.
    def difficulty(u: _Unit) -> tuple:
        return (
            -(u.every + u.odd),
            -max(teacher_load[t] for t in u.teacher_ids),
            -len(u.classes),
            u.subject_id,
        )

    instances: list[tuple[_Unit, str]] = []
    for u in sorted(units, key=difficulty):
        instances.extend((u, WeekParity.EVERY) for _i in range(u.every))
        if u.odd:
            instances.append((u, WeekParity.ODD))

    placements: list[_Placement] = []
    missed: dict[int, tuple[_Unit, int]] = {}
    for unit, parity in instances:
        placement = (
            _find_spot(ctx, busy, unit, parity, day_range)
            or _find_spot(ctx, busy, unit, parity, day_range, relaxed=True)
            or _repair(ctx, busy, unit, parity, day_range)
        )
        if placement is None:
            missed[id(unit)] = (unit, missed.get(id(unit), (unit, 0))[1] + 1)
            continue
        busy.add(placement)
        placements.append(placement)

    result = AutofillResult()
    drafts: list[EntryDraft] = []
    for p in placements:
        if p.unit is None:
            continue
        for a, room_id in zip(p.unit.assignments, p.room_ids, strict=True):
            drafts.append(
                EntryDraft(
                    weekday=p.day,
                    lesson_number=p.number,
                    subject_id=a.subject_id,
                    teacher_id=a.teacher_id,
                    school_class_id=a.school_class_id,
                    group_id=a.group_id,
                    room_id=room_id,
                    parity=p.slot[2],
                )
            )
            result.without_room += room_id is None
    result.unplaced = [
        _("%(ctx)s: не нашлось времени, когда свободны и класс, и учитель (не поставлено уроков: %(count)s)")
        % {"ctx": _label(ctx, unit), "count": count}
        for unit, count in missed.values()
    ]
    if drafts or remove_ids:
        result.entries = timetable_entries_save(
            school=school,
            academic_year=year,
            drafts=drafts,
            remove_ids=remove_ids,
            actor=actor,
            action="timetable_autofill",
        )
    result.placed = len(drafts)
    return result


def _unit(
    assignments: list[TeachingAssignment], classes: list[int], parallel: int, base: int | None, hours: Decimal
) -> _Unit:
    every = int(hours)
    odd = 1 if hours - every >= Decimal("0.5") else 0
    return _Unit(
        assignments=assignments,
        classes=classes,
        parallel=parallel,
        base_class=base,
        subject_id=assignments[0].subject_id,
        every=every,
        odd=odd,
    )


def _label(ctx: SchoolContext, unit: _Unit) -> str:
    a = unit.assignments[0]
    subject = ctx.subjects[a.subject_id].name
    teachers = ", ".join(ctx.teacher_name(x.teacher_id) for x in unit.assignments)
    return f"{ctx.target(a.school_class_id, a.group_id)}, {subject} ({teachers})"


def _room_choices(ctx: SchoolContext, a: TeachingAssignment, class_id: int | None) -> list[int]:
    special = ctx.room_subjects
    subject_rooms = [
        r.pk for r in ctx.rooms.values() if r.is_active and a.subject_id in special.get(r.pk, ())
    ]
    home = [r.pk for r in ctx.rooms.values() if r.is_active and class_id and r.home_class_id == class_id]
    general = [
        r.pk
        for r in sorted(ctx.rooms.values(), key=lambda r: r.name)
        if r.is_active and not special.get(r.pk) and r.home_class_id is None
    ]
    ordered = ([a.room_id] if a.room_id else []) + subject_rooms + home + general
    return list(dict.fromkeys(ordered))


def _cells(ctx: SchoolContext, unit: _Unit) -> list[tuple[int, datetime.time, datetime.time]]:
    first = unit.assignments[0]
    times = _bell_times(ctx, first.school_class_id, first.group_id)
    limit = MAX_PER_DAY.get(unit.parallel, 7)
    return [(n, *times[n]) for n in sorted(times) if n >= 1][:limit]


def _rooms_for(ctx: SchoolContext, busy: _Busy, unit: _Unit, day: int, slot: Interval) -> list[int | None]:
    rooms: list[int | None] = []
    taken: set[int] = set()
    for a in unit.assignments:
        choice = next(
            (
                r
                for r in _room_choices(ctx, a, unit.base_class)
                if r not in taken and busy.room_free(r, day, slot)
            ),
            None,
        )
        rooms.append(choice)
        if choice:
            taken.add(choice)
    return rooms


def _placement(unit: _Unit, day: int, number: int, slot: Interval, rooms: list[int | None]) -> _Placement:
    return _Placement(
        unit=unit,
        day=day,
        number=number,
        slot=slot,
        teacher_ids=unit.teacher_ids,
        room_ids=rooms,
        classes=unit.classes,
        group_id=unit.class_group,
        base_class=unit.base_class,
        subject_id=unit.subject_id,
    )


def _day_allowed(busy: _Busy, unit: _Unit, day: int, number: int, day_range: range, relaxed: bool) -> bool:
    base = unit.base_class
    if base is None:
        return True
    cap = (1 if unit.every + unit.odd <= len(day_range) else 2) + (1 if relaxed else 0)
    if busy.per_subject[(base, unit.subject_id, day)] >= cap:
        return False
    taken_numbers = busy.numbers[(base, day)]
    return number in taken_numbers or len(taken_numbers) < MAX_PER_DAY.get(unit.parallel, 7)


def _find_spot(
    ctx: SchoolContext, busy: _Busy, unit: _Unit, parity: str, day_range: range, relaxed: bool = False
) -> _Placement | None:
    """The first free cell: the day with the fewest lessons of this subject, then the lightest
    day of the class, the earliest lesson. ``relaxed``: a subject may come once more a day."""
    base = unit.base_class

    def day_key(day: int) -> tuple[int, int, int]:
        if base is None:
            return (0, 0, day)
        return (busy.per_subject[(base, unit.subject_id, day)], busy.lessons_on(base, day), day)

    cells = _cells(ctx, unit)
    for day in sorted(day_range, key=day_key):
        for number, start, end in cells:
            slot: Interval = (start, end, parity)
            if not _day_allowed(busy, unit, day, number, day_range, relaxed):
                continue
            if not _fits(busy, unit, day, slot):
                continue
            return _placement(unit, day, number, slot, _rooms_for(ctx, busy, unit, day, slot))
    return None


def _fits(busy: _Busy, unit: _Unit, day: int, slot: Interval) -> bool:
    if not all(busy.class_free(c, day, slot, unit.class_group) for c in unit.classes):
        return False
    if len(unit.assignments) > 1 and not all(
        busy.class_free(c, day, slot, a.group_id) for a in unit.assignments for c in unit.classes
    ):
        return False
    return all(busy.teacher_free(t, day, slot) for t in unit.teacher_ids)


def _repair(ctx: SchoolContext, busy: _Busy, unit: _Unit, parity: str, day_range: range) -> _Placement | None:
    """One step of backtracking: find a cell where the teachers are free but the class is
    taken by one lesson this run placed; move that lesson elsewhere and take its cell."""
    for day in day_range:
        for number, start, end in _cells(ctx, unit):
            slot: Interval = (start, end, parity)
            if not all(busy.teacher_free(t, day, slot) for t in unit.teacher_ids):
                continue
            blockers = {
                id(p): p for c in unit.classes for p in busy.class_blockers(c, day, slot, unit.class_group)
            }
            if len(blockers) != 1:
                continue
            (blocker,) = blockers.values()
            if blocker.unit is None or blocker.unit is unit:
                continue
            busy.remove(blocker)
            if _fits(busy, unit, day, slot) and _day_allowed(busy, unit, day, number, day_range, True):
                mine = _placement(unit, day, number, slot, _rooms_for(ctx, busy, unit, day, slot))
                busy.add(mine)
                moved = _find_spot(ctx, busy, blocker.unit, blocker.slot[2], day_range) or _find_spot(
                    ctx, busy, blocker.unit, blocker.slot[2], day_range, relaxed=True
                )
                busy.remove(mine)
                if moved is not None and (moved.day, moved.number) != (day, number):
                    # the caller adds ``mine``; the blocker takes its new cell now
                    blocker.day, blocker.number, blocker.slot, blocker.room_ids = (
                        moved.day,
                        moved.number,
                        moved.slot,
                        moved.room_ids,
                    )
                    busy.add(blocker)
                    return mine
            busy.add(blocker)
    return None
