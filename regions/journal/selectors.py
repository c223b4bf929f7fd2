"""Reads of the journal and the diary: each page's data in a fixed number of queries, whatever
the number of lessons, students or marks (the tests assert the counts at two sizes)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from core.models import AuditEvent
from core.roles import Role
from regions.academics.models import AcademicYear, ControlForm, GradingScale, StudyPeriod
from regions.academics.selectors import school_control_forms, school_grading_scale
from regions.access import Viewer
from regions.journal import grading
from regions.journal.access import (
    can_view_journal,
    is_assigned_teacher,
    is_school_admin,
)
from regions.journal.errors import JournalNotFound
from regions.journal.models import (
    ATTENDANCE_SHORT,
    AttendanceKind,
    FinalMark,
    Homework,
    HomeworkFile,
    HomeworkVariant,
    Mark,
    Notification,
)
from regions.journal.policy import (
    pick_period,
    school_periods,
    year_periods,
)
from regions.people.models import Membership, MembershipRole, Person
from regions.schools.models import School, SchoolClass
from regions.teaching.models import StudyGroup, Subject, TeachingAssignment
from regions.timetable.models import Lesson, LessonStatus

JOURNAL_ENTITIES = ("journal.mark", "journal.attendance", "journal.final_mark")


# --- the teacher's list of journals -------------------------------------------------------------


@dataclass(frozen=True)
class JournalLink:
    kind: str  # "class" | "group"
    target_id: int
    target_name: str
    subject_id: int
    subject_name: str
    school_name: str
    teacher_name: str = ""
    note: str = ""


def journal_links(*, viewer: Viewer, school_id: int | None = None) -> list[JournalLink]:
    """The journals a viewer may open: their teacher load and substitutions, the classes they
    lead, and — for school admins — every journal of their school (a regional admin picks a
    school first)."""
    q = Q(pk__in=[])
    if viewer.has_role(Role.TEACHER) and viewer.person_id is not None:
        q |= Q(teacher_id=viewer.person_id)
        if viewer.homeroom_class_ids:
            q |= Q(school_class_id__in=viewer.homeroom_class_ids)
    if viewer.admin_school_ids:
        q |= Q(school_id__in=viewer.admin_school_ids)
    if viewer.is_regional_admin and school_id is not None:
        q |= Q(school_id=school_id)
    rows = (
        TeachingAssignment.objects.filter(q, is_active=True)
        .select_related("school_class", "group", "subject", "school", "teacher")
        .order_by(
            "school__short_name",
            "school_class__parallel",
            "school_class__letter",
            "group__name",
            "subject__name",
        )
    )
    links: dict[tuple[str, int, int], JournalLink] = {}
    for a in rows:
        kind, target = ("class", a.school_class) if a.school_class_id else ("group", a.group)
        key = (kind, target.pk, a.subject_id)  # type: ignore[union-attr]
        links.setdefault(
            key,
            JournalLink(
                kind, target.pk, target.name, a.subject_id, a.subject.name, a.school.short_name,  # type: ignore[union-attr]
                teacher_name=a.teacher.full_name,
            ),
        )  # fmt: skip
    if viewer.has_role(Role.TEACHER) and viewer.person_id is not None:
        subs = (
            Lesson.objects.filter(substitute_id=viewer.person_id)
            .select_related("school_class", "group", "subject", "school")
            .order_by("-date")[:50]
        )
        for lesson in subs:
            kind, target = (
                ("class", lesson.school_class) if lesson.school_class_id else ("group", lesson.group)
            )
            key = (kind, target.pk, lesson.subject_id)  # type: ignore[union-attr]
            links.setdefault(
                key,
                JournalLink(
                    kind, target.pk, target.name, lesson.subject_id, lesson.subject.name,  # type: ignore[union-attr]
                    lesson.school.short_name, note=_("замена"),
                ),
            )  # fmt: skip
    return list(links.values())


# --- the journal page ---------------------------------------------------------------------------


@dataclass
class LessonColumn:
    id: int
    date: datetime.date
    lesson_number: int
    status: str
    teacher_id: int
    substitute_id: int | None
    substitute_name: str
    topic: str
    has_homework: bool
    writable: bool = False  # marks and attendance may be put (the viewer's, held, not in the future)
    editable: bool = False  # topic and homework may be edited

    @property
    def is_cancelled(self) -> bool:
        return self.status == LessonStatus.CANCELLED


@dataclass(frozen=True)
class RowStudent:
    id: int
    surname: str
    name: str


GridMark = tuple[int, str, int, str, str, int, int | None]


def hundredths(value_five: Decimal | str | None) -> int | None:
    """A value on the 5-point scale (two decimals) as a whole number of hundredths."""
    return None if value_five is None else int(Decimal(value_five) * 100)


@dataclass
class JournalRow:
    student: RowStudent
    date_from: datetime.date | None
    date_to: datetime.date | None
    # per lesson: marks (id, value, weight, form short name, comment, form id, value on the
    # 5-point scale in hundredths or None), attendance (id, kind, short, reason) or None, and
    # whether the viewer may write the cell
    cells: list[tuple[list[GridMark], tuple[int, str, str, str] | None, bool]]
    # Σ(value on 5 × weight) in hundredths and Σ weight of every mark in the average (also those
    # not in this grid's columns): the page's script moves them as marks are put, changed, deleted
    sum_hundredths: int
    weight_sum: int
    average: Decimal | None
    proposed: str
    final: FinalMark | None
    hints: list[grading.Hint]


@dataclass
class JournalPage:
    kind: str
    school: School
    school_class: SchoolClass | None
    group: StudyGroup | None
    subject: Subject
    period: StudyPeriod
    periods: list[StudyPeriod]
    columns: list[LessonColumn]
    rows: list[JournalRow]
    control_forms: list[ControlForm]
    scale: GradingScale | None
    can_write: bool  # at least some lessons are the viewer's to write
    finals_writable: bool
    finals_closed: bool
    admin_mode: bool
    edit_mode: bool
    today: datetime.date

    @property
    def target(self) -> SchoolClass | StudyGroup:
        return self.school_class or self.group  # type: ignore[return-value]

    @property
    def title(self) -> str:
        return f"{self.target.name} · {self.subject.name}"


def _target(kind: str, target_id: int) -> tuple[School, SchoolClass | None, StudyGroup | None]:
    if kind == "class":
        school_class = SchoolClass.objects.select_related("school").filter(pk=target_id).first()
        if school_class is None:
            raise JournalNotFound(_("Класс не найден"), field="school_class")
        return school_class.school, school_class, None
    if kind == "group":
        group = StudyGroup.objects.select_related("school").filter(pk=target_id).first()
        if group is None:
            raise JournalNotFound(_("Группа не найдена"), field="group")
        return group.school, None, group
    raise JournalNotFound(_("Журнал не найден"))


def _students(
    school_class: SchoolClass | None, group: StudyGroup | None, starts: datetime.date, ends: datetime.date
) -> list[tuple[Person, datetime.date | None, datetime.date | None]]:
    """Students of the class during [starts, ends] with their membership dates (a student who
    left or came mid-period is a row; the cells outside their dates are closed). A group: its
    members, with the dates of their student membership in the group's school."""
    if school_class is not None:
        memberships = (
            Membership.objects.filter(school_class_id=school_class.pk, role=MembershipRole.STUDENT)
            .filter(Q(date_from__isnull=True) | Q(date_from__lte=ends))
            .filter(Q(date_to__isnull=True) | Q(date_to__gte=starts))
            .filter(Q(is_active=True) | Q(date_to__isnull=False))
            .select_related("person")
            .only(
                "date_from", "date_to", "person__id", "person__surname", "person__name", "person__patronymic"
            )
            .order_by("person__surname", "person__name", "person__id")
        )
        return [(m.person, m.date_from, m.date_to) for m in memberships]
    if group is None:
        return []
    memberships = (
        Membership.objects.filter(
            person__study_groups=group, school_id=group.school_id, role=MembershipRole.STUDENT
        )
        .filter(Q(date_from__isnull=True) | Q(date_from__lte=ends))
        .filter(Q(date_to__isnull=True) | Q(date_to__gte=starts))
        .filter(Q(is_active=True) | Q(date_to__isnull=False))
        .select_related("person")
        .only("date_from", "date_to", "person__id", "person__surname", "person__name", "person__patronymic")
        .order_by("person__surname", "person__name", "person__id")
    )
    return [(m.person, m.date_from, m.date_to) for m in memberships]


# The journal grid reads its lessons and its students with two hand-written queries: the ORM
# version (six queries, a model instance per lesson, mark and attendance entry) spent most of the
# page's time building objects (``make bench``).
_GRID_LESSONS = """
SELECT l.id, l.date, l.lesson_number, l.status, l.teacher_id, l.substitute_id,
       coalesce(trim(concat_ws(' ', sub.surname, sub.name, sub.patronymic)), ''), coalesce(c.topic, ''),
       EXISTS (SELECT 1 FROM journal_homework h WHERE h.lesson_id = l.id AND NOT h.is_deleted),
       (SELECT coalesce(json_agg(json_build_array(a.student_id, a.id, a.kind, a.reason)), '[]')
          FROM journal_attendance a WHERE a.lesson_id = l.id AND NOT a.is_deleted)
  FROM timetable_lesson l
  LEFT JOIN people_person sub ON sub.id = l.substitute_id
  LEFT JOIN journal_lessoncontent c ON c.lesson_id = l.id
 WHERE l.<target> = %(<target>)s AND l.period_id = %(period)s AND l.subject_id = %(subject)s
 ORDER BY l.date, l.lesson_number, l.id
"""
_GRID_LESSONS_CLASS = _GRID_LESSONS.replace("<target>", "school_class_id").replace(
    "%(school_class_id)s", "%(class)s"
)
_GRID_LESSONS_GROUP = _GRID_LESSONS.replace("<target>", "group_id").replace("%(group_id)s", "%(group)s")

# Every mark of the student in this subject and period counts in the average — also those of
# another class the student was in earlier in the period.
_STUDENT_MARKS = """
(SELECT coalesce(json_agg(json_build_array(k.id, k.lesson_id, k.value, k.value_five::text, k.weight,
                                           k.control_form_id, k.comment)
                          ORDER BY k.lesson_id, k.created_at, k.id), '[]')
   FROM journal_mark k JOIN timetable_lesson kl ON kl.id = k.lesson_id
  WHERE k.student_id = p.id AND NOT k.is_deleted AND kl.period_id = %(period)s AND kl.subject_id = %(subject)s)
"""
_GRID_STUDENTS_CLASS = """
SELECT p.id, p.surname, p.name, m.date_from, m.date_to, <marks>
  FROM people_membership m JOIN people_person p ON p.id = m.person_id
 WHERE m.school_class_id = %(class)s AND m.role = 'student'
   AND (m.date_from IS NULL OR m.date_from <= %(ends)s) AND (m.date_to IS NULL OR m.date_to >= %(starts)s)
   AND (m.is_active OR m.date_to IS NOT NULL)
 ORDER BY p.surname, p.name, p.id
""".replace("<marks>", _STUDENT_MARKS)
# A group's members with the dates of their student membership in the group's school: one the
# registry took out of the school has closed cells after leaving (and no row once the period
# is past), as in a class journal; moving to another class of the school keeps the group.
_GRID_STUDENTS_GROUP = """
SELECT p.id, p.surname, p.name, m.date_from, m.date_to, <marks>
  FROM teaching_studygroup_members g
  JOIN teaching_studygroup sg ON sg.id = g.studygroup_id
  JOIN people_person p ON p.id = g.person_id
  JOIN people_membership m ON m.person_id = p.id AND m.school_id = sg.school_id AND m.role = 'student'
 WHERE g.studygroup_id = %(group)s
   AND (m.date_from IS NULL OR m.date_from <= %(ends)s) AND (m.date_to IS NULL OR m.date_to >= %(starts)s)
   AND (m.is_active OR m.date_to IS NOT NULL)
 ORDER BY p.surname, p.name, p.id
""".replace("<marks>", _STUDENT_MARKS)


def journal_page(
    *,
    viewer: Viewer,
    kind: str,
    target_id: int,
    subject_id: int,
    today: datetime.date,
    period_id: int | None = None,
    edit: bool = False,
) -> JournalPage:
    school, school_class, group = _target(kind, target_id)
    class_id = school_class.pk if school_class else None
    group_id = group.pk if group else None
    subject = Subject.objects.filter(pk=subject_id).first()
    if subject is None:
        raise JournalNotFound(_("Предмет не найден"), field="subject")
    taught_lessons_only = False
    if not can_view_journal(viewer, school_id=school.pk, class_id=class_id, group_id=group_id):
        # a substitute sees the journal of the class they stood in for, and writes only those lessons
        if not (viewer.has_role(Role.TEACHER) and viewer.person_id is not None):
            raise JournalNotFound(_("Журнал не найден"))
        taught_lessons_only = True

    periods = school_periods(school.pk)
    period = pick_period(periods, today, period_id)
    if period is None:
        raise JournalNotFound(
            _("Период не найден: для школы не настроен учебный год")
            if not periods
            else _("Период не найден"),
            field="period",
        )

    target = {"class": class_id, "group": group_id, "period": period.pk, "subject": subject.pk}
    with connection.cursor() as cursor:
        cursor.execute(_GRID_LESSONS_CLASS if class_id else _GRID_LESSONS_GROUP, target)
        lesson_rows = cursor.fetchall()
        cursor.execute(
            _GRID_STUDENTS_CLASS if class_id else _GRID_STUDENTS_GROUP,
            {**target, "starts": period.starts_on, "ends": period.ends_on},
        )
        student_rows = cursor.fetchall()
    if taught_lessons_only and not any(viewer.person_id in (row[4], row[5]) for row in lesson_rows):
        raise JournalNotFound(_("Журнал не найден"))

    admin = is_school_admin(viewer, school.pk)
    assigned = is_assigned_teacher(viewer, subject_id=subject.pk, class_id=class_id, group_id=group_id)
    admin_writes = admin and edit
    # after the period's closing date only the school admin (in edit mode) changes its marks
    teacher_writes = today <= period.closes_on
    acting = viewer.person_id if viewer.has_role(Role.TEACHER) else None
    columns = []
    attendance: dict[tuple[int, int], tuple[int, str, str, str]] = {}
    shorts = {kind: str(short) for kind, short in ATTENDANCE_SHORT.items()}  # translated once a page
    for *fields, entries in lesson_rows:
        column = LessonColumn(*fields)
        writable = admin_writes or (
            teacher_writes
            and (assigned or (acting is not None and acting == (column.substitute_id or column.teacher_id)))
        )
        column.editable = writable
        column.writable = writable and not column.is_cancelled and column.date <= today
        columns.append(column)
        for student_id, att_id, att_kind, reason in entries:
            short = shorts.get(AttendanceKind(att_kind), att_kind)
            attendance[(column.id, student_id)] = (att_id, att_kind, short, reason)

    student_ids = [row[0] for row in student_rows]
    finals = {
        f.student_id: f
        for f in FinalMark.objects.filter(
            student_id__in=student_ids, subject_id=subject.pk, period_id=period.pk, is_deleted=False
        )
    }
    forms = school_control_forms(school_id=school.pk)
    form_names = {f.pk: f.name for f in forms}
    scale = school_grading_scale(school_id=school.pk)
    weights = sorted({f.weight for f in forms})

    rows = []
    for student_id, surname, name, date_from, date_to, marks in student_rows:
        by_lesson: dict[int, list[GridMark]] = defaultdict(list)
        for mark_id, lesson_id, value, five, weight, form_id, comment in marks:
            by_lesson[lesson_id].append(
                (mark_id, value, weight, form_names.get(form_id, ""), comment, form_id, hundredths(five))
            )
        totals = grading.totals((five, weight) for _i, _l, _v, five, weight, _f, _c in marks)
        cells = [
            (
                by_lesson.get(column.id, []),
                attendance.get((column.id, student_id)),
                column.writable
                and (date_from is None or date_from <= column.date)
                and (date_to is None or column.date <= date_to),
            )
            for column in columns
        ]
        average = totals.average
        rows.append(
            JournalRow(
                student=RowStudent(student_id, surname, name),
                date_from=date_from,
                date_to=date_to,
                cells=cells,
                sum_hundredths=int(totals.weighted_sum * 100),
                weight_sum=totals.weight,
                average=grading.as_decimal(average),
                proposed=str(grading.round_mark(average)) if average is not None else "",
                final=finals.get(student_id),
                hints=grading.hints(totals, weights) if average is not None else [],
            )
        )
    finals_closed = today > period.closes_on
    return JournalPage(
        kind=kind,
        school=school,
        school_class=school_class,
        group=group,
        subject=subject,
        period=period,
        periods=year_periods(periods, period.academic_year_id),
        columns=columns,
        rows=rows,
        control_forms=forms,
        scale=scale,
        can_write=any(c.editable for c in columns),
        finals_writable=(assigned and not finals_closed) or admin_writes,
        finals_closed=finals_closed,
        admin_mode=admin,
        edit_mode=admin_writes,
        today=today,
    )


# --- year finals of a journal ---------------------------------------------------------------------


@dataclass
class YearRow:
    student: Person
    period_finals: list[FinalMark | None]
    proposed_average: Decimal | None
    proposed: str
    final: FinalMark | None


@dataclass
class YearPage:
    kind: str
    school: School
    school_class: SchoolClass | None
    group: StudyGroup | None
    subject: Subject
    academic_year: AcademicYear
    periods: list[StudyPeriod]
    rows: list[YearRow]
    writable: bool
    closed: bool
    closes_on: datetime.date
    admin_mode: bool = False  # the viewer administers the school: reads, and writes in edit mode
    edit_mode: bool = False

    @property
    def target(self) -> SchoolClass | StudyGroup:
        return self.school_class or self.group  # type: ignore[return-value]


def journal_year_page(
    *, viewer: Viewer, kind: str, target_id: int, subject_id: int, today: datetime.date, edit: bool = False
) -> YearPage:
    school, school_class, group = _target(kind, target_id)
    class_id = school_class.pk if school_class else None
    group_id = group.pk if group else None
    if not can_view_journal(viewer, school_id=school.pk, class_id=class_id, group_id=group_id):
        raise JournalNotFound(_("Журнал не найден"))
    subject = Subject.objects.filter(pk=subject_id).first()
    if subject is None:
        raise JournalNotFound(_("Предмет не найден"), field="subject")
    all_periods = school_periods(school.pk)
    current = pick_period(all_periods, today)
    if current is None:
        raise JournalNotFound(_("Для школы не настроен учебный год"), field="period")
    year = current.academic_year
    periods = year_periods(all_periods, year.pk)
    students = _students(school_class, group, year.starts_on, year.ends_on)
    ids = [p.pk for p, _f, _t in students]
    finals: dict[tuple[int, int | None], FinalMark] = {
        (f.student_id, f.period_id): f
        for f in FinalMark.objects.filter(
            student_id__in=ids, subject_id=subject.pk, academic_year_id=year.pk, is_deleted=False
        )
    }
    year_marks: dict[int, list[tuple[Decimal | None, int]]] = defaultdict(list)
    for student_id, five, weight in Mark.objects.filter(
        student_id__in=ids,
        lesson__subject_id=subject.pk,
        lesson__period__academic_year_id=year.pk,
        is_deleted=False,
    ).values_list("student_id", "value_five", "weight"):
        year_marks[student_id].append((five, weight))
    rows = []
    for person, _f, _t in students:
        per = [finals.get((person.pk, p.pk)) for p in periods]
        numeric = [int(f.value) for f in per if f is not None and f.value in ("2", "3", "4", "5")]
        average = (
            grading.weighted_average((v, 1) for v in numeric)
            if numeric
            else grading.weighted_average(year_marks.get(person.pk, []))
        )
        rows.append(
            YearRow(
                student=person,
                period_finals=per,
                proposed_average=grading.as_decimal(average),
                proposed=str(grading.round_mark(average)) if average is not None else "",
                final=finals.get((person.pk, None)),
            )
        )
    closes_on = max((p.closes_on for p in periods), default=year.ends_on)
    admin = is_school_admin(viewer, school.pk)
    assigned = is_assigned_teacher(viewer, subject_id=subject.pk, class_id=class_id, group_id=group_id)
    closed = today > closes_on
    return YearPage(
        kind=kind,
        school=school,
        school_class=school_class,
        group=group,
        subject=subject,
        academic_year=year,
        periods=periods,
        rows=rows,
        writable=(assigned and not closed) or (admin and edit),
        closed=closed,
        closes_on=closes_on,
        admin_mode=admin,
        edit_mode=admin and edit,
    )


# --- a lesson's topic and homework ----------------------------------------------------------------


def lesson_for_view(*, viewer: Viewer, lesson_id: int) -> Lesson:
    from regions.journal.access import can_view_lesson

    lesson = (
        Lesson.objects.select_related(
            "school_class", "group", "subject", "teacher", "substitute", "content", "school"
        )
        .filter(pk=lesson_id)
        .first()
    )
    if lesson is None or not can_view_lesson(viewer, lesson):
        raise JournalNotFound(_("Урок %(lesson_id)s не найден") % {"lesson_id": lesson_id}, field="lesson")
    return lesson


def lesson_homework(lesson_id: int) -> list[Homework]:
    return list(
        Homework.objects.filter(lesson_id=lesson_id, is_deleted=False)
        .select_related("due_lesson")
        .prefetch_related(
            Prefetch("variants", queryset=HomeworkVariant.objects.select_related("student")),
            Prefetch("files", queryset=HomeworkFile.objects.order_by("id")),
        )
        .order_by("id")
    )


def lesson_students(lesson: Lesson) -> list[Person]:
    starts = ends = lesson.date
    return [p for p, _f, _t in _students(lesson.school_class, lesson.group, starts, ends)]


def homework_file_for(*, viewer: Viewer, file_id: int) -> HomeworkFile:
    """A homework file, if the viewer may see it: whoever sees the lesson's journal, and the
    students (and their parents) of the class or group — a variant's file only its student."""
    from regions.journal.access import can_view_lesson

    attachment = HomeworkFile.objects.select_related("homework__lesson", "variant").filter(pk=file_id).first()
    if attachment is None or attachment.homework.is_deleted:
        raise JournalNotFound(_("Файл не найден"))
    lesson = attachment.homework.lesson
    if can_view_lesson(viewer, lesson):
        return attachment
    student_ids = {viewer.person_id, *viewer.child_ids} - {None}
    if attachment.variant_id is not None:
        allowed = attachment.variant.student_id in student_ids  # type: ignore[union-attr]
    elif lesson.group_id is not None:
        allowed = StudyGroup.members.through.objects.filter(
            studygroup_id=lesson.group_id, person_id__in=student_ids
        ).exists()
    else:
        allowed = Membership.objects.filter(
            person_id__in=student_ids, school_class_id=lesson.school_class_id, role=MembershipRole.STUDENT
        ).exists()
    if not allowed:
        raise JournalNotFound(_("Файл не найден"))
    return attachment


# --- notifications and audit ------------------------------------------------------------------------


def notifications_for(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user.pk, in_app=True).order_by("-created_at", "-id")


def unread_count(user: Any) -> int:
    return Notification.objects.filter(recipient_id=user.pk, in_app=True, is_read=False).count()


def journal_audit(*, viewer: Viewer, school_id: int | None = None) -> QuerySet[AuditEvent]:
    """Audit entries of marks, attendance and finals of the schools the viewer administers."""
    schools = set(viewer.admin_school_ids)
    if school_id is not None:
        if not (viewer.is_regional_admin or school_id in schools):
            raise JournalNotFound(_("Школа не найдена"))
        schools = {school_id}
    elif viewer.is_regional_admin and not schools:
        return AuditEvent.objects.filter(entity__in=JOURNAL_ENTITIES).order_by("-at", "-id")
    if not schools:
        raise JournalNotFound(_("Журнал изменений доступен администратору школы"))
    return AuditEvent.objects.filter(
        entity__in=JOURNAL_ENTITIES, changes__context__school__in=sorted(schools)
    ).order_by("-at", "-id")
