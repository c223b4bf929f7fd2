"""Conflict detection of the weekly template: teacher, room, class; subgroups, cross-class
groups, week parity, validity dates; every refusal names the clash."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from regions.teaching.models import GroupKind
from regions.teaching.services import study_group_create
from regions.timetable.models import TimetableEntry
from regions.timetable.services import (
    EntryDraft,
    school_timetable_check,
    timetable_entries_save,
    timetable_entry_create,
    timetable_entry_update,
)
from tests.config_world import build_world
from tests.factories import SchoolClassFactory, make_student, make_teacher


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


def refused(fn, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as exc:
        fn(*args, **kwargs)
    return " | ".join(exc.value.messages)


def test_teacher_in_two_classes_at_once_is_refused_with_the_clash_named(w):
    put(w, w.ivanova, w.math, cls=w.c6b, day=1, n=2)
    message = refused(put, w, w.ivanova, w.math, cls=w.c5a, day=1, n=2)
    assert (
        "5А, понедельник, 2 урок: Учитель Иванова А. П. уже ведёт урок в 6Б в понедельник, 2 урок" in message
    )
    # another lesson number or day is fine
    put(w, w.ivanova, w.math, cls=w.c5a, day=1, n=3)
    put(w, w.ivanova, w.math, cls=w.c5a, day=2, n=2)


def test_room_taken_is_refused(w):
    put(w, w.ivanova, w.math, cls=w.c6b, day=3, n=1, room=w.r204)
    message = refused(put, w, w.sidorov, w.rus, cls=w.c5a, day=3, n=1, room=w.r204)
    assert "Кабинет «204» уже занят в среду, 1 урок: 6Б, Математика (Иванова А. П.)" in message


def test_class_in_two_places_is_refused(w):
    put(w, w.ivanova, w.math, cls=w.c5a, day=2, n=4)
    message = refused(put, w, w.sidorov, w.rus, cls=w.c5a, day=2, n=4)
    assert "Класс 5А уже занят во вторник, 4 урок: Математика, Иванова А. П." in message


def test_two_subgroups_of_one_class_study_at_once_but_not_with_the_whole_class(w):
    put(w, w.petrova, w.eng, group=w.g1, day=1, n=5)
    put(w, w.smirnova, w.eng, group=w.g2, day=1, n=5)  # English groups at the same time: fine
    message = refused(put, w, w.sidorov, w.rus, cls=w.c5a, day=1, n=5)
    assert (
        "Класс 5А уже занят в понедельник, 5 урок: Иностранный язык (английский) (5А — Англ. яз., гр. 1)"
        in message
    )
    # and the other way round: a subgroup where the whole class already is
    put(w, w.sidorov, w.rus, cls=w.c5a, day=2, n=5)
    message = refused(put, w, w.petrova, w.eng, group=w.g1, day=2, n=5)
    assert "Класс 5А уже занят во вторник, 5 урок: Русский язык, Сидоров П. И." in message


def test_cross_class_group_clashes_with_the_classes_of_its_members(w):
    elective = study_group_create(
        school=w.school,
        name="Кружок математики",
        kind=GroupKind.CROSS_CLASS,
        subject=w.math,
        members=[w.students_5a[0], make_student(w.c6b)],
    )
    w.load(w.ivanova, w.math, group=elective, hours=1)
    put(w, w.sidorov, w.rus, cls=w.c5a, day=4, n=6)
    message = refused(put, w, w.ivanova, w.math, group=elective, day=4, n=6)
    assert "Класс 5А уже занят в четверг, 6 урок: Русский язык, Сидоров П. И." in message
    # 5Б has no member in the group: a 5Б lesson at the same time as the group is fine
    put(w, w.ivanova, w.math, group=elective, day=4, n=2)
    put(w, w.sidorov, w.rus, cls=w.c5b, day=4, n=2)
    # a subgroup of 5А with a shared student clashes; the other subgroup (no shared student) does not
    assert w.students_5a[0] in w.g1.members.all()
    message = refused(put, w, w.petrova, w.eng, group=w.g1, day=4, n=2)
    assert "Класс 5А уже занят" in message and "Кружок математики" in message
    put(w, w.smirnova, w.eng, group=w.g2, day=4, n=2)


def test_week_parity(w):
    put(w, w.ivanova, w.math, cls=w.c5a, day=5, n=1, parity="odd")
    put(w, w.ivanova, w.math, cls=w.c5b, day=5, n=1, parity="even")  # alternate weeks: fine
    message = refused(put, w, w.ivanova, w.math, cls=w.c6b, day=5, n=1)  # every week meets both
    assert "Учитель Иванова А. П. уже ведёт урок в 5А в пятницу, 1 урок" in message


def test_validity_dates(w):
    first_half = dict(valid_from=w.year.starts_on, valid_to=datetime.date(2030, 12, 31))
    second_half = dict(valid_from=datetime.date(2031, 1, 1), valid_to=w.year.ends_on)
    put(w, w.ivanova, w.math, cls=w.c5a, day=3, n=3, **first_half)
    put(w, w.ivanova, w.math, cls=w.c5b, day=3, n=3, **second_half)  # no overlap in time: fine
    message = refused(
        put,
        w,
        w.ivanova,
        w.math,
        cls=w.c6b,
        day=3,
        n=3,
        valid_from=datetime.date(2030, 12, 1),
        valid_to=w.year.ends_on,
    )
    assert "уже ведёт урок в 5А" in message and "уже ведёт урок в 5Б" in message


def test_teacher_clash_across_schools(w):
    other_class = SchoolClassFactory.create(school=w.other_school, parallel=5, letter="В")
    from regions.people.models import Membership

    Membership.objects.create(person=w.ivanova, school=w.other_school, role="teacher")
    from regions.teaching.services import teaching_assignment_create

    teaching_assignment_create(
        school=w.other_school,
        teacher=w.ivanova,
        subject=w.math,
        school_class=other_class,
        academic_year=w.year,
    )
    timetable_entry_create(
        school=w.other_school,
        academic_year=w.year,
        draft=EntryDraft(
            weekday=1,
            lesson_number=7,
            subject_id=w.math.pk,
            teacher_id=w.ivanova.pk,
            school_class_id=other_class.pk,
        ),
    )
    message = refused(put, w, w.ivanova, w.math, cls=w.c5a, day=1, n=7)
    assert "Учитель Иванова А. П. уже ведёт урок в 5В (МБОУ СОШ №2) в понедельник, 7 урок" in message


def test_different_shifts_clash_by_time_not_by_number(w):
    # 2nd shift lesson 1 (13:30–14:15) meets 1st shift lesson 7 (13:50–14:35)
    w.c6b.shift = 2
    w.c6b.save()
    put(w, w.ivanova, w.math, cls=w.c5a, day=2, n=7)
    message = refused(put, w, w.ivanova, w.math, cls=w.c6b, day=2, n=1)
    assert "Учитель Иванова А. П. уже ведёт урок в 5А во вторник, 7 урок" in message
    put(w, w.ivanova, w.math, cls=w.c6b, day=2, n=3)  # 15:30: free


def test_a_batch_is_checked_against_itself_and_saved_all_or_nothing(w):
    drafts = [
        EntryDraft(
            weekday=1,
            lesson_number=1,
            subject_id=w.math.pk,
            teacher_id=w.ivanova.pk,
            school_class_id=w.c5a.pk,
        ),
        EntryDraft(
            weekday=1,
            lesson_number=1,
            subject_id=w.math.pk,
            teacher_id=w.ivanova.pk,
            school_class_id=w.c5b.pk,
        ),
        EntryDraft(
            weekday=1, lesson_number=2, subject_id=w.rus.pk, teacher_id=w.sidorov.pk, school_class_id=w.c5a.pk
        ),
    ]
    message = refused(timetable_entries_save, school=w.school, academic_year=w.year, drafts=drafts)
    assert "Учитель Иванова А. П. уже ведёт урок в 5Б в понедельник, 1 урок" in message
    assert not TimetableEntry.objects.filter(school=w.school).exists()


def test_a_clash_in_english_writes_the_weekday_as_english_does(w):
    from django.utils import translation

    put(w, w.ivanova, w.math, cls=w.c6b, day=1, n=2)
    with translation.override("en"):
        message = refused(put, w, w.ivanova, w.math, cls=w.c5a, day=1, n=2)
    assert message.startswith("5А, Monday, lesson 2:"), message
    assert "monday" not in message


def test_update_in_place_is_not_a_clash_with_itself(w):
    entry = put(w, w.ivanova, w.math, cls=w.c5a, day=1, n=1, room=w.r204)
    timetable_entry_update(entry=entry, room_id=w.r205.pk)
    entry.refresh_from_db()
    assert entry.room_id == w.r205.pk


def test_whole_school_check_finds_stored_clashes(w, assert_queries):
    put(w, w.ivanova, w.math, cls=w.c5a, day=1, n=1)
    put(w, w.sidorov, w.rus, cls=w.c5b, day=1, n=1)
    assert school_timetable_check(school=w.school, academic_year=w.year) == []
    # a clash that slipped in behind the services' back (e.g. a raw import) is found
    TimetableEntry.objects.filter(school_class=w.c5b).update(teacher=w.ivanova)
    with assert_queries(5):  # year, clashes, names, departed teachers, closed classes
        clashes = school_timetable_check(school=w.school, academic_year=w.year)
    assert [c.kind for c in clashes] == ["teacher"]
    assert "Учитель Иванова А. П. уже ведёт урок в" in clashes[0].message


def test_lessons_of_a_teacher_the_registry_no_longer_lists_are_reported(w):
    """A re-import deactivates a teacher's membership and leaves configuration alone: the
    school check names every template lesson that teacher still has, and says what to do."""
    from regions.people.models import Membership

    put(w, w.sidorov, w.rus, cls=w.c5a, day=2, n=3)
    put(w, w.ivanova, w.math, cls=w.c5a, day=1, n=1)
    Membership.objects.filter(person=w.sidorov, school=w.school).update(is_active=False)
    clashes = school_timetable_check(school=w.school, academic_year=w.year)
    assert [(c.kind, c.class_id) for c in clashes] == [("teacher_left", w.c5a.pk)]
    assert clashes[0].message == (
        "5А, вторник, 3 урок (Русский язык): учитель Сидоров П. И. больше не работает в школе по данным "
        "реестра — назначьте другого учителя в нагрузке"
    )
    # the load passes to a teacher of the school: the template follows, nothing left to report
    from regions.teaching.services import teaching_assignment_update

    teaching_assignment_update(assignment=w.a_rus_5a, teacher=w.petrova, academic_year=w.year)
    assert school_timetable_check(school=w.school, academic_year=w.year) == []
    assert TimetableEntry.objects.get(school_class=w.c5a, subject=w.rus).teacher_id == w.petrova.pk


def test_teacher_without_load_and_lesson_outside_bells_are_refused(w):
    stranger = make_teacher(w.school, "Кузнецова", "Вера", "Олеговна")
    message = refused(put, w, stranger, w.math, cls=w.c5a, day=1, n=1)
    assert "у учителя Кузнецова В. О. нет нагрузки «Математика» в 5А" in message
    message = refused(put, w, w.ivanova, w.math, cls=w.c5a, day=1, n=9)
    assert "5А, понедельник, 9 урок: урок 9 вне расписания звонков «1 смена» (уроки 1–8)" in message


def test_more_lessons_than_the_load_is_refused(w):
    for day in range(1, 6):
        put(w, w.ivanova, w.math, cls=w.c5a, day=day, n=1)
    message = refused(put, w, w.ivanova, w.math, cls=w.c5a, day=1, n=2)
    assert "5А, Математика (Иванова А. П.): уроков в неделю в расписании — 6, а по нагрузке — 5 ч" in message
