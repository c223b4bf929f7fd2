"""Dated lessons: generation from the template (weekdays, parity, holidays, validity,
idempotency, lessons with journal content are never deleted) and changes on a date."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import tenant_context

from core.models import AuditEvent
from regions.academics.calendar import HolidayDraft, PeriodDraft
from regions.academics.services import academic_year_update
from regions.timetable.content import lessons_with_content
from regions.timetable.models import Lesson, LessonStatus
from regions.timetable.services import (
    EntryDraft,
    lesson_cancel,
    lesson_move,
    lesson_restore,
    lesson_set_remote,
    lesson_substitute,
    lessons_generate,
    timetable_entry_create,
    timetable_entry_delete,
    timetable_entry_update,
    week_one_monday,
)
from tests.config_world import build_world
from tests.factories import SchoolClassFactory, make_teacher


@pytest.fixture
def w(region_a):
    with tenant_context(region_a):
        yield build_world()


def put(w, teacher, subj, *, cls=None, group=None, day=1, n=1, room=None, **kw):
    return timetable_entry_create(
        school=w.school,
        academic_year=w.year,
        draft=EntryDraft(
            weekday=day,
            lesson_number=n,
            subject_id=subj.pk,
            teacher_id=teacher.pk,
            school_class_id=cls.pk if cls else None,
            group_id=group.pk if group else None,
            room_id=room.pk if room else None,
            **kw,
        ),
    )


def q2(w):
    return w.year.periods.get(number=2)


def school_days(period, weekday, holidays=(), parity="every", week1=None):
    """The expected dates, computed the plain way."""
    day, out = period.starts_on, []
    while day <= period.ends_on:
        if day.isoweekday() == weekday and day not in holidays:
            odd = ((day - week1).days // 7) % 2 == 0 if week1 else True
            if parity == "every" or (parity == "odd") == odd:
                out.append(day)
        day += datetime.timedelta(days=1)
    return out


def add_holidays(w, *extra: HolidayDraft):
    year = w.year
    periods = [PeriodDraft(p.number, p.name, p.starts_on, p.ends_on, p.closes_on) for p in year.periods.all()]
    holidays = [
        HolidayDraft(h.name, h.kind, h.starts_on, h.ends_on, h.parallels) for h in year.holidays.all()
    ]
    academic_year_update(
        year=year,
        starts_on=year.starts_on,
        ends_on=year.ends_on,
        period_kind=year.period_kind,
        periods=periods,
        holidays=holidays + list(extra),
    )


def test_generation_follows_weekdays_parity_and_holidays(w):
    monday = datetime.date(2030, 11, 18)
    wednesday = datetime.date(2030, 11, 20)
    add_holidays(
        w,
        HolidayDraft("Региональный праздник", "public", monday, monday),
        HolidayDraft("Карантин 6 классов", "other", wednesday, wednesday, parallels=[6]),
    )
    put(w, w.ivanova, w.math, cls=w.c5a, day=1, n=1)
    put(w, w.ivanova, w.math, cls=w.c5a, day=2, n=2, parity="odd")
    put(w, w.ivanova, w.math, cls=w.c5a, day=3, n=1)
    put(w, w.ivanova, w.math, cls=w.c6b, day=3, n=2)
    period = q2(w)
    report = lessons_generate(school=w.school, period=period)
    lessons = Lesson.objects.filter(school=w.school)
    week1 = week_one_monday(w.year)
    mondays = school_days(period, 1, holidays={monday})
    odd_tuesdays = school_days(period, 2, parity="odd", week1=week1)
    wednesdays = school_days(period, 3)
    assert report.created == len(mondays) + len(odd_tuesdays) + 2 * len(wednesdays) - 1
    assert (
        sorted(
            lessons.filter(school_class=w.c5a, lesson_number=1, date__week_day=2).values_list(
                "date", flat=True
            )
        )
        == mondays
    )
    assert (
        sorted(lessons.filter(lesson_number=2, school_class=w.c5a).values_list("date", flat=True))
        == odd_tuesdays
    )
    assert wednesday in set(
        lessons.filter(school_class=w.c5a, date__week_day=4).values_list("date", flat=True)
    )
    assert wednesday not in set(lessons.filter(school_class=w.c6b).values_list("date", flat=True))
    first = lessons.filter(lesson_number=1).order_by("date")[0]
    assert (first.starts_at, first.ends_at) == (datetime.time(8, 0), datetime.time(8, 45))
    assert (
        first.period_id == period.pk
        and first.teacher_id == w.ivanova.pk
        and first.acting_teacher_id == w.ivanova.pk
    )


def test_regeneration_is_idempotent_and_keeps_lessons_with_content(w):
    entry = put(w, w.ivanova, w.math, cls=w.c5a, day=1, n=1, room=w.r204)
    period = q2(w)
    first = lessons_generate(school=w.school, period=period)
    assert first.created > 3
    again = lessons_generate(school=w.school, period=period)
    assert again.as_dict() == {"created": 0, "updated": 0, "removed": 0, "kept_with_content": 0}
    assert Lesson.objects.filter(school=w.school).count() == first.created

    # the journal (a table written later) points at one lesson
    marked = Lesson.objects.filter(template_entry=entry).order_by("date")[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE zz_journal_mark (id serial PRIMARY KEY, lesson_id bigint REFERENCES timetable_lesson(id))"
        )
        cursor.execute("INSERT INTO zz_journal_mark (lesson_id) VALUES (%s)", [marked.pk])
    assert lessons_with_content([marked.pk]) == {marked.pk}

    # a template change reaches the lessons without content only
    timetable_entry_update(entry=entry, room_id=w.r205.pk)
    marked.refresh_from_db()
    assert marked.room_id == w.r204.pk
    assert set(
        Lesson.objects.filter(template_entry=entry).exclude(pk=marked.pk).values_list("room_id", flat=True)
    ) == {w.r205.pk}

    # the entry goes: its lessons go too, except the one with journal content
    timetable_entry_delete(entry=entry)
    assert list(Lesson.objects.filter(school=w.school)) == [marked]
    marked.refresh_from_db()
    assert marked.template_entry_id is None
    assert lessons_generate(school=w.school, period=period).created == 0


def test_regeneration_removes_stale_lessons_but_keeps_moved_and_reports_kept(w):
    entry = put(w, w.ivanova, w.math, cls=w.c5a, day=1, n=1)
    period = q2(w)
    lessons_generate(school=w.school, period=period)
    lesson = Lesson.objects.filter(template_entry=entry).order_by("date")[0]
    lesson_move(lesson=lesson, date=lesson.date + datetime.timedelta(days=1), lesson_number=3)
    again = lessons_generate(school=w.school, period=period)
    assert again.created == 0  # the moved lesson still stands for its planned date
    lesson.refresh_from_db()
    assert lesson.moved_from_date == lesson.date - datetime.timedelta(days=1)

    # a new holiday on a lesson date: that lesson is removed at regeneration
    victim = Lesson.objects.filter(template_entry=entry, moved_from_date__isnull=True).order_by("-date")[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE zz_att (id serial PRIMARY KEY, lesson_id bigint REFERENCES timetable_lesson(id))"
        )
        cursor.execute("INSERT INTO zz_att (lesson_id) VALUES (%s)", [victim.pk])
    other = Lesson.objects.filter(template_entry=entry, moved_from_date__isnull=True).order_by("date")[1]
    add_holidays(
        w,
        HolidayDraft("Нерабочий день", "other", victim.date, victim.date),
        HolidayDraft("Нерабочий день 2", "other", other.date, other.date),
    )
    report = lessons_generate(school=w.school, period=period)
    assert report.removed == 1 and report.kept_with_content == 1
    assert Lesson.objects.filter(pk=victim.pk).exists() and not Lesson.objects.filter(pk=other.pk).exists()


def test_dated_lessons_follow_a_bell_change_at_once(w):
    """The region moves lesson 1 by five minutes: the generated lessons (and a moved one) show
    the new times without anyone regenerating."""
    from regions.academics.models import BellSchedule
    from regions.academics.services import bell_schedule_update

    put(w, w.ivanova, w.math, cls=w.c5a, day=1, n=1)
    put(w, w.sidorov, w.rus, cls=w.c5a, day=1, n=2)
    lessons_generate(school=w.school, period=q2(w))
    first = Lesson.objects.filter(school_class=w.c5a, lesson_number=1).order_by("date")[0]
    lesson_move(lesson=first, date=first.date + datetime.timedelta(days=1), lesson_number=3)
    schedule = BellSchedule.objects.get(school__isnull=True, shift=1)
    bells = [(b.lesson_number, b.starts_at, b.ends_at) for b in schedule.bells.order_by("lesson_number")]
    bells[0] = (1, datetime.time(8, 5), datetime.time(8, 50))
    bells[2] = (3, datetime.time(10, 5), datetime.time(10, 50))
    bell_schedule_update(schedule=schedule, name=schedule.name, bells=bells)
    times = set(
        Lesson.objects.filter(school_class=w.c5a, lesson_number=1).values_list("starts_at", "ends_at")
    )
    assert times == {(datetime.time(8, 5), datetime.time(8, 50))}
    first.refresh_from_db()
    assert (first.starts_at, first.ends_at) == (datetime.time(10, 5), datetime.time(10, 50))
    second = set(Lesson.objects.filter(school_class=w.c5a, lesson_number=2).values_list("starts_at"))
    assert second == {(bells[1][1],)}


def test_inactive_class_gets_no_lessons(w):
    put(w, w.ivanova, w.math, cls=w.c5b, day=1, n=1)
    w.c5b.is_active = False  # left the registry
    w.c5b.save()
    assert lessons_generate(school=w.school, period=q2(w)).created == 0


def test_generation_refuses_a_period_of_another_school(w):
    from tests.factories import make_year

    own = make_year(2031, school=w.other_school)
    with pytest.raises(ValidationError, match="другой школы"):
        lessons_generate(school=w.school, period=own.periods.order_by("number")[0])


# --- changes on a date ---------------------------------------------------------------------------


@pytest.fixture
def day_lessons(w):
    put(w, w.ivanova, w.math, cls=w.c5a, day=1, n=1, room=w.r204)
    put(w, w.sidorov, w.rus, cls=w.c5a, day=1, n=2, room=w.r205)
    put(w, w.ivanova, w.math, cls=w.c5b, day=1, n=2, room=w.r204)
    lessons_generate(school=w.school, period=q2(w))
    day = datetime.date(2030, 11, 11)
    get = lambda cls, n: Lesson.objects.get(school_class=cls, date=day, lesson_number=n)  # noqa: E731
    return day, get


def test_substitution(w, day_lessons):
    day, get = day_lessons
    math_5a = get(w.c5a, 1)
    lesson = lesson_substitute(lesson=math_5a, substitute=w.smirnova, note="болезнь")
    assert lesson.acting_teacher_id == w.smirnova.pk and lesson.teacher_id == w.ivanova.pk
    # Ivanova is free at lesson 1 now, but Sidorov is busy at lesson 2 (5А, Russian)
    with pytest.raises(ValidationError) as exc:
        lesson_substitute(lesson=get(w.c5b, 2), substitute=w.sidorov)
    assert "Учитель Сидоров П. И. уже ведёт урок в 5А 11.11.2030, 2 урок" in exc.value.messages[0]
    # a substitute busy as a substitute elsewhere is busy too
    other = Lesson.objects.create(
        school=w.school,
        period=q2(w),
        date=day,
        lesson_number=1,
        starts_at=datetime.time(8),
        ends_at=datetime.time(8, 45),
        school_class=SchoolClassFactory.create(school=w.school, parallel=7, letter="А"),
        subject=w.rus,
        teacher=w.sidorov,
    )
    with pytest.raises(
        ValidationError, match=re.escape("Смирнова О. И. уже ведёт урок в 5А 11.11.2030, 1 урок")
    ):
        lesson_substitute(lesson=other, substitute=w.smirnova)
    outsider = make_teacher(w.other_school, "Орлова", "Нина", "Юрьевна")
    with pytest.raises(ValidationError, match="не работает учителем в этой школе"):
        lesson_substitute(lesson=math_5a, substitute=outsider)
    assert AuditEvent.objects.filter(action="lesson_substitute", entity_id=str(math_5a.pk)).exists()


def test_cancel_and_restore(w, day_lessons):
    _day, get = day_lessons
    lesson = get(w.c5a, 1)
    with pytest.raises(ValidationError, match="Укажите причину"):
        lesson_cancel(lesson=lesson, reason=" ")
    lesson = lesson_cancel(lesson=lesson, reason="Учитель на курсах")
    assert lesson.status == LessonStatus.CANCELLED and lesson.change_note == "Учитель на курсах"
    # a cancelled lesson frees its time: Russian can move into it
    lesson_move(lesson=get(w.c5a, 2), date=lesson.date, lesson_number=1)
    with pytest.raises(ValidationError, match="Класс 5А уже занят"):
        lesson_restore(lesson=lesson)


def test_move(w, day_lessons):
    day, get = day_lessons
    lesson = get(w.c5a, 1)
    tuesday = day + datetime.timedelta(days=1)
    moved = lesson_move(lesson=lesson, date=tuesday, lesson_number=4, note="замена кабинета")
    assert (moved.date, moved.lesson_number, moved.moved_from_date, moved.moved_from_number) == (
        tuesday,
        4,
        day,
        1,
    )
    assert (moved.starts_at, moved.ends_at) == (datetime.time(11, 5), datetime.time(11, 50))
    # moved again: still remembers where it was planned
    moved = lesson_move(lesson=moved, date=tuesday, lesson_number=5)
    assert (moved.moved_from_date, moved.moved_from_number) == (day, 1)
    # class busy at the target
    with pytest.raises(ValidationError) as exc:
        lesson_move(lesson=moved, date=day, lesson_number=2)
    assert "Класс 5А уже занят 11.11.2030, 2 урок: Русский язык, Сидоров П. И." in " ".join(
        exc.value.messages
    )
    # the teacher busy at the target (5Б math at lesson 2)
    with pytest.raises(ValidationError, match=re.escape("Учитель Иванова А. П. уже ведёт урок в 5Б")):
        lesson_move(lesson=moved, date=day, lesson_number=2, room=w.r205)
    for bad_day, expected in (
        (datetime.date(2030, 12, 31), "Зимние каникулы"),
        (datetime.date(2030, 11, 17), "воскресенье"),
        (datetime.date(2031, 6, 10), "не входит ни в один учебный период"),
    ):
        with pytest.raises(ValidationError, match=expected):
            lesson_move(lesson=moved, date=bad_day, lesson_number=1)
    with pytest.raises(ValidationError, match="урок 9 вне расписания звонков «1 смена»"):
        lesson_move(lesson=moved, date=tuesday, lesson_number=9)
    # back to where it was planned: no longer a moved lesson
    back = lesson_move(lesson=moved, date=day, lesson_number=1)
    assert back.moved_from_date is None and back.moved_from_number is None
    assert AuditEvent.objects.filter(action="lesson_move", entity_id=str(lesson.pk)).count() == 3


def test_remote_lesson(w, day_lessons):
    _day, get = day_lessons
    lesson = get(w.c5a, 1)
    with pytest.raises(ValidationError, match="нужна ссылка"):
        lesson_set_remote(lesson=lesson, is_remote=True)
    with pytest.raises(ValidationError, match="не ссылка http"):
        lesson_set_remote(lesson=lesson, is_remote=True, video_url="javascript:alert(1)")
    lesson = lesson_set_remote(lesson=lesson, is_remote=True, video_url="https://sferum.ru/?call_link=abc")
    assert lesson.is_remote and lesson.video_url.startswith("https://")
    lesson = lesson_set_remote(lesson=lesson, is_remote=False)
    assert not lesson.is_remote and lesson.video_url == ""
