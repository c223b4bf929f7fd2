"""Reads of the diary (students and parents): whose diaries a viewer may open, the week, and
marks by subject.

The week is the platform's most opened page, so it is read with two hand-written queries —
the children (with their classes and groups) and the week's lessons with everything the
diary shows of each (subject, teacher or substitute, room, topic, this student's marks,
attendance and homework with its variant, files and "done" flag, aggregated as JSON) — plus
one for homework due on a date rather than at a lesson. The ORM version of the same page made
eight queries and spent most of its time building model instances (``make bench``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from core.roles import Role
from regions.academics.models import StudyPeriod
from regions.academics.selectors import school_control_forms
from regions.access import Viewer
from regions.journal import grading
from regions.journal.access import can_view_student_diary
from regions.journal.errors import JournalNotFound
from regions.journal.models import ATTENDANCE_SHORT, AttendanceKind, FinalMark, Mark
from regions.journal.policy import pick_period, school_periods, year_periods
from regions.teaching.models import Subject
from regions.timetable.models import Lesson

# --- whose diary -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    school_id: int
    school_name: str
    class_id: int | None
    class_name: str


@dataclass
class Child:
    id: int
    surname: str
    name: str
    places: list[Place]
    group_ids: list[int]

    @property
    def full_name(self) -> str:
        return f"{self.surname} {self.name}"

    @property
    def label(self) -> str:
        where = ", ".join(f"{p.class_name} {p.school_name}".strip() for p in self.places)
        return self.full_name + (f" ({where})" if where else "")

    @property
    def class_ids(self) -> list[int]:
        return [p.class_id for p in self.places if p.class_id is not None]

    @property
    def school_id(self) -> int | None:
        return self.places[0].school_id if self.places else None


_CHILDREN = """
SELECT p.id, p.surname, p.name, m.school_id, s.short_name, m.school_class_id, c.name,
       ARRAY(SELECT g.studygroup_id FROM teaching_studygroup_members g WHERE g.person_id = p.id)
  FROM people_person p
  LEFT JOIN people_membership m ON m.person_id = p.id AND m.role = 'student' AND m.is_active
  LEFT JOIN schools_school s ON s.id = m.school_id
  LEFT JOIN schools_schoolclass c ON c.id = m.school_class_id
 WHERE p.id = ANY(%s)
 ORDER BY p.surname, p.name, p.id, m.id
"""


def diary_children(*, viewer: Viewer) -> list[Child]:
    """Whose diary the viewer may open: themself (a student) and their children (a parent),
    each with their schools, classes and groups — one query."""
    ids = set(viewer.child_ids)
    if viewer.has_role(Role.STUDENT) and viewer.person_id is not None:
        ids.add(viewer.person_id)
    if not ids:
        return []
    children: dict[int, Child] = {}
    with connection.cursor() as cursor:
        cursor.execute(_CHILDREN, [sorted(ids)])
        for pid, surname, name, school_id, school_name, class_id, class_name, groups in cursor.fetchall():
            child = children.setdefault(pid, Child(pid, surname, name, [], list(groups)))
            if school_id is not None:
                child.places.append(Place(school_id, school_name, class_id, class_name or ""))
    return list(children.values())


def pick_child(*, viewer: Viewer, children: list[Child], student_id: int | None) -> Child:
    if student_id is None:
        own = next((c for c in children if c.id == viewer.person_id), None)
        if own is not None:
            return own
        if children:
            return children[0]
        raise JournalNotFound(_("Нет дневников, которые вам доступны"))
    if not can_view_student_diary(viewer, student_id):
        raise JournalNotFound(_("Дневник не найден"))
    child = next((c for c in children if c.id == student_id), None)
    if child is None:
        raise JournalNotFound(_("Дневник не найден"))
    return child


# --- the week -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiaryMark:
    id: int
    value: str
    weight: int
    control_form: str
    comment: str


@dataclass(frozen=True)
class DiaryAttendance:
    kind: str
    reason: str

    @property
    def short(self) -> str:
        return str(ATTENDANCE_SHORT.get(AttendanceKind(self.kind), self.kind))

    @property
    def label(self) -> str:
        return str(AttendanceKind(self.kind).label)


@dataclass(frozen=True)
class DiaryFile:
    id: int
    name: str


@dataclass(frozen=True)
class DiaryHomework:
    id: int
    subject: str
    text: str
    is_variant: bool
    done: bool
    files: list[DiaryFile]


@dataclass
class DiaryLesson:
    id: int
    date: datetime.date
    lesson_number: int
    starts_at: datetime.time
    ends_at: datetime.time
    subject: str
    teacher: str
    is_substitution: bool
    room: str
    status: str
    is_remote: bool
    video_url: str
    moved_from_date: datetime.date | None
    moved_from_number: int | None
    change_note: str
    topic: str
    marks: list[DiaryMark] = field(default_factory=list)
    attendance: DiaryAttendance | None = None
    homework: list[DiaryHomework] = field(default_factory=list)

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"


@dataclass
class DiaryDay:
    date: datetime.date
    lessons: list[DiaryLesson]
    homework_by_date: list[DiaryHomework]


@dataclass
class DiaryWeek:
    child: Child
    children: list[Child]
    monday: datetime.date
    days: list[DiaryDay]

    @property
    def previous(self) -> datetime.date:
        return self.monday - datetime.timedelta(days=7)

    @property
    def next(self) -> datetime.date:
        return self.monday + datetime.timedelta(days=7)

    @property
    def saturday(self) -> datetime.date:
        return self.monday + datetime.timedelta(days=5)


# The homework of one student: their variant's text instead of the common one, the files of the
# homework and of their variant, their "done" flag. Used by both queries below.
_HOMEWORK_JSON = """
json_build_array(h.id, hs.name, coalesce(v.text, h.text), v.id IS NOT NULL, coalesce(d.done, false),
    (SELECT coalesce(json_agg(json_build_array(f.id, f.name) ORDER BY f.id), '[]')
       FROM journal_homeworkfile f
      WHERE f.homework_id = h.id AND (f.variant_id IS NULL OR f.variant_id = v.id)))
"""
_HOMEWORK_JOINS = """
  JOIN timetable_lesson hl ON hl.id = h.lesson_id
  JOIN teaching_subject hs ON hs.id = hl.subject_id
  LEFT JOIN journal_homeworkvariant v ON v.homework_id = h.id AND v.student_id = %(student)s
  LEFT JOIN journal_homeworkdone d ON d.homework_id = h.id AND d.student_id = %(student)s
"""

_WEEK = """
WITH week AS (
    SELECT id FROM timetable_lesson
     WHERE school_class_id = ANY(%(classes)s) AND date BETWEEN %(monday)s AND %(saturday)s
    UNION
    SELECT id FROM timetable_lesson
     WHERE group_id = ANY(%(groups)s) AND date BETWEEN %(monday)s AND %(saturday)s
)
SELECT l.id, l.date, l.lesson_number, l.starts_at, l.ends_at, s.name,
       CASE WHEN sub.id IS NULL THEN trim(concat_ws(' ', t.surname, t.name, t.patronymic))
            ELSE trim(concat_ws(' ', sub.surname, sub.name, sub.patronymic)) END,
       l.substitute_id IS NOT NULL, coalesce(r.name, ''), l.status, l.is_remote, l.video_url,
       l.moved_from_date, l.moved_from_number, l.change_note, coalesce(c.topic, ''),
       (SELECT coalesce(json_agg(json_build_array(m.id, m.value, m.weight, f.name, m.comment)
                                 ORDER BY m.created_at, m.id), '[]')
          FROM journal_mark m JOIN academics_controlform f ON f.id = m.control_form_id
         WHERE m.lesson_id = l.id AND m.student_id = %(student)s AND NOT m.is_deleted),
       (SELECT json_build_array(a.kind, a.reason) FROM journal_attendance a
         WHERE a.lesson_id = l.id AND a.student_id = %(student)s AND NOT a.is_deleted),
       (SELECT coalesce(json_agg(<homework> ORDER BY h.id), '[]')
          FROM journal_homework h <homework-joins>
         WHERE h.due_lesson_id = l.id AND NOT h.is_deleted)
  FROM week
  JOIN timetable_lesson l ON l.id = week.id
  JOIN teaching_subject s ON s.id = l.subject_id
  JOIN people_person t ON t.id = l.teacher_id
  LEFT JOIN people_person sub ON sub.id = l.substitute_id
  LEFT JOIN teaching_room r ON r.id = l.room_id
  LEFT JOIN journal_lessoncontent c ON c.lesson_id = l.id
 ORDER BY l.date, l.lesson_number, l.starts_at, l.id
"""

# Homework due on a date (no later lesson to attach it to), for the student's classes and groups.
_DUE_ON_DATE = """
SELECT h.due_date, <homework>
  FROM journal_homework h <homework-joins>
 WHERE h.due_lesson_id IS NULL AND h.due_date BETWEEN %(monday)s AND %(saturday)s AND NOT h.is_deleted
   AND (hl.school_class_id = ANY(%(classes)s) OR hl.group_id = ANY(%(groups)s))
 ORDER BY h.due_date, h.id
"""


# (the shared fragments are spliced in once, at import: constants only, values stay parameters)
_WEEK, _DUE_ON_DATE = (
    sql.replace("<homework-joins>", _HOMEWORK_JOINS).replace("<homework>", _HOMEWORK_JSON)
    for sql in (_WEEK, _DUE_ON_DATE)
)


def _homework(row: list[Any]) -> DiaryHomework:
    hid, subject, text, is_variant, done, files = row
    return DiaryHomework(hid, subject, text, is_variant, done, [DiaryFile(fid, name) for fid, name in files])


def diary_week(
    *,
    viewer: Viewer,
    day: datetime.date,
    student_id: int | None = None,
    child: Child | None = None,
    children: list[Child] | None = None,
) -> DiaryWeek:
    """The week (Monday–Saturday) around ``day`` of a student's diary: ``child`` (already picked
    from ``children``, see :func:`pick_child`) or the one ``student_id`` names."""
    if children is None:
        children = diary_children(viewer=viewer)
    if child is None:
        child = pick_child(viewer=viewer, children=children, student_id=student_id)
    monday = day - datetime.timedelta(days=day.weekday())
    saturday = monday + datetime.timedelta(days=5)
    params: dict[str, Any] = {
        "student": child.id,
        "classes": child.class_ids,
        "groups": child.group_ids,
        "monday": monday,
        "saturday": saturday,
    }
    by_date: dict[datetime.date, list[DiaryLesson]] = defaultdict(list)
    due_on: dict[datetime.date, list[DiaryHomework]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(_WEEK, params)
        for row in cursor.fetchall():
            lesson = DiaryLesson(*row[:16])
            marks, attendance, homework = row[16:]
            lesson.marks = [DiaryMark(*m) for m in marks]
            lesson.attendance = DiaryAttendance(*attendance) if attendance else None
            lesson.homework = [_homework(h) for h in homework]
            by_date[lesson.date].append(lesson)
        cursor.execute(_DUE_ON_DATE, params)
        for due_date, homework_row in cursor.fetchall():
            due_on[due_date].append(_homework(homework_row))
    days = [
        DiaryDay(date=d, lessons=by_date.get(d, []), homework_by_date=due_on.get(d, []))
        for d in (monday + datetime.timedelta(days=i) for i in range(6))
    ]
    return DiaryWeek(child=child, children=children, monday=monday, days=days)


# --- marks by subject -------------------------------------------------------------------------------------


@dataclass
class SubjectMarks:
    subject: Subject
    marks: list[Mark]
    average: Decimal | None
    proposed: str
    hints: list[grading.Hint]
    finals: list[FinalMark | None]
    year_final: FinalMark | None

    @property
    def hint_lines(self) -> list[str]:
        """«До 5: 2 пятёрки с весом 1 или 1 пятёрка с весом 3»."""
        return grading.hint_lines(self.hints)


@dataclass
class DiaryMarks:
    child: Child
    children: list[Child]
    period: StudyPeriod | None
    periods: list[StudyPeriod]
    subjects: list[SubjectMarks]
    weights: list[int]


def diary_marks(
    *,
    viewer: Viewer,
    student_id: int | None,
    today: datetime.date,
    period_id: int | None = None,
    children: list[Child] | None = None,
) -> DiaryMarks:
    """Marks by subject for a period with the weighted average and the hints, and the finals of
    every period and the year."""
    if children is None:
        children = diary_children(viewer=viewer)
    child = pick_child(viewer=viewer, children=children, student_id=student_id)
    school_id = child.school_id
    all_periods = school_periods(school_id) if school_id is not None else []
    period = pick_period(all_periods, today, period_id)
    if period_id is not None and period is None:
        raise JournalNotFound(_("Период не найден"), field="period")
    if period is None:
        return DiaryMarks(child, children, None, [], [], [])
    periods = year_periods(all_periods, period.academic_year_id)
    lessons = Lesson.objects.filter(period_id=period.pk)
    subject_ids = set(
        (lessons.filter(school_class_id__in=child.class_ids) | lessons.filter(group_id__in=child.group_ids))
        .values_list("subject_id", flat=True)
        .distinct()
    )
    marks = list(
        Mark.objects.filter(student_id=child.id, lesson__period_id=period.pk, is_deleted=False)
        .select_related("lesson__subject", "control_form")
        .order_by("lesson__date", "lesson__lesson_number", "created_at", "id")
    )
    finals = list(
        FinalMark.objects.filter(
            student_id=child.id, academic_year_id=period.academic_year_id, is_deleted=False
        ).select_related("subject")
    )
    weights = (
        sorted({f.weight for f in school_control_forms(school_id=school_id)}) if school_id is not None else []
    )
    subjects: dict[int, Subject] = {}
    by_subject: dict[int, list[Mark]] = defaultdict(list)
    for mark in marks:
        subjects[mark.lesson.subject_id] = mark.lesson.subject
        by_subject[mark.lesson.subject_id].append(mark)
    for f in finals:
        subjects.setdefault(f.subject_id, f.subject)
    missing = subject_ids - set(subjects)
    if missing:
        for subject in Subject.objects.filter(pk__in=missing):
            subjects[subject.pk] = subject
    final_map = {(f.subject_id, f.period_id): f for f in finals}
    rows = []
    for subject in sorted(subjects.values(), key=lambda s: s.name):
        own = by_subject.get(subject.pk, [])
        current = grading.totals((m.value_five, m.weight) for m in own)
        average = current.average
        rows.append(
            SubjectMarks(
                subject=subject,
                marks=own,
                average=grading.as_decimal(average),
                proposed=str(grading.round_mark(average)) if average is not None else "",
                hints=grading.hints(current, weights),
                finals=[final_map.get((subject.pk, p.pk)) for p in periods],
                year_final=final_map.get((subject.pk, None)),
            )
        )
    return DiaryMarks(child, children, period, periods, rows, weights)
