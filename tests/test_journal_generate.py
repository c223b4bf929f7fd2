"""The set-based fill of the journal (benchmark and demo): it keeps the services' rules."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Count
from django_tenants.utils import tenant_context

from regions.journal.generate import journal_fill
from regions.journal.models import Attendance, Homework, LessonContent, Mark
from regions.people.models import Membership
from tests.factories import MembershipFactory, PersonFactory


@pytest.fixture
def w(journal_world, region_a):
    with tenant_context(region_a):
        for _ in range(20):
            MembershipFactory(person=PersonFactory(), school_class=journal_world.a, role="student")
        yield journal_world


def test_fill_keeps_the_rules_and_runs_once(w):
    start = w.today - datetime.timedelta(days=60)
    counts = journal_fill(date_from=start, date_to=w.today, today=w.today, mark_rate=0.5, absence_rate=0.1)
    assert counts.marks > 0 and counts.lessons > 0 and counts.topics == counts.lessons
    marks = Mark.objects.select_related("lesson")
    assert all(m.lesson.date <= w.today and m.lesson.status == "scheduled" for m in marks)
    assert set(marks.values_list("value", flat=True)) <= {"2", "3", "4", "5"}
    assert all(m.weight == m.control_form.weight and m.value_five == int(m.value) for m in marks)
    # every marked student belongs to the lesson's class (or group)
    for mark in marks:
        lesson = mark.lesson
        if lesson.school_class_id:
            assert Membership.objects.filter(
                person=mark.student, school_class_id=lesson.school_class_id
            ).exists()
        else:
            assert lesson.group is not None and lesson.group.members.filter(pk=mark.student_id).exists()
    assert not Attendance.objects.values("lesson", "student").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not Mark.objects.filter(lesson=w.future).exists()
    hw = Homework.objects.filter(lesson=w.lessons[0]).first()
    if hw is not None:
        assert hw.due_lesson == w.lessons[1]
    again = journal_fill(date_from=start, date_to=w.today, today=w.today)
    assert again.marks == 0 and again.lessons == 0
    assert LessonContent.objects.count() == counts.topics


def test_fill_refuses_bad_rates(w):
    with pytest.raises(ValueError, match="доли"):
        journal_fill(date_from=w.today, date_to=w.today, today=w.today, mark_rate=0.9, absence_rate=0.2)


def test_demo_fills_the_current_period_and_notifies_demo_accounts(w, region_a):
    from regions.journal.demo import journal_demo
    from regions.journal.models import Notification

    counts = journal_demo(region=region_a)
    assert counts is not None and counts.marks > 0
    # every student with an account or a parent with one hears of their latest marks
    since = w.today - datetime.timedelta(days=7)
    marked = set(Mark.objects.filter(lesson__date__gte=since).values_list("student_id", flat=True))
    expected = {(w.parent.user_id, w.st1.pk), (w.st1.user_id, w.st1.pk), (w.parent2.user_id, w.st2.pk)}
    expected = {(u, s) for u, s in expected if s in marked}
    assert expected, "the seed gives the cast no recent marks"
    got = set(Notification.objects.values_list("recipient_id", "student_id"))
    assert expected <= got
    assert not Mark.objects.filter(lesson__period=w.closed).exists()  # only the current period
    notes = Notification.objects.count()
    again = journal_demo(region=region_a)
    assert again is not None and again.marks == 0 and Notification.objects.count() == notes
