"""«Fill from teacher load», copying a week, saving a class's week from the grid."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from regions.teaching.models import TeachingAssignment
from regions.teaching.services import curriculum_fill_from_model, subgroups_split
from regions.timetable.autofill import MAX_PER_DAY, timetable_autofill
from regions.timetable.demo import demo_rooms, demo_subgroups, plan_teacher_load
from regions.timetable.models import TimetableEntry, WeekParity
from regions.timetable.services import (
    PARITY_WEIGHT,
    EntryDraft,
    class_week_entries,
    school_timetable_check,
    timetable_class_week_save,
    timetable_copy_week,
)
from tests.factories import SchoolClassFactory, SchoolFactory, make_student, make_teacher, make_year, subject

SURNAMES = [
    "Абдуллаева",
    "Белов",
    "Гусейнова",
    "Дибиров",
    "Ефимова",
    "Жуков",
    "Зайцева",
    "Ильин",
    "Камалова",
    "Лебедев",
    "Магомедова",
    "Никитин",
    "Орлова",
    "Павлов",
    "Рамазанова",
    "Соколов",
    "Тихонова",
    "Умаров",
]


def full_school(teachers: int = 16):
    year = make_year(2030)
    curriculum_fill_from_model(school=None, academic_year=year)
    school = SchoolFactory.create(short_name="Гимназия №1")
    classes = [SchoolClassFactory.create(school=school, parallel=p, letter="А") for p in range(1, 12)]
    for c in classes:
        for i in range(2):
            make_student(c, surname=f"Ученик{c.parallel}{i}")
    staff = [make_teacher(school, surname, "Имя", "Отчество") for surname in SURNAMES[:teachers]]
    demo_rooms(school=school)
    demo_subgroups(school=school)
    plan_teacher_load(school=school, year=year)
    return year, school, classes, staff


@pytest.fixture
def school_1_to_11(region_a):
    with tenant_context(region_a):
        yield full_school()


def test_fill_from_load_places_every_hour_without_a_clash(school_1_to_11):
    year, school, classes, _staff = school_1_to_11
    result = timetable_autofill(school=school, academic_year=year)
    assert result.unplaced == []
    assert school_timetable_check(school=school, academic_year=year) == []
    entries = list(TimetableEntry.objects.filter(school=school).select_related("group"))
    # exactly the hours of every load
    weight: dict[tuple, Decimal] = defaultdict(Decimal)
    for e in entries:
        weight[(e.teacher_id, e.subject_id, e.school_class_id, e.group_id)] += PARITY_WEIGHT[
            WeekParity(e.parity)
        ]
    for a in TeachingAssignment.objects.filter(school=school, is_active=True):
        assert weight[(a.teacher_id, a.subject_id, a.school_class_id, a.group_id)] == a.hours_per_week, a
    # the daily maximum of each parallel, and a subject spread over the week
    for c in classes:
        week = class_week_entries(school_class=c, year=year)
        per_day = Counter((e.weekday, e.lesson_number) for e in week)
        days = Counter(day for day, _n in per_day)
        assert max(days.values()) <= MAX_PER_DAY[c.parallel], c
        assert set(days) <= {1, 2, 3, 4, 5}
        subject_days = Counter((e.subject_id, e.weekday) for e in week if e.school_class_id)
        hours = {a.subject_id: a.hours_per_week for a in TeachingAssignment.objects.filter(school_class=c)}
        for (subject_id, _day), count in subject_days.items():
            assert count <= (1 if hours[subject_id] <= 5 else 2), (c, subject_id)
    # English subgroups of a class study at the same time
    groups = [e for e in entries if e.group_id]
    assert groups
    slots = Counter((e.group.school_class_id, e.weekday, e.lesson_number) for e in groups if e.group)
    assert set(slots.values()) == {2}
    # running it again adds nothing: the load is placed
    again = timetable_autofill(school=school, academic_year=year)
    assert again.placed == 0 and again.unplaced == []


def test_fill_keeps_what_is_there_and_replace_redoes_the_classes(school_1_to_11):
    year, school, classes, _staff = school_1_to_11
    c5 = classes[4]
    a = TeachingAssignment.objects.get(school_class=c5, subject__code="math")
    timetable_class_week_save(
        school_class=c5,
        academic_year=year,
        drafts=[
            EntryDraft(
                weekday=5,
                lesson_number=6,
                subject_id=a.subject_id,
                teacher_id=a.teacher_id,
                school_class_id=c5.pk,
            )
        ],
    )
    kept = TimetableEntry.objects.get(school_class=c5)
    result = timetable_autofill(school=school, academic_year=year, classes=[c5])
    assert TimetableEntry.objects.filter(pk=kept.pk).exists()
    assert result.unplaced == []
    assert TimetableEntry.objects.filter(school_class=c5, subject_id=a.subject_id).count() == int(
        a.hours_per_week
    )
    assert not TimetableEntry.objects.exclude(school_class=c5).exclude(group__school_class=c5).exists()
    timetable_autofill(school=school, academic_year=year, classes=[c5], replace=True)
    assert not TimetableEntry.objects.filter(pk=kept.pk).exists()
    assert school_timetable_check(school=school, academic_year=year) == []


def test_copy_week_to_a_parallel_class(region_a):
    with tenant_context(region_a):
        year, school, classes, _staff = full_school()
        c5a = classes[4]
        timetable_autofill(school=school, academic_year=year, classes=[c5a])
        # 5Б: its own students, English groups and teachers
        c5b = SchoolClassFactory.create(school=school, parallel=5, letter="Б")
        for i in range(2):
            make_student(c5b, surname=f"Новичок{i}")
        demo_subgroups(school=school)
        extra = [
            make_teacher(school, s, "Имя", "Отчество")
            for s in ("Фролова", "Хасанов", "Цветкова", "Чернов", "Шарипова")
        ]
        plan_teacher_load(school=school, year=year, teachers=extra)
        timetable_copy_week(source=c5a, target=c5b, academic_year=year)

        def pattern(c):
            return sorted(
                (e.weekday, e.lesson_number, e.subject_id, e.parity)
                for e in class_week_entries(school_class=c, year=year)
            )

        assert pattern(c5b) == pattern(c5a)
        assert {e.teacher_id for e in class_week_entries(school_class=c5b, year=year)} <= {
            t.pk for t in extra
        }
        assert school_timetable_check(school=school, academic_year=year) == []

        # 5В is taught by 5А's teachers: the copy is refused, naming the clash
        c5v = SchoolClassFactory.create(school=school, parallel=5, letter="В")
        for a in TeachingAssignment.objects.filter(school_class=c5a):
            TeachingAssignment.objects.create(
                school=school,
                teacher=a.teacher,
                subject=a.subject,
                school_class=c5v,
                hours_per_week=a.hours_per_week,
            )
        groups_5v = subgroups_split(school_class=c5v, subject=subject("eng"))
        for a, g in zip(
            TeachingAssignment.objects.filter(group__school_class=c5a).order_by("group__name"),
            groups_5v,
            strict=True,
        ):
            TeachingAssignment.objects.create(
                school=school, teacher=a.teacher, subject=a.subject, group=g, hours_per_week=a.hours_per_week
            )
        with pytest.raises(ValidationError) as exc:
            timetable_copy_week(source=c5a, target=c5v, academic_year=year)
        message = " ".join(exc.value.messages)
        assert "5В, понедельник" in message and "уже ведёт урок в 5А в понедельник" in message
        assert not class_week_entries(school_class=c5v, year=year)


def test_class_week_save_keeps_unchanged_entries(school_1_to_11):
    year, school, classes, _staff = school_1_to_11
    c7 = classes[6]
    timetable_autofill(school=school, academic_year=year, classes=[c7])
    week = class_week_entries(school_class=c7, year=year)
    drafts = [
        EntryDraft(
            weekday=e.weekday,
            lesson_number=e.lesson_number,
            subject_id=e.subject_id,
            teacher_id=e.teacher_id,
            school_class_id=e.school_class_id,
            group_id=e.group_id,
            room_id=e.room_id,
            parity=e.parity,
        )
        for e in week
    ]
    # the same grid: nothing changes
    timetable_class_week_save(school_class=c7, academic_year=year, drafts=drafts)
    assert {e.pk for e in class_week_entries(school_class=c7, year=year)} == {e.pk for e in week}
    # one lesson removed: exactly that entry goes
    timetable_class_week_save(school_class=c7, academic_year=year, drafts=drafts[1:])
    assert {e.pk for e in class_week_entries(school_class=c7, year=year)} == {e.pk for e in week[1:]}
