"""The demo configuration of a region, on factory data shaped like the registry sample: a
school with classes 1–11 and enough teachers, and a small school. Idempotent."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from regions.academics.models import AcademicYear, ControlForm
from regions.schools.models import SchoolClass
from regions.teaching.models import TeachingAssignment
from regions.timetable.demo import current_period, demo_configure_region
from regions.timetable.models import Lesson, TimetableEntry
from regions.timetable.services import class_week_entries, school_timetable_check
from tests.factories import SchoolClassFactory, SchoolFactory, make_student, make_teacher

SURNAMES = [
    "Абдуллаева", "Белов", "Гусейнова", "Дибиров", "Ефимова", "Жуков", "Зайцева", "Ильин", "Камалова",
    "Лебедев", "Магомедова", "Никитин", "Орлова", "Павлов", "Рамазанова", "Соколов",
]  # fmt: skip


def test_demo_configures_a_region_and_is_idempotent(region_a, region_b):
    with tenant_context(region_a):
        big = SchoolFactory.create(short_name="Гимназия №1")
        for parallel in range(1, 12):
            school_class = SchoolClassFactory.create(school=big, parallel=parallel, letter="А")
            for i in range(3):
                make_student(school_class, surname=f"Ученик{parallel}-{i}")
        for surname in SURNAMES:
            make_teacher(big, surname, "Имя", "Отчество")
        small = SchoolFactory.create(short_name="СОШ №2")
        SchoolClassFactory.create(school=small, parallel=5, letter="А")
        make_teacher(small, "Юсупова", "Имя", "Отчество")

    report = demo_configure_region(region_a)
    assert report.schools == 2 and report.entries > 250 and report.lessons > 1000
    assert not [m for m in report.unplaced if m.startswith("Гимназия")]
    with tenant_context(region_a):
        year = AcademicYear.objects.get(school__isnull=True, name="2026/2027")
        assert year.periods.count() == 4 and year.holidays.filter(name="Осенние каникулы").exists()
        for school_class in SchoolClass.objects.filter(school=big):
            assert class_week_entries(school_class=school_class, year=year), school_class
            assert school_class.class_teacher_id is not None
        assert school_timetable_check(school=big, academic_year=year) == []
        assert TeachingAssignment.objects.filter(school=big, group__isnull=False).exists()  # English groups
        period = current_period(year)
        assert period is not None
        assert Lesson.objects.filter(school=big, period=period).exists()
        counts = (TimetableEntry.objects.count(), Lesson.objects.count(), TeachingAssignment.objects.count())

    again = demo_configure_region(region_a)
    assert again.lessons == 0
    with tenant_context(region_a):
        assert (
            TimetableEntry.objects.count(),
            Lesson.objects.count(),
            TeachingAssignment.objects.count(),
        ) == counts

    # the other demo region: defaults and the year, nothing of region A
    demo_configure_region(region_b)
    with tenant_context(region_b):
        assert AcademicYear.objects.filter(name="2026/2027").exists()
        assert ControlForm.objects.filter(school__isnull=True).count() == 10
        assert not TimetableEntry.objects.exists()
