"""Writes of the journal. Every function is keyword-only, checks who may do it and the
cross-entity rules first, then validates and saves inside one transaction, records the change
in the audit trail (who, old, new) and — for marks and absences — notifies the parents and
the student. A refused write raises a ``JournalError`` with a Russian message naming the
problem and the field; nothing is half-saved.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.db import db
from core.models import User
from regions.academics.models import AcademicYear, ControlForm, StudyPeriod
from regions.academics.selectors import school_control_forms, school_grading_scale
from regions.access import Viewer, viewer_for
from regions.journal import grading
from regions.journal.access import (
    can_view_journal,
    can_view_lesson,
    can_write_lesson,
    is_assigned_teacher,
    is_school_admin,
)
from regions.journal.errors import JournalError, JournalForbidden, JournalNotFound
from regions.journal.models import (
    Attendance,
    AttendanceKind,
    FinalMark,
    Homework,
    HomeworkDone,
    HomeworkFile,
    HomeworkVariant,
    LessonContent,
    Mark,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from regions.journal.policy import school_periods
from regions.people.models import Membership, MembershipRole, Person
from regions.schools.models import SchoolClass
from regions.teaching.models import StudyGroup, Subject
from regions.timetable.models import Lesson, LessonStatus

log = logging.getLogger(__name__)

HOMEWORK_FILE_MAX_BYTES = 20 * 1024 * 1024


def _today() -> datetime.date:
    """Today in the region's time zone (the request activates it; tasks run in UTC dates)."""
    return timezone.localdate()


# --- lessons and students -------------------------------------------------------------------


def _lesson_for_write(viewer: Viewer, lesson_id: int) -> Lesson:
    lesson = (
        Lesson.objects.select_related("school_class", "group", "subject", "period")
        .filter(pk=lesson_id)
        .first()
    )
    if lesson is None or not can_view_lesson(viewer, lesson):
        raise JournalNotFound(_("Урок %(lesson_id)s не найден") % {"lesson_id": lesson_id}, field="lesson")
    if not can_write_lesson(viewer, lesson):
        raise JournalForbidden(
            _(
                "Записи этого урока ведёт учитель, который его проводит (или учитель предмета в этом классе), либо администратор школы"
            ),
            field="lesson",
        )
    return lesson


def _check_period_open(viewer: Viewer, lesson: Lesson) -> None:
    """After its period's closing date a lesson's marks and attendance are the school admin's to
    change: the period's finals rest on them (the same rule as for the finals)."""
    period = lesson.period
    if _today() <= period.closes_on or is_school_admin(viewer, lesson.school_id):
        return
    raise JournalForbidden(
        _(
            "%(period)s закрыт %(closes_on)s: изменить оценки и посещаемость за него может только администратор школы"
        )
        % {"period": period.name, "closes_on": format(period.closes_on, "%d.%m.%Y")},
        field="lesson",
    )


def _check_lesson_takes_marks(lesson: Lesson) -> None:
    if lesson.status == LessonStatus.CANCELLED:
        raise JournalError(
            _("Урок %(date)s отменён: оценки и посещаемость на него не ставятся")
            % {"date": format(lesson.date, "%d.%m.%Y")},
            field="lesson",
        )
    if lesson.date > _today():
        raise JournalError(
            _("Урок %(date)s ещё не прошёл: оценки и посещаемость ставятся в день урока и позже")
            % {"date": format(lesson.date, "%d.%m.%Y")},
            field="lesson",
        )


def _target_name(lesson: Lesson) -> str:
    if lesson.school_class is not None:
        return lesson.school_class.name
    return lesson.group.name if lesson.group is not None else ""


def _target_label(lesson: Lesson) -> str:
    if lesson.school_class_id is not None:
        return _("в классе «%(name)s»") % {"name": _target_name(lesson)}
    return _("в группе «%(name)s»") % {"name": _target_name(lesson)}


def student_in_class_on(*, student_id: int, class_id: int, on: datetime.date) -> bool:
    """The student belonged to the class on that date (membership dates; an inactive membership
    counts up to its ``date_to``)."""
    return (
        Membership.objects.filter(person_id=student_id, role=MembershipRole.STUDENT, school_class_id=class_id)
        .filter(Q(date_from__isnull=True) | Q(date_from__lte=on))
        .filter(Q(date_to__isnull=True) | Q(date_to__gte=on))
        .filter(Q(is_active=True) | Q(date_to__isnull=False))
        .exists()
    )


def _check_student_on_lesson(lesson: Lesson, student_id: int) -> None:
    if lesson.school_class_id is not None:
        ok = student_in_class_on(student_id=student_id, class_id=lesson.school_class_id, on=lesson.date)
    elif lesson.group_id is not None:
        ok = StudyGroup.members.through.objects.filter(
            studygroup_id=lesson.group_id, person_id=student_id
        ).exists()
    else:  # the lesson table's constraint makes this impossible
        ok = False
    if not ok:
        raise JournalError(
            _("Ученик не числится %(where)s на %(date)s")
            % {"where": _target_label(lesson), "date": format(lesson.date, "%d.%m.%Y")},
            field="student",
        )


def _context(lesson: Lesson, student_id: int | None = None) -> dict[str, Any]:
    """What an audit entry is about, so the school admin's audit page can show and filter it."""
    context: dict[str, Any] = {
        "school": lesson.school_id,
        "lesson": lesson.pk,
        "date": lesson.date.isoformat(),
        "subject": lesson.subject.name,
        "target": _target_name(lesson),
    }
    if student_id is not None:
        context["student"] = student_id
    return context


def _diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [old.get(k), new[k]] for k in new if old.get(k) != new[k]}


# --- marks ----------------------------------------------------------------------------------


def _normalise_value(value: str) -> str:
    return str(value).strip().lower()


def _control_form(school_id: int, control_form_id: int | None) -> ControlForm:
    forms = school_control_forms(school_id=school_id)
    if not forms:
        raise JournalError(
            _("Для школы не настроены формы контроля: обратитесь к администратору"), field="control_form"
        )
    if control_form_id is None:
        return forms[0]
    for form in forms:
        if form.pk == control_form_id:
            return form
    names = ", ".join(f"{f.name} ({f.pk})" for f in forms)
    raise JournalError(
        _("Форма контроля %(control_form_id)s не используется в этой школе; доступны: %(names)s")
        % {"control_form_id": control_form_id, "names": names},
        field="control_form",
    )


def _value_on_five(school_id: int, value: str) -> Any:
    scale = school_grading_scale(school_id=school_id)
    if scale is None:
        raise JournalError(
            _("Для школы не настроена шкала оценивания: обратитесь к администратору"), field="value"
        )
    try:
        return scale.to_five(value)
    except ValueError as exc:
        raise JournalError(str(exc), field="value") from exc


def _mark_state(mark: Mark, form: ControlForm) -> dict[str, Any]:
    return {"value": mark.value, "control_form": form.name, "weight": mark.weight, "comment": mark.comment}


@transaction.atomic
def mark_create(
    *,
    actor: User,
    lesson_id: int,
    student_id: int,
    value: str,
    control_form_id: int | None = None,
    comment: str = "",
) -> Mark:
    """Put a mark; the control form's current weight is captured in the mark."""
    viewer = viewer_for(actor)
    lesson = _lesson_for_write(viewer, lesson_id)
    _check_lesson_takes_marks(lesson)
    _check_period_open(viewer, lesson)
    _check_student_on_lesson(lesson, student_id)
    value = _normalise_value(value)
    value_five = _value_on_five(lesson.school_id, value)
    form = _control_form(lesson.school_id, control_form_id)
    mark = Mark(
        lesson=lesson,
        student_id=student_id,
        value=value,
        value_five=value_five,
        control_form=form,
        weight=form.weight,
        comment=comment.strip(),
        created_by=actor,
        updated_by=actor,
    )
    mark.full_clean()
    mark.save()
    audit_record(
        actor=actor,
        action="mark_create",
        entity="journal.mark",
        entity_id=mark.pk,
        changes={**_diff({}, _mark_state(mark, form)), "context": _context(lesson, student_id)},
    )
    _notify_mark(mark, lesson, form, NotificationKind.MARK_NEW)
    return mark


def _mark_for_write(viewer: Viewer, mark_id: int) -> tuple[Mark, Lesson]:
    mark = (
        Mark.objects.select_for_update(of=("self",))
        .select_related("lesson__school_class", "lesson__group", "lesson__subject", "control_form")
        .filter(pk=mark_id, is_deleted=False)
        .first()
    )
    if mark is None or not can_view_lesson(viewer, mark.lesson):
        raise JournalNotFound(_("Оценка %(mark_id)s не найдена") % {"mark_id": mark_id}, field="mark")
    lesson = _lesson_for_write(viewer, mark.lesson_id)
    _check_period_open(viewer, lesson)
    return mark, lesson


@transaction.atomic
def mark_update(
    *,
    actor: User,
    mark_id: int,
    value: str | None = None,
    control_form_id: int | None = None,
    comment: str | None = None,
) -> Mark:
    """Change a mark's value, control form (the weight follows the form) or comment."""
    viewer = viewer_for(actor)
    mark, lesson = _mark_for_write(viewer, mark_id)
    old_form = mark.control_form
    old = _mark_state(mark, old_form)
    form = old_form
    if value is not None:
        mark.value = _normalise_value(value)
        mark.value_five = _value_on_five(lesson.school_id, mark.value)
    if control_form_id is not None and control_form_id != mark.control_form_id:
        form = _control_form(lesson.school_id, control_form_id)
        mark.control_form, mark.weight = form, form.weight
    if comment is not None:
        mark.comment = comment.strip()
    changes = _diff(old, _mark_state(mark, form))
    if not changes:
        return mark
    mark.updated_by = actor
    mark.full_clean()
    mark.save()
    audit_record(
        actor=actor,
        action="mark_change",
        entity="journal.mark",
        entity_id=mark.pk,
        changes={**changes, "context": _context(lesson, mark.student_id)},
    )
    if "value" in changes or "weight" in changes:
        _notify_mark(mark, lesson, form, NotificationKind.MARK_CHANGED, old_value=old["value"])
    return mark


@transaction.atomic
def mark_delete(*, actor: User, mark_id: int) -> Mark:
    """Remove a mark from the journal; the row stays (``is_deleted``) and the audit says who."""
    viewer = viewer_for(actor)
    mark, lesson = _mark_for_write(viewer, mark_id)
    mark.is_deleted, mark.deleted_at, mark.updated_by = True, timezone.now(), actor
    mark.save(update_fields=["is_deleted", "deleted_at", "updated_by", "updated_at"])
    audit_record(
        actor=actor,
        action="mark_delete",
        entity="journal.mark",
        entity_id=mark.pk,
        changes={
            # everything the mark was, so the audit shows what was removed, not only its value
            **{k: [v, None] for k, v in _mark_state(mark, mark.control_form).items() if v not in (None, "")},
            "context": _context(lesson, mark.student_id),
        },
    )
    # the parents were told of the mark; a mark taken back is a change they hear of too
    _notify_mark(mark, lesson, mark.control_form, NotificationKind.MARK_CHANGED)
    return mark


# --- attendance -----------------------------------------------------------------------------


def _attendance_kind(kind: str) -> str:
    aliases = {"н": "absent", "нб": "absent", "оп": "late", "о": "late", "б": "ill", "бол": "ill"}
    kind = aliases.get(str(kind).strip().lower(), str(kind).strip().lower())
    if kind not in AttendanceKind.values:
        raise JournalError(
            _("Неизвестная отметка посещаемости «%(kind)s»: absent (н), late (оп) или ill (б)")
            % {"kind": kind},
            field="kind",
        )
    return kind


@transaction.atomic
def attendance_set(
    *, actor: User, lesson_id: int, student_id: int, kind: str, reason: str = ""
) -> Attendance:
    """Mark a student absent, late or ill at a lesson (one live entry per lesson and student)."""
    viewer = viewer_for(actor)
    lesson = _lesson_for_write(viewer, lesson_id)
    _check_lesson_takes_marks(lesson)
    _check_period_open(viewer, lesson)
    _check_student_on_lesson(lesson, student_id)
    kind, reason = _attendance_kind(kind), reason.strip()
    entry = (
        Attendance.objects.select_for_update()
        .filter(lesson_id=lesson.pk, student_id=student_id, is_deleted=False)
        .first()
    )
    old = {"kind": entry.kind, "reason": entry.reason} if entry else {}
    changes = _diff(old, {"kind": kind, "reason": reason})
    if entry is not None and not changes:
        return entry
    if entry is None:
        entry = Attendance(lesson=lesson, student_id=student_id, created_by=actor)
    entry.kind, entry.reason, entry.updated_by = kind, reason, actor
    entry.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        raise JournalError(
            _("Посещаемость этого ученика на уроке уже отмечена: обновите страницу"), field="student"
        ) from exc
    audit_record(
        actor=actor,
        action="attendance_change" if old else "attendance_create",
        entity="journal.attendance",
        entity_id=entry.pk,
        changes={**changes, "context": _context(lesson, student_id)},
    )
    if "kind" in changes:
        _notify_absence(entry, lesson)
    return entry


@transaction.atomic
def attendance_delete(*, actor: User, attendance_id: int) -> Attendance:
    viewer = viewer_for(actor)
    entry = (
        Attendance.objects.select_for_update(of=("self",))
        .select_related("lesson")
        .filter(pk=attendance_id, is_deleted=False)
        .first()
    )
    if entry is None or not can_view_lesson(viewer, entry.lesson):
        raise JournalNotFound(
            _("Отметка посещаемости %(attendance_id)s не найдена") % {"attendance_id": attendance_id},
            field="attendance",
        )
    lesson = _lesson_for_write(viewer, entry.lesson_id)
    _check_period_open(viewer, lesson)
    entry.is_deleted, entry.deleted_at, entry.updated_by = True, timezone.now(), actor
    entry.save(update_fields=["is_deleted", "deleted_at", "updated_by", "updated_at"])
    audit_record(
        actor=actor,
        action="attendance_delete",
        entity="journal.attendance",
        entity_id=entry.pk,
        changes={
            "kind": [entry.kind, None],
            "reason": [entry.reason, None],
            "context": _context(lesson, entry.student_id),
        },
    )
    _notify_absence(entry, lesson)
    return entry


# --- topic and homework ---------------------------------------------------------------------


@transaction.atomic
def lesson_topic_set(*, actor: User, lesson_id: int, topic: str) -> LessonContent:
    viewer = viewer_for(actor)
    lesson = _lesson_for_write(viewer, lesson_id)
    content = LessonContent.objects.select_for_update().filter(lesson_id=lesson.pk).first()
    old = content.topic if content else ""
    topic = topic.strip()
    if content is None:
        content = LessonContent(lesson=lesson)
    if old == topic and content.pk is not None:
        return content
    content.topic, content.updated_by = topic, actor
    content.full_clean()
    content.save()
    audit_record(
        actor=actor,
        action="lesson_topic_set",
        entity="journal.lesson",
        entity_id=lesson.pk,
        changes={"topic": [old, topic], "context": _context(lesson)},
    )
    return content


def next_lesson(lesson: Lesson) -> Lesson | None:
    """The next scheduled lesson of the same class or group and subject (the default due lesson)."""
    return _later_lessons(lesson).first()


def next_lessons(lesson: Lesson, *, limit: int = 10) -> list[Lesson]:
    """The lessons homework given at ``lesson`` can be due at, soonest first."""
    return list(_later_lessons(lesson)[:limit])


def _later_lessons(lesson: Lesson) -> QuerySet[Lesson]:
    qs = Lesson.objects.filter(subject_id=lesson.subject_id, status=LessonStatus.SCHEDULED).filter(
        Q(date__gt=lesson.date) | Q(date=lesson.date, lesson_number__gt=lesson.lesson_number)
    )
    if lesson.school_class_id is not None:
        qs = qs.filter(school_class_id=lesson.school_class_id)
    else:
        qs = qs.filter(group_id=lesson.group_id)
    return qs.order_by("date", "lesson_number")


def _due(
    lesson: Lesson, due_lesson_id: int | None, due_date: datetime.date | None
) -> tuple[Lesson | None, datetime.date | None]:
    if due_lesson_id is not None:
        due = Lesson.objects.filter(
            pk=due_lesson_id,
            subject_id=lesson.subject_id,
            school_class_id=lesson.school_class_id,
            group_id=lesson.group_id,
        ).first()
        if due is None:
            raise JournalError(
                _("Урок %(due_lesson_id)s не найден среди уроков этого предмета %(where)s")
                % {"due_lesson_id": due_lesson_id, "where": _target_label(lesson)},
                field="due_lesson",
            )
        if (due.date, due.lesson_number) <= (lesson.date, lesson.lesson_number):
            raise JournalError(
                _("Задание сдаётся на уроке после того, на котором задано"), field="due_lesson"
            )
        return due, None
    if due_date is not None:
        if due_date < lesson.date:
            raise JournalError(
                _("Срок %(due_date)s раньше урока, на котором задано (%(date)s)")
                % {"due_date": format(due_date, "%d.%m.%Y"), "date": format(lesson.date, "%d.%m.%Y")},
                field="due_date",
            )
        return None, due_date
    due = next_lesson(lesson)
    if due is None:
        raise JournalError(
            _("После этого урока нет уроков по предмету: укажите срок сдачи (урок или дату)"),
            field="due_date",
        )
    return due, None


def _homework_for_write(viewer: Viewer, homework_id: int) -> tuple[Homework, Lesson]:
    homework = (
        Homework.objects.select_for_update(of=("self",))
        .select_related("lesson")
        .filter(pk=homework_id, is_deleted=False)
        .first()
    )
    if homework is None or not can_view_lesson(viewer, homework.lesson):
        raise JournalNotFound(
            _("Домашнее задание %(homework_id)s не найдено") % {"homework_id": homework_id}, field="homework"
        )
    return homework, _lesson_for_write(viewer, homework.lesson_id)


def _homework_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise JournalError(_("Текст задания пуст"), field="text")
    return text


def _homework_state(homework: Homework) -> dict[str, Any]:
    return {
        "text": homework.text,
        "due_lesson": homework.due_lesson_id,
        "due_date": homework.due_date.isoformat() if homework.due_date else None,
    }


@transaction.atomic
def homework_create(
    *,
    actor: User,
    lesson_id: int,
    text: str,
    due_lesson_id: int | None = None,
    due_date: datetime.date | None = None,
) -> Homework:
    """Give homework at a lesson; due by default at the next lesson of the subject."""
    viewer = viewer_for(actor)
    lesson = _lesson_for_write(viewer, lesson_id)
    text = _homework_text(text)
    due, due_on = _due(lesson, due_lesson_id, due_date)
    homework = Homework(lesson=lesson, due_lesson=due, due_date=due_on, text=text, created_by=actor)
    homework.full_clean()
    homework.save()
    audit_record(
        actor=actor,
        action="homework_create",
        entity="journal.homework",
        entity_id=homework.pk,
        changes={**_diff({}, _homework_state(homework)), "context": _context(lesson)},
    )
    return homework


@transaction.atomic
def homework_update(
    *,
    actor: User,
    homework_id: int,
    text: str | None = None,
    due_lesson_id: int | None = None,
    due_date: datetime.date | None = None,
) -> Homework:
    viewer = viewer_for(actor)
    homework, lesson = _homework_for_write(viewer, homework_id)
    old = _homework_state(homework)
    if text is not None:
        homework.text = _homework_text(text)
    if due_lesson_id is not None or due_date is not None:
        homework.due_lesson, homework.due_date = _due(lesson, due_lesson_id, due_date)
    changes = _diff(old, _homework_state(homework))
    if changes:
        homework.full_clean()
        homework.save()
        audit_record(
            actor=actor,
            action="homework_change",
            entity="journal.homework",
            entity_id=homework.pk,
            changes={**changes, "context": _context(lesson)},
        )
    return homework


@transaction.atomic
def homework_delete(*, actor: User, homework_id: int) -> Homework:
    viewer = viewer_for(actor)
    homework, lesson = _homework_for_write(viewer, homework_id)
    homework.is_deleted = True
    homework.save(update_fields=["is_deleted", "updated_at"])
    audit_record(
        actor=actor,
        action="homework_delete",
        entity="journal.homework",
        entity_id=homework.pk,
        changes={"text": [homework.text, None], "context": _context(lesson)},
    )
    return homework


@transaction.atomic
def homework_variant_set(
    *, actor: User, homework_id: int, student_id: int, text: str
) -> HomeworkVariant | None:
    """A student's own variant of the homework; an empty text removes the variant."""
    viewer = viewer_for(actor)
    homework, lesson = _homework_for_write(viewer, homework_id)
    _check_student_on_lesson(lesson, student_id)
    variant = HomeworkVariant.objects.filter(homework=homework, student_id=student_id).first()
    old = variant.text if variant else None
    text = (text or "").strip()
    if not text:
        if variant is not None:
            variant.delete()
    else:
        variant = variant or HomeworkVariant(homework=homework, student_id=student_id)
        variant.text = text
        variant.full_clean()
        variant.save()
    if old != (text or None):
        audit_record(
            actor=actor,
            action="homework_variant_set",
            entity="journal.homework",
            entity_id=homework.pk,
            changes={"variant_text": [old, text or None], "context": _context(lesson, student_id)},
        )
    return variant if text else None


@transaction.atomic
def homework_file_add(
    *, actor: User, homework_id: int, upload: UploadedFile, student_id: int | None = None
) -> HomeworkFile:
    """Attach a file to a homework, or to one student's variant of it (created from the
    common text when the student has none yet). Stored per region by ``default_storage``."""
    viewer = viewer_for(actor)
    homework, lesson = _homework_for_write(viewer, homework_id)
    size = upload.size or 0
    if size > HOMEWORK_FILE_MAX_BYTES:
        raise JournalError(
            _("Файл «%(name)s» больше %(homework_file_max_bytes)s МБ")
            % {"name": upload.name, "homework_file_max_bytes": HOMEWORK_FILE_MAX_BYTES // (1024 * 1024)},
            field="file",
        )
    if size == 0:
        raise JournalError(_("Файл «%(name)s» пуст") % {"name": upload.name}, field="file")
    variant = None
    if student_id is not None:
        _check_student_on_lesson(lesson, student_id)
        variant, _created = HomeworkVariant.objects.get_or_create(
            homework=homework, student_id=student_id, defaults={"text": homework.text}
        )
    name = get_valid_filename(upload.name or "file")[:200] or "file"
    attachment = HomeworkFile(homework=homework, variant=variant, name=name, size=size, uploaded_by=actor)
    attachment.file.save(name, upload, save=False)
    attachment.save()
    audit_record(
        actor=actor,
        action="homework_file_add",
        entity="journal.homework",
        entity_id=homework.pk,
        changes={"file": [None, name], "context": _context(lesson, student_id)},
    )
    return attachment


@transaction.atomic
def homework_done_set(*, actor: User, homework_id: int, done: bool) -> HomeworkDone:
    """The student ticks their homework done (or not). Only the student themself."""
    viewer = viewer_for(actor)
    homework = Homework.objects.select_related("lesson").filter(pk=homework_id, is_deleted=False).first()
    lesson = homework.lesson if homework else None
    mine = lesson is not None and (
        lesson.school_class_id in viewer.student_class_ids or lesson.group_id in viewer.student_group_ids
    )
    if homework is None or viewer.person_id is None or not mine:
        raise JournalNotFound(
            _("Домашнее задание %(homework_id)s не найдено") % {"homework_id": homework_id}, field="homework"
        )
    flag, _created = HomeworkDone.objects.update_or_create(
        homework=homework, student_id=viewer.person_id, defaults={"done": bool(done)}
    )
    return flag


# --- final marks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FinalTarget:
    """The journal a final mark belongs to: a class or a group, a subject, a period or a year."""

    school_id: int
    school_class: SchoolClass | None
    group: StudyGroup | None
    subject: Subject
    academic_year: AcademicYear
    period: StudyPeriod | None
    year_periods: tuple[StudyPeriod, ...]

    @property
    def closes_on(self) -> datetime.date:
        if self.period is not None:
            return self.period.closes_on
        if self.year_periods:
            return max(p.closes_on for p in self.year_periods)
        return self.academic_year.ends_on

    @property
    def starts_on(self) -> datetime.date:
        return self.period.starts_on if self.period else self.academic_year.starts_on

    @property
    def ends_on(self) -> datetime.date:
        return self.period.ends_on if self.period else self.academic_year.ends_on


def final_target(
    *,
    viewer: Viewer,
    subject_id: int,
    school_class_id: int | None,
    group_id: int | None,
    period_id: int | None,
    academic_year_id: int | None,
) -> FinalTarget:
    if (school_class_id is None) == (group_id is None):
        raise JournalError(_("Укажите либо класс, либо группу"), field="school_class")
    school_class = group = None
    if school_class_id is not None:
        school_class = SchoolClass.objects.filter(pk=school_class_id).first()
        school_id = school_class.school_id if school_class else None
    elif group_id is not None:
        group = StudyGroup.objects.filter(pk=group_id).first()
        school_id = group.school_id if group else None
    if school_id is None or not can_view_journal(
        viewer, school_id=school_id, class_id=school_class_id, group_id=group_id
    ):
        field = "school_class" if school_class_id is not None else "group"
        raise JournalNotFound(_("Класс или группа не найдены"), field=field)
    subject = Subject.objects.filter(pk=subject_id).first()
    if subject is None:
        raise JournalError(
            _("Предмет %(subject_id)s не найден") % {"subject_id": subject_id}, field="subject"
        )
    periods = school_periods(school_id)
    if period_id is not None:
        period = next((p for p in periods if p.pk == period_id), None)
        if period is None:
            raise JournalError(
                _("Период %(period_id)s не относится к учебному году школы") % {"period_id": period_id},
                field="period",
            )
        year = period.academic_year
    else:
        years = {p.academic_year_id: p.academic_year for p in periods}
        if academic_year_id is None or academic_year_id not in years:
            raise JournalError(
                _("Для годовой оценки укажите учебный год школы (academic_year)"), field="academic_year"
            )
        period, year = None, years[academic_year_id]
    return FinalTarget(
        school_id=school_id,
        school_class=school_class,
        group=group,
        subject=subject,
        academic_year=year,
        period=period,
        year_periods=tuple(p for p in periods if p.academic_year_id == year.pk),
    )


def _check_final_write(viewer: Viewer, target: FinalTarget) -> None:
    admin = is_school_admin(viewer, target.school_id)
    if not admin and not is_assigned_teacher(
        viewer,
        subject_id=target.subject.pk,
        class_id=target.school_class.pk if target.school_class else None,
        group_id=target.group.pk if target.group else None,
    ):
        raise JournalForbidden(
            _("Итоговые оценки ставит учитель этого предмета в классе (группе) или администратор школы")
        )
    if not admin and _today() > target.closes_on:
        what = (
            target.period.name
            if target.period
            else _("Учебный год %(name)s") % {"name": target.academic_year.name}
        )
        raise JournalForbidden(
            _("%(what)s закрыт %(closes_on)s: изменить итоговую оценку может только администратор школы")
            % {"what": what, "closes_on": format(target.closes_on, "%d.%m.%Y")},
            field="period",
        )


def _check_student_in_target(target: FinalTarget, student_id: int) -> None:
    if target.school_class is not None:
        ok = (
            Membership.objects.filter(
                person_id=student_id, role=MembershipRole.STUDENT, school_class_id=target.school_class.pk
            )
            .filter(Q(date_from__isnull=True) | Q(date_from__lte=target.ends_on))
            .filter(Q(date_to__isnull=True) | Q(date_to__gte=target.starts_on))
            .exists()
        )
        where = _("в классе «%(name)s»") % {"name": target.school_class.name}
    elif target.group is not None:
        ok = StudyGroup.members.through.objects.filter(
            studygroup_id=target.group.pk, person_id=student_id
        ).exists()
        where = _("в группе «%(name)s»") % {"name": target.group.name}
    else:  # final_target() always sets one of them
        raise JournalError(_("Укажите либо класс, либо группу"), field="school_class")
    if not ok:
        raise JournalError(
            _("Ученик не числится %(where)s в этом периоде") % {"where": where}, field="student"
        )


def final_proposal(*, student_id: int, subject_id: int, target: FinalTarget) -> Fraction | None:
    """The average the system proposes. A period: the weighted average of the period's marks.
    The year: the mean of the period finals already set on the 5-point scale, else the weighted
    average of all the year's marks."""
    marks = Mark.objects.filter(student_id=student_id, lesson__subject_id=subject_id, is_deleted=False)
    if target.period is not None:
        rows = marks.filter(lesson__period_id=target.period.pk).values_list("value_five", "weight")
        return grading.weighted_average(rows)
    finals = FinalMark.objects.filter(
        student_id=student_id,
        subject_id=subject_id,
        academic_year_id=target.academic_year.pk,
        period__isnull=False,
        is_deleted=False,
        value__in=["2", "3", "4", "5"],
    ).values_list("value", flat=True)
    values = [int(v) for v in finals]
    if values:
        return grading.weighted_average((v, 1) for v in values)
    rows = marks.filter(lesson__period__academic_year_id=target.academic_year.pk).values_list(
        "value_five", "weight"
    )
    return grading.weighted_average(rows)


def _final_state(final: FinalMark) -> dict[str, Any]:
    return {"value": final.value, "is_override": final.is_override}


@transaction.atomic
def final_mark_set(
    *,
    actor: User,
    student_id: int,
    subject_id: int,
    value: str,
    school_class_id: int | None = None,
    group_id: int | None = None,
    period_id: int | None = None,
    academic_year_id: int | None = None,
) -> FinalMark:
    """Confirm the proposed final mark of a period (or the year) or set another one."""
    viewer = viewer_for(actor)
    target = final_target(
        viewer=viewer,
        subject_id=subject_id,
        school_class_id=school_class_id,
        group_id=group_id,
        period_id=period_id,
        academic_year_id=academic_year_id,
    )
    _check_final_write(viewer, target)
    _check_student_in_target(target, student_id)
    value = _normalise_value(value)
    if value not in grading.FINAL_VALUES:
        raise JournalError(
            _("Итоговая оценка «%(value)s» недопустима; возможны: %(final_values)s")
            % {"value": value, "final_values": ", ".join(grading.FINAL_VALUES)},
            field="value",
        )
    average = final_proposal(student_id=student_id, subject_id=subject_id, target=target)
    proposed = str(grading.round_mark(average)) if average is not None else ""
    final = (
        FinalMark.objects.select_for_update()
        .filter(
            student_id=student_id,
            subject_id=subject_id,
            academic_year_id=target.academic_year.pk,
            period_id=target.period.pk if target.period else None,
            is_deleted=False,
        )
        .first()
    )
    old = _final_state(final) if final else {}
    if final is None:
        final = FinalMark(
            student_id=student_id,
            subject=target.subject,
            school_id=target.school_id,
            school_class=target.school_class,
            group=target.group,
            academic_year=target.academic_year,
            period=target.period,
        )
    final.proposed_average = grading.as_decimal(average)
    final.proposed_value = proposed
    final.value = value
    final.is_override = value != proposed
    changes = _diff(old, _final_state(final))
    if final.pk is not None and not changes:
        return final
    final.confirmed_by, final.confirmed_at = actor, timezone.now()
    final.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            final.save()
    except IntegrityError as exc:
        raise JournalError(_("Итоговая оценка уже выставлена: обновите страницу"), field="value") from exc
    audit_record(
        actor=actor,
        action="final_mark_change" if old else "final_mark_create",
        entity="journal.final_mark",
        entity_id=final.pk,
        changes={
            **changes,
            "proposed": [None, proposed],
            "context": {
                "school": target.school_id,
                "student": student_id,
                "subject": target.subject.name,
                "period": target.period.name
                if target.period
                else _("год %(name)s") % {"name": target.academic_year.name},
                "target": (target.school_class or target.group).name,  # type: ignore[union-attr]
            },
        },
    )
    return final


@transaction.atomic
def final_mark_delete(*, actor: User, final_mark_id: int) -> FinalMark:
    viewer = viewer_for(actor)
    final = FinalMark.objects.select_for_update().filter(pk=final_mark_id, is_deleted=False).first()
    if final is None:
        raise JournalNotFound(
            _("Итоговая оценка %(final_mark_id)s не найдена") % {"final_mark_id": final_mark_id},
            field="final_mark",
        )
    target = final_target(
        viewer=viewer,
        subject_id=final.subject_id,
        school_class_id=final.school_class_id,
        group_id=final.group_id,
        period_id=final.period_id,
        academic_year_id=final.academic_year_id,
    )
    _check_final_write(viewer, target)
    final.is_deleted, final.deleted_at = True, timezone.now()
    final.save(update_fields=["is_deleted", "deleted_at"])
    audit_record(
        actor=actor,
        action="final_mark_delete",
        entity="journal.final_mark",
        entity_id=final.pk,
        changes={
            "value": [final.value, None],
            "context": {
                "school": target.school_id,
                "student": final.student_id,
                "subject": target.subject.name,
            },
        },
    )
    return final


# --- notifications --------------------------------------------------------------------------


def _recipients(student_id: int) -> tuple[Person | None, list[int]]:
    """The student and the user ids to notify: the student's own account and their parents'."""
    people = list(
        Person.objects.filter(
            Q(pk=student_id)
            | Q(children_links__child_id=student_id, children_links__is_active=True, is_active=True)
        )
        .distinct()
        .only("id", "surname", "name", "user_id")
    )
    student = next((p for p in people if p.pk == student_id), None)
    return student, sorted({p.user_id for p in people if p.user_id is not None})


def notifications_create(
    *, student_id: int, kind: str, text: str, link: str, in_app_field: str, email_field: str
) -> list[Notification]:
    """Notify the student and their parents, each by their preferences (``in_app_field`` /
    ``email_field`` name the preference); the e-mails go after the commit, by a task."""
    _student, users = _recipients(student_id)
    if not users:
        return []
    prefs = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=users)}
    default = NotificationPreference()
    rows = []
    for user_id in users:
        pref = prefs.get(user_id, default)
        in_app, email = getattr(pref, in_app_field), getattr(pref, email_field)
        if in_app or email:
            rows.append(
                Notification(
                    recipient_id=user_id,
                    kind=kind,
                    student_id=student_id,
                    text=text[:500],
                    link=link,
                    in_app=in_app,
                    email_wanted=email,
                )
            )
    created = Notification.objects.bulk_create(rows)
    email_ids = [n.pk for n in created if n.email_wanted]
    if email_ids:
        from regions.journal.tasks import send_notification_emails

        # robust: a broker that is down must not turn a saved mark into an error page
        transaction.on_commit(lambda: send_notification_emails.delay(email_ids), robust=True)
    return created


def _student_name(student_id: int) -> str:
    person = Person.objects.filter(pk=student_id).only("surname", "name").first()
    return f"{person.surname} {person.name}" if person else ""


def diary_link(student_id: int, on: datetime.date) -> str:
    return f"/diary/?student={student_id}&date={on.isoformat()}"


def _notify_mark(
    mark: Mark, lesson: Lesson, form: ControlForm, kind: str, *, old_value: str | None = None
) -> None:
    name = _student_name(mark.student_id)
    if mark.is_deleted:
        what = f"оценка {mark.value} удалена"
    elif kind == NotificationKind.MARK_CHANGED:
        what = f"оценка изменена: {old_value} → {mark.value}"
    else:
        what = f"новая оценка {mark.value}"
    text = (
        f"{name}: {what} по предмету «{lesson.subject.name}» ({form.name}, вес {mark.weight}), "
        f"урок {lesson.date:%d.%m.%Y}"
    )
    notifications_create(
        student_id=mark.student_id,
        kind=kind,
        text=text,
        link=diary_link(mark.student_id, lesson.date),
        in_app_field="marks_in_app",
        email_field="marks_email",
    )


def _notify_absence(entry: Attendance, lesson: Lesson) -> None:
    name = _student_name(entry.student_id)
    reason = f" ({entry.reason})" if entry.reason else ""
    what = (
        f"отметка «{entry.get_kind_display()}» снята"
        if entry.is_deleted
        else f"{entry.get_kind_display()}{reason}"
    )
    text = f"{name}: {what} — «{lesson.subject.name}», {lesson.date:%d.%m.%Y}, {lesson.lesson_number} урок"
    notifications_create(
        student_id=entry.student_id,
        kind=NotificationKind.ABSENCE,
        text=text,
        link=diary_link(entry.student_id, lesson.date),
        in_app_field="absences_in_app",
        email_field="absences_email",
    )


def notifications_mark_read(*, actor: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notifications read (these ids, or all); returns how many changed."""
    qs = Notification.objects.filter(recipient=actor, is_read=False)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(is_read=True)


def notification_preference_update(*, actor: User, **flags: bool) -> NotificationPreference:
    allowed = {"marks_in_app", "marks_email", "absences_in_app", "absences_email"}
    unknown = set(flags) - allowed
    if unknown:
        raise JournalError(
            _("Неизвестные настройки: %(unknown)s") % {"unknown": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
    pref, _created = NotificationPreference.objects.get_or_create(user=actor)
    for name, value in flags.items():
        setattr(pref, name, bool(value))
    pref.full_clean()
    pref.save()
    return pref


def site_base_url() -> str:
    """The region's own address for links in e-mails (its primary domain)."""
    tenant = getattr(db, "tenant", None)
    domain = tenant.get_primary_domain() if tenant is not None else None
    host = domain.domain if domain is not None else settings.PLATFORM_DOMAIN
    port = f":{settings.PUBLIC_URL_PORT}" if settings.PUBLIC_URL_PORT else ""
    return f"{settings.PUBLIC_URL_SCHEME}://{host}{port}"


def notification_emails_send(*, notification_ids: Iterable[int]) -> int:
    """Send the e-mails of these notifications (those that want one and were not sent yet);
    returns how many were sent. Idempotent: a retried task sends nothing twice."""
    rows = list(
        Notification.objects.filter(pk__in=list(notification_ids), email_wanted=True, emailed_at__isnull=True)
        .select_related("recipient", "recipient__person")
        .order_by("pk")
    )
    if not rows:
        return 0
    base = site_base_url()
    messages, sent = [], []
    for note in rows:
        person = getattr(note.recipient, "person", None)
        address = note.recipient.email or (person.email if person is not None else "")
        if not address:
            continue
        messages.append(
            EmailMessage(
                subject=f"Моя школа: {note.get_kind_display()}",
                body=f"{note.text}\n\nДневник: {base}{note.link}\n\n"
                f"Настроить уведомления: {base}/notifications/settings/",
                to=[address],
            )
        )
        sent.append(note.pk)
    if messages:
        get_connection().send_messages(messages)
    Notification.objects.filter(pk__in=sent).update(emailed_at=timezone.now())
    return len(sent)
