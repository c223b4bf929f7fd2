"""The journal's write rules: who may write, what is valid, what is audited and who is notified."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from core.models import AuditEvent
from regions.journal import services
from regions.journal.errors import JournalError, JournalForbidden, JournalNotFound
from regions.journal.models import (
    Attendance,
    FinalMark,
    HomeworkDone,
    Mark,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from regions.people.models import Membership
from regions.timetable.models import LessonStatus
from tests.factories import LessonFactory, StudyPeriodFactory

DAY = datetime.timedelta(days=1)


@pytest.fixture
def w(journal_world, region_a):
    with tenant_context(region_a):
        yield journal_world


def put(w, who=None, lesson=None, student=None, value="5", **kwargs) -> Mark:
    return services.mark_create(
        actor=(who or w.teacher).user,
        lesson_id=(lesson or w.lesson).pk,
        student_id=(student or w.st1).pk,
        value=value,
        **kwargs,
    )


def audit(entity: str, entity_id) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(entity=entity, entity_id=str(entity_id)).order_by("at", "id"))


# --- marks ------------------------------------------------------------------------------------


def test_teacher_puts_a_mark_with_the_forms_weight_and_it_is_audited(w):
    mark = put(w, value="4", control_form_id=w.test.pk, comment=" у доски ")
    assert (mark.value, mark.weight, mark.value_five, mark.comment) == ("4", 3, Decimal(4), "у доски")
    [event] = audit("journal.mark", mark.pk)
    assert event.action == "mark_create" and event.actor_id == w.teacher.user.pk
    assert event.changes["value"] == [None, "4"] and event.changes["weight"] == [None, 3]
    assert event.changes["context"]["school"] == w.s1.pk
    assert event.changes["context"]["student"] == w.st1.pk


def test_default_control_form_is_the_lightest(w):
    assert put(w).control_form == w.answer


def test_several_marks_per_lesson(w):
    put(w, value="5")
    put(w, value="3", control_form_id=w.test.pk)
    assert Mark.objects.filter(lesson=w.lesson, student=w.st1).count() == 2


def test_value_outside_the_scale_is_refused(w):
    with pytest.raises(JournalError) as err:
        put(w, value="6")
    assert err.value.field == "value" and "«6»" in err.value.message and "Пятибалльная" in err.value.message
    assert not Mark.objects.exists()


def test_value_is_checked_against_the_schools_own_scale(w):
    from tests.factories import GradingScaleFactory

    GradingScaleFactory(school=w.s1, code="hundred", name="Стобалльная", kind="hundred_point",
                        min_value=0, max_value=100, conversion=[[85, 5], [70, 4], [50, 3], [0, 2]])  # fmt: skip
    mark = put(w, value="87")
    assert mark.value_five == Decimal(5)
    with pytest.raises(JournalError):
        put(w, value="101")
    # school 2 still follows the region's five-point scale
    with pytest.raises(JournalError):
        put(w, who=w.admin2, lesson=w.c_lesson, student=w.st_c, value="87")


def test_control_form_of_another_school_is_refused(w):
    from tests.factories import ControlFormFactory

    own = ControlFormFactory.create(school=w.s2, code="olymp", name="Олимпиада", weight=5)
    with pytest.raises(JournalError) as err:
        put(w, control_form_id=own.pk)
    assert err.value.field == "control_form" and "Ответ на уроке" in err.value.message


def test_mark_for_a_student_not_in_the_class_is_refused(w):
    with pytest.raises(JournalError) as err:
        put(w, student=w.st_b)
    assert err.value.field == "student" and "5А" in err.value.message


def test_mark_for_a_student_who_left_before_the_lesson_is_refused(w):
    Membership.objects.filter(person=w.st3).update(date_to=w.lesson.date - DAY, is_active=False)
    with pytest.raises(JournalError):
        put(w, student=w.st3)
    # …but on an earlier lesson, when the student was still in the class, it is accepted
    Membership.objects.filter(person=w.st3).update(date_to=w.lessons[0].date)
    put(w, student=w.st3, lesson=w.lessons[0])


def test_group_lesson_accepts_members_only(w):
    put(w, lesson=w.english_lesson, student=w.st2)
    with pytest.raises(JournalError) as err:
        put(w, lesson=w.english_lesson, student=w.st3)
    assert "группе" in err.value.message


def test_cancelled_and_future_lessons_take_no_marks(w):
    w.lesson.status = LessonStatus.CANCELLED
    w.lesson.save()
    with pytest.raises(JournalError, match="отменён"):
        put(w)
    with pytest.raises(JournalError, match="ещё не прошёл"):
        put(w, lesson=w.future)
    put(w, lesson=w.today_lesson)


def test_teacher_of_another_class_cannot_write(w):
    with pytest.raises(JournalNotFound):
        put(w, who=w.other_teacher)


def test_substitute_writes_the_lesson_they_teach_only(w):
    put(w, who=w.substitute, lesson=w.sub_lesson)
    with pytest.raises(JournalNotFound):
        put(w, who=w.substitute, lesson=w.lesson)


def test_assigned_teacher_still_writes_a_substituted_lesson(w):
    put(w, who=w.teacher, lesson=w.sub_lesson)


def test_school_admin_writes_own_school_only_and_regional_admin_reads(w):
    put(w, who=w.admin)
    with pytest.raises(JournalNotFound):
        put(w, who=w.admin2)
    with pytest.raises(JournalForbidden):
        services.mark_create(actor=w.rca, lesson_id=w.lesson.pk, student_id=w.st1.pk, value="5")


def test_homeroom_teacher_reads_but_does_not_write(w):
    w.a.class_teacher = w.other_teacher
    w.a.save()
    with pytest.raises(JournalForbidden):
        put(w, who=w.other_teacher)


def test_parent_and_student_cannot_write(w):
    for who in (w.parent, w.st1):
        with pytest.raises(JournalNotFound):
            put(w, who=who)


def test_change_of_value_keeps_the_captured_weight_and_is_audited(w):
    mark = put(w, value="3", control_form_id=w.test.pk)
    w.test.weight = 5
    w.test.save()
    mark = services.mark_update(actor=w.teacher.user, mark_id=mark.pk, value="4")
    assert (mark.value, mark.weight) == ("4", 3)
    change = audit("journal.mark", mark.pk)[-1]
    assert change.action == "mark_change" and change.changes["value"] == ["3", "4"]
    assert "weight" not in change.changes


def test_change_of_control_form_takes_the_new_forms_weight(w):
    mark = put(w, value="3")
    mark = services.mark_update(actor=w.teacher.user, mark_id=mark.pk, control_form_id=w.test.pk)
    assert mark.weight == 3
    assert audit("journal.mark", mark.pk)[-1].changes["weight"] == [1, 3]


def test_unchanged_update_records_nothing(w):
    mark = put(w)
    services.mark_update(actor=w.teacher.user, mark_id=mark.pk, value="5", comment="")
    assert len(audit("journal.mark", mark.pk)) == 1


def test_delete_is_soft_and_audited(w):
    mark = put(w, value="2", control_form_id=w.test.pk, comment="списал")
    services.mark_delete(actor=w.teacher.user, mark_id=mark.pk)
    mark.refresh_from_db()
    assert mark.is_deleted and mark.deleted_at is not None
    changes = audit("journal.mark", mark.pk)[-1].changes
    assert changes["value"] == ["2", None] and changes["weight"] == [3, None]
    assert changes["control_form"] == [w.test.name, None] and changes["comment"] == ["списал", None]
    with pytest.raises(JournalNotFound):
        services.mark_update(actor=w.teacher.user, mark_id=mark.pk, value="5")


def test_other_teacher_cannot_change_or_delete_a_mark(w):
    mark = put(w)
    with pytest.raises(JournalNotFound):
        services.mark_update(actor=w.other_teacher.user, mark_id=mark.pk, value="2")
    with pytest.raises(JournalNotFound):
        services.mark_delete(actor=w.other_teacher.user, mark_id=mark.pk)


# --- attendance -----------------------------------------------------------------------------


def test_attendance_one_entry_per_lesson_changed_and_removed_with_audit(w):
    entry = services.attendance_set(
        actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, kind="н"
    )
    assert entry.kind == "absent"
    same = services.attendance_set(
        actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, kind="ill", reason="справка"
    )
    assert same.pk == entry.pk and (same.kind, same.reason) == ("ill", "справка")
    services.attendance_delete(actor=w.teacher.user, attendance_id=entry.pk)
    assert not Attendance.objects.filter(is_deleted=False).exists()
    assert Attendance.objects.filter(pk=entry.pk, is_deleted=True).exists()
    actions = [e.action for e in audit("journal.attendance", entry.pk)]
    assert actions == ["attendance_create", "attendance_change", "attendance_delete"]
    assert audit("journal.attendance", entry.pk)[1].changes["kind"] == ["absent", "ill"]
    # after removal a new entry may be made
    services.attendance_set(actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, kind="late")


def test_unknown_attendance_kind_is_refused(w):
    with pytest.raises(JournalError) as err:
        services.attendance_set(actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, kind="x")
    assert err.value.field == "kind"


def test_attendance_rules_match_the_marks(w):
    with pytest.raises(JournalError):
        services.attendance_set(actor=w.teacher.user, lesson_id=w.future.pk, student_id=w.st1.pk, kind="н")
    with pytest.raises(JournalError):
        services.attendance_set(actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st_b.pk, kind="н")
    with pytest.raises(JournalNotFound):
        services.attendance_set(
            actor=w.other_teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, kind="н"
        )


# --- notifications ----------------------------------------------------------------------------


def test_new_mark_notifies_parent_and_student_in_app_and_by_email(
    w, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        put(w, value="5", control_form_id=w.test.pk)
    notes = Notification.objects.order_by("recipient_id")
    assert {n.recipient_id for n in notes} == {w.parent.user_id, w.st1.user_id}
    note = notes.get(recipient=w.parent.user)
    assert note.kind == NotificationKind.MARK_NEW and not note.is_read
    assert "Алиев Артём" in note.text and "5" in note.text and "вес 3" in note.text
    assert note.link.startswith(f"/diary/?student={w.st1.pk}")
    assert sorted(m.to[0] for m in mail.outbox) == ["parent@example.ru", "st1@example.ru"]
    body = next(m.body for m in mail.outbox if m.to == ["parent@example.ru"])
    assert "Математика" in body and "http" in body and f"student={w.st1.pk}" in body
    assert all(n.emailed_at is not None for n in notes)
    # the other parent hears nothing
    assert not Notification.objects.filter(recipient=w.parent2.user).exists()


def test_changed_mark_and_absence_notify(w, celery_eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mark = put(w, value="3")
        services.mark_update(actor=w.teacher.user, mark_id=mark.pk, value="4")
        services.attendance_set(
            actor=w.teacher.user, lesson_id=w.lessons[0].pk, student_id=w.st1.pk, kind="ill", reason="ОРВИ"
        )
    kinds = list(Notification.objects.filter(recipient=w.parent.user).values_list("kind", flat=True))
    assert sorted(kinds) == ["absence", "mark_changed", "mark_new"]
    changed = Notification.objects.get(recipient=w.parent.user, kind="mark_changed")
    assert "3 → 4" in changed.text
    absence = Notification.objects.get(recipient=w.parent.user, kind="absence")
    assert "болел" in absence.text and "ОРВИ" in absence.text
    assert len(mail.outbox) == 6


def test_deleted_mark_and_withdrawn_absence_notify(w, celery_eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mark = put(w, value="2")
        entry = services.attendance_set(
            actor=w.teacher.user, lesson_id=w.lessons[0].pk, student_id=w.st1.pk, kind="absent"
        )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_delete(actor=w.teacher.user, mark_id=mark.pk)
        services.attendance_delete(actor=w.teacher.user, attendance_id=entry.pk)
    notes = Notification.objects.filter(recipient=w.parent.user).order_by("-pk")
    withdrawn, deleted = notes[0], notes[1]
    assert deleted.kind == NotificationKind.MARK_CHANGED and "Алиев Артём: оценка 2 удалена" in deleted.text
    assert withdrawn.kind == NotificationKind.ABSENCE and "отметка «отсутствовал» снята" in withdrawn.text
    assert sorted(m.to[0] for m in mail.outbox) == sorted(["parent@example.ru", "st1@example.ru"] * 2)


def test_preferences_decide_the_channels(w, celery_eager, django_capture_on_commit_callbacks):
    services.notification_preference_update(actor=w.parent.user, marks_email=False)
    services.notification_preference_update(actor=w.st1.user, marks_in_app=False, marks_email=False)
    with django_capture_on_commit_callbacks(execute=True):
        put(w)
    assert mail.outbox == []
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [w.parent.user_id]
    # e-mail only: a row for the task, hidden from the in-app list
    services.notification_preference_update(actor=w.parent.user, marks_in_app=False, marks_email=True)
    with django_capture_on_commit_callbacks(execute=True):
        put(w, value="4")
    hidden = Notification.objects.get(in_app=False)
    assert hidden.email_wanted and hidden.emailed_at is not None
    assert [m.to for m in mail.outbox] == [["parent@example.ru"]]


def test_unknown_preference_is_refused(w):
    with pytest.raises(JournalError, match="sms"):
        services.notification_preference_update(actor=w.parent.user, sms=True)
    assert not NotificationPreference.objects.exists()


def test_emails_are_sent_once(w, celery_eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        put(w)
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert services.notification_emails_send(notification_ids=ids) == 0
    assert len(mail.outbox) == 2


def test_mark_read(w):
    put(w)
    [note] = Notification.objects.filter(recipient=w.parent.user)
    assert services.notifications_mark_read(actor=w.parent2.user, notification_ids=[note.pk]) == 0
    assert services.notifications_mark_read(actor=w.parent.user, notification_ids=[note.pk]) == 1
    note.refresh_from_db()
    assert note.is_read


# --- topic and homework -------------------------------------------------------------------------


def test_topic_is_set_changed_and_audited(w):
    services.lesson_topic_set(actor=w.teacher.user, lesson_id=w.lesson.pk, topic="Дроби")
    services.lesson_topic_set(actor=w.teacher.user, lesson_id=w.lesson.pk, topic="Десятичные дроби")
    events = audit("journal.lesson", w.lesson.pk)
    assert [e.changes["topic"] for e in events] == [["", "Дроби"], ["Дроби", "Десятичные дроби"]]
    with pytest.raises(JournalNotFound):
        services.lesson_topic_set(actor=w.other_teacher.user, lesson_id=w.lesson.pk, topic="x")


def test_homework_is_due_at_the_next_lesson_by_default(w):
    hw = services.homework_create(actor=w.teacher.user, lesson_id=w.lessons[0].pk, text="№ 12, 14")
    assert hw.due_lesson == w.lessons[1]
    hw = services.homework_create(actor=w.teacher.user, lesson_id=w.lesson.pk, text="№ 20")
    assert hw.due_lesson == w.sub_lesson  # the next lesson, whoever teaches it


def test_homework_due_rules(w):
    with pytest.raises(JournalError) as err:
        services.homework_create(actor=w.teacher.user, lesson_id=w.future.pk, text="x")
    assert err.value.field == "due_date"
    hw = services.homework_create(
        actor=w.teacher.user, lesson_id=w.future.pk, text="Повторить", due_date=w.future.date + 7 * DAY
    )
    assert hw.due_lesson is None and hw.due_date == w.future.date + 7 * DAY
    with pytest.raises(JournalError, match="после того"):
        services.homework_create(
            actor=w.teacher.user, lesson_id=w.lesson.pk, text="x", due_lesson_id=w.lessons[0].pk
        )
    with pytest.raises(JournalError, match="не найден"):
        services.homework_create(
            actor=w.teacher.user, lesson_id=w.lesson.pk, text="x", due_lesson_id=w.b_lesson.pk
        )
    with pytest.raises(JournalError, match="пуст"):
        services.homework_create(actor=w.teacher.user, lesson_id=w.lesson.pk, text="  ")


def test_homework_variants_files_and_done_flag(w):
    hw = services.homework_create(actor=w.teacher.user, lesson_id=w.lessons[0].pk, text="Вариант 1")
    services.homework_variant_set(
        actor=w.teacher.user, homework_id=hw.pk, student_id=w.st2.pk, text="Вариант 2"
    )
    with pytest.raises(JournalError):
        services.homework_variant_set(
            actor=w.teacher.user, homework_id=hw.pk, student_id=w.st_b.pk, text="Вариант 3"
        )
    upload = SimpleUploadedFile("задание.pdf", "текст задания".encode(), content_type="application/pdf")
    attachment = services.homework_file_add(actor=w.teacher.user, homework_id=hw.pk, upload=upload)
    assert "/region_05/" in default_storage.path(attachment.file.name)
    assert default_storage.open(attachment.file.name).read().decode() == "текст задания"
    empty = SimpleUploadedFile("пусто.txt", b"")
    with pytest.raises(JournalError, match="пуст"):
        services.homework_file_add(actor=w.teacher.user, homework_id=hw.pk, upload=empty)
    # only the student ticks it; a parent or another class cannot
    services.homework_done_set(actor=w.st1.user, homework_id=hw.pk, done=True)
    assert HomeworkDone.objects.get(homework=hw, student=w.st1).done
    with pytest.raises(JournalNotFound):
        services.homework_done_set(actor=w.parent.user, homework_id=hw.pk, done=True)
    default_storage.delete(attachment.file.name)


def test_homework_delete_is_soft(w):
    hw = services.homework_create(actor=w.teacher.user, lesson_id=w.lessons[0].pk, text="x")
    services.homework_delete(actor=w.teacher.user, homework_id=hw.pk)
    hw.refresh_from_db()
    assert hw.is_deleted
    with pytest.raises(JournalNotFound):
        services.homework_update(actor=w.teacher.user, homework_id=hw.pk, text="y")


# --- final marks --------------------------------------------------------------------------------


def final(w, who=None, period=None, value="5", student=None, **kwargs):
    if "academic_year_id" not in kwargs:
        kwargs["period_id"] = (period or w.period).pk
    return services.final_mark_set(
        actor=(who or w.teacher).user,
        student_id=(student or w.st1).pk,
        subject_id=w.math.pk,
        school_class_id=w.a.pk,
        value=value,
        **kwargs,
    )


def test_final_confirms_the_weighted_average_or_overrides_it(w):
    put(w, value="5", lesson=w.lessons[0])
    put(w, value="4", lesson=w.lessons[1], control_form_id=w.test.pk)  # (5 + 4·3) / 4 = 4.25 → 4
    confirmed = final(w, value="4")
    assert (confirmed.proposed_average, confirmed.proposed_value) == (Decimal("4.25"), "4")
    assert not confirmed.is_override
    changed = final(w, value="5")
    assert changed.pk == confirmed.pk and changed.is_override
    events = audit("journal.final_mark", confirmed.pk)
    assert [e.action for e in events] == ["final_mark_create", "final_mark_change"]
    assert events[1].changes["value"] == ["4", "5"]


def test_final_value_must_be_a_final_mark(w):
    with pytest.raises(JournalError) as err:
        final(w, value="4+")
    assert err.value.field == "value" and "н/а" in err.value.message


def test_final_after_the_period_closed_only_by_the_school_admin(w):
    with pytest.raises(JournalForbidden) as err:
        final(w, period=w.closed)
    assert "закрыт" in err.value.message and "администратор" in err.value.message
    assert final(w, who=w.admin, period=w.closed).value == "5"
    with pytest.raises(JournalNotFound):
        final(w, who=w.admin2, period=w.closed)


def test_final_by_other_teacher_or_substitute_is_refused(w):
    with pytest.raises(JournalNotFound):
        final(w, who=w.other_teacher)
    with pytest.raises(JournalNotFound):
        final(w, who=w.substitute)


def test_final_for_a_student_outside_the_class_is_refused(w):
    with pytest.raises(JournalError, match="не числится"):
        final(w, student=w.st_b)


def test_year_final_proposes_the_mean_of_period_finals(w):
    final(w, who=w.admin, period=w.closed, value="5")
    final(w, value="4")
    year = final(w, academic_year_id=w.year.pk, value="5")
    assert year.period is None and year.proposed_average == Decimal("4.50") and year.proposed_value == "5"
    assert not year.is_override
    with pytest.raises(JournalError) as err:  # neither a period nor a year
        services.final_mark_set(
            actor=w.teacher.user, student_id=w.st1.pk, subject_id=w.math.pk, school_class_id=w.a.pk, value="5"
        )
    assert err.value.field == "academic_year"


def test_final_delete_is_soft_and_respects_closing(w):
    f = final(w, who=w.admin, period=w.closed)
    with pytest.raises(JournalForbidden):
        services.final_mark_delete(actor=w.teacher.user, final_mark_id=f.pk)
    services.final_mark_delete(actor=w.admin.user, final_mark_id=f.pk)
    assert FinalMark.objects.get(pk=f.pk).is_deleted
    assert audit("journal.final_mark", f.pk)[-1].action == "final_mark_delete"


def test_period_of_another_year_is_refused(w):
    from tests.factories import AcademicYearFactory

    other_year = AcademicYearFactory(school=w.s2, name="Другой год")
    other = StudyPeriodFactory(academic_year=other_year, number=1)
    with pytest.raises(JournalError) as err:
        final(w, period=other)
    assert err.value.field == "period"


def test_lesson_factory_is_consistent(w):
    lesson = LessonFactory(school_class=w.b, period=w.period)
    assert lesson.school == w.b.school


def test_marks_and_attendance_of_a_closed_period_only_by_the_school_admin(w):
    """The period's finals rest on its marks: after its closing date the teacher no longer changes
    them (nor attendance); the school admin still can, and it is audited like any change."""
    admin_mark = put(w, who=w.admin, lesson=w.closed_lesson, value="4")
    for attempt in (
        lambda: put(w, lesson=w.closed_lesson),
        lambda: services.mark_update(actor=w.teacher.user, mark_id=admin_mark.pk, value="5"),
        lambda: services.mark_delete(actor=w.teacher.user, mark_id=admin_mark.pk),
        lambda: services.attendance_set(
            actor=w.teacher.user, lesson_id=w.closed_lesson.pk, student_id=w.st1.pk, kind="absent"
        ),
    ):
        with pytest.raises(JournalForbidden) as err:
            attempt()
        assert err.value.field == "lesson"
        assert "закрыт" in err.value.message and "администратор школы" in err.value.message
        assert w.closed.closes_on.strftime("%d.%m.%Y") in err.value.message
    assert Mark.objects.get(pk=admin_mark.pk).value == "4"
    assert services.mark_update(actor=w.admin.user, mark_id=admin_mark.pk, value="5").value == "5"
    entry = services.attendance_set(
        actor=w.admin.user, lesson_id=w.closed_lesson.pk, student_id=w.st2.pk, kind="ill"
    )
    with pytest.raises(JournalForbidden):
        services.attendance_delete(actor=w.teacher.user, attendance_id=entry.pk)
    services.attendance_delete(actor=w.admin.user, attendance_id=entry.pk)
    # the open period is the teacher's as before
    assert put(w, value="3").value == "3"
