"""Reads of the timetable: template entries (per class, teacher, room), the week as a grid,
dated lessons. Ready querysets; the grid is built in Python from one query."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from regions.academics.models import AcademicYear
from regions.teaching.models import GroupKind
from regions.timetable.models import Lesson, TimetableEntry


def timetable_entries(
    *,
    school_id: int,
    year: AcademicYear,
    school_class: int | None = None,
    teacher: int | None = None,
    room: int | None = None,
) -> QuerySet[TimetableEntry]:
    """Entries of a school's template for one year; a class's week includes its subgroups; a
    teacher's week includes their lessons in other schools."""
    qs = TimetableEntry.objects.filter(academic_year__name=year.name)
    qs = qs.filter(teacher_id=teacher) if teacher is not None else qs.filter(school_id=school_id)
    if school_class is not None:
        qs = qs.filter(
            Q(school_class_id=school_class)
            | Q(group__school_class_id=school_class, group__kind=GroupKind.SUBGROUP)
        )
    if room is not None:
        qs = qs.filter(room_id=room)
    return qs.select_related(
        "school", "school_class", "group", "subject", "teacher", "room", "bell_schedule"
    ).order_by("weekday", "lesson_number", "group__name", "id")


@dataclass
class WeekGrid:
    """``cells[(weekday, number)]`` → entries; ``times[number]`` → (start, end) of the bells."""

    days: list[int]
    numbers: list[int]
    cells: dict[tuple[int, int], list[TimetableEntry]] = field(default_factory=lambda: defaultdict(list))
    times: dict[int, tuple[datetime.time, datetime.time]] = field(default_factory=dict)

    def rows(
        self,
    ) -> list[tuple[int, tuple[datetime.time, datetime.time] | None, list[list[TimetableEntry]]]]:
        return [(n, self.times.get(n), [self.cells.get((d, n), []) for d in self.days]) for n in self.numbers]


def week_grid(entries: list[TimetableEntry], *, numbers: list[int], times: dict, days: int = 5) -> WeekGrid:
    grid = WeekGrid(days=list(range(1, days + 1)), numbers=list(numbers), times=dict(times))
    extra_days = {e.weekday for e in entries if e.weekday > days}
    grid.days += sorted(extra_days)
    extra = sorted({e.lesson_number for e in entries} - set(numbers))
    grid.numbers = sorted(set(numbers) | set(extra))
    for e in entries:
        grid.cells[(e.weekday, e.lesson_number)].append(e)
    return grid


def lesson_list(
    *,
    school_id: int,
    date_from: datetime.date,
    date_to: datetime.date,
    school_class_id: int | None = None,
    teacher_id: int | None = None,
) -> QuerySet[Lesson]:
    qs = Lesson.objects.filter(school_id=school_id, date__gte=date_from, date__lte=date_to)
    if school_class_id is not None:
        qs = qs.filter(Q(school_class_id=school_class_id) | Q(group__school_class_id=school_class_id))
    if teacher_id is not None:
        qs = qs.filter(Q(teacher_id=teacher_id) | Q(substitute_id=teacher_id))
    return qs.select_related("school_class", "group", "subject", "teacher", "substitute", "room").order_by(
        "date", "lesson_number", "school_class__parallel", "school_class__letter", "group__name", "id"
    )
